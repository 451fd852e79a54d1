//! `farm log [NAME] [-n 20] [--json]`

use super::{open_existing, print_json, Globals};
use crate::bot::registry::get;
use crate::clock;
use crate::error::Result;
use crate::out::{Column, Table};
use serde::Serialize;

/// One event in `farm log --json`.
#[derive(Serialize)]
pub struct EventView {
    /// When (RFC 3339).
    pub at: String,
    /// The bot.
    pub bot: String,
    /// `read`, `post`, `skip`, `error`, `create`, …
    pub kind: String,
    /// The whole message.
    pub message: String,
}

/// Print the last `n` events of a bot or of all bots, oldest first: a table fitted to the
/// width (long names and messages cut with "…"), or every field whole with `--json`.
pub fn run(g: &Globals, name: Option<&str>, n: usize, json: bool) -> Result<()> {
    let Some(store) = open_existing(&g.dir)? else {
        return if json { print_json(&Vec::<EventView>::new()) } else { Ok(()) };
    };
    let bots = match name {
        Some(nm) => vec![get(&store, nm)?],
        None => store.bots()?,
    };
    let mut all = Vec::new();
    for b in &bots {
        for e in store.events(&b.name, n)? {
            all.push((b.name.clone(), e));
        }
    }
    all.sort_by_key(|(_, e)| e.at);
    let skip = all.len().saturating_sub(n);
    let events = all.into_iter().skip(skip);
    if json {
        let v: Vec<EventView> = events
            .map(|(bot, e)| EventView { at: clock::format(e.at), bot, kind: e.kind, message: e.message })
            .collect();
        return print_json(&v);
    }
    let mut t = Table::new(vec![
        Column::left("time"),
        Column::left("bot").cut_middle(16),
        Column::left("kind"),
        Column::left("message").cut_end(12),
    ]);
    let mut rows = 0;
    for (bot, e) in events {
        t.row([clock::short(e.at), bot, e.kind, e.message]);
        rows += 1;
    }
    if rows == 0 {
        return Ok(());
    }
    crate::out::write_str(&t.render(crate::out::width(), false))
}
