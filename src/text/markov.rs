//! The `markov` processor: a word n-gram chain over the reader's recent posts that makes a new
//! sentence, rejecting ones that copy the corpus (like markovify: verbatim, or an overlap of
//! 15 words / 70 %), and giving up after a bounded number of tries. Small corpora are the normal
//! case, so giving up (skipping this run) is an expected outcome, not an error. @mentions, links
//! and `RT` markers are left out of the corpus, so they never appear in a result.

use std::collections::HashMap;

use super::rng::Rng;
use super::spec;
use super::words;

/// A configured `markov` processor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Markov {
    /// Words of context per step (1–3).
    pub order: usize,
    /// Sentences to try before giving up.
    pub tries: usize,
    /// Longest result in characters.
    pub max_len: usize,
    /// Fewest words in a result.
    pub min_words: usize,
    /// Longest run of words a result may share with one corpus text.
    pub max_overlap: usize,
    /// … and no more than this percentage of the result's words.
    pub max_overlap_pct: usize,
    /// A fixed seed instead of the run's.
    pub seed: Option<u64>,
}

const KEYS: &[&str] = &["order", "tries", "max-len", "min-words", "max-overlap", "max-overlap-pct", "seed"];
const SYNTAX: &str = "markov[:order=1..3][;tries=N][;max-len=N][;min-words=N][;max-overlap=N]\
                      [;max-overlap-pct=N][;seed=N], e.g. markov:order=2;tries=50";
/// A generated sentence longer than this many words is abandoned.
const MAX_WORDS: usize = 200;

impl Default for Markov {
    fn default() -> Markov {
        Markov {
            order: 2,
            tries: 50,
            max_len: 280,
            min_words: 3,
            max_overlap: 15,
            max_overlap_pct: 70,
            seed: None,
        }
    }
}

impl Markov {
    /// Parse a `markov…` spec.
    pub fn parse(spec_text: &str) -> Result<Markov, String> {
        let bad = |e: String| format!("{e}; syntax: {SYNTAX}");
        let parts = spec::parse(spec_text, KEYS).map_err(bad)?;
        if let Some(p) = &parts.positional {
            return Err(bad(format!("unexpected '{p}'")));
        }
        let mut m = Markov::default();
        for (key, value) in &parts.options {
            let n = |min, max| spec::number(key, value, min, max).map_err(bad);
            match key.as_str() {
                "order" => m.order = n(1, 3)? as usize,
                "tries" => m.tries = n(1, 1000)? as usize,
                "max-len" => m.max_len = n(1, 100_000)? as usize,
                "min-words" => m.min_words = n(1, 100)? as usize,
                "max-overlap" => m.max_overlap = n(1, 1000)? as usize,
                "max-overlap-pct" => m.max_overlap_pct = n(1, 100)? as usize,
                "seed" => m.seed = Some(n(0, u64::MAX)?),
                _ => {}
            }
        }
        Ok(m)
    }

    /// One line for `farm show`.
    pub fn describe(&self) -> String {
        let seed = self.seed.map(|s| format!(", seed {s}")).unwrap_or_default();
        format!(
            "markov: order {}, {} tries, max {} chars, min {} words, max overlap {} words / {}%{seed}",
            self.order, self.tries, self.max_len, self.min_words, self.max_overlap, self.max_overlap_pct
        )
    }

    /// A new sentence made from `corpus`, or `None` when no try gave an acceptable one. The same
    /// corpus and seed give the same result. With `hot` words, all tries are made and the first
    /// acceptable sentence with a hot word wins; sentences with `boring` words are not acceptable.
    pub fn generate(
        &self,
        corpus: &[String],
        seed: u64,
        boring: &[String],
        hot: &[String],
    ) -> Option<String> {
        let texts: Vec<Vec<&str>> = corpus.iter().map(|t| tokens(t)).filter(|w| !w.is_empty()).collect();
        let chain = Chain::build(&texts, self.order);
        let mut rng = Rng::new(self.seed.unwrap_or(seed));
        let mut first = None;
        for _ in 0..self.tries {
            let Some(sentence) = chain.walk(&mut rng) else { continue };
            if !self.acceptable(&sentence, &texts) {
                continue;
            }
            let text = sentence.join(" ");
            if words::mentions_any(&text, boring) {
                continue;
            }
            if hot.is_empty() || words::mentions_any(&text, hot) {
                return Some(text);
            }
            first.get_or_insert(text);
        }
        first
    }

    fn acceptable(&self, sentence: &[&str], texts: &[Vec<&str>]) -> bool {
        let chars =
            sentence.iter().map(|w| w.chars().count()).sum::<usize>() + sentence.len().saturating_sub(1);
        if sentence.len() < self.min_words || chars > self.max_len {
            return false;
        }
        // markovify's test_sentence_output: no run of `limit + 1` words (the whole sentence when it
        // is shorter) may appear in a corpus text.
        let by_ratio = (self.max_overlap_pct * sentence.len() + 50) / 100;
        let limit = self.max_overlap.min(by_ratio);
        let window = (limit + 1).min(sentence.len());
        for gram in sentence.windows(window) {
            if texts.iter().any(|t| t.windows(window).any(|w| w == gram)) {
                return false;
            }
        }
        true
    }
}

/// The words of a corpus text, without a leading `RT`, @mentions and links: a made-up sentence
/// must never ping people or point anywhere.
fn tokens(text: &str) -> Vec<&str> {
    let mut words: Vec<&str> = text
        .split_whitespace()
        .filter(|w| !(w.starts_with('@') || w.contains("://") || w.starts_with("www.")))
        .collect();
    if words.first() == Some(&"RT") {
        words.remove(0);
    }
    words
}

/// The word chain: for each state (the last `order` words, `""` before the start) the words that
/// followed it, with counts, in the order first seen (`None` = the text ended).
struct Chain<'a> {
    order: usize,
    next: HashMap<Vec<&'a str>, Vec<(Option<&'a str>, u32)>>,
}

impl<'a> Chain<'a> {
    fn build(texts: &[Vec<&'a str>], order: usize) -> Chain<'a> {
        let mut next: HashMap<Vec<&'a str>, Vec<(Option<&'a str>, u32)>> = HashMap::new();
        for text in texts {
            let mut state = vec![""; order];
            for word in text.iter().map(|w| Some(*w)).chain([None]) {
                let followers = next.entry(state.clone()).or_default();
                match followers.iter_mut().find(|(w, _)| *w == word) {
                    Some((_, count)) => *count += 1,
                    None => followers.push((word, 1)),
                }
                if let Some(word) = word {
                    state.remove(0);
                    state.push(word);
                }
            }
        }
        Chain { order, next }
    }

    /// One random walk from the start to an end, or `None` if it runs too long.
    fn walk(&self, rng: &mut Rng) -> Option<Vec<&'a str>> {
        let mut state = vec![""; self.order];
        let mut sentence = Vec::new();
        while sentence.len() <= MAX_WORDS {
            let followers = self.next.get(&state)?;
            let total: u64 = followers.iter().map(|(_, c)| u64::from(*c)).sum();
            let mut pick = rng.below(total);
            let mut chosen = None;
            for (word, count) in followers {
                if pick < u64::from(*count) {
                    chosen = Some(*word);
                    break;
                }
                pick -= u64::from(*count);
            }
            match chosen? {
                Some(word) => {
                    sentence.push(word);
                    state.remove(0);
                    state.push(word);
                }
                None => return Some(sentence),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn one_text_gives_nothing_new() {
        let m = Markov::default();
        assert_eq!(m.generate(&corpus(&["the cat sat on the mat today"]), 1, &[], &[]), None);
        assert_eq!(m.generate(&[], 1, &[], &[]), None);
    }

    #[test]
    fn mixes_texts_and_is_deterministic() {
        let c = corpus(&[
            "the cat sat on the warm mat",
            "a dog sat on the cold floor",
            "the cat ate the fish",
            "a dog ate the bone",
        ]);
        let m = Markov::parse("markov:order=1;min-words=4").unwrap();
        let a = m.generate(&c, 42, &[], &[]).expect("a sentence");
        assert_eq!(m.generate(&c, 42, &[], &[]).as_deref(), Some(a.as_str()));
        assert!(!c.contains(&a));
    }

    #[test]
    fn never_emits_mentions_or_links() {
        let c =
            corpus(&["RT @bob: the cat sat on https://x.y the mat", "@ann a dog sat on the rug www.z.com"]);
        let m = Markov::parse("markov:order=1;min-words=2;tries=100").unwrap();
        for seed in 0..30 {
            if let Some(s) = m.generate(&c, seed, &[], &[]) {
                assert!(
                    !s.contains('@') && !s.contains("http") && !s.contains("www") && !s.starts_with("RT"),
                    "{s}"
                );
            }
        }
    }

    #[test]
    fn parses_options() {
        assert_eq!(Markov::parse("markov").unwrap(), Markov::default());
        assert_eq!(Markov::parse("markov:order=3;seed=9").unwrap().seed, Some(9));
        assert!(Markov::parse("markov:order=4").unwrap_err().contains("order=4"));
        assert!(Markov::parse("markov:2").unwrap_err().contains("unexpected '2'"));
    }
}
