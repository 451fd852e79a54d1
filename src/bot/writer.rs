//! A writer's choice of what to post next: the first cached post after its cursor that yields
//! a usable text (not empty, fits the platform's length, not posted before by this writer).

use super::registry::{writer_spec, LABELS_KEY, LANG_KEY, SENSITIVE_KEY, WARNINGS_KEY, WARNING_KEY};
use crate::error::Result;
use crate::model::{Bot, BotState, PostMeta};
use crate::net::{LengthRule, PlatformKind, Post};
use crate::store::Store;
use crate::text::pipeline::{Ctx, Pipeline};
use crate::text::{dedup, length};

/// Why a source post did not give a usable text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// Filtered out, or the processors found nothing in it.
    Nothing,
    /// The result was longer than the platform allows (counted length).
    TooLong(usize),
    /// This writer already posted the same (normalised) text.
    Duplicate,
    /// The source post has a content warning, and the writer skips such posts (`--warnings
    /// skip`, the default).
    Warned,
}

/// A usable text made from a source post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The source post id.
    pub source_id: u64,
    /// The text to post.
    pub text: String,
    /// Its dedup hash.
    pub hash: u64,
    /// Its length, counted the platform's way (with its content warning on Mastodon).
    pub length: usize,
    /// What goes out with it ([`post_meta`]); a text generator that knows better (a grammar's
    /// `{cw …}`) may change it before the intent is recorded.
    pub meta: PostMeta,
}

/// The result of a scan for the next candidates.
#[derive(Debug, Default)]
pub struct Scan {
    /// Usable texts, in order (at most the number asked for).
    pub found: Vec<Candidate>,
    /// Skipped posts (id and why), in order.
    pub skipped: Vec<(u64, Skip)>,
    /// The id of the last post looked at before the first candidate (the cursor may move here).
    pub skipped_up_to: u64,
}

/// The hash used for duplicate detection of a text: over the normalised text, with Russian
/// words reduced to their normal forms (as the original's utils did), so trivial variants
/// ("Тайная комната", "тайной комнаты!") count as the same text.
pub fn text_hash(text: &str) -> u64 {
    dedup::hash(&normalized(text))
}

fn normalized(text: &str) -> String {
    if text.chars().any(crate::text::morph::is_cyrillic) {
        dedup::normalize_with(text, &crate::text::lemma)
    } else {
        dedup::normalize(text)
    }
}

/// What two texts must share to be the same post when one is read back from the platform: the
/// words in order, without links (X shows every link as a `t.co` one), case or punctuation
/// (the clients already turn HTML and entities back into plain text).
pub fn same_post(ours: &str, read_back: &str) -> bool {
    let key = dedup::normalize(ours);
    !key.is_empty() && key == dedup::normalize(read_back)
}

/// A deterministic idempotency key for a writer's post of `text` made from `source_id`
/// ([`crate::model::Pending::BY_HAND`] for a post by hand).
pub fn idempotency_key(writer: &str, source_id: u64, text: &str) -> String {
    let h = dedup::hash(&format!("{writer}\u{0}{source_id}\u{0}{text}"));
    format!("farm-{writer}-{source_id}-{h:016x}")
}

/// The key a new post of `text` is recorded and sent with, at `now`: the idempotency key
/// ([`idempotency_key`]), or on Bluesky the post's record key, a TID of `now` drawn from it.
pub fn post_key(bot: &Bot, source_id: u64, text: &str, now: i64) -> String {
    let key = idempotency_key(&bot.name, source_id, text);
    match bot.platform {
        crate::net::PlatformKind::Bluesky => crate::net::bluesky::tid::for_intent(now, dedup::hash(&key)),
        _ => key,
    }
}

/// What a writer's post made from `source` carries (a post by hand: `source` is `None`), from the
/// writer's settings and the source post:
/// - the content warning: the source post's, with `--warnings carry`, else the writer's
///   `--warning`; a source post with a warning is skipped ([`Skip::Warned`]) unless the writer
///   carries warnings;
/// - sensitive: the writer's `--sensitive`, or a carried source post's flag;
/// - the language: the source post's, else the writer's `--lang`;
/// - Bluesky self-labels: the writer's `--label`.
///
/// Each network maps what it has of it when the post is sent (`Platform::post`).
pub fn post_meta(bot: &Bot, source: Option<&Post>) -> std::result::Result<PostMeta, Skip> {
    let carry = bot.setting(WARNINGS_KEY) == Some("carry");
    let warned = source.and_then(|p| p.warning.as_deref()).map(str::trim).filter(|w| !w.is_empty());
    if warned.is_some() && !carry {
        return Err(Skip::Warned);
    }
    let own = |key: &str| bot.setting(key).filter(|v| !v.is_empty()).map(str::to_string);
    Ok(PostMeta {
        warning: warned.map(str::to_string).or_else(|| own(WARNING_KEY)),
        sensitive: own(SENSITIVE_KEY).is_some() || (carry && source.is_some_and(|p| p.sensitive)),
        lang: source
            .and_then(|p| p.lang.as_deref())
            .and_then(crate::model::lang_tag)
            .or_else(|| own(LANG_KEY)),
        labels: own(LABELS_KEY).map(|l| l.split(',').map(str::to_string).collect()).unwrap_or_default(),
        reply_to: None,
    })
}

/// The length of a post of `text` carrying `meta`, counted the platform's way: Mastodon counts
/// the content warning it sends ([`crate::net::mastodon::spoiler_text`]) with the text.
pub fn counted_length(text: &str, meta: &PostMeta, rule: LengthRule, platform: PlatformKind) -> usize {
    let n = length::count(text, rule, platform);
    match crate::net::mastodon::spoiler_text(meta) {
        Some(w) if platform == PlatformKind::Mastodon => n + length::count(&w, rule, platform),
        _ => n,
    }
}

/// Boring and hot words for a writer, from its analyzer scores.
pub fn feedback(store: &Store, bot: &Bot) -> Result<(Vec<String>, Vec<String>)> {
    let (boring_below, hot_above) = super::registry::thresholds(bot);
    let mut boring = Vec::new();
    let mut hot = Vec::new();
    for (word, score) in store.scores(&bot.name)? {
        if let Some(w) = word.strip_prefix("w:") {
            if score < boring_below {
                boring.push(w.to_string());
            } else if score > hot_above {
                hot.push(w.to_string());
            }
        }
    }
    Ok((boring, hot))
}

/// How many usable texts a writer with hot words looks at to find one with a hot word.
pub const HOT_LOOKAHEAD: usize = 5;

/// Look for up to `want` usable texts after the writer's cursor, without any API call.
/// `seen` holds hashes already chosen in this scan (so a preview does not list one text twice).
/// When the analyzer found hot words, up to [`HOT_LOOKAHEAD`] usable texts are looked at and
/// the first one with a hot word is put first (the ones before it are passed over when it is
/// posted: the cursor only moves forward).
pub fn scan(store: &Store, bot: &Bot, st: &BotState, rule: LengthRule, want: usize) -> Result<Scan> {
    let source = bot.source.clone().unwrap_or_default();
    let pipeline = Pipeline::new(&writer_spec(bot))?;
    let (boring, hot) = feedback(store, bot)?;
    let corpus_reader = source.clone();
    let corpus = move || store.recent_posts(&corpus_reader, 2000).unwrap_or_default();
    let mut out = Scan { skipped_up_to: st.consumed, ..Default::default() };
    let mut after = st.consumed;
    let mut seen: Vec<u64> = Vec::new();
    let look = if hot.is_empty() { want } else { want.max(HOT_LOOKAHEAD) };
    let cut_long = bot.setting(super::registry::LONG_KEY) == Some("cut");
    'outer: loop {
        let batch: Vec<Post> = store.posts_after(&source, after, 256)?;
        if batch.is_empty() {
            break;
        }
        for post in batch {
            after = post.id;
            let mut ctx =
                Ctx { corpus: &corpus, seed: post.id ^ dedup::hash(&bot.name), boring: &boring, hot: &hot };
            let made = match post_meta(bot, Some(&post)) {
                Err(why) => Err(why),
                Ok(meta) => pipeline.run(&post, &mut ctx)?.map(|text| (text, meta)).ok_or(Skip::Nothing),
            };
            let skip = match made {
                Err(why) => Some(why),
                Ok((text, meta)) => {
                    let mut text = text.trim().to_string();
                    let mut n = counted_length(&text, &meta, rule, bot.platform);
                    if n > rule.max && cut_long {
                        // What the content warning takes (Mastodon counts it) is not room for text.
                        let warning = n - length::count(&text, rule, bot.platform);
                        let room = LengthRule { max: rule.max.saturating_sub(warning), ..rule };
                        if let Some(t) = length::cut(&text, room, bot.platform) {
                            n = counted_length(&t, &meta, rule, bot.platform);
                            text = t;
                        }
                    }
                    let hash = text_hash(&text);
                    if text.is_empty() {
                        Some(Skip::Nothing)
                    } else if n > rule.max {
                        Some(Skip::TooLong(n))
                    } else if seen.contains(&hash) || store.has_hash(&bot.name, hash)? {
                        Some(Skip::Duplicate)
                    } else {
                        seen.push(hash);
                        out.found.push(Candidate { source_id: post.id, text, hash, length: n, meta });
                        None
                    }
                }
            };
            if let Some(why) = skip {
                if out.found.is_empty() {
                    out.skipped_up_to = post.id;
                }
                out.skipped.push((post.id, why));
            }
            if out.found.len() >= look {
                break 'outer;
            }
        }
    }
    if let Some(i) = out.found.iter().position(|c| crate::text::words::mentions_any(&c.text, &hot)) {
        let c = out.found.remove(i);
        out.found.insert(0, c);
    }
    out.found.truncate(want);
    // Posts looked at past the last text kept are looked at again next time.
    if let Some(last) = out.found.iter().map(|c| c.source_id).max() {
        out.skipped.retain(|(id, _)| *id < last);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trivial_variants_hash_alike() {
        assert_eq!(text_hash("Зелёная ёлка!"), text_hash("зеленой  елки"));
        assert_eq!(text_hash("Тайная комната"), text_hash("тайные КОМНАТЫ"));
        assert_eq!(text_hash("Hello, World"), text_hash("hello world!"));
        assert_ne!(text_hash("Тайная комната"), text_hash("Зелёная ёлка"));
    }

    #[test]
    fn idempotency_keys_are_deterministic() {
        assert_eq!(idempotency_key("w", 5, "t"), idempotency_key("w", 5, "t"));
        assert_ne!(idempotency_key("w", 5, "t"), idempotency_key("w", 6, "t"));
    }
}
