//! `farm compact [-q]`: give disk space back. sled never shrinks its files, so the database is
//! rebuilt through the export/import path into a staging directory next to the data directory
//! and swapped in with one atomic exchange. The data directory's lock is held throughout.

use super::Globals;
use crate::archive::{self, Progress, Staging};
use crate::error::{io_error, Result};
use std::fs;

/// Run the command; `quiet` (for cron) prints nothing on success.
pub fn run(g: &Globals, quiet: bool) -> Result<()> {
    let mut store = super::export::open_farm(&g.dir, "compact")?;
    let dir =
        fs::canonicalize(&g.dir).map_err(|e| io_error(&e, &format!("cannot resolve {}", g.dir.display())))?;
    for note in archive::clean_leftovers(&dir)? {
        eprintln!("farm: {note}");
    }
    let before = crate::store::disk_usage(&dir.join("db"));
    let staging = Staging::create(&dir, "compact")?;
    let progress = if quiet { Progress::quiet() } else { Progress::new("compact") };
    archive::copy(&mut store, staging.path(), &progress)?;
    // sled holds its own lock on db/: close it, but keep the data directory's lock.
    let lock = store.close()?;
    staging.switch(&dir)?;
    drop(staging);
    let after = crate::store::disk_usage(&dir.join("db"));
    drop(lock);
    if quiet {
        return Ok(());
    }
    crate::outln!("compacted: {} → {}", archive::human_bytes(before), archive::human_bytes(after))?;
    Ok(())
}
