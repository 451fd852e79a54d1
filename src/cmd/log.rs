//! `farm log [NAME] [-n 20]`

use super::{open_existing, Globals};
use crate::bot::registry::get;
use crate::clock;
use crate::error::Result;

/// Print recent events.
pub fn run(g: &Globals, name: Option<&str>, n: usize) -> Result<()> {
    let Some(store) = open_existing(&g.dir)? else {
        return Ok(());
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
    for (bot, e) in all.into_iter().skip(skip) {
        crate::outln!("{}  {:<12} {:<6} {}", clock::format(e.at), bot, e.kind, e.message)?;
    }
    Ok(())
}
