//! A damaged or unusable data directory gives one clear line and a non-zero exit, never an
//! empty farm with exit 0; a bad next-due record never stops runs; token files are private.

mod support;
use botfarm::store::{shard_dir_name, shard_of, INLINE_MAX};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use support::net::{rfc, Net, T0};
use support::{Farm, TempDir};

/// A farm with a reader and a writer that have run once.
fn farm() -> Net {
    Net::reader_and_writer()
}

#[track_caller]
#[test]
fn a_deleted_database_file_is_reported_not_an_empty_farm() {
    for victim in ["db/conf", "db/db", "db"] {
        let mut n = farm();
        let path = n.farm.db().join(victim);
        if path.is_dir() {
            fs::remove_dir_all(&path).unwrap();
        } else {
            fs::remove_file(&path).unwrap();
        }
        for args in [&["list"][..], &["stats"], &["run"], &["export", "/dev/null"]] {
            let r = n.at(T0 + 7200, args);
            r.one_line_error(65, "damaged");
            assert!(r.stderr.contains("farm import --replace"), "{victim}: {}", r.stderr);
        }
    }
}

/// How a test damages one file of a farm.
#[derive(Clone, Copy, Debug)]
enum Harm {
    /// Removed.
    Deleted,
    /// Truncated to no bytes.
    Emptied,
    /// Truncated to half its length.
    Halved,
    /// Many bits flipped, the length kept.
    Garbled,
}

fn harm(path: &Path, how: Harm) {
    let set_len = |len: u64| fs::File::options().write(true).open(path).unwrap().set_len(len).unwrap();
    match how {
        Harm::Deleted => fs::remove_file(path).unwrap(),
        Harm::Emptied => set_len(0),
        Harm::Halved => set_len(fs::metadata(path).unwrap().len() / 2),
        Harm::Garbled => {
            let bytes: Vec<u8> = fs::read(path).unwrap().iter().map(|b| b ^ 0xa5).collect();
            fs::write(path, bytes).unwrap();
        }
    }
}

/// The shard directory (in `db/`) that holds the posts of reader "big".
fn big_shard() -> String {
    format!("db/{}", shard_dir_name(shard_of("big")))
}

/// A farm that has run a few times, with a reader "big" caching 100 posts (kept in the control
/// database) or, in `shards`, past `INLINE_MAX` (moved to the posts shards by the first run,
/// which the second opens and writes again).
fn grown(shards: bool) -> Net {
    let mut n = farm();
    n.masto_bot("reader", "big", &["--keep-max", "20000"]);
    n.fill("big", if shards { INLINE_MAX + 1 } else { 100 });
    n.seed("big", 3, "b");
    n.at(T0 + 3600, &["run"]).ok();
    n.seed("big", 3, "c");
    n.seed("r", 3, "c");
    n.at(T0 + 7200, &["run"]).ok();
    assert_eq!(n.farm.db().join(big_shard()).exists(), shards);
    n
}

/// A copy of a farm's data directory as it is now, in `data` of the directory returned, to
/// [`restore`] it from.
fn save(n: &Net) -> TempDir {
    let good = TempDir::new("good");
    support::copy_dir(&n.farm.db(), &good.path().join("data"));
    good
}

/// Put the copy of a farm's data directory made by [`save`] back in place of the farm's.
fn restore(n: &Net, good: &TempDir) {
    fs::remove_dir_all(n.farm.db()).unwrap();
    support::copy_dir(&good.path().join("data"), &n.farm.db());
}

/// A damaged database is reported with the way out: exit 65 and the restore hint on one line,
/// `doctor` a FIX line and never "ok database opens". Only commands that never read the cached
/// posts (`list`, `stats`, `show`) go on working while the damage is in a posts shard. What went
/// wrong instead, if anything.
fn unreported(r: &support::Run, args: &[&str], in_shard: bool) -> Option<String> {
    let hint = r.all().contains("farm import --replace");
    let ok = match args[0] {
        "doctor" => [65, 78].contains(&r.code) && !r.stdout.contains("ok    database opens") && hint,
        "list" | "stats" | "show" if in_shard => r.code == 0,
        // A run goes on with the bots the damage does not touch; each failing one says why.
        "run" if in_shard => r.code == 65 && r.stderr.contains("damaged") && hint,
        _ => r.code == 65 && r.stderr.lines().count() == 1 && r.stderr.contains("damaged") && hint,
    };
    let said =
        r.all().lines().find(|l| l.contains("database")).or(r.all().lines().next()).map(str::to_string);
    (!ok).then(|| format!("farm {}: exit {}, {}", args.join(" "), r.code, said.unwrap_or_default()))
}

const COMMANDS: [&[&str]; 6] =
    [&["list"], &["stats"], &["show", "w"], &["export", "/dev/null"], &["run"], &["doctor", "--offline"]];

#[test]
fn every_damaged_database_file_is_reported_on_both_layouts() {
    let mut wrong = Vec::new();
    for shards in [false, true] {
        let mut n = grown(shards);
        let good = save(&n);
        let mut victims = vec!["db/db".to_string(), "db/conf".to_string()];
        if shards {
            victims.extend([format!("{}/db", big_shard()), format!("{}/conf", big_shard())]);
        }
        for victim in &victims {
            for how in [Harm::Deleted, Harm::Emptied, Harm::Halved, Harm::Garbled] {
                for args in COMMANDS {
                    restore(&n, &good);
                    harm(&n.farm.db().join(victim), how);
                    let r = n.at(T0 + 10_800, args);
                    if let Some(e) = unreported(&r, args, victim.contains("posts-")) {
                        wrong.push(format!("{victim} {how:?} (posts in the shards: {shards}): {e}"));
                    }
                }
            }
        }
        // The copy of the farm before the damage is whole (doctor always finds FARM_NOW to fix).
        restore(&n, &good);
        for args in &COMMANDS[..5] {
            n.at(T0 + 10_800, args).ok();
        }
    }
    assert!(wrong.is_empty(), "{} cases:\n{}", wrong.len(), wrong.join("\n"));
}

#[test]
fn a_shard_written_once_is_checked_too() {
    // The run that moves the posts to the shards is the only one that opened them so far.
    let mut n = farm();
    n.fill("big", INLINE_MAX + 1);
    n.at(T0 + 3600, &["run"]).ok();
    let good = save(&n);
    for how in [Harm::Deleted, Harm::Emptied, Harm::Halved] {
        restore(&n, &good);
        harm(&n.farm.db().join(big_shard()).join("db"), how);
        let r = n.at(T0 + 7200, &["export", "/dev/null"]);
        assert_eq!(unreported(&r, &["export"], true), None, "{how:?}");
    }
}

#[test]
fn a_damaged_farm_can_be_replaced_by_its_backup() {
    let n = farm();
    let archive = n.farm.dir.path().join("backup.tar");
    n.farm.run(&["export", archive.to_str().unwrap()]).ok();
    fs::remove_file(n.farm.db().join("db/conf")).unwrap();
    n.farm.run(&["import", "--replace", archive.to_str().unwrap()]).ok();
    let list = n.farm.run(&["list", "--json"]).ok().json();
    assert_eq!(list.as_array().unwrap().len(), 2);
}

#[test]
fn a_data_dir_that_is_a_file_is_a_config_error() {
    let f = Farm::new();
    let file = f.dir.path().join("not-a-dir");
    fs::write(&file, "x").unwrap();
    for args in [&["list"][..], &["run"], &["create", "reader", "r", "--platform", "mastodon"]] {
        let mut c = f.cmd(args);
        c.env("FARM_DB", &file).env("FARM_ACCESS_TOKEN", "tok-123456789");
        let o = c.output().unwrap();
        let r = support::Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into(),
            stderr: String::from_utf8_lossy(&o.stderr).into(),
        };
        r.one_line_error(78, "is not a directory");
    }
    assert_eq!(fs::read_to_string(&file).unwrap(), "x");
}

#[test]
fn a_data_dir_of_another_user_is_refused_with_the_command_to_run_instead() {
    // Only meaningful when this test may switch users (as root, as in CI here).
    if !support::can_switch_users() {
        eprintln!("skipped: cannot switch users here");
        return;
    }
    let n = farm();
    // The binary must be reachable by nobody: the test tree usually is (0755 directories).
    fs::set_permissions(n.farm.dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let owner = support::user_name(0);
    for args in [&["list"][..], &["run"], &["stats"]] {
        let r = support::as_nobody(&n.farm, args);
        r.one_line_error(77, &format!("belongs to user {owner}"));
        assert!(r.stderr.contains(&format!("sudo -u {owner} farm --db ")), "{}", r.stderr);
    }
}

#[test]
fn a_garbage_or_far_future_next_due_record_does_not_stop_runs() {
    for record in ["garbage", "99999999999 0", "9223372036854775807", "", "0 99999999999"] {
        let mut n = farm();
        fs::write(n.farm.db().join("next_due"), record).unwrap();
        n.seed("r", 3, "b");
        let before = n.count("/timelines/home");
        n.at(T0 + 3600, &["run"]).ok();
        assert_eq!(n.count("/timelines/home"), before + 1, "record {record:?} stopped the run");
        // The run wrote a good record again: the next run with nothing due opens nothing.
        let lock = botfarm::store::lock_dir(&n.farm.db()).unwrap();
        n.at(T0 + 3700, &["run"]).ok();
        drop(lock);
    }
}

#[test]
fn a_next_due_record_from_before_the_clock_stepped_back_is_not_trusted() {
    let mut n = farm();
    // The clock was a month ahead for one run, in which a post failed: the record says "retry
    // in ten minutes" from a time that is still a month away once the clock is corrected.
    n.fake.fail_next(1, botfarm::sim::Fault::Status(503), Some("/api/v1/statuses"));
    n.farm.set_now(&rfc(T0 + 30 * 86_400));
    n.farm.run(&["run"]).code(75);
    assert_eq!(n.posted("w").len(), 1);
    n.at(T0 + 3600, &["run"]).ok();
    assert_eq!(n.posted("w").len(), 2, "the unconfirmed post waited for the record");
}

#[test]
fn token_files_are_private_whatever_the_directory_mode() {
    let n = Net::new();
    // The data directory already exists, made with a permissive mode (e.g. by a package).
    fs::create_dir_all(n.farm.db()).unwrap();
    fs::set_permissions(n.farm.db(), fs::Permissions::from_mode(0o755)).unwrap();
    n.masto_bot("reader", "r", &[]);
    let check = |when: &str| {
        for e in walk(&n.farm.db()) {
            let mode = fs::metadata(&e).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode & 0o077, 0, "{when}: {} has mode {mode:o}", e.display());
        }
    };
    check("new farm");
    // Files an older farm (or a copy with another umask) left readable are fixed on opening.
    for e in walk(&n.farm.db()) {
        fs::set_permissions(&e, fs::Permissions::from_mode(0o644)).unwrap();
    }
    n.farm.run(&["list"]).ok();
    check("after opening");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

/// How a test takes a whole posts shard away.
#[derive(Clone, Copy, Debug)]
enum Loss {
    /// `rm -rf db/posts-NN`.
    Directory,
    /// Everything inside it removed, the directory kept.
    Contents,
}

#[test]
fn a_lost_posts_shard_is_reported_not_an_empty_cache() {
    assert_ne!(shard_of("r"), shard_of("big"), "the test needs the two readers in two shards");
    let mut n = grown(true);
    // A writer of the lost posts, to see that it stops too.
    n.masto_bot("writer", "wbig", &["--source", "big"]);
    let good = save(&n);
    let mut wrong = Vec::new();
    for loss in [Loss::Directory, Loss::Contents] {
        for args in COMMANDS {
            restore(&n, &good);
            let shard = n.farm.db().join(big_shard());
            match loss {
                Loss::Directory => fs::remove_dir_all(&shard).unwrap(),
                Loss::Contents => {
                    fs::remove_dir_all(&shard).unwrap();
                    fs::create_dir(&shard).unwrap();
                }
            }
            n.seed("r", 2, &format!("{loss:?}-{}", args[0]));
            let read = n.count("/timelines/home");
            let r = n.at(T0 + 10_800, args);
            if let Some(e) = unreported(&r, args, true) {
                wrong.push(format!("{loss:?}: {e}"));
            }
            if args[0] == "run" {
                // The bots of the other shards keep running; both bots of the lost one say why.
                if n.count("/timelines/home") == read {
                    wrong.push(format!("{loss:?}: no reader read"));
                }
                for bot in ["r", "w"] {
                    if !n.state(bot)["last_error"].is_null() {
                        wrong.push(format!("{loss:?}: {bot} failed: {}", n.state(bot)["last_error"]));
                    }
                }
                for bot in ["big", "wbig"] {
                    let said = n.state(bot)["last_error"].as_str().unwrap_or_default().to_string();
                    if !said.contains("damaged") {
                        wrong.push(format!("{loss:?}: {bot}'s last error is {said:?}"));
                    }
                }
            }
            // Nothing made an empty shard in place of the lost one.
            if fs::metadata(shard.join("conf")).is_ok() {
                wrong.push(format!("{loss:?}: farm {} made a new, empty shard", args.join(" ")));
            }
        }
    }
    assert!(wrong.is_empty(), "{} cases:\n{}", wrong.len(), wrong.join("\n"));
}

/// The preload library of `fixtures/failing_sync.rs`, built once with `rustc`; `None` (the
/// reason printed) where it cannot be built or preloaded.
fn failing_sync() -> Option<std::path::PathBuf> {
    static LIB: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    LIB.get_or_init(|| {
        if !cfg!(all(target_os = "linux", target_env = "gnu")) {
            eprintln!("skipped: failing fsync needs LD_PRELOAD on glibc");
            return None;
        }
        let out = std::env::temp_dir().join(format!("farm-failing-sync-{}.so", std::process::id()));
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/failing_sync.rs");
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        let built = std::process::Command::new(rustc)
            .args(["--edition", "2021", "--crate-type", "cdylib", "-O", "-o"])
            .arg(&out)
            .arg(src)
            .status();
        match built {
            Ok(s) if s.success() => Some(out),
            other => {
                eprintln!("skipped: cannot build the failing-fsync library ({other:?})");
                None
            }
        }
    })
    .clone()
}

/// Run `farm ARGS` at `ts` with every fsync from the `ok`-th on failing (see
/// `fixtures/failing_sync.rs`).
fn with_failing_sync(n: &mut Net, lib: &Path, ok: usize, ts: i64, args: &[&str]) -> support::Run {
    n.farm.set_now(&rfc(ts));
    n.farm.run_env(args, &[("LD_PRELOAD", lib.to_str().unwrap()), ("FARM_TEST_SYNC_OK", &ok.to_string())])
}

#[test]
fn a_failing_fsync_is_an_io_error_never_a_panic() {
    let Some(lib) = failing_sync() else { return };
    let mut wrong = Vec::new();
    for shards in [false, true] {
        let mut n = grown(shards);
        let good = save(&n);
        for args in [&["edit", "w", "--every", "2h"][..], &["run"]] {
            let mut failed = 0;
            for ok in 0.. {
                restore(&n, &good);
                n.seed("r", 1, &format!("sync-{shards}-{}-{ok}", args[0]));
                n.seed("big", 1, &format!("sync-{shards}-{}-{ok}", args[0]));
                let r = with_failing_sync(&mut n, &lib, ok, T0 + 10_800, args);
                let case = format!(
                    "farm {} (posts in the shards: {shards}), fsync #{ok} on failing",
                    args.join(" ")
                );
                if r.code == 0 {
                    break;
                }
                failed += 1;
                let lines_ok = r.stderr.lines().all(|l| l.starts_with("farm: ") && l.contains("os error 5"));
                if r.code != 74 || !lines_ok {
                    wrong.push(format!("{case}: exit {}, {}", r.code, r.stderr.lines().next().unwrap_or("")));
                }
                // What was written is all there once the disk works again.
                let list = n.at(T0 + 10_800, &["list", "--names"]);
                if list.code != 0 {
                    wrong.push(format!("{case}, then farm list: exit {}, {}", list.code, list.stderr));
                }
                assert!(ok < 200, "{case}: still failing");
            }
            assert!(failed > 0, "farm {}: no fsync at all", args.join(" "));
        }
    }
    let _ = fs::remove_file(&lib);
    assert!(wrong.is_empty(), "{} cases:\n{}", wrong.len(), wrong.join("\n"));
}
