//! The bot registry, end to end through the real binary: create, list, show, edit, pause,
//! resume, destroy; validation errors leave the database unchanged; secrets never printed;
//! the data directory lock; stored-format versioning.

mod support;
use support::{Farm, X_CK, X_CS};

const TOKEN: &str = "user-token-SECRET-9f8e7d";
const SECRET: &str = "user-secret-SECRET-1a2b3c";

fn x_env() -> Vec<(&'static str, String)> {
    Farm::x_env(TOKEN, SECRET)
}

fn farm_with_pair() -> Farm {
    let f = Farm::new();
    f.create(&["create", "reader", "@news", "--platform", "x"], &x_env()).ok();
    f.create(
        &["create", "writer", "hp", "--source", "@news", "--template", "Гарри Поттер и {}", "--every", "2h"],
        &x_env(),
    )
    .ok();
    f
}

#[test]
fn create_list_show_edit_pause_resume_destroy() {
    let f = farm_with_pair();
    let list = f.run(&["list", "--json"]).ok().json();
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["hp", "news"]);
    let hp = f.run(&["show", "hp", "--json"]).ok().json();
    assert_eq!(hp["role"], "writer");
    assert_eq!(hp["source"], "news");
    assert_eq!(hp["every_secs"], 7200);
    assert_eq!(hp["template"], "Гарри Поттер и {}");
    assert_eq!(hp["platform"], "x");
    assert_eq!(hp["api"], "https://api.x.com");

    f.run(&["edit", "@hp", "--every", "30m"]).ok();
    assert_eq!(f.run(&["show", "hp", "--json"]).ok().json()["every_secs"], 1800);

    f.run(&["pause", "hp"]).ok();
    assert_eq!(f.run(&["show", "hp", "--json"]).ok().json()["paused"], true);
    f.run(&["resume", "hp"]).ok();
    assert_eq!(f.run(&["show", "hp", "--json"]).ok().json()["paused"], false);

    // A reader in use is not destroyed without --force.
    let r = f.run(&["destroy", "news", "--yes"]).code(64);
    assert!(r.stderr.contains("used by hp"), "{}", r.stderr);
    f.run(&["destroy", "hp", "--yes"]).ok();
    f.run(&["destroy", "news", "--yes"]).ok();
    assert_eq!(f.run(&["list", "--json"]).ok().json(), serde_json::json!([]));
}

#[test]
fn destroy_needs_confirmation_without_a_terminal() {
    let f = farm_with_pair();
    let r = f.run(&["destroy", "hp"]).code(64);
    assert!(r.stderr.contains("--yes"), "{}", r.stderr);
    assert_eq!(f.run(&["list", "--json"]).ok().json().as_array().unwrap().len(), 2);
}

#[test]
fn force_destroys_a_reader_in_use() {
    let f = farm_with_pair();
    f.run(&["destroy", "news", "--yes", "--force"]).ok();
    assert_eq!(f.run(&["list", "--json"]).ok().json().as_array().unwrap().len(), 1);
}

#[test]
fn secrets_never_printed() {
    let f = farm_with_pair();
    f.create(
        &["create", "reader", "m", "--platform", "mastodon", "--api", "http://127.0.0.1:9"],
        &[("FARM_ACCESS_TOKEN", TOKEN.into())],
    )
    .ok();
    let mut outputs = Vec::new();
    for args in [
        vec!["list"],
        vec!["list", "--json"],
        vec!["show", "hp"],
        vec!["show", "hp", "--json"],
        vec!["show", "m", "--json"],
        vec!["stats"],
        vec!["stats", "--json"],
        vec!["log"],
        vec!["app", "show"],
        vec!["run", "--dry-run", "-v"],
    ] {
        outputs.push(f.run(&args).ok().all());
    }
    // Error paths too.
    outputs.push(f.create(&["create", "reader", "news", "--platform", "x"], &x_env()).all());
    outputs.push(f.create(&["create", "reader", "bad name!", "--platform", "x"], &x_env()).all());
    for out in outputs {
        for secret in [TOKEN, SECRET, X_CS, X_CK] {
            assert!(!out.contains(secret), "secret {secret} printed in:\n{out}");
        }
    }
    let show = f.run(&["show", "hp", "--json"]).ok().json();
    assert_eq!(show["credentials"]["access_token"], "********8e7d");
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let f = farm_with_pair();
    let before = f.run(&["list", "--json"]).ok().stdout;
    let long = "a".repeat(65);
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["create", "reader", "bad name", "--platform", "x"], 64, "not a valid bot name"),
        (vec!["create", "reader", &long, "--platform", "x"], 64, "not a valid bot name"),
        (vec!["create", "reader", "r2", "--platform", "myspace"], 64, "possible values: x, x-v1, mastodon"),
        (vec!["create", "reader", "r2"], 64, "--platform is required"),
        (vec!["create", "writer", "w2"], 64, "needs --source"),
        (vec!["create", "writer", "w2", "--source", "nobody"], 64, "no bot"),
        (vec!["create", "writer", "w2", "--source", "hp"], 64, "needs a reader"),
        (vec!["create", "reader", "news", "--platform", "x"], 64, "already exists"),
        (vec!["create", "reader", "r2", "--platform", "x", "--every", "soon"], 64, "not a duration"),
        (vec!["create", "reader", "r2", "--platform", "mastodon"], 64, "--api"),
        (vec!["create", "reader", "r2", "--platform", "x", "--api", "ftp://x"], 64, "not an API URL"),
        (vec!["edit", "nobody", "--every", "1h"], 64, "no bot named"),
        (vec!["edit", "news", "--template", "x {}"], 64, "for writers"),
        (vec!["run", "--force"], 64, "--force needs"),
        (vec!["frobnicate"], 64, ""),
        (vec!["create", "reader"], 64, ""),
    ];
    for (args, code, msg) in cases {
        let r = f.create(&args, &x_env());
        assert_eq!(r.code, code, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(msg), "{args:?}: {}", r.stderr);
        assert!(!r.stderr.contains("panicked") && !r.stderr.contains("RUST_BACKTRACE"), "{}", r.stderr);
    }
    // Missing credentials: a clear config error, nothing stored.
    let r = f.run(&["create", "reader", "r3", "--platform", "x"]).code(78);
    assert!(r.stderr.contains("FARM_CONSUMER_KEY"), "{}", r.stderr);
    let r = f
        .run_env(
            &["create", "reader", "r3", "--platform", "x"],
            &[("FARM_CONSUMER_KEY", "k"), ("FARM_CONSUMER_SECRET", "s")],
        )
        .code(78);
    assert!(r.stderr.contains("FARM_ACCESS_TOKEN"), "{}", r.stderr);
    let r = f
        .run(&["create", "reader", "r4", "--platform", "mastodon", "--api", "https://example.social"])
        .code(78);
    assert!(r.stderr.contains("FARM_ACCESS_TOKEN"), "{}", r.stderr);
    assert_eq!(f.run(&["list", "--json"]).ok().stdout, before);
}

#[test]
fn app_keys_are_inherited() {
    let f = Farm::new();
    f.run_env(&["app", "set", "x"], &[("FARM_CONSUMER_KEY", X_CK), ("FARM_CONSUMER_SECRET", X_CS)]).ok();
    f.run_env(
        &["create", "reader", "r", "--platform", "x"],
        &[("FARM_ACCESS_TOKEN", TOKEN), ("FARM_ACCESS_SECRET", SECRET)],
    )
    .ok();
    let show = f.run(&["show", "r", "--json"]).ok().json();
    assert!(show["credentials"]["consumer_key"].is_null(), "{show}");
    assert_eq!(show["credentials"]["consumer_key_from_app"], true);
    let out = f.run(&["app", "show"]).ok().stdout;
    assert!(out.contains("2222") && !out.contains(X_CS), "{out}");
}

#[test]
fn read_only_commands_do_not_create_the_data_dir() {
    let f = Farm::new();
    f.run(&["list"]).ok();
    f.run(&["stats", "--json"]).ok();
    // `farm run` says there is no farm there (it is a cron job pointed at the wrong place).
    f.run(&["run"]).code(78);
    assert!(!f.db().exists());
}

#[test]
fn data_dir_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let f = farm_with_pair();
    let mode = std::fs::metadata(f.db()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
}

#[test]
fn a_busy_farm_is_refused_at_once_with_wait_0() {
    let f = farm_with_pair();
    // Hold the data directory's lock the way a running farm does.
    let lock = botfarm::store::lock_dir(&f.db()).unwrap();
    for args in [vec!["list", "--wait", "0"], vec!["stats", "--wait", "0"], vec!["show", "hp", "--wait", "0"]]
    {
        let r = f.run(&args);
        r.one_line_error(75, "another farm process is using");
        assert!(r.stderr.contains("try again later"), "{}", r.stderr);
    }
    drop(lock);
}

#[test]
fn an_old_or_unknown_record_format_is_refused_clearly() {
    let f = farm_with_pair();
    {
        let db = support::open_control(&f.db().join("db"));
        let bots = db.open_tree("bots").unwrap();
        let mut v = bots.get("hp").unwrap().unwrap().to_vec();
        v[0] = 0; // a pre-release format version
        bots.insert("old", v.clone()).unwrap();
        v[0] = 9; // a future one
        bots.insert("zzz", v).unwrap();
        db.flush().unwrap();
    }
    let r = f.run(&["list"]).code(65);
    assert!(r.stderr.contains("format version 0") && r.stderr.contains("backup"), "{}", r.stderr);
    {
        let db = support::open_control(&f.db().join("db"));
        db.open_tree("bots").unwrap().remove("old").unwrap();
        db.flush().unwrap();
    }
    let r = f.run(&["list"]).code(65);
    assert!(r.stderr.contains("newer than this farm") && r.stderr.contains("upgrade"), "{}", r.stderr);
}

#[test]
fn a_newer_schema_is_refused() {
    let f = farm_with_pair();
    {
        let db = support::open_control(&f.db().join("db"));
        db.open_tree("meta").unwrap().insert("schema", &99u32.to_be_bytes()).unwrap();
        db.flush().unwrap();
    }
    let r = f.run(&["list"]).code(65);
    assert!(r.stderr.contains("newer farm") && r.stderr.contains("upgrade"), "{}", r.stderr);
}

#[test]
fn data_survives_reopen_and_names_with_at_are_the_same_bot() {
    let f = farm_with_pair();
    for _ in 0..3 {
        let s = f.run(&["show", "@hp", "--json"]).ok().json();
        assert_eq!(s["name"], "hp");
    }
}

#[test]
fn help_has_examples() {
    let f = Farm::new();
    for args in
        [vec!["--help"], vec!["create", "writer", "--help"], vec!["run", "--help"], vec!["destroy", "--help"]]
    {
        let r = f.run(&args).ok();
        assert!(r.stdout.contains("Example"), "{args:?}: {}", r.stdout);
    }
}
