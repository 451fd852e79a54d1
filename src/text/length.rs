//! Platform length rules: how X and Mastodon count the length of a post.
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
//!
//! Everything is written out here (no regex engine, no twitter-text crate): the URL scanner
//! follows the twitter-text JS `extractUrlsWithIndices` rules (valid preceding character,
//! sub-domains, TLD list, port, path with balanced parentheses, query, punycode label
//! lengths, `t.co` slugs), and the emoji scanner follows twemoji-parser's sequences (keycaps,
//! flags, modifier sequences, tag sequences, ZWJ sequences) using Unicode 14 property tables.
//! `tests/twitter_text_conformance.rs` runs the upstream conformance suite against it.

use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::Range;
use std::sync::OnceLock;

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};
use unicode_segmentation::UnicodeSegmentation;

use crate::net::{LengthRule, PlatformKind};

/// Maximum weighted length of a post on X (twitter-text `maxWeightedTweetLength`).
pub const X_MAX: usize = 280;

/// One weight range of a twitter-text configuration: code points `start..=end` weigh `weight`
/// (in the configuration's `scale` units, e.g. 100 = one character).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeightRange {
    /// First code point of the range (inclusive).
    pub start: u32,
    /// Last code point of the range (inclusive).
    pub end: u32,
    /// Weight of each code point in the range, in `scale` units.
    pub weight: usize,
}

/// The weight-100 ranges shared by twitter-text `config/v2.json` and `config/v3.json`:
/// U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F, U+2032–U+2037.
const RANGES_V2_V3: [WeightRange; 4] = [
    WeightRange { start: 0, end: 4351, weight: 100 },
    WeightRange { start: 8192, end: 8205, weight: 100 },
    WeightRange { start: 8208, end: 8223, weight: 100 },
    WeightRange { start: 8242, end: 8247, weight: 100 },
];

/// A twitter-text configuration (the JSON files in twitter-text's `config/`), embedded as
/// constants: [`TwitterConfig::v1`], [`TwitterConfig::v2`], [`TwitterConfig::v3`]. The fields
/// are public so a caller can build another configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwitterConfig {
    /// Configuration version (1, 2 or 3).
    pub version: u32,
    /// Maximum weighted length (`maxWeightedTweetLength`), in characters.
    pub max_weighted_tweet_length: usize,
    /// Units per character (`scale`); weights are expressed in these units.
    pub scale: usize,
    /// Weight of a code point outside every range, and of an emoji sequence (`defaultWeight`).
    pub default_weight: usize,
    /// Characters every URL counts as (`transformedURLLength`).
    pub transformed_url_length: usize,
    /// Whether emoji sequences weigh `default_weight` as a whole (`emojiParsingEnabled`).
    pub emoji_parsing_enabled: bool,
    /// Weighted ranges (`ranges`), checked in order; the first that contains a code point wins.
    pub ranges: Cow<'static, [WeightRange]>,
}

const CONFIG_V1: TwitterConfig = TwitterConfig {
    version: 1,
    max_weighted_tweet_length: 140,
    scale: 1,
    default_weight: 1,
    transformed_url_length: 23,
    emoji_parsing_enabled: false,
    ranges: Cow::Borrowed(&[]),
};

const CONFIG_V2: TwitterConfig = TwitterConfig {
    version: 2,
    max_weighted_tweet_length: 280,
    scale: 100,
    default_weight: 200,
    transformed_url_length: 23,
    emoji_parsing_enabled: false,
    ranges: Cow::Borrowed(&RANGES_V2_V3),
};

const CONFIG_V3: TwitterConfig = TwitterConfig {
    version: 3,
    max_weighted_tweet_length: 280,
    scale: 100,
    default_weight: 200,
    transformed_url_length: 23,
    emoji_parsing_enabled: true,
    ranges: Cow::Borrowed(&RANGES_V2_V3),
};

impl TwitterConfig {
    /// The legacy v1 configuration: 140 code points, every URL 23 (what twitter-text's old
    /// `isValidTweetText` and the conformance `tweets` section use).
    pub fn v1() -> Self {
        CONFIG_V1
    }

    /// twitter-text `config/v2.json`: 280 weighted, Latin ranges weigh 1, others 2, no emoji
    /// discount.
    pub fn v2() -> Self {
        CONFIG_V2
    }

    /// twitter-text `config/v3.json` (what X uses): as v2, plus every emoji sequence weighs 2.
    pub fn v3() -> Self {
        CONFIG_V3
    }

    /// The weight of one code point under this configuration. As upstream (which works on
    /// UTF-16), a code point outside the BMP is looked up by its low surrogate, so it weighs
    /// `default_weight` unless a range covers U+DC00–U+DFFF.
    fn char_weight(&self, c: char) -> usize {
        let cp = c as u32;
        let unit = if cp > 0xFFFF { 0xDC00 + ((cp - 0x10000) & 0x3FF) } else { cp };
        self.ranges
            .iter()
            .find(|r| r.start <= unit && unit <= r.end)
            .map_or(self.default_weight, |r| r.weight)
    }
}

impl Default for TwitterConfig {
    /// The configuration X uses: [`TwitterConfig::v3`].
    fn default() -> Self {
        CONFIG_V3
    }
}

/// The result of [`parse_tweet`], field for field twitter-text's `parseTweet` result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseResult {
    /// Weighted length in characters (weighted units divided by `scale`).
    pub weighted_length: usize,
    /// Whether the text can be posted: not empty, within the maximum, no invalid characters
    /// (U+FFFE, U+FEFF, U+FFFF).
    pub valid: bool,
    /// `floor(weighted_length / max * 1000)`.
    pub permillage: usize,
    /// Inclusive range of the whole text, in UTF-16 code units of the original text.
    pub display_range: (usize, usize),
    /// Inclusive range of the part that fits (and precedes any invalid character), in UTF-16
    /// code units of the original text.
    pub valid_range: (usize, usize),
}

/// twitter-text's `parseTweet`: the weighted length and validity of `text` under `cfg`.
///
/// The text is NFC-normalised first; URLs and emoji are found in the normalised text, and the
/// ranges are reported in UTF-16 code units of the original text (the valid range is shifted
/// by the difference in length the normalisation made, as upstream does).
pub fn parse_tweet(text: &str, cfg: &TwitterConfig) -> ParseResult {
    let normalized: Cow<'_, str> = if is_nfc_quick(text.chars()) == IsNormalized::Yes {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.nfc().collect())
    };
    let norm = normalized.as_ref();
    let scale = cfg.scale.max(1);
    let max_units = cfg.max_weighted_tweet_length.saturating_mul(scale);
    let urls = scan_urls(norm, UrlMode::Twitter);
    let emojis = if cfg.emoji_parsing_enabled { scan_emoji(norm) } else { Vec::new() };

    let (mut next_url, mut next_emoji) = (0, 0);
    let mut weighted = 0usize;
    let mut valid = true;
    let mut valid_display = 0usize;
    let mut utf16_pos = 0usize;
    let mut pos = 0usize;
    while pos < norm.len() {
        while next_url < urls.len() && urls[next_url].start < pos {
            next_url += 1;
        }
        while next_emoji < emojis.len() && emojis[next_emoji].start < pos {
            next_emoji += 1;
        }
        let (end, weight) = if urls.get(next_url).is_some_and(|u| u.start == pos) {
            (urls[next_url].end, cfg.transformed_url_length.saturating_mul(scale))
        } else if emojis.get(next_emoji).is_some_and(|e| e.start == pos) {
            (emojis[next_emoji].end, cfg.default_weight)
        } else {
            let c = norm[pos..].chars().next().unwrap_or('\0');
            (pos + c.len_utf8(), cfg.char_weight(c))
        };
        let token = &norm[pos..end];
        weighted = weighted.saturating_add(weight);
        utf16_pos += utf16_len(token);
        // Upstream checks the last UTF-16 unit of each token.
        if valid {
            valid = !token.chars().next_back().is_some_and(is_invalid_char);
        }
        if valid && weighted <= max_units {
            valid_display = utf16_pos - 1;
        }
        pos = end;
    }

    let length = weighted as f64 / scale as f64;
    let max = cfg.max_weighted_tweet_length as f64;
    let valid = valid && length > 0.0 && length <= max;
    let permillage = if max > 0.0 { ((length / max) * 1000.0).floor() as usize } else { 0 };
    let text_len = utf16_len(text);
    let offset = text_len as isize - utf16_len(norm) as isize;
    let valid_end = (valid_display as isize + offset).max(0) as usize;
    ParseResult {
        weighted_length: weighted / scale,
        valid,
        permillage,
        display_range: (0, text_len.saturating_sub(1)),
        valid_range: (0, valid_end),
    }
}

/// The weighted length X counts for `text` (twitter-text v3, what farm checks against
/// [`X_MAX`]).
pub fn x_length(text: &str) -> usize {
    parse_tweet(text, &CONFIG_V3).weighted_length
}

/// The length Mastodon counts for `text`: extended grapheme clusters, with every URL that
/// has a scheme counting `url_len` characters and every `@user@domain` mention counting as
/// `@user` (Mastodon's `StatusLengthValidator`; a text of only white space counts 0).
pub fn mastodon_length(text: &str, url_len: usize) -> usize {
    if text.chars().all(char::is_whitespace) {
        return 0;
    }
    // (byte range, replacement) for every entity; URLs first so that a mention inside a URL
    // loses to the URL (Extractor.remove_overlapping_entities keeps the earlier start).
    let mut entities: Vec<(Range<usize>, Option<Range<usize>>)> =
        scan_urls(text, UrlMode::Mastodon).into_iter().map(|r| (r, None)).collect();
    entities.extend(mastodon_mentions(text).into_iter().map(|(r, user)| (r, Some(user))));
    entities.sort_by_key(|(r, _)| r.start);
    let mut countable = String::with_capacity(text.len());
    let mut done = 0usize;
    for (range, user) in entities {
        if range.start < done {
            continue;
        }
        countable.push_str(&text[done..range.start]);
        match user {
            None => countable.extend(std::iter::repeat_n('x', url_len)),
            Some(user) => {
                countable.push('@');
                countable.push_str(&text[user]);
            }
        }
        done = range.end;
    }
    countable.push_str(&text[done..]);
    countable.graphemes(true).count()
}

/// The length of `text` in the units of `kind`'s rule: X kinds count [`x_length`], Mastodon
/// counts [`mastodon_length`] with `rule.url_len`.
pub fn count(text: &str, rule: LengthRule, kind: PlatformKind) -> usize {
    match kind {
        PlatformKind::X | PlatformKind::XV1 => x_length(text),
        PlatformKind::Mastodon => mastodon_length(text, rule.url_len),
    }
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

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// twitter-text's invalid characters.
fn is_invalid_char(c: char) -> bool {
    matches!(c, '\u{FFFE}' | '\u{FEFF}' | '\u{FFFF}')
}

// ---------------------------------------------------------------------------------------------
// URL scanning (twitter-text `extractUrlsWithIndices`, JS flavour)
// ---------------------------------------------------------------------------------------------

/// Which platform's URL rules to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UrlMode {
    /// twitter-text: `http(s)://` optional, ASCII path/query character sets.
    Twitter,
    /// Mastodon's patched twitter-text: a scheme is required (more schemes allowed), and path
    /// and query take most non-space characters.
    Mastodon,
}

/// Longest URL twitter-text accepts (with the scheme), in UTF-16 units.
const MAX_URL_LENGTH: usize = 4096;
/// Longest `t.co` slug twitter-text accepts.
const MAX_TCO_SLUG_LENGTH: usize = 40;
/// Longest DNS label after punycode encoding.
const MAX_DOMAIN_LABEL_LENGTH: usize = 63;
/// Longest entry of [`TLDS`] in characters (plus margin).
const MAX_TLD_CHARS: usize = 24;

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

/// One match of twitter-text's `extractUrl` regex, in character indices.
struct UrlMatch {
    start: usize,
    has_protocol: bool,
    protocol_len: usize,
    domain: Range<usize>,
    has_path: bool,
    end: usize,
}

fn scan_urls(s: &str, mode: UrlMode) -> Vec<Range<usize>> {
    let needed = if mode == UrlMode::Twitter { '.' } else { ':' };
    if !s.contains(needed) {
        return Vec::new();
    }
    let t = Text::new(s);
    let c = &t.c;
    let n = c.len();
    let mut out: Vec<Range<usize>> = Vec::new();
    let mut push = |a: usize, b: usize| out.push(t.byte_at(a)..t.byte_at(b));
    let mut memo = vec![None; n + 1];
    let mut p = 0;
    while p < n {
        // `(validUrlPrecedingChars)`: a preceding character, or the start of the text.
        let mut hit = None;
        if is_url_preceding(c[p]) {
            hit = match_url(c, p + 1, mode, &mut memo).map(|m| (Some(c[p]), m));
        }
        if hit.is_none() && p == 0 {
            hit = match_url(c, 0, mode, &mut memo).map(|m| (None, m));
        }
        let Some((before, m)) = hit else {
            p += 1;
            continue;
        };
        // The next search starts after this match, whatever happens to it.
        p = m.end;
        let url_units: usize = c[m.start..m.end].iter().map(|ch| ch.len_utf16()).sum();
        let protocol_units = if m.has_protocol { m.protocol_len } else { "https://".len() };
        if !idna_domain_ok(&c[m.domain.clone()]) || protocol_units + url_units > MAX_URL_LENGTH {
            continue;
        }
        if !m.has_protocol {
            if mode == UrlMode::Mastodon || before.is_some_and(|b| matches!(b, '-' | '_' | '.' | '/')) {
                continue;
            }
            // Only the ASCII domains inside the matched domain are URLs.
            let found = ascii_domains(&c[m.domain.clone()]);
            let last = found.len().wrapping_sub(1);
            for (i, r) in found.iter().enumerate() {
                let end = if i == last && m.has_path { m.end } else { m.domain.start + r.end };
                push(m.domain.start + r.start, end);
            }
        } else {
            let mut end = m.end;
            if let Some((slug, len)) = match_tco(&c[m.start..m.end]) {
                if slug > MAX_TCO_SLUG_LENGTH {
                    continue;
                }
                end = m.start + len;
            }
            push(m.start, end);
        }
    }
    out
}

/// `validUrlPrecedingChars`: anything but `A-Za-z0-9@＠$#＃` and the invalid characters
/// (directional markers are explicitly allowed).
fn is_url_preceding(c: char) -> bool {
    !(c.is_ascii_alphanumeric() || matches!(c, '@' | '＠' | '$' | '#' | '＃') || is_invalid_char(c))
}

/// The rest of `extractUrl` from character `s`: protocol, domain, port, path, query.
fn match_url(c: &[char], s: usize, mode: UrlMode, memo: &mut [Option<Option<usize>>]) -> Option<UrlMatch> {
    if let Some(plen) = match_protocol(c, s, mode) {
        if let Some(dend) = match_domain(c, s + plen, memo) {
            return Some(finish_url(c, s, Some(plen), s + plen..dend, mode));
        }
    }
    let dend = match_domain(c, s, memo)?;
    Some(finish_url(c, s, None, s..dend, mode))
}

fn finish_url(
    c: &[char],
    start: usize,
    plen: Option<usize>,
    domain: Range<usize>,
    mode: UrlMode,
) -> UrlMatch {
    let n = c.len();
    let mut e = domain.end;
    // `(?::(validPortNumber))?`
    if e + 1 < n && c[e] == ':' && c[e + 1].is_ascii_digit() {
        e += 1;
        while e < n && c[e].is_ascii_digit() {
            e += 1;
        }
    }
    // `(\/validUrlPath*)?`
    let has_path = e < n && c[e] == '/';
    if has_path {
        e = scan_path(c, e + 1, mode);
    }
    // `(\?validUrlQueryChars*validUrlQueryEndingChars)?`
    if e < n && c[e] == '?' {
        let mut k = e + 1;
        let mut last = None;
        while k < n && is_query_char(c[k], mode) {
            k += 1;
            if is_query_end_char(c[k - 1], mode) {
                last = Some(k);
            }
        }
        if let Some(q) = last {
            e = q;
        }
    }
    UrlMatch {
        start,
        has_protocol: plen.is_some(),
        protocol_len: plen.unwrap_or(0),
        domain,
        has_path,
        end: e,
    }
}

/// `https?://` (Mastodon also allows dat, dweb, ipfs, ipns, ssb, gopher, gemini), case-insensitive.
fn match_protocol(c: &[char], s: usize, mode: UrlMode) -> Option<usize> {
    const TWITTER: &[&str] = &["https://", "http://"];
    const MASTODON: &[&str] = &[
        "https://",
        "http://",
        "dat://",
        "dweb://",
        "ipfs://",
        "ipns://",
        "ssb://",
        "gopher://",
        "gemini://",
    ];
    let schemes = if mode == UrlMode::Twitter { TWITTER } else { MASTODON };
    schemes.iter().find(|p| starts_with_ignore_ascii_case(c, s, p)).map(|p| p.len())
}

fn starts_with_ignore_ascii_case(c: &[char], s: usize, prefix: &str) -> bool {
    let mut i = s;
    for p in prefix.chars() {
        match c.get(i) {
            Some(x) if x.eq_ignore_ascii_case(&p) => i += 1,
            _ => return false,
        }
    }
    true
}

/// `validDomain` = `validSubdomain* validDomainName (validGTLD|validCCTLD|validPunycode)`,
/// with the regex's preference for as many sub-domains as possible. Returns the end.
///
/// The result from a position is the result from the next label if there is one, else the
/// TLD after this label; `memo[i]` keeps the result from position `i`, so that a long run of
/// labels is looked at once, not once per start position.
fn match_domain(c: &[char], i: usize, memo: &mut [Option<Option<usize>>]) -> Option<usize> {
    let n = c.len();
    // Labels `DC ([_-]|DC)* DC` (or one DC) each followed by '.', contiguous from `i`.
    let mut labels: Vec<Range<usize>> = Vec::new();
    let mut j = i;
    let tail = loop {
        if let Some(known) = memo[j] {
            break known;
        }
        let mut k = j;
        while k < n && (is_domain_char(c[k]) || c[k] == '-' || c[k] == '_') {
            k += 1;
        }
        if k == j || k >= n || c[k] != '.' || !is_domain_char(c[j]) || !is_domain_char(c[k - 1]) {
            memo[j] = Some(None);
            break None;
        }
        labels.push(j..k);
        j = k + 1;
    };
    let mut result = tail;
    for label in labels.iter().rev() {
        // The label before the TLD is `validDomainName`: no underscore.
        if result.is_none() && !c[label.clone()].contains(&'_') {
            result = match_tld(c, label.end + 1);
        }
        memo[label.start] = Some(result);
    }
    result
}

/// `validDomainChars`: not punctuation (twitter-text's list), space, invalid or directional.
fn is_domain_char(c: char) -> bool {
    const PUNCT: &str = "!'#%&()*+,\\-./:;<=>?@[]^_{|}~$";
    !(PUNCT.contains(c) || is_space(c) || is_invalid_char(c) || is_directional(c))
}

/// twitter-text's `spacesGroup`.
fn is_space(c: char) -> bool {
    matches!(c, '\u{9}'..='\u{D}' | ' ' | '\u{85}' | '\u{A0}' | '\u{1680}' | '\u{180E}' | '\u{2000}'..='\u{200A}'
        | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}')
}

/// twitter-text's `directionalMarkersGroup`.
fn is_directional(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2066}'..='\u{2069}')
}

/// A TLD from [`TLDS`] at `t` not followed by `[0-9a-zA-Z@+-]`, longest first; else
/// `validPunycode` (`xn--[-0-9a-z]+`). Case-insensitive. Returns the end.
fn match_tld(c: &[char], t: usize) -> Option<usize> {
    let n = c.len();
    let tlds = tld_set();
    // TLDs are made of letters and marks only.
    let mut word_end = t;
    while word_end < n
        && word_end - t < MAX_TLD_CHARS
        && (c[word_end].is_alphanumeric() || unicode_normalization::char::is_combining_mark(c[word_end]))
    {
        word_end += 1;
    }
    let mut buf = String::new();
    for end in (t + 1..=word_end).rev() {
        let next = c.get(end).copied();
        if next.is_some_and(|x| x.is_ascii_alphanumeric() || matches!(x, '@' | '+' | '-')) {
            continue;
        }
        buf.clear();
        buf.extend(c[t..end].iter().flat_map(|x| x.to_lowercase()));
        if tlds.contains(buf.as_str()) {
            return Some(end);
        }
    }
    let is_puny = |x: char| x.is_ascii_alphanumeric() || x == '-';
    if starts_with_ignore_ascii_case(c, t, "xn--") && c.get(t + 4).is_some_and(|&x| is_puny(x)) {
        let mut k = t + 5;
        while k < n && is_puny(c[k]) {
            k += 1;
        }
        return Some(k);
    }
    None
}

fn tld_set() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| TLDS.split_ascii_whitespace().collect())
}

/// `validAsciiDomain` (`([-a-z0-9À-ɏ…]+\.)+(TLD|punycode)`, global) inside a domain:
/// the matches, left to right, as character ranges of `d`.
fn ascii_domains(d: &[char]) -> Vec<Range<usize>> {
    let n = d.len();
    let mut out = Vec::new();
    let mut q = 0;
    while q < n {
        let mut tld_starts = Vec::new();
        let mut j = q;
        loop {
            let mut k = j;
            while k < n && (d[k].is_ascii_alphanumeric() || d[k] == '-' || is_latin_accent(d[k])) {
                k += 1;
            }
            if k == j || k >= n || d[k] != '.' {
                break;
            }
            tld_starts.push(k + 1);
            j = k + 1;
        }
        match tld_starts.iter().rev().find_map(|&t| match_tld(d, t)) {
            Some(end) => {
                out.push(q..end);
                q = end;
            }
            None => q += 1,
        }
    }
    out
}

/// twitter-text's `idna.toAscii` check: every label, punycode-encoded when not ASCII, is
/// 1–63 characters, and a domain starting `xn--` holds an ASCII domain.
fn idna_domain_ok(domain: &[char]) -> bool {
    if domain.starts_with(&['x', 'n', '-', '-']) && ascii_domains(domain).is_empty() {
        return false;
    }
    domain.split(|&x| x == '.').all(|label| {
        // punycode.toASCII on a label: split again on the other full stops, encode non-ASCII parts.
        let parts = label.split(|&x| matches!(x, '\u{3002}' | '\u{FF0E}' | '\u{FF61}'));
        let mut len = 0usize;
        for (i, part) in parts.enumerate() {
            len += usize::from(i > 0);
            if part.iter().all(char::is_ascii) {
                len += part.len();
            } else {
                match punycode_len(part) {
                    Some(l) => len += 4 + l,
                    None => return false,
                }
            }
        }
        (1..=MAX_DOMAIN_LABEL_LENGTH).contains(&len)
    })
}

/// Length of the RFC 3492 punycode encoding of `input` (without the `xn--` prefix), or
/// `None` on overflow.
fn punycode_len(input: &[char]) -> Option<usize> {
    const BASE: u32 = 36;
    const T_MIN: u32 = 1;
    const T_MAX: u32 = 26;
    const SKEW: u32 = 38;
    const DAMP: u32 = 700;
    fn adapt(mut delta: u32, num_points: u32, first: bool) -> u32 {
        delta /= if first { DAMP } else { 2 };
        delta += delta / num_points;
        let mut k = 0;
        while delta > ((BASE - T_MIN) * T_MAX) / 2 {
            delta /= BASE - T_MIN;
            k += BASE;
        }
        k + (BASE - T_MIN + 1) * delta / (delta + SKEW)
    }
    let cps: Vec<u32> = input.iter().map(|&x| x as u32).collect();
    let basic = cps.iter().filter(|&&x| x < 0x80).count();
    let mut out = basic + usize::from(basic > 0);
    let mut n: u32 = 0x80;
    let mut delta: u32 = 0;
    let mut bias: u32 = 72;
    let mut handled = basic as u32;
    let total = cps.len() as u32;
    while handled < total {
        let m = cps.iter().copied().filter(|&x| x >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &cp in &cps {
            if cp < n {
                delta = delta.checked_add(1)?;
            }
            if cp == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        T_MIN
                    } else if k >= bias + T_MAX {
                        T_MAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out += 1;
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out += 1;
                bias = adapt(delta, handled + 1, handled == basic as u32);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(out)
}

/// Path after the first '/': the longest run of path tokens (characters or balanced
/// parentheses) that ends with an ending character or parentheses. Returns the end.
fn scan_path(c: &[char], start: usize, mode: UrlMode) -> usize {
    let n = c.len();
    let mut j = start;
    let mut end = start;
    loop {
        if j < n && is_path_char(c[j], mode) {
            j += 1;
            if is_path_end_char(c[j - 1], mode) {
                end = j;
            }
        } else if j < n && c[j] == '(' {
            match balanced_parens(c, j, mode) {
                Some(k) => {
                    j = k;
                    end = j;
                }
                None => break,
            }
        } else {
            break;
        }
    }
    end
}

/// `validUrlBalancedParens` at `j` (which holds '('): `(G+)` or `(G*(G+)G*)`. Returns the end.
fn balanced_parens(c: &[char], j: usize, mode: UrlMode) -> Option<usize> {
    let n = c.len();
    let run = |mut k: usize| {
        while k < n && is_path_char(c[k], mode) {
            k += 1;
        }
        k
    };
    let a = j + 1;
    let k = run(a);
    if k < n && c[k] == ')' && k > a {
        return Some(k + 1);
    }
    if k < n && c[k] == '(' {
        let b = k + 1;
        let m = run(b);
        if m > b && m < n && c[m] == ')' {
            let r = run(m + 1);
            if r < n && c[r] == ')' {
                return Some(r + 1);
            }
        }
    }
    None
}

fn is_cyrillic(c: char) -> bool {
    ('\u{400}'..='\u{4FF}').contains(&c)
}

/// twitter-text's `latinAccentChars`.
fn is_latin_accent(c: char) -> bool {
    matches!(c, '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{FF}' | '\u{100}'..='\u{24F}'
        | '\u{253}' | '\u{254}' | '\u{256}' | '\u{257}' | '\u{259}' | '\u{25B}' | '\u{263}' | '\u{268}'
        | '\u{26F}' | '\u{272}' | '\u{289}' | '\u{28B}' | '\u{2BB}' | '\u{300}'..='\u{36F}'
        | '\u{1E00}'..='\u{1EFF}')
}

/// `validGeneralUrlPathChars` (Mastodon: anything but white space and `<>()?`).
fn is_path_char(c: char, mode: UrlMode) -> bool {
    match mode {
        UrlMode::Twitter => {
            c.is_ascii_alphanumeric()
                || "!*';:=+,.$/%#[]-_~@|&\u{2013}".contains(c)
                || is_cyrillic(c)
                || is_latin_accent(c)
        }
        UrlMode::Mastodon => !(c.is_whitespace() || matches!(c, '<' | '>' | '(' | ')' | '?')),
    }
}

/// `validUrlPathEndingChars` (parentheses are handled by [`balanced_parens`]).
fn is_path_end_char(c: char, mode: UrlMode) -> bool {
    match mode {
        UrlMode::Twitter => {
            c.is_ascii_alphanumeric() || "+-=_#/".contains(c) || is_cyrillic(c) || is_latin_accent(c)
        }
        UrlMode::Mastodon => !(c.is_whitespace() || "()?!*\"'「」<>;:=,.$%[]~&|@".contains(c)),
    }
}

/// Mastodon's `UCHARS` (non-ASCII characters allowed in a query).
fn is_uchar(c: char) -> bool {
    matches!(c as u32, 0xA0..=0xD7FF | 0xE000..=0xF8FF | 0xF900..=0xFDCF | 0xFDF0..=0xFFEF)
        || (c as u32 >= 0x10000 && (c as u32 & 0xFFFF) <= 0xFFFD && !(0xE0000..0xE1000).contains(&(c as u32)))
}

/// `validUrlQueryChars`.
fn is_query_char(c: char, mode: UrlMode) -> bool {
    c.is_ascii_alphanumeric()
        || "!?*'@();:&=+$/%#[]-_.,~|".contains(c)
        || (mode == UrlMode::Mastodon && (c == '^' || is_uchar(c)))
}

/// `validUrlQueryEndingChars`.
fn is_query_end_char(c: char, mode: UrlMode) -> bool {
    c.is_ascii_alphanumeric() || "-_&=#/".contains(c) || (mode == UrlMode::Mastodon && is_uchar(c))
}

/// `validTcoUrl` (`^https?://t\.co/([a-z0-9]+)(\?query)?`, case-insensitive) at the start of
/// a URL: the slug length and the matched length.
fn match_tco(u: &[char]) -> Option<(usize, usize)> {
    let plen = if starts_with_ignore_ascii_case(u, 0, "https://t.co/") {
        13
    } else if starts_with_ignore_ascii_case(u, 0, "http://t.co/") {
        12
    } else {
        return None;
    };
    let mut k = plen;
    while k < u.len() && u[k].is_ascii_alphanumeric() {
        k += 1;
    }
    let slug = k - plen;
    if slug == 0 {
        return None;
    }
    if k < u.len() && u[k] == '?' {
        let mut q = k + 1;
        let mut last = None;
        while q < u.len() && is_query_char(u[q], UrlMode::Twitter) {
            q += 1;
            if is_query_end_char(u[q - 1], UrlMode::Twitter) {
                last = Some(q);
            }
        }
        if let Some(q) = last {
            k = q;
        }
    }
    Some((slug, k))
}

// ---------------------------------------------------------------------------------------------
// Mastodon mentions (`Account::MENTION_RE` + `Extractor.extract_mentions_or_lists_with_indices`)
// ---------------------------------------------------------------------------------------------

/// `[[:word:]]`: letters, marks, numbers, connector punctuation.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || unicode_normalization::char::is_combining_mark(c)
}

/// Mentions `@user` / `@user@domain` as (byte range of the mention, byte range of `user`).
fn mastodon_mentions(s: &str) -> Vec<(Range<usize>, Range<usize>)> {
    if !s.contains('@') {
        return Vec::new();
    }
    let t = Text::new(s);
    let c = &t.c;
    let n = c.len();
    let is_user = |x: char| x.is_ascii_alphanumeric() || x == '_';
    // `X+([.-]+X+)*` from `start`, greedy; returns the end (`start` if no X there).
    let run = |start: usize, class: &dyn Fn(char) -> bool| -> usize {
        let mut k = start;
        while k < n && class(c[k]) {
            k += 1;
        }
        if k == start {
            return k;
        }
        loop {
            let mut m = k;
            while m < n && matches!(c[m], '.' | '-') {
                m += 1;
            }
            if m == k {
                return k;
            }
            let m0 = m;
            while m < n && class(c[m]) {
                m += 1;
            }
            if m == m0 {
                return k;
            }
            k = m;
        }
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let ok_before = i == 0 || !(c[i - 1] == '=' || c[i - 1] == '/' || is_word(c[i - 1]));
        if c[i] != '@' || !ok_before {
            i += 1;
            continue;
        }
        let user_end = run(i + 1, &is_user);
        if user_end == i + 1 {
            i += 1;
            continue;
        }
        let mut end = user_end;
        if end < n && c[end] == '@' {
            let d = run(end + 1, &is_word);
            if d > end + 1 {
                end = d;
            }
        }
        // `end_mention_match`: not followed by an at sign, a Latin accent or "://".
        let after = c.get(end).copied();
        let bad_after = after.is_some_and(|x| matches!(x, '@' | '＠') || is_latin_accent(x))
            || starts_with_ignore_ascii_case(c, end, "://");
        if !bad_after {
            out.push((t.byte_at(i)..t.byte_at(end), t.byte_at(i + 1)..t.byte_at(user_end)));
        }
        i = end;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Emoji sequences (what twemoji-parser, used by twitter-text's parseTweet, matches)
// ---------------------------------------------------------------------------------------------

const VS15: char = '\u{FE0E}';
const VS16: char = '\u{FE0F}';
const ZWJ: char = '\u{200D}';

fn in_table(table: &[(u32, u32)], c: char) -> bool {
    let cp = c as u32;
    table
        .binary_search_by(|&(a, b)| {
            if b < cp {
                std::cmp::Ordering::Less
            } else if a > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

fn is_skin_tone(c: char) -> bool {
    ('\u{1F3FB}'..='\u{1F3FF}').contains(&c)
}

/// Byte ranges of the emoji sequences in `s`, left to right, non-overlapping.
fn scan_emoji(s: &str) -> Vec<Range<usize>> {
    let t = Text::new(s);
    let mut out = Vec::new();
    let mut i = 0;
    while i < t.c.len() {
        match match_emoji(&t.c, i) {
            Some(end) => {
                out.push(t.byte_at(i)..t.byte_at(end));
                i = end;
            }
            None => i += 1,
        }
    }
    out
}

/// One emoji sequence at `i`: a keycap (`[#*0-9] FE0F? 20E3`), a flag (two regional
/// indicators), or a pictograph with its presentation selector or skin tone, an optional tag
/// sequence, and any `ZWJ pictograph` continuations. Returns the end.
fn match_emoji(c: &[char], i: usize) -> Option<usize> {
    let n = c.len();
    let x = c[i];
    if matches!(x, '#' | '*' | '0'..='9') {
        let k = if c.get(i + 1) == Some(&VS16) { i + 2 } else { i + 1 };
        return (c.get(k) == Some(&'\u{20E3}')).then_some(k + 1);
    }
    if is_regional_indicator(x) {
        return c.get(i + 1).is_some_and(|&y| is_regional_indicator(y)).then_some(i + 2);
    }
    let mut k = emoji_element(c, i)?;
    // Tag sequence (subdivision flags): tags U+E0020–U+E007E ended by U+E007F.
    if c.get(k).is_some_and(|&y| ('\u{E0020}'..='\u{E007E}').contains(&y)) {
        let mut m = k;
        while m < n && ('\u{E0020}'..='\u{E007E}').contains(&c[m]) {
            m += 1;
        }
        if c.get(m) == Some(&'\u{E007F}') {
            k = m + 1;
        }
    }
    while k + 1 < n && c[k] == ZWJ {
        match emoji_element(c, k + 1) {
            Some(e) => k = e,
            None => break,
        }
    }
    Some(k)
}

/// A pictograph at `i` with what belongs to it: U+FE0F after a text-default emoji, or a skin
/// tone after a modifier base. ©, ®, ™ and ♟ are emoji only with U+FE0F; nothing is an emoji
/// with U+FE0E (text presentation). Returns the end.
fn emoji_element(c: &[char], i: usize) -> Option<usize> {
    let x = c[i];
    if !in_table(EXTENDED_PICTOGRAPHIC, x) {
        return None;
    }
    let next = c.get(i + 1).copied();
    if next == Some(VS15) || (matches!(x, '©' | '®' | '™' | '♟') && next != Some(VS16)) {
        return None;
    }
    if next == Some(VS16) && in_table(TEXT_DEFAULT, x) {
        return Some(i + 2);
    }
    if next.is_some_and(is_skin_tone) && in_table(MODIFIER_BASE, x) {
        return Some(i + 2);
    }
    Some(i + 1)
}

/// `Extended_Pictographic` (Unicode 14 emoji-data.txt; stable: it reserves whole blocks).
#[rustfmt::skip]
const EXTENDED_PICTOGRAPHIC: &[(u32, u32)] = &[
    (0xA9, 0xA9), (0xAE, 0xAE), (0x203C, 0x203C), (0x2049, 0x2049), (0x2122, 0x2122),
    (0x2139, 0x2139), (0x2194, 0x2199), (0x21A9, 0x21AA), (0x231A, 0x231B), (0x2328, 0x2328),
    (0x2388, 0x2388), (0x23CF, 0x23CF), (0x23E9, 0x23F3), (0x23F8, 0x23FA), (0x24C2, 0x24C2),
    (0x25AA, 0x25AB), (0x25B6, 0x25B6), (0x25C0, 0x25C0), (0x25FB, 0x25FE), (0x2600, 0x2605),
    (0x2607, 0x2612), (0x2614, 0x2685), (0x2690, 0x2705), (0x2708, 0x2712), (0x2714, 0x2714),
    (0x2716, 0x2716), (0x271D, 0x271D), (0x2721, 0x2721), (0x2728, 0x2728), (0x2733, 0x2734),
    (0x2744, 0x2744), (0x2747, 0x2747), (0x274C, 0x274C), (0x274E, 0x274E), (0x2753, 0x2755),
    (0x2757, 0x2757), (0x2763, 0x2767), (0x2795, 0x2797), (0x27A1, 0x27A1), (0x27B0, 0x27B0),
    (0x27BF, 0x27BF), (0x2934, 0x2935), (0x2B05, 0x2B07), (0x2B1B, 0x2B1C), (0x2B50, 0x2B50),
    (0x2B55, 0x2B55), (0x3030, 0x3030), (0x303D, 0x303D), (0x3297, 0x3297), (0x3299, 0x3299),
    (0x1F000, 0x1F0FF), (0x1F10D, 0x1F10F), (0x1F12F, 0x1F12F), (0x1F16C, 0x1F171),
    (0x1F17E, 0x1F17F), (0x1F18E, 0x1F18E), (0x1F191, 0x1F19A), (0x1F1AD, 0x1F1E5),
    (0x1F201, 0x1F20F), (0x1F21A, 0x1F21A), (0x1F22F, 0x1F22F), (0x1F232, 0x1F23A),
    (0x1F23C, 0x1F23F), (0x1F249, 0x1F3FA), (0x1F400, 0x1F53D), (0x1F546, 0x1F64F),
    (0x1F680, 0x1F6FF), (0x1F774, 0x1F77F), (0x1F7D5, 0x1F7FF), (0x1F80C, 0x1F80F),
    (0x1F848, 0x1F84F), (0x1F85A, 0x1F85F), (0x1F888, 0x1F88F), (0x1F8AE, 0x1F8FF),
    (0x1F90C, 0x1F93A), (0x1F93C, 0x1F945), (0x1F947, 0x1FAFF), (0x1FC00, 0x1FFFD),
];

/// Emoji with text presentation by default (`Emoji` and not `Emoji_Presentation`, Unicode 14):
/// U+FE0F after them is part of the emoji.
#[rustfmt::skip]
const TEXT_DEFAULT: &[(u32, u32)] = &[
    (0xA9, 0xA9), (0xAE, 0xAE), (0x203C, 0x203C), (0x2049, 0x2049), (0x2122, 0x2122),
    (0x2139, 0x2139), (0x2194, 0x2199), (0x21A9, 0x21AA), (0x2328, 0x2328), (0x23CF, 0x23CF),
    (0x23ED, 0x23EF), (0x23F1, 0x23F2), (0x23F8, 0x23FA), (0x24C2, 0x24C2), (0x25AA, 0x25AB),
    (0x25B6, 0x25B6), (0x25C0, 0x25C0), (0x25FB, 0x25FC), (0x2600, 0x2604), (0x260E, 0x260E),
    (0x2611, 0x2611), (0x2618, 0x2618), (0x261D, 0x261D), (0x2620, 0x2620), (0x2622, 0x2623),
    (0x2626, 0x2626), (0x262A, 0x262A), (0x262E, 0x262F), (0x2638, 0x263A), (0x2640, 0x2640),
    (0x2642, 0x2642), (0x265F, 0x2660), (0x2663, 0x2663), (0x2665, 0x2666), (0x2668, 0x2668),
    (0x267B, 0x267B), (0x267E, 0x267E), (0x2692, 0x2692), (0x2694, 0x2697), (0x2699, 0x2699),
    (0x269B, 0x269C), (0x26A0, 0x26A0), (0x26A7, 0x26A7), (0x26B0, 0x26B1), (0x26C8, 0x26C8),
    (0x26CF, 0x26CF), (0x26D1, 0x26D1), (0x26D3, 0x26D3), (0x26E9, 0x26E9), (0x26F0, 0x26F1),
    (0x26F4, 0x26F4), (0x26F7, 0x26F9), (0x2702, 0x2702), (0x2708, 0x2709), (0x270C, 0x270D),
    (0x270F, 0x270F), (0x2712, 0x2712), (0x2714, 0x2714), (0x2716, 0x2716), (0x271D, 0x271D),
    (0x2721, 0x2721), (0x2733, 0x2734), (0x2744, 0x2744), (0x2747, 0x2747), (0x2763, 0x2764),
    (0x27A1, 0x27A1), (0x2934, 0x2935), (0x2B05, 0x2B07), (0x3030, 0x3030), (0x303D, 0x303D),
    (0x3297, 0x3297), (0x3299, 0x3299), (0x1F170, 0x1F171), (0x1F17E, 0x1F17F),
    (0x1F202, 0x1F202), (0x1F237, 0x1F237), (0x1F321, 0x1F321), (0x1F324, 0x1F32C),
    (0x1F336, 0x1F336), (0x1F37D, 0x1F37D), (0x1F396, 0x1F397), (0x1F399, 0x1F39B),
    (0x1F39E, 0x1F39F), (0x1F3CB, 0x1F3CE), (0x1F3D4, 0x1F3DF), (0x1F3F3, 0x1F3F3),
    (0x1F3F5, 0x1F3F5), (0x1F3F7, 0x1F3F7), (0x1F43F, 0x1F43F), (0x1F441, 0x1F441),
    (0x1F4FD, 0x1F4FD), (0x1F549, 0x1F54A), (0x1F56F, 0x1F570), (0x1F573, 0x1F579),
    (0x1F587, 0x1F587), (0x1F58A, 0x1F58D), (0x1F590, 0x1F590), (0x1F5A5, 0x1F5A5),
    (0x1F5A8, 0x1F5A8), (0x1F5B1, 0x1F5B2), (0x1F5BC, 0x1F5BC), (0x1F5C2, 0x1F5C4),
    (0x1F5D1, 0x1F5D3), (0x1F5DC, 0x1F5DE), (0x1F5E1, 0x1F5E1), (0x1F5E3, 0x1F5E3),
    (0x1F5E8, 0x1F5E8), (0x1F5EF, 0x1F5EF), (0x1F5F3, 0x1F5F3), (0x1F5FA, 0x1F5FA),
    (0x1F6CB, 0x1F6CB), (0x1F6CD, 0x1F6CF), (0x1F6E0, 0x1F6E5), (0x1F6E9, 0x1F6E9),
    (0x1F6F0, 0x1F6F0), (0x1F6F3, 0x1F6F3),
];

/// `Emoji_Modifier_Base` (Unicode 14, plus U+1FAF7–U+1FAF8 of Unicode 15).
#[rustfmt::skip]
const MODIFIER_BASE: &[(u32, u32)] = &[
    (0x261D, 0x261D), (0x26F9, 0x26F9), (0x270A, 0x270D), (0x1F385, 0x1F385),
    (0x1F3C2, 0x1F3C4), (0x1F3C7, 0x1F3C7), (0x1F3CA, 0x1F3CC), (0x1F442, 0x1F443),
    (0x1F446, 0x1F450), (0x1F466, 0x1F478), (0x1F47C, 0x1F47C), (0x1F481, 0x1F483),
    (0x1F485, 0x1F487), (0x1F48F, 0x1F48F), (0x1F491, 0x1F491), (0x1F4AA, 0x1F4AA),
    (0x1F574, 0x1F575), (0x1F57A, 0x1F57A), (0x1F590, 0x1F590), (0x1F595, 0x1F596),
    (0x1F645, 0x1F647), (0x1F64B, 0x1F64F), (0x1F6A3, 0x1F6A3), (0x1F6B4, 0x1F6B6),
    (0x1F6C0, 0x1F6C0), (0x1F6CC, 0x1F6CC), (0x1F90C, 0x1F90C), (0x1F90F, 0x1F90F),
    (0x1F918, 0x1F91F), (0x1F926, 0x1F926), (0x1F930, 0x1F939), (0x1F93C, 0x1F93E),
    (0x1F977, 0x1F977), (0x1F9B5, 0x1F9B6), (0x1F9B8, 0x1F9B9), (0x1F9BB, 0x1F9BB),
    (0x1F9CD, 0x1F9CF), (0x1F9D1, 0x1F9DD), (0x1FAC3, 0x1FAC5), (0x1FAF0, 0x1FAF8),
];

/// The TLDs twitter-text recognises (generic and country code, ASCII and IDN; `xn--` forms are
/// covered by `validPunycode`), lower case, separated by spaces.
const TLDS: &str = "\
    aaa aarp abarth abb abbott abbvie abc able abogado abudhabi ac academy accenture \
    accountant accountants aco active actor ad adac ads adult ae aeg aero aetna af \
    afamilycompany afl africa ag agakhan agency ai aig aigo airbus airforce airtel akdn al \
    alfaromeo alibaba alipay allfinanz allstate ally alsace alstom am amazon americanexpress \
    americanfamily amex amfam amica amsterdam an analytics android anquan anz ao aol \
    apartments app apple aq aquarelle ar arab aramco archi army arpa art arte as asda asia \
    associates at athleta attorney au auction audi audible audio auspost author auto autos \
    avianca aw aws ax axa az azure ba baby baidu banamex bananarepublic band bank bar \
    barcelona barclaycard barclays barefoot bargains baseball basketball bauhaus bayern bb \
    bbc bbt bbva bcg bcn bd be beats beauty beer bentley berlin best bestbuy bet bf bg bh \
    bharti bi bible bid bike bing bingo bio biz bj bl black blackfriday blanco blockbuster \
    blog bloomberg blue bm bms bmw bn bnl bnpparibas bo boats boehringer bofa bom bond boo \
    book booking boots bosch bostik boston bot boutique box bq br bradesco bridgestone \
    broadway broker brother brussels bs bt budapest bugatti build builders business buy buzz \
    bv bw by bz bzh ca cab cafe cal call calvinklein cam camera camp cancerresearch canon \
    capetown capital capitalone car caravan cards care career careers cars cartier casa case \
    caseih cash casino cat catering catholic cba cbn cbre cbs cc cd ceb center ceo cern cf \
    cfa cfd cg ch chanel channel charity chase chat cheap chintai chloe christmas chrome \
    chrysler church ci cipriani circle cisco citadel citi citic city cityeats ck cl claims \
    cleaning click clinic clinique clothing cloud club clubmed cm cn co coach codes coffee \
    college cologne com comcast commbank community company compare computer comsec condos \
    construction consulting contact contractors cooking cookingchannel cool coop corsica \
    country coupon coupons courses cpa cr credit creditcard creditunion cricket crown crs \
    cruise cruises csc cu cuisinella cv cw cx cy cymru cyou cz dabur dad dance data date \
    dating datsun day dclk dds de deal dealer deals degree delivery dell deloitte delta \
    democrat dental dentist desi design dev dhl diamonds diet digital direct directory \
    discount discover dish diy dj dk dm dnp do docs doctor dodge dog doha domains doosan dot \
    download drive dtv dubai duck dunlop duns dupont durban dvag dvr dz earth eat ec eco \
    edeka edu education ee eg eh email emerck energy engineer engineering enterprises epost \
    epson equipment er ericsson erni es esq estate esurance et etisalat eu eurovision eus \
    events everbank exchange expert exposed express extraspace fage fail fairwinds faith \
    family fan fans farm farmers fashion fast fedex feedback ferrari ferrero fi fiat fidelity \
    fido film final finance financial fire firestone firmdale fish fishing fit fitness fj fk \
    flickr flights flir florist flowers flsmidth fly fm fo foo food foodnetwork football ford \
    forex forsale forum foundation fox fr free fresenius frl frogans frontdoor frontier ftr \
    fujitsu fujixerox fun fund furniture futbol fyi ga gal gallery gallo gallup game games \
    gap garden gay gb gbiz gd gdn ge gea gent genting george gf gg ggee gh gi gift gifts \
    gives giving gl glade glass gle global globo gm gmail gmbh gmo gmx gn godaddy gold \
    goldpoint golf goo goodhands goodyear goog google gop got gov gp gq gr grainger graphics \
    gratis green gripe grocery group gs gt gu guardian gucci guge guide guitars guru gw gy \
    hair hamburg hangout haus hbo hdfc hdfcbank health healthcare help helsinki here hermes \
    hgtv hiphop hisamitsu hitachi hiv hk hkt hm hn hockey holdings holiday homedepot \
    homegoods homes homesense honda honeywell horse hospital host hosting hot hoteles hotels \
    hotmail house how hr hsbc ht htc hu hughes hyatt hyundai ibm icbc ice icu id ie ieee ifm \
    iinet ikano il im imamat imdb immo immobilien in inc industries infiniti info ing ink \
    institute insurance insure int intel international intuit investments io ipiranga iq ir \
    irish is iselect ismaili ist istanbul it itau itv iveco iwc jaguar java jcb jcp je jeep \
    jetzt jewelry jio jlc jll jm jmp jnj jo jobs joburg jot joy jp jpmorgan jprs juegos \
    juniper kaufen kddi ke kerryhotels kerrylogistics kerryproperties kfh kg kh ki kia kids \
    kim kinder kindle kitchen kiwi km kn koeln komatsu kosher kp kpmg kpn kr krd kred \
    kuokgroup kw ky kyoto kz la lacaixa ladbrokes lamborghini lamer lancaster lancia lancome \
    land landrover lanxess lasalle lat latino latrobe law lawyer lb lc lds lease leclerc \
    lefrak legal lego lexus lgbt li liaison lidl life lifeinsurance lifestyle lighting like \
    lilly limited limo lincoln linde link lipsy live living lixil lk llc llp loan loans \
    locker locus loft lol london lotte lotto love lpl lplfinancial lr ls lt ltd ltda lu \
    lundbeck lupin luxe luxury lv ly ma macys madrid maif maison makeup man management mango \
    map market marketing markets marriott marshalls maserati mattel mba mc mcd mcdonalds \
    mckinsey md me med media meet melbourne meme memorial men menu meo merck merckmsd metlife \
    mf mg mh miami microsoft mil mini mint mit mitsubishi mk ml mlb mls mm mma mn mo mobi \
    mobile mobily moda moe moi mom monash money monster montblanc mopar mormon mortgage \
    moscow moto motorcycles mov movie movistar mp mq mr ms msd mt mtn mtpc mtr mu museum \
    music mutual mutuelle mv mw mx my mz na nab nadex nagoya name nationwide natura navy nba \
    nc ne nec net netbank netflix network neustar new newholland news next nextdirect nexus \
    nf nfl ng ngo nhk ni nico nike nikon ninja nissan nissay nl no nokia northwesternmutual \
    norton now nowruz nowtv np nr nra nrw ntt nu nyc nz obi observer off office okinawa \
    olayan olayangroup oldnavy ollo om omega one ong onion onl online onyourside ooo open \
    oracle orange org organic orientexpress origins osaka otsuka ott ovh pa page pamperedchef \
    panasonic panerai paris pars partners parts party passagens pay pccw pe pet pf pfizer pg \
    ph pharmacy phd philips phone photo photography photos physio piaget pics pictet pictures \
    pid pin ping pink pioneer pizza pk pl place play playstation plumbing plus pm pn pnc pohl \
    poker politie porn post pr pramerica praxi press prime pro prod productions prof \
    progressive promo properties property protection pru prudential ps pt pub pw pwc py qa \
    qpon quebec quest qvc racing radio raid re read realestate realtor realty recipes red \
    redstone redumbrella rehab reise reisen reit reliance ren rent rentals repair report \
    republican rest restaurant review reviews rexroth rich richardli ricoh rightathome ril \
    rio rip rmit ro rocher rocks rodeo rogers room rs rsvp ru rugby ruhr run rw rwe ryukyu sa \
    saarland safe safety sakura sale salon samsclub samsung sandvik sandvikcoromant sanofi \
    sap sapo sarl sas save saxo sb sbi sbs sc sca scb schaeffler schmidt scholarships school \
    schule schwarz science scjohnson scor scot sd se search seat secure security seek select \
    sener services ses seven sew sex sexy sfr sg sh shangrila sharp shaw shell shia shiksha \
    shoes shop shopping shouji show showtime shriram si silk sina singles site sj sk ski skin \
    sky skype sl sling sm smart smile sn sncf so soccer social softbank software sohu solar \
    solutions song sony soy spa space spiegel sport spot spreadbetting sr srl srt ss st stada \
    staples star starhub statebank statefarm statoil stc stcgroup stockholm storage store \
    stream studio study style su sucks supplies supply support surf surgery suzuki sv swatch \
    swiftcover swiss sx sy sydney symantec systems sz tab taipei talk taobao target \
    tatamotors tatar tattoo tax taxi tc tci td tdk team tech technology tel telecity \
    telefonica temasek tennis teva tf tg th thd theater theatre tiaa tickets tienda tiffany \
    tips tires tirol tj tjmaxx tjx tk tkmaxx tl tm tmall tn to today tokyo tools top toray \
    toshiba total tours town toyota toys tp tr trade trading training travel travelchannel \
    travelers travelersinsurance trust trv tt tube tui tunes tushu tv tvs tw tz ua ubank ubs \
    uconnect ug uk um unicom university uno uol ups us uy uz va vacations vana vanguard vc ve \
    vegas ventures verisign vermögensberater vermögensberatung versicherung vet vg vi viajes \
    video vig viking villas vin vip virgin visa vision vista vistaprint viva vivo vlaanderen \
    vn vodka volkswagen volvo vote voting voto voyage vu vuelos wales walmart walter wang \
    wanggou warman watch watches weather weatherchannel web webcam weber website wed wedding \
    weibo weir wf whoswho wien wiki williamhill win windows wine winners wme wolterskluwer \
    woodside work works world wow ws wtc wtf xbox xerox xfinity xihuan xin xperia xxx xyz \
    yachts yahoo yamaxun yandex ye yodobashi yoga yokohama you youtube yt yun za zappos zara \
    zero zip zippo zm zone zuerich zw ελ ευ бг бел дети ею католик ком мкд мон москва онлайн \
    орг рус рф сайт срб укр қаз հայ ישראל קום ابوظبي اتصالات ارامكو الاردن البحرين الجزائر \
    السعودية العليان المغرب امارات ایران بارت بازار بيتك بھارت تونس سودان سورية شبكة عراق عرب \
    عمان فلسطين قطر كاثوليك كوم مصر مليسيا موبايلي موريتانيا موقع همراه پاکستان ڀارت कॉम नेट \
    भारत भारतम् भारोत संगठन বাংলা ভারত ভাৰত ਭਾਰਤ ભારત ଭାରତ இந்தியா இலங்கை சிங்கப்பூர் భారత్ \
    ಭಾರತ ഭാരതം ලංකා คอม ไทย ລາວ გე みんな アマゾン クラウド グーグル コム ストア セール ファッション ポイント 世界 中信 中国 中國 中文网 \
    亚马逊 企业 佛山 信息 健康 八卦 公司 公益 台湾 台灣 商城 商店 商标 嘉里 嘉里大酒店 在线 大众汽车 大拿 天主教 娱乐 家電 工行 广东 微博 慈善 我爱你 手机 \
    手表 招聘 政务 政府 新加坡 新闻 时尚 書籍 机构 淡马锡 游戏 澳門 点看 珠宝 移动 组织机构 网址 网店 网站 网络 联通 诺基亚 谷歌 购物 通販 集团 電訊盈科 \
    飞利浦 食品 餐厅 香格里拉 香港 닷넷 닷컴 삼성 한국";

#[cfg(test)]
mod tests {
    use super::*;

    const RULE_X: LengthRule = LengthRule { max: X_MAX, url_len: 23 };
    const RULE_M: LengthRule = LengthRule { max: 500, url_len: 23 };

    fn urls(s: &str) -> Vec<&str> {
        find_urls(s).into_iter().map(|r| &s[r]).collect()
    }

    #[test]
    fn mastodon_counts_graphemes() {
        assert_eq!(mastodon_length("hello", 23), 5);
        assert_eq!(mastodon_length("👍🏽", 23), 1);
        assert_eq!(mastodon_length("👨‍👩‍👧‍👦 x", 23), 3);
        assert_eq!(mastodon_length("🇩🇪", 23), 1);
        assert_eq!(mastodon_length("e\u{301}", 23), 1);
        assert_eq!(mastodon_length("Привет, мир", 23), 11);
        assert_eq!(mastodon_length("", 23), 0);
        assert_eq!(mastodon_length(" \n ", 23), 0);
    }

    #[test]
    fn mastodon_counts_urls_as_url_len() {
        assert_eq!(mastodon_length("https://example.com/a/very/long/path/indeed/yes", 23), 23);
        assert_eq!(mastodon_length("see https://example.com/x?y=1.", 23), 4 + 23 + 1);
        assert_eq!(mastodon_length("gemini://example.org/", 23), 23);
        assert_eq!(mastodon_length("http://пример.рф/путь", 23), 23);
        assert_eq!(mastodon_length("a http://x.com", 10), 2 + 10);
        // No scheme: not a URL on Mastodon.
        assert_eq!(mastodon_length("example.com", 23), 11);
    }

    #[test]
    fn mastodon_counts_remote_mentions_as_local() {
        assert_eq!(mastodon_length("@a@b.social", 23), 2);
        assert_eq!(mastodon_length("hi @bob@example.social!", 23), 3 + 4 + 1);
        assert_eq!(mastodon_length("@bob", 23), 4);
        assert_eq!(mastodon_length("mail me: me@example.org", 23), 23);
        assert_eq!(mastodon_length("@alice@mastodon.example.org and @bob", 23), 6 + 5 + 4);
        // A mention inside a URL is part of the URL.
        assert_eq!(mastodon_length("https://example.social/@alice@other.example", 23), 23);
    }

    #[test]
    fn x_weighted_length() {
        assert_eq!(x_length("hello, world."), 13);
        assert_eq!(x_length(&"の".repeat(140)), 280);
        assert_eq!(x_length("ÁB"), 2);
        assert_eq!(x_length("Test https://test.com test https://test.com test.com test"), 86);
        assert_eq!(x_length("“quoted” — dash"), 15);
        assert_eq!(x_length("🇩🇪"), 2);
        assert_eq!(x_length("©"), 1);
        assert_eq!(x_length("©\u{FE0F}"), 2);
        assert_eq!(x_length("1\u{FE0F}\u{20E3}"), 2);
        assert_eq!(x_length("❤\u{FE0F}"), 2);
        assert_eq!(x_length("☺\u{FE0E}"), 4);
        assert_eq!(x_length("Привет"), 6);
        assert_eq!(x_length(""), 0);
    }

    #[test]
    fn parse_tweet_ranges() {
        let r = parse_tweet(&"x".repeat(281), &TwitterConfig::v3());
        assert_eq!((r.weighted_length, r.valid, r.permillage), (281, false, 1003));
        assert_eq!((r.display_range, r.valid_range), ((0, 280), (0, 279)));
        let r = parse_tweet("", &TwitterConfig::v3());
        assert_eq!((r.weighted_length, r.valid, r.display_range, r.valid_range), (0, false, (0, 0), (0, 0)));
        assert!(!parse_tweet("a\u{FFFF}", &TwitterConfig::default()).valid);
    }

    #[test]
    fn url_extraction() {
        assert_eq!(
            urls("a (https://x.com/p?q=1). b example.org/x, c"),
            vec!["https://x.com/p?q=1", "example.org/x"]
        );
        assert_eq!(urls("see www.twitter.com. ok"), vec!["www.twitter.com"]);
        assert_eq!(
            urls("http://en.wikipedia.org/wiki/Primer_(film) x"),
            vec!["http://en.wikipedia.org/wiki/Primer_(film)"]
        );
        assert_eq!(urls("https://t.co/abc123/extra"), vec!["https://t.co/abc123"]);
        assert_eq!(urls("http://example.com:8080/a"), vec!["http://example.com:8080/a"]);
        assert_eq!(urls("файл.рф и http://кто.рф"), vec!["http://кто.рф"]);
        assert!(urls("https:// nothing, foo.qqq, 1.5, e.g. this").is_empty());
        assert!(urls("-example.com _example.com").is_empty());
        assert!(urls("mail@x.com $x.com #x.com").is_empty());
    }

    #[test]
    fn punycode_lengths() {
        let cs = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(punycode_len(&cs("пример")), Some("e1afmkfd".len()));
        assert_eq!(punycode_len(&cs("bücher")), Some("bcher-kva".len()));
        assert_eq!(punycode_len(&cs("پاکستان")), Some("mgbai9azgqp6j".len()));
    }

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
    fn long_runs_of_labels_stay_fast() {
        let started = std::time::Instant::now();
        for text in ["a.".repeat(20_000), "a_b.".repeat(10_000), "x.".repeat(20_000) + "com"] {
            x_length(&text);
            mastodon_length(&("http://".to_string() + &text), 23);
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
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
