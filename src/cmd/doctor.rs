//! `farm doctor`: check the data directory, the credentials, the clock and the scheduler, and
//! print what to fix. Exits 78 when something needs fixing.

use super::{now, Globals};
use crate::bot::record;
use crate::error::{FarmError, Kind, Result};
use crate::store::PostsIn;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

struct Report {
    problems: usize,
}

impl Report {
    fn ok(&self, what: &str) -> Result<()> {
        crate::outln!("ok    {what}")
    }
    fn warn(&mut self, what: &str, fix: &str) -> Result<()> {
        self.problems += 1;
        crate::outln!("FIX   {what}\n      → {fix}")
    }
    fn note(&self, what: &str) -> Result<()> {
        crate::outln!("note  {what}")
    }
}

/// Free bytes on the filesystem holding `dir` (via `df`, which every system has).
fn free_bytes(dir: &Path) -> Option<u64> {
    let out = std::process::Command::new("df").arg("-Pk").arg(dir).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().nth(1)?;
    line.split_whitespace().nth(3)?.parse::<u64>().ok().map(|k| k * 1024)
}

fn command_output(cmd: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(cmd).args(args).stderr(std::process::Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether a cron entry or a systemd timer runs `farm run`.
fn scheduler() -> Option<String> {
    for f in ["/etc/cron.d/farm", "/etc/crontab"] {
        if std::fs::read_to_string(f).map(|s| s.contains("farm run")).unwrap_or(false) {
            return Some(format!("cron ({f})"));
        }
    }
    if command_output("crontab", &["-l"])
        .is_some_and(|s| s.lines().any(|l| !l.trim_start().starts_with('#') && l.contains("farm run")))
    {
        return Some("cron (user crontab)".into());
    }
    if command_output("systemctl", &["is-enabled", "farm.timer"]).is_some_and(|s| s.trim() == "enabled") {
        return Some("systemd (farm.timer)".into());
    }
    None
}

/// Run the checks.
pub fn run(g: &Globals, offline: bool) -> Result<()> {
    let mut r = Report { problems: 0 };
    let dir = &g.dir;
    crate::outln!("data directory: {}", dir.display())?;
    if !crate::store::exists(dir)? {
        r.warn("there is no farm here yet", "create a bot: farm create reader NAME --platform x|mastodon")?;
        return finish(r);
    }
    let meta = std::fs::metadata(dir)?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        r.warn(
            &format!("the data directory is readable by others (mode {mode:o}); it holds credentials"),
            &format!("chmod 700 {}", dir.display()),
        )?;
    } else {
        r.ok(&format!("permissions {mode:o}, owner uid {}", meta.uid()))?;
    }
    match free_bytes(dir) {
        Some(b) if b < 64 << 20 => r.warn(
            &format!("only {} MB free on the data directory's disk", b >> 20),
            "free some space: a full disk makes runs fail",
        )?,
        Some(b) => r.ok(&format!("{} MB free", b >> 20))?,
        None => r.note("could not tell the free disk space (df failed)")?,
    }
    // Every database, the posts shards too: the commands that never read posts (list, stats)
    // would not notice a damaged shard.
    let store = match crate::store::Store::open(dir).and_then(|mut s| s.open_every_shard().map(|()| s)) {
        Ok(s) => s,
        Err(e) if e.kind == Kind::TempFail => {
            r.warn(
                "another farm process is using the data directory right now",
                "run farm doctor again in a minute",
            )?;
            return finish(r);
        }
        Err(e) => {
            r.warn(
                &format!("the database does not open: {e}"),
                "restore a backup with `farm import --replace FILE`",
            )?;
            return finish(r);
        }
    };
    r.ok(&format!(
        "database opens, schema {}, {} MB on disk, lock free",
        crate::store::SCHEMA,
        store.size_on_disk() >> 20
    ))?;
    let kept = match store.posts_in() {
        PostsIn::Control => "in the control database",
        PostsIn::Shards => "in the posts shards",
    };
    r.ok(&format!("{} cached posts, kept {kept}", store.total_cached()?))?;
    if crate::config::now_overridden() {
        r.warn("FARM_NOW is set: the clock is overridden", "unset FARM_NOW (it is a testing aid)")?;
    }
    let now = now()?;
    match command_output("timedatectl", &["show", "-p", "NTPSynchronized", "--value"]) {
        Some(s) if s.trim() == "yes" => r.ok("the system clock is synchronised (NTP)")?,
        Some(_) => r.warn("the system clock is not synchronised", "enable NTP (timedatectl set-ntp true): X refuses OAuth requests with a skewed clock")?,
        None => r.note("could not tell whether the clock is synchronised (no timedatectl); X refuses OAuth requests more than a few minutes off")?,
    }
    match scheduler() {
        Some(s) => r.ok(&format!("farm run is scheduled by {s}"))?,
        None => r.warn(
            "no cron entry or systemd timer runs `farm run`",
            "install packaging/cron/farm into /etc/cron.d/ or enable packaging/systemd/farm.timer",
        )?,
    }
    let bots = store.bots()?;
    if bots.is_empty() {
        r.note("no bots yet")?;
    }
    for b in &bots {
        let st = store.state(&b.name)?;
        if let Some(t) = crate::bot::status::standing_of(&store, b, &st, now)?.ahead {
            r.warn(
                &format!(
                    "{}: {}, stored by an earlier run, is {}",
                    b.name,
                    crate::clock::format(t),
                    crate::bot::schedule::AHEAD_NOTE
                ),
                "set the clock right; the next `farm run` takes such times as now",
            )?;
        }
        let needs_secret = b.platform.uses_oauth1() && b.creds.access_secret.is_empty();
        // A Bluesky bot with an app password logs in on its first call.
        let can_log_in =
            b.platform == crate::net::PlatformKind::Bluesky && !b.creds.consumer_secret.is_empty();
        if b.role != crate::bot::Role::Analyzer
            && (b.creds.access_token.is_empty() || needs_secret)
            && !can_log_in
        {
            r.warn(&format!("{} has no user tokens", b.name), &format!("farm auth {}", b.name))?;
            continue;
        }
        if let Some(e) = &st.last_error {
            r.note(&format!("{}: last error: {e}", b.name))?;
        }
        if offline || b.role == crate::bot::Role::Analyzer {
            continue;
        }
        // A Bluesky bot makes its session first; a refusal there is a warning about this bot.
        let ep = match crate::bot::endpoint(&store, b, &st) {
            Ok(ep) => ep,
            Err(e) => {
                r.warn(&e.message, &format!("farm auth {}", b.name))?;
                continue;
            }
        };
        let mut client = crate::net::connect(ep, now);
        let calls = crate::bot::model::Counters { calls: 1, ..Default::default() };
        match client.verify() {
            Ok(a) => {
                record::call(&store, &b.name, &a.rates, now, calls, None)?;
                r.ok(&format!("{}: credentials work (@{})", b.name, a.value.username))?
            }
            Err(e) => {
                record::tally(&store, &b.name, now, calls, None)?;
                r.warn(
                    &format!("{}: {}", b.name, e.message),
                    &format!("farm auth {} (or check the app keys)", b.name),
                )?
            }
        }
    }
    store.flush()?;
    finish(r)
}

fn finish(r: Report) -> Result<()> {
    if r.problems == 0 {
        crate::outln!("all good")?;
        Ok(())
    } else {
        crate::outln!("{} thing(s) to fix", r.problems)?;
        Err(FarmError::new(Kind::Config, ""))
    }
}
