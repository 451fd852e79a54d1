//! `farm demo`, completions, the man page, doctor, and the packaging files.

mod support;
use support::{Farm, TempDir};

#[test]
fn demo_runs_a_simulated_day() {
    let f = Farm::new();
    let r = f.run(&["demo"]).ok();
    let out = r.stdout;
    assert!(out.contains("Гарри Поттер и Тайная Комната"), "{out}");
    assert!(out.contains("hp (24 posts)"), "{out}");
    assert!(out.contains("echo (24 posts)"), "{out}");
    assert!(out.contains("markov ("), "{out}");
    assert!(out.contains("0 failed runs"), "{out}");
    // The stats table closes the output.
    assert!(out.contains("total"), "{out}");
    // The user's own farm is never touched.
    assert!(!f.db().exists());
}

#[test]
fn demo_keep_leaves_a_farm_to_explore() {
    let f = Farm::new();
    let keep = f.dir.path().join("kept");
    let r = f.run(&["demo", "--hours", "3", "--keep", keep.to_str().unwrap()]).ok();
    assert!(r.stdout.contains("farm --db"), "{}", r.stdout);
    let list = f.run(&["--db", keep.to_str().unwrap(), "list", "--json"]).ok().json();
    assert_eq!(list.as_array().unwrap().len(), 5);
    let log = f.run(&["--db", keep.to_str().unwrap(), "log", "hp"]).ok().stdout;
    assert!(log.contains("Гарри Поттер"), "{log}");
    // An existing directory is refused.
    f.run(&["demo", "--keep", keep.to_str().unwrap()]).code(64);
}

#[test]
fn completions_for_each_shell() {
    let f = Farm::new();
    for (shell, needle) in [("bash", "complete -F"), ("zsh", "#compdef farm"), ("fish", "complete -c farm")] {
        let r = f.run(&["completions", shell]).ok();
        assert!(r.stdout.contains(needle), "{shell}: {}", &r.stdout[..r.stdout.len().min(300)]);
        assert!(r.stdout.contains("export"), "{shell}");
    }
    f.run(&["completions", "tcsh"]).code(64);
}

#[test]
fn man_page_documents_every_command() {
    let f = Farm::new();
    let man = f.run(&["man"]).ok().stdout;
    assert!(man.starts_with(".ie") || man.contains(".TH farm 1"), "{}", &man[..200]);
    for cmd in ["create reader", "run", "export", "import", "stats", "doctor", "demo"] {
        assert!(man.contains(&format!(".SS \"farm {cmd}\"")), "{cmd} missing");
    }
}

#[test]
fn doctor_reports_what_to_fix() {
    let f = Farm::new();
    let r = f.run(&["doctor", "--offline"]).code(78);
    assert!(r.stdout.contains("no farm here yet"), "{}", r.stdout);
    f.run_env(
        &["create", "reader", "r", "--platform", "x", "--auth-later"],
        &[("FARM_CONSUMER_KEY", "k"), ("FARM_CONSUMER_SECRET", "s")],
    )
    .ok();
    let r = f.run(&["doctor", "--offline"]).code(78);
    assert!(r.stdout.contains("r has no user tokens") && r.stdout.contains("farm auth r"), "{}", r.stdout);
    assert!(r.stdout.contains("database opens"), "{}", r.stdout);
}

fn have(cmd: &str) -> bool {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {cmd}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn systemd_units_verify_when_systemd_analyze_is_there() {
    if !have("systemd-analyze") {
        eprintln!("skipped: no systemd-analyze on this machine");
        return;
    }
    let tmp = TempDir::new("units");
    // Point ExecStart at a binary that exists here.
    for unit in ["farm.service", "farm.timer", "farm-metrics.service", "farm-metrics.timer"] {
        let text = std::fs::read_to_string(format!("packaging/systemd/{unit}")).unwrap();
        let text = text.replace("/usr/bin/farm", env!("CARGO_BIN_EXE_farm"));
        std::fs::write(tmp.path().join(unit), text).unwrap();
    }
    let out = std::process::Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .args(
            ["farm.service", "farm.timer", "farm-metrics.service", "farm-metrics.timer"]
                .map(|u| tmp.path().join(u)),
        )
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    // Only complain about our own units (the host may have unrelated warnings).
    let ours: Vec<&str> = err.lines().filter(|l| l.contains("farm")).collect();
    assert!(out.status.success() || ours.is_empty(), "{err}");
}

#[test]
fn ansible_playbook_syntax_when_ansible_is_there() {
    if !have("ansible-playbook") {
        eprintln!("skipped: no ansible-playbook on this machine");
        return;
    }
    let out = std::process::Command::new("ansible-playbook")
        .args(["--syntax-check", "-i", "localhost,", "packaging/ansible/farm.yml"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn cron_file_runs_farm_every_ten_minutes_under_flock() {
    let cron = std::fs::read_to_string("packaging/cron/farm").unwrap();
    let line = cron.lines().find(|l| l.starts_with("*/10")).expect("a */10 line");
    assert!(line.contains("flock -n") && line.ends_with("farm run"), "{line}");
    assert!(cron.contains("MAILTO"));
}

/// The cron line, run as the unprivileged farm user it names, in a copy of the layout the
/// package makes (`/var/lib` owned by root, `/var/lib/farm` by the farm user, mode 0700).
#[test]
fn cron_line_works_as_the_farm_user() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let probe = std::process::Command::new("setpriv").args(["--reuid=65534", "true"]).status();
    if !probe.is_ok_and(|s| s.success()) {
        eprintln!("skipped: cannot switch users here (run the tests as root to check this)");
        return;
    }
    let cron = std::fs::read_to_string("packaging/cron/farm").unwrap();
    let line = cron.lines().find(|l| l.starts_with("*/10")).unwrap();
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields[5], "farm", "runs as the farm user: {line}");
    let root = TempDir::new("cron");
    let top = root.path();
    std::fs::set_permissions(top, std::fs::Permissions::from_mode(0o755)).unwrap();
    let var_lib = top.join("var/lib");
    let data = var_lib.join("farm");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
    let chown = std::process::Command::new("chown").args(["65534:65534"]).arg(&data).status().unwrap();
    assert!(chown.success());
    let bin = top.join("bin");
    std::fs::create_dir(&bin).unwrap();
    // Explicit modes: another test in this process may have opened a store (umask 077).
    for d in [top.join("var"), var_lib.clone(), bin.clone()] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    symlink(env!("CARGO_BIN_EXE_farm"), bin.join("farm")).unwrap();
    let command = fields[6..].join(" ").replace("/var/lib", var_lib.to_str().unwrap());
    let run = |cmd: &str| {
        std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c", cmd])
            .env_clear()
            .env("FARM_DB", &data)
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .output()
            .unwrap()
    };
    let create = run(
        "FARM_ACCESS_TOKEN=t0123456789 farm create reader r --platform mastodon --api http://127.0.0.1:9",
    );
    assert!(create.status.success(), "{}", String::from_utf8_lossy(&create.stderr));
    let out = run(&command);
    let err = String::from_utf8_lossy(&out.stderr);
    // The run itself fails (nothing listens on port 9): what matters is that flock let it start.
    assert!(!err.contains("flock"), "{command}: {err}");
    let log = run("farm log r");
    assert!(String::from_utf8_lossy(&log.stdout).contains("error"), "the run did not start: {err}");
    let names: Vec<String> =
        std::fs::read_dir(&data).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into()).collect();
    assert!(
        names.iter().any(|n| n.ends_with(".lock")),
        "flock's lock file is in the data directory: {names:?}"
    );
}

#[test]
fn grafana_dashboard_is_json() {
    let Ok(text) = std::fs::read_to_string("packaging/grafana/farm-dashboard.json") else {
        panic!("packaging/grafana/farm-dashboard.json is missing");
    };
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(v["panels"].as_array().is_some_and(|p| !p.is_empty()));
}

/// A farm with one reader whose log holds `n` long events.
fn farm_with_a_long_log(n: usize) -> Farm {
    let f = Farm::new();
    f.create(&["create", "reader", "news", "--platform", "x"], &Farm::x_env("tok-AAAA1111", "sec-BBBB2222"))
        .ok();
    let store = botfarm::store::Store::open(&f.db()).unwrap();
    for i in 0..n {
        store
            .log("news", 1_700_000_000 + i as i64, "info", &format!("event {i} {}", "x".repeat(1000)))
            .unwrap();
    }
    store.flush().unwrap();
    drop(store);
    f
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    use std::io::{BufRead, BufReader, Read};
    let f = farm_with_a_long_log(400);
    // `farm log -n 400 | head -1`: about 400 KB, far more than a pipe holds.
    let mut c = f.cmd(&["log", "news", "-n", "400"]);
    c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.contains("event"), "{first}");
    // The reader is dropped here, closing the pipe.
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
    assert_eq!(stderr, "");
    // The farm is fine afterwards.
    f.run(&["log", "news", "-n", "1"]).ok();
}

#[test]
fn a_full_stdout_is_one_line_and_exit_74() {
    let f = farm_with_a_long_log(3);
    for args in [&["log", "news"][..], &["list"], &["stats"], &["show", "news"], &["completions", "bash"]] {
        let mut c = f.cmd(args);
        c.stdout(std::fs::File::create("/dev/full").unwrap());
        let o = c.output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(74), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("farm: cannot write the output: No space left on device"),
            "{args:?}: {stderr}"
        );
    }
}
