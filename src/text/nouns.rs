//! The `nouns` processor of the older bots: pick N nouns from the post (words that are nouns in every
//! analysis), in their dictionary form, optionally with a verb or adjective made to agree with the
//! first one (`заебать` + `кошка` → "Заебала кошка").

use super::morph;
use super::rng::Rng;
use super::spec;
use super::words::{self, capitalize, fold, upper_first};

/// How to capitalise the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    /// Only the first letter of the whole result ("Заебал кот").
    First,
    /// Every word ("Заебал Кот").
    Title,
    /// All lower-case ("заебал кот").
    Lower,
}

/// A configured `nouns` processor.
#[derive(Debug, Clone, PartialEq)]
pub struct Nouns {
    /// How many nouns to pick; fewer in the post means skip.
    pub count: usize,
    /// A verb (put in the past tense) or adjective to agree with the first noun.
    pub inflect: Option<String>,
    /// Put the inflected word after the nouns instead of before.
    pub after: bool,
    /// Shortest noun accepted, in characters.
    pub min_len: usize,
    /// Capitalisation of the result.
    pub cap: Cap,
}

const KEYS: &[&str] = &["count", "inflect", "place", "min-len", "cap"];
const SYNTAX: &str = "nouns[:N][;inflect=WORD][;place=before|after][;min-len=N][;cap=first|title|lower], \
                      e.g. nouns:1;inflect=заебать";

impl Nouns {
    /// Parse a `nouns…` spec. Checks the `inflect` word against the dictionary when `check_inflect`.
    pub fn parse(spec_text: &str, check_inflect: bool) -> Result<Nouns, String> {
        let bad = |e: String| format!("{e}; syntax: {SYNTAX}");
        let parts = spec::parse(spec_text, KEYS).map_err(bad)?;
        let mut nouns = Nouns { count: 1, inflect: None, after: false, min_len: 2, cap: Cap::First };
        if let Some(n) = &parts.positional {
            nouns.count = spec::number("count", n, 1, 20).map_err(bad)? as usize;
        }
        for (key, value) in &parts.options {
            match key.as_str() {
                "count" => nouns.count = spec::number(key, value, 1, 20).map_err(bad)? as usize,
                "inflect" => nouns.inflect = Some(spec::unescape(value).to_lowercase()),
                "place" => {
                    nouns.after = match value.as_str() {
                        "before" => false,
                        "after" => true,
                        _ => return Err(bad(format!("place={value}: expected before or after"))),
                    }
                }
                "min-len" => nouns.min_len = spec::number(key, value, 1, 50).map_err(bad)? as usize,
                "cap" => {
                    nouns.cap = match value.as_str() {
                        "first" => Cap::First,
                        "title" => Cap::Title,
                        "lower" => Cap::Lower,
                        _ => return Err(bad(format!("cap={value}: expected first, title or lower"))),
                    }
                }
                _ => {}
            }
        }
        if let (true, Some(word)) = (check_inflect, &nouns.inflect) {
            if agree(word, "кот").is_none() {
                return Err(bad(format!(
                    "inflect={word}: not a verb or adjective the dictionary can inflect"
                )));
            }
        }
        Ok(nouns)
    }

    /// One line for `farm show`.
    pub fn describe(&self) -> String {
        let mut s = format!("nouns: pick {} (min {} letters)", self.count, self.min_len);
        if let Some(word) = &self.inflect {
            s.push_str(&format!(", with '{word}' agreeing, {}", if self.after { "after" } else { "before" }));
        }
        s
    }

    /// The distinct nouns of `text` in dictionary form, in the order a given `seed` picks them:
    /// shuffled, then those with a `hot` word first; `boring` ones left out.
    pub fn pick(&self, text: &str, seed: u64, boring: &[String], hot: &[String]) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        for run in words::runs(text) {
            for word in run {
                if word.lower.chars().count() < self.min_len {
                    continue;
                }
                let Some(noun) = noun_form(&word.lower) else { continue };
                if !found.contains(&noun) && !words::mentions_any(&noun, boring) {
                    found.push(noun);
                }
            }
        }
        Rng::new(seed).shuffle(&mut found);
        let (mut picked, rest): (Vec<String>, Vec<String>) =
            found.into_iter().partition(|n| words::mentions_any(n, hot));
        picked.extend(rest);
        picked
    }

    /// The result for `text`, or `None` when it has fewer than `count` nouns.
    pub fn run(
        &self,
        text: &str,
        seed: u64,
        boring: &[String],
        hot: &[String],
    ) -> Result<Option<String>, String> {
        let mut nouns = self.pick(text, seed, boring, hot);
        if nouns.len() < self.count {
            return Ok(None);
        }
        nouns.truncate(self.count);
        let mut parts = vec![nouns.join(", ")];
        if let Some(word) = &self.inflect {
            let form = agree(word, &nouns[0])
                .ok_or_else(|| format!("cannot inflect '{word}' for '{}'", nouns[0]))?;
            if self.after {
                parts.push(form);
            } else {
                parts.insert(0, form);
            }
        }
        let joined = parts.join(" ");
        Ok(Some(match self.cap {
            Cap::First => upper_first(&joined),
            Cap::Title => joined.split(' ').map(capitalize).collect::<Vec<_>>().join(" "),
            Cap::Lower => joined,
        }))
    }
}

/// The dictionary form of `word` if every analysis of it is a noun, as the older bots normalised:
/// of the analyses that are not proper names, one where the word is its own dictionary form
/// (`море`), else a singular one (`котами` → `кот`), else the first (`ножницы`).
pub fn noun_form(word: &str) -> Option<String> {
    let all = morph::parses(word);
    if all.is_empty() || !all.iter().all(|p| p.grammemes.contains("NOUN")) {
        return None;
    }
    let parses = morph::common_parses(&all);
    let own = parses.iter().find(|p| fold(&p.normal_form) == fold(word));
    let single = parses.iter().find(|p| p.grammemes.contains("sing") || p.grammemes.contains("Sgtm"));
    own.or(single).or(parses.first()).map(|p| p.normal_form.clone())
}

/// `word` (a verb or an adjective/participle) in the form that agrees with `noun` in gender and
/// number: past tense for verbs (`заебать` + `кошка` → `заебала`); adjectives and participles in
/// the noun's case too (`новый` + `ножницы` → `новые`, `серый` + `кошкой` → `серой`), with its
/// animacy in the accusative (`серый` + `кота` → `серого`, + `стол` → `серый`).
pub fn agree(word: &str, noun: &str) -> Option<String> {
    // A common noun before a proper name (котов: the cats', not Mr Kotov).
    let all = morph::parses(noun);
    let noun_parse = morph::common_parses(&all).into_iter().find(|p| p.grammemes.contains("NOUN"))?;
    let g = &noun_parse.grammemes;
    let number: &[&str] = if g.contains("plur") && !g.contains("sing") {
        &["plur"]
    } else if g.contains("femn") {
        &["femn", "sing"]
    } else if g.contains("neut") {
        &["neut", "sing"]
    } else if g.contains("masc") || g.contains("Ms-f") {
        &["masc", "sing"]
    } else {
        &["plur"]
    };
    let word_parse = morph::parses(word).into_iter().find(|p| {
        ["INFN", "VERB", "ADJF", "PRTF", "ADJS", "PRTS"].iter().any(|pos| p.grammemes.contains(*pos))
    })?;
    let pos = &word_parse.grammemes;
    let case = [("nomn", "nomn"), ("gent", "gent"), ("gen1", "gent"), ("gen2", "gent"), ("datv", "datv")]
        .into_iter()
        .chain([("accs", "accs"), ("acc2", "accs"), ("ablt", "ablt"), ("loct", "loct")])
        .chain([("loc1", "loct"), ("loc2", "loct"), ("voct", "nomn")])
        .find(|(g2, _)| g.contains(*g2))
        .map_or("nomn", |(_, c)| c);
    let kind: &[&str] = if pos.contains("INFN") || pos.contains("VERB") {
        &["VERB", "past"]
    } else if pos.contains("ADJF") {
        &["ADJF"]
    } else if pos.contains("PRTF") {
        &["PRTF"]
    } else if pos.contains("ADJS") {
        &["ADJS"]
    } else {
        &["PRTS"]
    };
    let mut wanted: Vec<&str> = kind.iter().chain(number).copied().collect();
    if kind == ["ADJF"] || kind == ["PRTF"] {
        wanted.push(case);
        // An accusative adjective takes the noun's animacy where it has two forms (masculine
        // singular, plural); the other forms carry no animacy, hence the second try without.
        if let Some(a) = ["anim", "inan"].into_iter().find(|a| case == "accs" && g.contains(*a)) {
            let animate: Vec<&str> = wanted.iter().copied().chain([a]).collect();
            if let Some(form) = morph::inflect(&word_parse.normal_form, &animate) {
                return Some(form);
            }
        }
    }
    morph::inflect(&word_parse.normal_form, &wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nouns_are_normalised_and_verbs_agree() {
        assert_eq!(noun_form("котами").as_deref(), Some("кот"));
        assert_eq!(noun_form("стали"), None);
        assert_eq!(noun_form("ножницы").as_deref(), Some("ножницы"));
        assert_eq!(noun_form("море").as_deref(), Some("море"));
        assert_eq!(noun_form("сахара").as_deref(), Some("сахар"));
        assert_eq!(noun_form("римлян").as_deref(), Some("римлянин"));
        assert_eq!(agree("заебать", "кошка").as_deref(), Some("заебала"));
        assert_eq!(agree("заебать", "кот").as_deref(), Some("заебал"));
        assert_eq!(agree("заебать", "окно").as_deref(), Some("заебало"));
        assert_eq!(agree("заебать", "ножницы").as_deref(), Some("заебали"));
        assert_eq!(agree("новый", "ножницы").as_deref(), Some("новые"));
        assert_eq!(agree("новый", "кошка").as_deref(), Some("новая"));
        assert_eq!(agree("кот", "кошка"), None);
        // In the noun's case, with its animacy in the accusative.
        assert_eq!(agree("серый", "кошкой").as_deref(), Some("серой"));
        assert_eq!(agree("серый", "котов").as_deref(), Some("серых"));
        assert_eq!(agree("серый", "стол").as_deref(), Some("серый"));
    }

    #[test]
    fn zaebot_output() {
        let n = Nouns::parse("nouns:1;inflect=заебать", true).unwrap();
        assert_eq!(n.run("Опять эта кошка", 1, &[], &[]).unwrap().as_deref(), Some("Заебала кошка"));
        assert_eq!(n.run("ну и что", 1, &[], &[]).unwrap(), None);
        assert!(Nouns::parse("nouns:1;inflect=кот", true).unwrap_err().contains("inflect=кот"));
        assert!(Nouns::parse("nouns:0", false).is_err());
    }
}
