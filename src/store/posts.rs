//! The cached posts: the [`POST_SHARDS`] shard databases (opened on first use, released to
//! bound memory; see [`super::layout`] for when the posts are in them), each reader's
//! `posts:<reader>` tree, and the ordinals in `meta` that make a
//! writer's backlog and a reader's cache size lookups instead of walks.

use super::codec::{decode, encode};
use super::dir::damaged;
use super::{give_back_memory, key2, retry_locked, sled_err, sync_db, Store};
use crate::error::{printable, Result};
use crate::model::CachedPost;
use crate::model::Post;

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

pub(super) fn posts_tree_name(reader: &str) -> String {
    format!("posts:{reader}")
}

/// The readers whose posts trees are among `names` (sled's tree names), sorted by shard, then
/// name: the order that copies them with one shard open at a time.
pub(super) fn readers_of_trees(names: Vec<sled::IVec>) -> Vec<String> {
    let mut readers: Vec<String> = names
        .iter()
        .filter_map(|raw| String::from_utf8_lossy(raw).strip_prefix("posts:").map(str::to_string))
        .collect();
    readers.sort_by_key(|r| (shard_of(r), r.clone()));
    readers.dedup();
    readers
}

impl Store {
    /// Whether a posts shard exists on disk (so listing and dropping need not create it).
    pub(super) fn shard_exists(&self, shard: usize) -> bool {
        self.posts[shard].get().is_some() || self.dir.join("db").join(shard_dir_name(shard)).exists()
    }

    /// Whether a posts shard is there to open (for walks over every shard): whether it exists
    /// on disk, and an error when it is lost (see [`Store::check_shard_not_lost`]).
    pub(super) fn shard_in_use(&self, shard: usize) -> Result<bool> {
        self.check_shard_not_lost(shard)?;
        Ok(self.shard_exists(shard))
    }

    /// An error (damaged, with the restore hint) when the posts are in the shards, `meta`
    /// counts cached posts of readers of `shard`, and the shard has no database (its directory,
    /// or every file in it, deleted): opening it would make an empty one and lose those posts
    /// without a word.
    fn check_shard_not_lost(&self, shard: usize) -> Result<()> {
        if self.posts_in != super::PostsIn::Shards
            || self.filling_shards
            || self.posts[shard].get().is_some()
            || self.dir.join("db").join(shard_dir_name(shard)).join("conf").exists()
        {
            return Ok(());
        }
        let lost: Vec<(String, u64)> =
            self.cached_by_reader()?.into_iter().filter(|(r, n)| *n > 0 && shard_of(r) == shard).collect();
        match lost.first() {
            None => Ok(()),
            Some((reader, n)) => Err(damaged(
                &self.dir,
                &format!(
                    "its posts shard db/{} is gone, with {n} cached posts of reader {}{}",
                    shard_dir_name(shard),
                    printable(reader),
                    if lost.len() > 1 {
                        format!(" and {} more readers", lost.len() - 1)
                    } else {
                        String::new()
                    }
                ),
            )),
        }
    }

    /// A posts shard, opened (and created) on first use; an error when it is lost (see
    /// [`Store::check_shard_not_lost`]).
    pub(super) fn pdb(&self, shard: usize) -> Result<&sled::Db> {
        if let Some(p) = self.posts[shard].get() {
            return Ok(p);
        }
        let _opening = self.posts_opening.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = self.posts[shard].get() {
            return Ok(p);
        }
        self.check_shard_not_lost(shard)?;
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

    /// The posts shard that holds a tree, `None` for trees of the control database (every tree
    /// while the posts are in it).
    pub(super) fn shard_of_tree(&self, name: &str) -> Option<usize> {
        match self.posts_in {
            super::PostsIn::Control => None,
            super::PostsIn::Shards => name.strip_prefix("posts:").map(shard_of),
        }
    }

    /// Flush and close every open posts shard; the next use opens it again. sled keeps the
    /// nodes it has read or written in memory well past its cache size (about 30 MB after
    /// walking a million posts, whatever the configured cache; measured for `farm export`), so
    /// the logical walks and loads of the archive code, which touch every record once, call this
    /// every [`RELEASE_EVERY`](super::RELEASE_EVERY) records to keep their memory bounded. Trees
    /// of the shards opened before must be dropped first.
    pub fn release_posts(&mut self) -> Result<()> {
        self.close_shards(None)
    }

    /// Flush and close every open posts shard but `keep`, and hand the memory back.
    pub(super) fn close_shards(&mut self, keep: Option<usize>) -> Result<()> {
        let mut closed = false;
        for (shard, slot) in self.posts.iter_mut().enumerate() {
            if Some(shard) == keep {
                continue;
            }
            if let Some(p) = slot.take() {
                sync_db(&p, &self.dir, Some(shard))?;
                drop(p);
                closed = true;
            }
        }
        if closed {
            give_back_memory();
        }
        Ok(())
    }

    // ---- cached posts ----

    fn posts_tree(&self, reader: &str) -> Result<sled::Tree> {
        self.posts_db(reader)?.open_tree(posts_tree_name(reader)).map_err(sled_err)
    }

    /// The ordinal stored with a cached post (0 for posts cached before ordinals existed).
    fn ordinal_of(value: &[u8]) -> Result<u64> {
        decode::<CachedPost>(value).map(|c| c.ord)
    }

    /// Remember the ordinal of the oldest post a reader still caches (for backlogs without
    /// opening the posts database).
    pub(super) fn note_oldest(&self, reader: &str) -> Result<()> {
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

    /// Cache posts at the new end of a reader's cache, in the order given (a reader that follows
    /// accounts: their posts come in at any age, while its writers consume by id). A post keeps
    /// its own id when that is above every cached one, else it gets the next id above them, so
    /// that no writer has passed it. A post already at the end (the same author, time and text
    /// among the newest cached posts, as a run stopped after caching and before storing its
    /// cursors leaves them) is not cached again. Returns how many were new.
    pub fn append_posts(&self, reader: &str, posts: &[Post]) -> Result<usize> {
        let tree = self.posts_tree(reader)?;
        let same =
            |a: &Post, b: &Post| a.author == b.author && a.created_at == b.created_at && a.text == b.text;
        let mut top = match tree.last().map_err(sled_err)? {
            Some((k, _)) => <[u8; 8]>::try_from(k.as_ref()).map(u64::from_be_bytes).unwrap_or(0),
            None => 0,
        };
        let mut known: Vec<Post> = Vec::new();
        for v in tree.iter().values().rev().take(posts.len()) {
            known.push(decode::<CachedPost>(&v.map_err(sled_err)?)?.post);
        }
        let mut fresh: Vec<Post> = Vec::new();
        for p in posts {
            if known.iter().chain(&fresh).any(|q| same(q, p)) {
                continue;
            }
            if let Some(v) = tree.get(p.id.to_be_bytes()).map_err(sled_err)? {
                if same(&decode::<CachedPost>(&v)?.post, p) {
                    continue;
                }
            }
            let id = if p.id > top { p.id } else { top + 1 };
            top = id;
            fresh.push(Post { id, ..p.clone() });
        }
        self.add_posts(reader, &fresh)
    }

    /// Remove every cached post of `reader` whose author is one of `authors` (an account that
    /// withdrew its consent), wherever it is in the cache. The posts after the first one removed
    /// get their ordinals again, so the cache size stays exact; the caller notes its writers'
    /// positions again ([`Store::note_consumed`]). Returns how many were removed.
    pub fn purge_authors(&self, reader: &str, authors: &[String]) -> Result<u64> {
        let tree = self.posts_tree(reader)?;
        let mut removed = 0u64;
        let mut next_ord: Option<u64> = None;
        for kv in tree.iter() {
            let (k, v) = kv.map_err(sled_err)?;
            let cached = decode::<CachedPost>(&v)?;
            if authors.contains(&cached.post.author) {
                tree.remove(&k).map_err(sled_err)?;
                next_ord.get_or_insert(cached.ord);
                removed += 1;
            } else if let Some(ord) = next_ord {
                if cached.ord != ord {
                    tree.insert(&k, encode(&CachedPost { ord, ..cached })?).map_err(sled_err)?;
                }
                next_ord = Some(ord + 1);
            }
        }
        if let Some(next) = next_ord {
            let counter = key2("ord", reader.as_bytes());
            self.meta.insert(counter, &next.saturating_sub(1).to_be_bytes()).map_err(sled_err)?;
            self.note_oldest(reader)?;
        }
        Ok(removed)
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

    /// The highest id a reader's posts may have had: its newest cached post's, or its newest
    /// ordinal when that is higher (ids taken by posts that are gone). A reader whose ids farm
    /// gives (a corpus) gives the next post this plus one, so an id is never used twice.
    pub fn highest_post_id(&self, reader: &str) -> Result<u64> {
        let newest = match self.posts_tree(reader)?.last().map_err(sled_err)? {
            Some((k, _)) => <[u8; 8]>::try_from(k.as_ref()).map(u64::from_be_bytes).unwrap_or(u64::MAX),
            None => 0,
        };
        Ok(newest.max(self.meta_u64(&key2("ord", reader.as_bytes()))?.unwrap_or(0)))
    }

    /// How many posts a reader caches (counted by its ordinals, see [`Store::prune_posts`]).
    pub fn cached_posts(&self, reader: &str) -> Result<u64> {
        self.cached_count(&self.posts_tree(reader)?, reader)
    }

    /// Call `f` with each of a reader's cached posts, oldest first, one decoded at a time.
    pub fn each_post(&self, reader: &str, mut f: impl FnMut(&Post) -> Result<()>) -> Result<()> {
        for v in self.posts_tree(reader)?.iter().values() {
            f(&decode::<CachedPost>(&v.map_err(sled_err)?)?.post)?;
        }
        Ok(())
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
}
