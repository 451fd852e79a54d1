//! `farm export` (being written).

use super::Globals;
use crate::cli::ExportArgs;
use crate::error::{FarmError, Result};

/// Run the command.
pub fn run(_g: &Globals, _a: ExportArgs) -> Result<()> {
    Err(FarmError::software("farm export is not implemented yet"))
}
