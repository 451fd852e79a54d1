//! Long texts posted as threads (`--long thread`) through the real binary against the fake
//! network: each part exactly once, each answering the one before by the id the network
//! returned, on Mastodon, X (v2 and v1.1) and Bluesky; across kill -9 at every step of every
//! part, lost answers inside and past the resend window, X's "duplicate" answer and a rate limit
//! in the middle of a thread.

mod support;
use botfarm::sim::{Endpoint, Fault, SourcePost};
use support::net::{bsky_handle, Net, T0};

/// 88 characters: three posts on a 40-character instance.
const LONG: &str = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen";

/// [`LONG`] as a thread on a 40-character instance.
const PARTS: [&str; 3] =
    ["one two three four five six seven eight", "nine ten eleven twelve thirteen fourteen", "fifteen"];

/// A Mastodon instance of 40 characters with a reader `r` and a writer `w` (`--long thread` and
/// `extra`), and [`LONG`] on the reader's timeline.
fn masto_thread(extra: &[&str]) -> Net {
    let mut n = Net::new();
    n.farm.set_now(&support::net::rfc(T0 - 3600));
    n.fake.set_mastodon_max_chars(40);
    n.masto_bot("reader", "r", &[]);
    let mut args = vec!["--source", "r", "--template", "{}", "--long", "thread"];
    args.extend_from_slice(extra);
    n.masto_bot("writer", "w", &args);
    n.fake.push_home("r", SourcePost::new("someone", LONG));
    n
}

/// The posts of `user`, checked to be one thread: each answers the one before it, the first
/// answers nothing. Their texts.
fn thread_of(n: &Net, user: &str) -> Vec<String> {
    let posts = n.fake.posts_by(user);
    for (i, p) in posts.iter().enumerate() {
        let want = if i == 0 { None } else { Some(posts[i - 1].id) };
        assert_eq!(n.fake.in_reply_to(p.id), want, "part {} of {posts:?}", i + 1);
    }
    posts.into_iter().map(|p| p.text).collect()
}

#[test]
fn a_long_text_goes_out_as_a_thread_each_part_answering_the_one_before() {
    let mut n = masto_thread(&["--warning", "long read"]);
    let r = n.synced(T0, &["run", "-v"]).ok();
    // The warning takes 9 of the 40 characters of each part: four parts.
    let texts = thread_of(&n, "w");
    let want =
        ["one two three four five six", "seven eight nine ten eleven", "twelve thirteen fourteen", "fifteen"];
    assert_eq!(texts, want);
    assert_eq!(texts.join(" "), LONG, "no word lost or changed");
    // Each part fits with the warning it carries; each carries it.
    for p in n.fake.posts_by("w") {
        assert_eq!(p.warning.as_deref(), Some("long read"));
        assert!(p.text.chars().count() + "long read".len() <= 40, "{p:?}");
        assert_eq!(p.visibility.as_deref(), Some("unlisted"));
    }
    assert!(r.stdout.contains("(thread, part 4 of 4): fifteen"), "{} {}", r.stdout, r.stderr);
    // One post for the writer's schedule and total; three posts on the network.
    let st = n.state("w");
    assert!(st["pending"].is_null(), "{st}");
    assert_eq!(st["posts_total"], 1, "{st}");
    let stats = n.farm.run(&["stats", "w", "--json"]).ok().json();
    assert_eq!(stats["bot"]["posts_24h"].as_u64().or(stats["bot"]["posts"].as_u64()), Some(4), "{stats}");
    n.synced(T0 + 600, &["run"]).ok();
    assert_eq!(n.fake.posts_by("w").len(), 4, "posted again");
    // The preview lists the next thread's posts, each with its length (the warning counts), as
    // the next run posts them.
    // (Another text: a part may not repeat one posted before.)
    let next = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi";
    n.fake.push_home("r", SourcePost::new("someone", next));
    n.synced(T0 + 1200, &["run", "r", "--force"]).ok();
    let preview = n.farm.run(&["preview", "w"]).ok().stdout;
    let parts = ["alpha beta gamma delta epsilon", "zeta eta theta iota kappa", "lambda mu nu xi omicron pi"];
    assert!(preview.contains(&format!("[ 39/40] (1/3) {}\n", parts[0])), "{preview}");
    assert!(preview.contains(&format!("[ 35/40] (3/3) {}\n", parts[2])), "{preview}");
    n.synced(T0 + 7200, &["run"]).ok();
    assert_eq!(n.posted("w")[4..], parts);
    // Shown, listed, and switched by edit.
    assert!(n.farm.run(&["show", "w"]).ok().stdout.contains("posted as a thread"));
    let list = n.farm.run(&["list", "--json"]).ok().json();
    let row = list.as_array().unwrap().iter().find(|b| b["name"] == "w").unwrap().clone();
    assert_eq!(row["long"], "thread");
    n.farm.run(&["edit", "w", "--long", "skip"]).ok();
    assert!(n.farm.run(&["show", "w"]).ok().stdout.contains("skipped"));
}

/// `n` numbered words: `w0 w1 w2 …`.
fn words(n: usize) -> String {
    (0..n).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ")
}

#[test]
fn x_and_bluesky_threads_answer_by_the_ids_and_strong_refs_they_returned() {
    // 390 characters: two posts of X's 280.
    let long = words(100);
    for platform in ["x", "x-v1"] {
        let mut n = Net::new();
        n.fake.set_oauth_wall_clock(true);
        n.x_bot("reader", "r", "x", &[]);
        n.x_bot("writer", "w", platform, &["--source", "r", "--template", "{}", "--long", "thread"]);
        n.fake.push_home("r", SourcePost::new("someone", &long));
        n.synced(T0, &["run"]).ok();
        let texts = thread_of(&n, "w");
        assert_eq!(texts.len(), 2, "{platform}: {texts:?}");
        assert_eq!(texts.join(" "), long, "{platform}");
        assert_eq!(n.count(if platform == "x" { "/2/tweets" } else { "/update.json" }), 2, "{platform}");
        n.synced(T0 + 7200, &["run"]).ok();
        assert_eq!(n.fake.posts_by("w").len(), 2, "{platform}: posted again");
    }

    // Bluesky, 300 graphemes: three posts, each with strong refs to the one before it and to
    // the first, record keys in the thread's order.
    let long = words(150);
    let mut n = Net::new();
    n.bsky_bot("reader", "r", &[]);
    n.bsky_bot("writer", "w", &["--source", "r", "--template", "{}", "--long", "thread"]);
    n.fake.set_now(Some(T0 - 3600));
    n.fake.push_home(&bsky_handle("r"), SourcePost::new("someone", &long));
    n.synced(T0, &["run"]).ok();
    let texts = thread_of(&n, &bsky_handle("w"));
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert_eq!(texts.join(" "), long);
    let posts = n.fake.posts_by(&bsky_handle("w"));
    let keys: Vec<String> = posts.iter().map(|p| p.idempotency_key.clone().unwrap()).collect();
    assert!(keys.windows(2).all(|k| k[0] < k[1]), "record keys out of order: {keys:?}");
    let record = |i: usize| n.fake.bluesky_record(&bsky_handle("w"), &keys[i]).unwrap();
    assert!(record(0).get("reply").is_none(), "{}", record(0));
    for i in 1..3 {
        let r = record(i);
        let (root, parent) = (&r["reply"]["root"], &r["reply"]["parent"]);
        assert!(root["uri"].as_str().unwrap().ends_with(&keys[0]), "{r}");
        assert!(parent["uri"].as_str().unwrap().ends_with(&keys[i - 1]), "{r}");
        assert!(root["cid"].as_str().is_some_and(|c| c.len() >= 8), "{r}");
        assert!(parent["cid"].as_str().is_some_and(|c| c.len() >= 8), "{r}");
    }
    n.synced(T0 + 7200, &["run"]).ok();
    assert_eq!(n.fake.posts_by(&bsky_handle("w")).len(), 3, "posted again");
}

#[test]
fn kill_9_at_every_step_of_every_part_posts_each_part_once_in_one_thread() {
    // Mastodon: a part cut off before or after its request is settled by the next run with its
    // key (inside the 45-minute window, Mastodon returns the status it made), and the thread
    // goes on from there.
    for part in 1..=3 {
        for point in ["send-before-request", "send-before-confirm"] {
            let at = format!("{point}#{part}");
            let mut n = masto_thread(&[]);
            n.farm.env.push(("FARM_CRASH_AT".into(), at.clone()));
            assert_ne!(n.synced(T0, &["run"]).code, 0, "{at}: did not crash");
            n.farm.env.pop();
            let sent = part - usize::from(point == "send-before-request");
            assert_eq!(n.fake.posts_by("w").len(), sent, "{at}");
            let st = n.state("w");
            assert!(st["pending"].as_str().is_some_and(|p| p == PARTS[part - 1]), "{at}: {st}");
            n.synced(T0 + 600, &["run"]).ok();
            n.synced(T0 + 7200, &["run"]).ok();
            assert_eq!(thread_of(&n, "w"), PARTS, "{at}");
            assert!(n.state("w")["pending"].is_null(), "{at}");
        }
    }
    // X v2: a part cut off after its request is refused as a duplicate when sent again, and
    // found among the writer's own posts (one read) so that the next part can answer it.
    let long = words(100);
    for part in 1..=2 {
        for point in ["send-before-request", "send-before-confirm"] {
            let at = format!("{point}#{part}");
            let mut n = Net::new();
            n.fake.set_oauth_wall_clock(true);
            n.x_bot("reader", "r", "x", &[]);
            n.x_bot("writer", "w", "x", &["--source", "r", "--template", "{}", "--long", "thread"]);
            n.fake.push_home("r", SourcePost::new("someone", &long));
            n.farm.env.push(("FARM_CRASH_AT".into(), at.clone()));
            assert_ne!(n.synced(T0, &["run"]).code, 0, "{at}: did not crash");
            n.farm.env.pop();
            n.synced(T0 + 600, &["run", "w", "--force"]).ok();
            n.synced(T0 + 7200, &["run"]).ok();
            let texts = thread_of(&n, "w");
            assert_eq!((texts.len(), texts.join(" ")), (2, long.clone()), "{at}");
        }
    }
    // Bluesky: the record key settles a part at any age, also one cut off after its request.
    let long = words(150);
    for part in 1..=3 {
        for point in ["send-before-request", "send-after-request", "send-before-confirm"] {
            let at = format!("{point}#{part}");
            let mut n = Net::new();
            n.bsky_bot("reader", "r", &[]);
            n.bsky_bot("writer", "w", &["--source", "r", "--template", "{}", "--long", "thread"]);
            n.fake.set_now(Some(T0 - 3600));
            n.fake.push_home(&bsky_handle("r"), SourcePost::new("someone", &long));
            n.farm.env.push(("FARM_CRASH_AT".into(), at.clone()));
            assert_ne!(n.synced(T0, &["run"]).code, 0, "{at}: did not crash");
            n.farm.env.pop();
            n.synced(T0 + 7 * 86_400, &["run"]).ok();
            n.synced(T0 + 8 * 86_400, &["run"]).ok();
            let texts = thread_of(&n, &bsky_handle("w"));
            assert_eq!((texts.len(), texts.join(" ")), (3, long.clone()), "{at}");
        }
    }
}

#[test]
fn lost_answers_inside_and_past_the_window_and_x_duplicates_keep_one_thread() {
    // Mastodon: the first part made, its answer lost; two hours later (past the 45-minute
    // window of Idempotency-Key) it is found among the writer's own posts, and the rest of the
    // thread answers the post found.
    let mut n = masto_thread(&[]);
    n.fake.fail_next(1, Fault::PerformThenTimeout, Some("/api/v1/statuses"));
    assert_eq!(n.synced(T0, &["run"]).code, 75);
    assert_eq!(n.posted("w"), PARTS[..1]);
    let r = n.synced(T0 + 7200, &["run", "-v"]).ok();
    assert!(r.stdout.contains("found among its own posts"), "{}", r.stdout);
    assert_eq!(thread_of(&n, "w"), PARTS);

    // The same for the middle part (held an hour by a rate limit, then its answer lost), inside
    // the window: sent again with its key, and the last part answers it.
    let mut n = masto_thread(&[]);
    n.fake.set_rate_limit("w", Endpoint::Post, 1, 3600);
    n.synced(T0, &["run"]).ok();
    assert_eq!(n.posted("w"), PARTS[..1]);
    n.fake.set_rate_limit("w", Endpoint::Post, 100, 3600);
    n.fake.fail_next(1, Fault::PerformThenTimeout, Some("/api/v1/statuses"));
    assert_eq!(n.synced(T0 + 3600, &["run"]).code, 75);
    assert_eq!(n.posted("w"), PARTS[..2]);
    let r = n.synced(T0 + 3900, &["run", "w", "--force", "-v"]).ok();
    assert_eq!(thread_of(&n, "w"), PARTS, "{}", r.stdout);

    // X v2: the first part made, its answer lost; the resend is refused as a duplicate, which
    // says no id: one read of its own posts finds it, and the second part answers it.
    let long = words(100);
    let mut n = Net::new();
    n.fake.set_oauth_wall_clock(true);
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("writer", "w", "x", &["--source", "r", "--template", "{}", "--long", "thread"]);
    n.fake.push_home("r", SourcePost::new("someone", &long));
    n.fake.fail_next(1, Fault::PerformThenTimeout, Some("/2/tweets"));
    assert_eq!(n.synced(T0, &["run"]).code, 75);
    let r = n.synced(T0 + 600, &["run", "-v"]).ok();
    assert!(r.stdout.contains("the server said duplicate"), "{}", r.stdout);
    let texts = thread_of(&n, "w");
    assert_eq!(texts.join(" "), long);
    assert_eq!(texts.len(), 2);
}

#[test]
fn a_rate_limit_in_the_middle_of_a_thread_holds_the_rest_until_it_resets() {
    let mut n = masto_thread(&[]);
    // One post an hour: the first part goes, the fake says none remain, and farm makes no call
    // the limit forbids.
    n.fake.set_rate_limit("w", Endpoint::Post, 1, 3600);
    let r = n.synced(T0, &["run", "-v"]).ok();
    assert!(r.stdout.contains("the thread's next part waits (rate-limited until"), "{}", r.stdout);
    assert_eq!(n.posted("w"), PARTS[..1]);
    assert_eq!(n.post_requests("/api/v1/statuses"), 1);
    let show = n.farm.run_env(&["show", "w"], &[("COLUMNS", "300")]).ok().stdout;
    assert!(show.contains("part 2 of 3; 1 to follow"), "{show}");
    let preview = n.farm.run(&["preview", "w"]).ok().stdout;
    assert!(preview.contains("(unconfirmed, will be resent) (2/3) nine ten"), "{preview}");
    assert!(preview.contains("(then, 3/3) fifteen"), "{preview}");
    n.synced(T0 + 1800, &["run"]).ok();
    assert_eq!(n.post_requests("/api/v1/statuses"), 1, "a call the limit forbids");
    n.synced(T0 + 3700, &["run"]).ok();
    n.synced(T0 + 7400, &["run"]).ok();
    assert_eq!(thread_of(&n, "w"), PARTS);
    assert_eq!(n.post_requests("/api/v1/statuses"), 3);
}

#[test]
fn a_text_of_more_than_ten_posts_or_a_word_too_long_is_skipped_whole() {
    let mut n = masto_thread(&[]);
    // Eleven posts' worth from a hostile source, and one word longer than a post.
    n.fake.push_home("r", SourcePost::new("someone", &"abcdefghi ".repeat(44)));
    n.fake.push_home("r", SourcePost::new("someone", &format!("short {}", "x".repeat(60))));
    n.synced(T0, &["run"]).ok();
    assert_eq!(thread_of(&n, "w"), PARTS, "only the text that makes a thread of ten or fewer");
    let log = n.farm.run(&["log", "w", "--json"]).ok().stdout;
    assert!(!log.contains("too long"), "{log}");
    n.synced(T0 + 3600, &["run"]).ok();
    n.synced(T0 + 7200, &["run"]).ok();
    assert_eq!(n.fake.posts_by("w").len(), 3);
    let log = n.farm.run(&["log", "w", "--json"]).ok().stdout;
    assert!(log.contains("2 too long"), "{log}");
}

#[test]
fn a_grammar_writer_posts_its_long_texts_as_the_threads_its_preview_shows() {
    let n = Net::new();
    n.fake.set_mastodon_max_chars(40);
    let grammar = r##"{"origin": ["#a# and #a# and #a# and #a# and then #a#"], "a": ["a red fox", "the old dog", "one grey cat"]}"##;
    let process = format!("tracery:{grammar}");
    n.masto_bot("writer", "g", &["--process", &process, "--long", "thread", "--every", "1h"]);
    let mut n = n;
    // The first run learns the instance's length; the preview then shows the next threads.
    n.synced(T0, &["run"]).ok();
    let first = n.posted("g");
    assert!(first.len() >= 2, "{first:?}");
    let preview = n.farm.run(&["preview", "g", "-n", "2"]).ok().stdout;
    let shown: Vec<String> = preview
        .lines()
        .filter_map(|l| l.split_once(") ").filter(|_| l.starts_with('[')).map(|(_, t)| t.to_string()))
        .collect();
    n.synced(T0 + 3600, &["run"]).ok();
    n.synced(T0 + 7200, &["run"]).ok();
    let posted = n.posted("g");
    assert_eq!(posted[first.len()..], shown[..], "{preview}");
    assert_eq!(n.state("g")["posts_total"], 3);
}

#[test]
fn a_refused_or_orphaned_part_cuts_the_thread_short_and_never_costs_its_slot_a_second_post() {
    // A writer with a 09:00 slot; the server refuses the thread's second part for good.
    let mut n = masto_thread(&["--at", "09:00", "--tz", "UTC"]);
    n.fake.push_home("r", SourcePost::new("someone", "a short post after it"));
    n.fake.reject_posts(Some(PARTS[1]), "Text nicht erlaubt");
    let nine = T0 + 9 * 3600;
    let r = n.synced(nine, &["run", "-v"]).ok();
    assert!(r.stdout.contains("the thread is cut short: part 2 of 3 was refused"), "{}", r.stdout);
    assert_eq!(n.posted("w"), PARTS[..1]);
    assert!(n.state("w")["pending"].is_null());
    // The slot was served by the thread's first part: nothing more until tomorrow's.
    n.synced(nine + 600, &["run"]).ok();
    n.synced(nine + 3600, &["run"]).ok();
    assert_eq!(n.posted("w"), PARTS[..1]);
    n.synced(nine + 86_400, &["run"]).ok();
    assert_eq!(n.posted("w"), [PARTS[0], "a short post after it"]);

    // The part before the next one is deleted while that one waits (a rate limit): Mastodon
    // answers 404 to the reply; the rest is dropped, never posted unthreaded, never retried.
    let mut n = masto_thread(&[]);
    n.fake.push_home("r", SourcePost::new("someone", "a short post after it"));
    n.fake.set_rate_limit("w", Endpoint::Post, 1, 3600);
    n.synced(T0, &["run"]).ok();
    n.fake.delete_posts_of("w");
    let r = n.synced(T0 + 3700, &["run", "-v"]).ok();
    assert!(r.stdout.contains("the thread is cut short: part 2 of 3 was refused"), "{}", r.stdout);
    assert!(n.state("w")["pending"].is_null());
    n.synced(T0 + 7400, &["run"]).ok();
    // (The deleted part is gone from the account's posts.)
    assert_eq!(n.posted("w"), ["a short post after it"]);
    assert_eq!(n.post_requests("/api/v1/statuses"), 3, "the refused part was sent once");
}

#[test]
fn parts_that_repeat_each_other_or_an_earlier_post_are_not_a_thread() {
    let mut n = masto_thread(&[]);
    n.synced(T0, &["run"]).ok();
    assert_eq!(thread_of(&n, "w"), PARTS);
    // A text whose parts repeat one another, and one whose part repeats a part posted before:
    // skipped as duplicates (X refuses a repeated text; a lost part is looked for by its text).
    n.fake.push_home("r", SourcePost::new("someone", &"lorem ipsum dolor sit amet. ".repeat(4)));
    n.fake.push_home("r", SourcePost::new("someone", &format!("{} and more words here", PARTS[0])));
    n.synced(T0 + 3600, &["run"]).ok();
    assert_eq!(n.fake.posts_by("w").len(), 3);
    let log = n.farm.run(&["log", "w", "--json"]).ok().stdout;
    assert!(log.contains("2 duplicates"), "{log}");
}

#[test]
fn a_part_of_a_link_alone_takes_a_word_so_a_lost_one_is_found_not_sent_twice() {
    let n = Net::new();
    n.fake.set_mastodon_max_chars(40);
    n.masto_bot("reader", "r", &[]);
    n.masto_bot("writer", "w", &["--source", "r", "--template", "{}", "--long", "thread"]);
    // Cut greedily, the link would be the third part alone (the fake counts it 23).
    let text = "one two three four five six seven eight nine ten eleven twelve thirteen https://example.org/a/long/article";
    n.fake.push_home("r", SourcePost::new("someone", text));
    let mut n = n;
    n.fake.set_rate_limit("w", Endpoint::Post, 2, 3600);
    n.synced(T0, &["run"]).ok();
    assert_eq!(n.fake.posts_by("w").len(), 2);
    n.fake.set_rate_limit("w", Endpoint::Post, 100, 3600);
    n.fake.fail_next(1, Fault::PerformThenTimeout, Some("/api/v1/statuses"));
    assert_eq!(n.synced(T0 + 3700, &["run"]).code, 75);
    // Two hours on, past Mastodon's window: found among its own posts by its word.
    let r = n.synced(T0 + 3700 + 7200, &["run", "-v"]).ok();
    assert!(r.stdout.contains("found among its own posts"), "{}", r.stdout);
    let texts = thread_of(&n, "w");
    assert_eq!(
        texts,
        [
            "one two three four five six seven eight",
            "nine ten eleven twelve",
            "thirteen https://example.org/a/long/article"
        ]
    );
}

#[test]
fn a_bluesky_thread_settled_by_its_record_key_after_the_clock_stepped_back() {
    let long = words(150);
    let mut n = Net::new();
    n.bsky_bot("reader", "r", &[]);
    n.bsky_bot("writer", "w", &["--source", "r", "--template", "{}", "--long", "thread"]);
    n.fake.set_now(Some(T0 - 3600));
    n.fake.push_home(&bsky_handle("r"), SourcePost::new("someone", &long));
    n.farm.env.push(("FARM_CRASH_AT".into(), "send-before-confirm#2".into()));
    assert_ne!(n.synced(T0, &["run"]).code, 0);
    n.farm.env.pop();
    // Two minutes back: the part is settled by its key (never looked for by its text, which
    // would not give its CID), and the thread goes on.
    let r = n.synced(T0 - 120, &["run", "w", "--force", "-v"]).ok();
    assert!(!r.stdout.contains("not sent"), "{}", r.stdout);
    let texts = thread_of(&n, &bsky_handle("w"));
    assert_eq!((texts.len(), texts.join(" ")), (3, long));
}

#[test]
fn a_farm_clock_hours_ahead_never_makes_a_found_part_look_like_another_post() {
    // Farm's clock two hours ahead of the server's. The second part goes out, the run is killed
    // before it is confirmed; the next run comes 62 minutes later (past the window and the
    // server's memory of the key), reads its own posts, and must find the part by its id
    // (after the first part's), whatever the times say.
    let mut n = masto_thread(&[]);
    n.fake.set_now(Some(T0));
    n.farm.env.push(("FARM_CRASH_AT".into(), "send-before-confirm#2".into()));
    assert_ne!(n.at(T0 + 7200, &["run"]).code, 0);
    n.farm.env.pop();
    n.fake.set_now(Some(T0 + 3720));
    let r = n.at(T0 + 7200 + 3720, &["run", "w", "--force", "-v"]).ok();
    assert!(r.stdout.contains("found among its own posts"), "{}", r.stdout);
    assert_eq!(thread_of(&n, "w"), PARTS);
}

#[test]
fn a_passing_refusal_of_a_part_keeps_it_for_the_next_run() {
    // A 403 that says nothing about the text (a proxy, a locked account): the part waits, the
    // run fails, and the next run posts it and the rest.
    let mut n = masto_thread(&[]);
    n.fake.set_rate_limit("w", Endpoint::Post, 1, 3600);
    n.synced(T0, &["run"]).ok();
    n.fake.set_rate_limit("w", Endpoint::Post, 100, 3600);
    n.fake.fail_next(1, Fault::Status(403), Some("/api/v1/statuses"));
    assert_ne!(n.synced(T0 + 3700, &["run"]).code, 0);
    assert!(n.state("w")["pending"].as_str().is_some_and(|p| p == PARTS[1]));
    n.synced(T0 + 7400, &["run", "w", "--force"]).ok();
    assert_eq!(thread_of(&n, "w"), PARTS);
}

#[test]
fn a_grammar_with_a_fixed_ending_posts_the_threads_its_preview_shows_and_goes_on() {
    let n = Net::new();
    n.fake.set_mastodon_max_chars(40);
    // Three parts on 40 characters: two sentences of 37 or 38 and the same ending of 38. Only the
    // first part must be new (a later one is looked for only after the part it answers).
    let grammar = r##"{"origin": ["#a# #a# and that is all there is to say today."],
        "a": ["the red fox ran over the green hills.", "the old dog slept under the warm sun.",
              "one grey cat sat on the garden walls.", "two owls flew over the silent meadow.",
              "the tall man sang to the little birds.", "one small boy ran down the dusty road."]}"##;
    let process = format!("tracery:{grammar}");
    n.masto_bot("writer", "g", &["--process", &process, "--long", "thread", "--every", "1h"]);
    let mut n = n;
    n.synced(T0, &["run"]).ok();
    let first = n.posted("g").len();
    assert_eq!(first, 3);
    assert_eq!(n.posted("g")[2], "and that is all there is to say today.");
    let preview = n.farm.run(&["preview", "g", "-n", "2"]).ok().stdout;
    let shown: Vec<String> = preview
        .lines()
        .filter_map(|l| l.split_once(") ").filter(|_| l.starts_with('[')).map(|(_, t)| t.to_string()))
        .collect();
    assert_eq!(shown.len(), 6, "{preview}");
    for h in 1..=2 {
        n.synced(T0 + h * 3600, &["run"]).ok();
    }
    assert_eq!(n.posted("g")[first..], shown[..], "{preview}");
    assert_eq!(n.state("g")["posts_total"], 3);
}
