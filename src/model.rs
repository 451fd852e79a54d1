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
    /// A bot for unit tests: `b`, on X, hourly, reading `src`, created at 0, nothing else set.
    #[cfg(test)]
    pub(crate) fn for_tests(role: Role) -> Bot {
        Bot {
            name: "b".into(),
            role,
            platform: PlatformKind::X,
            api: String::new(),
            every: 3600,
            paused: false,
            source: Some("src".into()),
            creds: Default::default(),
            template: None,
            process: vec![],
            filters: vec![],
            visibility: None,
            reader: Default::default(),
            created_at: 0,
            settings: vec![],
        }
    }

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
    /// [`Pending::BY_HAND`] for a post by hand, [`Pending::GENERATED`] for a grammar writer's.
    pub source_id: u64,
    /// When the intent was recorded.
    pub created: i64,
    /// How many times it was sent.
    pub attempts: u32,
    /// What goes out with the text (content warning, language, labels, the post it answers),
    /// fixed with the intent so that a resend is the same post.
    pub meta: PostMeta,
    /// A part of a thread (`--long thread`): which part, and the parts still to post after it.
    /// Part 2 on answers part 1 (and so on): its [`PostMeta::reply_to`] names the part before it
    /// and the thread's first post.
    pub thread: Option<Thread>,
}

/// Where a pending post stands in a thread: a text too long for one post goes out as a chain of
/// replies, each part exactly once. The next part's intent is recorded in the same write that
/// confirms this one, with the ids the network returned for this one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thread {
    /// This part's number; the thread's first post is 1.
    pub part: u32,
    /// The texts of the parts after this one, in order.
    pub rest: Vec<String>,
}

impl Thread {
    /// How many posts the whole thread has.
    pub fn parts(&self) -> u32 {
        self.part + self.rest.len() as u32
    }
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
    /// A writer with time slots: the (nominal, Unix seconds) time of the latest slot it has
    /// served — posted for, found nothing to post for, or let pass by its missed-slot policy.
    /// Stored with the post intent, so a slot is never served twice; set to the time `--at`
    /// was given, so slots before that are not owed. 0 for a writer without slots.
    pub slot_done: i64,
    /// A writer with time slots: how many slots passed without a post of their own (the farm
    /// was not running, or the bot failed, until a later slot), in total.
    pub slots_missed: u64,
}

impl Pending {
    /// The `source_id` of a post by hand (`farm post`): no reader post has id 0.
    pub const BY_HAND: u64 = 0;
    /// The `source_id` of a reply to a mention: it answers no reader post ([`Pending::meta`]
    /// says which post it answers), and the writer's cursor never moves for it.
    pub const REPLY: u64 = u64::MAX;

    /// Whether this is a reply to a mention ([`crate::bot::reply`]).
    pub fn is_reply(&self) -> bool {
        self.source_id == Self::REPLY
    }

    /// The `source_id` of a grammar writer's post: it was made from no reader post, and its
    /// writer's cursor stays where it is.
    pub const GENERATED: u64 = u64::MAX - 1;

    /// Whether this is a post by hand (`farm post`) rather than a writer's.
    pub fn by_hand(&self) -> bool {
        self.source_id == Self::BY_HAND
    }

    /// The reader post it was made from: none for a post by hand, a reply or a grammar writer's.
    pub fn source_post(&self) -> Option<u64> {
        let made_of_none = [Self::BY_HAND, Self::GENERATED, Self::REPLY];
        (!made_of_none.contains(&self.source_id)).then_some(self.source_id)
    }

    /// Whether this is a later part of a thread (part 2 on): the thread's first post was
    /// confirmed already, so this one is not a post of its own for the writer's schedule,
    /// total or grammar numbering.
    pub fn continues(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| t.part > 1)
    }

    /// `(part, parts)` of a thread's part: `(2, 3)` for the second of three.
    pub fn part_of(&self) -> Option<(u32, u32)> {
        self.thread.as_ref().map(|t| (t.part, t.parts()))
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

/// A public account a reader follows (`farm create reader … --follow NAME`), with what farm
/// learned reading it: one record per account in the store's `follows` tree, keyed by its
/// reader and [`Followed::spec`]. Its posts are read by its stable id, never by its name, so a
/// renamed account is still followed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Followed {
    /// The account as given on the command line, normalised (`user@instance.example`, a
    /// Bluesky handle or DID, an X username): its key, and what `--unfollow` names.
    pub spec: String,
    /// Its stable id once looked up (Mastodon account id, Bluesky DID, X user id).
    pub id: Option<String>,
    /// Its name as last seen (changes when it is renamed).
    pub handle: String,
    /// Where its posts are read, once known: its Mastodon instance or Bluesky PDS (base URL).
    pub home: Option<String>,
    /// The newest of its posts read (Mastodon and X: the post id; Bluesky: the record key).
    pub cursor: Option<String>,
    /// How it stands.
    pub status: SourceStatus,
    /// The last failure reading it, one line.
    pub last_error: Option<String>,
    /// When its posts were last read (Unix seconds, 0: never).
    pub last_read: i64,
    /// When its profile was last checked for consent (`#nobot`, `#noai`); 0: never.
    pub checked_at: i64,
    /// Its posts fetched, in total.
    pub fetched: u64,
    /// Until when a rate limit of its server holds it back.
    pub held_until: Option<i64>,
    /// Posts made before this time are not read (Unix seconds): set when its consent comes
    /// back, so nothing it posted while it said no is ever read.
    pub read_from: i64,
}

impl Followed {
    /// A newly followed account, not looked up yet.
    pub fn new(spec: &str) -> Followed {
        Followed {
            spec: spec.to_string(),
            id: None,
            handle: spec.to_string(),
            home: None,
            cursor: None,
            status: SourceStatus::New,
            last_error: None,
            last_read: 0,
            checked_at: 0,
            fetched: 0,
            held_until: None,
            read_from: 0,
        }
    }
}

/// How a followed account stands ([`Followed::status`]). The clients report the states their
/// server gives ([`SourceStatus::Ok`], `Moved`, `Gone`, `Suspended`, `Deactivated`, `Blocked`);
/// the reader adds the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SourceStatus {
    /// Not looked up yet: its first read resolves it.
    New,
    /// Read fine.
    Ok,
    /// Read fine, under a new name: followed by its id.
    Renamed {
        /// The name it had before.
        from: String,
    },
    /// Its owner moved it to another account (Mastodon's `moved`): no longer read; follow
    /// the new one to go on.
    Moved {
        /// The new account, as its server names it.
        to: String,
    },
    /// Its server says it does not exist (deleted, or never was).
    Gone,
    /// Suspended or taken down by its server.
    Suspended,
    /// Deactivated by its owner (Bluesky); read again once it is back.
    Deactivated,
    /// Its posts cannot be read: protected, or its server refuses farm.
    Blocked,
    /// Its profile says `#nobot` or `#noai`: not read, and its cached posts are removed.
    NoConsent,
    /// The last read failed for a passing reason (server trouble, a rate limit): retried.
    Failing,
}

impl SourceStatus {
    /// Whether the account is being read (counted as ok in `farm stats`).
    pub fn is_ok(&self) -> bool {
        matches!(self, SourceStatus::Ok | SourceStatus::Renamed { .. })
    }
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
    /// Read the mentions of the account (a writer that answers them). Added last: the stored
    /// variant numbers of the others stay as they were.
    Mentions,
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
            Call::Mentions => "mentions",
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

/// Language codes that name no language: `und` (undetermined), `zxx` (no linguistic content),
/// `mis` and `mul` (ISO 639), and X's own `qst` (too short), `qme` (media only), `qht`
/// (hashtags only), `qam` (mentions only), `qct` (cashtags only).
const NO_LANGUAGE: [&str; 9] = ["und", "zxx", "mis", "mul", "qst", "qme", "qht", "qam", "qct"];

/// A language tag as farm keeps and sends it: a BCP 47 tag (a language of 2 or 3 letters, then
/// subtags of 1 to 8 letters or digits) in its usual case (`en`, `pt-BR`, `zh-Hant`, `es-419`),
/// from whatever a network, a feed or a user wrote (`en_us` and `EN-us` are `en-US`). `None` for
/// a code that names no language ([`NO_LANGUAGE`]) and for anything that is not a tag, so every
/// reader stores a language the same way and a filter never takes `und` for a language.
pub fn lang_tag(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 35 {
        return None;
    }
    let mut parts = raw.split(['-', '_']);
    let primary = parts.next()?.to_ascii_lowercase();
    if !(2..=3).contains(&primary.len()) || !primary.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    if NO_LANGUAGE.contains(&primary.as_str()) {
        return None;
    }
    let mut tag = primary;
    for p in parts {
        if !(1..=8).contains(&p.len()) || !p.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let p = match p.len() {
            2 if p.bytes().all(|b| b.is_ascii_alphabetic()) => p.to_ascii_uppercase(),
            4 if p.bytes().all(|b| b.is_ascii_alphabetic()) => {
                let lower = p.to_ascii_lowercase();
                lower[..1].to_ascii_uppercase() + &lower[1..]
            }
            _ => p.to_ascii_lowercase(),
        };
        tag.push('-');
        tag.push_str(&p);
    }
    Some(tag)
}

/// A post that mentions a bot's account or answers one of its posts, as the network lists it
/// (Mastodon notifications of type mention, X mentions, Bluesky notifications of reason mention
/// or reply): what a reply needs to thread under it, and what the loop guard judges it by.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    /// The mentioning post, which the reply answers (X and Mastodon: its id; Bluesky: its URI
    /// and CID).
    pub post: PostRef,
    /// The first post of its thread, when the network says (X `conversation_id`, Bluesky
    /// `reply.root`).
    pub root: Option<PostRef>,
    /// The id (Bluesky: URI) of the post it answers, when it is a reply.
    pub in_reply_to: Option<String>,
    /// The author's handle without `@` (Mastodon `acct`: `name@domain` for a remote account).
    pub author: String,
    /// The author's account id (X and Mastodon id, Bluesky DID).
    pub author_id: String,
    /// The author's account says it is a bot (Mastodon `bot: true`, the Bluesky `bot` label).
    pub author_is_bot: bool,
    /// Plain text (HTML removed for Mastodon).
    pub text: String,
    /// Unix seconds, 0 when unknown.
    pub created_at: i64,
    /// Mastodon: its visibility (a reply follows it).
    pub visibility: Option<String>,
    /// Its language, when the network gives one.
    pub lang: Option<String>,
}

/// A writer's memory of its mentions (tree `replies`, one per writer that answers them): the
/// cursor, the mentions read and not decided yet, and what the loop guard counts. Every list is
/// bounded ([`crate::bot::reply`] says how far).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyState {
    /// The network's cursor: the newest mention read (Mastodon notification id, X post id,
    /// Bluesky `indexedAt` in milliseconds).
    pub cursor: Option<String>,
    /// Mentions read and not answered or passed over yet, oldest first. One whose reply is
    /// unconfirmed stays here until the reply is settled.
    pub waiting: Vec<Mention>,
    /// The newest mentions answered or passed over (their post ids), oldest first: none is
    /// answered twice, whatever a server sends again.
    pub done: Vec<String>,
    /// Replies made per thread: (thread key, replies, time of the last), most recent last.
    pub threads: Vec<(String, u32, i64)>,
    /// This writer's newest replies: (the reply's post id, its thread key), so that a mention
    /// answering one of them is counted in that thread.
    pub own: Vec<(String, String)>,
    /// Replies made in the last hour: (author account id, time).
    pub recent: Vec<(String, i64)>,
    /// What happened to the mentions so far.
    pub counts: ReplyCounts,
}

/// Mentions counted since the writer began answering them: read, answered, and passed over by
/// the loop guard, for each reason ([`crate::bot::reply::Skip`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyCounts {
    /// New mentions read.
    pub seen: u64,
    /// Answered.
    pub answered: u64,
    /// From an account marked as a bot.
    pub bot: u64,
    /// In a thread that had its replies.
    pub thread: u64,
    /// From an account that had its replies this hour.
    pub account: u64,
    /// From the writer's own account.
    pub itself: u64,
    /// From another bot of this farm.
    pub farm: u64,
    /// Older than the writer's replies or than the horizon.
    pub old: u64,
    /// Reads that may have left older mentions unread (more came in than one read takes).
    pub flood: u64,
    /// The writer's processors made no usable text of it, or it was malformed.
    pub nothing: u64,
    /// The server refused the reply for good (the mention or its author is gone).
    pub gone: u64,
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
    fn language_tags_are_kept_one_way() {
        for (raw, want) in [
            ("en", Some("en")),
            ("EN-us", Some("en-US")),
            ("en_US", Some("en-US")),
            ("pt-br", Some("pt-BR")),
            ("zh-hant-tw", Some("zh-Hant-TW")),
            ("es-419", Some("es-419")),
            (" ru ", Some("ru")),
        ] {
            assert_eq!(lang_tag(raw).as_deref(), want, "{raw}");
        }
        // Codes that name no language, and what is no tag at all.
        for raw in
            ["und", "zxx", "qst", "qme", "qht", "qam", "qct", "mis", "mul", "", "e", "english", "en-", "x y"]
        {
            assert_eq!(lang_tag(raw), None, "{raw}");
        }
        assert_eq!(lang_tag(&"en-a".repeat(100)), None);
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
