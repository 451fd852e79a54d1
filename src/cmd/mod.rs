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
pub mod import_corpus;
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

use crate::bot::registry::{AnalyzerSettings, Settings};
use crate::cli::{AnalyzerOpts, Cli, Command, NetOpts, ReaderOpts, WaitArg, WriterOpts};
use crate::error::{FarmError, Kind, Result};
use crate::net::{Account, Credentials, Endpoint, NetResult, PlatformKind};
use crate::store::Store;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

/// Global options every command gets.
pub struct Globals {
    /// The data directory.
    pub dir: PathBuf,
    /// `-v` of the commands that have it (`run`, `metrics`).
    pub verbose: bool,
}

/// How long a command waits for the data directory's lock when its `--wait` does not say: a run
/// in progress lets go within seconds.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// How long this process waits for the data directory's lock: set once by [`dispatch`], from the
/// command's `--wait` (the read-only and maintenance commands have it), else [`DEFAULT_WAIT`].
/// One value for the whole process, so the open helpers below need only the directory.
static LOCK_WAIT: OnceLock<Duration> = OnceLock::new();

fn lock_wait() -> Duration {
    LOCK_WAIT.get().copied().unwrap_or(DEFAULT_WAIT)
}

/// Parse a `--wait` value: a duration like `30s` or `2m`, plain seconds, or `0` (do not wait).
pub fn parse_wait(s: &str) -> Result<Duration> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    if s.trim_start_matches('0') == "s" {
        return Ok(Duration::ZERO);
    }
    crate::clock::parse_duration(s).map(Duration::from_secs).map_err(|e| e.context("--wait"))
}

/// The `--wait` of the commands that have one.
fn wait_arg(c: &Command) -> Option<&WaitArg> {
    match c {
        Command::List { wait, .. }
        | Command::Show { wait, .. }
        | Command::Log { wait, .. }
        | Command::Stats { wait, .. }
        | Command::Best { wait, .. }
        | Command::Compact { wait, .. } => Some(wait),
        Command::Export(a) => Some(&a.wait),
        Command::Metrics(a) => Some(&a.wait),
        _ => None,
    }
}

/// Run the parsed command line.
pub fn dispatch(cli: Cli) -> Result<()> {
    // Commands that need no data directory.
    match &cli.command {
        Command::Completions { shell } => return completions::run(*shell),
        Command::Man => return man::run(),
        _ => {}
    }
    crate::config::check()?;
    let verbose = match &cli.command {
        Command::Run(a) => a.verbose,
        Command::Metrics(a) => a.verbose,
        _ => false,
    };
    let wait = match wait_arg(&cli.command) {
        Some(w) => parse_wait(&w.wait)?,
        None => DEFAULT_WAIT,
    };
    let _ = LOCK_WAIT.set(wait);
    let g = Globals { dir: crate::config::data_dir(cli.db)?, verbose };
    // `farm doctor` reports a farm of another user itself; `farm demo` uses a farm of its own.
    if !matches!(cli.command, Command::Doctor { .. } | Command::Demo { .. }) {
        refuse_other_user(&g.dir)?;
    }
    match cli.command {
        Command::Create(c) => create::run(&g, c),
        Command::List { json, names, .. } => list::run(&g, json, names),
        Command::Show { name, json, .. } => show::run(&g, &name, json),
        Command::Edit(a) => edit::run(&g, *a),
        Command::Pause { name } => pause::run(&g, &name, true),
        Command::Resume { name } => pause::run(&g, &name, false),
        Command::Destroy { name, yes, force } => destroy::run(&g, &name, yes, force),
        Command::App(c) => app::run(&g, c),
        Command::Run(a) => run::run(&g, a),
        Command::Post { name, warning, lang, text } => {
            post::run(&g, &name, &text.join(" "), warning.as_deref(), lang.as_deref())
        }
        Command::Preview { name, n } => preview::run(&g, &name, n),
        Command::Log { name, n, json, .. } => log::run(&g, name.as_deref(), n, json),
        Command::Stats { name, json, .. } => stats::run(&g, name.as_deref(), json),
        Command::Auth { name, mark_bot } => auth::run(&g, &name, mark_bot),
        Command::Check { names, json } => check::run(&g, &names, json),
        Command::Demo { keep, hours } => demo::run(&g, keep, hours),
        Command::Doctor { offline, json } => doctor::run(&g, offline, json),
        Command::Completions { .. } | Command::Man => Ok(()),
        Command::Export(a) => export::run(&g, a),
        Command::Import(a) => import::run(&g, a),
        Command::ImportCorpus(a) => import_corpus::run(&g, a),
        Command::Compact { quiet, .. } => compact::run(&g, quiet),
        Command::Metrics(a) => metrics::run(&g, a),
        Command::Best { name, n, json, .. } => best::run(&g, &name, n, json),
        Command::Prune { name, older_than, dry_run, yes } => prune::run(&g, &name, &older_than, dry_run, yes),
    }
}

/// Refuse a data directory that belongs to another user (root's `sudo farm …` included) before
/// anything in it is opened: whatever farm wrote there would belong to this user, and the owner's
/// cron runs would fail on it. The hint is the same command run as the owner.
fn refuse_other_user(dir: &Path) -> Result<()> {
    match crate::store::foreign_owner(dir) {
        Some((path, uid)) => Err(FarmError::new(Kind::Auth, other_user(&path, uid, dir))),
        None => Ok(()),
    }
}

/// The one line for a data directory (or the folder `path` it would be created in) that user
/// `uid` owns: whose it is, and this very command as that user.
fn other_user(path: &Path, uid: u32, dir: &Path) -> String {
    let owner = user_name(uid);
    format!(
        "{} belongs to user {owner}, and farm run by anyone else would leave files {owner} cannot use; \
         run it as {owner}: {}",
        path.display(),
        as_owner(dir, uid)
    )
}

/// The login name of user `uid` (`#UID` when it has none).
pub fn user_name(uid: u32) -> String {
    crate::store::user_by_uid(uid).map_or(format!("#{uid}"), |u| u.name)
}

/// This command line, run as user `uid` (the owner of the data directory `dir`) through sudo.
pub fn as_owner(dir: &Path, uid: u32) -> String {
    format!("sudo -u {} {}", shell_word(&user_name(uid)), as_typed(dir))
}

/// This command line as typed, with the data directory given by `--db` (sudo does not pass
/// FARM_DB on), for hints that say "run this instead".
fn as_typed(dir: &Path) -> String {
    let mut words = vec!["farm".to_string(), "--db".to_string(), shell_word(&dir.to_string_lossy())];
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--db" {
            args.next();
        } else if !a.starts_with("--db=") {
            words.push(shell_word(&a));
        }
    }
    words.join(" ")
}

/// `word` quoted for a POSIX shell when it needs it.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Open the store for a command that changes the farm (creates the data dir if needed).
pub fn open(dir: &Path) -> Result<Store> {
    open_with_cache(dir, crate::store::CACHE_BYTES)
}

/// [`open`] with another page-cache size. Waits for a running `farm run` as long as the
/// command's `--wait` allows (30 seconds without one), saying so on a terminal; works again
/// right after the same process closed the store (commands that let go of the farm while they
/// wait for a person or the network).
pub fn open_with_cache(dir: &Path, cache: u64) -> Result<Store> {
    let open = |wait| crate::store::retry_locked(|| Store::open_waiting(dir, cache, wait));
    match open(Duration::ZERO) {
        Err(e) if e.kind == Kind::TempFail && !lock_wait().is_zero() => {
            if std::io::stderr().is_terminal() {
                eprintln!(
                    "farm: another farm process is using {}; waiting up to {} for it…",
                    dir.display(),
                    crate::clock::format_duration(lock_wait().as_secs())
                );
            }
            open(lock_wait())
        }
        r => r,
    }
}

/// Open the store for a read-only command: `None` when there is no farm yet (nothing is
/// created on disk by looking).
pub fn open_existing(dir: &Path) -> Result<Option<Store>> {
    if !crate::store::exists(dir)? {
        return Ok(None);
    }
    open(dir).map(Some)
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
        lang: w.lang.clone(),
        long: w.long.clone(),
        warning: w.warning.clone(),
        sensitive: w.sensitive,
        label: w.label.clone(),
        warnings: w.warnings.clone(),
        reply: crate::bot::reply::ReplySettings {
            mode: w.reply.reply.clone(),
            thread_max: w.reply.reply_thread_max,
            per_hour: w.reply.reply_per_hour,
            horizon: w.reply.reply_horizon.clone(),
            allow_bots: w.reply.reply_allow_bots.clone(),
        },
        cap: r.cap,
        keep_age: r.keep_age.clone(),
        keep_max: r.keep_max,
        slots: crate::bot::slots::SlotOpts {
            at: w.at.clone(),
            tz: w.tz.clone(),
            days: w.days.clone(),
            jitter: w.jitter.clone(),
            missed: w.missed.clone(),
        },
        follow: r.follow.clone(),
        unfollow: Vec::new(),
        home: r.home.then_some(true),
        reposts: r.reposts.then_some(true),
        plc: r.plc.clone(),
    }
}

/// Turn the clap analyzer options into registry settings.
pub fn analyzer_settings(a: &AnalyzerOpts) -> AnalyzerSettings {
    AnalyzerSettings {
        min_age: a.min_age.clone(),
        repost_weight: a.repost_weight,
        boring_below: a.boring_below,
        hot_above: a.hot_above,
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

/// Ask a yes/no question on stderr, yes by default; `None` when stdin gave no line at all (a
/// pipe that ended), so the caller can say what was not done.
pub fn ask_yes(question: &str) -> Result<Option<bool>> {
    eprint!("{question} [Y/n]: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let stdin = std::io::stdin();
    let n =
        stdin.lock().read_line(&mut line).map_err(|e| FarmError::io(format!("cannot read stdin: {e}")))?;
    if !stdin.is_terminal() {
        eprintln!();
    }
    if n == 0 {
        return Ok(None);
    }
    Ok(Some(!matches!(line.trim().to_lowercase().as_str(), "n" | "no")))
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

/// Credentials for the bot `name` from the environment or a prompt: call it with the farm
/// closed (a prompt waits for a person). X app keys may be left empty when shared ones are
/// stored (`shared_keys`, see `farm app set x`). `user_tokens` = read the user tokens (and fail
/// when they are missing); without it (`--auth-later`) they are neither read nor asked for.
pub fn read_credentials(
    shared_keys: bool,
    name: &str,
    platform: PlatformKind,
    user_tokens: bool,
) -> Result<Credentials> {
    let env = crate::config::env_creds();
    let mut c = Credentials::default();
    if matches!(platform, PlatformKind::Feed | PlatformKind::Corpus) {
        // A feed is read without credentials; a corpus calls no network.
        return Ok(c);
    }
    let missing = |what: &str| {
        FarmError::config(format!(
            "missing credentials: set {what} in the environment (never on the command line), or pass --auth-later and run `farm auth {name}`"
        ))
    };
    if platform.uses_oauth1() {
        match (env.consumer_key, env.consumer_secret) {
            (Some(k), Some(s)) => {
                c.consumer_key = k;
                c.consumer_secret = s;
            }
            _ if shared_keys => {}
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

/// Verify each account's credentials with one call (`(bot, endpoint)` pairs), up to 8 at once,
/// in the order given. Called with the store closed: a slow or dead server never holds up
/// `farm run`. On a terminal, stderr says how many are done.
pub fn verify_all(items: Vec<(String, Endpoint)>, now: i64) -> Vec<NetResult<Account>> {
    let total = items.len();
    let done = AtomicUsize::new(0);
    let tty = total > 1 && std::io::stderr().is_terminal();
    let results = crate::bot::run::parallel(items, 8, |(name, ep)| {
        let r = crate::net::connect(ep.clone(), now).verify();
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        if tty {
            eprint!("\rchecked {n}/{total} ({name})\x1b[K");
        }
        r
    });
    if tty {
        eprint!("\r\x1b[K");
    }
    results
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

/// Let `settle` move a farm's posts (after a run or an import, [`Store::settle_posts`]; before
/// an import, [`Store::make_room`]): a farm that outgrew its control database moves them to the
/// shards, saying so once on stderr.
pub fn settle_layout(store: &mut Store, settle: impl FnOnce(&mut Store) -> Result<()>) -> Result<()> {
    let before = store.posts_in();
    settle(store)?;
    if store.posts_in() != before {
        eprintln!(
            "farm: the farm caches more than {} posts: moved them from the control database to \
             the posts shards; `farm compact` gives the space they took back",
            crate::store::INLINE_MAX
        );
    }
    Ok(())
}

/// Finish a command that changed the farm: flush, then refresh the next-due record.
pub fn finish(store: &Store) -> Result<()> {
    crate::bot::refresh_next_due(store, now()?)
}
