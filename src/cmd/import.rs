//! `farm import FILE [--replace]`: load an export into the data directory.
//!
//! The archive is loaded into a staging directory next to the data directory and checked
//! there (manifest, checksums, format version, record counts of the reopened database); only
//! then is the new database switched in, with one atomic exchange. The data directory's lock is
//! held throughout, so no `farm run` starts meanwhile. The replaced farm is kept as
//! `DIR.backup-YYYYMMDD-HHMMSS` until the next successful import. A failed or killed import
//! leaves the existing farm as it was; the next import removes what it left behind.

use super::Globals;
use crate::archive::{self, Progress, Staging, Target};
use crate::cli::ImportArgs;
use crate::error::{io_error, FarmError, Result};
use std::fs::File;
use std::io::{self, IsTerminal, Read};

/// Run the command.
pub fn run(g: &Globals, a: ImportArgs) -> Result<()> {
    let input: Box<dyn Read> = if a.file == "-" {
        if io::stdin().is_terminal() {
            return Err(FarmError::usage("give the export file, or pipe it in: farm import - < farm.tar"));
        }
        Box::new(io::stdin())
    } else {
        let f = File::open(&a.file).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => FarmError::usage(format!("cannot import {}: no such file", a.file)),
            _ => io_error(&e, &format!("cannot open {}", a.file)),
        })?;
        Box::new(f)
    };
    let mut target = Target::lock(&g.dir, a.replace)?;
    let dir = target.dir().to_path_buf();
    let staging = Staging::create(&dir, "import")?;
    let m = archive::load(input, staging.path(), &Progress::new("import"))
        .map_err(|e| e.context(format!("cannot import {}", a.file)))?;
    crate::config::crash_point("import-before-switch");
    staging.switch(&dir)?;
    crate::config::crash_point("import-after-switch");
    target.keep();
    let backup = match staging.keep_old(&dir) {
        Ok(b) => b,
        Err(e) => {
            // The new farm is in place; the old one stays in the staging directory, and the
            // next import makes it a backup.
            staging.leave();
            return Err(e.context("imported, but could not keep the old farm as a backup"));
        }
    };
    drop(staging);
    if let Some(b) = &backup {
        archive::remove_old_backups(&dir, b)?;
    }
    crate::outln!(
        "imported {} bots ({} records) from {} into {}",
        m.bots(),
        m.records,
        a.file,
        dir.display()
    )?;
    if let Some(b) = &backup {
        crate::outln!("the farm it replaced is kept in {} until the next import", b.display())?;
    }
    if !m.secrets {
        crate::outln!(
            "the archive has no credentials: set them with `farm app set x` and `farm edit NAME --credentials`"
        )?;
    }
    Ok(())
}
