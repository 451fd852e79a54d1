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

#[test]
fn auth_lets_go_of_the_farm_while_it_waits_for_the_code() {
    let n = Net::new();
    let url = n.fake.url();
    n.masto_bot("reader", "other", &[]);
    n.farm.run(&["create", "reader", "toot", "--platform", "mastodon", "--api", &url, "--auth-later"]).ok();
    n.fake.set_pending_mastodon_auth_user("toot");
    let (code, err) = auth(&n, "toot", &[], |u| {
        // While the person looks for the code, the farm goes on.
        n.farm.run(&["pause", "other"]).ok();
        n.fake.mastodon_code_for(&query_param(u, "client_id")).unwrap()
    });
    assert_eq!(code, 0, "{err}");
    n.farm.run(&["check", "toot"]).ok();
    assert_eq!(n.farm.run(&["show", "other", "--json"]).ok().json()["paused"], true);
}

/// A server that takes connections and answers nothing until dropped.
struct Silent(std::net::TcpListener);

impl Silent {
    fn start() -> Silent {
        Silent(std::net::TcpListener::bind("127.0.0.1:0").unwrap())
    }
    fn url(&self) -> String {
        format!("http://{}", self.0.local_addr().unwrap())
    }
    /// The next connection; panics when none comes within a minute.
    fn accept(&self) -> std::net::TcpStream {
        self.0.set_nonblocking(true).unwrap();
        let start = std::time::Instant::now();
        loop {
            match self.0.accept() {
                Ok((s, _)) => return s,
                Err(_) => {
                    assert!(start.elapsed().as_secs() < 60, "no connection came");
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
            }
        }
    }
}

#[test]
fn check_and_doctor_make_their_calls_with_the_farm_closed() {
    let n = Net::new();
    n.masto_bot("reader", "other", &[]);
    let silent = Silent::start();
    n.masto_reader_at("slow", &silent.url(), "bearer-slow-0123456789");
    for (args, code) in [(&["check", "slow"][..], 75), (&["doctor"], 78)] {
        let mut c = n.farm.cmd(args);
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        let child = c.spawn().unwrap();
        // The call is on its way and gets no answer: meanwhile the farm goes on.
        let conn = silent.accept();
        n.farm.run(&["pause", "other"]).ok();
        n.farm.run(&["resume", "other"]).ok();
        drop(conn);
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(code), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stdout).contains("slow"));
    }
}

/// A farm with a Mastodon reader `good` and one, `refused`, whose token the server refuses.
fn good_and_refused() -> Net {
    let n = Net::new();
    n.masto_bot("reader", "good", &[]);
    n.masto_reader_at("refused", &n.fake.url(), "wrong-token-0123456789");
    n
}

#[test]
fn doctor_tells_an_unreachable_server_from_refused_credentials() {
    let n = good_and_refused();
    // Nobody listens on this port any more: the connection is refused.
    let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    n.masto_reader_at("gone", &format!("http://{gone}"), "bearer-gone-0123456789");
    let r = n.farm.run(&["doctor"]).code(78);
    let fix_of = |bot: &str| {
        let lines: Vec<&str> = r.stdout.lines().collect();
        let i = lines
            .iter()
            .position(|l| l.starts_with(&format!("FIX   {bot}:")))
            .unwrap_or_else(|| panic!("{}", r.stdout));
        format!("{}\n{}", lines[i], lines[i + 1])
    };
    let gone_fix = fix_of("gone");
    assert!(gone_fix.contains("could not connect"), "{gone_fix}");
    assert!(gone_fix.contains("DNS or network") && gone_fix.contains("getent hosts 127.0.0.1"), "{gone_fix}");
    assert!(!gone_fix.contains("farm auth"), "{gone_fix}");
    let refused_fix = fix_of("refused");
    assert!(refused_fix.contains("farm auth refused"), "{refused_fix}");
    assert!(!refused_fix.contains("DNS"), "{refused_fix}");
    assert!(r.stdout.contains("ok    good: credentials work"), "{}", r.stdout);
}

#[test]
fn check_and_doctor_speak_json_with_nulls_for_what_is_missing() {
    let n = good_and_refused();
    let r = n.farm.run(&["check", "--json"]).code(77);
    let rows = r.json();
    let row = |name: &str| rows.as_array().unwrap().iter().find(|b| b["bot"] == name).unwrap().clone();
    let good = row("good");
    assert_eq!((good["ok"].clone(), good["account"].clone()), (true.into(), "@good".into()));
    assert!(good["error"].is_null() && good["error_kind"].is_null(), "{good}");
    let bad = row("refused");
    assert_eq!((bad["ok"].clone(), bad["error_kind"].clone()), (false.into(), "auth".into()));
    assert!(bad["account"].is_null() && bad["error"].is_string(), "{bad}");
    assert!(bad["rate_limit_left"].is_null(), "{bad}");
    let r = n.farm.run(&["doctor", "--json"]).code(78);
    let d = r.json();
    assert_eq!(d["ok"], false);
    assert_eq!(d["data_dir"], n.farm.db().display().to_string());
    let checks = d["checks"].as_array().unwrap();
    let fixes = checks.iter().filter(|c| c["status"] == "fix").count();
    assert_eq!(d["problems"], fixes);
    for c in checks {
        assert!(["ok", "fix", "note"].contains(&c["status"].as_str().unwrap()), "{c}");
        assert_eq!(c["fix"].is_null(), c["status"] != "fix", "{c}");
    }
    assert!(checks.iter().any(|c| c["what"].as_str().unwrap().starts_with("refused:")), "{d}");
}

#[test]
fn doctor_flags_a_mastodon_writer_not_marked_as_a_bot_and_auth_mark_bot_sets_the_flag() {
    let n = Net::new();
    n.masto_bot("reader", "r", &[]);
    n.masto_bot("writer", "w", &["--template", "{}", "--source", "r"]);
    let r = n.farm.run(&["doctor"]);
    let out = format!("{}{}", r.stdout, r.stderr);
    assert!(out.contains("w: the account posts as a bot, but it lacks Mastodon's"), "{out}");
    assert!(out.contains("farm auth w --mark-bot"), "{out}");
    // A reader's account is somebody's home timeline: never asked to be a bot.
    assert!(!out.contains("r: the account posts as a bot"), "{out}");

    let r = n.farm.run(&["auth", "w", "--mark-bot"]).ok();
    assert!(r.stderr.contains("w: marked the account as a bot"), "{}", r.stderr);
    assert!(n.fake.is_mastodon_bot("w"));
    assert!(!n.fake.is_mastodon_bot("r"));
    let r = n.farm.run(&["doctor"]);
    let out = format!("{}{}", r.stdout, r.stderr);
    assert!(!out.contains("posts as a bot"), "{out}");
    let r = n.farm.run(&["auth", "w", "--mark-bot"]).ok();
    assert!(r.stderr.contains("already marked as a bot"), "{}", r.stderr);
    assert!(n.farm.run(&["log", "w"]).ok().stdout.contains("account marked as a bot"));
}

#[test]
fn mastodon_auth_offers_to_mark_a_writer_as_a_bot() {
    let n = Net::new();
    let url = n.fake.url();
    n.masto_bot("reader", "r", &[]);
    let writer = |name: &str| {
        let args = ["create", "writer", name, "--platform", "mastodon", "--api", &url, "--auth-later"];
        n.farm.run(&[&args[..], &["--template", "{}", "--source", "r"]].concat()).ok();
    };
    writer("tw");
    n.fake.set_pending_mastodon_auth_user("tw");
    let (code, err) = auth(&n, "tw", &[], |u| {
        format!("{}\ny", n.fake.mastodon_code_for(&query_param(u, "client_id")).unwrap())
    });
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("marked the account as a bot"), "{err}");
    assert!(n.fake.is_mastodon_bot("tw"));

    // Declined: nothing changes, and the hint says how to do it later.
    writer("tw2");
    n.fake.set_pending_mastodon_auth_user("tw2");
    let (code, err) = auth(&n, "tw2", &[], |u| {
        format!("{}\nn", n.fake.mastodon_code_for(&query_param(u, "client_id")).unwrap())
    });
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("farm auth tw2 --mark-bot"), "{err}");
    assert!(!n.fake.is_mastodon_bot("tw2"));
}

#[test]
fn mark_bot_on_x_or_a_feed_says_what_to_do_instead() {
    let n = Net::new();
    n.x_bot("reader", "xr", "x", &[]);
    n.x_bot("writer", "xw", "x", &["--template", "{}", "--source", "xr"]);
    let r = n.farm.run(&["auth", "xw", "--mark-bot"]).code(64);
    assert!(r.stderr.contains("X has no API to mark an account as automated"), "{}", r.stderr);
}

#[test]
fn doctor_flags_a_bluesky_writer_without_the_bot_label() {
    let n = Net::new();
    n.bsky_bot("reader", "br", &[]);
    n.bsky_bot("writer", "bw", &["--template", "{}", "--source", "br"]);
    let r = n.farm.run(&["doctor"]);
    let out = format!("{}{}", r.stdout, r.stderr);
    assert!(
        out.contains("bw: the account posts as a bot, but its profile lacks the self-label \"bot\""),
        "{out}"
    );
    n.farm.run(&["auth", "bw", "--mark-bot"]).ok();
    let r = n.farm.run(&["doctor"]);
    let out = format!("{}{}", r.stdout, r.stderr);
    assert!(!out.contains("posts as a bot"), "{out}");
}
