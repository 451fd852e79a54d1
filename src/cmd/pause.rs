//! `farm pause NAME` and `farm resume NAME`.

use super::{finish, now, open_required, Globals};
use crate::bot::registry::get;
use crate::error::Result;

/// Pause (`true`) or resume (`false`) a bot.
pub fn run(g: &Globals, name: &str, pause: bool) -> Result<()> {
    let store = open_required(&g.dir)?;
    let mut bot = get(&store, name)?;
    bot.paused = pause;
    store.put_bot(&bot)?;
    let what = if pause { "paused" } else { "resumed" };
    store.log(&bot.name, now()?, what, what)?;
    finish(&store)?;
    eprintln!("{what} {}", bot.name);
    Ok(())
}
