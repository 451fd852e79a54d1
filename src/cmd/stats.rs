//! `farm stats [NAME] [--json]`: the farm at a glance, or one bot's last 30 days.
//!
//! The layout only: the numbers (status, backlog, 24-hour and daily counts) come from
//! [`crate::bot::stats`], which never reads the cached posts.
//!
//! The table is farm's one table layout ([`crate::out::Table`]), fitted to [`crate::out::width`]:
//! long names and errors are cut with "…" and the less useful columns left out, never the
//! status. Posts fetched (readers), made (writers) and scored (analyzers) are separate columns
//! and totals. Colour only when stdout is a terminal and `NO_COLOR` is not set.

use super::list::{every_cell, next_due_text, SlotState, SlotsView};
use super::{now, open_existing, print_json, Globals};
use crate::bot::registry::get;
use crate::bot::stats::{self, DayCounts, Kinds, Summary};
use crate::bot::BotState;
use crate::clock;
use crate::error::Result;
use crate::out::{Cell, Column, Table};
use crate::store::Store;
use serde::Serialize;

/// Days of history shown by `farm stats NAME`.
pub const HISTORY_DAYS: i64 = 30;

/// One bot in `farm stats --json` (and the basis of `farm metrics`). Field names are stable.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Row {
    /// Bot name.
    pub name: String,
    /// `reader`, `writer` or `analyzer`.
    pub role: String,
    /// `x`, `x-v1` or `mastodon`.
    pub platform: String,
    /// The reader a writer reads, or the writer an analyzer scores.
    pub source: Option<String>,
    /// Interval, human (`1h`).
    pub every: String,
    /// Interval, seconds.
    pub every_secs: u64,
    /// Paused by `farm pause`.
    pub paused: bool,
    /// `ok`, `paused`, `rate-limited`, `failing` or `unconfirmed` (a post waits for a resend).
    pub status: String,
    /// When the current run of failures began (RFC 3339), if failing.
    pub failing_since: Option<String>,
    /// Until when a known rate limit blocks the bot (RFC 3339), if it does.
    pub limited_until: Option<String>,
    /// Consecutive failed runs.
    pub fails: u32,
    /// Readers: posts in the cache; writers: unprocessed posts in the reader's cache; analyzers: 0.
    pub backlog: u64,
    /// Posts fetched in the last 24 hours (readers; 0 for other bots).
    pub fetched_24h: u64,
    /// Posts made in the last 24 hours (writers, and posts by hand through any bot).
    pub posts_24h: u64,
    /// Posts scored in the last 24 hours (analyzers; 0 for other bots).
    pub scored_24h: u64,
    /// Posts fetched in total (readers; 0 for other bots).
    pub fetched_total: u64,
    /// Posts made in total (writers; 0 for other bots).
    pub posts_total: u64,
    /// Posts scored in total (analyzers; 0 for other bots).
    pub scored_total: u64,
    /// API requests in the last 24 hours.
    pub calls_24h: u64,
    /// API requests in the last 30 days (UTC days, today included).
    pub calls_30d: u64,
    /// X bots: the estimated bill of the last 24 hours in US dollars, at the farm's prices
    /// (`farm app set x --read-price …`); `null` on networks that bill nothing.
    pub cost_24h: Option<f64>,
    /// X bots: the estimated bill of the last 30 days in US dollars; `null` elsewhere.
    pub cost_30d: Option<f64>,
    /// Readers: posts imported from files (`farm import-corpus`) in total; 0 for other bots.
    pub imported_total: u64,
    /// Failed runs in the last 24 hours.
    pub errors_24h: u64,
    /// Last successful run (RFC 3339).
    pub last_run: Option<String>,
    /// Last attempt, successful or not (RFC 3339).
    pub last_attempt: Option<String>,
    /// When the bot is next due (RFC 3339; a time already past when it is due now), not before
    /// a known rate limit on its next call ends; `null` when paused.
    pub next_due_at: Option<String>,
    /// The latest time an earlier run stored more than a day ahead of the clock (RFC 3339),
    /// which the next run takes as now: the clock was wrong then or is wrong now. `null` when
    /// there is none.
    pub clock_ahead: Option<String>,
    /// The last error, one line.
    pub last_error: Option<String>,
    /// A writer's time slots, as in `farm list --json`; `null` when it runs by `every`.
    pub slots: Option<SlotsView>,
    /// Where its slots stand: `next_slot_at`, `next_slot_local`, `slots_missed`.
    #[serde(flatten)]
    pub slot: SlotState,
    /// The bot's own kind of count (a reader's posts fetched, a writer's posts made, an
    /// analyzer's posts scored) in each of the last 24 hours, oldest first; the last entry is
    /// the current hour.
    pub hourly: Vec<u64>,
    /// Known rate-limit windows of the bot's calls.
    pub rate_limits: Vec<RateRow>,
    /// Bluesky: write points its account has left this hour (of 5,000); `null` on other networks.
    pub write_points_hour_left: Option<u64>,
    /// Bluesky: write points its account has left today (of 35,000); `null` on other networks.
    pub write_points_day_left: Option<u64>,
    /// Bluesky: requests left of the per-IP budget the farm's Bluesky bots share (3,000 per 5
    /// minutes); `null` on other networks.
    pub bluesky_ip_left: Option<u64>,
    /// A writer that answers its mentions: mentions seen, answered, waiting and passed over by
    /// the loop guard (by reason); `null` for other bots.
    pub replies: Option<crate::bot::reply::Summary>,
    /// A reader that follows public accounts: how many are read (ok or renamed); `null` for
    /// other bots.
    pub follows_ok: Option<usize>,
    /// A reader that follows public accounts: how many it follows; `null` for other bots.
    pub follows_total: Option<usize>,
}

/// A known rate-limit window in `farm stats --json`.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct RateRow {
    /// `verify`, `timeline`, `post`, `own_posts` or `delete`.
    pub call: String,
    /// Requests left in the window.
    pub remaining: u64,
    /// Window size, when the server said.
    pub limit: Option<u64>,
    /// When the window resets (RFC 3339).
    pub reset: String,
}

/// One day of a bot's history (`farm stats NAME --json`).
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Day {
    /// The day, UTC: `2026-01-31`.
    pub day: String,
    /// Posts fetched (readers).
    pub fetched: u64,
    /// Posts made.
    pub posts: u64,
    /// Posts scored (analyzers).
    pub scored: u64,
    /// API requests.
    pub calls: u64,
    /// Failed runs.
    pub errors: u64,
}

/// `farm stats NAME --json`.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct History {
    /// The bot's row, as in `farm stats --json`.
    pub bot: Row,
    /// The last [`HISTORY_DAYS`] days, oldest first; the last one is today.
    pub days: Vec<Day>,
}

impl Row {
    /// The row of a bot's summary at `now`.
    pub fn new(s: &Summary) -> Row {
        let (b, st) = (&s.bot, &s.state);
        let ts = |t: i64| (t > 0).then(|| clock::format(t));
        let total = Kinds::total(b.role, st.total);
        Row {
            name: b.name.clone(),
            role: b.role.name().into(),
            platform: b.platform.name().into(),
            source: b.source.clone(),
            every: clock::format_duration(b.every),
            every_secs: b.every,
            paused: b.paused,
            status: s.status.name().into(),
            failing_since: st.failing_since.map(clock::format),
            limited_until: s.limited_until.map(clock::format),
            fails: st.fails,
            backlog: s.backlog,
            fetched_24h: s.last_24h.fetched,
            posts_24h: s.last_24h.posts,
            scored_24h: s.last_24h.scored,
            fetched_total: total.fetched,
            posts_total: total.posts,
            scored_total: total.scored,
            calls_24h: s.calls_24h,
            calls_30d: s.calls_30d,
            cost_24h: s.cost.map(|c| dollars(c.last_24h)),
            cost_30d: s.cost.map(|c| dollars(c.last_30d)),
            imported_total: s.imported,
            errors_24h: s.errors_24h,
            last_run: ts(st.last_ok),
            last_attempt: ts(st.last_attempt),
            next_due_at: s.next_due.map(clock::format),
            clock_ahead: s.ahead.map(clock::format),
            last_error: st.last_error.clone(),
            slots: SlotsView::of(b),
            slot: SlotState::new(b, st, s.next_slot),
            hourly: s.hourly.clone(),
            rate_limits: s
                .rates
                .iter()
                .map(|r| RateRow {
                    call: r.call.name().into(),
                    remaining: r.remaining,
                    limit: r.limit,
                    reset: clock::format(r.reset),
                })
                .collect(),
            write_points_hour_left: s.write_points.map(|p| p.0),
            write_points_day_left: s.write_points.map(|p| p.1),
            bluesky_ip_left: None,
            replies: None,
            follows_ok: s.follows.map(|f| f.0),
            follows_total: s.follows.map(|f| f.1),
        }
    }

    /// Fill in a writer's replies ([`crate::bot::reply::Summary`]).
    fn with_replies(mut self, store: &Store, bot: &crate::bot::Bot) -> Result<Row> {
        self.replies = crate::bot::reply::Summary::of(store, bot)?;
        Ok(self)
    }

    /// Fill in the farm's shared Bluesky budget (`budget`: what is left and when it resets, as
    /// [`crate::bot::budget::bluesky_budget`] says) on a Bluesky bot's row.
    fn with_ip_budget(mut self, budget: Option<(u64, i64)>) -> Row {
        if self.write_points_hour_left.is_some() {
            self.bluesky_ip_left = Some(budget.map_or(crate::bot::budget::BLUESKY_IP_LIMIT, |b| b.0));
        }
        self
    }
}

impl Day {
    /// The row of a day's counters.
    pub fn new(d: &DayCounts) -> Day {
        Day {
            day: clock::format(d.start)[..10].to_string(),
            fetched: d.kinds.fetched,
            posts: d.kinds.posts,
            scored: d.kinds.scored,
            calls: d.calls,
            errors: d.errors,
        }
    }
}

/// Millionths of a US dollar as dollars (for JSON).
pub fn dollars(micros: u64) -> f64 {
    micros as f64 / 1e6
}

/// Dollars as text: `$0.015` below a dollar (a post's price must show), `$12.34` from one on.
pub fn usd(dollars: f64) -> String {
    if dollars < 1.0 {
        format!("${dollars:.3}")
    } else {
        format!("${dollars:.2}")
    }
}

/// The prices a bill is estimated at, in words, with where to change them.
pub fn prices_text(p: &crate::model::PriceList) -> String {
    format!(
        "{} a post read, {} a post, {} a post with a link",
        usd(dollars(p.read)),
        usd(dollars(p.post)),
        usd(dollars(p.link_post))
    )
}

/// Rows of every bot, ordered by name, with their raw state.
pub fn rows(store: &Store, now: i64) -> Result<Vec<(Row, BotState)>> {
    let ip = crate::bot::budget::bluesky_budget(store, now)?;
    stats::summaries(store, now)?
        .into_iter()
        .map(|s| Ok((Row::new(&s).with_ip_budget(ip).with_replies(store, &s.bot)?, s.state)))
        .collect()
}

/// A sparkline of values: `▁` for nothing, `▂`…`█` for some activity up to the most.
pub fn sparkline(v: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = v.iter().copied().max().unwrap_or(0);
    v.iter()
        .map(|&x| if x == 0 { BARS[0] } else { BARS[(x * 7).div_ceil(max).clamp(1, 7) as usize] })
        .collect()
}

/// A horizontal bar of `value` out of `max`, at most `width` characters, in eighths.
pub fn bar(value: u64, max: u64, width: usize) -> String {
    const PART: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    if max == 0 || value == 0 {
        return String::new();
    }
    let eighths = (value.min(max) as u128 * width as u128 * 8).div_ceil(max as u128) as usize;
    let mut s = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push(PART[eighths % 8]);
    }
    s
}

/// `line` broken at spaces into lines of at most `width` characters (a longer word is cut); the
/// lines after the first start with `indent`. Each line ends with a new line. For the note under
/// the table, which is prose, not a cell.
fn wrap(line: &str, width: usize, indent: &str) -> String {
    let lead = line.len() - line.trim_start().len();
    let mut out = String::new();
    let mut cur = line[..lead].to_string();
    let mut len = lead;
    let mut empty = true;
    for word in line.split_whitespace() {
        let mut w: Vec<char> = word.chars().collect();
        loop {
            let sep = usize::from(!empty);
            if len + sep + w.len() <= width {
                if !empty {
                    cur.push(' ');
                }
                cur.extend(&w);
                len += sep + w.len();
                empty = false;
                break;
            }
            if empty {
                // A word longer than a whole line: cut it.
                let rest = w.split_off(width.saturating_sub(len).clamp(1, w.len()));
                cur.extend(&w);
                w = rest;
            }
            out.push_str(&cur);
            out.push('\n');
            cur = indent.to_string();
            len = indent.chars().count();
            empty = true;
            if w.is_empty() {
                break;
            }
        }
    }
    out.push_str(&cur);
    out.push('\n');
    out
}

/// A time of a row (RFC 3339 or null) in the one text format, or `-`.
fn time_cell(t: &Option<String>) -> String {
    t.as_deref().and_then(clock::parse_rfc3339).map(clock::short).unwrap_or_default()
}

/// The last successful run, or `never`.
fn last_run_text(r: &Row) -> String {
    if r.last_run.is_some() {
        time_cell(&r.last_run)
    } else {
        "never".into()
    }
}

/// A count the bot's role does not make (a writer's posts fetched): `-`, not 0.
fn count_cell(r: &Row, role: &str, n: u64) -> String {
    if r.role == role {
        n.to_string()
    } else {
        String::new()
    }
}

/// How many of a reader's followed accounts are read: `3/4 ok`; `None` for other bots.
fn follows_text(r: &Row) -> Option<String> {
    r.follows_ok.zip(r.follows_total).map(|(ok, total)| format!("{ok}/{total} ok"))
}

/// The source column: a writer's reader, an analyzer's writer, or [`follows_text`].
fn source_cell(r: &Row) -> String {
    r.source.clone().or_else(|| follows_text(r)).unwrap_or_default()
}

/// The farm table: one line per bot and a totals line; under it, when the farm has X bots, the
/// farm's estimated X bill at `prices`.
pub fn render_table(
    rows: &[(Row, BotState)],
    prices: &crate::model::PriceList,
    now: i64,
    width: usize,
    colour: bool,
) -> String {
    // Display order; `drop(rank)`: the highest rank is left out first on a narrow screen.
    let mut t = Table::new(vec![
        Column::left("bot").cut_middle(16),
        Column::left("role").drop(6),
        Column::left("platform").drop(12),
        Column::left("source").drop(14).cut_middle(12),
        Column::right("every").drop(9).cut_end(8),
        Column::left("status"),
        Column::right("backlog").drop(2),
        Column::right("fetched").drop(3),
        Column::right("posts").drop(3),
        Column::right("scored").drop(3),
        Column::right("calls").drop(11),
        Column::right("calls 30d").drop(15),
        Column::right("cost 30d").drop(12),
        Column::right("errors").drop(8),
        Column::left("last run").drop(10),
        Column::left("next due").drop(5),
        Column::left("failing since").drop(13),
        Column::left("last 24h").drop(4),
        Column::left("last error").drop(7).cut_end(16),
    ]);
    for (r, _) in rows {
        let next_due = r.next_due_at.as_deref().and_then(clock::parse_rfc3339);
        t.row::<Cell>([
            r.name.clone().into(),
            r.role.clone().into(),
            r.platform.clone().into(),
            source_cell(r).into(),
            every_cell(&r.every, r.slots.as_ref()).into(),
            Cell::coloured(r.status.clone(), crate::out::status_colour(&r.status)),
            r.backlog.to_string().into(),
            count_cell(r, "reader", r.fetched_24h).into(),
            r.posts_24h.to_string().into(),
            count_cell(r, "analyzer", r.scored_24h).into(),
            r.calls_24h.to_string().into(),
            r.calls_30d.to_string().into(),
            r.cost_30d.map(usd).unwrap_or_default().into(),
            r.errors_24h.to_string().into(),
            last_run_text(r).into(),
            next_due_text(r.paused, next_due, now).into(),
            time_cell(&r.failing_since).into(),
            sparkline(&r.hourly).into(),
            r.last_error.clone().unwrap_or_default().into(),
        ]);
    }
    // The totals line: each kind of count on its own.
    let sum = |f: &dyn Fn(&Row) -> u64| rows.iter().map(|(r, _)| f(r)).sum::<u64>().to_string();
    let billed: Vec<&Row> = rows.iter().map(|(r, _)| r).filter(|r| r.cost_30d.is_some()).collect();
    let bill = |f: fn(&Row) -> Option<f64>| billed.iter().filter_map(|r| f(r)).sum::<f64>();
    let mut total = vec![String::new(); 19];
    total[0] = "total".into();
    total[7] = sum(&|r| r.fetched_24h);
    total[8] = sum(&|r| r.posts_24h);
    total[9] = sum(&|r| r.scored_24h);
    total[10] = sum(&|r| r.calls_24h);
    total[11] = sum(&|r| r.calls_30d);
    if !billed.is_empty() {
        total[12] = usd(bill(|r| r.cost_30d));
    }
    total[13] = sum(&|r| r.errors_24h);
    t.row(total);
    let mut out = t.render(width, colour);
    if !billed.is_empty() {
        out.push_str(&wrap(
            &format!(
                "x bill (estimated, {}): {} in 24 hours, {} in 30 days",
                prices_text(prices),
                usd(bill(|r| r.cost_24h)),
                usd(bill(|r| r.cost_30d))
            ),
            width,
            "  ",
        ));
    }
    let ahead: Vec<&Row> = rows.iter().map(|(r, _)| r).filter(|r| r.clock_ahead.is_some()).collect();
    if let Some(latest) = ahead.iter().filter_map(|r| r.clock_ahead.as_deref()).max() {
        let names: Vec<&str> = ahead.iter().map(|r| r.name.as_str()).collect();
        out.push_str(&wrap(
            &clock_note(&time_cell(&Some(latest.to_string())), &names.join(", ")),
            width,
            "  ",
        ));
    }
    let slotted: Vec<String> =
        rows.iter().filter_map(|(r, _)| slots_note(r).map(|n| format!("{} {n}", r.name))).collect();
    if !slotted.is_empty() {
        out.push_str(&wrap(&format!("slots: {}", slotted.join("; ")), width, "  "));
    }
    let bluesky: Vec<&Row> = rows.iter().map(|(r, _)| r).filter(|r| r.bluesky_ip_left.is_some()).collect();
    if let Some(ip) = bluesky.first().and_then(|r| r.bluesky_ip_left) {
        let points: Vec<String> = bluesky.iter().map(|r| format!("{} {}", r.name, points_text(r))).collect();
        out.push_str(&wrap(
            &format!("bluesky: {} left; write points left: {}", ip_text(ip), points.join(", ")),
            width,
            "  ",
        ));
    }
    out
}

/// A slot writer's next slot and missed slots, in words (`next 2026-03-02 09:00 Europe/Moscow
/// (06:00 UTC), 2 missed`); `None` for a bot without slots.
fn slots_note(r: &Row) -> Option<String> {
    let missed = r.slot.slots_missed?;
    let next = match (&r.slot.next_slot_at, &r.slot.next_slot_text) {
        (Some(_), Some(text)) => format!("next {text}"),
        _ => "no next slot (paused)".into(),
    };
    Some(format!("{next}, {missed} missed"))
}

/// What is left of the farm's shared Bluesky per-IP budget, in words.
fn ip_text(left: u64) -> String {
    format!("{left} of the farm's {} requests per 5 minutes", crate::bot::budget::BLUESKY_IP_LIMIT)
}

/// A Bluesky bot's write points left, in words (empty on other networks).
fn points_text(r: &Row) -> String {
    match (r.write_points_hour_left, r.write_points_day_left) {
        (Some(h), Some(d)) => format!("{h}/hour {d}/day"),
        _ => String::new(),
    }
}

/// The note on times stored too far ahead of the clock: the latest, and whose.
fn clock_note(latest: &str, bots: &str) -> String {
    format!(
        "clock: times stored by an earlier run (up to {latest}, bots {bots}) are {}; the next run \
         takes them as now",
        crate::bot::schedule::AHEAD_NOTE
    )
}

/// The status of a row in words, with the time a limit ends or failures began.
fn status_text(r: &Row) -> String {
    match r.status.as_str() {
        "rate-limited" if r.limited_until.is_some() => {
            format!("rate-limited until {}", time_cell(&r.limited_until))
        }
        "failing" if r.failing_since.is_some() => format!("failing since {}", time_cell(&r.failing_since)),
        s => s.to_string(),
    }
}

/// Counts of kinds as words: the role's own kind always, the others when not 0
/// (`10 fetched`, `2 made`, `5 scored`).
pub fn kinds_text(role: &str, fetched: u64, posts: u64, scored: u64) -> String {
    [("reader", fetched, "fetched"), ("writer", posts, "made"), ("analyzer", scored, "scored")]
        .iter()
        .filter(|(r, n, _)| *r == role || *n > 0)
        .map(|(_, n, what)| format!("{n} {what}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A bot's calls of the last day and month, and on X their estimated bill.
pub fn calls_text(r: &Row) -> String {
    let mut text = format!("{} in 24 hours, {} in 30 days", r.calls_24h, r.calls_30d);
    if let (Some(day), Some(month)) = (r.cost_24h, r.cost_30d) {
        text.push_str(&format!("; estimated x bill {} in 24 hours, {} in 30 days", usd(day), usd(month)));
    }
    text
}

/// One bot's summary and its per-day table.
pub fn render_history(r: &Row, days: &[Day], now: i64, width: usize) -> String {
    let line = |key: &str, value: &str| crate::out::pair(key, value, width);
    let mut out = crate::out::cut(
        &format!(
            "{} ({} on {}, {}{}): {}",
            r.name,
            r.role,
            r.platform,
            if r.slots.is_some() {
                every_cell(&r.every, r.slots.as_ref())
            } else {
                format!("every {}", r.every)
            },
            match (&r.source, follows_text(r)) {
                (Some(s), _) => format!(", source {s}"),
                (None, Some(f)) => format!(", follows {f}"),
                (None, None) => String::new(),
            },
            r.status
        ),
        width,
    );
    out.push('\n');
    out.push_str(&line("status", &status_text(r)));
    match r.role.as_str() {
        "reader" => out.push_str(&line("cached", &r.backlog.to_string())),
        "writer" => out.push_str(&line("backlog", &r.backlog.to_string())),
        _ => {}
    }
    out.push_str(&line(
        "last 24h",
        &format!(
            "{} ({}, {} calls, {} errors)",
            sparkline(&r.hourly),
            kinds_text(&r.role, r.fetched_24h, r.posts_24h, r.scored_24h),
            r.calls_24h,
            r.errors_24h
        ),
    ));
    out.push_str(&line("total", &kinds_text(&r.role, r.fetched_total, r.posts_total, r.scored_total)));
    if r.imported_total > 0 {
        out.push_str(&line("imported", &format!("{} posts from files", r.imported_total)));
    }
    out.push_str(&line("calls", &calls_text(r)));
    out.push_str(&line("last run", &last_run_text(r)));
    let next_due = r.next_due_at.as_deref().and_then(clock::parse_rfc3339);
    out.push_str(&line("next due", &next_due_text(r.paused, next_due, now)));
    if let Some(sv) = &r.slots {
        out.push_str(&line("slots", &sv.text));
        out.push_str(&line("next slot", r.slot.next_slot_text.as_deref().unwrap_or_default()));
        out.push_str(&line("missed", &super::show::missed_text(r.slot.slots_missed.unwrap_or(0))));
    }
    if let Some(e) = &r.last_error {
        out.push_str(&line("last error", e));
    }
    if let Some(replies) = &r.replies {
        out.push_str(&line("mentions", &replies.line()));
    }
    if let Some(ip) = r.bluesky_ip_left {
        out.push_str(&line("write points", &format!("{} left", points_text(r))));
        out.push_str(&line("bluesky", &format!("{} left", ip_text(ip))));
    }
    if r.clock_ahead.is_some() {
        out.push_str(&line("clock", &clock_note(&time_cell(&r.clock_ahead), &r.name)));
    }
    let (label, own): (&str, fn(&Day) -> u64) = match r.role.as_str() {
        "reader" => ("fetched", |d| d.fetched),
        "analyzer" => ("scored", |d| d.scored),
        _ => ("posts", |d| d.posts),
    };
    let max = days.iter().map(own).max().unwrap_or(0);
    let bar_width = width.saturating_sub(40).clamp(10, 40);
    let mut t = Table::new(vec![
        Column::left("day"),
        Column::right(label),
        Column::right("calls").drop(2),
        Column::right("errors").drop(1),
        Column::left("chart").drop(3),
    ]);
    for d in days {
        t.row([
            d.day.clone(),
            own(d).to_string(),
            d.calls.to_string(),
            d.errors.to_string(),
            bar(own(d), max, bar_width),
        ]);
    }
    out.push_str(&t.render(width, false));
    out
}

/// `farm stats [NAME] [--json]`.
pub fn run(g: &Globals, name: Option<&str>, json: bool) -> Result<()> {
    let now = now()?;
    let Some(store) = open_existing(&g.dir)? else {
        if let Some(n) = name {
            return Err(crate::error::FarmError::usage(format!(
                "there is no bot named {}; see `farm list`",
                n.trim_start_matches('@')
            )));
        }
        if json {
            return print_json(&Vec::<Row>::new());
        }
        eprintln!("no bots yet");
        return Ok(());
    };
    if let Some(n) = name {
        let bot = get(&store, n)?;
        let ip = crate::bot::budget::bluesky_budget(&store, now)?;
        let r =
            Row::new(&stats::summary_of(&store, &bot, now)?).with_ip_budget(ip).with_replies(&store, &bot)?;
        let days: Vec<Day> = stats::history(&store, &bot, now, HISTORY_DAYS)?.iter().map(Day::new).collect();
        if json {
            return print_json(&History { bot: r, days });
        }
        crate::out!("{}", render_history(&r, &days, now, crate::out::width()))?;
        return Ok(());
    }
    let rows = rows(&store, now)?;
    if json {
        return print_json(&rows.into_iter().map(|(r, _)| r).collect::<Vec<_>>());
    }
    if rows.is_empty() {
        eprintln!("no bots yet");
        return Ok(());
    }
    let prices = store.prices("x")?.list();
    crate::out!("{}", render_table(&rows, &prices, now, crate::out::width(), crate::out::colour()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_and_bar() {
        assert_eq!(sparkline(&[0, 1, 7, 14]), "▁▂▅█");
        assert_eq!(sparkline(&[0, 0]), "▁▁");
        assert_eq!(bar(0, 10, 10), "");
        assert_eq!(bar(10, 10, 4), "████");
        assert_eq!(bar(5, 10, 4), "██");
        assert_eq!(bar(1, 16, 2), "▏");
    }
}
