//! The network layer: one small [`Platform`] trait and its clients for X API v2, X API v1.1,
//! Mastodon and Bluesky, and a reader of RSS / Atom / JSON feeds ([`feed`]). Nothing outside this module sees HTTP.
//!
//! Every call returns what it learned about rate limits ([`RateInfo`]) next to its value, so the
//! caller can store it and never make a call that a known window forbids. Errors are classified
//! once, here, into [`NetError`] with a [`NetErrorKind`]: the transport in [`http`], each
//! platform's error answers next to its client ([`x::classify`], [`mastodon::classify`]).
//!
//! The clients get the run's `now` when they are made ([`connect`]) and do all rate-limit
//! arithmetic relative to it.

pub mod auth;
pub mod base64;
pub mod bluesky;
pub mod corpus;
pub mod feed;
pub mod html;
pub mod http;
pub mod mastodon;
pub mod oauth;
pub mod x;
pub mod xv1;

use crate::error::{FarmError, Kind};
use crate::secret::Secrets;
use serde::{Deserialize, Serialize};

// The records the clients fill in and the store keeps are the farm's own, defined with the
// other stored records and their format versions in `model`; re-exported here so the
// clients read naturally.
pub use crate::model::{
    mask, Call, Credentials, LengthRule, Mention, PlatformKind, Post, PostMeta, PostRef, RateInfo,
    SourceStatus,
};

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

/// One page-walk of the home timeline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeline {
    /// New posts, oldest first.
    pub posts: Vec<Post>,
    /// The cursor to store for the next call (newest id seen), `None` if nothing new.
    pub cursor: Option<String>,
    /// How many HTTP requests were made.
    pub calls: u32,
    /// Posts read but not kept, because they are no source of words (a Mastodon poll); they
    /// still count for the cursor.
    pub skipped: u32,
}

/// One read of the account's mentions ([`Platform::mentions`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mentions {
    /// New mentions, oldest first (each at most once).
    pub mentions: Vec<Mention>,
    /// The cursor to store for the next read (the newest mention read), `None` if nothing new.
    pub cursor: Option<String>,
    /// Older mentions may have been left unread for good: there were more than the read takes
    /// and the network pages from the newest (X, Bluesky; on Mastodon, which pages from the
    /// cursor, only the first read, which takes the newest page).
    pub overflow: bool,
    /// How many HTTP requests were made.
    pub calls: u32,
}

impl Mentions {
    /// The mentions a read gathered from the newest back, each with its order key (a post id,
    /// a time): oldest first, the newest `cap` of them, the cursor the newest one's key.
    pub(crate) fn newest<K: Ord + ToString>(
        mut found: Vec<(K, Mention)>,
        cap: usize,
        overflow: bool,
        calls: u32,
    ) -> Mentions {
        found.sort_by(|a, b| a.0.cmp(&b.0));
        let drop = found.len().saturating_sub(cap);
        found.drain(..drop);
        let cursor = found.last().map(|(k, _)| k.to_string());
        Mentions { mentions: found.into_iter().map(|(_, m)| m).collect(), cursor, overflow, calls }
    }
}

/// A post's hashtags as its [`Post::categories`]: without `#`, each once (case aside), in order;
/// at most [`MAX_CATEGORIES`] of at most 100 characters each, whatever a server sends.
pub(crate) fn categories<'a>(tags: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for tag in tags {
        let tag: String = tag.trim().trim_start_matches('#').chars().take(100).collect();
        if !tag.is_empty() && seen.insert(tag.to_lowercase()) {
            out.push(tag);
        }
        if out.len() == MAX_CATEGORIES {
            break;
        }
    }
    out
}

/// The most hashtags kept of one post ([`categories`]).
pub const MAX_CATEGORIES: usize = 32;

/// Result of creating a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    /// The new post's id, when the server returned one (not on X's duplicate answer); on
    /// Bluesky its `at://` URI.
    pub id: Option<String>,
    /// Bluesky: the new record's CID, which a reply to it needs (a strong ref).
    pub cid: Option<String>,
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

/// Own posts gathered over several pages: newest first, each once, at most `cap`.
pub(crate) fn newest_own_posts(mut posts: Vec<OwnPost>, cap: usize) -> Vec<OwnPost> {
    posts.sort_by_key(|p| std::cmp::Reverse(p.id));
    posts.dedup_by_key(|p| p.id);
    posts.truncate(cap);
    posts
}

/// The account behind the credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Platform id.
    pub id: String,
    /// Handle without `@`.
    pub username: String,
    /// Whether the account is marked as a bot, where the answer says (Mastodon's `bot`);
    /// `None` when it does not (X, and Bluesky, whose mark is a label on the profile record).
    pub bot: Option<bool>,
}

/// A public account as its server describes it, for a reader that follows it
/// ([`Platform::find_account`], [`Platform::account_profile`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// Its stable id: Mastodon account id, Bluesky DID, X user id (the name given, when its
    /// server says there is no such account).
    pub id: String,
    /// Its name now: `user@instance`, a Bluesky handle, an X username.
    pub handle: String,
    /// Where its posts are read: its Mastodon instance or Bluesky PDS (base URL); X: the API.
    pub home: String,
    /// Its profile text as plain text (bio and profile fields), where `#nobot` would be.
    pub note: String,
    /// What its server says: [`SourceStatus::Ok`], `Moved`, `Gone`, `Suspended`,
    /// `Deactivated` or `Blocked`.
    pub status: SourceStatus,
}

/// A followed account, as a client reads it: its stable id and where its posts are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountRef<'a> {
    /// [`Profile::id`].
    pub id: &'a str,
    /// [`Profile::home`].
    pub home: &'a str,
}

/// What a read of a followed account's posts found ([`Platform::account_posts`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountPosts {
    /// What its server says of the account: [`SourceStatus::Ok`] when its posts were read,
    /// else why not (`Gone`, `Suspended`, `Deactivated`, `Blocked`).
    pub status: SourceStatus,
    /// The posts newer than the cursor, oldest first, and the cursor to store.
    pub timeline: Timeline,
}

impl AccountPosts {
    /// No posts, and what the server said of the account (why they cannot be read).
    pub fn empty(status: SourceStatus) -> AccountPosts {
        AccountPosts { status, timeline: Timeline::default() }
    }
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
    /// The server could not be reached at all: its name does not resolve (DNS), or the
    /// connection was refused or timed out. Nothing was sent, the credentials were not tried:
    /// a network, DNS or `--api` problem. Retried next run, like [`NetErrorKind::Server`].
    Unreachable,
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
    /// The server refused the session's access token (Bluesky's `400 ExpiredToken` or
    /// `InvalidToken` on an ordinary call): the token is dropped, and the next run refreshes the
    /// session with the refresh token (no new login).
    pub session_expired: bool,
}

impl NetError {
    /// Make an error.
    pub fn new(kind: NetErrorKind, message: impl Into<String>) -> Self {
        NetError { kind, message: message.into(), rate: None, maybe_performed: false, session_expired: false }
    }

    /// The exit-code class of this failure.
    pub fn exit_kind(&self) -> Kind {
        match self.kind {
            NetErrorKind::Auth | NetErrorKind::ClockSkew => Kind::Auth,
            NetErrorKind::RateLimited
            | NetErrorKind::Server
            | NetErrorKind::Unreachable
            | NetErrorKind::DailyLimit => Kind::TempFail,
            NetErrorKind::TooLong | NetErrorKind::Malformed | NetErrorKind::Rejected => Kind::Data,
            NetErrorKind::NoAccess => Kind::Config,
            NetErrorKind::Refused => Kind::Unavailable,
        }
    }

    /// The same error with every secret of `secrets` masked in its message (see
    /// [`crate::secret`]).
    pub fn scrubbed(mut self, secrets: &Secrets) -> Self {
        self.message = secrets.scrub(&self.message);
        self
    }

    /// Whether the server's answer says the request was not carried out: a refusal it gave (a
    /// 4xx, a rate limit, credentials refused), not a lost, cut or unreadable answer, a server
    /// error or a timeout, after any of which the request may have been performed. A refused
    /// session token ([`NetError::session_expired`]) is a refusal too.
    pub fn not_performed(&self) -> bool {
        let refused =
            !matches!(self.kind, NetErrorKind::Server | NetErrorKind::Unreachable | NetErrorKind::Malformed);
        !self.maybe_performed && (refused || self.session_expired)
    }

    /// The same error with its hint naming `bot` (`farm auth hp`, not `farm auth NAME`): the
    /// clients do not know which bot they call for.
    pub fn named(mut self, bot: &str) -> Self {
        self.message = self.message.replacen(http::BOT_PLACEHOLDER, &format!("`farm auth {bot}`"), 1);
        self
    }

    /// Turn into the program's error type, naming the bot (also in its hint, see [`Self::named`]).
    pub fn for_bot(&self, bot: &str) -> FarmError {
        FarmError::new(self.exit_kind(), format!("{bot}: {}", self.clone().named(bot).message))
    }
}

impl std::fmt::Display for NetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Result of a network call.
pub type NetResult<T> = std::result::Result<Reply<T>, NetError>;

/// One social network account, as the rest of farm sees it.
pub trait Platform: Send {
    /// Who am I: one call.
    fn verify(&mut self) -> NetResult<Account>;
    /// Posts newer than `since` (the stored cursor), oldest first, following pages up to `cap`
    /// posts. With `since = None` only the newest page is read.
    fn home_timeline(&mut self, since: Option<&str>, cap: usize) -> NetResult<Timeline>;
    /// Create a post of `text` carrying `meta` (each network sends what it has of it). `key` is
    /// a deterministic idempotency key (sent as `Idempotency-Key` on Mastodon). A duplicate
    /// answer is `Ok` with `duplicate = true`.
    fn post(&mut self, text: &str, key: &str, meta: &PostMeta) -> NetResult<Posted>;
    /// The account's own recent posts with engagement, newest first, up to `cap`.
    fn own_posts(&mut self, cap: usize) -> NetResult<Vec<OwnPost>>;
    /// Delete one of the account's own posts.
    fn delete(&mut self, id: u64) -> NetResult<()>;
    /// The length rule (may make one call on Mastodon: `GET /api/v2/instance`).
    fn length_rule(&mut self) -> NetResult<LengthRule>;
    /// The account id learned so far (cached by the caller to save calls).
    fn account_id(&self) -> Option<String>;
    /// Mentions of the account newer than `since` (the stored cursor), oldest first, at most
    /// `cap`; with `since = None` only the newest page. A network without mentions (a feed)
    /// refuses.
    fn mentions(&mut self, _since: Option<&str>, _cap: usize) -> NetResult<Mentions> {
        Err(NetError::new(NetErrorKind::Refused, "this network has no mentions to answer"))
    }
    /// Find a public account by its name (`user@instance`, a Bluesky handle or DID, an X
    /// username) for a reader that follows it: its stable id, where its posts are, its profile
    /// text. A name its server does not know is `Ok` with [`SourceStatus::Gone`].
    /// `directory` is where a Bluesky DID is resolved (its PLC directory). Mastodon and Bluesky
    /// read public accounts without credentials.
    fn find_account(&mut self, name: &str, directory: &str) -> NetResult<Profile> {
        let _ = (name, directory);
        Err(cannot_follow())
    }
    /// The profile of an account found before, by its stable id (its name may have changed,
    /// its posts may have moved to another server).
    fn account_profile(&mut self, account: AccountRef<'_>, directory: &str) -> NetResult<Profile> {
        let _ = (account, directory);
        Err(cannot_follow())
    }
    /// A followed account's posts newer than `since` (its cursor), oldest first, following
    /// pages up to `cap` posts; with `since = None`, its newest page only. Reposts only with
    /// `reposts`.
    fn account_posts(
        &mut self,
        account: AccountRef<'_>,
        since: Option<&str>,
        cap: usize,
        reposts: bool,
    ) -> NetResult<AccountPosts> {
        let _ = (account, since, cap, reposts);
        Err(cannot_follow())
    }
}

/// The error of a client that cannot read other accounts' posts.
fn cannot_follow() -> NetError {
    NetError::new(NetErrorKind::NoAccess, "this network's client cannot follow accounts")
}

/// Build the client for an endpoint, for a run at `now` (Unix seconds, from
/// [`crate::clock::now`]): the client judges rate limits (capped resets, a 429's window) at
/// that time, never by reading a clock of its own. Every error it returns has the endpoint's
/// credentials masked ([`Scrubbed`]): a server may quote them in the text farm passes on.
pub fn connect(ep: Endpoint, now: i64) -> Box<dyn Platform> {
    let secrets = Secrets::of_creds(&ep.creds);
    let inner: Box<dyn Platform> = match ep.kind {
        PlatformKind::X => Box::new(x::XV2::new(ep, now)),
        PlatformKind::XV1 => Box::new(xv1::XV1::new(ep, now)),
        PlatformKind::Mastodon => Box::new(mastodon::Mastodon::new(ep, now)),
        PlatformKind::Bluesky => Box::new(bluesky::Bluesky::new(ep, now)),
        PlatformKind::Feed => Box::new(feed::Feed::new(ep, now)),
        PlatformKind::Corpus => Box::new(corpus::Offline),
    };
    Box::new(Scrubbed { inner, secrets })
}

/// A client whose errors never carry its credentials: each error message of `inner` is
/// scrubbed of `secrets` before anyone sees it.
pub struct Scrubbed {
    inner: Box<dyn Platform>,
    secrets: Secrets,
}

impl Scrubbed {
    fn guard<T>(&self, r: NetResult<T>) -> NetResult<T> {
        r.map_err(|e| e.scrubbed(&self.secrets))
    }
}

impl Platform for Scrubbed {
    fn verify(&mut self) -> NetResult<Account> {
        let r = self.inner.verify();
        self.guard(r)
    }
    fn home_timeline(&mut self, since: Option<&str>, cap: usize) -> NetResult<Timeline> {
        let r = self.inner.home_timeline(since, cap);
        self.guard(r)
    }
    fn post(&mut self, text: &str, key: &str, meta: &PostMeta) -> NetResult<Posted> {
        let r = self.inner.post(text, key, meta);
        self.guard(r)
    }
    fn own_posts(&mut self, cap: usize) -> NetResult<Vec<OwnPost>> {
        let r = self.inner.own_posts(cap);
        self.guard(r)
    }
    fn delete(&mut self, id: u64) -> NetResult<()> {
        let r = self.inner.delete(id);
        self.guard(r)
    }
    fn length_rule(&mut self) -> NetResult<LengthRule> {
        let r = self.inner.length_rule();
        self.guard(r)
    }
    fn account_id(&self) -> Option<String> {
        self.inner.account_id()
    }
    fn mentions(&mut self, since: Option<&str>, cap: usize) -> NetResult<Mentions> {
        let r = self.inner.mentions(since, cap);
        self.guard(r)
    }
    fn find_account(&mut self, name: &str, directory: &str) -> NetResult<Profile> {
        let r = self.inner.find_account(name, directory);
        self.guard(r)
    }
    fn account_profile(&mut self, account: AccountRef<'_>, directory: &str) -> NetResult<Profile> {
        let r = self.inner.account_profile(account, directory);
        self.guard(r)
    }
    fn account_posts(
        &mut self,
        account: AccountRef<'_>,
        since: Option<&str>,
        cap: usize,
        reposts: bool,
    ) -> NetResult<AccountPosts> {
        let r = self.inner.account_posts(account, since, cap, reposts);
        self.guard(r)
    }
}
