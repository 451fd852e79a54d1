//! `farm app set x` / `farm app show`: X app keys shared by many bots, and the prices of X's
//! calls that `farm stats` estimates the bill at.

use super::{open, open_existing, prompt_secret, Globals};
use crate::cli::AppCmd;
use crate::error::{FarmError, Result};
use crate::model::{AppKeys, Prices};

/// The most a price may be, in US dollars: a typo (a missing decimal point) is refused.
const MAX_PRICE: u64 = 100;

/// Store or show shared app keys and prices.
pub fn run(g: &Globals, c: AppCmd) -> Result<()> {
    match c {
        AppCmd::Set { platform, read_price, post_price, link_post_price } => {
            if platform != "x" {
                return Err(FarmError::usage(format!("only X has app keys and prices; got {platform:?}")));
            }
            let prices = [
                ("--read-price", read_price),
                ("--post-price", post_price),
                ("--link-post-price", link_post_price),
            ]
            .into_iter()
            .map(|(flag, v)| v.map(|v| parse_price(flag, &v)).transpose())
            .collect::<Result<Vec<Option<Option<u64>>>>>()?;
            let env = crate::config::env_creds();
            let keys_in_env = env.consumer_key.is_some() && env.consumer_secret.is_some();
            if prices.iter().any(Option::is_some) && !keys_in_env {
                // Only the prices: the keys (if any) stay as they are, nothing is asked.
                let store = open(&g.dir)?;
                let stored = set_prices(&store, &prices)?;
                store.flush()?;
                eprintln!("stored the X prices: {}", super::stats::prices_text(&stored.list()));
                return Ok(());
            }
            let key = match env.consumer_key {
                Some(k) => Some(k),
                None => prompt_secret("consumer key (FARM_CONSUMER_KEY)")?,
            };
            let secret = match env.consumer_secret {
                Some(s) => Some(s),
                None => prompt_secret("consumer secret (FARM_CONSUMER_SECRET)")?,
            };
            let (Some(consumer_key), Some(consumer_secret)) = (key, secret) else {
                return Err(FarmError::config(
                    "missing app keys: set FARM_CONSUMER_KEY and FARM_CONSUMER_SECRET",
                ));
            };
            let store = open(&g.dir)?;
            store.set_app_keys("x", &AppKeys { consumer_key, consumer_secret })?;
            let stored = set_prices(&store, &prices)?;
            store.flush()?;
            eprintln!("stored the X app keys; X bots without their own keys use them");
            if prices.iter().any(Option::is_some) {
                eprintln!("stored the X prices: {}", super::stats::prices_text(&stored.list()));
            }
            Ok(())
        }
        AppCmd::Show => {
            let (keys, prices) = match open_existing(&g.dir)? {
                Some(s) => (s.app_keys("x")?, s.prices("x")?),
                None => (None, Prices::default()),
            };
            match keys {
                Some(k) => crate::outln!(
                    "x: consumer key {}, consumer secret {}",
                    crate::net::mask(&k.consumer_key),
                    crate::net::mask(&k.consumer_secret)
                )?,
                None => crate::outln!("x: no app keys stored")?,
            }
            let d = Prices::DEFAULT;
            let price = |set: Option<u64>, default: u64, what: &str| {
                let shown = super::stats::usd(super::stats::dollars(set.unwrap_or(default)));
                format!("{shown} {what}{}", if set.is_none() { " (default)" } else { "" })
            };
            crate::outln!(
                "x prices: {}, {}, {} (X's published prices of 2026-12-06 are the defaults)",
                price(prices.read, d.read, "a post read"),
                price(prices.post, d.post, "a post"),
                price(prices.link_post, d.link_post, "a post with a link")
            )
        }
    }
}

/// Merge the prices given (`[read, post, link_post]`, each `Some(None)` for `default`) into the
/// stored ones and store them; returns what is stored now.
fn set_prices(store: &crate::store::Store, given: &[Option<Option<u64>>]) -> Result<Prices> {
    let mut p = store.prices("x")?;
    for (slot, v) in [&mut p.read, &mut p.post, &mut p.link_post].into_iter().zip(given) {
        if let Some(v) = v {
            *slot = *v;
        }
    }
    if given.iter().any(Option::is_some) {
        store.set_prices("x", &p)?;
    }
    Ok(p)
}

/// Parse a price in US dollars (`0.005`, `$0.2`, `1`), at most six decimal places, into
/// millionths of a dollar; `default` is `None` (farm's default price).
pub fn parse_price(flag: &str, raw: &str) -> Result<Option<u64>> {
    let s = raw.trim();
    if s == "default" {
        return Ok(None);
    }
    let bad = |why: &str| {
        FarmError::usage(format!(
            "{flag} {raw:?}: {why}; give US dollars like 0.005 (or `default` for X's published price)"
        ))
    };
    let s = s.strip_prefix('$').unwrap_or(s);
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() && frac.is_empty() || !digits(whole) || !digits(frac) {
        return Err(bad("not a price"));
    }
    if frac.len() > 6 {
        return Err(bad("more than six decimal places"));
    }
    let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad("too big"))? };
    if whole > MAX_PRICE || (whole == MAX_PRICE && frac.chars().any(|c| c != '0')) {
        return Err(bad(&format!("more than ${MAX_PRICE} a call")));
    }
    let frac: u64 = format!("{frac:0<6}").parse().map_err(|_| bad("not a price"))?;
    Ok(Some(whole * 1_000_000 + frac))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_parse_to_millionths() {
        assert_eq!(parse_price("--read-price", "0.005").unwrap(), Some(5_000));
        assert_eq!(parse_price("--read-price", "$0.2").unwrap(), Some(200_000));
        assert_eq!(parse_price("--read-price", "1").unwrap(), Some(1_000_000));
        assert_eq!(parse_price("--read-price", ".015").unwrap(), Some(15_000));
        assert_eq!(parse_price("--read-price", "0").unwrap(), Some(0));
        assert_eq!(parse_price("--read-price", "100").unwrap(), Some(100_000_000));
        assert_eq!(parse_price("--read-price", "default").unwrap(), None);
        for bad in
            ["", ".", "-1", "0.0000001", "1e-3", "abc", "0,005", "100.5", "99999999999999999999", "NaN"]
        {
            let e = parse_price("--read-price", bad).unwrap_err();
            assert_eq!(e.kind, crate::error::Kind::Usage, "{bad}");
            assert!(e.message.contains("--read-price"), "{}", e.message);
        }
    }
}
