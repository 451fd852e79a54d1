//! The X API v2 client (`--platform x`), OAuth 1.0a user context.
//!
//! Also holds the plumbing both X clients share: sending a signed request and classifying the
//! answer ([`classify`], re-exported here), id parsing, and the `entities.urls` shape.

pub mod classify;

pub use classify::{classify_x, XFailure, CLOCK_HINT, X_CONTENT_CODES};

use super::html::decode_entities;
use super::http::{malformed, Http, Request, Response};
use super::oauth::Signer;
use super::*;
use serde::Deserialize;
use std::time::Duration;

/// The tweet fields asked for on the home timeline.
/// `note_tweet` holds the whole text of a post longer than 280 characters (`text` is cut).
const TIMELINE_FIELDS: &str =
    "created_at,lang,author_id,referenced_tweets,entities,in_reply_to_user_id,note_tweet";
/// The expansions asked for on the home timeline (authors and retweeted originals).
const TIMELINE_EXPANSIONS: &str = "author_id,referenced_tweets.id";

/// The tweet fields asked for on the mentions timeline.
const MENTION_FIELDS: &str =
    "created_at,lang,author_id,conversation_id,referenced_tweets,in_reply_to_user_id";
/// What X bills for reading a post, in millionths of a dollar: "Posts read", $0.005 per post
/// (a post read again the same UTC day is billed once). From X's pay-per-use price list,
/// docs.x.com/x-api/getting-started/pricing, as of [`PRICES_AS_OF`].
pub const POST_READ_MICRO_USD: u64 = 5_000;
/// What X bills for reading a user's profile ("User read", $0.010), in millionths of a dollar.
pub const USER_READ_MICRO_USD: u64 = 10_000;
/// The date of the price list the two prices above come from (a transcription of
/// docs.x.com/x-api/getting-started/pricing).
pub const PRICES_AS_OF: &str = "2026-08-28";

/// X's length rule: 280 weighted characters, every URL counts 23.
pub const X_LENGTH: LengthRule = LengthRule { max: 280, url_len: 23 };

/// Client for X API v2.
pub struct XV2 {
    ep: Endpoint,
    http: Http,
    user_id: Option<String>,
}

impl XV2 {
    /// Make a client for a run at `now` (Unix seconds, from [`crate::clock::now`]): rate-limit
    /// resets are judged at that time. No network traffic until the first call.
    pub fn new(ep: Endpoint, now: i64) -> Self {
        let user_id = ep.account_id.clone().filter(|s| !s.is_empty());
        XV2 { ep, http: Http::new(now), user_id }
    }

    /// Use `timeout` as the whole-request budget instead of `FARM_HTTP_TIMEOUT` / 30 s.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.http = Http::with_timeout(self.http.now(), timeout);
        self
    }

    fn signer(&self) -> Signer<'_> {
        Signer::user(&self.ep.creds)
    }

    /// The authenticated user's id: known, or learned with one `GET /2/users/me`.
    fn ensure_user_id(&mut self, rates: &mut Vec<RateInfo>, calls: &mut u32) -> Result<String, NetError> {
        if let Some(id) = &self.user_id {
            return Ok(id.clone());
        }
        let me = self.fetch_me(rates)?;
        *calls += 1;
        Ok(me.id)
    }

    fn fetch_me(&mut self, rates: &mut Vec<RateInfo>) -> Result<Account, NetError> {
        let req = self.signer().get(&self.ep.url("/2/users/me"), &[], Call::Verify);
        let resp = send_ok(&self.http, &req, rates)?;
        let me: V2One<V2User> = resp.json()?;
        check_id(&me.data.id, &resp.what)?;
        self.user_id = Some(me.data.id.clone());
        Ok(Account { id: me.data.id, username: me.data.username, bot: None })
    }
}

impl XV2 {
    /// Walk a newest-first list of tweets at `url` (the home timeline, a user's tweets) back to
    /// `since` with `since_id` and `pagination_token`, up to `cap` posts; with `since = None`
    /// only the newest page. `calls` made before (a `users/me`) are counted in. With `account`
    /// (a user's tweets), an answer whose `errors` say the user cannot be read is
    /// `Ok(Err(status))` ([`account_problem`]).
    #[allow(clippy::too_many_arguments)]
    fn walk(
        &mut self,
        url: &str,
        extra: &[(&str, &str)],
        since: Option<&str>,
        cap: usize,
        mut calls: u32,
        account: bool,
        rates: &mut Vec<RateInfo>,
    ) -> Result<Result<Timeline, SourceStatus>, NetError> {
        let mut token: Option<String> = None;
        let mut posts: Vec<Post> = Vec::new();
        let mut cursor: Option<String> = None;
        let floor: Option<u64> = since.and_then(|s| s.parse().ok());
        loop {
            let mut params = extra.to_vec();
            params.extend([("tweet.fields", TIMELINE_FIELDS), ("expansions", TIMELINE_EXPANSIONS)]);
            if let Some(s) = since {
                params.push(("since_id", s));
            }
            if let Some(t) = &token {
                params.push(("pagination_token", t));
            }
            let req = self.signer().get(url, &params, Call::Timeline);
            let resp = send_ok(&self.http, &req, rates)?;
            let first = token.is_none();
            calls += 1;
            if let Some(status) = account_problem(&resp).filter(|_| account) {
                return Ok(Err(status));
            }
            let page = V2Page::read(&resp)?;
            let mut page_posts = Vec::with_capacity(page.data.len());
            for t in &page.data {
                page_posts.push(v2_post(t, &page.includes, &resp.what)?);
            }
            check_newest_id(page.meta.newest_id.as_deref(), floor, &resp.what)?;
            // Only what is really newer than the cursor: the cursor never moves back.
            if let Some(f) = floor {
                page_posts.retain(|p| p.id > f);
            }
            if first {
                cursor = page_posts.iter().map(|p| p.id).max().map(|id| id.to_string());
            }
            let empty = page_posts.is_empty();
            posts.extend(page_posts);
            if since.is_none() || posts.len() >= cap || empty {
                break;
            }
            match page.meta.next_token {
                Some(t) if token.as_deref() != Some(t.as_str()) => token = Some(t),
                _ => break,
            }
        }
        Ok(Ok(finish_timeline(posts, cap, cursor, calls)))
    }

    /// `GET /2/users/…` with the description: the user as a followed account's [`Profile`], or
    /// what X's `errors` say of it.
    fn user(&mut self, path: &str, name: &str) -> NetResult<Profile> {
        let mut rates = Vec::new();
        let req = self.signer().get(&self.ep.url(path), &[("user.fields", "description")], Call::Verify);
        let resp = send_ok(&self.http, &req, &mut rates)?;
        let home = self.ep.api.clone();
        if let Some(status) = account_problem(&resp) {
            let value =
                Profile { id: name.to_string(), handle: name.to_string(), home, note: String::new(), status };
            return Ok(Reply { value, rates });
        }
        let u: V2One<V2User> = resp.json()?;
        check_id(&u.data.id, &resp.what)?;
        let note = u.data.description.unwrap_or_default();
        let value = Profile { id: u.data.id, handle: u.data.username, home, note, status: SourceStatus::Ok };
        Ok(Reply { value, rates })
    }
}

impl Platform for XV2 {
    fn verify(&mut self) -> NetResult<Account> {
        let mut rates = Vec::new();
        let value = self.fetch_me(&mut rates)?;
        Ok(Reply { value, rates })
    }

    fn home_timeline(&mut self, since: Option<&str>, cap: usize) -> NetResult<Timeline> {
        let mut rates = Vec::new();
        let mut calls = 0;
        if cap == 0 {
            return Ok(Reply { value: Timeline::default(), rates });
        }
        let uid = self.ensure_user_id(&mut rates, &mut calls)?;
        let url = self.ep.url(&format!("/2/users/{uid}/timelines/reverse_chronological"));
        let max_results = cap.min(100).to_string();
        let value =
            self.walk(&url, &[("max_results", &max_results)], since, cap, calls, false, &mut rates)?;
        // Only a user's tweets are read as an account's (`account`), never the home timeline.
        let value = value.map_err(|s| NetError::new(NetErrorKind::Refused, format!("unreadable ({s:?})")))?;
        Ok(Reply { value, rates })
    }

    fn post(&mut self, text: &str, _key: &str, meta: &PostMeta) -> NetResult<Posted> {
        let mut rates = Vec::new();
        let mut body = serde_json::json!({ "text": text });
        if let Some(r) = &meta.reply_to {
            // X puts the parent's author in front of the reply itself.
            body["reply"] = serde_json::json!({ "in_reply_to_tweet_id": r.parent.id });
        }
        let body = body.to_string();
        let req = self.signer().post_json(&self.ep.url("/2/tweets"), body, Call::Post);
        let value = match send(&self.http, &req, &mut rates)? {
            Answer::Duplicate => Posted { id: None, cid: None, duplicate: true },
            Answer::Ok(resp) => {
                let created: V2One<V2Created> = resp.json()?;
                check_id(&created.data.id, &resp.what)?;
                Posted { id: Some(created.data.id), cid: None, duplicate: false }
            }
        };
        Ok(Reply { value, rates })
    }

    fn own_posts(&mut self, cap: usize) -> NetResult<Vec<OwnPost>> {
        let mut rates = Vec::new();
        let mut calls = 0;
        if cap == 0 {
            return Ok(Reply { value: Vec::new(), rates });
        }
        let uid = self.ensure_user_id(&mut rates, &mut calls)?;
        let url = self.ep.url(&format!("/2/users/{uid}/tweets"));
        // This endpoint accepts 5..=100.
        let max_results = cap.clamp(5, 100).to_string();
        let mut token: Option<String> = None;
        let mut out: Vec<OwnPost> = Vec::new();
        loop {
            let mut params =
                vec![("max_results", max_results.as_str()), ("tweet.fields", "created_at,public_metrics")];
            if let Some(t) = &token {
                params.push(("pagination_token", t));
            }
            let req = self.signer().get(&url, &params, Call::OwnPosts);
            let resp = send_ok(&self.http, &req, &mut rates)?;
            let page = V2Page::read(&resp)?;
            for t in &page.data {
                let m = t.public_metrics.unwrap_or_default();
                out.push(OwnPost {
                    id: parse_id(&t.id, &resp.what)?,
                    text: decode_entities(&t.text),
                    created_at: t.created_at.as_deref().and_then(crate::clock::parse_rfc3339).unwrap_or(0),
                    likes: m.like_count,
                    reposts: m.retweet_count,
                });
            }
            if out.len() >= cap || page.data.is_empty() {
                break;
            }
            match page.meta.next_token {
                Some(t) if token.as_deref() != Some(t.as_str()) => token = Some(t),
                _ => break,
            }
        }
        out.truncate(cap);
        Ok(Reply { value: out, rates })
    }

    fn delete(&mut self, id: u64) -> NetResult<()> {
        let mut rates = Vec::new();
        let req = self.signer().delete(&self.ep.url(&format!("/2/tweets/{id}")), Call::Delete);
        let resp = send_ok(&self.http, &req, &mut rates)?;
        let answer: V2One<V2Deleted> = resp.json()?;
        if !answer.data.deleted {
            return Err(NetError::new(
                NetErrorKind::Refused,
                format!("{}: X did not delete post {id}", resp.what),
            ));
        }
        Ok(Reply { value: (), rates })
    }

    fn length_rule(&mut self) -> NetResult<LengthRule> {
        Ok(Reply { value: X_LENGTH, rates: Vec::new() })
    }

    fn account_id(&self) -> Option<String> {
        self.user_id.clone()
    }

    /// `GET /2/users/by/username/:username` (a "User read", billed).
    fn find_account(&mut self, name: &str, _directory: &str) -> NetResult<Profile> {
        let name = name.trim_start_matches('@');
        self.user(&format!("/2/users/by/username/{name}"), name)
    }

    /// `GET /2/users/:id` (a "User read", billed).
    fn account_profile(&mut self, account: AccountRef<'_>, _directory: &str) -> NetResult<Profile> {
        self.user(&format!("/2/users/{}", account.id), account.id)
    }

    /// `GET /2/users/:id/tweets` back to the cursor with `since_id` (`exclude=retweets` unless
    /// `reposts`); every post read is billed.
    fn account_posts(
        &mut self,
        account: AccountRef<'_>,
        since: Option<&str>,
        cap: usize,
        reposts: bool,
    ) -> NetResult<AccountPosts> {
        let mut rates = Vec::new();
        if cap == 0 {
            return Ok(Reply { value: AccountPosts::empty(SourceStatus::Ok), rates });
        }
        let url = self.ep.url(&format!("/2/users/{}/tweets", account.id));
        // This endpoint takes 5 to 100.
        let max_results = cap.clamp(5, 100).to_string();
        let mut extra = vec![("max_results", max_results.as_str())];
        if !reposts {
            extra.push(("exclude", "retweets"));
        }
        let value = match self.walk(&url, &extra, since, cap, 0, true, &mut rates)? {
            Ok(timeline) => AccountPosts { status: SourceStatus::Ok, timeline },
            Err(status) => AccountPosts::empty(status),
        };
        Ok(Reply { value, rates })
    }

    fn mentions(&mut self, since: Option<&str>, cap: usize) -> NetResult<Mentions> {
        let mut rates = Vec::new();
        let mut out = Mentions::default();
        if cap == 0 {
            return Ok(Reply { value: out, rates });
        }
        let uid = self.ensure_user_id(&mut rates, &mut out.calls)?;
        let url = self.ep.url(&format!("/2/users/{uid}/mentions"));
        let max_results = cap.clamp(5, 100).to_string();
        let floor: u64 = since.and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut token: Option<String> = None;
        let mut found: Vec<(u64, Mention)> = Vec::new();
        loop {
            let mut params = vec![
                ("max_results", max_results.as_str()),
                ("tweet.fields", MENTION_FIELDS),
                ("expansions", "author_id"),
            ];
            if let Some(s) = since {
                params.push(("since_id", s));
            }
            if let Some(t) = &token {
                params.push(("pagination_token", t));
            }
            let req = self.signer().get(&url, &params, Call::Mentions);
            let resp = send_ok(&self.http, &req, &mut rates)?;
            out.calls += 1;
            let page = V2Page::read(&resp)?;
            let before = found.len();
            for t in &page.data {
                let id = parse_id(&t.id, &resp.what)?;
                if id > floor && !found.iter().any(|(f, _)| *f == id) {
                    found.push((id, v2_mention(t, &page.includes)));
                }
            }
            let next = page.meta.next_token.filter(|t| token.as_deref() != Some(t.as_str()));
            // Pages come newest first: past the cap, the older ones are left for good.
            if found.len() > cap || (found.len() == cap && next.is_some()) {
                out.overflow = true;
                break;
            }
            if since.is_none() || found.len() == before || next.is_none() {
                break;
            }
            token = next;
        }
        Ok(Reply { value: Mentions::newest(found, cap, out.overflow, out.calls), rates })
    }
}

/// A post from the mentions timeline as a [`Mention`]: its thread is its `conversation_id`;
/// an author missing from `includes` (a deleted or suspended account) keeps its id as handle.
fn v2_mention(t: &V2Tweet, inc: &V2Includes) -> Mention {
    let author_id = t.author_id.clone().unwrap_or_default();
    let author =
        inc.users.iter().find(|u| u.id == author_id).map_or(author_id.clone(), |u| u.username.clone());
    Mention {
        post: PostRef { id: t.id.clone(), cid: None },
        root: t.conversation_id.clone().map(|id| PostRef { id, cid: None }),
        in_reply_to: t.referenced_tweets.iter().find(|r| r.kind == "replied_to").map(|r| r.id.clone()),
        author,
        author_id,
        author_is_bot: false,
        text: decode_entities(&t.text),
        created_at: t.created_at.as_deref().and_then(crate::clock::parse_rfc3339).unwrap_or(0),
        visibility: None,
        lang: clean_lang(t.lang.as_deref()),
    }
}

/// What a sent X request came back as.
pub(crate) enum Answer {
    /// A 2xx answer.
    Ok(Response),
    /// "Already posted" (only ever for [`Call::Post`]).
    Duplicate,
}

/// Send a signed X request, record its rate state, and classify a non-2xx answer.
pub(crate) fn send(http: &Http, req: &Request, rates: &mut Vec<RateInfo>) -> Result<Answer, NetError> {
    let resp = http.send(req)?;
    if let Some(r) = resp.rate {
        rates.push(r);
    }
    if resp.is_success() {
        return Ok(Answer::Ok(resp));
    }
    match classify_x(&resp) {
        XFailure::Duplicate => Ok(Answer::Duplicate),
        XFailure::Error(e) => Err(e),
    }
}

/// [`send`] for calls where only a 2xx answer is success.
pub(crate) fn send_ok(http: &Http, req: &Request, rates: &mut Vec<RateInfo>) -> Result<Response, NetError> {
    match send(http, req, rates)? {
        Answer::Ok(resp) => Ok(resp),
        Answer::Duplicate => {
            Err(NetError::new(NetErrorKind::Refused, format!("{}: refused as a duplicate", req.what)))
        }
    }
}

/// Parse a numeric id string (X snowflake, Mastodon id); anything else is Malformed.
pub(crate) fn parse_id(id: &str, what: &str) -> Result<u64, NetError> {
    id.trim()
        .parse::<u64>()
        .map_err(|_| malformed(what, &format!("the id {:?} is not a number", one_line(id))))
}

/// Check a timeline page's `meta.newest_id`: when present it must be a number above the
/// `since_id` we sent, else the answer is [`NetErrorKind::Malformed`] (and the reader keeps its
/// cursor). The cursor itself comes from the posts, never from this field.
fn check_newest_id(newest: Option<&str>, since: Option<u64>, what: &str) -> Result<(), NetError> {
    let Some(newest) = newest else { return Ok(()) };
    let n = newest.trim().parse::<u64>().map_err(|_| {
        malformed(what, &format!("meta.newest_id {:?} is not a number; the cursor is kept", one_line(newest)))
    })?;
    match since {
        Some(s) if n <= s => Err(malformed(
            what,
            &format!("meta.newest_id {n} is not newer than the since_id {s} we sent; the cursor is kept"),
        )),
        _ => Ok(()),
    }
}

/// Check that an id is numeric without keeping the number.
pub(crate) fn check_id(id: &str, what: &str) -> Result<(), NetError> {
    parse_id(id, what).map(|_| ())
}

/// At most 40 characters of a value, for messages.
fn one_line(s: &str) -> String {
    super::http::one_line(s, 40)
}

/// Sort a page walk oldest first, keep the newest `cap` posts (pages arrive newest first) and
/// drop duplicates.
pub(crate) fn finish_timeline(
    mut posts: Vec<Post>,
    cap: usize,
    cursor: Option<String>,
    calls: u32,
) -> Timeline {
    posts.sort_by_key(|p| std::cmp::Reverse(p.id));
    posts.dedup_by_key(|p| p.id);
    posts.truncate(cap);
    posts.reverse();
    let cursor = if posts.is_empty() { None } else { cursor };
    Timeline { posts, cursor, calls, skipped: 0 }
}

/// What a 200 answer with X's `errors` alone says of a user that cannot be read: a missing
/// one is `Gone` (`resource-not-found`), a suspended one `Suspended` (the same type, titled
/// "Forbidden"), a protected one or one that blocks the app's user `Blocked`
/// (`not-authorized-for-resource`). `None` for anything else (a page, another error).
fn account_problem(resp: &Response) -> Option<SourceStatus> {
    let raw: V2RawPage = serde_json::from_str(&resp.body).ok()?;
    if raw.data.is_some() || raw.meta.is_some() {
        return None;
    }
    let p = raw.errors.first()?;
    let kind = p.kind.as_deref().unwrap_or("");
    if kind.ends_with("/resource-not-found") {
        return Some(if p.title.as_deref() == Some("Forbidden") {
            SourceStatus::Suspended
        } else {
            SourceStatus::Gone
        });
    }
    kind.ends_with("/not-authorized-for-resource").then_some(SourceStatus::Blocked)
}

/// Whether a text has a link in it.
pub(crate) fn text_has_link(text: &str) -> bool {
    text.contains("http://") || text.contains("https://")
}

/// A post's `lang` as every reader stores it ([`crate::model::lang_tag`]): a tag in its usual
/// case, `None` for the codes that name no language (X's `und`, `zxx`, `qst`, `qme`, …) and for
/// anything that is not a tag.
pub(crate) fn clean_lang(lang: Option<&str>) -> Option<String> {
    lang.and_then(crate::model::lang_tag)
}

/// `{"data": T}`.
#[derive(Debug, Deserialize)]
struct V2One<T> {
    data: T,
}

/// A user from `/2/users/me` or `includes.users`.
#[derive(Debug, Deserialize)]
struct V2User {
    id: String,
    username: String,
    #[serde(default)]
    description: Option<String>,
}

/// The answer to `POST /2/tweets`.
#[derive(Debug, Deserialize)]
struct V2Created {
    id: String,
}

/// The answer to `DELETE /2/tweets/:id`.
#[derive(Debug, Deserialize)]
struct V2Deleted {
    deleted: bool,
}

/// A page of tweets with its expansions and paging metadata.
#[derive(Debug)]
struct V2Page {
    data: Vec<V2Tweet>,
    includes: V2Includes,
    meta: V2Meta,
}

/// A page as it comes off the wire, before [`V2Page::read`] checks its shape.
#[derive(Debug, Deserialize)]
struct V2RawPage {
    #[serde(default)]
    data: Option<Vec<V2Tweet>>,
    #[serde(default)]
    includes: V2Includes,
    #[serde(default)]
    meta: Option<V2Meta>,
    #[serde(default)]
    errors: Vec<V2Problem>,
}

/// One entry of X's `errors` array (partial errors come with a 200).
#[derive(Debug, Deserialize)]
struct V2Problem {
    #[serde(default)]
    title: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    detail: Option<String>,
}

impl V2Page {
    /// A page of posts, or [`NetErrorKind::Malformed`] for any answer that does not have the
    /// shape of one: not an object (`[]`, `null`), no `data` and no `meta.result_count` (`{}`,
    /// X's `errors` alone, an unknown object however deep), or a `result_count` that disagrees
    /// with the posts. An answer that is not a page never reads as "no posts": a reader keeps
    /// its cursor, and a writer looking for an unconfirmed post keeps it pending.
    fn read(resp: &Response) -> Result<V2Page, NetError> {
        if !resp.body.trim_start().starts_with('{') {
            return Err(malformed(&resp.what, "the answer is not a page of posts (no JSON object)"));
        }
        let raw: V2RawPage = resp.json()?;
        let count = raw.meta.as_ref().and_then(|m| m.result_count);
        if raw.data.is_none() && count.is_none() {
            let why = match raw.errors.first() {
                Some(p) => format!(
                    "the answer has no posts and no result_count, only errors: {}",
                    one_line(p.detail.as_deref().or(p.title.as_deref()).unwrap_or("(no detail)"))
                ),
                None => "the answer has no posts and no result_count".to_string(),
            };
            return Err(malformed(&resp.what, &why));
        }
        let data = raw.data.unwrap_or_default();
        if let Some(c) = count.filter(|&c| c != data.len() as u64) {
            return Err(malformed(
                &resp.what,
                &format!("meta.result_count is {c} but the answer has {} posts", data.len()),
            ));
        }
        Ok(V2Page { data, includes: raw.includes, meta: raw.meta.unwrap_or_default() })
    }
}

/// `includes`: the expanded authors and referenced tweets.
#[derive(Debug, Default, Deserialize)]
struct V2Includes {
    #[serde(default)]
    users: Vec<V2User>,
    #[serde(default)]
    tweets: Vec<V2Tweet>,
}

/// `meta` of a page.
#[derive(Debug, Default, Deserialize)]
struct V2Meta {
    #[serde(default)]
    result_count: Option<u64>,
    #[serde(default)]
    newest_id: Option<String>,
    #[serde(default)]
    next_token: Option<String>,
}

/// One tweet.
#[derive(Debug, Deserialize)]
struct V2Tweet {
    id: String,
    text: String,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    author_id: Option<String>,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    referenced_tweets: Vec<V2Ref>,
    #[serde(default)]
    entities: Option<Entities>,
    #[serde(default)]
    in_reply_to_user_id: Option<String>,
    #[serde(default)]
    conversation_id: Option<String>,
    #[serde(default)]
    public_metrics: Option<V2Metrics>,
    #[serde(default)]
    note_tweet: Option<V2Note>,
}

/// The whole text of a long post (`note_tweet`).
#[derive(Debug, Deserialize)]
struct V2Note {
    text: String,
    #[serde(default)]
    entities: Option<Entities>,
}

/// A reference from one tweet to another (`retweeted`, `quoted`, `replied_to`).
#[derive(Debug, Deserialize)]
struct V2Ref {
    #[serde(rename = "type")]
    kind: String,
    id: String,
}

/// Engagement counts.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
struct V2Metrics {
    #[serde(default)]
    retweet_count: u64,
    #[serde(default)]
    like_count: u64,
}

/// `entities` (v2 and v1.1 share the `urls` and `hashtags` lists), read loosely: a list that is
/// not one (`null`, an object) is empty, an entry of another shape is left out; never a reason
/// to refuse the page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Entities {
    /// Links in the text.
    #[serde(default, deserialize_with = "loose_list")]
    pub(crate) urls: Vec<serde_json::Value>,
    /// Hashtags: `{"tag"}` in v2, `{"text"}` in v1.1.
    #[serde(default, deserialize_with = "loose_list")]
    pub(crate) hashtags: Vec<serde_json::Value>,
}

/// A JSON list, or an empty one for anything else.
fn loose_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<serde_json::Value>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Array(items) => items,
        _ => Vec::new(),
    })
}

impl Entities {
    /// The hashtags, as [`Post::categories`].
    pub(crate) fn categories(e: Option<&Entities>) -> Vec<String> {
        let tags = e.into_iter().flat_map(|e| &e.hashtags);
        super::categories(tags.filter_map(|h| h.get("tag").or_else(|| h.get("text"))?.as_str()))
    }
}

/// Turn a v2 tweet into a [`Post`]; a retweet takes the original's full text from `includes`.
fn v2_post(t: &V2Tweet, inc: &V2Includes, what: &str) -> Result<Post, NetError> {
    let id = parse_id(&t.id, what)?;
    let author = match &t.author_id {
        Some(aid) => {
            inc.users.iter().find(|u| &u.id == aid).map_or_else(|| aid.clone(), |u| u.username.clone())
        }
        None => String::new(),
    };
    let retweeted = t.referenced_tweets.iter().find(|r| r.kind == "retweeted");
    let source = retweeted.and_then(|r| inc.tweets.iter().find(|x| x.id == r.id)).unwrap_or(t);
    // A long post's whole text is its `note_tweet`; `text` is cut at 280 characters.
    let note = source.note_tweet.as_ref().filter(|n| !n.text.trim().is_empty());
    let text = decode_entities(note.map_or(&source.text, |n| &n.text));
    let is_reply = source.in_reply_to_user_id.is_some()
        || source.referenced_tweets.iter().any(|r| r.kind == "replied_to");
    let linked = |e: &Option<Entities>| e.as_ref().is_some_and(|e| !e.urls.is_empty());
    let has_links =
        linked(&source.entities) || note.is_some_and(|n| linked(&n.entities)) || text_has_link(&text);
    Ok(Post {
        id,
        author,
        created_at: t.created_at.as_deref().and_then(crate::clock::parse_rfc3339).unwrap_or(0),
        is_repost: retweeted.is_some(),
        is_reply,
        has_links,
        lang: clean_lang(source.lang.as_deref().or(t.lang.as_deref())),
        // A long post's hashtags are its note's.
        categories: Entities::categories(note.map_or(source.entities.as_ref(), |n| n.entities.as_ref())),
        text,
        ..Post::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_x_will_not_show() {
        use crate::net::http::test_response as resp;
        let p = |body: &str| account_problem(&resp(200, body, Call::Timeline));
        let errors = |title: &str, kind: &str| {
            format!(
                r#"{{"errors":[{{"value":"x","detail":"d","title":"{title}","resource_type":"user","type":"https://api.twitter.com/2/problems/{kind}"}}]}}"#
            )
        };
        assert_eq!(p(&errors("Not Found Error", "resource-not-found")), Some(SourceStatus::Gone));
        assert_eq!(p(&errors("Forbidden", "resource-not-found")), Some(SourceStatus::Suspended));
        assert_eq!(
            p(&errors("Authorization Error", "not-authorized-for-resource")),
            Some(SourceStatus::Blocked)
        );
        assert_eq!(p(&errors("Other", "invalid-request")), None);
        assert_eq!(p(r#"{"data":[],"meta":{"result_count":0}}"#), None);
        assert_eq!(p(r#"{"meta":{"result_count":0},"errors":[{"type":"x/resource-not-found"}]}"#), None);
    }

    fn page(body: &str) -> Result<V2Page, NetError> {
        V2Page::read(&super::super::http::test_response(200, body, Call::Timeline))
    }

    #[test]
    fn retweet_takes_full_text_from_includes() {
        let page = page(
            r#"{"data":[
                {"id":"20","text":"RT @bob: long text trunc…","author_id":"1","lang":"en",
                 "created_at":"2026-01-01T10:00:00.000Z",
                 "referenced_tweets":[{"type":"retweeted","id":"10"}]},
                {"id":"21","text":"a &amp; b https://t.co/x","author_id":"2","lang":"und",
                 "entities":{"urls":[{"url":"https://t.co/x"}]},"in_reply_to_user_id":"1",
                 "referenced_tweets":[{"type":"replied_to","id":"5"}]}],
              "includes":{"users":[{"id":"1","username":"alice","name":"A"},{"id":"2","username":"carol","name":"C"}],
                          "tweets":[{"id":"10","text":"long text truncated nowhere &lt;3","author_id":"3","lang":"ru"}]},
              "meta":{"result_count":2,"newest_id":"21","oldest_id":"20"}}"#,
        )
        .unwrap();
        let p = v2_post(&page.data[0], &page.includes, "GET /t").unwrap();
        assert_eq!(p.text, "long text truncated nowhere <3");
        assert!(p.is_repost && !p.is_reply && !p.has_links);
        assert_eq!(
            (p.author.as_str(), p.lang.as_deref(), p.created_at),
            ("alice", Some("ru"), 1_767_261_600)
        );
        let q = v2_post(&page.data[1], &page.includes, "GET /t").unwrap();
        assert_eq!(q.text, "a & b https://t.co/x");
        assert!(!q.is_repost && q.is_reply && q.has_links);
        assert_eq!((q.author.as_str(), q.lang.as_deref()), ("carol", None));
    }

    #[test]
    fn a_long_post_is_read_whole_from_its_note_tweet() {
        // Recorded shape: X v2 with `tweet.fields=…,note_tweet`.
        let page = page(include_str!("../../../fixtures/whole/x_note_tweet.json")).unwrap();
        let posts: Vec<Post> =
            page.data.iter().map(|t| v2_post(t, &page.includes, "GET /t").unwrap()).collect();
        assert_eq!((posts[0].text.as_str(), posts[0].lang.as_deref()), ("ok", None), "qst is no language");
        assert!(posts[1].is_repost && posts[1].text.ends_with("(retweeted)"), "{}", posts[1].text);
        assert!(posts[2].text.ends_with("https://t.co/soup123") && !posts[2].text.contains('…'));
        assert!(posts[2].text.chars().count() > 280 && posts[2].has_links);
        assert_eq!(posts[2].lang.as_deref(), Some("en"));
    }

    #[test]
    fn hashtags_are_categories_and_a_strange_one_is_left_out() {
        let page = page(
            r##"{"data":[{"id":"40","text":"#Rust and #rust, #farm","entities":{"hashtags":[
                    {"start":0,"end":5,"tag":"Rust"},{"start":10,"end":15,"tag":"rust"},{"tag":7},"x",
                    {"start":17,"end":22,"tag":"farm"}]}},
                {"id":"41","text":"no tags","entities":{"urls":[]}}],"meta":{"result_count":2}}"##,
        )
        .unwrap();
        let posts: Vec<Post> =
            page.data.iter().map(|t| v2_post(t, &page.includes, "GET /t").unwrap()).collect();
        assert_eq!(posts[0].categories, ["Rust", "farm"]);
        assert!(posts[1].categories.is_empty());
        // A list that is not one is no list, never a refused page.
        for odd in ["null", "{}", "\"x\"", "7"] {
            let body = format!(
                r#"{{"data":[{{"id":"40","text":"a","entities":{{"hashtags":{odd},"urls":{odd}}}}}],"meta":{{"result_count":1}}}}"#
            );
            let read = super::tests::page(&body).unwrap_or_else(|e| panic!("{odd}: {e:?}"));
            let p = v2_post(&read.data[0], &read.includes, "GET /t").unwrap();
            assert!(p.categories.is_empty() && !p.has_links, "{odd}");
        }
    }

    #[test]
    fn codes_that_name_no_language_are_no_language() {
        for code in ["und", "zxx", "qst", "qme", "qht", "qam", "qct", "", "not a tag"] {
            assert_eq!(clean_lang(Some(code)), None, "{code}");
        }
        assert_eq!(clean_lang(Some("en")).as_deref(), Some("en"));
        assert_eq!(clean_lang(Some("en-gb")).as_deref(), Some("en-GB"));
    }

    #[test]
    fn mentions_keep_their_thread_and_an_unknown_author_by_id() {
        let page = page(
            r#"{"data":[{"id":"30","text":"@w hi &amp; bye","author_id":"5","conversation_id":"20","lang":"en",
                         "referenced_tweets":[{"type":"replied_to","id":"25"}]},
                        {"id":"31","text":"@w ghost","author_id":"6"}],
                "includes":{"users":[{"id":"5","username":"ann"}]},"meta":{"result_count":2}}"#,
        )
        .unwrap();
        let m = v2_mention(&page.data[0], &page.includes);
        assert_eq!(
            (m.post.id.as_str(), m.root.unwrap().id.as_str(), m.in_reply_to.as_deref()),
            ("30", "20", Some("25"))
        );
        assert_eq!((m.author.as_str(), m.author_id.as_str(), m.text.as_str()), ("ann", "5", "@w hi & bye"));
        // A deleted or suspended author is missing from includes: its id stands for its handle.
        let ghost = v2_mention(&page.data[1], &page.includes);
        assert_eq!((ghost.author.as_str(), ghost.root, ghost.in_reply_to), ("6", None, None));
    }

    #[test]
    fn empty_page_and_bad_ids() {
        let empty = page(r#"{"meta":{"result_count":0}}"#).unwrap();
        assert!(empty.data.is_empty() && empty.meta.newest_id.is_none());
        let e = parse_id("12x", "GET /2/users/me").unwrap_err();
        assert_eq!(e.kind, NetErrorKind::Malformed);
        assert!(e.message.starts_with("GET /2/users/me: the id \"12x\""), "{}", e.message);
        assert!(page(r#"{"data":[{"id":"1"}]}"#).is_err());
    }

    #[test]
    fn an_answer_that_is_not_a_page_is_malformed() {
        let deep = format!("{}{{}}{}", "{\"a\":".repeat(1000), "}".repeat(1000));
        for (body, why) in [
            ("[]", "not a page of posts"),
            ("null", "not a page of posts"),
            ("{}", "no posts and no result_count"),
            (r#"{"errors":[{"title":"Oops","detail":"partial failure"}]}"#, "only errors: partial failure"),
            (r#"{"meta":{"newest_id":"5"}}"#, "no posts and no result_count"),
            (r#"{"meta":{"result_count":2}}"#, "result_count is 2 but the answer has 0 posts"),
            (r#"{"data":[{"id":"1","text":"a"}],"meta":{"result_count":0}}"#, "result_count is 0"),
            (&deep, "no posts and no result_count"),
        ] {
            let e = page(body).unwrap_err();
            assert_eq!(e.kind, NetErrorKind::Malformed, "{body:.20}");
            assert!(e.message.contains(why), "{body:.20}: {}", e.message);
        }
        // Data without meta, and data with X's partial errors beside it, are pages.
        assert_eq!(page(r#"{"data":[{"id":"1","text":"a"}]}"#).unwrap().data.len(), 1);
        let partial =
            r#"{"data":[{"id":"1","text":"a"}],"errors":[{"title":"x"}],"meta":{"result_count":1}}"#;
        assert_eq!(page(partial).unwrap().data.len(), 1);
    }

    #[test]
    fn newest_id_must_be_a_number_above_since() {
        assert!(check_newest_id(None, Some(5), "GET /t").is_ok());
        assert!(check_newest_id(Some("6"), Some(5), "GET /t").is_ok());
        assert!(check_newest_id(Some("6"), None, "GET /t").is_ok());
        for (newest, since) in [("abc", None), ("", Some(5)), ("-1", Some(5)), ("5", Some(5)), ("4", Some(5))]
        {
            let e = check_newest_id(Some(newest), since, "GET /t").unwrap_err();
            assert_eq!(e.kind, NetErrorKind::Malformed, "{newest}");
            assert!(e.message.contains("the cursor is kept"), "{}", e.message);
        }
    }

    #[test]
    fn finishing_a_walk() {
        let p = |id| Post {
            id,
            author: String::new(),
            text: String::new(),
            created_at: 0,
            is_repost: false,
            is_reply: false,
            has_links: false,
            lang: None,
            ..Default::default()
        };
        let t = finish_timeline(vec![p(5), p(4), p(4), p(3), p(1)], 3, Some("5".into()), 2);
        assert_eq!(t.posts.iter().map(|p| p.id).collect::<Vec<_>>(), vec![3, 4, 5]);
        assert_eq!((t.cursor.as_deref(), t.calls), (Some("5"), 2));
        assert_eq!(finish_timeline(vec![], 3, Some("5".into()), 1).cursor, None);
    }
}
