//! The legacy X API v1.1 client (`--platform x-v1`), OAuth 1.0a user context.
//!
//! Always asks for `tweet_mode=extended` so texts are `full_text`, never the 140-character
//! truncation; a retweet's text is `retweeted_status.full_text`.

use super::html::decode_entities;
use super::http::{malformed, Http};
use super::oauth::Signer;
use super::x::{
    clean_lang, finish_timeline, parse_id, send, send_ok, text_has_link, Answer, Entities, X_LENGTH,
};
use super::*;
use serde::Deserialize;
use std::time::Duration;

/// The most tweets one v1.1 timeline request may return.
const MAX_COUNT: usize = 200;

/// Client for X API v1.1.
pub struct XV1 {
    ep: Endpoint,
    http: Http,
    user_id: Option<String>,
}

impl XV1 {
    /// Make a client for a run at `now` (Unix seconds, from [`crate::clock::now`]): rate-limit
    /// resets are judged at that time. No network traffic until the first call.
    pub fn new(ep: Endpoint, now: i64) -> Self {
        let user_id = ep.account_id.clone().filter(|s| !s.is_empty());
        XV1 { ep, http: Http::new(now), user_id }
    }

    /// Use `timeout` as the whole-request budget instead of `FARM_HTTP_TIMEOUT` / 30 s.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.http = Http::with_timeout(self.http.now(), timeout);
        self
    }

    fn signer(&self) -> Signer<'_> {
        Signer::user(&self.ep.creds)
    }

    /// Walk a v1.1 timeline backwards with `max_id` from the newest page: one page when
    /// `walk` is false, else until a page shorter than `count` (the server has no more: one
    /// request per tick in the usual case), a page that reaches back to `since`, or `cap`
    /// tweets.
    fn walk(
        &self,
        path: &str,
        call: Call,
        since: Option<&str>,
        cap: usize,
        walk: bool,
        rates: &mut Vec<RateInfo>,
    ) -> Result<(Vec<V1Tweet>, u32, String), NetError> {
        let url = self.ep.url(path);
        let count_n = cap.clamp(1, MAX_COUNT);
        let count = count_n.to_string();
        let floor: Option<u64> = since.and_then(|s| s.parse().ok());
        let mut max_id: Option<String> = None;
        let mut tweets: Vec<V1Tweet> = Vec::new();
        let mut calls = 0;
        let what = format!("GET {path}");
        loop {
            let mut params = vec![("count", count.as_str()), ("tweet_mode", "extended")];
            if let Some(s) = since {
                params.push(("since_id", s));
            }
            if let Some(m) = &max_id {
                params.push(("max_id", m));
            }
            let req = self.signer().get(&url, &params, call);
            let resp = send_ok(&self.http, &req, rates)?;
            calls += 1;
            let page: Vec<V1Tweet> = resp.json()?;
            let mut oldest = u64::MAX;
            for t in &page {
                oldest = oldest.min(t.id(&what)?);
            }
            let short = page.len() < count_n;
            tweets.extend(page);
            let reached_since = floor.is_some_and(|f| oldest <= f);
            if !walk || short || reached_since || tweets.len() >= cap || oldest <= 1 {
                break;
            }
            let next = (oldest - 1).to_string();
            if max_id.as_deref() == Some(next.as_str()) {
                break;
            }
            max_id = Some(next);
        }
        Ok((tweets, calls, what))
    }
}

impl Platform for XV1 {
    fn verify(&mut self) -> NetResult<Account> {
        let mut rates = Vec::new();
        let params = [("skip_status", "true"), ("include_entities", "false")];
        let req =
            self.signer().get(&self.ep.url("/1.1/account/verify_credentials.json"), &params, Call::Verify);
        let resp = send_ok(&self.http, &req, &mut rates)?;
        let user: V1Account = resp.json()?;
        let id = match (user.id_str, user.id) {
            (Some(s), _) => s,
            (None, Some(n)) => n.to_string(),
            (None, None) => return Err(malformed(&resp.what, "the answer has no `id_str`")),
        };
        parse_id(&id, &resp.what)?;
        self.user_id = Some(id.clone());
        Ok(Reply { value: Account { id, username: user.screen_name, bot: None }, rates })
    }

    fn home_timeline(&mut self, since: Option<&str>, cap: usize) -> NetResult<Timeline> {
        let mut rates = Vec::new();
        if cap == 0 {
            return Ok(Reply { value: Timeline::default(), rates });
        }
        let path = "/1.1/statuses/home_timeline.json";
        let (tweets, calls, what) =
            self.walk(path, Call::Timeline, since, cap, since.is_some(), &mut rates)?;
        let mut posts = Vec::with_capacity(tweets.len());
        for t in &tweets {
            posts.push(t.to_post(&what)?);
        }
        // The cursor only moves forward: a tweet at or below `since_id` (a buggy or hostile
        // server) is neither cached again nor allowed to pull the cursor back.
        if let Some(floor) = since.and_then(|s| s.parse::<u64>().ok()) {
            posts.retain(|p| p.id > floor);
        }
        let cursor = posts.iter().map(|p| p.id).max().map(|id| id.to_string());
        Ok(Reply { value: finish_timeline(posts, cap, cursor, calls), rates })
    }

    fn post(&mut self, text: &str, _key: &str, meta: &PostMeta) -> NetResult<Posted> {
        let mut rates = Vec::new();
        let mut fields = vec![("status", text)];
        if let Some(r) = &meta.reply_to {
            // X puts the parent's author (and the thread's) in front of the reply itself.
            fields.push(("in_reply_to_status_id", r.parent.id.as_str()));
            fields.push(("auto_populate_reply_metadata", "true"));
        }
        let req = self.signer().post_form(&self.ep.url("/1.1/statuses/update.json"), &fields, Call::Post);
        let value = match send(&self.http, &req, &mut rates)? {
            Answer::Duplicate => Posted { id: None, cid: None, duplicate: true },
            Answer::Ok(resp) => {
                let t: V1Tweet = resp.json()?;
                Posted { id: Some(t.id(&resp.what)?.to_string()), cid: None, duplicate: false }
            }
        };
        Ok(Reply { value, rates })
    }

    fn own_posts(&mut self, cap: usize) -> NetResult<Vec<OwnPost>> {
        let mut rates = Vec::new();
        if cap == 0 {
            return Ok(Reply { value: Vec::new(), rates });
        }
        let path = "/1.1/statuses/user_timeline.json";
        let (tweets, _, what) = self.walk(path, Call::OwnPosts, None, cap, true, &mut rates)?;
        let mut out = Vec::with_capacity(tweets.len());
        for t in &tweets {
            out.push(OwnPost {
                id: t.id(&what)?,
                text: decode_entities(t.text(&what)?),
                created_at: t.created_at.as_deref().and_then(parse_v1_time).unwrap_or(0),
                likes: t.favorite_count,
                reposts: t.retweet_count,
            });
        }
        Ok(Reply { value: super::newest_own_posts(out, cap), rates })
    }

    fn delete(&mut self, id: u64) -> NetResult<()> {
        let mut rates = Vec::new();
        let url = self.ep.url(&format!("/1.1/statuses/destroy/{id}.json"));
        // Deleting twice does no harm, so a lost answer needs no special care.
        let req = self.signer().post_form(&url, &[], Call::Delete).idempotent(true);
        let resp = send_ok(&self.http, &req, &mut rates)?;
        let t: V1Tweet = resp.json()?;
        t.id(&resp.what)?;
        Ok(Reply { value: (), rates })
    }

    fn length_rule(&mut self) -> NetResult<LengthRule> {
        Ok(Reply { value: X_LENGTH, rates: Vec::new() })
    }

    fn account_id(&self) -> Option<String> {
        self.user_id.clone()
    }

    fn mentions(&mut self, since: Option<&str>, cap: usize) -> NetResult<Mentions> {
        let mut rates = Vec::new();
        if cap == 0 {
            return Ok(Reply { value: Mentions::default(), rates });
        }
        let path = "/1.1/statuses/mentions_timeline.json";
        let (tweets, calls, what) =
            self.walk(path, Call::Mentions, since, cap, since.is_some(), &mut rates)?;
        let floor: u64 = since.and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut found: Vec<(u64, Mention)> = Vec::new();
        for t in &tweets {
            let id = t.id(&what)?;
            if id > floor && !found.iter().any(|(f, _)| *f == id) {
                found.push((id, t.to_mention(&what)?));
            }
        }
        // The walk goes from the newest back and stops at the cap: older mentions may be left.
        let overflow = found.len() >= cap;
        Ok(Reply { value: Mentions::newest(found, cap, overflow, calls), rates })
    }
}

/// Parse v1.1's `created_at`: `Wed Oct 10 20:19:24 +0000 2018` → Unix seconds.
pub fn parse_v1_time(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_str(s.trim(), "%a %b %d %H:%M:%S %z %Y").ok().map(|t| t.timestamp())
}

/// `account/verify_credentials.json`.
#[derive(Debug, Deserialize)]
struct V1Account {
    #[serde(default)]
    id: Option<u64>,
    #[serde(default)]
    id_str: Option<String>,
    screen_name: String,
}

/// A v1.1 tweet (extended mode).
#[derive(Debug, Deserialize)]
struct V1Tweet {
    #[serde(default)]
    id: Option<u64>,
    #[serde(default)]
    id_str: Option<String>,
    #[serde(default)]
    full_text: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    user: Option<V1User>,
    #[serde(default)]
    retweeted_status: Option<Box<V1Tweet>>,
    #[serde(default)]
    in_reply_to_status_id_str: Option<String>,
    #[serde(default)]
    in_reply_to_status_id: Option<u64>,
    #[serde(default)]
    entities: Option<Entities>,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    favorite_count: u64,
    #[serde(default)]
    retweet_count: u64,
}

/// The author of a v1.1 tweet.
#[derive(Debug, Deserialize)]
struct V1User {
    screen_name: String,
    #[serde(default)]
    id_str: Option<String>,
}

impl V1Tweet {
    /// The numeric id (`id_str`, else `id`).
    fn id(&self, what: &str) -> Result<u64, NetError> {
        match (&self.id_str, self.id) {
            (Some(s), _) => parse_id(s, what),
            (None, Some(n)) => Ok(n),
            (None, None) => Err(malformed(what, "a tweet has no `id_str`")),
        }
    }

    /// The full text (`full_text`, else `text`).
    fn text(&self, what: &str) -> Result<&str, NetError> {
        self.full_text
            .as_deref()
            .or(self.text.as_deref())
            .ok_or_else(|| malformed(what, "a tweet has neither `full_text` nor `text`"))
    }

    fn is_reply(&self) -> bool {
        self.in_reply_to_status_id_str.is_some() || self.in_reply_to_status_id.is_some()
    }

    /// A mention of the account: v1.1 names no thread, only the post it answers.
    fn to_mention(&self, what: &str) -> Result<Mention, NetError> {
        let id = self.id(what)?;
        let Some(user) = &self.user else {
            return Err(malformed(what, "a tweet has no `user`"));
        };
        let in_reply_to = self
            .in_reply_to_status_id_str
            .clone()
            .or(self.in_reply_to_status_id.map(|n| n.to_string()))
            .filter(|s| !s.is_empty());
        Ok(Mention {
            post: PostRef { id: id.to_string(), cid: None },
            root: None,
            in_reply_to,
            author: user.screen_name.clone(),
            author_id: user.id_str.clone().unwrap_or_default(),
            author_is_bot: false,
            text: decode_entities(self.text(what)?),
            created_at: self.created_at.as_deref().and_then(parse_v1_time).unwrap_or(0),
            visibility: None,
            lang: clean_lang(self.lang.as_deref()),
        })
    }

    /// A home-timeline [`Post`]; a retweet takes `retweeted_status.full_text`.
    fn to_post(&self, what: &str) -> Result<Post, NetError> {
        let id = self.id(what)?;
        let author = match &self.user {
            Some(u) => u.screen_name.clone(),
            None => return Err(malformed(what, "a tweet has no `user`")),
        };
        let source = self.retweeted_status.as_deref().unwrap_or(self);
        let text = decode_entities(source.text(what)?);
        let has_links = source.entities.as_ref().is_some_and(|e| !e.urls.is_empty()) || text_has_link(&text);
        Ok(Post {
            id,
            author,
            created_at: self.created_at.as_deref().and_then(parse_v1_time).unwrap_or(0),
            is_repost: self.retweeted_status.is_some(),
            is_reply: source.is_reply(),
            has_links,
            lang: clean_lang(source.lang.as_deref().or(self.lang.as_deref())),
            categories: super::x::Entities::categories(source.entities.as_ref()),
            text,
            ..Post::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_time() {
        assert_eq!(parse_v1_time("Wed Oct 10 20:19:24 +0000 2018"), Some(1_539_202_764));
        assert_eq!(parse_v1_time("Thu Jan 01 03:00:00 +0300 2026"), Some(1_767_225_600));
        assert_eq!(parse_v1_time("yesterday"), None);
    }

    #[test]
    fn retweet_full_text_and_fields() {
        let page: Vec<V1Tweet> = serde_json::from_str(
            r#"[{"id":1050118621198921728,"id_str":"1050118621198921728","created_at":"Wed Oct 10 20:19:24 +0000 2018",
                 "full_text":"RT @bob: short…","truncated":false,"user":{"screen_name":"alice"},"lang":"en",
                 "retweeted_status":{"id_str":"99","full_text":"the whole &amp; long text","user":{"screen_name":"bob"},
                                     "lang":"ru","in_reply_to_status_id_str":"7","entities":{"urls":[]}}},
                {"id_str":"5","text":"plain https://t.co/a","user":{"screen_name":"carol"},"in_reply_to_status_id":null}]"#,
        )
        .unwrap();
        let p = page[0].to_post("GET /t").unwrap();
        assert_eq!(p.id, 1_050_118_621_198_921_728);
        assert_eq!(p.text, "the whole & long text");
        assert_eq!(
            (p.author.as_str(), p.lang.as_deref(), p.created_at),
            ("alice", Some("ru"), 1_539_202_764)
        );
        assert!(p.is_repost && p.is_reply && !p.has_links);
        let q = page[1].to_post("GET /t").unwrap();
        assert_eq!(q.text, "plain https://t.co/a");
        assert!(!q.is_repost && !q.is_reply && q.has_links);
    }

    #[test]
    fn hashtags_are_categories() {
        let t: V1Tweet = serde_json::from_str(
            r##"{"id_str":"5","full_text":"#soup and #Soup, #bread","user":{"screen_name":"a"},
                 "entities":{"hashtags":[{"text":"soup","indices":[0,5]},{"text":"Soup","indices":[10,15]},
                                         {"text":"bread","indices":[17,23]}],"urls":[]}}"##,
        )
        .unwrap();
        assert_eq!(t.to_post("GET /t").unwrap().categories, ["soup", "bread"]);
        // A page whose hashtags are no list still reads.
        let page: Vec<V1Tweet> = serde_json::from_str(
            r#"[{"id_str":"6","full_text":"x","user":{"screen_name":"a"},"entities":{"hashtags":null,"urls":{}}}]"#,
        )
        .unwrap();
        assert!(page[0].to_post("GET /t").unwrap().categories.is_empty());
    }

    #[test]
    fn missing_fields_are_malformed() {
        let t: V1Tweet = serde_json::from_str(r#"{"id_str":"5","user":{"screen_name":"a"}}"#).unwrap();
        assert_eq!(t.to_post("GET /t").unwrap_err().kind, NetErrorKind::Malformed);
        let t: V1Tweet = serde_json::from_str(r#"{"full_text":"x","user":{"screen_name":"a"}}"#).unwrap();
        assert_eq!(t.to_post("GET /t").unwrap_err().kind, NetErrorKind::Malformed);
        let t: V1Tweet =
            serde_json::from_str(r#"{"id_str":"abc","full_text":"x","user":{"screen_name":"a"}}"#).unwrap();
        assert_eq!(t.to_post("GET /t").unwrap_err().kind, NetErrorKind::Malformed);
    }
}
