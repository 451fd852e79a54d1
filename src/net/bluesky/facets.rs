//! Rich-text facets of a Bluesky post: links, hashtags and mentions, each with its UTF-8 byte
//! range in the text (`app.bsky.richtext.facet`). Links come from farm's twitter-text URL
//! scanner (trailing punctuation and unbalanced parentheses are left out the way it leaves them
//! out); a mention becomes a facet only when its handle resolves to a DID (an invalid DID would
//! make the server refuse the whole post), otherwise it stays plain text.

use serde_json::{json, Value};
use std::ops::Range;

/// Longest hashtag Bluesky accepts, in characters (without the `#`).
const MAX_TAG: usize = 64;

/// One facet before it becomes JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Facet {
    /// A link to this URI.
    Link(Range<usize>, String),
    /// A hashtag (without `#`).
    Tag(Range<usize>, String),
    /// A mention of this handle (not resolved yet).
    Mention(Range<usize>, String),
}

/// The facets of `text`, in order, not overlapping. Mentions carry their handle; the caller
/// resolves them ([`to_json`]).
pub fn detect(text: &str) -> Vec<Facet> {
    let urls: Vec<Range<usize>> = crate::text::length::find_urls(text);
    let mut out: Vec<Facet> = urls
        .iter()
        .map(|r| {
            let s = &text[r.clone()];
            let lower = s.to_ascii_lowercase();
            let uri = if lower.starts_with("http://") || lower.starts_with("https://") {
                s.to_string()
            } else {
                format!("https://{s}")
            };
            Facet::Link(r.clone(), uri)
        })
        .collect();
    let in_url = |i: usize| urls.iter().any(|r| r.contains(&i));
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        let starts = prev.is_none_or(|p| p.is_whitespace() || p == '(' || p == '[' || p == '{');
        prev = Some(c);
        if !starts || in_url(i) {
            continue;
        }
        let rest = &text[i + c.len_utf8()..];
        if c == '#' || c == '＃' {
            if let Some(tag) = hashtag(rest) {
                let end = i + c.len_utf8() + tag.len();
                out.push(Facet::Tag(i..end, tag.to_string()));
            }
        } else if c == '@' {
            if let Some(handle) = handle(rest) {
                out.push(Facet::Mention(i..i + 1 + handle.len(), handle.to_string()));
            }
        }
    }
    out.sort_by_key(|f| range(f).start);
    let mut kept: Vec<Facet> = Vec::with_capacity(out.len());
    for f in out {
        if kept.last().is_none_or(|k| range(k).end <= range(&f).start) {
            kept.push(f);
        }
    }
    kept
}

/// The byte range of a facet.
pub fn range(f: &Facet) -> &Range<usize> {
    match f {
        Facet::Link(r, _) | Facet::Tag(r, _) | Facet::Mention(r, _) => r,
    }
}

/// A hashtag at the start of `rest` (after the `#`): up to white space, without trailing
/// punctuation, not only digits, at most [`MAX_TAG`] characters.
fn hashtag(rest: &str) -> Option<&str> {
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let tag = rest[..end].trim_end_matches(|c: char| !c.is_alphanumeric() && c != '_');
    let has_word = tag.chars().any(|c| c.is_alphabetic() || c == '_');
    (has_word && tag.chars().count() <= MAX_TAG && !tag.starts_with('\u{fe0f}')).then_some(tag)
}

/// A handle at the start of `rest` (after the `@`): dot-separated labels of ASCII letters,
/// digits and `-`, at least two, without a trailing dot.
fn handle(rest: &str) -> Option<&str> {
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-')).unwrap_or(rest.len());
    let h = rest[..end].trim_end_matches('.');
    let labels: Vec<&str> = h.split('.').collect();
    let ok = labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-'))
        && labels.last().is_some_and(|tld| tld.chars().next().is_some_and(|c| c.is_ascii_alphabetic()));
    ok.then_some(h)
}

/// The facets as the record's `facets` array; `resolve` turns a handle into a DID (`None`: the
/// mention stays plain text).
pub fn to_json(facets: &[Facet], resolve: &mut dyn FnMut(&str) -> Option<String>) -> Vec<Value> {
    let mut out = Vec::with_capacity(facets.len());
    for f in facets {
        let r = range(f);
        let feature = match f {
            Facet::Link(_, uri) => json!({"$type": "app.bsky.richtext.facet#link", "uri": uri}),
            Facet::Tag(_, tag) => json!({"$type": "app.bsky.richtext.facet#tag", "tag": tag}),
            Facet::Mention(_, h) => match resolve(h) {
                Some(did) => json!({"$type": "app.bsky.richtext.facet#mention", "did": did}),
                None => continue,
            },
        };
        out.push(json!({"index": {"byteStart": r.start, "byteEnd": r.end}, "features": [feature]}));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A facet as (kind, covered text, value).
    type Seen = (&'static str, String, String);

    fn seen(text: &str) -> Vec<Seen> {
        detect(text)
            .into_iter()
            .map(|f| match f {
                Facet::Link(r, u) => ("link", text[r].to_string(), u),
                Facet::Tag(r, t) => ("tag", text[r].to_string(), t),
                Facet::Mention(r, h) => ("mention", text[r].to_string(), h),
            })
            .collect()
    }

    fn f(kind: &'static str, covered: &str, value: &str) -> Seen {
        (kind, covered.to_string(), value.to_string())
    }

    #[test]
    fn table_of_cases() {
        let cases: Vec<(&str, Vec<Seen>)> = vec![
            (
                "Héllo wörld ✨ read https://example.com/a?b=c now",
                vec![f("link", "https://example.com/a?b=c", "https://example.com/a?b=c")],
            ),
            (
                "Привет, мир! #котики https://пример.рф/путь.",
                vec![
                    f("tag", "#котики", "котики"),
                    f("link", "https://пример.рф/путь", "https://пример.рф/путь"),
                ],
            ),
            ("see example.com/x.", vec![f("link", "example.com/x", "https://example.com/x")]),
            (
                "(see https://en.wikipedia.org/wiki/Bee_(disambiguation))",
                vec![f(
                    "link",
                    "https://en.wikipedia.org/wiki/Bee_(disambiguation)",
                    "https://en.wikipedia.org/wiki/Bee_(disambiguation)",
                )],
            ),
            ("wow, https://example.com!", vec![f("link", "https://example.com", "https://example.com")]),
            ("a tag after a bracket (#rust) here", vec![f("tag", "#rust", "rust")]),
            ("digits only #2026 is no tag, #2026bots is", vec![f("tag", "#2026bots", "2026bots")]),
            ("family 👨‍👩‍👧‍👦 and flag 🇺🇦 then #tag!", vec![f("tag", "#tag", "tag")]),
            ("no#tag mid-word, and a lone # too", vec![]),
            (
                "hi @alice.bsky.social, and @bob, and mail a@b.com",
                vec![f("mention", "@alice.bsky.social", "alice.bsky.social")],
            ),
            (
                "https://example.com/#anchor",
                vec![f("link", "https://example.com/#anchor", "https://example.com/#anchor")],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(seen(text), want, "{text}");
        }
    }

    #[test]
    fn byte_offsets_and_unresolved_mentions() {
        let text = "✨ @ghost.test and @bot1.test #ok";
        let facets = detect(text);
        let json = to_json(&facets, &mut |h| (h == "bot1.test").then(|| "did:plc:abc".to_string()));
        assert_eq!(json.len(), 2, "the unresolved mention stays plain text: {json:?}");
        let start = json[0]["index"]["byteStart"].as_u64().unwrap() as usize;
        let end = json[0]["index"]["byteEnd"].as_u64().unwrap() as usize;
        assert_eq!(&text[start..end], "@bot1.test");
        assert_eq!(start, "✨ @ghost.test and ".len());
        assert_eq!(json[1]["features"][0]["tag"], "ok");
    }
}
