//! Configuration from the environment, read in one place.
//!
//! This module is the only code that reads farm's environment variables (`FARM_*`, and the
//! `XDG_DATA_HOME`, `HOME`, `COLUMNS`, `NO_COLOR` and `TERM` it falls back on); everything else asks a function
//! here. The clock override `FARM_NOW` is read here and turned into time by [`crate::clock`],
//! the only clock. (The fake API in [`crate::sim`] reads no variables either.)
//!
//! | variable | meaning |
//! |---|---|
//! | `FARM_DB` | data directory (else `$XDG_DATA_HOME/farm`, else `~/.local/share/farm`) |
//! | `FARM_NOW` | the clock override for tests and simulations (see [`crate::clock`]) |
//! | `FARM_CONSUMER_KEY`, `FARM_CONSUMER_SECRET` | X app keys for `create`/`edit`/`auth` |
//! | `FARM_ACCESS_TOKEN`, `FARM_ACCESS_SECRET` | user tokens (X), or the bearer token (Mastodon) |
//! | `FARM_HTTP_TIMEOUT` | seconds before an API request gives up (default 30) |
//! | `FARM_INFLUX_TOKEN` | token for `farm metrics --push` to InfluxDB 2.x |
//! | `COLUMNS` | the width `farm stats` fits its table to (else the terminal's width, else 80) |
//! | `NO_COLOR` | set and non-empty: no colour in `farm stats`, even on a terminal |
//! | `TERM` | `dumb`: no colour either |
//! | `FARM_CRASH_AT` | tests only, debug builds only: abort (like `kill -9`) at this named point |

use crate::error::{FarmError, Result};
use std::path::PathBuf;
use std::time::Duration;

/// The data directory variable.
pub const DB_ENV: &str = "FARM_DB";

/// The clock override variable: an RFC 3339 time such as `2026-01-01T10:00:00Z`.
pub const NOW_ENV: &str = "FARM_NOW";

/// The HTTP timeout variable: seconds, fractions allowed (`FARM_HTTP_TIMEOUT=0.5`). Meant for
/// tests and slow links.
pub const HTTP_TIMEOUT_ENV: &str = "FARM_HTTP_TIMEOUT";

/// The whole-request HTTP budget when [`HTTP_TIMEOUT_ENV`] is not set (or not sensible).
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The InfluxDB token variable for `farm metrics --push`.
pub const INFLUX_TOKEN_ENV: &str = "FARM_INFLUX_TOKEN";

/// The crash-point variable (tests only, debug builds only).
pub const CRASH_AT_ENV: &str = "FARM_CRASH_AT";

/// The data directory: `--db`, else `FARM_DB`, else the XDG data dir.
pub fn data_dir(flag: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(d) = flag {
        return Ok(d);
    }
    if let Some(d) = var(DB_ENV) {
        return Ok(PathBuf::from(d));
    }
    if let Some(d) = var("XDG_DATA_HOME") {
        return Ok(PathBuf::from(d).join("farm"));
    }
    if let Some(h) = var("HOME") {
        return Ok(PathBuf::from(h).join(".local/share/farm"));
    }
    Err(FarmError::config("no data directory: pass --db DIR or set FARM_DB (HOME is not set either)"))
}

/// A non-empty environment variable. Private: callers ask for a meaning, not a name.
fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `COLUMNS`, when it is a sensible width (20 or more); else `None`.
pub fn columns() -> Option<usize> {
    var("COLUMNS").and_then(|v| v.trim().parse::<usize>().ok()).filter(|w| *w >= 20)
}

/// Whether colour is off: `NO_COLOR` set and non-empty (per no-color.org), or `TERM=dumb` (a
/// terminal that shows escape codes as text).
pub fn no_color() -> bool {
    !colour_allowed(var("NO_COLOR").as_deref(), var("TERM").as_deref())
}

/// [`no_color`]'s rule, apart from the environment (empty values count as unset).
fn colour_allowed(no_color: Option<&str>, term: Option<&str>) -> bool {
    no_color.is_none_or(str::is_empty) && term != Some("dumb")
}

/// Whether `FARM_NOW` is set (to anything non-blank, valid or not).
pub fn now_overridden() -> bool {
    var(NOW_ENV).is_some_and(|v| !v.trim().is_empty())
}

/// The clock override: `Ok(None)` when `FARM_NOW` is unset or blank, its time in Unix seconds
/// when it is an RFC 3339 time, and a configuration error otherwise. Use [`crate::clock::now`]
/// for the time itself.
pub fn now_override() -> Result<Option<i64>> {
    let Some(v) = var(NOW_ENV) else { return Ok(None) };
    if v.trim().is_empty() {
        return Ok(None);
    }
    crate::clock::parse_rfc3339(v.trim()).map(Some).ok_or_else(|| {
        FarmError::config(format!(
            "{NOW_ENV}={v:?} is not an RFC 3339 time like 2026-01-01T10:00:00Z; fix or unset it"
        ))
    })
}

/// Set (`Some`) or clear (`None`) the clock override for this process and return the previous
/// raw value. Only for single-threaded moments ([`crate::clock::with_now`] in `farm demo`).
pub(crate) fn replace_now_override(value: Option<&str>) -> Option<String> {
    let old = std::env::var(NOW_ENV).ok();
    match value {
        Some(v) => std::env::set_var(NOW_ENV, v),
        None => std::env::remove_var(NOW_ENV),
    }
    old
}

/// The whole-request HTTP budget: `FARM_HTTP_TIMEOUT` (positive seconds, at most an hour),
/// else [`DEFAULT_HTTP_TIMEOUT`]. An invalid value is refused by [`check`] when the command
/// starts; library callers that skipped it get the default.
pub fn http_timeout() -> Duration {
    parse_timeout(var(HTTP_TIMEOUT_ENV).as_deref()).unwrap_or(DEFAULT_HTTP_TIMEOUT)
}

/// [`http_timeout`]'s parsing, apart from the environment: a configuration error names the
/// variable and what it takes.
fn parse_timeout(v: Option<&str>) -> Result<Duration> {
    let Some(v) = v else { return Ok(DEFAULT_HTTP_TIMEOUT) };
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| {
            FarmError::config(format!(
                "{HTTP_TIMEOUT_ENV}={v:?} is not a number of seconds between 0 and 3600 (e.g. 30 or 0.5); fix or unset it"
            ))
        })
}

/// Check the variables whose values farm parses (`FARM_HTTP_TIMEOUT`, `FARM_NOW`), so that a
/// mistyped one is a configuration error when any command starts, never silently ignored.
pub fn check() -> Result<()> {
    parse_timeout(var(HTTP_TIMEOUT_ENV).as_deref())?;
    now_override()?;
    Ok(())
}

/// `FARM_INFLUX_TOKEN`, the token `farm metrics --push` sends to InfluxDB, if set.
pub fn influx_token() -> Option<String> {
    var(INFLUX_TOKEN_ENV)
}

/// Credentials given through the environment (any may be missing).
#[derive(Default)]
pub struct EnvCreds {
    /// `FARM_CONSUMER_KEY`.
    pub consumer_key: Option<String>,
    /// `FARM_CONSUMER_SECRET`.
    pub consumer_secret: Option<String>,
    /// `FARM_ACCESS_TOKEN`.
    pub access_token: Option<String>,
    /// `FARM_ACCESS_SECRET`.
    pub access_secret: Option<String>,
    /// `FARM_BLUESKY_HANDLE`: a Bluesky account's handle or DID.
    pub bluesky_handle: Option<String>,
    /// `FARM_BLUESKY_APP_PASSWORD`: its app password.
    pub bluesky_app_password: Option<String>,
}

/// Read the credential variables.
pub fn env_creds() -> EnvCreds {
    EnvCreds {
        consumer_key: var("FARM_CONSUMER_KEY"),
        consumer_secret: var("FARM_CONSUMER_SECRET"),
        access_token: var("FARM_ACCESS_TOKEN"),
        access_secret: var("FARM_ACCESS_SECRET"),
        bluesky_handle: var("FARM_BLUESKY_HANDLE"),
        bluesky_app_password: var("FARM_BLUESKY_APP_PASSWORD"),
    }
}

/// A named point where a debug build aborts on the spot, like `kill -9`, when `FARM_CRASH_AT`
/// names it (`NAME`, or `NAME#N` for the N-th time the process passes it): tests use it to
/// check what a crash exactly there leaves behind. Release builds compile it to nothing.
pub fn crash_point(name: &str) {
    #[cfg(debug_assertions)]
    if let Some(at) = var(CRASH_AT_ENV) {
        use std::sync::atomic::{AtomicU32, Ordering};
        static PASSED: AtomicU32 = AtomicU32::new(0);
        let (point, nth) = match at.split_once('#') {
            Some((p, n)) => (p.to_string(), n.parse().unwrap_or(1)),
            None => (at, 1),
        };
        if point == name && PASSED.fetch_add(1, Ordering::SeqCst) + 1 == nth {
            std::process::abort();
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = name;
}

/// The variables that carry secrets: never handed on to an `exec:` command (it gets the text on
/// stdin and the `FARM_POST_*` facts, not the farm's keys).
pub const SECRET_VARIABLES: &[&str] = &[
    "FARM_CONSUMER_KEY",
    "FARM_CONSUMER_SECRET",
    "FARM_ACCESS_TOKEN",
    "FARM_ACCESS_SECRET",
    "FARM_BLUESKY_APP_PASSWORD",
    INFLUX_TOKEN_ENV,
];

/// The variables a user may set, with their meaning (the man page's ENVIRONMENT; testing aids
/// are left out).
pub const VARIABLES: &[(&str, &str)] = &[
    (DB_ENV, "the data directory (else $XDG_DATA_HOME/farm, else ~/.local/share/farm); --db DIR wins"),
    ("FARM_CONSUMER_KEY, FARM_CONSUMER_SECRET", "X app keys for create, edit --credentials, app set x, auth"),
    ("FARM_ACCESS_TOKEN, FARM_ACCESS_SECRET", "X user tokens; for Mastodon the token alone"),
    (
        "FARM_BLUESKY_HANDLE, FARM_BLUESKY_APP_PASSWORD",
        "a Bluesky account's handle (or DID) and app password",
    ),
    (HTTP_TIMEOUT_ENV, "seconds before an API request gives up (default 30)"),
    (INFLUX_TOKEN_ENV, "the token `farm metrics --push` sends to InfluxDB 2.x"),
    ("COLUMNS", "the width tables fit (else the terminal's, else 80)"),
    ("NO_COLOR", "set and non-empty: no colour"),
    ("TERM", "dumb: no colour"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_or_are_refused() {
        // The variable itself is not touched (tests run in parallel).
        assert_eq!(parse_timeout(None).unwrap(), DEFAULT_HTTP_TIMEOUT);
        assert_eq!(parse_timeout(Some("0.5")).unwrap(), Duration::from_millis(500));
        assert_eq!(parse_timeout(Some(" 2 ")).unwrap(), Duration::from_secs(2));
        for bad in ["0", "-1", "inf", "NaN", "soon", "3601", "abc"] {
            let e = parse_timeout(Some(bad)).unwrap_err();
            assert_eq!(e.kind, crate::error::Kind::Config, "{bad}");
            assert!(e.message.contains(HTTP_TIMEOUT_ENV) && !e.message.contains('\n'), "{}", e.message);
        }
    }

    #[test]
    fn a_dumb_terminal_gets_no_colour() {
        assert!(colour_allowed(None, Some("xterm-256color")));
        assert!(colour_allowed(None, None));
        assert!(colour_allowed(Some(""), Some("xterm")));
        assert!(!colour_allowed(Some("1"), Some("xterm")));
        assert!(!colour_allowed(None, Some("dumb")));
    }
}
