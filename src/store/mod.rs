//! The store: the only code that touches sled. It owns the on-disk format of the data
//! directory:
//!
//! ```text
//! DIR/            mode 0700
//!   lock          held (flock) by the one farm process using DIR
//!   next_due      tiny text file: Unix second when the next bot is due (lets `farm run` exit
//!                 without opening the database when nothing is due)
//!   db/           the control sled database (every tree below; the posts too while the farm
//!                 is small)
//!     posts-NN/   a big farm's cached posts, in 16 small sled databases (NN = 00…15, created
//!                 when first used); reader R's posts live in shard `fnv1a(R) % 16`
//! ```
//!
//! sled's memory and opening time grow with the size of the database opened (it reads the page
//! table of the whole database), so a big farm's posts are split: a run opens only the shards of
//! the readers it touches, and the archive code opens one shard at a time. A small farm keeps
//! them in the control database, so a run opens one database, not two (see [`layout`]).
//!
//! Control trees: `meta` (schema version, posts layout, app keys, per-reader and per-writer post
//! ordinals),
//! `bots` (name → [`Bot`](crate::model::Bot)), `state` (name →
//! [`BotState`](crate::model::BotState)), `hashes` (writer\0hash → posted-at), `rates`
//! (bot\0call → [`RateInfo`](crate::model::RateInfo)), `counters` (bot\0hour →
//! [`Counters`](crate::model::Counters)), `daily` (bot\0day →
//! [`Counters`](crate::model::Counters)), `events` (bot\0seq →
//! [`Event`](crate::model::Event)), `scores` (writer\0word → score), `replies` (writer →
//! [`ReplyState`](crate::model::ReplyState)), `follows` (reader\0spec →
//! [`Followed`](crate::model::Followed): the public accounts a reader follows). Posts trees, one per
//! reader in the control database or its shard: `posts:<reader>` (big-endian id →
//! [`CachedPost`](crate::model::CachedPost): the post and its ordinal, the reader's running
//! count of cached posts, so that a writer's backlog takes lookups instead of a walk). Every value
//! is versioned (see [`codec`]); ordinals and scores are plain big-endian numbers.
//!
//! The code is split by concept: `dir.rs` (the data directory: create, probe, lock, owner,
//! damage, next-due record), `layout.rs` (which databases hold the posts, and the move between them),
//! `posts.rs` (shards, cached posts, ordinals), `bots.rs` (bots, their state and
//! per-bot records), `counters.rs`, `meta.rs`, `migrate.rs` (older schemas) and `logical.rs` (the
//! logical dump and load the archive code uses, and the check of a record by tree).

mod bots;
pub mod codec;
mod counters;
mod dir;
mod follows;
mod formats;
pub use formats::legacy_post_v1;
mod layout;
mod logical;
mod meta;
mod migrate;
mod posts;
mod replies;
mod secrets;

pub use dir::{
    create_dir, disk_usage, effective_uid, exists, foreign_files, foreign_owner, lock_dir, private_umask,
    read_next_due, user_by_name, user_by_uid, User,
};
pub use layout::{PostsIn, INLINE_BACK, INLINE_MAX};
pub use logical::{reserve_ids, validate_record, Record, Records, TreeLoader, BOTS_TREE};
pub use posts::{shard_dir_name, shard_of, POST_SHARDS, SHARD_SEGMENT};

use crate::error::{io_error, FarmError, Result};
use codec::{decode, encode, Stored};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The schema version of the database as a whole (the set of trees and key layouts).
/// 1: everything in one sled database; 2: cached posts and ordinals in `db/posts/`;
/// 3: hourly counters kept 48 hours, rolled up into daily ones kept 35 days; 4: each cached
/// post carries its ordinal (no separate `ords` tree); 5: the posts database split into
/// [`POST_SHARDS`] shards `db/posts-NN/`; 6: a small farm's posts in the control database (the
/// meta record `posts_in`, see [`layout`]). Older farms are migrated when opened.
pub const SCHEMA: u32 = 6;
/// The page cache of a store opened by the commands (the archive code uses a smaller one).
pub const CACHE_BYTES: u64 = 8 << 20;
/// Events kept per bot.
pub const EVENTS_KEPT: usize = 500;
/// Hourly counter buckets kept per bot (for the 24-hour sparkline and `posts_24h`).
pub const COUNTER_HOURS: i64 = 48;
/// Daily counter buckets kept per bot (for the 30-day history).
pub const COUNTER_DAYS: i64 = 35;

/// An open farm database, holding the data directory's lock.
pub struct Store {
    db: sled::Db,
    /// The cached posts, in [`POST_SHARDS`] databases inside `db/`, each opened on first use:
    /// commands that never touch posts (`list`, `show`, `stats`…) stay fast and small however
    /// many posts the farm caches, and a run opens only the shards it needs.
    posts: Vec<OnceLock<sled::Db>>,
    /// Held while a posts shard opens, so two threads of one run never both open one.
    posts_opening: std::sync::Mutex<()>,
    /// Which databases hold the cached posts (see [`PostsIn`]).
    posts_in: PostsIn,
    /// Set while the shards are filled from elsewhere (an import, the migration from schema 4):
    /// the control database may then count posts in a shard not made yet, which otherwise means
    /// the shard was lost (see [`Store::shard_in_use`]).
    filling_shards: bool,
    cache_bytes: u64,
    dir: PathBuf,
    bots: sled::Tree,
    state: sled::Tree,
    hashes: sled::Tree,
    rates: sled::Tree,
    counters: sled::Tree,
    daily: sled::Tree,
    events: sled::Tree,
    meta: sled::Tree,
    scores: sled::Tree,
    replies: sled::Tree,
    follows: sled::Tree,
    /// Records the archive code has walked or loaded since the posts shards were last released
    /// (see [`RELEASE_EVERY`]).
    bulk: u64,
    /// The farm's secrets once gathered ([`Store::secrets`]), to mask them in stored messages.
    secrets: std::sync::Mutex<Option<std::sync::Arc<crate::secret::Secrets>>>,
    _lock: File,
}

/// Map a sled error to a farm error.
pub fn sled_err(e: sled::Error) -> FarmError {
    match e {
        sled::Error::Io(io) => io_error(&io, "database I/O failed"),
        sled::Error::Corruption { .. } => FarmError::data(
            "the database is damaged; restore the last `farm export` backup with `farm import --replace FILE`",
        ),
        other => FarmError::software(format!("database error: {other}")),
    }
}

fn key2(a: &str, b: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(a.len() + 1 + b.len());
    k.extend_from_slice(a.as_bytes());
    k.push(0);
    k.extend_from_slice(b);
    k
}

fn prefix(a: &str) -> Vec<u8> {
    key2(a, &[])
}

/// Flush a sled database of the farm in `dir` (the control database, or a posts shard) and
/// fsync its file. sled's flush writes with `sync_file_range`, which does not make a grown
/// file's size durable, and the fsync sled makes when a database closes cannot report a failure
/// (our patch of its `Log::drop` logs it): done here first, a failing disk is exit 74 with one
/// line, and sled's own fsync finds nothing left to write.
fn sync_db(db: &sled::Db, dir: &Path, shard: Option<usize>) -> Result<()> {
    let what = format!("cannot write the database in {}", dir.display());
    db.flush().map_err(|e| match e {
        sled::Error::Io(io) => io_error(&io, &what),
        e => sled_err(e),
    })?;
    let mut file = dir.join("db");
    if let Some(shard) = shard {
        file.push(shard_dir_name(shard));
    }
    File::open(file.join("db")).and_then(|f| f.sync_all()).map_err(|e| io_error(&e, &what))
}

/// Records the archive code reads or writes between two [`Store::release_posts`] calls. Each
/// release costs a flush and a reopen (about 20 ms with a million posts cached); 50,000 records
/// keep `farm export` and `farm import` of that farm under 64 MB (see README, benchmarks).
pub const RELEASE_EVERY: u64 = 50_000;

/// Run `open` again while it fails on sled's lock of a database directory this process has
/// just closed: sled releases it only when the last of its internal handles goes, which can lag
/// a little behind dropping the `Db` (its I/O threads and deferred frees hold some). Another
/// process cannot be the holder, as every farm process takes the data directory's lock first.
pub fn retry_locked<T>(mut open: impl FnMut() -> Result<T>) -> Result<T> {
    let start = std::time::Instant::now();
    loop {
        match open() {
            Err(e) if e.message.contains("could not acquire lock") && start.elapsed().as_secs() < 10 => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            r => return r,
        }
    }
}

/// sled's segment (and I/O buffer) size in a new control database. sled's recovery scans the
/// active segment on every open, so its size bounds what each `farm run` reads and checks:
/// with sled's default, 512 KiB, a control database holding 10,000 posts made `farm list`
/// about 1 ms slower and 0.5 MB bigger in memory than with 64 KiB (see README, benchmarks).
pub const CONTROL_SEGMENT: usize = 64 << 10;

/// sled's default segment size, which control databases created before [`CONTROL_SEGMENT`] have.
const SLED_DEFAULT_SEGMENT: usize = 512 << 10;

/// The segment size the control database in `db` was created with (sled refuses to open a
/// database with another one): from sled's `conf` file, whose first line is `segment_size: N`;
/// [`CONTROL_SEGMENT`] for a new database.
pub fn control_segment(db: &Path) -> usize {
    match std::fs::read(db.join("conf")) {
        Ok(conf) => String::from_utf8_lossy(&conf)
            .lines()
            .find_map(|l| l.strip_prefix("segment_size: ")?.trim().parse().ok())
            .unwrap_or(SLED_DEFAULT_SEGMENT),
        Err(_) => CONTROL_SEGMENT,
    }
}

/// Hand freed heap pages back to the system (glibc's `malloc_trim`). sled's opening and closing
/// free many small buffers in the middle of the heap, which glibc otherwise keeps resident.
fn give_back_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: malloc_trim only returns unused memory of the allocator to the system.
        unsafe {
            malloc_trim(0);
        }
    }
}

impl Store {
    /// Open (creating if needed) the database in `dir`, taking the directory's lock.
    pub fn open(dir: &Path) -> Result<Store> {
        Store::open_with_cache(dir, CACHE_BYTES)
    }

    /// [`Store::open`] with another page-cache size in bytes: the archive code walks or loads
    /// every record and keeps its memory down with a smaller cache.
    pub fn open_with_cache(dir: &Path, cache_bytes: u64) -> Result<Store> {
        Store::open_waiting(dir, cache_bytes, std::time::Duration::ZERO)
    }

    /// [`Store::open_with_cache`], waiting up to `wait` for another farm process (a run in
    /// progress) to let go of the data directory. The only [`Kind::TempFail`] error it returns
    /// says that another farm process holds the data directory.
    ///
    /// [`Kind::TempFail`]: crate::error::Kind::TempFail
    pub fn open_waiting(dir: &Path, cache_bytes: u64, wait: std::time::Duration) -> Result<Store> {
        create_dir(dir)?;
        let lock = dir::lock_dir_waiting(dir, wait)?;
        dir::owner_only(dir)?;
        let db = sled::Config::new()
            .path(dir.join("db"))
            .segment_size(control_segment(&dir.join("db")))
            .cache_capacity(cache_bytes)
            .flush_every_ms(None)
            .open()
            .map_err(|e| match e {
                sled::Error::Io(ref io) if io.kind() == std::io::ErrorKind::WouldBlock => {
                    dir::busy(dir, wait)
                }
                e => sled_err(e).context(format!("cannot open the database in {}", dir.display())),
            })?;
        let t = |name: &str| db.open_tree(name).map_err(sled_err);
        let mut store = Store {
            bots: t("bots")?,
            state: t("state")?,
            hashes: t("hashes")?,
            rates: t("rates")?,
            counters: t("counters")?,
            daily: t("daily")?,
            events: t("events")?,
            meta: t("meta")?,
            scores: t("scores")?,
            replies: t("replies")?,
            follows: t("follows")?,
            db,
            posts: (0..POST_SHARDS).map(|_| OnceLock::new()).collect(),
            posts_opening: std::sync::Mutex::new(()),
            posts_in: PostsIn::Shards,
            filling_shards: false,
            cache_bytes,
            dir: dir.to_path_buf(),
            bulk: 0,
            secrets: Default::default(),
            _lock: lock,
        };
        store.posts_in = store.read_posts_in()?;
        store.check_schema()?;
        Ok(store)
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Write everything to disk, durably. Called before every exit and before every network
    /// write.
    pub fn flush(&self) -> Result<()> {
        for (shard, p) in self.posts.iter().enumerate() {
            if let Some(p) = p.get() {
                sync_db(p, &self.dir, Some(shard))?;
            }
        }
        sync_db(&self.db, &self.dir, None)
    }

    /// Bytes the databases take on disk (the files of `db/`, without opening any shard).
    pub fn size_on_disk(&self) -> u64 {
        disk_usage(&self.dir.join("db"))
    }

    /// Flush and close the database but keep holding the data directory's lock, for commands
    /// that swap the database directory while no other farm process may start (`farm compact`).
    pub fn close(self) -> Result<File> {
        self.flush()?;
        Ok(self._lock)
    }

    // ---- generic helpers ----

    fn get<T: Stored>(&self, tree: &sled::Tree, key: &[u8]) -> Result<Option<T>> {
        match tree.get(key).map_err(sled_err)? {
            Some(v) => decode(&v).map(Some),
            None => Ok(None),
        }
    }

    fn put<T: Stored>(&self, tree: &sled::Tree, key: &[u8], value: &T) -> Result<()> {
        tree.insert(key, encode(value)?).map_err(sled_err)?;
        Ok(())
    }

    fn delete_prefix(tree: &sled::Tree, p: &[u8]) -> Result<usize> {
        let mut n = 0;
        for kv in tree.scan_prefix(p).keys() {
            tree.remove(kv.map_err(sled_err)?).map_err(sled_err)?;
            n += 1;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copied_sled_io_error_still_says_the_disk_is_full() {
        // Every sled error after the first is a copy of its global error.
        let e = sled::Error::Io(std::io::Error::from_raw_os_error(28));
        let copy = e.clone();
        assert_eq!(sled_err(copy).message, sled_err(e).message);
    }

    #[test]
    fn a_control_database_keeps_the_segment_size_it_was_created_with() {
        let dir = std::env::temp_dir().join(format!("farm-segment-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        // A farm created before CONTROL_SEGMENT: sled's default segment size.
        std::fs::create_dir_all(&dir).unwrap();
        drop(sled::Config::new().path(dir.join("db")).open().unwrap());
        assert_eq!(control_segment(&dir.join("db")), SLED_DEFAULT_SEGMENT);
        let store = retry_locked(|| Store::open(&dir)).unwrap();
        store.put_state("r", &crate::model::BotState { total: 7, ..Default::default() }).unwrap();
        drop(store);
        let store = retry_locked(|| Store::open(&dir)).unwrap();
        assert_eq!(store.state("r").unwrap().total, 7);
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
        // A new farm gets the smaller segments.
        drop(Store::open(&dir).unwrap());
        assert_eq!(control_segment(&dir.join("db")), CONTROL_SEGMENT);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
