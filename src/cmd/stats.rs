//! `farm stats [NAME] [--json]`: the farm at a glance, or one bot's last 30 days.
//!
//! The layout only: the numbers (status, backlog, 24-hour and daily counts) come from
//! [`crate::bot::stats`], which never reads the cached posts.
//!
//! The table fits the terminal: its width is `COLUMNS`, else the terminal's (`TIOCGWINSZ` on
//! stdout), else 80 when stdout is not a terminal; with fewer than 120 columns
//! the less useful columns are left out. Colour only when stdout is a terminal and `NO_COLOR`
//! is not set.

use super::list::next_due_text;
use super::{now, open_existing, print_json, Globals};
use crate::bot::registry::get;
use crate::bot::stats::{self, DayCounts, Summary};
use crate::bot::BotState;
use crate::clock;
use crate::error::Result;
use crate::store::Store;
use comfy_table::{ContentArrangement, LineStyle, Table, TableStyle};
use serde::Serialize;
use std::io::IsTerminal;

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
    /// Posts made (writers), fetched (readers) or scored (analyzers) in the last 24 hours.
    pub posts_24h: u64,
    /// Posts made, fetched or scored in total.
    pub total: u64,
    /// API requests in the last 24 hours.
    pub calls_24h: u64,
    /// Failed runs in the last 24 hours.
    pub errors_24h: u64,
    /// Last successful run (RFC 3339).
    pub last_run: Option<String>,
    /// Last attempt, successful or not (RFC 3339).
    pub last_attempt: Option<String>,
    /// When the bot is next due, human: `now` (due or overdue), `paused` or `2026-01-01 10:00`.
    pub next_due: String,
    /// When the bot is next due (RFC 3339), not before a known rate limit on its next call
    /// ends; `null` when paused.
    pub next_due_at: Option<String>,
    /// The latest time an earlier run stored more than a day ahead of the clock (RFC 3339),
    /// which the next run takes as now: the clock was wrong then or is wrong now. `null` when
    /// there is none.
    pub clock_ahead: Option<String>,
    /// The last error, one line.
    pub last_error: Option<String>,
    /// Activity (posts made, fetched or scored) in each of the last 24 hours, oldest first; the
    /// last entry is the current hour.
    pub hourly: Vec<u64>,
    /// Known rate-limit windows of the bot's calls.
    pub rate_limits: Vec<RateRow>,
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
    /// Posts made.
    pub posts: u64,
    /// Posts fetched (readers) or scored (analyzers).
    pub fetched: u64,
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
    pub fn new(s: &Summary, now: i64) -> Row {
        let (b, st) = (&s.bot, &s.state);
        let ts = |t: i64| (t > 0).then(|| clock::format(t));
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
            posts_24h: s.posts_24h(),
            total: st.total,
            calls_24h: s.calls_24h,
            errors_24h: s.errors_24h,
            last_run: ts(st.last_ok),
            last_attempt: ts(st.last_attempt),
            next_due: next_due_text(s.next_due, now),
            next_due_at: s.next_due.map(clock::format),
            clock_ahead: s.ahead.map(clock::format),
            last_error: st.last_error.clone(),
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
        }
    }
}

impl Day {
    /// The row of a day's counters.
    pub fn new(d: &DayCounts) -> Day {
        Day {
            day: clock::format(d.start)[..10].to_string(),
            posts: d.posts,
            fetched: d.fetched,
            calls: d.calls,
            errors: d.errors,
        }
    }
}

/// Rows of every bot, ordered by name, with their raw state.
pub fn rows(store: &Store, now: i64) -> Result<Vec<(Row, BotState)>> {
    Ok(stats::summaries(store, now)?.into_iter().map(|s| (Row::new(&s, now), s.state)).collect())
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

/// The width to fit: `COLUMNS` when set to a sensible number, else the width of the terminal
/// stdout is, else (stdout is a pipe or a file) 80, so scripted output does not depend on where
/// it runs; `--json` has everything.
pub fn term_width() -> usize {
    crate::config::columns().or_else(crate::out::terminal_width).unwrap_or(80)
}

/// `line` broken at spaces into lines of at most `width` characters (a longer word is cut); the
/// lines after the first start with `indent`. Each line ends with a new line.
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

/// Whether to colour stdout: a terminal, and `NO_COLOR` unset or empty.
pub fn use_colour() -> bool {
    std::io::stdout().is_terminal() && !crate::config::no_color()
}

/// A time for a table cell: `10:00` today, `01-31 10:00` another day.
fn when(ts: i64, now: i64) -> String {
    let full = clock::short(ts);
    if ts.div_euclid(86_400) == now.div_euclid(86_400) {
        full[11..].to_string()
    } else {
        full[5..].to_string()
    }
}

/// The status as the table shows it.
fn status_cell(r: &Row, now: i64) -> String {
    let at = |t: &Option<String>| t.as_deref().and_then(clock::parse_rfc3339);
    match r.status.as_str() {
        "rate-limited" => match at(&r.limited_until) {
            Some(t) => format!("limited until {}", when(t, now)),
            None => "rate-limited".into(),
        },
        "failing" => match at(&r.failing_since) {
            Some(t) => format!("failing since {}", when(t, now)),
            None => "failing".into(),
        },
        s => s.to_string(),
    }
}

/// The ANSI colour of a status.
fn status_colour(status: &str) -> &'static str {
    match status {
        "ok" => "32",
        "failing" => "31",
        "paused" => "2",
        _ => "33",
    }
}

/// A table column: header, cells, and how much it is worth keeping on a narrow terminal
/// (0 = always).
struct Col {
    header: &'static str,
    priority: u8,
    right: bool,
    cells: Vec<String>,
}

impl Col {
    fn width(&self) -> usize {
        self.cells.iter().map(|c| c.chars().count()).chain([self.header.len()]).max().unwrap_or(0)
    }
}

/// The columns to show at `width`: everything from 120 columns on; below, the most useful
/// ones that fit, in display order. Long text (the last error) counts as 20 and wraps.
fn fit(cols: &[Col], width: usize) -> Vec<usize> {
    if width >= 120 {
        return (0..cols.len()).collect();
    }
    let mut order: Vec<usize> = (0..cols.len()).collect();
    order.sort_by_key(|&i| cols[i].priority);
    let mut chosen = Vec::new();
    let mut used = 0;
    for i in order {
        let content = if cols[i].header == "last error" { cols[i].width().min(20) } else { cols[i].width() };
        let w = content + if chosen.is_empty() { 0 } else { 2 };
        if used + w <= width {
            used += w;
            chosen.push(i);
        }
    }
    chosen.sort_unstable();
    chosen
}

/// A plain table: no borders, a rule under the header, two spaces between columns.
fn table(cols: &[Col], keep: &[usize], rows: usize, width: usize) -> Table {
    let mut t = Table::new();
    t.load_style(TableStyle::new().header_separator(LineStyle::none().fill('─')));
    t.set_content_arrangement(ContentArrangement::Dynamic);
    t.set_width(width.min(u16::MAX as usize) as u16);
    t.set_header(keep.iter().map(|&i| cols[i].header).collect::<Vec<_>>());
    for r in 0..rows {
        t.add_row(keep.iter().map(|&i| cols[i].cells[r].clone()).collect::<Vec<_>>());
    }
    let last = keep.len().saturating_sub(1);
    for (n, &i) in keep.iter().enumerate() {
        if let Some(c) = t.column_mut(n) {
            c.set_padding((0, if n == last { 0 } else { 2 }));
            if cols[i].right {
                c.set_cell_alignment(comfy_table::CellAlignment::Right);
            }
        }
    }
    t
}

/// Colour each row's status cell after layout (so widths are measured without escapes).
fn colour_statuses(text: &str, rows: &[(String, String, &'static str)]) -> String {
    let mut out = String::with_capacity(text.len() + rows.len() * 10);
    let mut next = 0;
    for (n, line) in text.lines().enumerate() {
        let mut line = line.to_string();
        if n >= 2 && next < rows.len() {
            let (name, status, colour) = &rows[next];
            let starts = line.strip_prefix(name.as_str()).is_some_and(|rest| rest.starts_with(' '));
            if starts {
                if let Some(pos) = line[name.len()..].find(status.as_str()).map(|p| p + name.len()) {
                    line.replace_range(pos..pos + status.len(), &format!("\x1b[{colour}m{status}\x1b[0m"));
                }
                next += 1;
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn opt_cell(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

/// The farm table: one line per bot and a totals line.
pub fn render_table(rows: &[(Row, BotState)], now: i64, width: usize, colour: bool) -> String {
    let n = rows.len();
    let col = |header, priority, right, f: &dyn Fn(&Row, &BotState) -> String| Col {
        header,
        priority,
        right,
        cells: rows.iter().map(|(r, st)| f(r, st)).collect(),
    };
    let mut cols = vec![
        col("bot", 0, false, &|r, _| r.name.clone()),
        col("role", 5, false, &|r, _| r.role.clone()),
        col("platform", 12, false, &|r, _| r.platform.clone()),
        col("source", 13, false, &|r, _| opt_cell(&r.source)),
        col("every", 8, true, &|r, _| r.every.clone()),
        col("status", 1, false, &|r, _| status_cell(r, now)),
        col("backlog", 3, true, &|r, _| r.backlog.to_string()),
        col("24h", 4, true, &|r, _| r.posts_24h.to_string()),
        col("total", 7, true, &|r, _| r.total.to_string()),
        col("calls", 10, true, &|r, _| r.calls_24h.to_string()),
        col("errors", 9, true, &|r, _| r.errors_24h.to_string()),
        col("last run", 11, false, &|_, st| {
            if st.last_ok > 0 {
                when(st.last_ok, now)
            } else {
                "never".into()
            }
        }),
        col("next due", 6, false, &|r, _| match r.next_due_at.as_deref().and_then(clock::parse_rfc3339) {
            None => "paused".into(),
            Some(t) if t <= now => "now".into(),
            Some(t) => when(t, now),
        }),
        col("last 24h", 2, false, &|r, _| sparkline(&r.hourly)),
        col("last error", 14, false, &|r, _| opt_cell(&r.last_error)),
    ];
    // The totals line.
    let mut farm_hourly = vec![0u64; 24];
    for (r, _) in rows {
        for (t, v) in farm_hourly.iter_mut().zip(&r.hourly) {
            *t += v;
        }
    }
    let sum = |f: &dyn Fn(&Row) -> u64| rows.iter().map(|(r, _)| f(r)).sum::<u64>().to_string();
    let totals: Vec<(&str, String)> = vec![
        ("bot", format!("total ({n})")),
        ("24h", sum(&|r| r.posts_24h)),
        ("total", sum(&|r| r.total)),
        ("calls", sum(&|r| r.calls_24h)),
        ("errors", sum(&|r| r.errors_24h)),
        ("last 24h", sparkline(&farm_hourly)),
    ];
    for c in &mut cols {
        c.cells.push(totals.iter().find(|(h, _)| *h == c.header).map(|(_, v)| v.clone()).unwrap_or_default());
    }
    let keep = fit(&cols, width);
    let text = table(&cols, &keep, n + 1, width).trim_fmt();
    let mut out = if !colour || !keep.iter().any(|&i| cols[i].header == "status") {
        format!("{text}\n")
    } else {
        let marks: Vec<(String, String, &'static str)> = rows
            .iter()
            .map(|(r, _)| (r.name.clone(), status_cell(r, now), status_colour(&r.status)))
            .collect();
        colour_statuses(&text, &marks)
    };
    let ahead: Vec<&Row> = rows.iter().map(|(r, _)| r).filter(|r| r.clock_ahead.is_some()).collect();
    if let Some(latest) = ahead.iter().filter_map(|r| r.clock_ahead.as_deref()).max() {
        let names: Vec<&str> = ahead.iter().map(|r| r.name.as_str()).collect();
        out.push_str(&wrap(&clock_note(latest, &names.join(", ")), width, "  "));
    }
    out
}

/// The note on times stored too far ahead of the clock: the latest, and whose.
fn clock_note(latest: &str, bots: &str) -> String {
    format!(
        "clock: times stored by an earlier run (up to {latest}, bots {bots}) are {}; the next run \
         takes them as now",
        crate::bot::schedule::AHEAD_NOTE
    )
}

/// One bot's summary and its per-day table.
pub fn render_history(r: &Row, days: &[Day], now: i64, width: usize) -> String {
    let mut head = String::new();
    head.push_str(&format!(
        "{} ({} on {}, every {}{}): {}\n",
        r.name,
        r.role,
        r.platform,
        r.every,
        r.source.as_ref().map(|s| format!(", source {s}")).unwrap_or_default(),
        status_cell(r, now)
    ));
    let what = match r.role.as_str() {
        "reader" => "cached",
        "writer" => "backlog",
        _ => "",
    };
    if !what.is_empty() {
        head.push_str(&format!("  {what}: {}\n", r.backlog));
    }
    head.push_str(&format!(
        "  last 24h: {} ({} posts, {} calls, {} errors); {} in total\n",
        sparkline(&r.hourly),
        r.posts_24h,
        r.calls_24h,
        r.errors_24h,
        r.total
    ));
    head.push_str(&format!(
        "  last run: {}; next due: {}\n",
        r.last_run.as_deref().unwrap_or("never"),
        r.next_due
    ));
    if let Some(e) = &r.last_error {
        head.push_str(&format!("  last error: {e}\n"));
    }
    if let Some(t) = &r.clock_ahead {
        head.push_str(&format!("  {}\n", clock_note(t, &r.name)));
    }
    let mut out = String::new();
    for line in head.lines() {
        out.push_str(&wrap(line, width, "      "));
    }
    let label = match r.role.as_str() {
        "reader" => "fetched",
        "analyzer" => "scored",
        _ => "posts",
    };
    let act = |d: &Day| d.posts + d.fetched;
    let max = days.iter().map(act).max().unwrap_or(0);
    let bar_width = width.saturating_sub(40).clamp(10, 40);
    let cols = vec![
        Col { header: "day", priority: 0, right: false, cells: days.iter().map(|d| d.day.clone()).collect() },
        Col {
            header: label,
            priority: 0,
            right: true,
            cells: days.iter().map(|d| act(d).to_string()).collect(),
        },
        Col {
            header: "calls",
            priority: 0,
            right: true,
            cells: days.iter().map(|d| d.calls.to_string()).collect(),
        },
        Col {
            header: "errors",
            priority: 0,
            right: true,
            cells: days.iter().map(|d| d.errors.to_string()).collect(),
        },
        Col {
            header: "",
            priority: 0,
            right: false,
            cells: days.iter().map(|d| bar(act(d), max, bar_width)).collect(),
        },
    ];
    let keep: Vec<usize> = (0..cols.len()).collect();
    out.push_str(&table(&cols, &keep, days.len(), width).trim_fmt());
    out.push('\n');
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
        let r = Row::new(&stats::summary_of(&store, &bot, now)?, now);
        let days: Vec<Day> =
            stats::history(&store, &bot.name, now, HISTORY_DAYS)?.iter().map(Day::new).collect();
        if json {
            return print_json(&History { bot: r, days });
        }
        crate::out!("{}", render_history(&r, &days, now, term_width()))?;
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
    crate::out!("{}", render_table(&rows, now, term_width(), use_colour()))?;
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

    #[test]
    fn narrow_terminals_keep_the_important_columns() {
        let col =
            |header, priority, w: usize| Col { header, priority, right: false, cells: vec!["x".repeat(w)] };
        let cols = vec![col("bot", 0, 10), col("a", 5, 30), col("status", 1, 20), col("b", 9, 30)];
        assert_eq!(fit(&cols, 80), vec![0, 1, 2]);
        assert_eq!(fit(&cols, 40), vec![0, 2]);
        assert_eq!(fit(&cols, 120), vec![0, 1, 2, 3]);
    }

    #[test]
    fn colour_goes_on_the_status_cell_only() {
        let text = "bot  status\n───────────\nok1  ok\nbad  failing since 10:00\n";
        let out = colour_statuses(
            text,
            &[("ok1".into(), "ok".into(), "32"), ("bad".into(), "failing since 10:00".into(), "31")],
        );
        assert!(out.contains("ok1  \x1b[32mok\x1b[0m"), "{out}");
        assert!(out.contains("bad  \x1b[31mfailing since 10:00\x1b[0m"), "{out}");
    }
}
