//! Splitting post text into words, and comparing words the way every processor does: lower-case,
//! `ё` = `е`, and by normal form once the morphology dictionary is loaded.

use super::morph;

/// Lower-case `s` and fold `ё` into `е` (`Ёлка` → `елка`).
pub fn fold(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).map(|c| if c == 'ё' { 'е' } else { c }).collect()
}

/// Python's `str.capitalize()`: the first character upper-case, the rest lower-case
/// (`тайная` → `Тайная`, `ИНТЕРНЕТ-МАГАЗИН` → `Интернет-магазин`).
pub fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars.flat_map(char::to_lowercase)).collect(),
        None => String::new(),
    }
}

/// Upper-case only the first character, keep the rest as it is (`заебал кот` → `Заебал кот`).
pub fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `to` written in the case of `found`: ALL CAPS (two letters or more) stays all caps, a capital
/// first letter stays capital, anything else takes `to` as written.
pub fn same_case(found: &[char], to: &str) -> String {
    let letters: Vec<char> = found.iter().copied().filter(|c| c.is_alphabetic()).collect();
    if letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase()) {
        return to.to_uppercase();
    }
    if letters.first().is_some_and(|c| c.is_uppercase()) {
        return upper_first(to);
    }
    to.to_string()
}

/// A Russian word found in a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word<'a> {
    /// The word as written.
    pub text: &'a str,
    /// The word lower-cased (`ё` kept).
    pub lower: String,
}

/// The runs of consecutive Russian words in `text`. A word is made of `а`–`я`, `ё` and inner hyphens
/// (`интернет-магазин`); punctuation around it is dropped, but a run ends at punctuation
/// (`комната, где` gives `комната` | `где`). Latin words, digits, @mentions, #hashtags and links are
/// not words and end a run too.
pub fn runs(text: &str) -> Vec<Vec<Word<'_>>> {
    let mut runs = Vec::new();
    let mut run = Vec::new();
    for token in text.split_whitespace() {
        let core = token.trim_matches(|c: char| !c.is_alphanumeric());
        let is_word = !token.starts_with(['@', '#'])
            && !core.is_empty()
            && !core.contains("--")
            && core.chars().all(|c| morph::is_cyrillic(c) || c == '-');
        let starts_clean = is_word && token.starts_with(core);
        let ends_clean = is_word && token.ends_with(core);
        if !starts_clean && !run.is_empty() {
            runs.push(std::mem::take(&mut run));
        }
        if is_word {
            run.push(Word { text: core, lower: core.to_lowercase() });
        }
        if !ends_clean && !run.is_empty() {
            runs.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

/// Every word of `text` in any script, folded: letters, digits, and `'`/`-` inside a word
/// (`Don't stop-loss!` → `don't`, `stop-loss`).
pub fn all_words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-'))
        .map(|w| w.trim_matches(['\'', '-']))
        .filter(|w| !w.is_empty())
        .map(fold)
        .collect()
}

/// Whether `text` contains one of `list`'s words: compared folded (lower-case, `ё` = `е`) and, when
/// the morphology dictionary is already loaded, also by lemma (`котами` matches `кот`). Entries of
/// several words match that sequence of words.
pub fn mentions_any(text: &str, list: &[String]) -> bool {
    if list.is_empty() {
        return false;
    }
    let words = all_words(text);
    // Normal forms when the dictionary is there or the text is Russian (loading it then): the
    // analyzer's words are normal forms, so "скучной" must match a boring "скучный".
    let russian = words.iter().any(|w| w.chars().any(morph::is_cyrillic));
    let lemmas: Option<Vec<String>> =
        (morph::is_loaded() || russian).then(|| words.iter().map(|w| morph::lemma(w)).collect());
    list.iter().any(|entry| {
        let entry_words = all_words(entry);
        if entry_words.is_empty() {
            return false;
        }
        if contains_seq(&words, &entry_words) {
            return true;
        }
        match &lemmas {
            Some(lemmas) => {
                let entry_lemmas: Vec<String> = entry_words.iter().map(|w| morph::lemma(w)).collect();
                contains_seq(lemmas, &entry_lemmas)
            }
            None => false,
        }
    })
}

/// Whether `seq` occurs as a contiguous run in `words`.
pub fn contains_seq(words: &[String], seq: &[String]) -> bool {
    !seq.is_empty() && words.windows(seq.len()).any(|w| w == seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_text_matches_by_normal_form_even_before_the_dictionary_is_loaded() {
        assert!(mentions_any("Гарри Поттер и скучной книги", &["скучный".to_string()]));
        assert!(!mentions_any("Гарри Поттер и весёлой книги", &["скучный".to_string()]));
    }

    fn texts(text: &str) -> Vec<Vec<&str>> {
        runs(text).iter().map(|r| r.iter().map(|w| w.text).collect()).collect()
    }

    #[test]
    fn runs_split_on_punctuation_and_non_words() {
        assert_eq!(
            texts("Тайная комната, где @bob живёт"),
            vec![vec!["Тайная", "комната"], vec!["где"], vec!["живёт"]]
        );
        assert_eq!(
            texts("«Зелёная ёлка» http://x.ru #ёлка 2024 интернет-магазин"),
            vec![vec!["Зелёная", "ёлка"], vec!["интернет-магазин"]]
        );
        assert_eq!(texts("кот cat кот"), vec![vec!["кот"], vec!["кот"]]);
        assert!(texts("-- — ...").is_empty());
    }

    #[test]
    fn folding_and_capitalizing() {
        assert_eq!(fold("ЁЛКА Зелёная"), "елка зеленая");
        assert_eq!(capitalize("ёлка"), "Ёлка");
        assert_eq!(capitalize("ИНТЕРНЕТ-МАГАЗИН"), "Интернет-магазин");
        assert_eq!(upper_first("заебал кот"), "Заебал кот");
    }

    #[test]
    fn mentions_compare_folded_sequences() {
        let list = vec!["ёлка".to_string(), "доброе утро".to_string()];
        assert!(mentions_any("Елка!", &list));
        assert!(mentions_any("ну, ДОБРОЕ утро", &list));
        assert!(!mentions_any("доброе, злое утро", &list));
        assert!(!mentions_any("ёлки", &["ёлк".to_string()]));
        assert_eq!(all_words("Don't stop-loss! @bob"), vec!["don't", "stop-loss", "bob"]);
    }
}
