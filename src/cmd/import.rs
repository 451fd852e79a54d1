//! `farm import` (being written).

use super::Globals;
use crate::cli::ImportArgs;
use crate::error::{FarmError, Result};

/// Run the command.
pub fn run(_g: &Globals, _a: ImportArgs) -> Result<()> {
    Err(FarmError::software("farm import is not implemented yet"))
}
