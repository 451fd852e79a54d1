//! `farm doctor [--offline] [--json]`: check the data directory and its owner, the database,
//! the credentials, the clock and the scheduler, and print what to fix. Exits 78 when something
//! needs fixing.
//!
//! The farm is opened twice, briefly: to check the database and read the bots, then to record
//! what the API calls taught. The calls run in between, in parallel, with the farm closed, so a
//! slow server never holds up `farm run`. Run by a user other than the farm's owner, doctor says
//! so and opens nothing.

use super::{now, verify_all, Globals};
use crate::bot::record;
use crate::error::{FarmError, Kind, Result};
use crate::model::{Bot, Counters};
use crate::net::{NetError, NetErrorKind};
use crate::store::PostsIn;
use serde::Serialize;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// One finding.
#[derive(Serialize)]
struct Finding {
    /// `ok`, `fix` or `note`.
    status: &'static str,
    /// What was found.
    what: String,
    /// What to do about it (`fix` only).
    fix: Option<String>,
}

/// The findings so far, printed as they come (or all at once as JSON at the end).
struct Report {
    json: bool,
    findings: Vec<Finding>,
}

impl Report {
    fn add(&mut self, status: &'static str, what: String, fix: Option<String>) -> Result<()> {
        if !self.json {
            match &fix {
                Some(fix) => crate::outln!("FIX   {what}\n      → {fix}")?,
                None if status == "ok" => crate::outln!("ok    {what}")?,
                None => crate::outln!("note  {what}")?,
            }
        }
        self.findings.push(Finding { status, what, fix });
        Ok(())
    }
    fn ok(&mut self, what: impl Into<String>) -> Result<()> {
        self.add("ok", what.into(), None)
    }
    fn warn(&mut self, what: impl Into<String>, fix: impl Into<String>) -> Result<()> {
        self.add("fix", what.into(), Some(fix.into()))
    }
    fn note(&mut self, what: impl Into<String>) -> Result<()> {
        self.add("note", what.into(), None)
    }
    fn problems(&self) -> usize {
        self.findings.iter().filter(|f| f.fix.is_some()).count()
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

/// What doctor learnt from the farm while it had it open.
struct Snapshot {
    size: u64,
    posts_in: PostsIn,
    cached: u64,
    /// Each bot, its last error, how to reach its account, and a time stored more than a day
    /// ahead of the clock, if any.
    bots: Vec<BotCheck>,
}

/// A bot as doctor checks it, read while the farm is open.
struct BotCheck {
    bot: Bot,
    last_error: Option<String>,
    /// How to reach its account (a Bluesky session may fail to be had).
    ep: Result<crate::net::Endpoint>,
    /// A time stored more than a day ahead of the clock, if any.
    ahead: Option<i64>,
    /// No credentials to call with ([`crate::bot::status::needs_auth`], the one rule).
    needs_auth: bool,
    /// A reader of public accounts only: it has no credentials to check.
    public: bool,
}

/// Run the checks.
pub fn run(g: &Globals, offline: bool, json: bool) -> Result<()> {
    let mut r = Report { json, findings: Vec::new() };
    let dir = &g.dir;
    if !json {
        crate::outln!("data directory: {}", dir.display())?;
    }
    checks(&mut r, dir, offline)?;
    let problems = r.problems();
    if json {
        #[derive(Serialize)]
        struct Out<'a> {
            data_dir: String,
            ok: bool,
            problems: usize,
            checks: &'a [Finding],
        }
        let out =
            Out { data_dir: dir.display().to_string(), ok: problems == 0, problems, checks: &r.findings };
        super::print_json(&out)?;
    } else if problems == 0 {
        crate::outln!("all good")?;
    } else {
        crate::outln!("{problems} thing(s) to fix")?;
    }
    if problems == 0 {
        Ok(())
    } else {
        Err(FarmError::new(Kind::Config, ""))
    }
}

fn checks(r: &mut Report, dir: &Path, offline: bool) -> Result<()> {
    // Another user (root through sudo, most often) opens nothing: it would leave files the
    // owner's cron runs cannot use.
    if let Some((path, uid)) = crate::store::foreign_owner(dir) {
        let me = super::user_name(crate::store::effective_uid());
        let owner = super::user_name(uid);
        return r.warn(
            format!("{} belongs to user {owner}, but you are {me}: farm must run as {owner}", path.display()),
            super::as_owner(dir, uid),
        );
    }
    if !crate::store::exists(dir)? {
        return r.warn(
            "there is no farm here yet",
            "create a bot: farm create reader NAME --platform x|mastodon",
        );
    }
    let meta = std::fs::metadata(dir)?;
    let owner = super::user_name(std::os::unix::fs::MetadataExt::uid(&meta));
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        r.warn(
            format!("the data directory is readable by others (mode {mode:o}); it holds credentials"),
            format!("chmod 700 {}", dir.display()),
        )?;
    } else {
        r.ok(format!("permissions {mode:o}, owner {owner}"))?;
    }
    let foreign = crate::store::foreign_files(dir, 1);
    if let Some(f) = foreign.first() {
        r.warn(
            format!(
                "files in the data directory belong to another user than {owner} (such as {}), left by \
                 farm run as someone else: farm run as {owner} cannot use them",
                f.display()
            ),
            format!("as root: chown -R {owner}: {}", dir.display()),
        )?;
    }
    match free_bytes(dir) {
        Some(b) if b < 64 << 20 => r.warn(
            format!("only {} MB free on the data directory's disk", b >> 20),
            "free some space: a full disk makes runs fail",
        )?,
        Some(b) => r.ok(format!("{} MB free", b >> 20))?,
        None => r.note("could not tell the free disk space (df failed)")?,
    }
    let now = now()?;
    let snap = match snapshot(dir, now) {
        Ok(s) => s,
        Err(e) if e.kind == Kind::TempFail => {
            return r.warn(
                format!("another farm process kept the data directory busy: {e}"),
                "run farm doctor again in a minute; if it stays busy, look for a stuck farm process \
                 (fuser -v DIR/lock)"
                    .replace("DIR", &dir.display().to_string()),
            );
        }
        Err(e) => {
            return r.warn(
                format!("the database does not open: {e}"),
                "restore a backup with `farm import --replace FILE`",
            );
        }
    };
    r.ok(format!("database opens, schema {}, {} MB on disk", crate::store::SCHEMA, snap.size >> 20))?;
    let kept = match snap.posts_in {
        PostsIn::Control => "in the control database",
        PostsIn::Shards => "in the posts shards",
    };
    r.ok(format!("{} cached posts, kept {kept}", snap.cached))?;
    if crate::config::now_overridden() {
        r.warn("FARM_NOW is set: the clock is overridden", "unset FARM_NOW (it is a testing aid)")?;
    }
    match command_output("timedatectl", &["show", "-p", "NTPSynchronized", "--value"]) {
        Some(s) if s.trim() == "yes" => r.ok("the system clock is synchronised (NTP)")?,
        Some(_) => r.warn("the system clock is not synchronised", "enable NTP (timedatectl set-ntp true): X refuses OAuth requests with a skewed clock")?,
        None => r.note("could not tell whether the clock is synchronised (no timedatectl); X refuses OAuth requests more than a few minutes off")?,
    }
    scheduler(r, dir, &owner)?;
    bots(r, dir, snap.bots, offline, now)
}

/// Check the database (every posts shard too: the commands that never read posts would not
/// notice a damaged one) and read what the other checks need, then close the farm again.
fn snapshot(dir: &Path, now: i64) -> Result<Snapshot> {
    let mut store = super::open(dir)?;
    store.open_every_shard()?;
    let mut bots = Vec::new();
    for b in store.bots()? {
        let st = store.state(&b.name)?;
        let ep = crate::bot::endpoint(&store, &b, &st);
        let ahead = crate::bot::status::standing_of(&store, &b, &st, now)?.ahead;
        let needs_auth = crate::bot::status::needs_auth(&store, &b)?;
        let public = crate::bot::follow::public_reader(&store, &b)?;
        bots.push(BotCheck { last_error: st.last_error, ep, ahead, needs_auth, public, bot: b });
    }
    Ok(Snapshot {
        size: store.size_on_disk(),
        posts_in: store.posts_in(),
        cached: store.total_cached()?,
        bots,
    })
}

/// The bots: tokens present, and (unless `offline`) accepted by their server. The calls run
/// with the farm closed; what they taught is recorded afterwards.
fn bots(r: &mut Report, dir: &Path, bots: Vec<BotCheck>, offline: bool, now: i64) -> Result<()> {
    if bots.is_empty() {
        r.note("no bots yet")?;
    }
    let mut to_verify = Vec::new();
    let mut verified = Vec::new();
    for BotCheck { bot: b, last_error, ep, ahead, needs_auth, public } in bots {
        if let Some(t) = ahead {
            r.warn(
                format!(
                    "{}: {}, stored by an earlier run, is {}",
                    b.name,
                    crate::clock::format(t),
                    crate::bot::schedule::AHEAD_NOTE
                ),
                "set the clock right; the next `farm run` takes such times as now",
            )?;
        }
        if b.role != crate::bot::Role::Analyzer && needs_auth {
            r.warn(format!("{} has no user tokens", b.name), format!("farm auth {}", b.name))?;
            continue;
        }
        if let Some(e) = &last_error {
            r.note(format!("{}: last error: {e}", b.name))?;
        }
        // An analyzer calls with its writer's account; a corpus reader calls nothing.
        if offline
            || b.role == crate::bot::Role::Analyzer
            || public
            || b.platform == crate::net::PlatformKind::Corpus
        {
            continue;
        }
        // A Bluesky bot makes its session first; a refusal there is a warning about this bot.
        let ep = match ep {
            Ok(ep) => ep,
            Err(e) => {
                r.warn(e.message, format!("farm auth {}", b.name))?;
                continue;
            }
        };
        to_verify.push((b.name.clone(), ep));
        verified.push(b);
    }
    if verified.is_empty() {
        return Ok(());
    }
    let pds_of: Vec<String> = to_verify.iter().map(|(_, ep)| ep.api.clone()).collect();
    let results = verify_all(to_verify, now);
    let marks = bot_marks(&verified, &results, &pds_of, now);
    for ((b, res), mark) in verified.iter().zip(&results).zip(&marks) {
        match res {
            Ok(a) => r.ok(format!("{}: credentials work (@{})", b.name, a.value.username))?,
            Err(e) => r.warn(format!("{}: {}", b.name, e.clone().named(&b.name).message), fix_for(b, e))?,
        }
        if let Some(Ok(false)) = mark {
            let what = if b.platform == crate::net::PlatformKind::Bluesky {
                "its profile lacks the self-label \"bot\""
            } else {
                "it lacks Mastodon's \"automated account\" flag (bot: true)"
            };
            r.warn(
                format!("{}: the account posts as a bot, but {what}", b.name),
                format!("farm auth {} --mark-bot", b.name),
            )?;
        }
    }
    let store = super::open(dir)?;
    for ((b, res), mark) in verified.iter().zip(&results).zip(&marks) {
        if store.bot(&b.name)?.is_none() {
            continue; // destroyed meanwhile
        }
        // A Bluesky profile read for the bot mark is a second call.
        let profile_read = mark.is_some() && b.platform == crate::net::PlatformKind::Bluesky;
        let calls = Counters { calls: 1 + u32::from(profile_read), ..Default::default() };
        match res {
            Ok(a) => record::call(&store, &b.name, &a.rates, now, calls, None)?,
            Err(_) => record::tally(&store, &b.name, now, calls, None)?,
        }
    }
    store.flush()
}

/// Whether each verified writer's account is marked as a bot: Mastodon's answer to the check
/// says (`bot`); a Bluesky profile is read with one more call (`getRecord`, no login). `None`
/// for readers, X (no API for its "automated" label) and failed checks; an error reading the
/// profile is no finding.
fn bot_marks(
    bots: &[Bot],
    results: &[crate::net::NetResult<crate::net::Account>],
    pds: &[String],
    now: i64,
) -> Vec<Option<std::result::Result<bool, ()>>> {
    let items: Vec<_> = bots.iter().zip(results).zip(pds).collect();
    crate::bot::run::parallel(items, 8, |((b, res), pds)| {
        let a = res.as_ref().ok()?;
        if b.role != crate::bot::Role::Writer {
            return None;
        }
        match b.platform {
            crate::net::PlatformKind::Mastodon => a.value.bot.map(Ok),
            crate::net::PlatformKind::Bluesky => Some(
                crate::net::bluesky::has_bot_label(pds, &a.value.id, now).map(|r| r.value).map_err(|_| ()),
            ),
            _ => None,
        }
    })
}

/// What to do about a failed credentials check: a server farm cannot reach is a DNS or network
/// matter (the credentials were not even tried), refused credentials need `farm auth`.
fn fix_for(b: &Bot, e: &NetError) -> String {
    let name = &b.name;
    let host = crate::net::http::host_of(&b.api);
    match e.kind {
        NetErrorKind::Auth if b.platform.uses_oauth1() => {
            format!("the credentials were refused: get new ones with `farm auth {name}` (or check the X app keys: farm app show)")
        }
        NetErrorKind::Auth => format!("the credentials were refused: get new ones with `farm auth {name}`"),
        NetErrorKind::ClockSkew => {
            "this machine's clock is off: enable NTP (timedatectl set-ntp true)".to_string()
        }
        NetErrorKind::Unreachable => format!(
            "a DNS or network problem, not the credentials (they were not tried): check that {host} \
             resolves (getent hosts {host}) and that this machine may connect to it (network, \
             firewall, proxy); if the address is wrong: farm edit {name} --api URL"
        ),
        NetErrorKind::Server | NetErrorKind::RateLimited | NetErrorKind::DailyLimit => {
            "the server is busy or failing right now; run farm doctor again later".to_string()
        }
        NetErrorKind::NoAccess => {
            "the app's API plan does not include this call; check the plan in the developer portal"
                .to_string()
        }
        NetErrorKind::Refused | NetErrorKind::Malformed | NetErrorKind::TooLong | NetErrorKind::Rejected => {
            format!(
                "{} does not answer like the {} API: check the bot's --api (farm show {name})",
                b.api,
                b.platform.name()
            )
        }
    }
}

// ---- the scheduler ------------------------------------------------------------------------------

/// The PATH cron gives its jobs when the crontab sets none.
const CRON_PATH: &str = "/usr/bin:/bin";

/// Where systemd looks for an `ExecStart=` program given without a path.
const SYSTEMD_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A scheduler entry that runs `farm run`.
#[derive(Debug, PartialEq)]
struct Entry {
    /// Where it is written: `cron (/etc/cron.d/farm)`, `systemd (farm.timer)`…
    source: String,
    /// The user it runs as.
    user: String,
    /// The data directory it runs on.
    dir: PathBuf,
    /// The farm binary it runs, or why it cannot find it.
    binary: std::result::Result<PathBuf, String>,
}

/// Whether a cron entry or a systemd timer runs `farm run` on `dir` as `owner`, with a binary
/// it finds.
fn scheduler(r: &mut Report, dir: &Path, owner: &str) -> Result<()> {
    let entries = scheduler_entries(owner);
    let here: Vec<&Entry> = entries.iter().filter(|e| same_dir(&e.dir, dir)).collect();
    let exe = std::env::current_exe().map_or("/usr/bin/farm".to_string(), |p| p.display().to_string());
    let add = format!(
        "as {owner}, add `*/10 * * * * FARM_DB={} {exe} run` to its crontab (crontab -e), or install \
         packaging/cron/farm into /etc/cron.d/ or enable packaging/systemd/farm.timer with this \
         FARM_DB and user",
        dir.display()
    );
    if here.is_empty() {
        return match entries.first() {
            None => r.warn("no cron entry or systemd timer runs `farm run`", add),
            Some(e) => r.warn(
                format!(
                    "no cron entry or systemd timer runs `farm run` on this farm ({} runs it on {})",
                    e.source,
                    e.dir.display()
                ),
                add,
            ),
        };
    }
    for e in here {
        if e.user != owner {
            r.warn(
                format!(
                    "{} runs `farm run` on this farm as {}, but the farm belongs to {owner}",
                    e.source, e.user
                ),
                format!("make it run as {owner} (the user field of a cron.d line, User= of a systemd unit)"),
            )?;
            continue;
        }
        match &e.binary {
            Ok(b) => {
                r.ok(format!("{} runs `farm run` on this farm as {owner} ({})", e.source, b.display()))?
            }
            Err(why) => r.warn(
                format!("{} runs `farm run` on this farm, but {why}", e.source),
                format!("give the binary's full path in the entry ({exe}), or set PATH= in the crontab"),
            )?,
        }
    }
    Ok(())
}

/// Every entry that runs `farm run`: `/etc/crontab`, `/etc/cron.d/*`, the crontab of `user`
/// (this user: doctor runs as the farm's owner), and an enabled `farm.timer`.
fn scheduler_entries(user: &str) -> Vec<Entry> {
    let mut files = vec![PathBuf::from("/etc/crontab")];
    if let Ok(d) = std::fs::read_dir("/etc/cron.d") {
        let mut names: Vec<PathBuf> = d
            .flatten()
            .map(|e| e.path())
            // cron skips names with other characters (`farm.dpkg-old`, `farm~`).
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            })
            .collect();
        names.sort();
        files.extend(names);
    }
    let mut entries = Vec::new();
    for f in files {
        if let Ok(text) = std::fs::read_to_string(&f) {
            entries.extend(cron_entries(&text, &format!("cron ({})", f.display()), None));
        }
    }
    let mine = if crate::store::effective_uid() == 0 {
        command_output("crontab", &["-l", "-u", user])
    } else {
        command_output("crontab", &["-l"])
    };
    if let Some(text) = mine {
        entries.extend(cron_entries(&text, &format!("cron (the crontab of {user})"), Some(user)));
    }
    if command_output("systemctl", &["is-enabled", "farm.timer"]).is_some_and(|s| s.trim() == "enabled") {
        let timer = command_output("systemctl", &["cat", "farm.timer"]).unwrap_or_default();
        let unit = unit_setting(&timer, "Unit").unwrap_or_else(|| "farm.service".to_string());
        if let Some(service) = command_output("systemctl", &["cat", &unit]) {
            entries.extend(systemd_entry(&service, &format!("systemd (farm.timer, {unit})")));
        }
    }
    entries
}

/// The entries of a crontab that run `farm run`. `user`: the owner of a user crontab; `None`
/// for a system crontab (`/etc/crontab`, `/etc/cron.d/*`), whose lines name their user.
fn cron_entries(text: &str, source: &str, user: Option<&str>) -> Vec<Entry> {
    let mut env: Vec<(String, String)> = Vec::new();
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((k, v)) = assignment(line) {
            env.push((k, v));
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let when = if line.starts_with('@') { 1 } else { 5 };
        let (who, command) = match user {
            Some(u) => (Some(u.to_string()), words.get(when..)),
            None => (words.get(when).map(|w| w.to_string()), words.get(when + 1..)),
        };
        let (Some(who), Some(command)) = (who, command) else { continue };
        let path = lookup(&env, "PATH").unwrap_or_else(|| CRON_PATH.to_string());
        if let Some(e) = farm_run(command, env.clone(), &who, &path, source) {
            out.push(e);
        }
    }
    out
}

/// The entry of a systemd service that runs `farm run` (its `User=`, `Environment=` and the
/// last `ExecStart=`, drop-ins included as `systemctl cat` prints them).
fn systemd_entry(unit: &str, source: &str) -> Option<Entry> {
    let mut user = "root".to_string();
    let mut env = Vec::new();
    let mut exec = None;
    for line in unit.lines().map(str::trim) {
        if let Some(u) = line.strip_prefix("User=") {
            if !u.trim().is_empty() {
                user = u.trim().to_string();
            }
        } else if let Some(vars) = line.strip_prefix("Environment=") {
            env.extend(vars.split_whitespace().filter_map(|w| assignment(&unquote(w))));
        } else if let Some(cmd) = line.strip_prefix("ExecStart=") {
            let cmd = cmd.trim_start_matches(['-', '@', '+', '!', ':']);
            exec = (!cmd.trim().is_empty()).then(|| cmd.to_string());
        }
    }
    let exec = exec?;
    let words: Vec<&str> = exec.split_whitespace().collect();
    farm_run(&words, env, &user, SYSTEMD_PATH, source)
}

/// The setting `key` of a systemd unit, if set.
fn unit_setting(unit: &str, key: &str) -> Option<String> {
    unit.lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix(key)?.strip_prefix('='))
        .map(|v| v.trim().to_string())
}

/// `NAME=value` (a variable of a crontab line or of a command), the value unquoted.
fn assignment(text: &str) -> Option<(String, String)> {
    let (k, v) = text.split_once('=')?;
    let k = k.trim();
    let ident = k.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ident.then(|| (k.to_string(), unquote(v.trim())))
}

fn unquote(v: &str) -> String {
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner.to_string();
        }
    }
    v.to_string()
}

/// The last value of `name` in `env`.
fn lookup(env: &[(String, String)], name: &str) -> Option<String> {
    env.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

/// The entry for a command (its words) if it runs `farm run`: the data directory it runs on
/// (`--db`, else `FARM_DB`, else the XDG default of `user`) and where it finds the binary in
/// `path`. `env`: the variables the scheduler sets; the command's own `NAME=value` words win.
fn farm_run(
    words: &[&str],
    mut env: Vec<(String, String)>,
    user: &str,
    path: &str,
    source: &str,
) -> Option<Entry> {
    for (i, w) in words.iter().enumerate() {
        if let Some(a) = assignment(w) {
            env.push(a);
            continue;
        }
        if Path::new(w).file_name().is_none_or(|n| n != "farm") {
            continue;
        }
        let mut db = None;
        let mut args = words[i + 1..].iter();
        let command = loop {
            match args.next() {
                Some(&"--db") => db = args.next().map(|d| unquote(d)),
                Some(a) if a.starts_with("--db=") => db = Some(unquote(&a["--db=".len()..])),
                Some(a) if a.starts_with('-') => {}
                other => break other,
            }
        };
        if command != Some(&"run") {
            continue;
        }
        let home = lookup(&env, "HOME").or_else(|| crate::store::user_by_name(user).map(|u| u.home));
        let dir = db
            .or_else(|| lookup(&env, "FARM_DB"))
            .map(PathBuf::from)
            .or_else(|| lookup(&env, "XDG_DATA_HOME").map(|x| Path::new(&x).join("farm")))
            .or_else(|| home.map(|h| Path::new(&h).join(".local/share/farm")))?;
        return Some(Entry {
            source: source.to_string(),
            user: user.to_string(),
            dir,
            binary: find_binary(w, path),
        });
    }
    None
}

/// Where a scheduler finds the program `word` with `path`, or why it does not.
fn find_binary(word: &str, path: &str) -> std::result::Result<PathBuf, String> {
    let runnable =
        |p: &Path| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    if word.contains('/') {
        let p = PathBuf::from(word);
        return if runnable(&p) { Ok(p) } else { Err(format!("{word} is not an executable file")) };
    }
    path.split(':')
        .map(|d| Path::new(d).join(word))
        .find(|p| runnable(p))
        .ok_or_else(|| format!("`{word}` is not in its PATH ({path})"))
}

/// Whether two paths name the same directory.
fn same_dir(a: &Path, b: &Path) -> bool {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.components().collect());
    canon(a) == canon(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACKAGED: &str =
        "MAILTO=root\nFARM_DB=/var/lib/farm\nSHELL=/bin/sh\nPATH=/usr/local/bin:/usr/bin:/bin\n\n\
        */10 * * * * farm flock -n /var/lib/farm/cron.lock farm run\n\
        # */5 * * * * farm farm metrics --format prometheus --output /x.prom\n\
        30 3 * * * farm farm export --gzip /var/backups/farm.tar.gz\n";

    #[test]
    fn a_system_crontab_line_names_its_user_and_its_farm() {
        let e = cron_entries(PACKAGED, "cron.d", None);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].user, "farm");
        assert_eq!(e[0].dir, PathBuf::from("/var/lib/farm"));
    }

    #[test]
    fn a_user_crontab_runs_as_its_owner_with_the_db_it_says() {
        let text = "*/10 * * * * /opt/farm/farm --db /srv/farm run -j 2\n@hourly FARM_DB=/a farm run\n";
        let e = cron_entries(text, "crontab", Some("alice"));
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e.iter().all(|e| e.user == "alice"));
        assert_eq!(e[0].dir, PathBuf::from("/srv/farm"));
        assert_eq!(e[0].binary, Err("/opt/farm/farm is not an executable file".to_string()));
        assert_eq!(e[1].dir, PathBuf::from("/a"));
    }

    #[test]
    fn without_farm_db_a_job_runs_on_the_users_default_farm() {
        let e = cron_entries("HOME=/home/bob\n0 * * * * farm run\n", "crontab", Some("bob"));
        assert_eq!(e[0].dir, PathBuf::from("/home/bob/.local/share/farm"));
        let e = cron_entries("XDG_DATA_HOME=/d\n0 * * * * farm run\n", "crontab", Some("bob"));
        assert_eq!(e[0].dir, PathBuf::from("/d/farm"));
    }

    #[test]
    fn other_farm_commands_are_not_runs() {
        let text = "0 * * * * farm farm stats\n0 * * * * farm farm --db /x export -\n";
        assert!(cron_entries(text, "cron.d", None).is_empty());
    }

    #[test]
    fn cron_looks_for_the_binary_in_its_own_path() {
        // `sh` is in /bin or /usr/bin everywhere; a program in /usr/local/bin only is not.
        assert!(find_binary("sh", CRON_PATH).is_ok());
        let e = find_binary("farm-surely-not-installed", CRON_PATH).unwrap_err();
        assert!(e.contains("/usr/bin:/bin"), "{e}");
    }

    #[test]
    fn a_systemd_service_runs_as_its_user_on_its_environment() {
        let unit =
            "# /etc/systemd/system/farm.service\n[Service]\nUser=farm\nEnvironment=FARM_DB=/var/lib/farm\n\
            ExecStart=/usr/bin/farm run\n# /etc/systemd/system/farm.service.d/override.conf\n[Service]\n\
            ExecStart=\nExecStart=-/usr/local/bin/farm --db /srv/farm run\n";
        let e = systemd_entry(unit, "systemd").unwrap();
        assert_eq!((e.user.as_str(), e.dir.as_path()), ("farm", Path::new("/srv/farm")));
        let e = systemd_entry("[Service]\nExecStart=/usr/bin/farm run\nEnvironment=\"FARM_DB=/x\"\n", "s")
            .unwrap();
        assert_eq!((e.user.as_str(), e.dir.as_path()), ("root", Path::new("/x")));
        assert!(systemd_entry("[Service]\nExecStart=/usr/bin/farm metrics\n", "s").is_none());
    }
}
