//! `farm destroy NAME [--yes] [--force]`

use super::{finish, open_required, Globals};
use crate::bot::registry::{dependents, destroy, get};
use crate::error::{FarmError, Result};
use std::io::IsTerminal;

/// Delete a bot and everything cached for it.
pub fn run(g: &Globals, name: &str, yes: bool, force: bool) -> Result<()> {
    let store = open_required(&g.dir)?;
    let bot = get(&store, name)?;
    let deps = dependents(&store, &bot.name)?;
    if !deps.is_empty() && !force {
        let names: Vec<_> = deps.iter().map(|b| b.name.as_str()).collect();
        return Err(FarmError::usage(format!(
            "{} is used by {}; destroy or re-point them first, or pass --force",
            bot.name,
            names.join(", ")
        )));
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(FarmError::usage(format!("destroying {} needs confirmation: pass --yes", bot.name)));
        }
        let answer =
            super::prompt_line(&format!("destroy {} and all its data? type its name to confirm", bot.name))?;
        if answer.trim_start_matches('@') != bot.name {
            return Err(FarmError::usage("not confirmed; nothing destroyed"));
        }
    }
    destroy(&store, &bot)?;
    finish(&store)?;
    eprintln!("destroyed {}", bot.name);
    Ok(())
}
