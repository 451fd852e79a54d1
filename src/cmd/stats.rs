//! `farm stats [NAME] [--json]`: the farm at a glance. Reads only bot records, their state and
//! hourly counters: never the cached posts.

use super::list::next_due_text;
use super::{now, open_existing, print_json, Globals};
use crate::bot::{Bot, BotState, Role};
use crate::clock;
use crate::error::Result;
use crate::store::Store;
use comfy_table::Table;
use serde::Serialize;

/// One row of `farm stats --json`. Field names are stable.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Row {
    /// Bot name.
    pub name: String,
    /// reader, writer, analyzer.
    pub role: String,
    /// x, x-v1, mastodon.
    pub platform: String,
    /// Source bot.
    pub source: Option<String>,
    /// Interval, human.
    pub every: String,
    /// ok, paused, failing, rate-limited.
    pub status: String,
    /// Readers: cached posts; writers: unprocessed posts in the reader's cache.
    pub backlog: u64,
    /// Posts made (writers) or fetched (readers) in the last 24 h.
    pub posts_24h: u64,
    /// Posts made or fetched in total.
    pub total: u64,
    /// API requests in the last 24 h.
    pub calls_24h: u64,
    /// Failed runs in the last 24 h.
    pub errors_24h: u64,
    /// Last successful run, RFC 3339.
    pub last_run: Option<String>,
    /// Next due time.
    pub next_due: String,
    /// Last error.
    pub last_error: Option<String>,
    /// Activity in each of the last 24 hours, oldest first.
    pub hourly: Vec<u64>,
}

/// Compute one row.
pub fn row(store: &Store, b: &Bot, st: &BotState, now: i64) -> Result<Row> {
    let hour = now.div_euclid(3600);
    let counters = store.counters(&b.name, hour - 23)?;
    let mut hourly = vec![0u64; 24];
    let (mut posts, mut calls, mut errors) = (0u64, 0u64, 0u64);
    for (h, c) in counters {
        let i = (h - (hour - 23)) as usize;
        if i < 24 {
            let act = (c.posts + c.fetched) as u64;
            hourly[i] += act;
            posts += act;
            calls += c.calls as u64;
            errors += c.errors as u64;
        }
    }
    let backlog = match b.role {
        Role::Reader => st.cached,
        Role::Writer => match &b.source {
            Some(src) => store.count_posts_after(src, st.consumed)?,
            None => 0,
        },
        Role::Analyzer => 0,
    };
    let status = if b.paused {
        "paused".to_string()
    } else if let Some(until) = st.limited_until.filter(|u| *u > now) {
        format!("rate-limited until {}", clock::short(until))
    } else if let Some(since) = st.failing_since {
        format!("failing since {}", clock::short(since))
    } else if st.pending.is_some() {
        "unconfirmed post".to_string()
    } else {
        "ok".to_string()
    };
    Ok(Row {
        name: b.name.clone(),
        role: b.role.name().into(),
        platform: b.platform.name().into(),
        source: b.source.clone(),
        every: clock::format_duration(b.every),
        status,
        backlog,
        posts_24h: posts,
        total: st.total,
        calls_24h: calls,
        errors_24h: errors,
        last_run: (st.last_ok > 0).then(|| clock::format(st.last_ok)),
        next_due: next_due_text(b, st),
        last_error: st.last_error.clone(),
        hourly,
    })
}

/// A sparkline of values: ▁▂▃▄▅▆▇█.
pub fn sparkline(v: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = v.iter().copied().max().unwrap_or(0);
    v.iter()
        .map(|&x| if max == 0 || x == 0 { ' ' } else { BARS[(x * 7).div_ceil(max).min(7) as usize] })
        .collect()
}

/// Print the table, or JSON.
pub fn run(g: &Globals, name: Option<&str>, json: bool) -> Result<()> {
    let now = now()?;
    let Some(store) = open_existing(&g.dir)? else {
        if json {
            return print_json(&Vec::<Row>::new());
        }
        eprintln!("no bots yet");
        return Ok(());
    };
    let mut rows = Vec::new();
    for b in store.bots()? {
        if let Some(n) = name {
            if b.name != n.trim_start_matches('@') {
                continue;
            }
        }
        let st = store.state(&b.name)?;
        rows.push(row(&store, &b, &st, now)?);
    }
    if json {
        return print_json(&rows);
    }
    let mut t = Table::new();
    t.load_style(comfy_table::presets::UTF8_BORDERS_ONLY);
    t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    t.set_width(80);
    t.set_header(vec![
        "bot", "role", "every", "status", "backlog", "24h", "total", "calls", "next due", "last 24h",
    ]);
    let mut tot = (0u64, 0u64, 0u64, 0u64);
    for r in &rows {
        tot.0 += r.backlog;
        tot.1 += r.posts_24h;
        tot.2 += r.total;
        tot.3 += r.calls_24h;
        t.add_row(vec![
            r.name.clone(),
            r.role.clone(),
            r.every.clone(),
            r.status.clone(),
            r.backlog.to_string(),
            r.posts_24h.to_string(),
            r.total.to_string(),
            r.calls_24h.to_string(),
            r.next_due.clone(),
            sparkline(&r.hourly),
        ]);
    }
    t.add_row(vec![
        format!("total ({})", rows.len()),
        String::new(),
        String::new(),
        String::new(),
        tot.0.to_string(),
        tot.1.to_string(),
        tot.2.to_string(),
        tot.3.to_string(),
        String::new(),
        String::new(),
    ]);
    println!("{t}");
    Ok(())
}
