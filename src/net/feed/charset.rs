//! A feed's bytes as text. Feeds come in many encodings (windows-1251 and KOI8-R in Russia,
//! ISO-8859-1 in old blogs, UTF-16 now and then); each is decoded with the
//! [`encoding_rs`](https://crates.io/crates/encoding_rs) crate, the WHATWG decoders browsers
//! use (already in the tree through `quick-xml`), never refused for not being UTF-8.
//!
//! Which encoding, in XML's order (RFC 7303 §3.2 and XML 1.0 Appendix F):
//! 1. a byte-order mark (UTF-8, UTF-16);
//! 2. the `charset` of the `Content-Type` header, except a UTF-8 the bytes are not: servers
//!    often send their default `charset=utf-8` with a document that declares its own encoding;
//! 3. the `encoding` of the XML declaration (`<?xml version="1.0" encoding="windows-1251"?>`);
//! 4. UTF-8.
//!
//! Bytes that are not valid in the encoding chosen are malformed (one line, exit 65): a text
//! with holes in it is never cached.

use crate::net::http::{malformed, one_line};
use crate::net::NetError;
use encoding_rs::{Encoding, UTF_8};

/// Decode a feed's `bytes`, fetched by `what` with this `Content-Type`, into text.
pub fn decode(bytes: &[u8], content_type: Option<&str>, what: &str) -> Result<String, NetError> {
    if let Some((enc, bom)) = Encoding::for_bom(bytes) {
        return strict(enc, &bytes[bom..]).ok_or_else(|| invalid(enc, what));
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]);
    let labels = [content_type.and_then(charset), declared_encoding(head.trim_start())];
    let mut labels = labels.into_iter().flatten().peekable();
    while let Some(label) = labels.next() {
        let enc = Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| {
            malformed(what, &format!("the feed's encoding {:?} is not one farm knows", one_line(&label, 40)))
        })?;
        match strict(enc, bytes) {
            Some(text) => return Ok(text),
            // A server's `charset=utf-8` that the bytes are not: the document's own word next.
            None if enc == UTF_8 && labels.peek().is_some() => continue,
            None => return Err(invalid(enc, what)),
        }
    }
    strict(UTF_8, bytes).ok_or_else(|| {
        malformed(
            what,
            "the feed is not valid UTF-8 and names no other encoding (Content-Type or <?xml encoding?>)",
        )
    })
}

/// The text of `bytes` in `enc`, or `None` when they are not valid in it.
fn strict(enc: &'static Encoding, bytes: &[u8]) -> Option<String> {
    enc.decode_without_bom_handling_and_without_replacement(bytes).map(|t| t.into_owned())
}

/// The error for bytes that are not valid in `enc`.
fn invalid(enc: &'static Encoding, what: &str) -> NetError {
    malformed(what, &format!("the feed is not valid {}", enc.name()))
}

/// The `charset` parameter of a `Content-Type` (`text/xml; charset="windows-1251"`).
fn charset(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(['"', '\'']).to_string())
    })
}

/// The `encoding` of an XML declaration at the start of `head`
/// (`<?xml version="1.0" encoding="ISO-8859-1"?>`), lowercased.
pub fn declared_encoding(head: &str) -> Option<String> {
    let decl = head.strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let rest = &decl[decl.find("encoding")? + "encoding".len()..];
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Кошка` in windows-1251.
    const KOSHKA_1251: &[u8] = b"\xca\xee\xf8\xea\xe0";

    fn rss(encoding: &str, title: &[u8]) -> Vec<u8> {
        let mut doc =
            format!("<?xml version=\"1.0\" encoding=\"{encoding}\"?><rss><channel><title>").into_bytes();
        doc.extend_from_slice(title);
        doc.extend_from_slice(b"</title></channel></rss>");
        doc
    }

    #[test]
    fn the_declared_encoding_decodes() {
        let text = decode(&rss("windows-1251", KOSHKA_1251), None, "GET /f").unwrap();
        assert!(text.contains("<title>Кошка</title>"), "{text}");
        let text = decode(&rss("ISO-8859-1", b"caf\xe9"), Some("application/rss+xml"), "GET /f").unwrap();
        assert!(text.contains("café"), "{text}");
    }

    #[test]
    fn the_header_wins_unless_it_says_utf8_wrongly() {
        // The header names the encoding of a document that declares none.
        let bare = b"<rss><channel><title>\xca\xee\xf8\xea\xe0</title></channel></rss>";
        let text = decode(bare, Some("text/xml; charset=\"windows-1251\""), "GET /f").unwrap();
        assert!(text.contains("Кошка"), "{text}");
        // A server default `charset=utf-8` on a windows-1251 document: the declaration decides.
        let text =
            decode(&rss("windows-1251", KOSHKA_1251), Some("text/xml; charset=UTF-8"), "GET /f").unwrap();
        assert!(text.contains("Кошка"), "{text}");
        // A byte-order mark beats both.
        let mut utf16 = vec![0xff, 0xfe];
        utf16.extend("<rss>Кот</rss>".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode(&utf16, Some("text/xml; charset=latin1"), "GET /f").unwrap(), "<rss>Кот</rss>");
    }

    #[test]
    fn bytes_that_fit_no_encoding_are_one_malformed_line() {
        for (body, ct, words) in [
            (b"<rss>caf\xe9</rss>".to_vec(), None, "not valid UTF-8 and names no other encoding"),
            (rss("utf-8", b"\xff\xfe\xfd"), None, "not valid UTF-8"),
            (rss("x-klingon", b"a"), None, "\"x-klingon\" is not one farm knows"),
            // A lead byte with no trail byte.
            (rss("shift_jis", b"\x81"), None, "not valid Shift_JIS"),
        ] {
            let e = decode(&body, ct, "GET /f").unwrap_err();
            assert_eq!(e.kind, crate::net::NetErrorKind::Malformed);
            assert!(e.message.contains(words) && !e.message.contains('\n'), "{}", e.message);
        }
    }

    #[test]
    fn declarations_and_charsets_are_read() {
        assert_eq!(
            declared_encoding("<?xml version='1.0' encoding='KOI8-R' ?><rss/>").as_deref(),
            Some("koi8-r")
        );
        assert_eq!(declared_encoding("<?xml version=\"1.0\"?><rss/>"), None);
        assert_eq!(declared_encoding("<rss/>"), None);
        assert_eq!(charset("application/rss+xml; Charset=ISO-8859-1").as_deref(), Some("ISO-8859-1"));
        assert_eq!(charset("application/rss+xml"), None);
    }
}
