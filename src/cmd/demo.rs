//! `farm demo` (being written).

use super::Globals;
use crate::error::{FarmError, Result};
use std::path::PathBuf;

/// Run the demo.
pub fn run(_g: &Globals, _keep: Option<PathBuf>, _hours: u32) -> Result<()> {
    Err(FarmError::software("farm demo is not written yet"))
}
