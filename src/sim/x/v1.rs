//! The fake X API v1.1: `verify_credentials`, `home_timeline` and `user_timeline` (with
//! `tweet_mode=extended`, `since_id`/`max_id` paging), `statuses/update` and `destroy`, with
//! v1.1 `{"errors":[{code,message}]}` bodies.

use super::tweets::{is_duplicate, x_text_of};
use crate::sim::handle::{x1_error, Ctx};
use crate::sim::server::Response;
use crate::sim::state::{Created, Net, PostRec, State};
use crate::sim::text::{self, x_escape, XText};
use crate::sim::Fault;
use serde_json::{json, Map, Value};

fn flag(v: Option<String>) -> bool {
    v.is_some_and(|v| matches!(v.as_str(), "true" | "1" | "t" | "yes"))
}

pub(super) fn v1_user(st: &State, name: &str) -> Value {
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

pub(super) fn param(params: &[(String, String)], name: &str) -> Option<String> {
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

pub(super) fn v1_home(ctx: &Ctx<'_>, user: &str) -> Response {
    let all = ctx.st.home.get(user).cloned().unwrap_or_default();
    v1_list(ctx, &all[all.len().saturating_sub(800)..])
}

pub(super) fn v1_user_timeline(ctx: &Ctx<'_>, user: &str) -> Response {
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

/// `GET /1.1/statuses/mentions_timeline.json`: the posts that name the user or answer one of
/// the user's (the newest 800).
pub(super) fn v1_mentions(ctx: &Ctx<'_>, user: &str) -> Response {
    let all = ctx.st.mentions_of(user, user, true);
    v1_list(ctx, &all[all.len().saturating_sub(800)..])
}

pub(super) fn v1_update(ctx: &mut Ctx<'_>, user: &str) -> Response {
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
    let created = Created { net: Net::X, idempotency_key: key, visibility: None };
    let id = ctx.st.create_post(user, &status, reply, None, created);
    let extended = param(&params, "tweet_mode").as_deref() == Some("extended");
    match ctx.st.posts.get(&id) {
        Some(p) => Response::json(200, &v1_tweet(ctx.st, p, extended, false)),
        None => x1_error(500, 131, "Internal error"),
    }
}

pub(super) fn v1_destroy(ctx: &mut Ctx<'_>, user: &str, id: &str) -> Response {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_paging_is_inclusive_at_max_id() {
        let ids: Vec<u64> = (1..=10).collect();
        assert_eq!(v1_page(&ids, None, Some(5), 3), vec![5, 4, 3]);
        assert_eq!(v1_page(&ids, Some(8), None, 20), vec![10, 9]);
    }
}
