//! `farm show NAME [--json]`

use super::list::{next_due_text, BotView};
use super::stats::kinds_text;
use super::{now, open_required, print_json, Globals};
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
    rate_limits: Vec<RateView>,
}

#[derive(Serialize)]
struct RateView {
    call: &'static str,
    remaining: u64,
    limit: Option<u64>,
    reset: String,
}

#[derive(Serialize)]
struct ShowView {
    #[serde(flatten)]
    bot: BotView,
    /// As in `farm stats --json`: `ok`, `paused`, `rate-limited`, `failing`, `unconfirmed`.
    status: &'static str,
    state: StateView,
    hot_words: Vec<String>,
    boring_words: Vec<String>,
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
        hot_words: hot,
        boring_words: boring,
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
    line("every", &format!("{}{}", b.every, if b.paused { " (paused)" } else { "" }));
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
    line("next due", &next_due_text(bot.platform.name(), standing.next_due, now));
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
    if s.imported_total > 0 {
        line("imported", &format!("{} posts from files", s.imported_total));
    }
    line("calls", &super::stats::calls_text(&row));
    if let Some(p) = &s.pending {
        line("unconfirmed", p);
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
    crate::out::write_str(&out)
}

/// The status line of `farm show`: the name, with the time a limit resets or failures began.
fn status_text(s: Status) -> String {
    match s {
        Status::RateLimited { until } => format!("rate-limited until {}", clock::short(until)),
        Status::Failing { since: Some(t) } => format!("failing since {}", clock::short(t)),
        s => s.name().to_string(),
    }
}
