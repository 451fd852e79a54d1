//! One file per subcommand: read the arguments, call the domain, print. Shared helpers for
//! opening the store, reading credentials and printing live here.

pub mod app;
pub mod auth;
pub mod best;
pub mod check;
pub mod compact;
pub mod completions;
pub mod create;
pub mod demo;
pub mod destroy;
pub mod doctor;
pub mod edit;
pub mod export;
pub mod import;
pub mod list;
pub mod log;
pub mod man;
pub mod metrics;
pub mod pause;
pub mod post;
pub mod preview;
pub mod prune;
pub mod run;
pub mod show;
pub mod stats;

use crate::bot::registry::Settings;
use crate::cli::{Cli, Command, NetOpts, ReaderOpts, WriterOpts};
use crate::error::{FarmError, Result};
use crate::net::{Credentials, PlatformKind};
use crate::store::Store;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Global options every command gets.
pub struct Globals {
    /// The data directory.
    pub dir: PathBuf,
    /// `-v` of the commands that have it (`run`, `metrics`).
    pub verbose: bool,
}

/// Run the parsed command line.
pub fn dispatch(cli: Cli) -> Result<()> {
    // Commands that need no data directory.
    match &cli.command {
        Command::Completions { shell } => return completions::run(*shell),
        Command::Man => return man::run(),
        _ => {}
    }
    let verbose = match &cli.command {
        Command::Run(a) => a.verbose,
        Command::Metrics(a) => a.verbose,
        _ => false,
    };
    let g = Globals { dir: crate::config::data_dir(cli.db)?, verbose };
    match cli.command {
        Command::Create(c) => create::run(&g, c),
        Command::List { json, names } => list::run(&g, json, names),
        Command::Show { name, json } => show::run(&g, &name, json),
        Command::Edit(a) => edit::run(&g, a),
        Command::Pause { name } => pause::run(&g, &name, true),
        Command::Resume { name } => pause::run(&g, &name, false),
        Command::Destroy { name, yes, force } => destroy::run(&g, &name, yes, force),
        Command::App(c) => app::run(&g, c),
        Command::Run(a) => run::run(&g, a),
        Command::Post { name, text } => post::run(&g, &name, &text.join(" ")),
        Command::Preview { name, n } => preview::run(&g, &name, n),
        Command::Log { name, n } => log::run(&g, name.as_deref(), n),
        Command::Stats { name, json } => stats::run(&g, name.as_deref(), json),
        Command::Auth { name } => auth::run(&g, &name),
        Command::Check { names } => check::run(&g, &names),
        Command::Demo { keep, hours } => demo::run(&g, keep, hours),
        Command::Doctor { offline } => doctor::run(&g, offline),
        Command::Completions { .. } | Command::Man => Ok(()),
        Command::Export(a) => export::run(&g, a),
        Command::Import(a) => import::run(&g, a),
        Command::Compact { quiet } => compact::run(&g, quiet),
        Command::Metrics(a) => metrics::run(&g, a),
        Command::Best { name, n } => best::run(&g, &name, n),
        Command::Prune { name, older_than, dry_run } => prune::run(&g, &name, &older_than, dry_run),
    }
}

/// Open the store for a command that changes the farm (creates the data dir if needed).
pub fn open(dir: &Path) -> Result<Store> {
    Store::open(dir)
}

/// Open the store for a read-only command: `None` when there is no farm yet (nothing is
/// created on disk by looking).
pub fn open_existing(dir: &Path) -> Result<Option<Store>> {
    if !crate::store::exists(dir)? {
        return Ok(None);
    }
    Store::open(dir).map(Some)
}

/// Open an existing farm or fail with a hint.
pub fn open_required(dir: &Path) -> Result<Store> {
    open_existing(dir)?.ok_or_else(|| {
        FarmError::usage(format!(
            "there is no farm in {}; create a bot first (`farm create reader …`)",
            dir.display()
        ))
    })
}

/// The current time: [`crate::clock::now`], the one clock (re-exported for the commands).
pub use crate::clock::now;

/// Turn the clap option groups into registry settings (a reader has no writer options and the
/// other way round: pass the defaults for the group a command does not have).
pub fn settings(n: &NetOpts, r: &ReaderOpts, w: &WriterOpts) -> Settings {
    Settings {
        platform: n.platform.clone(),
        api: n.api.clone(),
        every: n.every.clone(),
        source: w.source.clone(),
        template: w.template.clone(),
        process: w.process.clone(),
        filters: w.filter.clone(),
        visibility: w.visibility.clone(),
        cap: r.cap,
        keep_age: r.keep_age.clone(),
        keep_max: r.keep_max,
    }
}

/// Read a secret from the terminal with echo off. Fails when stdin is not a terminal.
pub fn prompt_secret(label: &str) -> Result<Option<String>> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Ok(None);
    }
    eprint!("{label}: ");
    let _ = std::io::stderr().flush();
    let stty = |arg: &str| {
        std::process::Command::new("stty").arg(arg).stdin(std::process::Stdio::inherit()).status()
    };
    let _ = stty("-echo");
    let mut line = String::new();
    let r = stdin.lock().read_line(&mut line);
    let _ = stty("echo");
    eprintln!();
    r.map_err(|e| FarmError::io(format!("cannot read from the terminal: {e}")))?;
    let v = line.trim().to_string();
    Ok(if v.is_empty() { None } else { Some(v) })
}

/// Read one visible line from stdin (PINs, codes); works with a pipe too.
pub fn prompt_line(label: &str) -> Result<String> {
    eprint!("{label}: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let stdin = std::io::stdin();
    stdin.lock().read_line(&mut line).map_err(|e| FarmError::io(format!("cannot read stdin: {e}")))?;
    if !stdin.is_terminal() {
        // The answer came from a pipe and was not echoed: end the prompt's line.
        eprintln!();
    }
    let v = line.trim().to_string();
    if v.is_empty() {
        return Err(FarmError::usage(format!("no {label} given on stdin")));
    }
    Ok(v)
}

fn env_or_prompt(value: Option<String>, var: &str, label: &str) -> Result<Option<String>> {
    match value {
        Some(v) => Ok(Some(v)),
        None => prompt_secret(&format!("{label} ({var})")),
    }
}

/// Credentials for a bot from the environment or a prompt. X app keys may be left empty when
/// shared ones are stored (`farm app set x`). `user_tokens` = read the user tokens (and fail
/// when they are missing); without it (`--auth-later`) they are neither read nor asked for.
pub fn read_credentials(store: &Store, platform: PlatformKind, user_tokens: bool) -> Result<Credentials> {
    let env = crate::config::env_creds();
    let mut c = Credentials::default();
    let missing = |what: &str| {
        FarmError::config(format!(
            "missing credentials: set {what} in the environment (never on the command line), or pass --auth-later and run `farm auth NAME`"
        ))
    };
    if platform.uses_oauth1() {
        let app = store.app_keys("x")?;
        match (env.consumer_key, env.consumer_secret) {
            (Some(k), Some(s)) => {
                c.consumer_key = k;
                c.consumer_secret = s;
            }
            _ if app.is_some() => {}
            _ => {
                return Err(FarmError::config(
                    "missing X app keys: set FARM_CONSUMER_KEY and FARM_CONSUMER_SECRET, or store them once with `farm app set x`",
                ))
            }
        }
        if !user_tokens {
            return Ok(c);
        }
        let t = env_or_prompt(env.access_token, "FARM_ACCESS_TOKEN", "access token")?;
        let s = env_or_prompt(env.access_secret, "FARM_ACCESS_SECRET", "access token secret")?;
        match (t, s) {
            (Some(t), Some(s)) => {
                c.access_token = t;
                c.access_secret = s;
            }
            _ => return Err(missing("FARM_ACCESS_TOKEN and FARM_ACCESS_SECRET")),
        }
    } else if platform == PlatformKind::Bluesky {
        if !user_tokens {
            return Ok(c);
        }
        let (id, pw) = bluesky_login(env)?;
        c.consumer_key = id;
        c.consumer_secret = pw;
    } else if user_tokens {
        match env_or_prompt(env.access_token, "FARM_ACCESS_TOKEN", "access token")? {
            Some(t) => c.access_token = t,
            None => return Err(missing("FARM_ACCESS_TOKEN")),
        }
    }
    Ok(c)
}

/// A Bluesky account's identifier and app password, from `FARM_BLUESKY_HANDLE` and
/// `FARM_BLUESKY_APP_PASSWORD` or prompts (the password without echo); never from argv. Only
/// an app password (`xxxx-xxxx-xxxx-xxxx`) is taken, never the account's own password.
pub fn bluesky_login(env: crate::config::EnvCreds) -> Result<(String, String)> {
    let missing = |what: &str| {
        FarmError::config(format!(
            "missing Bluesky credentials: set {what} in the environment (never on the command line), or pass --auth-later and run `farm auth NAME`"
        ))
    };
    let id = match env.bluesky_handle {
        Some(h) => h,
        None => prompt_secret("handle or DID (FARM_BLUESKY_HANDLE)")?
            .ok_or_else(|| missing("FARM_BLUESKY_HANDLE"))?,
    };
    let id = id.trim().trim_start_matches('@').to_string();
    let pw = env_or_prompt(env.bluesky_app_password, "FARM_BLUESKY_APP_PASSWORD", "app password")?
        .ok_or_else(|| missing("FARM_BLUESKY_APP_PASSWORD"))?;
    if !crate::net::bluesky::is_app_password(pw.trim()) {
        return Err(FarmError::usage(
            "FARM_BLUESKY_APP_PASSWORD is not an app password (xxxx-xxxx-xxxx-xxxx): make one in Bluesky's settings, under App passwords; farm never takes the account's own password",
        ));
    }
    Ok((id, pw.trim().to_string()))
}

/// Print a value as pretty JSON.
pub fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    let s = serde_json::to_string_pretty(v)
        .map_err(|e| FarmError::software(format!("cannot print JSON: {e}")))?;
    crate::outln!("{s}")?;
    Ok(())
}

/// Finish a command that changed the farm: flush, then refresh the next-due record.
pub fn finish(store: &Store) -> Result<()> {
    crate::bot::refresh_next_due(store, now()?)
}
