//! The manifest, the first entry of an archive: what it holds (format, schema, trees with their
//! record counts, sizes and SHA-1s) and the checks it must pass before anything is loaded.

use super::{load::quoted, FORMAT, FORMAT_VERSION, MAX_TOTAL, MAX_TREES, MAX_TREE_NAME, MIN_SCHEMA};
use crate::error::{FarmError, Result};
use crate::store;
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use std::collections::HashSet;
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
        self.trees.iter().find(|t| t.name == store::BOTS_TREE).map_or(0, |t| t.records)
    }
}

pub(super) fn entry_name(index: usize) -> String {
    format!("trees/{index:06}.bin")
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn manifest_checksum(trees: &[TreeInfo]) -> String {
    let mut h = Sha1::new();
    for t in trees {
        h.update(t.sha1.as_bytes());
        h.update(b"\n");
    }
    format!("sha1:{}", hex(&h.finalize()))
}

/// Check a manifest before anything is loaded.
pub(super) fn check_manifest(m: &Manifest) -> Result<()> {
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

pub(super) fn parse_manifest(bytes: &[u8]) -> Result<Manifest> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
