//! The `phrase` processor: the first run of consecutive words that matches a pattern of grammemes,
//! e.g. an adjective and a noun in the nominative (`ADJF,nomn NOUN,nomn`), as the original Harry
//! Potter bot did ("тайная комната" → "Тайная Комната").

use super::morph;
use super::spec;
use super::words::{self, capitalize, fold};

/// The pronouns and determiners the original bot never took as words (and their normal forms).
pub const DEFAULT_BLACKLIST: &[&str] = &[
    "какой",
    "какая",
    "какое",
    "какие",
    "такой",
    "такая",
    "такое",
    "такие",
    "каждый",
    "каждая",
    "каждые",
    "каждое",
    "который",
    "которая",
    "которые",
    "которое",
    "этот",
    "эта",
    "это",
    "эти",
    "весь",
    "вся",
    "всё",
    "всю",
    "все",
    "тот",
    "та",
    "то",
    "те",
    "мой",
    "моя",
    "моё",
    "мои",
    "твой",
    "твоя",
    "твоё",
    "твои",
    "её",
    "его",
    "их",
    "наш",
    "ваш",
    "свой",
    "сам",
    "самый",
    "любой",
    "другой",
    "иной",
    "всякий",
    "некоторый",
    "чей",
    "этакий",
    "никакой",
    "ничей",
    "сей",
    "оный",
    "некий",
];

/// How to capitalise the words found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    /// Each word like Python's `str.capitalize()` ("Тайная Комната"), as the original.
    Title,
    /// As written in the post.
    Keep,
    /// All lower-case.
    Lower,
}

/// A configured `phrase` processor.
#[derive(Debug, Clone, PartialEq)]
pub struct Phrase {
    /// One list of required grammemes per word.
    pub pattern: Vec<Vec<String>>,
    /// Shortest word accepted, in characters.
    pub min_len: usize,
    /// Words never taken (folded), compared with the word and its normal form.
    pub blacklist: Vec<String>,
    /// Word sequences never taken (folded).
    pub pairs: Vec<Vec<String>>,
    /// Capitalisation of the result.
    pub cap: Cap,
}

const KEYS: &[&str] = &["min-len", "blacklist", "default-blacklist", "pairs", "cap"];
const SYNTAX: &str = "phrase:PATTERN[;min-len=N][;blacklist=W,W..|@FILE][;default-blacklist=no]\
                      [;pairs=W W|W W..|@FILE][;cap=title|keep|lower], e.g. phrase:ADJF,nomn NOUN,nomn";

impl Phrase {
    /// Parse a `phrase:…` spec (file references already resolved).
    pub fn parse(spec_text: &str) -> Result<Phrase, String> {
        let bad = |e: String| format!("{e}; syntax: {SYNTAX}");
        let parts = spec::parse(spec_text, KEYS).map_err(bad)?;
        let pattern_text = parts.positional.clone().unwrap_or_default();
        let mut pattern = Vec::new();
        for word in pattern_text.split_whitespace() {
            let mut grammemes = Vec::new();
            for name in word.split(',').filter(|g| !g.is_empty()) {
                match morph::canonical_grammeme(name) {
                    Some(g) => grammemes.push(g.to_string()),
                    None => {
                        return Err(bad(format!(
                            "unknown grammeme '{name}' (use OpenCorpora names: NOUN, ADJF, VERB, nomn, gent, femn, plur, ...)"
                        )))
                    }
                }
            }
            pattern.push(grammemes);
        }
        if pattern.is_empty() {
            return Err(bad("phrase needs a pattern of grammemes".to_string()));
        }
        let mut phrase =
            Phrase { pattern, min_len: 2, blacklist: Vec::new(), pairs: Vec::new(), cap: Cap::Title };
        let mut default_blacklist = true;
        for (key, value) in &parts.options {
            match key.as_str() {
                "min-len" => phrase.min_len = spec::number(key, value, 1, 50).map_err(bad)? as usize,
                "blacklist" => phrase.blacklist.extend(word_list(value)),
                "default-blacklist" => default_blacklist = spec::yes_no(key, value).map_err(bad)?,
                "pairs" => phrase.pairs.extend(sequences(value)),
                "cap" => {
                    phrase.cap = match value.as_str() {
                        "title" => Cap::Title,
                        "keep" => Cap::Keep,
                        "lower" => Cap::Lower,
                        _ => return Err(bad(format!("cap={value}: expected title, keep or lower"))),
                    }
                }
                _ => {}
            }
        }
        if default_blacklist {
            phrase.blacklist.extend(DEFAULT_BLACKLIST.iter().map(|w| fold(w)));
        }
        Ok(phrase)
    }

    /// One line for `farm show`.
    pub fn describe(&self) -> String {
        let pattern: Vec<String> = self.pattern.iter().map(|g| g.join(",")).collect();
        let cap = match self.cap {
            Cap::Title => "title",
            Cap::Keep => "keep",
            Cap::Lower => "lower",
        };
        format!(
            "phrase {} (min {} letters, {} blacklisted words, {} blacklisted sequences, cap {cap})",
            pattern.join(" "),
            self.min_len,
            self.blacklist.len(),
            self.pairs.len()
        )
    }

    /// Every matching phrase in `text`, first found first (loads the morphology dictionary).
    pub fn candidates(&self, text: &str) -> Vec<String> {
        let mut found = Vec::new();
        let n = self.pattern.len();
        for run in words::runs(text) {
            if run.len() < n {
                continue;
            }
            for start in 0..=run.len() - n {
                let words = &run[start..start + n];
                if self.matches(words) {
                    found.push(self.format(words));
                }
            }
        }
        found
    }

    fn matches(&self, words: &[words::Word<'_>]) -> bool {
        for (word, grammemes) in words.iter().zip(&self.pattern) {
            if word.lower.chars().count() < self.min_len || self.blacklist.contains(&fold(&word.lower)) {
                return false;
            }
            let fits = morph::parses(&word.lower).into_iter().any(|p| {
                grammemes.iter().all(|g| p.grammemes.contains(g))
                    && !self.blacklist.contains(&fold(&p.normal_form))
            });
            if !fits {
                return false;
            }
        }
        let folded: Vec<String> = words.iter().map(|w| fold(&w.lower)).collect();
        !self.pairs.iter().any(|seq| words::contains_seq(&folded, seq))
    }

    fn format(&self, words: &[words::Word<'_>]) -> String {
        let out: Vec<String> = words
            .iter()
            .map(|w| match self.cap {
                Cap::Title => capitalize(&w.lower),
                Cap::Keep => w.text.to_string(),
                Cap::Lower => w.lower.clone(),
            })
            .collect();
        out.join(" ")
    }
}

/// Words separated by commas, `|` or white space (a file: one or more a line; a line starting
/// with `#` is a comment), folded.
pub fn word_list(value: &str) -> Vec<String> {
    let text = without_comments(value);
    spec::split(&text, &[',', '|', '\n', ' ', '\t', '\r'])
        .into_iter()
        .map(|w| fold(&spec::unescape(w)))
        .collect()
}

/// Word sequences separated by `|` or new lines (`#` lines are comments); the words of one by
/// spaces or commas; folded.
pub fn sequences(value: &str) -> Vec<Vec<String>> {
    let text = without_comments(value);
    spec::split(&text, &['|', '\n'])
        .into_iter()
        .map(|seq| {
            spec::split(seq, &[' ', ',', '\t', '\r']).into_iter().map(|w| fold(&spec::unescape(w))).collect()
        })
        .filter(|seq: &Vec<String>| !seq.is_empty())
        .collect()
}

/// `value` without its lines that start with `#`.
fn without_comments(value: &str) -> String {
    value.lines().filter(|l| !l.trim_start().starts_with('#')).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(spec: &str, text: &str) -> Option<String> {
        Phrase::parse(spec).unwrap().candidates(text).into_iter().next()
    }

    #[test]
    fn finds_adjective_noun_pairs() {
        let spec = "phrase:ADJF,nomn NOUN,nomn";
        assert_eq!(first(spec, "а тут тайная комната открылась").as_deref(), Some("Тайная Комната"));
        assert_eq!(first(spec, "Зелёная ёлка во дворе").as_deref(), Some("Зелёная Ёлка"));
        assert_eq!(first(spec, "у тайной комнаты"), None);
        assert_eq!(first(spec, "какая комната"), None);
        assert_eq!(first(spec, "доброе утро, страна").as_deref(), Some("Доброе Утро"));
        assert_eq!(first(&format!("{spec};pairs=доброе утро"), "доброе утро, страна"), None);
        assert_eq!(first(&format!("{spec};cap=keep"), "ТАЙНАЯ комната").as_deref(), Some("ТАЙНАЯ комната"));
    }

    #[test]
    fn rejects_bad_specs() {
        assert!(Phrase::parse("phrase:ADJ,nomn NOUN").unwrap_err().contains("unknown grammeme 'ADJ'"));
        assert!(Phrase::parse("phrase").unwrap_err().contains("needs a pattern"));
        assert!(Phrase::parse("phrase:NOUN;cap=shout").unwrap_err().contains("cap=shout"));
        assert_eq!(
            Phrase::parse("phrase:adjf,Nomn noun").unwrap().pattern,
            vec![vec!["ADJF", "nomn"], vec!["NOUN"]]
        );
    }

    #[test]
    fn lists_parse() {
        assert_eq!(word_list("# comment line\nЁлка, кот\nпёс"), vec!["елка", "кот", "пес"]);
        assert_eq!(
            sequences("доброе утро|с новым годом\nдобрый день"),
            vec![vec!["доброе", "утро"], vec!["с", "новым", "годом"], vec!["добрый", "день"]]
        );
    }
}
