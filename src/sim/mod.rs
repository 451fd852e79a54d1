//! The fake network: an HTTP/1.1 server on loopback that speaks X (API v2, v1.1 and the OAuth
//! 1.0a PIN flow) and Mastodon closely enough that clients written from the real docs work
//! against it unchanged. Integration tests and `farm demo` start it in-process with
//! [`FakeNet::start`] and point clients at [`FakeNet::url`].
//!
//! What it checks like the real services: OAuth 1.0a signatures (recomputed from the bytes on
//! the wire) and timestamps, bearer tokens, rate-limit windows (per user and endpoint, on the
//! fake's clock), X's weighted length and duplicate rule, Mastodon's length rule and
//! `Idempotency-Key`. What it lets a test arrange: timeline posts ([`FakeNet::push_home`]),
//! engagement, latency, the clock, faults ([`FakeNet::fail_next`], including lying timelines) and
//! refusals of a post's text ([`FakeNet::reject_posts`]).
//!
//! Quirks copied from the real services on purpose: X text fields escape `&`, `<`, `>` as HTML
//! entities and replace URLs with `https://t.co/...` links (the original is in
//! `entities.urls[].expanded_url`); v1.1 without `tweet_mode=extended` truncates to 140
//! characters; retweet text is `RT @author: ...` cut to 140 characters; ids above 2^53 are sent
//! as JSON numbers next to `id_str`; Mastodon `content` is HTML.
//!
//! Names live in one namespace: [`FakeNet::add_x_user`] and [`FakeNet::add_mastodon_user`] with
//! the same username give one person with both logins and one home timeline.

mod bluesky;
pub mod feed;
mod handle;
mod mastodon;
mod mentions;
pub mod oauth;
mod server;
mod state;
mod text;
mod x;

use server::Shared;
use state::{FaultRule, PostRec, State, XToken};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// A post to put on a home timeline with [`FakeNet::push_home`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourcePost {
    /// Handle of the author (for a repost: the account that reposted). `name@domain` makes a
    /// remote Mastodon account.
    pub author: String,
    /// Full plain text (for a repost: the original's text).
    pub text: String,
    /// For a repost: the original author's handle.
    pub is_repost_of: Option<String>,
    /// The id of the post this one replies to.
    pub in_reply_to: Option<u64>,
    /// Language code, e.g. `en`.
    pub lang: Option<String>,
    /// A content warning (Mastodon `spoiler_text`).
    pub warning: Option<String>,
    /// Marked sensitive (Mastodon `sensitive`).
    pub sensitive: bool,
    /// Bluesky self-labels (`nudity`, `graphic-media`, …).
    pub labels: Vec<String>,
}

impl SourcePost {
    /// A plain post by `author`.
    pub fn new(author: &str, text: &str) -> SourcePost {
        SourcePost { author: author.to_string(), text: text.to_string(), ..SourcePost::default() }
    }

    /// Make it a repost of a post by `original_author`.
    pub fn repost_of(mut self, original_author: &str) -> SourcePost {
        self.is_repost_of = Some(original_author.to_string());
        self
    }

    /// Make it a reply to post `id`.
    pub fn reply_to(mut self, id: u64) -> SourcePost {
        self.in_reply_to = Some(id);
        self
    }

    /// Set the language code.
    pub fn lang(mut self, lang: &str) -> SourcePost {
        self.lang = Some(lang.to_string());
        self
    }

    /// Put a content warning on it (Mastodon marks it sensitive too).
    pub fn warning(mut self, warning: &str) -> SourcePost {
        self.warning = Some(warning.to_string());
        self
    }

    /// Add a Bluesky self-label.
    pub fn label(mut self, value: &str) -> SourcePost {
        self.labels.push(value.to_string());
        self
    }
}

/// A failure to inject with [`FakeNet::fail_next`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and a real-looking error body for the API flavour of the path.
    Status(u16),
    /// Never answer: hold the connection ~30 s (or until the fake is dropped), then close it.
    Timeout,
    /// `200` with a body that is not JSON (the Content-Type still claims JSON).
    Garbage,
    /// nginx-style `502 Bad Gateway` HTML page.
    Html502,
    /// Close the socket without answering.
    Reset,
    /// Perform the request (e.g. create the post), then never answer, like [`Fault::Timeout`].
    PerformThenTimeout,
    /// `429` with rate-limit headers (remaining 0) and this reset time (Unix seconds).
    RateLimited {
        /// Unix seconds when the window resets.
        reset: i64,
    },
    /// An X timeline (v2 or v1.1) answered as if its `since_id` were the upper bound: the posts
    /// *older* than the client's cursor, like a buggy cache or a hostile server.
    OlderThanSince,
    /// An X v2 timeline answered normally but with this `meta.newest_id` (say `"abc"` or `"1"`).
    NewestId(String),
    /// `200` with this body as JSON: an answer of the wrong shape (`{}`, `[]`, an `errors`
    /// array alone, a deeply nested object), as a hostile server or X's partial errors send.
    Json(String),
    /// Answer with this status and a body that quotes the request's credentials, like a careless
    /// server or proxy. A 401 says "invalid token" with the token (the bearer token, X's
    /// `oauth_token` and consumer key, or a form's `client_secret`); any other error status quotes
    /// the whole `Authorization` header in the flavour's error body; a `200` is the header as a
    /// JSON string where the API has a list or an object, so a client's parse error quotes it.
    EchoCredentials(u16),
}

/// What befalls a public account, for [`FakeNet::set_account_fate`]: each network answers a
/// read of it the way its real servers do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountFate {
    /// Deleted: Mastodon 404 `Record not found`; X `errors` "Not Found Error"; Bluesky: no DID
    /// document (404), "Could not find repo".
    Deleted,
    /// Suspended by its server: Mastodon `suspended: true` and no statuses; X "User has been
    /// suspended"; Bluesky `RepoTakendown`.
    Suspended,
    /// Deactivated by its owner: Bluesky `RepoDeactivated` (elsewhere: as deleted).
    Deactivated,
    /// Its posts are not public: X "Authorization Error"; Mastodon 401 "This API requires an
    /// authenticated user" (an instance that hides its API from the public).
    Protected,
    /// Moved to another account (Mastodon's `moved`).
    Moved(String),
}

/// A rate-limited API call, for [`FakeNet::set_rate_limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `GET /2/users/me`, `/1.1/account/verify_credentials.json`,
    /// `/api/v1/accounts/verify_credentials`.
    Verify,
    /// The home timeline.
    Timeline,
    /// Creating a post.
    Post,
    /// Reading the own posts (`/2/users/:id/tweets`, `user_timeline.json`,
    /// `/api/v1/accounts/:id/statuses`).
    OwnPosts,
    /// Deleting a post.
    Delete,
    /// Reading the mentions (`/2/users/:id/mentions`, `mentions_timeline.json`,
    /// `/api/v1/notifications`, `listNotifications`).
    Mentions,
}

/// One request as the fake saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// HTTP method.
    pub method: String,
    /// Path as sent (not decoded), without the query.
    pub path: String,
    /// Raw query string without `?` (empty when none).
    pub query: String,
    /// Username after authentication; `None` if authentication failed or was not needed.
    pub user: Option<String>,
    /// Status answered; `0` when no answer was sent (Timeout, Reset, PerformThenTimeout).
    pub status: u16,
    /// The `Idempotency-Key` header, if sent.
    pub idempotency_key: Option<String>,
}

/// A post created through the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedPost {
    /// Its id.
    pub id: u64,
    /// The text as submitted.
    pub text: String,
    /// Unix seconds (fake clock).
    pub created_at: i64,
    /// Likes / favourites (see [`FakeNet::set_engagement`]).
    pub likes: u64,
    /// Reposts / reblogs.
    pub reposts: u64,
    /// The `Idempotency-Key` it was created with.
    pub idempotency_key: Option<String>,
    /// Mastodon visibility (`None` on X).
    pub visibility: Option<String>,
    /// The language it was posted with (Mastodon's `language`, Bluesky's first `langs`).
    pub lang: Option<String>,
    /// Its content warning (Mastodon's `spoiler_text`).
    pub warning: Option<String>,
    /// Mastodon's `sensitive`.
    pub sensitive: bool,
    /// Bluesky's self-label values.
    pub labels: Vec<String>,
}

/// The running fake. Dropping it stops the server promptly (connection threads notice within
/// ~50 ms and are never joined, so a hung connection cannot block the drop).
#[derive(Debug)]
pub struct FakeNet {
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl FakeNet {
    /// Bind `127.0.0.1:0` and start serving. Panics if loopback cannot be bound.
    pub fn start() -> FakeNet {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0 for the fake network");
        let addr = listener.local_addr().expect("listener address");
        let shared =
            Arc::new(Shared { shutdown: AtomicBool::new(false), state: Mutex::new(State::new()), addr });
        let sh = Arc::clone(&shared);
        let accept = std::thread::Builder::new()
            .name("sim-accept".into())
            .spawn(move || server::accept_loop(listener, sh))
            .expect("spawn the fake network's accept thread");
        FakeNet { shared, accept: Some(accept) }
    }

    /// Base URL, e.g. `http://127.0.0.1:40123` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.shared.addr)
    }

    /// Register an X user with its app and access token; returns the numeric user id.
    pub fn add_x_user(
        &self,
        username: &str,
        consumer_key: &str,
        consumer_secret: &str,
        token: &str,
        token_secret: &str,
    ) -> String {
        let mut st = self.shared.lock();
        let id = st.profile(username);
        st.consumers.insert(consumer_key.to_string(), consumer_secret.to_string());
        st.x_tokens.insert(
            token.to_string(),
            XToken {
                username: username.to_string(),
                secret: token_secret.to_string(),
                consumer_key: consumer_key.to_string(),
            },
        );
        id.to_string()
    }

    /// Register a Mastodon user with a bearer token; returns the account id.
    pub fn add_mastodon_user(&self, username: &str, bearer: &str) -> String {
        let mut st = self.shared.lock();
        let id = st.profile(username);
        st.bearers.insert(bearer.to_string(), username.to_string());
        id.to_string()
    }

    /// Register a Bluesky account (handle such as `bot1.test`) with an app password; returns
    /// its DID. Its home timeline is `handle`'s ([`FakeNet::push_home`]).
    pub fn add_bluesky_user(&self, handle: &str, app_password: &str) -> String {
        let mut st = self.shared.lock();
        let id = st.profile(handle);
        let did = bluesky::plc(id);
        st.bsky.accounts.insert(
            handle.to_string(),
            bluesky::Account { did: did.clone(), app_password: app_password.to_string(), status: None },
        );
        did
    }

    /// How long the fake Bluesky's access tokens live (default 2 h, like the reference PDS).
    pub fn set_bluesky_token_lifetime(&self, secs: i64) {
        self.shared.lock().bsky.access_secs = secs;
    }

    /// Change a Bluesky account's app password and revoke its sessions' refresh tokens (like
    /// revoking the app password; issued access tokens keep working until they expire).
    pub fn revoke_bluesky_app_password(&self, handle: &str, new_password: &str) {
        let mut st = self.shared.lock();
        st.bsky.revoke(handle);
        if let Some(a) = st.bsky.accounts.get_mut(handle) {
            a.app_password = new_password.to_string();
        }
    }

    /// Expire every access token of a Bluesky account now (on the fake's clock): its next call
    /// gets `400 ExpiredToken`.
    pub fn expire_bluesky_access(&self, handle: &str) {
        let mut st = self.shared.lock();
        let now = st.now();
        st.bsky.expire_access(handle, now);
    }

    /// Set a Bluesky account's status (`Some("takendown")`, `Some("deactivated")`; `None`:
    /// active).
    pub fn set_bluesky_status(&self, handle: &str, status: Option<&str>) {
        if let Some(a) = self.shared.lock().bsky.accounts.get_mut(handle) {
            a.status = status.map(str::to_string);
        }
    }

    /// Put a post on `username`'s home timeline (newest) and return its id. Ids increase
    /// strictly across the whole fake, starting at 10^18. A repost also stores its original
    /// (with the id just below).
    pub fn push_home(&self, username: &str, post: SourcePost) -> u64 {
        self.push(Some(username), post)
    }

    /// A new post, on `home`'s timeline when given.
    fn push(&self, home: Option<&str>, post: SourcePost) -> u64 {
        let mut st = self.shared.lock();
        let now = st.now();
        if let Some(username) = home {
            st.profile(username);
        }
        st.profile(&post.author);
        let rec = |id: u64, author: &str, text: &str, repost_of: Option<u64>, reply: Option<u64>| PostRec {
            id,
            author: author.to_string(),
            text: text.to_string(),
            created_at: now,
            repost_of,
            in_reply_to: reply,
            lang: post.lang.clone(),
            likes: 0,
            reposts: 0,
            marks: state::Marks {
                warning: post.warning.clone().unwrap_or_default(),
                sensitive: post.sensitive,
                labels: post.labels.clone(),
            },
            created: None,
            deleted: false,
        };
        let id = match &post.is_repost_of {
            Some(orig_author) => {
                st.profile(orig_author);
                let orig = st.next_id();
                st.posts.insert(orig, rec(orig, orig_author, &post.text, None, post.in_reply_to));
                let id = st.next_id();
                st.posts.insert(id, rec(id, &post.author, "", Some(orig), None));
                id
            }
            None => {
                let id = st.next_id();
                st.posts.insert(id, rec(id, &post.author, &post.text, None, post.in_reply_to));
                id
            }
        };
        if let Some(username) = home {
            st.home.entry(username.to_string()).or_default().push(id);
        }
        id
    }

    /// Add a post by `post.author` that is on nobody's home timeline (a mention, a reply) and
    /// return its id. It mentions whom its text names (`@name`, on Bluesky `@name.test`) and
    /// answers `post.in_reply_to`: the networks list it among those accounts' mentions.
    pub fn add_post(&self, post: SourcePost) -> u64 {
        let mut st = self.shared.lock();
        let now = st.now();
        st.profile(&post.author);
        let id = st.next_id();
        st.posts.insert(
            id,
            PostRec {
                id,
                author: post.author,
                text: post.text,
                created_at: now,
                repost_of: None,
                in_reply_to: post.in_reply_to,
                lang: post.lang,
                likes: 0,
                reposts: 0,
                created: None,
                deleted: false,
                marks: Default::default(),
            },
        );
        id
    }

    /// Mark an account as a bot (Mastodon `bot: true`, the Bluesky `bot` label), or not.
    pub fn set_bot(&self, name: &str, bot: bool) {
        let mut st = self.shared.lock();
        if bot {
            st.bots.insert(name.to_string());
        } else {
            st.bots.remove(name);
        }
    }

    /// Delete an account's posts, as when the account is deleted: they leave every list, and a
    /// reply to one is refused where the network checks (Mastodon 404).
    pub fn delete_posts_of(&self, name: &str) {
        for p in self.shared.lock().posts.values_mut().filter(|p| p.author == name) {
            p.deleted = true;
        }
    }

    /// The record `rkey` of the Bluesky account `handle`'s posts, as it was written.
    pub fn bluesky_record(&self, handle: &str, rkey: &str) -> Option<serde_json::Value> {
        let mut st = self.shared.lock();
        let did = bluesky::did_of(&mut st, handle);
        st.bsky.record(&did, rkey)
    }

    /// The post a post answers, as the network recorded it (`None` when it answers nothing).
    pub fn in_reply_to(&self, id: u64) -> Option<u64> {
        self.shared.lock().posts.get(&id).and_then(|p| p.in_reply_to)
    }

    /// Publish a post by `post.author` on no home timeline (a public account's own post, as a
    /// reader that follows the account reads it) and return its id. Ids are shared with
    /// [`FakeNet::push_home`].
    pub fn publish(&self, post: SourcePost) -> u64 {
        self.push(None, post)
    }

    /// Set the profile text of the account `name` (a Mastodon `note`, a Bluesky profile's
    /// `description`, an X user's `description`).
    pub fn set_profile_note(&self, name: &str, note: &str) {
        let mut st = self.shared.lock();
        st.profile(name);
        st.public.entry(name.to_string()).or_default().note = note.to_string();
    }

    /// Let `fate` befall the account `name` (`None`: it is fine again).
    pub fn set_account_fate(&self, name: &str, fate: Option<AccountFate>) {
        let mut st = self.shared.lock();
        st.profile(name);
        st.public.entry(name.to_string()).or_default().fate = fate;
    }

    /// Rename the account `old` to `new`: the same account (same id, same DID), its posts and
    /// profile now under the new name; the old name is free.
    pub fn rename_account(&self, old: &str, new: &str) {
        let mut st = self.shared.lock();
        let Some(id) = st.profiles.remove(old) else { return };
        st.profiles.insert(new.to_string(), id);
        for p in st.posts.values_mut().filter(|p| p.author == old) {
            p.author = new.to_string();
        }
        if let Some(p) = st.public.remove(old) {
            st.public.insert(new.to_string(), p);
        }
        if let Some(a) = st.bsky.accounts.remove(old) {
            st.bsky.accounts.insert(new.to_string(), a);
        }
    }

    /// The next `n` requests whose path contains `path_contains` (any request when `None`) get
    /// `fault` instead of (or, for [`Fault::PerformThenTimeout`], after) normal handling.
    pub fn fail_next(&self, n: usize, fault: Fault, path_contains: Option<&str>) {
        if n == 0 {
            return;
        }
        let mut st = self.shared.lock();
        st.faults.push(FaultRule { remaining: n, fault, path_contains: path_contains.map(str::to_string) });
    }

    /// Serve `body` as a feed at `path` (e.g. `/news.xml`) from now on, with a new `ETag` and
    /// `Last-Modified` (the fake's clock) whenever the bytes change ([`feed`]).
    pub fn set_feed(&self, path: &str, body: impl Into<Vec<u8>>) {
        let mut st = self.shared.lock();
        let now = st.now();
        let body = body.into();
        if st.feeds.get(path).is_some_and(|d| d.body == body) {
            return;
        }
        st.feeds.insert(path.to_string(), feed::Doc::new(body, now));
    }

    /// Every request that arrived, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().records.clone()
    }

    /// How many requests arrived (without copying them).
    pub fn request_count(&self) -> usize {
        self.shared.lock().records.len()
    }

    /// Forget the recorded requests.
    pub fn clear_requests(&self) {
        self.shared.lock().records.clear();
    }

    /// Posts `username` created through the API (X or Mastodon) and has not deleted, oldest
    /// first.
    pub fn posts_by(&self, username: &str) -> Vec<CreatedPost> {
        let st = self.shared.lock();
        st.own_ids(username, None)
            .iter()
            .filter_map(|id| st.posts.get(id))
            .map(|p| st.created_post(p))
            .collect()
    }

    /// Set the like and repost counts of any post.
    pub fn set_engagement(&self, post_id: u64, likes: u64, reposts: u64) {
        if let Some(p) = self.shared.lock().posts.get_mut(&post_id) {
            p.likes = likes;
            p.reposts = reposts;
        }
    }

    /// Sleep this long before answering each request.
    pub fn set_latency_ms(&self, ms: u64) {
        self.shared.lock().latency_ms = ms;
    }

    /// Fix the fake's clock (`None` = system time). It drives rate-limit windows, `created_at`,
    /// the OAuth timestamp check, Mastodon's idempotency hour and the `Date` header.
    pub fn set_now(&self, unix_secs: Option<i64>) {
        self.shared.lock().now = unix_secs;
    }

    /// Check OAuth timestamps against the wall clock even when [`FakeNet::set_now`] steps the
    /// fake's clock: real clients (farm included) sign with the real time, whatever `FARM_NOW`
    /// says. Used by simulations such as `farm demo`.
    pub fn set_oauth_wall_clock(&self, on: bool) {
        self.shared.lock().oauth_wall_clock = on;
    }

    /// Set `username`'s limit for an endpoint (on every API flavour) and restart its window;
    /// going over answers 429 like the real service.
    pub fn set_rate_limit(&self, username: &str, endpoint: Endpoint, limit: u64, window_secs: i64) {
        self.shared.lock().set_rate(username, endpoint, limit, window_secs);
    }

    /// Refuse posts for good, like a server whose rules forbid the content: Mastodon answers 422
    /// `{"error": message}` (write the message in any language: real instances translate it),
    /// X v2 answers 403 `{"type":"about:blank","title":"Forbidden","detail": message}`. With
    /// `Some(text)` every attempt to post exactly that text is refused; with `None` only the
    /// next post (of anyone) is.
    pub fn reject_posts(&self, text: Option<&str>, message: &str) {
        self.shared
            .lock()
            .rejections
            .push(state::Rejection { text: text.map(str::to_string), message: message.to_string() });
    }

    /// The texts refused through [`FakeNet::reject_posts`], in order (a text refused twice is
    /// listed twice).
    pub fn rejected(&self) -> Vec<String> {
        self.shared.lock().rejected.clone()
    }

    /// Mastodon's character limit (default 500), also reported by `/api/v2/instance`.
    pub fn set_mastodon_max_chars(&self, n: usize) {
        self.shared.lock().mastodon_max_chars = n;
    }

    /// The PIN for an X request token from `POST /oauth/request_token` (what the user would read
    /// off the authorize page); `None` for an unknown or used token.
    pub fn x_pin_for(&self, request_token: &str) -> Option<String> {
        self.shared.lock().request_tokens.get(request_token).filter(|t| !t.used).map(|t| t.pin.clone())
    }

    /// Name the user that the next completed X PIN flow creates (default `xuserN`). An existing
    /// name gets the new token pair added.
    pub fn set_pending_x_auth_user(&self, username: &str) {
        self.shared.lock().pending_x_user = Some(username.to_string());
    }

    /// The authorization code for a Mastodon app registered through `POST /api/v1/apps` (what
    /// the user would copy off the authorize page); `None` for an unknown client id.
    pub fn mastodon_code_for(&self, client_id: &str) -> Option<String> {
        mastodon::code_for(&mut self.shared.lock(), client_id)
    }

    /// Whether the Mastodon account `username` has its `bot` flag set.
    pub fn is_mastodon_bot(&self, username: &str) -> bool {
        self.shared.lock().bots.contains(username)
    }

    /// Name the user that the next Mastodon token exchange creates (default `mastouserN`).
    pub fn set_pending_mastodon_auth_user(&self, username: &str) {
        self.shared.lock().pending_mastodon_user = Some(username.to_string());
    }
}

impl Drop for FakeNet {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        // The accept loop blocks in accept(): one connection wakes it to see the shutdown.
        // If that fails the thread is left to the process's end rather than joined forever.
        let woke = std::net::TcpStream::connect_timeout(&self.shared.addr, std::time::Duration::from_secs(1));
        if let (Ok(_), Some(h)) = (woke, self.accept.take()) {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fakenet_is_send_sync() {
        fn check<T: Send + Sync>() {}
        check::<FakeNet>();
    }

    #[test]
    fn push_home_ids_increase_and_reposts_keep_originals() {
        let net = FakeNet::start();
        let a = net.push_home("me", SourcePost::new("amy", "one"));
        let b = net.push_home("me", SourcePost::new("bob", "two").repost_of("cat"));
        assert_eq!(a, state::FIRST_POST_ID);
        assert_eq!(b, a + 2);
        let st = net.shared.lock();
        assert_eq!(st.posts[&(a + 1)].author, "cat");
        assert_eq!(st.posts[&b].repost_of, Some(a + 1));
        assert_eq!(st.home["me"], vec![a, b]);
    }
}
