//! The fake's feeds: any path set with [`super::FakeNet::set_feed`] is served as an RSS / Atom
//! document the way a well-behaved web server does: with an `ETag` (a hash of the body) and a
//! `Last-Modified` (when the body was set), answering `304 Not Modified` with no body to a GET
//! whose `If-None-Match` (or, without one, `If-Modified-Since`) matches. A test makes hostile
//! variants by setting such bodies ([`rss`], [`nested`], [`billion_laughs`]) or raw bytes in
//! another encoding.

use super::handle::Ctx;
use super::server::Response;
use super::text::http_date;

/// One served document.
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    /// The bytes as served.
    pub body: Vec<u8>,
    /// `ETag`, quoted.
    pub etag: String,
    /// `Last-Modified`, an HTTP date.
    pub last_modified: String,
    /// The `Content-Type`.
    pub content_type: String,
}

impl Doc {
    /// A document set at `now`.
    pub(crate) fn new(body: Vec<u8>, now: i64) -> Doc {
        let h = body
            .iter()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3));
        Doc {
            body,
            etag: format!("\"{h:016x}\""),
            last_modified: http_date(now),
            content_type: "application/rss+xml; charset=utf-8".into(),
        }
    }
}

/// Answer a GET of a feed path, if the path is one.
pub(crate) fn handle(ctx: &mut Ctx<'_>) -> Option<Response> {
    let doc = ctx.st.feeds.get(&ctx.req.path)?;
    if ctx.req.method != "GET" {
        return Some(Response::typed(405, "text/plain", "GET only"));
    }
    let fresh = match (ctx.req.header("if-none-match"), ctx.req.header("if-modified-since")) {
        (Some(tag), _) => tag.split(',').any(|t| t.trim() == doc.etag),
        (None, Some(since)) => since == doc.last_modified,
        (None, None) => false,
    };
    let resp = if fresh {
        Response::typed(304, &doc.content_type, Vec::new())
    } else {
        Response::typed(200, &doc.content_type, doc.body.clone())
    };
    Some(resp.with("ETag", doc.etag.clone()).with("Last-Modified", doc.last_modified.clone()))
}

/// One RSS item for [`rss`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Item {
    /// `<guid>`; empty for none.
    pub guid: String,
    /// `<title>`.
    pub title: String,
    /// `<link>`; empty for none.
    pub link: String,
    /// `<description>` (HTML, escaped into the XML here).
    pub description: String,
    /// `<pubDate>` as Unix seconds; 0 for none.
    pub published: i64,
}

impl Item {
    /// An item with a guid, a title, a link under `https://news.example/` and a date.
    pub fn new(guid: &str, title: &str, published: i64) -> Item {
        Item {
            guid: guid.to_string(),
            title: title.to_string(),
            link: format!("https://news.example/{guid}"),
            description: String::new(),
            published,
        }
    }
}

/// Escape text for XML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// An RSS 2.0 document with these items, in this order.
pub fn rss(title: &str, items: &[Item]) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>{}</title><link>https://news.example/</link><description>fake</description><language>en</language>\n",
        esc(title)
    );
    for i in items {
        out.push_str("<item>");
        if !i.guid.is_empty() {
            out.push_str(&format!("<guid isPermaLink=\"false\">{}</guid>", esc(&i.guid)));
        }
        out.push_str(&format!("<title>{}</title>", esc(&i.title)));
        if !i.link.is_empty() {
            out.push_str(&format!("<link>{}</link>", esc(&i.link)));
        }
        if !i.description.is_empty() {
            out.push_str(&format!("<description>{}</description>", esc(&i.description)));
        }
        if i.published > 0 {
            let date = chrono::DateTime::from_timestamp(i.published, 0).unwrap_or_default();
            out.push_str(&format!("<pubDate>{}</pubDate>", date.format("%a, %d %b %Y %H:%M:%S GMT")));
        }
        out.push_str("</item>\n");
    }
    out.push_str("</channel></rss>\n");
    out
}

/// An RSS document whose one item holds `depth` nested elements.
pub fn nested(depth: usize) -> String {
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>deep</title><item><guid>d</guid><title>t</title>{}{}</item></channel></rss>",
        "<x>".repeat(depth),
        "</x>".repeat(depth)
    )
}

/// The "billion laughs": ten levels of entities, each ten of the one before.
pub fn billion_laughs() -> String {
    let mut dtd = String::from("<!ENTITY lol0 \"lol\">");
    for i in 1..10 {
        let refs = format!("&lol{};", i - 1).repeat(10);
        dtd.push_str(&format!("<!ENTITY lol{i} \"{refs}\">"));
    }
    format!(
        "<?xml version=\"1.0\"?><!DOCTYPE rss [{dtd}]><rss version=\"2.0\"><channel><title>lol</title><item><guid>l</guid><title>&lol9;</title></item></channel></rss>"
    )
}
