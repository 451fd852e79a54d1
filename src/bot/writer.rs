//! A writer's choice of what to post next: the first cached post after its cursor that yields
//! a usable text (not empty, fits the platform's length, not posted before by this writer).

use super::registry::{writer_spec, LABELS_KEY, LANG_KEY, SENSITIVE_KEY, WARNINGS_KEY, WARNING_KEY};
use crate::error::{FarmError, Result};
use crate::model::{Bot, BotState, Pending, PostMeta};
use crate::net::{LengthRule, PlatformKind, Post};
use crate::store::Store;
use crate::text::pipeline::{Ctx, Pipeline, Roll};
use crate::text::{dedup, length, tracery};

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
    /// Its idempotency key ([`idempotency_key`], or [`generated_key`] for a grammar's).
    pub key: String,
    /// What goes out with it ([`post_meta`], or a grammar's shortcodes: content warning,
    /// language, labels).
    pub meta: PostMeta,
    /// With `--long thread`, a text too long for one post: the posts of its thread, in order
    /// (each fits, with the content warning each carries); empty when it is one post.
    pub parts: Vec<String>,
}

/// The most posts a thread of one text may take (`--long thread`); a longer text is skipped as
/// too long.
pub const THREAD_MAX_PARTS: usize = 10;

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
    let key = dedup::normalize(&local_mentions(ours));
    !key.is_empty() && key == dedup::normalize(&local_mentions(read_back))
}

/// `text` with each mention of a remote account (`@user@domain`) as Mastodon shows it in a
/// status' content: `@user`. A reply farm sent to `@alice@other.example` reads back as `@alice`.
fn local_mentions(text: &str) -> String {
    text.split(' ')
        .map(|w| match w.strip_prefix('@').and_then(|rest| rest.split_once('@')) {
            Some((user, _domain)) if !user.is_empty() => format!("@{user}"),
            _ => w.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A deterministic idempotency key for a writer's post of `text` made from `source_id`
/// ([`crate::model::Pending::BY_HAND`] for a post by hand).
pub fn idempotency_key(writer: &str, source_id: u64, text: &str) -> String {
    let h = dedup::hash(&format!("{writer}\u{0}{source_id}\u{0}{text}"));
    format!("farm-{writer}-{source_id}-{h:016x}")
}

/// The idempotency key of a grammar writer's post `number` (its first is 1), rolled again
/// `attempt` times: the inputs of its seed ([`tracery::seed`]) are in it.
pub fn generated_key(writer: &str, number: u64, attempt: u32, text: &str) -> String {
    let h = dedup::hash(&format!("{writer}\u{0}g{number}.{attempt}\u{0}{text}"));
    format!("farm-{writer}-g{number}.{attempt}-{h:016x}")
}

/// The key a new post of `text` is recorded and sent with, at `now`: the idempotency key
/// ([`idempotency_key`]), or on Bluesky the post's record key, a TID of `now` drawn from it.
pub fn post_key(bot: &Bot, source_id: u64, text: &str, now: i64) -> String {
    network_key(bot, idempotency_key(&bot.name, source_id, text), now)
}

/// The key a new post whose idempotency key is `key` is recorded and sent with, at `now`: the
/// key itself, or on Bluesky the post's record key, a TID of `now` drawn from it.
pub fn network_key(bot: &Bot, key: String, now: i64) -> String {
    match bot.platform {
        crate::net::PlatformKind::Bluesky => crate::net::bluesky::tid::for_intent(now, dedup::hash(&key)),
        _ => key,
    }
}

/// The key of the thread part after `p` whose text is `text`, at `now`: made from `p`'s own key
/// (unique to its post) and the text, so two threads' parts never share one. On Bluesky, the
/// record key of the part: a TID of `now`, and always after `p`'s, so the parts' keys follow
/// the thread's order.
pub fn part_key(bot: &Bot, p: &Pending, text: &str, now: i64) -> String {
    let key =
        network_key(bot, idempotency_key(&bot.name, p.source_id, &format!("{}\u{0}{text}", p.key)), now);
    use crate::net::bluesky::tid;
    match (tid::decode(&key), tid::decode(&p.key)) {
        (Some(mine), Some(before)) if mine <= before => tid::encode(before + (1 << 10)),
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

/// What a grammar made (`made`, from its shortcodes) over what the writer sets (`own`): each
/// field the grammar sets wins, the rest is the writer's.
pub fn over(own: PostMeta, made: PostMeta) -> PostMeta {
    PostMeta {
        warning: made.warning.or(own.warning),
        sensitive: made.sensitive || own.sensitive,
        lang: made.lang.or(own.lang),
        labels: if made.labels.is_empty() { own.labels } else { made.labels },
        reply_to: made.reply_to.or(own.reply_to),
    }
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
    if pipeline.is_generator() {
        return roll(store, bot, st, rule, want, &pipeline, &boring);
    }
    let corpus_reader = source.clone();
    let corpus = move || store.recent_posts(&corpus_reader, 2000).unwrap_or_default();
    let mut out = Scan { skipped_up_to: st.consumed, ..Default::default() };
    // An unconfirmed post goes out first (a run settles it before it scans; a preview lists it
    // first): the post it was made of, and its texts, are not next again.
    let mut after = st.consumed.max(st.pending.as_ref().and_then(Pending::source_post).unwrap_or(0));
    let mut seen = pending_hashes(st);
    let look = if hot.is_empty() { want } else { want.max(HOT_LOOKAHEAD) };
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
                Ok((text, meta)) => match judge(store, bot, rule, &text, &meta, &seen)? {
                    Err(why) => Some(why),
                    Ok(Judged { text, hash, length, parts }) => {
                        seen.push(hash);
                        seen.extend(part_hashes(&parts));
                        let key = idempotency_key(&bot.name, post.id, &text);
                        out.found.push(Candidate {
                            source_id: post.id,
                            text,
                            hash,
                            length,
                            key,
                            meta,
                            parts,
                        });
                        None
                    }
                },
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

/// A usable text, as [`judge`] found it.
struct Judged {
    text: String,
    hash: u64,
    length: usize,
    parts: Vec<String>,
}

/// A text made for `bot`, judged: trimmed (cut at a word with `--long cut`, split into the
/// parts of a thread with `--long thread`), with its hash and its length counted with what it
/// carries (`meta`), or why it is skipped (empty, too long, posted before or `seen` earlier in
/// this scan).
fn judge(
    store: &Store,
    bot: &Bot,
    rule: LengthRule,
    text: &str,
    meta: &PostMeta,
    seen: &[u64],
) -> Result<std::result::Result<Judged, Skip>> {
    let mut text = text.trim().to_string();
    let mut n = counted_length(&text, meta, rule, bot.platform);
    let mut parts = Vec::new();
    if n > rule.max {
        // What the content warning takes (Mastodon counts it, in every part) is not room for text.
        let warning = n - length::count(&text, rule, bot.platform);
        let room = LengthRule { max: rule.max.saturating_sub(warning), ..rule };
        match bot.setting(super::registry::LONG_KEY) {
            Some("cut") => {
                if let Some(t) = length::cut(&text, room, bot.platform) {
                    n = counted_length(&t, meta, rule, bot.platform);
                    text = t;
                }
            }
            Some("thread") => {
                // Each part must be told apart among the account's posts ([`same_post`] leaves
                // links and punctuation out), so that a part whose answer was lost is found.
                let stands = |part: &str| !dedup::normalize(part).is_empty();
                parts =
                    length::split(&text, room, bot.platform, THREAD_MAX_PARTS, stands).unwrap_or_default();
            }
            _ => {}
        }
    }
    let hash = text_hash(&text);
    Ok(if text.is_empty() {
        Err(Skip::Nothing)
    } else if n > rule.max && parts.is_empty() {
        Err(Skip::TooLong(n))
    } else if seen.contains(&hash)
        || store.has_hash(&bot.name, hash)?
        || !parts_unique(store, bot, &parts, seen)?
    {
        Err(Skip::Duplicate)
    } else {
        Ok(Judged { text, hash, length: n, parts })
    })
}

/// Whether the parts of a thread can be told apart: none the same as another part (X refuses a
/// text it has just seen), and the first not the same as a post (or a part) the writer made
/// before, nor one `seen` earlier in this scan. A part whose answer was lost is looked for among
/// the account's posts by its text: a later part only among the posts made after the part it
/// answers, the first among all.
fn parts_unique(store: &Store, bot: &Bot, parts: &[String], seen: &[u64]) -> Result<bool> {
    let hashes = part_hashes(parts);
    if (1..hashes.len()).any(|i| hashes[..i].contains(&hashes[i])) {
        return Ok(false);
    }
    Ok(match hashes.first() {
        Some(&first) => !seen.contains(&first) && !store.has_hash(&bot.name, first)?,
        None => true,
    })
}

/// The dedup hashes of a thread's parts ([`text_hash`]), which are kept with the writer's once
/// posted.
pub fn part_hashes(parts: &[String]) -> Vec<u64> {
    parts.iter().map(|p| text_hash(p)).collect()
}

/// The hashes the unconfirmed post (or the rest of its thread) will have added once it is
/// posted: a scan for the texts after it takes them as seen.
fn pending_hashes(st: &BotState) -> Vec<u64> {
    let mut seen = Vec::new();
    if let Some(p) = &st.pending {
        seen.push(p.hash);
        if let Some(t) = &p.thread {
            seen.push(text_hash(&p.text));
            seen.extend(part_hashes(&t.rest));
        }
    }
    seen
}

/// How many texts a grammar writer makes for one post before it gives up until its next run:
/// an empty, too long or already posted text, or a seed that broke the grammar's limits, is
/// rolled again with the next seed ([`tracery::seed`]).
pub const ROLLS: u32 = 20;

/// A grammar writer's next `want` posts, without any API call: post number `n` (the writer's
/// posts so far plus one, and one more while a post is unconfirmed: it goes out first) rolls
/// seeds `(n, 0)`, `(n, 1)`, … until a text is usable. Posts are taken to go out in turn, so
/// the run and a preview list the same texts. When every roll of a post broke the grammar's
/// limits, that is the writer's configuration error.
fn roll(
    store: &Store,
    bot: &Bot,
    st: &BotState,
    rule: LengthRule,
    want: usize,
    pipeline: &Pipeline,
    boring: &[String],
) -> Result<Scan> {
    let mut out = Scan { skipped_up_to: st.consumed, ..Default::default() };
    // An unconfirmed post goes out first; a thread's later part was counted with its first.
    let ahead = st.pending.iter().filter(|p| !p.continues()).count() as u64;
    let mut number = st.total + 1 + ahead;
    let mut seen = pending_hashes(st);
    let no_corpus = Vec::new;
    while out.found.len() < want {
        let mut broken: Vec<String> = Vec::new();
        let mut made = None;
        for attempt in 0..ROLLS {
            let seed = tracery::seed(&bot.name, number, attempt);
            let mut ctx = Ctx { corpus: &no_corpus, seed, boring, hot: &[] };
            let skip = match pipeline.generate(&mut ctx)? {
                Roll::Text(text, shortcodes) => {
                    // The writer's own warning, language and labels, where the grammar sets none.
                    let meta = over(post_meta(bot, None).unwrap_or_default(), shortcodes);
                    match judge(store, bot, rule, &text, &meta, &seen)? {
                        Err(why) => why,
                        Ok(Judged { text, hash, length, parts }) => {
                            let key = generated_key(&bot.name, number, attempt, &text);
                            made = Some(Candidate {
                                source_id: Pending::GENERATED,
                                text,
                                hash,
                                length,
                                key,
                                meta,
                                parts,
                            });
                            break;
                        }
                    }
                }
                Roll::Nothing => Skip::Nothing,
                Roll::Failed(why) => {
                    broken.push(why);
                    Skip::Nothing
                }
            };
            out.skipped.push((Pending::GENERATED, skip));
        }
        if broken.len() == ROLLS as usize {
            return Err(FarmError::config(format!(
                "its grammar failed {ROLLS} times in a row: {}; give it a grammar that ends sooner (farm edit {} --process tracery:FILE)",
                broken[0], bot.name
            )));
        }
        let Some(c) = made else { break };
        seen.push(c.hash);
        seen.extend(part_hashes(&c.parts));
        out.found.push(c);
        number += 1;
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
    fn a_reply_to_a_remote_account_is_found_as_mastodon_shows_it() {
        assert!(same_post("@alice@other.example thanks, will do", "@alice thanks, will do"));
        assert!(same_post("@bob thanks", "@bob thanks"));
        assert!(!same_post("@alice@other.example thanks", "@alice something else"));
    }

    #[test]
    fn idempotency_keys_are_deterministic() {
        assert_eq!(idempotency_key("w", 5, "t"), idempotency_key("w", 5, "t"));
        assert_ne!(idempotency_key("w", 5, "t"), idempotency_key("w", 6, "t"));
    }
}
