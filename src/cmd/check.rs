//! `farm check [NAME…] [--json]`: verify each bot's credentials with one call. The farm is
//! opened twice, briefly: to read the bots, then to record what the calls taught. The calls run
//! in between, in parallel, with the farm closed, so a slow server never holds up `farm run`.

use super::{now, open_required, print_json, verify_all, Globals};
use crate::bot::model::Counters;
use crate::bot::record;
use crate::bot::registry::get;
use crate::error::{FarmError, Kind, Result};
use comfy_table::Table;
use serde::Serialize;

/// One bot's result, as printed (`--json`: missing values are `null`).
#[derive(Serialize)]
struct Checked {
    bot: String,
    platform: String,
    /// `@handle` when the credentials work.
    account: Option<String>,
    ok: bool,
    /// The error, when they do not.
    error: Option<String>,
    /// Its exit class (`auth`, `tempfail`…).
    error_kind: Option<&'static str>,
    /// Calls left in the rate-limit window of the verify call, when the server said.
    rate_limit_left: Option<u64>,
}

/// Check credentials and print a table (or JSON).
pub fn run(g: &Globals, names: &[String], json: bool) -> Result<()> {
    let now = now()?;
    let (bots, endpoints) = {
        let store = open_required(&g.dir)?;
        let bots = if names.is_empty() {
            store.bots()?
        } else {
            names.iter().map(|n| get(&store, n)).collect::<Result<Vec<_>>>()?
        };
        let endpoints = bots
            .iter()
            .map(|b| Ok((b.name.clone(), crate::bot::endpoint(&store, b, &store.state(&b.name)?)?)))
            .collect::<Result<Vec<_>>>()?;
        (bots, endpoints)
    };
    let results = verify_all(endpoints, now);
    let store = open_required(&g.dir)?;
    let calls = Counters { calls: 1, ..Default::default() };
    let mut worst: Option<Kind> = None;
    let mut rows = Vec::new();
    for (b, r) in bots.iter().zip(results) {
        // A bot destroyed while its call ran is still reported, but nothing is recorded for it.
        let kept = store.bot(&b.name)?.is_some();
        let mut row = Checked {
            bot: b.name.clone(),
            platform: b.platform.name().to_string(),
            account: None,
            ok: false,
            error: None,
            error_kind: None,
            rate_limit_left: None,
        };
        match r {
            Ok(r) => {
                if kept {
                    record::call(&store, &b.name, &r.rates, now, calls, None)?;
                    let mut st = store.state(&b.name)?;
                    st.account_id = Some(r.value.id.clone());
                    store.put_state(&b.name, &st)?;
                }
                row.account = Some(format!("@{}", r.value.username));
                row.ok = true;
                row.rate_limit_left = r.rates.first().map(|x| x.remaining);
            }
            Err(e) => {
                let k = e.exit_kind();
                worst = Some(worst.map_or(k, |w| if k.severity() > w.severity() { k } else { w }));
                if kept {
                    record::call_failed(&store, &b.name, now, &e, calls, None)?;
                }
                row.error = Some(e.named(&b.name).message);
                row.error_kind = Some(k.name());
            }
        }
        rows.push(row);
    }
    store.flush()?;
    drop(store);
    if json {
        print_json(&rows)?;
    } else {
        let mut t = Table::new();
        t.load_style(comfy_table::presets::UTF8_BORDERS_ONLY);
        t.set_header(vec!["bot", "platform", "account", "result", "rate limit left"]);
        let dash = || "-".to_string();
        for r in rows {
            t.add_row(vec![
                r.bot,
                r.platform,
                r.account.unwrap_or_else(dash),
                r.error.unwrap_or_else(|| "ok".into()),
                r.rate_limit_left.map_or_else(dash, |n| n.to_string()),
            ]);
        }
        crate::outln!("{t}")?;
    }
    match worst {
        Some(k) => Err(FarmError::new(k, "")),
        None => Ok(()),
    }
}
