//! The fake Mastodon: bearer auth, timelines with `Link` paging, statuses with
//! `Idempotency-Key`, the instance document and the OAuth app/code/token flow.

use super::handle::{not_found, rate_headers, too_many, Ctx, Route};
use super::oauth;
use super::server::Response;
use super::state::{mastodon_page, AuthCode, Created, Family, Marks, MastodonApp, Net, PostRec, State};
use super::text;
use super::AccountFate;
use serde_json::{json, Map, Value};

const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";
const IDEMPOTENCY_SECS: i64 = 3600;

/// A Mastodon error body `{"error": msg}`.
pub(crate) fn error(status: u16, msg: &str) -> Response {
    Response::json(status, &json!({ "error": msg }))
}

/// The user behind `Authorization: Bearer ..`, if the token is known.
pub(crate) fn bearer_user(ctx: &Ctx<'_>) -> Option<String> {
    let h = ctx.req.header("authorization")?.trim();
    let (scheme, token) = h.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    ctx.st.bearers.get(token.trim()).cloned()
}

/// All parameters: query, form body and JSON body (Rails merges them).
fn params(ctx: &Ctx<'_>) -> Vec<(String, String)> {
    let mut p = ctx.req.query_params();
    p.extend(ctx.req.form_params());
    if ctx.req.is_json() {
        if let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(&ctx.req.body) {
            for (k, v) in m {
                let s = match v {
                    Value::String(s) => s,
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    Value::Array(a) => a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join("\n"),
                    _ => continue,
                };
                p.push((k, s));
            }
        }
    }
    p
}

fn param(p: &[(String, String)], name: &str) -> Option<String> {
    p.iter().rev().find(|(k, _)| k == name || k.strip_suffix("[]") == Some(name)).map(|(_, v)| v.clone())
}

/// Handle a Mastodon request.
pub(crate) fn handle(ctx: &mut Ctx<'_>, route: &Route) -> (Response, Option<String>) {
    match route {
        Route::MInstance => return (instance(ctx), bearer_user(ctx)),
        Route::MApps => return (create_app(ctx), None),
        Route::MAuthorize => return (authorize_page(ctx), None),
        Route::MToken => return (token(ctx), None),
        _ => {}
    }
    // Accounts and their statuses are public: read without a token (Mastodon 2.7+, lookup
    // 3.4+), but a token that is sent must be valid.
    let public = matches!(route, Route::MLookup | Route::MAccount(_) | Route::MAccountStatuses(_));
    let user = bearer_user(ctx);
    if user.is_none() && (!public || ctx.req.header("authorization").is_some()) {
        let r = error(401, "The access token is invalid").with(
            "WWW-Authenticate",
            "Bearer realm=\"Doorkeeper\", error=\"invalid_token\", error_description=\"The access token is invalid\"",
        );
        return (r, None);
    }
    // Without a token, the limit is the caller's address's.
    let caller = user.clone().unwrap_or_else(|| "anonymous".into());
    let Some(ep) = route.endpoint() else {
        return (not_found(Family::Mastodon), user);
    };
    let hit = ctx.st.rate_hit(&caller, ep, Family::Mastodon, ctx.now);
    if hit.exceeded {
        return (rate_headers(too_many(Family::Mastodon), Family::Mastodon, hit), user);
    }
    let resp = match route {
        Route::MVerify => verify_credentials(ctx, &caller),
        Route::MUpdateCredentials => update_credentials(ctx, &caller),
        Route::MNotifications => notifications(ctx, &caller),
        Route::MHome => home(ctx, &caller),
        Route::MPost => post(ctx, &caller),
        Route::MAccountStatuses(id) => account_statuses(ctx, id, user.is_none()),
        Route::MLookup => lookup(ctx, user.is_none()),
        Route::MAccount(id) => account_by_id(ctx, id, user.is_none()),
        Route::MDelete(id) => delete(ctx, &caller, id),
        _ => not_found(Family::Mastodon),
    };
    (rate_headers(resp, Family::Mastodon, hit), user)
}

/// The name behind an account id in a path, if there is such an account (not deleted).
fn account_name(ctx: &Ctx<'_>, id: &str) -> Option<String> {
    let name = id.parse::<u64>().ok().and_then(|i| ctx.st.name_of(i))?;
    let gone = matches!(ctx.st.fate(&name), Some(AccountFate::Deleted | AccountFate::Deactivated));
    (!gone).then_some(name)
}

/// The answer an anonymous read of `name` gets from an instance that hides the account
/// ([`AccountFate::Protected`]: the API requires signing in).
fn hidden(ctx: &Ctx<'_>, name: &str, anonymous: bool) -> Option<Response> {
    (anonymous && ctx.st.fate(name) == Some(AccountFate::Protected))
        .then(|| error(401, "This API requires an authenticated user"))
}

/// `GET /api/v1/accounts/lookup?acct=user` (`user@this-host` too).
fn lookup(ctx: &Ctx<'_>, anonymous: bool) -> Response {
    let acct = param(&params(ctx), "acct").unwrap_or_default();
    let acct = acct.trim_start_matches('@');
    let name = match acct.rsplit_once('@') {
        Some((user, domain)) if domain.eq_ignore_ascii_case(&ctx.host) => user,
        _ => acct,
    };
    let known = ctx.st.profiles.get(name).map(|id| id.to_string());
    match known.and_then(|id| account_name(ctx, &id)) {
        Some(n) => hidden(ctx, &n, anonymous).unwrap_or_else(|| Response::json(200, &account(ctx, &n))),
        None => error(404, "Record not found"),
    }
}

/// `GET /api/v1/accounts/:id`.
fn account_by_id(ctx: &Ctx<'_>, id: &str, anonymous: bool) -> Response {
    match account_name(ctx, id) {
        Some(n) => hidden(ctx, &n, anonymous).unwrap_or_else(|| Response::json(200, &account(ctx, &n))),
        None => error(404, "Record not found"),
    }
}

fn account(ctx: &Ctx<'_>, name: &str) -> Value {
    let id = ctx.st.profiles.get(name).copied().unwrap_or(0);
    let (username, url) = match name.split_once('@') {
        Some((u, d)) => (u.to_string(), format!("https://{d}/@{u}")),
        None => (name.to_string(), format!("http://{}/@{name}", ctx.host)),
    };
    let count = ctx.st.posts.values().filter(|p| p.author == name && !p.deleted).count();
    let note = ctx.st.note(name);
    let note = if note.is_empty() { String::new() } else { text::mastodon_html(&note, &ctx.host) };
    let mut v = json!({"id": id.to_string(), "username": username, "acct": name, "display_name": username,
        "locked": false, "bot": ctx.st.is_bot(name), "discoverable": true, "group": false,
        "created_at": text::iso_millis(1_577_836_800), "note": note, "url": url, "uri": url,
        "avatar": format!("http://{}/avatars/original/missing.png", ctx.host),
        "avatar_static": format!("http://{}/avatars/original/missing.png", ctx.host),
        "header": format!("http://{}/headers/original/missing.png", ctx.host),
        "header_static": format!("http://{}/headers/original/missing.png", ctx.host),
        "followers_count": 0, "following_count": 0, "statuses_count": count,
        "last_status_at": null, "emojis": [], "fields": []});
    match ctx.st.fate(name) {
        Some(AccountFate::Suspended) => v["suspended"] = json!(true),
        Some(AccountFate::Moved(to)) if to != name => v["moved"] = account(ctx, &to),
        _ => {}
    }
    v
}

fn status(ctx: &Ctx<'_>, p: &PostRec) -> Value {
    let mut m = Map::new();
    let acc = account(ctx, &p.author);
    let url = format!("{}/{}", acc["url"].as_str().unwrap_or(""), p.id);
    m.insert("id".into(), json!(p.id.to_string()));
    m.insert("created_at".into(), json!(text::iso_millis(p.created_at)));
    let parent = p.in_reply_to.and_then(|r| ctx.st.posts.get(&r));
    m.insert("in_reply_to_id".into(), json!(p.in_reply_to.map(|r| r.to_string())));
    m.insert(
        "in_reply_to_account_id".into(),
        json!(parent.and_then(|pa| ctx.st.profiles.get(&pa.author)).map(|i| i.to_string())),
    );
    let c = p.created.as_ref();
    // Mastodon marks a post with a content warning sensitive.
    m.insert("sensitive".into(), json!(p.marks.sensitive || !p.marks.warning.is_empty()));
    m.insert("spoiler_text".into(), json!(p.marks.warning));
    m.insert(
        "visibility".into(),
        json!(c.and_then(|c| c.visibility.clone()).unwrap_or_else(|| "public".into())),
    );
    m.insert("language".into(), json!(p.lang));
    m.insert("uri".into(), json!(url.clone()));
    m.insert("url".into(), json!(url));
    m.insert("replies_count".into(), json!(0));
    m.insert("reblogs_count".into(), json!(p.reposts));
    m.insert("favourites_count".into(), json!(p.likes));
    m.insert("edited_at".into(), Value::Null);
    m.insert("favourited".into(), json!(false));
    m.insert("reblogged".into(), json!(false));
    m.insert("muted".into(), json!(false));
    m.insert("bookmarked".into(), json!(false));
    let mut mentions = Vec::new();
    let mut tags = Vec::new();
    for piece in text::pieces(&p.text, false, true) {
        match piece {
            text::Piece::Mention(name, domain) => {
                let acct = match &domain {
                    Some(d) => format!("{name}@{d}"),
                    None => name.clone(),
                };
                let id = ctx.st.profiles.get(&acct).copied().unwrap_or(0);
                let url = match &domain {
                    Some(d) => format!("https://{d}/@{name}"),
                    None => format!("http://{}/@{name}", ctx.host),
                };
                mentions.push(json!({"id": id.to_string(), "username": name, "url": url, "acct": acct}));
            }
            text::Piece::Tag(t) => {
                let lower = t.to_lowercase();
                tags.push(json!({"name": lower, "url": format!("http://{}/tags/{lower}", ctx.host)}));
            }
            _ => {}
        }
    }
    let (content, reblog) = match p.repost_of.and_then(|o| ctx.st.posts.get(&o)) {
        Some(orig) => (String::new(), status(ctx, orig)),
        None => (text::mastodon_html(&p.text, &ctx.host), Value::Null),
    };
    m.insert("content".into(), json!(content));
    m.insert("filtered".into(), json!([]));
    m.insert("reblog".into(), reblog);
    m.insert(
        "application".into(),
        if c.is_some() { json!({"name":"botfarm","website":null}) } else { Value::Null },
    );
    m.insert("account".into(), acc);
    m.insert("media_attachments".into(), json!([]));
    m.insert("mentions".into(), Value::Array(mentions));
    m.insert("tags".into(), Value::Array(tags));
    m.insert("emojis".into(), json!([]));
    m.insert("card".into(), Value::Null);
    m.insert("poll".into(), Value::Null);
    Value::Object(m)
}

fn verify_credentials(ctx: &Ctx<'_>, user: &str) -> Response {
    let mut acc = account(ctx, user);
    acc["source"] = json!({"privacy":"public","sensitive":false,"language":"","note":"","fields":[],
        "follow_requests_count":0});
    Response::json(200, &acc)
}

/// `PATCH /api/v1/accounts/update_credentials`: only `bot` is taken.
fn update_credentials(ctx: &mut Ctx<'_>, user: &str) -> Response {
    match param(&params(ctx), "bot").as_deref() {
        Some("true" | "1") => {
            ctx.st.bots.insert(user.to_string());
        }
        Some("false" | "0") => {
            ctx.st.bots.remove(user);
        }
        _ => {}
    }
    verify_credentials(ctx, user)
}

/// Answer one page of statuses with a `Link` header like Mastodon's.
fn page_response(ctx: &Ctx<'_>, ids: &[u64]) -> Response {
    let p = params(ctx);
    let given_limit = param(&p, "limit").and_then(|l| l.parse::<usize>().ok());
    let limit = given_limit.unwrap_or(20).clamp(1, 40);
    let id = |n: &str| param(&p, n).and_then(|v| v.parse::<u64>().ok());
    let page = mastodon_page(ids, id("max_id"), id("since_id"), id("min_id"), limit);
    let list: Vec<Value> = page.iter().filter_map(|i| ctx.st.posts.get(i)).map(|s| status(ctx, s)).collect();
    let mut resp = Response::json(200, &Value::Array(list));
    if let (Some(newest), Some(oldest)) = (page.first(), page.last()) {
        let base = format!("http://{}{}", ctx.host, ctx.req.path);
        let lim = given_limit.map(|l| format!("limit={l}&")).unwrap_or_default();
        resp = resp.with(
            "Link",
            format!(
                "<{base}?{lim}max_id={oldest}>; rel=\"next\", <{base}?{lim}min_id={newest}>; rel=\"prev\""
            ),
        );
    }
    resp
}

fn home(ctx: &Ctx<'_>, user: &str) -> Response {
    let ids = ctx.st.home.get(user).cloned().unwrap_or_default();
    page_response(ctx, &ids)
}

/// The first notification id; notifications count up from here, in the order of their posts.
const FIRST_NOTIFICATION: u64 = 1_000;

/// `GET /api/v1/notifications`: a notification of type mention for each post that mentions
/// the user or answers one of the user's posts, paged like a timeline (`limit` at most 80).
fn notifications(ctx: &Ctx<'_>, user: &str) -> Response {
    let p = params(ctx);
    let types: Vec<String> =
        p.iter().filter(|(k, _)| k == "types[]" || k == "types").map(|(_, v)| v.clone()).collect();
    if !types.is_empty() && !types.iter().any(|t| t == "mention") {
        return Response::json(200, &json!([]));
    }
    let first = super::state::FIRST_POST_ID;
    let posts = ctx.st.mentions_of(user, user, false);
    let ids: Vec<u64> = posts.iter().map(|id| id - first + FIRST_NOTIFICATION).collect();
    let limit = param(&p, "limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(40).clamp(1, 80);
    let id = |n: &str| param(&p, n).and_then(|v| v.parse::<u64>().ok());
    let page = mastodon_page(&ids, id("max_id"), id("since_id"), id("min_id"), limit);
    let list: Vec<Value> = page
        .iter()
        .filter_map(|nid| ctx.st.posts.get(&(nid - FIRST_NOTIFICATION + first)).map(|s| (nid, s)))
        .map(|(nid, s)| {
            json!({"id": nid.to_string(), "type": "mention", "created_at": text::iso_millis(s.created_at),
                "account": account(ctx, &s.author), "status": status(ctx, s)})
        })
        .collect();
    Response::json(200, &Value::Array(list))
}

/// `GET /api/v1/accounts/:id/statuses`: the account's own and its boosts (`exclude_reblogs`
/// leaves the boosts out); a suspended account has none.
fn account_statuses(ctx: &Ctx<'_>, id: &str, anonymous: bool) -> Response {
    let Some(name) = account_name(ctx, id) else {
        return error(404, "Record not found");
    };
    if let Some(r) = hidden(ctx, &name, anonymous) {
        return r;
    }
    let p = params(ctx);
    let no_reblogs = param(&p, "exclude_reblogs").is_some_and(|v| v == "true" || v == "1");
    let mut ids = ctx.st.authored_ids(&name, Net::Mastodon);
    ids.retain(|i| !(no_reblogs && ctx.st.posts.get(i).is_some_and(|p| p.repost_of.is_some())));
    if ctx.st.fate(&name) == Some(AccountFate::Suspended) {
        ids.clear();
    }
    page_response(ctx, &ids)
}

fn post(ctx: &mut Ctx<'_>, user: &str) -> Response {
    let p = params(ctx);
    let key = ctx.req.header("idempotency-key").map(str::to_string);
    if let Some(k) = &key {
        if let Some((id, at)) = ctx.st.idempotency.get(&(user.to_string(), k.clone())).copied() {
            let live = ctx.st.posts.get(&id).filter(|p| !p.deleted);
            if ctx.now - at < IDEMPOTENCY_SECS {
                if let Some(orig) = live {
                    return Response::json(200, &status(ctx, orig));
                }
            }
        }
    }
    let text_in = param(&p, "status").unwrap_or_default();
    let spoiler = param(&p, "spoiler_text").unwrap_or_default();
    if text_in.trim().is_empty() {
        return error(422, "Validation failed: Text can't be blank");
    }
    if let Some(message) = ctx.st.take_rejection(&text_in) {
        return error(422, &message);
    }
    let max = ctx.st.mastodon_max_chars;
    if text::mastodon_len(&format!("{spoiler}{text_in}")) > max {
        return error(422, &format!("Validation failed: Text character limit of {max} exceeded"));
    }
    let visibility = param(&p, "visibility").filter(|v| !v.is_empty()).unwrap_or_else(|| "public".into());
    if !matches!(visibility.as_str(), "public" | "unlisted" | "private" | "direct") {
        return error(422, "Validation failed: Visibility is not included in the list");
    }
    let reply = param(&p, "in_reply_to_id").and_then(|v| v.parse::<u64>().ok());
    if let Some(r) = reply {
        if ctx.st.posts.get(&r).is_none_or(|p| p.deleted) {
            return error(404, "The post you are trying to reply to does not appear to exist.");
        }
    }
    let lang = param(&p, "language").filter(|l| !l.is_empty());
    // Rails' boolean casting.
    let sensitive = param(&p, "sensitive").is_some_and(|v| matches!(v.as_str(), "true" | "1" | "t" | "on"));
    let created = Created { net: Net::Mastodon, idempotency_key: key.clone(), visibility: Some(visibility) };
    let id = ctx.st.create_post(user, &text_in, reply, lang, created);
    if let Some(rec) = ctx.st.posts.get_mut(&id) {
        rec.marks = Marks { warning: spoiler, sensitive, labels: Vec::new() };
    }
    if let Some(k) = key {
        ctx.st.idempotency.insert((user.to_string(), k), (id, ctx.now));
    }
    match ctx.st.posts.get(&id) {
        Some(s) => Response::json(200, &status(ctx, s)),
        None => error(500, "Internal Server Error"),
    }
}

fn delete(ctx: &mut Ctx<'_>, user: &str, id: &str) -> Response {
    let found = id.parse::<u64>().ok().and_then(|i| ctx.st.posts.get(&i)).filter(|p| !p.deleted).cloned();
    let Some(p) = found else {
        return error(404, "Record not found");
    };
    if p.author != user {
        return error(403, "This action is not allowed");
    }
    if let Some(rec) = ctx.st.posts.get_mut(&p.id) {
        rec.deleted = true;
    }
    let mut v = status(ctx, &p);
    v["text"] = json!(p.text);
    Response::json(200, &v)
}

fn instance(ctx: &Ctx<'_>) -> Response {
    let users = ctx.st.bearers.len();
    Response::json(
        200,
        &json!({"domain": ctx.host, "title": "botfarm sim", "version": "4.3.0",
            "source_url": "https://github.com/mastodon/mastodon", "description": "A fake Mastodon for tests.",
            "usage": {"users": {"active_month": users}},
            "thumbnail": {"url": format!("http://{}/packs/media/images/preview.png", ctx.host)},
            "languages": ["en"],
            "configuration": {
                "urls": {"streaming": format!("ws://{}", ctx.host), "status": null},
                "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
                "statuses": {"max_characters": ctx.st.mastodon_max_chars, "max_media_attachments": 4,
                    "characters_reserved_per_url": 23},
                "media_attachments": {"supported_mime_types": ["image/jpeg", "image/png"],
                    "image_size_limit": 16_777_216, "image_matrix_limit": 33_177_600,
                    "video_size_limit": 103_809_024, "video_frame_rate_limit": 120,
                    "video_matrix_limit": 8_294_400},
                "polls": {"max_options": 4, "max_characters_per_option": 50,
                    "min_expiration": 300, "max_expiration": 2_629_746},
                "translation": {"enabled": false}},
            "registrations": {"enabled": false, "approval_required": false, "message": null},
            "contact": {"email": "", "account": null},
            "rules": []}),
    )
}

fn create_app(ctx: &mut Ctx<'_>) -> Response {
    let p = params(ctx);
    let Some(name) = param(&p, "client_name").filter(|n| !n.trim().is_empty()) else {
        return error(422, "Validation failed: Application name can't be blank");
    };
    let Some(redirect) = param(&p, "redirect_uris").filter(|n| !n.trim().is_empty()) else {
        return error(422, "Validation failed: Redirect URI can't be blank");
    };
    let scopes = param(&p, "scopes").filter(|s| !s.trim().is_empty()).unwrap_or_else(|| "read".into());
    let website = param(&p, "website");
    let client_id = ctx.st.random(43);
    let secret = ctx.st.random(43);
    let id = ctx.st.apps.len() + 1;
    ctx.st.apps.insert(
        client_id.clone(),
        MastodonApp { secret: secret.clone(), redirect_uri: redirect.clone(), scopes: scopes.clone() },
    );
    let vapid = ctx.st.random(87);
    Response::json(
        200,
        &json!({"id": id.to_string(), "name": name, "website": website, "scopes": scopes.split_whitespace().collect::<Vec<_>>(),
            "redirect_uri": redirect, "redirect_uris": redirect.split_whitespace().collect::<Vec<_>>(),
            "client_id": client_id, "client_secret": secret, "client_secret_expires_at": 0,
            "vapid_key": vapid}),
    )
}

/// The outstanding authorization code for an app (created when needed); `None` for an
/// unknown app.
pub(crate) fn code_for(st: &mut State, client_id: &str) -> Option<String> {
    st.apps.get(client_id)?;
    if let Some((code, _)) = st.codes.iter().find(|(_, c)| c.client_id == client_id && !c.used) {
        return Some(code.clone());
    }
    let code = st.random(43);
    st.codes.insert(code.clone(), AuthCode { client_id: client_id.to_string(), used: false });
    Some(code)
}

fn authorize_page(ctx: &mut Ctx<'_>) -> Response {
    let client_id = ctx.query("client_id").unwrap_or_default();
    let Some(code) = code_for(ctx.st, &client_id) else {
        return Response::typed(
            401,
            "text/html; charset=utf-8",
            "<!DOCTYPE html>\n<html><body><h2>An error has occurred</h2><p>Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.</p></body></html>\n",
        );
    };
    let redirect = ctx.st.apps.get(&client_id).map(|a| a.redirect_uri.clone()).unwrap_or_default();
    if redirect != OOB && !redirect.is_empty() {
        let sep = if redirect.contains('?') { '&' } else { '?' };
        return Response::typed(
            302,
            "text/html; charset=utf-8",
            "<html><body>You are being redirected.</body></html>",
        )
        .with("Location", format!("{redirect}{sep}code={}", oauth::encode(&code)));
    }
    Response::typed(
        200,
        "text/html; charset=utf-8",
        format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Authorization code</title></head>\n<body>\n<div class=\"form-container\"><h2>Copy this authorization code and paste it to the application.</h2>\n<input class=\"oauth-code\" readonly=\"readonly\" type=\"text\" value=\"{}\">\n</div>\n</body></html>\n",
            text::html_escape(&code)
        ),
    )
}

fn oauth_error(status: u16, error: &str, description: &str) -> Response {
    Response::json(status, &json!({"error": error, "error_description": description}))
}

fn token(ctx: &mut Ctx<'_>) -> Response {
    let p = params(ctx);
    let client_id = param(&p, "client_id").unwrap_or_default();
    let client_secret = param(&p, "client_secret").unwrap_or_default();
    let Some(app) = ctx.st.apps.get(&client_id).filter(|a| a.secret == client_secret).cloned() else {
        return oauth_error(
            401,
            "invalid_client",
            "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
        );
    };
    let scope = param(&p, "scope").filter(|s| !s.is_empty()).unwrap_or_else(|| app.scopes.clone());
    match param(&p, "grant_type").as_deref() {
        Some("authorization_code") => {}
        Some("client_credentials") => {
            let token = ctx.st.random(43);
            return Response::json(
                200,
                &json!({"access_token": token, "token_type": "Bearer", "scope": scope, "created_at": ctx.now}),
            );
        }
        _ => {
            return oauth_error(
                400,
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.",
            )
        }
    }
    let code = param(&p, "code").unwrap_or_default();
    let redirect_ok = param(&p, "redirect_uri").is_none_or(|r| r == app.redirect_uri);
    let valid = ctx.st.codes.get(&code).is_some_and(|c| !c.used && c.client_id == client_id);
    if !valid || !redirect_ok {
        return oauth_error(
            400,
            "invalid_grant",
            "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.",
        );
    }
    if let Some(c) = ctx.st.codes.get_mut(&code) {
        c.used = true;
    }
    let username = match ctx.st.pending_mastodon_user.take() {
        Some(u) => u,
        None => (1..)
            .map(|n| format!("mastouser{n}"))
            .find(|n| !ctx.st.profiles.contains_key(n))
            .unwrap_or_default(),
    };
    ctx.st.profile(&username);
    let token = ctx.st.random(43);
    ctx.st.bearers.insert(token.clone(), username);
    Response::json(
        200,
        &json!({"access_token": token, "token_type": "Bearer", "scope": scope, "created_at": ctx.now}),
    )
}
