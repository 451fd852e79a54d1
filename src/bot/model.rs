//! The farm's records: a bot's configuration ([`Bot`]) and its run state ([`BotState`]).

use crate::error::{FarmError, Result};
use crate::net::{Credentials, LengthRule, PlatformKind};
use crate::store::codec::Stored;
use serde::{Deserialize, Serialize};

/// What a bot does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Role {
    /// Reads its home timeline and caches the posts for writers.
    Reader,
    /// Turns a reader's posts into new posts.
    Writer,
    /// Scores a writer's posts by engagement and feeds words back into it.
    Analyzer,
}

impl Role {
    /// `reader`, `writer`, `analyzer`.
    pub fn name(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Writer => "writer",
            Role::Analyzer => "analyzer",
        }
    }
}

/// Reader limits: paging cap and retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReaderOpts {
    /// Most posts fetched in one run (pages are followed until the cursor or this cap).
    pub cap: u32,
    /// Cached posts older than this many seconds are dropped.
    pub max_age: u64,
    /// At most this many cached posts are kept (the oldest go first).
    pub max_count: u32,
    /// Posts consumed by every writer are still kept this long, as a corpus for Markov writers.
    pub corpus_age: u64,
}

impl Default for ReaderOpts {
    fn default() -> Self {
        ReaderOpts { cap: 200, max_age: 30 * 86_400, max_count: 5000, corpus_age: 3 * 86_400 }
    }
}

/// A bot's configuration, as created by `farm create` and changed by `farm edit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bot {
    /// Unique name (without `@`).
    pub name: String,
    /// What it does.
    pub role: Role,
    /// Which network.
    pub platform: PlatformKind,
    /// API base URL, no trailing slash.
    pub api: String,
    /// Interval between runs, seconds.
    pub every: u64,
    /// Paused bots are skipped by `farm run`.
    pub paused: bool,
    /// Writers: the reader they take posts from. Analyzers: the writer they score.
    pub source: Option<String>,
    /// The secrets (never printed).
    pub creds: Credentials,
    /// Writers: `--template`.
    pub template: Option<String>,
    /// Writers: `--process` specs, in order.
    pub process: Vec<String>,
    /// Writers: `--filter` specs.
    pub filters: Vec<String>,
    /// Mastodon writers: post visibility (default `unlisted`).
    pub visibility: Option<String>,
    /// Reader limits.
    pub reader: ReaderOpts,
    /// Unix seconds of creation.
    pub created_at: i64,
    /// Room to grow: extra settings as key/value pairs (analyzer options and later additions).
    pub settings: Vec<(String, String)>,
}

impl Stored for Bot {
    const VERSION: u8 = 1;
    const WHAT: &'static str = "bot";
}

impl Bot {
    /// The value of an extra setting.
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
    /// Set (or with `None`, remove) an extra setting.
    pub fn set_setting(&mut self, key: &str, value: Option<String>) {
        self.settings.retain(|(k, _)| k != key);
        if let Some(v) = value {
            self.settings.push((key.to_string(), v));
        }
    }
}

/// A post a writer decided to make, recorded durably before the network call so that a crash
/// can never lead to a second, different post for the same slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The exact text.
    pub text: String,
    /// Dedup hash of its normalised form.
    pub hash: u64,
    /// Deterministic idempotency key.
    pub key: String,
    /// The reader post it was made from (the writer cursor moves here once posted).
    pub source_id: u64,
    /// When the intent was recorded.
    pub created: i64,
    /// How many times it was sent.
    pub attempts: u32,
}

/// What the farm remembers about a bot between runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BotState {
    /// Last successful run (reader: read; writer: slot completed, posted or not).
    pub last_ok: i64,
    /// Last attempt, successful or not.
    pub last_attempt: i64,
    /// Consecutive failures.
    pub fails: u32,
    /// When the current run of failures began.
    pub failing_since: Option<i64>,
    /// The last error, one line.
    pub last_error: Option<String>,
    /// Reader: the platform cursor (newest id seen).
    pub cursor: Option<String>,
    /// Writer: the newest reader post id consumed.
    pub consumed: u64,
    /// Writer: an intent recorded but not confirmed yet.
    pub pending: Option<Pending>,
    /// Writer: when it last posted.
    pub last_post_at: i64,
    /// Posts made (writers) or fetched (readers), in total.
    pub total: u64,
    /// Reader: posts in the cache now.
    pub cached: u64,
    /// The platform account id, once learned (saves a call on X v2).
    pub account_id: Option<String>,
    /// Length rule learned from the platform, and when.
    pub length_rule: Option<(LengthRule, i64)>,
    /// Until when the bot is blocked by a rate limit (latest known reset), for display.
    pub limited_until: Option<i64>,
}

impl Stored for BotState {
    const VERSION: u8 = 1;
    const WHAT: &'static str = "bot state";
}

/// X app keys shared by many bots (`farm app set x`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppKeys {
    /// Consumer key.
    pub consumer_key: String,
    /// Consumer secret.
    pub consumer_secret: String,
}

impl Stored for AppKeys {
    const VERSION: u8 = 1;
    const WHAT: &'static str = "app keys";
}

/// One entry of a bot's event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Unix seconds.
    pub at: i64,
    /// `read`, `post`, `skip`, `error`, `create`, …
    pub kind: String,
    /// One line.
    pub message: String,
}

impl Stored for Event {
    const VERSION: u8 = 1;
    const WHAT: &'static str = "event";
}

/// Activity counters of one bot in one hour.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Posts made.
    pub posts: u32,
    /// Posts fetched by a reader.
    pub fetched: u32,
    /// API requests made.
    pub calls: u32,
    /// Failed runs.
    pub errors: u32,
}

impl Stored for Counters {
    const VERSION: u8 = 1;
    const WHAT: &'static str = "counters";
}

impl std::ops::AddAssign for Counters {
    fn add_assign(&mut self, o: Counters) {
        self.posts += o.posts;
        self.fetched += o.fetched;
        self.calls += o.calls;
        self.errors += o.errors;
    }
}

/// A cached source post as stored (the network `Post`), format version 1: what schema-3 farms
/// stored in their posts trees. Read only by the migration to [`CachedPost`].
impl Stored for crate::net::Post {
    const VERSION: u8 = 1;
    const WHAT: &'static str = "post";
}

/// A cached source post with its ordinal: the reader's running number of the post, which makes a
/// writer's backlog two subtractions (format version 2 of a posts-tree value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedPost {
    /// The reader's running number of this post (1, 2, …; 0 when unknown).
    pub ord: u64,
    /// The post.
    pub post: crate::net::Post,
}

impl Stored for CachedPost {
    const VERSION: u8 = 2;
    const WHAT: &'static str = "cached post";
    fn migrate(v: u8, body: &[u8]) -> Result<Self> {
        match v {
            1 => Ok(CachedPost { ord: 0, post: crate::store::codec::decode_body(body, Self::WHAT)? }),
            _ => Err(FarmError::data(format!(
                "a stored cached post has format version {v}, which this farm cannot read"
            ))),
        }
    }
}

impl Stored for crate::net::RateInfo {
    const VERSION: u8 = 1;
    const WHAT: &'static str = "rate-limit state";
}

/// Check and normalise a bot name: `@name` and `name` are the same bot.
pub fn normalize_name(raw: &str) -> Result<String> {
    let name = raw.strip_prefix('@').unwrap_or(raw);
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !ok {
        return Err(FarmError::usage(format!(
            "{raw:?} is not a valid bot name: use 1-64 letters, digits, '_' or '-' (an optional leading '@' is dropped)"
        )));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(normalize_name("@hp_bot").unwrap(), "hp_bot");
        assert_eq!(normalize_name("hp-bot1").unwrap(), "hp-bot1");
        assert!(normalize_name("").is_err());
        assert!(normalize_name("@").is_err());
        assert!(normalize_name("a b").is_err());
        assert!(normalize_name("бот").is_err());
        assert!(normalize_name(&"a".repeat(65)).is_err());
    }
}
