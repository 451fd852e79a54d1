//! The feed client (`--platform feed`): a reader of one RSS, Atom or JSON Feed URL (the bot's
//! `--api`), with no credentials. It cannot post: a writer from a feed reader posts on its own
//! network (`--platform mastodon`, …).
//!
//! Each read is one conditional GET: the `ETag` and `Last-Modified` of the last answer go back as
//! `If-None-Match` and `If-Modified-Since`, so a run with nothing new costs one `304`. Entries are
//! keyed by their guid / id (else their link, see [`parse`]); the keys already read are kept in
//! the reader's cursor ([`Cursor`]), so an entry is never read twice, even when the feed reorders
//! its entries or rewrites an old one. A feed has no post ids: each new entry gets the next
//! number of the cursor's sequence, oldest first, so the ids grow like a timeline's.

pub mod charset;
pub mod parse;

use super::http::{rate_limited, server_or_refused, Http, Request};
use super::x::{clean_lang, text_has_link};
use super::*;
use crate::net::http::{host_of, Method};
use crate::text::dedup::hash;

/// How many entries of one feed are looked at (the first ones in the document, which feeds keep
/// newest first), and how many entry keys the cursor remembers.
pub const MAX_ENTRIES: usize = 300;

/// What a feed reader keeps between runs, stored as its cursor string
/// (`feed1<TAB>seq<TAB>etag<TAB>last-modified<TAB>key hashes`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    /// The id given to the newest entry read so far.
    pub seq: u64,
    /// The last answer's `ETag`.
    pub etag: Option<String>,
    /// The last answer's `Last-Modified`.
    pub last_modified: Option<String>,
    /// Hashes ([`crate::text::dedup::hash`]) of the keys of the entries already read, at most
    /// [`MAX_ENTRIES`].
    pub seen: Vec<u64>,
}

impl Cursor {
    /// Read a stored cursor; `None` when it is not a feed cursor.
    pub fn decode(s: &str) -> Option<Cursor> {
        let mut f = s.split('\t');
        if f.next()? != "feed1" {
            return None;
        }
        let seq = f.next()?.parse().ok()?;
        let opt = |v: Option<&str>| v.filter(|v| !v.is_empty()).map(str::to_string);
        let etag = opt(f.next());
        let last_modified = opt(f.next());
        let seen = f
            .next()
            .unwrap_or_default()
            .split(',')
            .filter(|h| !h.is_empty())
            .map(|h| u64::from_str_radix(h, 16).ok())
            .collect::<Option<Vec<u64>>>()?;
        Some(Cursor { seq, etag, last_modified, seen })
    }

    /// The string to store.
    pub fn encode(&self) -> String {
        let seen: Vec<String> = self.seen.iter().map(|h| format!("{h:x}")).collect();
        format!(
            "feed1\t{}\t{}\t{}\t{}",
            self.seq,
            self.etag.as_deref().unwrap_or_default(),
            self.last_modified.as_deref().unwrap_or_default(),
            seen.join(",")
        )
    }
}

/// A validator header value fit to store and send back: one line, no tab, not absurdly long.
fn validator(v: Option<&String>) -> Option<String> {
    v.filter(|v| !v.is_empty() && v.len() <= 256 && !v.contains(['\t', '\r', '\n'])).cloned()
}

/// Client for one feed URL.
pub struct Feed {
    ep: Endpoint,
    http: Http,
}

impl Feed {
    /// Make a client for a run at `now` (Unix seconds). No network traffic until the first call.
    pub fn new(ep: Endpoint, now: i64) -> Self {
        Feed { ep, http: Http::new(now) }
    }

    /// GET the feed, conditionally on `cur`'s validators. `Ok(None)` is a `304 Not Modified`.
    fn fetch(
        &self,
        cur: &Cursor,
        rates: &mut Vec<RateInfo>,
    ) -> Result<Option<(parse::Parsed, Cursor)>, NetError> {
        let mut req = Request::new(Method::Get, self.ep.api.clone(), Call::Timeline)
            .header(
                "Accept",
                "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8",
            );
        if let Some(e) = &cur.etag {
            req = req.header("If-None-Match", e.clone());
        }
        if let Some(m) = &cur.last_modified {
            req = req.header("If-Modified-Since", m.clone());
        }
        let (resp, bytes) = self.http.send_keeping_bytes(&req)?;
        if let Some(r) = resp.rate {
            rates.push(r);
        }
        match resp.status {
            304 => return Ok(None),
            429 => return Err(rate_limited(&resp, "HTTP 429")),
            s if !(200..300).contains(&s) => return Err(server_or_refused(&resp, &format!("HTTP {s}"))),
            _ => {}
        }
        let parsed = parse::parse_bytes(&bytes, resp.content_type.as_deref(), &resp.what)?;
        let v = resp.validators.as_deref().cloned().unwrap_or_default();
        let next = Cursor {
            etag: validator(v.etag.as_ref()),
            last_modified: validator(v.last_modified.as_ref()),
            ..cur.clone()
        };
        Ok(Some((parsed, next)))
    }

    /// Who wrote an entry, for [`Post::author`]: its author, else the feed's title, else the host.
    fn author(&self, e: &parse::Entry, feed_title: &str) -> String {
        e.author
            .clone()
            .or_else(|| Some(feed_title.to_string()).filter(|t| !t.is_empty()))
            .unwrap_or_else(|| host_of(&self.ep.api).to_string())
    }
}

/// An entry's text: its title, its summary (unless it only repeats the title) and its link, each
/// a paragraph.
pub fn entry_text(e: &parse::Entry) -> String {
    let summary = Some(e.summary.as_str()).filter(|s| *s != e.title);
    [Some(e.title.as_str()), summary, e.link.as_deref()]
        .into_iter()
        .flatten()
        .filter(|p| !p.trim().is_empty())
        .collect::<Vec<&str>>()
        .join("\n\n")
}

/// The error for what a feed cannot do.
fn read_only() -> NetError {
    NetError::new(
        NetErrorKind::NoAccess,
        "a feed can only be read; a writer posts on its own network (--platform mastodon, --api …)",
    )
}

impl Platform for Feed {
    fn verify(&mut self) -> NetResult<Account> {
        let mut rates = Vec::new();
        let Some((parsed, _)) = self.fetch(&Cursor::default(), &mut rates)? else {
            return Err(http::malformed(&self.ep.api, "answered 304 Not Modified to a plain GET"));
        };
        let value = Account { id: self.ep.api.clone(), username: parsed.title, bot: None };
        Ok(Reply { value, rates })
    }

    fn home_timeline(&mut self, since: Option<&str>, cap: usize) -> NetResult<Timeline> {
        let mut rates = Vec::new();
        let first = since.is_none();
        let cur = since.and_then(Cursor::decode).unwrap_or_default();
        let Some((parsed, mut next)) = self.fetch(&cur, &mut rates)? else {
            return Ok(Reply { value: Timeline { calls: 1, ..Timeline::default() }, rates });
        };
        // The entries not read yet, oldest first (by date; among equal dates, feeds list newest
        // first), each once.
        let mut fresh: Vec<(usize, &parse::Entry)> = Vec::new();
        let mut keys_now: Vec<u64> = Vec::new();
        for (i, e) in parsed.entries.iter().take(MAX_ENTRIES).enumerate() {
            let h = hash(&e.key);
            if !cur.seen.contains(&h) && !keys_now.contains(&h) {
                fresh.push((i, e));
            }
            keys_now.push(h);
        }
        fresh.sort_by_key(|(i, e)| (e.published, std::cmp::Reverse(*i)));
        let taken: Vec<&parse::Entry> = if first {
            // The first read takes the newest `cap`; the older ones count as read.
            let drop = fresh.len().saturating_sub(cap);
            fresh.iter().skip(drop).map(|(_, e)| *e).collect()
        } else {
            // Later reads take the oldest `cap`: the next run resumes right after them.
            fresh.iter().take(cap).map(|(_, e)| *e).collect()
        };
        let taken_keys: Vec<u64> = taken.iter().map(|e| hash(&e.key)).collect();
        // Remembered: what the feed holds and was read (now or before), then older keys.
        let mut seen: Vec<u64> = Vec::new();
        for h in keys_now.iter().copied().filter(|h| first || cur.seen.contains(h) || taken_keys.contains(h))
        {
            if !seen.contains(&h) {
                seen.push(h);
            }
        }
        for h in &cur.seen {
            if seen.len() >= MAX_ENTRIES {
                break;
            }
            if !seen.contains(h) {
                seen.push(*h);
            }
        }
        next.seen = seen;
        let mut posts = Vec::with_capacity(taken.len());
        for e in taken {
            next.seq += 1;
            let text = entry_text(e);
            posts.push(Post {
                id: next.seq,
                author: self.author(e, &parsed.title),
                has_links: text_has_link(&text),
                created_at: e.published.max(0),
                is_repost: false,
                is_reply: false,
                lang: clean_lang(e.lang.as_deref()),
                text,
                title: Some(e.title.clone()).filter(|t| !t.trim().is_empty()),
                link: e.link.clone(),
                categories: e.categories.clone(),
                ..Post::default()
            });
        }
        let value = Timeline { posts, cursor: Some(next.encode()), calls: 1, skipped: 0 };
        Ok(Reply { value, rates })
    }

    fn post(&mut self, _text: &str, _key: &str, _meta: &PostMeta) -> NetResult<Posted> {
        Err(read_only())
    }

    fn own_posts(&mut self, _cap: usize) -> NetResult<Vec<OwnPost>> {
        Err(read_only())
    }

    fn delete(&mut self, _id: u64) -> NetResult<()> {
        Err(read_only())
    }

    fn length_rule(&mut self) -> NetResult<LengthRule> {
        Err(read_only())
    }

    fn account_id(&self) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        let c = Cursor { seq: 7, etag: Some("W/\"a b\"".into()), last_modified: None, seen: vec![1, 0xabc] };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("12345"), None);
        assert_eq!(Cursor::decode(&Cursor::default().encode()), Some(Cursor::default()));
    }

    #[test]
    fn text_is_title_summary_link() {
        let e = parse::Entry {
            key: "k".into(),
            title: "T".into(),
            link: Some("https://l.example/1".into()),
            summary: "T".into(),
            published: 0,
            categories: vec![],
            author: None,
            lang: None,
        };
        assert_eq!(entry_text(&e), "T\n\nhttps://l.example/1");
        assert_eq!(entry_text(&parse::Entry { summary: "S".into(), ..e }), "T\n\nS\n\nhttps://l.example/1");
    }
}
