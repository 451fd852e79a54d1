//! An X archive's `tweets.js` (from "Download an archive of your data"): a JavaScript file
//! `window.YTD.tweets.part0 = [ {"tweet": {…}}, … ]` (older archives: the tweets without the
//! `"tweet"` wrapper; a bare JSON array is taken too). Each tweet gives one post:
//!
//! - the text: `full_text` (else `text`) with its HTML entities decoded (`&amp;`), each `t.co`
//!   link of `entities.urls` replaced by its `expanded_url`, and media links (`entities.media`)
//!   removed;
//! - a retweet (`retweeted`, or a text starting `RT @name:`): a repost of `name`, the text
//!   after the `RT @name: ` prefix;
//! - a reply: `in_reply_to_status_id_str` set; `created_at` (`Wed Oct 10 20:19:24 +0000
//!   2018`); `lang` (`und` is none); the hashtags of `entities.hashtags` as categories.
//!
//! The array is parsed one tweet at a time; what is kept of each is its post.

use super::{checked_text, collect, has_link, Elements, Entry, Format, Found};
use crate::error::{FarmError, Result};
use crate::model::Post;
use serde::de::DeserializeSeed;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};

/// The posts of a `tweets.js`, in file order, and what was left out.
pub fn parse(r: impl Read) -> Result<(Vec<Post>, Found)> {
    let mut r = BufReader::with_capacity(64 << 10, r);
    skip_assignment(&mut r)?;
    let mut de = serde_json::Deserializer::from_reader(r);
    let parse = |each: &mut dyn FnMut(Value) -> Result<()>| {
        Elements::new(each).deserialize(&mut de).and_then(|_| de.end())
    };
    let (posts, found, ()) = collect(Format::XArchive, parse, |item, n| {
        Ok(post(item, n)?.map_or(Entry::Empty, |p| Entry::Post(Box::new(p))))
    })?;
    Ok((posts, found))
}

/// Skip a byte order mark, white space and the `window.YTD.<name>.part<N> =` that makes the
/// file JavaScript; what follows is JSON.
fn skip_assignment(r: &mut impl BufRead) -> Result<()> {
    let head = r.fill_buf().map_err(|e| FarmError::io(format!("cannot read it: {e}")))?;
    let mut skip = 0;
    if head.starts_with(b"\xef\xbb\xbf") {
        skip = 3;
    }
    while head.get(skip).is_some_and(u8::is_ascii_whitespace) {
        skip += 1;
    }
    if head[skip..].starts_with(b"window.YTD.") {
        match head[skip..].iter().take(200).position(|&b| b == b'=') {
            Some(eq) => skip += eq + 1,
            None => {
                return Err(FarmError::data(
                    "not an X archive's tweets.js: no `=` after `window.YTD.` on its first line",
                ))
            }
        }
    }
    r.consume(skip);
    Ok(())
}

/// The post of the `n`th element, `None` when it has no text.
fn post(item: &Value, n: u64) -> Result<Option<Post>> {
    let at = format!("tweet {n}");
    let t = item.get("tweet").unwrap_or(item);
    if !t.is_object() {
        return Err(FarmError::data(format!("{at}: not a JSON object")));
    }
    let Some(raw) = t.get("full_text").or_else(|| t.get("text")).and_then(Value::as_str) else {
        return Err(FarmError::data(format!("{at}: no full_text; is this an X archive's tweets.js?")));
    };
    let created_at = match t.get("created_at").and_then(Value::as_str) {
        Some(s) => crate::net::xv1::parse_v1_time(s).ok_or_else(|| {
            FarmError::data(format!(
                "{at}: created_at {:?} is not a time like \"Wed Oct 10 20:19:24 +0000 2018\"",
                s
            ))
        })?,
        None => 0,
    };
    let entities = t.get("entities");
    let list =
        |key: &str| entities.and_then(|e| e.get(key)).and_then(Value::as_array).cloned().unwrap_or_default();
    let mut text = crate::net::html::decode_entities(raw);
    for u in list("urls") {
        if let (Some(short), Some(long)) =
            (u.get("url").and_then(Value::as_str), u.get("expanded_url").and_then(Value::as_str))
        {
            text = text.replace(short, long);
        }
    }
    for m in list("media") {
        if let Some(short) = m.get("url").and_then(Value::as_str) {
            text = text.replace(short, "");
        }
    }
    let mut author = String::new();
    let retweeted = t.get("retweeted").and_then(Value::as_bool).unwrap_or(false);
    let mut is_repost = retweeted;
    if let Some((name, rest)) = text.strip_prefix("RT @").and_then(|r| r.split_once(": ")) {
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            author = name.to_string();
            text = rest.to_string();
            is_repost = true;
        }
    }
    let text = checked_text(text.trim().to_string(), &at)?;
    if text.is_empty() {
        return Ok(None);
    }
    let replied = t.get("in_reply_to_status_id_str").and_then(Value::as_str).is_some_and(|s| !s.is_empty());
    let categories = list("hashtags")
        .iter()
        .filter_map(|h| h.get("text").and_then(Value::as_str).map(str::to_string))
        .collect();
    Ok(Some(Post {
        author,
        has_links: has_link(&text),
        text,
        created_at,
        is_repost,
        is_reply: replied,
        lang: crate::net::x::clean_lang(t.get("lang").and_then(Value::as_str)),
        categories,
        ..Post::default()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `tweets.js` made by hand after the archive's documented shape: a plain tweet with a
    /// link and a hashtag, a reply, a retweet, a media-only tweet, and the older bare form.
    const TWEETS_JS: &str = include_str!("../../fixtures/corpus/tweets.js");

    #[test]
    fn a_hand_made_archive() {
        let (posts, found) = parse(TWEETS_JS.as_bytes()).unwrap();
        assert_eq!((posts.len(), found.empty), (4, 1));
        let p = &posts[0];
        assert_eq!(p.text, "Cats & dogs say #cats https://example.org/cats");
        assert_eq!((p.created_at, p.lang.as_deref(), p.has_links), (1_539_202_764, Some("en"), true));
        assert_eq!(p.categories, ["cats"]);
        assert!(!p.is_reply && !p.is_repost);
        let reply = &posts[1];
        assert!(reply.is_reply && reply.lang.is_none(), "{reply:?}");
        let rt = &posts[2];
        assert_eq!(
            (rt.text.as_str(), rt.author.as_str(), rt.is_repost),
            ("The original post, as retweeted", "someone_else", true)
        );
        assert_eq!(posts[3].text, "an old archive's bare tweet");
    }

    #[test]
    fn a_bare_array_and_broken_archives() {
        let (posts, _) = parse(
            &br#" [ {"tweet": {"full_text": "hi", "created_at": "Wed Oct 10 20:19:24 +0000 2018"}} ] "#[..],
        )
        .unwrap();
        assert_eq!(posts[0].text, "hi");
        for (input, words) in [
            (&b"window.YTD.tweets.part0 = [ {\"tweet\": {\"full_text\": \"a\"}}, "[..], "EOF while parsing"),
            (&b"window.YTD.tweets.part0 = { }"[..], "not an X archive's tweets.js"),
            (&b"window.YTD.tweets.part0 [ ]"[..], "no `=`"),
            (&b"[ {\"tweet\": {\"id_str\": \"1\"}} ]"[..], "tweet 1: no full_text"),
            (&b"[ 1 ]"[..], "tweet 1: not a JSON object"),
            (
                &b"[ {\"full_text\": \"a\", \"created_at\": \"yesterday\"} ]"[..],
                "tweet 1: created_at \"yesterday\"",
            ),
            (&b"[ ] trailing"[..], "trailing characters"),
        ] {
            let e = parse(input).unwrap_err();
            assert_eq!(e.kind, crate::error::Kind::Data, "{}", e.message);
            assert!(e.message.contains(words), "{words}: {}", e.message);
        }
        let deep = format!("[{}{}]", "[".repeat(10_000), "]".repeat(10_000));
        let e = parse(deep.as_bytes()).unwrap_err();
        assert!(e.message.contains("recursion limit"), "{}", e.message);
    }
}
