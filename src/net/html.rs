//! HTML to plain text for Mastodon post bodies, and HTML entity decoding (X escapes `&`, `<`
//! and `>` in post text too).
//!
//! Mastodon sends a post's `content` as a small, sanitised subset of HTML: `<p>`, `<br>`, `<a>`
//! and `<span>`. Links are written as
//! `<a href="…"><span class="invisible">https://</span><span class="ellipsis">example.com/lo</span><span class="invisible">ng</span></a>`:
//! the browser hides the invisible parts with CSS. Keeping the text of every span (and dropping
//! only the tags) gives back the URL exactly as the author wrote it.

/// Turn Mastodon's HTML `content` into plain text.
///
/// `<br>` becomes a newline, a paragraph break (`</p><p>`) a blank line, every other tag is
/// dropped while its text is kept (so links read as written, mentions as `@name`), and entities
/// are decoded. Leading and trailing whitespace is trimmed.
///
/// An element of class `quote-inline` is left out with its text: it is the "RE: <link>"
/// fallback Mastodon (and other servers) put into a quote post for clients that cannot show
/// quotes, not what the author wrote.
pub fn to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    // The name and nesting depth of a `quote-inline` element being left out.
    let mut skip: Option<(String, usize)> = None;
    while let Some(lt) = rest.find('<') {
        if skip.is_none() {
            out.push_str(&decode_entities(&rest[..lt]));
        }
        let after = &rest[lt + 1..];
        let Some(gt) = after.find('>') else {
            // A lone `<` that opens no tag: keep it as text.
            if skip.is_none() {
                out.push_str(&decode_entities(&rest[lt..]));
            }
            rest = "";
            break;
        };
        let tag = &after[..gt];
        rest = &after[gt + 1..];
        let name = tag_name(tag);
        if let Some((open, depth)) = &mut skip {
            if name.strip_prefix('/') == Some(open.as_str()) {
                *depth -= 1;
                if *depth == 0 {
                    skip = None;
                }
            } else if name == *open && !tag.ends_with('/') {
                *depth += 1;
            }
            continue;
        }
        if !name.starts_with('/') && !tag.ends_with('/') && has_class(tag, "quote-inline") {
            skip = Some((name, 1));
            continue;
        }
        match name.as_str() {
            "br" => out.push('\n'),
            "/p" => out.push_str("\n\n"),
            // A paragraph that follows text without a closing `</p>` still starts a new block.
            "p" if !out.is_empty() && !out.ends_with("\n\n") => {
                out.push_str(if out.ends_with('\n') { "\n" } else { "\n\n" });
            }
            _ => {}
        }
    }
    if skip.is_none() {
        out.push_str(&decode_entities(rest));
    }
    out.trim().to_string()
}

/// Whether a tag (the text between `<` and `>`) has `class` among its `class` attribute's
/// words.
fn has_class(tag: &str, class: &str) -> bool {
    let Some(i) = tag.find("class=") else { return false };
    let value = &tag[i + "class=".len()..];
    let value = match value.chars().next() {
        Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or_default(),
        _ => value.split_whitespace().next().unwrap_or_default(),
    };
    value.split_whitespace().any(|c| c == class)
}

/// The lower-case name of a tag from the text between `<` and `>`, with a leading `/` for a
/// closing tag: `p`, `/p`, `br`, `a`, `/span`.
fn tag_name(tag: &str) -> String {
    let tag = tag.trim();
    let (slash, body) = match tag.strip_prefix('/') {
        Some(b) => ("/", b.trim_start()),
        None => ("", tag),
    };
    let name: String =
        body.chars().take_while(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
    format!("{slash}{name}")
}

/// Decode HTML entities: `&amp; &lt; &gt; &quot; &#39; &apos; &nbsp;`, decimal `&#NNN;` and
/// hexadecimal `&#xHH;`. Anything else (an unknown name, a bad number) is left as written.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        // Entities are short; a `;` further away than 10 bytes is not the end of one.
        let decoded = after.find(';').filter(|&semi| semi > 0 && semi <= 10).and_then(|semi| {
            let c = entity(&after[..semi])?;
            Some((c, semi))
        });
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The character for one entity body (the text between `&` and `;`).
fn entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse::<u32>().ok()?,
            };
            char::from_u32(code).filter(|&c| c != '\0')
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_and_breaks() {
        assert_eq!(
            to_text("<p>one</p><p>two<br>three<br/>four<br />five</p>"),
            "one\n\ntwo\nthree\nfour\nfive"
        );
        assert_eq!(to_text("<p>only</p>"), "only");
        assert_eq!(to_text("plain text"), "plain text");
        assert_eq!(to_text(""), "");
        assert_eq!(to_text("<P>Upper</P><P>Case</P>"), "Upper\n\nCase");
    }

    #[test]
    fn links_read_as_written() {
        let html = r#"<p>see <a href="https://example.com/a/long/path" rel="nofollow noopener noreferrer" target="_blank"><span class="invisible">https://</span><span class="ellipsis">example.com/a/lo</span><span class="invisible">ng/path</span></a> now</p>"#;
        assert_eq!(to_text(html), "see https://example.com/a/long/path now");
    }

    #[test]
    fn mentions_and_hashtags_keep_their_text() {
        let html = r##"<p><span class="h-card"><a href="https://m.example/@bob" class="u-url mention">@<span>bob</span></a></span> hi <a href="https://m.example/tags/rust" class="mention hashtag" rel="tag">#<span>rust</span></a></p>"##;
        assert_eq!(to_text(html), "@bob hi #rust");
    }

    #[test]
    fn a_quote_posts_fallback_paragraph_is_left_out() {
        // Mastodon 4.5: the paragraph, nested spans and all, goes; the author's words stay.
        let html = r#"<p class="quote-inline">RE: <a href="https://m.example/@a/1"><span class="invisible">https://</span><span class="">m.example/@a/1</span></a></p><p>So true.</p>"#;
        assert_eq!(to_text(html), "So true.");
        let span =
            r#"<p>Agreed<span class='quote-inline'><br>RE: <span><span>x</span></span></span> here</p>"#;
        assert_eq!(to_text(span), "Agreed here");
        // The word in a link or in the text is no class.
        let link = r#"<p><a href="https://e.example/quote-inline">quote-inline</a></p>"#;
        assert_eq!(to_text(link), "quote-inline");
        // Never closed: the rest is left out, nothing breaks.
        assert_eq!(to_text(r#"<p>a</p><p class="quote-inline">RE: b"#), "a");
    }

    #[test]
    fn entities() {
        assert_eq!(to_text("<p>a &amp; b &lt;c&gt; &quot;d&quot; it&#39;s</p>"), "a & b <c> \"d\" it's");
        assert_eq!(decode_entities("&#1087;&#x440;&#X438;"), "при");
        assert_eq!(decode_entities("AT&T &unknown; & &;"), "AT&T &unknown; & &;");
        assert_eq!(decode_entities("&#xZZ; &#0; &#99999999;"), "&#xZZ; &#0; &#99999999;");
        assert_eq!(decode_entities("fish &amp;amp; chips"), "fish &amp; chips");
    }

    #[test]
    fn stray_angle_brackets() {
        assert_eq!(to_text("1 < 2"), "1 < 2");
        assert_eq!(to_text("<p>x</p>tail"), "x\n\ntail");
    }
}
