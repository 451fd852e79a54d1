//! Analyzers: score a writer's own posts by engagement and feed hot and boring words back.
//!
//! An analyzer belongs to one writer (its `source`) and talks to the network with the writer's
//! endpoint and credentials. When due it makes one `own_posts` request (the newest
//! [`OWN_POSTS_CAP`] posts, with likes and reposts) and scores the posts older than its
//! `min_age` (younger ones have not had their chance yet):
//!
//! * a post's score is `likes + repost_weight × reposts` (default weight 3, as the original);
//! * its phrase is the text with the writer's template literal parts stripped
//!   ([`strip_template`]), like the original stripped the template prefix;
//! * a word's score is the **sum**, over the scored posts whose phrase contains the word, of how
//!   far the post's score is from the average score of all scored posts (rounded). A word that
//!   is in every post scores 0; a word that keeps turning up in flops sinks; one that keeps
//!   turning up in hits rises. (Raw engagement is never negative, so a plain sum or average
//!   could never fall below a negative "boring" threshold.) Words are compared in the writer's
//!   dedup normal form (lower case, `ё` = `е`, Russian words by lemma); words shorter than
//!   [`MIN_WORD`] characters and numbers are not scored.
//!
//! Scores are stored under the writer's name in the store's scores tree: `p:TEXT AS POSTED` →
//! post score and `w:WORD` → word score, replacing the previous run's (a run with nothing old
//! enough to score keeps them). The writer reads the `w:` entries through
//! [`super::writer::feedback`]: words below its `boring_below` setting (default -10) make a
//! candidate be skipped, words above `hot_above` (default 10) make it preferred.

use super::record::{self, blocked_until};
use super::run::Connector;
use super::{endpoint_at, writer};
use crate::clock;
use crate::error::{FarmError, Result};
use crate::model::{Bot, BotState, Counters, Role};
use crate::net::{Call, OwnPost};
use crate::store::Store;
use crate::text::dedup;
use crate::text::template::Template;
use std::collections::BTreeMap;

/// Own posts fetched per run (one request on every platform).
pub const OWN_POSTS_CAP: usize = 100;
/// Default minimum age of a scored post, seconds (1 day).
pub const DEFAULT_MIN_AGE: u64 = 86_400;
/// Default weight of a repost against a like.
pub const DEFAULT_REPOST_WEIGHT: i64 = 3;
/// Shortest word that gets a score, in characters.
pub const MIN_WORD: usize = 3;
/// Score key prefix of posted texts.
pub const PHRASE_PREFIX: &str = "p:";
/// Score key prefix of words (read by the writer).
pub const WORD_PREFIX: &str = "w:";
/// Setting (on the analyzer): minimum age in seconds.
pub const MIN_AGE_KEY: &str = "min_age";
/// Setting (on the analyzer): repost weight.
pub const REPOST_WEIGHT_KEY: &str = "repost_weight";
/// Setting (on the writer): words scoring below this are boring.
pub const BORING_KEY: &str = "boring_below";
/// Setting (on the writer): words scoring above this are hot.
pub const HOT_KEY: &str = "hot_above";

/// An analyzer's options, from its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opts {
    /// Only posts at least this old (seconds) are scored.
    pub min_age: u64,
    /// Score = likes + repost_weight × reposts.
    pub repost_weight: i64,
}

impl Opts {
    /// Read the options of an analyzer (defaults for missing or unreadable settings).
    pub fn of(bot: &Bot) -> Opts {
        Opts {
            min_age: bot.setting(MIN_AGE_KEY).and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_MIN_AGE),
            repost_weight: bot
                .setting(REPOST_WEIGHT_KEY)
                .and_then(|v| v.parse().ok())
                .unwrap_or(DEFAULT_REPOST_WEIGHT),
        }
    }
}

/// The result of scoring a set of posts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scores {
    /// Each post's text as posted and its score, in the order given.
    pub phrases: Vec<(String, i64)>,
    /// Each word and its score, by word.
    pub words: BTreeMap<String, i64>,
}

/// The phrase a writer filled into its template: the text with the template's literal parts
/// removed. When the text is exactly the template around one value, that value; otherwise (a
/// post made by hand, a changed template, a platform that rewrote the text) the text without
/// the template's leading and trailing literal text, when present.
pub fn strip_template(template: Option<&str>, text: &str) -> String {
    let text = text.trim();
    let Some(t) = template.and_then(|t| Template::parse(t).ok()) else { return text.to_string() };
    const MARK: &str = "\u{0}";
    let mut parts: Vec<String> = t.render_marked(MARK).split(MARK).map(str::to_string).collect();
    let slots = parts.len().saturating_sub(1);
    if slots == 0 {
        return text.to_string();
    }
    // The writer trims what it posts.
    parts[0] = parts[0].trim_start().to_string();
    parts[slots] = parts[slots].trim_end().to_string();
    let fixed: usize = parts.iter().map(String::len).sum();
    if text.len() >= fixed && (text.len() - fixed).is_multiple_of(slots) {
        let (start, len) = (parts[0].len(), (text.len() - fixed) / slots);
        if let Some(v) = text.get(start..start + len) {
            if parts.join(v) == text {
                return v.trim().to_string();
            }
        }
    }
    let mut s = text;
    let (head, tail) = (parts[0].trim(), parts[slots].trim());
    if !head.is_empty() {
        s = s.strip_prefix(head).unwrap_or(s);
    }
    if !tail.is_empty() {
        s = s.strip_suffix(tail).unwrap_or(s);
    }
    s.trim().to_string()
}

/// The scored words of a phrase, in the writer's dedup normal form, each once.
pub fn words_of(phrase: &str) -> Vec<String> {
    let norm = if phrase.chars().any(crate::text::morph::is_cyrillic) {
        dedup::normalize_with(phrase, &crate::text::lemma)
    } else {
        dedup::normalize(phrase)
    };
    let mut out: Vec<String> = norm
        .split(' ')
        .filter(|w| w.chars().count() >= MIN_WORD && !w.chars().all(|c| c.is_numeric()))
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Score posts (see the module documentation).
pub fn score(posts: &[OwnPost], template: Option<&str>, repost_weight: i64) -> Scores {
    let mut out = Scores::default();
    if posts.is_empty() {
        return out;
    }
    let value = |p: &OwnPost| {
        let likes = i64::try_from(p.likes).unwrap_or(i64::MAX);
        let reposts = i64::try_from(p.reposts).unwrap_or(i64::MAX);
        likes.saturating_add(reposts.saturating_mul(repost_weight))
    };
    let values: Vec<i64> = posts.iter().map(value).collect();
    let mean = values.iter().map(|&v| v as f64).sum::<f64>() / values.len() as f64;
    let mut sums: BTreeMap<String, f64> = BTreeMap::new();
    for (p, &v) in posts.iter().zip(&values) {
        out.phrases.push((p.text.trim().to_string(), v));
        for w in words_of(&strip_template(template, &p.text)) {
            *sums.entry(w).or_default() += v as f64 - mean;
        }
    }
    out.words = sums.into_iter().map(|(w, s)| (w, s.round() as i64)).collect();
    out
}

/// Replace a writer's stored scores.
pub fn save(store: &Store, writer: &str, s: &Scores) -> Result<()> {
    store.clear_scores(writer)?;
    for (text, v) in &s.phrases {
        store.set_score(writer, &format!("{PHRASE_PREFIX}{text}"), *v)?;
    }
    for (w, v) in &s.words {
        store.set_score(writer, &format!("{WORD_PREFIX}{w}"), *v)?;
    }
    Ok(())
}

/// A writer's stored post scores (text as posted, score), best first.
pub fn best_phrases(store: &Store, writer: &str) -> Result<Vec<(String, i64)>> {
    let mut v: Vec<(String, i64)> = store
        .scores(writer)?
        .into_iter()
        .filter_map(|(k, s)| k.strip_prefix(PHRASE_PREFIX).map(|t| (t.to_string(), s)))
        .collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(v)
}

/// A writer's stored word scores.
pub fn word_scores(store: &Store, writer: &str) -> Result<BTreeMap<String, i64>> {
    Ok(store
        .scores(writer)?
        .into_iter()
        .filter_map(|(k, s)| k.strip_prefix(WORD_PREFIX).map(|w| (w.to_string(), s)))
        .collect())
}

/// Record a configuration problem (the writer is gone or is not a writer).
fn config_error(
    store: &Store,
    bot: &Bot,
    st: &mut BotState,
    now: i64,
    dry: bool,
    msg: String,
) -> Result<String> {
    let e = FarmError::config(msg);
    if !dry {
        st.last_attempt = now;
        st.last_error = Some(e.message.clone());
        store.put_state(&bot.name, st)?;
        record::tally(store, &bot.name, now, Counters::default(), Some(("error", &e.message)))?;
    }
    Err(e)
}

/// One analyzer run: fetch the writer's newest posts, score those old enough, store the scores.
/// Rate-limit windows are stored under the writer's name (they belong to its account).
pub fn run_analyzer(store: &Store, bot: &Bot, now: i64, dry: bool, connect: &Connector) -> Result<String> {
    let mut st = store.state(&bot.name)?;
    let source = bot.source.clone().unwrap_or_default();
    let writer = match store.bot(&source)? {
        Some(w) if w.role == Role::Writer => w,
        _ => {
            let msg = format!(
                "{}: its writer {source} is gone; `farm destroy {}` and create the analyzer again",
                bot.name, bot.name
            );
            return config_error(store, bot, &mut st, now, dry, msg);
        }
    };
    let opts = Opts::of(bot);
    if let Some(until) = blocked_until(store, &writer.name, Call::OwnPosts, now)? {
        return Ok(format!("rate-limited until {}; not calling", clock::format(until)));
    }
    if dry {
        return Ok(format!(
            "would score the newest {OWN_POSTS_CAP} posts of {} older than {}",
            writer.name,
            clock::format_duration(opts.min_age)
        ));
    }
    let wst = store.state(&writer.name)?;
    let mut ep = endpoint_at(store, &writer, &wst, now)?;
    if ep.account_id.is_none() {
        ep.account_id = st.account_id.clone();
    }
    let mut client = connect(ep);
    let res = client.own_posts(OWN_POSTS_CAP);
    if let Some(id) = client.account_id() {
        st.account_id = Some(id);
    }
    let reply = match res {
        Ok(r) => r,
        Err(e) => return Err(record::failure_as(store, bot, &writer.name, &mut st, now, &e, 1)?),
    };
    record::rates(store, &writer.name, &mut st, &reply.rates, now)?;
    let calls = reply.rates.len().max(1) as u32;
    let fetched = reply.value.len();
    let cut = now.saturating_sub(opts.min_age as i64);
    let old: Vec<OwnPost> =
        reply.value.into_iter().filter(|p| p.created_at > 0 && p.created_at <= cut).collect();
    let line = if old.is_empty() {
        format!("no posts of {} old enough to score yet ({fetched} fetched)", writer.name)
    } else {
        let scores = score(&old, writer.template.as_deref(), opts.repost_weight);
        save(store, &writer.name, &scores)?;
        let (boring, hot) = writer::feedback(store, &writer)?;
        let best = scores.phrases.iter().max_by_key(|(_, v)| *v).map(|(t, v)| format!("; best {v}: {t}"));
        format!(
            "scored {} posts of {} ({} too young), {} words: {} hot, {} boring{}",
            old.len(),
            writer.name,
            fetched - old.len(),
            scores.words.len(),
            hot.len(),
            boring.len(),
            best.unwrap_or_default()
        )
    };
    record::success(&mut st, now);
    st.total += old.len() as u64;
    store.put_state(&bot.name, &st)?;
    let counters = Counters { fetched: old.len() as u32, calls, read: fetched as u32, ..Default::default() };
    record::tally(store, &bot.name, now, counters, Some(("analyze", &line)))?;
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(text: &str, likes: u64, reposts: u64) -> OwnPost {
        OwnPost { id: 1, text: text.into(), created_at: 1, likes, reposts }
    }

    #[test]
    fn templates_are_stripped() {
        let t = Some("Гарри Поттер и {}");
        assert_eq!(strip_template(t, "Гарри Поттер и Тайная Комната"), "Тайная Комната");
        assert_eq!(strip_template(Some("{} — {}!"), "a b — a b!"), "a b");
        assert_eq!(strip_template(Some("  [{}]  "), "[x y]"), "x y");
        assert_eq!(strip_template(Some("A: {} (bot)"), "A: changed text"), "changed text");
        assert_eq!(strip_template(None, " plain "), "plain");
        assert_eq!(strip_template(Some("Q: {}"), "by hand"), "by hand");
    }

    #[test]
    fn words_deviate_from_the_mean() {
        let posts = [post("A: big cats", 30, 10), post("A: small cats", 0, 0), post("A: small dogs", 0, 0)];
        let s = score(&posts, Some("A: {}"), 3);
        assert_eq!(s.phrases[0], ("A: big cats".to_string(), 60));
        // mean 20: big +40, cats +40-20, small -40, dogs -20.
        assert_eq!(s.words["big"], 40);
        assert_eq!(s.words["cats"], 20);
        assert_eq!(s.words["small"], -40);
        assert_eq!(s.words["dogs"], -20);
        assert!(!s.words.contains_key("a"));
    }

    #[test]
    fn short_words_and_numbers_are_not_scored() {
        assert_eq!(words_of("an ox 42 owls, owls"), vec!["owls"]);
    }
}
