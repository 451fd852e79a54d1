//! The store: the only code that touches sled. It owns the on-disk format of the data
//! directory:
//!
//! ```text
//! DIR/            mode 0700
//!   lock          held (flock) by the one farm process using DIR
//!   next_due      tiny text file: Unix second when the next bot is due (lets `farm run` exit
//!                 without opening the database when nothing is due)
//!   db/           the control sled database (every tree below but the posts)
//!     posts-NN/   the cached posts, in 16 small sled databases (NN = 00…15, created when
//!                 first used); reader R's posts live in shard `fnv1a(R) % 16`
//! ```
//!
//! sled's memory and opening time grow with the size of the database opened (it reads the page
//! table of the whole database), so the posts are split: a run opens only the shards of the
//! readers it touches, and the archive code opens one shard at a time.
//!
//! Control trees: `meta` (schema version, app keys, per-reader and per-writer post ordinals),
//! `bots` (name → [`Bot`]), `state` (name → [`BotState`]), `hashes` (writer\0hash → posted-at),
//! `rates` (bot\0call → [`RateInfo`]), `counters` (bot\0hour → [`Counters`]), `daily`
//! (bot\0day → [`Counters`]), `events` (bot\0seq → [`Event`]), `scores` (writer\0word →
//! score). Posts trees, one per reader in its shard: `posts:<reader>` (big-endian id →
//! [`CachedPost`]: the post and its ordinal, the reader's running count of cached posts, so that
//! a writer's backlog takes lookups instead of a walk). Every value is versioned (see
//! [`codec`]); ordinals and scores are plain big-endian numbers.

pub mod codec;

use crate::bot::model::{AppKeys, Bot, BotState, CachedPost, Counters, Event};
use crate::error::{io_error, FarmError, Result};
use crate::net::{Call, Post, RateInfo};
use codec::{decode, encode, Stored};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The schema version of the database as a whole (the set of trees and key layouts).
/// 1: everything in one sled database; 2: cached posts and ordinals in `db/posts/`;
/// 3: hourly counters kept 48 hours, rolled up into daily ones kept 35 days; 4: each cached
/// post carries its ordinal (no separate `ords` tree); 5: the posts database split into
/// [`POST_SHARDS`] shards `db/posts-NN/`. Older farms are migrated when opened.
pub const SCHEMA: u32 = 5;
/// Events kept per bot.
pub const EVENTS_KEPT: usize = 500;
/// Hourly counter buckets kept per bot (for the 24-hour sparkline and `posts_24h`).
pub const COUNTER_HOURS: i64 = 48;
/// Daily counter buckets kept per bot (for the 30-day history).
pub const COUNTER_DAYS: i64 = 35;
/// The single posts database of schemas 2–4, inside `db/` (migrated into the shards).
const LEGACY_POSTS_DB: &str = "posts";
/// Number of posts databases (shards). Part of the on-disk format: changing it needs a migration.
pub const POST_SHARDS: usize = 16;

/// sled's segment (and I/O buffer) size in the posts shards, fixed when a shard is created:
/// sled refuses to open a database with another one, so this is part of the on-disk format
/// (changing it needs a migration, like [`POST_SHARDS`]).
/// sled's default, 512 KiB, is sized for one big database; a shard of a small farm is a few
/// MB, and each open leaves a partly filled segment behind, so smaller segments waste less disk
/// (see README, scenario 5) and memory (two I/O buffers per open database).
pub const SHARD_SEGMENT: usize = 64 << 10;

/// The shard that holds a reader's cached posts: FNV-1a of the name, modulo [`POST_SHARDS`].
pub fn shard_of(reader: &str) -> usize {
    let mut h: u32 = 0x811c_9dc5;
    for b in reader.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    (h % POST_SHARDS as u32) as usize
}

/// The directory of a posts shard inside `db/` (inside it, so one rename swaps every database).
pub fn shard_dir_name(shard: usize) -> String {
    format!("posts-{shard:02}")
}

/// An open farm database, holding the data directory's lock.
pub struct Store {
    db: sled::Db,
    /// The cached posts, in [`POST_SHARDS`] databases inside `db/`, each opened on first use:
    /// commands that never touch posts (`list`, `show`, `stats`…) stay fast and small however
    /// many posts the farm caches, and a run opens only the shards it needs.
    posts: Vec<OnceLock<sled::Db>>,
    /// Held while a posts shard opens, so two threads of one run never both open one.
    posts_opening: std::sync::Mutex<()>,
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
    _lock: File,
}

/// A tree's name as sled lists it.
fn tree_name(raw: &[u8]) -> Result<String> {
    String::from_utf8(raw.to_vec())
        .map_err(|_| FarmError::software("the database has a tree whose name is not UTF-8"))
}

/// Whether a control-database tree of schema 1 moved into the posts database in schema 2.
fn moved_by_schema_2(name: &str) -> bool {
    name.starts_with("posts:") || name == "ords"
}

/// Copy every record of `from` into `to`; returns how many.
fn copy_tree(from: &sled::Tree, to: &sled::Tree) -> Result<u64> {
    let mut n = 0;
    for kv in from.iter() {
        let (k, v) = kv.map_err(sled_err)?;
        to.insert(k, v).map_err(sled_err)?;
        n += 1;
    }
    Ok(n)
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

fn posts_tree_name(reader: &str) -> String {
    format!("posts:{reader}")
}

/// Take the data directory's lock without waiting.
pub fn lock_dir(dir: &Path) -> Result<File> {
    let path = dir.join("lock");
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| io_error(&e, &format!("cannot open {}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => {
            Err(FarmError::temp(format!("another farm process is using {}; try again later", dir.display())))
        }
        Err(fs::TryLockError::Error(e)) => Err(io_error(&e, &format!("cannot lock {}", path.display()))),
    }
}

/// Create the data directory (mode 0700) if it does not exist.
pub fn create_dir(dir: &Path) -> Result<()> {
    if probe_dir(dir)? {
        return Ok(());
    }
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| io_error(&e, &format!("cannot create the data directory {}", dir.display())))
}

/// Make every file this process creates from now on readable by its owner only (umask 077):
/// the farm binary calls it first thing, since the data directory holds tokens. Files that
/// must be readable by others (the metrics file) set their mode explicitly.
pub fn private_umask() {
    extern "C" {
        fn umask(mask: u32) -> u32;
    }
    // SAFETY: umask only sets the process's file mode creation mask; it cannot fail.
    unsafe {
        umask(0o077);
    }
}

/// Take group and other permissions off everything under `dir`, which an older farm, another
/// umask or a copy may have left: the database holds tokens, whatever mode `dir` itself has.
fn owner_only(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fn walk(path: &Path) -> std::io::Result<()> {
        for e in fs::read_dir(path)? {
            let e = e?;
            let md = e.metadata()?;
            let mode = md.permissions().mode();
            if md.is_dir() {
                if mode & 0o077 != 0 {
                    fs::set_permissions(e.path(), fs::Permissions::from_mode(mode & 0o700))?;
                }
                walk(&e.path())?;
            } else if md.is_file() && mode & 0o077 != 0 {
                fs::set_permissions(e.path(), fs::Permissions::from_mode(mode & 0o700))?;
            }
        }
        Ok(())
    }
    walk(dir).map_err(|e| io_error(&e, &format!("cannot make the files in {} private", dir.display())))
}

/// Whether the data directory exists; an error when it cannot be used at all (a file, not
/// readable by this user).
fn probe_dir(dir: &Path) -> Result<bool> {
    let md = match fs::metadata(dir) {
        Ok(md) => md,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(unusable(dir, &e)),
    };
    if !md.is_dir() {
        return Err(FarmError::config(format!(
            "{} is not a directory; point --db (or FARM_DB) at the farm's data directory",
            dir.display()
        )));
    }
    // Listing it tells whether this user may use it (wrong owner, mode 0700 of another user).
    fs::read_dir(dir).map_err(|e| unusable(dir, &e))?;
    Ok(true)
}

fn unusable(dir: &Path, e: &std::io::Error) -> FarmError {
    if e.kind() == std::io::ErrorKind::PermissionDenied {
        return FarmError::io(format!(
            "cannot read the data directory {}: permission denied; run farm as the user that owns it \
             (`ls -ld {}`), or point --db elsewhere",
            dir.display(),
            dir.display()
        ));
    }
    io_error(e, &format!("cannot read the data directory {}", dir.display()))
}

/// Whether `dir` holds a farm database. An error when `dir` cannot be used, or when it holds
/// what is left of a database whose files were deleted (never "no farm here": that would hide
/// the loss behind an empty farm).
pub fn exists(dir: &Path) -> Result<bool> {
    if !probe_dir(dir)? {
        return Ok(false);
    }
    let db = dir.join("db");
    match fs::metadata(db.join("conf")) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let leftovers = fs::read_dir(&db).map(|mut d| d.next().is_some()).unwrap_or(false);
            if leftovers || dir.join("next_due").exists() {
                Err(damaged(dir, "its db/conf file is missing"))
            } else {
                Ok(false)
            }
        }
        Err(e) => Err(unusable(dir, &e)),
    }
}

/// The error for a farm whose database files are damaged or gone.
fn damaged(dir: &Path, what: &str) -> FarmError {
    FarmError::data(format!(
        "the farm database in {} is damaged ({what}); restore the last `farm export` backup with \
         `farm import --replace FILE`",
        dir.display()
    ))
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

/// Bytes allocated on disk for `path` and, for a directory, everything under it (like `du`).
pub fn disk_usage(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let Ok(md) = fs::symlink_metadata(path) else { return 0 };
    let mut total = md.blocks() * 512;
    if md.is_dir() {
        if let Ok(entries) = fs::read_dir(path) {
            for e in entries.flatten() {
                total += disk_usage(&e.path());
            }
        }
    }
    total
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

/// The next-due record, read without opening the database: when the next bot is due
/// (`i64::MAX` when nothing is scheduled) and the time of the run that wrote it. `None` when the
/// record is missing or unreadable (the caller then opens the database and finds out).
pub fn read_next_due(dir: &Path) -> Option<(i64, i64)> {
    let s = fs::read_to_string(dir.join("next_due")).ok()?;
    let mut parts = s.split_whitespace();
    let at = match parts.next()? {
        "never" => i64::MAX,
        t => t.parse().ok()?,
    };
    let written = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some((at, written))
}

impl Store {
    /// Open (creating if needed) the database in `dir`, taking the directory's lock.
    pub fn open(dir: &Path) -> Result<Store> {
        Store::open_with_cache(dir, 8 << 20)
    }

    /// [`Store::open`] with another page-cache size in bytes: the archive code walks or loads
    /// every record and keeps its memory down with a smaller cache.
    pub fn open_with_cache(dir: &Path, cache_bytes: u64) -> Result<Store> {
        create_dir(dir)?;
        let lock = lock_dir(dir)?;
        owner_only(dir)?;
        let db = sled::Config::new()
            .path(dir.join("db"))
            .cache_capacity(cache_bytes)
            .flush_every_ms(None)
            .open()
            .map_err(|e| match e {
                sled::Error::Io(ref io) if io.kind() == std::io::ErrorKind::WouldBlock => FarmError::temp(
                    format!("another farm process is using {}; try again later", dir.display()),
                ),
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
            db,
            posts: (0..POST_SHARDS).map(|_| OnceLock::new()).collect(),
            posts_opening: std::sync::Mutex::new(()),
            cache_bytes,
            dir: dir.to_path_buf(),
            _lock: lock,
        };
        store.check_schema()?;
        Ok(store)
    }

    fn check_schema(&mut self) -> Result<()> {
        match self.meta.get("schema").map_err(sled_err)? {
            // A farm that has run before (it wrote a next-due record) always has a schema
            // record: its database file was deleted or replaced, and sled made an empty one.
            None if self.dir.join("next_due").exists() => {
                Err(damaged(&self.dir, "it has lost its schema record: the database file is gone"))
            }
            None => {
                self.meta.insert("schema", &SCHEMA.to_be_bytes()).map_err(sled_err)?;
                Ok(())
            }
            Some(v) => {
                let v = <[u8; 4]>::try_from(v.as_ref())
                    .map(u32::from_be_bytes)
                    .map_err(|_| FarmError::data("the database's schema record is damaged"))?;
                if v > SCHEMA {
                    Err(FarmError::data(format!(
                        "{} was written by a newer farm (schema {v}, this farm knows {SCHEMA}); upgrade farm",
                        self.dir.display()
                    )))
                } else if (1..SCHEMA).contains(&v) {
                    if v == 1 {
                        self.migrate_from_1()?;
                    }
                    if v <= 2 {
                        self.migrate_from_2()?;
                    }
                    if v <= 3 {
                        self.migrate_from_3()?;
                    }
                    self.migrate_from_4()
                } else if v < SCHEMA {
                    Err(FarmError::data(format!(
                        "{} has schema {v}, older than this farm can migrate ({SCHEMA})",
                        self.dir.display()
                    )))
                } else {
                    // A migration from 4 killed after its last step leaves the old copy behind.
                    self.remove_legacy_posts()
                }
            }
        }
    }

    /// Schema 1 → 2: move the cached posts and their ordinals into the (single) posts database.
    fn migrate_from_1(&self) -> Result<()> {
        let legacy = retry_locked(|| self.legacy_posts())?;
        for raw in self.db.tree_names() {
            if !moved_by_schema_2(&String::from_utf8_lossy(&raw)) {
                continue;
            }
            let from = self.db.open_tree(&raw).map_err(sled_err)?;
            copy_tree(&from, &legacy.open_tree(&raw).map_err(sled_err)?)?;
        }
        // The new layout is complete and durable before the old copy goes.
        legacy.flush().map_err(sled_err)?;
        self.meta.insert("schema", &2u32.to_be_bytes()).map_err(sled_err)?;
        self.db.flush().map_err(sled_err)?;
        for raw in self.db.tree_names() {
            if moved_by_schema_2(&String::from_utf8_lossy(&raw)) {
                self.db.drop_tree(&raw).map_err(sled_err)?;
            }
        }
        Ok(())
    }

    /// Schema 2 → 3: roll the hourly counters up into daily ones and keep 48 hours of them.
    fn migrate_from_2(&self) -> Result<()> {
        let mut latest: std::collections::HashMap<Vec<u8>, i64> = std::collections::HashMap::new();
        for kv in self.counters.iter() {
            let (k, v) = kv.map_err(sled_err)?;
            let Some(split) = k.iter().position(|&b| b == 0) else { continue };
            let (bot, hour) = (&k[..split], &k[split + 1..]);
            let Ok(hour) = <[u8; 8]>::try_from(hour).map(i64::from_be_bytes) else { continue };
            let c: Counters = decode(&v)?;
            let bot = String::from_utf8_lossy(bot).into_owned();
            self.add_bucket(&self.daily, &bot, hour.div_euclid(24), c)?;
            let e = latest.entry(bot.into_bytes()).or_insert(hour);
            *e = (*e).max(hour);
        }
        for (bot, hour) in latest {
            let bot = String::from_utf8_lossy(&bot).into_owned();
            self.drop_buckets_before(&self.counters, &bot, hour - COUNTER_HOURS)?;
        }
        self.meta.insert("schema", &3u32.to_be_bytes()).map_err(sled_err)?;
        Ok(())
    }

    /// Schema 3 → 4: store each cached post with its ordinal and drop the `ords` tree.
    fn migrate_from_3(&self) -> Result<()> {
        let pdb = retry_locked(|| self.legacy_posts())?;
        let ords = pdb.open_tree("ords").map_err(sled_err)?;
        for raw in pdb.tree_names() {
            let name = String::from_utf8_lossy(&raw).into_owned();
            let Some(reader) = name.strip_prefix("posts:") else { continue };
            let tree = pdb.open_tree(&raw).map_err(sled_err)?;
            for kv in tree.iter() {
                let (k, v) = kv.map_err(sled_err)?;
                let mut cached: CachedPost = decode(&v)?;
                if cached.ord == 0 {
                    cached.ord = ords
                        .get(key2(reader, &k))
                        .map_err(sled_err)?
                        .and_then(|o| <[u8; 8]>::try_from(o.as_ref()).ok())
                        .map(u64::from_be_bytes)
                        .unwrap_or(0);
                }
                tree.insert(&k, encode(&cached)?).map_err(sled_err)?;
            }
        }
        pdb.flush().map_err(sled_err)?;
        self.meta.insert("schema", &4u32.to_be_bytes()).map_err(sled_err)?;
        self.db.flush().map_err(sled_err)?;
        pdb.drop_tree("ords").map_err(sled_err)?;
        pdb.flush().map_err(sled_err)?;
        Ok(())
    }

    /// Schema 4 → 5: copy every reader's posts from the single posts database into its shard,
    /// then remove the single database. Killed half way, it starts again (the copies are
    /// idempotent); the old database goes only once the schema record says 5. Memory stays
    /// bounded like the archive code's: one shard open at a time, and the old database reopened
    /// between readers once [`RELEASE_EVERY`] posts were copied.
    fn migrate_from_4(&mut self) -> Result<()> {
        if self.dir.join("db").join(LEGACY_POSTS_DB).exists() {
            let mut legacy = retry_locked(|| self.legacy_posts())?;
            let mut readers: Vec<String> = legacy
                .tree_names()
                .iter()
                .filter_map(|raw| String::from_utf8_lossy(raw).strip_prefix("posts:").map(str::to_string))
                .collect();
            readers.sort_by_key(|r| (shard_of(r), r.clone()));
            let mut copied = 0;
            for reader in readers {
                let from = legacy.open_tree(posts_tree_name(&reader)).map_err(sled_err)?;
                let to = self.tree(&posts_tree_name(&reader))?;
                // A copy left by a migration killed half way may be stale (an older farm may
                // have pruned the old database since): start each reader afresh.
                to.clear().map_err(sled_err)?;
                copied += copy_tree(&from, &to)?;
                drop((from, to));
                self.note_oldest(&reader)?;
                if copied >= RELEASE_EVERY {
                    copied = 0;
                    drop(legacy);
                    self.release_posts()?;
                    legacy = retry_locked(|| self.legacy_posts())?;
                }
            }
            drop(legacy);
            // Flushed (and closed) before the schema record says 5.
            self.release_posts()?;
        }
        self.meta.insert("schema", &SCHEMA.to_be_bytes()).map_err(sled_err)?;
        self.db.flush().map_err(sled_err)?;
        self.remove_legacy_posts()
    }

    /// The single posts database of schemas 2–4 (for the migrations only).
    fn legacy_posts(&self) -> Result<sled::Db> {
        sled::Config::new()
            .path(self.dir.join("db").join(LEGACY_POSTS_DB))
            .cache_capacity(self.cache_bytes)
            .flush_every_ms(None)
            .open()
            .map_err(|e| sled_err(e).context("cannot open the posts database of an older farm to migrate it"))
    }

    /// Remove the single posts database of schema 4 once its posts are in the shards.
    fn remove_legacy_posts(&self) -> Result<()> {
        let legacy = self.dir.join("db").join(LEGACY_POSTS_DB);
        match fs::remove_dir_all(&legacy) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(io_error(&e, &format!("cannot remove {} after migrating it", legacy.display())))
            }
            _ => Ok(()),
        }
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Write everything to disk. Called before every exit and before every network write.
    pub fn flush(&self) -> Result<()> {
        for p in self.posts.iter().filter_map(OnceLock::get) {
            p.flush().map_err(sled_err)?;
        }
        self.db.flush().map_err(sled_err)?;
        Ok(())
    }

    /// Bytes the databases take on disk (the files of `db/`, without opening any shard).
    pub fn size_on_disk(&self) -> u64 {
        disk_usage(&self.dir.join("db"))
    }

    /// Whether a posts shard exists on disk (so listing and dropping need not create it).
    fn shard_exists(&self, shard: usize) -> bool {
        self.posts[shard].get().is_some() || self.dir.join("db").join(shard_dir_name(shard)).exists()
    }

    /// A posts shard, opened (and created) on first use.
    fn pdb(&self, shard: usize) -> Result<&sled::Db> {
        if let Some(p) = self.posts[shard].get() {
            return Ok(p);
        }
        let _opening = self.posts_opening.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = self.posts[shard].get() {
            return Ok(p);
        }
        // Reopening after [`Store::release_posts`] can meet the lock of the closed instance.
        let p = retry_locked(|| {
            sled::Config::new()
                .path(self.dir.join("db").join(shard_dir_name(shard)))
                .segment_size(SHARD_SEGMENT)
                .cache_capacity(self.cache_bytes)
                .flush_every_ms(None)
                .open()
                .map_err(sled_err)
        })
        .map_err(|e| e.context(format!("cannot open the posts database in {}", self.dir.display())))?;
        // Opening reads the shard's page table through short-lived buffers.
        give_back_memory();
        Ok(self.posts[shard].get_or_init(|| p))
    }

    /// The posts shard that holds a tree, `None` for trees of the control database.
    fn shard_of_tree(name: &str) -> Option<usize> {
        name.strip_prefix("posts:").map(shard_of)
    }

    /// The names of every tree of the farm, control database first, then shard by shard,
    /// sorted within each; for the archive code, which walks them in this order so that it has
    /// one shard open at a time. Every shard is closed again afterwards.
    pub fn tree_names(&mut self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for raw in self.db.tree_names() {
            let name = tree_name(&raw)?;
            // Posts trees left in the control database by a schema-1 migration killed while it
            // dropped them are dead copies (the posts live in the shards); never list them.
            if !name.starts_with("posts:") {
                names.push(name);
            }
        }
        names.sort();
        for shard in 0..POST_SHARDS {
            if !self.shard_exists(shard) {
                continue;
            }
            let mut listed = Vec::new();
            for raw in self.pdb(shard)?.tree_names() {
                let name = tree_name(&raw)?;
                // A shard's default tree is always empty; and a tree that does not belong in this
                // shard (there is none unless the directory was tampered with) would be listed
                // but not found again, so it is refused.
                if name == "__sled__default" {
                    continue;
                }
                if Self::shard_of_tree(&name) != Some(shard) {
                    return Err(FarmError::data(format!(
                        "posts shard {} holds a tree {name:?} that does not belong there",
                        shard_dir_name(shard)
                    )));
                }
                listed.push(name);
            }
            listed.sort();
            names.extend(listed);
            self.release_posts()?;
        }
        Ok(names)
    }

    /// A tree by name, in whichever database holds it; for the archive code. Any other posts
    /// shard that is open is closed first, so the archive code, which goes through the farm
    /// tree after tree, has at most one shard open.
    pub fn tree(&mut self, name: &str) -> Result<sled::Tree> {
        match Self::shard_of_tree(name) {
            None => self.db.open_tree(name).map_err(sled_err),
            Some(shard) => {
                self.close_shards(Some(shard))?;
                self.pdb(shard)?.open_tree(name).map_err(sled_err)
            }
        }
    }

    /// Flush and close every open posts shard; the next use opens it again. sled keeps the
    /// nodes it has read or written in memory well past its cache size (about 30 MB after
    /// walking a million posts, whatever the configured cache; measured for `farm export`), so
    /// the archive code, which touches every record once, calls this every [`RELEASE_EVERY`]
    /// records to keep its memory bounded. Trees of the shards opened before must be dropped
    /// first.
    pub fn release_posts(&mut self) -> Result<()> {
        self.close_shards(None)
    }

    /// Flush and close every open posts shard but `keep`, and hand the memory back.
    fn close_shards(&mut self, keep: Option<usize>) -> Result<()> {
        let mut closed = false;
        for (shard, slot) in self.posts.iter_mut().enumerate() {
            if Some(shard) == keep {
                continue;
            }
            if let Some(p) = slot.take() {
                p.flush().map_err(sled_err)?;
                drop(p);
                closed = true;
            }
        }
        if closed {
            give_back_memory();
        }
        Ok(())
    }

    /// The control database's raw sled handle (its id generator, for the archive code).
    pub fn raw(&self) -> &sled::Db {
        &self.db
    }

    /// Flush and close the database but keep holding the data directory's lock, for commands
    /// that swap the database directory while no other farm process may start (`farm compact`).
    pub fn close(self) -> Result<File> {
        self.flush()?;
        Ok(self._lock)
    }

    // ---- meta ----

    /// Flush the database, then write the next-due record atomically (temp file + rename):
    /// `at` (`None`: nothing scheduled) and `now`, the time of this run. In that order, so a
    /// record never promises more than the database on disk holds.
    pub fn write_next_due(&self, at: Option<i64>, now: i64) -> Result<()> {
        self.flush()?;
        let at = at.map_or("never".to_string(), |t| t.to_string());
        let tmp = self.dir.join("next_due.tmp");
        fs::write(&tmp, format!("{at} {now}\n"))
            .map_err(|e| io_error(&e, "cannot write the next-due record"))?;
        fs::rename(&tmp, self.dir.join("next_due"))
            .map_err(|e| io_error(&e, "cannot write the next-due record"))?;
        crate::config::crash_point("next-due-written");
        Ok(())
    }

    /// Shared app keys of a platform.
    pub fn app_keys(&self, platform: &str) -> Result<Option<AppKeys>> {
        self.get(&self.meta, format!("app:{platform}").as_bytes())
    }

    /// Store shared app keys.
    pub fn set_app_keys(&self, platform: &str, keys: &AppKeys) -> Result<()> {
        self.put(&self.meta, format!("app:{platform}").as_bytes(), keys)
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

    // ---- bots ----

    /// One bot by (normalised) name.
    pub fn bot(&self, name: &str) -> Result<Option<Bot>> {
        self.get(&self.bots, name.as_bytes())
    }

    /// Create or replace a bot's configuration.
    pub fn put_bot(&self, bot: &Bot) -> Result<()> {
        self.put(&self.bots, bot.name.as_bytes(), bot)
    }

    /// All bots, ordered by name.
    pub fn bots(&self) -> Result<Vec<Bot>> {
        self.bots.iter().values().map(|v| decode(&v.map_err(sled_err)?)).collect()
    }

    /// Remove a bot and everything the farm keeps for it.
    pub fn destroy_bot(&self, name: &str) -> Result<()> {
        self.bots.remove(name.as_bytes()).map_err(sled_err)?;
        self.state.remove(name.as_bytes()).map_err(sled_err)?;
        let p = prefix(name);
        for k in
            [key2("ord", name.as_bytes()), key2("ordmin", name.as_bytes()), key2("cord", name.as_bytes())]
        {
            self.meta.remove(k).map_err(sled_err)?;
        }
        for tree in [&self.hashes, &self.rates, &self.counters, &self.daily, &self.events, &self.scores] {
            Self::delete_prefix(tree, &p)?;
        }
        self.meta.remove(key2("ord", name.as_bytes())).map_err(sled_err)?;
        let shard = shard_of(name);
        if self.shard_exists(shard) {
            self.pdb(shard)?.drop_tree(posts_tree_name(name)).map_err(sled_err)?;
        }
        Ok(())
    }

    // ---- state ----

    /// A bot's run state (default when it never ran).
    pub fn state(&self, name: &str) -> Result<BotState> {
        Ok(self.get(&self.state, name.as_bytes())?.unwrap_or_default())
    }

    /// Save a bot's run state.
    pub fn put_state(&self, name: &str, st: &BotState) -> Result<()> {
        self.put(&self.state, name.as_bytes(), st)
    }

    // ---- cached posts ----

    fn posts_tree(&self, reader: &str) -> Result<sled::Tree> {
        self.pdb(shard_of(reader))?.open_tree(posts_tree_name(reader)).map_err(sled_err)
    }

    fn meta_u64(&self, key: &[u8]) -> Result<Option<u64>> {
        Ok(self
            .meta
            .get(key)
            .map_err(sled_err)?
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map(u64::from_be_bytes))
    }

    /// The ordinal stored with a cached post (0 for posts cached before ordinals existed).
    fn ordinal_of(value: &[u8]) -> Result<u64> {
        decode::<CachedPost>(value).map(|c| c.ord)
    }

    /// Remember the ordinal of the oldest post a reader still caches (for backlogs without
    /// opening the posts database).
    fn note_oldest(&self, reader: &str) -> Result<()> {
        let tree = self.posts_tree(reader)?;
        let oldest = match tree.first().map_err(sled_err)? {
            Some((_, v)) => Some(Self::ordinal_of(&v)?).filter(|o| *o > 0),
            None => None,
        };
        let ord = oldest.unwrap_or_else(|| {
            self.meta_u64(&key2("ord", reader.as_bytes())).ok().flatten().unwrap_or(0) + 1
        });
        self.meta.insert(key2("ordmin", reader.as_bytes()), &ord.to_be_bytes()).map_err(sled_err)?;
        Ok(())
    }

    /// Record how far a writer has consumed its reader's posts, as an ordinal, so backlogs need
    /// no posts database. Called after every writer run.
    pub fn note_consumed(&self, writer: &str, reader: &str, consumed: u64) -> Result<()> {
        // The newest cached post at or before `consumed` gives the ordinal.
        let tree = self.posts_tree(reader)?;
        let ord = match tree.range(..=consumed.to_be_bytes()).next_back() {
            Some(kv) => Self::ordinal_of(&kv.map_err(sled_err)?.1)?,
            None => 0,
        };
        self.meta.insert(key2("cord", writer.as_bytes()), &ord.to_be_bytes()).map_err(sled_err)?;
        Ok(())
    }

    /// Cache posts for a reader; returns how many were new. New posts get the reader's next
    /// ordinals (in id order), stored with them; posts already cached are left as they are.
    pub fn add_posts(&self, reader: &str, posts: &[Post]) -> Result<usize> {
        let tree = self.posts_tree(reader)?;
        let mut fresh: Vec<&Post> = Vec::new();
        for p in posts {
            if !tree.contains_key(p.id.to_be_bytes()).map_err(sled_err)? {
                fresh.push(p);
            }
        }
        fresh.sort_by_key(|p| p.id);
        fresh.dedup_by_key(|p| p.id);
        if fresh.is_empty() {
            return Ok(0);
        }
        let counter = key2("ord", reader.as_bytes());
        let mut next = self.meta_u64(&counter)?.unwrap_or(0);
        let mut batch = sled::Batch::default();
        for p in &fresh {
            next += 1;
            let cached = CachedPost { ord: next, post: (*p).clone() };
            batch.insert(&p.id.to_be_bytes(), encode(&cached)?);
        }
        tree.apply_batch(batch).map_err(sled_err)?;
        self.meta.insert(counter, &next.to_be_bytes()).map_err(sled_err)?;
        if self.meta_u64(&key2("ordmin", reader.as_bytes()))?.is_none() {
            self.note_oldest(reader)?;
        }
        Ok(fresh.len())
    }

    /// A writer's backlog: how many of its reader's cached posts it has not consumed yet, from
    /// three small records in the control database (the reader's newest and oldest ordinals,
    /// the writer's consumed ordinal), so `farm stats` never opens the posts database. Exact as
    /// long as retention drops posts from the old end, which it does.
    pub fn backlog(&self, writer: &str, reader: &str) -> Result<u64> {
        let newest = self.meta_u64(&key2("ord", reader.as_bytes()))?.unwrap_or(0);
        let oldest = self.meta_u64(&key2("ordmin", reader.as_bytes()))?.unwrap_or(1);
        let consumed = self.meta_u64(&key2("cord", writer.as_bytes()))?.unwrap_or(0);
        Ok(newest.saturating_sub(consumed.max(oldest.saturating_sub(1))))
    }

    /// Up to `limit` cached posts with id greater than `after`, oldest first.
    pub fn posts_after(&self, reader: &str, after: u64, limit: usize) -> Result<Vec<Post>> {
        let tree = self.posts_tree(reader)?;
        let start = after.checked_add(1).map(|v| v.to_be_bytes());
        let iter = match start {
            Some(s) => tree.range(s..),
            None => return Ok(Vec::new()),
        };
        iter.values()
            .take(limit)
            .map(|v| decode::<CachedPost>(&v.map_err(sled_err)?).map(|c| c.post))
            .collect()
    }

    /// The newest `limit` cached posts, oldest first (a Markov corpus).
    pub fn recent_posts(&self, reader: &str, limit: usize) -> Result<Vec<Post>> {
        let tree = self.posts_tree(reader)?;
        let mut out = Vec::new();
        for v in tree.iter().values().rev().take(limit) {
            out.push(decode::<CachedPost>(&v.map_err(sled_err)?)?.post);
        }
        out.reverse();
        Ok(out)
    }

    /// Retention of a reader's cached posts: delete them from the oldest while `drop(post)` is
    /// true, then the oldest beyond `max_count`. Returns (removed, remaining). Only the posts
    /// dropped and the first one kept are decoded, and the remaining ones are counted by their
    /// ordinals, not walked: a run with nothing to drop costs two lookups, however many are
    /// cached. A post out of time order waits until the ones before it go.
    pub fn prune_posts(
        &self,
        reader: &str,
        max_count: usize,
        drop: impl Fn(&Post) -> bool,
    ) -> Result<(u64, u64)> {
        let tree = self.posts_tree(reader)?;
        let mut removed = 0;
        for kv in tree.iter() {
            let (k, v) = kv.map_err(sled_err)?;
            if !drop(&decode::<CachedPost>(&v)?.post) {
                break;
            }
            tree.remove(&k).map_err(sled_err)?;
            removed += 1;
        }
        let mut left = self.cached_count(&tree, reader)?;
        while left > max_count as u64 {
            if tree.pop_min().map_err(sled_err)?.is_none() {
                left = 0;
                break;
            }
            removed += 1;
            left -= 1;
        }
        self.note_oldest(reader)?;
        Ok((removed, left))
    }

    /// How many posts a reader caches: its newest ordinal minus the oldest cached post's, plus
    /// one (posts are only ever added at the new end and dropped from the old end). Counted
    /// by walking the tree only for posts cached before ordinals existed.
    fn cached_count(&self, tree: &sled::Tree, reader: &str) -> Result<u64> {
        let newest = self.meta_u64(&key2("ord", reader.as_bytes()))?.unwrap_or(0);
        match tree.first().map_err(sled_err)? {
            None => Ok(0),
            Some((_, v)) => match Self::ordinal_of(&v)? {
                first if first > 0 && first <= newest => Ok(newest - first + 1),
                _ => Ok(tree.len() as u64),
            },
        }
    }

    // ---- dedup hashes ----

    /// Whether the writer already posted a text with this hash.
    pub fn has_hash(&self, writer: &str, hash: u64) -> Result<bool> {
        self.hashes.contains_key(key2(writer, &hash.to_be_bytes())).map_err(sled_err)
    }

    /// Remember that the writer posted a text with this hash.
    pub fn add_hash(&self, writer: &str, hash: u64, at: i64) -> Result<()> {
        self.hashes.insert(key2(writer, &hash.to_be_bytes()), &at.to_be_bytes()).map_err(sled_err)?;
        Ok(())
    }

    /// Number of hashes a writer has.
    pub fn hash_count(&self, writer: &str) -> Result<u64> {
        Ok(self.hashes.scan_prefix(prefix(writer)).keys().count() as u64)
    }

    // ---- rate limits ----

    /// Stored rate-limit state of a bot's call.
    pub fn rate(&self, bot: &str, call: Call) -> Result<Option<RateInfo>> {
        self.get(&self.rates, &key2(bot, call.name().as_bytes()))
    }

    /// Store a rate-limit observation.
    pub fn put_rate(&self, bot: &str, info: &RateInfo) -> Result<()> {
        self.put(&self.rates, &key2(bot, info.call.name().as_bytes()), info)
    }

    /// All stored rate-limit states of a bot.
    pub fn rates(&self, bot: &str) -> Result<Vec<RateInfo>> {
        self.rates.scan_prefix(prefix(bot)).values().map(|v| decode(&v.map_err(sled_err)?)).collect()
    }

    // ---- counters ----

    /// Add to a bot's counters for the hour and the day containing `at`. Hourly buckets are
    /// kept [`COUNTER_HOURS`], daily ones [`COUNTER_DAYS`]: a few dozen records per bot.
    pub fn count(&self, bot: &str, at: i64, add: Counters) -> Result<()> {
        let hour = at.div_euclid(3600);
        if self.add_bucket(&self.counters, bot, hour, add)? {
            self.drop_buckets_before(&self.counters, bot, hour - COUNTER_HOURS)?;
        }
        let day = at.div_euclid(86_400);
        if self.add_bucket(&self.daily, bot, day, add)? {
            self.drop_buckets_before(&self.daily, bot, day - COUNTER_DAYS)?;
        }
        Ok(())
    }

    /// Add to one bucket; true when the bucket is new.
    fn add_bucket(&self, tree: &sled::Tree, bot: &str, n: i64, add: Counters) -> Result<bool> {
        let k = key2(bot, &n.to_be_bytes());
        let mut c: Counters = self.get(tree, &k)?.unwrap_or_default();
        let fresh = c == Counters::default();
        c += add;
        self.put(tree, &k, &c)?;
        Ok(fresh)
    }

    fn drop_buckets_before(&self, tree: &sled::Tree, bot: &str, n: i64) -> Result<()> {
        let cut = key2(bot, &n.to_be_bytes());
        for kv in tree.range(prefix(bot)..cut).keys() {
            tree.remove(kv.map_err(sled_err)?).map_err(sled_err)?;
        }
        Ok(())
    }

    fn buckets(tree: &sled::Tree, bot: &str, since: i64) -> Result<Vec<(i64, Counters)>> {
        let p = prefix(bot);
        let mut out = Vec::new();
        for kv in tree.range(key2(bot, &since.max(0).to_be_bytes())..) {
            let (k, v) = kv.map_err(sled_err)?;
            if !k.starts_with(&p) {
                break;
            }
            let n = <[u8; 8]>::try_from(&k[p.len()..]).map(i64::from_be_bytes).unwrap_or(0);
            out.push((n, decode(&v)?));
        }
        Ok(out)
    }

    /// A bot's counters per hour (hour number = Unix seconds / 3600) from `since_hour` on.
    pub fn counters(&self, bot: &str, since_hour: i64) -> Result<Vec<(i64, Counters)>> {
        Self::buckets(&self.counters, bot, since_hour)
    }

    /// A bot's counters per day (day number = Unix seconds / 86400) from `since_day` on.
    pub fn daily(&self, bot: &str, since_day: i64) -> Result<Vec<(i64, Counters)>> {
        Self::buckets(&self.daily, bot, since_day)
    }

    // ---- events ----

    /// Append an event to a bot's log (keeps the newest [`EVENTS_KEPT`]).
    pub fn log(&self, bot: &str, at: i64, kind: &str, message: &str) -> Result<()> {
        let seq = self.db.generate_id().map_err(sled_err)?;
        let ev = Event { at, kind: kind.to_string(), message: message.to_string() };
        self.put(&self.events, &key2(bot, &seq.to_be_bytes()), &ev)?;
        // Trim about every 32nd append. sled's id generator jumps on every reopen, so a plain
        // `seq % N` would hit the same few bots run after run and let the others grow.
        if seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 59 == 0 {
            let p = prefix(bot);
            let keys: Vec<_> = self.events.scan_prefix(&p).keys().rev().skip(EVENTS_KEPT).collect();
            for k in keys {
                self.events.remove(k.map_err(sled_err)?).map_err(sled_err)?;
            }
        }
        Ok(())
    }

    /// The newest `n` events of a bot, oldest first.
    pub fn events(&self, bot: &str, n: usize) -> Result<Vec<Event>> {
        let mut out: Vec<Event> = Vec::new();
        for v in self.events.scan_prefix(prefix(bot)).values().rev().take(n) {
            out.push(decode(&v.map_err(sled_err)?)?);
        }
        out.reverse();
        Ok(out)
    }

    // ---- analyzer scores ----

    /// Set the score of a word or phrase for a writer.
    pub fn set_score(&self, writer: &str, word: &str, score: i64) -> Result<()> {
        self.scores.insert(key2(writer, word.as_bytes()), &score.to_be_bytes()).map_err(sled_err)?;
        Ok(())
    }

    /// All scores of a writer.
    pub fn scores(&self, writer: &str) -> Result<Vec<(String, i64)>> {
        let p = prefix(writer);
        let mut out = Vec::new();
        for kv in self.scores.scan_prefix(&p) {
            let (k, v) = kv.map_err(sled_err)?;
            let word = String::from_utf8_lossy(&k[p.len()..]).into_owned();
            let score = <[u8; 8]>::try_from(v.as_ref()).map(i64::from_be_bytes).unwrap_or(0);
            out.push((word, score));
        }
        Ok(out)
    }

    /// Remove all scores of a writer.
    pub fn clear_scores(&self, writer: &str) -> Result<()> {
        Self::delete_prefix(&self.scores, &prefix(writer)).map(|_| ())
    }
}
