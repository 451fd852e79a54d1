//! The fake X: OAuth 1.0a verification, API v2, API v1.1 and the PIN-based OAuth flow.

use super::handle::{not_found, rate_headers, too_many, x1_error, x2_problem, Ctx, Route};
use super::oauth;
use super::server::Response;
use super::state::{x_page, Created, Family, Net, PostRec, RequestToken, State, XToken};
use super::text::{self, x_escape, XText};
use super::Fault;
use serde_json::{json, Map, Value};
use std::collections::HashSet;

/// Why OAuth verification failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthErr {
    /// Unknown key/token, malformed header or bad signature (code 32).
    Bad,
    /// `oauth_timestamp` more than 300 s from the fake's clock (code 135).
    Timestamp,
}

/// A verified OAuth 1.0a request.
#[derive(Debug, Clone)]
pub(crate) struct Verified {
    /// The app.
    pub consumer_key: String,
    /// The token (may be empty).
    pub token: String,
    /// The protocol parameters from the header.
    pub oauth: Vec<(String, String)>,
}

/// Verify the `Authorization: OAuth` header from what arrived on the wire. `secret_of(token,
/// consumer_key)` gives the token secret (it must accept an empty token where that is allowed).
pub(crate) fn verify(
    ctx: &Ctx<'_>,
    secret_of: impl Fn(&State, &str, &str) -> Option<String>,
) -> Result<Verified, AuthErr> {
    let header = ctx.req.header("authorization").ok_or(AuthErr::Bad)?;
    let oauth_params = oauth::parse_header(header).ok_or(AuthErr::Bad)?;
    let get = |k: &str| oauth_params.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
    let signature = get("oauth_signature").ok_or(AuthErr::Bad)?;
    if get("oauth_signature_method").as_deref() != Some("HMAC-SHA1") {
        return Err(AuthErr::Bad);
    }
    let consumer_key = get("oauth_consumer_key").ok_or(AuthErr::Bad)?;
    let consumer_secret = ctx.st.consumers.get(&consumer_key).ok_or(AuthErr::Bad)?.clone();
    get("oauth_nonce").ok_or(AuthErr::Bad)?;
    let ts: i64 = get("oauth_timestamp").and_then(|t| t.parse().ok()).ok_or(AuthErr::Bad)?;
    let reference = if ctx.st.oauth_wall_clock { chrono::Utc::now().timestamp() } else { ctx.now };
    if (ts - reference).abs() > 300 {
        return Err(AuthErr::Timestamp);
    }
    let token = get("oauth_token").unwrap_or_default();
    let token_secret = secret_of(ctx.st, &token, &consumer_key).ok_or(AuthErr::Bad)?;
    let mut params = ctx.req.query_params();
    params.extend(ctx.req.form_params());
    params.extend(oauth_params.iter().filter(|(k, _)| k != "oauth_signature" && k != "realm").cloned());
    let uri = oauth::base_uri("http", &ctx.host, &ctx.req.path);
    let base = oauth::base_string(&ctx.req.method, &uri, &params);
    let expected = oauth::sign(&base, &consumer_secret, &token_secret);
    match (oauth::base64_decode(&signature), oauth::base64_decode(&expected)) {
        (Some(a), Some(b)) if a == b => Ok(Verified { consumer_key, token, oauth: oauth_params }),
        _ => Err(AuthErr::Bad),
    }
}

/// The user behind a signed API request.
pub(crate) fn user(ctx: &Ctx<'_>) -> Result<String, AuthErr> {
    let v = verify(ctx, |st, token, ck| {
        st.x_tokens.get(token).filter(|t| t.consumer_key == ck).map(|t| t.secret.clone())
    })?;
    Ok(ctx.st.x_tokens.get(&v.token).map(|t| t.username.clone()).unwrap_or_default())
}

fn auth_error(fam: Family, e: AuthErr) -> Response {
    match (e, fam) {
        (AuthErr::Timestamp, _) => x1_error(401, 135, "Timestamp out of bounds."),
        (AuthErr::Bad, Family::XV2) => Response::json(
            401,
            &json!({"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}),
        ),
        (AuthErr::Bad, _) => x1_error(401, 32, "Could not authenticate you."),
    }
}

/// Handle an authenticated X API request (v1.1 or v2).
pub(crate) fn handle_api(ctx: &mut Ctx<'_>, route: &Route) -> (Response, Option<String>) {
    let fam = route.family();
    let user = match user(ctx) {
        Ok(u) => u,
        Err(e) => return (auth_error(fam, e), None),
    };
    let Some(ep) = route.endpoint() else {
        return (not_found(fam), Some(user));
    };
    let hit = ctx.st.rate_hit(&user, ep, fam, ctx.now);
    if hit.exceeded {
        return (rate_headers(too_many(fam), fam, hit), Some(user));
    }
    let resp = match route {
        Route::V2Me => v2_me(ctx, &user),
        Route::V2Timeline(id) => v2_timeline(ctx, &user, id),
        Route::V2UserTweets(id) => v2_user_tweets(ctx, id),
        Route::V2Create => v2_create(ctx, &user),
        Route::V2Delete(id) => v2_delete(ctx, &user, id),
        Route::V1Verify => Response::json(200, &v1_user(ctx.st, &user)),
        Route::V1Home => v1_home(ctx, &user),
        Route::V1Update => v1_update(ctx, &user),
        Route::V1UserTimeline => v1_user_timeline(ctx, &user),
        Route::V1Destroy(id) => v1_destroy(ctx, &user, id),
        _ => not_found(fam),
    };
    (rate_headers(resp, fam, hit), Some(user))
}

// ---------------------------------------------------------------- v2

const V2_TWEET_FIELDS: &[&str] = &[
    "article",
    "attachments",
    "author_id",
    "card_uri",
    "community_id",
    "context_annotations",
    "conversation_id",
    "created_at",
    "display_text_range",
    "edit_controls",
    "edit_history_tweet_ids",
    "entities",
    "geo",
    "id",
    "in_reply_to_user_id",
    "lang",
    "media_metadata",
    "non_public_metrics",
    "note_tweet",
    "organic_metrics",
    "possibly_sensitive",
    "promoted_metrics",
    "public_metrics",
    "referenced_tweets",
    "reply_settings",
    "scopes",
    "source",
    "text",
    "withheld",
];
const V2_EXPANSIONS: &[&str] = &[
    "article.cover_media",
    "article.media_entities",
    "attachments.media_keys",
    "attachments.media_source_tweet",
    "attachments.poll_ids",
    "author_id",
    "edit_history_tweet_ids",
    "entities.mentions.username",
    "geo.place_id",
    "in_reply_to_user_id",
    "entities.note.mentions.username",
    "referenced_tweets.id",
    "referenced_tweets.id.attachments.media_keys",
    "referenced_tweets.id.author_id",
];
const V2_TIMELINE_PARAMS: &[&str] = &[
    "end_time",
    "exclude",
    "expansions",
    "max_results",
    "media.fields",
    "pagination_token",
    "place.fields",
    "poll.fields",
    "since_id",
    "start_time",
    "tweet.fields",
    "until_id",
    "user.fields",
];

fn v2_invalid(param: &str, value: &str, message: String) -> Response {
    Response::json(
        400,
        &json!({"errors":[{"parameters":{param:[value]},"message":message}],
            "title":"Invalid Request","detail":"One or more parameters to your request was invalid.",
            "type":"https://api.twitter.com/2/problems/invalid-request"}),
    )
}

/// Options of a v2 read: which fields and expansions were asked for.
struct V2Opts {
    fields: HashSet<String>,
    expansions: HashSet<String>,
    exclude: HashSet<String>,
}

impl V2Opts {
    fn parse(ctx: &Ctx<'_>, allowed_params: &[&str]) -> Result<V2Opts, Response> {
        let params = ctx.req.query_params();
        for (k, v) in &params {
            if !allowed_params.contains(&k.as_str()) {
                return Err(v2_invalid(
                    k,
                    v,
                    format!("The query parameter [{k}] is not one of [{}]", allowed_params.join(",")),
                ));
            }
        }
        let list = |name: &str, allowed: &[&str]| -> Result<HashSet<String>, Response> {
            let mut out = HashSet::new();
            for (_, v) in params.iter().filter(|(k, _)| k == name) {
                for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    if !allowed.is_empty() && !allowed.contains(&item) {
                        return Err(v2_invalid(
                            name,
                            item,
                            format!(
                                "The `{name}` query parameter value [{item}] is not one of [{}]",
                                allowed.join(",")
                            ),
                        ));
                    }
                    out.insert(item.to_string());
                }
            }
            Ok(out)
        };
        Ok(V2Opts {
            fields: list("tweet.fields", V2_TWEET_FIELDS)?,
            expansions: list("expansions", V2_EXPANSIONS)?,
            exclude: list("exclude", &["replies", "retweets"])?,
        })
    }

    fn has(&self, f: &str) -> bool {
        self.fields.contains(f)
    }
}

fn id_param(ctx: &Ctx<'_>, name: &str) -> Result<Option<u64>, Response> {
    match ctx.query(name) {
        None => Ok(None),
        Some(v) => v.parse::<u64>().map(Some).map_err(|_| {
            v2_invalid(name, &v, format!("The `{name}` query parameter value [{v}] is not a valid Tweet ID"))
        }),
    }
}

fn max_results(ctx: &Ctx<'_>, min: usize, max: usize, default: usize) -> Result<usize, Response> {
    match ctx.query("max_results") {
        None => Ok(default),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(v2_invalid(
                "max_results",
                &v,
                format!("The `max_results` query parameter value [{v}] is not between {min} and {max}"),
            )),
        },
    }
}

const TOKEN_PREFIX: &str = "7140dibdnow9c7btw";

fn encode_token(before: u64) -> String {
    let mut n = before;
    let mut digits = Vec::new();
    loop {
        digits.push(std::char::from_digit((n % 36) as u32, 36).unwrap_or('0'));
        n /= 36;
        if n == 0 {
            break;
        }
    }
    digits.reverse();
    format!("{TOKEN_PREFIX}{}", digits.into_iter().collect::<String>())
}

fn pagination_token(ctx: &Ctx<'_>) -> Result<Option<u64>, Response> {
    let Some(t) = ctx.query("pagination_token") else {
        return Ok(None);
    };
    t.strip_prefix(TOKEN_PREFIX).and_then(|rest| u64::from_str_radix(rest, 36).ok()).map(Some).ok_or_else(
        || {
            v2_invalid(
                "pagination_token",
                &t,
                format!("The `pagination_token` query parameter value [{t}] is not valid"),
            )
        },
    )
}

fn v2_user_obj(st: &State, name: &str) -> Value {
    let id = st.profiles.get(name).copied().unwrap_or(0);
    json!({"id": id.to_string(), "name": name, "username": name})
}

fn v2_me(ctx: &Ctx<'_>, user: &str) -> Response {
    Response::json(200, &json!({"data": v2_user_obj(ctx.st, user)}))
}

/// The text of a post as X shows it, plus (type, id) references.
fn x_text_of(st: &State, p: &PostRec) -> (XText, Vec<(&'static str, u64)>) {
    if let Some(orig_id) = p.repost_of {
        let (author, body) =
            st.posts.get(&orig_id).map(|o| (o.author.clone(), o.text.clone())).unwrap_or_default();
        (text::x_retweet(&author, &text::x_render(&body)), vec![("retweeted", orig_id)])
    } else {
        let refs = p.in_reply_to.map(|r| vec![("replied_to", r)]).unwrap_or_default();
        (text::x_render(&p.text), refs)
    }
}

fn v2_entities(xt: &XText) -> Option<Value> {
    let mut e = Map::new();
    if !xt.urls.is_empty() {
        let urls: Vec<Value> = xt
            .urls
            .iter()
            .map(|u| json!({"start":u.start,"end":u.end,"url":u.tco,"expanded_url":u.expanded,"display_url":u.display}))
            .collect();
        e.insert("urls".into(), Value::Array(urls));
    }
    if !xt.mentions.is_empty() {
        let m: Vec<Value> =
            xt.mentions.iter().map(|(s, en, n)| json!({"start":s,"end":en,"username":n})).collect();
        e.insert("mentions".into(), Value::Array(m));
    }
    if !xt.tags.is_empty() {
        let t: Vec<Value> = xt.tags.iter().map(|(s, en, n)| json!({"start":s,"end":en,"tag":n})).collect();
        e.insert("hashtags".into(), Value::Array(t));
    }
    (!e.is_empty()).then_some(Value::Object(e))
}

fn v2_tweet(st: &State, p: &PostRec, o: &V2Opts) -> Value {
    let (xt, refs) = x_text_of(st, p);
    let id = p.id.to_string();
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("text".into(), json!(x_escape(&xt.text)));
    m.insert("edit_history_tweet_ids".into(), json!([id]));
    let profile = |name: &str| st.profiles.get(name).copied().unwrap_or(0).to_string();
    if o.has("created_at") {
        m.insert("created_at".into(), json!(text::iso_millis(p.created_at)));
    }
    if o.has("author_id") {
        m.insert("author_id".into(), json!(profile(&p.author)));
    }
    if o.has("lang") {
        m.insert("lang".into(), json!(p.lang.clone().unwrap_or_else(|| "und".into())));
    }
    if o.has("conversation_id") {
        m.insert("conversation_id".into(), json!(p.in_reply_to.unwrap_or(p.id).to_string()));
    }
    if o.has("referenced_tweets") && !refs.is_empty() {
        let r: Vec<Value> = refs.iter().map(|(t, i)| json!({"type": t, "id": i.to_string()})).collect();
        m.insert("referenced_tweets".into(), Value::Array(r));
    }
    if o.has("in_reply_to_user_id") {
        if let Some(parent) = p.in_reply_to.and_then(|r| st.posts.get(&r)) {
            m.insert("in_reply_to_user_id".into(), json!(profile(&parent.author)));
        }
    }
    if o.has("entities") {
        if let Some(e) = v2_entities(&xt) {
            m.insert("entities".into(), e);
        }
    }
    if o.has("public_metrics") {
        m.insert(
            "public_metrics".into(),
            json!({"retweet_count":p.reposts,"reply_count":0,"like_count":p.likes,"quote_count":0,
                "bookmark_count":0,"impression_count":0}),
        );
    }
    if o.has("possibly_sensitive") {
        m.insert("possibly_sensitive".into(), json!(false));
    }
    if o.has("source") {
        m.insert("source".into(), json!("botfarm-sim"));
    }
    Value::Object(m)
}

/// Build a v2 list answer with `includes` and `meta`.
fn v2_list(st: &State, page: &[u64], more: bool, o: &V2Opts) -> Value {
    if page.is_empty() {
        return json!({"meta":{"result_count":0}});
    }
    let posts: Vec<&PostRec> = page.iter().filter_map(|id| st.posts.get(id)).collect();
    let data: Vec<Value> = posts.iter().map(|p| v2_tweet(st, p, o)).collect();
    let mut out = Map::new();
    out.insert("data".into(), Value::Array(data));
    let mut users: Vec<String> = Vec::new();
    let add_user = |n: &str, users: &mut Vec<String>| {
        if !users.iter().any(|u| u == n) {
            users.push(n.to_string());
        }
    };
    if o.expansions.contains("author_id") {
        for p in &posts {
            add_user(&p.author, &mut users);
        }
    }
    let mut tweets: Vec<&PostRec> = Vec::new();
    if o.expansions.contains("referenced_tweets.id")
        || o.expansions.contains("referenced_tweets.id.author_id")
    {
        for p in &posts {
            for (_, rid) in x_text_of(st, p).1 {
                if let Some(r) = st.posts.get(&rid) {
                    if !tweets.iter().any(|t| t.id == r.id) {
                        tweets.push(r);
                    }
                }
            }
        }
        if o.expansions.contains("referenced_tweets.id.author_id") {
            for t in &tweets {
                add_user(&t.author, &mut users);
            }
        }
    }
    if o.expansions.contains("in_reply_to_user_id") {
        for p in &posts {
            if let Some(parent) = p.in_reply_to.and_then(|r| st.posts.get(&r)) {
                add_user(&parent.author, &mut users);
            }
        }
    }
    let mut includes = Map::new();
    if !users.is_empty() {
        includes.insert("users".into(), users.iter().map(|u| v2_user_obj(st, u)).collect());
    }
    if o.expansions.contains("referenced_tweets.id") && !tweets.is_empty() {
        includes.insert("tweets".into(), tweets.iter().map(|t| v2_tweet(st, t, o)).collect());
    }
    if !includes.is_empty() {
        out.insert("includes".into(), Value::Object(includes));
    }
    let mut meta = Map::new();
    meta.insert("result_count".into(), json!(page.len()));
    meta.insert("newest_id".into(), json!(page[0].to_string()));
    meta.insert("oldest_id".into(), json!(page[page.len() - 1].to_string()));
    if more {
        meta.insert("next_token".into(), json!(encode_token(page[page.len() - 1])));
    }
    out.insert("meta".into(), Value::Object(meta));
    Value::Object(out)
}

fn v2_timeline(ctx: &Ctx<'_>, user: &str, path_id: &str) -> Response {
    let my_id = ctx.st.profiles.get(user).copied().unwrap_or(0).to_string();
    if path_id != my_id {
        return x2_problem(
            403,
            "Forbidden",
            "You are not permitted to read the home timeline of another user.",
        );
    }
    let page = (|| -> Result<Value, Response> {
        let o = V2Opts::parse(ctx, V2_TIMELINE_PARAMS)?;
        let max = max_results(ctx, 1, 100, 100)?;
        let mut since = id_param(ctx, "since_id")?;
        let mut until = id_param(ctx, "until_id")?;
        if ctx.quirk == Some(Fault::OlderThanSince) && since.is_some() {
            (since, until) = (None, since);
        }
        let before = pagination_token(ctx)?;
        let all = ctx.st.home.get(user).cloned().unwrap_or_default();
        let ids: Vec<u64> = all[all.len().saturating_sub(3200)..]
            .iter()
            .copied()
            .filter(|id| {
                let Some(p) = ctx.st.posts.get(id) else { return false };
                !(o.exclude.contains("retweets") && p.repost_of.is_some()
                    || o.exclude.contains("replies") && p.in_reply_to.is_some())
            })
            .collect();
        let (page, more) = x_page(&ids, since, until, before, max);
        let mut out = v2_list(ctx.st, &page, more, &o);
        if let (Some(Fault::NewestId(newest)), Some(meta)) = (&ctx.quirk, out.get_mut("meta")) {
            meta["newest_id"] = json!(newest);
        }
        Ok(out)
    })();
    match page {
        Ok(v) => Response::json(200, &v),
        Err(r) => r,
    }
}

fn v2_user_tweets(ctx: &Ctx<'_>, path_id: &str) -> Response {
    let name = path_id.parse::<u64>().ok().and_then(|id| ctx.st.name_of(id));
    let Some(name) = name else {
        return Response::json(
            200,
            &json!({"errors":[{"value":path_id,"detail":format!("Could not find user with id: [{path_id}]."),
                "title":"Not Found Error","resource_type":"user","parameter":"id","resource_id":path_id,
                "type":"https://api.twitter.com/2/problems/resource-not-found"}]}),
        );
    };
    let page = (|| -> Result<Value, Response> {
        let o = V2Opts::parse(ctx, V2_TIMELINE_PARAMS)?;
        let max = max_results(ctx, 5, 100, 10)?;
        let since = id_param(ctx, "since_id")?;
        let until = id_param(ctx, "until_id")?;
        let before = pagination_token(ctx)?;
        let ids = ctx.st.own_ids(&name, Some(Net::X));
        let (page, more) = x_page(&ids, since, until, before, max);
        Ok(v2_list(ctx.st, &page, more, &o))
    })();
    match page {
        Ok(v) => Response::json(200, &v),
        Err(r) => r,
    }
}

/// How long X refuses the same text again. X does not document it; it is observed to be about a
/// day, so the fake forgets a text after 24 hours and a client that resends later posts twice.
const DUPLICATE_SECS: i64 = 86_400;

fn is_duplicate(st: &State, user: &str, text: &str) -> bool {
    let now = st.now();
    st.own_ids(user, Some(Net::X)).iter().any(|id| {
        st.posts.get(id).is_some_and(|p| p.text.trim() == text.trim() && now - p.created_at < DUPLICATE_SECS)
    })
}

fn v2_create(ctx: &mut Ctx<'_>, user: &str) -> Response {
    let invalid = |msg: &str| {
        Response::json(
            400,
            &json!({"errors":[{"message":msg}],"title":"Invalid Request",
                "detail":"One or more parameters to your request was invalid.",
                "type":"https://api.twitter.com/2/problems/invalid-request"}),
        )
    };
    let Ok(body) = serde_json::from_slice::<Value>(&ctx.req.body) else {
        return invalid("Request body is not valid JSON (POST /2/tweets takes a JSON object)");
    };
    let Some(obj) = body.as_object() else {
        return invalid("Request body must be a JSON object");
    };
    let text = match obj.get("text") {
        None | Some(Value::Null) => return invalid("$.text: is missing but it is required"),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return invalid("$.text: string found, number expected"),
    };
    if text.trim().is_empty() {
        return invalid("$.text: must not be empty");
    }
    if text::x_weighted_len(&text) > 280 {
        return x2_problem(
            403,
            "Forbidden",
            "Your Tweet text is too long. For more information on how X determines text length see https://github.com/twitter/twitter-text.",
        );
    }
    if is_duplicate(ctx.st, user, &text) {
        return x2_problem(403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.");
    }
    if let Some(message) = ctx.st.take_rejection(&text) {
        return x2_problem(403, "Forbidden", &message);
    }
    let reply = obj
        .get("reply")
        .and_then(|r| r.get("in_reply_to_tweet_id"))
        .and_then(|v| v.as_str().map(str::to_string).or_else(|| v.as_u64().map(|n| n.to_string())))
        .and_then(|s| s.parse::<u64>().ok());
    let key = ctx.req.header("idempotency-key").map(str::to_string);
    let created = Created { net: Net::X, idempotency_key: key, visibility: None, spoiler: String::new() };
    let id = ctx.st.create_post(user, &text, reply, None, created);
    let shown = x_escape(&text::x_render(&text).text);
    Response::json(
        201,
        &json!({"data":{"id":id.to_string(),"text":shown,"edit_history_tweet_ids":[id.to_string()]}}),
    )
}

fn v2_delete(ctx: &mut Ctx<'_>, user: &str, path_id: &str) -> Response {
    let post = path_id.parse::<u64>().ok().and_then(|id| ctx.st.posts.get_mut(&id));
    match post {
        Some(p) if !p.deleted && p.created.as_ref().is_some_and(|c| c.net == Net::X) => {
            if p.author != user {
                return x2_problem(403, "Forbidden", "You are not authorized to delete this Tweet.");
            }
            p.deleted = true;
            Response::json(200, &json!({"data":{"deleted":true}}))
        }
        _ => Response::json(
            404,
            &json!({"title":"Not Found Error","detail":format!("Could not find tweet with id: [{path_id}]."),
                "type":"https://api.twitter.com/2/problems/resource-not-found","status":404}),
        ),
    }
}

// ---------------------------------------------------------------- v1.1

fn flag(v: Option<String>) -> bool {
    v.is_some_and(|v| matches!(v.as_str(), "true" | "1" | "t" | "yes"))
}

fn v1_user(st: &State, name: &str) -> Value {
    let id = st.profiles.get(name).copied().unwrap_or(0);
    let count = st.posts.values().filter(|p| p.author == name && !p.deleted).count();
    json!({"id": id, "id_str": id.to_string(), "name": name, "screen_name": name, "location": "",
        "description": "", "url": null, "protected": false, "followers_count": 0, "friends_count": 0,
        "listed_count": 0, "created_at": text::twitter_date(1_262_304_000), "favourites_count": 0,
        "verified": false, "statuses_count": count, "lang": null, "default_profile": true})
}

fn v1_entities(st: &State, xt: &XText) -> Value {
    let urls: Vec<Value> = xt
        .urls
        .iter()
        .map(|u| json!({"url":u.tco,"expanded_url":u.expanded,"display_url":u.display,"indices":[u.start,u.end]}))
        .collect();
    let mentions: Vec<Value> = xt
        .mentions
        .iter()
        .map(|(s, e, n)| {
            let id = st.profiles.get(n).copied().unwrap_or(0);
            json!({"screen_name":n,"name":n,"id":id,"id_str":id.to_string(),"indices":[s,e]})
        })
        .collect();
    let tags: Vec<Value> = xt.tags.iter().map(|(s, e, t)| json!({"text":t,"indices":[s,e]})).collect();
    json!({"hashtags":tags,"symbols":[],"user_mentions":mentions,"urls":urls})
}

fn v1_tweet(st: &State, p: &PostRec, extended: bool, trim_user: bool) -> Value {
    let mut m = Map::new();
    m.insert("created_at".into(), json!(text::twitter_date(p.created_at)));
    m.insert("id".into(), json!(p.id));
    m.insert("id_str".into(), json!(p.id.to_string()));
    let (mut xt, _) = x_text_of(st, p);
    let mut truncated = false;
    if !extended && p.repost_of.is_none() && xt.len() > 140 {
        let link = format!("https://twitter.com/i/web/status/{}", p.id);
        let mut cut = xt.cut(115);
        cut.text.push_str("… ");
        let start = cut.len();
        let tco = text::tco(&link);
        cut.text.push_str(&tco);
        cut.urls.push(text::XUrl {
            start,
            end: start + 23,
            tco,
            expanded: link,
            display: format!("twitter.com/i/web/status/{}…", &p.id.to_string()[..3]),
        });
        xt = cut;
        truncated = true;
    }
    if extended {
        m.insert("full_text".into(), json!(x_escape(&xt.text)));
        m.insert("display_text_range".into(), json!([0, xt.len()]));
    } else {
        m.insert("text".into(), json!(x_escape(&xt.text)));
    }
    m.insert("truncated".into(), json!(truncated));
    m.insert("entities".into(), v1_entities(st, &xt));
    m.insert(
        "source".into(),
        json!("<a href=\"https://github.com/botfarm\" rel=\"nofollow\">botfarm-sim</a>"),
    );
    let parent = p.in_reply_to.and_then(|r| st.posts.get(&r));
    let parent_author_id = parent.and_then(|pa| st.profiles.get(&pa.author).copied());
    m.insert("in_reply_to_status_id".into(), json!(p.in_reply_to));
    m.insert("in_reply_to_status_id_str".into(), json!(p.in_reply_to.map(|r| r.to_string())));
    m.insert("in_reply_to_user_id".into(), json!(parent_author_id));
    m.insert("in_reply_to_user_id_str".into(), json!(parent_author_id.map(|i| i.to_string())));
    m.insert("in_reply_to_screen_name".into(), json!(parent.map(|pa| pa.author.clone())));
    let user = if trim_user {
        let id = st.profiles.get(&p.author).copied().unwrap_or(0);
        json!({"id": id, "id_str": id.to_string()})
    } else {
        v1_user(st, &p.author)
    };
    m.insert("user".into(), user);
    m.insert("geo".into(), Value::Null);
    m.insert("coordinates".into(), Value::Null);
    m.insert("place".into(), Value::Null);
    m.insert("contributors".into(), Value::Null);
    if let Some(orig) = p.repost_of.and_then(|o| st.posts.get(&o)) {
        m.insert("retweeted_status".into(), v1_tweet(st, orig, extended, trim_user));
    }
    m.insert("is_quote_status".into(), json!(false));
    m.insert("retweet_count".into(), json!(p.reposts));
    m.insert("favorite_count".into(), json!(p.likes));
    m.insert("favorited".into(), json!(false));
    m.insert("retweeted".into(), json!(false));
    m.insert("possibly_sensitive".into(), json!(false));
    m.insert("lang".into(), json!(p.lang.clone().unwrap_or_else(|| "und".into())));
    Value::Object(m)
}

/// All parameters of a v1.1 request: query plus form body.
fn v1_params(ctx: &Ctx<'_>) -> Vec<(String, String)> {
    let mut p = ctx.req.query_params();
    p.extend(ctx.req.form_params());
    p
}

fn param(params: &[(String, String)], name: &str) -> Option<String> {
    params.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

/// Newest-first page over ascending ids: `since` exclusive, `max` inclusive.
fn v1_page(ids: &[u64], since: Option<u64>, max: Option<u64>, count: usize) -> Vec<u64> {
    ids.iter()
        .rev()
        .copied()
        .filter(|id| since.is_none_or(|s| *id > s) && max.is_none_or(|m| *id <= m))
        .take(count)
        .collect()
}

fn v1_list(ctx: &Ctx<'_>, ids: &[u64]) -> Response {
    let params = v1_params(ctx);
    let count = param(&params, "count").and_then(|c| c.parse::<usize>().ok()).unwrap_or(20).clamp(1, 200);
    let mut since: Option<u64> = param(&params, "since_id").and_then(|v| v.parse().ok());
    let mut max: Option<u64> = param(&params, "max_id").and_then(|v| v.parse().ok());
    if let (Some(Fault::OlderThanSince), Some(s)) = (&ctx.quirk, since) {
        (since, max) = (None, Some(s.saturating_sub(1)));
    }
    let extended = param(&params, "tweet_mode").as_deref() == Some("extended");
    let trim = flag(param(&params, "trim_user"));
    let exclude_replies = flag(param(&params, "exclude_replies"));
    let page = v1_page(ids, since, max, count);
    let out: Vec<Value> = page
        .iter()
        .filter_map(|id| ctx.st.posts.get(id))
        .filter(|p| !(exclude_replies && p.in_reply_to.is_some()))
        .map(|p| v1_tweet(ctx.st, p, extended, trim))
        .collect();
    Response::json(200, &Value::Array(out))
}

fn v1_home(ctx: &Ctx<'_>, user: &str) -> Response {
    let all = ctx.st.home.get(user).cloned().unwrap_or_default();
    v1_list(ctx, &all[all.len().saturating_sub(800)..])
}

fn v1_user_timeline(ctx: &Ctx<'_>, user: &str) -> Response {
    let params = v1_params(ctx);
    let target = if let Some(id) = param(&params, "user_id") {
        id.parse::<u64>().ok().and_then(|id| ctx.st.name_of(id))
    } else if let Some(name) = param(&params, "screen_name") {
        ctx.st.profiles.contains_key(&name).then_some(name)
    } else {
        Some(user.to_string())
    };
    let Some(target) = target else {
        return x1_error(404, 34, "Sorry, that page does not exist.");
    };
    let ids = ctx.st.own_ids(&target, Some(Net::X));
    v1_list(ctx, &ids)
}

fn v1_update(ctx: &mut Ctx<'_>, user: &str) -> Response {
    let params = v1_params(ctx);
    let Some(status) = param(&params, "status").filter(|s| !s.trim().is_empty()) else {
        return x1_error(400, 170, "Missing required parameter: status.");
    };
    if text::x_weighted_len(&status) > 280 {
        return x1_error(403, 186, "Tweet needs to be a bit shorter.");
    }
    if is_duplicate(ctx.st, user, &status) {
        return x1_error(403, 187, "Status is a duplicate.");
    }
    let reply = param(&params, "in_reply_to_status_id").and_then(|v| v.parse().ok());
    let key = ctx.req.header("idempotency-key").map(str::to_string);
    let created = Created { net: Net::X, idempotency_key: key, visibility: None, spoiler: String::new() };
    let id = ctx.st.create_post(user, &status, reply, None, created);
    let extended = param(&params, "tweet_mode").as_deref() == Some("extended");
    match ctx.st.posts.get(&id) {
        Some(p) => Response::json(200, &v1_tweet(ctx.st, p, extended, false)),
        None => x1_error(500, 131, "Internal error"),
    }
}

fn v1_destroy(ctx: &mut Ctx<'_>, user: &str, id: &str) -> Response {
    let Some(id) = id.parse::<u64>().ok().filter(|id| {
        ctx.st
            .posts
            .get(id)
            .is_some_and(|p| !p.deleted && p.created.as_ref().is_some_and(|c| c.net == Net::X))
    }) else {
        return x1_error(404, 144, "No status found with that ID.");
    };
    let Some(p) = ctx.st.posts.get_mut(&id) else {
        return x1_error(404, 144, "No status found with that ID.");
    };
    if p.author != user {
        return x1_error(403, 183, "You may not delete another user's status.");
    }
    p.deleted = true;
    let p = p.clone();
    Response::json(200, &v1_tweet(ctx.st, &p, false, false))
}

// ---------------------------------------------------------------- PIN flow

fn form_response(pairs: &[(&str, String)]) -> Response {
    let body: Vec<String> =
        pairs.iter().map(|(k, v)| format!("{}={}", oauth::encode(k), oauth::encode(v))).collect();
    Response::typed(200, "application/x-www-form-urlencoded", body.join("&"))
}

fn html_page(status: u16, title: &str, body: &str) -> Response {
    Response::typed(
        status,
        "text/html; charset=utf-8",
        format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>\n{}\n</body></html>\n",
            text::html_escape(title),
            body
        ),
    )
}

/// Handle the OAuth 1.0a PIN flow endpoints.
pub(crate) fn handle_oauth(ctx: &mut Ctx<'_>, route: &Route) -> Response {
    match route {
        Route::XRequestToken => request_token(ctx),
        Route::XAuthorize => authorize_page(ctx),
        Route::XAccessToken => access_token(ctx),
        _ => not_found(Family::XOAuth),
    }
}

fn request_token(ctx: &mut Ctx<'_>) -> Response {
    let v = match verify(ctx, |_, token, _| token.is_empty().then(String::new)) {
        Ok(v) => v,
        Err(e) => return auth_error(Family::XOAuth, e),
    };
    let callback = v.oauth.iter().find(|(k, _)| k == "oauth_callback").map(|(_, v)| v.clone());
    if callback.is_none() {
        return x1_error(400, 417, "Desktop applications only support the oauth_callback value 'oob'");
    }
    let token = ctx.st.random(27);
    let secret = ctx.st.random(32);
    let pin = ctx.st.digits(7);
    ctx.st.request_tokens.insert(
        token.clone(),
        RequestToken { secret: secret.clone(), consumer_key: v.consumer_key, pin, used: false },
    );
    form_response(&[
        ("oauth_token", token),
        ("oauth_token_secret", secret),
        ("oauth_callback_confirmed", "true".into()),
    ])
}

fn authorize_page(ctx: &Ctx<'_>) -> Response {
    let token = ctx.query("oauth_token").unwrap_or_default();
    match ctx.st.request_tokens.get(&token).filter(|t| !t.used) {
        Some(t) => html_page(
            200,
            "Authorize app",
            &format!(
                "<h1>Authorize app {} to use your account?</h1>\n<p>You've granted access. Next, return to the app and enter this PIN to complete the authorization process.</p>\n<kbd aria-labelledby=\"code-desc\"><code id=\"oauth_pin\">{}</code></kbd>",
                text::html_escape(&t.consumer_key),
                t.pin
            ),
        ),
        None => html_page(
            200,
            "Error",
            "<h1>Whoa there!</h1>\n<p>The request token for this page is invalid. It may have already been used, or expired because it is too old. Please go back to the site or application that sent you here and try again; it was probably just a mistake.</p>",
        ),
    }
}

fn access_token(ctx: &mut Ctx<'_>) -> Response {
    let v = match verify(ctx, |st, token, ck| {
        st.request_tokens.get(token).filter(|t| !t.used && t.consumer_key == ck).map(|t| t.secret.clone())
    }) {
        Ok(v) => v,
        Err(AuthErr::Timestamp) => return x1_error(401, 135, "Timestamp out of bounds."),
        Err(AuthErr::Bad) => {
            return Response::typed(401, "text/plain; charset=utf-8", "Invalid request token.")
        }
    };
    let mut all = v.oauth.clone();
    all.extend(ctx.req.query_params());
    all.extend(ctx.req.form_params());
    let verifier = param(&all, "oauth_verifier").unwrap_or_default();
    let Some(rt) = ctx.st.request_tokens.get_mut(&v.token) else {
        return Response::typed(401, "text/plain; charset=utf-8", "Invalid request token.");
    };
    if rt.pin != verifier {
        return Response::typed(
            401,
            "text/plain; charset=utf-8",
            "Error processing your OAuth request: Invalid oauth_verifier parameter",
        );
    }
    rt.used = true;
    let username = match ctx.st.pending_x_user.take() {
        Some(u) => u,
        None => {
            (1..).map(|n| format!("xuser{n}")).find(|n| !ctx.st.profiles.contains_key(n)).unwrap_or_default()
        }
    };
    let id = ctx.st.profile(&username);
    let token = format!("{id}-{}", ctx.st.random(40));
    let secret = ctx.st.random(45);
    ctx.st.x_tokens.insert(
        token.clone(),
        XToken { username: username.clone(), secret: secret.clone(), consumer_key: v.consumer_key },
    );
    form_response(&[
        ("oauth_token", token),
        ("oauth_token_secret", secret),
        ("user_id", id.to_string()),
        ("screen_name", username),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        let t = encode_token(1_000_000_000_000_000_123);
        assert!(t.starts_with(TOKEN_PREFIX));
        let rest = t.strip_prefix(TOKEN_PREFIX).unwrap();
        assert_eq!(u64::from_str_radix(rest, 36).unwrap(), 1_000_000_000_000_000_123);
    }

    #[test]
    fn v1_paging_is_inclusive_at_max_id() {
        let ids: Vec<u64> = (1..=10).collect();
        assert_eq!(v1_page(&ids, None, Some(5), 3), vec![5, 4, 3]);
        assert_eq!(v1_page(&ids, Some(8), None, 20), vec![10, 9]);
    }
}
