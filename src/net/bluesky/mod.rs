//! The Bluesky client (`--platform bluesky`): AT Protocol XRPC calls to the account's PDS with a
//! session made from an app password.
//!
//! Sessions: [`create_session`] logs in (at the entryway, `--api`, default
//! `https://bsky.social`) and [`refresh_session`] rotates the pair at the PDS; the bot layer
//! (`bot::session`) decides when, and stores the new pair before it is used. A [`Bluesky`]
//! client only ever uses the access token it was given.
//!
//! Posting: the record key is a TID chosen when the intent was recorded (the `key` of
//! [`Platform::post`]). A `createRecord` whose outcome is unclear (a timeout, a reset, any 5xx:
//! the reference PDS answers a second create with an existing key with a 500) is settled at
//! once with `getRecord` of that key: there → posted; not there → the error stands and the next
//! run sends again with the same key. There is no time window.

pub mod classify;
pub mod facets;
pub mod tid;

pub use classify::{classify_bluesky, repo_status};

use super::http::{malformed, Body, Http, Method, Request, Response};
use super::oauth::query;
use super::x::{clean_lang, text_has_link};
use super::*;
use classify::XrpcError;
use serde::Deserialize;
use serde_json::{json, Value};

/// The collection of posts.
pub const POST: &str = "app.bsky.feed.post";

/// The most posts one `getTimeline` page returns.
const PAGE: usize = 100;

/// The most URIs one `getPosts` call takes.
const POSTS_BATCH: usize = 25;

/// A session: what `createSession` and `refreshSession` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The access JWT.
    pub access: String,
    /// The refresh JWT.
    pub refresh: String,
    /// The account's DID.
    pub did: String,
    /// The account's handle.
    pub handle: String,
    /// The account's PDS (the `#atproto_pds` service of its DID document), when the answer has
    /// the document.
    pub pds: Option<String>,
}

/// The session answer (only what farm reads).
#[derive(Debug, Deserialize)]
struct SessionBody {
    #[serde(rename = "accessJwt")]
    access_jwt: String,
    #[serde(rename = "refreshJwt")]
    refresh_jwt: String,
    did: String,
    #[serde(default)]
    handle: String,
    #[serde(default, rename = "didDoc")]
    did_doc: Option<Value>,
    #[serde(default)]
    active: Option<bool>,
    #[serde(default)]
    status: Option<String>,
}

impl SessionBody {
    fn into_session(self, what: &str) -> Result<Session, NetError> {
        if self.active == Some(false) {
            let status = self.status.as_deref().unwrap_or("deactivated");
            return Err(NetError::new(
                NetErrorKind::Refused,
                format!("{what}: the account is not active ({status})"),
            ));
        }
        if !self.did.starts_with("did:") || self.access_jwt.is_empty() || self.refresh_jwt.is_empty() {
            return Err(malformed(what, "the session answer has no DID or tokens"));
        }
        let pds = self.did_doc.as_ref().and_then(pds_of);
        Ok(Session {
            access: self.access_jwt,
            refresh: self.refresh_jwt,
            did: self.did,
            handle: self.handle,
            pds,
        })
    }
}

/// The `#atproto_pds` service endpoint of a DID document.
fn pds_of(doc: &Value) -> Option<String> {
    doc.get("service")?.as_array()?.iter().find_map(|s| {
        let id = s.get("id")?.as_str()?;
        let url = s.get("serviceEndpoint")?.as_str()?;
        (id == "#atproto_pds" || id.ends_with("#atproto_pds"))
            .then(|| url.trim_end_matches('/').to_string())
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
    })
}

/// The URL of an XRPC method at `base`.
fn xrpc(base: &str, nsid: &str) -> String {
    format!("{}/xrpc/{nsid}", base.trim_end_matches('/'))
}

/// Send and classify: a 2xx answer, or the classified error.
fn send(http: &Http, req: &Request, rates: &mut Vec<RateInfo>) -> Result<Response, NetError> {
    let resp = http.send(req)?;
    if let Some(r) = resp.rate {
        rates.push(r);
    }
    if resp.is_success() {
        Ok(resp)
    } else {
        Err(classify_bluesky(&resp))
    }
}

/// Log in with an identifier (handle or DID) and an app password at `entry` (`--api`):
/// `com.atproto.server.createSession`. A refused password is [`NetErrorKind::Auth`].
pub fn create_session(entry: &str, identifier: &str, password: &str, now: i64) -> NetResult<Session> {
    let http = Http::new(now);
    let mut rates = Vec::new();
    let body = json!({"identifier": identifier, "password": password}).to_string();
    let req = Request::new(Method::Post, xrpc(entry, "com.atproto.server.createSession"), Call::Verify)
        .body(Body::Json(body))
        .idempotent(true);
    let resp = send(&http, &req, &mut rates)?;
    let value = resp.json::<SessionBody>()?.into_session(&resp.what)?;
    Ok(Reply { value, rates })
}

/// Rotate a session at its PDS: `com.atproto.server.refreshSession` with the refresh token
/// and no body. A refused refresh token is a [`NetError::session_expired`] error.
pub fn refresh_session(pds: &str, refresh: &str, now: i64) -> NetResult<Session> {
    let http = Http::new(now);
    let mut rates = Vec::new();
    let req = Request::new(Method::Post, xrpc(pds, "com.atproto.server.refreshSession"), Call::Verify)
        .header("Authorization", format!("Bearer {refresh}"))
        .body(Body::Json(String::new()))
        .idempotent(true);
    let resp = send(&http, &req, &mut rates)?;
    let value = resp.json::<SessionBody>()?.into_session(&resp.what)?;
    Ok(Reply { value, rates })
}

/// The collection of a profile (record key `self`).
const PROFILE: &str = "app.bsky.actor.profile";

/// An account's profile record (`getRecord`, which needs no login) and its CID; an account
/// without a profile gets an empty one and a `null` CID.
fn profile(http: &Http, pds: &str, did: &str, rates: &mut Vec<RateInfo>) -> Result<(Value, Value), NetError> {
    let url = query(
        &xrpc(pds, "com.atproto.repo.getRecord"),
        &[("repo", did), ("collection", PROFILE), ("rkey", "self")],
    );
    let req = Request::new(Method::Get, url, Call::Verify);
    let resp = http.send(&req)?;
    if let Some(r) = resp.rate {
        rates.push(r);
    }
    if resp.status == 400 && XrpcError::of(&resp).error.as_deref() == Some("RecordNotFound") {
        return Ok((json!({"$type": PROFILE}), Value::Null));
    }
    if !resp.is_success() {
        return Err(classify_bluesky(&resp));
    }
    let v: Value = resp.json()?;
    let value =
        v.get("value").filter(|x| x.is_object()).cloned().unwrap_or_else(|| json!({"$type": PROFILE}));
    Ok((value, v.get("cid").cloned().unwrap_or(Value::Null)))
}

/// The self-labels on a profile record.
fn profile_labels(profile: &Value) -> Vec<Value> {
    profile.pointer("/labels/values").and_then(Value::as_array).cloned().unwrap_or_default()
}

/// Whether a label (a profile's self-label, or one of an author's labels in a view) is `bot`.
fn is_bot_label(l: &Value) -> bool {
    l.get("val").and_then(Value::as_str) == Some("bot")
}

/// Whether the account `did` on `pds` carries the `bot` self-label on its profile: one
/// `getRecord`, no login.
pub fn has_bot_label(pds: &str, did: &str, now: i64) -> NetResult<bool> {
    let mut rates = Vec::new();
    let (p, _) = profile(&Http::new(now), pds, did, &mut rates)?;
    Ok(Reply { value: profile_labels(&p).iter().any(is_bot_label), rates })
}

/// Mark the account as a bot: the `bot` self-label on its profile (`app.bsky.actor.profile`,
/// record `self`), every other field kept, written with `putRecord` guarded by `swapRecord` (the
/// profile's current CID, or `null` when it has none) so that a profile changed meanwhile is
/// not overwritten. `Ok(false)` when the label was already there.
pub fn label_bot(pds: &str, access: &str, did: &str, now: i64) -> NetResult<bool> {
    let http = Http::new(now);
    let mut rates = Vec::new();
    let (mut profile, cid) = profile(&http, pds, did, &mut rates)?;
    let mut values = profile_labels(&profile);
    if values.iter().any(is_bot_label) {
        return Ok(Reply { value: false, rates });
    }
    values.push(json!({"val": "bot"}));
    profile["labels"] = json!({"$type": "com.atproto.label.defs#selfLabels", "values": values});
    let body =
        json!({"repo": did, "collection": PROFILE, "rkey": "self", "record": profile, "swapRecord": cid});
    let req = Request::new(Method::Post, xrpc(pds, "com.atproto.repo.putRecord"), Call::Verify)
        .header("Authorization", format!("Bearer {access}"))
        .body(Body::Json(body.to_string()))
        .idempotent(true);
    send(&http, &req, &mut rates)?;
    Ok(Reply { value: true, rates })
}

/// The Unix time a JWT expires (its `exp` claim), when it has one farm can read.
pub fn jwt_expiry(token: &str) -> Option<i64> {
    let payload = token.split('.').nth(1)?;
    let bytes = super::base64::decode(payload)?;
    serde_json::from_slice::<Value>(&bytes).ok()?.get("exp")?.as_i64()
}

/// Whether `s` is a Bluesky app password (`xxxx-xxxx-xxxx-xxxx`, lower-case letters and
/// digits).
pub fn is_app_password(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 4
        && groups
            .iter()
            .all(|g| g.len() == 4 && g.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

/// The numeric id farm gives a post: its record key's TID as a number, so that ids grow with
/// time; a key that is no TID gets one from `fallback_at` (Unix seconds) and the URI's hash.
pub fn post_id(uri: &str, fallback_at: i64) -> u64 {
    let rkey = uri.rsplit('/').next().unwrap_or("");
    tid::decode(rkey).unwrap_or_else(|| {
        let h = crate::text::dedup::hash(uri);
        tid::decode(&tid::for_intent(fallback_at, h)).unwrap_or(h >> 1)
    })
}

/// A public XRPC GET at `base` (no token): the answer whatever its status, its rate state noted.
fn public_get(
    http: &Http,
    base: &str,
    nsid: &str,
    params: &[(&str, &str)],
    call: Call,
    rates: &mut Vec<RateInfo>,
) -> Result<Response, NetError> {
    let resp = http.send(&Request::new(Method::Get, query(&xrpc(base, nsid), params), call))?;
    if let Some(r) = resp.rate {
        rates.push(r);
    }
    Ok(resp)
}

/// Where the DID document of `did` is: `directory/DID` for a `did:plc` (the PLC directory),
/// `https://HOST/.well-known/did.json` for a `did:web`.
fn did_doc_url(did: &str, directory: &str) -> Result<String, NetError> {
    if did.starts_with("did:plc:") {
        return Ok(format!("{}/{did}", directory.trim_end_matches('/')));
    }
    match did.strip_prefix("did:web:") {
        Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', '@']) => {
            Ok(format!("{}/.well-known/did.json", super::http::base_url(&host.replace("%3A", ":"))))
        }
        _ => Err(NetError::new(
            NetErrorKind::Refused,
            format!("{did:?} is not a DID farm can resolve (did:plc, did:web)"),
        )),
    }
}

/// A followed account's [`Profile`] from its DID: its DID document (its PDS and handle, from
/// the PLC directory `directory` or its did:web host) and its profile record at its PDS (the
/// description, where `#nobot` would be). Three calls at most, none with a token.
fn profile_of(
    http: &Http,
    did: &str,
    directory: &str,
    rates: &mut Vec<RateInfo>,
) -> Result<Profile, NetError> {
    let gone = |status| Profile {
        id: did.to_string(),
        handle: did.to_string(),
        home: String::new(),
        note: String::new(),
        status,
    };
    let resp = http.send(&Request::new(Method::Get, did_doc_url(did, directory)?, Call::Verify))?;
    if matches!(resp.status, 404 | 410) {
        // The PLC directory: "DID not registered" (404), or a tombstoned DID (410).
        return Ok(gone(SourceStatus::Gone));
    }
    if !resp.is_success() {
        return Err(classify_bluesky(&resp));
    }
    let doc: Value = resp.json()?;
    if doc.get("id").and_then(Value::as_str) != Some(did) {
        return Err(malformed(&resp.what, "the DID document is not the one asked for"));
    }
    let Some(pds) = pds_of(&doc) else {
        return Err(malformed(&resp.what, "the DID document names no PDS"));
    };
    let handle = doc
        .get("alsoKnownAs")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().filter_map(Value::as_str).find_map(|u| u.strip_prefix("at://")))
        .unwrap_or(did)
        .to_string();
    let params = [("repo", did), ("collection", PROFILE), ("rkey", "self")];
    let resp = public_get(http, &pds, "com.atproto.repo.getRecord", &params, Call::Verify, rates)?;
    let found = XrpcError::of(&resp).error.as_deref() == Some("RecordNotFound");
    let (note, status) = if resp.is_success() {
        let v: Value = resp.json()?;
        let text = v.pointer("/value/description").and_then(Value::as_str).unwrap_or("").to_string();
        (text, SourceStatus::Ok)
    } else if resp.status == 400 && found {
        // No profile record: nothing said.
        (String::new(), SourceStatus::Ok)
    } else if let Some(status) = repo_status(&resp) {
        (String::new(), status)
    } else {
        return Err(classify_bluesky(&resp));
    };
    Ok(Profile { id: did.to_string(), handle, home: pds, note, status })
}

/// A post record's hashtags, as [`Post::categories`]: its tag facets
/// (`app.bsky.richtext.facet#tag`), then its outline `tags`.
fn record_tags(record: &Value) -> Vec<String> {
    let facets = record.get("facets").and_then(Value::as_array).into_iter().flatten();
    let features = facets.flat_map(|f| f.get("features").and_then(Value::as_array).into_iter().flatten());
    let faceted = features
        .filter(|x| x.get("$type").and_then(Value::as_str) == Some("app.bsky.richtext.facet#tag"))
        .filter_map(|x| x.get("tag").and_then(Value::as_str));
    let outline =
        record.get("tags").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str);
    categories(faceted.chain(outline))
}

/// A post record as `listRecords` gives it, as a cached [`Post`] of `did`.
fn record_post(uri: &str, value: &Value, did: &str) -> Post {
    let text = value.get("text").and_then(Value::as_str).unwrap_or("").to_string();
    let created_at =
        value.get("createdAt").and_then(Value::as_str).and_then(crate::clock::parse_rfc3339).unwrap_or(0);
    let lang = value.get("langs").and_then(|l| l.get(0)).and_then(Value::as_str);
    let labels = value.pointer("/labels/values").and_then(Value::as_array);
    let sensitive = labels.is_some_and(|l| {
        l.iter()
            .filter_map(|v| v.get("val").and_then(Value::as_str))
            .any(|v| matches!(v, "porn" | "sexual" | "nudity" | "graphic-media"))
    });
    Post {
        id: post_id(uri, created_at),
        author: did.to_string(),
        has_links: text_has_link(&text),
        created_at,
        is_reply: value.get("reply").is_some(),
        lang: clean_lang(lang),
        sensitive,
        categories: record_tags(value),
        text,
        ..Post::default()
    }
}

/// Client for Bluesky: one account at its PDS, with an access token from `bot::session`.
pub struct Bluesky {
    ep: Endpoint,
    http: Http,
    did: Option<String>,
}

impl Bluesky {
    /// Make a client for a run at `now` (Unix seconds): `ep.api` is the account's PDS,
    /// `ep.creds.access_token` the session's access token, `ep.account_id` its DID when known.
    pub fn new(ep: Endpoint, now: i64) -> Self {
        let did = ep.account_id.clone().filter(|d| d.starts_with("did:"));
        Bluesky { ep, http: Http::new(now), did }
    }

    /// An authenticated request to an XRPC method.
    fn request(&self, method: Method, nsid: &str, params: &[(&str, &str)], call: Call) -> Request {
        let url = query(&xrpc(&self.ep.api, nsid), params);
        Request::new(method, url, call)
            .header("Authorization", format!("Bearer {}", self.ep.creds.access_token))
    }

    /// The account's DID: the known one, else one `getSession` call.
    fn did(&mut self, rates: &mut Vec<RateInfo>) -> Result<String, NetError> {
        if let Some(d) = &self.did {
            return Ok(d.clone());
        }
        Ok(self.get_session(rates)?.id)
    }

    fn get_session(&mut self, rates: &mut Vec<RateInfo>) -> Result<Account, NetError> {
        #[derive(Deserialize)]
        struct Me {
            did: String,
            #[serde(default)]
            handle: String,
            #[serde(default)]
            active: Option<bool>,
            #[serde(default)]
            status: Option<String>,
        }
        let req = self.request(Method::Get, "com.atproto.server.getSession", &[], Call::Verify);
        let resp = send(&self.http, &req, rates)?;
        let me: Me = resp.json()?;
        if me.active == Some(false) {
            let status = me.status.as_deref().unwrap_or("deactivated");
            return Err(NetError::new(
                NetErrorKind::Refused,
                format!("{}: the account is not active ({status})", resp.what),
            ));
        }
        self.did = Some(me.did.clone());
        Ok(Account { id: me.did, username: me.handle, bot: None })
    }

    /// `getRecord` of one of the account's posts: `Some((uri, cid, text))` when it is there,
    /// `None` when the server says `RecordNotFound`.
    fn get_post(
        &self,
        did: &str,
        rkey: &str,
        rates: &mut Vec<RateInfo>,
    ) -> Result<Option<(String, Option<String>, String)>, NetError> {
        #[derive(Deserialize)]
        struct Got {
            uri: String,
            #[serde(default)]
            cid: Option<String>,
            value: Value,
        }
        let params = [("repo", did), ("collection", POST), ("rkey", rkey)];
        let req = self.request(Method::Get, "com.atproto.repo.getRecord", &params, Call::Post);
        let resp = self.http.send(&req)?;
        if let Some(r) = resp.rate {
            rates.push(r);
        }
        if resp.status == 400 && XrpcError::of(&resp).error.as_deref() == Some("RecordNotFound") {
            return Ok(None);
        }
        if !resp.is_success() {
            return Err(classify_bluesky(&resp));
        }
        let got: Got = resp.json()?;
        let text = got.value.get("text").and_then(Value::as_str).unwrap_or("").to_string();
        Ok(Some((got.uri, got.cid, text)))
    }

    /// A handle's DID (`com.atproto.identity.resolveHandle`), `None` when it does not resolve.
    fn resolve(&self, handle: &str, rates: &mut Vec<RateInfo>) -> Option<String> {
        let req = self.request(
            Method::Get,
            "com.atproto.identity.resolveHandle",
            &[("handle", handle)],
            Call::Verify,
        );
        let resp = send(&self.http, &req, rates).ok()?;
        let v: Value = resp.json().ok()?;
        v.get("did")?.as_str().filter(|d| d.starts_with("did:")).map(str::to_string)
    }

    /// The record of a post of `text` made now.
    fn record(&self, text: &str, meta: &PostMeta, rates: &mut Vec<RateInfo>) -> Value {
        let found = facets::detect(text);
        let facets = facets::to_json(&found, &mut |h| self.resolve(h, rates));
        let mut record = json!({
            "$type": POST,
            "text": text,
            "createdAt": crate::clock::format(self.http.now()),
        });
        if let Some(lang) = clean_lang(meta.lang.as_deref()) {
            record["langs"] = json!([lang]);
        }
        let labels = self_labels(meta);
        if !labels.is_empty() {
            let values: Vec<Value> = labels.iter().map(|v| json!({"val": v})).collect();
            record["labels"] = json!({"$type": "com.atproto.label.defs#selfLabels", "values": values});
        }
        if !facets.is_empty() {
            record["facets"] = Value::Array(facets);
        }
        if let Some(r) = &meta.reply_to {
            // Both strong refs; a root without its CID (there is none) falls back to the parent.
            let strong = |p: &PostRef| json!({"uri": p.id, "cid": p.cid.clone().unwrap_or_default()});
            let root = if r.root.cid.is_some() { &r.root } else { &r.parent };
            record["reply"] = json!({"root": strong(root), "parent": strong(&r.parent)});
        }
        record
    }
}

/// The self-labels a post may carry (`com.atproto.label.defs#selfLabels`) that warn about its
/// content; `!no-unauthenticated` asks for something else and is never set by farm.
pub const CONTENT_LABELS: [&str; 4] = ["porn", "sexual", "nudity", "graphic-media"];

/// The self-labels a post of `meta` carries on Bluesky: its labels; without any, a content
/// warning or the sensitive flag becomes one label, the warning itself when it names one
/// (`nudity`), else `graphic-media`: Bluesky has no free-text content warning, and of its
/// labels only that one warns without saying the post is sexual (the adult labels hide it from
/// everyone who did not opt in to adult content).
pub fn self_labels(meta: &PostMeta) -> Vec<String> {
    let mut labels: Vec<String> = Vec::new();
    for l in &meta.labels {
        if CONTENT_LABELS.contains(&l.as_str()) && !labels.contains(l) {
            labels.push(l.clone());
        }
    }
    let warning = meta.warning.as_deref().map(str::trim).filter(|w| !w.is_empty());
    if labels.is_empty() && (warning.is_some() || meta.sensitive) {
        let named = warning.map(str::to_ascii_lowercase).filter(|w| CONTENT_LABELS.contains(&w.as_str()));
        labels.push(named.unwrap_or_else(|| "graphic-media".to_string()));
    }
    labels
}

/// Bluesky's notification reasons a reply answers: a mention, or a reply to one of its posts.
const MENTION_REASONS: [&str; 2] = ["mention", "reply"];

/// One `listNotifications` page.
#[derive(Debug, Deserialize)]
struct NotificationPage {
    #[serde(default)]
    notifications: Vec<Notification>,
    #[serde(default)]
    cursor: Option<String>,
}

/// `app.bsky.notification.listNotifications#notification` (only what farm reads).
#[derive(Debug, Deserialize)]
struct Notification {
    uri: String,
    cid: String,
    author: NotificationAuthor,
    reason: String,
    #[serde(default)]
    record: Value,
    #[serde(default, rename = "indexedAt")]
    indexed_at: String,
}

/// The author's profile view in a notification.
#[derive(Debug, Deserialize)]
struct NotificationAuthor {
    did: String,
    #[serde(default)]
    handle: String,
    #[serde(default)]
    labels: Vec<Value>,
}

/// Milliseconds of an RFC 3339 time (0 when it is not one).
fn millis(t: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t.trim()).map_or(0, |t| t.timestamp_millis())
}

impl Notification {
    /// The mention it announces: the post, its thread's root (the post itself when it starts
    /// one), its author and whether the author's profile carries the `bot` label.
    fn to_mention(&self) -> Mention {
        let r = &self.record;
        let strong = |v: Option<&Value>| {
            let v = v?;
            Some(PostRef {
                id: v.get("uri")?.as_str()?.to_string(),
                cid: v.get("cid").and_then(Value::as_str).map(str::to_string),
            })
        };
        let me = PostRef { id: self.uri.clone(), cid: Some(self.cid.clone()) };
        let root = strong(r.pointer("/reply/root")).unwrap_or_else(|| me.clone());
        let in_reply_to = strong(r.pointer("/reply/parent")).map(|p| p.id);
        let is_bot = self.author.labels.iter().any(is_bot_label);
        let created = r.get("createdAt").and_then(Value::as_str).and_then(crate::clock::parse_rfc3339);
        Mention {
            post: me,
            root: Some(root),
            in_reply_to,
            author: self.author.handle.clone(),
            author_id: self.author.did.clone(),
            author_is_bot: is_bot,
            text: r.get("text").and_then(Value::as_str).unwrap_or("").to_string(),
            created_at: created.unwrap_or_else(|| millis(&self.indexed_at) / 1000),
            visibility: None,
            lang: clean_lang(r.pointer("/langs/0").and_then(Value::as_str)),
        }
    }
}

/// One `getTimeline` page.
#[derive(Debug, Deserialize)]
struct FeedPage {
    #[serde(default)]
    feed: Vec<FeedItem>,
    #[serde(default)]
    cursor: Option<String>,
}

/// A feed item: a post, and why it is on the timeline (a repost).
#[derive(Debug, Deserialize)]
struct FeedItem {
    post: PostView,
    #[serde(default)]
    reason: Option<Value>,
}

/// `app.bsky.feed.defs#postView` (only what farm reads).
#[derive(Debug, Deserialize)]
struct PostView {
    uri: String,
    author: Author,
    record: Value,
    #[serde(default, rename = "indexedAt")]
    indexed_at: Option<String>,
    #[serde(default, rename = "likeCount")]
    like_count: u64,
    #[serde(default, rename = "repostCount")]
    repost_count: u64,
}

/// A profile view.
#[derive(Debug, Deserialize)]
struct Author {
    did: String,
}

impl FeedItem {
    /// The cached [`Post`]: keyed by the author's DID; a repost gets its id from the time it
    /// was reposted, so that it is newer than what the reader already has.
    fn to_post(&self) -> Post {
        let p = &self.post;
        let text = p.record.get("text").and_then(Value::as_str).unwrap_or("").to_string();
        let time = |s: Option<&str>| s.and_then(crate::clock::parse_rfc3339).unwrap_or(0);
        let created_at = time(p.record.get("createdAt").and_then(Value::as_str));
        let repost_at = self
            .reason
            .as_ref()
            .filter(|r| r.get("$type").and_then(Value::as_str) == Some("app.bsky.feed.defs#reasonRepost"))
            .map(|r| time(r.get("indexedAt").and_then(Value::as_str)));
        let id = match repost_at {
            Some(at) => tid::decode(&tid::for_intent(at, crate::text::dedup::hash(&p.uri))).unwrap_or(0),
            None => post_id(&p.uri, time(p.indexed_at.as_deref())),
        };
        let lang = p.record.get("langs").and_then(|l| l.get(0)).and_then(Value::as_str);
        // Self-labels that warn about the content are Bluesky's content warning.
        let labels: Vec<&str> = p
            .record
            .pointer("/labels/values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.get("val").and_then(Value::as_str))
            .filter(|v| CONTENT_LABELS.contains(v))
            .collect();
        // A link is in a link facet or a link card: the text shows links shortened.
        let linked = p.record.get("facets").and_then(Value::as_array).into_iter().flatten().any(|f| {
            let features = f.get("features").and_then(Value::as_array).into_iter().flatten();
            features
                .filter_map(|x| x.get("$type").and_then(Value::as_str))
                .any(|t| t == "app.bsky.richtext.facet#link")
        }) || p.record.pointer("/embed/$type").and_then(Value::as_str)
            == Some("app.bsky.embed.external");
        Post {
            id,
            author: p.author.did.clone(),
            has_links: linked || text_has_link(&text),
            warning: (!labels.is_empty()).then(|| labels.join(", ")),
            sensitive: !labels.is_empty(),
            created_at: repost_at.unwrap_or(created_at),
            is_repost: repost_at.is_some(),
            is_reply: p.record.get("reply").is_some(),
            lang: clean_lang(lang),
            categories: record_tags(&p.record),
            text,
            ..Post::default()
        }
    }
}

impl Platform for Bluesky {
    fn verify(&mut self) -> NetResult<Account> {
        let mut rates = Vec::new();
        let value = self.get_session(&mut rates)?;
        Ok(Reply { value, rates })
    }

    fn home_timeline(&mut self, since: Option<&str>, cap: usize) -> NetResult<Timeline> {
        let mut rates = Vec::new();
        let mut posts: Vec<Post> = Vec::new();
        let mut calls = 0;
        let floor: u64 = since.and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut cursor: Option<String> = None;
        if cap == 0 {
            return Ok(Reply { value: Timeline::default(), rates });
        }
        loop {
            let limit = if since.is_none() { cap.min(PAGE) } else { PAGE }.to_string();
            let mut params = vec![("limit", limit.as_str())];
            if let Some(c) = &cursor {
                params.push(("cursor", c));
            }
            let req = self.request(Method::Get, "app.bsky.feed.getTimeline", &params, Call::Timeline);
            let resp = send(&self.http, &req, &mut rates)?;
            calls += 1;
            let page: FeedPage = resp.json()?;
            let before = posts.len();
            let mut reached = false;
            for item in &page.feed {
                let p = item.to_post();
                if p.id <= floor {
                    reached = true;
                } else if !posts.iter().any(|q| q.id == p.id) {
                    posts.push(p);
                }
            }
            // Stop at the posts already cached, the cap, the end, or a server that repeats.
            let next = page.cursor.filter(|c| !c.is_empty() && Some(c) != cursor.as_ref());
            if since.is_none() || reached || posts.len() >= cap || posts.len() == before || next.is_none() {
                break;
            }
            cursor = next;
        }
        posts.sort_by_key(|p| std::cmp::Reverse(p.id));
        posts.truncate(cap);
        posts.reverse();
        let cursor = posts.last().map(|p| p.id.to_string());
        Ok(Reply { value: Timeline { posts, cursor, calls, skipped: 0 }, rates })
    }

    fn post(&mut self, text: &str, key: &str, meta: &PostMeta) -> NetResult<Posted> {
        let mut rates = Vec::new();
        let n = crate::text::length::bluesky_length(text);
        if n > crate::text::length::BLUESKY_MAX {
            return Err(NetError::new(
                NetErrorKind::TooLong,
                format!(
                    "the text is too long for Bluesky ({} graphemes, {} bytes; at most 300 and 3000); not sent",
                    crate::text::length::bluesky_length(text).min(text.chars().count()),
                    text.len()
                ),
            ));
        }
        let rkey = match tid::decode(key) {
            Some(_) => key.to_string(),
            None => tid::for_intent(self.http.now(), crate::text::dedup::hash(key)),
        };
        let did = self.did(&mut rates)?;
        let record = self.record(text, meta, &mut rates);
        let body = json!({"repo": did, "collection": POST, "rkey": rkey, "record": record}).to_string();
        let req = self
            .request(Method::Post, "com.atproto.repo.createRecord", &[], Call::Post)
            .body(Body::Json(body));
        let sent = self.http.send(&req);
        crate::config::crash_point("send-after-request");
        let err = match sent {
            Ok(resp) if resp.is_success() => {
                if let Some(r) = resp.rate {
                    rates.push(r);
                }
                let made = resp.json::<Value>()?;
                let field = |name: &str| made.get(name).and_then(Value::as_str).map(str::to_string);
                return Ok(Reply {
                    value: Posted { id: field("uri"), cid: field("cid"), duplicate: false },
                    rates,
                });
            }
            Ok(resp) => {
                if let Some(r) = resp.rate {
                    rates.push(r);
                }
                classify_bluesky(&resp)
            }
            Err(e) => e,
        };
        // A refusal the server gave is the whole story; anything else may have posted it
        // (the reference PDS answers a second create with an existing key with a 500).
        if err.not_performed() {
            return Err(err);
        }
        match self.get_post(&did, &rkey, &mut rates) {
            Ok(Some((uri, cid, there))) if crate::bot::writer::same_post(text, &there) => {
                Ok(Reply { value: Posted { id: Some(uri), cid, duplicate: true }, rates })
            }
            Ok(Some((uri, _, _))) => Err(NetError::new(
                NetErrorKind::Refused,
                format!("{}: the record key {rkey} holds another post ({uri})", req.what),
            )),
            Ok(None) | Err(_) => Err(err),
        }
    }

    fn own_posts(&mut self, cap: usize) -> NetResult<Vec<OwnPost>> {
        #[derive(Deserialize)]
        struct Listed {
            #[serde(default)]
            records: Vec<ListedRecord>,
        }
        #[derive(Deserialize)]
        struct ListedRecord {
            uri: String,
        }
        #[derive(Deserialize)]
        struct Posts {
            #[serde(default)]
            posts: Vec<PostView>,
        }
        let mut rates = Vec::new();
        let mut out = Vec::new();
        if cap == 0 {
            return Ok(Reply { value: out, rates });
        }
        let did = self.did(&mut rates)?;
        let limit = cap.min(100).to_string();
        let params = [("repo", did.as_str()), ("collection", POST), ("limit", limit.as_str())];
        let req = self.request(Method::Get, "com.atproto.repo.listRecords", &params, Call::OwnPosts);
        let listed: Listed = send(&self.http, &req, &mut rates)?.json()?;
        for chunk in listed.records.chunks(POSTS_BATCH) {
            let params: Vec<(&str, &str)> = chunk.iter().map(|r| ("uris", r.uri.as_str())).collect();
            let req = self.request(Method::Get, "app.bsky.feed.getPosts", &params, Call::OwnPosts);
            let got: Posts = send(&self.http, &req, &mut rates)?.json()?;
            for p in got.posts {
                let created_at = p
                    .record
                    .get("createdAt")
                    .and_then(Value::as_str)
                    .and_then(crate::clock::parse_rfc3339)
                    .unwrap_or(0);
                out.push(OwnPost {
                    id: post_id(&p.uri, created_at),
                    text: p.record.get("text").and_then(Value::as_str).unwrap_or("").to_string(),
                    created_at,
                    likes: p.like_count,
                    reposts: p.repost_count,
                });
            }
        }
        Ok(Reply { value: super::newest_own_posts(out, cap), rates })
    }

    fn delete(&mut self, id: u64) -> NetResult<()> {
        let mut rates = Vec::new();
        let did = self.did(&mut rates)?;
        let body = json!({"repo": did, "collection": POST, "rkey": tid::encode(id)}).to_string();
        let req = self
            .request(Method::Post, "com.atproto.repo.deleteRecord", &[], Call::Delete)
            .body(Body::Json(body))
            .idempotent(true);
        send(&self.http, &req, &mut rates)?;
        Ok(Reply { value: (), rates })
    }

    fn length_rule(&mut self) -> NetResult<LengthRule> {
        Ok(Reply {
            value: LengthRule { max: crate::text::length::BLUESKY_MAX, url_len: 0 },
            rates: Vec::new(),
        })
    }

    fn account_id(&self) -> Option<String> {
        self.did.clone()
    }

    /// A handle is resolved at `--api` (`com.atproto.identity.resolveHandle`, no token), then the
    /// DID's profile is read ([`profile_of`]).
    fn find_account(&mut self, name: &str, directory: &str) -> NetResult<Profile> {
        let mut rates = Vec::new();
        let did = if name.starts_with("did:") {
            name.to_string()
        } else {
            let params = [("handle", name)];
            let resp = public_get(
                &self.http,
                &self.ep.api,
                "com.atproto.identity.resolveHandle",
                &params,
                Call::Verify,
                &mut rates,
            )?;
            if resp.status == 400 {
                // "Unable to resolve handle": no account has it (now).
                let value = Profile {
                    id: name.to_string(),
                    handle: name.to_string(),
                    home: String::new(),
                    note: String::new(),
                    status: SourceStatus::Gone,
                };
                return Ok(Reply { value, rates });
            }
            if !resp.is_success() {
                return Err(classify_bluesky(&resp));
            }
            let v: Value = resp.json()?;
            match v.get("did").and_then(Value::as_str).filter(|d| d.starts_with("did:")) {
                Some(d) => d.to_string(),
                None => return Err(malformed(&resp.what, "the answer has no DID")),
            }
        };
        let value = profile_of(&self.http, &did, directory, &mut rates)?;
        Ok(Reply { value, rates })
    }

    fn account_profile(&mut self, account: AccountRef<'_>, directory: &str) -> NetResult<Profile> {
        let mut rates = Vec::new();
        let value = profile_of(&self.http, account.id, directory, &mut rates)?;
        Ok(Reply { value, rates })
    }

    /// `com.atproto.repo.listRecords` of its posts at its PDS, no token: with a cursor, forward
    /// (`reverse=true`, the record key read last as `cursor`: only newer records, oldest first);
    /// without one, its newest page. Reposts are records of another collection: never read.
    fn account_posts(
        &mut self,
        account: AccountRef<'_>,
        since: Option<&str>,
        cap: usize,
        _reposts: bool,
    ) -> NetResult<AccountPosts> {
        #[derive(Deserialize)]
        struct Listed {
            records: Vec<Rec>,
        }
        #[derive(Deserialize)]
        struct Rec {
            uri: String,
            value: Value,
        }
        let mut rates = Vec::new();
        let mut calls = 0;
        let mut read: Vec<(String, Post)> = Vec::new();
        let limit = if since.is_none() { cap.min(PAGE) } else { PAGE }.to_string();
        let mut cursor = since.map(str::to_string);
        if cap == 0 {
            return Ok(Reply { value: AccountPosts::empty(SourceStatus::Ok), rates });
        }
        loop {
            let mut params = vec![("repo", account.id), ("collection", POST), ("limit", limit.as_str())];
            if let Some(c) = &cursor {
                params.extend([("reverse", "true"), ("cursor", c.as_str())]);
            }
            let resp = public_get(
                &self.http,
                account.home,
                "com.atproto.repo.listRecords",
                &params,
                Call::Timeline,
                &mut rates,
            )?;
            calls += 1;
            if !resp.is_success() {
                return match repo_status(&resp) {
                    Some(status) => Ok(Reply { value: AccountPosts::empty(status), rates }),
                    None => Err(classify_bluesky(&resp)),
                };
            }
            let page: Listed = resp.json()?;
            let full = page.records.len() >= PAGE;
            let mut newest: Option<String> = None;
            for r in page.records {
                let rkey = r.uri.rsplit('/').next().unwrap_or("").to_string();
                // Only what is really newer than the cursor (the server's own promise).
                if cursor.as_ref().is_some_and(|c| rkey.as_str() <= c.as_str()) || !r.value.is_object() {
                    continue;
                }
                newest = newest.max(Some(rkey.clone()));
                read.push((rkey.clone(), record_post(&r.uri, &r.value, account.id)));
            }
            if since.is_none() || !full || read.len() >= cap || newest.is_none() {
                break;
            }
            cursor = newest;
        }
        read.sort_by(|a, b| a.0.cmp(&b.0));
        read.dedup_by(|a, b| a.0 == b.0);
        // From a cursor the oldest `cap` (the next run goes on after them), else the newest.
        let extra = read.len().saturating_sub(cap);
        if since.is_some() {
            read.truncate(cap);
        } else {
            read.drain(..extra);
        }
        let cursor = read.last().map(|(k, _)| k.clone());
        let posts = read.into_iter().map(|(_, p)| p).collect();
        let value = AccountPosts {
            status: SourceStatus::Ok,
            timeline: Timeline { posts, cursor, calls, skipped: 0 },
        };
        Ok(Reply { value, rates })
    }

    fn mentions(&mut self, since: Option<&str>, cap: usize) -> NetResult<Mentions> {
        let mut rates = Vec::new();
        let mut out = Mentions::default();
        if cap == 0 {
            return Ok(Reply { value: out, rates });
        }
        // Notifications page from the newest back; the cursor is the newest one's `indexedAt`
        // (milliseconds). One at the cursor's very millisecond is read again, and the caller
        // knows it: two mentions indexed in the same millisecond are both read.
        let floor: i64 = since.and_then(|s| s.parse().ok()).unwrap_or(i64::MIN);
        let limit = cap.min(PAGE).to_string();
        let mut cursor: Option<String> = None;
        let mut found: Vec<(i64, Mention)> = Vec::new();
        loop {
            let mut params = vec![("limit", limit.as_str())];
            params.extend(MENTION_REASONS.iter().map(|r| ("reasons", *r)));
            if let Some(c) = &cursor {
                params.push(("cursor", c));
            }
            let req =
                self.request(Method::Get, "app.bsky.notification.listNotifications", &params, Call::Mentions);
            let resp = send(&self.http, &req, &mut rates)?;
            out.calls += 1;
            let page: NotificationPage = resp.json()?;
            let before = found.len();
            let mut reached = false;
            for n in &page.notifications {
                let at = millis(&n.indexed_at);
                if at < floor {
                    reached = true;
                } else if MENTION_REASONS.contains(&n.reason.as_str())
                    && !found.iter().any(|(_, m)| m.post.id == n.uri)
                {
                    found.push((at, n.to_mention()));
                }
            }
            let next = page.cursor.filter(|c| !c.is_empty() && Some(c) != cursor.as_ref());
            if found.len() >= cap && !reached && next.is_some() {
                // More new ones than one read takes: the older are left for good.
                out.overflow = true;
            }
            if since.is_none() || reached || found.len() >= cap || found.len() == before || next.is_none() {
                break;
            }
            cursor = next;
        }
        Ok(Reply { value: Mentions::newest(found, cap, out.overflow, out.calls), rates })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_expiry_of_a_reference_token() {
        // An access JWT the reference PDS issued (README transcript): exp 1796553510.
        let t = "eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJIUzI1NiJ9.eyJzY29wZSI6ImNvbS5hdHByb3RvLmFwcFBhc3MiLCJhdWQiOiJkaWQ6d2ViOmxvY2FsaG9zdCIsInN1YiI6ImRpZDpwbGM6d3J4bDZrZ3MyaHh0eW1pMjJ5ZnpodWlnIiwiaWF0IjoxNzk2NTQ2MzEwLCJleHAiOjE3OTY1NTM1MTB9.O9BOjIaBni6-Xq32CFQxqEtNIGonyC-PxGbMKO6WjOY";
        assert_eq!(jwt_expiry(t), Some(1_796_553_510));
        assert_eq!(jwt_expiry("garbage"), None);
        assert_eq!(jwt_expiry("a.!!!.b"), None);
        let made =
            format!("x.{}.y", crate::net::base64::encode_url(br#"{"exp":1767225600,"sub":"did:plc:x"}"#));
        assert_eq!(jwt_expiry(&made), Some(1_767_225_600));
    }

    #[test]
    fn app_passwords() {
        assert!(is_app_password("zbtm-dwkk-gqqv-6hls"));
        for bad in
            ["main-password-1", "ZBTM-DWKK-GQQV-6HLS", "zbtm-dwkk-gqqv", "zbtm-dwkk-gqqv-6hls-aaaa", ""]
        {
            assert!(!is_app_password(bad), "{bad}");
        }
    }

    #[test]
    fn where_dids_resolve_and_what_a_record_is() {
        assert_eq!(
            did_doc_url("did:plc:abc", "https://plc.directory/").unwrap(),
            "https://plc.directory/did:plc:abc"
        );
        assert_eq!(
            did_doc_url("did:web:example.com", "x").unwrap(),
            "https://example.com/.well-known/did.json"
        );
        assert_eq!(
            did_doc_url("did:web:localhost%3A8080", "x").unwrap(),
            "http://localhost:8080/.well-known/did.json"
        );
        assert!(did_doc_url("did:web:a.example/path", "x").is_err());
        assert!(did_doc_url("did:key:z6M", "x").is_err());
        let value = json!({"$type": POST, "text": "hi https://a.example", "createdAt": "2026-01-01T00:00:00Z",
            "langs": ["ru"], "labels": {"values": [{"val": "nudity"}]}, "reply": {}});
        let p = record_post("at://did:plc:abc/app.bsky.feed.post/3n3yfqlr44z2x", &value, "did:plc:abc");
        assert_eq!(
            (p.id, p.author.as_str(), p.created_at),
            (tid::decode("3n3yfqlr44z2x").unwrap(), "did:plc:abc", 1_767_225_600)
        );
        assert!(p.sensitive && p.is_reply && p.has_links && p.lang.as_deref() == Some("ru"));
    }

    #[test]
    fn pds_from_did_document() {
        let doc = json!({"service":[{"id":"#atproto_pds","type":"AtprotoPersonalDataServer","serviceEndpoint":"https://morel.us-east.host.bsky.network/"}]});
        assert_eq!(pds_of(&doc).as_deref(), Some("https://morel.us-east.host.bsky.network"));
        assert_eq!(pds_of(&json!({"service":[]})), None);
        assert_eq!(
            pds_of(&json!({"service":[{"id":"#atproto_pds","serviceEndpoint":"javascript:x"}]})),
            None
        );
    }

    #[test]
    fn notifications_carry_the_thread_and_the_bot_label() {
        let n: Notification = serde_json::from_value(json!({
            "uri": "at://did:plc:b/app.bsky.feed.post/3n3yfqlr44z2x", "cid": "bafyb", "reason": "reply",
            "author": {"did": "did:plc:b", "handle": "b.test", "labels": [{"val": "bot", "src": "did:plc:b"}]},
            "record": {"text": "@w.test hi", "createdAt": "2026-01-01T10:00:00.000Z", "langs": ["de"],
                       "reply": {"root": {"uri": "at://r", "cid": "bafyr"}, "parent": {"uri": "at://p", "cid": "bafyp"}}},
            "indexedAt": "2026-01-01T10:00:01.250Z"}))
        .unwrap();
        let m = n.to_mention();
        assert_eq!(m.root, Some(PostRef { id: "at://r".into(), cid: Some("bafyr".into()) }));
        assert_eq!(
            (m.in_reply_to.as_deref(), m.author.as_str(), m.author_is_bot),
            (Some("at://p"), "b.test", true)
        );
        assert_eq!(
            (m.post.cid.as_deref(), m.lang.as_deref(), m.created_at),
            (Some("bafyb"), Some("de"), 1_767_261_600)
        );
        assert_eq!(millis(&n.indexed_at), 1_767_261_601_250);
        // A post that starts its thread is its own root; no labels, no bot.
        let first: Notification = serde_json::from_value(json!({
            "uri": "at://m", "cid": "bafym", "reason": "mention", "author": {"did": "did:plc:c"},
            "record": {"text": "hey"}, "indexedAt": "garbage"}))
        .unwrap();
        let m = first.to_mention();
        assert_eq!((m.root.unwrap().id.as_str(), m.author_is_bot, m.created_at), ("at://m", false, 0));
    }

    /// A timeline item of alice (`did:plc:abc`) with this record.
    fn item(record: Value) -> FeedItem {
        serde_json::from_value(json!({
            "post": {"uri": "at://did:plc:abc/app.bsky.feed.post/3n3yfqlr44z2x", "cid": "bafy",
                     "author": {"did": "did:plc:abc", "handle": "alice.test"},
                     "record": record, "indexedAt": "2026-12-06T08:30:49.000Z"}}))
        .unwrap()
    }

    #[test]
    fn hashtags_are_categories_from_tag_facets_and_outline_tags() {
        let tag = |t: Value| json!({"index": {"byteStart": 0, "byteEnd": 5}, "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": t}]});
        let record = json!({"$type": POST, "text": "#rust #Rust and #farm", "createdAt": "2026-12-06T08:30:48.248Z",
                            "facets": [tag(json!("rust")), tag(json!("Rust")), tag(json!(5)), tag(json!("farm"))],
                            "tags": ["bots", "rust", 7]});
        assert_eq!(item(record.clone()).to_post().categories, ["rust", "farm", "bots"]);
        assert_eq!(
            record_post("at://did:plc:abc/app.bsky.feed.post/3n3yfqlr44z2x", &record, "did:plc:abc")
                .categories,
            ["rust", "farm", "bots"]
        );
        // A thousand tags from a hostile server: at most 32 kept.
        let many: Vec<Value> = (0..1000).map(|i| json!(format!("t{i}"))).collect();
        let p = item(json!({"$type": POST, "text": "x", "tags": many})).to_post();
        assert_eq!(p.categories.len(), crate::net::MAX_CATEGORIES);
    }

    #[test]
    fn timeline_items_key_authors_by_did() {
        let p = item(
            json!({"$type": POST, "text": "hi https://example.com", "createdAt": "2026-12-06T08:30:48.248Z",
                            "langs": ["en"], "reply": {"root": {}, "parent": {}}}),
        )
        .to_post();
        assert_eq!(p.author, "did:plc:abc");
        assert_eq!(p.id, tid::decode("3n3yfqlr44z2x").unwrap());
        assert!(p.is_reply && p.has_links && !p.is_repost);
        assert_eq!(p.lang.as_deref(), Some("en"));
    }

    #[test]
    fn self_labels_warn_and_shortened_links_are_links() {
        // A labelled post with a link shown shortened (the link is in its facet only).
        let p = item(json!({"$type": POST, "text": "see example.com/a…", "createdAt": "2026-12-06T08:30:48.248Z",
                            "facets": [{"index": {"byteStart": 4, "byteEnd": 20},
                                        "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/abc"}]}],
                            "labels": {"$type": "com.atproto.label.defs#selfLabels",
                                       "values": [{"val": "nudity"}, {"val": "!no-unauthenticated"}]}}))
        .to_post();
        assert!(p.has_links && p.sensitive);
        assert_eq!(p.warning.as_deref(), Some("nudity"));
    }

    #[test]
    fn a_content_warning_maps_to_a_self_label() {
        let meta = |warning: Option<&str>, sensitive: bool, labels: &[&str]| PostMeta {
            warning: warning.map(str::to_string),
            sensitive,
            labels: labels.iter().map(|l| l.to_string()).collect(),
            ..PostMeta::default()
        };
        assert!(self_labels(&meta(None, false, &[])).is_empty());
        assert_eq!(self_labels(&meta(Some("spoilers"), false, &[])), vec!["graphic-media"]);
        assert_eq!(self_labels(&meta(None, true, &[])), vec!["graphic-media"]);
        assert_eq!(self_labels(&meta(Some("Nudity"), true, &[])), vec!["nudity"]);
        // Labels given win; unknown ones and repeats are dropped.
        assert_eq!(self_labels(&meta(Some("spoilers"), true, &["porn", "porn", "bogus"])), vec!["porn"]);
    }
}
