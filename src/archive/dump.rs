//! Export: the whole farm as an archive, streamed in two walks of the store (one to count,
//! size and hash every tree so that the manifest can come first, one to write).

use super::manifest::{entry_name, hex, manifest_checksum, Manifest, TreeInfo};
use super::{Progress, FORMAT, FORMAT_VERSION, GZIP_LEVEL, MANIFEST_PATH, MAX_KEY, MAX_VALUE};
use crate::error::{io_error, FarmError, Result};
use crate::store::{self, Store};
use sha1::{Digest, Sha1};
use std::io::{self, BufWriter, Write};

/// Size of the tar blocks.
const BLOCK: u64 = 512;

/// What `dump` writes.
#[derive(Debug, Clone, Copy)]
pub struct DumpOptions {
    /// Include credentials and app keys.
    pub secrets: bool,
    /// Compress with gzip.
    pub gzip: bool,
}

fn write_err(e: io::Error) -> FarmError {
    io_error(&e, "cannot write the archive")
}

/// Walk one tree's exported records in key order (see [`Store::records`]), refusing a record
/// too large for the archive format.
fn walk(
    store: &mut Store,
    name: &str,
    secrets: bool,
    mut f: impl FnMut(&[u8], &[u8]) -> Result<()>,
) -> Result<()> {
    for record in store.records(name, secrets) {
        let record = record?;
        let (k, v) = (record.key(), record.value());
        if k.len() > MAX_KEY as usize || v.len() > MAX_VALUE as usize {
            return Err(FarmError::software(format!(
                "a record of tree {name} is too large to export ({} + {} bytes)",
                k.len(),
                v.len()
            )));
        }
        f(k, v)?;
    }
    Ok(())
}

pub(super) fn record_header(len: usize) -> [u8; 4] {
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
    let next_id = store.generate_id()?;

    // Pass 1: count, size and hash every tree, so the manifest can come first.
    let mut trees = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let mut h = Sha1::new();
        let (mut records, mut bytes) = (0u64, 0u64);
        walk(store, name, secrets, |k, v| {
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
        walk(store, &t.name, secrets, |k, v| {
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
