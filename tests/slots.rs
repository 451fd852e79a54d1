//! Time slots end to end (issue 23 §2): writers that post at set times of day in their own time
//! zone, driven by the same `*/10` cron line as everything else, through DST changes, downtime,
//! crashes and clock steps, on the fake network.

mod support;
use serde_json::Value;
use support::net::{rfc, Net, T0};

/// Unix seconds of an RFC 3339 time.
fn ts(s: &str) -> i64 {
    botfarm::clock::parse_rfc3339(s).unwrap()
}

/// A Mastodon reader `r` with `posts` posts and a writer `w` made with `writer_args`, created at
/// `at`.
fn farm_at(at: i64, posts: usize, writer_args: &[&str]) -> Net {
    let mut n = Net::new();
    n.farm.set_now(&rfc(at));
    n.masto_bot("reader", "r", &[]);
    let mut args = vec!["--source", "r"];
    args.extend_from_slice(writer_args);
    n.masto_bot("writer", "w", &args);
    n.seed("r", posts, "a");
    n
}

/// `farm run` every ten minutes from `from` up to `to` (both included), the fake's clock in step.
fn cron(n: &mut Net, from: i64, to: i64) {
    let mut t = from;
    while t <= to {
        n.synced(t, &["run"]).ok();
        t += 600;
    }
}

/// When `w` posted (the fake's clock), in RFC 3339.
fn post_times(n: &Net) -> Vec<String> {
    n.fake.posts_by("w").into_iter().map(|p| rfc(p.created_at)).collect()
}

fn row(n: &Net, name: &str) -> Value {
    let s = n.farm.run(&["stats", "--json"]).ok().json();
    s.as_array().unwrap().iter().find(|r| r["name"] == name).cloned().unwrap()
}

#[test]
fn post_at_nine_on_weekdays_in_moscow() {
    // 2026-01-01 is a Thursday; 09:00 in Moscow is 06:00 UTC (no DST there).
    let mut n = farm_at(T0, 20, &["--at", "9:00", "--tz", "Europe/Moscow", "--days", "mon-fri"]);
    let show = n.farm.run(&["show", "w"]).ok().stdout;
    assert!(show.contains("slots:       at 09:00 mon-fri Europe/Moscow, --missed once"), "{show}");
    assert!(show.contains("next slot:   2026-01-01 09:00 Europe/Moscow (06:00 UTC)"), "{show}");
    cron(&mut n, T0, T0 + 7 * 86_400 + 6 * 3600);
    assert_eq!(
        post_times(&n),
        [
            "2026-01-01T06:00:00Z",
            "2026-01-02T06:00:00Z",
            "2026-01-05T06:00:00Z",
            "2026-01-06T06:00:00Z",
            "2026-01-07T06:00:00Z",
            "2026-01-08T06:00:00Z",
        ]
    );
    // Thursday 06:00 UTC again: the next slot is Friday's, in the bot's zone and in UTC, the same
    // in every view and in the next-due record that lets cron runs skip the database.
    let r = row(&n, "w");
    assert_eq!(r["next_slot_at"], "2026-01-09T06:00:00Z");
    assert_eq!(r["next_slot_local"], "2026-01-09T09:00:00+03:00");
    assert_eq!(r["next_due_at"], "2026-01-09T06:00:00Z");
    assert_eq!(r["slots_missed"], 0);
    assert_eq!(r["slots"]["at"], serde_json::json!(["09:00"]));
    assert_eq!(
        (r["slots"]["tz"].as_str(), r["slots"]["days"].as_str()),
        (Some("Europe/Moscow"), Some("mon-fri"))
    );
    assert!(row(&n, "r")["slots"].is_null() && row(&n, "r")["slots_missed"].is_null());
    let (at, _) = botfarm::store::read_next_due(&n.farm.db()).unwrap();
    assert!(at <= ts("2026-01-09T06:00:00Z"), "next due {}", rfc(at));
    let state = n.state("w");
    assert_eq!(state["next_slot_local"], "2026-01-09T09:00:00+03:00");
    assert_eq!(state["slots_missed"], 0);
    let stats = n.farm.run(&["stats"]).ok().stdout;
    assert!(stats.contains("w next 2026-01-09 09:00 Europe/Moscow (06:00 UTC), 0 missed"), "{stats}");
    let list = n.farm.run(&["list"]).ok().stdout;
    assert!(list.lines().any(|l| l.starts_with("w ") && l.contains("at 09:00")), "{list}");
    let history = n.farm.run(&["stats", "w"]).ok().stdout;
    assert!(history.contains("next slot:   2026-01-09 09:00 Europe/Moscow (06:00 UTC)"), "{history}");
    assert!(history.contains("missed:      0 slots"), "{history}");
    let preview = n.farm.run(&["preview", "w"]).ok();
    assert!(preview.stderr.contains("w: next slot 2026-01-09 09:00 Europe/Moscow"), "{}", preview.stderr);
}

/// A writer posting at `at` in `tz`, cron every ten minutes over the two days around `night`.
fn slot_times_around(at: &str, tz: &str, night: &str) -> Vec<String> {
    let mid = ts(night);
    let mut n = farm_at(mid - 86_400, 10, &["--at", at, "--tz", tz]);
    cron(&mut n, mid - 86_400, mid + 86_400);
    post_times(&n)
}

#[test]
fn berlin_a_skipped_slot_fires_once_at_the_jump_a_repeated_one_once() {
    // 2026-03-29: 02:00 CET → 03:00 CEST, there is no 02:30: it fires at the jump, 01:00 UTC.
    assert_eq!(
        slot_times_around("02:30", "Europe/Berlin", "2026-03-29T00:00:00Z"),
        ["2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z"]
    );
    // 2026-10-25: 03:00 CEST → 02:00 CET, 02:30 comes twice: only the first (00:30 UTC) fires.
    assert_eq!(
        slot_times_around("02:30", "Europe/Berlin", "2026-10-25T00:00:00Z"),
        ["2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z"]
    );
}

#[test]
fn new_york_and_moscow_through_the_same_nights() {
    // 2026-03-08: 02:00 EST → 03:00 EDT: 02:30 fires at the jump (07:00 UTC), then 02:30 EDT.
    assert_eq!(
        slot_times_around("02:30", "America/New_York", "2026-03-08T12:00:00Z"),
        ["2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"]
    );
    // 2026-11-01: 02:00 EDT → 01:00 EST: 01:30 comes twice (05:30 and 06:30 UTC), fires once.
    assert_eq!(
        slot_times_around("01:30", "America/New_York", "2026-11-01T04:00:00Z"),
        ["2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z"]
    );
    // Moscow keeps UTC+3 all year: the night Berlin changes its clocks changes nothing.
    assert_eq!(
        slot_times_around("02:30", "Europe/Moscow", "2026-03-29T00:00:00Z"),
        ["2026-03-28T23:30:00Z", "2026-03-29T23:30:00Z"]
    );
}

/// A writer posting at 09:00, 13:00 and 21:00 UTC with `--missed policy`, whose farm ran last at
/// 08:50 and then not until 22:00: the 09:00, 13:00 and 21:00 slots passed.
fn after_downtime(policy: &str) -> Net {
    let start = ts("2026-01-05T08:00:00Z");
    let mut n = farm_at(start, 20, &["--at", "09:00,13:00,21:00", "--missed", policy]);
    cron(&mut n, start, start + 3000);
    assert!(n.posted("w").is_empty());
    n
}

#[test]
fn missed_slots_follow_the_declared_policy() {
    let down_until = ts("2026-01-05T22:00:00Z");
    // once (the default): one post for the latest, two slots counted missed.
    let mut n = after_downtime("once");
    cron(&mut n, down_until, down_until + 3600);
    assert_eq!(post_times(&n), ["2026-01-05T22:00:00Z"]);
    assert_eq!(row(&n, "w")["slots_missed"], 2);
    let log = n.farm.run(&["log", "w", "--json"]).ok().stdout;
    assert!(log.contains("2 slots passed without a post (2026-01-05 09:00, 2026-01-05 13:00 UTC)"), "{log}");
    let show = n.farm.run(&["show", "w"]).ok().stdout;
    assert!(show.contains("missed:      2 slots"), "{show}");

    // skip: the 21:00 slot is an hour late, past half an hour: no post, three missed.
    let mut n = after_downtime("skip");
    cron(&mut n, down_until, down_until + 3600);
    assert!(n.posted("w").is_empty());
    assert_eq!(row(&n, "w")["slots_missed"], 3);
    // The next slot, reached on time, posts.
    cron(&mut n, ts("2026-01-06T09:00:00Z"), ts("2026-01-06T09:10:00Z"));
    assert_eq!(post_times(&n), ["2026-01-06T09:00:00Z"]);

    // all: one post per missed slot, oldest first, one per run; then none until the next slot.
    let mut n = after_downtime("all");
    cron(&mut n, down_until, down_until + 3600);
    assert_eq!(post_times(&n), ["2026-01-05T22:00:00Z", "2026-01-05T22:10:00Z", "2026-01-05T22:20:00Z"]);
    assert_eq!(row(&n, "w")["slots_missed"], 0);
}

#[test]
fn all_catches_up_one_day_at_most() {
    // Down for three days: the slots of the last day are posted, the older ones let pass.
    let start = ts("2026-01-05T08:00:00Z");
    let mut n = farm_at(start, 20, &["--at", "09:00,21:00", "--missed", "all"]);
    let back = ts("2026-01-08T10:00:00Z");
    cron(&mut n, back, back + 3 * 600);
    // Past a day: 01-05, 01-06 and 01-07 09:00 (25 hours). Owed: 01-07 21:00 and 01-08 09:00.
    assert_eq!(post_times(&n), ["2026-01-08T10:00:00Z", "2026-01-08T10:10:00Z"]);
    assert_eq!(row(&n, "w")["slots_missed"], 5);
}

#[test]
fn a_crash_after_the_intent_never_gives_a_slot_a_second_post() {
    for point in ["send-before-request", "send-before-confirm"] {
        let start = ts("2026-01-05T08:00:00Z");
        let mut n = farm_at(start, 20, &["--at", "09:00,13:00"]);
        let slot = ts("2026-01-05T09:00:00Z");
        n.farm.env.push(("FARM_CRASH_AT".into(), point.into()));
        let crashed = n.synced(slot, &["run"]);
        assert_ne!(crashed.code, 0, "{point}: did not crash");
        n.farm.env.pop();
        let pending = n.state("w")["pending"].as_str().map(str::to_string);
        assert!(pending.is_some(), "{point}: the intent was not kept");
        // The rest of the slot's hour, and the clock stepping back into it: one post.
        cron(&mut n, slot + 600, slot + 3600);
        n.synced(slot - 300, &["run"]).ok();
        n.synced(slot + 300, &["run"]).ok();
        assert_eq!(n.posted("w"), [pending.clone().unwrap()], "{point}");
        assert_eq!(row(&n, "w")["slots_missed"], 0, "{point}");
        // The next slot posts the next text.
        cron(&mut n, ts("2026-01-05T13:00:00Z"), ts("2026-01-05T13:20:00Z"));
        assert_eq!(n.posted("w").len(), 2, "{point}");
    }
}

#[test]
fn jitter_moves_a_slot_by_the_same_amount_in_every_view_and_run() {
    let start = ts("2026-01-05T07:00:00Z");
    let mut n = farm_at(start, 20, &["--at", "09:00", "--tz", "Europe/Berlin", "--jitter", "45m"]);
    // 09:00 Berlin is 08:00 UTC in winter.
    let fire = ts(n.state("w")["next_slot_at"].as_str().unwrap());
    let slot = ts("2026-01-05T08:00:00Z");
    assert!((slot..=slot + 45 * 60).contains(&fire), "{}", rfc(fire));
    assert_eq!(row(&n, "w")["next_slot_at"], rfc(fire), "stats and show disagree");
    let (at, _) = botfarm::store::read_next_due(&n.farm.db()).unwrap();
    assert!(at <= fire, "the next-due record ({}) is after the slot fires", rfc(at));
    // Shown again later (a rerun): the same time.
    n.farm.set_now(&rfc(start + 1800));
    assert_eq!(n.state("w")["next_slot_at"], rfc(fire));
    cron(&mut n, start, start + 3 * 3600);
    let posted = ts(&post_times(&n)[0]);
    assert_eq!(post_times(&n).len(), 1);
    assert!(posted >= fire && posted < fire + 600, "posted at {}, fires at {}", rfc(posted), rfc(fire));
    // With the reader paused, the next-due record is the writer's next slot as the views show it,
    // so cron runs until then exit without opening the database.
    n.farm.run(&["pause", "r"]).ok();
    let next = n.state("w")["next_slot_at"].as_str().map(ts).unwrap();
    assert!((slot + 86_400..=slot + 86_400 + 45 * 60).contains(&next), "{}", rfc(next));
    assert_eq!(botfarm::store::read_next_due(&n.farm.db()).unwrap().0, next);
    assert_eq!(row(&n, "w")["next_due_at"], rfc(next));
}

#[test]
fn slots_are_set_changed_and_taken_away_with_edit() {
    let mut n = farm_at(T0, 5, &[]);
    n.farm.set_now(&rfc(T0));
    // Refused with one line and exit 64.
    let bad = n.farm.run(&["edit", "w", "--at", "09:00", "--every", "1h"]);
    assert_eq!(bad.code, 64, "{}", bad.stderr);
    n.farm.run(&["edit", "w", "--tz", "Europe/Berlin"]).one_line_error(64, "go with --at");
    n.farm.run(&["edit", "r", "--at", "09:00"]).one_line_error(64, "for writers");
    n.farm.run(&["edit", "w", "--at", "9"]).one_line_error(64, "HH:MM");
    n.farm.run(&["edit", "w", "--at", "09:00", "--tz", "Mars/Base"]).one_line_error(64, "IANA");
    n.farm.run(&["edit", "w", "--at", "09:00", "--tz", "local"]).one_line_error(64, "name the zone");
    n.farm.run(&["edit", "w", "--at", "09:00", "--days", "someday"]).one_line_error(64, "--days");
    n.farm.run(&["edit", "w", "--at", "09:00,09:30", "--jitter", "30m"]).one_line_error(64, "shortest gap");
    assert!(n.state("w")["next_slot_at"].is_null());
    // Set: slots before the edit are not owed.
    n.farm.set_now("2026-01-01T10:00:00Z");
    n.farm.run(&["edit", "w", "--at", "09:00", "--tz", "europe/berlin"]).ok();
    assert_eq!(n.state("w")["next_slot_at"], "2026-01-02T08:00:00Z");
    // Changed: another zone, the times kept.
    n.farm.run(&["edit", "w", "--tz", "Asia/Tokyo"]).ok();
    let show = n.farm.run(&["show", "w", "--json"]).ok().json();
    assert_eq!(show["slots"]["tz"], "Asia/Tokyo");
    assert_eq!(show["slots"]["at"], serde_json::json!(["09:00"]));
    assert_eq!(show["state"]["next_slot_at"], "2026-01-02T00:00:00Z");
    cron(&mut n, ts("2026-01-01T10:00:00Z"), ts("2026-01-02T01:00:00Z"));
    assert_eq!(post_times(&n), ["2026-01-02T00:00:00Z"]);
    // Taken away: by interval again.
    n.farm.run(&["edit", "w", "--every", "2h"]).ok();
    let show = n.farm.run(&["show", "w", "--json"]).ok().json();
    assert!(show["slots"].is_null(), "{show}");
    assert_eq!(show["every"], "2h");
    cron(&mut n, ts("2026-01-02T01:10:00Z"), ts("2026-01-02T03:50:00Z"));
    assert_eq!(post_times(&n), ["2026-01-02T00:00:00Z", "2026-01-02T02:00:00Z"]);
}

#[test]
fn a_text_refused_for_good_leaves_its_slot_open_a_refused_resend_waits_for_the_next_slot() {
    use botfarm::sim::Fault;
    let start = ts("2026-01-05T08:00:00Z");
    let mut n = farm_at(start, 20, &["--at", "09:00,13:00"]);
    cron(&mut n, start, start + 3000);
    // The 09:00 text is refused for good (422): it never went out, and after the back-off the
    // next text is posted for the same slot.
    n.fake.fail_next(1, Fault::Status(422), Some("/api/v1/statuses"));
    let nine = ts("2026-01-05T09:00:00Z");
    assert_ne!(n.synced(nine, &["run"]).code, 0);
    cron(&mut n, nine + 600, nine + 3 * 3600);
    assert_eq!(post_times(&n), ["2026-01-05T09:10:00Z"]);
    // The 13:00 post's answer is lost (503: kept, resent by the next run), and the resend is
    // refused for good: the slot had its post's intent, so the writer waits for the next slot
    // instead of retrying every few minutes.
    let one = ts("2026-01-05T13:00:00Z");
    n.fake.fail_next(1, Fault::Status(503), Some("/api/v1/statuses"));
    assert_ne!(n.synced(one, &["run"]).code, 0);
    assert!(n.state("w")["pending"].is_string());
    n.fake.fail_next(1, Fault::Status(422), Some("/api/v1/statuses"));
    assert_ne!(n.synced(one + 600, &["run"]).code, 0);
    assert!(n.state("w")["pending"].is_null());
    assert_eq!(row(&n, "w")["next_due_at"], "2026-01-06T09:00:00Z");
    cron(&mut n, one + 1200, ts("2026-01-06T09:00:00Z"));
    assert_eq!(post_times(&n), ["2026-01-05T09:10:00Z", "2026-01-06T09:00:00Z"]);
}
