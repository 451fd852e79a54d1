//! Replies to mentions (`--reply mentions`, or `--reply only` for a writer that makes no posts of
//! its own): each run of the writer reads its new mentions once, with a stored cursor, and
//! answers a few of them, each exactly once, with a text from its own processor chain.
//!
//! - **Reading**: one [`Platform::mentions`] read per run, at most [`READ_CAP`] mentions and only
//!   while fewer than [`WAITING_MAX`] wait; what is read waits in the writer's [`ReplyState`]
//!   until it is answered or passed over. Nothing is read while a known rate limit forbids it.
//! - **Answering**: at most [`BUDGET`] replies per run (a writer's own post is still once per
//!   interval); the rest wait for the next run. A reply is a [`Pending`] intent like any post:
//!   stored and flushed before it is sent, with a key made from the mention, and settled by the
//!   writer's own means (Mastodon's `Idempotency-Key`, X's duplicate rule, Bluesky's record key,
//!   a look among its own posts past the server's window). The mention stays waiting until its
//!   reply is confirmed, and a mention answered once is never answered again ([`ReplyState::done`]).
//! - **The loop guard** ([`Skip`]), on by default: no reply to the writer's own account, to
//!   another bot of this farm, to an account marked as a bot (unless allowed by name), to a
//!   mention older than the writer's replies or than the horizon, in a thread that had
//!   `--reply-thread-max` replies, or to an account that had `--reply-per-hour` replies this hour.

use super::record::{self, blocked_until};
use super::registry::writer_spec;
use super::run::{called, length_rule, offline_rule, open_client, send_new, Connector};
use super::writer::{feedback, text_hash, Candidate};
use crate::clock;
use crate::error::{FarmError, Result};
use crate::model::{
    Bot, BotState, Counters, Mention, Pending, PostMeta, PostRef, ReplyCounts, ReplyState, ReplyTo, Role,
};
use crate::net::{Call, LengthRule, Platform, PlatformKind, Post};
use crate::store::Store;
use crate::text::dedup;
use crate::text::pipeline::{Ctx, Pipeline};
use serde::Serialize;

/// Replies a writer makes in one run at most; the other mentions wait for the next run.
pub const BUDGET: usize = 3;
/// Mentions one read takes at most.
pub const READ_CAP: usize = 100;
/// Mentions that may wait at most: while this many wait, none are read.
pub const WAITING_MAX: usize = 100;
/// Mentions remembered as answered or passed over.
const DONE_KEPT: usize = 500;
/// Threads and own replies remembered.
const THREADS_KEPT: usize = 500;
/// The most of a mention's text kept (bytes): a reply needs no more, and the waiting list stays
/// small whatever a server sends.
const TEXT_MAX: usize = 1000;
/// The longest id, URI or handle a mention may have (bytes); a longer one is not a real one.
const ID_MAX: usize = 300;

/// The bot setting: `mentions` or `only`.
pub const MODE_KEY: &str = "reply";
/// The bot setting: most replies in one thread.
pub const THREAD_MAX_KEY: &str = "reply_thread_max";
/// The bot setting: most replies to one account in an hour.
pub const PER_HOUR_KEY: &str = "reply_per_hour";
/// The bot setting: mentions older than this many seconds are not answered.
pub const HORIZON_KEY: &str = "reply_horizon";
/// The bot setting: accounts marked as bots that may be answered anyway (comma-separated).
pub const ALLOW_KEY: &str = "reply_allow_bots";
/// The bot setting: when the writer began answering (Unix seconds); older mentions are not.
pub const SINCE_KEY: &str = "reply_since";

/// The defaults of `--reply-thread-max`, `--reply-per-hour` and `--reply-horizon`.
pub const DEFAULTS: (u32, u32, u64) = (4, 3, 86_400);

/// Whether and how a writer answers its mentions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// It does not (the default).
    Off,
    /// It posts from its reader and answers its mentions.
    Mentions,
    /// It only answers its mentions (its reader is then the Markov corpus, if any).
    Only,
}

impl Mode {
    /// A writer's mode.
    pub fn of(bot: &Bot) -> Mode {
        match bot.setting(MODE_KEY) {
            _ if bot.role != Role::Writer => Mode::Off,
            Some("mentions") => Mode::Mentions,
            Some("only") => Mode::Only,
            _ => Mode::Off,
        }
    }

    /// `off`, `mentions`, `only`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Mentions => "mentions",
            Mode::Only => "only",
        }
    }
}

/// A writer's loop guard, from its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Whether it answers.
    pub mode: Mode,
    /// Most replies in one thread.
    pub thread_max: u32,
    /// Most replies to one account in an hour.
    pub per_hour: u32,
    /// Mentions older than this (seconds) are not answered.
    pub horizon: u64,
    /// Accounts marked as bots it answers anyway (handles, lower case, without `@`).
    pub allow_bots: Vec<String>,
    /// Mentions made before this (Unix seconds) are not answered: when it began answering.
    pub since: i64,
}

impl Rules {
    /// The rules of a writer.
    pub fn of(bot: &Bot) -> Rules {
        let num = |key: &str| bot.setting(key).and_then(|v| v.parse::<u64>().ok());
        Rules {
            mode: Mode::of(bot),
            thread_max: num(THREAD_MAX_KEY).map_or(DEFAULTS.0, |n| n as u32),
            per_hour: num(PER_HOUR_KEY).map_or(DEFAULTS.1, |n| n as u32),
            horizon: num(HORIZON_KEY).unwrap_or(DEFAULTS.2),
            allow_bots: bot
                .setting(ALLOW_KEY)
                .unwrap_or_default()
                .split(',')
                .filter(|h| !h.is_empty())
                .map(str::to_string)
                .collect(),
            since: bot.setting(SINCE_KEY).and_then(|v| v.parse().ok()).unwrap_or(bot.created_at),
        }
    }

    /// The rules in words, for `farm show`.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{}; at most {} in a thread, {} to an account an hour, {} a run; mentions older than {} passed over",
            match self.mode {
                Mode::Only => "answers its mentions, posts nothing else",
                _ => "answers its mentions",
            },
            self.thread_max,
            self.per_hour,
            BUDGET,
            clock::format_duration(self.horizon)
        );
        if !self.allow_bots.is_empty() {
            s.push_str(&format!("; bots answered: {}", self.allow_bots.join(", ")));
        }
        s
    }
}

/// The reply options given to `create writer` or `edit`; `None` = unchanged / default.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReplySettings {
    /// `--reply mentions|only|off`.
    pub mode: Option<String>,
    /// `--reply-thread-max N`.
    pub thread_max: Option<u32>,
    /// `--reply-per-hour N`.
    pub per_hour: Option<u32>,
    /// `--reply-horizon DURATION`.
    pub horizon: Option<String>,
    /// `--reply-allow-bots HANDLE,…` (empty: none).
    pub allow_bots: Option<String>,
}

impl ReplySettings {
    /// Whether any reply option was given.
    pub fn given(&self) -> bool {
        *self != ReplySettings::default()
    }
}

/// Apply reply options to a bot (a writer), checked first. Turning replies on (from off) sets
/// the time they begin at `now`: mentions made before are never answered.
/// A writer that only answers (`--reply only`) makes no posts of its own, so it has no time
/// slots to post in: it answers at its `--every`. Refused, whichever option comes second.
pub fn only_without_slots(bot: &Bot) -> Result<()> {
    if Mode::of(bot) == Mode::Only && super::slots::of(bot).ok().flatten().is_some() {
        return Err(FarmError::usage(format!(
            "{}: a writer with --reply only makes no posts of its own, so it has no time slots (--at); give it --every, or --reply mentions to post at its slots and answer as well",
            bot.name
        )));
    }
    Ok(())
}

/// Apply the `--reply` options; then check them with the writer's other settings (called after
/// those were applied: [`only_without_slots`]).
pub fn apply(bot: &mut Bot, s: &ReplySettings, now: i64) -> Result<()> {
    if !s.given() {
        return only_without_slots(bot);
    }
    if bot.role != Role::Writer {
        return Err(FarmError::usage(format!(
            "{} is a {}; --reply and the --reply-* options are for writers",
            bot.name,
            bot.role.name()
        )));
    }
    let bound = |n: u32, what: &str| {
        if (1..=1000).contains(&n) {
            Ok(n.to_string())
        } else {
            Err(FarmError::usage(format!("{what} must be between 1 and 1000")))
        }
    };
    let thread = s.thread_max.map(|n| bound(n, "--reply-thread-max")).transpose()?;
    let hour = s.per_hour.map(|n| bound(n, "--reply-per-hour")).transpose()?;
    let horizon = s.horizon.as_deref().map(clock::parse_duration).transpose()?;
    let allow = s.allow_bots.as_deref().map(parse_handles).transpose()?;
    if let Some(m) = &s.mode {
        let mode = match m.as_str() {
            "mentions" | "only" => Some(m.clone()),
            "off" => None,
            other => return Err(FarmError::usage(format!("--reply {other:?}: use mentions, only or off"))),
        };
        if mode.is_some() && Mode::of(bot) == Mode::Off {
            bot.set_setting(SINCE_KEY, Some(now.to_string()));
        }
        bot.set_setting(MODE_KEY, mode);
    }
    if let Some(t) = thread {
        bot.set_setting(THREAD_MAX_KEY, Some(t));
    }
    if let Some(h) = hour {
        bot.set_setting(PER_HOUR_KEY, Some(h));
    }
    if let Some(h) = horizon {
        bot.set_setting(HORIZON_KEY, Some(h.to_string()));
    }
    if let Some(a) = allow {
        bot.set_setting(ALLOW_KEY, (!a.is_empty()).then_some(a));
    }
    only_without_slots(bot)
}

/// `--reply-allow-bots`: handles, comma-separated, `@` optional; stored lower case.
fn parse_handles(v: &str) -> Result<String> {
    let mut out = Vec::new();
    for h in v.split(',').map(|h| h.trim().trim_start_matches('@')).filter(|h| !h.is_empty()) {
        let ok = h.len() <= 253 && h.chars().all(|c| c.is_alphanumeric() || "._-@:".contains(c));
        if !ok {
            return Err(FarmError::usage(format!(
                "--reply-allow-bots: {h:?} is not a handle; give handles separated by commas, e.g. friendbot,other@mastodon.social"
            )));
        }
        out.push(h.to_lowercase());
    }
    Ok(out.join(","))
}

/// Why a mention is not answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Its author's account is marked as a bot (and not allowed by name).
    Bot,
    /// Its thread had the writer's most replies.
    Thread,
    /// Its author had the writer's most replies this hour.
    Account,
    /// It is the writer's own post.
    Itself,
    /// Its author is another bot of this farm.
    Farm,
    /// It is older than the writer's replies, or than the horizon.
    Old,
    /// The writer's processors made no usable text of it (nothing, too long, said before).
    Nothing,
    /// The server refused the reply for good: the mention, or its author, is gone.
    Gone,
}

impl Skip {
    /// Every reason, in the order `show` and `stats` list them.
    pub const ALL: [Skip; 8] = [
        Skip::Bot,
        Skip::Thread,
        Skip::Account,
        Skip::Itself,
        Skip::Farm,
        Skip::Old,
        Skip::Nothing,
        Skip::Gone,
    ];

    /// The reason's key in `--json` and in `show`.
    pub fn name(self) -> &'static str {
        match self {
            Skip::Bot => "bot",
            Skip::Thread => "thread",
            Skip::Account => "account",
            Skip::Itself => "itself",
            Skip::Farm => "farm",
            Skip::Old => "old",
            Skip::Nothing => "nothing",
            Skip::Gone => "gone",
        }
    }

    /// The reason in words, for the log.
    pub fn why(self) -> &'static str {
        match self {
            Skip::Bot => "its author is marked as a bot",
            Skip::Thread => "its thread had the most replies",
            Skip::Account => "its author had the most replies this hour",
            Skip::Itself => "it is the writer's own post",
            Skip::Farm => "its author is another bot of this farm",
            Skip::Old => "it is older than the writer's replies or the horizon",
            Skip::Nothing => "the processors made no usable text of it",
            Skip::Gone => "the server refused the reply (the mention or its author is gone)",
        }
    }

    /// Its counter.
    fn counter(self, c: &mut ReplyCounts) -> &mut u64 {
        match self {
            Skip::Bot => &mut c.bot,
            Skip::Thread => &mut c.thread,
            Skip::Account => &mut c.account,
            Skip::Itself => &mut c.itself,
            Skip::Farm => &mut c.farm,
            Skip::Old => &mut c.old,
            Skip::Nothing => &mut c.nothing,
            Skip::Gone => &mut c.gone,
        }
    }

    /// How many mentions were passed over for it.
    pub fn count(self, c: &ReplyCounts) -> u64 {
        let mut c = *c;
        *self.counter(&mut c)
    }
}

/// A mention as farm keeps it: its text at most [`TEXT_MAX`] bytes without control characters
/// (new lines kept); `None` for one whose ids or handle are longer than any real one.
fn bounded(mut m: Mention) -> Option<Mention> {
    let ids =
        [Some(&m.post.id), m.post.cid.as_ref(), m.in_reply_to.as_ref(), Some(&m.author), Some(&m.author_id)];
    let roots = m.root.as_ref().map(|r| [Some(&r.id), r.cid.as_ref()]).unwrap_or_default();
    if ids.iter().chain(roots.iter()).flatten().any(|s| s.len() > ID_MAX) || m.post.id.is_empty() {
        return None;
    }
    let mut text: String = m.text.chars().filter(|c| !c.is_control() || *c == '\n').collect();
    if text.len() > TEXT_MAX {
        let mut cut = TEXT_MAX;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    m.text = text;
    m.visibility = m.visibility.filter(|v| v.len() <= 20);
    m.lang = m.lang.filter(|l| l.len() <= 35);
    Some(m)
}

/// The key of a mention's thread: the network's root, else (a mention answering one of the
/// writer's replies) that reply's thread, else the post it answers, else itself.
fn thread_key(rs: &ReplyState, m: &Mention) -> String {
    if let Some(r) = &m.root {
        return r.id.clone();
    }
    match &m.in_reply_to {
        Some(parent) => {
            rs.own.iter().find(|(id, _)| id == parent).map_or_else(|| parent.clone(), |(_, key)| key.clone())
        }
        None => m.post.id.clone(),
    }
}

/// The accounts a writer must never answer: its own, and every other bot's of the farm on the
/// same network (by account id, on Mastodon of the same instance; on Bluesky also by handle).
struct Accounts {
    own: Vec<String>,
    farm: Vec<String>,
}

impl Accounts {
    fn of(store: &Store, bot: &Bot, st: &BotState) -> Result<Accounts> {
        let ids = |b: &Bot, st: &BotState| {
            let mut v: Vec<String> = st.account_id.iter().cloned().collect();
            if b.platform == PlatformKind::Bluesky {
                v.extend(b.setting(super::session::DID).map(str::to_string));
                v.push(b.creds.consumer_key.to_lowercase());
            }
            v.retain(|s| !s.is_empty());
            v
        };
        let home = super::registry::account_home(bot.platform, &bot.api);
        let mut farm = Vec::new();
        for other in store.bots()? {
            let same_network = match bot.platform {
                PlatformKind::Bluesky => other.platform == PlatformKind::Bluesky,
                _ => super::registry::account_home(other.platform, &other.api) == home,
            };
            if other.name != bot.name && other.role != Role::Analyzer && same_network {
                farm.extend(ids(&other, &store.state(&other.name)?));
            }
        }
        Ok(Accounts { own: ids(bot, st), farm })
    }

    fn has(list: &[String], m: &Mention) -> bool {
        list.iter().any(|a| *a == m.author_id || a.eq_ignore_ascii_case(&m.author))
    }
}

/// The loop guard: why `m` is not answered, or `None`.
fn judge(rules: &Rules, rs: &ReplyState, who: &Accounts, m: &Mention, now: i64) -> Option<Skip> {
    let (bot_allowed, key) =
        (rules.allow_bots.iter().any(|a| a.eq_ignore_ascii_case(&m.author)), thread_key(rs, m));
    let horizon = now.saturating_sub(rules.horizon as i64);
    let replies_in_thread = rs.threads.iter().find(|(k, _, _)| *k == key).map_or(0, |(_, n, _)| *n);
    let replies_to_author = rs.recent.iter().filter(|(a, t)| *a == m.author_id && *t > now - 3600).count();
    if Accounts::has(&who.own, m) {
        Some(Skip::Itself)
    } else if Accounts::has(&who.farm, m) {
        Some(Skip::Farm)
    } else if m.created_at > 0 && (m.created_at < rules.since || m.created_at < horizon) {
        Some(Skip::Old)
    } else if m.author_is_bot && !bot_allowed {
        Some(Skip::Bot)
    } else if replies_in_thread >= rules.thread_max {
        Some(Skip::Thread)
    } else if replies_to_author >= rules.per_hour as usize {
        Some(Skip::Account)
    } else {
        None
    }
}

/// The mention as the source post of the writer's processor chain: its author, and its text
/// without the handles it starts with.
fn as_post(m: &Mention) -> Post {
    let mut text = m.text.trim_start();
    while text.starts_with('@') {
        let end = text.find(char::is_whitespace).unwrap_or(text.len());
        text = text[end..].trim_start();
    }
    let text = text.trim_end().to_string();
    Post {
        id: m.post.id.parse().unwrap_or_else(|_| dedup::hash(&m.post.id)),
        author: m.author.clone(),
        has_links: crate::net::x::text_has_link(&text),
        text,
        created_at: m.created_at,
        is_reply: m.in_reply_to.is_some(),
        lang: m.lang.clone(),
        ..Post::default()
    }
}

/// The reply to `m` from the writer's processor chain, addressed the way its network expects
/// (Mastodon: starting with `@author`; X and Bluesky thread it themselves), or `None` when the
/// chain makes nothing usable of it: nothing, too long, or a text the writer said before.
pub fn compose(store: &Store, bot: &Bot, m: &Mention, rule: LengthRule) -> Result<Option<Candidate>> {
    let pipeline = Pipeline::new(&writer_spec(bot))?;
    let (boring, hot) = feedback(store, bot)?;
    let reader = bot.source.clone().unwrap_or_default();
    let corpus = || store.recent_posts(&reader, 2000).unwrap_or_default();
    let seed = dedup::hash(&m.post.id) ^ dedup::hash(&bot.name);
    let mut ctx = Ctx { corpus: &corpus, seed, boring: &boring, hot: &hot };
    let post = as_post(m);
    // The writer's own warning, labels and language go with its replies too.
    let mut meta = crate::bot::writer::post_meta(bot, Some(&post)).unwrap_or_default();
    let made = if pipeline.is_generator() {
        // A grammar writer answers from its grammar (seeded by the mention), never with the
        // mention's own words.
        match pipeline.generate(&mut ctx)? {
            crate::text::pipeline::Roll::Text(text, shortcodes) => {
                meta = crate::bot::writer::over(meta, shortcodes);
                Some(text)
            }
            _ => None,
        }
    } else {
        pipeline.run(&post, &mut ctx)?
    };
    let Some(text) = made else { return Ok(None) };
    let mut text = text.trim().to_string();
    if text.is_empty() {
        return Ok(None);
    }
    let handle = format!("@{}", m.author);
    if bot.platform == PlatformKind::Mastodon && !text.starts_with(&handle) {
        text = format!("{handle} {text}");
    }
    let length = crate::bot::writer::counted_length(&text, &meta, rule, bot.platform);
    let hash = text_hash(&text);
    if length > rule.max || store.has_hash(&bot.name, hash)? {
        return Ok(None);
    }
    // The reply's key is made from its mention when its intent is recorded ([`intent`]).
    // A reply is one post: never cut, never a thread.
    Ok(Some(Candidate {
        source_id: Pending::REPLY,
        text,
        hash,
        length,
        key: String::new(),
        meta,
        parts: vec![],
    }))
}

/// The visibility of a Mastodon reply: the mention's, or the writer's own when that is more
/// restricted (a direct message is answered directly, a public mention unlisted by default).
fn visibility(bot: &Bot, m: &Mention) -> Option<String> {
    if bot.platform != PlatformKind::Mastodon {
        return None;
    }
    let rank = |v: &str| ["public", "unlisted", "private", "direct"].iter().position(|x| *x == v);
    let own = bot.visibility.as_deref().unwrap_or(crate::net::mastodon::DEFAULT_VISIBILITY);
    let theirs = m.visibility.as_deref().filter(|v| rank(v).is_some()).unwrap_or("public");
    Some(if rank(theirs) > rank(own) { theirs } else { own }.to_string())
}

/// The intent of a reply to `m`: the key comes from the mention (on Bluesky, the record key is
/// a TID of `now` drawn from it), the post it answers and its thread go with it.
fn intent(bot: &Bot, rs: &ReplyState, m: &Mention, c: Candidate, now: i64) -> Pending {
    let key = format!("farm-{}-reply-{:016x}", bot.name, dedup::hash(&m.post.id));
    let key = match bot.platform {
        PlatformKind::Bluesky => crate::net::bluesky::tid::for_intent(now, dedup::hash(&key)),
        _ => key,
    };
    let root = m.root.clone().unwrap_or_else(|| PostRef { id: thread_key(rs, m), cid: None });
    let reply_to = ReplyTo { parent: m.post.clone(), root, visibility: visibility(bot, m) };
    Pending {
        text: c.text,
        hash: c.hash,
        key,
        source_id: Pending::REPLY,
        created: now,
        attempts: 0,
        meta: PostMeta { reply_to: Some(reply_to), ..c.meta },
        thread: None,
    }
}

/// Keep `id` among the mentions answered or passed over; `false` when it was there already.
fn mark_done(rs: &mut ReplyState, id: &str) -> bool {
    if rs.done.iter().any(|d| d == id) {
        return false;
    }
    rs.done.push(id.to_string());
    let over = rs.done.len().saturating_sub(DONE_KEPT);
    rs.done.drain(..over);
    true
}

/// A reply was confirmed (called by the run's confirmation, before the intent is dropped):
/// its mention is done, its thread and author counted, the reply remembered as part of the
/// thread. Confirming twice (a kill between the two writes) counts once.
pub fn answered(store: &Store, writer: &str, p: &Pending, posted: Option<&str>, now: i64) -> Result<()> {
    let Some(r) = &p.meta.reply_to else { return Ok(()) };
    let mut rs = store.replies(writer)?;
    let author = rs.waiting.iter().find(|m| m.post.id == r.parent.id).map(|m| m.author_id.clone());
    rs.waiting.retain(|m| m.post.id != r.parent.id);
    if mark_done(&mut rs, &r.parent.id) {
        rs.counts.answered += 1;
        count_reply(&mut rs, &r.root.id, author, posted, now);
    }
    store.put_replies(writer, &rs)
}

/// Count a reply at `now` in its thread `key` and to its author's account, and remember the
/// reply's own post id (when known) as part of that thread.
fn count_reply(rs: &mut ReplyState, key: &str, author: Option<String>, posted: Option<&str>, now: i64) {
    let n = match rs.threads.iter().position(|(k, _, _)| k == key) {
        Some(i) => rs.threads.remove(i).1,
        None => 0,
    };
    rs.threads.push((key.to_string(), n + 1, now));
    let over = rs.threads.len().saturating_sub(THREADS_KEPT);
    rs.threads.drain(..over);
    if let Some(id) = posted {
        rs.own.push((id.to_string(), key.to_string()));
        let over = rs.own.len().saturating_sub(THREADS_KEPT);
        rs.own.drain(..over);
    }
    rs.recent.retain(|(_, t)| *t > now - 3600 && *t <= now);
    rs.recent.extend(author.map(|a| (a, now)));
}

/// A reply the server refused for good was dropped: its mention is passed over for `why`.
pub fn dropped(store: &Store, writer: &str, p: &Pending, why: Skip) -> Result<()> {
    let Some(r) = &p.meta.reply_to else { return Ok(()) };
    let mut rs = store.replies(writer)?;
    rs.waiting.retain(|m| m.post.id != r.parent.id);
    if mark_done(&mut rs, &r.parent.id) {
        *why.counter(&mut rs.counts) += 1;
    }
    store.put_replies(writer, &rs)
}

/// Take newly read mentions into the waiting list: each once (not one answered, passed over or
/// waiting already), bounded; a malformed one is counted as passed over (`nothing`). Returns how
/// many were new.
fn take(rs: &mut ReplyState, read: Vec<Mention>) -> usize {
    let mut new = 0;
    for m in read {
        let Some(m) = bounded(m) else {
            rs.counts.nothing += 1;
            continue;
        };
        let known = rs.done.contains(&m.post.id) || rs.waiting.iter().any(|w| w.post.id == m.post.id);
        if !known && rs.waiting.len() < WAITING_MAX {
            rs.waiting.push(m);
            rs.counts.seen += 1;
            new += 1;
        }
    }
    new
}

/// Mentions passed over in one run, by reason, for one log line each.
#[derive(Default)]
struct Passed(Vec<(Skip, Vec<String>)>);

impl Passed {
    fn add(&mut self, why: Skip, who: &str) {
        match self.0.iter_mut().find(|(w, _)| *w == why) {
            Some((_, v)) => v.push(who.to_string()),
            None => self.0.push((why, vec![who.to_string()])),
        }
    }

    fn total(&self) -> usize {
        self.0.iter().map(|(_, v)| v.len()).sum()
    }

    /// One event per reason: how many, why, and the first few authors.
    fn log(&self, store: &Store, bot: &str, now: i64) -> Result<()> {
        for (why, who) in &self.0 {
            let mut names: Vec<String> = who.iter().take(5).map(|w| format!("@{w}")).collect();
            if who.len() > 5 {
                names.push(format!("and {} more", who.len() - 5));
            }
            let line = format!("passed over {} mention(s): {} ({})", who.len(), why.why(), names.join(", "));
            record::tally(store, bot, now, Counters::default(), Some(("skip", &line)))?;
        }
        Ok(())
    }
}

/// Pass over the first waiting mention for `why`.
fn pass(store: &Store, bot: &Bot, m: &Mention, why: Skip, passed: &mut Passed) -> Result<()> {
    let mut rs = store.replies(&bot.name)?;
    rs.waiting.retain(|w| w.post.id != m.post.id);
    if mark_done(&mut rs, &m.post.id) {
        *why.counter(&mut rs.counts) += 1;
    }
    passed.add(why, &m.author);
    store.put_replies(&bot.name, &rs)
}

/// Read the writer's new mentions (one call) into its waiting list. `Some(note)` when it did
/// not read: the list is full, or a known rate limit forbids the call.
fn read(
    store: &Store,
    bot: &Bot,
    st: &mut BotState,
    client: &mut dyn Platform,
    now: i64,
) -> Result<std::result::Result<String, String>> {
    let mut rs = store.replies(&bot.name)?;
    let room = WAITING_MAX.saturating_sub(rs.waiting.len()).min(READ_CAP);
    if room == 0 {
        return Ok(Err(format!(
            "{} mentions wait; no more are read until they are answered",
            rs.waiting.len()
        )));
    }
    if let Some(until) = blocked_until(store, &bot.name, Call::Mentions, now)? {
        return Ok(Err(format!("mentions not read: rate-limited until {}", clock::format(until))));
    }
    let res = client.mentions(rs.cursor.as_deref(), room);
    let got = called(store, bot, st, client, res, now)?;
    store.put_state(&bot.name, st)?;
    let new = take(&mut rs, got.mentions);
    let mut line = format!("read {new} new mention(s)");
    if got.overflow {
        rs.counts.flood += 1;
        line.push_str(&format!(
            "; more mentions came in than one read takes ({room}): the older ones are left unanswered"
        ));
    }
    if let Some(c) = got.cursor {
        rs.cursor = Some(c);
    }
    store.put_replies(&bot.name, &rs)?;
    let counters = Counters { calls: got.calls.max(1), ..Default::default() };
    let event = (new > 0 || got.overflow).then_some(("read", line.as_str()));
    record::tally(store, &bot.name, now, counters, event)?;
    Ok(Ok(line))
}

/// The reply part of a writer's run: read its new mentions, then answer up to [`BUDGET`] of the
/// waiting ones, each recorded before it is sent. A failed read or send fails the run (the
/// unconfirmed reply is settled by the next one); mentions passed over are logged.
pub fn answer(store: &Store, bot: &Bot, now: i64, dry: bool, connect: &Connector) -> Result<String> {
    let rules = Rules::of(bot);
    let mut st = store.state(&bot.name)?;
    if dry {
        let rs = store.replies(&bot.name)?;
        return Ok(format!(
            "would read its mentions since {} ({} waiting)",
            rs.cursor.as_deref().unwrap_or("the newest page"),
            rs.waiting.len()
        ));
    }
    if st.pending.is_some() {
        return Ok("replies wait for the unconfirmed post".into());
    }
    let mut client = open_client(store, bot, &mut st, now, connect)?;
    let mut lines = vec![match read(store, bot, &mut st, client.as_mut(), now)? {
        Ok(line) | Err(line) => line,
    }];
    // The farm's accounts, read when a mention waits.
    let mut who: Option<Accounts> = None;
    let mut passed = Passed::default();
    let answered_before = store.replies(&bot.name)?.counts.answered;
    let mut sent = 0;
    let mut rule: Option<LengthRule> = None;
    let outcome = loop {
        let rs = store.replies(&bot.name)?;
        let Some(m) = rs.waiting.first().cloned() else { break Ok(()) };
        if sent >= BUDGET {
            break Ok(());
        }
        let accounts = match &who {
            Some(a) => a,
            None => who.insert(Accounts::of(store, bot, &st)?),
        };
        if let Some(why) = judge(&rules, &rs, accounts, &m, now) {
            pass(store, bot, &m, why, &mut passed)?;
            continue;
        }
        if let Some(until) = blocked_until(store, &bot.name, Call::Post, now)? {
            lines.push(format!("replies wait: rate-limited until {}", clock::format(until)));
            break Ok(());
        }
        if let Some(until) = super::budget::points_blocked(store, bot, super::budget::CREATE_POINTS, now)? {
            lines.push(format!("replies wait: write points used up until {}", clock::format(until)));
            break Ok(());
        }
        let r = match rule {
            Some(r) => r,
            None => *rule.insert(length_rule(store, bot, &mut st, client.as_mut(), now)?),
        };
        let c = match compose(store, bot, &m, r) {
            Ok(Some(c)) => c,
            Ok(None) => {
                pass(store, bot, &m, Skip::Nothing, &mut passed)?;
                continue;
            }
            // A processor failed (an exec command): the mention waits for the next run.
            Err(e) => break Err(record::local_failure(store, bot, &mut st, now, e, 0)?),
        };
        let p = intent(bot, &rs, &m, c, now);
        sent += 1;
        match send_new(store, bot, &mut st, client.as_mut(), p, now) {
            Ok(line) => lines.push(format!("{line} (to @{})", m.author)),
            Err(e) => break Err(e),
        }
        st = store.state(&bot.name)?;
        if st.pending.is_some() {
            // Held back (a limit) and still unconfirmed: the next run settles it first.
            break Ok(());
        }
    };
    passed.log(store, &bot.name, now)?;
    let rs = store.replies(&bot.name)?;
    let made = rs.counts.answered - answered_before;
    lines.push(format!("{made} answered, {} passed over, {} waiting", passed.total(), rs.waiting.len()));
    match outcome {
        Ok(()) => {
            // The run is done (a writer that only answers has no post to record it): its
            // next one is an interval away.
            let mut st = store.state(&bot.name)?;
            record::success(&mut st, now);
            store.put_state(&bot.name, &st)?;
            Ok(lines.join("; "))
        }
        Err(e) => Err(FarmError::new(e.kind, format!("{}; {}", e.message, lines.join("; ")))),
    }
}

/// What `farm preview` shows of a writer's waiting mentions, without any API call: the reply it
/// would make to each (and its counted length), or why it would pass it over.
pub fn preview(
    store: &Store,
    bot: &Bot,
    n: usize,
) -> Result<Vec<(Mention, std::result::Result<Candidate, Skip>)>> {
    let st = store.state(&bot.name)?;
    let rule = offline_rule(bot, &st);
    let rules = Rules::of(bot);
    let mut rs = store.replies(&bot.name)?;
    let who = Accounts::of(store, bot, &st)?;
    let now = clock::now()?;
    let mut out = Vec::new();
    for m in rs.waiting.clone().into_iter().take(n) {
        let decision = match judge(&rules, &rs, &who, &m, now) {
            Some(why) => Err(why),
            None => compose(store, bot, &m, rule)?.ok_or(Skip::Nothing),
        };
        if decision.is_ok() {
            // What the next ones would meet once this one is answered.
            let key = thread_key(&rs, &m);
            count_reply(&mut rs, &key, Some(m.author_id.clone()), None, now);
        }
        out.push((m, decision));
    }
    Ok(out)
}

/// A writer's replies in `show` and `stats` (and their `--json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// `mentions` or `only`.
    pub mode: &'static str,
    /// New mentions read.
    pub seen: u64,
    /// Answered.
    pub answered: u64,
    /// Read and not answered or passed over yet.
    pub waiting: u64,
    /// Passed over, by reason: `bot`, `thread`, `account`, `itself`, `farm`, `old`, `nothing`,
    /// `gone`.
    pub skipped: std::collections::BTreeMap<&'static str, u64>,
    /// Reads that left older mentions unread (more came in than one read takes).
    pub floods: u64,
}

impl Summary {
    /// The summary of a writer that answers its mentions; `None` for any other bot.
    pub fn of(store: &Store, bot: &Bot) -> Result<Option<Summary>> {
        let mode = Mode::of(bot);
        if mode == Mode::Off {
            return Ok(None);
        }
        let rs = store.replies(&bot.name)?;
        let c = rs.counts;
        Ok(Some(Summary {
            mode: mode.name(),
            seen: c.seen,
            answered: c.answered,
            waiting: rs.waiting.len() as u64,
            skipped: Skip::ALL.iter().map(|s| (s.name(), s.count(&c))).collect(),
            floods: c.flood,
        }))
    }

    /// One line: `12 seen, 5 answered, 2 waiting; passed over 3 (bot 2, thread 1)`.
    pub fn line(&self) -> String {
        let total: u64 = self.skipped.values().sum();
        let mut s = format!("{} seen, {} answered, {} waiting", self.seen, self.answered, self.waiting);
        if total > 0 {
            let each: Vec<String> = Skip::ALL
                .iter()
                .filter_map(|k| {
                    self.skipped.get(k.name()).filter(|n| **n > 0).map(|n| format!("{} {n}", k.name()))
                })
                .collect();
            s.push_str(&format!("; passed over {total} ({})", each.join(", ")));
        }
        if self.floods > 0 {
            s.push_str(&format!("; {} flood(s) left mentions unread", self.floods));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mention(id: &str, author: &str) -> Mention {
        Mention {
            post: PostRef { id: id.into(), cid: None },
            author: author.into(),
            author_id: format!("id-{author}"),
            text: format!("@me hello from {author}"),
            created_at: 10_000,
            ..Mention::default()
        }
    }

    fn rules() -> Rules {
        Rules {
            mode: Mode::Mentions,
            thread_max: 2,
            per_hour: 2,
            horizon: 3600,
            allow_bots: vec!["friend".into()],
            since: 5_000,
        }
    }

    fn nobody() -> Accounts {
        Accounts { own: vec!["id-me".into()], farm: vec!["id-sibling".into(), "sib.test".into()] }
    }

    #[test]
    fn each_part_of_the_guard() {
        let (r, rs, who, now) = (rules(), ReplyState::default(), nobody(), 10_100);
        assert_eq!(judge(&r, &rs, &who, &mention("1", "ann"), now), None);
        assert_eq!(judge(&r, &rs, &who, &mention("1", "me"), now), Some(Skip::Itself));
        assert_eq!(judge(&r, &rs, &who, &mention("1", "sibling"), now), Some(Skip::Farm));
        let by_handle = Mention { author_id: "did:x".into(), ..mention("1", "SIB.test") };
        assert_eq!(judge(&r, &rs, &who, &by_handle, now), Some(Skip::Farm));
        let bot = Mention { author_is_bot: true, ..mention("1", "robot") };
        assert_eq!(judge(&r, &rs, &who, &bot, now), Some(Skip::Bot));
        let allowed = Mention { author_is_bot: true, ..mention("1", "Friend") };
        assert_eq!(judge(&r, &rs, &who, &allowed, now), None);
        // Older than the writer's replies, or than the horizon; an unknown time is no age.
        let before = Mention { created_at: 4_000, ..mention("1", "ann") };
        assert_eq!(judge(&r, &rs, &who, &before, now), Some(Skip::Old));
        let stale = Mention { created_at: 6_000, ..mention("1", "ann") };
        assert_eq!(judge(&r, &rs, &who, &stale, now), Some(Skip::Old));
        let unknown = Mention { created_at: 0, ..mention("1", "ann") };
        assert_eq!(judge(&r, &rs, &who, &unknown, now), None);
    }

    #[test]
    fn threads_and_accounts_are_counted_by_confirmed_replies() {
        let (r, who, now) = (rules(), nobody(), 10_100);
        let mut rs = ReplyState::default();
        // Two replies in thread "root" (the second answers the writer's own reply "r1").
        rs.threads.push(("root".into(), 2, now));
        rs.own.push(("r1".into(), "root".into()));
        let in_thread = Mention { in_reply_to: Some("r1".into()), ..mention("9", "bob") };
        assert_eq!(thread_key(&rs, &in_thread), "root");
        assert_eq!(judge(&r, &rs, &who, &in_thread, now), Some(Skip::Thread));
        let elsewhere = Mention { in_reply_to: Some("x".into()), ..mention("9", "bob") };
        assert_eq!(judge(&r, &rs, &who, &elsewhere, now), None);
        // Two replies to ann in the last hour; one two hours ago does not count.
        rs.recent = vec![("id-ann".into(), now - 100), ("id-ann".into(), now - 200)];
        assert_eq!(judge(&r, &rs, &who, &mention("8", "ann"), now), Some(Skip::Account));
        rs.recent = vec![("id-ann".into(), now - 100), ("id-ann".into(), now - 7200)];
        assert_eq!(judge(&r, &rs, &who, &mention("8", "ann"), now), None);
    }

    #[test]
    fn hostile_mentions_are_bounded() {
        let huge =
            Mention { text: format!("@me {}\u{0}\u{7}\u{1b}[31m", "я".repeat(30_000)), ..mention("1", "a") };
        let m = bounded(huge).unwrap();
        assert!(m.text.len() <= TEXT_MAX && !m.text.chars().any(|c| c.is_control()), "{}", m.text.len());
        assert!(bounded(Mention { post: PostRef { id: "x".repeat(5000), cid: None }, ..mention("1", "a") })
            .is_none());
        assert!(bounded(mention("", "a")).is_none());
        // Taking the same mention twice keeps it once.
        let mut rs = ReplyState::default();
        assert_eq!(take(&mut rs, vec![mention("1", "a"), mention("1", "a"), mention("2", "b")]), 2);
        assert_eq!(take(&mut rs, vec![mention("2", "b")]), 0);
        assert!(mark_done(&mut rs, "3") && !mark_done(&mut rs, "3"));
        assert_eq!(take(&mut rs, vec![mention("3", "c")]), 0);
        assert_eq!(rs.counts.seen, 2);
        assert_eq!(take(&mut rs, vec![mention("", "nobody")]), 0);
        assert_eq!(rs.counts.nothing, 1);
    }

    #[test]
    fn the_processors_see_the_text_without_its_leading_handles() {
        let m = Mention { text: "@me @other@x.social  what is up?  ".into(), ..mention("123", "ann") };
        let p = as_post(&m);
        assert_eq!((p.text.as_str(), p.author.as_str(), p.id), ("what is up?", "ann", 123));
    }

    #[test]
    fn options_are_checked() {
        let mut bot = Bot { created_at: 100, ..Bot::for_tests(Role::Writer) };
        let s = |mode: &str| ReplySettings { mode: Some(mode.into()), ..Default::default() };
        assert!(apply(&mut bot, &s("sometimes"), 200).is_err());
        apply(&mut bot, &s("mentions"), 200).unwrap();
        assert_eq!((Mode::of(&bot), Rules::of(&bot).since), (Mode::Mentions, 200));
        // Still on: the start stays.
        apply(&mut bot, &s("only"), 300).unwrap();
        assert_eq!((Mode::of(&bot), Rules::of(&bot).since), (Mode::Only, 200));
        let allow =
            ReplySettings { allow_bots: Some("@Friend, other@m.social".into()), ..Default::default() };
        apply(&mut bot, &allow, 300).unwrap();
        assert_eq!(Rules::of(&bot).allow_bots, ["friend", "other@m.social"]);
        assert!(apply(&mut bot, &ReplySettings { thread_max: Some(0), ..Default::default() }, 0).is_err());
        assert!(apply(&mut bot, &ReplySettings { allow_bots: Some("a b".into()), ..Default::default() }, 0)
            .is_err());
        apply(&mut bot, &s("off"), 400).unwrap();
        assert_eq!(Mode::of(&bot), Mode::Off);
        bot.role = Role::Reader;
        assert!(apply(&mut bot, &s("mentions"), 0).is_err());
    }
}
