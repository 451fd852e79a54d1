//! `farm auth` (driven through stdin) and `farm check` against the fake API, and how network
//! failures reach the user: one line naming the bot, the right exit code.

mod support;
use botfarm::sim::Fault;
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use support::net::{Net, CK, CS, T0};

/// Run `farm auth NAME`, read the authorize URL from stderr, answer with what `answer` returns.
fn auth(n: &Net, name: &str, env: &[(&str, &str)], answer: impl Fn(&str) -> String) -> (i32, String) {
    let mut c = n.farm.cmd(&["auth", name]);
    for (k, v) in env {
        c.env(k, v);
    }
    c.stdin(Stdio::piped()).stderr(Stdio::piped()).stdout(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let mut line = String::new();
    let mut url = None;
    while stderr.read_line(&mut line).unwrap() > 0 {
        seen.push_str(&line);
        if let Some(i) = line.find("http") {
            url = Some(line[i..].trim().to_string());
            break;
        }
        line.clear();
    }
    let url = url.unwrap_or_else(|| panic!("no URL printed: {seen}"));
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{}", answer(&url)).unwrap();
    drop(stdin);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let status = child.wait().unwrap();
    (status.code().unwrap_or(-1), seen + &rest)
}

fn query_param(url: &str, key: &str) -> String {
    let q = url.split_once('?').unwrap().1;
    q.split('&').find_map(|kv| kv.strip_prefix(&format!("{key}="))).unwrap().to_string()
}

#[test]
fn x_pin_flow_stores_working_tokens() {
    let n = Net::new();
    let url = n.fake.url();
    n.farm
        .run_env(
            &["create", "reader", "newbot", "--platform", "x", "--api", &url, "--auth-later"],
            &[("FARM_CONSUMER_KEY", CK), ("FARM_CONSUMER_SECRET", CS)],
        )
        .ok();
    n.fake.add_x_user("someone", CK, CS, "t-0", "s-0");
    n.fake.set_pending_x_auth_user("newbot");
    let (code, err) = auth(&n, "newbot", &[], |u| n.fake.x_pin_for(&query_param(u, "oauth_token")).unwrap());
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("authorised as @newbot"), "{err}");
    let r = n.farm.run(&["check", "newbot"]).ok();
    assert!(r.stdout.contains("@newbot") && r.stdout.contains("ok"), "{}", r.stdout);
}

#[test]
fn a_wrong_pin_is_refused_and_keeps_the_old_tokens() {
    let n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    let before = n.farm.run(&["show", "r", "--json"]).ok().json()["credentials"].clone();
    let (code, err) = auth(&n, "r", &[], |_| "0000000".into());
    assert_eq!(code, 77, "{err}");
    assert_eq!(err.lines().filter(|l| l.starts_with("farm:")).count(), 1, "{err}");
    assert_eq!(n.farm.run(&["show", "r", "--json"]).ok().json()["credentials"], before);
}

#[test]
fn mastodon_app_flow_stores_a_working_token() {
    let n = Net::new();
    let url = n.fake.url();
    n.farm.run(&["create", "reader", "toot", "--platform", "mastodon", "--api", &url, "--auth-later"]).ok();
    n.fake.set_pending_mastodon_auth_user("toot");
    let (code, err) =
        auth(&n, "toot", &[], |u| n.fake.mastodon_code_for(&query_param(u, "client_id")).unwrap());
    assert_eq!(code, 0, "{err}");
    let r = n.farm.run(&["check"]).ok();
    assert!(r.stdout.contains("@toot"), "{}", r.stdout);
}

#[test]
fn check_prints_a_table_and_fails_with_the_worst_class() {
    let n = Net::new();
    n.x_bot("reader", "a", "x", &[]);
    n.x_bot("reader", "b", "x-v1", &[]);
    n.masto_bot("reader", "c", &[]);
    let r = n.farm.run(&["check"]).ok();
    for name in ["@a", "@b", "@c"] {
        assert!(r.stdout.contains(name), "{}", r.stdout);
    }
    // Break one bot's token: the table still lists all, the exit code is 77.
    n.farm.run_env(&["edit", "c", "--credentials"], &[("FARM_ACCESS_TOKEN", "wrong-token-xyz")]).ok();
    let r = n.farm.run(&["check"]).code(77);
    assert!(r.stdout.contains("@a") && r.stdout.contains("@b"), "{}", r.stdout);
    assert!(!r.stdout.contains("wrong-token-xyz"));
    // One call per bot.
    let verify = n
        .fake
        .requests()
        .iter()
        .filter(|q| q.path.contains("verif") || q.path.ends_with("/users/me"))
        .count();
    assert_eq!(verify, 6);
}

#[test]
fn network_failures_are_one_line_with_the_right_code() {
    let cases: Vec<(Fault, i32, &str)> = vec![
        (Fault::Html502, 75, "r"),
        (Fault::Status(503), 75, "r"),
        (Fault::Garbage, 65, "r"),
        (Fault::Status(401), 77, "farm auth"),
        (Fault::Reset, 75, "r"),
    ];
    for (fault, code, needle) in cases {
        let mut n = Net::new();
        n.x_bot("reader", "r", "x", &[]);
        n.fake.fail_next(1, fault.clone(), Some("timelines"));
        let r = n.at(T0, &["run"]);
        assert_eq!(r.code, code, "{fault:?}: {}", r.stderr);
        assert_eq!(r.stderr.trim().lines().count(), 1, "{fault:?}: {}", r.stderr);
        assert!(r.stderr.starts_with("farm: r:"), "{fault:?}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{fault:?}: {}", r.stderr);
        assert!(!r.stderr.contains("<html") && !r.stderr.contains("{\""), "{fault:?}: {}", r.stderr);
        // The failure is in the log and in stats; the next run retries after the back-off.
        let log = n.farm.run(&["log", "r"]).ok().stdout;
        assert!(log.contains("error"), "{log}");
        n.at(T0 + 60, &["run"]).ok();
        let timeline_calls = n.count("timelines");
        assert_eq!(timeline_calls, 1, "{fault:?}: retried too soon");
        n.at(T0 + 660, &["run"]).ok();
        assert_eq!(n.count("timelines"), 2);
    }
}

#[test]
fn a_timeout_is_a_tempfail() {
    let mut n = Net::new();
    n.farm.env.push(("FARM_HTTP_TIMEOUT".into(), "1".into()));
    n.x_bot("reader", "r", "x", &[]);
    n.fake.fail_next(1, Fault::Timeout, Some("timelines"));
    let started = std::time::Instant::now();
    let r = n.at(T0, &["run"]);
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert!(r.stderr.contains("timed out"), "{}", r.stderr);
    assert!(started.elapsed().as_secs() < 15);
}
