//! `farm best WRITER` and `farm create analyzer` (being written).

use super::Globals;
use crate::cli::AnalyzerArgs;
use crate::error::{FarmError, Result};

/// Run the command.
pub fn run(_g: &Globals, _name: &str, _n: usize) -> Result<()> {
    Err(FarmError::software("farm best is not implemented yet"))
}

/// Create an analyzer.
pub fn create_analyzer(_g: &Globals, _a: AnalyzerArgs) -> Result<()> {
    Err(FarmError::software("analyzers are not implemented yet"))
}
