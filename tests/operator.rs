//! A farm an operator can live with: only its owner ever writes to it (root through sudo is
//! refused with the command to run instead), no command fights the cron run (the reading and
//! maintenance commands wait for it, a second cron run goes away quietly, nothing keeps the
//! farm while it waits for a person), `farm run` says when there is no farm to run, and
//! `farm doctor` checks that a scheduler runs this very farm as its owner.

mod support;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use support::net::{rfc, Net, T0};
use support::{Farm, Pty, Run};

/// A farm with a Mastodon reader and writer that have run once.
fn farm() -> Net {
    Net::reader_and_writer()
}

fn spawn(f: &Farm, args: &[&str]) -> std::process::Child {
    let mut c = f.cmd(args);
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    c.spawn().unwrap()
}

// ---- waiting for the cron run -----------------------------------------------------------------

#[test]
fn reading_and_maintenance_commands_wait_for_a_running_tick() {
    let mut n = farm();
    n.farm.set_now(&rfc(T0 + 60));
    let db = n.farm.db();
    let tar = n.farm.dir.path().join("b.tar");
    let tar = tar.to_str().unwrap();
    // Hold the farm the way a running `farm run` does.
    let lock = botfarm::store::lock_dir(&db).unwrap();
    let commands: Vec<Vec<&str>> = vec![
        vec!["stats"],
        vec!["list"],
        vec!["show", "w"],
        vec!["log"],
        vec!["metrics"],
        vec!["export", tar],
        vec!["compact"],
        // Commands a person types wait too.
        vec!["edit", "w", "--every", "3h"],
        vec!["run", "r", "--force"],
    ];
    let mut children: Vec<_> = commands.iter().map(|a| spawn(&n.farm, a)).collect();
    for c in &mut children {
        support::wait_for_lock_attempt(c, &db);
    }
    // Each found the farm busy (or gave up); now the run ends.
    std::thread::sleep(std::time::Duration::from_millis(200));
    drop(lock);
    for (args, c) in commands.iter().zip(children) {
        let r = Run::from(c.wait_with_output().unwrap());
        assert_eq!(r.code, 0, "{args:?} did not wait: {}", r.stderr);
    }
    assert_eq!(n.farm.run(&["show", "w", "--json"]).ok().json()["every_secs"], 3 * 3600);
    assert!(fs::metadata(tar).is_ok_and(|m| m.len() > 0));
}

#[test]
fn wait_bounds_the_wait_and_0_gives_up_at_once() {
    let n = farm();
    let lock = botfarm::store::lock_dir(&n.farm.db()).unwrap();
    let r = n.farm.run(&["list", "--wait", "0"]);
    r.one_line_error(75, "another farm process is using");
    let r = n.farm.run(&["stats", "--wait", "1s"]);
    r.one_line_error(75, "waited 1s");
    n.farm.run(&["log", "--wait", "soon"]).code(64);
    drop(lock);
    n.farm.run(&["list", "--wait", "0"]).ok();
}

#[test]
fn a_cron_run_while_another_run_holds_the_farm_exits_quietly() {
    let mut n = farm();
    n.seed("r", 3, "b");
    // Every answer of the API takes a while: the first run holds the farm for seconds.
    n.fake.set_latency_ms(1500);
    n.farm.set_now(&rfc(T0 + 7200));
    let db = n.farm.db();
    let mut first = spawn(&n.farm, &["run"]);
    let start = std::time::Instant::now();
    while !support::lock_is_held(&db) {
        assert!(first.try_wait().unwrap().is_none(), "the first run ended before it was seen");
        assert!(start.elapsed().as_secs() < 60, "the first run never took the farm");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let quiet = n.farm.run(&["run"]);
    let verbose = n.farm.run(&["run", "-v"]);
    assert!(first.try_wait().unwrap().is_none(), "the runs did not overlap");
    assert_eq!((quiet.code, quiet.stdout.as_str(), quiet.stderr.as_str()), (0, "", ""), "{quiet:?}");
    assert_eq!(verbose.code, 0, "{verbose:?}");
    assert_eq!(verbose.stderr.lines().count(), 1, "{verbose:?}");
    assert!(verbose.stderr.contains("another farm process is using"), "{verbose:?}");
    let r = Run::from(first.wait_with_output().unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    n.fake.set_latency_ms(0);
}

#[test]
fn run_on_a_missing_or_empty_farm_says_so() {
    let f = Farm::new();
    let r = f.run(&["run"]);
    r.one_line_error(78, "there is no farm in");
    assert!(r.stderr.contains(&f.db().display().to_string()), "{}", r.stderr);
    assert!(!f.db().exists(), "run created a farm");
    f.run_env(
        &["create", "reader", "r", "--platform", "x", "--auth-later"],
        &[("FARM_CONSUMER_KEY", "k"), ("FARM_CONSUMER_SECRET", "s")],
    )
    .ok();
    f.run(&["destroy", "r", "--yes"]).ok();
    for _ in 0..2 {
        let r = f.run(&["run"]).ok();
        assert_eq!(r.stdout, "");
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(r.stderr.contains("has no bots"), "{}", r.stderr);
    }
}

// ---- nothing keeps the farm while waiting for a person ----------------------------------------

#[test]
fn create_and_destroy_let_go_of_the_farm_while_they_ask() {
    let n = farm();
    let url = n.fake.url();
    n.fake.add_mastodon_user("m", "bearer-m-0123456789");
    let mut p = Pty::spawn(&n.farm, &["create", "reader", "m", "--platform", "mastodon", "--api", &url], &[]);
    p.expect("access token");
    // While the person looks for the token, other commands go on.
    n.farm.run(&["pause", "r"]).ok();
    p.send_line("bearer-m-0123456789");
    let (code, out) = p.finish();
    assert_eq!(code, 0, "{out}");
    n.farm.run(&["check", "m"]).ok();
    let mut p = Pty::spawn(&n.farm, &["destroy", "m"], &[]);
    p.expect("type its name to confirm");
    n.farm.run(&["resume", "r"]).ok();
    p.send_line("m");
    let (code, out) = p.finish();
    assert_eq!(code, 0, "{out}");
    let names = n.farm.run(&["list", "--names"]).ok().stdout;
    assert!(!names.lines().any(|l| l.trim_start_matches('@') == "m"), "{names}");
}

// ---- the farm's owner -------------------------------------------------------------------------

fn nobody() -> String {
    support::user_name(65534)
}

/// A farm owned by user nobody, in a folder anyone may pass.
fn farm_of_nobody() -> Option<Net> {
    if !support::can_switch_users() {
        eprintln!("skipped: cannot switch users here");
        return None;
    }
    let n = farm();
    fs::set_permissions(n.farm.dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    support::chown_tree(&n.farm.db(), 65534);
    Some(n)
}

#[test]
fn root_is_refused_on_the_farm_of_another_user_and_changes_nothing() {
    let Some(n) = farm_of_nobody() else { return };
    let db = n.farm.db();
    let who = nobody();
    for args in [&["stats"][..], &["pause", "w"], &["run"], &["run", "w", "--force"], &["export", "-"]] {
        let r = n.farm.run(args);
        r.one_line_error(77, &format!("belongs to user {who}"));
        let want = format!("sudo -u {who} farm --db {} {}", db.display(), args.join(" "));
        assert!(r.stderr.contains(&want), "{args:?}: {}", r.stderr);
    }
    assert_eq!(support::not_owned_by(&db, 65534), Vec::<std::path::PathBuf>::new());
    // The owner still uses the farm.
    support::as_nobody(&n.farm, &["pause", "w"]).ok();
    support::as_nobody(&n.farm, &["list"]).ok();
}

#[test]
fn doctor_tells_root_to_run_as_the_owner_and_the_owner_about_files_of_others() {
    let Some(n) = farm_of_nobody() else { return };
    let db = n.farm.db();
    let who = nobody();
    let r = n.farm.run(&["doctor", "--offline"]).code(78);
    assert!(
        r.stdout.contains(&format!("sudo -u {who} farm --db {} doctor --offline", db.display())),
        "{}",
        r.stdout
    );
    assert_eq!(support::not_owned_by(&db, 65534), Vec::<std::path::PathBuf>::new());
    // A file root left behind (an older farm run through sudo).
    fs::remove_file(db.join("next_due")).unwrap();
    fs::write(db.join("next_due"), "0 0\n").unwrap();
    let r = support::as_nobody(&n.farm, &["doctor", "--offline"]).code(78);
    assert!(r.stdout.contains("belong to another user"), "{}", r.stdout);
    assert!(r.stdout.contains(&format!("chown -R {who}: {}", db.display())), "{}", r.stdout);
}

// ---- doctor and the scheduler -----------------------------------------------------------------

/// `farm doctor --offline` with a user crontab of `crontab` (a fake `crontab` command) and no
/// systemd timer.
fn doctor_with_crontab(f: &Farm, crontab: &str) -> Run {
    let bin = f.dir.path().join("bin");
    fs::create_dir_all(&bin).unwrap();
    for (name, body) in
        [("crontab", format!("cat <<'EOF'\n{crontab}\nEOF\n")), ("systemctl", "exit 1\n".into())]
    {
        let path = bin.join(name);
        fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    f.run_env(&["doctor", "--offline"], &[("PATH", &path)])
}

#[test]
fn doctor_checks_that_cron_runs_this_farm_and_finds_the_binary() {
    let f = Farm::new();
    f.run_env(
        &["create", "reader", "r", "--platform", "x", "--auth-later"],
        &[("FARM_CONSUMER_KEY", "k"), ("FARM_CONSUMER_SECRET", "s")],
    )
    .ok();
    let db = f.db().display().to_string();
    let exe = env!("CARGO_BIN_EXE_farm");
    // Another farm is scheduled, not this one.
    let r = doctor_with_crontab(&f, "*/10 * * * * FARM_DB=/srv/other-farm farm run");
    assert!(r.stdout.contains("no cron entry or systemd timer runs `farm run` on this farm"), "{}", r.stdout);
    assert!(r.stdout.contains("/srv/other-farm"), "{}", r.stdout);
    // This farm, but cron cannot find the binary in its PATH.
    let r = doctor_with_crontab(&f, &format!("PATH=/nonexistent\n*/10 * * * * farm --db {db} run"));
    assert!(r.stdout.contains("`farm` is not in its PATH (/nonexistent)"), "{}", r.stdout);
    assert!(r.stdout.contains(exe), "the fix names the binary: {}", r.stdout);
    // This farm, this user, the binary by its full path.
    let r = doctor_with_crontab(&f, &format!("FARM_DB={db}\n*/10 * * * * {exe} run -j 2"));
    let ok = r.stdout.lines().find(|l| l.contains("runs `farm run` on this farm as"));
    assert!(ok.is_some_and(|l| l.starts_with("ok")), "{}", r.stdout);
}

#[test]
fn completing_bot_names_never_waits_for_a_run() {
    // The shell asks `farm list --names` at each TAB: during a run it must answer at once (with
    // nothing), not after the 30 seconds `farm list` waits by default.
    let f = Farm::new();
    for shell in ["bash", "zsh", "fish"] {
        let script = f.run(&["completions", shell]).ok().stdout;
        let asks: Vec<&str> = script.matches("farm list --names").collect();
        assert!(!asks.is_empty(), "{shell}");
        assert_eq!(script.matches("farm list --names --wait 0 2>/dev/null").count(), asks.len(), "{shell}");
    }
}
