//! The fake Bluesky: XRPC under `/xrpc/`, as the reference PDS (`@atproto/pds` 0.4.217) answers
//! it, with its AppView's `app.bsky.feed.*` reads in the same place: app-password sessions with
//! expiring JWT-shaped tokens and rotating refresh tokens, `createRecord` (a second create with
//! an existing record key is a **500**, like the real server), `getRecord`, `putRecord` with
//! `swapRecord`, `deleteRecord`, `listRecords`, `getTimeline`, `getPosts`, `resolveHandle`,
//! `RateLimit-*` headers, and the record checks a client meets (300 graphemes, 3,000 bytes,
//! TID record keys, mention DIDs).
//!
//! Status codes follow the real server: a missing token is 401 `AuthMissing`, a refused login
//! 401 `AuthenticationRequired`, but a bad or expired token is **400** `InvalidToken` /
//! `ExpiredToken`; a record that does not validate is 400 `InvalidRequest`.

use super::handle::{rate_headers, too_many, Ctx, Route};
use super::server::Response;
use super::state::{Created, Family, Net, PostRec, State};
use super::text;
use super::AccountFate;
use crate::net::base64::encode_url;
use crate::net::bluesky::tid;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use unicode_segmentation::UnicodeSegmentation;

/// The collection of posts.
const POST: &str = "app.bsky.feed.post";
/// How long a refresh token lives (90 days) and how long a rotated one still answers (2 h).
const REFRESH_SECS: i64 = 90 * 86_400;
const GRACE_SECS: i64 = 2 * 3600;

/// An account on the fake PDS.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    /// Its DID.
    pub did: String,
    /// Its app password.
    pub app_password: String,
    /// `None` while active; else `takendown`, `deactivated`, …
    pub status: Option<String>,
}

/// A refresh token.
#[derive(Debug, Clone)]
struct Refresh {
    handle: String,
    exp: i64,
    revoked: bool,
    /// The pair it was exchanged for, and when (a retry within the grace gets the same pair).
    next: Option<(String, String, i64)>,
}

/// Everything the fake Bluesky keeps.
#[derive(Debug)]
pub(crate) struct Bsky {
    /// handle → account.
    pub accounts: HashMap<String, Account>,
    /// Access token → (handle, expiry).
    access: HashMap<String, (String, i64)>,
    refresh: HashMap<String, Refresh>,
    /// How long an access token lives (2 h, like the reference PDS).
    pub access_secs: i64,
    /// (DID, collection, rkey) → (record, CID).
    records: BTreeMap<(String, String, String), (Value, String)>,
    /// (DID, rkey) → the post's id in the fake.
    post_ids: HashMap<(String, String), u64>,
}

impl Bsky {
    /// Nothing yet.
    pub(crate) fn new() -> Bsky {
        Bsky {
            accounts: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            access_secs: 2 * 3600,
            records: BTreeMap::new(),
            post_ids: HashMap::new(),
        }
    }

    /// Revoke every refresh token of `handle` (like `revokeAppPassword`); issued access tokens
    /// keep working until they expire, as on the real server.
    pub(crate) fn revoke(&mut self, handle: &str) {
        for r in self.refresh.values_mut().filter(|r| r.handle == handle) {
            r.revoked = true;
        }
    }

    /// A post record of `did` by record key.
    pub(crate) fn record(&self, did: &str, rkey: &str) -> Option<Value> {
        self.records.get(&(did.to_string(), POST.to_string(), rkey.to_string())).map(|(v, _)| v.clone())
    }

    /// Make every access token of `handle` expired at `now`.
    pub(crate) fn expire_access(&mut self, handle: &str, now: i64) {
        for (h, exp) in self.access.values_mut() {
            if h == handle {
                *exp = now - 1;
            }
        }
    }
}

/// The DID of a name in the fake: registered accounts keep theirs; any other author gets one
/// made from its profile id.
pub(crate) fn did_of(st: &mut State, name: &str) -> String {
    if let Some(a) = st.bsky.accounts.get(name) {
        return a.did.clone();
    }
    let id = st.profile(name);
    plc(id)
}

/// A `did:plc:` identifier from a number (24 base32 characters).
pub(crate) fn plc(id: u64) -> String {
    const A: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut x = id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let s: String = (0..24)
        .map(|i| {
            if i == 12 {
                x = x.rotate_left(29) ^ id;
            }
            let c = A[(x & 31) as usize] as char;
            x = x.rotate_right(5);
            c
        })
        .collect();
    format!("did:plc:{s}")
}

/// The handle shown for a name: itself when it looks like a domain, else `name.test`.
fn handle_of(name: &str) -> String {
    if name.contains('.') {
        name.to_string()
    } else {
        format!("{}.test", name.replace('@', "."))
    }
}

/// An XRPC error.
pub(crate) fn error(status: u16, name: &str, message: &str) -> Response {
    Response::json(status, &json!({"error": name, "message": message}))
}

/// The XRPC error name the real server uses for a status.
pub(crate) fn name_of(status: u16) -> &'static str {
    match status {
        400 => "InvalidRequest",
        401 => "AuthenticationRequired",
        403 => "Forbidden",
        404 => "NotFound",
        429 => "RateLimitExceeded",
        501 => "MethodNotImplemented",
        502 => "UpstreamFailure",
        503 => "NotEnoughResources",
        504 => "UpstreamTimeout",
        _ => "InternalServerError",
    }
}

/// The account behind the request's access token, or the error the real server gives.
fn authed(ctx: &Ctx<'_>) -> Result<String, Response> {
    let Some(h) = ctx.req.header("authorization") else {
        return Err(error(401, "AuthMissing", "Authentication Required"));
    };
    let Some(token) =
        h.trim().split_once(' ').filter(|(s, _)| s.eq_ignore_ascii_case("bearer")).map(|(_, t)| t.trim())
    else {
        return Err(error(400, "InvalidToken", "Unexpected authorization type"));
    };
    match ctx.st.bsky.access.get(token) {
        Some((_, exp)) if *exp <= ctx.now => Err(error(400, "ExpiredToken", "Token has expired")),
        Some((handle, _)) => Ok(handle.clone()),
        None if ctx.st.bsky.refresh.contains_key(token) => Err(error(400, "InvalidToken", "Bad token scope")),
        None => Err(error(400, "InvalidToken", "Token could not be verified")),
    }
}

/// Who sent a request (for the log), without side effects.
pub(crate) fn bearer_user(ctx: &Ctx<'_>) -> Option<String> {
    authed(ctx).ok()
}

/// The rate-limited endpoint of an XRPC method.
pub(crate) fn endpoint_of(nsid: &str) -> Option<super::Endpoint> {
    use super::Endpoint::*;
    Some(match nsid {
        "com.atproto.server.createSession"
        | "com.atproto.server.refreshSession"
        | "com.atproto.server.getSession" => Verify,
        "app.bsky.feed.getTimeline" => Timeline,
        "com.atproto.repo.createRecord" | "com.atproto.repo.putRecord" | "com.atproto.repo.getRecord" => Post,
        "com.atproto.repo.listRecords" | "app.bsky.feed.getPosts" => OwnPosts,
        "com.atproto.repo.deleteRecord" => Delete,
        "app.bsky.notification.listNotifications" => Mentions,
        _ => return None,
    })
}

/// Handle one XRPC request (and the PLC directory's `GET /did:plc:…`).
pub(crate) fn handle(ctx: &mut Ctx<'_>, route: &Route) -> (Response, Option<String>) {
    if let Route::Plc(did) = route {
        return (plc_document(ctx, did), None);
    }
    let Route::Bsky(nsid) = route else {
        return (error(501, "MethodNotImplemented", "Method Not Implemented"), None);
    };
    let method = ctx.req.method.clone();
    let needs_auth = !matches!(
        nsid.as_str(),
        "com.atproto.server.createSession"
            | "com.atproto.server.refreshSession"
            | "com.atproto.repo.getRecord"
            | "com.atproto.repo.listRecords"
            | "com.atproto.identity.resolveHandle"
    );
    let user = if needs_auth {
        match authed(ctx) {
            Ok(u) => Some(u),
            Err(r) => return (r, None),
        }
    } else {
        bearer_user(ctx)
    };
    // Logins count per identifier, everything else per account (or per caller).
    let who = if nsid == "com.atproto.server.createSession" {
        body(ctx).get("identifier").and_then(Value::as_str).unwrap_or("").to_string()
    } else {
        user.clone().unwrap_or_else(|| "anonymous".into())
    };
    let hit = endpoint_of(nsid).map(|ep| ctx.st.rate_hit(&who, ep, Family::Bluesky, ctx.now));
    if let Some(h) = hit.filter(|h| h.exceeded) {
        return (rate_headers(too_many(Family::Bluesky), Family::Bluesky, h), user);
    }
    let u = user.clone().unwrap_or_default();
    let resp = match (method.as_str(), nsid.as_str()) {
        ("POST", "com.atproto.server.createSession") => create_session(ctx),
        ("POST", "com.atproto.server.refreshSession") => refresh_session(ctx),
        ("GET", "com.atproto.server.getSession") => get_session(ctx, &u),
        ("POST", "com.atproto.repo.createRecord") => create_record(ctx, &u),
        ("POST", "com.atproto.repo.putRecord") => put_record(ctx, &u),
        ("POST", "com.atproto.repo.deleteRecord") => delete_record(ctx, &u),
        ("GET", "com.atproto.repo.getRecord") => get_record(ctx),
        ("GET", "com.atproto.repo.listRecords") => list_records(ctx),
        ("GET", "com.atproto.identity.resolveHandle") => resolve_handle(ctx),
        ("GET", "app.bsky.feed.getTimeline") => timeline(ctx, &u),
        ("GET", "app.bsky.feed.getPosts") => get_posts(ctx),
        ("GET", "app.bsky.notification.listNotifications") => list_notifications(ctx, &u),
        _ => error(501, "MethodNotImplemented", "Method Not Implemented"),
    };
    let resp = match hit {
        Some(h) => rate_headers(resp, Family::Bluesky, h),
        None => resp,
    };
    (resp, user)
}

/// The JSON body (`Null` when there is none or it is not JSON).
fn body(ctx: &Ctx<'_>) -> Value {
    serde_json::from_slice(&ctx.req.body).unwrap_or(Value::Null)
}

/// A JWT-shaped token: what the client reads (`exp`) is real, the signature is not.
fn token(st: &mut State, typ: &str, did: &str, now: i64, exp: i64) -> String {
    let head = encode_url(format!(r#"{{"typ":"{typ}","alg":"HS256"}}"#).as_bytes());
    let jti = st.random(24);
    let claims = json!({"scope": "com.atproto.appPass", "aud": "did:web:localhost", "sub": did,
        "iat": now, "exp": exp, "jti": jti});
    format!("{head}.{}.{}", encode_url(claims.to_string().as_bytes()), st.random(43))
}

/// A new session for `handle`: both tokens, remembered.
fn new_pair(st: &mut State, handle: &str, now: i64) -> (String, String) {
    let did = did_of(st, handle);
    let access_exp = now + st.bsky.access_secs;
    let access = token(st, "at+jwt", &did, now, access_exp);
    let refresh = token(st, "refresh+jwt", &did, now, now + REFRESH_SECS);
    st.bsky.access.insert(access.clone(), (handle.to_string(), access_exp));
    st.bsky.refresh.insert(
        refresh.clone(),
        Refresh { handle: handle.to_string(), exp: now + REFRESH_SECS, revoked: false, next: None },
    );
    (access, refresh)
}

fn session_answer(ctx: &mut Ctx<'_>, handle: &str, access: &str, refresh: &str) -> Response {
    let did = did_of(ctx.st, handle);
    let status = ctx.st.bsky.accounts.get(handle).and_then(|a| a.status.clone());
    let pds = format!("http://{}", ctx.host);
    let mut v = json!({"accessJwt": access, "refreshJwt": refresh, "did": did, "handle": handle,
        "didDoc": {"@context": ["https://www.w3.org/ns/did/v1"], "id": did, "alsoKnownAs": [format!("at://{handle}")],
                   "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": pds}]},
        "email": format!("{handle}@example.com"), "emailConfirmed": false, "active": status.is_none()});
    if let Some(s) = status {
        v["status"] = json!(s);
    }
    Response::json(200, &v)
}

fn create_session(ctx: &mut Ctx<'_>) -> Response {
    let b = body(ctx);
    let (Some(id), Some(pw)) =
        (b.get("identifier").and_then(Value::as_str), b.get("password").and_then(Value::as_str))
    else {
        return error(400, "InvalidRequest", "Input must have the property \"identifier\"");
    };
    let id = id.trim_start_matches('@').to_lowercase();
    let found = ctx
        .st
        .bsky
        .accounts
        .iter()
        .find(|(h, a)| **h == id || a.did == id)
        .map(|(h, a)| (h.clone(), a.clone()));
    let Some((handle, acc)) = found.filter(|(_, a)| a.app_password == pw) else {
        return error(401, "AuthenticationRequired", "Invalid identifier or password");
    };
    if acc.status.as_deref() == Some("takendown") {
        return error(401, "AccountTakedown", "Account has been taken down");
    }
    let (access, refresh) = new_pair(ctx.st, &handle, ctx.now);
    session_answer(ctx, &handle, &access, &refresh)
}

fn refresh_session(ctx: &mut Ctx<'_>) -> Response {
    if !ctx.req.body.is_empty() {
        return error(400, "InvalidRequest", "A request body was provided when none was expected");
    }
    let token = ctx
        .req
        .header("authorization")
        .and_then(|h| h.trim().split_once(' '))
        .map(|(_, t)| t.trim().to_string());
    let Some(token) = token else {
        return error(401, "AuthMissing", "Authentication Required");
    };
    let now = ctx.now;
    let Some(r) = ctx.st.bsky.refresh.get(&token).cloned() else {
        let why = if ctx.st.bsky.access.contains_key(&token) {
            "Invalid token type"
        } else {
            "Token could not be verified"
        };
        return error(400, "InvalidToken", why);
    };
    if r.revoked {
        return error(400, "ExpiredToken", "Token has been revoked");
    }
    if r.exp <= now {
        return error(400, "ExpiredToken", "Token has expired");
    }
    let (access, refresh) = match r.next {
        Some((a, f, at)) if now - at < GRACE_SECS => (a, f),
        Some(_) => return error(400, "ExpiredToken", "Token has been revoked"),
        None => {
            let (a, f) = new_pair(ctx.st, &r.handle, now);
            if let Some(old) = ctx.st.bsky.refresh.get_mut(&token) {
                old.next = Some((a.clone(), f.clone(), now));
            }
            (a, f)
        }
    };
    session_answer(ctx, &r.handle, &access, &refresh)
}

fn get_session(ctx: &mut Ctx<'_>, user: &str) -> Response {
    let did = did_of(ctx.st, user);
    let status = ctx.st.bsky.accounts.get(user).and_then(|a| a.status.clone());
    let mut v = json!({"did": did, "handle": user, "active": status.is_none()});
    if let Some(s) = status {
        v["status"] = json!(s);
    }
    Response::json(200, &v)
}

/// The DID of a `repo` parameter (a DID or a handle), if it is an account here.
fn repo_did(st: &State, repo: &str) -> Option<String> {
    st.bsky.accounts.iter().find(|(h, a)| *h == repo || a.did == repo).map(|(_, a)| a.did.clone())
}

/// Whether `user` may write to `repo`.
fn own_repo(st: &State, user: &str, repo: &str) -> bool {
    st.bsky.accounts.get(user).is_some_and(|a| a.did == repo || user == repo)
}

/// A fresh CID-looking string.
fn cid(st: &mut State) -> String {
    format!("bafyrei{}", st.random(52).to_lowercase())
}

/// Check a post record the way the lexicon does; the error message on failure.
fn invalid_post(record: &Value) -> Option<String> {
    let pre = "Invalid app.bsky.feed.post record";
    let Some(text) = record.get("text").and_then(Value::as_str) else {
        return Some(format!("{pre}: Missing required key \"text\" at $.record"));
    };
    let g = text.graphemes(true).count();
    if g > 300 {
        return Some(format!("{pre}: grapheme too big (maximum 300, got {g}) at $.record.text"));
    }
    if text.len() > 3000 {
        return Some(format!("{pre}: string too big (maximum 3000, got {}) at $.record.text", text.len()));
    }
    match record.get("createdAt").and_then(Value::as_str) {
        None => return Some(format!("{pre}: Missing required key \"createdAt\" at $.record")),
        Some(t) if chrono::DateTime::parse_from_rfc3339(t).is_err() => {
            return Some(format!("{pre}: Invalid datetime (got \"{t}\") at $.record.createdAt"))
        }
        _ => {}
    }
    if record.get("langs").and_then(Value::as_array).is_some_and(|l| l.len() > 3) {
        return Some(format!("{pre}: array too big (maximum 3) at $.record.langs"));
    }
    if let Some(labels) = record.get("labels") {
        let kind = labels.get("$type").and_then(Value::as_str);
        if kind != Some("com.atproto.label.defs#selfLabels") {
            return Some(format!(
                "{pre}: Expected one of com.atproto.label.defs#selfLabels at $.record.labels"
            ));
        }
        let values = labels.get("values").and_then(Value::as_array);
        let Some(values) = values else {
            return Some(format!("{pre}: Missing required key \"values\" at $.record.labels"));
        };
        if values.len() > 10 {
            return Some(format!("{pre}: array too big (maximum 10) at $.record.labels.values"));
        }
        for (i, v) in values.iter().enumerate() {
            if !v.get("val").and_then(Value::as_str).is_some_and(|s| !s.is_empty() && s.len() <= 128) {
                return Some(format!("{pre}: Invalid label value at $.record.labels.values[{i}].val"));
            }
        }
    }
    for (i, f) in record.get("facets").and_then(Value::as_array).into_iter().flatten().enumerate() {
        for (j, feat) in f.get("features").and_then(Value::as_array).into_iter().flatten().enumerate() {
            if let Some(did) = feat.get("did") {
                if !did.as_str().is_some_and(|d| d.starts_with("did:") && d.len() > 8) {
                    return Some(format!("{pre}: Invalid DID at $.record.facets[{i}].features[{j}].did"));
                }
            }
        }
        let start = f.pointer("/index/byteStart").and_then(Value::as_i64).unwrap_or(-1);
        if start < 0 {
            return Some(format!(
                "{pre}: integer too small (minimum 0) at $.record.facets[{i}].index.byteStart"
            ));
        }
    }
    None
}

/// The self-label values of a post record.
fn self_labels(record: &Value) -> Vec<String> {
    let values = record.pointer("/labels/values").and_then(Value::as_array);
    values
        .into_iter()
        .flatten()
        .filter_map(|v| v.get("val").and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

/// A write's body, its target collection and record, and the writer's DID; or the refusal
/// (no record, or someone else's repo).
fn write_of(ctx: &mut Ctx<'_>, user: &str) -> Result<(Value, String, Value, String), Response> {
    let b = body(ctx);
    let repo = b.get("repo").and_then(Value::as_str).unwrap_or("").to_string();
    let collection = b.get("collection").and_then(Value::as_str).unwrap_or("").to_string();
    let Some(record) = b.get("record").filter(|r| r.is_object()).cloned() else {
        return Err(error(400, "InvalidRequest", "Input must have the property \"record\""));
    };
    if !own_repo(ctx.st, user, &repo) {
        return Err(error(401, "AuthenticationRequired", "Authentication Required"));
    }
    let did = did_of(ctx.st, user);
    Ok((b, collection, record, did))
}

fn create_record(ctx: &mut Ctx<'_>, user: &str) -> Response {
    let (b, collection, record, did) = match write_of(ctx, user) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let rkey = match b.get("rkey").and_then(Value::as_str) {
        Some(k) => k.to_string(),
        None => tid::make((ctx.now as u64) * 1_000_000 + ctx.st.next_id() % 1_000_000, 0),
    };
    if collection == POST {
        if tid::decode(&rkey).is_none() {
            return error(
                400,
                "InvalidRequest",
                &format!("Invalid record key for {POST}: Invalid TID string (got \"{rkey}\") at $"),
            );
        }
        if let Some(why) = invalid_post(&record) {
            return error(400, "InvalidRequest", &why);
        }
    }
    let key = (did.clone(), collection.clone(), rkey.clone());
    if ctx.st.bsky.records.contains_key(&key) {
        // The reference PDS: "There is already a value at key", as a 500.
        return error(500, "InternalServerError", "Internal Server Error");
    }
    let parent = match reply_parent(ctx.st, &record) {
        Ok(p) => p,
        Err(why) => {
            return error(400, "InvalidRequest", &format!("Invalid app.bsky.feed.post record: {why}"))
        }
    };
    if collection == POST {
        let text = record.get("text").and_then(Value::as_str).unwrap_or("").to_string();
        if let Some(message) = ctx.st.take_rejection(&text) {
            return error(400, "InvalidRequest", &format!("Invalid app.bsky.feed.post record: {message}"));
        }
        let lang = record.pointer("/langs/0").and_then(Value::as_str).map(str::to_string);
        let created = Created { net: Net::Bluesky, idempotency_key: Some(rkey.clone()), visibility: None };
        let id = ctx.st.create_post(user, &text, parent, lang, created);
        if let Some(rec) = ctx.st.posts.get_mut(&id) {
            rec.marks.labels = self_labels(&record);
        }
        ctx.st.bsky.post_ids.insert((did.clone(), rkey.clone()), id);
    }
    let c = cid(ctx.st);
    ctx.st.bsky.records.insert(key, (record, c.clone()));
    let commit = json!({"cid": cid(ctx.st), "rev": tid::make(ctx.now as u64 * 1_000_000, 1)});
    Response::json(
        200,
        &json!({"uri": format!("at://{did}/{collection}/{rkey}"), "cid": c, "commit": commit, "validationStatus": "valid"}),
    )
}

fn put_record(ctx: &mut Ctx<'_>, user: &str) -> Response {
    let (b, collection, record, did) = match write_of(ctx, user) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let rkey = b.get("rkey").and_then(Value::as_str).unwrap_or("").to_string();
    let key = (did.clone(), collection.clone(), rkey.clone());
    let current = ctx.st.bsky.records.get(&key).cloned();
    let uri = format!("at://{did}/{collection}/{rkey}");
    if let Some(swap) = b.get("swapRecord") {
        match (&current, swap) {
            (Some((v, c)), Value::Null) if *v == record => {
                return Response::json(200, &json!({"uri": uri, "cid": c, "validationStatus": "valid"}))
            }
            (Some((_, c)), Value::Null) => return error(400, "InvalidSwap", &format!("Record was at {c}")),
            (Some((_, c)), Value::String(s)) if s != c => {
                return error(400, "InvalidSwap", &format!("Record was at {c}"))
            }
            (None, Value::String(_)) => return error(400, "InvalidSwap", "Record was at null"),
            _ => {}
        }
    }
    let c = cid(ctx.st);
    ctx.st.bsky.records.insert(key, (record, c.clone()));
    let commit = json!({"cid": cid(ctx.st), "rev": tid::make(ctx.now as u64 * 1_000_000, 2)});
    Response::json(200, &json!({"uri": uri, "cid": c, "commit": commit, "validationStatus": "valid"}))
}

fn delete_record(ctx: &mut Ctx<'_>, user: &str) -> Response {
    let b = body(ctx);
    let repo = b.get("repo").and_then(Value::as_str).unwrap_or("").to_string();
    let collection = b.get("collection").and_then(Value::as_str).unwrap_or("").to_string();
    let rkey = b.get("rkey").and_then(Value::as_str).unwrap_or("").to_string();
    if !own_repo(ctx.st, user, &repo) {
        return error(401, "AuthenticationRequired", "Authentication Required");
    }
    let did = did_of(ctx.st, user);
    if ctx.st.bsky.records.remove(&(did.clone(), collection, rkey.clone())).is_none() {
        return Response::json(200, &json!({}));
    }
    if let Some(id) = ctx.st.bsky.post_ids.remove(&(did, rkey)) {
        if let Some(p) = ctx.st.posts.get_mut(&id) {
            p.deleted = true;
        }
    }
    Response::json(
        200,
        &json!({"commit": {"cid": cid(ctx.st), "rev": tid::make(ctx.now as u64 * 1_000_000, 3)}}),
    )
}

/// The name in the fake behind a DID (a registered account's, or any author's).
fn name_of_did(st: &State, did: &str) -> Option<String> {
    if let Some((h, _)) = st.bsky.accounts.iter().find(|(_, a)| a.did == did) {
        return Some(h.clone());
    }
    st.profiles
        .iter()
        .find(|(n, id)| plc(**id) == did && !st.bsky.accounts.contains_key(*n))
        .map(|(n, _)| n.clone())
}

/// The error the reference PDS gives for a repo whose account befell `fate`, if it cannot be
/// read.
fn repo_refusal(did: &str, fate: Option<AccountFate>) -> Option<Response> {
    match fate? {
        AccountFate::Deleted => Some(error(400, "InvalidRequest", &format!("Could not find repo: {did}"))),
        AccountFate::Suspended => {
            Some(error(400, "RepoTakendown", &format!("Repo has been takendown: {did}")))
        }
        AccountFate::Deactivated => {
            Some(error(400, "RepoDeactivated", &format!("Repo has been deactivated: {did}")))
        }
        AccountFate::Protected | AccountFate::Moved(_) => None,
    }
}

/// The repo a `repo` parameter names (a DID or a handle): its DID and the name behind it, and
/// the refusal when its account cannot be read.
fn repo_of(ctx: &Ctx<'_>, repo: &str) -> (String, Option<String>, Option<Response>) {
    let did = repo_did(ctx.st, repo).unwrap_or_else(|| repo.to_string());
    let name = name_of_did(ctx.st, &did);
    let refusal = repo_refusal(&did, name.as_deref().and_then(|n| ctx.st.fate(n)));
    (did, name, refusal)
}

fn get_record(ctx: &mut Ctx<'_>) -> Response {
    let (repo, collection, rkey) = (
        ctx.query("repo").unwrap_or_default(),
        ctx.query("collection").unwrap_or_default(),
        ctx.query("rkey").unwrap_or_default(),
    );
    let (did, name, refusal) = repo_of(ctx, &repo);
    if let Some(r) = refusal {
        return r;
    }
    let uri = format!("at://{did}/{collection}/{rkey}");
    if let Some((v, c)) = ctx.st.bsky.records.get(&(did.clone(), collection.clone(), rkey.clone())) {
        return Response::json(200, &json!({"uri": uri, "cid": c, "value": v}));
    }
    // An author's profile: its description, when it has one.
    let note = name.map(|n| ctx.st.note(&n)).unwrap_or_default();
    if collection == "app.bsky.actor.profile" && rkey == "self" && !note.is_empty() {
        let value = json!({"$type": "app.bsky.actor.profile", "description": note});
        return Response::json(200, &json!({"uri": uri, "cid": "bafyreiprofile", "value": value}));
    }
    error(400, "RecordNotFound", &format!("Could not locate record: {uri}"))
}

/// `listRecords`: newest first, `cursor` paging back (records below it); with `reverse=true`
/// oldest first, `cursor` paging forward (records above it), as the reference PDS does. The
/// posts an author was given in the fake ([`super::FakeNet::publish`]) are its records too.
fn list_records(ctx: &mut Ctx<'_>) -> Response {
    let repo = ctx.query("repo").unwrap_or_default();
    let collection = ctx.query("collection").unwrap_or_default();
    let limit = ctx.query("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(50).clamp(1, 100);
    let cursor = ctx.query("cursor");
    let reverse = ctx.query("reverse").is_some_and(|r| r == "true");
    let (did, name, refusal) = repo_of(ctx, &repo);
    if let Some(r) = refusal {
        return r;
    }
    let mut all: BTreeMap<String, (Value, String)> = ctx
        .st
        .bsky
        .records
        .iter()
        .filter(|((d, c, _), _)| *d == did && *c == collection)
        .map(|((_, _, k), v)| (k.clone(), v.clone()))
        .collect();
    if collection == POST {
        for id in name.map(|n| ctx.st.authored_ids(&n, Net::Bluesky)).unwrap_or_default() {
            let Some(p) =
                ctx.st.posts.get(&id).filter(|p| p.created.is_none() && p.repost_of.is_none()).cloned()
            else {
                continue;
            };
            let mut value =
                json!({"$type": POST, "text": p.text, "createdAt": text::iso_millis(p.created_at)});
            if let Some(l) = &p.lang {
                value["langs"] = json!([l]);
            }
            all.insert(rkey_of(&p), (value, "bafyreipost".into()));
        }
    }
    let after = |k: &String| cursor.as_ref().is_none_or(|c| if reverse { k > c } else { k < c });
    let picked: Vec<(&String, &(Value, String))> = if reverse {
        all.iter().filter(|(k, _)| after(k)).take(limit).collect()
    } else {
        all.iter().rev().filter(|(k, _)| after(k)).take(limit).collect()
    };
    let list: Vec<Value> = picked
        .iter()
        .map(|(k, (v, cid))| json!({"uri": format!("at://{did}/{collection}/{k}"), "cid": cid, "value": v}))
        .collect();
    let mut out = json!({"records": list});
    if let Some((last, _)) = picked.last() {
        out["cursor"] = json!(last);
    }
    Response::json(200, &out)
}

fn resolve_handle(ctx: &mut Ctx<'_>) -> Response {
    let h = ctx.query("handle").unwrap_or_default();
    if let Some(a) = ctx.st.bsky.accounts.get(&h) {
        return Response::json(200, &json!({"did": a.did}));
    }
    // Any author whose name is a handle (`alice.example`), unless it is gone.
    let gone = matches!(ctx.st.fate(&h), Some(AccountFate::Deleted));
    match ctx.st.profiles.get(&h).copied().filter(|_| h.contains('.') && !gone) {
        Some(id) => Response::json(200, &json!({"did": plc(id)})),
        None => error(400, "InvalidRequest", "Unable to resolve handle"),
    }
}

/// The post a new record answers (`reply.parent`), when it is a reply: both of its strong refs
/// must have a URI and a CID, as the lexicon says; a parent the fake does not know is kept as no
/// post (the real server does not check it either).
fn reply_parent(st: &mut State, record: &Value) -> Result<Option<u64>, String> {
    let Some(reply) = record.get("reply") else { return Ok(None) };
    for part in ["root", "parent"] {
        let uri = reply.pointer(&format!("/{part}/uri")).and_then(Value::as_str).unwrap_or("");
        let cid = reply.pointer(&format!("/{part}/cid")).and_then(Value::as_str).unwrap_or("");
        if !uri.starts_with("at://") || cid.len() < 8 {
            return Err(format!("reply.{part} must be a strong ref (uri and cid) at $.record.reply.{part}"));
        }
    }
    let uri = reply.pointer("/parent/uri").and_then(Value::as_str).unwrap_or("");
    Ok(post_of_uri(st, uri))
}

/// The fake's post behind an `at://` URI.
fn post_of_uri(st: &mut State, uri: &str) -> Option<u64> {
    let mut parts = uri.trim_start_matches("at://").split('/');
    let (did, _, rkey) = (parts.next()?, parts.next()?, parts.next()?);
    if let Some(id) = st.bsky.post_ids.get(&(did.to_string(), rkey.to_string())) {
        return Some(*id);
    }
    let candidates: Vec<PostRec> = st.posts.values().filter(|p| rkey_of(p) == rkey).cloned().collect();
    candidates.into_iter().find(|p| did_of(st, &p.author) == did).map(|p| p.id)
}

/// A strong ref (`{uri, cid}`) of a post: the CID of its record when it was created through
/// the API.
fn strong_ref(st: &mut State, p: &PostRec) -> Value {
    let did = did_of(st, &p.author);
    let rkey = rkey_of(p);
    let cid = st.bsky.records.get(&(did.clone(), POST.to_string(), rkey.clone())).map(|(_, c)| c.clone());
    json!({"uri": format!("at://{did}/{POST}/{rkey}"), "cid": cid.unwrap_or_else(|| "bafyreipost".into())})
}

/// A profile view of `name`: its DID, handle, and the `bot` label when it is marked as one
/// ([`super::FakeNet::set_bot`], or its profile record carries the self-label).
fn author_view(st: &mut State, name: &str) -> Value {
    let did = did_of(st, name);
    let profile = st.bsky.records.get(&(did.clone(), "app.bsky.actor.profile".into(), "self".into()));
    let labelled = profile
        .and_then(|(v, _)| v.pointer("/labels/values").and_then(Value::as_array))
        .is_some_and(|l| l.iter().any(|x| x.get("val").and_then(Value::as_str) == Some("bot")));
    let mut v = json!({"did": did, "handle": handle_of(name), "labels": []});
    if labelled || st.is_bot(name) {
        v["labels"] = json!([{"src": did, "uri": format!("at://{did}/app.bsky.actor.profile/self"), "val": "bot",
            "cts": "2026-01-01T00:00:00.000Z"}]);
    }
    v
}

/// `app.bsky.notification.listNotifications`: newest first, a `mention` for each post naming
/// the account and a `reply` for each answering one of its posts, paged with a cursor;
/// `reasons` filters.
fn list_notifications(ctx: &mut Ctx<'_>, user: &str) -> Response {
    let limit = ctx.query("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(50).clamp(1, 100);
    let before = ctx.query("cursor").and_then(|c| c.parse::<u64>().ok());
    let reasons: Vec<String> =
        ctx.req.query_params().into_iter().filter(|(k, _)| k == "reasons").map(|(_, v)| v).collect();
    let mut ids = Vec::new();
    for id in ctx.st.mentions_of(user, user, false) {
        let answers = ctx.st.posts.get(&id).and_then(|p| p.in_reply_to).and_then(|r| ctx.st.posts.get(&r));
        let reason = if answers.is_some_and(|r| r.author == user) { "reply" } else { "mention" };
        if reasons.is_empty() || reasons.iter().any(|r| r == reason) {
            ids.push((id, reason));
        }
    }
    let plain: Vec<u64> = ids.iter().map(|(id, _)| *id).collect();
    let (page, more) = super::state::x_page(&plain, None, None, before, limit);
    let mut list = Vec::new();
    for id in &page {
        let Some(p) = ctx.st.posts.get(id).cloned() else { continue };
        let reason = ids.iter().find(|(i, _)| i == id).map_or("mention", |(_, r)| *r);
        let view = post_view(ctx.st, &p);
        list.push(json!({"uri": view["uri"], "cid": strong_ref(ctx.st, &p)["cid"],
            "author": author_view(ctx.st, &p.author), "reason": reason, "record": view["record"],
            "isRead": false, "indexedAt": text::iso_millis(p.created_at), "labels": []}));
    }
    let mut out = json!({"notifications": list});
    if let (true, Some(last)) = (more, page.last()) {
        out["cursor"] = json!(last.to_string());
    }
    Response::json(200, &out)
}

/// The PLC directory: the DID document of a DID in the fake (its PDS is the fake itself), or
/// 404 `DID not registered`.
fn plc_document(ctx: &mut Ctx<'_>, did: &str) -> Response {
    let name = name_of_did(ctx.st, did).filter(|n| ctx.st.fate(n) != Some(AccountFate::Deleted));
    let Some(name) = name else {
        return Response::json(404, &json!({"message": format!("DID not registered: {did}")}));
    };
    let pds = format!("http://{}", ctx.host);
    Response::json(
        200,
        &json!({"@context": ["https://www.w3.org/ns/did/v1"], "id": did, "alsoKnownAs": [format!("at://{}", handle_of(&name))],
            "verificationMethod": [],
            "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": pds}]}),
    )
}

/// The record key of a post: the one it was created with, or one made from its time and id.
fn rkey_of(p: &PostRec) -> String {
    match p.created.as_ref().filter(|c| c.net == Net::Bluesky).and_then(|c| c.idempotency_key.clone()) {
        Some(k) => k,
        None => tid::make((p.created_at.max(0) as u64) * 1_000_000 + p.id % 1_000_000, p.id % 1024),
    }
}

/// `app.bsky.feed.defs#postView` of a post.
fn post_view(st: &mut State, p: &PostRec) -> Value {
    let did = did_of(st, &p.author);
    let uri = format!("at://{did}/{POST}/{}", rkey_of(p));
    let mut record = match st.bsky.records.get(&(did.clone(), POST.to_string(), rkey_of(p))) {
        Some((v, _)) => v.clone(),
        None => json!({"$type": POST, "text": p.text, "createdAt": text::iso_millis(p.created_at)}),
    };
    if let Some(l) = &p.lang {
        record["langs"] = json!([l]);
    }
    if !p.marks.labels.is_empty() {
        let values: Vec<Value> = p.marks.labels.iter().map(|v| json!({"val": v})).collect();
        record["labels"] = json!({"$type": "com.atproto.label.defs#selfLabels", "values": values});
    }
    if let Some(parent) = p.in_reply_to.and_then(|r| st.posts.get(&r).cloned()) {
        let root = st.root_of(parent.id);
        let root = st.posts.get(&root).cloned().unwrap_or_else(|| parent.clone());
        record["reply"] = json!({"root": strong_ref(st, &root), "parent": strong_ref(st, &parent)});
    }
    let cid = strong_ref(st, p)["cid"].clone();
    json!({"uri": uri, "cid": cid, "author": author_view(st, &p.author),
        "record": record, "indexedAt": text::iso_millis(p.created_at),
        "likeCount": p.likes, "repostCount": p.reposts, "replyCount": 0})
}

fn timeline(ctx: &mut Ctx<'_>, user: &str) -> Response {
    let limit = ctx.query("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(50).clamp(1, 100);
    let before = ctx.query("cursor").and_then(|c| c.parse::<u64>().ok());
    let ids = ctx.st.home.get(user).cloned().unwrap_or_default();
    let (page, more) = super::state::x_page(&ids, None, None, before, limit);
    let mut feed = Vec::new();
    for id in &page {
        let Some(p) = ctx.st.posts.get(id).cloned() else { continue };
        let item = match p.repost_of.and_then(|o| ctx.st.posts.get(&o).cloned()) {
            Some(orig) => {
                let by = json!({"did": did_of(ctx.st, &p.author), "handle": handle_of(&p.author)});
                json!({"post": post_view(ctx.st, &orig),
                    "reason": {"$type": "app.bsky.feed.defs#reasonRepost", "by": by, "indexedAt": text::iso_millis(p.created_at)}})
            }
            None => json!({"post": post_view(ctx.st, &p)}),
        };
        feed.push(item);
    }
    let mut out = json!({"feed": feed});
    if let (true, Some(last)) = (more, page.last()) {
        out["cursor"] = json!(last.to_string());
    }
    Response::json(200, &out)
}

fn get_posts(ctx: &mut Ctx<'_>) -> Response {
    let uris: Vec<String> =
        ctx.req.query_params().into_iter().filter(|(k, _)| k == "uris").map(|(_, v)| v).collect();
    let mut posts = Vec::new();
    for uri in uris {
        let mut parts = uri.trim_start_matches("at://").split('/');
        let (Some(did), Some(_), Some(rkey)) = (parts.next(), parts.next(), parts.next()) else { continue };
        let Some(id) = ctx.st.bsky.post_ids.get(&(did.to_string(), rkey.to_string())).copied() else {
            continue;
        };
        if let Some(p) = ctx.st.posts.get(&id).cloned().filter(|p| !p.deleted) {
            posts.push(post_view(ctx.st, &p));
        }
    }
    Response::json(200, &json!({"posts": posts}))
}
