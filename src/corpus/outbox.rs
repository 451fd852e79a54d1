//! A Mastodon export's `outbox.json` (Preferences → Import and export → Data export): an
//! ActivityPub `OrderedCollection` whose `orderedItems` are the account's activities. Each
//! `Create` of a `Note` (or `Question`, `Article`, `Page`) gives one post:
//!
//! - the text: `content` (HTML) made plain text, else the first of `contentMap`;
//! - `summary` is the content warning, `sensitive` the flag, the first key of `contentMap` the
//!   language, `published` the time, `inReplyTo` makes it a reply, `url` is its link, the
//!   `Hashtag`s of `tag` its categories, and the last part of `attributedTo` its author.
//!
//! An `Announce` (a boost) carries only the boosted post's URL, not its text: it is left out
//! and counted; other activities (likes, deletions) are left out too. The collection is parsed
//! one activity at a time.

use super::{checked_text, collect, has_link, Elements, Entry, Format, Found};
use crate::error::{FarmError, Result};
use crate::model::Post;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use std::io::{BufReader, Read};

/// The posts of an outbox, in file order, and what was left out.
pub fn parse(r: impl Read) -> Result<(Vec<Post>, Found)> {
    let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(64 << 10, r));
    let parse = |each: &mut dyn FnMut(Value) -> Result<()>| {
        serde::Deserializer::deserialize_map(&mut de, Collection { each })
            .and_then(|items| de.end().map(|_| items))
    };
    match collect(Format::Outbox, parse, activity)? {
        (posts, found, true) => Ok((posts, found)),
        (_, _, false) => Err(FarmError::data(
            "a JSON object without orderedItems: not a Mastodon outbox; if it is another kind of file, give --format",
        )),
    }
}

/// The top-level object: `orderedItems` is read one activity at a time, the rest skipped.
/// Its value says whether there was an `orderedItems`.
struct Collection<'a> {
    each: &'a mut dyn FnMut(Value) -> Result<()>,
}

impl<'de> Visitor<'de> for Collection<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an ActivityPub OrderedCollection (a JSON object)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<bool, A::Error> {
        let mut items = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "orderedItems" && !items {
                map.next_value_seed(Elements::new(&mut *self.each))?;
                items = true;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(items)
    }
}

/// The `n`th activity.
fn activity(a: &Value, n: u64) -> Result<Entry> {
    let at = format!("activity {n}");
    let kind = a.get("type").and_then(Value::as_str).unwrap_or_default();
    match kind {
        "Create" => {}
        "Announce" => return Ok(Entry::Boost),
        _ if a.is_object() => return Ok(Entry::Other),
        _ => return Err(FarmError::data(format!("{at}: not a JSON object"))),
    }
    let Some(o) = a.get("object").filter(|o| o.is_object()) else {
        // A Create of something the export only links to.
        return Ok(Entry::Other);
    };
    if !matches!(o.get("type").and_then(Value::as_str), Some("Note" | "Question" | "Article" | "Page")) {
        return Ok(Entry::Other);
    }
    let map = o.get("contentMap").and_then(Value::as_object);
    let html = match o.get("content").and_then(Value::as_str) {
        Some(c) if !c.trim().is_empty() => c,
        _ => map.and_then(|m| m.values().find_map(Value::as_str)).unwrap_or_default(),
    };
    let text = checked_text(crate::net::html::to_text(html), &at)?;
    if text.is_empty() {
        return Ok(Entry::Empty);
    }
    let published = o.get("published").or_else(|| a.get("published")).and_then(Value::as_str);
    let created_at = match published {
        Some(s) => crate::clock::parse_rfc3339(s).ok_or_else(|| {
            FarmError::data(format!(
                "{at}: published {s:?} is not an RFC 3339 time like 2018-10-10T20:19:24Z"
            ))
        })?,
        None => 0,
    };
    let str_of = |key: &str| o.get(key).and_then(Value::as_str).filter(|s| !s.trim().is_empty());
    let author = str_of("attributedTo")
        .and_then(|u| u.trim_end_matches('/').rsplit('/').next())
        .unwrap_or_default()
        .to_string();
    let categories = o
        .get("tag")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|t| t.get("type").and_then(Value::as_str) == Some("Hashtag"))
        .filter_map(|t| t.get("name").and_then(Value::as_str))
        .map(|n| n.trim_start_matches('#').to_string())
        .collect();
    Ok(Entry::Post(Box::new(Post {
        author,
        has_links: has_link(&text),
        text,
        created_at,
        is_repost: false,
        is_reply: !o.get("inReplyTo").is_none_or(Value::is_null),
        lang: map.and_then(|m| m.keys().next()).filter(|l| *l != "und").cloned(),
        warning: str_of("summary").map(str::to_string),
        sensitive: o.get("sensitive").and_then(Value::as_bool).unwrap_or(false),
        link: str_of("url").map(str::to_string),
        categories,
        ..Post::default()
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An outbox made by hand after the ActivityPub shape Mastodon exports: a post with a CW,
    /// a language and a hashtag, a reply, a boost, a like, and an empty post.
    const OUTBOX: &str = include_str!("../../fixtures/corpus/outbox.json");

    #[test]
    fn a_hand_made_outbox() {
        let (posts, found) = parse(OUTBOX.as_bytes()).unwrap();
        assert_eq!((posts.len(), found.empty, found.boosts, found.other), (2, 1, 1, 1));
        let p = &posts[0];
        assert_eq!(p.text, "Cats & #cats\n\nsecond paragraph");
        assert_eq!(
            (p.warning.as_deref(), p.sensitive, p.lang.as_deref()),
            (Some("cat pictures"), true, Some("de"))
        );
        assert_eq!((p.created_at, p.author.as_str()), (1_539_202_764, "alice"));
        assert_eq!(
            (p.link.as_deref(), p.categories.clone()),
            (Some("https://mastodon.example/@alice/1"), vec!["cats".to_string()])
        );
        assert!(!p.is_reply && !p.is_repost);
        let reply = &posts[1];
        assert_eq!(reply.text, "@bob agreed");
        assert!(reply.is_reply && reply.warning.is_none() && reply.lang.is_none());
    }

    #[test]
    fn broken_outboxes() {
        for (input, words) in [
            (r#"{"type": "OrderedCollection"}"#, "without orderedItems"),
            (
                r#"{"orderedItems": [ {"type": "Create", "object": {"type": "Note", "content": "a"}} "#,
                "EOF while parsing",
            ),
            (r#"{"orderedItems": {}}"#, "not a Mastodon outbox"),
            (r#"["a"]"#, "not a Mastodon outbox"),
            (r#"{"orderedItems": [ 7 ]}"#, "activity 1: not a JSON object"),
            (
                r#"{"orderedItems": [ {"type": "Create", "object": {"type": "Note", "content": "a", "published": "noon"}} ]}"#,
                "activity 1: published \"noon\"",
            ),
        ] {
            let e = parse(input.as_bytes()).unwrap_err();
            assert_eq!(e.kind, crate::error::Kind::Data, "{}", e.message);
            assert!(e.message.contains(words), "{words}: {}", e.message);
        }
    }
}
