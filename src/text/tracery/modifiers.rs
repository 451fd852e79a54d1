//! Tracery's modifiers (`#animal.a#`, `#story.replace(he,she)#`) and farm's own for Russian, which
//! inflect through the embedded dictionary (`#зверь.gent#`, `#цвет.agree(зверь)#`).
//!
//! The English ones behave as in v21/tracery (what Cheap Bots Done Quick runs) and pytracery,
//! checked against their documented cases; where those two disagree or misbehave, the choice is
//! noted at the function.

use crate::text::{morph, nouns, words};

/// A modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mod {
    /// The first character upper-case.
    Capitalize,
    /// The first letter of every word upper-case.
    CapitalizeAll,
    /// All upper-case.
    Uppercase,
    /// All lower-case.
    Lowercase,
    /// `a` or `an` before it.
    A,
    /// English plural.
    S,
    /// English plural of the first word.
    FirstS,
    /// English past tense.
    Ed,
    /// Replace every `a` by `b`: `replace(a,b)`.
    Replace,
    /// In double quotes.
    InQuotes,
    /// A comma after it, unless it ends in punctuation.
    Comma,
    /// Russian: the phrase in an OpenCorpora case or number (`nomn`, `gent`, … `plur`).
    Inflect(&'static str),
    /// Russian: adjectives, participles and verbs made to agree with a noun: `agree(SYMBOL)`.
    Agree,
}

/// Every modifier name, for messages and the README.
pub const NAMES: &[&str] = &[
    "capitalize",
    "capitalizeAll",
    "uppercase",
    "lowercase",
    "a",
    "s",
    "firstS",
    "ed",
    "replace(a,b)",
    "inQuotes",
    "comma",
    "nomn",
    "gent",
    "datv",
    "accs",
    "ablt",
    "loct",
    "sing",
    "plur",
    "agree(symbol)",
];

/// The Russian case and number modifiers: each is the OpenCorpora grammeme it inflects to.
const GRAMMEMES: [&str; 8] = ["nomn", "gent", "datv", "accs", "ablt", "loct", "sing", "plur"];

impl Mod {
    /// The modifier called `name`.
    pub fn named(name: &str) -> Option<Mod> {
        Some(match name {
            "capitalize" => Mod::Capitalize,
            "capitalizeAll" => Mod::CapitalizeAll,
            "uppercase" => Mod::Uppercase,
            "lowercase" => Mod::Lowercase,
            "a" => Mod::A,
            "s" => Mod::S,
            "firstS" => Mod::FirstS,
            "ed" => Mod::Ed,
            "replace" => Mod::Replace,
            "inQuotes" => Mod::InQuotes,
            "comma" => Mod::Comma,
            "agree" => Mod::Agree,
            _ => return GRAMMEMES.iter().find(|g| **g == name).map(|g| Mod::Inflect(g)),
        })
    }

    /// Check the parameters given to it: `replace` takes two (the first not empty), `agree` the
    /// name of a rule, the others none.
    pub fn check_params(self, params: &[String]) -> Result<(), String> {
        match (self, params) {
            (Mod::Replace, [from, _]) if !from.is_empty() => Ok(()),
            (Mod::Replace, _) => Err("write replace(FROM,TO), FROM not empty".into()),
            (Mod::Agree, [symbol]) if !symbol.trim().is_empty() => Ok(()),
            (Mod::Agree, _) => Err("write agree(RULE): the rule whose noun it agrees with".into()),
            (_, []) => Ok(()),
            _ => Err("takes no parameters".into()),
        }
    }

    /// The rule a parameter names (`agree(noun)`), which the grammar must have.
    pub fn symbol_param(self, params: &[String]) -> Option<&str> {
        match (self, params) {
            (Mod::Agree, [symbol]) => Some(symbol.trim()),
            _ => None,
        }
    }

    /// Whether it reads the morphology dictionary (and costs a step per word).
    pub fn is_russian(self) -> bool {
        matches!(self, Mod::Inflect(_) | Mod::Agree)
    }

    /// Apply it to `s`. `noun` is the expansion of `agree`'s rule.
    pub fn apply(self, s: &str, params: &[String], noun: Option<&str>) -> String {
        match self {
            Mod::Capitalize => words::upper_first(s),
            Mod::CapitalizeAll => capitalize_all(s),
            Mod::Uppercase => s.to_uppercase(),
            Mod::Lowercase => s.to_lowercase(),
            Mod::A => a(s),
            Mod::S => plural(s),
            Mod::FirstS => first_s(s),
            Mod::Ed => ed(s),
            Mod::Replace => match params {
                [from, to] if !from.is_empty() => s.replace(from.as_str(), to),
                _ => s.to_string(),
            },
            Mod::InQuotes => format!("\"{s}\""),
            Mod::Comma => comma(s),
            Mod::Inflect(g) => inflect_phrase(s, g),
            Mod::Agree => agree_phrase(s, noun.unwrap_or_default()),
        }
    }
}

fn is_vowel(c: Option<char>) -> bool {
    c.is_some_and(|c| matches!(c.to_ascii_lowercase(), 'a' | 'e' | 'i' | 'o' | 'u'))
}

/// The first letter or digit after anything else upper-case (`o'hara` → `O'Hara`). Letters and
/// digits of every script count (v21/tracery counts only ASCII ones, so it upper-cases every
/// letter of a Cyrillic word).
fn capitalize_all(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut next = true;
    for c in s.chars() {
        if c.is_alphanumeric() {
            if next {
                out.extend(c.to_uppercase());
            } else {
                out.push(c);
            }
            next = false;
        } else {
            out.push(c);
            next = true;
        }
    }
    out
}

/// `an` before a vowel, `a` otherwise, and `a` before `u?i` (`a unicorn`, `an underdog`).
fn a(s: &str) -> String {
    let mut chars = s.chars();
    let first = chars.next();
    let third = chars.nth(1);
    let uni = first.is_some_and(|c| c.eq_ignore_ascii_case(&'u'))
        && third.is_some_and(|c| c.eq_ignore_ascii_case(&'i'));
    if !uni && is_vowel(first) {
        format!("an {s}")
    } else {
        format!("a {s}")
    }
}

/// `-es` after s, h or x, `-ies` for a consonant and y, `-s` otherwise; endings compared in any
/// case (pytracery: `BOX` → `BOXes`).
fn plural(s: &str) -> String {
    let mut rev = s.chars().rev();
    let (last, before) = (rev.next(), rev.next());
    match last.map(|c| c.to_ascii_lowercase()) {
        Some('s' | 'h' | 'x') => format!("{s}es"),
        Some('y') if !is_vowel(before) => format!("{}ies", &s[..s.len() - 1]),
        _ => format!("{s}s"),
    }
}

/// The plural of the first word (`elephant in a box` → `elephants in a box`).
fn first_s(s: &str) -> String {
    match s.split_once(' ') {
        Some((first, rest)) => format!("{} {rest}", plural(first)),
        None => plural(s),
    }
}

/// `-d` after e, `-ied` for a consonant and y, `-ed` otherwise (also after a vowel and y:
/// `played`, where v21/tracery gives `playd` and pytracery nothing).
fn ed(s: &str) -> String {
    let mut rev = s.chars().rev();
    let (last, before) = (rev.next(), rev.next());
    match last.map(|c| c.to_ascii_lowercase()) {
        Some('e') => format!("{s}d"),
        Some('y') if !is_vowel(before) => format!("{}ied", &s[..s.len() - 1]),
        _ => format!("{s}ed"),
    }
}

/// A comma after it, unless it ends in `,` `.` `?` or `!`.
fn comma(s: &str) -> String {
    if s.ends_with([',', '.', '?', '!']) {
        s.to_string()
    } else {
        format!("{s},")
    }
}

/// The Russian words of `s`, as (start, end) byte ranges: letters and inner hyphens.
fn russian_words(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in s.char_indices() {
        let in_word = morph::is_cyrillic(c) || (c == '-' && start.is_some());
        match (in_word, start) {
            (true, None) => start = Some(i),
            (false, Some(b)) => {
                out.push((b, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(b) = start {
        out.push((b, s.len()));
    }
    out.into_iter()
        .map(|(b, e)| (b, b + s[b..e].trim_end_matches('-').len()))
        .filter(|(b, e)| e > b)
        .collect()
}

/// `s` with the Russian words the closure gives a new form for replaced, case kept; the closure
/// also says when to stop.
fn rewrite(s: &str, mut f: impl FnMut(&str) -> (Option<String>, bool)) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut done = 0;
    for (b, e) in russian_words(s) {
        let word = &s[b..e];
        let (form, stop) = f(word);
        out.push_str(&s[done..b]);
        match form {
            Some(form) => out.push_str(&words::same_case(&word.chars().collect::<Vec<_>>(), &form)),
            None => out.push_str(word),
        }
        done = e;
        if stop {
            break;
        }
    }
    out.push_str(&s[done..]);
    out
}

/// The head of a Russian noun phrase put in case or number `g`: every word up to and including
/// the first noun (`серый волк` → `серого волка`; `кот в сапогах` → `кота в сапогах`). Words the
/// dictionary has no such form of stay as they are.
fn inflect_phrase(s: &str, g: &str) -> String {
    rewrite(s, |word| {
        let noun = morph::parses(word).first().is_some_and(|p| p.grammemes.contains("NOUN"));
        (morph::inflect(word, &[g]), noun)
    })
}

/// The adjectives, participles and verbs of `s` made to agree with the first noun of `noun`
/// (gender, number, case; verbs in the past tense).
fn agree_phrase(s: &str, noun: &str) -> String {
    let head = russian_words(noun)
        .into_iter()
        .map(|(b, e)| &noun[b..e])
        .find(|w| morph::parses(w).iter().any(|p| p.grammemes.contains("NOUN")));
    match head {
        Some(head) => rewrite(s, |word| (nouns::agree(word, head), false)),
        None => s.to_string(),
    }
}

/// How many words a Russian modifier looks up in `s` (its cost in steps).
pub fn word_count(s: &str) -> usize {
    russian_words(s).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(name: &str, s: &str) -> String {
        Mod::named(name).unwrap().apply(s, &[], None)
    }

    /// pytracery's tests/test_modifiers.py, case by case.
    #[test]
    fn english_modifiers_match_pytracery() {
        assert_eq!(Mod::Replace.apply("a big ship", &["ship".into(), "shop".into()], None), "a big shop");
        for (name, input, want) in [
            ("capitalizeAll", "abc def", "Abc Def"),
            ("capitalize", "abc def", "Abc def"),
            ("a", "house", "a house"),
            ("a", "HOUSE", "a HOUSE"),
            ("a", "unicorn", "a unicorn"),
            ("a", "UNICORN", "a UNICORN"),
            ("a", "underdog", "an underdog"),
            ("a", "UNDERDOG", "an UNDERDOG"),
            ("a", "elephant", "an elephant"),
            ("a", "ELEPHANT", "an ELEPHANT"),
            ("firstS", "elephant in a phonebox", "elephants in a phonebox"),
            ("firstS", "ELEPHANT IN A PHONEBOX", "ELEPHANTs IN A PHONEBOX"),
            ("s", "box", "boxes"),
            ("s", "BOX", "BOXes"),
            ("s", "goat", "goats"),
            ("s", "GOAT", "GOATs"),
            ("s", "monkey", "monkeys"),
            ("s", "MONKEY", "MONKEYs"),
            ("s", "telly", "tellies"),
            ("s", "TELLY", "TELLies"),
            ("ed", "glide", "glided"),
            ("ed", "GLIDE", "GLIDEd"),
            ("ed", "shimmy", "shimmied"),
            ("ed", "SHIMMY", "SHIMMied"),
            ("ed", "jump", "jumped"),
            ("ed", "JUMP", "JUMPed"),
            ("uppercase", "jump up", "JUMP UP"),
            ("lowercase", "GET DOWN", "get down"),
        ] {
            assert_eq!(m(name, input), want, "{name}({input})");
        }
    }

    /// The modifiers of the original tracery.js (master, js/tracery/modifiers.js) and farm's
    /// choices where the ports differ.
    #[test]
    fn other_modifiers() {
        assert_eq!(m("inQuotes", "hi"), "\"hi\"");
        assert_eq!(m("comma", "hi"), "hi,");
        for done in ["hi,", "hi.", "hi?", "hi!"] {
            assert_eq!(m("comma", done), done);
        }
        assert_eq!(m("s", "church"), "churches");
        assert_eq!(m("ed", "play"), "played");
        assert_eq!(m("capitalizeAll", "o'hara of new-york"), "O'Hara Of New-York");
        assert_eq!(m("capitalizeAll", "серый волк"), "Серый Волк");
        assert_eq!(m("capitalize", "ёлка"), "Ёлка");
        assert_eq!(m("a", ""), "a ");
        assert_eq!(m("s", ""), "s");
        assert!(Mod::named("beeSpeak").is_none());
        assert!(Mod::Replace.check_params(&["".into(), "x".into()]).is_err());
        assert!(Mod::A.check_params(&["x".into()]).is_err());
        assert_eq!(Mod::Agree.symbol_param(&[" noun ".into()]), Some("noun"));
    }

    #[test]
    fn russian_phrases_inflect_up_to_their_noun() {
        assert_eq!(m("gent", "зверь"), "зверя");
        assert_eq!(m("gent", "серый волк"), "серого волка");
        assert_eq!(m("ablt", "Серый волк"), "Серым волком");
        assert_eq!(m("plur", "серый волк"), "серые волки");
        assert_eq!(m("datv", "кот в сапогах"), "коту в сапогах");
        assert_eq!(m("loct", "большая кошка"), "большой кошке");
        assert_eq!(m("accs", "КОШКА"), "КОШКУ");
        assert_eq!(m("gent", "Tom"), "Tom");
        // A plural stays plural in another case, by closeness to its own form.
        assert_eq!(m("gent", "коты"), "котов");
    }

    #[test]
    fn adjectives_and_verbs_agree_with_a_noun() {
        let agree = |s: &str, noun: &str| Mod::Agree.apply(s, &[], Some(noun));
        assert_eq!(agree("серый", "кошка"), "серая");
        assert_eq!(agree("очень серый", "окно"), "очень серое");
        assert_eq!(agree("Серый", "кошками"), "Серыми");
        assert_eq!(agree("серый", "большой кошкой"), "серой");
        assert_eq!(agree("уснуть", "кошка"), "уснула");
        assert_eq!(agree("серый", "Tom"), "серый");
    }
}
