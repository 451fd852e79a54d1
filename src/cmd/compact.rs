//! `farm compact` (being written).

use super::Globals;
use crate::error::{FarmError, Result};

/// Run the command.
pub fn run(_g: &Globals) -> Result<()> {
    Err(FarmError::software("farm compact is not implemented yet"))
}
