//! Analyzers: score a writer's posts by engagement and feed hot and boring words back (being
//! written).

use super::model::Bot;
use super::run::Connector;
use crate::error::{FarmError, Result};
use crate::store::Store;

/// One analyzer run.
pub fn run_analyzer(
    _store: &Store,
    bot: &Bot,
    _now: i64,
    _dry: bool,
    _connect: &Connector,
) -> Result<String> {
    Err(FarmError::software(format!("{}: analyzers are not implemented yet", bot.name)))
}
