//! `farm completions bash|zsh|fish`: shell completions from the clap definitions.

use crate::cli::Cli;
use crate::error::{FarmError, Result};
use clap::CommandFactory;
use std::io::Write;

/// Print completions for a shell.
pub fn run(shell: clap_complete::Shell) -> Result<()> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "farm", &mut out);
    match std::io::stdout().write_all(&out) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(FarmError::io(format!("cannot write: {e}")))
        }
        _ => Ok(()),
    }
}
