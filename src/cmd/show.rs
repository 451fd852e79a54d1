//! `farm show NAME [--json]`

use super::list::{next_due_text, BotView};
use super::{now, open_required, print_json, Globals};
use crate::bot::registry::{get, writer_spec};
use crate::bot::status::{self, Status};
use crate::clock;
use crate::error::Result;
use serde::Serialize;

#[derive(Serialize)]
struct StateView {
    last_ok: Option<String>,
    last_error: Option<String>,
    failing_since: Option<String>,
    next_due: String,
    /// The latest time an earlier run stored more than a day ahead of the clock, which the next
    /// run takes as now (the clock was wrong then or is wrong now); `null` when there is none.
    clock_ahead: Option<String>,
    total: u64,
    cached: u64,
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
    let view = ShowView {
        bot: BotView::new(&bot),
        status: status.name(),
        state: StateView {
            last_ok: ts(st.last_ok),
            last_error: st.last_error.clone(),
            failing_since: st.failing_since.and_then(ts),
            next_due: next_due_text(standing.next_due, now),
            clock_ahead: standing.ahead.map(clock::format),
            total: st.total,
            cached: st.cached,
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
    let b = &view.bot;
    let s = &view.state;
    crate::outln!("{} ({} on {}, {})", b.name, b.role, b.platform, b.api)?;
    crate::outln!("  every:       {}{}", b.every, if b.paused { " (paused)" } else { "" })?;
    if let Some(src) = &b.source {
        crate::outln!("  source:      {src}")?;
    }
    if bot.role == crate::bot::Role::Writer {
        for line in writer_spec(&bot).describe() {
            crate::outln!("  processing:  {line}")?;
        }
        if let Some(v) = &b.visibility {
            crate::outln!("  visibility:  {v}")?;
        }
    }
    if let Some(r) = &b.reader {
        crate::outln!(
            "  fetch cap:   {} posts; keep {} / {} posts",
            r.cap,
            clock::format_duration(r.max_age_secs),
            r.max_count
        )?;
    }
    match (bot.role, bot.source.as_deref()) {
        // An analyzer calls with its writer's account.
        (crate::bot::Role::Analyzer, Some(w)) => {
            let writer = store.bot(w)?;
            let token = writer.as_ref().map(|w| crate::net::mask(&w.creds.access_token));
            crate::outln!(
                "  credentials: its writer {w}'s (access token {})",
                token.as_deref().unwrap_or("unknown: the writer is gone")
            )?;
            if let Some(writer) = &writer {
                crate::outln!("  scoring:     {}", crate::bot::registry::describe_analyzer(&bot, writer))?;
            }
        }
        _ => crate::outln!(
            "  credentials: consumer key {}, access token {}{}",
            b.credentials.consumer_key,
            b.credentials.access_token,
            if b.credentials.access_secret_set { ", access secret set" } else { "" }
        )?,
    }
    crate::outln!("  status:      {}", status_text(status))?;
    crate::outln!("  last ok:     {}", s.last_ok.as_deref().unwrap_or("never"))?;
    crate::outln!("  next due:    {}", s.next_due)?;
    if let Some(t) = &s.clock_ahead {
        crate::outln!(
            "  clock:       {t}, stored by an earlier run, is {}; the next run takes it as now",
            crate::bot::schedule::AHEAD_NOTE
        )?;
    }
    crate::outln!("  total:       {}", s.total)?;
    if bot.role == crate::bot::Role::Reader {
        crate::outln!("  cached:      {}", s.cached)?;
    }
    if let Some(p) = &s.pending {
        crate::outln!("  unconfirmed: {p}")?;
    }
    if let Some(e) = &s.last_error {
        crate::outln!("  last error:  {e}")?;
    }
    for r in &s.rate_limits {
        crate::outln!("  rate limit:  {} {} left, resets {}", r.call, r.remaining, r.reset)?;
    }
    if !view.hot_words.is_empty() {
        crate::outln!("  hot words:   {}", view.hot_words.join(", "))?;
    }
    if !view.boring_words.is_empty() {
        crate::outln!("  boring:      {}", view.boring_words.join(", "))?;
    }
    Ok(())
}

/// The status line of `farm show`: the name, with the time a limit resets or failures began.
fn status_text(s: Status) -> String {
    match s {
        Status::RateLimited { until } => format!("rate-limited until {}", clock::format(until)),
        Status::Failing { since: Some(t) } => format!("failing since {}", clock::format(t)),
        s => s.name().to_string(),
    }
}
