//! The clock, end to end: one cron run with the clock years ahead (a bad RTC at boot, before
//! NTP) loses no cached post, silences no bot and is reported; a day-long rate limit is slept
//! through without opening the database, and no view shows a next-due time in the past.

mod support;
use botfarm::sim::{Endpoint, Fault};
use serde_json::Value;
use support::net::{rfc, Net, T0};

const YEAR: i64 = 365 * 86_400;

/// `farm run` at `ts` with the fake's clock at the same time.
fn synced_run(n: &mut Net, ts: i64) -> support::Run {
    n.synced(ts, &["run"])
}

fn row(n: &Net, name: &str) -> Value {
    let s = n.farm.run(&["stats", "--json"]).ok().json();
    s.as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no {name}: {s}"))
}

fn no_duplicates(n: &Net, who: &str) {
    let posts = n.posted(who);
    let mut uniq = posts.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), posts.len(), "{who} posted a text twice: {posts:?}");
}

#[test]
fn one_run_with_the_clock_years_ahead_loses_no_post_and_silences_no_bot() {
    let mut n = Net::new();
    n.fake.set_oauth_wall_clock(true);
    n.fake.set_now(Some(T0));
    n.masto_bot("reader", "r", &[]);
    n.masto_bot("writer", "wm", &["--source", "r", "--template", "M: {}"]);
    n.x_bot("writer", "wx", "x", &["--source", "r", "--template", "X: {}"]);
    n.seed("r", 30, "a");
    synced_run(&mut n, T0).ok();
    assert_eq!(n.state("r")["cached"], 30);
    assert_eq!((n.posted("wm").len(), n.posted("wx").len()), (1, 1));

    // One cron run with the clock five years ahead; the server's clock is right. X refuses
    // wx's post with a bare 429, so farm guesses the window from its own (wrong) clock.
    let ahead = T0 + 5 * YEAR;
    n.fake.set_now(Some(T0 + 1800));
    n.fake.fail_next(1, Fault::Status(429), Some("/2/tweets"));
    let jump = n.at(ahead, &["run"]);
    assert_eq!(n.state("r")["cached"], 30, "the run with the clock ahead dropped cached posts");
    assert_eq!(jump.code, 75, "{}", jump.stderr);
    assert_eq!((n.posted("wm").len(), n.posted("wx").len()), (2, 1));

    // The clock is right again. Before any run, stats and doctor show what farm will not trust.
    let back = T0 + 3600;
    n.fake.set_now(Some(back));
    n.farm.set_now(&rfc(back));
    assert_eq!(row(&n, "r")["clock_ahead"], rfc(ahead), "stats shows no clock anomaly");
    assert_eq!(row(&n, "wm")["clock_ahead"], rfc(ahead));
    assert_eq!(row(&n, "wx")["clock_ahead"], rfc(ahead + 15 * 60), "the guessed rate-limit reset");
    for name in ["r", "wm", "wx"] {
        let due = row(&n, name)["next_due_at"].as_str().map(str::to_string).unwrap_or_default();
        assert!(due.as_str() < "2027", "{name} is due only in {due}");
    }
    let doctor = n.farm.run(&["doctor", "--offline"]);
    assert_eq!(doctor.code, 78, "{}", doctor.stdout);
    assert!(doctor.stdout.contains("ahead of the clock"), "{}", doctor.stdout);

    // The first run back says so, once, and takes those times as now: the unconfirmed post is
    // retried at once (as after any step back), nothing else runs before its interval.
    let r = synced_run(&mut n, back).ok();
    let notes: Vec<&str> = r.stderr.lines().filter(|l| l.contains("ahead of the clock")).collect();
    assert_eq!(notes.len(), 1, "{}", r.stderr);
    assert!(notes[0].contains(&rfc(ahead + 15 * 60)), "{}", notes[0]);
    assert_eq!((n.posted("wm").len(), n.posted("wx").len()), (2, 2));
    assert!(n.farm.run(&["log", "r", "--json"]).ok().stdout.contains("ahead of the clock"));
    // Once taken as now, the times are no longer reported.
    assert!(row(&n, "wx")["clock_ahead"].is_null());
    let again = synced_run(&mut n, back + 600).ok();
    assert!(!again.stderr.contains("ahead of the clock"), "{}", again.stderr);

    // Then the writers post at their normal cadence, and the cache still holds every post.
    for hour in 1..=3 {
        synced_run(&mut n, back + hour * 3600).ok();
        assert_eq!(n.posted("wm").len(), 2 + hour as usize, "wm after {hour}h");
        assert_eq!(n.posted("wx").len(), 2 + hour as usize, "wx after {hour}h");
    }
    no_duplicates(&n, "wm");
    no_duplicates(&n, "wx");
    assert_eq!(n.state("r")["cached"], 30);
    for name in ["r", "wm", "wx"] {
        assert_eq!(row(&n, name)["status"], "ok", "{name}");
    }
}

#[test]
fn small_steps_back_never_make_a_bot_due_early() {
    let mut n = Net::new();
    n.masto_bot("reader", "r", &[]);
    n.masto_bot("writer", "w", &["--source", "r"]);
    n.seed("r", 10, "a");
    n.at(T0, &["run"]).ok();
    // Twenty hours back: not a clock far ahead, so the stored times still hold.
    let r = n.at(T0 - 20 * 3600, &["run"]).ok();
    assert!(!r.stderr.contains("ahead of the clock"), "{}", r.stderr);
    n.at(T0 + 1800, &["run"]).ok();
    assert_eq!(n.posted("w").len(), 1);
    assert!(row(&n, "w")["clock_ahead"].is_null());
    n.at(T0 + 3600, &["run"]).ok();
    assert_eq!(n.posted("w").len(), 2);
}

#[test]
fn a_day_long_rate_limit_is_slept_through_without_opening_the_database() {
    let mut n = Net::new();
    n.fake.set_oauth_wall_clock(true);
    n.fake.set_now(Some(T0));
    n.x_bot("reader", "r", "x", &["--every", "2d"]);
    n.x_bot("writer", "w", "x", &["--source", "r"]);
    n.seed("r", 10, "a");
    // The writer may post once a day: its first post uses the window up until T0 + 1 day.
    n.fake.set_rate_limit("w", Endpoint::Post, 1, 86_400);
    let reset = T0 + 86_400;
    synced_run(&mut n, T0).ok();
    assert_eq!(n.posted("w").len(), 1);
    // An hour later the writer is due by its interval, but the used-up window stops the call.
    let calls = n.post_requests("/2/tweets");
    synced_run(&mut n, T0 + 3600).ok();
    assert_eq!(n.post_requests("/2/tweets"), calls);
    // The next-due record holds the end of the block, and no view shows a time in the past.
    let (at, _) = botfarm::store::read_next_due(&n.farm.db()).unwrap();
    assert_eq!(at, reset, "next due {} instead of the reset", rfc(at));
    n.farm.set_now(&rfc(T0 + 7200));
    let st = n.state("w");
    assert_eq!(st["next_due_at"], rfc(reset), "{st}");
    assert_eq!(row(&n, "w")["next_due_at"], rfc(reset));
    let list = n.farm.run(&["list"]).ok().stdout;
    assert!(!list.contains("2026-01-01 00:55"), "{list}");
    // Cron runs during the block exit at once: they need not even the database.
    let lock = botfarm::store::lock_dir(&n.farm.db()).unwrap();
    for ts in [T0 + 7200, T0 + 12 * 3600, reset - 600] {
        synced_run(&mut n, ts).ok();
    }
    drop(lock);
    // After the reset the writer posts again.
    synced_run(&mut n, reset + 60).ok();
    assert_eq!(n.posted("w").len(), 2);
    no_duplicates(&n, "w");
}

#[test]
fn a_quiet_feed_still_drops_posts_older_than_keep_age() {
    let mut n = Net::new();
    n.fake.set_now(Some(T0));
    n.masto_bot("reader", "r", &["--every", "12h", "--keep-age", "2d"]);
    n.seed("r", 5, "a");
    synced_run(&mut n, T0).ok();
    assert_eq!(n.state("r")["cached"], 5);
    // The feed goes quiet; the reader runs every twelve hours.
    for half_day in 1..=4 {
        synced_run(&mut n, T0 + half_day * 43_200).ok();
        assert_eq!(n.state("r")["cached"], 5, "after {half_day} half days");
    }
    synced_run(&mut n, T0 + 5 * 43_200).ok();
    assert_eq!(n.state("r")["cached"], 0, "posts older than --keep-age are kept");
}
