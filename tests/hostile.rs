//! The farm against servers that refuse, lie or exaggerate (#13 items 4, 5, 6, 16): a post
//! refused for good in another language is dropped, reader cursors only move forward, an
//! absurd rate-limit reset is capped at a day, and the v1.1 reader reads once per tick.

mod support;
use botfarm::sim::{Fault, SourcePost};
use support::net::{Net, T0};

#[test]
fn a_mastodon_text_refused_in_japanese_is_dropped_and_the_next_one_posted() {
    let mut n = Net::new();
    n.masto_bot("reader", "r", &[]);
    n.masto_bot("writer", "w", &["--source", "r"]);
    n.seed("r", 5, "a");
    n.fake.reject_posts(None, "バリデーションに失敗しました: テキストが不適切です");
    let r = n.synced(T0, &["run"]);
    assert_eq!(r.code, 65, "{}", r.stderr);
    assert!(r.stderr.contains("w:") && r.stderr.contains("drops it"), "{}", r.stderr);
    let refused = n.fake.rejected();
    assert_eq!(refused.len(), 1);
    assert!(n.posted("w").is_empty());
    assert!(n.state("w")["pending"].is_null(), "the text is not kept for a resend");

    for k in 1..=4 {
        n.synced(T0 + k * 3600, &["run"]).ok();
    }
    let posted = n.posted("w");
    assert!(!posted.is_empty(), "the writer moved on to its next text");
    assert!(!posted.contains(&refused[0]), "the refused text was sent again: {posted:?}");
    // Every POST after the refusal made a post: nothing was retried.
    assert_eq!(n.post_requests("/api/v1/statuses"), posted.len() + 1);
    assert_eq!(n.fake.rejected().len(), 1);
}

#[test]
fn an_x_text_refused_for_its_content_is_dropped_but_a_bare_403_is_kept() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("writer", "w", "x", &["--source", "r"]);
    n.seed("r", 5, "a");
    n.fake.reject_posts(None, "You are not permitted to perform this action.");
    assert_eq!(n.at(T0, &["run"]).code, 65);
    assert!(n.state("w")["pending"].is_null());
    n.at(T0 + 3600, &["run"]).ok();
    let posted = n.posted("w");
    assert_eq!(posted.len(), 1);
    assert_ne!(posted[0], n.fake.rejected()[0]);

    // A 403 without a word about the post (suspended account) keeps the text for later.
    n.fake.fail_next(1, Fault::Status(403), Some("/2/tweets"));
    assert_eq!(n.at(T0 + 2 * 3600, &["run"]).code, 69);
    assert!(n.state("w")["pending"].is_string());
}

/// Put `n` posts on `user`'s home timeline; their ids, oldest first.
fn push(n: &Net, user: &str, count: usize, tag: &str) -> Vec<u64> {
    (0..count)
        .map(|i| n.fake.push_home(user, SourcePost::new("someone", &format!("{tag} post {i} about cats"))))
        .collect()
}

/// The `since_id` of the last timeline request: the reader's cursor as it goes on the wire.
fn last_since(n: &Net) -> Option<String> {
    let q = n.fake.requests().into_iter().rev().find(|r| r.path.contains("timeline"))?.query;
    q.split('&').find_map(|kv| kv.strip_prefix("since_id=")).map(str::to_string)
}

#[test]
fn a_reader_keeps_its_cursor_when_the_server_answers_with_older_posts() {
    for platform in ["x", "x-v1"] {
        let mut n = Net::new();
        n.x_bot("reader", "r", platform, &[]);
        let first = push(&n, "r", 5, "a");
        assert_eq!(n.at(T0, &["run"]).code, 0, "{platform}");
        let cursor = first[4].to_string();

        let second = push(&n, "r", 2, "b");
        n.fake.fail_next(1, Fault::OlderThanSince, Some("timeline"));
        let r = n.at(T0 + 3600, &["run"]);
        // X v2 says so (its newest_id is below the cursor); v1.1 just has nothing new.
        assert_eq!(r.code, if platform == "x" { 65 } else { 0 }, "{platform}: {}", r.stderr);
        assert_eq!(last_since(&n), Some(cursor.clone()), "{platform}");
        assert_eq!(n.state("r")["cached"], 5, "{platform}: old posts cached again");
        if platform == "x" {
            n.fake.fail_next(1, Fault::NewestId("not-a-number".into()), Some("/timelines/"));
            let r = n.at(T0 + 2 * 3600, &["run"]);
            assert_eq!(r.code, 65, "{platform}: {}", r.stderr);
            assert!(r.stderr.contains("newest_id"), "{}", r.stderr);
        }
        // The next sane read still starts at the newest post of the first read, then moves on.
        assert_eq!(n.at(T0 + 3 * 3600, &["run"]).code, 0, "{platform}");
        assert_eq!(last_since(&n), Some(cursor.clone()), "{platform}: the cursor moved back");
        assert_eq!(n.state("r")["cached"], 7, "{platform}");
        n.at(T0 + 4 * 3600, &["run"]).ok();
        assert_eq!(last_since(&n), Some(second[1].to_string()), "{platform}");
    }
}

#[test]
fn the_v1_reader_makes_one_request_per_tick() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x-v1", &[]);
    n.seed("r", 5, "a");
    assert_eq!(n.at(T0, &["run"]).code, 0);
    n.seed("r", 3, "b");
    n.fake.clear_requests();
    assert_eq!(n.at(T0 + 3600, &["run"]).code, 0);
    assert_eq!(n.count("/statuses/home_timeline"), 1, "{:?}", n.fake.requests());
}

#[test]
fn a_reset_in_the_year_2200_is_shown_and_kept_as_at_most_a_day() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("writer", "w", "x", &["--source", "r"]);
    n.seed("r", 5, "a");
    n.fake.fail_next(1, Fault::RateLimited { reset: 7_258_118_400 }, Some("/2/tweets"));
    assert_eq!(n.at(T0, &["run"]).code, 75);
    let st = n.state("w");
    let post_rate = st["rate_limits"].as_array().unwrap().iter().find(|r| r["call"] == "post").unwrap();
    assert_eq!(post_rate["remaining"], 0);
    let reset = botfarm::clock::parse_rfc3339(post_rate["reset"].as_str().unwrap()).unwrap();
    assert!(reset > T0 && reset <= T0 + 86_400, "{st}");
    let show = n.farm.run(&["show", "w"]).ok().stdout;
    let stats = n.farm.run(&["stats"]).ok().stdout;
    for out in [&show, &stats] {
        assert!(!out.contains("2200"), "{out}");
    }
    assert!(stats.contains("rate-limited"), "{stats}");
    assert!(show.contains("rate-limited until"), "{show}");
    // Still limited an hour later; runs again once the day is over.
    n.at(T0 + 3600, &["run"]).ok();
    assert!(n.posted("w").is_empty());
    n.at(T0 + 86_400 + 60, &["run"]).ok();
    assert_eq!(n.posted("w").len(), 1);
}

/// Answers of 200 that are not a page of posts: no list, only X's partial `errors`, a count
/// that disagrees with the posts, and a body nested 100,000 deep.
fn not_a_page() -> Vec<(&'static str, String)> {
    let deep = format!("{}{{}}{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    vec![
        ("[]", "[]".to_string()),
        ("{}", "{}".to_string()),
        ("errors", r#"{"errors":[{"title":"Service Unavailable","detail":"partial failure"}]}"#.to_string()),
        ("count", r#"{"meta":{"result_count":3}}"#.to_string()),
        ("deep", deep),
        ("null", "null".to_string()),
    ]
}

#[test]
fn an_x_v2_timeline_answer_that_is_not_a_page_is_malformed_and_keeps_the_cursor() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    let first = push(&n, "r", 3, "a");
    assert_eq!(n.at(T0, &["run"]).code, 0);
    push(&n, "r", 2, "b");
    for (k, (what, body)) in not_a_page().into_iter().enumerate() {
        n.fake.fail_next(1, Fault::Json(body), Some("/timelines/"));
        let r = n.at(T0 + (k as i64 + 1) * 3600, &["run"]);
        r.one_line_error(65, "r:");
        assert_eq!(n.state("r")["cursor"], first[2].to_string(), "{what}: the cursor moved");
        let st = n.farm.run(&["show", "r", "--json"]).ok().json();
        assert!(
            st["status"]["last_error"].is_string() || st["state"]["last_error"].is_string(),
            "{what}: {st}"
        );
    }
    assert_eq!(n.at(T0 + 10 * 3600, &["run"]).code, 0);
    assert_eq!(n.state("r")["cached"], 5);
}

#[test]
fn a_mastodon_status_without_content_is_malformed_not_an_empty_post() {
    let mut n = Net::new();
    n.masto_bot("reader", "r", &[]);
    let body = r#"[{"id":"5","created_at":"2026-01-01T00:00:00Z","account":{"id":"1","username":"bob"}}]"#;
    n.fake.fail_next(1, Fault::Json(body.into()), Some("/timelines/home"));
    n.synced(T0, &["run"]).one_line_error(65, "content");
    assert!(n.state("r")["cursor"].is_null());
}
