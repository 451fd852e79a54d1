//! `farm prune` (being written).

use super::Globals;
use crate::error::{FarmError, Result};

/// Run the command.
pub fn run(_g: &Globals, _name: &str, _older: &str, _dry: bool) -> Result<()> {
    Err(FarmError::software("farm prune is not implemented yet"))
}
