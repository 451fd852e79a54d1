//! `farm check [NAME…]`: verify each bot's credentials with one call.

use super::{now, open_required, Globals};
use crate::bot::model::Counters;
use crate::bot::record;
use crate::bot::registry::get;
use crate::error::{FarmError, Kind, Result};
use comfy_table::Table;

/// Check credentials and print a table.
pub fn run(g: &Globals, names: &[String]) -> Result<()> {
    let store = open_required(&g.dir)?;
    let now = now()?;
    let bots = if names.is_empty() {
        store.bots()?
    } else {
        names.iter().map(|n| get(&store, n)).collect::<Result<Vec<_>>>()?
    };
    let mut t = Table::new();
    t.load_style(comfy_table::presets::UTF8_BORDERS_ONLY);
    t.set_header(vec!["bot", "platform", "account", "result", "rate limit left"]);
    let mut worst: Option<Kind> = None;
    for b in &bots {
        let mut st = store.state(&b.name)?;
        // A Bluesky bot makes its session first; a refusal there is this bot's row.
        let ep = match crate::bot::endpoint(&store, b, &st) {
            Ok(ep) => ep,
            Err(e) => {
                worst =
                    Some(worst.map_or(e.kind, |w| if e.kind.severity() > w.severity() { e.kind } else { w }));
                t.add_row(vec![
                    b.name.clone(),
                    b.platform.name().to_string(),
                    "-".into(),
                    e.message,
                    "-".into(),
                ]);
                continue;
            }
        };
        let mut client = crate::net::connect(ep, now);
        let calls = Counters { calls: 1, ..Default::default() };
        let (account, result, left) = match client.verify() {
            Ok(r) => {
                record::call(&store, &b.name, &r.rates, now, calls, None)?;
                st.account_id = Some(r.value.id.clone());
                store.put_state(&b.name, &st)?;
                let left = r.rates.first().map(|x| x.remaining.to_string()).unwrap_or_else(|| "-".into());
                (format!("@{}", r.value.username), "ok".to_string(), left)
            }
            Err(e) => {
                let k = e.exit_kind();
                worst = Some(worst.map_or(k, |w| if k.severity() > w.severity() { k } else { w }));
                record::call_failed(&store, &b.name, now, &e, calls, None)?;
                ("-".to_string(), e.message.clone(), "-".to_string())
            }
        };
        t.add_row(vec![b.name.clone(), b.platform.name().to_string(), account, result, left]);
    }
    store.flush()?;
    crate::outln!("{t}")?;
    match worst {
        Some(k) => Err(FarmError::new(k, "")),
        None => Ok(()),
    }
}
