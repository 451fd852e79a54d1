//! `farm post` when the answer to a post is lost: the post by hand is recorded before it is sent
//! (text, hash, deterministic key), like a writer's, and a retry of the same text or the bot's
//! next run settles it exactly once, inside and past the server's memory of the key or the text.

mod support;
use botfarm::sim::Fault;
use support::net::{masto_pair, masto_with_unconfirmed_post, Net, T0};

const TEXT: &str = "Гарри Поттер и Тайная Комната, by hand";

/// A bot `w` (writer of reader `r`) on `platform` whose post of [`TEXT`] by hand at `T0` was made
/// by the server but never answered: `farm post` exits 75 and the server has the post once.
fn lost_post_by_hand(platform: &str) -> Net {
    let (mut n, path) = if platform == "mastodon" {
        (masto_pair(), "/api/v1/statuses")
    } else {
        let n = Net::new();
        // Real clients sign with the real time, whatever FARM_NOW says.
        n.fake.set_oauth_wall_clock(true);
        n.x_bot("reader", "r", "x", &[]);
        n.x_bot("writer", "w", platform, &["--source", "r"]);
        (n, if platform == "x" { "/2/tweets" } else { "/1.1/statuses/update" })
    };
    n.fake.fail_next(1, Fault::PerformThenTimeout, Some(path));
    let r = n.synced(T0, &["post", "w", TEXT]);
    assert_eq!(r.code, 75, "{platform}: {}", r.all());
    assert_eq!(n.posted("w"), [TEXT], "{platform}");
    n
}

/// The server has [`TEXT`] once from `w`, and farm knows it is posted.
#[track_caller]
fn assert_posted_once_by_hand(n: &Net, platform: &str) {
    assert_eq!(n.posted("w"), [TEXT], "{platform}: posted twice");
    let st = n.state("w");
    assert!(st["pending"].is_null(), "{platform}: {st}");
    assert_eq!(st["posts_total"], 1, "{platform}: {st}");
}

#[test]
fn mastodon_retry_after_a_lost_answer_posts_once() {
    let mut n = lost_post_by_hand("mastodon");
    let r = n.synced(T0 + 30, &["post", "w", TEXT]).ok();
    assert_posted_once_by_hand(&n, "mastodon");
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("posted by hand") && r.stderr.contains(TEXT), "{}", r.stderr);
    // The same key both times: the server returned its first post.
    let keys: Vec<_> =
        n.fake.requests().into_iter().filter(|q| q.method == "POST").map(|q| q.idempotency_key).collect();
    assert_eq!(keys.len(), 2);
    assert!(keys[0].is_some() && keys[0] == keys[1], "{keys:?}");
}

#[test]
fn mastodon_retry_after_the_idempotency_hour_posts_once() {
    let mut n = lost_post_by_hand("mastodon");
    // The server has forgotten the key: the post is looked for among the bot's own posts.
    let r = n.synced(T0 + 70 * 60, &["post", "w", TEXT]).ok();
    assert_posted_once_by_hand(&n, "mastodon");
    assert!(r.stderr.contains("already posted (found among its own posts)"), "{}", r.stderr);
    assert_eq!(n.post_requests("/api/v1/statuses"), 1);
}

#[test]
fn x_retry_after_a_lost_answer_posts_once() {
    for platform in ["x", "x-v1"] {
        let mut n = lost_post_by_hand(platform);
        // The intent is kept and shown until it is settled.
        assert_eq!(n.state("w")["pending"], TEXT, "{platform}");
        let r = n.synced(T0 + 30, &["post", "w", TEXT]).ok();
        assert_posted_once_by_hand(&n, platform);
        assert!(r.stderr.contains("already posted"), "{platform}: {}", r.stderr);
    }
}

#[test]
fn x_retry_a_day_later_posts_once() {
    for platform in ["x", "x-v1"] {
        let mut n = lost_post_by_hand(platform);
        // X no longer refuses the same text after a day: the post is looked for first.
        let r = n.synced(T0 + 25 * 3600, &["post", "w", TEXT]).ok();
        assert_posted_once_by_hand(&n, platform);
        assert!(r.stderr.contains("found among its own posts"), "{platform}: {}", r.stderr);
    }
}

#[test]
fn the_next_run_settles_a_lost_post_by_hand() {
    let mut n = masto_pair();
    n.seed("r", 5, "a");
    // Both bots ran: nothing is due for about an hour.
    n.synced(T0, &["run"]).ok();
    let first = n.posted("w");
    assert_eq!(first.len(), 1);
    n.fake.fail_next(1, Fault::PerformThenTimeout, Some("/api/v1/statuses"));
    let r = n.synced(T0 + 60, &["post", "w", TEXT]);
    r.one_line_error(75, "farm post w");
    // Cron's next run settles it (the server knows the key): no second copy, nothing else sent.
    n.synced(T0 + 660, &["run"]).ok();
    assert_eq!(n.posted("w"), [first[0].clone(), TEXT.to_string()]);
    let st = n.state("w");
    assert!(st["pending"].is_null(), "{st}");
    assert_eq!(st["posts_total"], 2);
    // A retry after that is the refused double post it now is.
    n.synced(T0 + 700, &["post", "w", TEXT]).one_line_error(65, "already posted this text");
    assert_eq!(n.posted("w").len(), 2);
}

#[test]
fn a_readers_lost_post_by_hand_is_settled_by_its_next_run() {
    let mut n = readers_lost_post();
    n.synced(T0 + 600, &["run"]).ok();
    assert_eq!(n.posted("r"), [TEXT]);
    assert!(n.state("r")["pending"].is_null());
    // Settled: the reader is not due again before its interval.
    let before = n.fake.requests().len();
    n.synced(T0 + 1200, &["run"]).ok();
    assert_eq!(n.fake.requests().len(), before);
}

#[test]
fn another_text_waits_until_the_lost_post_is_settled() {
    let mut n = lost_post_by_hand("mastodon");
    let sent = n.fake.requests().len();
    let r = n.synced(T0 + 30, &["post", "w", "something else entirely"]);
    r.one_line_error(75, "unconfirmed");
    assert!(r.stderr.contains(TEXT), "{}", r.stderr);
    assert_eq!(n.fake.requests().len(), sent, "nothing is sent");
    assert_eq!(n.state("w")["pending"], TEXT);
    // Settled, the other text goes out.
    n.synced(T0 + 60, &["post", "w", TEXT]).ok();
    n.synced(T0 + 90, &["post", "w", "something else entirely"]).ok();
    assert_eq!(n.posted("w"), [TEXT, "something else entirely"]);
}

#[test]
fn a_post_by_hand_waits_for_the_writers_unconfirmed_post() {
    let mut n = masto_with_unconfirmed_post();
    let theirs = n.state("w")["pending"].as_str().unwrap().to_string();
    let r = n.synced(T0 + 60, &["post", "w", TEXT]);
    r.one_line_error(75, "unconfirmed");
    // Neither is lost: the writer's post still waits, and is settled by its next run.
    assert_eq!(n.state("w")["pending"], theirs.as_str());
    assert_eq!(n.posted("w"), [theirs.as_str()]);
    n.synced(T0 + 660, &["run"]).ok();
    n.synced(T0 + 700, &["post", "w", TEXT]).ok();
    assert_eq!(n.posted("w"), [theirs, TEXT.to_string()]);
}

#[test]
fn a_post_by_hand_the_server_refused_is_not_kept() {
    let mut n = masto_pair();
    // A 429 says the post was not made: nothing to settle, nothing sent later on its own.
    n.fake.fail_next(1, Fault::RateLimited { reset: T0 + 600 }, Some("/api/v1/statuses"));
    n.synced(T0, &["post", "w", TEXT]).one_line_error(75, "w:");
    let st = n.state("w");
    assert!(st["pending"].is_null(), "{st}");
    assert!(st["failing_since"].is_null(), "a post by hand is not a failed run: {st}");
    n.synced(T0 + 700, &["run"]).ok();
    assert!(n.posted("w").is_empty());
    n.synced(T0 + 720, &["post", "w", TEXT]).ok();
    assert_eq!(n.posted("w"), [TEXT]);
}

#[test]
fn an_analyzer_cannot_post_by_hand() {
    let mut n = masto_pair();
    n.farm.run(&["create", "analyzer", "a", "--writer", "w", "--min-age", "1d"]).ok();
    let r = n.synced(T0, &["post", "a", TEXT]);
    // Its own credentials are empty: the writer's account is the one to post with.
    r.one_line_error(64, "farm post w");
    assert!(n.fake.requests().is_empty(), "nothing is sent");
    assert!(n.state("a")["pending"].is_null());
}

#[test]
fn a_post_by_hand_leaves_the_bots_run_state_and_kind_totals_alone() {
    let mut n = Net::new();
    n.masto_bot("reader", "r", &[]);
    n.seed("r", 3, "a");
    n.fake.fail_next(1, Fault::Status(500), Some("/api/v1/timelines/home"));
    assert_eq!(n.synced(T0, &["run"]).code, 75);
    let before = n.state("r");
    assert!(before["failing_since"].is_string(), "{before}");
    n.synced(T0 + 60, &["post", "r", TEXT]).ok();
    let st = n.state("r");
    assert_eq!(st["failing_since"], before["failing_since"], "the failing run is still failing: {st}");
    assert_eq!(st["last_error"], before["last_error"], "{st}");
    assert_eq!(st["fetched_total"], 0, "a post by hand is no fetched post: {st}");
    assert_eq!(n.posted("r"), [TEXT]);
}

#[test]
fn an_unreadable_answer_keeps_the_post_and_exits_75() {
    let mut n = masto_pair();
    n.fake.fail_next(1, Fault::Garbage, Some("/api/v1/statuses"));
    let r = n.synced(T0, &["post", "w", TEXT]);
    r.one_line_error(75, "kept as unconfirmed");
    assert_eq!(n.state("w")["pending"], TEXT);
    n.synced(T0 + 30, &["post", "w", TEXT]).ok();
    assert_eq!(n.posted("w"), [TEXT]);
}

#[test]
fn a_paused_writers_unconfirmed_post_is_settled_the_way_the_hint_says() {
    let mut n = masto_with_unconfirmed_post();
    let theirs = n.state("w")["pending"].as_str().unwrap().to_string();
    n.farm.run(&["pause", "w"]).ok();
    let r = n.synced(T0 + 60, &["post", "w", TEXT]);
    r.one_line_error(75, "`farm post w` with that text");
    assert!(!r.stderr.contains("--force"), "a paused writer is skipped by `farm run --force`: {}", r.stderr);
    n.synced(T0 + 120, &["post", "w", &theirs]).ok();
    assert!(n.state("w")["pending"].is_null());
    assert_eq!(n.posted("w"), [theirs]);
}

#[test]
fn a_readers_failed_settle_does_not_stop_its_timeline_read() {
    let mut n = readers_lost_post();
    n.seed("r", 4, "a");
    // Settling fails (the server errs), yet the reader reads its timeline for its writers.
    n.fake.fail_next(1, Fault::Status(500), Some("/api/v1/statuses"));
    let r = n.synced(T0 + 600, &["run"]);
    assert_eq!(r.code, 75, "{}", r.all());
    assert_eq!(n.state("r")["cached"], 4, "{}", r.all());
    assert_eq!(n.state("r")["pending"], TEXT);
    n.synced(T0 + 1200, &["run", "r", "--force"]).ok();
    assert_eq!(n.posted("r"), [TEXT]);
}

#[test]
fn a_post_stored_years_ahead_is_looked_for_before_it_is_sent_again() {
    let mut n = masto_pair();
    // A post by hand with the clock five years ahead; the server's clock is right.
    n.fake.set_now(Some(T0));
    n.fake.fail_next(1, Fault::PerformThenTimeout, Some("/api/v1/statuses"));
    assert_eq!(n.at(T0 + 5 * 365 * 86_400, &["post", "w", TEXT]).code, 75);
    // Two hours later, the clock right: the server has forgotten the key.
    let r = n.synced(T0 + 7200, &["post", "w", TEXT]).ok();
    assert!(r.stderr.contains("found among its own posts"), "{}", r.stderr);
    assert_eq!(n.posted("w"), [TEXT], "posted twice");
}

#[test]
fn new_credentials_wait_for_the_unconfirmed_post() {
    let n = masto_with_unconfirmed_post();
    let theirs = n.state("w")["pending"].as_str().unwrap().to_string();
    n.fake.add_mastodon_user("other", "bearer-other-0123456789");
    let r =
        n.farm.run_env(&["edit", "w", "--credentials"], &[("FARM_ACCESS_TOKEN", "bearer-other-0123456789")]);
    r.one_line_error(75, "unconfirmed");
    assert!(r.stderr.contains("`farm post w` with that text"), "{}", r.stderr);
    assert_eq!(n.state("w")["pending"], theirs.as_str());
    assert!(n.posted("other").is_empty());
}

/// A reader `r` whose post of [`TEXT`] by hand at `T0` was made but not answered.
fn readers_lost_post() -> Net {
    let mut n = Net::new();
    n.masto_bot("reader", "r", &[]);
    n.fake.fail_next(1, Fault::PerformThenTimeout, Some("/api/v1/statuses"));
    assert_eq!(n.synced(T0, &["post", "r", TEXT]).code, 75);
    n
}

/// A [`readers_lost_post`] after which its account (a person's) posted `others` more through
/// another bot `h` on it.
fn readers_lost_post_then(others: usize) -> Net {
    let mut n = readers_lost_post();
    n.masto_reader_at("h", &n.fake.url(), "bearer-r-0123456789");
    for i in 0..others {
        n.synced(T0 + 60 + i as i64, &["post", "h", &format!("another post, number {i}")]).ok();
    }
    n
}

#[test]
fn a_readers_post_by_hand_is_found_behind_the_persons_later_posts() {
    let mut n = readers_lost_post_then(25);
    // Past the server's memory of the key: its own posts are read first.
    n.synced(T0 + 7200, &["run", "r"]).ok();
    assert_eq!(n.posted("r").iter().filter(|t| *t == TEXT).count(), 1, "posted twice");
    assert!(n.state("r")["pending"].is_null());
}

#[test]
fn a_readers_post_by_hand_not_found_in_a_partial_read_is_not_sent_blind() {
    let mut n = readers_lost_post_then(101);
    n.synced(T0 + 7200, &["run", "r"]).ok();
    assert_eq!(n.posted("r").iter().filter(|t| *t == TEXT).count(), 1, "posted twice");
    assert_eq!(n.state("r")["pending"], TEXT, "kept unconfirmed");
    let log = n.farm.run(&["log", "r", "--json"]).ok().stdout;
    assert!(log.contains("not sent again"), "{log}");
}
