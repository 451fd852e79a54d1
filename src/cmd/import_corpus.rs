//! `farm import-corpus READER FILE [--format lines|x-archive|outbox] [--dry-run]`: posts from a
//! file into a corpus reader ([`crate::bot::corpus`]), the format told by the content
//! ([`crate::corpus::detect`]) unless given.

use super::{finish, now, open_required, Globals};
use crate::bot::registry::get;
use crate::cli::ImportCorpusArgs;
use crate::corpus::Format;
use crate::error::{FarmError, Result};

/// Import a corpus file.
pub fn run(g: &Globals, a: ImportCorpusArgs) -> Result<()> {
    let now = now()?;
    let format = match a.format.as_deref() {
        Some(f) => Format::parse(f)
            .ok_or_else(|| FarmError::usage(format!("--format {f:?}: use lines, x-archive or outbox")))?,
        None => crate::corpus::detect(&a.file)?,
    };
    let mut store = open_required(&g.dir)?;
    let reader = get(&store, &a.reader)?;
    crate::bot::corpus::check_target(&reader)?;
    let result = crate::bot::corpus::import(&store, &reader, &a.file, format, a.dry_run, now);
    if !a.dry_run {
        // What was written stays (a rerun completes it): settled and flushed even on a failure.
        super::settle_layout(&mut store)?;
        finish(&store)?;
    }
    let done = result?;
    let verb = if a.dry_run { "would import" } else { "imported" };
    crate::outln!("{}: {}", reader.name, crate::bot::corpus::summary(&done, verb, done.added))
}
