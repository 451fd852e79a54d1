//! `farm stats` and `farm metrics` on a farm built by real runs against the fake API; the
//! InfluxDB and Prometheus outputs are read back by strict parsers; `--push` goes to a tiny
//! HTTP server in the test. The `#[ignore]`d benchmark builds a 1,000-bot, 1,000,000-post farm
//! through the library and times the binary.

mod support;
use botfarm::sim::Fault;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::TcpListener;
use support::net::{rfc, Net, T0};

/// Run `farm ARGS` at `ts` with the fake's clock at the same time.
fn at(n: &mut Net, ts: i64, args: &[&str]) -> support::Run {
    n.fake.set_now(Some(ts));
    n.at(ts, args)
}

fn row<'a>(s: &'a Value, name: &str) -> &'a Value {
    s.as_array().unwrap().iter().find(|r| r["name"] == name).unwrap_or_else(|| panic!("no row {name}: {s}"))
}

/// A farm with one bot in each interesting state, after a few runs. Returns the time of the
/// last run.
fn farm() -> (Net, i64) {
    let mut n = Net::new();
    n.fake.set_oauth_wall_clock(true);
    n.x_bot("reader", "r1", "x", &[]);
    n.masto_bot("reader", "r2", &[]);
    n.x_bot("writer", "w1", "x", &["--source", "r1", "--template", "A: {}"]);
    n.masto_bot("writer", "w2", &["--source", "r2"]);
    n.x_bot("writer", "wf", "x-v1", &["--source", "r1"]);
    n.x_bot("writer", "wl", "x", &["--source", "r1"]);
    n.x_bot("reader", "rp", "x", &[]);
    n.farm.run(&["pause", "rp"]).ok();
    n.farm.run(&["create", "analyzer", "aw", "--writer", "w1"]).ok();
    n.seed("r1", 10, "x");
    n.seed("r2", 10, "m");
    // wl meets a 429 on its first post.
    n.fake.fail_next(1, Fault::RateLimited { reset: T0 + 7200 }, Some("/2/tweets"));
    assert_eq!(at(&mut n, T0, &["run", "r1", "wl"]).code, 75);
    // wf's server is broken for good.
    n.fake.fail_next(100, Fault::Status(500), Some("/1.1/statuses/update"));
    assert_eq!(at(&mut n, T0 + 60, &["run"]).code, 75);
    assert_eq!(at(&mut n, T0 + 3600 + 60, &["run"]).code, 75);
    (n, T0 + 3600 + 120)
}

#[test]
fn stats_json_has_every_field() {
    let (mut n, now) = farm();
    let s = at(&mut n, now, &["stats", "--json"]).ok().json();
    let names: Vec<&str> = s.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["aw", "r1", "r2", "rp", "w1", "w2", "wf", "wl"]);
    let keys = [
        "name",
        "role",
        "platform",
        "source",
        "every",
        "every_secs",
        "paused",
        "status",
        "failing_since",
        "limited_until",
        "fails",
        "backlog",
        "fetched_24h",
        "posts_24h",
        "scored_24h",
        "fetched_total",
        "posts_total",
        "scored_total",
        "calls_24h",
        "calls_30d",
        "cost_24h",
        "cost_30d",
        "imported_total",
        "errors_24h",
        "last_run",
        "last_attempt",
        "next_due_at",
        "clock_ahead",
        "last_error",
        "slots",
        "next_slot_at",
        "next_slot_local",
        "slots_missed",
        "hourly",
        "rate_limits",
        "write_points_hour_left",
        "write_points_day_left",
        "bluesky_ip_left",
        "replies",
        "follows_ok",
        "follows_total",
    ];
    for r in s.as_array().unwrap() {
        let obj = r.as_object().unwrap();
        for k in keys {
            assert!(obj.contains_key(k), "{k} missing in {r}");
        }
        assert_eq!(obj.len(), keys.len(), "unexpected fields in {r}");
        let hourly: Vec<u64> = r["hourly"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        assert_eq!(hourly.len(), 24);
        // The sparkline's hours are the bot's own kind of count: fetched, made or scored.
        let kind = match r["role"].as_str().unwrap() {
            "reader" => "fetched",
            "writer" => "posts",
            _ => "scored",
        };
        assert_eq!(hourly.iter().sum::<u64>(), r[format!("{kind}_24h")].as_u64().unwrap(), "{r}");
        // Each count means one thing: a writer fetches and scores nothing, a reader scores
        // nothing, an analyzer fetches nothing.
        for other in ["fetched", "scored"].iter().filter(|k| **k != kind) {
            assert_eq!(r[format!("{other}_24h")], 0, "{r}");
            assert_eq!(r[format!("{other}_total")], 0, "{r}");
        }
    }

    // A reader: everything it fetched is cached.
    let r1 = row(&s, "r1");
    assert_eq!(r1["role"], "reader");
    assert_eq!(r1["platform"], "x");
    assert!(r1["source"].is_null());
    assert_eq!(r1["every"], "1h");
    assert_eq!(r1["every_secs"], 3600);
    assert_eq!(r1["paused"], false);
    assert_eq!(r1["status"], "ok");
    assert_eq!(r1["backlog"], 10);
    assert_eq!(r1["fetched_total"], 10);
    assert_eq!(r1["fetched_24h"], 10);
    assert_eq!(r1["posts_24h"], 0, "a reader's fetched posts are not posts made");
    assert_eq!(r1["posts_total"], 0);
    assert_eq!(r1["hourly"][22], 10, "fetched in the previous hour");
    assert_eq!(r1["last_run"], rfc(T0 + 3600 + 60));
    assert_eq!(r1["last_attempt"], rfc(T0 + 3600 + 60));
    assert!(r1["calls_24h"].as_u64().unwrap() >= 2);
    assert_eq!(r1["errors_24h"], 0);
    assert_eq!(r1["fails"], 0);
    assert!(r1["last_error"].is_null());
    assert!(r1["next_due_at"].as_str().unwrap().starts_with("2026-01-01T0"));
    assert!(r1["rate_limits"].as_array().unwrap().iter().any(|r| r["call"] == "timeline"));

    // A writer that posted twice: its backlog is the rest of its reader's cache.
    let w1 = row(&s, "w1");
    assert_eq!(w1["role"], "writer");
    assert_eq!(w1["source"], "r1");
    assert_eq!(w1["posts_total"], 2);
    assert_eq!(n.posted("w1").len(), 2);
    assert_eq!(w1["posts_24h"], 2);
    assert_eq!(w1["fetched_24h"], 0);
    assert_eq!(w1["backlog"], 8);
    let post = w1["rate_limits"].as_array().unwrap().iter().find(|r| r["call"] == "post").unwrap();
    assert!(post["remaining"].as_u64().is_some() && post["reset"].is_string(), "{post}");
    assert!(post["limit"].as_u64().is_some());

    // A Mastodon writer: every request it made is counted.
    let w2 = row(&s, "w2");
    assert_eq!(w2["platform"], "mastodon");
    let made = n.fake.requests().iter().filter(|q| q.user.as_deref() == Some("w2")).count() as u64;
    assert_eq!(w2["calls_24h"].as_u64().unwrap(), made);

    // A failing writer.
    let wf = row(&s, "wf");
    assert_eq!(wf["status"], "failing");
    assert_eq!(wf["platform"], "x-v1");
    assert_eq!(wf["fails"], 2);
    assert_eq!(wf["errors_24h"], 2);
    assert_eq!(wf["failing_since"], rfc(T0 + 60));
    assert!(wf["last_error"].as_str().unwrap().contains("500"), "{wf}");
    assert!(wf["last_run"].is_null());
    assert_eq!(wf["backlog"], 10);

    // A rate-limited writer (its unconfirmed post waits for the reset).
    let wl = row(&s, "wl");
    assert_eq!(wl["status"], "rate-limited");
    assert_eq!(wl["limited_until"], rfc(T0 + 7200));
    // The resend is due at the reset (the limit would refuse it before), not after its back-off.
    assert_eq!(wl["next_due_at"], rfc(T0 + 7200));

    // A paused reader that never ran.
    let rp = row(&s, "rp");
    assert_eq!(rp["status"], "paused");
    assert_eq!(rp["paused"], true);
    assert!(rp["next_due_at"].is_null(), "paused: no next due time");
    assert!(rp["last_run"].is_null());
    assert!(rp["last_attempt"].is_null());
    assert_eq!(rp["calls_24h"], 0);

    // The analyzer: ran, found nothing old enough yet.
    let aw = row(&s, "aw");
    assert_eq!(aw["role"], "analyzer");
    assert_eq!(aw["source"], "w1");
    assert_eq!(aw["every"], "1d");
    assert_eq!(aw["status"], "ok");
    assert_eq!(aw["backlog"], 0);
    assert_eq!(aw["scored_total"], 0);
    assert!(aw["calls_24h"].as_u64().unwrap() >= 1);
    assert!(aw["next_due_at"].as_str().unwrap().starts_with("2026-01-01T23:56:"), "{aw}");
}

/// The cells of a table line: farm's tables separate columns by two spaces or more and never
/// leave a cell empty or put two spaces in one, so `awk -F '  +'` splits them the same way.
fn cells(line: &str) -> Vec<String> {
    line.split("  ").map(str::trim).filter(|c| !c.is_empty()).map(String::from).collect()
}

/// A table as header cells and rows of cells, checking that every line has as many cells as the
/// header (a wrapped or empty cell would show as a line with fewer) and none starts with a space
/// (a continuation line). The notes under a totals line (the X bill) are not the table.
#[track_caller]
fn table(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let lines: Vec<&str> = text.lines().collect();
    let end = lines.iter().position(|l| l.starts_with("total ")).map_or(lines.len(), |i| i + 1);
    let body = &lines[..end];
    let header = cells(body[0]);
    let rows: Vec<Vec<String>> = body[1..].iter().map(|l| cells(l)).collect();
    for (line, row) in body[1..].iter().zip(&rows) {
        assert!(!line.starts_with(' '), "a continuation line: {line:?}\n{text}");
        assert_eq!(row.len(), header.len(), "a wrapped or empty cell in {line:?}\n{text}");
    }
    (header, rows)
}

/// The cell of `row` under the header `col`.
fn cell<'a>(header: &[String], row: &'a [String], col: &str) -> &'a str {
    &row[header.iter().position(|h| h == col).unwrap_or_else(|| panic!("no column {col}: {header:?}"))]
}

#[test]
fn stats_table_fits_the_terminal() {
    let (mut n, now) = farm();
    n.farm.set_now(&rfc(now));
    let json = n.farm.run(&["stats", "--json"]).ok().json();
    let narrow = n.farm.run_env(&["stats"], &[("COLUMNS", "80")]).ok().stdout;
    assert!(!narrow.contains('\x1b'), "no colour when not a terminal");
    for line in narrow.lines() {
        assert!(line.chars().count() <= 80, "too wide: {line:?}\n{narrow}");
    }
    let (header, rows) = table(&narrow);
    for col in ["bot", "status", "backlog", "fetched", "posts", "scored", "last 24h"] {
        assert!(header.iter().any(|h| h == col), "{col} missing at 80 columns:\n{narrow}");
    }
    assert_eq!(rows.len(), 9, "8 bots and the totals:\n{narrow}");
    let by = |name: &str| rows.iter().find(|r| r[0] == name).unwrap_or_else(|| panic!("{name}:\n{narrow}"));
    let total = by("total");
    // The totals add each kind of count up on its own: fetched, made and scored never together.
    for (col, key) in [("fetched", "fetched_24h"), ("posts", "posts_24h"), ("scored", "scored_24h")] {
        let sum: u64 = json.as_array().unwrap().iter().map(|r| r[key].as_u64().unwrap()).sum();
        assert_eq!(cell(&header, total, col), sum.to_string(), "{col}:\n{narrow}");
    }
    assert_eq!(cell(&header, by("r1"), "fetched"), "10", "{narrow}");
    assert_eq!(cell(&header, by("r1"), "posts"), "0", "{narrow}");
    assert_eq!(cell(&header, by("w1"), "posts"), "2", "{narrow}");
    assert_eq!(cell(&header, by("w1"), "fetched"), "-", "{narrow}");
    assert_eq!(cell(&header, by("wf"), "status"), "failing", "{narrow}");
    assert_eq!(cell(&header, by("rp"), "status"), "paused", "{narrow}");
    assert_eq!(cell(&header, by("wl"), "status"), "rate-limited", "{narrow}");
    // Default: 80 columns too.
    let default = n.farm.run(&["stats"]).ok().stdout;
    assert_eq!(default, narrow);
    // At 200 columns all but the source and the time failures began (both in `stats NAME`).
    let wide = n.farm.run_env(&["stats"], &[("COLUMNS", "200")]).ok().stdout;
    let (header, _) = table(&wide);
    for col in ["platform", "every", "calls", "errors", "last run", "next due", "last error"] {
        assert!(header.iter().any(|h| h == col), "{col} missing at 200 columns:\n{wide}");
    }
    let wide = n.farm.run_env(&["stats"], &[("COLUMNS", "250")]).ok().stdout;
    let (header, rows) = table(&wide);
    for col in [
        "platform",
        "source",
        "every",
        "calls",
        "errors",
        "last run",
        "next due",
        "failing since",
        "last error",
    ] {
        assert!(header.iter().any(|h| h == col), "{col} missing at 250 columns:\n{wide}");
    }
    let row = |name: &str| rows.iter().find(|r| r[0] == name).unwrap_or_else(|| panic!("{name}:\n{wide}"));
    assert_eq!(cell(&header, row("wl"), "next due"), "2026-01-01 02:00 UTC", "{wide}");
    assert_eq!(cell(&header, row("wf"), "failing since"), "2026-01-01 00:01 UTC", "{wide}");
    assert_eq!(cell(&header, row("r1"), "failing since"), "-", "{wide}");
    // A long error is cut, on its own line.
    let error = cell(&header, row("wf"), "last error");
    assert!(error.starts_with("POST /1.1/statuses/update.json"), "{wide}");
    // A sparkline of the reader's hour.
    assert!(cell(&header, row("r1"), "last 24h").contains('█'), "{wide}");
}

#[test]
fn stats_of_one_bot_has_thirty_days() {
    let (mut n, now) = farm();
    // A day later, w1 has posted on two days.
    n.seed("r1", 5, "later");
    at(&mut n, T0 + 86_400 + 30, &["run"]);
    let _ = now;
    let h = at(&mut n, T0 + 86_400 + 60, &["stats", "w1", "--json"]).ok().json();
    assert_eq!(h["bot"]["name"], "w1");
    let days = h["days"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    assert_eq!(days[29]["day"], "2026-01-02");
    assert_eq!(days[28]["day"], "2026-01-01");
    assert_eq!(days[0]["day"], "2025-12-04");
    assert_eq!(days[28]["posts"], 2);
    assert_eq!(days[29]["posts"], 1);
    assert_eq!(days[29]["fetched"], 0);
    assert_eq!(days[29]["scored"], 0);
    assert_eq!(days[28]["errors"], 0);
    assert!(days[29]["calls"].as_u64().unwrap() >= 1);
    let text = n.farm.run(&["stats", "@w1"]).ok().stdout;
    assert!(text.starts_with("w1 (writer on x, every 1h, source r1): ok"), "{text}");
    let day_lines =
        text.lines().filter(|l| l.len() >= 10 && l.as_bytes()[4] == b'-' && l.as_bytes()[7] == b'-');
    assert_eq!(day_lines.count(), 30, "{text}");
    assert!(text.contains("2026-01-01") && text.contains('█'), "{text}");
    let reader = n.farm.run(&["stats", "r1"]).ok().stdout;
    assert!(reader.contains("fetched"), "{reader}");
    assert_eq!(n.farm.run(&["stats", "nobody"]).code, 64);
}

/// The `status` column of `farm list` for each bot (the word under the header's `status`).
fn list_statuses(table: &str) -> HashMap<String, String> {
    let rows: Vec<Vec<char>> = table.lines().map(|l| l.chars().collect()).collect();
    let header = rows.iter().find(|l| String::from_iter(l.iter()).contains(" status ")).expect(table);
    let col = |l: &[char], word: &str| {
        let s = String::from_iter(l.iter());
        s.find(word).map(|b| s[..b].chars().count())
    };
    let (name_at, status_at) = (col(header, "name").unwrap(), col(header, "status").unwrap());
    let word =
        |l: &[char], at: usize| String::from_iter(l.iter().skip(at).take_while(|c| !c.is_whitespace()));
    rows.iter()
        .filter(|l| l.len() > status_at && l.as_slice() != header.as_slice())
        .map(|l| (word(l, name_at), word(l, status_at)))
        .filter(|(n, s)| !n.is_empty() && !s.is_empty())
        .collect()
}

#[test]
fn list_show_stats_and_metrics_agree_on_the_status() {
    let (mut n, now) = farm();
    // A paused failing bot, and a writer whose post window a post by hand used up (a post before
    // the reset would be refused: `farm post` says "rate-limited", so must every view).
    at(&mut n, now, &["pause", "wf"]).ok();
    n.fake.set_rate_limit("w1", botfarm::sim::Endpoint::Post, 1, 3600);
    at(&mut n, now, &["post", "w1", "one by hand"]).ok();
    let r = at(&mut n, now + 60, &["post", "w1", "another by hand"]);
    assert_eq!(r.code, 75, "{}", r.all());
    assert!(r.all().contains("rate-limited until"), "{}", r.all());
    let t = now + 120;
    let stats = at(&mut n, t, &["stats", "--json"]).ok().json();
    let list = list_statuses(&at(&mut n, t, &["list"]).ok().stdout);
    let influx = parse_influx(&at(&mut n, t, &["metrics"]).ok().stdout);
    let expect = [
        ("wl", "rate-limited"), // rate-limited, with an unconfirmed post and a failed run
        ("wf", "paused"),       // paused and failing
        ("w1", "rate-limited"), // its post window is used up
        ("rp", "paused"),
        ("r1", "ok"),
        ("aw", "ok"),
    ];
    for (bot, want) in expect {
        let row = row(&stats, bot);
        assert_eq!(row["status"], want, "stats {bot}: {row}");
        assert_eq!(list.get(bot).map(String::as_str), Some(want), "list {bot}: {list:?}");
        let show = at(&mut n, t, &["show", bot, "--json"]).ok().json();
        assert_eq!(show["status"], want, "show --json {bot}");
        let text = at(&mut n, t, &["show", bot]).ok().stdout;
        let line = text.lines().find(|l| l.trim_start().starts_with("status:")).expect(&text);
        assert!(line.contains(want), "show {bot}: {line}");
        let stats_one = at(&mut n, t, &["stats", bot, "--json"]).ok().json();
        assert_eq!(stats_one["bot"]["status"], want, "stats {bot} --json");
        let l = influx.iter().find(|l| l.tags.iter().any(|(k, v)| k == "bot" && v == bot)).unwrap();
        assert_eq!(l.fields["rate_limited"], i64::from(want == "rate-limited"), "metrics {bot}");
        assert_eq!(l.fields["paused"], i64::from(want == "paused"), "metrics {bot}");
    }
    // The times shown are the same too.
    let w1 = row(&stats, "w1");
    let until = botfarm::clock::parse_rfc3339(w1["limited_until"].as_str().unwrap()).unwrap();
    let text = at(&mut n, t, &["show", "w1"]).ok().stdout;
    let shown = format!("rate-limited until {}", botfarm::clock::short(until));
    assert!(text.contains(&shown) && shown.ends_with(" UTC"), "{text}");
    assert_eq!(row(&stats, "wl")["limited_until"], rfc(T0 + 7200));
    // Paused, but still failing for metrics.
    let wf = influx.iter().find(|l| l.tags.iter().any(|(k, v)| k == "bot" && v == "wf")).unwrap();
    assert_eq!(wf.fields["failing"], 1);
}

#[test]
fn backlog_is_counted_from_ordinals() {
    use botfarm::net::Post;
    let dir = support::TempDir::new("backlog");
    let store = botfarm::store::Store::open(dir.path()).unwrap();
    let post = |id: u64, created_at: i64| Post {
        id,
        author: "a".into(),
        text: format!("post {id}"),
        created_at,
        is_repost: false,
        is_reply: false,
        has_links: false,
        lang: None,
        ..Default::default()
    };
    // backlog(writer, reader) after the writer consumed up to a post id.
    let backlog = |consumed: u64| {
        store.note_consumed("w", "r", consumed).unwrap();
        store.backlog("w", "r").unwrap()
    };
    assert_eq!(store.backlog("w", "r").unwrap(), 0, "nothing cached yet");
    let first: Vec<Post> = (1..=10).map(|i| post(i * 10, i as i64)).collect();
    assert_eq!(store.add_posts("r", &first).unwrap(), 10);
    // Re-adding known posts keeps their ordinals.
    assert_eq!(store.add_posts("r", &first[5..]).unwrap(), 0);
    let more: Vec<Post> = (11..=20).map(|i| post(i * 10, i as i64)).collect();
    store.add_posts("r", &more).unwrap();
    assert_eq!(backlog(0), 20);
    assert_eq!(backlog(10), 19);
    assert_eq!(backlog(15), 19);
    assert_eq!(backlog(195), 1);
    assert_eq!(backlog(200), 0);
    assert_eq!(backlog(u64::MAX), 0);
    // Retention by age and by count keeps the counts exact.
    store.prune_posts("r", 15, |p| p.created_at <= 3).unwrap();
    assert_eq!(backlog(0), 15);
    assert_eq!(backlog(100), 10);
    // Another reader's posts don't count.
    store.add_posts("q", &[post(1000, 1)]).unwrap();
    assert_eq!(backlog(195), 1);
    assert_eq!(store.backlog("v", "q").unwrap(), 1);
    // Destroying a reader forgets its ordinals.
    store.destroy_bot("r").unwrap();
    assert_eq!(store.backlog("w", "r").unwrap(), 0);
}

// ---- strict parsers ----

/// One InfluxDB line: measurement, tags, integer fields, timestamp.
#[derive(Debug)]
struct Line {
    measurement: String,
    tags: Vec<(String, String)>,
    fields: BTreeMap<String, i64>,
    ts: i128,
}

/// Read up to one of `stops` (unescaped), undoing `\` escapes of `escapable` characters.
fn influx_token(s: &[char], i: &mut usize, stops: &[char], escapable: &[char]) -> String {
    let mut out = String::new();
    while *i < s.len() && !stops.contains(&s[*i]) {
        let c = s[*i];
        if c == '\\' && *i + 1 < s.len() && escapable.contains(&s[*i + 1]) {
            out.push(s[*i + 1]);
            *i += 2;
            continue;
        }
        assert!(c != '\n', "a line break in {s:?}");
        if c == '\\' {
            panic!("lone backslash at {i} in {:?}", s.iter().collect::<String>());
        }
        out.push(c);
        *i += 1;
    }
    out
}

fn parse_influx_line(line: &str) -> Line {
    let s: Vec<char> = line.chars().collect();
    let mut i = 0;
    let measurement = influx_token(&s, &mut i, &[',', ' '], &[',', ' ', '\\']);
    assert!(!measurement.is_empty(), "no measurement: {line}");
    let mut tags = Vec::new();
    while s.get(i) == Some(&',') {
        i += 1;
        let k = influx_token(&s, &mut i, &['=', ',', ' '], &[',', '=', ' ', '\\']);
        assert_eq!(s.get(i), Some(&'='), "tag without '=': {line}");
        i += 1;
        let v = influx_token(&s, &mut i, &['=', ',', ' '], &[',', '=', ' ', '\\']);
        assert!(!k.is_empty() && !v.is_empty(), "empty tag in {line}");
        assert_ne!(s.get(i), Some(&'='), "unescaped '=' in a tag value: {line}");
        tags.push((k, v));
    }
    assert_eq!(s.get(i), Some(&' '), "no space before the fields: {line}");
    i += 1;
    let mut fields = BTreeMap::new();
    loop {
        let k = influx_token(&s, &mut i, &['=', ',', ' '], &[',', '=', ' ', '\\']);
        assert_eq!(s.get(i), Some(&'='), "field without '=': {line}");
        i += 1;
        let v = influx_token(&s, &mut i, &[',', ' '], &[]);
        let num = v.strip_suffix('i').unwrap_or_else(|| panic!("field {k}={v} is not an integer: {line}"));
        let num: i64 = num.parse().unwrap_or_else(|_| panic!("field {k}={v}: {line}"));
        assert!(fields.insert(k.clone(), num).is_none(), "field {k} twice: {line}");
        match s.get(i) {
            Some(',') => i += 1,
            Some(' ') => break,
            _ => panic!("no timestamp: {line}"),
        }
    }
    i += 1;
    let ts: String = s[i..].iter().collect();
    assert!(!ts.is_empty() && ts.chars().all(|c| c.is_ascii_digit()), "bad timestamp {ts:?}: {line}");
    Line { measurement, tags, fields, ts: ts.parse().unwrap() }
}

fn parse_influx(text: &str) -> Vec<Line> {
    assert!(text.is_empty() || text.ends_with('\n'), "no final newline");
    text.lines().map(parse_influx_line).collect()
}

/// A Prometheus sample: name, labels, value.
type Sample = (String, BTreeMap<String, String>, f64);

fn is_metric_name(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(f) if f.is_ascii_alphabetic() || f == '_' || f == ':')
        && c.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn is_label_name(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(f) if f.is_ascii_alphabetic() || f == '_')
        && c.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parse the text exposition format strictly: HELP and TYPE once per family, before its
/// samples; samples of a family together; valid names; quoted, escaped label values; no
/// duplicate series; no timestamps.
fn parse_prometheus(text: &str) -> (HashMap<String, String>, Vec<Sample>) {
    assert!(text.ends_with('\n'));
    let mut types: HashMap<String, String> = HashMap::new();
    let mut helped: Vec<String> = Vec::new();
    let mut samples: Vec<Sample> = Vec::new();
    let mut finished: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap();
            assert!(is_metric_name(name) && !help.is_empty(), "{line}");
            assert!(!helped.contains(&name.to_string()), "HELP twice: {line}");
            helped.push(name.to_string());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(matches!(kind, "counter" | "gauge"), "{line}");
            assert!(helped.contains(&name.to_string()), "TYPE before HELP: {line}");
            assert!(types.insert(name.to_string(), kind.to_string()).is_none(), "TYPE twice: {line}");
            if let Some(c) = current.take() {
                finished.push(c);
            }
            current = Some(name.to_string());
            continue;
        }
        assert!(!line.starts_with('#') && !line.is_empty(), "stray line {line:?}");
        let s: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < s.len() && s[i] != '{' && s[i] != ' ' {
            i += 1;
        }
        let name: String = s[..i].iter().collect();
        assert!(is_metric_name(&name), "{line}");
        assert_eq!(current.as_deref(), Some(name.as_str()), "sample outside its family: {line}");
        assert!(!finished.contains(&name));
        let mut labels = BTreeMap::new();
        if s.get(i) == Some(&'{') {
            i += 1;
            loop {
                let start = i;
                while s[i] != '=' {
                    i += 1;
                }
                let key: String = s[start..i].iter().collect();
                assert!(is_label_name(&key), "bad label name {key:?}: {line}");
                assert_eq!(s[i + 1], '"', "{line}");
                i += 2;
                let mut v = String::new();
                loop {
                    match s[i] {
                        '\\' => {
                            v.push(match s[i + 1] {
                                '\\' => '\\',
                                '"' => '"',
                                'n' => '\n',
                                c => panic!("bad escape \\{c} in {line}"),
                            });
                            i += 2;
                        }
                        '"' => {
                            i += 1;
                            break;
                        }
                        '\n' => panic!("newline in a label value"),
                        c => {
                            v.push(c);
                            i += 1;
                        }
                    }
                }
                assert!(labels.insert(key, v).is_none(), "label twice: {line}");
                match s[i] {
                    ',' => i += 1,
                    '}' => {
                        i += 1;
                        break;
                    }
                    c => panic!("unexpected {c:?} in {line}"),
                }
            }
        }
        assert_eq!(s.get(i), Some(&' '), "{line}");
        let value: String = s[i + 1..].iter().collect();
        assert!(!value.contains(' '), "a timestamp or junk after the value: {line}");
        let v: f64 = value.parse().unwrap_or_else(|_| panic!("bad value: {line}"));
        assert!(!samples.iter().any(|(n, l, _)| n == &name && l == &labels), "duplicate series: {line}");
        samples.push((name, labels, v));
    }
    for (name, kind) in &types {
        if kind == "counter" {
            assert!(name.ends_with("_total"), "counter {name} should end in _total");
        }
    }
    (types, samples)
}

fn sample(samples: &[Sample], name: &str, bot: &str) -> Option<f64> {
    samples.iter().find(|(n, l, _)| n == name && l.get("bot").map(String::as_str) == Some(bot)).map(|s| s.2)
}

#[test]
fn influx_lines_match_stats() {
    let (mut n, now) = farm();
    let s = at(&mut n, now, &["stats", "--json"]).ok().json();
    let text = n.farm.run(&["metrics"]).ok().stdout;
    let lines = parse_influx(&text);
    assert_eq!(lines.len(), 8);
    for l in &lines {
        assert_eq!(l.measurement, "farm_bot");
        assert_eq!(l.ts, now as i128 * 1_000_000_000);
        let tags: Vec<&str> = l.tags.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(tags, ["bot", "role", "platform"]);
        let r = row(&s, &l.tags[0].1);
        assert_eq!(r["role"], l.tags[1].1.as_str());
        assert_eq!(r["platform"], l.tags[2].1.as_str());
        for (field, key) in [
            ("backlog", "backlog"),
            ("posts_total", "posts_total"),
            ("fetched_total", "fetched_total"),
            ("scored_total", "scored_total"),
            ("posts_24h", "posts_24h"),
            ("fetched_24h", "fetched_24h"),
            ("scored_24h", "scored_24h"),
            ("calls_24h", "calls_24h"),
            ("errors_24h", "errors_24h"),
            ("fails", "fails"),
        ] {
            assert_eq!(l.fields[field], r[key].as_i64().unwrap(), "{field} of {:?}", l.tags);
        }
        assert_eq!(l.fields["paused"], r["paused"].as_bool().unwrap() as i64);
        assert_eq!(l.fields["rate_limited"], (r["status"] == "rate-limited") as i64);
        for rl in r["rate_limits"].as_array().unwrap() {
            let key = format!("rate_remaining_{}", rl["call"].as_str().unwrap());
            assert_eq!(l.fields[&key], rl["remaining"].as_i64().unwrap());
        }
    }
    let by = |name: &str| lines.iter().find(|l| l.tags[0].1 == name).unwrap();
    assert_eq!(by("wf").fields["failing"], 1);
    assert_eq!(by("w1").fields["failing"], 0);
    assert_eq!(by("w1").fields["last_run"], T0 + 3600 + 60);
    assert_eq!(by("rp").fields["last_run"], 0);
}

#[test]
fn prometheus_text_matches_stats_and_writes_atomically() {
    let (mut n, now) = farm();
    let s = at(&mut n, now, &["stats", "--json"]).ok().json();
    let text = n.farm.run(&["metrics", "--format", "prometheus"]).ok().stdout;
    let (types, samples) = parse_prometheus(&text);
    for f in [
        "farm_posts_total",
        "farm_fetched_total",
        "farm_scored_total",
        "farm_posts_24h",
        "farm_fetched_24h",
        "farm_scored_24h",
        "farm_backlog",
        "farm_api_calls_24h",
        "farm_errors_24h",
        "farm_failing",
        "farm_consecutive_failures",
        "farm_paused",
        "farm_rate_limit_remaining",
        "farm_last_run_timestamp_seconds",
    ] {
        assert!(types.contains_key(f), "{f} missing");
    }
    assert_eq!(types["farm_posts_total"], "counter");
    assert_eq!(types["farm_fetched_total"], "counter");
    assert_eq!(types["farm_scored_total"], "counter");
    assert_eq!(types["farm_backlog"], "gauge");
    for r in s.as_array().unwrap() {
        let bot = r["name"].as_str().unwrap();
        let labels = &samples.iter().find(|(n, l, _)| n == "farm_backlog" && l["bot"] == bot).unwrap().1;
        assert_eq!(labels["role"], r["role"].as_str().unwrap());
        assert_eq!(labels["platform"], r["platform"].as_str().unwrap());
        assert_eq!(labels.len(), 3);
        // Posts made, fetched and scored are separate series.
        for kind in ["posts", "fetched", "scored"] {
            for span in ["total", "24h"] {
                let key = format!("{kind}_{span}");
                assert_eq!(sample(&samples, &format!("farm_{key}"), bot), r[&key].as_f64(), "{key} of {bot}");
            }
        }
        assert_eq!(sample(&samples, "farm_backlog", bot), r["backlog"].as_f64());
        assert_eq!(sample(&samples, "farm_posts_24h", bot), r["posts_24h"].as_f64());
        assert_eq!(sample(&samples, "farm_api_calls_24h", bot), r["calls_24h"].as_f64());
        assert_eq!(sample(&samples, "farm_errors_24h", bot), r["errors_24h"].as_f64());
        assert_eq!(sample(&samples, "farm_consecutive_failures", bot), r["fails"].as_f64());
        assert_eq!(sample(&samples, "farm_paused", bot), Some(if r["paused"] == true { 1.0 } else { 0.0 }));
        let last = sample(&samples, "farm_last_run_timestamp_seconds", bot);
        match r["last_run"].as_str() {
            Some(t) => assert_eq!(last, Some(botfarm::clock::parse_rfc3339(t).unwrap() as f64)),
            None => assert_eq!(last, None, "{bot} never ran"),
        }
    }
    assert_eq!(sample(&samples, "farm_failing", "wf"), Some(1.0));
    assert_eq!(sample(&samples, "farm_failing", "w1"), Some(0.0));
    let post = samples
        .iter()
        .find(|(n, l, _)| n == "farm_rate_limit_remaining" && l["bot"] == "w1" && l["call"] == "post")
        .expect("w1's post window");
    assert_eq!(post.1.len(), 4);

    // --output: the same text, written through a temporary file that is gone afterwards.
    let dir = support::TempDir::new("prom");
    let file = dir.path().join("farm.prom");
    let file_s = file.to_str().unwrap();
    let r = n.farm.run(&["metrics", "--format", "prometheus", "--output", file_s]).ok();
    assert!(r.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    std::fs::write(&file, "old").unwrap();
    n.farm.run(&["metrics", "--format", "prometheus", "--output", file_s]).ok();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["farm.prom"]);
    // The influx format to a file too.
    n.farm.run(&["metrics", "--output", file_s]).ok();
    assert_eq!(parse_influx(&std::fs::read_to_string(&file).unwrap()).len(), 8);
    // Bad options.
    assert_eq!(n.farm.run(&["metrics", "--format", "json"]).code, 64);
    let missing = dir.path().join("no/such/dir/farm.prom");
    assert_eq!(n.farm.run(&["metrics", "--output", missing.to_str().unwrap()]).code, 74);
}

#[test]
fn metrics_output_keeps_links_refuses_devices_and_is_readable() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let (mut n, now) = farm();
    let dir = support::TempDir::new("prom-links");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    // A plain file is 0644 although the store set the umask to 077.
    let plain = dir.path().join("plain.prom");
    at(&mut n, now, &["metrics", "--format", "prometheus", "--output", plain.to_str().unwrap()]).ok();
    assert_eq!(mode(&plain), 0o644);
    // Through a chain of symlinks: the links stay links, the real file gets the text.
    std::fs::create_dir(dir.path().join("real")).unwrap();
    let target = dir.path().join("real/farm.prom");
    std::fs::write(&target, "old").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    let hop = dir.path().join("hop.prom");
    symlink("real/farm.prom", &hop).unwrap();
    let link = dir.path().join("link.prom");
    symlink(&hop, &link).unwrap();
    at(&mut n, now, &["metrics", "--format", "prometheus", "--output", link.to_str().unwrap()]).ok();
    for l in [&link, &hop] {
        assert!(std::fs::symlink_metadata(l).unwrap().file_type().is_symlink(), "{}", l.display());
    }
    let text = std::fs::read_to_string(&target).unwrap();
    assert!(text.contains("farm_backlog"), "{text}");
    assert_eq!(mode(&target), 0o644);
    // A dangling link: the file is made where it points.
    let fresh = dir.path().join("real/fresh.prom");
    let dangling = dir.path().join("dangling.prom");
    symlink(&fresh, &dangling).unwrap();
    at(&mut n, now, &["metrics", "--output", dangling.to_str().unwrap()]).ok();
    assert!(std::fs::symlink_metadata(&dangling).unwrap().file_type().is_symlink());
    assert!(std::fs::read_to_string(&fresh).unwrap().contains("farm_bot"));
    // A link to a device, and a directory: refused, nothing written, nothing replaced.
    let null = dir.path().join("null.prom");
    symlink("/dev/null", &null).unwrap();
    let r = at(&mut n, now, &["metrics", "--output", null.to_str().unwrap()]).code(64);
    assert!(r.stderr.contains("not a regular file") && r.stderr.lines().count() == 1, "{}", r.stderr);
    assert_eq!(std::fs::read_link(&null).unwrap(), std::path::Path::new("/dev/null"));
    assert!(std::fs::metadata("/dev/null").unwrap().permissions().mode() & 0o170000 == 0o020000);
    let r = at(&mut n, now, &["metrics", "--output", dir.path().join("real").to_str().unwrap()]).code(64);
    assert!(r.stderr.contains("is a directory"), "{}", r.stderr);
    let mut names: Vec<_> =
        std::fs::read_dir(dir.path().join("real")).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    assert_eq!(names, ["farm.prom", "fresh.prom"]);
}

#[test]
fn metrics_of_no_farm_are_empty() {
    let f = support::Farm::new();
    assert_eq!(f.run(&["metrics"]).ok().stdout, "");
    let (types, samples) = parse_prometheus(&f.run(&["metrics", "--format", "prometheus"]).ok().stdout);
    assert_eq!(types.len(), botfarm::cmd::metrics::FAMILIES.len());
    assert!(samples.is_empty());
}

#[test]
fn escaping_round_trips_through_the_strict_parsers() {
    use botfarm::cmd::metrics::{escape_label, escape_measurement, escape_tag, influx, prometheus};
    use botfarm::cmd::stats::{RateRow, Row};
    assert_eq!(escape_tag("a b,c=d\\e"), r"a\ b\,c\=d\\e");
    assert_eq!(escape_measurement("m m,x"), r"m\ m\,x");
    assert_eq!(escape_label("a\"b\\c\nd"), r#"a\"b\\c\nd"#);
    let weird = "we ird,=\"quoted\" \\ back";
    let r = Row {
        name: "odd-bot_1".into(),
        role: weird.into(),
        platform: "two words, one=sign".into(),
        source: None,
        every: "1h".into(),
        every_secs: 3600,
        paused: false,
        status: "ok".into(),
        failing_since: None,
        limited_until: None,
        fails: 0,
        backlog: 3,
        fetched_24h: 0,
        posts_24h: 4,
        scored_24h: 0,
        fetched_total: 0,
        posts_total: 5,
        scored_total: 0,
        calls_24h: 6,
        calls_30d: 60,
        cost_24h: Some(0.09),
        cost_30d: Some(0.9),
        imported_total: 8,
        errors_24h: 7,
        last_run: None,
        last_attempt: None,
        next_due_at: None,
        clock_ahead: None,
        last_error: None,
        slots: None,
        slot: Default::default(),
        hourly: vec![0; 24],
        rate_limits: vec![RateRow {
            call: "post \"x\"\nnew".into(),
            remaining: 9,
            limit: None,
            reset: String::new(),
        }],
        write_points_hour_left: None,
        write_points_day_left: None,
        bluesky_ip_left: None,
        replies: None,
        follows_ok: None,
        follows_total: None,
    };
    let rows = vec![(r, botfarm::bot::BotState::default())];
    let lines = parse_influx(&influx(&rows, 1));
    assert_eq!(lines[0].tags[1], ("role".to_string(), weird.to_string()));
    assert_eq!(lines[0].tags[2].1, "two words, one=sign");
    assert_eq!(lines[0].fields["backlog"], 3);
    assert_eq!(lines[0].ts, 1_000_000_000);
    let (_, samples) = parse_prometheus(&prometheus(&rows));
    let s = samples.iter().find(|(n, _, _)| n == "farm_backlog").unwrap();
    assert_eq!(s.1["role"], weird);
    assert_eq!(s.1["platform"], "two words, one=sign");
    let rl = samples.iter().find(|(n, _, _)| n == "farm_rate_limit_remaining").unwrap();
    assert_eq!(rl.1["call"], "post \"x\"\nnew");
    assert_eq!(rl.2, 9.0);
}

// ---- --push ----

/// A one-shot HTTP server: answers the next request with `status` and hands the request over.
fn server(status: u16) -> (String, std::thread::JoinHandle<String>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let h = std::thread::spawn(move || {
        let (mut c, _) = l.accept().unwrap();
        c.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let body_start = loop {
            let k = c.read(&mut chunk).unwrap();
            assert!(k > 0, "connection closed early");
            buf.extend_from_slice(&chunk[..k]);
            if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
        };
        let head = String::from_utf8_lossy(&buf[..body_start]).to_string();
        let len: usize = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap())
            })
            .unwrap_or(0);
        while buf.len() < body_start + len {
            let k = c.read(&mut chunk).unwrap();
            assert!(k > 0);
            buf.extend_from_slice(&chunk[..k]);
        }
        let body = if status == 204 { String::new() } else { format!("{{\"error\":\"status {status}\"}}") };
        let reason = match status {
            204 => "No Content",
            401 => "Unauthorized",
            _ => "Internal Server Error",
        };
        write!(
            c,
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        String::from_utf8_lossy(&buf).to_string()
    });
    (url, h)
}

#[test]
fn push_posts_the_lines_and_classifies_failures() {
    let (mut n, now) = farm();
    n.farm.set_now(&rfc(now));
    let lines = at(&mut n, now, &["metrics"]).ok().stdout;

    // InfluxDB 1.x.
    let (url, h) = server(204);
    let r = n.farm.run(&["metrics", "--push", &format!("{url}/write?db=farm")]).ok();
    assert!(r.stdout.is_empty() && r.stderr.is_empty(), "quiet on success: {r:?}");
    let req = h.join().unwrap();
    assert!(req.starts_with("POST /write?db=farm HTTP/1.1\r\n"), "{req}");
    assert!(req.ends_with(&format!("\r\n\r\n{lines}")), "{req}");
    assert!(!req.to_ascii_lowercase().contains("authorization"), "no token, no header");

    // InfluxDB 2.x with a token.
    let (url, h) = server(204);
    n.farm
        .run_env(
            &["metrics", "--push", &format!("{url}/api/v2/write?org=o&bucket=b")],
            &[("FARM_INFLUX_TOKEN", "s3cret")],
        )
        .ok();
    let req = h.join().unwrap();
    assert!(req.starts_with("POST /api/v2/write?org=o&bucket=b HTTP/1.1\r\n"), "{req}");
    assert!(
        req.contains("\r\nauthorization: Token s3cret\r\n")
            || req.contains("\r\nAuthorization: Token s3cret\r\n"),
        "{req}"
    );

    // A server error: 75, one line, the token never shown; the next push sends everything.
    let (url, h) = server(500);
    let r = n.farm.run_env(
        &["metrics", "--push", &format!("{url}/write?db=farm&u=me&p=pw")],
        &[("FARM_INFLUX_TOKEN", "s3cret")],
    );
    assert_eq!(r.code, 75, "{r:?}");
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("HTTP 500"), "{}", r.stderr);
    assert!(!r.stderr.contains("s3cret") && !r.stderr.contains("=pw"), "{}", r.stderr);
    h.join().unwrap();
    let (url, h) = server(204);
    n.farm.run(&["metrics", "--push", &format!("{url}/write?db=farm")]).ok();
    assert!(h.join().unwrap().ends_with(&lines));

    // Refused credentials: 77.
    let (url, h) = server(401);
    let r = n.farm.run(&["metrics", "--push", &format!("{url}/api/v2/write?org=o&bucket=b")]);
    assert_eq!(r.code, 77, "{r:?}");
    assert!(r.stderr.contains("401") && r.stderr.contains("FARM_INFLUX_TOKEN"), "{}", r.stderr);
    h.join().unwrap();

    // Nobody listening: 75.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let r = n.farm.run(&["metrics", "--push", &format!("http://127.0.0.1:{port}/write?db=farm")]);
    assert_eq!(r.code, 75, "{r:?}");
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    // Not a URL: 64.
    assert_eq!(n.farm.run(&["metrics", "--push", "localhost:8086/write"]).code, 64);
}

// ---- benchmark ----

/// `cargo test --release --test stats_metrics -- --ignored --nocapture bench`: a farm of 1,000
/// bots (400 readers with 2,500 cached posts each, 500 writers, 100 analyzers; 35 days of
/// hourly counters each) built through the library, then `farm stats`, `farm stats --json` and
/// `farm metrics --format prometheus` timed with `/usr/bin/time` (wall seconds, peak RSS).
#[test]
#[ignore]
fn bench_stats_on_a_million_posts() {
    use botfarm::bot::BotState;
    use botfarm::model::{Counters, Role};
    use botfarm::net::{Call, PlatformKind, Post, RateInfo};
    // FARM_BENCH_DIR keeps the farm for the next run; by default it is removed afterwards.
    let tmp = support::TempDir::new("bench");
    let dir = std::env::var("FARM_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| tmp.path().join("farm"));
    let now = T0 + 40 * 86_400;
    if !botfarm::store::exists(&dir).unwrap() {
        let started = std::time::Instant::now();
        let mut store = botfarm::store::Store::open(&dir).unwrap();
        // The posts go where a farm of a million keeps them, the shards (its first run past
        // `INLINE_MAX` moves them there; an import writes them there), not the control database.
        store.make_room(1_000_000).unwrap();
        let bot = |name: String, role: Role, source: Option<String>| {
            let platform = if role == Role::Reader { PlatformKind::Mastodon } else { PlatformKind::X };
            let every = if role == Role::Analyzer { 86_400 } else { 3600 };
            plain_bot(name, role, source, platform, "https://example.social", every)
        };
        let mut id = 1u64 << 60;
        for r in 0..400 {
            let name = format!("reader{r:03}");
            store.put_bot(&bot(name.clone(), Role::Reader, None)).unwrap();
            let posts: Vec<Post> = (0..2500)
                .map(|i| {
                    id += 7;
                    Post {
                        id,
                        author: format!("someone{}", i % 50),
                        text: format!("post {i} of {name}: a sentence of about the usual length, with some words in it and a link https://example.com/{i}"),
                        created_at: now - 86_400 + i,
                        is_repost: false,
                        is_reply: false,
                        has_links: true,
                        lang: None,
                        ..Default::default()
                    }
                })
                .collect();
            store.add_posts(&name, &posts).unwrap();
            let st = BotState {
                last_ok: now - 600,
                last_attempt: now - 600,
                total: 2500,
                cached: 2500,
                ..Default::default()
            };
            store.put_state(&name, &st).unwrap();
        }
        for w in 0..500u64 {
            let name = format!("writer{w:03}");
            let src = format!("reader{:03}", w % 400);
            store.put_bot(&bot(name.clone(), Role::Writer, Some(src))).unwrap();
            let st = BotState {
                last_ok: now - 1200,
                last_attempt: now - 1200,
                consumed: (1u64 << 60) + (w % 400) * 2500 * 7 + 7 * (w * 5 % 2500),
                total: 700,
                ..Default::default()
            };
            store.put_state(&name, &st).unwrap();
            store
                .put_rate(
                    &name,
                    &RateInfo { call: Call::Post, limit: Some(300), remaining: 299, reset: now + 900 },
                )
                .unwrap();
        }
        for a in 0..100 {
            let name = format!("analyzer{a:03}");
            store.put_bot(&bot(name, Role::Analyzer, Some(format!("writer{a:03}")))).unwrap();
        }
        for b in store.bots().unwrap() {
            // Oldest first, as time runs.
            for h in (0..botfarm::store::COUNTER_DAYS * 24).rev() {
                let c = Counters {
                    posts: 1,
                    fetched: 3,
                    calls: 2,
                    errors: (h % 50 == 0) as u32,
                    ..Default::default()
                };
                store.count(&b.name, now - h * 3600, c).unwrap();
            }
        }
        store.flush().unwrap();
        eprintln!("built the farm in {:?} ({} MB on disk)", started.elapsed(), store.size_on_disk() >> 20);
    }
    // In process: what opening the database costs, and what the stats cost on top.
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let store = botfarm::store::Store::open(&dir).unwrap();
        let opened = t.elapsed();
        let t = std::time::Instant::now();
        let rows = botfarm::cmd::stats::rows(&store, now).unwrap();
        let computed = t.elapsed();
        let t = std::time::Instant::now();
        let prices = botfarm::model::Prices::default().list();
        let table = botfarm::cmd::stats::render_table(&rows, &prices, now, 80, false);
        let rendered = t.elapsed();
        let t = std::time::Instant::now();
        let prom = botfarm::cmd::metrics::prometheus(&rows);
        eprintln!(
            "in process: open {opened:?}, {} rows {computed:?}, table {rendered:?} ({} lines), prometheus {:?} ({} lines)",
            rows.len(),
            table.lines().count(),
            t.elapsed(),
            prom.lines().count()
        );
    }
    let time = std::path::Path::new("/usr/bin/time");
    for args in [&["stats"][..], &["stats", "--json"], &["metrics", "--format", "prometheus"], &["list"]] {
        for _ in 0..3 {
            let mut c = std::process::Command::new(if time.exists() {
                "/usr/bin/time"
            } else {
                env!("CARGO_BIN_EXE_farm")
            });
            if time.exists() {
                c.args(["-f", "%e s %M KB", env!("CARGO_BIN_EXE_farm")]);
            }
            let out = c
                .args(args)
                .env("FARM_DB", &dir)
                .env("FARM_NOW", rfc(now))
                .env("COLUMNS", "80")
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let err = String::from_utf8_lossy(&out.stderr);
            eprintln!("farm {:<30} {}  ({} bytes out)", args.join(" "), err.trim(), out.stdout.len());
        }
    }
}

/// A farm built through the library: bots with long names, long sources and long errors.
/// A bot with these settings and every other one at its default, written straight to a store.
fn plain_bot(
    name: String,
    role: botfarm::model::Role,
    source: Option<String>,
    platform: botfarm::net::PlatformKind,
    api: &str,
    every: u64,
) -> botfarm::bot::Bot {
    botfarm::bot::Bot {
        name,
        role,
        platform,
        api: api.into(),
        every,
        paused: false,
        source,
        // Credentials to call with: a bot without them "needs auth", whatever else it is.
        creds: botfarm::net::Credentials {
            consumer_key: "ck-plain-0123456789".into(),
            consumer_secret: "cs-plain-0123456789".into(),
            access_token: "tok-plain-0123456789".into(),
            access_secret: "sec-plain-0123456789".into(),
        },
        template: None,
        process: vec![],
        filters: vec![],
        visibility: None,
        reader: botfarm::model::ReaderOpts::default(),
        created_at: T0,
        settings: vec![],
    }
}

/// A bot name of the longest kind, 64 characters, that differs from its neighbours only at the
/// end.
fn long_name(kind: &str, i: usize) -> String {
    let head = format!("{kind}_with_a_long_descriptive_name_");
    let tail = format!("_number_{i:02}");
    format!("{head}{}{tail}", "x".repeat(64 - head.len() - tail.len()))
}

/// The events `wide_farm` logs, one per writer and one for the analyzer.
const WIDE_EVENTS: usize = 13;

/// A farm built through the library: 12 readers and 12 failing writers with 64-character names,
/// long errors and long event messages, a used-up rate-limit window, activity of every kind, and
/// a paused analyzer. Returns it with its clock.
fn wide_farm() -> (support::Farm, i64) {
    use botfarm::bot::BotState;
    use botfarm::model::{Counters, RateInfo, Role};
    use botfarm::net::{Call, PlatformKind};
    let f = support::Farm::new();
    let now = T0 + 86_400;
    let store = botfarm::store::Store::open(&f.db()).unwrap();
    let api = "https://a.very.long.mastodon.instance.name.example.social";
    let bot = |name: String, role: Role, source: Option<String>| {
        plain_bot(name, role, source, PlatformKind::Mastodon, api, 3600)
    };
    let long_error = |i: usize| {
        format!(
            "{i}: the server said something long and unhelpful: сервер недоступен, попробуйте позже; {}",
            "and more words ".repeat(8)
        )
    };
    for i in 0..12 {
        let (reader, writer) = (long_name("reader", i), long_name("writer", i));
        store.put_bot(&bot(reader.clone(), Role::Reader, None)).unwrap();
        store.put_bot(&bot(writer.clone(), Role::Writer, Some(reader.clone()))).unwrap();
        let st = BotState {
            last_ok: now - 600,
            last_attempt: now - 600,
            total: 1000 + i as u64,
            ..Default::default()
        };
        store.put_state(&reader, &st).unwrap();
        for h in 0..24 {
            store
                .count(
                    &reader,
                    now - h * 3600,
                    Counters { fetched: h as u32 % 7, calls: 1, ..Default::default() },
                )
                .unwrap();
        }
        let st = BotState {
            last_ok: now - 7200,
            last_attempt: now - 600,
            fails: 3,
            failing_since: Some(now - 3600),
            total: 123_456,
            last_error: Some(long_error(i)),
            ..Default::default()
        };
        store.put_state(&writer, &st).unwrap();
        store.count(&writer, now - 7200, Counters { posts: 1, calls: 2, ..Default::default() }).unwrap();
        store.count(&writer, now - 600, Counters { errors: 1, calls: 1, ..Default::default() }).unwrap();
        store.log(&writer, now - 600 + i as i64, "error", &long_error(i)).unwrap();
    }
    // The first reader's timeline window is used up for a quarter of an hour.
    let limit = RateInfo { call: Call::Timeline, remaining: 0, limit: Some(15), reset: now + 900 };
    store.put_rate(&long_name("reader", 0), &limit).unwrap();
    let analyzer = long_name("analyzer", 0);
    let mut a = bot(analyzer.clone(), Role::Analyzer, Some(long_name("writer", 0)));
    // An analyzer calls with its writer's credentials and keeps none of its own.
    a.creds = Default::default();
    a.paused = true;
    a.every = 86_400;
    store.put_bot(&a).unwrap();
    store.put_state(&analyzer, &BotState { last_ok: now - 3600, total: 7, ..Default::default() }).unwrap();
    store.count(&analyzer, now - 3600, Counters { fetched: 7, calls: 1, ..Default::default() }).unwrap();
    store
        .log(
            &analyzer,
            now - 3600,
            "score",
            &format!("scored 7 posts of {} (0 too young)", long_name("writer", 0)),
        )
        .unwrap();
    store.flush().unwrap();
    support::close_store(store);
    (f, now)
}

/// Every line of `text` at most `width` characters wide.
#[track_caller]
fn fits(text: &str, width: usize, what: &str) {
    for line in text.lines() {
        let n = line.chars().count();
        assert!(n <= width, "{what} at {width} columns: a line {n} wide:\n{line}\n{text}");
    }
}

/// Every line after the first is `  key: value`, one line a key (a wrapped value would show as
/// a line without its key).
#[track_caller]
fn key_lines(lines: &[&str], what: &str) {
    for l in lines {
        let key = l.strip_prefix("  ").and_then(|r| r.split_once(':')).map(|(k, _)| k);
        assert!(
            key.is_some_and(|k| !k.is_empty()
                && !k.starts_with(' ')
                && k.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == ' ')),
            "{what}: not a `  key: value` line: {l:?}"
        );
    }
}

#[test]
fn every_table_fits_every_width_without_wrapping() {
    let (f, now) = wide_farm();
    let now = rfc(now);
    let bots = 25;
    let writer = long_name("writer", 3);
    for width in [60usize, 80, 120, 200] {
        let cols = width.to_string();
        let run = |args: &[&str]| f.run_env(args, &[("COLUMNS", &cols), ("FARM_NOW", &now)]).ok().stdout;
        for (args, rows) in [(vec!["stats"], bots + 1), (vec!["list"], bots), (vec!["log"], WIDE_EVENTS)] {
            let what = args.join(" ");
            let text = run(&args);
            fits(&text, width, &what);
            let (header, body) = table(&text);
            assert_eq!(body.len(), rows, "{what} at {width}:\n{text}");
            if what == "log" {
                continue;
            }
            assert!(header.iter().any(|h| h == "status"), "{what} at {width} lost its status:\n{text}");
            // Names are cut in the middle: their distinct ends stay.
            let names: std::collections::HashSet<&str> = body.iter().map(|r| r[0].as_str()).collect();
            assert_eq!(names.len(), rows, "{what} at {width}: names no longer tell bots apart:\n{text}");
            assert!(names.iter().any(|n| n.ends_with("_11")), "{what} at {width}:\n{text}");
            if width < 120 {
                assert!(names.iter().all(|n| n.contains('…') || n.starts_with("total")), "{text}");
            }
            // The sparkline stays whole on its line.
            if let Some(i) = header.iter().position(|h| h == "last 24h") {
                for r in &body[..bots] {
                    assert_eq!(r[i].chars().count(), 24, "{what} at {width}:\n{text}");
                }
            }
        }
        // A long error is cut with "…", never wrapped.
        let stats = run(&["stats"]);
        let (header, body) = table(&stats);
        if let Some(i) = header.iter().position(|h| h == "last error") {
            assert!(body.iter().any(|r| r[i].ends_with('…')), "{stats}");
        }
        let log = run(&["log"]);
        assert!(table(&log).1.iter().any(|r| r.last().unwrap().ends_with('…')), "{log}");
        // The views of one bot fit too, one line a key.
        let show = run(&["show", &writer]);
        fits(&show, width, "show");
        key_lines(&show.lines().skip(1).collect::<Vec<_>>(), "show");
        assert!(show.contains("  last error:"), "{show}");
        let history = run(&["stats", &writer]);
        fits(&history, width, "stats NAME");
        let lines: Vec<&str> = history.lines().collect();
        let days_at = lines.iter().position(|l| l.starts_with("day")).expect(&history);
        key_lines(&lines[1..days_at], "stats NAME");
        assert_eq!(table(&lines[days_at..].join("\n")).1.len(), 30, "{history}");
    }
}

/// The times in `text`: each `HH:MM` must be part of `YYYY-MM-DD HH:MM UTC`, the one format
/// of times in farm's text output. Returns how many there are.
#[track_caller]
fn times_with_zone(text: &str, what: &str) -> usize {
    let b = text.as_bytes();
    let digits =
        |from: usize, n: usize| from + n <= b.len() && b[from..from + n].iter().all(u8::is_ascii_digit);
    let mut found = 0;
    for i in 0..b.len().saturating_sub(4) {
        if !(digits(i, 2) && b[i + 2] == b':' && digits(i + 3, 2)) || (i > 0 && b[i - 1].is_ascii_digit()) {
            continue;
        }
        let line = text[..i].rsplit('\n').next().unwrap_or("");
        let ok = i >= 11
            && digits(i - 11, 4)
            && b[i - 7] == b'-'
            && digits(i - 6, 2)
            && b[i - 4] == b'-'
            && digits(i - 3, 2)
            && b[i - 1] == b' '
            && text[i + 5..].starts_with(" UTC")
            && !text[i + 5..].starts_with(" UTC:");
        assert!(ok, "{what}: a time without its zone or in another format near {line:?}\n{text}");
        found += 1;
    }
    found
}

#[test]
fn every_time_printed_says_its_zone() {
    let (f, now) = wide_farm();
    let now = rfc(now);
    let (reader, writer, analyzer) =
        (long_name("reader", 0), long_name("writer", 0), long_name("analyzer", 0));
    let run = |args: &[&str]| f.run_env(args, &[("COLUMNS", "400"), ("FARM_NOW", &now)]).ok().stdout;
    let stats = run(&["stats"]);
    // Last run of 25 bots, next due of the 24 that are not paused, failing since of 12.
    assert!(times_with_zone(&stats, "stats") >= 25 + 24 + 12, "{stats}");
    assert!(times_with_zone(&run(&["list"]), "list") >= 24);
    assert!(times_with_zone(&run(&["log"]), "log") >= WIDE_EVENTS);
    for b in [&reader, &writer, &analyzer] {
        let show = run(&["show", b]);
        assert!(times_with_zone(&show, "show") >= 1, "{show}");
        times_with_zone(&run(&["stats", b]), "stats NAME");
    }
    // The same instant in every view: the writer has failed since an hour before now.
    let since = botfarm::clock::short(T0 + 86_400 - 3600);
    assert_eq!(since, "2026-01-01 23:00 UTC");
    assert!(run(&["show", &writer]).contains(&format!("failing since {since}")));
    assert!(run(&["stats", &writer]).contains(&since));
    assert!(stats.contains(&since));
    // The reader's used-up window.
    let reset = botfarm::clock::short(T0 + 86_400 + 900);
    let show = run(&["show", &reader]);
    assert!(show.contains(&format!("resets {reset}")) && show.contains(&format!("until {reset}")), "{show}");
}

/// Keys whose values are times: RFC 3339 or null.
const TIME_KEYS: [&str; 11] = [
    "at",
    "created_at",
    "clock_ahead",
    "failing_since",
    "last_attempt",
    "last_ok",
    "last_run",
    "limited_until",
    "next_due_at",
    "reset",
    "next_due",
];

/// Walk a JSON value: no sentinel strings for missing values, times RFC 3339 or null.
#[track_caller]
fn no_sentinels(v: &Value, path: &str) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let here = format!("{path}.{k}");
                if TIME_KEYS.contains(&k.as_str()) {
                    assert!(
                        v.is_null() || v.as_str().and_then(botfarm::clock::parse_rfc3339).is_some(),
                        "{here} is not an RFC 3339 time or null: {v}"
                    );
                }
                if k != "status" {
                    no_sentinels(v, &here);
                }
            }
        }
        Value::Array(a) => a.iter().enumerate().for_each(|(i, v)| no_sentinels(v, &format!("{path}[{i}]"))),
        Value::String(s) => assert!(
            !["", "-", "(none)", "(app)", "none", "never", "now", "paused", "n/a"].contains(&s.as_str()),
            "{path} is the sentinel {s:?} instead of null"
        ),
        _ => {}
    }
}

#[test]
fn json_says_null_for_nothing_and_rfc3339_for_times() {
    let (f, now) = wide_farm();
    let now = rfc(now);
    let run = |args: &[&str]| f.run_env(args, &[("FARM_NOW", &now)]).ok().json();
    let (reader, writer, analyzer) =
        (long_name("reader", 0), long_name("writer", 0), long_name("analyzer", 0));
    no_sentinels(&run(&["stats", "--json"]), "stats");
    no_sentinels(&run(&["list", "--json"]), "list");
    for b in [&reader, &writer, &analyzer] {
        no_sentinels(&run(&["show", b, "--json"]), "show");
        no_sentinels(&run(&["stats", b, "--json"]), "stats NAME");
    }
    let show = run(&["show", &analyzer, "--json"]);
    assert!(show["credentials"]["access_token"].is_null(), "{show}");
    assert!(show["state"]["next_due_at"].is_null(), "paused: {show}");
    assert_eq!(show["state"]["scored_total"], 7, "{show}");
    // `log --json`: the events, oldest first, with RFC 3339 times.
    let log = run(&["log", "--json"]);
    no_sentinels(&log, "log");
    let events = log.as_array().unwrap();
    assert_eq!(events.len(), WIDE_EVENTS, "{log}");
    let last = &events[WIDE_EVENTS - 1];
    assert_eq!(last["bot"], long_name("writer", 11));
    assert_eq!(last["kind"], "error");
    assert!(last["message"].as_str().unwrap().ends_with("and more words "), "the whole message: {last}");
    assert_eq!(last["at"], rfc(T0 + 86_400 - 600 + 11));
    let one = run(&["log", &analyzer, "-n", "1", "--json"]);
    assert_eq!(one.as_array().unwrap().len(), 1);
    assert_eq!(one[0]["kind"], "score");
    // `best --json` of a writer its analyzer has not scored yet.
    let best = run(&["best", &writer, "--json"]);
    no_sentinels(&best, "best");
    assert_eq!(best["writer"], writer.as_str());
    assert_eq!(best["analyzer"], analyzer.as_str());
    assert_eq!(best["phrases"], serde_json::json!([]));
    assert_eq!(best["hot_words"], serde_json::json!([]));
    assert_eq!(best["hot_above"], 10);
    assert_eq!(best["boring_below"], -10);
    let none = run(&["best", &long_name("writer", 1), "--json"]);
    assert!(none["analyzer"].is_null(), "{none}");
}

#[test]
fn stats_fits_the_terminal_without_columns() {
    // `script` (util-linux) gives farm a terminal of 50 columns; skip where it is missing.
    let have_script =
        std::process::Command::new("script").arg("--version").output().is_ok_and(|o| o.status.success());
    if !have_script {
        eprintln!("no script(1); skipped");
        return;
    }
    let (f, now) = wide_farm();
    let line = format!("stty cols 50; exec {} stats", env!("CARGO_BIN_EXE_farm"));
    let c = f.cmd(&[]);
    let o = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .envs(c.get_envs().filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))))
        .env("FARM_NOW", rfc(now))
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}");
    assert!(out.lines().count() >= 26, "{out}");
    for line in out.lines() {
        let line = line.trim_end_matches('\r');
        assert!(line.chars().count() <= 50, "{} wide:\n{line}\n{out}", line.chars().count());
    }
}
