//! `farm metrics` (being written).

use super::Globals;
use crate::cli::MetricsArgs;
use crate::error::{FarmError, Result};

/// Run the command.
pub fn run(_g: &Globals, _a: MetricsArgs) -> Result<()> {
    Err(FarmError::software("farm metrics is not implemented yet"))
}
