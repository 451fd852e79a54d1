//! `farm destroy NAME [--yes] [--force]`. The confirmation is asked with the farm closed, so
//! `farm run` goes on while the person answers.

use super::{finish, open_required, Globals};
use crate::bot::registry::{dependents, destroy, get};
use crate::error::{FarmError, Result};
use crate::model::Bot;
use crate::store::Store;
use std::io::IsTerminal;

/// Delete a bot and everything cached for it.
pub fn run(g: &Globals, name: &str, yes: bool, force: bool) -> Result<()> {
    let mut store = open_required(&g.dir)?;
    let mut bot = destroyable(&store, name, force)?;
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(FarmError::usage(format!("destroying {} needs confirmation: pass --yes", bot.name)));
        }
        // Let go of the farm while the person makes up their mind; look again afterwards.
        drop(store);
        let answer =
            super::prompt_line(&format!("destroy {} and all its data? type its name to confirm", bot.name))?;
        if answer.trim_start_matches('@') != bot.name {
            return Err(FarmError::usage("not confirmed; nothing destroyed"));
        }
        store = open_required(&g.dir)?;
        bot = destroyable(&store, &bot.name, force)?;
    }
    destroy(&store, &bot)?;
    finish(&store)?;
    eprintln!("destroyed {}", bot.name);
    Ok(())
}

/// The bot `name`, unless writers still use it (and `force` is not given).
fn destroyable(store: &Store, name: &str, force: bool) -> Result<Bot> {
    let bot = get(store, name)?;
    let deps = dependents(store, &bot.name)?;
    if !deps.is_empty() && !force {
        let names: Vec<_> = deps.iter().map(|b| b.name.as_str()).collect();
        return Err(FarmError::usage(format!(
            "{} is used by {}; destroy or re-point them first, or pass --force",
            bot.name,
            names.join(", ")
        )));
    }
    Ok(bot)
}
