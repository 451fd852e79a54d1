//! Text rules of the fake: URL/mention/hashtag scanning, X weighted length, Mastodon length,
//! Mastodon's HTML rendering, X's t.co wrapping and escaping, truncation and date formats.

use chrono::{DateTime, Utc};

/// A piece of post text after scanning for entities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Plain text.
    Text(String),
    /// A URL as written.
    Url(String),
    /// `@name` or `@name@domain`.
    Mention(String, Option<String>),
    /// `#tag` (without the `#`).
    Tag(String),
}

const TLDS: &[&str] = &[
    "com", "net", "org", "io", "co", "me", "ly", "info", "edu", "gov", "de", "uk", "fr", "jp", "app", "dev",
    "xyz", "social", "tv", "ai", "eu", "us", "ca", "nl", "it", "es", "be", "ch", "at", "se", "no", "fi",
    "dk", "pl", "ru", "br", "au", "in", "cn", "gg", "so", "to", "online", "site", "blog", "news",
];

fn looks_like_domain(t: &str) -> bool {
    if t.contains('@') {
        return false;
    }
    let host = t.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("");
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let label_ok = |l: &&str| {
        !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if !labels.iter().all(label_ok) {
        return false;
    }
    let tld = labels[labels.len() - 1].to_ascii_lowercase();
    TLDS.contains(&tld.as_str())
}

fn scheme_len(t: &str) -> usize {
    let lower = t.get(..8).unwrap_or(t).to_ascii_lowercase();
    if lower.starts_with("https://") {
        8
    } else if lower.starts_with("http://") {
        7
    } else {
        0
    }
}

/// Byte ranges of URLs in `text`: tokens starting with `http://` or `https://`, and with
/// `bare` also `domain.tld/...` for common TLDs (X counts those too). Trailing punctuation is
/// not part of a URL.
pub(crate) fn find_urls(text: &str, bare: bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let check = |s: usize, e: usize, out: &mut Vec<(usize, usize)>| {
        let tok = &text[s..e];
        let lead_trimmed = tok.trim_start_matches(['(', '"', '\'', '<', '[', '«', '“']);
        let lead = tok.len() - lead_trimmed.len();
        let t = lead_trimmed
            .trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '"', '\'', '>', ']', '…', '»', '”']);
        let sl = scheme_len(t);
        let ok =
            if sl > 0 { t.len() > sl && looks_like_host(&t[sl..]) } else { bare && looks_like_domain(t) };
        if ok {
            out.push((s + lead, s + lead + t.len()));
        }
    };
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                check(s, i, &mut out);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        check(s, text.len(), &mut out);
    }
    out
}

fn looks_like_host(rest: &str) -> bool {
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    !host.is_empty() && host.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'))
}

fn word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Split text into plain text, URLs, mentions and hashtags. `bare_urls` also detects
/// `domain.tld` URLs (X); `remote_mentions` reads `@name@domain` as one mention (Mastodon).
pub(crate) fn pieces(text: &str, bare_urls: bool, remote_mentions: bool) -> Vec<Piece> {
    let urls = find_urls(text, bare_urls);
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut ui = 0;
    let mut i = 0;
    let mut prev: Option<char> = None;
    let flush = |buf: &mut String, out: &mut Vec<Piece>| {
        if !buf.is_empty() {
            out.push(Piece::Text(std::mem::take(buf)));
        }
    };
    while i < text.len() {
        if ui < urls.len() && urls[ui].0 == i {
            flush(&mut buf, &mut out);
            out.push(Piece::Url(text[i..urls[ui].1].to_string()));
            i = urls[ui].1;
            ui += 1;
            prev = text[..i].chars().next_back();
            continue;
        }
        let c = text[i..].chars().next().unwrap_or(' ');
        let boundary = prev.is_none_or(|p| !(word_char(p) || matches!(p, '/' | '@' | '#' | '.')));
        if boundary && c == '@' {
            let rest = &text[i + 1..];
            let name_len = rest.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
            if name_len > 0 && ui_limit(&urls, ui, i + 1 + name_len) {
                let name = rest[..name_len].to_string();
                let mut end = i + 1 + name_len;
                let mut domain = None;
                if remote_mentions && text[end..].starts_with('@') {
                    let d = &text[end + 1..];
                    let dl = d
                        .bytes()
                        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
                        .count();
                    let dom = d[..dl].trim_end_matches(['.', '-']);
                    if dom.contains('.') && ui_limit(&urls, ui, end + 1 + dom.len()) {
                        domain = Some(dom.to_string());
                        end += 1 + dom.len();
                    }
                }
                let next = text[end..].chars().next();
                if !next.is_some_and(|n| word_char(n) || n == '@') {
                    flush(&mut buf, &mut out);
                    out.push(Piece::Mention(name, domain));
                    i = end;
                    prev = text[..i].chars().next_back();
                    continue;
                }
            }
        }
        if boundary && c == '#' {
            let rest = &text[i + 1..];
            let len: usize = rest.chars().take_while(|ch| word_char(*ch)).map(char::len_utf8).sum();
            let tag = &rest[..len];
            if len > 0 && !tag.chars().all(|ch| ch.is_ascii_digit()) && ui_limit(&urls, ui, i + 1 + len) {
                flush(&mut buf, &mut out);
                out.push(Piece::Tag(tag.to_string()));
                i += 1 + len;
                prev = text[..i].chars().next_back();
                continue;
            }
        }
        buf.push(c);
        prev = Some(c);
        i += c.len_utf8();
    }
    flush(&mut buf, &mut out);
    out
}

/// True when an entity ending at `end` does not run into the next URL.
fn ui_limit(urls: &[(usize, usize)], ui: usize, end: usize) -> bool {
    urls.get(ui).is_none_or(|u| end <= u.0)
}

fn is_emoji(u: u32) -> bool {
    (0x1F000..=0x1FAFF).contains(&u) || (0x2600..=0x27BF).contains(&u) || (0x2B00..=0x2BFF).contains(&u)
}

fn is_combining(u: u32) -> bool {
    (0x0300..=0x036F).contains(&u)
        || (0x1AB0..=0x1AFF).contains(&u)
        || (0x20D0..=0x20FF).contains(&u)
        || (0xFE20..=0xFE2F).contains(&u)
}

fn x_weight(u: u32) -> usize {
    let light = u <= 0x10FF
        || (0x2000..=0x200D).contains(&u)
        || (0x2010..=0x201F).contains(&u)
        || (0x2032..=0x2037).contains(&u);
    if light {
        1
    } else {
        2
    }
}

/// Count user-perceived characters (approximately: emoji sequences, flags and combining marks
/// are one), each weighted by `weight`.
fn count_clusters(s: &str, weight: impl Fn(u32, bool) -> usize) -> usize {
    let mut n = 0;
    let mut in_emoji = false;
    let mut after_zwj = false;
    let mut open_flag = false;
    let mut prev_any = false;
    for c in s.chars() {
        let u = c as u32;
        if after_zwj {
            after_zwj = false;
            in_emoji = true;
            continue;
        }
        if in_emoji && u == 0x200D {
            after_zwj = true;
            continue;
        }
        if in_emoji
            && (u == 0xFE0F
                || u == 0xFE0E
                || u == 0x20E3
                || (0x1F3FB..=0x1F3FF).contains(&u)
                || (0xE0020..=0xE007F).contains(&u))
        {
            continue;
        }
        if prev_any && is_combining(u) {
            continue;
        }
        let regional = (0x1F1E6..=0x1F1FF).contains(&u);
        if regional && open_flag {
            open_flag = false;
            continue;
        }
        open_flag = regional;
        let emoji = is_emoji(u);
        n += weight(u, emoji);
        in_emoji = emoji;
        prev_any = true;
    }
    n
}

/// X's weighted length (twitter-text v3, approximated): URLs 23, emoji sequences 2, characters
/// in U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F, U+2032–U+2037 weigh 1, all others 2.
pub(crate) fn x_weighted_len(text: &str) -> usize {
    let mut total = 0;
    let mut pos = 0;
    for (s, e) in find_urls(text, true) {
        total += count_clusters(&text[pos..s], |u, emoji| if emoji { 2 } else { x_weight(u) }) + 23;
        pos = e;
    }
    total + count_clusters(&text[pos..], |u, emoji| if emoji { 2 } else { x_weight(u) })
}

/// Mastodon's length: user-perceived characters (approximated), every `http(s)://` URL 23,
/// `@user@domain` counted as `@user`.
pub(crate) fn mastodon_len(text: &str) -> usize {
    let mut total = 0;
    for p in pieces(text, false, true) {
        total += match p {
            Piece::Text(t) => count_clusters(&t, |_, _| 1),
            Piece::Url(_) => 23,
            Piece::Mention(name, _) => 1 + name.chars().count(),
            Piece::Tag(t) => 1 + count_clusters(&t, |_, _| 1),
        };
    }
    total
}

/// Escape `<>&"'` the way Mastodon's HTML does.
pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escape `&`, `<` and `>` the way X's `text` fields do (X never escapes quotes).
pub(crate) fn x_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn link_html(url: &str) -> String {
    let sl = scheme_len(url);
    let www = url[sl..].get(..4).is_some_and(|w| w.eq_ignore_ascii_case("www."));
    let cut = if www { sl + 4 } else { sl };
    let (prefix, rest) = url.split_at(cut);
    let display: String = rest.chars().take(30).collect();
    let suffix = &rest[display.len()..];
    let class = if rest.chars().count() > 30 { "ellipsis" } else { "" };
    format!(
        "<a href=\"{}\" rel=\"nofollow noopener\" target=\"_blank\"><span class=\"invisible\">{}</span><span class=\"{}\">{}</span><span class=\"invisible\">{}</span></a>",
        html_escape(url),
        html_escape(prefix),
        class,
        html_escape(&display),
        html_escape(suffix)
    )
}

/// Render post source text as Mastodon's status `content` HTML: `<p>` paragraphs (a blank
/// line starts a new one), `<br />` for single newlines, escaped text, linked URLs, mentions
/// (`h-card`) and hashtags. `host` is the local instance (`127.0.0.1:PORT`).
pub(crate) fn mastodon_html(text: &str, host: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut body = String::new();
    for p in pieces(text.trim_matches('\n'), false, true) {
        match p {
            Piece::Text(t) => body.push_str(&html_escape(&t)),
            Piece::Url(u) => body.push_str(&link_html(&u)),
            Piece::Mention(name, domain) => {
                let href = match &domain {
                    Some(d) => format!("https://{d}/@{name}"),
                    None => format!("http://{host}/@{name}"),
                };
                body.push_str(&format!(
                    "<span class=\"h-card\"><a href=\"{}\" class=\"u-url mention\">@<span>{}</span></a></span>",
                    html_escape(&href),
                    html_escape(&name)
                ));
            }
            Piece::Tag(t) => body.push_str(&format!(
                "<a href=\"http://{}/tags/{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>",
                html_escape(host),
                html_escape(&t.to_lowercase()),
                html_escape(&t)
            )),
        }
    }
    let mut out = String::from("<p>");
    let mut newlines = 0;
    for c in body.chars() {
        if c == '\n' {
            newlines += 1;
            continue;
        }
        match newlines {
            0 => {}
            1 => out.push_str("<br />"),
            _ => out.push_str("</p><p>"),
        }
        newlines = 0;
        out.push(c);
    }
    out.push_str("</p>");
    out
}

/// A URL entity of an X post (indices in characters of the rendered text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct XUrl {
    /// First character.
    pub start: usize,
    /// One past the last character.
    pub end: usize,
    /// The t.co link that replaced the URL in the text.
    pub tco: String,
    /// The URL as posted.
    pub expanded: String,
    /// Shortened form for display.
    pub display: String,
}

/// Post text as X returns it: URLs replaced by t.co links, plus the entities found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct XText {
    /// Text with t.co links, not yet `&amp;`-escaped.
    pub text: String,
    /// URL entities.
    pub urls: Vec<XUrl>,
    /// Mentions: start, end, username.
    pub mentions: Vec<(usize, usize, String)>,
    /// Hashtags: start, end, tag.
    pub tags: Vec<(usize, usize, String)>,
}

fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A stable t.co link for a URL.
pub(crate) fn tco(url: &str) -> String {
    const ALPHA: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut h = fnv(url);
    let mut code = String::new();
    for _ in 0..10 {
        code.push(ALPHA[(h % 62) as usize] as char);
        h /= 62;
        if h == 0 {
            h = fnv(&code);
        }
    }
    format!("https://t.co/{code}")
}

/// Render text the X way: URLs become t.co links, entities are located (char indices).
pub(crate) fn x_render(text: &str) -> XText {
    let mut out = XText::default();
    let mut pos = 0;
    for p in pieces(text, true, false) {
        match p {
            Piece::Text(t) => {
                pos += t.chars().count();
                out.text.push_str(&t);
            }
            Piece::Url(u) => {
                let link = tco(&u);
                let len = link.chars().count();
                let bare = &u[scheme_len(&u)..];
                let display = if bare.chars().count() > 26 {
                    format!("{}…", bare.chars().take(26).collect::<String>())
                } else {
                    bare.to_string()
                };
                let expanded = if scheme_len(&u) == 0 { format!("http://{u}") } else { u.clone() };
                out.urls.push(XUrl { start: pos, end: pos + len, tco: link.clone(), expanded, display });
                out.text.push_str(&link);
                pos += len;
            }
            Piece::Mention(name, _) => {
                let len = 1 + name.chars().count();
                out.mentions.push((pos, pos + len, name.clone()));
                out.text.push('@');
                out.text.push_str(&name);
                pos += len;
            }
            Piece::Tag(t) => {
                let len = 1 + t.chars().count();
                out.tags.push((pos, pos + len, t.clone()));
                out.text.push('#');
                out.text.push_str(&t);
                pos += len;
            }
        }
    }
    out
}

impl XText {
    /// Keep the first `n` characters of the text and the entities that fit entirely.
    pub(crate) fn cut(&self, n: usize) -> XText {
        XText {
            text: self.text.chars().take(n).collect(),
            urls: self.urls.iter().filter(|u| u.end <= n).cloned().collect(),
            mentions: self.mentions.iter().filter(|m| m.1 <= n).cloned().collect(),
            tags: self.tags.iter().filter(|m| m.1 <= n).cloned().collect(),
        }
    }

    /// Prefix the text with `p` (shifting entities).
    pub(crate) fn prefixed(&self, p: &XText) -> XText {
        let shift = p.text.chars().count();
        let mut out = p.clone();
        out.text.push_str(&self.text);
        out.urls.extend(self.urls.iter().map(|u| XUrl {
            start: u.start + shift,
            end: u.end + shift,
            ..u.clone()
        }));
        out.mentions.extend(self.mentions.iter().map(|m| (m.0 + shift, m.1 + shift, m.2.clone())));
        out.tags.extend(self.tags.iter().map(|m| (m.0 + shift, m.1 + shift, m.2.clone())));
        out
    }

    /// Number of characters.
    pub(crate) fn len(&self) -> usize {
        self.text.chars().count()
    }
}

/// The retweet form of a post: `RT @author: text`, cut to 140 characters with `…` like X does.
pub(crate) fn x_retweet(author: &str, original: &XText) -> XText {
    let prefix = x_render(&format!("RT @{author}: "));
    let full = original.prefixed(&prefix);
    if full.len() <= 140 {
        return full;
    }
    let mut cut = full.cut(139);
    cut.text.push('…');
    cut
}

/// Twitter's v1.1 `created_at`: `Wed Oct 10 20:19:24 +0000 2018`.
pub(crate) fn twitter_date(ts: i64) -> String {
    fmt(ts, "%a %b %d %H:%M:%S +0000 %Y")
}

/// ISO 8601 with milliseconds (X v2 and Mastodon `created_at`): `2026-01-01T10:00:00.000Z`.
pub(crate) fn iso_millis(ts: i64) -> String {
    fmt(ts, "%Y-%m-%dT%H:%M:%S.000Z")
}

/// ISO 8601 with microseconds (Mastodon's `X-RateLimit-Reset`).
pub(crate) fn iso_micros(ts: i64) -> String {
    fmt(ts, "%Y-%m-%dT%H:%M:%S.000000Z")
}

/// HTTP `Date` header format: `Wed, 21 Oct 2015 07:28:00 GMT`.
pub(crate) fn http_date(ts: i64) -> String {
    fmt(ts, "%a, %d %b %Y %H:%M:%S GMT")
}

fn fmt(ts: i64, f: &str) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0).unwrap_or_default().format(f).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_length_conformance() {
        assert_eq!(x_weighted_len(&"https://www.twitter.com/aloha ".repeat(10)), 240);
        assert_eq!(x_weighted_len(&"の".repeat(140)), 280);
        assert_eq!(x_weighted_len(&"の".repeat(160)), 320);
        assert_eq!(x_weighted_len("ÁB"), 2);
        assert_eq!(x_weighted_len("Test https://test.com test https://test.com test.com test"), 86);
        assert_eq!(x_weighted_len("Unicode 9.0 emoji: 🤠; 💃; 💃🏾"), 29);
        assert_eq!(x_weighted_len(&"👨‍👩‍👧‍👦".repeat(140)), 280);
        assert_eq!(x_weighted_len("🇩🇪"), 2);
        assert_eq!(x_weighted_len("hello, world."), 13);
        assert_eq!(x_weighted_len("“quoted” — dash"), 15);
    }

    #[test]
    fn mastodon_length() {
        assert_eq!(mastodon_len("hello"), 5);
        assert_eq!(mastodon_len("see https://example.com/a/very/long/path/indeed/yes"), 4 + 23);
        assert_eq!(mastodon_len("hi @bob@example.social!"), 3 + 4 + 1);
        assert_eq!(mastodon_len("example.com"), 11);
        assert_eq!(mastodon_len("👨‍👩‍👧‍👦 x"), 3);
    }

    #[test]
    fn url_scanning() {
        let t = "a (https://x.com/p?q=1). b example.org/x, c foo.bar mail@x.com";
        let urls: Vec<&str> = find_urls(t, true).iter().map(|(s, e)| &t[*s..*e]).collect();
        assert_eq!(urls, vec!["https://x.com/p?q=1", "example.org/x"]);
        let urls: Vec<&str> = find_urls(t, false).iter().map(|(s, e)| &t[*s..*e]).collect();
        assert_eq!(urls, vec!["https://x.com/p?q=1"]);
        assert!(find_urls("https:// nothing", false).is_empty());
    }

    #[test]
    fn mastodon_html_rendering() {
        assert_eq!(
            mastodon_html("a < b & \"c\" 'd'", "h"),
            "<p>a &lt; b &amp; &quot;c&quot; &#39;d&#39;</p>"
        );
        assert_eq!(mastodon_html("one\ntwo\n\nthree", "h"), "<p>one<br />two</p><p>three</p>");
        assert_eq!(
            mastodon_html("see https://example.com/x", "h"),
            "<p>see <a href=\"https://example.com/x\" rel=\"nofollow noopener\" target=\"_blank\"><span class=\"invisible\">https://</span><span class=\"\">example.com/x</span><span class=\"invisible\"></span></a></p>"
        );
        assert_eq!(
            mastodon_html("https://www.example.com/0123456789012345678901234567890", "h"),
            "<p><a href=\"https://www.example.com/0123456789012345678901234567890\" rel=\"nofollow noopener\" target=\"_blank\"><span class=\"invisible\">https://www.</span><span class=\"ellipsis\">example.com/012345678901234567</span><span class=\"invisible\">8901234567890</span></a></p>"
        );
        assert_eq!(
            mastodon_html("hi @bob and @amy@other.social", "127.0.0.1:9"),
            "<p>hi <span class=\"h-card\"><a href=\"http://127.0.0.1:9/@bob\" class=\"u-url mention\">@<span>bob</span></a></span> and <span class=\"h-card\"><a href=\"https://other.social/@amy\" class=\"u-url mention\">@<span>amy</span></a></span></p>"
        );
        assert_eq!(
            mastodon_html("#Rust and #42", "h"),
            "<p><a href=\"http://h/tags/rust\" class=\"mention hashtag\" rel=\"tag\">#<span>Rust</span></a> and #42</p>"
        );
        assert_eq!(mastodon_html("mail me: a@b.com", "h"), "<p>mail me: a@b.com</p>");
    }

    #[test]
    fn x_rendering_and_retweets() {
        let r = x_render("Read https://example.com/a & tell @bob #news");
        assert!(r.text.starts_with("Read https://t.co/"));
        assert_eq!(r.urls.len(), 1);
        assert_eq!(r.urls[0].start, 5);
        assert_eq!(r.urls[0].end, 28);
        assert_eq!(r.urls[0].expanded, "https://example.com/a");
        assert_eq!(r.mentions, vec![(36, 40, "bob".to_string())]);
        assert_eq!(r.tags, vec![(41, 46, "news".to_string())]);
        assert_eq!(x_escape("a&b<c>\"'"), "a&amp;b&lt;c&gt;\"'");
        let long = x_render(&"word ".repeat(40));
        let rt = x_retweet("amy", &long);
        assert_eq!(rt.len(), 140);
        assert!(rt.text.starts_with("RT @amy: word"));
        assert!(rt.text.ends_with('…'));
        assert_eq!(rt.mentions[0], (3, 7, "amy".to_string()));
        assert_eq!(x_retweet("amy", &x_render("short")).text, "RT @amy: short");
    }

    #[test]
    fn dates() {
        assert_eq!(twitter_date(1539202764), "Wed Oct 10 20:19:24 +0000 2018");
        assert_eq!(iso_millis(1539202764), "2018-10-10T20:19:24.000Z");
        assert_eq!(iso_micros(1539202764), "2018-10-10T20:19:24.000000Z");
        assert_eq!(http_date(1445412480), "Wed, 21 Oct 2015 07:28:00 GMT");
    }
}
