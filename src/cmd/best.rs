//! `farm best WRITER [-n N]` (the original's `print_best`) and `farm create analyzer`.

use super::{finish, now, open, open_required, Globals};
use crate::bot::analyzer;
use crate::bot::model::normalize_name;
use crate::bot::registry::{
    apply_analyzer, check_analyzer, dependents, describe_analyzer, get, new_bot, thresholds, Settings,
};
use crate::bot::{writer, Bot, Role};
use crate::cli::AnalyzerArgs;
use crate::clock;
use crate::error::{FarmError, Result};
use crate::store::Store;

/// The writer a `farm best`/`farm prune` argument names: a writer, or an analyzer's writer.
pub fn writer_of(store: &Store, name: &str) -> Result<Bot> {
    let bot = get(store, name)?;
    match bot.role {
        Role::Writer => Ok(bot),
        Role::Analyzer => get(store, bot.source.as_deref().unwrap_or_default()),
        Role::Reader => Err(FarmError::usage(format!("{} is a reader; name a writer", bot.name))),
    }
}

/// The text of `farm best`: the best `n` posts as posted with their scores, then the hot and
/// the boring words with theirs.
pub fn report(store: &Store, w: &Bot, n: usize) -> Result<String> {
    let phrases = analyzer::best_phrases(store, &w.name)?;
    if phrases.is_empty() {
        let hint = match dependents(store, &w.name)?.into_iter().find(|b| b.role == Role::Analyzer) {
            Some(a) => format!("its analyzer {} has not scored anything yet", a.name),
            None => format!("create an analyzer: farm create analyzer {0}-rates --writer {0}", w.name),
        };
        return Ok(format!("no scores for {} yet; {hint}\n", w.name));
    }
    let mut out = String::new();
    let shown = &phrases[..n.min(phrases.len())];
    let width = shown.iter().map(|(_, s)| s.to_string().len()).max().unwrap_or(1);
    for (text, score) in shown {
        out.push_str(&format!("{score:>width$}  {text}\n"));
    }
    let scores = analyzer::word_scores(store, &w.name)?;
    let (boring, hot) = writer::feedback(store, w)?;
    let list = |words: &[String], desc: bool| {
        let mut v: Vec<(&String, i64)> =
            words.iter().map(|x| (x, scores.get(x).copied().unwrap_or(0))).collect();
        v.sort_by(|a, b| if desc { b.1.cmp(&a.1) } else { a.1.cmp(&b.1) }.then_with(|| a.0.cmp(b.0)));
        let s: Vec<String> = v.iter().map(|(x, s)| format!("{x} ({s})")).collect();
        if s.is_empty() {
            "none".to_string()
        } else {
            s.join(", ")
        }
    };
    let (boring_below, hot_above) = thresholds(w);
    out.push_str(&format!("\nhot words (above {hot_above}): {}\n", list(&hot, true)));
    out.push_str(&format!("boring words (below {boring_below}): {}\n", list(&boring, false)));
    Ok(out)
}

/// `farm best WRITER [-n N]`.
pub fn run(g: &Globals, name: &str, n: usize) -> Result<()> {
    let store = open_required(&g.dir)?;
    let w = writer_of(&store, name)?;
    crate::out!("{}", report(&store, &w, n)?)?;
    Ok(())
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
