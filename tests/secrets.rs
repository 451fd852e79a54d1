//! No credential appears in any output, log, error, `--json`, metrics or `--no-secrets` export,
//! and the data directory and exports are not world-readable. One test scans them all.

mod support;
use botfarm::sim::Fault;
use std::os::unix::fs::PermissionsExt;
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
    assert_eq!(show["credentials"]["access_token"], "(none)");
}
