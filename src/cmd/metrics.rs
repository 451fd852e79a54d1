//! `farm metrics`: the numbers of `farm stats` for InfluxDB (line protocol, printed or pushed)
//! or Prometheus (text exposition format, printed or written atomically for node_exporter's
//! textfile collector).
//!
//! InfluxDB: one line per bot, measurement `farm_bot`, tags `bot`, `role`, `platform`, integer
//! fields (`i` suffix) and a timestamp in nanoseconds from the farm clock:
//!
//! ```text
//! farm_bot,bot=hp,role=writer,platform=x backlog=12i,fetched_total=0i,posts_total=240i,scored_total=0i,fetched_24h=0i,posts_24h=24i,scored_24h=0i,calls_24h=25i,calls_30d=750i,imported_total=0i,errors_24h=0i,failing=0i,paused=0i,rate_limited=0i,fails=0i,last_run=1767261600i,cost_24h_microdollars=360000i,cost_30d_microdollars=10800000i,rate_remaining_post=99i 1767261900000000000
//! ```
//!
//! Prometheus: the families in [`FAMILIES`], labels `bot`, `role`, `platform` (and `call` on
//! `farm_rate_limit_remaining`, `reason` on `farm_mentions_passed_total`), no timestamps (the
//! textfile collector refuses them).
//!
//! `--push URL` POSTs the line protocol to InfluxDB 1.x (`/write?db=…`) or 2.x
//! (`/api/v2/write?org=…&bucket=…`), with `Authorization: Token $FARM_INFLUX_TOKEN` when that is
//! set. A failed push is one line on stderr and exit 75 (server or connection trouble: try again
//! next time) or 77 (401/403); nothing is lost, the next push sends the current values.

use super::stats::{rows, Row};
use super::{now, open_existing, Globals};
use crate::bot::status::failing;
use crate::bot::BotState;
use crate::cli::MetricsArgs;
use crate::error::{io_error, FarmError, Kind, Result};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// Prometheus metric families: name, type, help. Posts fetched (readers), made (writers) and
/// scored (analyzers) are separate families, never added together.
pub const FAMILIES: [(&str, &str, &str); 22] = [
    ("farm_fetched_total", "counter", "Posts fetched by a reader in total."),
    ("farm_posts_total", "counter", "Posts made by a writer in total."),
    ("farm_scored_total", "counter", "Posts scored by an analyzer in total."),
    ("farm_fetched_24h", "gauge", "Posts fetched by a reader in the last 24 hours."),
    ("farm_posts_24h", "gauge", "Posts made (by a writer, or by hand) in the last 24 hours."),
    ("farm_scored_24h", "gauge", "Posts scored by an analyzer in the last 24 hours."),
    ("farm_backlog", "gauge", "Readers: cached posts; writers: unprocessed posts of their reader."),
    ("farm_api_calls_24h", "gauge", "API requests in the last 24 hours."),
    ("farm_api_calls_30d", "gauge", "API requests in the last 30 days."),
    ("farm_cost_dollars_24h", "gauge", "X bots: estimated bill of the last 24 hours, US dollars."),
    ("farm_cost_dollars_30d", "gauge", "X bots: estimated bill of the last 30 days, US dollars."),
    ("farm_imported_total", "counter", "Posts imported into a reader from files in total."),
    ("farm_errors_24h", "gauge", "Failed runs in the last 24 hours."),
    ("farm_failing", "gauge", "1 when the last run of the bot failed."),
    ("farm_consecutive_failures", "gauge", "Failed runs in a row."),
    ("farm_paused", "gauge", "1 when the bot is paused."),
    ("farm_rate_limit_remaining", "gauge", "Requests left in the current rate-limit window, per call."),
    ("farm_last_run_timestamp_seconds", "gauge", "Unix time of the last successful run (absent if never)."),
    ("farm_mentions_seen_total", "counter", "Writers that answer mentions: mentions read in total."),
    ("farm_replies_total", "counter", "Writers that answer mentions: mentions answered in total."),
    ("farm_mentions_waiting", "gauge", "Writers that answer mentions: mentions read and not answered yet."),
    (
        "farm_mentions_passed_total",
        "counter",
        "Writers that answer mentions: mentions passed over, per reason.",
    ),
];

/// The environment variable with the InfluxDB token for `--push`.
pub const TOKEN_ENV: &str = "FARM_INFLUX_TOKEN";

/// Escape a measurement name for the line protocol (commas and spaces).
pub fn escape_measurement(s: &str) -> String {
    escape_with(s, &[',', ' '])
}

/// Escape a tag key, tag value or field key for the line protocol: backslash, comma, equals
/// sign and space get a backslash; line breaks (never allowed) become spaces.
pub fn escape_tag(s: &str) -> String {
    escape_with(s, &['\\', ',', '=', ' '])
}

fn escape_with(s: &str, special: &[char]) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' => out.push_str("\\ "),
            c if special.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Escape a Prometheus label value: `\` → `\\`, `"` → `\"`, line feed → `\n`.
pub fn escape_label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn flag(b: bool) -> u64 {
    u64::from(b)
}

/// The integer fields of a bot, in a fixed order.
fn fields(r: &Row, st: &BotState) -> Vec<(String, u64)> {
    let mut f = vec![
        ("backlog".to_string(), r.backlog),
        ("fetched_total".to_string(), r.fetched_total),
        ("posts_total".to_string(), r.posts_total),
        ("scored_total".to_string(), r.scored_total),
        ("fetched_24h".to_string(), r.fetched_24h),
        ("posts_24h".to_string(), r.posts_24h),
        ("scored_24h".to_string(), r.scored_24h),
        ("calls_24h".to_string(), r.calls_24h),
        ("calls_30d".to_string(), r.calls_30d),
        ("imported_total".to_string(), r.imported_total),
        ("errors_24h".to_string(), r.errors_24h),
        ("failing".to_string(), flag(failing(st))),
        ("paused".to_string(), flag(r.paused)),
        ("rate_limited".to_string(), flag(r.status == "rate-limited")),
        ("fails".to_string(), u64::from(st.fails)),
        ("last_run".to_string(), st.last_ok.max(0) as u64),
    ];
    // X bots: the estimated bill in millionths of a dollar (integer fields, like the others).
    for (k, v) in [("cost_24h_microdollars", r.cost_24h), ("cost_30d_microdollars", r.cost_30d)] {
        if let Some(d) = v {
            f.push((k.to_string(), (d * 1e6).round() as u64));
        }
    }
    for rl in &r.rate_limits {
        f.push((format!("rate_remaining_{}", rl.call), rl.remaining));
    }
    // Writers that answer their mentions (`--reply`).
    if let Some(s) = &r.replies {
        f.push(("mentions_seen_total".to_string(), s.seen));
        f.push(("replies_total".to_string(), s.answered));
        f.push(("mentions_waiting".to_string(), s.waiting));
        f.push(("mentions_passed_total".to_string(), s.skipped.values().sum()));
    }
    f
}

/// InfluxDB line protocol: one line per bot, timestamp `now` (Unix seconds) in nanoseconds.
pub fn influx(rows: &[(Row, BotState)], now: i64) -> String {
    let ts = i128::from(now) * 1_000_000_000;
    let mut out = String::new();
    for (r, st) in rows {
        out.push_str(&escape_measurement("farm_bot"));
        for (k, v) in [("bot", &r.name), ("role", &r.role), ("platform", &r.platform)] {
            if !v.is_empty() {
                out.push_str(&format!(",{}={}", escape_tag(k), escape_tag(v)));
            }
        }
        let f: Vec<String> = fields(r, st).iter().map(|(k, v)| format!("{}={v}i", escape_tag(k))).collect();
        out.push_str(&format!(" {} {ts}\n", f.join(",")));
    }
    out
}

/// Prometheus text exposition format (version 0.0.4), every family with `# HELP` and `# TYPE`.
pub fn prometheus(rows: &[(Row, BotState)]) -> String {
    let labels = |r: &Row| {
        format!(
            "bot=\"{}\",role=\"{}\",platform=\"{}\"",
            escape_label(&r.name),
            escape_label(&r.role),
            escape_label(&r.platform)
        )
    };
    let mut out = String::new();
    for (name, kind, help) in FAMILIES {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for (r, st) in rows {
            let l = labels(r);
            let value = match name {
                "farm_fetched_total" => Some(r.fetched_total),
                "farm_posts_total" => Some(r.posts_total),
                "farm_scored_total" => Some(r.scored_total),
                "farm_fetched_24h" => Some(r.fetched_24h),
                "farm_posts_24h" => Some(r.posts_24h),
                "farm_scored_24h" => Some(r.scored_24h),
                "farm_backlog" => Some(r.backlog),
                "farm_api_calls_24h" => Some(r.calls_24h),
                "farm_api_calls_30d" => Some(r.calls_30d),
                "farm_imported_total" => Some(r.imported_total),
                "farm_errors_24h" => Some(r.errors_24h),
                "farm_failing" => Some(flag(failing(st))),
                "farm_consecutive_failures" => Some(u64::from(st.fails)),
                "farm_paused" => Some(flag(r.paused)),
                "farm_last_run_timestamp_seconds" => (st.last_ok > 0).then_some(st.last_ok as u64),
                "farm_mentions_seen_total" => r.replies.as_ref().map(|s| s.seen),
                "farm_replies_total" => r.replies.as_ref().map(|s| s.answered),
                "farm_mentions_waiting" => r.replies.as_ref().map(|s| s.waiting),
                _ => None,
            };
            if let Some(v) = value {
                out.push_str(&format!("{name}{{{l}}} {v}\n"));
            }
            let dollars = match name {
                "farm_cost_dollars_24h" => r.cost_24h,
                "farm_cost_dollars_30d" => r.cost_30d,
                _ => None,
            };
            if let Some(d) = dollars {
                out.push_str(&format!("{name}{{{l}}} {d}\n"));
            }
            if name == "farm_mentions_passed_total" {
                for (reason, n) in r.replies.iter().flat_map(|s| &s.skipped) {
                    out.push_str(&format!("{name}{{{l},reason=\"{reason}\"}} {n}\n"));
                }
            }
            if name == "farm_rate_limit_remaining" {
                for rl in &r.rate_limits {
                    out.push_str(&format!(
                        "{name}{{{l},call=\"{}\"}} {}\n",
                        escape_label(&rl.call),
                        rl.remaining
                    ));
                }
            }
        }
    }
    out
}

/// Write `text` to `path` atomically: a temporary file in the same directory, then a rename
/// (the temporary name does not end in `.prom`, so the textfile collector never reads it).
///
/// A symlink stays a symlink: the file it points to (through any chain of links) is replaced.
/// A target that exists and is not a regular file (a device such as `/dev/null`, a directory, a
/// fifo) is refused with a usage error and nothing is written. The file is mode 0644 whatever
/// the umask (the store sets 077), so node_exporter, running as another user, can read it.
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let real = resolve_links(path)?;
    match std::fs::metadata(&real) {
        Ok(m) if !m.is_file() => {
            let what = if m.is_dir() { "a directory" } else { "not a regular file (a device or a fifo?)" };
            return Err(FarmError::usage(format!(
                "--output {} is {what}; give the path of a .prom or .txt file",
                shown(path, &real)
            )));
        }
        _ => {}
    }
    let dir = match real.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let file = real
        .file_name()
        .ok_or_else(|| FarmError::usage(format!("--output {} is not a file name", path.display())))?;
    let tmp = dir.join(format!(".{}.tmp.{}", file.to_string_lossy(), std::process::id()));
    let what = format!("cannot write {}", shown(path, &real));
    let result = (|| {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o644).open(&tmp)?;
        // The umask took bits off the mode above; set it for good.
        f.set_permissions(std::fs::Permissions::from_mode(0o644))?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &real)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io_error(&e, &what));
    }
    Ok(())
}

/// Follow `path` through symlinks (also a dangling last one) to the path of the file itself.
fn resolve_links(path: &Path) -> Result<std::path::PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&p)
                    .map_err(|e| io_error(&e, &format!("cannot read the link {}", p.display())))?;
                p = match p.parent() {
                    Some(d) if target.is_relative() => d.join(target),
                    _ => target,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(FarmError::usage(format!("--output {}: too many levels of symbolic links", path.display())))
}

/// `path`, and the file it stands for when that is another one.
fn shown(path: &Path, real: &Path) -> String {
    if path == real {
        path.display().to_string()
    } else {
        format!("{} (-> {})", path.display(), real.display())
    }
}

/// The URL with the values of password-like query parameters (`p`, `password`, `token`)
/// masked, for messages.
pub fn safe_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else { return url.to_string() };
    let parts: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if matches!(k.to_ascii_lowercase().as_str(), "p" | "password" | "token") => {
                format!("{k}=***")
            }
            _ => kv.to_string(),
        })
        .collect();
    format!("{base}?{}", parts.join("&"))
}

/// POST line protocol to an InfluxDB write URL. Errors: 401/403 → exit 77; 5xx, 429 and
/// connection failures → 75; other refusals (wrong database, bad request) → 78; a malformed URL
/// → 64.
pub fn push(url: &str, body: &str, token: Option<&str>, timeout: Duration) -> Result<()> {
    let shown = safe_url(url);
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(FarmError::usage(format!(
            "--push {shown}: not an http(s) URL; use e.g. http://localhost:8086/write?db=farm"
        )));
    }
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .user_agent(crate::net::http::USER_AGENT)
        .max_redirects(0)
        .build();
    let agent = ureq::Agent::new_with_config(config);
    let mut req = agent.post(url).header("Content-Type", "text/plain; charset=utf-8");
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Token {t}"));
    }
    let fail =
        |kind: Kind, what: String| FarmError::new(kind, format!("metrics push to {shown} failed: {what}"));
    let mut resp = match req.send(body.as_bytes()) {
        Ok(r) => r,
        Err(ureq::Error::BadUri(_)) | Err(ureq::Error::Http(_)) => {
            return Err(FarmError::usage(format!("--push {shown}: not a valid URL")))
        }
        Err(e) => return Err(fail(Kind::TempFail, format!("{e}; the next push sends the current values"))),
    };
    let status = resp.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(());
    }
    let text = resp.body_mut().with_config().limit(64 * 1024).read_to_string().unwrap_or_default();
    let first: String =
        text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("").chars().take(200).collect();
    let detail = if first.is_empty() { format!("HTTP {status}") } else { format!("HTTP {status}: {first}") };
    let kind = match status {
        401 | 403 => Kind::Auth,
        429 | 500..=599 => Kind::TempFail,
        _ => Kind::Config,
    };
    let hint = match kind {
        Kind::Auth => format!("; check {TOKEN_ENV}"),
        Kind::TempFail => "; the next push sends the current values".to_string(),
        _ => "; check the URL (database, org, bucket)".to_string(),
    };
    Err(fail(kind, format!("{detail}{hint}")))
}

/// `farm metrics [--format influx|prometheus] [--output FILE] [--push URL]`.
pub fn run(g: &Globals, a: MetricsArgs) -> Result<()> {
    let format = a.format.trim().to_ascii_lowercase();
    if !matches!(format.as_str(), "influx" | "prometheus") {
        return Err(FarmError::usage(format!("--format {}: use influx or prometheus", a.format)));
    }
    let now = now()?;
    let rows = match open_existing(&g.dir)? {
        Some(store) => rows(&store, now)?,
        None => Vec::new(),
    };
    let text = if format == "influx" { influx(&rows, now) } else { prometheus(&rows) };
    // `--output -` is stdout, as `farm export -`; without --output and --push, stdout too.
    match a.output.as_deref() {
        Some(path) if path != Path::new("-") => write_atomic(path, &text)?,
        Some(_) => crate::out!("{text}")?,
        None if a.push.is_none() => crate::out!("{text}")?,
        None => {}
    }
    if let Some(url) = &a.push {
        let token = crate::config::influx_token();
        push(url, &influx(&rows, now), token.as_deref(), crate::config::http_timeout())?;
        if g.verbose {
            eprintln!("pushed {} lines to {}", rows.len(), safe_url(url));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_protocol_escaping() {
        assert_eq!(escape_tag("a b,c=d"), "a\\ b\\,c\\=d");
        assert_eq!(escape_tag("back\\slash"), "back\\\\slash");
        assert_eq!(escape_tag("say \"hi\""), "say\\ \"hi\"");
        assert_eq!(escape_measurement("farm bot,x=y"), "farm\\ bot\\,x=y");
        assert!(!escape_tag("two\nlines").contains('\n'));
    }

    #[test]
    fn label_escaping() {
        assert_eq!(escape_label(r#"a "q" \ b"#), r#"a \"q\" \\ b"#);
        assert_eq!(escape_label("two\nlines"), "two\\nlines");
        assert_eq!(escape_label("a, b=c"), "a, b=c");
    }

    #[test]
    fn urls_in_messages_hide_passwords() {
        assert_eq!(safe_url("http://h/write?db=farm&u=me&p=secret"), "http://h/write?db=farm&u=me&p=***");
        assert_eq!(safe_url("http://h/api/v2/write?org=o&bucket=b"), "http://h/api/v2/write?org=o&bucket=b");
    }
}
