//! `farm check [NAME…] [--json]`: verify each bot's credentials with one call. The farm is
//! opened twice, briefly: to read the bots, then to record what the calls taught. The calls run
//! in between, in parallel, with the farm closed, so a slow server never holds up `farm run`.

use super::{now, open_required, print_json, verify_all, Globals};
use crate::bot::record;
use crate::bot::registry::get;
use crate::bot::Bot;
use crate::error::{FarmError, Kind, Result};
use crate::model::Counters;
use crate::net::{Account, Endpoint, PlatformKind, Reply};
use crate::out::{Cell, Column, Table};
use crate::store::Store;
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

/// Where a bot stands before the calls: its call is to be made, or its check is already
/// answered (a Bluesky login just made), failed, or needs no call (a reader of public accounts
/// only has no credentials to check).
enum Before {
    Call,
    Answered(Reply<Account>),
    Failed(FarmError),
    NoCredentials,
}

/// What a bot needs before its check call: the endpoint to call, or (`Err`) the answer that
/// already proves its credentials (a Bluesky login just made); a failure to get there is the
/// bot's error.
fn before_the_call(
    store: &Store,
    b: &Bot,
    now: i64,
) -> Result<std::result::Result<Endpoint, Reply<Account>>> {
    if b.platform != PlatformKind::Bluesky {
        return Ok(Ok(crate::bot::endpoint(store, b, &store.state(&b.name)?)?));
    }
    match crate::bot::session::ensure_noting_login(store, b, now)? {
        Ok((_, Some(answer))) => Ok(Err(answer)),
        Ok((fresh, None)) => Ok(Ok(crate::bot::bluesky_endpoint(fresh))),
        Err(e) => Err(e.for_bot(&b.name)),
    }
}

/// Check credentials and print a table (or JSON).
pub fn run(g: &Globals, names: &[String], json: bool) -> Result<()> {
    let now = now()?;
    let (bots, endpoints, unreached) = {
        let store = open_required(&g.dir)?;
        let bots = if names.is_empty() {
            // A corpus reader calls no network: there is nothing of it to check.
            store.bots()?.into_iter().filter(|b| b.platform != PlatformKind::Corpus).collect()
        } else {
            names.iter().map(|n| get(&store, n)).collect::<Result<Vec<_>>>()?
        };
        if let Some(b) = bots.iter().find(|b| b.platform == PlatformKind::Corpus) {
            return Err(FarmError::usage(format!(
                "{} is a corpus reader: it calls no network and has no credentials to check",
                b.name
            )));
        }
        // A Bluesky bot makes its session first: a refusal there is this bot's row, not the end
        // of the check, and a login's answer is its check (no second call).
        let mut endpoints = Vec::new();
        let mut unreached = Vec::new();
        for b in &bots {
            if crate::bot::follow::public_reader(&store, b)? {
                // Nothing to check: it reads without credentials.
                unreached.push(Before::NoCredentials);
                continue;
            }
            match before_the_call(&store, b, now) {
                Ok(Ok(ep)) => {
                    endpoints.push((b.name.clone(), ep));
                    unreached.push(Before::Call);
                }
                Ok(Err(answer)) => unreached.push(Before::Answered(answer)),
                Err(e) => unreached.push(Before::Failed(e)),
            }
        }
        (bots, endpoints, unreached)
    };
    let mut results = verify_all(endpoints, now).into_iter();
    let store = open_required(&g.dir)?;
    let calls = Counters { calls: 1, ..Default::default() };
    let mut worst: Option<Kind> = None;
    let mut rows = Vec::new();
    for (b, unreached) in bots.iter().zip(unreached) {
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
        let r = match unreached {
            Before::NoCredentials => {
                row.ok = true;
                row.account = Some("(none: reads public accounts)".into());
                rows.push(row);
                continue;
            }
            Before::Failed(e) => {
                let k = e.kind;
                worst = Some(worst.map_or(k, |w| if k.severity() > w.severity() { k } else { w }));
                row.error = Some(e.message);
                row.error_kind = Some(k.name());
                rows.push(row);
                continue;
            }
            Before::Answered(answer) => Ok(answer),
            Before::Call => match results.next() {
                Some(r) => r,
                None => break,
            },
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
        // The one table layout: fits the width, never wraps a cell; the result never goes.
        let mut t = Table::new(vec![
            Column::left("bot").cut_middle(16),
            Column::left("platform").drop(3),
            Column::left("account").drop(2).cut_middle(12),
            Column::left("result").cut_end(12),
            Column::right("rate limit left").drop(4),
        ]);
        for r in rows {
            let result = match r.error {
                Some(e) => Cell::coloured(e, crate::out::status_colour("failing")),
                None => Cell::coloured("ok", crate::out::status_colour("ok")),
            };
            t.row(vec![
                Cell::from(r.bot),
                Cell::from(r.platform),
                Cell::from(r.account.unwrap_or_default()),
                result,
                Cell::from(r.rate_limit_left.map(|n| n.to_string()).unwrap_or_default()),
            ]);
        }
        crate::out::write_str(&t.render(crate::out::width(), crate::out::colour()))?;
    }
    match worst {
        Some(k) => Err(FarmError::new(k, "")),
        None => Ok(()),
    }
}
