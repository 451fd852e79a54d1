//! Normalisation and hashing for duplicate detection.
//!
//! Two texts are duplicates when their [`normalize`]d forms are equal: the text is put in
//! Unicode compatibility form (NFKC), URLs are removed, letters are lower-cased (Unicode),
//! `ё` becomes `е`, and every character that is not a letter, a digit or a combining mark
//! (punctuation, symbols, emoji, white space) separates words; the words are joined by single
//! spaces. [`normalize_with`] also maps every word through a lemmatizer, so that inflected
//! forms of the same words compare equal. [`hash`] turns a normalised text into the 64-bit
//! value that is stored.
//!
//! **Stability:** hashes are persisted, so [`hash`] and the normalisation rules must never
//! change between versions (a change would make every stored post look new). Add a new
//! function instead of changing these.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use crate::text::length::find_urls;

/// The normalised form of `text` for duplicate detection (words unchanged, see the module
/// documentation): "Гарри Поттер и Тайная Комната!" and "гарри  поттер и тайная комната"
/// both give "гарри поттер и тайная комната".
pub fn normalize(text: &str) -> String {
    normalize_with(text, &|word: &str| word.to_string())
}

/// As [`normalize`], with every word replaced by `lemma(word)` (the word is already
/// lower-case, with `ё` folded). The lemma is folded the same way and split again, so a
/// lemmatizer may return upper case, `ё`, several words or nothing at all.
pub fn normalize_with(text: &str, lemma: &dyn Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    for word in words(&strip_urls(&text.nfkc().collect::<String>())) {
        for part in words(&lemma(&word)) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&part);
        }
    }
    out
}

/// A stable 64-bit hash of a normalised text: FNV-1a 64 over its UTF-8 bytes (offset basis
/// 0xcbf29ce484222325, prime 0x100000001b3).
///
/// The value is persisted: this function must never change.
pub fn hash(normalized: &str) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    normalized.bytes().fold(OFFSET_BASIS, |h, b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

/// `text` with every URL (twitter-text rules, with or without a scheme) replaced by a space.
fn strip_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for url in find_urls(text) {
        out.push_str(&text[done..url.start]);
        out.push(' ');
        done = url.end;
    }
    out.push_str(&text[done..]);
    out
}

/// The words of `text`, lower-cased with `ё` folded to `е`; everything but letters, digits and
/// combining marks separates words.
fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() || (is_combining_mark(c) && !word.is_empty()) {
            for l in c.to_lowercase() {
                word.push(if l == 'ё' { 'е' } else { l });
            }
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_punctuation_and_spaces() {
        let a = normalize("Гарри Поттер и Тайная Комната!");
        assert_eq!(a, "гарри поттер и тайная комната");
        assert_eq!(normalize("гарри  поттер и тайная комната"), a);
        assert_eq!(normalize("  «Гарри» — Поттер,\tи…тайная\nкомната?! "), a);
        assert_eq!(normalize("Hello, World!!! 2024"), "hello world 2024");
        assert_eq!(normalize("a-b_c/d"), "a b c d");
        assert_eq!(normalize("🔥 wow 🔥"), "wow");
        assert_eq!(normalize("!!! ..."), "");
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn yo_is_ye() {
        assert_eq!(normalize("Ёлка, ёжик"), "елка ежик");
        // Decomposed ё (е + U+0308) is composed first.
        assert_eq!(normalize("e\u{301}лка ё"), normalize("éлка е"));
        assert_eq!(normalize("ЕЛКА"), normalize("Ёлка"));
        // й keeps its breve.
        assert_eq!(normalize("Йод"), "йод");
        assert_ne!(normalize("йод"), normalize("иод"));
    }

    #[test]
    fn urls_are_removed() {
        assert_eq!(normalize("Новость: https://example.com/a?b=1 читать"), "новость читать");
        assert_eq!(normalize("see example.org/x, now"), "see now");
        assert_eq!(normalize("Новость https://a.com/1"), normalize("новость https://b.org/2"));
    }

    #[test]
    fn compatibility_forms_fold() {
        assert_eq!(normalize("ＦＵＬＬ ｗｉｄｔｈ"), "full width");
        assert_eq!(normalize("ﬁne"), "fine");
    }

    #[test]
    fn idempotent() {
        for s in ["Гарри Поттер!", "İstanbul ŞEHİR", "ǅemal", "Straße", "e\u{301}"] {
            let n = normalize(s);
            assert_eq!(normalize(&n), n, "{s}");
        }
    }

    #[test]
    fn lemmatizer_is_applied_per_word() {
        let lemma = |w: &str| match w {
            "котов" | "коты" => "кот".to_string(),
            "видел" => "Видеть".to_string(),
            "и" => String::new(),
            "ежиков" => "Ёж".to_string(),
            _ => w.to_string(),
        };
        assert_eq!(normalize_with("Я видел котов и ёжиков!", &lemma), "я видеть кот еж");
        assert_eq!(normalize_with("коты", &lemma), normalize_with("КОТОВ...", &lemma));
        assert_eq!(normalize_with("a b", &|w: &str| format!("{w}, {w}!")), "a a b b");
    }

    #[test]
    fn hash_is_fnv1a_64() {
        assert_eq!(hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(hash("foobar"), 0x8594_4171_f739_67e8);
        // Pinned: stored hashes depend on it.
        assert_eq!(hash("гарри поттер и тайная комната"), 0xa2d2_ff04_e018_780e);
        assert_eq!(
            hash(&normalize("Гарри Поттер и Тайная Комната!")),
            hash(&normalize("гарри  поттер и тайная комната"))
        );
    }
}
