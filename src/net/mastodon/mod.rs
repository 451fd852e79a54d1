//! The Mastodon client (`--platform mastodon`), bearer token.
//!
//! The home timeline moves forward with `min_id`: each page is the 40 posts right after the
//! cursor, so a walk capped at `cap` posts leaves no gap (the next run resumes where it
//! stopped). Post bodies are HTML and become plain text with [`super::html::to_text`]. Error
//! answers are classified by [`classify`] (re-exported here).

pub mod classify;

pub use classify::classify_mastodon;

use super::html::to_text;
use super::http::{Http, Request, Response};
use super::oauth::{form, query};
use super::x::{clean_lang, parse_id, text_has_link};
use super::*;
use crate::net::http::{Body, Method};
use serde::Deserialize;
use std::time::Duration;

/// The most statuses one timeline request may return.
const PAGE: usize = 40;

/// Mastodon's defaults when the instance does not say: 500 characters, URLs count 23.
pub const DEFAULT_LENGTH: LengthRule = LengthRule { max: 500, url_len: 23 };

/// The visibility used for posts unless changed: bot etiquette is `unlisted`.
pub const DEFAULT_VISIBILITY: &str = "unlisted";

/// Client for Mastodon.
pub struct Mastodon {
    ep: Endpoint,
    http: Http,
    account_id: Option<String>,
    visibility: String,
}

impl Mastodon {
    /// Make a client for a run at `now` (Unix seconds, from [`crate::clock::now`]): rate-limit
    /// resets are judged at that time. No network traffic until the first call.
    pub fn new(ep: Endpoint, now: i64) -> Self {
        let account_id = ep.account_id.clone().filter(|s| !s.is_empty());
        Mastodon { ep, http: Http::new(now), account_id, visibility: DEFAULT_VISIBILITY.to_string() }
    }

    /// Use `timeout` as the whole-request budget instead of `FARM_HTTP_TIMEOUT` / 30 s.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.http = Http::with_timeout(self.http.now(), timeout);
        self
    }

    /// Post with this visibility (`public`, `unlisted`, `private`, `direct`) instead of
    /// `unlisted`.
    pub fn with_visibility(mut self, visibility: &str) -> Self {
        self.set_visibility(visibility);
        self
    }

    /// Change the visibility of future posts.
    pub fn set_visibility(&mut self, visibility: &str) {
        self.visibility = visibility.to_string();
    }

    /// The visibility posts are made with.
    pub fn visibility(&self) -> &str {
        &self.visibility
    }

    /// A request with the bearer token.
    fn request(&self, method: Method, url: String, call: Call) -> Request {
        Request::new(method, url, call)
            .header("Authorization", format!("Bearer {}", self.ep.creds.access_token))
    }

    /// Send, record the rate state, and classify a non-2xx answer.
    fn send(&self, req: &Request, rates: &mut Vec<RateInfo>) -> Result<Response, NetError> {
        self.answer(req, false, rates)?.map_err(signed_in)
    }

    /// [`Mastodon::send`]; with `public` (a read without the token), an answer that says the
    /// account cannot be read is `Ok(Err(status))` ([`unreadable`]) instead of an error.
    fn answer(
        &self,
        req: &Request,
        public: bool,
        rates: &mut Vec<RateInfo>,
    ) -> Result<Result<Response, SourceStatus>, NetError> {
        let resp = self.http.send(req)?;
        if let Some(r) = resp.rate {
            rates.push(r);
        }
        if resp.is_success() {
            return Ok(Ok(resp));
        }
        match unreadable(resp.status).filter(|_| public) {
            Some(status) => Ok(Err(status)),
            None => Err(classify_mastodon(&resp)),
        }
    }

    fn fetch_me(&mut self, rates: &mut Vec<RateInfo>) -> Result<Account, NetError> {
        let req = self.request(Method::Get, self.ep.url("/api/v1/accounts/verify_credentials"), Call::Verify);
        let resp = self.send(&req, rates)?;
        let me: MAccount = resp.json()?;
        parse_id(&me.id, &resp.what)?;
        self.account_id = Some(me.id.clone());
        Ok(Account { id: me.id, username: me.username, bot: Some(me.bot) })
    }

    /// One page of statuses at `url` (`params` added to its query): with the bearer token when
    /// `authed`; without it (a public account's posts), an answer that says the account cannot
    /// be read is `Ok(Err(status))` ([`unreadable`]).
    fn page(
        &self,
        url: &str,
        params: &[(&str, &str)],
        call: Call,
        authed: bool,
        rates: &mut Vec<RateInfo>,
    ) -> Result<Result<(Vec<MStatus>, String), SourceStatus>, NetError> {
        match self.get(url, params, call, authed, rates)? {
            Ok(resp) => Ok(Ok((resp.json()?, resp.what))),
            Err(status) => Ok(Err(status)),
        }
    }

    /// GET `url` with `params`: the answer when it is a 2xx; with `authed` (the bearer token
    /// sent) every other answer is a classified error, without it an answer that says the
    /// account cannot be read is `Ok(Err(status))`.
    fn get(
        &self,
        url: &str,
        params: &[(&str, &str)],
        call: Call,
        authed: bool,
        rates: &mut Vec<RateInfo>,
    ) -> Result<Result<Response, SourceStatus>, NetError> {
        let url = query(url, params);
        let req =
            if authed { self.request(Method::Get, url, call) } else { Request::new(Method::Get, url, call) };
        self.answer(&req, !authed, rates)
    }

    /// Walk a list of statuses at `url` (the home timeline, an account's statuses) forward
    /// with `min_id`: each page is the 40 posts right after the cursor, so a walk capped at
    /// `cap` posts leaves no gap (the next run resumes where it stopped). With `since = None`
    /// only the newest page is read. `Err(status)`: an account that cannot be read.
    fn walk(
        &self,
        url: &str,
        extra: &[(&str, &str)],
        since: Option<&str>,
        cap: usize,
        authed: bool,
        rates: &mut Vec<RateInfo>,
    ) -> Result<Result<Timeline, SourceStatus>, NetError> {
        let mut calls = 0;
        let mut posts: Vec<Post> = Vec::new();
        if cap == 0 {
            return Ok(Ok(Timeline::default()));
        }
        // Polls read: no source of words (the question alone makes no sense), but the cursor
        // moves past them.
        let mut polls: Vec<u64> = Vec::new();
        match since {
            None => {
                let limit = cap.min(PAGE).to_string();
                let mut params = vec![("limit", limit.as_str())];
                params.extend_from_slice(extra);
                let (page, what) = match self.page(url, &params, Call::Timeline, authed, rates)? {
                    Ok(p) => p,
                    Err(status) => return Ok(Err(status)),
                };
                calls += 1;
                for s in &page {
                    posts.push(s.to_post(&what)?);
                    if s.is_poll() {
                        polls.push(parse_id(&s.id, &what)?);
                    }
                }
                posts.sort_by_key(|p| p.id);
                posts.dedup_by_key(|p| p.id);
                // Keep the newest `cap`.
                let drop = posts.len().saturating_sub(cap);
                posts.drain(..drop);
            }
            Some(start) => {
                let limit = PAGE.to_string();
                let mut min_id = start.to_string();
                loop {
                    let mut params = vec![("limit", limit.as_str()), ("min_id", min_id.as_str())];
                    params.extend_from_slice(extra);
                    let (page, what) = match self.page(url, &params, Call::Timeline, authed, rates)? {
                        Ok(p) => p,
                        Err(status) => return Ok(Err(status)),
                    };
                    calls += 1;
                    let mut page_posts = Vec::with_capacity(page.len());
                    for s in &page {
                        page_posts.push(s.to_post(&what)?);
                        if s.is_poll() {
                            polls.push(parse_id(&s.id, &what)?);
                        }
                    }
                    // Only what is really newer than the cursor (a sloppy server might repeat it).
                    let floor: u64 = min_id.parse().unwrap_or(0);
                    let full_page = page.len() >= PAGE;
                    page_posts.retain(|p| p.id > floor);
                    let Some(newest) = page_posts.iter().map(|p| p.id).max() else { break };
                    posts.extend(page_posts);
                    posts.sort_by_key(|p| p.id);
                    posts.dedup_by_key(|p| p.id);
                    if posts.len() >= cap {
                        // Keep the oldest `cap`: the next run resumes right after them, no gap.
                        posts.truncate(cap);
                        break;
                    }
                    if !full_page {
                        // A short page means we are caught up: asking again would only cost a
                        // request that comes back empty ("one timeline call per interval").
                        break;
                    }
                    min_id = newest.to_string();
                }
            }
        }
        let cursor = posts.last().map(|p| p.id.to_string());
        let read = posts.len();
        posts.retain(|p| !polls.contains(&p.id));
        let skipped = (read - posts.len()) as u32;
        Ok(Ok(Timeline { posts, cursor, calls, skipped }))
    }

    /// A public account's profile: `path` (`/api/v1/accounts/lookup`, `/api/v1/accounts/:id`)
    /// at the instance `home`, without the token.
    fn profile_at(&self, home: &str, path: &str, params: &[(&str, &str)]) -> NetResult<Profile> {
        let mut rates = Vec::new();
        let url = format!("{}{path}", home.trim_end_matches('/'));
        let resp = match self.get(&url, params, Call::Verify, false, &mut rates)? {
            Ok(resp) => resp,
            Err(status) => {
                let name = params.first().map_or(path, |(_, v)| *v).to_string();
                let value = Profile {
                    id: name.clone(),
                    handle: name,
                    home: home.to_string(),
                    note: String::new(),
                    status,
                };
                return Ok(Reply { value, rates });
            }
        };
        let a: MProfile = resp.json()?;
        parse_id(&a.id, &resp.what)?;
        let domain = super::http::host_of(home);
        let mut note = to_text(&a.note);
        for f in &a.fields {
            note.push_str(&format!("\n{}: {}", to_text(&f.name), to_text(&f.value)));
        }
        let status = match (&a.moved, a.suspended) {
            (Some(to), _) => SourceStatus::Moved {
                to: qualified(&to.acct.clone().unwrap_or_else(|| to.username.clone()), domain),
            },
            (None, Some(true)) => SourceStatus::Suspended,
            _ => SourceStatus::Ok,
        };
        let handle = qualified(a.acct.as_deref().unwrap_or(&a.username), domain);
        Ok(Reply { value: Profile { id: a.id, handle, home: home.to_string(), note, status }, rates })
    }
}

/// What an answer to a read without the token says of the account, if it says it cannot be
/// read: 404 (no such account) and 410 (suspended, before Mastodon 3.3) are `Gone` and
/// `Suspended`; 401 (an instance that requires signing in) and 403 are `Blocked`.
fn unreadable(status: u16) -> Option<SourceStatus> {
    match status {
        404 => Some(SourceStatus::Gone),
        410 => Some(SourceStatus::Suspended),
        401 | 403 => Some(SourceStatus::Blocked),
        _ => None,
    }
}

/// The error for an account found unreadable by a read made with the token, which
/// [`Mastodon::answer`] never reports (its answers are classified errors).
fn signed_in(status: SourceStatus) -> NetError {
    NetError::new(NetErrorKind::Refused, format!("the account cannot be read ({status:?})"))
}

/// `acct` with the instance's domain when it has none (a local account: `user` → `user@domain`).
fn qualified(acct: &str, domain: &str) -> String {
    if acct.contains('@') {
        acct.to_string()
    } else {
        format!("{acct}@{domain}")
    }
}

/// The instance base URL and user name of `user@instance`.
fn split_acct(name: &str) -> Option<(String, &str)> {
    let (user, domain) = name.trim_start_matches('@').rsplit_once('@')?;
    (!user.is_empty() && !domain.is_empty()).then(|| (super::http::base_url(domain), user))
}

impl Platform for Mastodon {
    fn verify(&mut self) -> NetResult<Account> {
        let mut rates = Vec::new();
        let value = self.fetch_me(&mut rates)?;
        Ok(Reply { value, rates })
    }

    fn home_timeline(&mut self, since: Option<&str>, cap: usize) -> NetResult<Timeline> {
        let mut rates = Vec::new();
        let url = self.ep.url("/api/v1/timelines/home");
        let value = self.walk(&url, &[], since, cap, true, &mut rates)?.map_err(signed_in)?;
        Ok(Reply { value, rates })
    }

    fn post(&mut self, text: &str, key: &str, meta: &PostMeta) -> NetResult<Posted> {
        let mut rates = Vec::new();
        // A reply threads under its parent and follows its visibility.
        let reply = meta.reply_to.as_ref();
        let visibility = reply.and_then(|r| r.visibility.as_deref()).unwrap_or(self.visibility.as_str());
        let mut fields = vec![("status", text), ("visibility", visibility)];
        if let Some(r) = reply {
            fields.push(("in_reply_to_id", r.parent.id.as_str()));
        }
        let spoiler = spoiler_text(meta);
        if let Some(w) = &spoiler {
            fields.push(("spoiler_text", w));
        }
        if meta.sensitive || !meta.labels.is_empty() {
            fields.push(("sensitive", "true"));
        }
        let language = meta.lang.as_deref().and_then(language);
        if let Some(l) = &language {
            fields.push(("language", l));
        }
        let body = form(&fields);
        let mut req =
            self.request(Method::Post, self.ep.url("/api/v1/statuses"), Call::Post).body(Body::Form(body));
        if !key.is_empty() {
            req = req.header("Idempotency-Key", key);
        }
        let resp = self.http.send(&req)?;
        rates.extend(resp.rate);
        if resp.status == 404 && reply.is_some() {
            // Mastodon's answer to a reply whose parent does not exist (deleted): this post
            // can never be made as the reply it is.
            let e = classify_mastodon(&resp);
            return Err(NetError { kind: NetErrorKind::Rejected, ..e });
        }
        if !resp.is_success() {
            return Err(classify_mastodon(&resp));
        }
        let status: MCreated = resp.json()?;
        parse_id(&status.id, &resp.what)?;
        Ok(Reply { value: Posted { id: Some(status.id), cid: None, duplicate: false }, rates })
    }

    fn own_posts(&mut self, cap: usize) -> NetResult<Vec<OwnPost>> {
        let mut rates = Vec::new();
        let mut out: Vec<OwnPost> = Vec::new();
        if cap == 0 {
            return Ok(Reply { value: out, rates });
        }
        let id = match &self.account_id {
            Some(id) => id.clone(),
            None => self.fetch_me(&mut rates)?.id,
        };
        let url = self.ep.url(&format!("/api/v1/accounts/{id}/statuses"));
        let limit = cap.min(PAGE).to_string();
        let mut max_id: Option<String> = None;
        loop {
            let mut params = vec![("limit", limit.as_str())];
            if let Some(m) = &max_id {
                params.push(("max_id", m));
            }
            let (page, what) =
                self.page(&url, &params, Call::OwnPosts, true, &mut rates)?.map_err(signed_in)?;
            let mut oldest: Option<u64> = None;
            for s in &page {
                let sid = parse_id(&s.id, &what)?;
                oldest = Some(oldest.map_or(sid, |o: u64| o.min(sid)));
                out.push(OwnPost {
                    id: sid,
                    text: to_text(&s.content),
                    created_at: s.created_at.as_deref().and_then(crate::clock::parse_rfc3339).unwrap_or(0),
                    likes: s.favourites_count,
                    reposts: s.reblogs_count,
                });
            }
            let Some(oldest) = oldest else { break };
            // A short page is the last one: asking again would only return an empty page.
            if out.len() >= cap || page.len() < cap.min(PAGE) {
                break;
            }
            let next = oldest.to_string();
            if max_id.as_deref() == Some(next.as_str()) {
                break;
            }
            max_id = Some(next);
        }
        Ok(Reply { value: super::newest_own_posts(out, cap), rates })
    }

    fn delete(&mut self, id: u64) -> NetResult<()> {
        let mut rates = Vec::new();
        let req = self.request(Method::Delete, self.ep.url(&format!("/api/v1/statuses/{id}")), Call::Delete);
        self.send(&req, &mut rates)?;
        Ok(Reply { value: (), rates })
    }

    fn length_rule(&mut self) -> NetResult<LengthRule> {
        let mut rates = Vec::new();
        let req = self.request(Method::Get, self.ep.url("/api/v2/instance"), Call::Verify);
        let resp = self.http.send(&req)?;
        if let Some(r) = resp.rate {
            rates.push(r);
        }
        // Instances older than Mastodon 4.0 have no v2 instance endpoint: use the defaults.
        if resp.status == 404 {
            return Ok(Reply { value: DEFAULT_LENGTH, rates });
        }
        if !resp.is_success() {
            return Err(classify_mastodon(&resp));
        }
        let instance: MInstance = resp.json()?;
        let statuses = instance.configuration.unwrap_or_default().statuses.unwrap_or_default();
        let value = LengthRule {
            max: statuses.max_characters.filter(|&m| m > 0).unwrap_or(DEFAULT_LENGTH.max),
            url_len: statuses.characters_reserved_per_url.unwrap_or(DEFAULT_LENGTH.url_len),
        };
        Ok(Reply { value, rates })
    }

    fn account_id(&self) -> Option<String> {
        self.account_id.clone()
    }

    /// `GET /api/v1/accounts/lookup?acct=user` at the account's own instance, without the token
    /// (public since Mastodon 3.4).
    fn find_account(&mut self, name: &str, _directory: &str) -> NetResult<Profile> {
        let Some((home, user)) = split_acct(name) else {
            return Err(NetError::new(
                NetErrorKind::Refused,
                format!("{name:?} is not a Mastodon account (user@instance)"),
            ));
        };
        self.profile_at(&home, "/api/v1/accounts/lookup", &[("acct", user)])
    }

    /// `GET /api/v1/accounts/:id` at its instance, without the token.
    fn account_profile(&mut self, account: AccountRef<'_>, _directory: &str) -> NetResult<Profile> {
        self.profile_at(account.home, &format!("/api/v1/accounts/{}", account.id), &[])
    }

    /// `GET /api/v1/accounts/:id/statuses` at its instance, without the token, forward with
    /// `min_id` (`exclude_reblogs=true` unless `reposts`). Its posts are authored
    /// `user@instance`.
    fn account_posts(
        &mut self,
        account: AccountRef<'_>,
        since: Option<&str>,
        cap: usize,
        reposts: bool,
    ) -> NetResult<AccountPosts> {
        let mut rates = Vec::new();
        let url = format!("{}/api/v1/accounts/{}/statuses", account.home.trim_end_matches('/'), account.id);
        let extra: &[(&str, &str)] = if reposts { &[] } else { &[("exclude_reblogs", "true")] };
        let value = match self.walk(&url, extra, since, cap, false, &mut rates)? {
            Ok(mut timeline) => {
                let domain = super::http::host_of(account.home);
                for p in &mut timeline.posts {
                    p.author = qualified(&p.author, domain);
                }
                AccountPosts { status: SourceStatus::Ok, timeline }
            }
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
        // Forward from the cursor with `min_id`, like the home timeline: what a capped read
        // leaves, the next one reads.
        let floor: u64 = since.and_then(|s| s.parse().ok()).unwrap_or(0);
        let limit = if since.is_none() { cap.min(PAGE) } else { PAGE }.to_string();
        let mut min_id = since.map(str::to_string);
        let mut newest = floor;
        loop {
            let mut params = vec![("types[]", "mention"), ("limit", limit.as_str())];
            if let Some(m) = &min_id {
                params.push(("min_id", m));
            }
            let req = self.request(
                Method::Get,
                query(&self.ep.url("/api/v1/notifications"), &params),
                Call::Mentions,
            );
            let resp = self.send(&req, &mut rates)?;
            out.calls += 1;
            let page: Vec<MNotification> = resp.json()?;
            let mut ids = Vec::with_capacity(page.len());
            for n in &page {
                ids.push((parse_id(&n.id, &resp.what)?, n));
            }
            // Oldest first, only what is newer than the cursor, up to the cap: the cursor stops
            // at the last one taken, so none is skipped.
            ids.sort_by_key(|(id, _)| *id);
            let mut got = false;
            for (id, n) in ids {
                if id <= newest || out.mentions.len() >= cap {
                    continue;
                }
                newest = id;
                got = true;
                if let Some(m) = n.to_mention(&resp.what)? {
                    out.mentions.push(m);
                }
            }
            // A short page is the last; a page of nothing new (a sloppy server) too; and no
            // more pages than the cap needs, whatever a server sends.
            let pages_done = out.calls as usize > cap.div_ceil(PAGE);
            // The first read takes the newest page: a full one may leave older mentions.
            out.overflow |= since.is_none() && page.len() >= cap.min(PAGE);
            if since.is_none() || page.len() < PAGE || !got || out.mentions.len() >= cap || pages_done {
                break;
            }
            min_id = Some(newest.to_string());
        }
        out.cursor = (newest > floor).then(|| newest.to_string());
        Ok(Reply { value: out, rates })
    }
}

/// A notification (`GET /api/v1/notifications`).
#[derive(Debug, Deserialize)]
struct MNotification {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    account: MAccount,
    #[serde(default)]
    status: Option<MStatus>,
}

impl MNotification {
    /// The mention it announces; `None` for another type, or a mention whose status is gone.
    fn to_mention(&self, what: &str) -> Result<Option<Mention>, NetError> {
        let Some(s) = self.status.as_ref().filter(|_| self.kind == "mention") else {
            return Ok(None);
        };
        parse_id(&s.id, what)?;
        let author =
            self.account.acct.clone().filter(|a| !a.is_empty()).unwrap_or(self.account.username.clone());
        Ok(Some(Mention {
            post: PostRef { id: s.id.clone(), cid: None },
            root: None,
            in_reply_to: s.in_reply_to_id.clone(),
            author,
            author_id: self.account.id.clone(),
            author_is_bot: self.account.bot,
            text: to_text(&s.content),
            created_at: s.created_at.as_deref().and_then(crate::clock::parse_rfc3339).unwrap_or(0),
            visibility: s.visibility.clone(),
            lang: clean_lang(s.language.as_deref()),
        }))
    }
}

/// Mark the account behind `ep` as a bot (Mastodon's `bot` flag, shown as a robot badge) with
/// `PATCH /api/v1/accounts/update_credentials`, after one `verify_credentials` to see whether it
/// already is. `Ok(false)`: it already was. The secrets of `ep` never appear in an error.
pub fn mark_bot(ep: Endpoint, now: i64) -> NetResult<bool> {
    let secrets = crate::secret::Secrets::of_creds(&ep.creds);
    let mut m = Mastodon::new(ep, now);
    let mut rates = Vec::new();
    let mut go = || -> Result<bool, NetError> {
        if m.fetch_me(&mut rates)?.bot == Some(true) {
            return Ok(false);
        }
        let url = m.ep.url("/api/v1/accounts/update_credentials");
        let req = m.request(Method::Patch, url, Call::Verify).body(Body::Form(form(&[("bot", "true")])));
        let resp = m.send(&req, &mut rates)?;
        let me: MAccount = resp.json()?;
        if !me.bot {
            return Err(NetError::new(
                NetErrorKind::Refused,
                "the instance took the change but its answer still says bot: false; set \"This is an automated account\" in the account's profile settings",
            ));
        }
        Ok(true)
    };
    match go() {
        Ok(value) => Ok(Reply { value, rates }),
        Err(e) => Err(e.scrubbed(&secrets)),
    }
}

/// The content warning a post of `meta` carries on Mastodon (`spoiler_text`): its warning, else
/// its Bluesky self-labels as words (`nudity`), else none. Mastodon counts it with the text
/// towards the length limit.
pub fn spoiler_text(meta: &PostMeta) -> Option<String> {
    let warning = meta.warning.as_deref().map(str::trim).filter(|w| !w.is_empty());
    match warning {
        Some(w) => Some(w.to_string()),
        None if !meta.labels.is_empty() => Some(meta.labels.join(", ")),
        None => None,
    }
}

/// Mastodon's `language` for a language tag: its language subtag (`pt-BR` → `pt`), the ISO 639
/// code Mastodon takes.
fn language(tag: &str) -> Option<String> {
    let primary = tag.split('-').next()?.to_ascii_lowercase();
    (!primary.is_empty()).then_some(primary)
}

/// A public account's profile (`accounts/lookup`, `accounts/:id`): only what farm reads.
#[derive(Debug, Deserialize)]
struct MProfile {
    id: String,
    username: String,
    #[serde(default)]
    acct: Option<String>,
    #[serde(default)]
    note: String,
    #[serde(default)]
    fields: Vec<MField>,
    #[serde(default)]
    suspended: Option<bool>,
    #[serde(default)]
    moved: Option<Box<MAccount>>,
}

/// A profile field (`name`, `value`: HTML).
#[derive(Debug, Deserialize)]
struct MField {
    #[serde(default)]
    name: String,
    #[serde(default)]
    value: String,
}

/// An account (`verify_credentials`, a status' author).
#[derive(Debug, Deserialize)]
struct MAccount {
    id: String,
    username: String,
    #[serde(default)]
    acct: Option<String>,
    /// Marked as a bot (`false` when a server leaves it out).
    #[serde(default)]
    bot: bool,
}

/// The answer to `POST /api/v1/statuses`.
#[derive(Debug, Deserialize)]
struct MCreated {
    id: String,
}

/// A status.
#[derive(Debug, Deserialize)]
struct MStatus {
    id: String,
    content: String,
    #[serde(default)]
    created_at: Option<String>,
    account: MAccount,
    #[serde(default)]
    reblog: Option<Box<MStatus>>,
    #[serde(default)]
    in_reply_to_id: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    visibility: Option<String>,
    #[serde(default)]
    favourites_count: u64,
    #[serde(default)]
    reblogs_count: u64,
    /// The content warning (empty for none).
    #[serde(default)]
    spoiler_text: Option<String>,
    #[serde(default)]
    sensitive: Option<bool>,
    #[serde(default)]
    poll: Option<serde_json::Value>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    tags: Vec<MTag>,
}

/// A hashtag of a status.
#[derive(Debug, Deserialize)]
struct MTag {
    name: String,
}

impl MStatus {
    /// Whether it is a poll (a reblog of one too).
    fn is_poll(&self) -> bool {
        self.reblog.as_deref().unwrap_or(self).poll.as_ref().is_some_and(|p| !p.is_null())
    }

    /// A home-timeline [`Post`]; a reblog takes the inner status' text.
    fn to_post(&self, what: &str) -> Result<Post, NetError> {
        let id = parse_id(&self.id, what)?;
        let source = self.reblog.as_deref().unwrap_or(self);
        let text = to_text(&source.content);
        let author = self
            .account
            .acct
            .clone()
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| self.account.username.clone());
        Ok(Post {
            id,
            author,
            has_links: text_has_link(&text),
            created_at: self.created_at.as_deref().and_then(crate::clock::parse_rfc3339).unwrap_or(0),
            is_repost: self.reblog.is_some(),
            is_reply: source.in_reply_to_id.is_some(),
            lang: clean_lang(source.language.as_deref()),
            warning: source
                .spoiler_text
                .as_deref()
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .map(str::to_string),
            sensitive: source.sensitive.unwrap_or(false),
            link: source.url.clone().filter(|u| u.starts_with("https://") || u.starts_with("http://")),
            categories: source.tags.iter().map(|t| t.name.clone()).filter(|t| !t.is_empty()).collect(),
            text,
            ..Post::default()
        })
    }
}

/// `GET /api/v2/instance` (only the parts farm reads).
#[derive(Debug, Deserialize)]
struct MInstance {
    #[serde(default)]
    configuration: Option<MConfiguration>,
}

/// `configuration`.
#[derive(Debug, Default, Deserialize)]
struct MConfiguration {
    #[serde(default)]
    statuses: Option<MStatusesConfig>,
}

/// `configuration.statuses`.
#[derive(Debug, Default, Deserialize)]
struct MStatusesConfig {
    #[serde(default)]
    max_characters: Option<usize>,
    #[serde(default)]
    characters_reserved_per_url: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reblog_takes_inner_text() {
        let s: MStatus = serde_json::from_str(
            r#"{"id":"110","content":"","created_at":"2026-01-01T10:00:00.123Z","language":null,
                "account":{"id":"1","username":"alice","acct":"alice"},
                "reblog":{"id":"100","content":"<p>hello &amp; <a href=\"https://x.example/a\"><span class=\"invisible\">https://</span><span>x.example/a</span></a></p><p>second</p>",
                          "account":{"id":"2","username":"bob","acct":"bob@other.example"},"language":"en","in_reply_to_id":"5"}}"#,
        )
        .unwrap();
        let p = s.to_post("GET /t").unwrap();
        assert_eq!(p.id, 110);
        assert_eq!(p.text, "hello & https://x.example/a\n\nsecond");
        assert!(p.is_repost && p.is_reply && p.has_links);
        assert_eq!(
            (p.author.as_str(), p.lang.as_deref(), p.created_at),
            ("alice", Some("en"), 1_767_261_600)
        );
    }

    /// A recorded-shape home timeline (Mastodon 4.5): a media-only post, a poll, a quote post,
    /// a post with a content warning, a sensitive one without, a plain one with tags.
    const HOME: &str = include_str!("../../../fixtures/whole/mastodon_home.json");

    #[test]
    fn statuses_are_kept_whole() {
        let page: Vec<MStatus> = serde_json::from_str(HOME).unwrap();
        let posts: Vec<Post> = page.iter().map(|s| s.to_post("GET /t").unwrap()).collect();
        let polls: Vec<bool> = page.iter().map(MStatus::is_poll).collect();
        assert_eq!(polls, [false, true, false, false, false, false]);
        // Media only: no words (the reader skips it).
        assert_eq!(posts[0].text, "");
        // The quote post keeps the author's words, not the "RE: <link>" fallback.
        assert_eq!(posts[2].text, "Strong words about soup.");
        assert!(!posts[2].has_links && !posts[2].is_repost);
        // A content warning, and the sensitive flag, are kept; so is the post's own URL.
        let cw = &posts[3];
        assert_eq!((cw.warning.as_deref(), cw.sensitive), (Some("spoilers for the finale"), true));
        assert_eq!(cw.link.as_deref(), Some("https://other.example/@bob/113600000000000003"));
        assert_eq!(cw.author, "bob@other.example");
        assert_eq!((posts[4].warning.as_deref(), posts[4].sensitive), (None, true));
        assert_eq!(posts[4].lang.as_deref(), Some("en-GB"));
        assert_eq!(posts[5].categories, ["rust", "opensource"]);
        assert_eq!((posts[5].warning.as_deref(), posts[5].sensitive), (None, false));
    }

    #[test]
    fn metadata_on_the_wire() {
        let meta = |warning: Option<&str>, labels: &[&str]| PostMeta {
            warning: warning.map(str::to_string),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            ..PostMeta::default()
        };
        assert_eq!(spoiler_text(&meta(Some(" spoilers "), &["nudity"])).as_deref(), Some("spoilers"));
        assert_eq!(spoiler_text(&meta(None, &["nudity", "porn"])).as_deref(), Some("nudity, porn"));
        assert_eq!(spoiler_text(&meta(Some(""), &[])), None);
        assert_eq!(language("pt-BR").as_deref(), Some("pt"));
        assert_eq!(language("en").as_deref(), Some("en"));
    }

    #[test]
    fn notifications_become_mentions() {
        let page: Vec<MNotification> = serde_json::from_str(
            r#"[{"id":"12","type":"mention","account":{"id":"7","username":"ann","acct":"ann@far.example","bot":true},
                 "status":{"id":"99","content":"<p><span class=\"h-card\"><a href=\"https://x/@w\">@<span>w</span></a></span> hi</p>",
                           "in_reply_to_id":"98","visibility":"direct","language":"en","created_at":"2026-01-01T10:00:00.000Z",
                           "account":{"id":"7","username":"ann"}}},
                {"id":"13","type":"favourite","account":{"id":"8","username":"bob"},"status":null},
                {"id":"14","type":"mention","account":{"id":"9","username":"gone"},"status":null}]"#,
        )
        .unwrap();
        let m = page[0].to_mention("GET /n").unwrap().unwrap();
        assert_eq!(
            (m.post.id.as_str(), m.in_reply_to.as_deref(), m.author.as_str()),
            ("99", Some("98"), "ann@far.example")
        );
        assert_eq!(
            (m.author_id.as_str(), m.author_is_bot, m.visibility.as_deref()),
            ("7", true, Some("direct"))
        );
        assert_eq!((m.text.as_str(), m.created_at), ("@w hi", 1_767_261_600));
        // Another type, or a mention whose status is gone: nothing to answer.
        assert_eq!(page[1].to_mention("GET /n").unwrap(), None);
        assert_eq!(page[2].to_mention("GET /n").unwrap(), None);
    }

    /// Answers a real Mastodon server gave (`fixtures/mastodon/`, recorded by Mastodon.py).
    #[test]
    fn recorded_answers_of_a_real_server() {
        let a: MProfile =
            serde_json::from_str(include_str!("../../../fixtures/mastodon/lookup.json")).unwrap();
        assert_eq!((a.id.as_str(), a.acct.as_deref()), ("117020565966271181", Some("mastodonpy_test")));
        assert_eq!((to_text(&a.note).as_str(), a.fields.len(), a.suspended), ("I walk funny", 2, None));
        let page: Vec<MStatus> =
            serde_json::from_str(include_str!("../../../fixtures/mastodon/account_statuses.json")).unwrap();
        let posts: Vec<Post> = page.iter().map(|s| s.to_post("GET /s").unwrap()).collect();
        assert_eq!(posts.len(), 5);
        let p = &posts[0];
        assert_eq!(
            (p.id, p.text.as_str(), p.author.as_str()),
            (117020580518794573, "Toot number 9!", "mastodonpy_test")
        );
        assert_eq!(
            (p.lang.as_deref(), p.created_at, p.is_repost, p.is_reply),
            (Some("en"), 1_785_592_354, false, false)
        );
        assert_eq!(qualified(&p.author, "localhost:3000"), "mastodonpy_test@localhost:3000");
        assert_eq!(qualified("a@b.example", "localhost:3000"), "a@b.example");
        let missing: serde_json::Value =
            serde_json::from_str(include_str!("../../../fixtures/mastodon/lookup_404.json")).unwrap();
        assert_eq!(missing["error"], "Record not found");
        assert_eq!(unreadable(404), Some(SourceStatus::Gone));
        assert_eq!(unreadable(410), Some(SourceStatus::Suspended));
        assert_eq!(unreadable(401), Some(SourceStatus::Blocked));
        assert_eq!(unreadable(500), None);
        assert_eq!(split_acct("@a@127.0.0.1:9"), Some(("http://127.0.0.1:9".into(), "a")));
        assert_eq!(split_acct("a"), None);
    }

    #[test]
    fn instance_config_defaults() {
        let i: MInstance = serde_json::from_str(r#"{"domain":"m.example"}"#).unwrap();
        assert!(i.configuration.is_none());
        let i: MInstance = serde_json::from_str(
            r#"{"configuration":{"statuses":{"max_characters":1000,"characters_reserved_per_url":23}}}"#,
        )
        .unwrap();
        assert_eq!(i.configuration.unwrap().statuses.unwrap().max_characters, Some(1000));
    }

    #[test]
    fn bad_status_is_malformed() {
        let s: MStatus =
            serde_json::from_str(r#"{"id":"abc","content":"x","account":{"id":"1","username":"a"}}"#)
                .unwrap();
        assert_eq!(s.to_post("GET /t").unwrap_err().kind, NetErrorKind::Malformed);
        assert!(serde_json::from_str::<MStatus>(r#"{"id":"1","content":"x"}"#).is_err());
    }
}
