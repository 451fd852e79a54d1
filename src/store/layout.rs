//! Where the cached posts live: in the control database while the farm is small, in the
//! [`POST_SHARDS`](super::POST_SHARDS) shard databases once it is big, and the move between the
//! two.
//!
//! Every sled database a run opens costs an open, a snapshot with its fsync, a flush and a
//! closing fsync (about 1.5 ms of a reader run, see README, benchmarks), and leaves a partly
//! filled segment behind on disk. A small farm keeps its posts in the control database, so a run
//! opens one database. A big one keeps them in the shards, so that commands that never touch
//! posts (`list`, `stats`) open a control database whose size does not grow with the posts.
//!
//! The meta record `posts_in` says which; a farm created before it (schema 5) has its posts in
//! the shards. It is a fact of this data directory, not of the farm's data: an export leaves it
//! out, and an import decides it again from the archive's post count.

use super::migrate::copy_tree;
use super::posts::{posts_tree_name, readers_of_trees};
use super::{key2, shard_dir_name, shard_of, sled_err, Store, POST_SHARDS, RELEASE_EVERY};
use crate::error::{io_error, FarmError, Result};
use std::fs;

/// The meta key of the layout record.
pub(super) const POSTS_IN_KEY: &[u8] = b"posts_in";

/// Cached posts (all readers together) above which a farm's posts move from the control
/// database to the shards, at the end of the run that crossed it: two readers at the default
/// retention. Commands that never read posts pay for them in a bigger control database: with
/// 10,000 posts `farm list` takes 0.5–2.2 ms more than with none, with 20,000 it took about
/// 3 ms more (see README, benchmarks).
pub const INLINE_MAX: u64 = 10_000;

/// Cached posts under which a sharded farm's posts move back into the control database when it
/// upgrades from schema 5 (`farm compact` and `farm import` choose with [`PostsIn::for_count`]).
/// Well under
/// [`INLINE_MAX`], so that a farm near the limit does not move back and forth.
pub const INLINE_BACK: u64 = INLINE_MAX / 2;

/// Which databases hold the cached posts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PostsIn {
    /// The control database (`db/`), next to everything else.
    Control,
    /// The shard databases `db/posts-NN/`, reader R's posts in shard `fnv1a(R) % 16`.
    Shards,
}

impl PostsIn {
    /// The layout for a farm about to hold `posts` cached posts (an import, a compaction).
    pub fn for_count(posts: u64) -> PostsIn {
        if posts > INLINE_MAX {
            PostsIn::Shards
        } else {
            PostsIn::Control
        }
    }

    fn record(self) -> &'static [u8] {
        match self {
            PostsIn::Control => b"control",
            PostsIn::Shards => b"shards",
        }
    }
}

impl Store {
    /// Read the layout record; a farm without one (schema 5 and older) has its posts in the
    /// shards.
    pub(super) fn read_posts_in(&self) -> Result<PostsIn> {
        match self.meta.get(POSTS_IN_KEY).map_err(sled_err)? {
            None => Ok(PostsIn::Shards),
            Some(v) if v.as_ref() == PostsIn::Control.record() => Ok(PostsIn::Control),
            Some(v) if v.as_ref() == PostsIn::Shards.record() => Ok(PostsIn::Shards),
            Some(_) => Err(FarmError::data("the database's posts_in record is damaged")),
        }
    }

    /// Write the layout record (and use it from now on). Only for a database that holds no
    /// posts yet, or by [`Store::move_posts`] once the posts are in their new place.
    pub(super) fn write_posts_in(&mut self, to: PostsIn) -> Result<()> {
        self.meta.insert(POSTS_IN_KEY, to.record()).map_err(sled_err)?;
        self.posts_in = to;
        Ok(())
    }

    /// Which databases hold the cached posts.
    pub fn posts_in(&self) -> PostsIn {
        self.posts_in
    }

    /// Choose the layout of a new, empty database that is about to be loaded with `posts`
    /// cached posts (the archive code, before it loads any tree).
    pub fn prepare_for_posts(&mut self, posts: u64) -> Result<()> {
        self.write_posts_in(PostsIn::for_count(posts))
    }

    /// Open, one at a time, every posts shard that holds posts: an error when one does not
    /// open (damaged), which the commands that never read posts would not meet (`farm doctor`).
    pub fn open_every_shard(&mut self) -> Result<()> {
        if self.posts_in == PostsIn::Shards {
            for shard in 0..POST_SHARDS {
                if self.shard_in_use(shard)? {
                    self.pdb(shard)?;
                    self.release_posts()?;
                }
            }
        }
        Ok(())
    }

    /// The database that holds a reader's posts in the current layout.
    pub(super) fn posts_db(&self, reader: &str) -> Result<&sled::Db> {
        self.layout_db(self.posts_in, reader)
    }

    /// How many posts the farm caches, all readers together, from the ordinals in `meta` (two
    /// lookups per reader, no walk).
    pub fn total_cached(&self) -> Result<u64> {
        Ok(self.cached_by_reader()?.iter().map(|(_, n)| n).sum())
    }

    /// How many posts each reader caches, from the ordinals in `meta` (two lookups per reader,
    /// no walk), in name order; readers that never cached any are left out.
    pub(super) fn cached_by_reader(&self) -> Result<Vec<(String, u64)>> {
        let mut counts = Vec::new();
        for kv in self.meta.scan_prefix(b"ord\0") {
            let (k, v) = kv.map_err(sled_err)?;
            let newest = <[u8; 8]>::try_from(v.as_ref()).map(u64::from_be_bytes).unwrap_or(0);
            let oldest = self.meta_u64(&key2("ordmin", &k[4..]))?.unwrap_or(1);
            counts.push((
                String::from_utf8_lossy(&k[4..]).into_owned(),
                (newest + 1).saturating_sub(oldest.max(1)),
            ));
        }
        Ok(counts)
    }

    /// After a run: move the posts to the shards when the farm has outgrown its control
    /// database, and remove what a move killed half way left behind.
    pub fn settle_posts(&mut self) -> Result<()> {
        match self.posts_in {
            PostsIn::Control if self.total_cached()? > INLINE_MAX => self.move_posts(PostsIn::Shards),
            PostsIn::Control => self.remove_dead_shards(),
            PostsIn::Shards => self.drop_dead_inline_trees(),
        }
    }

    /// Before `more` posts are added at once (an import): when they will take the farm past
    /// [`INLINE_MAX`], move its posts to the shards now, so that the new ones are written once,
    /// in their place, and not moved after.
    pub fn make_room(&mut self, more: u64) -> Result<()> {
        if self.posts_in == PostsIn::Control && self.total_cached()?.saturating_add(more) > INLINE_MAX {
            self.move_posts(PostsIn::Shards)?;
        }
        Ok(())
    }

    /// [`Store::settle_posts`], also moving a sharded farm's posts back into the control
    /// database when it holds few (upgrades, compaction).
    pub fn settle_posts_both_ways(&mut self) -> Result<()> {
        if self.posts_in == PostsIn::Shards && self.total_cached()? <= INLINE_BACK {
            return self.move_posts(PostsIn::Control);
        }
        self.settle_posts()
    }

    /// The readers whose posts trees a layout holds, sorted by shard then name.
    fn posts_readers(&mut self, layout: PostsIn) -> Result<Vec<String>> {
        let names = match layout {
            PostsIn::Control => self.db.tree_names(),
            PostsIn::Shards => {
                let mut names = Vec::new();
                for shard in 0..POST_SHARDS {
                    if !self.shard_in_use(shard)? {
                        continue;
                    }
                    names.extend(self.pdb(shard)?.tree_names());
                    self.release_posts()?;
                }
                names
            }
        };
        Ok(readers_of_trees(names))
    }

    /// The database that holds a reader's posts in `layout`.
    fn layout_db(&self, layout: PostsIn, reader: &str) -> Result<&sled::Db> {
        match layout {
            PostsIn::Control => Ok(&self.db),
            PostsIn::Shards => self.pdb(shard_of(reader)),
        }
    }

    /// Move every reader's posts into the other layout. In three steps, so that a process
    /// killed at any point loses nothing: copy (each reader's destination tree cleared first,
    /// so a copy left by a killed move is redone), make the copies durable, then switch the
    /// layout record; only then remove the old copies. What a kill leaves of them is dead
    /// (the record says where the posts are) and removed by the next [`Store::settle_posts`].
    pub(super) fn move_posts(&mut self, to: PostsIn) -> Result<()> {
        let from = self.posts_in;
        if from == to {
            return Ok(());
        }
        let mut copied = 0;
        for reader in self.posts_readers(from)? {
            let name = posts_tree_name(&reader);
            let src = self.layout_db(from, &reader)?.open_tree(&name).map_err(sled_err)?;
            let dst = self.layout_db(to, &reader)?.open_tree(&name).map_err(sled_err)?;
            dst.clear().map_err(sled_err)?;
            copied += copy_tree(&src, &dst)?;
            drop((src, dst));
            if copied >= RELEASE_EVERY {
                copied = 0;
                self.release_posts()?;
            }
        }
        // The copies on disk, for sure, before the record points at them.
        self.release_posts()?;
        self.flush()?;
        crate::config::crash_point("posts-copied");
        self.write_posts_in(to)?;
        self.flush()?;
        crate::config::crash_point("posts-moved");
        match from {
            PostsIn::Control => self.drop_dead_inline_trees(),
            PostsIn::Shards => self.remove_dead_shards(),
        }
    }

    /// In the sharded layout, posts trees in the control database are dead copies (a move to
    /// the shards killed before it dropped them, or a schema-1 migration's leftovers).
    fn drop_dead_inline_trees(&mut self) -> Result<()> {
        let mut dropped = false;
        for raw in self.db.tree_names() {
            if raw.starts_with(b"posts:") {
                self.db.drop_tree(&raw).map_err(sled_err)?;
                dropped = true;
            }
        }
        if dropped {
            self.db.flush().map_err(sled_err)?;
        }
        Ok(())
    }

    /// In the control layout, shard directories are dead copies (a move back from the shards
    /// killed before it removed them).
    fn remove_dead_shards(&mut self) -> Result<()> {
        self.release_posts()?;
        let db = self.dir.join("db");
        let Ok(entries) = fs::read_dir(&db) else { return Ok(()) };
        for e in entries.flatten() {
            let name = e.file_name();
            let is_shard = (0..POST_SHARDS).any(|s| name.to_str() == Some(&shard_dir_name(s)));
            if is_shard {
                fs::remove_dir_all(e.path())
                    .map_err(|err| io_error(&err, &format!("cannot remove {}", e.path().display())))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Post;
    use crate::store::retry_locked;

    fn dir(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("farm-layout-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    fn posts(n: u64) -> Vec<Post> {
        (1..=n).map(crate::store::logical::tests::post).collect()
    }

    #[test]
    fn a_schema_5_farm_with_few_posts_moves_them_into_the_control_database_and_a_big_one_does_not() {
        for (count, want) in [(100, PostsIn::Control), (INLINE_BACK + 1, PostsIn::Shards)] {
            let d = dir(&format!("v5-{count}"));
            {
                let mut s = Store::open(&d).unwrap();
                assert_eq!(s.posts_in(), PostsIn::Control, "a new farm");
                s.add_posts("r", &posts(count)).unwrap();
                assert_eq!(s.total_cached().unwrap(), count);
                s.move_posts(PostsIn::Shards).unwrap();
                // What schema 5 wrote: no layout record, posts in the shards.
                s.meta.remove(POSTS_IN_KEY).unwrap();
                s.meta.insert("schema", &5u32.to_be_bytes()).unwrap();
                s.flush().unwrap();
            }
            let s = retry_locked(|| Store::open(&d)).unwrap();
            assert_eq!(s.posts_in(), want, "{count} posts");
            assert_eq!(s.posts_after("r", 0, usize::MAX).unwrap(), posts(count));
            let shard = d.join("db").join(shard_dir_name(shard_of("r")));
            assert_eq!(shard.exists(), want == PostsIn::Shards);
            let inline = s.db.tree_names().iter().any(|t| t.starts_with(b"posts:"));
            assert_eq!(inline, want == PostsIn::Control);
            drop(s);
            let _ = fs::remove_dir_all(&d);
        }
    }

    #[test]
    fn settling_moves_only_past_the_limit() {
        let d = dir("limit");
        let mut s = Store::open(&d).unwrap();
        s.add_posts("a", &posts(INLINE_MAX / 2)).unwrap();
        s.add_posts("b", &posts(INLINE_MAX / 2)).unwrap();
        s.settle_posts().unwrap();
        assert_eq!(s.posts_in(), PostsIn::Control, "at the limit");
        s.add_posts("b", &posts(INLINE_MAX / 2 + 1)).unwrap();
        s.settle_posts().unwrap();
        assert_eq!(s.posts_in(), PostsIn::Shards, "one past it");
        assert_eq!(s.total_cached().unwrap(), INLINE_MAX + 1);
        assert_eq!(s.posts_after("b", 0, usize::MAX).unwrap(), posts(INLINE_MAX / 2 + 1));
        // Settling a sharded farm never moves it back by itself.
        let (removed, left) = s.prune_posts("b", 0, |_| false).unwrap();
        assert_eq!((removed, left), (INLINE_MAX / 2 + 1, 0));
        s.settle_posts().unwrap();
        assert_eq!(s.posts_in(), PostsIn::Shards);
        drop(s);
        let _ = fs::remove_dir_all(&d);
    }
}
