//! No credential appears in any output, log, error, `--json`, metrics or `--no-secrets` export,
//! and the data directory and exports are not world-readable. One test scans them all.

mod support;
use botfarm::sim::Fault;
use std::os::unix::fs::PermissionsExt;
use support::leak;
use support::net::{Net, CK, CS, T0};

#[test]
fn no_secret_anywhere() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("writer", "w", "x", &["--source", "r"]);
    n.masto_bot("writer", "m", &["--source", "r"]);
    n.seed("r", 10, "s");
    n.farm.run_env(&["app", "set", "x"], &[("FARM_CONSUMER_KEY", CK), ("FARM_CONSUMER_SECRET", CS)]).ok();
    let secrets = [
        CK.to_string(),
        CS.to_string(),
        "tok-r-0123456789".to_string(),
        "sec-r-0123456789".to_string(),
        "tok-w-0123456789".to_string(),
        "sec-w-0123456789".to_string(),
        "bearer-m-0123456789".to_string(),
    ];
    let mut outputs: Vec<(String, String)> = Vec::new();
    let mut record = |what: &str, r: support::Run| outputs.push((what.to_string(), r.all()));
    record("run", n.at(T0, &["run", "-v"]));
    n.fake.fail_next(1, Fault::Status(401), Some("/2/tweets"));
    n.fake.fail_next(1, Fault::Status(401), Some("/api/v1/statuses"));
    record("failing run", n.at(T0 + 3600, &["run", "-v"]));
    record("dry run", n.at(T0 + 7200, &["run", "--dry-run"]));
    for args in [
        vec!["list"],
        vec!["list", "--json"],
        vec!["show", "r", "--json"],
        vec!["show", "w"],
        vec!["show", "m", "--json"],
        vec!["stats"],
        vec!["stats", "--json"],
        vec!["stats", "w", "--json"],
        vec!["log", "-n", "200"],
        vec!["app", "show"],
        vec!["check"],
        vec!["doctor", "--offline"],
        vec!["metrics", "--format", "influx"],
        vec!["metrics", "--format", "prometheus"],
        vec!["preview", "w"],
    ] {
        record(&args.join(" "), n.farm.run(&args));
    }
    // A bad-credentials error path from the command line.
    record(
        "bad edit",
        n.farm.run_env(&["edit", "w", "--credentials"], &[("FARM_ACCESS_TOKEN", "only-token")]),
    );
    let tar = n.farm.dir.path().join("shared.tar");
    record("export --no-secrets", n.farm.run(&["export", "--no-secrets", tar.to_str().unwrap()]));
    let full = n.farm.dir.path().join("full.tar");
    record("export", n.farm.run(&["export", full.to_str().unwrap()]));
    for (what, out) in &outputs {
        for s in &secrets {
            assert!(!out.contains(s.as_str()), "{s} printed by `{what}`:\n{out}");
        }
    }
    let archive = std::fs::read(&tar).expect("the --no-secrets export exists");
    let text = String::from_utf8_lossy(&archive);
    for s in &secrets {
        assert!(!text.contains(s.as_str()), "{s} is in the --no-secrets export");
    }
    // The full export does carry them (it is a backup), so it must be private.
    for f in [&tar, &full] {
        let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "{} is readable by others ({mode:o})", f.display());
    }
    let mode = std::fs::metadata(n.farm.db()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    // The --no-secrets export imports into a working (credential-less) farm.
    let other = n.farm.dir.path().join("other");
    n.farm.run(&["--db", other.to_str().unwrap(), "import", tar.to_str().unwrap()]).ok();
    let show = n.farm.run(&["--db", other.to_str().unwrap(), "show", "w", "--json"]).ok().json();
    assert!(show["credentials"]["access_token"].is_null(), "{show}");
}

/// The secrets of the bots `Net::x_bot` and `Net::masto_bot` make under these names, with the
/// X app keys.
fn secrets_of(x_bots: &[&str], masto_bots: &[&str]) -> Vec<String> {
    let mut s = vec![CK.to_string(), CS.to_string()];
    for b in x_bots {
        s.push(format!("tok-{b}-0123456789"));
        s.push(format!("sec-{b}-0123456789"));
    }
    for b in masto_bots {
        s.push(format!("bearer-{b}-0123456789"));
    }
    s
}

/// Every view of the farm a user or a cron mail sees: `(what, output)`.
fn views(n: &Net, bots: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut args: Vec<Vec<&str>> = vec![
        vec!["log", "-n", "500"],
        vec!["stats"],
        vec!["stats", "--json"],
        vec!["list"],
        vec!["list", "--json"],
        vec!["doctor", "--offline"],
        vec!["metrics", "--format", "prometheus"],
    ];
    for b in bots {
        args.push(vec!["show", b, "--json"]);
        args.push(vec!["show", b]);
        args.push(vec!["stats", b, "--json"]);
        args.push(vec!["log", b, "-n", "500"]);
    }
    for a in args {
        out.push((a.join(" "), n.farm.run(&a).all()));
    }
    let tar = n.farm.dir.path().join("views.tar");
    let r = n.farm.run(&["export", "--no-secrets", tar.to_str().unwrap()]);
    out.push(("export --no-secrets".into(), r.all()));
    let bytes = std::fs::read(&tar).expect("the --no-secrets export exists");
    out.push(("the --no-secrets archive".into(), String::from_utf8_lossy(&bytes).into_owned()));
    out
}

/// A server or proxy that quotes the request's credentials in its answers (an auth error, a
/// server error, a 200 that is not the documented shape) on X v2, X v1.1 and Mastodon, to
/// readers and to a writer's post: no secret, nor 8 characters of one, reaches stderr, the
/// event log, `stats`, `show --json`, `doctor` or the `--no-secrets` export, and the messages
/// still say what happened.
#[test]
fn credentials_echoed_by_a_server_are_masked_everywhere() {
    let mut n = Net::new();
    n.x_bot("reader", "x2", "x", &[]);
    n.x_bot("reader", "x1", "x-v1", &[]);
    n.masto_bot("reader", "m", &[]);
    n.x_bot("writer", "w", "x", &["--source", "m"]);
    n.masto_bot("writer", "mw", &["--source", "m"]);
    n.seed("m", 10, "s");
    let secrets = secrets_of(&["x2", "x1", "w"], &["m", "mw"]);
    let bots = ["x2", "x1", "m", "w", "mw"];
    let mut outputs = vec![("a run without faults".to_string(), n.at(T0, &["run", "-v"]).ok().all())];
    for (i, code) in [401, 500, 200].into_iter().enumerate() {
        for path in ["/2/users", "/1.1/", "/api/v1/timelines", "/2/tweets", "/api/v1/statuses"] {
            n.fake.fail_next(1, Fault::EchoCredentials(code), Some(path));
        }
        let mut args = vec!["run", "-v", "--force"];
        args.extend(bots);
        let r = n.at(T0 + (i as i64 + 1) * 86_400, &args);
        assert_ne!(r.code, 0, "{}", r.all());
        outputs.push((format!("a run answered {code} with the credentials"), r.all()));
    }
    assert_eq!(
        n.fake.requests().iter().filter(|r| r.status == 0 || r.user.is_none()).count(),
        0,
        "every request was answered and authenticated"
    );
    outputs.extend(views(&n, &bots));
    for (what, out) in &outputs {
        if let Some(s) = leak(out, &secrets) {
            panic!("{s} shown by `{what}`:\n{out}");
        }
    }
    // The messages still say what happened, with the secret masked.
    let log = n.farm.run(&["log", "-n", "500", "--json"]).ok().stdout;
    for words in ["credentials refused", "server error", "Invalid or expired token", "[secret]"] {
        assert!(log.contains(words), "{words:?} is not in the log:\n{log}");
    }
}

/// An event and a last error stored by an older farm that quoted a token are masked when shown
/// and when shared: they reach none of `farm log`, `stats`, `show --json`, `doctor` or the
/// `--no-secrets` export.
#[test]
fn secrets_stored_by_an_older_farm_are_masked_when_shown_and_shared() {
    use botfarm::model::{BotState, Event};
    use botfarm::store::codec::{decode, encode};
    let mut n = Net::new();
    n.masto_bot("reader", "m", &[]);
    n.x_bot("reader", "x", "x", &[]);
    n.seed("m", 3, "s");
    n.at(T0, &["run"]).ok();
    let secrets = secrets_of(&["x"], &["m"]);
    {
        let db = support::open_control(&n.farm.db().join("db"));
        let quoted = "HTTP 401: The access token bearer-m-0123456789 is invalid (consumer ck-test-0001)";
        let ev = Event { at: T0 + 1, kind: "error".into(), message: quoted.into() };
        let mut key = b"m\0".to_vec();
        key.extend_from_slice(&u64::MAX.to_be_bytes());
        db.open_tree("events").unwrap().insert(key, encode(&ev).unwrap()).unwrap();
        let states = db.open_tree("state").unwrap();
        let mut st: BotState = decode(&states.get(b"m").unwrap().unwrap()).unwrap();
        st.last_error = Some(format!("token tok-x-0123456789 refused; {quoted}"));
        states.insert(b"m", encode(&st).unwrap()).unwrap();
        db.flush().unwrap();
    }
    let outputs = views(&n, &["m", "x"]);
    for (what, out) in &outputs {
        if let Some(s) = leak(out, &secrets) {
            panic!("{s} shown by `{what}`:\n{out}");
        }
    }
    let log = n.farm.run(&["log", "m", "--json"]).ok().stdout;
    assert!(log.contains("The access token [secret] is invalid"), "{log}");
}

#[test]
fn an_exec_command_never_sees_the_farms_secrets() {
    let mut n = Net::new();
    n.masto_bot("reader", "r", &[]);
    n.masto_bot(
        "writer",
        "w",
        &["--source", "r", "--process", "exec:printf 'token=%s' \"${FARM_ACCESS_TOKEN:-unset}\""],
    );
    n.seed("r", 2, "a");
    n.synced(T0, &["run", "r"]).ok();
    let r = n
        .farm
        .run_env(&["preview", "w", "-n", "1"], &[("FARM_ACCESS_TOKEN", "tok-secret-in-env-123456")])
        .ok();
    assert!(r.stdout.contains("token=unset"), "{}", r.all());
    assert!(!r.all().contains("tok-secret"), "{}", r.all());
}
