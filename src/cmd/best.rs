//! `farm best WRITER [-n N] [--json]` (the original's `print_best`) and `farm create analyzer`.

use super::{finish, now, open, open_required, print_json, Globals};
use crate::bot::analyzer;
use crate::bot::registry::{
    apply_analyzer, check_analyzer, dependents, describe_analyzer, get, new_bot, thresholds, Settings,
};
use crate::bot::{writer, Bot, Role};
use crate::cli::AnalyzerArgs;
use crate::clock;
use crate::error::{FarmError, Result};
use crate::model::normalize_name;
use crate::store::Store;
use serde::Serialize;

/// The writer a `farm best`/`farm prune` argument names: a writer, or an analyzer's writer.
pub fn writer_of(store: &Store, name: &str) -> Result<Bot> {
    let bot = get(store, name)?;
    match bot.role {
        Role::Writer => Ok(bot),
        Role::Analyzer => get(store, bot.source.as_deref().unwrap_or_default()),
        Role::Reader => Err(FarmError::usage(format!("{} is a reader; name a writer", bot.name))),
    }
}

/// A scored phrase in `farm best --json`.
#[derive(Serialize)]
pub struct Phrase {
    /// The phrase as posted (the template's literal text stripped).
    pub text: String,
    /// Its score: likes + repost weight × reposts.
    pub score: i64,
}

/// A word and its score in `farm best --json`.
#[derive(Serialize)]
pub struct Word {
    /// The word (its normal form for Russian).
    pub word: String,
    /// The sum over the scored posts containing it of (post score − the average).
    pub score: i64,
}

/// What `farm best` shows; `farm best --json` prints it as it is.
#[derive(Serialize)]
pub struct Best {
    /// The writer.
    pub writer: String,
    /// Its analyzer; `null` when it has none.
    pub analyzer: Option<String>,
    /// The best `n` phrases, best first (ties by text).
    pub phrases: Vec<Phrase>,
    /// Words scoring above this are hot.
    pub hot_above: i64,
    /// Hot words, best first.
    pub hot_words: Vec<Word>,
    /// Words scoring below this are boring.
    pub boring_below: i64,
    /// Boring words, worst first.
    pub boring_words: Vec<Word>,
}

/// The best `n` phrases of writer `w` with their scores, and its hot and boring words with
/// theirs.
pub fn best(store: &Store, w: &Bot, n: usize) -> Result<Best> {
    let phrases = analyzer::best_phrases(store, &w.name)?;
    let analyzer = dependents(store, &w.name)?.into_iter().find(|b| b.role == Role::Analyzer).map(|a| a.name);
    let scores = analyzer::word_scores(store, &w.name)?;
    let (boring, hot) = writer::feedback(store, w)?;
    let words = |words: &[String], desc: bool| {
        let mut v: Vec<Word> = words
            .iter()
            .map(|x| Word { word: x.clone(), score: scores.get(x).copied().unwrap_or(0) })
            .collect();
        v.sort_by(|a, b| {
            if desc { b.score.cmp(&a.score) } else { a.score.cmp(&b.score) }.then_with(|| a.word.cmp(&b.word))
        });
        v
    };
    let (boring_below, hot_above) = thresholds(w);
    Ok(Best {
        writer: w.name.clone(),
        analyzer,
        phrases: phrases.into_iter().take(n).map(|(text, score)| Phrase { text, score }).collect(),
        hot_above,
        hot_words: words(&hot, true),
        boring_below,
        boring_words: words(&boring, false),
    })
}

/// The text of `farm best`: the best phrases as posted with their scores, then the hot and
/// the boring words with theirs.
pub fn report(b: &Best) -> String {
    if b.phrases.is_empty() {
        let hint = match &b.analyzer {
            Some(a) => format!("its analyzer {a} has not scored anything yet"),
            None => format!("create an analyzer: farm create analyzer {0}-rates --writer {0}", b.writer),
        };
        return format!("no scores for {} yet; {hint}\n", b.writer);
    }
    let mut out = String::new();
    let width = b.phrases.iter().map(|p| p.score.to_string().len()).max().unwrap_or(1);
    for p in &b.phrases {
        out.push_str(&format!("{:>width$}  {}\n", p.score, p.text));
    }
    let list = |words: &[Word]| {
        let s: Vec<String> = words.iter().map(|w| format!("{} ({})", w.word, w.score)).collect();
        if s.is_empty() {
            "none".to_string()
        } else {
            s.join(", ")
        }
    };
    out.push_str(&format!("\nhot words (above {}): {}\n", b.hot_above, list(&b.hot_words)));
    out.push_str(&format!("boring words (below {}): {}\n", b.boring_below, list(&b.boring_words)));
    out
}

/// `farm best WRITER [-n N] [--json]`.
pub fn run(g: &Globals, name: &str, n: usize, json: bool) -> Result<()> {
    let store = open_required(&g.dir)?;
    let w = writer_of(&store, name)?;
    let b = best(&store, &w, n)?;
    if json {
        return print_json(&b);
    }
    crate::out::write_str(&report(&b))
}

/// `farm create analyzer NAME --writer WRITER [--every 1d] [--min-age 1d] [--repost-weight 3]
/// [--boring-below -10] [--hot-above 10]`. The minimum age and weight are settings of the
/// analyzer; the thresholds are settings of the writer (its feedback reads them), see
/// [`apply_analyzer`]. A writer has at most one analyzer.
pub fn create_analyzer(g: &Globals, a: AnalyzerArgs) -> Result<()> {
    normalize_name(&a.name)?;
    let opts = super::analyzer_settings(&a.analyzer);
    check_analyzer(&opts)?;
    let store = open(&g.dir)?;
    let now = now()?;
    let s = Settings { source: Some(a.writer.clone()), every: a.every.clone(), ..Default::default() };
    let mut bot = new_bot(&store, Role::Analyzer, &a.name, &s, Default::default(), now)?;
    let writer_name = bot.source.clone().unwrap_or_default();
    if let Some(other) = dependents(&store, &writer_name)?.into_iter().find(|b| b.role == Role::Analyzer) {
        return Err(FarmError::usage(format!(
            "{writer_name} already has an analyzer, {}; one is enough (`farm destroy {}` to replace it)",
            other.name, other.name
        )));
    }
    let mut w = get(&store, &writer_name)?;
    apply_analyzer(&mut bot, &mut w, &opts)?;
    store.put_bot(&w)?;
    store.put_bot(&bot)?;
    let line = format!(
        "created analyzer of {writer_name}: every {}, {}",
        clock::format_duration(bot.every),
        describe_analyzer(&bot, &w)
    );
    store.log(&bot.name, now, "create", &line)?;
    store.log(&writer_name, now, "edit", &format!("analyzed by {}", bot.name))?;
    finish(&store)?;
    eprintln!("{}: {line}", bot.name);
    Ok(())
}
