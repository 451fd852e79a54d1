//! Bluesky bots against the fake network's XRPC (`--platform bluesky`): one login, then a kept
//! and refreshed session; a writer that posts exactly once by record key across lost answers,
//! a duplicate key's 500 and kill -9 at every step of a send, with no time window; refused
//! passwords that never turn into a login storm; texts over 300 graphemes never sent.

mod support;
use botfarm::sim::Fault;
use support::net::{bsky_handle, bsky_pair, bsky_password, Net, T0};

const LOGIN: &str = "com.atproto.server.createSession";
const REFRESH: &str = "com.atproto.server.refreshSession";
const CREATE: &str = "com.atproto.repo.createRecord";

fn assert_posted_once(n: &Net) -> String {
    let posts = n.fake.posts_by(&bsky_handle("w"));
    assert_eq!(posts.len(), 1, "posted more or less than once: {posts:?}");
    let st = n.state("w");
    assert!(st["pending"].is_null(), "{st}");
    assert_eq!(st["posts_total"], 1);
    posts[0].text.clone()
}

#[test]
fn reader_and_writer_run_with_one_login_each_and_post_by_record_key() {
    let mut n = bsky_pair();
    n.synced(T0, &["run"]).ok();
    let text = assert_posted_once(&n);
    assert!(text.contains("about cats"), "{text}");
    // The post went out under a record key farm chose: a TID of the run's time.
    let key = n.fake.posts_by(&bsky_handle("w"))[0].idempotency_key.clone().unwrap();
    let v = botfarm::net::bluesky::tid::decode(&key).expect("a TID record key");
    assert_eq!(botfarm::net::bluesky::tid::micros(v) / 1_000_000, T0 as u64);
    // The reader cached the timeline, authors keyed by DID.
    let st = n.state("r");
    assert_eq!(st["cached"], 5, "{st}");
    let shown = n.farm.run(&["show", "r", "--json"]).ok().stdout;
    assert!(!shown.contains(&bsky_password("r")), "the app password is shown: {shown}");
    // More runs: no new login, one more post per interval.
    n.synced(T0 + 3600, &["run"]).ok();
    n.synced(T0 + 7200, &["run"]).ok();
    assert_eq!(n.fake.posts_by(&bsky_handle("w")).len(), 3);
    assert_eq!(n.xrpc_posts(LOGIN), 2, "one login per bot, ever");
}

#[test]
fn a_lost_answer_is_settled_by_key_in_the_same_run() {
    let mut n = bsky_pair();
    n.synced(T0 - 60, &["run", "r"]).ok();
    n.fake.fail_next(1, Fault::PerformThenTimeout, Some(CREATE));
    n.synced(T0, &["run", "w"]).ok();
    assert_posted_once(&n);
    assert_eq!(n.count("com.atproto.repo.getRecord"), 1, "settled with one getRecord");
    n.synced(T0 + 600, &["run"]).ok();
    assert_posted_once(&n);
}

#[test]
fn a_500_that_did_not_post_is_sent_again_with_the_same_key() {
    let mut n = bsky_pair();
    n.fake.fail_next(1, Fault::Status(500), Some(CREATE));
    assert_eq!(n.synced(T0, &["run"]).code, 75);
    assert!(n.fake.posts_by(&bsky_handle("w")).is_empty());
    n.synced(T0 + 600, &["run"]).ok();
    let text = assert_posted_once(&n);
    assert!(text.contains("about cats"));
    assert_eq!(n.xrpc_posts(CREATE), 2);
}

#[test]
fn kill_9_at_every_step_of_a_send_posts_exactly_once_even_a_week_later() {
    for point in ["send-before-request", "send-after-request", "send-before-confirm"] {
        let mut n = bsky_pair();
        n.farm.env.push(("FARM_CRASH_AT".into(), point.into()));
        let crashed = n.synced(T0, &["run"]);
        assert_ne!(crashed.code, 0, "{point}: did not crash");
        n.farm.env.pop();
        let pending = n.state("w")["pending"].as_str().map(str::to_string);
        assert!(pending.is_some(), "{point}: the intent was not kept");
        let sent_before = n.fake.posts_by(&bsky_handle("w")).len();
        assert_eq!(sent_before, usize::from(point != "send-before-request"), "{point}");
        // A week later: settled by key like a minute later, never a second post.
        n.synced(T0 + 7 * 86_400, &["run", "w"]).ok();
        let text = assert_posted_once(&n);
        assert_eq!(Some(text), pending, "{point}");
        n.synced(T0 + 7 * 86_400 + 3600, &["run", "w"]).ok();
        assert_eq!(n.fake.posts_by(&bsky_handle("w")).len(), 2, "{point}: the next post");
        assert_eq!(n.xrpc_posts(LOGIN), 2, "{point}: no new login");
    }
}

#[test]
fn an_expired_token_is_refreshed_without_a_new_login() {
    let mut n = bsky_pair();
    n.fake.set_bluesky_token_lifetime(3600);
    n.synced(T0, &["run"]).ok();
    // Two hours later the access tokens are expired: each bot refreshes, nobody logs in.
    n.fake.set_bluesky_token_lifetime(4 * 3600);
    n.synced(T0 + 7200, &["run"]).ok();
    assert_eq!(n.fake.posts_by(&bsky_handle("w")).len(), 2);
    assert_eq!(n.xrpc_posts(LOGIN), 2);
    assert_eq!(n.xrpc_posts(REFRESH), 2);
    // The server expires the token early (mid-run, for farm): the run fails softly, the next
    // one refreshes and posts that text once.
    n.fake.expire_bluesky_access(&bsky_handle("w"));
    let r = n.synced(T0 + 3 * 3600, &["run", "w"]);
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert!(r.stderr.contains("refreshes the session"), "{}", r.stderr);
    n.synced(T0 + 3 * 3600 + 600, &["run", "w"]).ok();
    assert_eq!(n.fake.posts_by(&bsky_handle("w")).len(), 3);
    assert_eq!(n.xrpc_posts(LOGIN), 2, "still no new login");
}

#[test]
fn a_refused_app_password_is_77_once_and_never_a_login_storm() {
    let mut n = Net::new();
    n.fake.add_bluesky_user("w.test", "good-pass-word-0001");
    let url = n.fake.url();
    n.farm
        .run_env(
            &["create", "reader", "w", "--platform", "bluesky", "--api", &url],
            &[("FARM_BLUESKY_HANDLE", "w.test"), ("FARM_BLUESKY_APP_PASSWORD", "bad0-pass-word-0001")],
        )
        .ok();
    for i in 0..5 {
        let r = n.synced(T0 + i * 3600, &["run"]);
        assert_eq!(r.code, 77, "{}", r.stderr);
    }
    assert_eq!(n.xrpc_posts(LOGIN), 1, "one refused login, then none");
    let r = n.synced(T0 + 5 * 3600, &["run"]);
    assert!(r.stderr.contains("farm auth"), "{}", r.stderr);
    // check and doctor say so per bot, without a login, and go on with the other bots.
    n.masto_bot("reader", "m", &[]);
    let r = n.farm.run_env(&["check"], &[("COLUMNS", "300")]);
    assert_eq!(r.code, 77, "{}", r.all());
    assert!(r.stdout.contains("will not log in") && r.stdout.contains("@m"), "{}", r.stdout);
    let r = n.farm.run(&["doctor"]);
    assert!(r.all().contains("will not log in") && r.all().contains("m: credentials work"), "{}", r.all());
    assert_eq!(n.xrpc_posts(LOGIN), 1);
    // A new password: logged in again, once.
    n.farm
        .run_env(
            &["edit", "w", "--credentials"],
            &[("FARM_BLUESKY_HANDLE", "w.test"), ("FARM_BLUESKY_APP_PASSWORD", "good-pass-word-0001")],
        )
        .ok();
    n.synced(T0 + 6 * 3600, &["run"]).ok();
    assert_eq!(n.xrpc_posts(LOGIN), 2);
}

#[test]
fn a_revoked_app_password_stops_after_one_login() {
    let mut n = bsky_pair();
    n.synced(T0, &["run"]).ok();
    n.fake.revoke_bluesky_app_password(&bsky_handle("w"), "newp-pass-word-0001");
    n.fake.expire_bluesky_access(&bsky_handle("w"));
    // The first run meets the dead access token (75: refresh next run), the next one the
    // revoked refresh token and the old password (77), the later ones call nothing.
    assert_eq!(n.synced(T0 + 3600, &["run", "w"]).code, 75);
    for i in 2..5 {
        assert_eq!(n.synced(T0 + i * 3600, &["run", "w"]).code, 77);
    }
    // One refresh (refused), one login (refused), then nothing.
    assert_eq!(n.xrpc_posts(REFRESH), 1);
    assert_eq!(n.xrpc_posts(LOGIN), 3);
    assert_eq!(n.fake.posts_by(&bsky_handle("w")).len(), 1);
}

#[test]
fn a_text_over_300_graphemes_is_never_sent() {
    let n = bsky_pair();
    // 301 graphemes; and 300 family emoji (300 graphemes, 7500 bytes: over 3000 bytes).
    let long = "a".repeat(301);
    let fat = "👨‍👩‍👧‍👦".repeat(300);
    for text in [long.as_str(), fat.as_str()] {
        let r = n.farm.run(&["post", "w", text]);
        assert_eq!(r.code, 65, "{}", r.stderr);
    }
    let ok = "ы".repeat(300);
    n.farm.run(&["post", "w", &ok]).ok();
    assert_eq!(n.xrpc_posts(CREATE), 1, "only the text that fits was sent");
}

#[test]
fn farm_auth_logs_in_and_labels_the_account_as_a_bot() {
    let n = Net::new();
    n.fake.add_bluesky_user("w.test", "good-pass-word-0001");
    let url = n.fake.url();
    n.farm.run(&["create", "reader", "w", "--platform", "bluesky", "--api", &url, "--auth-later"]).ok();
    let env = [("FARM_BLUESKY_HANDLE", "w.test"), ("FARM_BLUESKY_APP_PASSWORD", "good-pass-word-0001")];
    let r = n.farm.run_env(&["auth", "w"], &env).ok();
    assert!(r.stderr.contains("self-label \"bot\""), "{}", r.stderr);
    assert!(r.stderr.contains("logged in as w.test"), "{}", r.stderr);
    let r = n.farm.run_env(&["auth", "w"], &env).ok();
    assert!(r.stderr.contains("already carries"), "{}", r.stderr);
    n.farm.run(&["check", "w"]).ok();
    // Not an app password: refused before any call.
    let r = n.farm.run_env(
        &["auth", "w"],
        &[("FARM_BLUESKY_HANDLE", "w.test"), ("FARM_BLUESKY_APP_PASSWORD", "hunter2")],
    );
    assert_eq!(r.code, 64, "{}", r.stderr);
}

#[test]
fn export_and_import_keep_the_session_or_drop_it_without_secrets() {
    let mut n = bsky_pair();
    n.synced(T0, &["run"]).ok();
    let dir = support::TempDir::new("bsky-export");
    for (file, flags) in [("full.tar", vec![]), ("bare.tar", vec!["--no-secrets"])] {
        let path = dir.path().join(file);
        let mut args = vec!["export", path.to_str().unwrap()];
        args.extend(flags);
        n.farm.run(&args).ok();
    }
    // A full export carries the session: the imported farm posts without logging in.
    let mut m = Net { farm: support::Farm::new(), fake: n.fake };
    m.farm.run(&["import", dir.path().join("full.tar").to_str().unwrap()]).ok();
    m.synced(T0 + 3600, &["run", "w"]).ok();
    assert_eq!(m.fake.posts_by(&bsky_handle("w")).len(), 2);
    assert_eq!(m.xrpc_posts(LOGIN), 2, "no new login after the import");
    // Without secrets there is no session and no password: "needs auth" (78), no call at all.
    let bare = support::Farm::new();
    bare.run(&["import", dir.path().join("bare.tar").to_str().unwrap()]).ok();
    m.farm = bare;
    let r = m.synced(T0 + 7200, &["run", "w"]);
    assert_eq!(r.code, 78, "{}", r.stderr);
    assert!(r.stderr.contains("needs auth"), "{}", r.stderr);
    assert!(r.stderr.contains("farm auth"), "{}", r.stderr);
    assert_eq!(m.xrpc_posts(LOGIN), 2);
}

#[test]
fn a_bluesky_writer_fed_by_a_mastodon_reader_posts_in_the_source_language() {
    let mut n = Net::new();
    n.masto_bot("reader", "feed", &[]);
    n.bsky_bot("writer", "w", &["--source", "feed"]);
    n.fake.push_home("feed", botfarm::sim::SourcePost::new("someone", "Привет, мир! #котики").lang("ru"));
    n.synced(T0, &["run"]).ok();
    let posts = n.fake.posts_by(&bsky_handle("w"));
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!((posts[0].text.as_str(), posts[0].lang.as_deref()), ("Привет, мир! #котики", Some("ru")));
}

#[test]
fn prune_and_the_analyzer_read_and_delete_bluesky_posts() {
    let mut n = bsky_pair();
    n.farm.run(&["create", "analyzer", "a", "--writer", "w", "--min-age", "1d"]).ok();
    for k in 0..3 {
        n.synced(T0 + k * 3600, &["run"]).ok();
    }
    let posts = n.fake.posts_by(&bsky_handle("w"));
    assert_eq!(posts.len(), 3);
    n.fake.set_engagement(posts[1].id, 5, 1);
    // Two days later the analyzer scores them (listRecords + getPosts).
    n.synced(T0 + 2 * 86_400, &["run", "a", "--force"]).ok();
    assert!(n.state("a")["last_error"].is_null(), "{}", n.state("a"));
    // Prune deletes the two without engagement (deleteRecord by their record keys).
    n.at(T0 + 2 * 86_400, &["prune", "w", "--older-than", "1d", "--yes"]).ok();
    let left: Vec<String> = n.fake.posts_by(&bsky_handle("w")).into_iter().map(|p| p.text).collect();
    assert_eq!(left, vec![posts[1].text.clone()]);
}

#[test]
fn bad_answers_are_one_line_errors_and_lose_nothing() {
    let mut n = bsky_pair();
    // A login answered by an HTML 502 page: try again next run, nothing remembered against it.
    n.fake.fail_next(1, Fault::Html502, Some("createSession"));
    let r = n.synced(T0, &["run", "r"]);
    r.one_line_error(75, "HTML");
    n.synced(T0 + 600, &["run", "r"]).ok();
    // A timeline that is not JSON: 65, the cursor kept.
    n.fake.fail_next(1, Fault::Garbage, Some("getTimeline"));
    let cursor = n.state("r")["cursor"].clone();
    n.fake.push_home(&bsky_handle("r"), botfarm::sim::SourcePost::new("someone", "one more post"));
    assert_eq!(n.synced(T0 + 4000, &["run", "r"]).code, 65);
    assert_eq!(n.state("r")["cursor"], cursor);
    n.synced(T0 + 8000, &["run", "r"]).ok();
    assert_ne!(n.state("r")["cursor"], cursor);
    // A post answered by an HTML 502: settled by key (not there), sent again next run, once.
    n.fake.fail_next(1, Fault::Html502, Some(CREATE));
    assert_eq!(n.synced(T0 + 8000, &["run", "w"]).code, 75);
    n.synced(T0 + 9000, &["run", "w"]).ok();
    assert_posted_once(&n);
    // A taken-down account (its session revoked; the access token has expired by now, so the
    // run refreshes, is refused, and logs in): refused (69), one line.
    n.fake.set_bluesky_status(&bsky_handle("w"), Some("takendown"));
    n.fake.revoke_bluesky_app_password(&bsky_handle("w"), &bsky_password("w"));
    let r = n.synced(T0 + 5 * 3600, &["run", "w"]);
    r.one_line_error(69, "taken down");
}

#[test]
fn bots_that_would_go_over_the_shared_per_ip_budget_wait_for_the_next_run() {
    let mut n = bsky_pair();
    // An earlier answer said 4 requests of the IP's 3,000 per 5 minutes are left.
    let store = botfarm::store::Store::open(&n.farm.db()).unwrap();
    let w = botfarm::net::RateInfo {
        call: botfarm::net::Call::Timeline,
        limit: Some(3000),
        remaining: 4,
        reset: T0 + 300,
    };
    store.put_rate("r", &w).unwrap();
    support::close_store(store);
    let r = n.synced(T0, &["run", "-v"]).ok();
    assert!(r.all().contains("deferred"), "{}", r.all());
    assert!(n.fake.posts_by(&bsky_handle("w")).is_empty(), "the writer went over the budget");
    assert_eq!(n.state("r")["cached"], 5, "the reader fitted in");
    // After the reset the writer runs.
    n.synced(T0 + 301, &["run"]).ok();
    assert_posted_once(&n);
}

#[test]
fn a_429_on_login_holds_every_login_until_its_reset() {
    let mut n = bsky_pair();
    n.fake.fail_next(1, Fault::RateLimited { reset: T0 + 3600 }, Some(LOGIN));
    assert_eq!(n.synced(T0, &["run", "w"]).code, 75);
    for t in [T0 + 600, T0 + 1800] {
        let r = n.synced(t, &["run", "w", "--force"]);
        assert_eq!(r.code, 75, "{}", r.stderr);
        assert!(r.stderr.contains("rate-limited"), "{}", r.stderr);
    }
    assert_eq!(n.xrpc_posts(LOGIN), 1, "no login inside the window");
    // (After three failures the writer backs off; forced, it runs at once.)
    n.synced(T0 + 3601, &["run", "r"]).ok();
    n.synced(T0 + 3601, &["run", "w", "--force"]).ok();
    assert_posted_once(&n);
    assert_eq!(n.xrpc_posts(LOGIN), 3, "then one login for each bot");
}

/// The row of `bot` in `farm stats --json`.
fn stats_row(n: &Net, bot: &str) -> serde_json::Value {
    let rows = n.farm.run(&["stats", "--json"]).ok().json();
    rows.as_array().unwrap().iter().find(|r| r["name"] == bot).unwrap().clone()
}

/// Store a write-point window of bot `w` straight through the store, as its posts would have.
fn spent(n: &Net, call: botfarm::net::Call, limit: u64, remaining: u64, reset: i64) {
    let store = botfarm::store::Store::open(&n.farm.db()).unwrap();
    let w = botfarm::net::RateInfo { call, limit: Some(limit), remaining, reset };
    store.put_rate("w", &w).unwrap();
    support::close_store(store);
}

#[test]
fn write_points_are_counted_per_account_and_shown_by_stats() {
    let mut n = bsky_pair();
    n.synced(T0, &["run"]).ok();
    // One createRecord: 3 of the hour's 5,000 and the day's 35,000 points.
    let w = stats_row(&n, "w");
    assert_eq!(
        (w["write_points_hour_left"].as_u64(), w["write_points_day_left"].as_u64()),
        (Some(4997), Some(34997))
    );
    assert_eq!(stats_row(&n, "r")["write_points_hour_left"].as_u64(), Some(5000), "a reader spends none");
    assert!(w["bluesky_ip_left"].as_u64().is_some(), "{w}");
    n.synced(T0 + 3600, &["run"]).ok();
    // A new hour window, the same day window.
    let w = stats_row(&n, "w");
    assert_eq!(
        (w["write_points_hour_left"].as_u64(), w["write_points_day_left"].as_u64()),
        (Some(4997), Some(34994))
    );
    // Not Bluesky: null.
    n.masto_bot("reader", "m", &[]);
    let m = stats_row(&n, "m");
    assert!(m["write_points_hour_left"].is_null() && m["bluesky_ip_left"].is_null(), "{m}");
    // The table says what is left under it; one bot's stats too.
    let r = n.farm.run_env(&["stats"], &[("COLUMNS", "300")]).ok();
    assert!(
        r.stdout.contains("requests per 5 minutes") && r.stdout.contains("w 4997/hour 34994/day"),
        "{}",
        r.stdout
    );
    let r = n.farm.run_env(&["stats", "w"], &[("COLUMNS", "300")]).ok();
    assert!(r.stdout.contains("4997/hour 34994/day left"), "{}", r.stdout);
}

#[test]
fn a_writer_over_its_write_points_is_deferred_until_the_window_frees() {
    let mut n = bsky_pair();
    // Two points left this hour: a post (3) would go over.
    spent(&n, botfarm::net::Call::WritePointsHour, 5000, 2, T0 + 1800);
    let r = n.synced(T0, &["run", "-v"]).ok();
    assert!(r.all().contains("deferred: its write points"), "{}", r.all());
    assert!(n.fake.posts_by(&bsky_handle("w")).is_empty(), "posted over its write points");
    assert_eq!(n.xrpc_posts(CREATE), 0);
    assert_eq!(n.state("r")["cached"], 5, "the reader ran");
    // Its next due time is honest: not before the window frees.
    let w = stats_row(&n, "w");
    assert_eq!(w["next_due_at"], support::net::rfc(T0 + 1800), "{w}");
    assert_eq!(w["status"], "rate-limited", "{w}");
    n.synced(T0 + 1801, &["run"]).ok();
    assert_posted_once(&n);
    // The day window counts too, and prune stops before a delete would go over it.
    spent(&n, botfarm::net::Call::WritePointsDay, 35000, 0, T0 + 80_000);
    let r = n.synced(T0 + 7200, &["prune", "w", "--older-than", "1s", "--yes"]);
    r.one_line_error(75, "write points");
    assert_eq!(n.fake.posts_by(&bsky_handle("w")).len(), 1, "deleted over its write points");
}

#[test]
fn lang_sets_the_language_of_posts_whose_source_has_none() {
    let mut n = Net::new();
    n.bsky_bot("reader", "r", &[]);
    n.bsky_bot("writer", "w", &["--source", "r", "--lang", "pt-BR"]);
    n.fake.set_now(Some(T0 - 3600));
    n.seed(&bsky_handle("r"), 2, "a");
    let shown = n.farm.run(&["show", "w", "--json"]).ok().json();
    assert_eq!(shown["lang"], "pt-BR", "{shown}");
    let r = n.farm.run_env(&["show", "w"], &[("COLUMNS", "200")]).ok();
    assert!(
        r.stdout.lines().any(|l| l.trim_start().starts_with("lang:") && l.contains("pt-BR")),
        "{}",
        r.stdout
    );
    n.synced(T0, &["run"]).ok();
    let posts = n.fake.posts_by(&bsky_handle("w"));
    assert_eq!(posts[0].lang.as_deref(), Some("pt-BR"), "{posts:?}");
    // Changed with edit; bad values and the wrong kind of bot are refused, one line, 64.
    n.farm.run(&["edit", "w", "--lang", "en"]).ok();
    assert_eq!(n.farm.run(&["show", "w", "--json"]).ok().json()["lang"], "en");
    for bad in ["english", "e", "en_US", "en-", "x y"] {
        n.farm.run(&["edit", "w", "--lang", bad]).one_line_error(64, "--lang");
    }
    n.farm.run(&["edit", "r", "--lang", "en"]).one_line_error(64, "writers");
    // Any writer takes a language now (Mastodon sends it as `language`).
    n.masto_bot("writer", "m", &["--source", "r"]);
    n.farm.run(&["edit", "m", "--lang", "en"]).ok();
    assert_eq!(n.farm.run(&["show", "m", "--json"]).ok().json()["lang"], "en");
    assert_eq!(n.farm.run(&["show", "w", "--json"]).ok().json()["lang"], "en");
}

#[test]
fn check_on_a_bot_that_never_ran_makes_one_call_the_login() {
    let n = Net::new();
    n.bsky_bot("reader", "w", &[]);
    let before = n.fake.requests().len();
    let r = n.farm.run_env(&["check", "w", "--json"], &[("COLUMNS", "200")]).ok();
    let rows = r.json();
    assert_eq!(rows[0]["account"], format!("@{}", bsky_handle("w")), "{rows}");
    assert_eq!(rows[0]["ok"], true);
    assert_eq!(n.fake.requests().len() - before, 1, "the login answer is the check");
    assert_eq!(n.xrpc_posts(LOGIN), 1);
    // With a session stored, the check is one getSession and no login.
    n.farm.run(&["check", "w"]).ok();
    assert_eq!(n.fake.requests().len() - before, 2);
    assert_eq!(n.count("com.atproto.server.getSession"), 1);
    assert_eq!(n.xrpc_posts(LOGIN), 1);
}
