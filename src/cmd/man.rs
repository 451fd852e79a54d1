//! `farm man`: the man page (roff), generated from the clap definitions.

use crate::cli::Cli;
use crate::error::{FarmError, Result};
use clap::CommandFactory;
use std::io::Write;

/// Print the man page: the main page, then each command's synopsis and options.
pub fn run() -> Result<()> {
    let cmd = Cli::command();
    let mut out = Vec::new();
    let err = |e: std::io::Error| FarmError::io(format!("cannot render the man page: {e}"));
    clap_mangen::Man::new(cmd.clone()).render(&mut out).map_err(err)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let sub = sub.clone().bin_name(format!("farm {}", sub.get_name()));
        let man = clap_mangen::Man::new(sub.clone()).title("farm");
        writeln!(out, ".SH \"{}\"", sub.get_name().to_uppercase()).map_err(err)?;
        if let Some(about) = sub.get_about() {
            writeln!(out, "{about}").map_err(err)?;
        }
        man.render_synopsis_section(&mut out).map_err(err)?;
        man.render_options_section(&mut out).map_err(err)?;
    }
    crate::out::write_bytes(&out)
}
