//! Mastodon's length: extended grapheme clusters, URLs as `characters_reserved_per_url`, and
//! remote mentions (`@user@domain`) counted as `@user`, as its `StatusLengthValidator` does.

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;

use super::url::{is_latin_accent, scan_urls, starts_with_ignore_ascii_case, UrlMode};
use super::*;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
