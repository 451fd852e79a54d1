//! A bot's records: its configuration (`bots`), run state (`state`), and the per-bot trees
//! keyed `bot\0…`: dedup hashes, rate-limit states, events and analyzer scores.

use super::codec::decode;
use super::posts::posts_tree_name;
use super::{key2, prefix, shard_of, sled_err, Store, EVENTS_KEPT};
use crate::error::Result;
use crate::model::{Bot, BotState, Event};
use crate::model::{Call, RateInfo};

impl Store {
    // ---- bots ----

    /// One bot by (normalised) name.
    pub fn bot(&self, name: &str) -> Result<Option<Bot>> {
        self.get(&self.bots, name.as_bytes())
    }

    /// Create or replace a bot's configuration.
    pub fn put_bot(&self, bot: &Bot) -> Result<()> {
        self.secrets_changed();
        self.put(&self.bots, bot.name.as_bytes(), bot)
    }

    /// All bots, ordered by name.
    pub fn bots(&self) -> Result<Vec<Bot>> {
        self.bots.iter().values().map(|v| decode(&v.map_err(sled_err)?)).collect()
    }

    /// Remove a bot and everything the farm keeps for it.
    pub fn destroy_bot(&self, name: &str) -> Result<()> {
        self.secrets_changed();
        self.bots.remove(name.as_bytes()).map_err(sled_err)?;
        self.state.remove(name.as_bytes()).map_err(sled_err)?;
        self.forget_replies(name)?;
        let p = prefix(name);
        for k in [
            key2("ord", name.as_bytes()),
            key2("ordmin", name.as_bytes()),
            key2("cord", name.as_bytes()),
            key2("imported", name.as_bytes()),
        ] {
            self.meta.remove(k).map_err(sled_err)?;
        }
        for tree in [
            &self.hashes,
            &self.rates,
            &self.counters,
            &self.daily,
            &self.events,
            &self.scores,
            &self.follows,
        ] {
            Self::delete_prefix(tree, &p)?;
        }
        let in_shards = self.posts_in() == super::PostsIn::Shards;
        if !in_shards || self.shard_exists(shard_of(name)) {
            self.posts_db(name)?.drop_tree(posts_tree_name(name)).map_err(sled_err)?;
        }
        Ok(())
    }

    // ---- state ----

    /// A bot's run state (default when it never ran), its last error with the farm's secrets
    /// masked (an older farm may have stored one that quotes a secret).
    pub fn state(&self, name: &str) -> Result<BotState> {
        let mut st: BotState = self.get(&self.state, name.as_bytes())?.unwrap_or_default();
        st.last_error = self.scrub_opt(&st.last_error)?;
        Ok(st)
    }

    /// Save a bot's run state, its last error with the farm's secrets masked.
    pub fn put_state(&self, name: &str, st: &BotState) -> Result<()> {
        let last_error = self.scrub_opt(&st.last_error)?;
        if last_error == st.last_error {
            return self.put(&self.state, name.as_bytes(), st);
        }
        self.put(&self.state, name.as_bytes(), &BotState { last_error, ..st.clone() })
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

    // ---- events ----

    /// Append an event to a bot's log (keeps the newest [`EVENTS_KEPT`]), its message with the
    /// farm's secrets masked.
    pub fn log(&self, bot: &str, at: i64, kind: &str, message: &str) -> Result<()> {
        let seq = self.db.generate_id().map_err(sled_err)?;
        let ev = Event { at, kind: kind.to_string(), message: self.scrub(message)? };
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

    /// The newest `n` events of a bot, oldest first, their messages with the farm's secrets
    /// masked (an older farm may have stored one that quotes a secret).
    pub fn events(&self, bot: &str, n: usize) -> Result<Vec<Event>> {
        let mut out: Vec<Event> = Vec::new();
        for v in self.events.scan_prefix(prefix(bot)).values().rev().take(n) {
            let ev: Event = decode(&v.map_err(sled_err)?)?;
            out.push(Event { message: self.scrub(&ev.message)?, ..ev });
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
