//! URL scanning by twitter-text's `extractUrlsWithIndices` rules (JS flavour), with
//! Mastodon's variations: preceding character, protocol, sub-domains and TLDs, punycode label
//! lengths, port, path with balanced parentheses, query, and `t.co` slugs.

use std::collections::HashSet;
use std::ops::Range;
use std::sync::OnceLock;

use super::tables::TLDS;
use super::*;

// ---------------------------------------------------------------------------------------------
// URL scanning (twitter-text `extractUrlsWithIndices`, JS flavour)
// ---------------------------------------------------------------------------------------------

/// Which platform's URL rules to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum UrlMode {
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

/// One match of twitter-text's `extractUrl` regex, in character indices.
struct UrlMatch {
    start: usize,
    has_protocol: bool,
    protocol_len: usize,
    domain: Range<usize>,
    has_path: bool,
    end: usize,
}

pub(super) fn scan_urls(s: &str, mode: UrlMode) -> Vec<Range<usize>> {
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

pub(super) fn starts_with_ignore_ascii_case(c: &[char], s: usize, prefix: &str) -> bool {
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
pub(super) fn punycode_len(input: &[char]) -> Option<usize> {
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
pub(super) fn is_latin_accent(c: char) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(s: &str) -> Vec<&str> {
        find_urls(s).into_iter().map(|r| &s[r]).collect()
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
    fn long_runs_of_labels_stay_fast() {
        let started = std::time::Instant::now();
        for text in ["a.".repeat(20_000), "a_b.".repeat(10_000), "x.".repeat(20_000) + "com"] {
            x_length(&text);
            mastodon_length(&("http://".to_string() + &text), 23);
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
}
