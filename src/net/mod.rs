//! The network layer: one small [`Platform`] trait and its clients for X API v2, X API v1.1 and
//! Mastodon. Nothing outside this module sees HTTP.
//!
//! Every call returns what it learned about rate limits ([`RateInfo`]) next to its value, so the
//! caller can store it and never make a call that a known window forbids. Errors are classified
//! once, here, into [`NetError`] with a [`NetErrorKind`]: the transport in [`http`], each
//! platform's error answers next to its client ([`x::classify`], [`mastodon::classify`]).
//!
//! The clients get the run's `now` when they are made ([`connect`]) and do all rate-limit
//! arithmetic relative to it.

pub mod auth;
pub mod html;
pub mod http;
pub mod mastodon;
pub mod oauth;
pub mod x;
pub mod xv1;

use crate::error::{FarmError, Kind};
use serde::{Deserialize, Serialize};

/// Which network (and API flavour) a bot speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PlatformKind {
    /// X API v2 (`--platform x`), OAuth 1.0a user context.
    X,
    /// Legacy X API v1.1 (`--platform x-v1`), OAuth 1.0a user context.
    XV1,
    /// Mastodon (`--platform mastodon`), bearer token.
    Mastodon,
}

impl PlatformKind {
    /// The name used on the command line and in output: `x`, `x-v1`, `mastodon`.
    pub fn name(self) -> &'static str {
        match self {
            PlatformKind::X => "x",
            PlatformKind::XV1 => "x-v1",
            PlatformKind::Mastodon => "mastodon",
        }
    }
    /// Parse a command-line name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "x" | "twitter" => Some(PlatformKind::X),
            "x-v1" | "twitter-v1" => Some(PlatformKind::XV1),
            "mastodon" => Some(PlatformKind::Mastodon),
            _ => None,
        }
    }
    /// The public base URL used when `--api` is not given (Mastodon has none).
    pub fn default_api(self) -> Option<&'static str> {
        match self {
            PlatformKind::X | PlatformKind::XV1 => Some("https://api.x.com"),
            PlatformKind::Mastodon => None,
        }
    }
    /// How long after the first attempt an unconfirmed post may be resent as is, seconds: well
    /// inside the time the server remembers it. Mastodon keeps an `Idempotency-Key` for up to
    /// an hour (its `statuses.md`); X refuses a duplicate text for about a day (observed, not
    /// documented). Later, the writer first reads its own posts to see whether it went out.
    pub fn resend_window(self) -> i64 {
        match self {
            PlatformKind::X | PlatformKind::XV1 => 12 * 3600,
            PlatformKind::Mastodon => 45 * 60,
        }
    }
    /// Whether this platform signs with OAuth 1.0a (needs four secrets) rather than a bearer token.
    pub fn uses_oauth1(self) -> bool {
        !matches!(self, PlatformKind::Mastodon)
    }
}

/// The secrets a bot uses. For X: all four; for Mastodon only `access_token` (the bearer token).
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

/// Mask a secret: all but the last 4 characters become `*` (at most 8 stars shown).
pub fn mask(secret: &str) -> String {
    let n = secret.chars().count();
    if n == 0 {
        return "(none)".into();
    }
    if n <= 4 {
        return "****".into();
    }
    let tail: String = secret.chars().skip(n - 4).collect();
    format!("{}{}", "*".repeat((n - 4).min(8)), tail)
}

/// Everything a client needs to talk to one account.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Which API.
    pub kind: PlatformKind,
    /// Base URL without a trailing slash, e.g. `https://api.x.com` or `http://127.0.0.1:4000`.
    pub api: String,
    /// The secrets.
    pub creds: Credentials,
    /// The account's id on the platform when already known (saves an API call on X v2).
    pub account_id: Option<String>,
}

impl Endpoint {
    /// The full URL of an API path (`/2/tweets`), whether or not `api` ends with a slash.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api.trim_end_matches('/'))
    }
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

/// A post read from a timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    /// Numeric id (X snowflake or Mastodon id).
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
    /// Language code when the platform gives one.
    pub lang: Option<String>,
}

/// One page-walk of the home timeline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeline {
    /// New posts, oldest first.
    pub posts: Vec<Post>,
    /// The cursor to store for the next call (newest id seen), `None` if nothing new.
    pub cursor: Option<String>,
    /// How many HTTP requests were made.
    pub calls: u32,
}

/// Result of creating a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    /// The new post's id, when the server returned one (not on a duplicate answer).
    pub id: Option<String>,
    /// True when the server said this text was already posted (X 187, v2 403 duplicate);
    /// this means *already posted*, not a failure.
    pub duplicate: bool,
}

/// One of the bot's own posts with its engagement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnPost {
    /// Post id.
    pub id: u64,
    /// Plain text.
    pub text: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Likes / favourites.
    pub likes: u64,
    /// Retweets / reblogs.
    pub reposts: u64,
}

/// The account behind the credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Platform id.
    pub id: String,
    /// Handle without `@`.
    pub username: String,
}

/// A value plus the rate-limit states the call(s) taught us.
#[derive(Debug, Clone)]
pub struct Reply<T> {
    /// The value.
    pub value: T,
    /// Rate-limit observations, in order.
    pub rates: Vec<RateInfo>,
}

/// Classified network failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NetErrorKind {
    /// 401 / X codes 32, 89: credentials refused.
    Auth,
    /// X code 135: the local clock is off.
    ClockSkew,
    /// 429 or X code 88 (the reset is in [`NetError::rate`]).
    RateLimited,
    /// X 186 / Mastodon 422 length: the text is too long.
    TooLong,
    /// 453 or client-not-enrolled: the API plan has no access to this endpoint.
    NoAccess,
    /// X 185: daily posting limit of the account.
    DailyLimit,
    /// 5xx, timeouts, connection resets: retry next run.
    Server,
    /// A body that is not what the API documents (garbage, HTML, missing fields).
    Malformed,
    /// Any other 4xx refusal.
    Refused,
    /// The server refused this post's content for good (e.g. Mastodon 422 in any language, X 400
    /// or 403 about the text): resending the same text can never succeed, so the writer drops
    /// it and moves on.
    Rejected,
}

/// A classified network failure with a one-line message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetError {
    /// The class.
    pub kind: NetErrorKind,
    /// One line of human text (no secrets).
    pub message: String,
    /// Rate-limit state learned from the failed response (a 429 carries its reset here).
    pub rate: Option<RateInfo>,
    /// Whether the request may have been performed by the server (e.g. a timeout after the
    /// request was sent): the caller must then not assume nothing happened.
    pub maybe_performed: bool,
}

impl NetError {
    /// Make an error.
    pub fn new(kind: NetErrorKind, message: impl Into<String>) -> Self {
        NetError { kind, message: message.into(), rate: None, maybe_performed: false }
    }

    /// The exit-code class of this failure.
    pub fn exit_kind(&self) -> Kind {
        match self.kind {
            NetErrorKind::Auth | NetErrorKind::ClockSkew => Kind::Auth,
            NetErrorKind::RateLimited | NetErrorKind::Server | NetErrorKind::DailyLimit => Kind::TempFail,
            NetErrorKind::TooLong | NetErrorKind::Malformed | NetErrorKind::Rejected => Kind::Data,
            NetErrorKind::NoAccess => Kind::Config,
            NetErrorKind::Refused => Kind::Unavailable,
        }
    }

    /// Turn into the program's error type, naming the bot.
    pub fn for_bot(&self, bot: &str) -> FarmError {
        FarmError::new(self.exit_kind(), format!("{bot}: {}", self.message))
    }
}

impl std::fmt::Display for NetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Result of a network call.
pub type NetResult<T> = std::result::Result<Reply<T>, NetError>;

/// Length rules of a platform, learned from it where it tells (Mastodon's instance config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LengthRule {
    /// Max length in the platform's units (X: weighted 280; Mastodon: graphemes, default 500).
    pub max: usize,
    /// Characters each URL counts as (23 on both).
    pub url_len: usize,
}

/// One social network account, as the rest of farm sees it.
pub trait Platform: Send {
    /// Who am I: one call.
    fn verify(&mut self) -> NetResult<Account>;
    /// Posts newer than `since` (the stored cursor), oldest first, following pages up to `cap`
    /// posts. With `since = None` only the newest page is read.
    fn home_timeline(&mut self, since: Option<&str>, cap: usize) -> NetResult<Timeline>;
    /// Create a post. `key` is a deterministic idempotency key (sent as `Idempotency-Key` on
    /// Mastodon). A duplicate answer is `Ok` with `duplicate = true`.
    fn post(&mut self, text: &str, key: &str) -> NetResult<Posted>;
    /// The account's own recent posts with engagement, newest first, up to `cap`.
    fn own_posts(&mut self, cap: usize) -> NetResult<Vec<OwnPost>>;
    /// Delete one of the account's own posts.
    fn delete(&mut self, id: u64) -> NetResult<()>;
    /// The length rule (may make one call on Mastodon: `GET /api/v2/instance`).
    fn length_rule(&mut self) -> NetResult<LengthRule>;
    /// The account id learned so far (cached by the caller to save calls).
    fn account_id(&self) -> Option<String>;
}

/// Build the client for an endpoint, for a run at `now` (Unix seconds, from
/// [`crate::clock::now`]): the client judges rate limits (capped resets, a 429's window) at
/// that time, never by reading a clock of its own.
pub fn connect(ep: Endpoint, now: i64) -> Box<dyn Platform> {
    match ep.kind {
        PlatformKind::X => Box::new(x::XV2::new(ep, now)),
        PlatformKind::XV1 => Box::new(xv1::XV1::new(ep, now)),
        PlatformKind::Mastodon => Box::new(mastodon::Mastodon::new(ep, now)),
    }
}
