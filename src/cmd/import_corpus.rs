//! `farm import-corpus READER FILE [--format lines|x-archive|outbox] [--dry-run]`: posts from a
//! file into a corpus reader ([`crate::bot::corpus`]), the format told by the content
//! ([`crate::corpus::detect`]) unless given.

use super::{finish, now, open_required, settle_layout, Globals};
use crate::bot::registry::get;
use crate::cli::ImportCorpusArgs;
use crate::corpus::Format;
use crate::error::{FarmError, Result};
use crate::store::Store;

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
    let plan = crate::bot::corpus::plan(&mut store, &reader, &a.file, format)?;
    if a.dry_run {
        let c = &plan.counts;
        return crate::outln!("{}: {}", reader.name, crate::bot::corpus::summary(c, "would import", c.added));
    }
    // Posts that take the farm past its control database go straight to the shards.
    let added = plan.counts.added;
    settle_layout(&mut store, |s| s.make_room(added))?;
    let result = crate::bot::corpus::write(&mut store, &reader, &a.file, plan, now);
    // What was written stays (a rerun completes it): settled and flushed even on a failure.
    settle_layout(&mut store, Store::settle_posts)?;
    finish(&store)?;
    let done = result?;
    crate::outln!("{}: {}", reader.name, crate::bot::corpus::summary(&done, "imported", done.added))
}
