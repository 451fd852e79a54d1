//! The `follows` tree: the public accounts each reader follows, one
//! [`Followed`](crate::model::Followed) per account, keyed `reader\0spec`.

use super::codec::{decode, encode};
use super::{key2, prefix, sled_err, Store};
use crate::error::Result;
use crate::model::Followed;

impl Store {
    /// The accounts `reader` follows, ordered by their spec.
    pub fn follows(&self, reader: &str) -> Result<Vec<Followed>> {
        self.follows.scan_prefix(prefix(reader)).values().map(|v| decode(&v.map_err(sled_err)?)).collect()
    }

    /// Whether `reader` follows any account (one lookup, nothing decoded).
    pub fn has_follows(&self, reader: &str) -> Result<bool> {
        Ok(self.follows.scan_prefix(prefix(reader)).keys().next().transpose().map_err(sled_err)?.is_some())
    }

    /// Store the records of accounts `reader` follows, all of them or none (one atomic batch):
    /// a run that stops half way never leaves one account's cursor moved and another's not.
    pub fn put_follows(&self, reader: &str, follows: &[Followed]) -> Result<()> {
        let mut batch = sled::Batch::default();
        for f in follows {
            batch.insert(key2(reader, f.spec.as_bytes()), encode(f)?);
        }
        self.follows.apply_batch(batch).map_err(sled_err)
    }

    /// Stop following `spec`; whether it was followed.
    pub fn remove_follow(&self, reader: &str, spec: &str) -> Result<bool> {
        Ok(self.follows.remove(key2(reader, spec.as_bytes())).map_err(sled_err)?.is_some())
    }

    /// Forget every account `reader` follows (the reader is destroyed, or moved to another network).
    pub fn clear_follows(&self, reader: &str) -> Result<()> {
        Self::delete_prefix(&self.follows, &prefix(reader)).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::super::logical::tests::{post, Dir};
    use super::super::{validate_record, Store};
    use crate::model::{Followed, Post};

    fn by(author: &str, id: u64, at: i64) -> Post {
        Post { author: author.into(), created_at: at, ..post(id) }
    }

    #[test]
    fn follows_are_kept_per_reader_and_go_with_it() {
        let d = Dir::new("follows");
        let store = Store::open(&d.0).unwrap();
        store.put_follows("r", &[Followed::new("b@x.example"), Followed::new("a@x.example")]).unwrap();
        store.put_follows("r2", &[Followed::new("c@x.example")]).unwrap();
        let specs = |r: &str| store.follows(r).unwrap().into_iter().map(|f| f.spec).collect::<Vec<_>>();
        assert_eq!(specs("r"), ["a@x.example", "b@x.example"]);
        assert!(store.has_follows("r").unwrap() && !store.has_follows("r3").unwrap());
        assert!(store.remove_follow("r", "a@x.example").unwrap());
        assert!(!store.remove_follow("r", "a@x.example").unwrap());
        store.destroy_bot("r").unwrap();
        assert!(specs("r").is_empty());
        assert_eq!(specs("r2"), ["c@x.example"]);
        let value = super::super::codec::encode(&Followed::new("c@x.example")).unwrap();
        validate_record("follows", b"r2\0c@x.example", &value).unwrap();
        assert!(validate_record("follows", b"r2\0other@x.example", &value).is_err());
        assert!(validate_record("follows", b"bad name\0c@x.example", &value).is_err());
    }

    #[test]
    fn posts_of_any_age_are_appended_after_the_newest() {
        let d = Dir::new("append");
        let store = Store::open(&d.0).unwrap();
        store.add_posts("r", &[by("a", 100, 1), by("a", 200, 2), by("a", 300, 3)]).unwrap();
        // An older post goes after the newest cached one; a newer one keeps its id.
        let batch = [by("b", 50, 0), by("b", 400, 4), by("c", 150, 5)];
        assert_eq!(store.append_posts("r", &batch).unwrap(), 3);
        let ids: Vec<u64> = store.posts_after("r", 0, 10).unwrap().iter().map(|p| p.id).collect();
        assert_eq!(ids, [100, 200, 300, 301, 400, 401]);
        // The same batch again (a run that stopped before storing its cursors): nothing new.
        assert_eq!(store.append_posts("r", &batch).unwrap(), 0);
        assert_eq!(store.prune_posts("r", 100, |_| false).unwrap(), (0, 6));
    }

    #[test]
    fn an_authors_posts_go_from_anywhere_and_the_count_stays_exact() {
        let d = Dir::new("purge");
        let store = Store::open(&d.0).unwrap();
        let posts: Vec<Post> =
            (1..=8).map(|i| by(if i % 3 == 0 { "gone" } else { "kept" }, i, i as i64)).collect();
        store.add_posts("r", &posts).unwrap();
        store.note_consumed("w", "r", 4).unwrap();
        assert_eq!(store.backlog("w", "r").unwrap(), 4);
        assert_eq!(store.purge_authors("r", &["gone".into()]).unwrap(), 2);
        store.note_consumed("w", "r", 4).unwrap();
        let left: Vec<u64> = store.posts_after("r", 0, 10).unwrap().iter().map(|p| p.id).collect();
        assert_eq!(left, [1, 2, 4, 5, 7, 8]);
        // Six cached, three of them after the writer's position (5, 7, 8).
        assert_eq!(store.prune_posts("r", 100, |_| false).unwrap(), (0, 6));
        assert_eq!(store.backlog("w", "r").unwrap(), 3);
        // New posts continue the numbering.
        store.add_posts("r", &[by("kept", 9, 9)]).unwrap();
        assert_eq!(store.backlog("w", "r").unwrap(), 4);
        assert_eq!(store.prune_posts("r", 100, |_| false).unwrap(), (0, 7));
        assert_eq!(store.purge_authors("r", &["nobody".into()]).unwrap(), 0);
    }
}
