//! The `replace` processor: whole-word search and replace from a table, keeping the case of what
//! was replaced ("Кот" → "Пёс", "КОТ" → "ПЁС" for the rule `кот = пёс`).

use super::spec;

/// A configured `replace` processor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replace {
    /// (what to find, folded, as characters; what to put instead), longest first.
    rules: Vec<(Vec<char>, String)>,
    /// Post the text even when no rule matched (default: skip it).
    pub keep_unmatched: bool,
}

const KEYS: &[&str] = &["unmatched"];
const SYNTAX: &str = "replace:FROM=TO|FROM=TO..|@FILE[;unmatched=skip|keep] (a file has one FROM<TAB>TO \
                      or FROM = TO a line, # starts a comment), e.g. replace:кот=пёс|кошка=собака";

impl Replace {
    /// Parse a `replace:…` spec (file references already resolved).
    pub fn parse(spec_text: &str) -> Result<Replace, String> {
        let bad = |e: String| format!("{e}; syntax: {SYNTAX}");
        let parts = spec::parse(spec_text, KEYS).map_err(bad)?;
        let table = parts.positional.clone().unwrap_or_default();
        let mut rules = Vec::new();
        for entry in spec::split(&table, &['|', '\n']) {
            if entry.starts_with('#') {
                continue;
            }
            let at = entry.find('\t').or_else(|| spec::find_unescaped(entry, '='));
            let Some(at) = at else {
                return Err(bad(format!(
                    "'{}' has no '=' or tab between what to find and what to put",
                    entry
                )));
            };
            let from = spec::unescape(entry[..at].trim());
            let to = spec::unescape(entry[at + 1..].trim());
            if from.is_empty() {
                return Err(bad(format!("'{entry}' has nothing to find")));
            }
            rules.push((fold_chars(&from), to));
        }
        if rules.is_empty() {
            return Err(bad("replace needs at least one FROM=TO rule".to_string()));
        }
        // Longest first, so "доброе утро" wins over "утро"; stable for equal lengths.
        rules.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
        let mut keep_unmatched = false;
        if let Some(value) = parts.get("unmatched") {
            keep_unmatched = match value {
                "skip" => false,
                "keep" => true,
                _ => return Err(bad(format!("unmatched={value}: expected skip or keep"))),
            };
        }
        Ok(Replace { rules, keep_unmatched })
    }

    /// One line for `farm show`.
    pub fn describe(&self) -> String {
        let when = if self.keep_unmatched { "kept" } else { "skipped" };
        format!("replace: {} rules (posts with no match are {when})", self.rules.len())
    }

    /// `text` with every rule applied, or `None` when nothing matched (unless `unmatched=keep`).
    pub fn apply(&self, text: &str) -> Option<String> {
        let chars: Vec<char> = text.chars().collect();
        let folded: Vec<char> = chars.iter().map(|c| fold_char(*c)).collect();
        let mut out = String::with_capacity(text.len());
        let mut matched = false;
        let mut i = 0;
        'scan: while i < chars.len() {
            if i == 0 || !is_word_char(chars[i - 1]) {
                for (from, to) in &self.rules {
                    let end = i + from.len();
                    if end <= chars.len()
                        && folded[i..end] == from[..]
                        && (end == chars.len() || !is_word_char(chars[end]))
                    {
                        out.push_str(&super::words::same_case(&chars[i..end], to));
                        matched = true;
                        i = end;
                        continue 'scan;
                    }
                }
            }
            out.push(chars[i]);
            i += 1;
        }
        (matched || self.keep_unmatched).then_some(out)
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn fold_char(c: char) -> char {
    match c.to_lowercase().next().unwrap_or(c) {
        'ё' => 'е',
        c => c,
    }
}

fn fold_chars(s: &str) -> Vec<char> {
    s.chars().map(fold_char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_words_keeping_case() {
        let r = Replace::parse("replace:кот=пёс|доброе утро=добрый вечер").unwrap();
        assert_eq!(r.apply("Кот и кот, КОТ!").as_deref(), Some("Пёс и пёс, ПЁС!"));
        assert_eq!(r.apply("котёнок").as_deref(), None);
        assert_eq!(r.apply("Доброе утро").as_deref(), Some("Добрый вечер"));
        assert_eq!(
            Replace::parse("replace:ёж=уж;unmatched=keep").unwrap().apply("Еж, ёж и ёжик").as_deref(),
            Some("Уж, уж и ёжик")
        );
    }

    #[test]
    fn reads_file_tables() {
        let r = Replace::parse("replace:# comment\nкот\tпёс\nдом = хата\\|изба\n").unwrap();
        assert_eq!(r.apply("мой дом").as_deref(), Some("мой хата|изба"));
        assert!(Replace::parse("replace:кот").unwrap_err().contains("no '='"));
        assert!(Replace::parse("replace:").unwrap_err().contains("at least one"));
    }
}
