//! `farm completions bash|zsh|fish`: shell completions from the clap definitions.

use crate::cli::Cli;
use crate::error::Result;
use clap::CommandFactory;

/// Print completions for a shell.
pub fn run(shell: clap_complete::Shell) -> Result<()> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "farm", &mut out);
    crate::out::write_bytes(&out)
}
