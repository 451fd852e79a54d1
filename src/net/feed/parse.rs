//! The foreign format, parsed at the edge: an RSS 0.9x/1.0/2.0, Atom or JSON Feed body becomes
//! a list of [`Entry`] values, farm's own shape, with the `feed-rs` crate doing the format work.
//!
//! The bytes become text first ([`super::charset`]: a feed in windows-1251 or ISO-8859-1 is
//! decoded, not refused). Before the crate sees the text, two cheap checks refuse what a hostile
//! or broken server may send, each as one [`NetErrorKind::Malformed`] line: XML entity
//! declarations (the "billion laughs" expansion; feeds never need them) and elements nested
//! deeper than [`MAX_DEPTH`]. The size is already bounded by the HTTP layer
//! ([`crate::net::http::MAX_BODY`]).

use crate::net::html::to_text;
use crate::net::http::{malformed, one_line};
use crate::net::NetError;

/// What follows the first `end` in `rest` (nothing when there is none).
fn skip_to<'a>(end: &str, rest: &'a str) -> &'a str {
    rest.find(end).map_or("", |i| &rest[i + end.len()..])
}

/// The deepest element nesting accepted. Real feeds nest 4-6 levels (`rss/channel/item/…`);
/// XHTML content in Atom a few more.
pub const MAX_DEPTH: usize = 64;

/// One feed entry, as farm keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// What identifies the entry for good: its `guid` / `id`, else its link. Never empty.
    pub key: String,
    /// The title as plain text (may be empty).
    pub title: String,
    /// The entry's link, if any.
    pub link: Option<String>,
    /// The summary (or, without one, the content) as plain text (may be empty).
    pub summary: String,
    /// When it was published (else updated), Unix seconds; 0 when the feed does not say.
    pub published: i64,
    /// Category terms.
    pub categories: Vec<String>,
    /// The author's name, if the entry names one.
    pub author: Option<String>,
    /// The entry's language, else the feed's.
    pub lang: Option<String>,
}

/// A parsed feed: its title and its entries in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The feed's title as plain text (may be empty).
    pub title: String,
    /// The entries that have a key (an entry with neither id nor link cannot be told apart from
    /// the next and is skipped).
    pub entries: Vec<Entry>,
}

/// Parse a feed's bytes, fetched by `what` (e.g. `GET /feed.xml`, for messages) with this
/// `Content-Type`: decoded ([`super::charset::decode`]), then [`parse`]d.
pub fn parse_bytes(bytes: &[u8], content_type: Option<&str>, what: &str) -> Result<Parsed, NetError> {
    parse(&super::charset::decode(bytes, content_type, what)?, what)
}

/// Parse a feed's text, fetched by `what` (e.g. `GET /feed.xml`, for messages). The text is
/// already Unicode: an `encoding` its XML declaration names is not applied again.
pub fn parse(body: &str, what: &str) -> Result<Parsed, NetError> {
    check(body, what)?;
    let body = without_declaration(body);
    let parser = feed_rs::parser::Builder::new()
        // No made-up ids: an entry without one is keyed by its link below.
        .id_generator(|_, _, _| String::new())
        .build();
    let feed = parser.parse(body.as_bytes()).map_err(|e| {
        malformed(
            what,
            &format!("the answer is not an RSS, Atom or JSON feed ({})", one_line(&e.to_string(), 120)),
        )
    })?;
    let feed_lang = feed.language.clone();
    let entries = feed
        .entries
        .into_iter()
        .filter_map(|e| {
            let link = e.links.first().map(|l| l.href.trim().to_string()).filter(|l| !l.is_empty());
            let key = Some(e.id.trim().to_string()).filter(|k| !k.is_empty()).or_else(|| link.clone())?;
            let summary = match (&e.summary, &e.content) {
                (Some(s), _) if !s.content.trim().is_empty() => plain(s),
                (_, Some(c)) => c.body.as_deref().map(to_text).unwrap_or_default(),
                _ => String::new(),
            };
            Some(Entry {
                key,
                title: e.title.as_ref().map(plain).unwrap_or_default(),
                link,
                summary,
                published: e.published.or(e.updated).map_or(0, |t| t.timestamp()),
                categories: categories(&e.categories),
                author: e
                    .authors
                    .first()
                    .and_then(|a| a.name.as_deref())
                    .map(|a| a.trim().to_string())
                    .filter(|a| !a.is_empty()),
                lang: e.language.clone().or_else(|| feed_lang.clone()),
            })
        })
        .collect();
    Ok(Parsed { title: feed.title.as_ref().map(plain).unwrap_or_default(), entries })
}

/// An entry's category terms (their labels where the term is a URI or a code), trimmed, each
/// once, at most 20.
fn categories(list: &[feed_rs::model::Category]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in list {
        let term = c.term.trim();
        let label = c.label.as_deref().map(str::trim).filter(|l| !l.is_empty());
        let name = match label {
            Some(l) if term.contains("://") || term.is_empty() => l,
            _ => term,
        };
        if !name.is_empty() && out.len() < 20 && !out.iter().any(|o| o.eq_ignore_ascii_case(name)) {
            out.push(name.to_string());
        }
    }
    out
}

/// A text field as plain text: HTML (and XHTML) made plain with [`to_text`], plain text trimmed.
fn plain(t: &feed_rs::model::Text) -> String {
    if t.content_type.to_string().contains("html") {
        to_text(&t.content)
    } else {
        t.content.trim().to_string()
    }
}

/// The text without its XML declaration (`<?xml … encoding="…"?>`), so the parser does not
/// decode the already decoded text a second time in the encoding it names.
fn without_declaration(body: &str) -> &str {
    let head = body.trim_start_matches('\u{feff}').trim_start();
    match head.strip_prefix("<?xml").and_then(|d| d.find("?>").map(|end| &d[end + 2..])) {
        Some(rest) => rest,
        None => body,
    }
}

/// Refuse what the parser should never see: an empty body, entity declarations, and nesting
/// deeper than [`MAX_DEPTH`].
fn check(body: &str, what: &str) -> Result<(), NetError> {
    let head = body.trim_start_matches('\u{feff}').trim_start();
    if head.is_empty() {
        return Err(malformed(what, "the feed is empty"));
    }
    if !head.starts_with('<') {
        // JSON Feed: serde_json bounds its own nesting.
        return Ok(());
    }
    if body.contains("<!ENTITY") {
        return Err(malformed(what, "the feed declares XML entities; refused (entity expansion)"));
    }
    if depth(body) > MAX_DEPTH {
        return Err(malformed(what, &format!("the feed nests elements deeper than {MAX_DEPTH} levels")));
    }
    Ok(())
}

/// The deepest element nesting of an XML text (comments, CDATA, declarations and processing
/// instructions skipped), counted in one pass without building anything.
fn depth(xml: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut rest = xml;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt..];
        if rest.starts_with("<!--") {
            rest = skip_to("-->", rest);
        } else if rest.starts_with("<![CDATA[") {
            rest = skip_to("]]>", rest);
        } else if rest.starts_with("<!") || rest.starts_with("<?") {
            rest = skip_to(">", rest);
        } else if rest.starts_with("</") {
            depth = depth.saturating_sub(1);
            rest = skip_to(">", rest);
        } else {
            let end = rest.find('>').unwrap_or(rest.len());
            if !rest[..end].ends_with('/') {
                depth += 1;
                deepest = deepest.max(depth);
            }
            rest = rest.get(end + 1..).unwrap_or("");
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::NetErrorKind;

    const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>News</title><language>en-us</language>
<item><title>First &amp; best</title><link>https://n.example/1</link><guid isPermaLink="false">g-1</guid>
<description>&lt;p&gt;Hello &lt;b&gt;world&lt;/b&gt;&lt;/p&gt;</description>
<pubDate>Thu, 01 Jan 2026 10:00:00 GMT</pubDate><category>cats</category></item>
<item><title>No guid</title><link>https://n.example/2</link></item>
<item><title>Neither</title></item>
</channel></rss>"#;

    #[test]
    fn rss_entries_keep_their_fields() {
        let p = parse(RSS, "GET /feed").unwrap();
        assert_eq!(p.title, "News");
        assert_eq!(p.entries.len(), 2, "the entry with neither guid nor link is skipped");
        let e = &p.entries[0];
        assert_eq!(
            (e.key.as_str(), e.title.as_str(), e.summary.as_str()),
            ("g-1", "First & best", "Hello world")
        );
        assert_eq!(e.link.as_deref(), Some("https://n.example/1"));
        assert_eq!((e.published, e.categories.clone()), (1_767_261_600, vec!["cats".to_string()]));
        assert_eq!(e.lang.as_deref(), Some("en-us"));
        assert_eq!(p.entries[1].key, "https://n.example/2");
    }

    #[test]
    fn atom_entries_parse() {
        let atom = r#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
<entry><id>urn:a:1</id><title type="html">&lt;i&gt;T&lt;/i&gt;</title><link href="https://a.example/1"/>
<updated>2026-01-01T10:00:00Z</updated><summary>S</summary></entry></feed>"#;
        let p = parse(atom, "GET /atom").unwrap();
        assert_eq!(p.entries[0].key, "urn:a:1");
        assert_eq!(p.entries[0].title, "T");
        assert_eq!(p.entries[0].published, 1_767_261_600);
    }

    #[test]
    fn hostile_bodies_are_one_malformed_line() {
        let nested = format!("<rss>{}{}</rss>", "<a>".repeat(10_000), "</a>".repeat(10_000));
        let laughs =
            r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><rss>&b;</rss>"#;
        for (body, words) in [
            ("", "empty"),
            (nested.as_str(), "deeper than 64"),
            (laughs, "entities"),
            ("<html><body>hi</body></html>", "not an RSS, Atom or JSON feed"),
        ] {
            let e = parse(body, "GET /f").unwrap_err();
            assert_eq!(e.kind, NetErrorKind::Malformed);
            assert!(e.message.contains(words) && !e.message.contains('\n'), "{}", e.message);
        }
    }

    #[test]
    fn categories_titles_and_links_of_recorded_feeds() {
        let atom = parse(include_str!("../../../fixtures/whole/feed_categories.atom"), "GET /a").unwrap();
        let e = &atom.entries[0];
        assert_eq!(
            (e.title.as_str(), e.link.as_deref()),
            ("Soup is a beverage", Some("https://soup.example/2026/12/beverage"))
        );
        // A term that is a URI gives way to its label.
        assert_eq!(e.categories, ["food", "open source", "hot takes"]);
        assert_eq!((e.author.as_deref(), e.lang.as_deref()), (Some("Carol"), Some("en")));
        let rss = parse(include_str!("../../../fixtures/whole/feed_categories.rss"), "GET /r").unwrap();
        assert_eq!(rss.entries[0].categories, ["food", "cold soups"]);
        assert_eq!(rss.entries[0].summary, "It is cold.");
    }

    #[test]
    fn a_windows_1251_feed_is_decoded() {
        let bytes = include_bytes!("../../../fixtures/whole/feed_cp1251.xml");
        let p = parse_bytes(bytes, Some("application/rss+xml"), "GET /ru").unwrap();
        assert_eq!(p.title, "Новости супа");
        let e = &p.entries[0];
        assert_eq!(
            (e.title.as_str(), e.summary.as_str()),
            ("Борщ признан напитком", "Щи да каша — пища наша.")
        );
        assert_eq!(e.categories, ["еда"]);
        // The same text given as text is not decoded a second time.
        let text = super::super::charset::decode(bytes, None, "GET /ru").unwrap();
        assert_eq!(parse(&text, "GET /ru").unwrap(), p);
    }

    #[test]
    fn depth_skips_comments_and_cdata() {
        assert_eq!(depth("<a><b/><c><![CDATA[<x><y><z>]]></c><!-- <q><r> --></a>"), 2);
    }
}
