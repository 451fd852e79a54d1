//! Migrations of older databases (schemas 1 to 5) to [`SCHEMA`], run when a store opens.

use super::codec::{decode, encode};
use super::dir::damaged;
use super::posts::{posts_tree_name, readers_of_trees};
use super::{key2, retry_locked, sled_err, PostsIn, Store, COUNTER_HOURS, RELEASE_EVERY, SCHEMA};
use crate::error::{io_error, FarmError, Result};
use crate::model::{CachedPost, Counters};
use std::fs;

/// The single posts database of schemas 2–4, inside `db/` (migrated into the shards).
const LEGACY_POSTS_DB: &str = "posts";

/// Whether a control-database tree of schema 1 moved into the posts database in schema 2.
fn moved_by_schema_2(name: &str) -> bool {
    name.starts_with("posts:") || name == "ords"
}

/// Copy every record of `from` into `to`; returns how many.
pub(super) fn copy_tree(from: &sled::Tree, to: &sled::Tree) -> Result<u64> {
    let mut n = 0;
    for kv in from.iter() {
        let (k, v) = kv.map_err(sled_err)?;
        to.insert(k, v).map_err(sled_err)?;
        n += 1;
    }
    Ok(n)
}

impl Store {
    pub(super) fn check_schema(&mut self) -> Result<()> {
        match self.meta.get("schema").map_err(sled_err)? {
            // A farm that has run before (it wrote a next-due record) always has a schema
            // record: its database file was deleted or replaced, and sled made an empty one.
            None if self.dir.join("next_due").exists() => {
                Err(damaged(&self.dir, "it has lost its schema record: the database file is gone"))
            }
            None => {
                // A new farm: its posts start in the control database.
                self.write_posts_in(PostsIn::Control)?;
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
                    if v <= 4 {
                        self.migrate_from_4()?;
                    }
                    self.migrate_from_5()
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
            let readers = readers_of_trees(legacy.tree_names());
            // `meta` already counts the posts of the shards this makes.
            self.filling_shards = true;
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
            self.filling_shards = false;
            // Flushed (and closed) before the schema record says 5.
            self.release_posts()?;
        }
        self.meta.insert("schema", &5u32.to_be_bytes()).map_err(sled_err)?;
        self.db.flush().map_err(sled_err)?;
        self.remove_legacy_posts()
    }

    /// Schema 5 → 6: the posts are in the shards (a farm without a `posts_in` record); a farm
    /// with few of them moves them into the control database. Killed half way, the move is
    /// redone or its leftovers removed (see [`Store::move_posts`]).
    fn migrate_from_5(&mut self) -> Result<()> {
        self.settle_posts_both_ways()?;
        self.meta.insert("schema", &SCHEMA.to_be_bytes()).map_err(sled_err)?;
        self.db.flush().map_err(sled_err)?;
        Ok(())
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
}
