//! `farm show NAME [--json]`

use super::list::{next_due_text, BotView, SlotState};
use super::stats::kinds_text;
use super::{now, open_required, print_json, Globals};
use crate::bot::follow;
use crate::bot::registry::{get, writer_spec};
use crate::bot::stats::Kinds;
use crate::bot::status::{self, Status};
use crate::clock;
use crate::error::Result;
use serde::Serialize;

#[derive(Serialize)]
struct StateView {
    last_ok: Option<String>,
    last_error: Option<String>,
    failing_since: Option<String>,
    /// When the bot is next due (RFC 3339), as in `farm stats --json`; `null` when paused.
    next_due_at: Option<String>,
    /// The latest time an earlier run stored more than a day ahead of the clock, which the next
    /// run takes as now (the clock was wrong then or is wrong now); `null` when there is none.
    clock_ahead: Option<String>,
    /// Posts fetched (readers), made (writers) and scored (analyzers) in total, as in
    /// `farm stats --json`.
    fetched_total: u64,
    posts_total: u64,
    scored_total: u64,
    cached: u64,
    /// Readers: posts imported from files (`farm import-corpus`), in total.
    imported_total: u64,
    /// API requests in the last 24 hours and 30 days, as in `farm stats --json`.
    calls_24h: u64,
    calls_30d: u64,
    /// X bots: the estimated bill in US dollars of the last 24 hours and 30 days; `null`
    /// on networks that bill nothing.
    cost_24h: Option<f64>,
    cost_30d: Option<f64>,
    /// A reader's cursor: the newest post id it has read (`since_id` / `min_id`).
    cursor: Option<String>,
    consumed: u64,
    pending: Option<String>,
    /// What the unconfirmed post carries (content warning, sensitive, language, labels, the
    /// post it answers); `null` when there is none.
    pending_meta: Option<crate::model::PostMeta>,
    /// When the unconfirmed post is a part of a thread: its number and the parts after it.
    pending_thread: Option<crate::model::Thread>,
    /// A writer with time slots: where they stand, as in `farm stats --json`, and the time up
    /// to which its slots are served (or were not owed: before `--at` was given).
    #[serde(flatten)]
    slot: SlotState,
    slots_served_until: Option<String>,
    rate_limits: Vec<RateView>,
}

#[derive(Serialize)]
struct RateView {
    call: &'static str,
    remaining: u64,
    limit: Option<u64>,
    reset: String,
}

/// A public account a reader follows, as `show --json` prints it.
#[derive(Serialize)]
struct FollowView {
    /// What `--follow` named (normalised): what `--unfollow` takes.
    account: String,
    /// Its name as last seen.
    name: String,
    /// Its stable id once looked up (Mastodon account id, Bluesky DID, X user id).
    id: Option<String>,
    /// `new`, `ok`, `renamed`, `moved`, `gone`, `suspended`, `deactivated`, `blocked`,
    /// `no consent`, `failing`.
    status: &'static str,
    /// The status in words (whom it moved to, its old name…).
    status_text: String,
    /// Where its posts are read (its instance or PDS).
    server: Option<String>,
    /// The newest of its posts read (post id; Bluesky: record key).
    cursor: Option<String>,
    last_read: Option<String>,
    /// When its profile was last checked (consent, name, server).
    checked_at: Option<String>,
    /// Its posts fetched in total.
    fetched: u64,
    /// Until when a rate limit of its server holds it.
    held_until: Option<String>,
    last_error: Option<String>,
}

#[derive(Serialize)]
struct ShowView {
    #[serde(flatten)]
    bot: BotView,
    /// As in `farm stats --json`: `ok`, `paused`, `rate-limited`, `failing`, `unconfirmed`.
    status: &'static str,
    state: StateView,
    /// A reader's followed accounts (empty when it follows none).
    follows: Vec<FollowView>,
    /// A reader that follows accounts: whether it reads its home timeline too (`--home`).
    reads_home: bool,
    hot_words: Vec<String>,
    boring_words: Vec<String>,
    /// A writer that answers its mentions: as in `farm stats --json`; `null` for other bots.
    replies: Option<crate::bot::reply::Summary>,
}

/// Show one bot.
pub fn run(g: &Globals, name: &str, json: bool) -> Result<()> {
    let store = open_required(&g.dir)?;
    let bot = get(&store, name)?;
    let st = store.state(&bot.name)?;
    let now = now()?;
    let standing = status::standing_of(&store, &bot, &st, now)?;
    let status = standing.status;
    let ts = |t: i64| (t > 0).then(|| clock::format(t));
    let (boring, hot) = crate::bot::writer::feedback(&store, &bot)?;
    let total = Kinds::total(bot.role, st.total);
    let follows = store.follows(&bot.name)?;
    let opt = |t: i64| (t > 0).then(|| clock::format(t));
    let follow_views = follows
        .iter()
        .map(|f| FollowView {
            account: f.spec.clone(),
            name: f.handle.clone(),
            id: f.id.clone(),
            status: follow::status_name(&f.status),
            status_text: follow::status_text(&f.status),
            server: f.home.clone(),
            cursor: f.cursor.clone(),
            last_read: opt(f.last_read),
            checked_at: opt(f.checked_at),
            fetched: f.fetched,
            held_until: f.held_until.filter(|u| *u > now).map(clock::format),
            last_error: f.last_error.clone(),
        })
        .collect();
    let row = super::stats::Row::new(&crate::bot::stats::summary_of(&store, &bot, now)?);
    let view = ShowView {
        bot: BotView::new(&bot),
        status: status.name(),
        state: StateView {
            last_ok: ts(st.last_ok),
            last_error: st.last_error.clone(),
            failing_since: st.failing_since.and_then(ts),
            next_due_at: standing.next_due.map(clock::format),
            clock_ahead: standing.ahead.map(clock::format),
            fetched_total: total.fetched,
            posts_total: total.posts,
            scored_total: total.scored,
            cached: st.cached,
            imported_total: row.imported_total,
            calls_24h: row.calls_24h,
            calls_30d: row.calls_30d,
            cost_24h: row.cost_24h,
            cost_30d: row.cost_30d,
            cursor: st.cursor.clone(),
            consumed: st.consumed,
            pending: st.pending.as_ref().map(|p| p.text.clone()),
            pending_meta: st.pending.as_ref().map(|p| p.meta.clone()),
            pending_thread: st.pending.as_ref().and_then(|p| p.thread.clone()),
            slot: SlotState::new(&bot, &st, standing.next_slot),
            slots_served_until: view_slots_served(&bot, &st),
            rate_limits: store
                .rates(&bot.name)?
                .into_iter()
                .map(|r| RateView {
                    call: r.call.name(),
                    remaining: r.remaining,
                    limit: r.limit,
                    reset: clock::format(r.reset),
                })
                .collect(),
        },
        follows: follow_views,
        reads_home: bot.role == crate::bot::Role::Reader && follow::reads_home(&bot, !follows.is_empty()),
        hot_words: hot,
        boring_words: boring,
        replies: crate::bot::reply::Summary::of(&store, &bot)?,
    };
    if json {
        return print_json(&view);
    }
    let width = crate::out::width();
    let b = &view.bot;
    let s = &view.state;
    let mut out = crate::out::cut(&format!("{} ({} on {})", b.name, b.role, b.platform), width);
    out.push('\n');
    let mut line = |key: &str, value: &str| out.push_str(&crate::out::pair(key, value, width));
    if !b.api.is_empty() {
        line("api", &b.api);
    }
    let paused = if b.paused { " (paused)" } else { "" };
    match &b.slots {
        Some(sv) => line("slots", &format!("{}{paused}", sv.text)),
        None => line("every", &format!("{}{paused}", b.every)),
    }
    if let Some(src) = &b.source {
        line("source", src);
    }
    if bot.role == crate::bot::Role::Writer {
        for l in writer_spec(&bot).describe() {
            line("processing", &l);
        }
        if let Some(v) = &b.visibility {
            line("visibility", v);
        }
        if let Some(l) = &b.lang {
            line("lang", l);
        }
        if let Some(l) = b.long {
            let how = match l {
                "cut" => "cut at a word with …".to_string(),
                "thread" => {
                    format!("posted as a thread (at most {} posts)", crate::bot::writer::THREAD_MAX_PARTS)
                }
                _ => "skipped".to_string(),
            };
            line("long texts", &how);
        }
        for (key, value) in [("warning", &b.warning), ("labels", &b.labels)] {
            if let Some(v) = value {
                line(key, v);
            }
        }
        if b.sensitive == Some(true) {
            line("sensitive", "yes");
        }
        if b.warnings == Some("carry") {
            line("warnings", "carried from the source post (--warnings carry)");
        }
        if view.replies.is_some() {
            line("replies", &crate::bot::reply::Rules::of(&bot).describe());
        }
    }
    let corpus = bot.platform == crate::net::PlatformKind::Corpus;
    if corpus {
        line("keeps", "every post imported into it (`farm import-corpus`); it reads no network");
    }
    if let Some(r) = b.reader.as_ref().filter(|_| !corpus) {
        line(
            "fetch cap",
            &format!(
                "{} posts; keep {} / {} posts",
                r.cap,
                clock::format_duration(r.max_age_secs),
                r.max_count
            ),
        );
    }
    match (bot.role, bot.source.as_deref()) {
        // An analyzer calls with its writer's account.
        (crate::bot::Role::Analyzer, Some(w)) => {
            let writer = store.bot(w)?;
            let token = writer.as_ref().map(|w| crate::net::mask(&w.creds.access_token));
            line(
                "credentials",
                &format!(
                    "its writer {w}'s (access token {})",
                    token.as_deref().unwrap_or("unknown: the writer is gone")
                ),
            );
            if let Some(writer) = &writer {
                line("scoring", &crate::bot::registry::describe_analyzer(&bot, writer));
            }
        }
        _ => {
            let c = &b.credentials;
            let consumer = match (&c.consumer_key, c.consumer_key_from_app) {
                (_, true) => "(app)",
                (Some(k), _) => k.as_str(),
                (None, _) => "(none)",
            };
            line(
                "credentials",
                &format!(
                    "consumer key {consumer}, access token {}{}",
                    c.access_token.as_deref().unwrap_or("(none)"),
                    if c.access_secret_set { ", access secret set" } else { "" }
                ),
            );
        }
    }
    line("status", &status_text(status));
    line("last ok", &if st.last_ok > 0 { clock::short(st.last_ok) } else { "never".into() });
    line("next due", &next_due_text(bot.paused, standing.next_due, now));
    if let (Some(next), Some(missed)) = (&s.slot.next_slot_text, s.slot.slots_missed) {
        line("next slot", next);
        line("missed", &missed_text(missed));
    }
    if let Some(t) = standing.ahead {
        line(
            "clock",
            &format!(
                "{}, stored by an earlier run, is {}; the next run takes it as now",
                clock::short(t),
                crate::bot::schedule::AHEAD_NOTE
            ),
        );
    }
    line("total", &kinds_text(b.role, s.fetched_total, s.posts_total, s.scored_total));
    if bot.role == crate::bot::Role::Reader {
        line("cached", &s.cached.to_string());
    }
    if !follows.is_empty() {
        let mut what = format!("{} public accounts ({})", follows.len(), follow::summary(&follows));
        if view.reads_home {
            what.push_str(" and its home timeline");
        }
        if bot.setting(follow::REPOSTS_KEY) == Some("yes") {
            what.push_str(", reposts too");
        }
        line("reads", &what);
        if let Some(cost) = x_cost(&bot, &follows, store.prices("x")?.list().read) {
            line("x cost", &cost);
        }
    }
    for f in &follows {
        let name = if f.handle == f.spec { f.handle.clone() } else { format!("{} ({})", f.handle, f.spec) };
        let mut text = format!("{name}: {}", follow::status_text(&f.status));
        if let Some(c) = &f.cursor {
            text.push_str(&format!("; cursor {c}"));
        }
        text.push_str(&format!("; last read {}", follow::last_read_text(f)));
        if let Some(u) = f.held_until.filter(|u| *u > now) {
            text.push_str(&format!("; held until {}", clock::short(u)));
        }
        line("follows", &text);
        if let Some(e) = &f.last_error {
            line("  its error", e);
        }
    }
    if s.imported_total > 0 {
        line("imported", &format!("{} posts from files", s.imported_total));
    }
    line("calls", &super::stats::calls_text(&row));
    if let Some(p) = &s.pending {
        line("unconfirmed", p);
    }
    if let Some(t) = &s.pending_thread {
        line("thread", &format!("part {} of {}; {} to follow", t.part, t.parts(), t.rest.len()));
    }
    if let Some(m) = s.pending_meta.as_ref().and_then(meta_text) {
        line("carrying", &m);
    }
    if let Some(r) = &view.replies {
        line("mentions", &r.line());
    }
    if let Some(e) = &s.last_error {
        line("last error", e);
    }
    for r in store.rates(&bot.name)? {
        line(
            "rate limit",
            &format!("{} {} left, resets {}", r.call.name(), r.remaining, clock::short(r.reset)),
        );
    }
    if !view.hot_words.is_empty() {
        line("hot words", &view.hot_words.join(", "));
    }
    if !view.boring_words.is_empty() {
        line("boring", &view.boring_words.join(", "));
    }
    // A grammar whole, indented and never cut: it is configuration, to be read or copied.
    if let Some(g) = &b.grammar {
        out.push_str(&format!("grammar:\n{}\n", g.to_pretty_json()));
    }
    crate::out::write_str(&out)
}

/// What a post carries besides its text, on one line (`warning "spoilers", sensitive, lang en,
/// labels nudity`), for `show` and `preview`; `None` when it carries nothing.
pub fn meta_text(meta: &crate::model::PostMeta) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    if let Some(w) = &meta.warning {
        parts.push(format!("warning {w:?}"));
    }
    if meta.sensitive {
        parts.push("sensitive".into());
    }
    if let Some(l) = &meta.lang {
        parts.push(format!("lang {l}"));
    }
    if !meta.labels.is_empty() {
        parts.push(format!("labels {}", meta.labels.join(",")));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// Until when a slot writer's slots are served (RFC 3339); `None` for a bot without slots.
fn view_slots_served(bot: &crate::bot::Bot, st: &crate::bot::BotState) -> Option<String> {
    let has_slots = crate::bot::slots::of(bot).ok().flatten().is_some();
    (has_slots && st.slot_done > 0).then(|| clock::format(st.slot_done))
}

/// Slots missed, in words: `0 slots`, `1 slot`, `2 slots`.
pub fn missed_text(n: u64) -> String {
    format!("{n} slot{}", if n == 1 { "" } else { "s" })
}

/// The status line of `farm show`: the name, with the time a limit resets or failures began.
fn status_text(s: Status) -> String {
    match s {
        Status::RateLimited { until } => format!("rate-limited until {}", clock::short(until)),
        Status::Failing { since: Some(t) } => format!("failing since {}", clock::short(t)),
        s => s.name().to_string(),
    }
}

/// What an X reader's followed accounts cost so far, in words: X bills every post read and
/// every profile read ([`crate::net::x::POST_READ_MICRO_USD`]); `None` off X.
/// `read` is the price of a post read in millionths of a dollar, from the farm's price list
/// (`farm app set x --read-price`, the same the stats bill uses).
fn x_cost(bot: &crate::bot::Bot, follows: &[crate::model::Followed], read: u64) -> Option<String> {
    use crate::net::x::{PRICES_AS_OF, USER_READ_MICRO_USD};
    if bot.platform != crate::net::PlatformKind::X {
        return None;
    }
    let posts: u64 = follows.iter().map(|f| f.fetched).sum();
    let dollars = |micro: u64| format!("${}.{:03}", micro / 1_000_000, micro % 1_000_000 / 1_000);
    Some(format!(
        "{} for the {posts} posts read so far ({} a post read, as in `farm app show`; X also bills {} a profile read, its price of {PRICES_AS_OF})",
        dollars(posts * read),
        dollars(read),
        dollars(USER_READ_MICRO_USD)
    ))
}

/// After `create` or `edit --follow` on X: one line on stderr with what X bills for the reads.
pub fn cost_note(bot: &crate::bot::Bot) {
    use crate::net::x::{POST_READ_MICRO_USD, PRICES_AS_OF, USER_READ_MICRO_USD};
    if bot.platform == crate::net::PlatformKind::X {
        eprintln!(
            "note: X bills every read: ${:.3} a post, ${:.3} a profile (its prices of {PRICES_AS_OF}); `farm show {}` counts them",
            POST_READ_MICRO_USD as f64 / 1e6,
            USER_READ_MICRO_USD as f64 / 1e6,
            bot.name
        );
    }
}
