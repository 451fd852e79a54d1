//! Platform length rules: how X, Mastodon and Bluesky count the length of a post.
//!
//! * **X** counts the twitter-text *weighted length* (`parseTweet` of the official
//!   twitter-text libraries): the text is NFC-normalised, every URL (with or without a scheme,
//!   by twitter-text's URL extraction rules) weighs `transformedURLLength` (23), every emoji
//!   sequence weighs `defaultWeight` when `emojiParsingEnabled` (v3), every other code point
//!   weighs the weight of the configured range it falls in (Latin and general punctuation: 1)
//!   or `defaultWeight` (CJK, most other scripts: 2). See [`parse_tweet`] and [`x_length`].
//! * **Mastodon** counts extended grapheme clusters, every URL (with a scheme) as the instance's
//!   `characters_reserved_per_url` (23) and every `@user@domain` mention as `@user`
//!   (`StatusLengthValidator`). See [`mastodon_length`].
//! * **Bluesky** counts extended grapheme clusters (at most 300) and UTF-8 bytes (at most
//!   3,000), URLs in full. See [`bluesky_length`].
//!
//! Everything is written out here (no regex engine, no twitter-text crate): the URL scanner
//! follows the twitter-text JS `extractUrlsWithIndices` rules (valid preceding character,
//! sub-domains, TLD list, port, path with balanced parentheses, query, punycode label
//! lengths, `t.co` slugs), and the emoji scanner follows twemoji-parser's sequences (keycaps,
//! flags, modifier sequences, tag sequences, ZWJ sequences) using Unicode 14 property tables.
//! `tests/twitter_text_conformance.rs` runs the upstream conformance suite against it.
//!
//! Layout: `twitter` (weighted length and its configurations), `mastodon` (grapheme count
//! and mentions), the scanners `url` and `emoji`, and their Unicode/TLD `tables`.

mod emoji;
mod mastodon;
mod tables;
mod twitter;
mod url;

pub use mastodon::mastodon_length;
pub use twitter::{parse_tweet, x_length, ParseResult, TwitterConfig, WeightRange, X_MAX};
use url::{scan_urls, UrlMode};

use std::ops::Range;

use crate::net::{LengthRule, PlatformKind};

/// The length of `text` in the units of `kind`'s rule: X kinds count [`x_length`], Mastodon
/// counts [`mastodon_length`] with `rule.url_len`.
pub fn count(text: &str, rule: LengthRule, kind: PlatformKind) -> usize {
    match kind {
        PlatformKind::X | PlatformKind::XV1 => x_length(text),
        // A feed or a corpus never posts; its texts are measured like Mastodon's.
        PlatformKind::Mastodon | PlatformKind::Feed | PlatformKind::Corpus => {
            mastodon_length(text, rule.url_len)
        }
        PlatformKind::Bluesky => bluesky_length(text),
    }
}

/// `text` cut at the end of a word so that, with "…" after it, it fits `rule` on `kind`; `text`
/// itself when it fits already; `None` when not even its first word fits. A link is one word,
/// so it is never cut, and an ellipsis after one is set apart by a space (a network would take it
/// into the link); punctuation left hanging before the cut (`,`, `;`, `:`, a dash) goes.
pub fn cut(text: &str, rule: LengthRule, kind: PlatformKind) -> Option<String> {
    if count(text, rule, kind) <= rule.max {
        return Some(text.to_string());
    }
    let ends = word_ends(text);
    let shortened = |end: usize| {
        let head = text[..end].trim_end_matches(|c: char| c.is_whitespace() || ",;:-–—".contains(c));
        let last = head.rsplit(char::is_whitespace).next().unwrap_or("");
        let link = last.contains("://") || last.starts_with("www.");
        format!("{head}{}…", if link { " " } else { "" })
    };
    // A longer prefix never counts less, so the ends that fit come first.
    let fitting = ends.partition_point(|&e| count(&shortened(e), rule, kind) <= rule.max);
    let t = shortened(*ends[..fitting].last()?);
    (t.chars().count() > 1).then_some(t)
}

/// `text` split at word ends into parts that each fit `rule` on `kind`, in order: the parts of
/// a thread (`--long thread`). Each part is as long as fits, or ends a sentence when that leaves
/// it at least two thirds as long as the longest that fits; a link is one word, never split.
/// Every part must `stand` alone (farm's caller: have a word besides links and punctuation, so
/// it can be told apart among the account's posts): a part that would not takes the last words
/// of the part before it. A text that fits is one part. `None` when one word alone does not
/// fit, a part cannot stand alone, or the text needs more than `max_parts`.
pub fn split(
    text: &str,
    rule: LengthRule,
    kind: PlatformKind,
    max_parts: usize,
    stands: impl Fn(&str) -> bool,
) -> Option<Vec<String>> {
    let mut parts: Vec<String> = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        if parts.len() == max_parts {
            return None;
        }
        if count(rest, rule, kind) <= rule.max {
            parts.push(rest.to_string());
            break;
        }
        let mut ends = word_ends(rest);
        // Every word and the space after it count at least 1: no prefix of more words fits.
        ends.truncate(rule.max + 1);
        let len = |end: usize| count(rest[..end].trim_end(), rule, kind);
        // A longer prefix never counts less, so the ends that fit come first.
        let fitting = &ends[..ends.partition_point(|&e| len(e) <= rule.max)];
        let longest = *fitting.last()?;
        let sentence = |e: &&usize| rest[..**e].trim_end().ends_with(['.', '!', '?', '…']);
        let end = match fitting.iter().rev().find(sentence) {
            Some(&e) if 3 * len(e) >= 2 * len(longest) => e,
            _ => longest,
        };
        parts.push(rest[..end].trim_end().to_string());
        rest = rest[end..].trim_start();
    }
    for i in 0..parts.len() {
        while !stands(&parts[i]) {
            let (head, last) = parts.get(i.wrapping_sub(1))?.rsplit_once(char::is_whitespace)?;
            let (head, moved) = (head.trim_end().to_string(), format!("{last} {}", parts[i]));
            if count(&moved, rule, kind) > rule.max || !stands(&head) {
                return None;
            }
            (parts[i - 1], parts[i]) = (head, moved);
        }
    }
    Some(parts)
}

/// The byte offsets where the words of `text` end (each is the whitespace after a word).
fn word_ends(text: &str) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut prev_space = true;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() && !prev_space {
            ends.push(i);
        }
        prev_space = c.is_whitespace();
    }
    ends
}

/// Bluesky's limits on a post's text: 300 graphemes and 3,000 UTF-8 bytes.
pub const BLUESKY_MAX: usize = 300;

/// Bluesky's byte limit on a post's text, which is [`BLUESKY_MAX`] times this.
pub const BLUESKY_BYTES_PER_GRAPHEME: usize = 10;

/// The length Bluesky counts for `text`, in graphemes: the extended grapheme clusters (as the
/// server's `Intl.Segmenter` counts them, URLs in full), or a tenth of the UTF-8 bytes when that
/// is more, so that one number checks both limits (300 graphemes, 3,000 bytes).
pub fn bluesky_length(text: &str) -> usize {
    use unicode_segmentation::UnicodeSegmentation;
    let graphemes = text.graphemes(true).count();
    graphemes.max(text.len().div_ceil(BLUESKY_BYTES_PER_GRAPHEME))
}

/// Whether `text` is within `rule.max` as `kind` counts it ([`count`]). An empty text
/// "fits"; whether it is worth posting is the caller's question.
pub fn fits(text: &str, rule: LengthRule, kind: PlatformKind) -> bool {
    count(text, rule, kind) <= rule.max
}

/// Byte ranges of the URLs in `text` by twitter-text's rules (with or without a scheme),
/// in order. The text is taken as given (not normalised).
pub fn find_urls(text: &str) -> Vec<Range<usize>> {
    scan_urls(text, UrlMode::Twitter)
}

/// A text as characters with their byte offsets.
struct Text {
    c: Vec<char>,
    byte: Vec<usize>,
    len: usize,
}

impl Text {
    fn new(s: &str) -> Self {
        let (byte, c) = s.char_indices().unzip();
        Text { c, byte, len: s.len() }
    }
    fn byte_at(&self, i: usize) -> usize {
        self.byte.get(i).copied().unwrap_or(self.len)
    }
}

/// twitter-text's invalid characters.
fn is_invalid_char(c: char) -> bool {
    matches!(c, '\u{FFFE}' | '\u{FEFF}' | '\u{FFFF}')
}

#[cfg(test)]
mod tests {
    #[test]
    fn cut_ends_at_a_word_with_an_ellipsis_and_never_inside_a_link() {
        use crate::net::{LengthRule, PlatformKind};
        let rule = LengthRule { max: 30, url_len: 23 };
        let m = PlatformKind::Mastodon;
        assert_eq!(super::cut("short enough", rule, m).as_deref(), Some("short enough"));
        let t = "one two three four five six seven eight nine ten";
        let c = super::cut(t, rule, m).unwrap();
        assert_eq!(c, "one two three four five six…");
        assert!(super::count(&c, rule, m) <= 30);
        // The hanging comma goes; the cut is at a word.
        assert_eq!(
            super::cut("alpha beta gamma delta, epsilon zeta eta", rule, m).as_deref(),
            Some("alpha beta gamma delta…")
        );
        // A link counts 23 and is one word: kept whole or dropped whole.
        let c = super::cut("see https://example.org/a/very/long/path/indeed and more words here", rule, m)
            .unwrap();
        assert_eq!(c, "see https://example.org/a/very/long/path/indeed …");
        assert_eq!(super::count(&c, rule, m), 4 + 23 + 2);
        // Nothing fits: no text.
        assert_eq!(super::cut(&"x".repeat(40), rule, m), None);
        // X counts Cyrillic double-free but CJK double: the cut follows the network's count.
        let x = LengthRule { max: 10, url_len: 23 };
        let c = super::cut("日本 語の 文章 です ね", x, PlatformKind::X).unwrap();
        assert!(super::count(&c, x, PlatformKind::X) <= 10, "{c}");
    }

    #[test]
    fn split_makes_parts_that_fit_at_words_preferring_sentence_ends() {
        use crate::net::{LengthRule, PlatformKind};
        let rule = LengthRule { max: 30, url_len: 23 };
        let m = PlatformKind::Mastodon;
        let any = |_: &str| true;
        let split = |t: &str, max: usize| super::split(t, rule, m, max, any);
        assert_eq!(split("short enough", 5).unwrap(), ["short enough"]);
        let t = "one two three four five six seven eight nine ten eleven twelve";
        let parts = split(t, 5).unwrap();
        assert_eq!(parts, ["one two three four five six", "seven eight nine ten eleven", "twelve"]);
        assert_eq!(parts.join(" "), t, "no word is lost or changed");
        // A sentence's end is taken when the part stays at least two thirds as long.
        let parts = split("The fox ran off. Then the dog slept all day long.", 5).unwrap();
        assert_eq!(parts, ["The fox ran off. Then the dog", "slept all day long."]);
        let parts = split("First we went there. Then back.", 5).unwrap();
        assert_eq!(parts, ["First we went there.", "Then back."]);
        // A link is one word: whole in one part, counted 23.
        let link = "https://example.org/a/very/long/path/indeed";
        let parts = split(&format!("see {link} and more words here"), 5).unwrap();
        assert_eq!(parts, [format!("see {link}"), "and more words here".to_string()]);
        // Too many parts, or a word that alone does not fit: none.
        assert_eq!(split(&"word ".repeat(100), 5), None);
        assert_eq!(split(&format!("a {}", "x".repeat(40)), 5), None);
        // Each part fits the network's own count (X weighs CJK double).
        let x = LengthRule { max: 10, url_len: 23 };
        for p in super::split("日本 語の 文章 です ね 日本 語の", x, PlatformKind::X, 9, any).unwrap()
        {
            assert!(super::count(&p, x, PlatformKind::X) <= 10, "{p}");
        }
        // A part that cannot stand alone (here: a link alone) takes the last word before it.
        let has_word = |p: &str| p.split(' ').any(|w| !w.contains("://"));
        let t = "one two three four five six seven eight https://example.org/article";
        let parts = super::split(t, rule, m, 5, has_word).unwrap();
        assert_eq!(parts, ["one two three four five six", "seven", "eight https://example.org/article"]);
        assert_eq!(super::split("https://example.org/a https://example.org/b", rule, m, 5, has_word), None);
    }

    use super::*;

    const RULE_X: LengthRule = LengthRule { max: X_MAX, url_len: 23 };
    const RULE_M: LengthRule = LengthRule { max: 500, url_len: 23 };

    #[test]
    fn arbitrary_text_is_handled() {
        const PIECES: &[&str] = &[
            "a",
            "Z",
            "7",
            ".",
            "/",
            ":",
            "@",
            "(",
            ")",
            "?",
            "#",
            "-",
            "_",
            " ",
            "\n",
            "http://",
            "https://",
            "xn--",
            "com",
            "рф",
            "例",
            "é",
            "e\u{301}",
            "\u{FB2C}",
            "👨",
            "\u{200D}",
            "\u{FE0F}",
            "\u{FE0E}",
            "🏽",
            "🇩",
            "🏴",
            "\u{E0067}",
            "\u{E007F}",
            "\u{20E3}",
            "©",
            "\u{FFFF}",
            "\u{202A}",
            "。",
            "😷",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..(state % 40) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(PIECES[(state % PIECES.len() as u64) as usize]);
            }
            for cfg in [TwitterConfig::v1(), TwitterConfig::v2(), TwitterConfig::v3()] {
                let r = parse_tweet(&text, &cfg);
                assert!(r.valid_range.1 <= r.display_range.1, "{text:?}");
                assert!(r.weighted_length <= 23 * text.chars().count().max(1), "{text:?}");
            }
            let mut last = 0;
            for u in find_urls(&text) {
                assert!(u.start >= last && u.start < u.end, "{text:?}");
                assert!(text.is_char_boundary(u.start) && text.is_char_boundary(u.end));
                last = u.end;
            }
            mastodon_length(&text, 23);
        }
    }

    #[test]
    fn count_and_fits_by_platform() {
        let text = format!("{} https://example.com/{}", "a".repeat(250), "p".repeat(100));
        assert_eq!(count(&text, RULE_X, PlatformKind::X), 251 + 23);
        assert_eq!(count(&text, RULE_X, PlatformKind::XV1), 251 + 23);
        assert_eq!(count(&text, RULE_M, PlatformKind::Mastodon), 251 + 23);
        assert!(fits(&text, RULE_X, PlatformKind::X));
        assert!(!fits(&"の".repeat(141), RULE_X, PlatformKind::X));
        assert!(fits(&"の".repeat(141), RULE_M, PlatformKind::Mastodon));
        assert!(!fits(&"a".repeat(501), RULE_M, PlatformKind::Mastodon));
    }
}
