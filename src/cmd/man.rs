//! `farm man`: the man page (roff), generated from the clap definitions, with every command and
//! subcommand's synopsis and options, then ENVIRONMENT, FILES and EXIT STATUS. It names no
//! other pages (`farm-create(1)` and the like do not exist): the commands are sections here.

use crate::cli::Cli;
use crate::error::{FarmError, Kind, Result};
use clap::CommandFactory;
use clap_mangen::Man;
use std::io::Write;

/// The files farm keeps, for FILES.
const FILES: &[(&str, &str)] = &[
    ("DIR", "the data directory (mode 0700): --db, else $FARM_DB, else $XDG_DATA_HOME/farm, else ~/.local/share/farm"),
    ("DIR/db/", "the control database (sled): bots, credentials, state, counters, logs, and a small farm's cached posts"),
    ("DIR/db/posts-NN/", "a bigger farm's 16 posts databases"),
    ("DIR/lock", "held by the one farm process using DIR"),
    ("DIR/next_due", "when the next bot is due, so a run with nothing due exits without opening the database"),
    ("DIR.backup-YYYYMMDD-HHMMSS/", "the farm replaced by the last `farm import --replace`"),
];

/// Print the man page.
pub fn run() -> Result<()> {
    let cmd = Cli::command();
    let mut out = Vec::new();
    render(&cmd, &mut out).map_err(|e| FarmError::io(format!("cannot render the man page: {e}")))?;
    crate::out::write_bytes(&out)
}

fn render(cmd: &clap::Command, out: &mut Vec<u8>) -> std::io::Result<()> {
    let man = Man::new(cmd.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    writeln!(out, ".SH COMMANDS")?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        command(sub, &format!("farm {}", sub.get_name()), out)?;
    }
    man.render_extra_section(out)?;
    writeln!(out, ".SH ENVIRONMENT")?;
    for (name, meaning) in crate::config::VARIABLES {
        item(out, name, meaning)?;
    }
    writeln!(out, ".SH FILES")?;
    for (path, meaning) in FILES {
        item(out, path, meaning)?;
    }
    writeln!(out, ".SH \"EXIT STATUS\"")?;
    item(out, "0", "success (also: nothing was due)")?;
    for kind in Kind::ALL {
        item(out, &kind.exit_code().to_string(), kind.meaning())?;
    }
    man.render_version_section(out)
}

/// One command's section: its synopsis, what it does and its options; then its subcommands
/// (`farm create reader`, `farm app set`) the same way.
fn command(sub: &clap::Command, path: &str, out: &mut Vec<u8>) -> std::io::Result<()> {
    let sub = sub.clone().bin_name(path);
    if sub.has_subcommands() {
        writeln!(out, ".SS \"{path}\"")?;
        if let Some(about) = sub.get_about() {
            writeln!(out, "{}", escape(&about.to_string()))?;
        }
        for s in sub.get_subcommands().filter(|s| !s.is_hide_set()) {
            command(s, &format!("{path} {}", s.get_name()), out)?;
        }
        return Ok(());
    }
    let man = Man::new(sub.clone()).title("farm");
    writeln!(out, ".SS \"{path}\"")?;
    if let Some(about) = sub.get_long_about().or(sub.get_about()) {
        writeln!(out, "{}", escape(&about.to_string()))?;
    }
    // clap_mangen writes these as `.SH` sections; inside COMMANDS they are sub-sections.
    let mut part = Vec::new();
    man.render_synopsis_section(&mut part)?;
    man.render_options_section(&mut part)?;
    let text = String::from_utf8_lossy(&part)
        .replace(".SH SYNOPSIS", ".PP\n\\fBUsage:\\fR")
        .replace(".SH OPTIONS", ".PP\n\\fBOptions:\\fR");
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

/// A tagged paragraph: `name` in bold, then its meaning.
fn item(out: &mut Vec<u8>, name: &str, meaning: &str) -> std::io::Result<()> {
    writeln!(out, ".TP\n\\fB{}\\fR\n{}", escape(name), escape(meaning))
}

/// Escape a line for roff: backslashes, and a leading dot or quote.
fn escape(s: &str) -> String {
    let s = s.replace('\\', "\\\\");
    s.lines()
        .map(|l| if l.starts_with('.') || l.starts_with('\'') { format!("\\&{l}") } else { l.to_string() })
        .collect::<Vec<_>>()
        .join("\n")
}
