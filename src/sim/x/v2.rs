//! The fake X API v2: `/2/users/me`, the reverse-chronological home timeline, a user's
//! tweets (fields, expansions, `includes`, pagination tokens), creating and deleting tweets,
//! with v2 problem documents for errors.

use super::tweets::{is_duplicate, x_text_of};
use crate::sim::handle::{x2_problem, Ctx};
use crate::sim::server::Response;
use crate::sim::state::{x_page, Created, Net, PostRec, State};
use crate::sim::text::{self, x_escape, XText};
use crate::sim::{AccountFate, Fault};
use serde_json::{json, Map, Value};
use std::collections::HashSet;

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

pub(super) fn v2_me(ctx: &Ctx<'_>, user: &str) -> Response {
    Response::json(200, &json!({"data": v2_user_obj(ctx.st, user)}))
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
    let (full, refs) = x_text_of(st, p);
    // A post longer than 280 characters: `text` is cut, the whole text is its `note_tweet`.
    let long = p.repost_of.is_none() && text::x_weighted_len(&p.text) > 280;
    let xt = if long {
        let mut cut = full.cut(270);
        cut.text.push('…');
        cut
    } else {
        full.clone()
    };
    let id = p.id.to_string();
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("text".into(), json!(x_escape(&xt.text)));
    if long && o.has("note_tweet") {
        let mut note = Map::new();
        note.insert("text".into(), json!(x_escape(&full.text)));
        if let Some(e) = v2_entities(&full) {
            note.insert("entities".into(), e);
        }
        m.insert("note_tweet".into(), Value::Object(note));
    }
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
        m.insert("conversation_id".into(), json!(st.root_of(p.id).to_string()));
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

pub(super) fn v2_timeline(ctx: &Ctx<'_>, user: &str, path_id: &str) -> Response {
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

/// X's answer about a user that cannot be shown (a 200 with `errors` alone), if `name` (the
/// user `value` names) is one: missing or deleted, suspended, or protected (`tweets`: only
/// reading its posts is refused).
fn unshown(ctx: &Ctx<'_>, name: Option<&str>, value: &str, tweets: bool) -> Option<Response> {
    let param = if value.parse::<u64>().is_ok() { "id" } else { "username" };
    let problem = |title: &str, detail: String, kind: &str| {
        Response::json(
            200,
            &json!({"errors":[{"value":value,"detail":detail,"title":title,"resource_type":"user",
                "parameter":param,"resource_id":value,"type":format!("https://api.twitter.com/2/problems/{kind}")}]}),
        )
    };
    match name.map(|n| ctx.st.fate(n)) {
        None | Some(Some(AccountFate::Deleted | AccountFate::Deactivated)) => Some(problem(
            "Not Found Error",
            format!("Could not find user with {param}: [{value}]."),
            "resource-not-found",
        )),
        Some(Some(AccountFate::Suspended)) => {
            Some(problem("Forbidden", format!("User has been suspended: [{value}]."), "resource-not-found"))
        }
        Some(Some(AccountFate::Protected)) if tweets => Some(problem(
            "Authorization Error",
            format!("Sorry, you are not authorized to see the user with {param}: [{value}]."),
            "not-authorized-for-resource",
        )),
        _ => None,
    }
}

/// `GET /2/users/:id` and `GET /2/users/by/username/:username` (`user.fields=description`).
pub(super) fn v2_user(ctx: &Ctx<'_>, name: Option<String>, value: &str) -> Response {
    if let Some(r) = unshown(ctx, name.as_deref(), value, false) {
        return r;
    }
    let name = name.unwrap_or_default();
    let mut user = v2_user_obj(ctx.st, &name);
    let fields = ctx.query("user.fields").unwrap_or_default();
    if fields.split(',').any(|f| f.trim() == "description") {
        user["description"] = json!(ctx.st.note(&name));
    }
    Response::json(200, &json!({ "data": user }))
}

pub(super) fn v2_user_tweets(ctx: &Ctx<'_>, path_id: &str) -> Response {
    v2_list_of(ctx, path_id, 10, |st, name| st.authored_ids(name, Net::X))
}

/// `GET /2/users/:id/mentions`: the posts that name the user or answer one of the user's,
/// newest first (default 10 a page, like X).
pub(super) fn v2_mentions(ctx: &Ctx<'_>, path_id: &str) -> Response {
    v2_list_of(ctx, path_id, 10, |st, name| st.mentions_of(name, name, true))
}

/// A page of one user's list of posts (`ids_of` the user's name), as X pages them.
fn v2_list_of(
    ctx: &Ctx<'_>,
    path_id: &str,
    default: usize,
    ids_of: impl Fn(&State, &str) -> Vec<u64>,
) -> Response {
    let name = path_id.parse::<u64>().ok().and_then(|id| ctx.st.name_of(id));
    if let Some(r) = unshown(ctx, name.as_deref(), path_id, true) {
        return r;
    }
    // A user without a name is unshown (answered above).
    let name = name.unwrap_or_default();
    let page = (|| -> Result<Value, Response> {
        let o = V2Opts::parse(ctx, V2_TIMELINE_PARAMS)?;
        let max = max_results(ctx, 5, 100, default)?;
        let since = id_param(ctx, "since_id")?;
        let until = id_param(ctx, "until_id")?;
        let before = pagination_token(ctx)?;
        let mut ids = ids_of(ctx.st, &name);
        ids.retain(|i| {
            let p = &ctx.st.posts[i];
            !(o.exclude.contains("retweets") && p.repost_of.is_some()
                || o.exclude.contains("replies") && p.in_reply_to.is_some())
        });
        let (page, more) = x_page(&ids, since, until, before, max);
        Ok(v2_list(ctx.st, &page, more, &o))
    })();
    match page {
        Ok(v) => Response::json(200, &v),
        Err(r) => r,
    }
}

pub(super) fn v2_create(ctx: &mut Ctx<'_>, user: &str) -> Response {
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
    let created = Created { net: Net::X, idempotency_key: key, visibility: None };
    let id = ctx.st.create_post(user, &text, reply, None, created);
    let shown = x_escape(&text::x_render(&text).text);
    Response::json(
        201,
        &json!({"data":{"id":id.to_string(),"text":shown,"edit_history_tweet_ids":[id.to_string()]}}),
    )
}

pub(super) fn v2_delete(ctx: &mut Ctx<'_>, user: &str, path_id: &str) -> Response {
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
}
