//! The fake's world: users and their credentials, posts, home timelines, rate-limit windows,
//! queued faults and the request log. One `State` lives behind one mutex.

use super::{CreatedPost, Endpoint, Fault, Recorded};
use std::collections::{BTreeMap, HashMap};

/// First post id: X-like snowflakes.
pub(crate) const FIRST_POST_ID: u64 = 1_000_000_000_000_000_000;
/// First user / account id.
const FIRST_USER_ID: u64 = 1_000_001;

/// Which API flavour a request speaks; decides error shapes and rate-limit tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Family {
    /// X API v2 (`/2/...`).
    XV2,
    /// X API v1.1 (`/1.1/...`).
    XV1,
    /// X OAuth 1.0a PIN flow (`/oauth/request_token`, ...).
    XOAuth,
    /// Mastodon (`/api/...`, Mastodon's `/oauth/...`).
    Mastodon,
    /// Bluesky XRPC (`/xrpc/...`).
    Bluesky,
    /// Anything else.
    Other,
}

/// Which network a post was created through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Net {
    /// X (v1.1 or v2).
    X,
    /// Mastodon.
    Mastodon,
    /// Bluesky.
    Bluesky,
}

/// Extra facts about a post created through the API.
#[derive(Debug, Clone)]
pub(crate) struct Created {
    /// Network it was created on.
    pub net: Net,
    /// `Idempotency-Key` sent with it.
    pub idempotency_key: Option<String>,
    /// Mastodon visibility.
    pub visibility: Option<String>,
}

/// What a post carries besides its text: a content warning, the sensitive flag, self-labels.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Marks {
    /// Mastodon `spoiler_text` (empty for none).
    pub warning: String,
    /// Mastodon `sensitive`.
    pub sensitive: bool,
    /// Bluesky self-label values.
    pub labels: Vec<String>,
}

/// One post anywhere in the fake.
#[derive(Debug, Clone)]
pub(crate) struct PostRec {
    /// Id.
    pub id: u64,
    /// Author's handle (`name` or `name@domain`).
    pub author: String,
    /// Source text (for a repost: empty; the text is on the original).
    pub text: String,
    /// Unix seconds.
    pub created_at: i64,
    /// The reposted original's id.
    pub repost_of: Option<u64>,
    /// The post this replies to.
    pub in_reply_to: Option<u64>,
    /// Language code.
    pub lang: Option<String>,
    /// Likes.
    pub likes: u64,
    /// Reposts.
    pub reposts: u64,
    /// Content warning, sensitive flag and self-labels.
    pub marks: Marks,
    /// Set when created through the API.
    pub created: Option<Created>,
    /// Deleted through the API.
    pub deleted: bool,
}

/// An X access token.
#[derive(Debug, Clone)]
pub(crate) struct XToken {
    /// Who it belongs to.
    pub username: String,
    /// Its secret.
    pub secret: String,
    /// The app it was issued to.
    pub consumer_key: String,
}

/// A request token of the X PIN flow.
#[derive(Debug, Clone)]
pub(crate) struct RequestToken {
    /// Its secret.
    pub secret: String,
    /// The app.
    pub consumer_key: String,
    /// The PIN (`oauth_verifier`).
    pub pin: String,
    /// Already exchanged.
    pub used: bool,
}

/// A Mastodon OAuth app.
#[derive(Debug, Clone)]
pub(crate) struct MastodonApp {
    /// client_secret.
    pub secret: String,
    /// Registered redirect URI.
    pub redirect_uri: String,
    /// Requested scopes.
    pub scopes: String,
}

/// A Mastodon authorization code.
#[derive(Debug, Clone)]
pub(crate) struct AuthCode {
    /// The app it was issued for.
    pub client_id: String,
    /// Already exchanged.
    pub used: bool,
}

/// A queued fault.
#[derive(Debug, Clone)]
pub(crate) struct FaultRule {
    /// How many more requests get it.
    pub remaining: usize,
    /// The fault.
    pub fault: Fault,
    /// Only requests whose path contains this.
    pub path_contains: Option<String>,
}

/// A refusal arranged with [`super::FakeNet::reject_posts`].
#[derive(Debug, Clone)]
pub(crate) struct Rejection {
    /// Refuse exactly this text every time; `None`: the next post only.
    pub text: Option<String>,
    /// The server's message.
    pub message: String,
}

/// A rate-limit window.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: i64,
    count: u64,
}

/// The result of counting one request against a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateHit {
    /// Window size.
    pub limit: u64,
    /// Left after this request.
    pub remaining: u64,
    /// Unix seconds when the window resets.
    pub reset: i64,
    /// This request is over the limit.
    pub exceeded: bool,
}

/// Default (limit, window seconds) of the real services.
pub(crate) fn default_limit(fam: Family, ep: Endpoint) -> (u64, i64) {
    const Q: i64 = 15 * 60;
    match (fam, ep) {
        (Family::Mastodon, Endpoint::Delete) => (30, 30 * 60),
        (Family::Mastodon, _) => (300, 5 * 60),
        // Logins per identifier; writes per account (5,000 points an hour, a create costs 3);
        // everything else shares the 3,000 requests per 5 minutes of an IP.
        (Family::Bluesky, Endpoint::Verify) => (30, 5 * 60),
        (Family::Bluesky, Endpoint::Post) => (1666, 3600),
        (Family::Bluesky, Endpoint::Delete) => (5000, 3600),
        (Family::Bluesky, _) => (3000, 5 * 60),
        (Family::XV1, Endpoint::Timeline) => (15, Q),
        (Family::XV1, Endpoint::Post) => (300, 3 * 3600),
        (_, Endpoint::Verify) => (75, Q),
        (_, Endpoint::Timeline) => (180, Q),
        (_, Endpoint::Post) => (100, Q),
        (_, Endpoint::OwnPosts) => (900, Q),
        (_, Endpoint::Delete) => (50, Q),
        (Family::XV1, Endpoint::Mentions) => (75, Q),
        (_, Endpoint::Mentions) => (180, Q),
    }
}

/// Everything the fake knows.
#[derive(Debug)]
pub(crate) struct State {
    /// Fixed clock (None = system time).
    pub now: Option<i64>,
    /// Check OAuth timestamps against the wall clock rather than `now` (for simulations that
    /// step the fake's clock while real clients sign with the real time).
    pub oauth_wall_clock: bool,
    /// Delay before each answer.
    pub latency_ms: u64,
    /// Mastodon's max characters.
    pub mastodon_max_chars: usize,
    next_post_id: u64,
    next_user_id: u64,
    seed: u64,
    /// Every known name (users and authors) → numeric id.
    pub profiles: HashMap<String, u64>,
    /// X consumer key → secret.
    pub consumers: HashMap<String, String>,
    /// X access token → owner.
    pub x_tokens: HashMap<String, XToken>,
    /// Mastodon bearer → username.
    pub bearers: HashMap<String, String>,
    /// All posts by id.
    pub posts: BTreeMap<u64, PostRec>,
    /// Home timelines: username → post ids, ascending.
    pub home: HashMap<String, Vec<u64>>,
    /// Queued faults.
    pub faults: Vec<FaultRule>,
    /// Arranged refusals of post texts.
    pub rejections: Vec<Rejection>,
    /// Texts refused by them, in order.
    pub rejected: Vec<String>,
    /// Request log.
    pub records: Vec<Recorded>,
    rate_cfg: HashMap<(String, Endpoint), (u64, i64)>,
    windows: HashMap<(String, Endpoint, Family), Window>,
    /// Mastodon idempotency: (username, key) → (post id, unix secs).
    pub idempotency: HashMap<(String, String), (u64, i64)>,
    /// X PIN flow request tokens.
    pub request_tokens: HashMap<String, RequestToken>,
    /// Name for the next user created by the X PIN flow.
    pub pending_x_user: Option<String>,
    /// Mastodon apps by client_id.
    pub apps: HashMap<String, MastodonApp>,
    /// Mastodon authorization codes.
    pub codes: HashMap<String, AuthCode>,
    /// Name for the next user created by Mastodon's OAuth flow.
    pub pending_mastodon_user: Option<String>,
    /// The fake Bluesky's accounts, sessions and records.
    pub bsky: super::bluesky::Bsky,
    /// Feeds served by path ([`super::feed`]).
    pub feeds: HashMap<String, super::feed::Doc>,
    /// Accounts marked as bots ([`super::FakeNet::set_bot`]).
    pub bots: std::collections::HashSet<String>,
    /// What public accounts say of themselves and what befell them, by name
    /// ([`super::FakeNet::set_profile_note`], [`super::FakeNet::set_account_fate`]).
    pub public: HashMap<String, Public>,
}

/// A public account's profile text and fate in the fake.
#[derive(Debug, Clone, Default)]
pub(crate) struct Public {
    /// The profile text (Mastodon `note`, Bluesky `description`, X `description`).
    pub note: String,
    /// What befell it, if anything.
    pub fate: Option<super::AccountFate>,
}

impl State {
    /// A fresh, empty world.
    pub(crate) fn new() -> State {
        State {
            oauth_wall_clock: false,
            now: None,
            latency_ms: 0,
            mastodon_max_chars: 500,
            next_post_id: FIRST_POST_ID,
            next_user_id: FIRST_USER_ID,
            seed: 0x5EED_F00D_u64,
            profiles: HashMap::new(),
            consumers: HashMap::new(),
            x_tokens: HashMap::new(),
            bearers: HashMap::new(),
            posts: BTreeMap::new(),
            home: HashMap::new(),
            faults: Vec::new(),
            rejections: Vec::new(),
            rejected: Vec::new(),
            records: Vec::new(),
            rate_cfg: HashMap::new(),
            windows: HashMap::new(),
            idempotency: HashMap::new(),
            request_tokens: HashMap::new(),
            pending_x_user: None,
            apps: HashMap::new(),
            codes: HashMap::new(),
            pending_mastodon_user: None,
            bsky: super::bluesky::Bsky::new(),
            feeds: HashMap::new(),
            bots: Default::default(),
            public: HashMap::new(),
        }
    }

    /// The fake's clock.
    pub(crate) fn now(&self) -> i64 {
        self.now.unwrap_or_else(|| chrono::Utc::now().timestamp())
    }

    /// The id of a name, creating a profile when new.
    pub(crate) fn profile(&mut self, name: &str) -> u64 {
        if let Some(id) = self.profiles.get(name) {
            return *id;
        }
        let id = self.next_user_id;
        self.next_user_id += 1;
        self.profiles.insert(name.to_string(), id);
        id
    }

    /// The name behind a profile id.
    pub(crate) fn name_of(&self, id: u64) -> Option<String> {
        self.profiles.iter().find(|(_, v)| **v == id).map(|(k, _)| k.clone())
    }

    /// A fresh post id.
    pub(crate) fn next_id(&mut self) -> u64 {
        let id = self.next_post_id;
        self.next_post_id += 1;
        id
    }

    /// A pseudo-random alphanumeric string (deterministic per fake).
    pub(crate) fn random(&mut self, len: usize) -> String {
        const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut s = String::with_capacity(len);
        while s.len() < len {
            let mut x = self.splitmix();
            for _ in 0..8 {
                if s.len() < len {
                    s.push(ALPHA[(x % ALPHA.len() as u64) as usize] as char);
                    x /= ALPHA.len() as u64;
                }
            }
        }
        s
    }

    /// A pseudo-random decimal string of `len` digits.
    pub(crate) fn digits(&mut self, len: usize) -> String {
        let mut x = self.splitmix();
        (0..len)
            .map(|_| {
                let d = (x % 10) as u8;
                x /= 10;
                (b'0' + d) as char
            })
            .collect()
    }

    fn splitmix(&mut self) -> u64 {
        self.seed = self.seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Store a new post created through the API.
    pub(crate) fn create_post(
        &mut self,
        author: &str,
        text: &str,
        in_reply_to: Option<u64>,
        lang: Option<String>,
        created: Created,
    ) -> u64 {
        let id = self.next_id();
        let now = self.now();
        self.profile(author);
        self.posts.insert(
            id,
            PostRec {
                id,
                author: author.to_string(),
                text: text.to_string(),
                created_at: now,
                repost_of: None,
                in_reply_to,
                lang,
                likes: 0,
                reposts: 0,
                marks: Marks::default(),
                created: Some(created),
                deleted: false,
            },
        );
        id
    }

    /// Live posts created by `username` through `net`, ascending ids.
    pub(crate) fn own_ids(&self, username: &str, net: Option<Net>) -> Vec<u64> {
        self.posts
            .values()
            .filter(|p| p.author == username && !p.deleted)
            .filter(|p| p.created.as_ref().is_some_and(|c| net.is_none_or(|n| c.net == n)))
            .map(|p| p.id)
            .collect()
    }

    /// Live posts by `author` as anyone can read them on `net`: those created through that
    /// network's API and those put on timelines ([`super::FakeNet::push_home`],
    /// [`super::FakeNet::publish`]), ascending ids.
    pub(crate) fn authored_ids(&self, author: &str, net: Net) -> Vec<u64> {
        self.posts
            .values()
            .filter(|p| p.author == author && !p.deleted)
            .filter(|p| p.created.as_ref().is_none_or(|c| c.net == net))
            .map(|p| p.id)
            .collect()
    }

    /// The fate of the account `name`, if one befell it.
    pub(crate) fn fate(&self, name: &str) -> Option<super::AccountFate> {
        self.public.get(name).and_then(|p| p.fate.clone())
    }

    /// The profile text of `name` (empty when it has none).
    pub(crate) fn note(&self, name: &str) -> String {
        self.public.get(name).map(|p| p.note.clone()).unwrap_or_default()
    }

    /// The post as a [`CreatedPost`].
    pub(crate) fn created_post(&self, p: &PostRec) -> CreatedPost {
        let c = p.created.as_ref();
        CreatedPost {
            id: p.id,
            text: p.text.clone(),
            created_at: p.created_at,
            likes: p.likes,
            reposts: p.reposts,
            idempotency_key: c.and_then(|c| c.idempotency_key.clone()),
            visibility: c.and_then(|c| c.visibility.clone()),
            lang: p.lang.clone(),
            warning: Some(p.marks.warning.clone()).filter(|w| !w.is_empty()),
            sensitive: p.marks.sensitive,
            labels: p.marks.labels.clone(),
        }
    }

    /// Override a limit for one user and endpoint (all API flavours); restarts its windows.
    pub(crate) fn set_rate(&mut self, user: &str, ep: Endpoint, limit: u64, window: i64) {
        self.rate_cfg.insert((user.to_string(), ep), (limit, window.max(1)));
        self.windows.retain(|(u, e, _), _| !(u == user && *e == ep));
    }

    /// The (limit, window) in force.
    pub(crate) fn limit_for(&self, user: &str, ep: Endpoint, fam: Family) -> (u64, i64) {
        self.rate_cfg.get(&(user.to_string(), ep)).copied().unwrap_or_else(|| default_limit(fam, ep))
    }

    /// Count one request. X windows start at the first request; Mastodon's are aligned to the
    /// period like rack-attack's.
    pub(crate) fn rate_hit(&mut self, user: &str, ep: Endpoint, fam: Family, now: i64) -> RateHit {
        let (limit, win) = self.limit_for(user, ep, fam);
        let w = self.windows.entry((user.to_string(), ep, fam)).or_insert(Window { start: now, count: 0 });
        if w.count == 0 || now >= w.start + win || now < w.start {
            w.start = if fam == Family::Mastodon { now - now.rem_euclid(win) } else { now };
            w.count = 0;
        }
        let exceeded = w.count >= limit;
        if !exceeded {
            w.count += 1;
        }
        RateHit { limit, remaining: limit.saturating_sub(w.count), reset: w.start + win, exceeded }
    }

    /// The message to refuse a post of `text` with, if a [`Rejection`] applies (a one-time
    /// rejection is used up).
    pub(crate) fn take_rejection(&mut self, text: &str) -> Option<String> {
        let i = self.rejections.iter().position(|r| r.text.as_deref().is_none_or(|t| t == text))?;
        let message = self.rejections[i].message.clone();
        if self.rejections[i].text.is_none() {
            self.rejections.remove(i);
        }
        self.rejected.push(text.to_string());
        Some(message)
    }

    /// Take the fault for a request to `path`, if one is queued.
    pub(crate) fn take_fault(&mut self, path: &str) -> Option<Fault> {
        let i = self
            .faults
            .iter()
            .position(|r| r.remaining > 0 && r.path_contains.as_deref().is_none_or(|p| path.contains(p)))?;
        let rule = &mut self.faults[i];
        rule.remaining -= 1;
        let fault = rule.fault.clone();
        if rule.remaining == 0 {
            self.faults.remove(i);
        }
        Some(fault)
    }
}

/// Pick one page of a newest-first X v2 timeline from ascending `ids`: ids newer than `since`,
/// older than `until` and older than `before` (the pagination token), at most `max`. Returns
/// the page (newest first) and whether more remain.
pub(crate) fn x_page(
    ids: &[u64],
    since: Option<u64>,
    until: Option<u64>,
    before: Option<u64>,
    max: usize,
) -> (Vec<u64>, bool) {
    let mut it = ids.iter().rev().copied().filter(|id| {
        since.is_none_or(|s| *id > s) && until.is_none_or(|u| *id < u) && before.is_none_or(|b| *id < b)
    });
    let page: Vec<u64> = it.by_ref().take(max).collect();
    let more = it.next().is_some();
    (page, more)
}

/// Mastodon paging over ascending `ids` (all exclusive bounds): with `min_id`, the `limit`
/// posts immediately newer than it; otherwise the newest `limit` posts below `max_id` and above
/// `since_id`. Always returned newest first.
pub(crate) fn mastodon_page(
    ids: &[u64],
    max_id: Option<u64>,
    since_id: Option<u64>,
    min_id: Option<u64>,
    limit: usize,
) -> Vec<u64> {
    let keep = |id: &&u64| {
        max_id.is_none_or(|m| **id < m)
            && since_id.is_none_or(|s| **id > s)
            && min_id.is_none_or(|m| **id > m)
    };
    if min_id.is_some() {
        let mut page: Vec<u64> = ids.iter().filter(keep).take(limit).copied().collect();
        page.reverse();
        page
    } else {
        ids.iter().rev().filter(keep).take(limit).copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mastodon_min_id_and_since_id_paging() {
        let ids: Vec<u64> = (1..=10).collect();
        // since_id: the newest page above since_id (gap between 3 and 7 is skipped).
        assert_eq!(mastodon_page(&ids, None, Some(2), None, 3), vec![10, 9, 8]);
        // min_id: the statuses immediately newer than min_id, still newest first.
        assert_eq!(mastodon_page(&ids, None, None, Some(2), 3), vec![5, 4, 3]);
        assert_eq!(mastodon_page(&ids, None, None, Some(5), 3), vec![8, 7, 6]);
        assert_eq!(mastodon_page(&ids, None, None, Some(10), 3), Vec::<u64>::new());
        // max_id walks back.
        assert_eq!(mastodon_page(&ids, Some(8), None, None, 3), vec![7, 6, 5]);
        // max_id + min_id together.
        assert_eq!(mastodon_page(&ids, Some(6), None, Some(2), 10), vec![5, 4, 3]);
        assert_eq!(mastodon_page(&ids, None, None, None, 20), (1..=10).rev().collect::<Vec<_>>());
    }

    #[test]
    fn x_paging() {
        let ids: Vec<u64> = (1..=10).collect();
        assert_eq!(x_page(&ids, Some(3), None, None, 4), (vec![10, 9, 8, 7], true));
        assert_eq!(x_page(&ids, Some(3), None, Some(7), 4), (vec![6, 5, 4], false));
        assert_eq!(x_page(&ids, None, Some(3), None, 5), (vec![2, 1], false));
        assert_eq!(x_page(&ids, Some(10), None, None, 5), (vec![], false));
    }

    #[test]
    fn rate_windows() {
        let mut st = State::new();
        st.set_rate("a", Endpoint::Post, 2, 60);
        let h = st.rate_hit("a", Endpoint::Post, Family::XV2, 1000);
        assert_eq!((h.remaining, h.reset, h.exceeded), (1, 1060, false));
        assert!(!st.rate_hit("a", Endpoint::Post, Family::XV2, 1010).exceeded);
        let h = st.rate_hit("a", Endpoint::Post, Family::XV2, 1059);
        assert_eq!((h.remaining, h.reset, h.exceeded), (0, 1060, true));
        assert!(!st.rate_hit("a", Endpoint::Post, Family::XV2, 1060).exceeded);
        // Mastodon windows are aligned.
        let h = st.rate_hit("a", Endpoint::Timeline, Family::Mastodon, 1010);
        assert_eq!((h.limit, h.remaining, h.reset), (300, 299, 1200));
    }

    #[test]
    fn faults_match_by_path() {
        let mut st = State::new();
        st.faults.push(FaultRule {
            remaining: 2,
            fault: Fault::Garbage,
            path_contains: Some("/tweets".into()),
        });
        assert!(st.take_fault("/2/users/me").is_none());
        assert_eq!(st.take_fault("/2/tweets"), Some(Fault::Garbage));
        assert_eq!(st.take_fault("/2/tweets"), Some(Fault::Garbage));
        assert!(st.take_fault("/2/tweets").is_none());
    }
}
