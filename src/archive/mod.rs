//! The farm archive: `farm export`, `farm import` and `farm compact` all go through here.
//!
//! An archive is a plain POSIX (ustar) tar stream, optionally gzip-compressed (detected by the
//! gzip magic `1f 8b`, never by the file name). Its entries, in this order and nothing else:
//!
//! ```text
//! manifest.json        what follows (see [`Manifest`]); always the first entry
//! trees/000000.bin     the records of the manifest's first tree
//! trees/000001.bin     … one entry per tree, in manifest order
//! ```
//!
//! Every entry is a regular file (mode 0600). A tree entry is a *logical* dump of one tree of
//! the store: the key/value pairs in key order, each as
//!
//! ```text
//! u32 big-endian key length | key bytes | u32 big-endian value length | value bytes
//! ```
//!
//! with no header or trailer. Keys and values are exactly what the store keeps (see
//! [`crate::store`] for the tree names and key layouts); values carry their own format-version
//! byte (see [`crate::store::codec`]), so a future farm with another storage engine can read an
//! archive without sled. The manifest records, per tree, the number of records, the entry's
//! size in bytes and the SHA-1 of the entry; its `checksum` is the SHA-1 of those per-tree
//! SHA-1s, each as 40 lowercase hex digits followed by `\n`, in manifest order.
//!
//! The manifest also carries `next_id`, the next value of the database's id generator, so
//! that event sequence numbers keep growing after an import (see `reserve_ids`).
//!
//! Export streams: it walks the database twice under the farm's lock (once to count, size and
//! hash each tree, so the manifest can come first, once to write it), holding one record at a
//! time. Import never unpacks: it reads entry headers one by one with the tar crate in raw mode,
//! refuses anything but the expected regular files and sizes, checks every record (lengths
//! against [`MAX_KEY`] and [`MAX_VALUE`], key order, and known values decoded with the store
//! codec), and streams them straight into a fresh database in a staging directory next to the
//! data directory. Only after that database has been reopened and its record counts compared
//! with the manifest does it swap in, with one atomic exchange of the `db/` directories (see
//! [`Staging`]); the data directory's lock is held throughout. Compact is the same dump and
//! load connected by a pipe ([`copy`]).
//!
//! The archive code knows the store only through its logical API ([`Store::tree_names`],
//! [`Store::records`], [`Store::load_tree`], [`Store::count_records`],
//! [`crate::store::validate_record`], [`crate::store::reserve_ids`]): tree names and key/value bytes, never
//! the storage engine or the shard layout. It is split into [`manifest`] (the first entry and
//! its checks), `dump.rs` (export), `load.rs` (import into a staging directory and the check
//! of the result) and `target.rs` (the data directory's lock, staging directories, the switch
//! and backups).

mod dump;
mod load;
pub mod manifest;
mod target;

pub use dump::{dump, DumpOptions};
pub use load::load;
pub use manifest::{Manifest, TreeInfo};
pub use target::{clean_leftovers, remove_old_backups, Staging, Target};

use crate::error::{io_error, FarmError, Result};
use crate::store::{codec, Store};
use std::fs::{self, File};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// The `format` field of every manifest.
pub const FORMAT: &str = "farm-export";
/// The archive format version this farm writes, and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;
/// Path of the manifest entry, always the first in the archive.
pub const MANIFEST_PATH: &str = "manifest.json";
/// Largest manifest entry accepted (a manifest line per tree is about 150 bytes).
pub const MAX_MANIFEST: u64 = 16 << 20;
/// Most trees an archive may list.
pub const MAX_TREES: usize = 100_000;
/// Largest total of tree data an archive may declare: a sanity cap far above any real farm.
pub const MAX_TOTAL: u64 = 64 << 30;
/// Largest key of a record.
pub const MAX_KEY: u32 = 64 << 10;
/// Largest value of a record: the version byte plus the codec's limit.
pub const MAX_VALUE: u32 = codec::MAX_VALUE as u32 + 1;
/// Longest tree name.
pub const MAX_TREE_NAME: usize = 512;
/// gzip level of `farm export --gzip` (speed matters more than the last few percent).
pub const GZIP_LEVEL: u32 = 3;

/// The oldest database schema an archive may hold: the first released one. Importing it migrates
/// it (see [`crate::store::SCHEMA`]).
pub const MIN_SCHEMA: u32 = 4;

/// Page cache of the databases the archive code walks or loads (bytes). Every record is
/// touched once, so a bigger cache buys nothing but memory.
pub const CACHE: u64 = 2 << 20;

/// Progress lines on stderr once an operation has taken more than a second: at most one a
/// second (a farm of a thousand readers has a thousand trees), and the last tree always.
pub struct Progress {
    what: &'static str,
    start: Instant,
    enabled: bool,
    /// When the last line was printed.
    last: std::cell::Cell<Option<Instant>>,
}

impl Progress {
    /// Progress for `what` (`export`, `import`, `compact`), starting now.
    pub fn new(what: &'static str) -> Progress {
        Progress { what, start: Instant::now(), enabled: true, last: std::cell::Cell::new(None) }
    }

    /// No progress lines at all.
    pub fn quiet() -> Progress {
        Progress { what: "", start: Instant::now(), enabled: false, last: std::cell::Cell::new(None) }
    }

    /// A line about the next step, under the same one-second rule as the trees.
    fn step(&self, what: &str) {
        if self.enabled && self.start.elapsed().as_secs_f64() >= 1.0 {
            self.last.set(Some(Instant::now()));
            eprintln!("farm {}: {what}", self.what);
        }
    }

    fn tree(&self, n: usize, of: usize, name: &str, records: u64) {
        let now = Instant::now();
        let due = match self.last.get() {
            None => now.duration_since(self.start).as_secs_f64() >= 1.0,
            Some(last) => now.duration_since(last).as_secs_f64() >= 1.0 || n + 1 == of,
        };
        if self.enabled && due {
            self.last.set(Some(now));
            eprintln!("farm {}: tree {}/{of} {name}: {records} records", self.what, n + 1);
        }
    }
}

/// Rebuild the farm of `store` into `staging` through the same dump and load as export and
/// import, connected by a pipe (the dump runs on a second thread).
pub fn copy(store: &mut Store, staging: &Path, progress: &Progress) -> Result<Manifest> {
    let (mut reader, mut writer) = io::pipe().map_err(|e| io_error(&e, "cannot create a pipe"))?;
    let dump_failed = AtomicBool::new(false);
    std::thread::scope(|s| {
        let dumper = s.spawn(|| {
            let opts = DumpOptions { secrets: true, gzip: false };
            let r = dump(store, &mut writer, opts, &Progress::quiet());
            if r.is_err() {
                dump_failed.store(true, Ordering::SeqCst);
            }
            drop(writer);
            r
        });
        let loaded = load(&mut reader, staging, progress);
        // The dump can only fail because of the load (a closed pipe) after the load returned.
        let dump_first = dump_failed.load(Ordering::SeqCst);
        drop(reader);
        let dumped = dumper.join().unwrap_or_else(|_| Err(FarmError::software("the dump thread panicked")));
        match (dumped, loaded) {
            (Err(d), Err(_)) if dump_first => Err(d),
            (_, Err(l)) => Err(l),
            (Err(d), Ok(_)) => Err(d),
            (Ok(_), Ok(m)) => Ok(m),
        }
    })
}

/// Create a file for writing with mode 0600 (it must not exist yet).
pub fn create_private(path: &Path) -> Result<File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(target::fs_err("cannot create", path))
}

/// A size for people: `812 B`, `4.2 kB`, `46.1 MB`, `1.3 GB`.
pub fn human_bytes(n: u64) -> String {
    let f = n as f64;
    if n < 1000 {
        format!("{n} B")
    } else if f < 1e6 {
        format!("{:.1} kB", f / 1e3)
    } else if f < 1e9 {
        format!("{:.1} MB", f / 1e6)
    } else {
        format!("{:.1} GB", f / 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_for_people() {
        assert_eq!(human_bytes(812), "812 B");
        assert_eq!(human_bytes(46_100_000), "46.1 MB");
        assert_eq!(human_bytes(12_345), "12.3 kB");
    }
}
