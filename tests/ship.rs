//! `farm demo`, completions, the man page, doctor, and the packaging files.

mod support;
use std::path::{Path, PathBuf};
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
    assert!(out.contains("sky (24 posts)"), "a Bluesky writer fed by the X reader: {out}");
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
    assert_eq!(list.as_array().unwrap().len(), 6, "a reader and five writers, one of them on Bluesky");
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

/// Whether this test process may switch users (it runs as root and `setpriv` is there).
fn can_switch_users() -> bool {
    let probe = std::process::Command::new("setpriv").args(["--reuid=65534", "true"]).status();
    probe.is_ok_and(|s| s.success())
}

const UNITS: [&str; 4] = ["farm.service", "farm.timer", "farm-metrics.service", "farm-metrics.timer"];

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The value of `Key=` in a systemd unit (the last one wins, as in systemd).
fn unit_value(unit: &str, key: &str) -> String {
    let text = read(&format!("packaging/systemd/{unit}"));
    let prefix = format!("{key}=");
    text.lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .next_back()
        .unwrap_or_else(|| panic!("{unit}: no {key}="))
        .into()
}

/// The units run `farm` from systemd's search path, so the same files serve the .deb
/// (/usr/bin/farm) and a manual install (/usr/local/bin/farm). Where this test may, it checks
/// that with the binary at /usr/local/bin only: a private mount namespace puts a directory
/// holding just `farm` over /usr/local/bin, and `systemd-analyze verify` reads the units as
/// they are shipped.
#[test]
fn systemd_units_verify_when_systemd_analyze_is_there() {
    if !have("systemd-analyze") {
        eprintln!("skipped: no systemd-analyze on this machine");
        return;
    }
    for unit in ["farm.service", "farm-metrics.service"] {
        let exec = unit_value(unit, "ExecStart");
        assert!(exec.starts_with("farm "), "{unit}: ExecStart={exec}: the binary from the search path");
    }
    let tmp = TempDir::new("units");
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_farm"), bin.join("farm")).unwrap();
    let shipped = UNITS.map(|u| format!("packaging/systemd/{u}"));
    let isolated = std::process::Command::new("unshare")
        .args([
            "-m",
            "sh",
            "-c",
            "mount --bind \"$0\" /usr/local/bin && exec systemd-analyze verify --man=no \"$@\"",
        ])
        .arg(&bin)
        .args(&shipped)
        .output();
    let out = match isolated {
        Ok(out)
            if !String::from_utf8_lossy(&out.stderr).contains("unshare:")
                && !String::from_utf8_lossy(&out.stderr).contains("mount:") =>
        {
            out
        }
        _ => {
            eprintln!("cannot bind-mount /usr/local/bin here: verifying with the test binary's path");
            for unit in UNITS {
                let text = read(&format!("packaging/systemd/{unit}"));
                let text =
                    text.replace("ExecStart=farm ", &format!("ExecStart={} ", env!("CARGO_BIN_EXE_farm")));
                std::fs::write(tmp.path().join(unit), text).unwrap();
            }
            std::process::Command::new("systemd-analyze")
                .args(["verify", "--man=no"])
                .args(UNITS.map(|u| tmp.path().join(u)))
                .output()
                .unwrap()
        }
    };
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

/// One line of the packaged cron file; `optional` ones are commented out.
struct CronEntry {
    minute: String,
    user: String,
    /// The command as cron hands it to the shell (`\%` is `%`).
    command: String,
    optional: bool,
}

/// The packaged cron file: its variables and its entries.
struct CronFile {
    vars: Vec<(String, String)>,
    entries: Vec<CronEntry>,
}

impl CronFile {
    fn read() -> CronFile {
        let text = read("packaging/cron/farm");
        let mut vars = Vec::new();
        let mut entries = Vec::new();
        for line in text.lines() {
            let (optional, body) = match line.strip_prefix('#') {
                Some(rest) => (true, rest.trim()),
                None => (false, line.trim()),
            };
            let fields: Vec<&str> = body.split_whitespace().collect();
            let timed = fields.len() >= 7
                && fields[..5].iter().all(|f| f.chars().all(|c| c.is_ascii_digit() || "*/,-".contains(c)));
            if timed {
                let command = cron_command(&fields[6..].join(" "));
                entries.push(CronEntry {
                    minute: fields[0].into(),
                    user: fields[5].into(),
                    command,
                    optional,
                });
            } else if let (false, Some((k, v))) = (optional, body.split_once('=')) {
                if !k.is_empty() && k.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
                    vars.push((k.to_string(), v.to_string()));
                }
            }
        }
        CronFile { vars, entries }
    }

    fn var(&self, name: &str) -> Option<&str> {
        self.vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The `*/10` line that runs the farm.
    fn run_line(&self) -> &CronEntry {
        let runs: Vec<&CronEntry> = self.entries.iter().filter(|e| !e.optional).collect();
        assert_eq!(runs.len(), 1, "one active line, the run");
        assert!(runs[0].command.ends_with("farm run"), "{}", runs[0].command);
        runs[0]
    }

    fn optional(&self) -> Vec<&CronEntry> {
        self.entries.iter().filter(|e| e.optional).collect()
    }
}

/// A cron command as cron runs it: `\%` is a `%`, and a bare `%` would end the command (the rest
/// going to its stdin), which no packaged line means.
fn cron_command(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'%') {
            out.push('%');
            chars.next();
        } else {
            assert!(c != '%', "a bare % in a cron line ends its command: {s}");
            out.push(c);
        }
    }
    out
}

/// The minutes a cron minute field stands for (`*`, `N`, `A-B`, `*/S`, `A-B/S`, `N/S`, lists).
fn minutes(field: &str) -> Vec<u32> {
    let mut all = Vec::new();
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<usize>().unwrap()),
            None => (part, 1),
        };
        let (lo, hi) = match range.split_once('-') {
            _ if range == "*" => (0, 59),
            Some((a, b)) => (a.parse().unwrap(), b.parse().unwrap()),
            None if step > 1 => (range.parse().unwrap(), 59),
            None => (range.parse().unwrap(), range.parse().unwrap()),
        };
        all.extend((lo..=hi).step_by(step));
    }
    all
}

/// The shell words of a command (no quoting in the packaged lines but plain double quotes).
fn words(command: &str) -> Vec<String> {
    command.split_whitespace().map(|w| w.replace('"', "")).collect()
}

#[test]
fn cron_file_runs_farm_every_ten_minutes_under_flock() {
    let cron = CronFile::read();
    let run = cron.run_line();
    assert_eq!(run.minute, "*/10");
    assert!(run.command.starts_with("flock -n ") && run.command.ends_with("farm run"), "{}", run.command);
    assert!(cron.var("MAILTO").is_some());
    assert!(cron.optional().len() >= 2, "the metrics and backup lines");
}

/// The optional lines never start in the run's minute, and they wait for the run line's lock
/// (for less than their own interval) instead of failing or running beside it.
#[test]
fn cron_optional_lines_are_staggered_and_wait_for_the_runs_lock() {
    let cron = CronFile::read();
    let run = cron.run_line();
    let run_minutes = minutes(&run.minute);
    let run_lock = &words(&run.command)[2];
    for e in cron.optional() {
        let shared: Vec<u32> = minutes(&e.minute).into_iter().filter(|m| run_minutes.contains(m)).collect();
        assert!(shared.is_empty(), "{} starts with the run at minutes {shared:?}", e.command);
        let w = words(&e.command);
        assert_eq!(w[..2], ["flock", "-w"], "waits for the lock: {}", e.command);
        let wait: u32 = w[2].parse().unwrap();
        let every = minutes(&e.minute).windows(2).map(|p| p[1] - p[0]).min().unwrap_or(60 * 24);
        assert!(wait > 0 && wait < every * 60, "waits {wait} s, runs every {every} min: {}", e.command);
        assert_eq!(&w[3], run_lock, "the run line's lock: {}", e.command);
    }
}

/// cron.d, the units and the .deb's postinst describe one farm: one user, one data directory,
/// the same `farm` for both ways to install it (.deb: /usr/bin, by hand: /usr/local/bin).
#[test]
fn cron_file_units_and_postinst_describe_one_farm() {
    let cron = CronFile::read();
    let db = cron.var("FARM_DB").expect("the cron file sets FARM_DB");
    let path: Vec<&str> = cron.var("PATH").expect("the cron file sets PATH").split(':').collect();
    assert!(path.contains(&"/usr/local/bin") && path.contains(&"/usr/bin"), "{path:?}");
    let postinst = read("packaging/deb/postinst");
    for e in &cron.entries {
        assert_eq!(e.user, "farm", "{}", e.command);
    }
    for unit in ["farm.service", "farm-metrics.service"] {
        assert_eq!(unit_value(unit, "User"), "farm", "{unit}");
        assert_eq!(unit_value(unit, "Environment"), format!("FARM_DB={db}"), "{unit}");
    }
    let dirs = postinst_dirs(&postinst);
    let home = postinst_home(&postinst);
    assert!(
        dirs.contains(&db.to_string()) && dirs.contains(&home),
        "postinst makes {home} and {db}: {dirs:?}"
    );
    // import and compact stage next to the data directory, farm's backups sit there too: the
    // farm user must own the directory that holds it.
    assert_eq!(
        Path::new(db).parent(),
        Some(Path::new(&home)),
        "the data directory is in the farm user's home"
    );
    assert_eq!(unit_value("farm.service", "StateDirectory"), home.trim_start_matches("/var/lib/"));
}

/// The directories the postinst makes for the farm user (its `install -d` lines).
fn postinst_dirs(postinst: &str) -> Vec<String> {
    let lines: Vec<&str> = postinst.lines().filter(|l| l.trim_start().starts_with("install -d")).collect();
    assert!(!lines.is_empty(), "an install -d line: {postinst}");
    for l in &lines {
        assert!(l.contains("-o farm") && l.contains("-m 0700"), "{l}");
    }
    lines.iter().flat_map(|l| l.split_whitespace()).filter(|a| a.starts_with('/')).map(String::from).collect()
}

/// The farm user's home, as the postinst creates the user.
fn postinst_home(postinst: &str) -> String {
    let w: Vec<&str> = postinst.split_whitespace().collect();
    let i = w.iter().position(|a| *a == "--home").expect("adduser --home");
    w[i + 1].to_string()
}

/// The layout a package install makes, in a temporary root: the binary where a manual install
/// puts it (`/usr/local/bin/farm`), a root-owned `/var/lib`, and the farm user's home and data
/// directory as the postinst makes them (mode 0700, owned by the farm user). Commands run the way
/// cron runs the cron file's lines: `sh -c` with cron's environment (PATH=/usr/bin:/bin, HOME)
/// and the file's variables, as an unprivileged user (uid 65534 plays `farm`) when the test may
/// switch users, else as this user.
struct Packaged {
    root: TempDir,
    cron: CronFile,
    switch: bool,
}

impl Packaged {
    fn new() -> Packaged {
        use std::os::unix::fs::PermissionsExt;
        let root = TempDir::new("packaged");
        let p = Packaged { root, cron: CronFile::read(), switch: can_switch_users() };
        // Explicit modes: another test in this process may have set a private umask.
        for d in ["", "/usr", "/usr/local", "/usr/local/bin", "/var", "/var/lib"] {
            let d = p.path(d);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_farm"), p.path("/usr/local/bin/farm")).unwrap();
        for d in postinst_dirs(&read("packaging/deb/postinst")) {
            p.private_dir(&d);
        }
        p
    }

    /// A path of the layout.
    fn path(&self, p: &str) -> PathBuf {
        PathBuf::from(format!("{}{p}", self.root.path().display()))
    }

    /// Make directory `p` of the layout, mode 0700, owned by the farm user.
    fn private_dir(&self, p: &str) {
        use std::os::unix::fs::PermissionsExt;
        let d = self.path(p);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
        if self.switch {
            assert!(std::process::Command::new("chown")
                .arg("65534:65534")
                .arg(&d)
                .status()
                .unwrap()
                .success());
        }
    }

    /// `text` with the layout's paths in place of the system's.
    fn map(&self, text: &str) -> String {
        let root = self.root.path().display().to_string();
        text.replace("/var/lib/", &format!("{root}/var/lib/"))
            .replace("/usr/local/bin", &format!("{root}/usr/local/bin"))
    }

    /// Run `command` with `sh -c` as cron runs a line of the cron file, with `stdin`.
    fn cron(&self, command: &str, stdin: std::process::Stdio) -> support::Run {
        let home = postinst_home(&read("packaging/deb/postinst"));
        let mut env = vec![
            ("SHELL".to_string(), "/bin/sh".to_string()),
            ("PATH".to_string(), "/usr/bin:/bin".to_string()),
            ("HOME".to_string(), self.map(&format!("{home}/"))),
            ("LOGNAME".to_string(), "farm".to_string()),
        ];
        for (k, v) in &self.cron.vars {
            env.retain(|(name, _)| name != k);
            env.push((k.clone(), self.map(v)));
        }
        self.sh(&self.map(command), &env, stdin)
    }

    /// Run `command` with `sh -c` in exactly the environment `env`, as the farm user.
    fn sh(&self, command: &str, env: &[(String, String)], stdin: std::process::Stdio) -> support::Run {
        let mut c = if self.switch {
            let mut c = std::process::Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c", command]);
            c
        } else {
            let mut c = std::process::Command::new("sh");
            c.args(["-c", command]);
            c
        };
        c.env_clear().envs(env.iter().map(|(k, v)| (k, v))).stdin(stdin).current_dir(self.root.path());
        support::Run::from(c.output().unwrap())
    }
}

/// A farm with one Mastodon reader `r` whose server (port 9) never answers.
fn farm_with_a_reader() -> Farm {
    let f = Farm::new();
    f.run_env(
        &["create", "reader", "r", "--platform", "mastodon", "--api", "http://127.0.0.1:9"],
        &[("FARM_ACCESS_TOKEN", "t0123456789")],
    )
    .ok();
    f
}

/// The README's way to put a quick-start farm where the package runs one: `farm export -` piped
/// into `farm import -` as the farm user, into the packaged data directory where cron has
/// already been taking its lock. Then the cron file's lines run it, and the optional ones print
/// nothing on success. As root this runs as an unprivileged user, which finds every place
/// import, compact and the lines write to its own.
#[test]
fn a_quick_start_farm_moves_into_the_packaged_layout_and_runs_from_cron() {
    let layout = Packaged::new();
    let run_line = layout.cron.run_line().command.clone();
    // The package is installed and cron runs on the empty farm before the farm moves in.
    let first = layout.cron(&run_line, std::process::Stdio::null());
    assert!(!first.stderr.contains("flock"), "{run_line}: {}", first.stderr);

    // The quick-start farm, as its user made it.
    let f = farm_with_a_reader();
    let archive = f.cmd(&["export", "-"]).output().unwrap();
    assert!(archive.status.success(), "{}", String::from_utf8_lossy(&archive.stderr));
    let tar = f.dir.path().join("moving.tar");
    std::fs::write(&tar, &archive.stdout).unwrap();
    let import = layout.cron("farm import -", std::fs::File::open(&tar).unwrap().into());
    assert_eq!(import.code, 0, "import as the farm user: {import:?}");

    let out = layout.cron(&run_line, std::process::Stdio::null());
    // The run itself fails (nothing listens on port 9): what matters is that it started.
    assert!(!out.stderr.contains("flock"), "{run_line}: {}", out.stderr);
    let log = layout.cron("farm log r", std::process::Stdio::null());
    assert!(log.stdout.contains("error"), "the run did not start: {out:?} {log:?}");

    // The optional lines: the metrics directory is the node_exporter's, writable by farm.
    layout.private_dir("/var/lib/node_exporter/textfile_collector");
    for e in layout.cron.optional() {
        let r = layout.cron(&e.command, std::process::Stdio::null());
        assert!(
            r.code == 0 && r.stdout.is_empty() && r.stderr.is_empty(),
            "quiet on success: {}: {r:?}",
            e.command
        );
    }
    let home = layout.path(&postinst_home(&read("packaging/deb/postinst")));
    let backups: Vec<String> = std::fs::read_dir(&home)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tar.gz"))
        .collect();
    assert_eq!(backups.len(), 1, "the nightly export: {backups:?}");
    assert!(layout.path("/var/lib/node_exporter/textfile_collector/farm.prom").is_file());
    // And compact, as the farm user, in place.
    let compact = layout.cron("farm compact -q", std::process::Stdio::null());
    assert!(compact.code == 0 && compact.stdout.is_empty() && compact.stderr.is_empty(), "{compact:?}");
    layout.cron("farm log r", std::process::Stdio::null()).ok();
}

/// The quick start's crontab line runs under cron's own PATH (/usr/bin:/bin) with farm
/// installed where the quick start puts it.
#[test]
fn the_quick_start_crontab_line_finds_farm_under_crons_path() {
    let readme = read("README.md");
    let start = readme.find("\n## Quick start").expect("a Quick start section");
    let section = &readme[start + 1..];
    let section = &section[..section[1..].find("\n## ").map_or(section.len(), |i| i + 1)];
    assert!(section.contains("/usr/local/bin"), "the quick start installs to /usr/local/bin");
    let line = section.lines().find(|l| l.contains("*/10 * * * *")).expect("a crontab line");
    let command = line.split("*/10 * * * *").nth(1).unwrap().trim();
    let layout = Packaged::new();
    let data = layout.root.path().join("home");
    let env = [
        ("PATH".to_string(), "/usr/bin:/bin".to_string()),
        ("HOME".to_string(), data.display().to_string()),
        ("FARM_DB".to_string(), layout.path("/var/lib/farm-quick").display().to_string()),
    ];
    let r = layout.sh(&layout.map(command), &env, std::process::Stdio::null());
    assert!(r.code != 127 && !r.stderr.contains("not found"), "{command}: {r:?}");
}

/// `-q` is for cron: a successful export or compact prints nothing at all.
#[test]
fn export_and_compact_are_silent_with_quiet() {
    let f = farm_with_a_reader();
    let file = f.dir.path().join("b.tar");
    let r = f.run(&["export", "-q", file.to_str().unwrap()]).ok();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""));
    assert!(file.metadata().unwrap().len() > 0);
    let r = f.run(&["compact", "--quiet"]).ok();
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""));
    // Without it, the summary is still there for a person.
    assert!(f.run(&["export", "--gzip", file.to_str().unwrap()]).ok().stdout.starts_with("exported 1 bots"));
    assert!(f.run(&["compact"]).ok().stdout.starts_with("compacted: "));
    // Failures still speak.
    let r = f.run(&["export", "-q", f.dir.path().to_str().unwrap()]).code(64);
    assert!(r.stderr.contains("is a directory"), "{r:?}");
}

/// A data directory that holds only what the packaging leaves in it (the cron line's lock) is
/// as good as an empty one for an import.
#[test]
fn import_takes_a_data_directory_holding_only_the_cron_lock() {
    let src = farm_with_a_reader();
    let tar = src.dir.path().join("a.tar");
    src.run(&["export", tar.to_str().unwrap()]).ok();
    let f = Farm::new();
    std::fs::create_dir(f.db()).unwrap();
    std::fs::write(f.db().join("cron.lock"), "").unwrap();
    f.run(&["import", tar.to_str().unwrap()]).ok();
    assert_eq!(f.run(&["list", "--json"]).ok().json().as_array().unwrap().len(), 1);
    // Anything else still makes it refuse.
    let g = Farm::new();
    std::fs::create_dir(g.db()).unwrap();
    std::fs::write(g.db().join("notes.txt"), "mine").unwrap();
    g.run(&["import", tar.to_str().unwrap()]).one_line_error(64, "is not empty");
}

/// A field of the `[package.metadata.deb]` table of Cargo.toml (a one-line string).
fn deb_field(name: &str) -> Option<String> {
    let toml = read("Cargo.toml");
    let start = toml.find("[package.metadata.deb]").expect("a [package.metadata.deb] table");
    let table = &toml[start..];
    let table = &table[..table[1..].find("\n[").map_or(table.len(), |i| i + 1)];
    table.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == name).then(|| v.trim().trim_matches('"').to_string())
    })
}

#[test]
fn the_deb_declares_what_its_scripts_need_and_is_named_as_built() {
    let depends = deb_field("depends").expect("depends");
    let depends: Vec<&str> = depends.split(',').map(str::trim).collect();
    assert!(depends.contains(&"$auto"), "{depends:?}");
    let postinst = read("packaging/deb/postinst");
    for tool in ["adduser"] {
        if postinst.contains(tool) {
            assert!(depends.contains(&tool), "postinst runs {tool}: {depends:?}");
        }
    }
    // cargo-deb names the file NAME_VERSION-REVISION_ARCH.deb after this name (else the crate's).
    let name = deb_field("name").unwrap_or_else(|| "botfarm".into());
    assert_eq!(name, "farm");
    let build = read("packaging/deb/build.sh");
    assert!(build.contains(&format!("target/debian/{name}_")), "build.sh names the file it makes");
    // Nothing runs until the operator says so: the postinst and the README say how.
    assert!(postinst.contains("systemctl enable --now farm.timer"), "{postinst}");
    let deploy = &read("README.md")[..];
    assert!(deploy.contains("systemctl enable --now farm.timer"));
}

/// Without cargo-deb, build.sh stops before building anything, with one line saying what to
/// install.
#[test]
fn deb_build_without_cargo_deb_says_so_first() {
    let tmp = TempDir::new("build");
    let calls = tmp.path().join("calls");
    // A `cargo` that has no `deb` subcommand and records every call.
    let cargo = tmp.path().join("cargo");
    std::fs::write(
        &cargo,
        format!(
            "#!/bin/sh\necho \"$*\" >> {}\n[ \"$1\" = deb ] && {{ echo 'error: no such command: `deb`' >&2; exit 101; }}\nexit 0\n",
            calls.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = std::process::Command::new("bash")
        .arg("packaging/deb/build.sh")
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", tmp.path().display()))
        .env("HOME", tmp.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cargo install cargo-deb"), "{err}");
    let calls = std::fs::read_to_string(&calls).unwrap_or_default();
    assert!(!calls.contains("build"), "it built before checking: {calls}");
}

fn role_tasks() -> Vec<serde_yaml::Value> {
    serde_yaml::from_str(&read("packaging/ansible/roles/farm/tasks/main.yml")).unwrap()
}

/// Every task of the role, those inside blocks too, with whether each is in an `always`.
fn all_tasks(tasks: &[serde_yaml::Value], always: bool, out: &mut Vec<(serde_yaml::Value, bool)>) {
    for t in tasks {
        out.push((t.clone(), always));
        if let Some(b) = t["block"].as_sequence() {
            all_tasks(b, always, out);
        }
        if let Some(b) = t["always"].as_sequence() {
            all_tasks(b, true, out);
        }
    }
}

/// The role upgrades the binary, never leaves the archive (it holds credentials) on the host,
/// and takes the user and the data directory from its variables everywhere.
#[test]
fn the_ansible_role_upgrades_cleans_up_and_uses_its_variables() {
    let mut tasks = Vec::new();
    all_tasks(&role_tasks(), false, &mut tasks);
    let module = |t: &serde_yaml::Value, m: &str| t[m].as_mapping().cloned();
    let get_url = tasks.iter().find_map(|(t, _)| module(t, "ansible.builtin.get_url")).expect("get_url");
    assert_eq!(
        get_url.get("force").and_then(|v| v.as_bool()),
        Some(true),
        "downloads a new release: {get_url:?}"
    );
    assert!(get_url.get("checksum").is_some(), "checks what it downloaded: {get_url:?}");

    let copied = tasks
        .iter()
        .find_map(|(t, _)| {
            let c = module(t, "ansible.builtin.copy")?;
            (c.get("src")?.as_str()? == "{{ farm_import_file }}").then(|| c.get("dest").unwrap().clone())
        })
        .expect("the task that copies the export");
    let removed = tasks.iter().any(|(t, always)| {
        module(t, "ansible.builtin.file").is_some_and(|f| {
            *always
                && f.get("path") == Some(&copied)
                && f.get("state").and_then(|s| s.as_str()) == Some("absent")
        })
    });
    assert!(removed, "the copied export {copied:?} is removed in an `always`");

    let text = read("packaging/ansible/roles/farm/tasks/main.yml");
    for fixed in ["/var/lib/farm", "User=farm", "farm run", "/usr/local/bin"] {
        assert!(!text.contains(fixed), "{fixed:?} is fixed in the tasks instead of a variable");
    }
    for var in ["farm_user", "farm_data_dir", "farm_binary_dest"] {
        for (place, needle) in
            [("the units' drop-in", "farm.service.d"), ("the cron file", "/etc/cron.d/farm")]
        {
            let task = tasks
                .iter()
                .map(|(t, _)| serde_yaml::to_string(t).unwrap())
                .find(|t| t.contains(needle))
                .unwrap_or_else(|| panic!("no task writes {place}"));
            assert!(task.contains(var), "{place} does not use {var}: {task}");
        }
    }
}

#[test]
fn grafana_dashboard_is_json() {
    let Ok(text) = std::fs::read_to_string("packaging/grafana/farm-dashboard.json") else {
        panic!("packaging/grafana/farm-dashboard.json is missing");
    };
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(v["panels"].as_array().is_some_and(|p| !p.is_empty()));
    // Every farm metric a panel asks for is one `farm metrics` writes.
    let families: Vec<&str> = botfarm::cmd::metrics::FAMILIES.iter().map(|(name, _, _)| *name).collect();
    for panel in v["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().unwrap_or("");
            let names = expr
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| w.starts_with("farm_"));
            for name in names {
                assert!(
                    families.contains(&name),
                    "panel {:?} asks for {name}, which farm does not write",
                    panel["title"]
                );
            }
        }
    }
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
    support::close_store(store);
    f
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    use std::io::{BufRead, BufReader, Read};
    let f = farm_with_a_long_log(400);
    // `farm log -n 400 | head -2` on a wide screen: about 400 KB, far more than a pipe holds.
    let mut c = f.cmd(&["log", "news", "-n", "400"]);
    c.env("COLUMNS", "1100");
    c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (mut header, mut first) = (String::new(), String::new());
    out.read_line(&mut header).unwrap();
    out.read_line(&mut first).unwrap();
    assert!(header.starts_with("time") && first.contains("event"), "{header}{first}");
    // The reader goes away, closing the pipe.
    drop(out);
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
