//! The farm's records: a bot's configuration ([`Bot`]) and its run state ([`BotState`]).

use crate::error::{FarmError, Result};
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

/// A post a writer decided to make, or one asked for with `farm post` ([`Pending::by_hand`]),
/// recorded durably before the network call so that a crash or a lost answer can never lead to
/// a second post of it, nor to a second, different post for the same slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The exact text.
    pub text: String,
    /// Dedup hash of its normalised form.
    pub hash: u64,
    /// Deterministic idempotency key.
    pub key: String,
    /// The reader post it was made from (the writer cursor moves here once posted);
    /// [`Pending::BY_HAND`] for a post by hand.
    pub source_id: u64,
    /// When the intent was recorded.
    pub created: i64,
    /// How many times it was sent.
    pub attempts: u32,
    /// What goes out with the text (content warning, language, labels, the post it answers),
    /// fixed with the intent so that a resend is the same post.
    pub meta: PostMeta,
}

/// What a post carries besides its text. Each network maps what it has and drops the rest
/// (X has no content warning; only Bluesky has self-labels).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostMeta {
    /// Content warning (Mastodon `spoiler_text`).
    pub warning: Option<String>,
    /// Mark the post sensitive (Mastodon `sensitive`).
    pub sensitive: bool,
    /// Language, an ISO 639 code (Mastodon `language`, Bluesky `langs`); `None` lets the
    /// writer's setting or the source post decide when it is sent.
    pub lang: Option<String>,
    /// Bluesky self-labels (`nudity`, `graphic-media`, …).
    pub labels: Vec<String>,
    /// The post this one answers, when it is a reply.
    pub reply_to: Option<ReplyTo>,
}

/// Where a reply goes: its parent, and the root of the thread.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyTo {
    /// The parent post (X and Mastodon: its id; Bluesky: its `at://` URI and CID).
    pub parent: PostRef,
    /// The thread's first post (the parent itself when it starts the thread).
    pub root: PostRef,
    /// The parent's visibility where the network has one (a Mastodon reply follows it).
    pub visibility: Option<String>,
}

/// One post on a network, as a reply refers to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostRef {
    /// The network's id (X, Mastodon) or `at://` URI (Bluesky).
    pub id: String,
    /// Bluesky: the record's CID (a strong ref needs it).
    pub cid: Option<String>,
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
    /// An intent recorded but not confirmed yet: a writer's post, or any bot's post by hand.
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

impl Pending {
    /// The `source_id` of a post by hand (`farm post`): no reader post has id 0.
    pub const BY_HAND: u64 = 0;

    /// Whether this is a post by hand (`farm post`) rather than a writer's.
    pub fn by_hand(&self) -> bool {
        self.source_id == Self::BY_HAND
    }
}

/// X app keys shared by many bots (`farm app set x`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppKeys {
    /// Consumer key.
    pub consumer_key: String,
    /// Consumer secret.
    pub consumer_secret: String,
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

/// Activity counters of one bot in one hour (or one day).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Posts made.
    pub posts: u32,
    /// Posts fetched by a reader (an analyzer: posts scored).
    pub fetched: u32,
    /// API requests made.
    pub calls: u32,
    /// Failed runs.
    pub errors: u32,
    /// Posts the API returned to read calls (a timeline, the account's own posts): what X
    /// bills a read by, per post returned (format version 2).
    pub read: u32,
    /// Posts made whose text holds a link: X bills them at a higher price (format version 2).
    pub link_posts: u32,
}

impl std::ops::AddAssign for Counters {
    fn add_assign(&mut self, o: Counters) {
        self.posts += o.posts;
        self.fetched += o.fetched;
        self.calls += o.calls;
        self.errors += o.errors;
        self.read += o.read;
        self.link_posts += o.link_posts;
    }
}

/// What the farm's X app pays per call, as the operator set it (`farm app set x --read-price
/// …`), in millionths of a US dollar; `None` is farm's default ([`Prices::DEFAULT`]), so a
/// farm that never set a price follows the defaults of the farm version it runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prices {
    /// One post read (X bills reads per post returned).
    pub read: Option<u64>,
    /// One post made without a link.
    pub post: Option<u64>,
    /// One post made with a link.
    pub link_post: Option<u64>,
}

/// Prices in millionths of a US dollar, every one known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceList {
    /// One post read.
    pub read: u64,
    /// One post made without a link.
    pub post: u64,
    /// One post made with a link.
    pub link_post: u64,
}

impl Prices {
    /// X's published pay-per-use prices on 2026-12-06 (docs.x.com/x-api/getting-started/pricing):
    /// Posts: Read $0.005 per post returned, Content: Create $0.015 per request, Content:
    /// Create (with URL) $0.200 per request.
    pub const DEFAULT: PriceList = PriceList { read: 5_000, post: 15_000, link_post: 200_000 };

    /// The prices in force: the operator's where set, else [`Prices::DEFAULT`].
    pub fn list(&self) -> PriceList {
        let d = Self::DEFAULT;
        PriceList {
            read: self.read.unwrap_or(d.read),
            post: self.post.unwrap_or(d.post),
            link_post: self.link_post.unwrap_or(d.link_post),
        }
    }
}

impl PriceList {
    /// What `c` cost at these prices, in millionths of a US dollar.
    pub fn cost(&self, c: &Counters) -> u64 {
        let links = u64::from(c.link_posts.min(c.posts));
        u64::from(c.read) * self.read + (u64::from(c.posts) - links) * self.post + links * self.link_post
    }
}

/// A cached source post with its ordinal: the reader's running number of the post, which makes a
/// writer's backlog two subtractions (format version 2 of a posts-tree value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedPost {
    /// The reader's running number of this post (1, 2, …; 0 when unknown).
    pub ord: u64,
    /// The post.
    pub post: Post,
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

// ---- records the network layer fills in ----
//
// Defined here, with the other stored records, and not in `net`: they are part of the on-disk
// format (a bot's platform and credentials, a cached post, a rate-limit window, a learned
// length rule), so a change to them is a change of format, made here on purpose and checked by
// the golden bytes below; the clients use them through `net`'s re-export.

/// Which network (and API flavour) a bot speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PlatformKind {
    /// X API v2 (`--platform x`), OAuth 1.0a user context.
    X,
    /// Legacy X API v1.1 (`--platform x-v1`), OAuth 1.0a user context.
    XV1,
    /// Mastodon (`--platform mastodon`), bearer token.
    Mastodon,
    /// Bluesky (`--platform bluesky`): AT Protocol XRPC with an app-password session.
    Bluesky,
    /// An RSS, Atom or JSON feed (`--platform feed`, the feed's URL as `--api`): read only, no
    /// credentials. Added last: the stored variant numbers of the others stay as they were.
    Feed,
    /// A corpus (`--platform corpus`): a reader that never calls a network, filled from files
    /// by `farm import-corpus`. Added last, like [`PlatformKind::Feed`].
    Corpus,
}

impl PlatformKind {
    /// The name used on the command line and in output: `x`, `x-v1`, `mastodon`.
    pub fn name(self) -> &'static str {
        match self {
            PlatformKind::X => "x",
            PlatformKind::XV1 => "x-v1",
            PlatformKind::Mastodon => "mastodon",
            PlatformKind::Bluesky => "bluesky",
            PlatformKind::Feed => "feed",
            PlatformKind::Corpus => "corpus",
        }
    }
    /// Parse a command-line name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "x" | "twitter" => Some(PlatformKind::X),
            "x-v1" | "twitter-v1" => Some(PlatformKind::XV1),
            "mastodon" => Some(PlatformKind::Mastodon),
            "bluesky" | "bsky" => Some(PlatformKind::Bluesky),
            "feed" | "rss" | "atom" => Some(PlatformKind::Feed),
            "corpus" => Some(PlatformKind::Corpus),
            _ => None,
        }
    }
    /// The public base URL used when `--api` is not given (Mastodon has none).
    pub fn default_api(self) -> Option<&'static str> {
        match self {
            PlatformKind::X | PlatformKind::XV1 => Some("https://api.x.com"),
            PlatformKind::Mastodon | PlatformKind::Feed => None,
            PlatformKind::Bluesky => Some("https://bsky.social"),
            // A corpus has no API.
            PlatformKind::Corpus => Some(""),
        }
    }
    /// How long after the first attempt an unconfirmed post may be resent as is, seconds: well
    /// inside the time the server remembers it. Mastodon keeps an `Idempotency-Key` for up to
    /// an hour (its `statuses.md`); X refuses a duplicate text for about a day (observed, not
    /// documented). Later, the writer first reads its own posts to see whether it went out.
    /// Bluesky has no window: the post's record key, chosen by farm, settles it at any age.
    pub fn resend_window(self) -> i64 {
        match self {
            PlatformKind::X | PlatformKind::XV1 => 12 * 3600,
            PlatformKind::Mastodon => 45 * 60,
            PlatformKind::Bluesky => i64::MAX,
            // A feed or a corpus never posts.
            PlatformKind::Feed | PlatformKind::Corpus => 0,
        }
    }
    /// Whether this platform signs with OAuth 1.0a (needs four secrets) rather than a bearer token.
    pub fn uses_oauth1(self) -> bool {
        matches!(self, PlatformKind::X | PlatformKind::XV1)
    }
}

/// The secrets a bot uses. For X: all four; for Mastodon only `access_token` (the bearer token).
/// For Bluesky: `consumer_key` is the account's identifier (handle or DID), `consumer_secret`
/// its app password, `access_token` and `access_secret` the session's access and refresh JWT.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// X app (consumer) key.
    pub consumer_key: String,
    /// X app (consumer) secret.
    pub consumer_secret: String,
    /// User access token (X) or bearer token (Mastodon).
    pub access_token: String,
    /// User access token secret (X only).
    pub access_secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secrets, not even in debug output.
        write!(f, "Credentials {{ access_token: {} }}", mask(&self.access_token))
    }
}

/// Mask a secret so that it tells neither its length nor much of itself: eight stars and, for a
/// secret of 12 characters or more, its last 4 (to tell two tokens apart); a shorter one is the
/// eight stars alone. An empty one is `(none)`.
pub fn mask(secret: &str) -> String {
    const STARS: &str = "********";
    let n = secret.chars().count();
    if n == 0 {
        return "(none)".into();
    }
    if n < 12 {
        return STARS.into();
    }
    let tail: String = secret.chars().skip(n - 4).collect();
    format!("{STARS}{tail}")
}

/// Which API call a rate-limit state belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Call {
    /// Who am I.
    Verify,
    /// Read the home timeline.
    Timeline,
    /// Create a post.
    Post,
    /// Read own posts with engagement.
    OwnPosts,
    /// Delete a post.
    Delete,
    /// Not a call: the Bluesky write points an account spent in its current hour window,
    /// counted by farm ([`crate::bot::budget`]).
    WritePointsHour,
    /// Not a call: the Bluesky write points an account spent in its current day window.
    WritePointsDay,
}

impl Call {
    /// Stable name for storage keys and output.
    pub fn name(self) -> &'static str {
        match self {
            Call::Verify => "verify",
            Call::Timeline => "timeline",
            Call::Post => "post",
            Call::OwnPosts => "own_posts",
            Call::Delete => "delete",
            Call::WritePointsHour => "write_points_hour",
            Call::WritePointsDay => "write_points_day",
        }
    }
}

/// Rate-limit state learned from response headers (or a 429).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateInfo {
    /// Which call this state is for.
    pub call: Call,
    /// Window size in requests, when the server said.
    pub limit: Option<u64>,
    /// Requests left in the window.
    pub remaining: u64,
    /// Unix seconds when the window resets.
    pub reset: i64,
}

/// A post read from a source (a timeline, an account, a feed, a corpus file), kept whole: the
/// same fields mean the same thing on every network, so filters and templates behave alike.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    /// Numeric id (X snowflake, Mastodon id, or a hash of a feed entry's key).
    pub id: u64,
    /// Author's handle without `@`.
    pub author: String,
    /// Full plain text (never the 140-char truncation; HTML removed for Mastodon; for a
    /// repost, the reposted post's full text).
    pub text: String,
    /// Unix seconds, 0 when unknown.
    pub created_at: i64,
    /// A repost / retweet / reblog.
    pub is_repost: bool,
    /// A reply.
    pub is_reply: bool,
    /// Contains a link.
    pub has_links: bool,
    /// Language code when the platform gives one (`None` for "no language" codes such as X's
    /// `und`, `zxx`, `qst`).
    pub lang: Option<String>,
    /// The content warning the author put on it (Mastodon `spoiler_text`), if any.
    pub warning: Option<String>,
    /// Marked sensitive by its author (Mastodon `sensitive`, a Bluesky self-label).
    pub sensitive: bool,
    /// A feed entry's title.
    pub title: Option<String>,
    /// A feed entry's link (or the post's own URL where the source gives one).
    pub link: Option<String>,
    /// A feed entry's categories (or a post's tags).
    pub categories: Vec<String>,
}

/// Length rules of a platform, learned from it where it tells (Mastodon's instance config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LengthRule {
    /// Max length in the platform's units (X: weighted 280; Mastodon: graphemes, default 500).
    pub max: usize,
    /// Characters each URL counts as (23 on both).
    pub url_len: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_secret_does_not_tell_its_length() {
        // Long secrets: the same eight stars and the last four characters, whatever the length.
        for n in [12, 13, 20, 64] {
            let secret: String = "abcdefghijklmnopqrstuvwxyz0123456789".repeat(2).chars().take(n).collect();
            let m = mask(&secret);
            assert_eq!(m.chars().count(), 12, "{n}: {m}");
            assert!(m.starts_with("********"), "{m}");
            assert!(secret.ends_with(&m[8..]), "{m}");
        }
        // Short ones show nothing of themselves.
        for n in 1..12 {
            assert_eq!(mask(&"x".repeat(n)), "********", "{n}");
        }
        assert_eq!(mask(""), "(none)");
    }

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
