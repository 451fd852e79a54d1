//! The one clock of farm.
//!
//! All code asks [`now`] for the time, once per command or run, and passes that `now` down
//! (the bots, the store, the network clients' rate-limit arithmetic): nothing else reads the
//! system clock. The environment variable `FARM_NOW` (RFC 3339, e.g. `2026-01-01T10:00:00Z`,
//! read by [`crate::config`]) overrides it: a testing aid that lets tests and `farm demo` step
//! through days of cron runs in seconds. (OAuth 1.0a signatures carry the real time, as the
//! protocol requires; the fake API in [`crate::sim`] keeps its own clock, like a real server.)

use crate::error::{FarmError, Result};
use chrono::{DateTime, Utc};

/// The name of the override variable.
pub const ENV: &str = crate::config::NOW_ENV;

/// Seconds since the Unix epoch, from `FARM_NOW` when set, else the system clock.
pub fn now() -> Result<i64> {
    Ok(crate::config::now_override()?.unwrap_or_else(|| Utc::now().timestamp()))
}

/// Run `f` with the program clock set to `at` (restored afterwards). It changes the process
/// environment, so only call it while no other thread reads the clock (`farm demo`).
pub fn with_now<T>(at: i64, f: impl FnOnce() -> T) -> T {
    let old = crate::config::replace_now_override(Some(&format(at)));
    let out = f();
    crate::config::replace_now_override(old.as_deref());
    out
}

/// Parse an RFC 3339 time into Unix seconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp())
}

/// Format Unix seconds as RFC 3339 in UTC (`2026-01-01T10:00:00Z`).
pub fn format(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| ts.to_string())
}

/// Format Unix seconds for people: `2026-01-01 10:00 UTC`, the one format of every time in
/// farm's text output (tables, `show`, `log`), always in UTC and saying so; JSON has
/// [`format`]'s RFC 3339.
pub fn short(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| ts.to_string())
}

/// Parse a human duration: `90s`, `10m`, `1h`, `1d`, `2w`, or combinations like `1h30m`.
pub fn parse_duration(s: &str) -> Result<u64> {
    let bad =
        || FarmError::usage(format!("{s:?} is not a duration; use a number with a unit, like 10m, 1h or 1d"));
    let s = s.trim();
    if s.is_empty() || s.len() > 32 {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = num.parse().map_err(|_| bad())?;
        num.clear();
        total = n.checked_mul(unit).and_then(|v| total.checked_add(v)).ok_or_else(bad)?;
    }
    if !num.is_empty() {
        return Err(bad());
    }
    if total == 0 {
        return Err(FarmError::usage(format!("{s:?} is zero; an interval must be at least 1s")));
    }
    if total > 366 * 86_400 {
        return Err(FarmError::usage(format!("{s:?} is longer than a year; pick a shorter interval")));
    }
    Ok(total)
}

/// Format seconds as the shortest human duration (`1h`, `1h30m`, `45s`).
pub fn format_duration(mut secs: u64) -> String {
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, name) in [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")] {
        if secs >= unit {
            out.push_str(&format!("{}{}", secs / unit, name));
            secs %= unit;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_trip() {
        assert_eq!(parse_duration("10m").unwrap(), 600);
        assert_eq!(parse_duration("1h30m").unwrap(), 5400);
        assert_eq!(parse_duration("1d").unwrap(), 86_400);
        assert_eq!(format_duration(5400), "1h30m");
        assert!(parse_duration("").is_err());
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("0m").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
        assert!(parse_duration("10x").is_err());
    }

    #[test]
    fn rfc3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:01:00Z"), Some(60));
        assert_eq!(format(60), "1970-01-01T00:01:00Z");
        assert_eq!(short(1_767_261_600), "2026-01-01 10:00 UTC");
    }
}
