//! Saying the truth about each bot (issue 20, items 5, 6 and 13): a bot without credentials
//! "needs auth" and is never called for, `edit --platform`/`--api` keep a bot consistent, and
//! the small promises of the help text hold.

mod support;
use botfarm::sim::Fault;
use support::net::{masto_pair, Net, T0};
use support::{Farm, TempDir, X_CK, X_CS};

const DAY: i64 = 86_400;

fn show(f: &Farm, bot: &str) -> serde_json::Value {
    f.run(&["show", bot, "--json"]).ok().json()
}

fn stats_row(f: &Farm, bot: &str) -> serde_json::Value {
    let s = f.run(&["stats", "--json"]).ok().json();
    s.as_array().unwrap().iter().find(|r| r["name"] == bot).unwrap().clone()
}

/// A farm with a Mastodon reader `m` on mastodon.social, and its token's environment.
fn mastodon_reader_m() -> (Farm, [(&'static str, String); 1]) {
    let f = Farm::new();
    let masto = [("FARM_ACCESS_TOKEN", "bearer-0123456789abcdef".to_string())];
    f.create(
        &["create", "reader", "m", "--platform", "mastodon", "--api", "https://mastodon.social"],
        &masto,
    )
    .ok();
    (f, masto)
}

/// A Mastodon reader and writer made with `--auth-later` on the fake (the token in the
/// environment is not taken), and an analyzer of the writer.
fn auth_later_pair() -> Net {
    let n = Net::new();
    n.fake.add_mastodon_user("r", "bearer-r-0123456789");
    n.fake.add_mastodon_user("w", "bearer-w-0123456789");
    let url = n.fake.url();
    let env = [("FARM_ACCESS_TOKEN", "bearer-r-0123456789")];
    n.farm
        .run_env(&["create", "reader", "r", "--platform", "mastodon", "--api", &url, "--auth-later"], &env)
        .ok();
    n.farm.run(&["create", "writer", "w", "--source", "r", "--auth-later"]).ok();
    n.farm.run(&["create", "analyzer", "a", "--writer", "w"]).ok();
    n.seed("r", 3, "a");
    n
}

#[test]
fn a_bot_without_credentials_needs_auth_everywhere_and_is_never_called_for() {
    let mut n = auth_later_pair();
    let list = n.farm.run(&["list"]).ok().stdout;
    assert_eq!(list.matches("needs auth").count(), 3, "{list}");
    let stats = n.farm.run(&["stats"]).ok().stdout;
    assert_eq!(stats.matches("needs auth").count(), 3, "{stats}");
    for bot in ["r", "w", "a"] {
        assert_eq!(stats_row(&n.farm, bot)["status"], "needs auth");
        assert_eq!(show(&n.farm, bot)["status"], "needs auth");
    }
    // Named, `farm run` skips each with one line naming what to run, and calls nothing.
    let r = n.at(T0, &["run", "r", "w", "a"]).code(78);
    assert_eq!(r.stderr.lines().count(), 3, "{}", r.stderr);
    assert!(r.stderr.contains("farm auth r") && r.stderr.contains("farm auth w"), "{}", r.stderr);
    assert!(n.fake.requests().is_empty(), "{:?}", n.fake.requests());
    // The cron run passes them over quietly (no mail every tick), `-v` says why, and the
    // next-due record does not wake cron for them: the run after that opens nothing.
    let r = n.at(T0, &["run"]).ok();
    assert!(r.stderr.is_empty() && r.stdout.is_empty(), "{r:?}");
    let r = n.at(T0, &["run", "-v"]).ok();
    assert!(r.all().contains("farm auth w"), "{r:?}");
    assert!(n.fake.requests().is_empty(), "{:?}", n.fake.requests());
    let due = std::fs::read_to_string(n.farm.db().join("next_due")).unwrap();
    assert!(due.starts_with("never"), "{due}");
    // A post by hand is refused before anything is recorded or sent.
    let r = n.at(T0, &["post", "w", "hello there"]);
    r.one_line_error(78, "farm auth w");
    assert!(n.fake.requests().is_empty());
    assert!(show(&n.farm, "w")["state"]["pending"].is_null());
    // So is pruning.
    n.at(T0, &["prune", "w", "--older-than", "1d", "--yes"]).one_line_error(78, "farm auth w");
    assert!(n.fake.requests().is_empty());
    // With its token the bot runs.
    n.farm.run_env(&["edit", "r", "--credentials"], &[("FARM_ACCESS_TOKEN", "bearer-r-0123456789")]).ok();
    assert_eq!(show(&n.farm, "r")["status"], "ok");
    n.at(T0 + 60, &["run", "r"]).ok();
    assert_eq!(show(&n.farm, "r")["state"]["cached"], 3);
}

#[test]
fn edit_platform_resets_the_api_and_asks_for_new_credentials() {
    let (f, masto) = mastodon_reader_m();
    // X ↔ Mastodon: the token is of no use on the other network.
    let r = f.run(&["edit", "m", "--platform", "x"]);
    r.one_line_error(64, "--credentials");
    assert!(r.stderr.contains("--auth-later"), "{}", r.stderr);
    assert_eq!(show(&f, "m")["platform"], "mastodon");
    let app = [("FARM_CONSUMER_KEY", X_CK.to_string()), ("FARM_CONSUMER_SECRET", X_CS.to_string())];
    f.create(&["edit", "m", "--platform", "x", "--auth-later"], &app).ok();
    let s = show(&f, "m");
    assert_eq!(s["platform"], "x");
    assert_eq!(s["api"], "https://api.x.com", "the API follows the platform");
    assert_eq!(s["status"], "needs auth");
    assert!(s["credentials"]["access_token"].is_null(), "{s}");
    // Mastodon has no default instance.
    f.run(&["edit", "m", "--platform", "mastodon", "--auth-later"]).one_line_error(64, "--api");
    f.create(
        &["edit", "m", "--platform", "mastodon", "--api", "https://mastodon.social", "--credentials"],
        &masto,
    )
    .ok();
    let s = show(&f, "m");
    assert_eq!((s["platform"].as_str(), s["status"].as_str()), (Some("mastodon"), Some("ok")));
    // Another instance is another account too: its token must not go to the new server.
    f.run(&["edit", "m", "--api", "https://fosstodon.org"]).one_line_error(64, "--credentials");
    // X v2 ↔ v1.1 is the same account: the credentials stay.
    let mut x = Farm::x_env("1234-token-abcdefgh", "secret-abcdefgh");
    x.truncate(4);
    f.create(&["create", "reader", "x", "--platform", "x"], &x).ok();
    f.run(&["edit", "x", "--platform", "x-v1"]).ok();
    let s = show(&f, "x");
    assert_eq!((s["platform"].as_str(), s["status"].as_str()), (Some("x-v1"), Some("ok")));
}

#[test]
fn bad_api_urls_are_refused_with_a_hint() {
    let (f, masto) = mastodon_reader_m();
    let cases = [
        ("https://mastodon.social/@someone", "profile"),
        ("https://mastodon.social/api/v1", "leave out /api/v1"),
        ("https://api.x.com/2", "leave out /2"),
        ("http://mastodon.social", "https://"),
        ("https://bob:hunter2secret@mastodon.social", "credentials"),
        ("https://mastodon.social:99999", "port"),
        ("https://mastodon.social:0", "port"),
        ("https://mastodon.social:http", "port"),
        ("https://", "no host"),
        ("mastodon.social", "https://"),
    ];
    for (url, words) in cases {
        let arg = format!("--api={url}");
        let r = f.create(&["edit", "m", &arg], &masto);
        r.one_line_error(64, words);
        assert!(!r.stderr.contains("hunter2secret"), "{}", r.stderr);
        let r = f.create(&["create", "reader", "n", "--platform", "mastodon", &arg], &masto);
        r.one_line_error(64, words);
    }
    assert_eq!(show(&f, "m")["api"], "https://mastodon.social");
    for ok in ["https://mastodon.social/", "http://127.0.0.1:8080", "http://localhost:3000", "http://[::1]:9"]
    {
        f.create(&["edit", "m", "--api", ok, "--credentials"], &masto).ok();
    }
}

#[test]
fn an_invalid_farm_variable_is_an_error_not_ignored() {
    let f = Farm::new();
    f.run_env(&["list"], &[("FARM_HTTP_TIMEOUT", "abc")]).one_line_error(78, "FARM_HTTP_TIMEOUT");
    f.run_env(&["list"], &[("FARM_HTTP_TIMEOUT", "0")]).one_line_error(78, "FARM_HTTP_TIMEOUT");
    f.run_env(&["list"], &[("FARM_HTTP_TIMEOUT", "2.5")]).ok();
}

#[test]
fn hints_name_the_bot() {
    let mut n = Net::new();
    n.masto_bot("reader", "r", &[]);
    n.fake.fail_next(1, Fault::Status(401), Some("timelines"));
    let r = n.at(T0, &["run"]).code(77);
    assert!(r.stderr.contains("`farm auth r`") && !r.stderr.contains("NAME"), "{}", r.stderr);
    let e = show(&n.farm, "r")["state"]["last_error"].as_str().unwrap().to_string();
    assert!(e.contains("`farm auth r`") && !e.contains("NAME"), "{e}");
    // Missing credentials on create name the new bot.
    let url = n.fake.url();
    let r = n.farm.run(&["create", "reader", "q", "--platform", "mastodon", "--api", &url]);
    r.one_line_error(78, "farm auth q");
    assert!(!r.stderr.contains("NAME"), "{}", r.stderr);
}

#[test]
fn prune_asks_before_deleting_posts_on_the_network() {
    let mut n = masto_pair();
    n.seed("r", 3, "a");
    n.synced(T0, &["run"]).ok();
    assert_eq!(n.posted("w").len(), 1);
    n.fake.clear_requests();
    let t = T0 + 31 * DAY;
    let r = n.synced(t, &["prune", "w", "--older-than", "30d"]);
    r.one_line_error(64, "--yes");
    assert!(n.fake.requests().is_empty(), "nothing is read or deleted unconfirmed");
    n.synced(t, &["prune", "w", "--older-than", "30d", "--dry-run"]).ok();
    assert_eq!(n.posted("w").len(), 1);
    // An answer piped in is no confirmation: only a person at a terminal, or --yes.
    n.farm.run_stdin(&["prune", "w", "--older-than", "30d"], "y\n").one_line_error(64, "--yes");
    assert_eq!(n.posted("w").len(), 1);
    n.synced(t, &["prune", "w", "--older-than", "30d", "--yes"]).ok();
    assert_eq!(n.posted("w").len(), 0);
}

#[test]
fn metrics_output_dash_is_stdout() {
    let n = masto_pair();
    let cwd = TempDir::new("metrics-cwd");
    let o =
        n.farm.cmd(&["metrics", "--format", "prometheus", "--output", "-"]).current_dir(cwd.path()).output();
    let o = o.unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("farm_paused{bot=\"w\""));
    assert!(!cwd.path().join("-").exists(), "no file named -");
}

#[test]
fn export_to_a_closed_stdout_fails() {
    let n = masto_pair();
    let bin = env!("CARGO_BIN_EXE_farm");
    // fd 1 closed: the archive would go nowhere.
    let o = std::process::Command::new("bash")
        .args(["-c", "\"$0\" export - >&-", bin])
        .env("FARM_DB", n.farm.db())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "export - >&-: exit 0 without an archive written");
    assert_eq!(err.lines().count(), 1, "export - >&-: {err}");
    // A pipe whose reader is gone before farm writes (`| true` races with the write; this does
    // not).
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let o = std::process::Command::new(bin)
        .args(["export", "-"])
        .env("FARM_DB", n.farm.db())
        .stdout(writer)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "export - into a closed pipe: exit 0 without an archive written");
    assert_eq!(err.lines().count(), 1, "export - into a closed pipe: {err}");
}

#[test]
fn edit_with_no_change_says_so() {
    let n = masto_pair();
    n.farm.run(&["edit", "w"]).one_line_error(64, "nothing to change");
    let before = n.farm.run(&["log", "w"]).ok().stdout;
    let r = n.farm.run(&["edit", "w", "--every", "1h"]).ok();
    assert!(r.stderr.contains("nothing changed"), "{}", r.stderr);
    assert_eq!(n.farm.run(&["log", "w"]).ok().stdout, before, "no edit event");
    let r = n.farm.run(&["edit", "w", "--every", "2h"]).ok();
    assert!(r.stderr.contains("updated w"), "{}", r.stderr);
}

#[test]
fn run_verbose_with_nothing_due_says_when_the_next_bot_is_due() {
    let mut n = masto_pair();
    n.seed("r", 3, "a");
    n.synced(T0, &["run"]).ok();
    for args in [vec!["run", "-v"], vec!["run", "-v", "w"], vec!["run", "-v", "r", "w"]] {
        let r = n.synced(T0 + 600, &args).ok();
        assert!(r.all().contains("nothing due"), "{args:?}: {r:?}");
        assert!(r.all().contains("T00:55"), "{args:?}: the time it is due: {r:?}");
    }
}

#[test]
fn run_name_force_does_what_its_help_says() {
    // The help promises the named bots now, whatever their schedule, and a writer's interval.
    let help = support::Farm::new().run(&["run", "--help"]).ok().stdout;
    assert!(help.contains("whatever their schedule"), "{help}");
    assert!(help.contains("a writer still posts at most once per --every"), "{help}");
    let mut n = masto_pair();
    // Nothing to post at first: the writer is not due again for an hour.
    n.synced(T0, &["run"]).ok();
    n.seed("r", 5, "a");
    n.synced(T0 + 60, &["run", "r", "--force"]).ok();
    n.synced(T0 + 120, &["run", "w"]).ok();
    assert_eq!(n.posted("w").len(), 0, "not due: nothing without --force");
    n.synced(T0 + 120, &["run", "w", "--force"]).ok();
    assert_eq!(n.posted("w").len(), 1, "forced: it runs now");
    let r = n.synced(T0 + 180, &["run", "w", "--force", "-v"]).ok();
    assert_eq!(n.posted("w").len(), 1, "{r:?}");
    assert!(r.stdout.contains("next post not before"), "{r:?}");
}

#[test]
fn analyzer_settings_can_be_edited_and_show_names_its_token() {
    let n = masto_pair();
    n.farm.run(&["create", "analyzer", "a", "--writer", "w"]).ok();
    n.farm
        .run(&[
            "edit",
            "a",
            "--min-age",
            "2d",
            "--repost-weight",
            "5",
            "--boring-below",
            "-3",
            "--hot-above",
            "4",
        ])
        .ok();
    let text = n.farm.run_env(&["show", "a"], &[("COLUMNS", "200")]).ok().stdout;
    for words in ["older than 2d", "likes + 5 × reposts", "boring below -3", "hot above 4"] {
        assert!(text.contains(words), "{words}: {text}");
    }
    // The analyzer calls with its writer's token, and says so.
    let cred = text.lines().find(|l| l.contains("credentials:")).unwrap();
    assert!(cred.contains("writer w"), "{cred}");
    assert!(!cred.contains("(none)"), "{cred}");
    // The thresholds stay ordered; the options are an analyzer's.
    n.farm.run(&["edit", "a", "--hot-above", "-5"]).one_line_error(64, "--boring-below");
    n.farm.run(&["edit", "a", "--repost-weight", "5000"]).one_line_error(64, "--repost-weight");
    n.farm.run(&["edit", "w", "--min-age", "1d"]).one_line_error(64, "analyzer");
    let text = n.farm.run_env(&["show", "a"], &[("COLUMNS", "200")]).ok().stdout;
    assert!(text.contains("hot above 4"), "{text}");
}

#[test]
fn a_new_account_starts_afresh() {
    // An X reader moved to Mastodon reads the new account from its newest page: the X cursor
    // means nothing there.
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    n.seed("r", 2, "a");
    n.at(T0, &["run"]).ok();
    assert!(show(&n.farm, "r")["state"]["cursor"].is_string());
    n.fake.add_mastodon_user("m", "bearer-m-0123456789");
    let url = n.fake.url();
    n.farm
        .run_env(
            &["edit", "r", "--platform", "mastodon", "--api", &url, "--credentials"],
            &[("FARM_ACCESS_TOKEN", "bearer-m-0123456789")],
        )
        .ok();
    assert!(show(&n.farm, "r")["state"]["cursor"].is_null());
    assert!(n.farm.run(&["log", "r"]).ok().stdout.contains("new account"));
}

#[test]
fn a_bot_that_needs_auth_is_never_due_not_paused() {
    let n = auth_later_pair();
    let list = n.farm.run_env(&["list"], &[("COLUMNS", "200")]).ok().stdout;
    let row = list.lines().find(|l| l.starts_with("w ")).unwrap();
    assert!(row.contains("needs auth") && row.ends_with("never") && !row.contains("paused"), "{list}");
    let show = n.farm.run(&["show", "w"]).ok().stdout;
    assert!(show.contains("next due:    never"), "{show}");
    // A paused bot is still paused.
    n.farm.run(&["pause", "w"]).ok();
    assert!(n.farm.run(&["show", "w"]).ok().stdout.contains("next due:    paused"));
}
