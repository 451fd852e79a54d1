//! The logical view of the farm, for the archive code (`farm export`, `farm import`,
//! `farm compact`): the trees by name in store order, their records in key order, loading
//! records into a new database, and the check that a record is a valid record of its tree. The
//! archive code sees tree names and key/value bytes only, never the storage engine or the shard
//! layout.

use super::codec::{decode, encode};
use super::layout::POSTS_IN_KEY;
use super::{retry_locked, shard_dir_name, sled_err, Store, POST_SHARDS, RELEASE_EVERY};
use crate::error::{FarmError, Result};
use crate::model::{normalize_name, AppKeys, Bot, BotState, CachedPost, Counters, Event, Prices};
use crate::model::{Credentials, Followed, RateInfo};
use crate::secret::Secrets;
use std::ops::Bound;
use std::path::Path;

/// A tree's name as sled lists it.
fn tree_name(raw: &[u8]) -> Result<String> {
    String::from_utf8(raw.to_vec())
        .map_err(|_| FarmError::software("the database has a tree whose name is not UTF-8"))
}

impl Store {
    /// The names of every tree of the farm, control database first, then shard by shard (when
    /// the posts are in the shards),
    /// sorted within each; for the archive code, which walks them in this order so that it has
    /// one shard open at a time. Every shard is closed again afterwards.
    pub fn tree_names(&mut self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        let in_shards = self.posts_in == super::PostsIn::Shards;
        for raw in self.db.tree_names() {
            let name = tree_name(&raw)?;
            // With the posts in the shards, posts trees left in the control database (by a
            // move or a schema-1 migration killed while it dropped them) are dead copies;
            // never list them. Shard directories left with the posts in the control database
            // are dead the same way.
            if !(in_shards && name.starts_with("posts:")) {
                names.push(name);
            }
        }
        names.sort();
        for shard in (0..POST_SHARDS).filter(|_| in_shards) {
            if !self.shard_in_use(shard)? {
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
                if self.shard_of_tree(&name) != Some(shard) {
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

    /// A tree by name, in whichever database holds it: the raw tree under [`Store::records`]
    /// and [`Store::load_tree`]. Any other posts shard that is
    /// open is closed first, so a walk through the farm tree after tree has at most one shard
    /// open.
    pub(super) fn tree(&mut self, name: &str) -> Result<sled::Tree> {
        match self.shard_of_tree(name) {
            None => self.db.open_tree(name).map_err(sled_err),
            Some(shard) => {
                self.close_shards(Some(shard))?;
                self.pdb(shard)?.open_tree(name).map_err(sled_err)
            }
        }
    }
}

/// The tree holding one record per bot, keyed by name (the archive counts bots by it).
pub const BOTS_TREE: &str = "bots";

/// The tree of the accounts readers follow, keyed `reader\0spec`.
const FOLLOWS_TREE: &str = "follows";

/// One record of a tree, as the store keeps it (or as exported: see [`Store::records`]).
pub struct Record {
    key: sled::IVec,
    value: sled::IVec,
}

impl Record {
    /// The key.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// The value (with its format-version byte, see [`super::codec`]).
    pub fn value(&self) -> &[u8] {
        &self.value
    }
}

/// A value as it is exported: `None` drops the record. The layout record is always dropped (see
/// [`super::layout`]). With `hide` (the farm's secrets, for an export without them), app keys
/// are dropped, bots' credentials are blanked, and the secrets are masked in event messages and
/// last errors (an older farm may have stored some that quote one), by decoding and re-encoding
/// the records with the store codec.
fn export_value(
    tree: &str,
    key: &[u8],
    value: sled::IVec,
    hide: Option<&Secrets>,
) -> Result<Option<sled::IVec>> {
    // Where the posts are is a fact of this data directory, decided again on import.
    if tree == "meta" && key == POSTS_IN_KEY {
        return Ok(None);
    }
    let Some(hide) = hide else { return Ok(Some(value)) };
    match tree {
        BOTS_TREE => {
            let mut bot: Bot = decode(&value)?;
            bot.creds = Credentials::default();
            Ok(Some(encode(&bot)?.into()))
        }
        "meta" if key.starts_with(b"app:") => Ok(None),
        "events" => {
            let ev: Event = decode(&value)?;
            Ok(Some(encode(&Event { message: hide.scrub(&ev.message), ..ev })?.into()))
        }
        "state" => {
            let st: BotState = decode(&value)?;
            Ok(Some(encode(&BotState { last_error: hide.scrub_opt(&st.last_error), ..st })?.into()))
        }
        FOLLOWS_TREE => {
            let f: Followed = decode(&value)?;
            Ok(Some(encode(&Followed { last_error: hide.scrub_opt(&f.last_error), ..f })?.into()))
        }
        _ => Ok(Some(value)),
    }
}

/// The records of one tree in key order, from [`Store::records`]. Every [`RELEASE_EVERY`]
/// records walked or loaded, the posts shards are released and the walk goes on after the last
/// key in the reopened database, so memory stays bounded however big the tree.
pub struct Records<'a> {
    store: &'a mut Store,
    name: String,
    secrets: bool,
    iter: Option<sled::Iter>,
    last: Option<sled::IVec>,
    done: bool,
}

impl Records<'_> {
    fn step(&mut self) -> Result<Option<Record>> {
        loop {
            if self.iter.is_none() {
                if self.store.bulk >= RELEASE_EVERY {
                    self.store.bulk = 0;
                    self.store.release_posts()?;
                }
                let tree = self.store.tree(&self.name)?;
                self.iter = Some(match &self.last {
                    None => tree.iter(),
                    Some(k) => tree.range::<&[u8], _>((Bound::Excluded(k.as_ref()), Bound::Unbounded)),
                });
            }
            let Some(iter) = self.iter.as_mut() else { return Ok(None) };
            let Some(kv) = iter.next() else { return Ok(None) };
            let (k, v) = kv.map_err(sled_err)?;
            self.store.bulk += 1;
            if self.store.bulk >= RELEASE_EVERY {
                // Released (after dropping the iterator) before the next record is read.
                self.iter = None;
            }
            self.last = Some(k.clone());
            let hide = if self.secrets { None } else { Some(self.store.secrets()?) };
            if let Some(value) = export_value(&self.name, &k, v, hide.as_deref())? {
                return Ok(Some(Record { key: k, value }));
            }
        }
    }
}

impl Iterator for Records<'_> {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Result<Record>> {
        if self.done {
            return None;
        }
        let r = self.step().transpose();
        if !matches!(r, Some(Ok(_))) {
            self.done = true;
            self.iter = None;
        }
        r
    }
}

/// Loads records into one tree of a store, from [`Store::load_tree`].
pub struct TreeLoader<'a> {
    store: &'a mut Store,
    name: String,
    tree: Option<sled::Tree>,
}

impl TreeLoader<'_> {
    /// Check a record with [`validate_record`] and insert it. Every [`RELEASE_EVERY`] records
    /// walked or loaded, the posts shards are released and the tree reopened.
    pub fn insert(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        validate_record(&self.name, key, value)?;
        let tree = match self.tree.take() {
            Some(t) => t,
            None => self.store.tree(&self.name)?,
        };
        // One insert at a time: sled's batches grow its memory by orders of magnitude here.
        tree.insert(key, value).map_err(sled_err)?;
        self.store.bulk += 1;
        if self.store.bulk >= RELEASE_EVERY {
            self.store.bulk = 0;
            drop(tree);
            self.store.release_posts()?;
            self.tree = Some(self.store.tree(&self.name)?);
        } else {
            self.tree = Some(tree);
        }
        Ok(())
    }
}

impl Store {
    /// Walk the records of the tree `name` in key order (see [`Records`]). Without `secrets`,
    /// as `farm export --no-secrets` writes them: no app keys, bots without credentials. Only
    /// that tree's posts shard is open during the walk.
    pub fn records(&mut self, name: &str, secrets: bool) -> Records<'_> {
        Records { store: self, name: name.to_string(), secrets, iter: None, last: None, done: false }
    }

    /// Load records into the tree `name`, creating it now (even if no record follows). Only
    /// this tree's shard is kept open: loading the trees in [`Store::tree_names`] order moves
    /// from shard to shard once.
    pub fn load_tree(&mut self, name: &str) -> Result<TreeLoader<'_>> {
        self.secrets_changed();
        // The `meta` tree loaded first counts the posts of shards loaded later.
        self.filling_shards = true;
        let tree = self.tree(name)?;
        Ok(TreeLoader { store: self, name: name.to_string(), tree: Some(tree) })
    }

    /// Every tree with its number of records, in [`Store::tree_names`] order (reading a loaded
    /// database back, one shard open at a time).
    pub fn count_records(&mut self) -> Result<Vec<(String, u64)>> {
        let mut counts = Vec::new();
        for name in self.tree_names()? {
            let mut n = 0u64;
            for r in self.records(&name, true) {
                r?;
                n += 1;
            }
            counts.push((name, n));
        }
        Ok(counts)
    }

    /// Take the next value of the database's id generator (event sequence numbers come from
    /// it; an export records it so that they keep growing after an import).
    pub fn generate_id(&self) -> Result<u64> {
        self.db.generate_id().map_err(sled_err)
    }
}

/// Make the id generator of the (closed) database in `dir` continue at `next` or later, so
/// that event sequence numbers keep growing after an import. sled persists its counter every
/// `idgen_persist_interval` ids and adds twice the interval on reopening: opening once with an
/// interval of half `next` and taking one id stores a counter of at least `next`.
pub fn reserve_ids(dir: &Path, next: u64, cache_bytes: u64) -> Result<()> {
    if next == 0 {
        return Ok(());
    }
    let db = retry_locked(|| {
        sled::Config::new()
            .path(dir.join("db"))
            .segment_size(super::control_segment(&dir.join("db")))
            .cache_capacity(cache_bytes)
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

/// Check that a record is a valid record of the tree `tree`: that its value decodes as what the
/// store keeps there (with the codec's size limit), and that its key matches, so that a damaged
/// or forged archive is refused on import and not by a later run. Trees without a known value
/// type (hashes, scores, ordinals) accept any bytes.
pub fn validate_record(tree: &str, key: &[u8], value: &[u8]) -> Result<()> {
    match tree {
        BOTS_TREE => {
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
        "meta" if key.starts_with(b"prices:") => drop(decode::<Prices>(value)?),
        "meta" if key == POSTS_IN_KEY => {
            return Err(FarmError::data("an archive does not say where the posts are kept; refused"))
        }
        "daily" => drop(decode::<Counters>(value)?),
        "replies" => drop(decode::<crate::model::ReplyState>(value)?),
        FOLLOWS_TREE => {
            let f: Followed = decode(value)?;
            let reader = key.split(|b| *b == 0).next().unwrap_or_default();
            let valid = std::str::from_utf8(reader).is_ok_and(|r| normalize_name(r).is_ok_and(|n| n == r));
            if !valid || key[reader.len()..] != [&[0u8][..], f.spec.as_bytes()].concat() {
                return Err(FarmError::data(format!(
                    "followed account {:?} is stored under another key",
                    f.spec
                )));
            }
        }
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::model::{PlatformKind, Post};
    use crate::model::{ReaderOpts, Role};

    /// A temporary data directory for the store's tests, removed on drop.
    pub(in crate::store) struct Dir(pub(in crate::store) std::path::PathBuf);

    impl Dir {
        pub(in crate::store) fn new(what: &str) -> Dir {
            let d = std::env::temp_dir().join(format!("farm-logical-{what}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&d);
            Dir(d)
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn bot(name: &str) -> Bot {
        Bot {
            name: name.to_string(),
            role: Role::Reader,
            platform: PlatformKind::Mastodon,
            api: "http://127.0.0.1:9".to_string(),
            every: 3600,
            paused: false,
            source: None,
            creds: Credentials { access_token: "secret".to_string(), ..Default::default() },
            template: None,
            process: Vec::new(),
            filters: Vec::new(),
            visibility: None,
            reader: ReaderOpts::default(),
            created_at: 0,
            settings: Vec::new(),
        }
    }

    /// A cached post for the store's tests.
    pub(in crate::store) fn post(id: u64) -> Post {
        Post {
            id,
            author: "a".to_string(),
            text: format!("post {id}"),
            created_at: 0,
            is_repost: false,
            is_reply: false,
            has_links: false,
            lang: None,
            ..Default::default()
        }
    }

    /// Every record of every tree, in store order.
    fn everything(store: &mut Store, secrets: bool) -> Vec<(String, Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        for name in store.tree_names().unwrap() {
            for r in store.records(&name, secrets) {
                let r = r.unwrap();
                out.push((name.clone(), r.key().to_vec(), r.value().to_vec()));
            }
        }
        out
    }

    #[test]
    fn records_load_into_an_equal_store_and_leave_secrets_out_on_request() {
        let (a, b) = (Dir::new("a"), Dir::new("b"));
        let mut from = Store::open(&a.0).unwrap();
        from.put_bot(&bot("r")).unwrap();
        from.set_app_keys("x", &AppKeys { consumer_key: "k".into(), consumer_secret: "s".into() }).unwrap();
        from.add_posts("r", &[post(3), post(1), post(2)]).unwrap();
        let all = everything(&mut from, true);
        assert!(all.iter().any(|(t, k, _)| t == "posts:r" && k == &1u64.to_be_bytes()));

        let mut to = Store::open(&b.0).unwrap();
        for name in from.tree_names().unwrap() {
            let records: Vec<Record> = from.records(&name, true).map(Result::unwrap).collect();
            let mut loader = to.load_tree(&name).unwrap();
            for r in &records {
                loader.insert(r.key(), r.value()).unwrap();
            }
        }
        assert_eq!(everything(&mut to, true), all);
        assert_eq!(to.count_records().unwrap().iter().map(|(_, n)| n).sum::<u64>(), all.len() as u64);

        let bare = everything(&mut from, false);
        assert!(!bare.iter().any(|(t, k, _)| t == "meta" && k.starts_with(b"app:")));
        let (_, _, v) = bare.iter().find(|(t, _, _)| t == BOTS_TREE).unwrap();
        assert_eq!(decode::<Bot>(v).unwrap().creds, Credentials::default());
    }

    #[test]
    fn records_are_checked_against_their_tree() {
        let value = encode(&bot("r")).unwrap();
        validate_record(BOTS_TREE, b"r", &value).unwrap();
        assert!(validate_record(BOTS_TREE, b"other", &value).is_err());
        assert!(validate_record("state", b"r", &value).is_err());
        let cached = encode(&CachedPost { ord: 1, post: post(7) }).unwrap();
        validate_record("posts:r", &7u64.to_be_bytes(), &cached).unwrap();
        assert!(validate_record("posts:r", &8u64.to_be_bytes(), &cached).is_err());
        // Trees without a value type take any bytes.
        validate_record("hashes", b"w\0h", b"anything").unwrap();
    }
}
