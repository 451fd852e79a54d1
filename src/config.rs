//! Configuration from the environment, read in one place.
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
//! | `FARM_CRASH_AT` | tests only, debug builds only: abort (like `kill -9`) at this named point |

use crate::error::{FarmError, Result};
use std::path::PathBuf;

/// The data directory: `--db`, else `FARM_DB`, else the XDG data dir.
pub fn data_dir(flag: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(d) = flag {
        return Ok(d);
    }
    if let Some(d) = var("FARM_DB") {
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

/// A non-empty environment variable.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `COLUMNS`, when it is a sensible width (20 or more); else `None`.
pub fn columns() -> Option<usize> {
    var("COLUMNS").and_then(|v| v.trim().parse::<usize>().ok()).filter(|w| *w >= 20)
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
}

/// Read the credential variables.
pub fn env_creds() -> EnvCreds {
    EnvCreds {
        consumer_key: var("FARM_CONSUMER_KEY"),
        consumer_secret: var("FARM_CONSUMER_SECRET"),
        access_token: var("FARM_ACCESS_TOKEN"),
        access_secret: var("FARM_ACCESS_SECRET"),
    }
}

/// A named point where a debug build aborts on the spot, like `kill -9`, when `FARM_CRASH_AT`
/// names it: tests use it to check what a crash exactly there leaves behind. Release builds
/// compile it to nothing.
pub fn crash_point(name: &str) {
    #[cfg(debug_assertions)]
    if var("FARM_CRASH_AT").as_deref() == Some(name) {
        std::process::abort();
    }
    #[cfg(not(debug_assertions))]
    let _ = name;
}
