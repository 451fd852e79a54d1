//! Import: read an archive entry by entry (never unpacking it), check every entry and record,
//! stream the records into a new database in a staging directory, and read that database back
//! to compare it with the manifest.

use super::dump::record_header;
use super::manifest::{hex, parse_manifest, Manifest, TreeInfo};
use super::{Progress, CACHE, MANIFEST_PATH, MAX_KEY, MAX_MANIFEST, MAX_TOTAL, MAX_VALUE};
use crate::error::{io_error, FarmError, Result};
use crate::store::{self, Store};
use sha1::{Digest, Sha1};
use std::collections::{HashMap, HashSet};
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

fn damaged(e: io::Error) -> FarmError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        return FarmError::data("the archive is truncated");
    }
    FarmError::data(format!("the archive is damaged or truncated ({})", quoted(&e.to_string())))
}

/// A message from the tar or gzip reader, which may quote the bytes it choked on: printable and
/// at most 80 characters.
pub(super) fn quoted(text: &str) -> String {
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

/// Stream one tree entry into its tree of `store`, checking every record (lengths, key order,
/// and [`store::validate_record`] through the loader), the count and the checksum. The store
/// keeps at most one posts database open while loading (see [`Store::load_tree`]): an archive
/// written in store order (every archive of schema 5) moves through them once; one of schema 4
/// lists its trees by name and makes the store reopen them more often (slower, never bigger).
fn load_tree(entry: &mut impl Read, store: &mut Store, t: &TreeInfo) -> Result<()> {
    let mut tree = store.load_tree(&t.name)?;
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
        tree.insert(&key, &value)?;
        std::mem::swap(&mut prev, &mut key);
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
    store::reserve_ids(staging, manifest.next_id, CACHE)?;
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
    // Where the posts go depends on how many there are; decided before any is loaded.
    let posts = manifest.trees.iter().filter(|t| t.name.starts_with("posts:")).map(|t| t.records).sum();
    store.prepare_for_posts(posts)?;
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
        load_tree(&mut entry, &mut store, t).map_err(|e| e.context(format!("tree {} ({path})", t.name)))?;
        progress.tree(i, manifest.trees.len(), &t.name, t.records);
        crate::config::crash_point("import-tree-loaded");
    }
    if let Some((_, path)) = next_entry(&mut entries, &mut seen)? {
        return Err(FarmError::data(format!("the archive has an unexpected extra entry {path:?}; refused")));
    }
    store.flush()?;
    Ok(manifest)
}

/// Reopen the loaded database, compare its trees with the manifest and write the next-due
/// record.
fn verify(dir: &Path, m: &Manifest) -> Result<()> {
    let mut store = store::retry_locked(|| Store::open_with_cache(dir, CACHE))?;
    // A schema-4 archive was migrated to schema 5 on opening, which only sets the schema record:
    // its posts trees went straight into their place while loading. The trees are read back in
    // the store's order (see `Store::count_records`), whatever the archive's order was.
    let mut expected: HashMap<&str, u64> = m.trees.iter().map(|t| (t.name.as_str(), t.records)).collect();
    for (name, n) in store.count_records()? {
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
