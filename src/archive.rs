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
//! Every entry is a regular file (mode 0600). A tree entry is a *logical* dump of one sled
//! tree: the key/value pairs in key order, each as
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

use crate::bot::model::{normalize_name, AppKeys, Bot, BotState, CachedPost, Counters, Event};
use crate::error::{io_error, FarmError, Result};
use crate::net::{Credentials, RateInfo};
use crate::store::codec::{self, decode, encode};
use crate::store::{self, sled_err, Store, RELEASE_EVERY};
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::ops::Bound;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
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
/// it (see [`store::SCHEMA`]).
pub const MIN_SCHEMA: u32 = 4;

/// Page cache of the databases the archive code walks or loads (bytes). Every record is
/// touched once, so a bigger cache buys nothing but memory.
pub const CACHE: u64 = 2 << 20;

/// Name of the marker file that tells a staging directory from anything else.
const MARKER: &str = ".farm-staging";
/// Size of the tar blocks.
const BLOCK: u64 = 512;

/// The first entry of an archive: what it holds and how to check it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The archive format version ([`FORMAT_VERSION`] when written by this farm).
    pub format_version: u32,
    /// The version of farm that wrote it.
    pub farm_version: String,
    /// The database schema version ([`store::SCHEMA`]) of the data.
    pub schema: u32,
    /// When it was written (RFC 3339, UTC).
    pub created_at: String,
    /// Whether credentials and app keys are included (`false` for `--no-secrets`).
    pub secrets: bool,
    /// The next value of the database's id generator (event sequence numbers continue from
    /// here after an import).
    pub next_id: u64,
    /// Records in all trees.
    pub records: u64,
    /// Bytes of all tree entries.
    pub bytes: u64,
    /// `sha1:` and the SHA-1 of the per-tree SHA-1s (see the module docs).
    pub checksum: String,
    /// The trees, in archive order.
    pub trees: Vec<TreeInfo>,
}

/// One tree of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeInfo {
    /// The tree's name in the store (`bots`, `posts:news`, …).
    pub name: String,
    /// The archive entry holding its records (`trees/000000.bin`, …).
    pub file: String,
    /// How many records.
    pub records: u64,
    /// Size of the entry in bytes.
    pub bytes: u64,
    /// SHA-1 of the entry, 40 lowercase hex digits.
    pub sha1: String,
}

impl Manifest {
    /// Records in the `bots` tree: the number of bots.
    pub fn bots(&self) -> u64 {
        self.trees.iter().find(|t| t.name == "bots").map_or(0, |t| t.records)
    }
}

/// What `dump` writes.
#[derive(Debug, Clone, Copy)]
pub struct DumpOptions {
    /// Include credentials and app keys.
    pub secrets: bool,
    /// Compress with gzip.
    pub gzip: bool,
}

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

fn entry_name(index: usize) -> String {
    format!("trees/{index:06}.bin")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn manifest_checksum(trees: &[TreeInfo]) -> String {
    let mut h = Sha1::new();
    for t in trees {
        h.update(t.sha1.as_bytes());
        h.update(b"\n");
    }
    format!("sha1:{}", hex(&h.finalize()))
}

fn write_err(e: io::Error) -> FarmError {
    io_error(&e, "cannot write the archive")
}

// ---------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------

/// A value as it goes into the archive: `None` drops the record (`--no-secrets` drops app keys,
/// and blanks bots' credentials by decoding and re-encoding them with the store codec).
fn export_value<'a>(tree: &str, key: &[u8], value: &'a [u8], secrets: bool) -> Result<Option<Cow<'a, [u8]>>> {
    if secrets {
        return Ok(Some(Cow::Borrowed(value)));
    }
    match tree {
        "bots" => {
            let mut bot: Bot = decode(value)?;
            bot.creds = Credentials::default();
            Ok(Some(Cow::Owned(encode(&bot)?)))
        }
        "meta" if key.starts_with(b"app:") => Ok(None),
        _ => Ok(Some(Cow::Borrowed(value))),
    }
}

/// Walk one tree's exported records in key order. `read` counts the records read since the
/// posts shards were last released; at [`RELEASE_EVERY`] they are released, and the walk goes on
/// after the last key in the reopened database.
fn walk(
    store: &mut Store,
    name: &str,
    secrets: bool,
    read: &mut u64,
    mut f: impl FnMut(&[u8], &[u8]) -> Result<()>,
) -> Result<()> {
    let mut last: Option<sled::IVec> = None;
    loop {
        let tree = store.tree(name)?;
        let iter = match &last {
            None => tree.iter(),
            Some(k) => tree.range::<&[u8], _>((Bound::Excluded(k.as_ref()), Bound::Unbounded)),
        };
        for kv in iter {
            let (k, v) = kv.map_err(sled_err)?;
            if let Some(v) = export_value(name, &k, &v, secrets)? {
                if k.len() > MAX_KEY as usize || v.len() > MAX_VALUE as usize {
                    return Err(FarmError::software(format!(
                        "a record of tree {name} is too large to export ({} + {} bytes)",
                        k.len(),
                        v.len()
                    )));
                }
                f(&k, &v)?;
            }
            last = Some(k);
            *read += 1;
            if *read >= RELEASE_EVERY {
                break;
            }
        }
        drop(tree);
        // The loop stops early only at the release point; otherwise the tree is done.
        if *read < RELEASE_EVERY {
            return Ok(());
        }
        *read = 0;
        store.release_posts()?;
    }
}

fn record_header(len: usize) -> [u8; 4] {
    (len as u32).to_be_bytes()
}

fn tar_header(path: &str, size: u64, mtime: u64) -> Result<tar::Header> {
    let mut h = tar::Header::new_ustar();
    h.set_path(path).map_err(|e| FarmError::software(format!("bad archive path {path}: {e}")))?;
    h.set_size(size);
    h.set_mode(0o600);
    h.set_mtime(mtime);
    h.set_uid(0);
    h.set_gid(0);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    Ok(h)
}

fn pad(w: &mut impl Write, size: u64) -> Result<()> {
    let rem = (size % BLOCK) as usize;
    if rem != 0 {
        w.write_all(&[0u8; BLOCK as usize][rem..]).map_err(write_err)?;
    }
    Ok(())
}

/// Write the whole farm as an archive to `out`, holding one record at a time. The caller holds
/// the farm's lock (an open [`Store`] does), so the two passes see the same data.
pub fn dump(
    store: &mut Store,
    out: &mut dyn Write,
    opts: DumpOptions,
    progress: &Progress,
) -> Result<Manifest> {
    if opts.gzip {
        let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::new(GZIP_LEVEL));
        let m = dump_plain(store, &mut gz, opts.secrets, progress)?;
        gz.finish().map_err(write_err)?;
        Ok(m)
    } else {
        dump_plain(store, out, opts.secrets, progress)
    }
}

fn dump_plain(
    store: &mut Store,
    out: &mut dyn Write,
    secrets: bool,
    progress: &Progress,
) -> Result<Manifest> {
    let names = store.tree_names()?;
    let now = crate::clock::now()?;
    let next_id = store.raw().generate_id().map_err(sled_err)?;

    // Pass 1: count, size and hash every tree, so the manifest can come first.
    let mut read = 0;
    let mut trees = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let mut h = Sha1::new();
        let (mut records, mut bytes) = (0u64, 0u64);
        walk(store, name, secrets, &mut read, |k, v| {
            h.update(record_header(k.len()));
            h.update(k);
            h.update(record_header(v.len()));
            h.update(v);
            records += 1;
            bytes += 8 + k.len() as u64 + v.len() as u64;
            Ok(())
        })?;
        trees.push(TreeInfo {
            name: name.clone(),
            file: entry_name(i),
            records,
            bytes,
            sha1: hex(&h.finalize()),
        });
    }
    let manifest = Manifest {
        format: FORMAT.to_string(),
        format_version: FORMAT_VERSION,
        farm_version: env!("CARGO_PKG_VERSION").to_string(),
        schema: store::SCHEMA,
        created_at: crate::clock::format(now),
        secrets,
        next_id,
        records: trees.iter().map(|t| t.records).sum(),
        bytes: trees.iter().map(|t| t.bytes).sum(),
        checksum: manifest_checksum(&trees),
        trees,
    };

    // Pass 2: write.
    let mtime = now.max(0) as u64;
    let mut w = BufWriter::with_capacity(1 << 18, out);
    let json = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| FarmError::software(format!("cannot encode the manifest: {e}")))?;
    w.write_all(tar_header(MANIFEST_PATH, json.len() as u64, mtime)?.as_bytes()).map_err(write_err)?;
    w.write_all(&json).map_err(write_err)?;
    pad(&mut w, json.len() as u64)?;
    for (i, t) in manifest.trees.iter().enumerate() {
        w.write_all(tar_header(&t.file, t.bytes, mtime)?.as_bytes()).map_err(write_err)?;
        let (mut records, mut bytes) = (0u64, 0u64);
        walk(store, &t.name, secrets, &mut read, |k, v| {
            records += 1;
            bytes += 8 + k.len() as u64 + v.len() as u64;
            if bytes > t.bytes {
                return Err(FarmError::software("the database changed during the export"));
            }
            w.write_all(&record_header(k.len())).map_err(write_err)?;
            w.write_all(k).map_err(write_err)?;
            w.write_all(&record_header(v.len())).map_err(write_err)?;
            w.write_all(v).map_err(write_err)
        })?;
        if records != t.records || bytes != t.bytes {
            return Err(FarmError::software("the database changed during the export"));
        }
        pad(&mut w, t.bytes)?;
        progress.tree(i, manifest.trees.len(), &t.name, t.records);
    }
    // The end of the archive: two zero blocks.
    w.write_all(&[0u8; 2 * BLOCK as usize]).map_err(write_err)?;
    w.flush().map_err(write_err)?;
    Ok(manifest)
}

// ---------------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------------

fn damaged(e: io::Error) -> FarmError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        return FarmError::data("the archive is truncated");
    }
    FarmError::data(format!("the archive is damaged or truncated ({})", quoted(&e.to_string())))
}

/// A message from the tar or gzip reader, which may quote the bytes it choked on: printable and
/// at most 80 characters.
fn quoted(text: &str) -> String {
    let text = crate::error::printable(text);
    match text.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// Check one entry's header: a safe, new path and a regular file. Returns the path.
fn check_entry<R: Read>(entry: &tar::Entry<'_, R>, seen: &mut HashSet<Vec<u8>>) -> Result<String> {
    let path = entry.path_bytes().into_owned();
    let shown = String::from_utf8_lossy(&path).into_owned();
    if path.starts_with(b"/") {
        return Err(FarmError::data(format!("the archive has an absolute path {shown:?}; refused")));
    }
    if path.split(|&b| b == b'/').any(|part| part == b"..") {
        return Err(FarmError::data(format!("the archive has a path with '..' ({shown:?}); refused")));
    }
    let kind = entry.header().entry_type();
    let refused = match kind {
        tar::EntryType::Regular => None,
        tar::EntryType::Symlink => Some("a symbolic link"),
        tar::EntryType::Link => Some("a hard link"),
        tar::EntryType::Char | tar::EntryType::Block => Some("a device"),
        tar::EntryType::Fifo => Some("a FIFO"),
        tar::EntryType::Directory => Some("a directory"),
        _ => Some("an unsupported entry type"),
    };
    if let Some(what) = refused {
        return Err(FarmError::data(format!("the archive entry {shown:?} is {what}; refused")));
    }
    if !seen.insert(path) {
        return Err(FarmError::data(format!("the archive has a duplicate entry {shown:?}; refused")));
    }
    Ok(shown)
}

/// Check a manifest before anything is loaded.
fn check_manifest(m: &Manifest) -> Result<()> {
    if m.schema > store::SCHEMA {
        return Err(FarmError::data(format!(
            "the archive holds a newer database (schema {}, this farm knows {}); upgrade farm",
            m.schema,
            store::SCHEMA
        )));
    }
    // Schemas 1–3 were never released; their posts trees had other shapes.
    if m.schema < MIN_SCHEMA {
        return Err(FarmError::data(format!(
            "the archive holds a database of schema {}, from a development build of farm; \
             this farm imports schema {MIN_SCHEMA} and later",
            m.schema
        )));
    }
    if m.trees.len() > MAX_TREES {
        return Err(FarmError::data(format!("the manifest lists {} trees; refused", m.trees.len())));
    }
    let mut names = HashSet::new();
    let (mut records, mut bytes) = (0u64, 0u64);
    for (i, t) in m.trees.iter().enumerate() {
        let bad = |why: &str| FarmError::data(format!("the manifest is invalid: tree {:?} {why}", t.name));
        if t.name.is_empty() || t.name.len() > MAX_TREE_NAME || t.name.chars().any(char::is_control) {
            return Err(bad("has a bad name"));
        }
        if !names.insert(t.name.as_str()) {
            return Err(bad("is listed twice"));
        }
        if t.file != entry_name(i) {
            return Err(bad("has an unexpected file name"));
        }
        if t.bytes > MAX_TOTAL || t.records > t.bytes / 8 {
            return Err(bad(&format!(
                "declares an impossible size ({} records, {} bytes)",
                t.records, t.bytes
            )));
        }
        if t.sha1.len() != 40 || !t.sha1.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(bad("has a bad checksum"));
        }
        records += t.records;
        bytes += t.bytes;
        if bytes > MAX_TOTAL {
            return Err(FarmError::data(format!(
                "the manifest declares more than {} GiB of data; refused",
                MAX_TOTAL >> 30
            )));
        }
    }
    if records != m.records || bytes != m.bytes {
        return Err(FarmError::data("the manifest is invalid: its totals do not add up"));
    }
    if manifest_checksum(&m.trees) != m.checksum {
        return Err(FarmError::data("the manifest's checksum does not match; the archive is damaged"));
    }
    Ok(())
}

fn parse_manifest(bytes: &[u8]) -> Result<Manifest> {
    #[derive(Deserialize)]
    struct Probe {
        format: Option<String>,
        format_version: Option<u32>,
    }
    let not_ours = || FarmError::data("not a farm export: the manifest is not a farm manifest");
    let probe: Probe = serde_json::from_slice(bytes).map_err(|_| not_ours())?;
    if probe.format.as_deref() != Some(FORMAT) {
        return Err(not_ours());
    }
    match probe.format_version {
        Some(v) if v > FORMAT_VERSION => {
            return Err(FarmError::data(format!(
                "the archive was written by a newer farm (archive format {v}; this farm reads up to {FORMAT_VERSION}); upgrade farm"
            )))
        }
        Some(v) if v >= 1 => {}
        _ => return Err(not_ours()),
    }
    let m: Manifest = serde_json::from_slice(bytes)
        .map_err(|e| FarmError::data(format!("the manifest is invalid ({})", quoted(&e.to_string()))))?;
    check_manifest(&m)?;
    Ok(m)
}

/// Check that a record's value decodes as what the store keeps in that tree (with the codec's
/// size limit), so that a damaged or forged archive is refused here and not by a later run.
fn check_value(tree: &str, key: &[u8], value: &[u8]) -> Result<()> {
    match tree {
        "bots" => {
            let bot: Bot = decode(value)?;
            let valid = normalize_name(&bot.name).is_ok_and(|n| n == bot.name);
            if !valid || bot.name.as_bytes() != key {
                return Err(FarmError::data(format!("bot {:?} has a bad name or key", bot.name)));
            }
        }
        "state" => drop(decode::<BotState>(value)?),
        "events" => drop(decode::<Event>(value)?),
        "counters" => drop(decode::<Counters>(value)?),
        "rates" => drop(decode::<RateInfo>(value)?),
        "meta" if key.starts_with(b"app:") => drop(decode::<AppKeys>(value)?),
        "daily" => drop(decode::<Counters>(value)?),
        t if t.starts_with("posts:") => {
            let post = decode::<CachedPost>(value)?.post;
            if key != post.id.to_be_bytes() {
                return Err(FarmError::data(format!("cached post {} is stored under another key", post.id)));
            }
        }
        _ => {}
    }
    Ok(())
}

fn read_len(r: &mut impl Read, left: &mut u64, max: u32, what: &str) -> Result<usize> {
    if *left < 4 {
        return Err(FarmError::data("a record is cut short"));
    }
    let mut b = [0u8; 4];
    r.read_exact(&mut b).map_err(damaged)?;
    *left -= 4;
    let n = u32::from_be_bytes(b);
    if n > max {
        return Err(FarmError::data(format!("a record has a {what} of {n} bytes (the limit is {max})")));
    }
    if u64::from(n) > *left {
        return Err(FarmError::data("a record runs past the end of its entry"));
    }
    *left -= u64::from(n);
    Ok(n as usize)
}

fn read_into(r: &mut impl Read, buf: &mut Vec<u8>, n: usize) -> Result<()> {
    buf.clear();
    buf.resize(n, 0);
    r.read_exact(buf).map_err(damaged)
}

/// Stream one tree entry into its tree of `store`, checking every record, the count and the
/// checksum. `written` counts the records written since the posts shards were last released;
/// at [`RELEASE_EVERY`] they are released and the tree reopened. Only this tree's shard is kept
/// open: an archive written in store order (every archive of schema 5) moves from shard to shard
/// once; one of schema 4 lists its trees by name and makes the loader reopen shards more often
/// (slower, never bigger).
fn load_tree(entry: &mut impl Read, store: &mut Store, t: &TreeInfo, written: &mut u64) -> Result<()> {
    let mut tree = store.tree(&t.name)?;
    let mut r = BufReader::with_capacity(1 << 16, entry);
    let mut left = t.bytes;
    let mut h = Sha1::new();
    let mut records = 0u64;
    let (mut key, mut value, mut prev) = (Vec::new(), Vec::new(), Vec::new());
    while left > 0 {
        let klen = read_len(&mut r, &mut left, MAX_KEY, "key")?;
        read_into(&mut r, &mut key, klen)?;
        let vlen = read_len(&mut r, &mut left, MAX_VALUE, "value")?;
        read_into(&mut r, &mut value, vlen)?;
        records += 1;
        if records > t.records {
            return Err(FarmError::data("it has more records than the manifest says"));
        }
        if records > 1 && key <= prev {
            return Err(FarmError::data("its keys are out of order or repeated"));
        }
        h.update(record_header(klen));
        h.update(&key);
        h.update(record_header(vlen));
        h.update(&value);
        check_value(&t.name, &key, &value)?;
        // One insert at a time: sled's batches grow its memory by orders of magnitude here.
        tree.insert(key.as_slice(), value.as_slice()).map_err(sled_err)?;
        std::mem::swap(&mut prev, &mut key);
        *written += 1;
        if *written >= RELEASE_EVERY {
            *written = 0;
            drop(tree);
            store.release_posts()?;
            tree = store.tree(&t.name)?;
        }
    }
    if records != t.records {
        return Err(FarmError::data(format!("it has {records} records, the manifest says {}", t.records)));
    }
    if hex(&h.finalize()) != t.sha1 {
        return Err(FarmError::data("its checksum does not match the manifest; the archive is damaged"));
    }
    Ok(())
}

/// The next entry, checked; `None` at the end of the archive.
fn next_entry<'a, R: Read>(
    entries: &mut tar::Entries<'a, R>,
    seen: &mut HashSet<Vec<u8>>,
) -> Result<Option<(tar::Entry<'a, R>, String)>> {
    match entries.next() {
        None => Ok(None),
        Some(Err(e)) => Err(damaged(e)),
        Some(Ok(entry)) => {
            let path = check_entry(&entry, seen)?;
            Ok(Some((entry, path)))
        }
    }
}

/// Read an archive from `input` into a new database in `staging` (an empty directory), check
/// it, and write its next-due record. Nothing outside `staging` is touched. On success the
/// database there is complete, verified and closed.
pub fn load(input: impl Read, staging: &Path, progress: &Progress) -> Result<Manifest> {
    let mut buffered = BufReader::with_capacity(1 << 16, input);
    let head = buffered.fill_buf().map_err(|e| io_error(&e, "cannot read the archive"))?;
    if head.is_empty() {
        return Err(FarmError::data("the file is empty; it is not a farm export"));
    }
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn Read> =
        if gzip { Box::new(flate2::bufread::GzDecoder::new(buffered)) } else { Box::new(buffered) };
    let mut archive = tar::Archive::new(reader);
    let loaded = load_entries(&mut archive, staging, progress);
    // Read what is left (the end blocks, the gzip trailer) so that gzip checks its CRC. After a
    // failure in a gzip file, a gzip error explains it better than what the garbage it decoded
    // looked like.
    let rest = archive.into_inner();
    let drained = match &loaded {
        Ok(_) => io::copy(&mut rest.take(1 << 20), &mut io::sink()),
        Err(_) if gzip => io::copy(&mut rest.take(MAX_TOTAL), &mut io::sink()),
        Err(_) => Ok(0),
    };
    let manifest = match (loaded, drained) {
        (_, Err(e)) => return Err(damaged(e)),
        (loaded, Ok(_)) => loaded?,
    };
    reserve_ids(staging, manifest.next_id)?;
    progress.step("reading the loaded database back to check it");
    verify(staging, &manifest)?;
    Ok(manifest)
}

/// Read the manifest and every tree entry of `archive` into a new database in `staging`.
fn load_entries<R: Read>(
    archive: &mut tar::Archive<R>,
    staging: &Path,
    progress: &Progress,
) -> Result<Manifest> {
    let mut entries = archive.entries().map_err(damaged)?.raw(true);
    let mut seen = HashSet::new();
    let first = match entries.next() {
        None => return Err(FarmError::data("the archive is empty; it is not a farm export")),
        Some(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
            return Err(FarmError::data("not a farm export: too short for a tar archive"))
        }
        // The tar reader's own message quotes the garbage it read: leave it out.
        Some(Err(_)) => {
            return Err(FarmError::data("not a farm export: not a tar archive, nor a gzip of one"))
        }
        Some(Ok(entry)) => entry,
    };
    let path = check_entry(&first, &mut seen)?;
    if path != MANIFEST_PATH {
        return Err(FarmError::data(format!(
            "not a farm export: the first entry is {path:?}, not the manifest"
        )));
    }
    if first.size() > MAX_MANIFEST {
        return Err(FarmError::data(format!("the manifest is {} bytes; refused", first.size())));
    }
    let mut json = Vec::new();
    let mut first = first;
    first.read_to_end(&mut json).map_err(damaged)?;
    if json.len() as u64 != first.size() {
        return Err(FarmError::data("the archive is truncated"));
    }
    let manifest = parse_manifest(&json)?;

    let mut store = Store::open_with_cache(staging, CACHE)?;
    let mut written = 0;
    for (i, t) in manifest.trees.iter().enumerate() {
        let (mut entry, path) = next_entry(&mut entries, &mut seen)?
            .ok_or_else(|| FarmError::data(format!("the archive is truncated: {} is missing", t.file)))?;
        if path != t.file {
            return Err(FarmError::data(format!("unexpected entry {path:?} (expected {})", t.file)));
        }
        if entry.size() != t.bytes {
            return Err(FarmError::data(format!(
                "entry {path} is {} bytes but the manifest says {}",
                entry.size(),
                t.bytes
            )));
        }
        load_tree(&mut entry, &mut store, t, &mut written)
            .map_err(|e| e.context(format!("tree {} ({path})", t.name)))?;
        progress.tree(i, manifest.trees.len(), &t.name, t.records);
    }
    if let Some((_, path)) = next_entry(&mut entries, &mut seen)? {
        return Err(FarmError::data(format!("the archive has an unexpected extra entry {path:?}; refused")));
    }
    store.flush()?;
    Ok(manifest)
}

/// Make the id generator of the (closed) database in `dir` continue at `next` or later, so
/// that event sequence numbers keep growing after an import. sled persists its counter every
/// `idgen_persist_interval` ids and adds twice the interval on reopening: opening once with an
/// interval of half `next` and taking one id stores a counter of at least `next`.
fn reserve_ids(dir: &Path, next: u64) -> Result<()> {
    if next == 0 {
        return Ok(());
    }
    let db = store::retry_locked(|| {
        sled::Config::new()
            .path(dir.join("db"))
            .cache_capacity(CACHE)
            .flush_every_ms(None)
            .idgen_persist_interval(next.div_ceil(2))
            .open()
            .map_err(sled_err)
    })?;
    let id = db.generate_id().map_err(sled_err)?;
    db.flush().map_err(sled_err)?;
    if id < next {
        return Err(FarmError::software(format!("could not move the id generator to {next} (got {id})")));
    }
    Ok(())
}

/// Reopen the loaded database, compare its trees with the manifest and write the next-due
/// record.
fn verify(dir: &Path, m: &Manifest) -> Result<()> {
    let mut store = store::retry_locked(|| Store::open_with_cache(dir, CACHE))?;
    // A schema-4 archive was migrated to schema 5 on opening, which only sets the schema record:
    // its posts trees went straight into their shards while loading. The trees are read back in
    // the store's order (one shard open at a time), whatever the archive's order was.
    let mut expected: HashMap<&str, u64> = m.trees.iter().map(|t| (t.name.as_str(), t.records)).collect();
    let mut read = 0;
    for name in store.tree_names()? {
        let mut n = 0u64;
        walk(&mut store, &name, true, &mut read, |_, _| {
            n += 1;
            Ok(())
        })?;
        match expected.remove(name.as_str()) {
            Some(want) if want != n => {
                return Err(FarmError::data(format!(
                    "tree {name} has {n} records after loading, the manifest says {want}"
                )));
            }
            None if n > 0 => return Err(FarmError::data(format!("the archive has no {name} tree"))),
            _ => {}
        }
    }
    if let Some(name) = expected.keys().next() {
        return Err(FarmError::data(format!("tree {name} is missing after loading")));
    }
    crate::bot::refresh_next_due(&store, crate::clock::now()?)
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

// ---------------------------------------------------------------------------------------------
// Staging, switching and backups
// ---------------------------------------------------------------------------------------------

fn split(dir: &Path) -> Result<(PathBuf, String)> {
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| FarmError::usage(format!("{} cannot be used as a data directory", dir.display())))?;
    let parent = dir.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
    Ok((parent, name.to_string()))
}

fn sibling(dir: &Path, suffix: &str) -> Result<PathBuf> {
    let (parent, name) = split(dir)?;
    Ok(parent.join(format!("{name}.{suffix}")))
}

fn sync_dir(dir: &Path) {
    if let Ok(f) = File::open(dir) {
        let _ = f.sync_all();
    }
}

fn fs_err<'a>(what: &str, path: &'a Path) -> impl Fn(io::Error) -> FarmError + 'a {
    let what = what.to_string();
    move |e| io_error(&e, &format!("{what} {}", path.display()))
}

/// A staging directory next to the data directory (`DIR.import-PID`, `DIR.compact-PID`),
/// holding a new database until it is switched in. Removed when dropped: after a failure with
/// everything in it, after a switch with the old database it then holds.
///
/// The marker file `.farm-staging` in it tells the next import or compact that it is a
/// leftover. Right before the switch the marker records the inode of the new `db/`, so a
/// leftover from a process killed after the switch (whose `db/` is then the old database) can
/// be told from one killed before it.
pub struct Staging {
    path: PathBuf,
    keep: bool,
}

impl Staging {
    /// Create `DIR.<what>-PID` (mode 0700) with its marker. The caller holds `dir`'s lock.
    pub fn create(dir: &Path, what: &str) -> Result<Staging> {
        let path = sibling(dir, &format!("{what}-{}", std::process::id()))?;
        if fs::symlink_metadata(&path).is_ok() {
            fs::remove_dir_all(&path).map_err(fs_err("cannot remove the old staging directory", &path))?;
        }
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .map_err(fs_err("cannot create the staging directory", &path))?;
        let staging = Staging { path, keep: false };
        staging.mark("staging\n")?;
        Ok(staging)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn mark(&self, text: &str) -> Result<()> {
        let tmp = self.path.join(".farm-staging.tmp");
        let mut f = File::create(&tmp).map_err(fs_err("cannot write", &tmp))?;
        f.write_all(text.as_bytes()).map_err(fs_err("cannot write", &tmp))?;
        f.sync_all().map_err(fs_err("cannot write", &tmp))?;
        fs::rename(&tmp, self.path.join(MARKER)).map_err(fs_err("cannot write", &tmp))?;
        sync_dir(&self.path);
        Ok(())
    }

    /// Put the staging database in place of `dir`'s: one atomic exchange of `STAGING/db` and
    /// `DIR/db` (a plain rename when `dir` has none), then the next-due record. Afterwards the
    /// staging directory holds the old database, if there was one. The caller holds `dir`'s
    /// lock and has closed both databases.
    pub fn switch(&self, dir: &Path) -> Result<()> {
        let new_db = self.path.join("db");
        let cur_db = dir.join("db");
        let ino = fs::metadata(&new_db).map_err(fs_err("cannot read", &new_db))?.ino();
        self.mark(&format!("staging\nnew-db {ino}\n"))?;
        // A stale next-due record could make `farm run` skip the new farm; none is harmless.
        let _ = fs::remove_file(dir.join("next_due"));
        if fs::symlink_metadata(&cur_db).is_ok() {
            match exchange(&new_db, &cur_db) {
                Ok(()) => {}
                Err(e) if matches!(e.raw_os_error(), Some(22) | Some(38) | Some(95)) => {
                    // EINVAL, ENOSYS, EOPNOTSUPP: no atomic exchange here; two renames.
                    let old = self.path.join("db.old");
                    fs::rename(&cur_db, &old).map_err(fs_err("cannot move", &cur_db))?;
                    if let Err(e) = fs::rename(&new_db, &cur_db) {
                        let _ = fs::rename(&old, &cur_db);
                        return Err(io_error(
                            &e,
                            &format!("cannot move the new database to {}", cur_db.display()),
                        ));
                    }
                    fs::rename(&old, &new_db).map_err(fs_err("cannot move", &old))?;
                }
                Err(e) => {
                    return Err(io_error(&e, &format!("cannot swap the database into {}", dir.display())))
                }
            }
        } else {
            fs::rename(&new_db, &cur_db).map_err(fs_err("cannot move the new database to", &cur_db))?;
        }
        sync_dir(dir);
        sync_dir(&self.path);
        let next_due = self.path.join("next_due");
        if next_due.exists() {
            fs::rename(&next_due, dir.join("next_due")).map_err(fs_err("cannot move", &next_due))?;
        }
        Ok(())
    }

    /// Move the old database (left here by [`Staging::switch`]) into a new dated backup
    /// directory `DIR.backup-YYYYMMDD-HHMMSS` and return it; `None` when there was none.
    pub fn keep_old(&self, dir: &Path) -> Result<Option<PathBuf>> {
        let old = self.path.join("db");
        if fs::symlink_metadata(&old).is_err() {
            return Ok(None);
        }
        backup(dir, &old).map(Some)
    }

    /// Leave the directory where it is (the next import turns an old database in it into a
    /// backup); for when keeping the old database after a switch failed.
    pub fn leave(mut self) {
        self.keep = true;
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// Atomically exchange two directories (Linux `renameat2(RENAME_EXCHANGE)`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::{c_char, c_int, c_uint, CString};
    use std::os::unix::ffi::OsStrExt;
    extern "C" {
        fn renameat2(
            olddirfd: c_int,
            old: *const c_char,
            newdirfd: c_int,
            new: *const c_char,
            flags: c_uint,
        ) -> c_int;
    }
    const AT_FDCWD: c_int = -100;
    const RENAME_EXCHANGE: c_uint = 2;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated strings that outlive the call.
    let r = unsafe { renameat2(AT_FDCWD, a.as_ptr(), AT_FDCWD, b.as_ptr(), RENAME_EXCHANGE) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// No atomic exchange on this platform: report it as unsupported (ENOSYS), so the caller falls
/// back to two renames.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn exchange(_a: &Path, _b: &Path) -> io::Result<()> {
    Err(io::Error::from_raw_os_error(38))
}

/// Move the database directory `db` into a new dated backup directory of `dir`.
fn backup(dir: &Path, db: &Path) -> Result<PathBuf> {
    let stamp = chrono::DateTime::<chrono::Utc>::from_timestamp(crate::clock::now()?, 0)
        .map(|t| t.format("%Y%m%d-%H%M%S").to_string())
        .unwrap_or_else(|| "00000000-000000".to_string());
    let mut path = sibling(dir, &format!("backup-{stamp}"))?;
    let mut n = 1;
    while fs::symlink_metadata(&path).is_ok() {
        n += 1;
        path = sibling(dir, &format!("backup-{stamp}-{n}"))?;
    }
    fs::DirBuilder::new().mode(0o700).create(&path).map_err(fs_err("cannot create", &path))?;
    fs::rename(db, path.join("db")).map_err(fs_err("cannot move the old database to", &path))?;
    if let Some(parent) = path.parent() {
        sync_dir(parent);
    }
    Ok(path)
}

/// Remove the backups `DIR.backup-*` of `dir` other than `keep`.
pub fn remove_old_backups(dir: &Path, keep: &Path) -> Result<()> {
    let (parent, name) = split(dir)?;
    let prefix = format!("{name}.backup-");
    for e in fs::read_dir(&parent).map_err(fs_err("cannot list", &parent))?.flatten() {
        let path = e.path();
        let is_backup = e.file_name().to_str().is_some_and(|n| n.starts_with(&prefix));
        if is_backup && path != keep && e.file_type().is_ok_and(|t| t.is_dir()) {
            fs::remove_dir_all(&path).map_err(fs_err("cannot remove the old backup", &path))?;
        }
    }
    Ok(())
}

/// Deal with what a killed import or compact of `dir` left next to it; the caller holds
/// `dir`'s lock, so none is running. A staging directory killed before its switch is removed.
/// One killed after it holds the old database: after an import it becomes a backup, after a
/// compact it is removed. One killed between the two renames of the fallback switch gives its
/// old database back to `dir`. Returns a line for the user per leftover kept.
pub fn clean_leftovers(dir: &Path) -> Result<Vec<String>> {
    let (parent, name) = split(dir)?;
    let mut notes = Vec::new();
    let entries = match fs::read_dir(&parent) {
        Ok(e) => e,
        Err(_) => return Ok(notes),
    };
    for e in entries.flatten() {
        let file_name = e.file_name();
        let Some(n) = file_name.to_str() else { continue };
        let import = n.strip_prefix(&format!("{name}.import-")).is_some();
        let compact = n.strip_prefix(&format!("{name}.compact-")).is_some();
        let path = e.path();
        if !(import || compact) || !path.join(MARKER).is_file() {
            continue;
        }
        let marker = fs::read_to_string(path.join(MARKER)).unwrap_or_default();
        let new_ino =
            marker.lines().find_map(|l| l.strip_prefix("new-db ")).and_then(|v| v.parse::<u64>().ok());
        let old = path.join("db.old");
        let db = path.join("db");
        let cur_db = dir.join("db");
        let old_db = if fs::symlink_metadata(&old).is_ok() {
            if fs::symlink_metadata(&cur_db).is_err() {
                fs::rename(&old, &cur_db).map_err(fs_err("cannot restore", &cur_db))?;
                notes.push(format!("restored the farm in {} after an interrupted switch", dir.display()));
                None
            } else {
                Some(old)
            }
        } else {
            match (new_ino, fs::metadata(&db)) {
                (Some(ino), Ok(md)) if md.ino() != ino => Some(db),
                _ => None,
            }
        };
        if let Some(old_db) = old_db {
            if import {
                let kept = backup(dir, &old_db)?;
                notes.push(format!(
                    "an interrupted import had already switched; the farm it replaced is in {}",
                    kept.display()
                ));
            }
        }
        fs::remove_dir_all(&path).map_err(fs_err("cannot remove the leftover", &path))?;
    }
    Ok(notes)
}

/// The data directory of an import: resolved, created if needed, and locked for the whole
/// import. If it was created here and the import fails, it is removed again when dropped.
pub struct Target {
    dir: PathBuf,
    created: bool,
    keep: bool,
    _lock: File,
}

impl Target {
    /// Lock `dir` for an import. Refuses (usage error) a farm without `replace`, and a
    /// directory that holds something other than a farm.
    pub fn lock(dir: &Path, replace: bool) -> Result<Target> {
        let created = fs::symlink_metadata(dir).is_err();
        if !created {
            // Refuse a directory that is not ours before putting a lock file into it. A damaged
            // farm is ours: an interrupted switch is repaired below, under the lock.
            match check_target(dir, replace) {
                Err(e) if e.kind == crate::error::Kind::Data => {}
                r => r?,
            }
        }
        store::create_dir(dir)?;
        let dir = fs::canonicalize(dir).map_err(fs_err("cannot resolve", dir))?;
        let lock = match store::lock_dir(&dir) {
            Ok(l) => l,
            Err(e) => {
                if created {
                    let _ = fs::remove_file(dir.join("lock"));
                    let _ = fs::remove_dir(&dir);
                }
                return Err(e);
            }
        };
        let target = Target { dir, created, keep: false, _lock: lock };
        for note in clean_leftovers(&target.dir)? {
            eprintln!("farm: {note}");
        }
        check_target(&target.dir, replace)?;
        Ok(target)
    }

    /// The resolved data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Keep the directory even if it was created here (the import succeeded).
    pub fn keep(&mut self) {
        self.keep = true;
    }
}

/// An import may go into a farm (with `replace`), an empty directory, or one holding only
/// what farm itself leaves in a data directory without a database.
fn check_target(dir: &Path, replace: bool) -> Result<()> {
    if !dir.is_dir() {
        return Err(FarmError::usage(format!("{} is not a directory", dir.display())));
    }
    // A damaged farm may be replaced by its backup: that is what the error tells the user to do.
    let damaged = |e: &FarmError| e.kind == crate::error::Kind::Data;
    if store::exists(dir).or_else(|e| if replace && damaged(&e) { Ok(true) } else { Err(e) })? {
        if replace {
            return Ok(());
        }
        return Err(FarmError::usage(format!(
            "there is already a farm in {}; pass --replace to swap it for the archive (the old farm is kept as a backup)",
            dir.display()
        )));
    }
    let known = ["lock", "next_due", "next_due.tmp"];
    for e in fs::read_dir(dir).map_err(fs_err("cannot list", dir))?.flatten() {
        if !known.iter().any(|k| e.file_name() == *k) {
            return Err(FarmError::usage(format!(
                "{} is not empty and holds no farm ({:?} is in it); import into an empty or new directory",
                dir.display(),
                e.file_name()
            )));
        }
    }
    Ok(())
}

impl Drop for Target {
    fn drop(&mut self) {
        if self.created && !self.keep {
            let _ = fs::remove_file(self.dir.join("lock"));
            let _ = fs::remove_dir(&self.dir);
        }
    }
}

/// Create a file for writing with mode 0600 (it must not exist yet).
pub fn create_private(path: &Path) -> Result<File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(fs_err("cannot create", path))
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

    #[test]
    fn manifest_checks() {
        let mut m = Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            farm_version: "0".into(),
            schema: store::SCHEMA,
            created_at: "2026-01-01T00:00:00Z".into(),
            secrets: true,
            next_id: 0,
            records: 1,
            bytes: 10,
            checksum: String::new(),
            trees: vec![TreeInfo {
                name: "bots".into(),
                file: entry_name(0),
                records: 1,
                bytes: 10,
                sha1: "0".repeat(40),
            }],
        };
        m.checksum = manifest_checksum(&m.trees);
        check_manifest(&m).unwrap();
        let mut bad = m.clone();
        bad.trees[0].file = "../x".into();
        assert!(check_manifest(&bad).is_err());
        let mut bad = m.clone();
        bad.trees[0].bytes = MAX_TOTAL + 1;
        bad.bytes = MAX_TOTAL + 1;
        assert!(check_manifest(&bad).is_err());
        let json = serde_json::to_vec(&serde_json::json!({"format": FORMAT, "format_version": 99})).unwrap();
        let e = parse_manifest(&json).unwrap_err();
        assert!(e.message.contains("newer farm"), "{e}");
    }
}
