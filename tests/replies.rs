//! Replies to mentions (`--reply mentions|only`) through the real binary against the fake
//! network: each mention answered exactly once, threaded and addressed the network's way, across
//! kill -9 and lost answers; the loop guard, each part on its own, and two farms' bots that
//! mention each other until it stops them; floods and hostile mentions with bounded work.

mod support;
use botfarm::sim::{Fault, SourcePost};
use serde_json::Value;
use support::net::{bsky_handle, rfc, Net, T0};
use support::Farm;

/// A Mastodon reader `r` and a writer `w` that answers its mentions (`reply` options and any
/// other writer options in `extra`), made an hour before [`T0`].
fn masto_replier(extra: &[&str]) -> Net {
    let mut n = Net::new();
    n.farm.set_now(&rfc(T0 - 3600));
    n.masto_bot("reader", "r", &[]);
    let mut args = vec!["--source", "r"];
    args.extend_from_slice(extra);
    n.masto_bot("writer", "w", &args);
    n
}

/// `author` mentions (or answers) at `at` on the fake's clock: the mention's id.
fn mention(n: &Net, at: i64, post: SourcePost) -> u64 {
    n.fake.set_now(Some(at));
    n.fake.add_post(post)
}

/// The replies of writer `bot` as `farm stats BOT --json` counts them.
fn replies(farm: &Farm, bot: &str) -> Value {
    farm.run(&["stats", bot, "--json"]).ok().json()["bot"]["replies"].clone()
}

/// The posts of `user` that start with `@to` (its replies to `to`, on Mastodon).
fn replies_to(n: &Net, user: &str, to: &str) -> Vec<botfarm::sim::CreatedPost> {
    n.fake.posts_by(user).into_iter().filter(|p| p.text.starts_with(&format!("@{to} "))).collect()
}

#[test]
fn a_mastodon_mention_is_answered_once_addressed_threaded_and_unlisted() {
    let mut n = masto_replier(&["--reply", "mentions", "--template", "echo: {}"]);
    n.seed("r", 3, "a");
    let m = mention(&n, T0 - 60, SourcePost::new("ann", "@w hello there"));
    n.synced(T0, &["run"]).ok();
    // Its own post as usual, and the reply: from its processor chain, to the mention's author,
    // under the mention.
    assert_eq!(n.fake.posts_by("w").len(), 2);
    let reply = replies_to(&n, "w", "ann");
    assert_eq!(reply.len(), 1);
    assert_eq!(reply[0].text, "@ann echo: hello there");
    assert_eq!(n.fake.in_reply_to(reply[0].id), Some(m));
    assert_eq!(reply[0].visibility.as_deref(), Some("unlisted"));
    // Later runs read the mentions once each and never answer it again.
    n.synced(T0 + 3600, &["run"]).ok();
    n.synced(T0 + 7200, &["run"]).ok();
    assert_eq!(replies_to(&n, "w", "ann").len(), 1);
    assert_eq!(n.fake.posts_by("w").len(), 4, "one post of its own per interval");
    assert_eq!(n.count("/api/v1/notifications"), 3, "one read per run");
    let r = replies(&n.farm, "w");
    assert_eq!(
        (r["seen"].as_u64(), r["answered"].as_u64(), r["waiting"].as_u64()),
        (Some(1), Some(1), Some(0))
    );
    assert_eq!(r["mode"], "mentions");
    let show = n.farm.run_env(&["show", "w"], &[("COLUMNS", "300")]).ok().stdout;
    assert!(show.contains("1 seen, 1 answered, 0 waiting"), "{show}");
    assert!(show.contains("answers its mentions; at most 4 in a thread, 3 to an account an hour"), "{show}");
    let log = n.farm.run(&["log", "w", "--json"]).ok().json();
    assert!(log
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["message"].as_str().unwrap().starts_with("replied: @ann")));
    // Other bots have no replies.
    assert!(replies(&n.farm, "r").is_null());
}

#[test]
fn x_and_bluesky_replies_thread_the_networks_way() {
    for platform in ["x", "x-v1"] {
        let mut n = Net::new();
        n.fake.set_oauth_wall_clock(true);
        n.farm.set_now(&rfc(T0 - 3600));
        n.x_bot("reader", "r", "x", &[]);
        n.x_bot("writer", "w", platform, &["--source", "r", "--reply", "only", "--template", "hi {}"]);
        let m = mention(&n, T0 - 60, SourcePost::new("ann", "@w how are you"));
        n.synced(T0, &["run"]).ok();
        let posts = n.fake.posts_by("w");
        assert_eq!(posts.len(), 1, "{platform}: {posts:?}");
        // X puts @ann in front itself: the text is the chain's alone.
        assert_eq!(posts[0].text, "hi how are you", "{platform}");
        assert_eq!(n.fake.in_reply_to(posts[0].id), Some(m), "{platform}");
        let path = if platform == "x" { "/mentions" } else { "/mentions_timeline.json" };
        assert_eq!(n.count(path), 1, "{platform}");
        n.synced(T0 + 3600, &["run"]).ok();
        assert_eq!(n.fake.posts_by("w").len(), 1, "{platform}: answered twice");
    }

    // Bluesky: strong refs to the mention and to its thread's first post.
    let mut n = Net::new();
    n.farm.set_now(&rfc(T0 - 3600));
    n.bsky_bot("reader", "r", &[]);
    n.bsky_bot("writer", "w", &["--source", "r", "--reply", "only", "--template", "hi {}"]);
    let first = mention(&n, T0 - 120, SourcePost::new("ann.test", "a thread"));
    let m = mention(&n, T0 - 60, SourcePost::new("bob.test", "@w.test what now").reply_to(first));
    n.synced(T0, &["run"]).ok();
    let posts = n.fake.posts_by(&bsky_handle("w"));
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].text, "hi what now");
    assert_eq!(n.fake.in_reply_to(posts[0].id), Some(m));
    let record =
        n.fake.bluesky_record(&bsky_handle("w"), posts[0].idempotency_key.as_deref().unwrap()).unwrap();
    let (root, parent) = (&record["reply"]["root"], &record["reply"]["parent"]);
    assert!(root["uri"].as_str().unwrap().starts_with("at://") && root["cid"].as_str().is_some(), "{record}");
    assert_ne!(root["uri"], parent["uri"], "the root is the thread's first post: {record}");
    assert_eq!(n.count("listNotifications"), 1);
    n.synced(T0 + 3600, &["run"]).ok();
    assert_eq!(n.fake.posts_by(&bsky_handle("w")).len(), 1, "answered twice");
}

/// Two farms (two data directories) on one fake network, each with a writer that only answers
/// its mentions; `b` opens with a mention of `a`. Runs alternate every five minutes.
fn two_farms(extra: &[&str]) -> (Net, Farm) {
    let mut n = Net::new();
    n.farm.set_now(&rfc(T0 - 3600));
    let mut other = Farm::new();
    other.set_now(&rfc(T0 - 3600));
    for (farm, me, reader) in [(&n.farm, "a", "ra"), (&other, "b", "rb")] {
        n.masto_bot_in(farm, "reader", reader, &[]);
        let template = format!("{me} says {{}}");
        let mut args = vec!["--source", reader, "--every", "10m", "--reply", "only", "--template", &template];
        args.extend_from_slice(extra);
        n.masto_bot_in(farm, "writer", me, &args);
    }
    mention(&n, T0 - 60, SourcePost::new("b", "@a hello"));
    for i in 0..12 {
        let t = T0 + i * 600;
        n.synced(t, &["run"]).ok();
        n.fake.set_now(Some(t + 300));
        other.set_now(&rfc(t + 300));
        other.run(&["run"]).ok();
    }
    (n, other)
}

#[test]
fn two_farms_bots_answering_each_other_stop_at_the_thread_guard() {
    let (n, other) = two_farms(&["--reply-per-hour", "100"]);
    // Four replies each in the one thread, then the guard: the loop is over.
    assert_eq!(replies_to(&n, "a", "b").len(), 4, "{:?}", n.posted("a"));
    assert_eq!(replies_to(&n, "b", "a").len(), 4, "{:?}", n.posted("b"));
    let (ra, rb) = (replies(&n.farm, "a"), replies(&other, "b"));
    assert_eq!((ra["answered"].as_u64(), ra["skipped"]["thread"].as_u64()), (Some(4), Some(1)), "{ra}");
    assert_eq!(rb["answered"].as_u64(), Some(4), "{rb}");
    // Each reply answers the other's last one.
    let b_posts = replies_to(&n, "b", "a");
    let a_posts = replies_to(&n, "a", "b");
    for (i, bp) in b_posts.iter().enumerate() {
        assert_eq!(n.fake.in_reply_to(bp.id), Some(a_posts[i].id));
    }
    let log = n.farm.run(&["log", "a", "--json"]).ok().json().to_string();
    assert!(log.contains("passed over 1 mention(s): its thread had the most replies (@b)"), "{log}");
}

#[test]
fn two_farms_bots_answering_each_other_stop_within_the_hour_by_default() {
    let (n, other) = two_farms(&[]);
    // Three replies to one account an hour: the per-account guard ends it first.
    assert_eq!(replies_to(&n, "a", "b").len(), 3);
    assert_eq!(replies_to(&n, "b", "a").len(), 3);
    assert_eq!(replies(&n.farm, "a")["skipped"]["account"].as_u64(), Some(1));
    assert_eq!(replies(&other, "b")["answered"].as_u64(), Some(3));
}

#[test]
fn an_account_marked_as_a_bot_is_answered_only_when_allowed() {
    let mut n = masto_replier(&["--reply", "only"]);
    n.fake.set_bot("robo", true);
    mention(&n, T0 - 60, SourcePost::new("robo", "@w ping"));
    n.synced(T0, &["run"]).ok();
    assert!(n.posted("w").is_empty());
    assert_eq!(replies(&n.farm, "w")["skipped"]["bot"].as_u64(), Some(1));
    // A writer that only answers reads its mentions once an interval, like any run.
    n.synced(T0 + 600, &["run"]).ok();
    assert_eq!(n.count("/api/v1/notifications"), 1);
    n.farm.run(&["edit", "w", "--reply-allow-bots", "@Robo"]).ok();
    let show = n.farm.run_env(&["show", "w"], &[("COLUMNS", "300")]).ok().stdout;
    assert!(show.contains("bots answered: robo"), "{show}");
    mention(&n, T0 + 100, SourcePost::new("robo", "@w ping again"));
    n.synced(T0 + 3600, &["run"]).ok();
    assert_eq!(n.posted("w"), ["@robo ping again"]);

    // Bluesky: the `bot` label on the author's profile.
    let mut n = Net::new();
    n.farm.set_now(&rfc(T0 - 3600));
    n.bsky_bot("reader", "r", &[]);
    n.bsky_bot("writer", "w", &["--source", "r", "--reply", "only"]);
    n.fake.set_bot("robo.test", true);
    mention(&n, T0 - 60, SourcePost::new("robo.test", "@w.test ping"));
    mention(&n, T0 - 50, SourcePost::new("ann.test", "@w.test hi"));
    n.synced(T0, &["run"]).ok();
    assert_eq!(n.posted(&bsky_handle("w")), ["hi"]);
    assert_eq!(replies(&n.farm, "w")["skipped"]["bot"].as_u64(), Some(1));
}

#[test]
fn never_itself_another_bot_of_the_farm_or_an_old_mention() {
    let mut n = Net::new();
    n.fake.set_oauth_wall_clock(true);
    n.farm.set_now(&rfc(T0 - 3600));
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("writer", "w", "x", &["--source", "r", "--reply", "only"]);
    // The reader has run: the farm knows its account.
    n.synced(T0 - 1800, &["run", "r"]).ok();
    mention(&n, T0 - 7200, SourcePost::new("ann", "@w before its replies began"));
    mention(&n, T0 - 60, SourcePost::new("w", "@w a note to myself"));
    mention(&n, T0 - 50, SourcePost::new("r", "@w from the reader of this farm"));
    mention(&n, T0 - 40, SourcePost::new("bob", "@w a real question"));
    n.synced(T0, &["run", "w"]).ok();
    let posts = n.posted("w");
    assert_eq!(posts, ["a real question"], "{posts:?}");
    let s = &replies(&n.farm, "w")["skipped"];
    assert_eq!(
        (s["itself"].as_u64(), s["farm"].as_u64(), s["old"].as_u64()),
        (Some(1), Some(1), Some(1)),
        "{s}"
    );
    // Past the horizon: a mention that waited too long is not answered.
    n.farm.run(&["edit", "w", "--reply-horizon", "1h"]).ok();
    mention(&n, T0 + 60, SourcePost::new("carl", "@w one"));
    mention(&n, T0 + 70, SourcePost::new("dora", "@w two"));
    mention(&n, T0 + 80, SourcePost::new("emma", "@w three"));
    mention(&n, T0 + 90, SourcePost::new("finn", "@w four"));
    n.synced(T0 + 3000, &["run", "w", "--force"]).ok();
    assert_eq!(n.posted("w").len(), 4, "three a run");
    n.synced(T0 + 2 * 3600, &["run", "w"]).ok();
    assert_eq!(n.posted("w").len(), 4);
    assert_eq!(replies(&n.farm, "w")["skipped"]["old"].as_u64(), Some(2));
    // A reader cannot answer mentions.
    let r = n.farm.run(&["edit", "r", "--reply", "mentions"]);
    r.one_line_error(64, "--reply and the --reply-* options are for writers");
}

#[test]
fn kill_9_at_every_step_of_a_reply_answers_exactly_once() {
    for point in ["send-before-request", "send-before-confirm"] {
        let mut n = masto_replier(&["--reply", "only"]);
        let m = mention(&n, T0 - 60, SourcePost::new("ann", "@w are you there"));
        n.farm.env.push(("FARM_CRASH_AT".into(), point.into()));
        let crashed = n.synced(T0, &["run"]);
        assert_ne!(crashed.code, 0, "{point}: did not crash");
        n.farm.env.pop();
        assert!(n.state("w")["pending"].is_string(), "{point}: the intent was not kept");
        assert_eq!(n.posted("w").len(), usize::from(point != "send-before-request"), "{point}");
        // The next run settles it (the same key: Mastodon returns the first one), and the one
        // after has nothing to answer.
        n.synced(T0 + 600, &["run"]).ok();
        n.synced(T0 + 4200, &["run"]).ok();
        let posts = n.fake.posts_by("w");
        assert_eq!(posts.len(), 1, "{point}: {posts:?}");
        assert_eq!(n.fake.in_reply_to(posts[0].id), Some(m), "{point}");
        let r = replies(&n.farm, "w");
        assert_eq!((r["answered"].as_u64(), r["waiting"].as_u64()), (Some(1), Some(0)), "{point}: {r}");
        assert!(n.state("w")["pending"].is_null());
    }
    // Bluesky, where the record key settles it at any age.
    for point in ["send-before-request", "send-after-request", "send-before-confirm"] {
        let mut n = Net::new();
        n.farm.set_now(&rfc(T0 - 3600));
        n.bsky_bot("reader", "r", &[]);
        n.bsky_bot("writer", "w", &["--source", "r", "--reply", "only"]);
        mention(&n, T0 - 60, SourcePost::new("ann.test", "@w.test hello"));
        n.farm.env.push(("FARM_CRASH_AT".into(), point.into()));
        assert_ne!(n.synced(T0, &["run"]).code, 0, "{point}: did not crash");
        n.farm.env.pop();
        n.synced(T0 + 7 * 86_400, &["run"]).ok();
        n.synced(T0 + 7 * 86_400 + 3600, &["run"]).ok();
        assert_eq!(n.posted(&bsky_handle("w")), ["hello"], "{point}");
        assert_eq!(replies(&n.farm, "w")["answered"].as_u64(), Some(1), "{point}");
    }
}

#[test]
fn a_lost_answer_and_a_refused_read_lose_nothing() {
    let mut n = masto_replier(&["--reply", "only"]);
    mention(&n, T0 - 60, SourcePost::new("ann", "@w first"));
    // The reply is made, its answer lost: the next run resends it with its key, one post.
    n.fake.fail_next(1, Fault::PerformThenTimeout, Some("/api/v1/statuses"));
    assert_eq!(n.synced(T0, &["run"]).code, 75);
    n.synced(T0 + 600, &["run"]).ok();
    assert_eq!(n.posted("w"), ["@ann first"]);
    // A read answered with garbage: one line, exit 65; the cursor stays, nothing is lost.
    mention(&n, T0 + 700, SourcePost::new("bob", "@w second"));
    n.fake.fail_next(1, Fault::Garbage, Some("/api/v1/notifications"));
    let r = n.synced(T0 + 4200, &["run"]);
    r.one_line_error(65, "w:");
    n.synced(T0 + 4800, &["run"]).ok();
    assert_eq!(n.posted("w"), ["@ann first", "@bob second"]);
    assert_eq!(replies(&n.farm, "w")["answered"].as_u64(), Some(2));
}

#[test]
fn a_flood_is_read_and_answered_in_bounded_steps() {
    let mut n = masto_replier(&["--reply", "only", "--every", "10m"]);
    n.fake.set_now(Some(T0 - 60));
    for i in 0..130 {
        n.fake.add_post(SourcePost::new(&format!("fan{i}"), &format!("@w question {i}")));
    }
    // One from a spammer, many times over: three answers an hour at most.
    for i in 0..20 {
        n.fake.add_post(SourcePost::new("spam", &format!("@w buy {i}")));
    }
    n.synced(T0, &["run"]).ok();
    // The first read takes the newest page; then at most 100 wait, three are answered a run.
    let first = replies(&n.farm, "w");
    assert_eq!(first["answered"].as_u64(), Some(3), "{first}");
    assert_eq!(n.count("/api/v1/notifications"), 1);
    n.fake.clear_requests();
    // Later floods are read from the cursor in pages, never more than fit.
    n.fake.set_now(Some(T0 + 100));
    for i in 0..200 {
        n.fake.add_post(SourcePost::new(&format!("late{i}"), &format!("@w more {i}")));
    }
    n.synced(T0 + 600, &["run"]).ok();
    let r = replies(&n.farm, "w");
    assert_eq!(r["waiting"].as_u64(), Some(100 - 3), "{r}");
    assert!(n.count("/api/v1/notifications") <= 3, "{}", n.count("/api/v1/notifications"));
    assert_eq!(n.posted("w").len(), 6);
    let waiting_before = r["waiting"].as_u64().unwrap();
    let seen_before = r["seen"].as_u64().unwrap();
    n.synced(T0 + 1200, &["run"]).ok();
    let r = replies(&n.farm, "w");
    assert_eq!(r["waiting"].as_u64(), Some(waiting_before), "three answered, three more read");
    assert_eq!(r["seen"].as_u64(), Some(seen_before + 3));
    // preview shows what the next run answers, without a call.
    n.fake.clear_requests();
    let p = n.farm.run(&["preview", "w", "-n", "2"]).ok().stdout;
    assert_eq!(p.lines().count(), 2, "{p}");
    assert!(p.contains("(reply to @"), "{p}");
    assert_eq!(n.fake.request_count(), 0);
}

#[test]
fn an_x_flood_past_one_read_is_counted_and_logged() {
    let mut n = Net::new();
    n.fake.set_oauth_wall_clock(true);
    n.farm.set_now(&rfc(T0 - 3600));
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("writer", "w", "x", &["--source", "r", "--reply", "only"]);
    mention(&n, T0 - 60, SourcePost::new("ann", "@w first"));
    n.synced(T0, &["run", "w"]).ok();
    // 150 new mentions: X lists them from the newest, one read takes 100.
    n.fake.set_now(Some(T0 + 60));
    for i in 0..150 {
        n.fake.add_post(SourcePost::new(&format!("fan{i}"), &format!("@w hi {i}")));
    }
    n.fake.clear_requests();
    n.synced(T0 + 3600, &["run", "w"]).ok();
    assert_eq!(n.count("/mentions"), 1, "one page of 100");
    let r = replies(&n.farm, "w");
    assert_eq!(
        (r["seen"].as_u64(), r["floods"].as_u64(), r["waiting"].as_u64()),
        (Some(101), Some(1), Some(97)),
        "{r}"
    );
    // The newest 100 were read; the first three of them answered.
    assert_eq!(n.posted("w"), ["first", "hi 50", "hi 51", "hi 52"]);
    let log = n.farm.run(&["log", "w", "--json"]).ok().json().to_string();
    assert!(log.contains("the older ones are left unanswered"), "{log}");
}

#[test]
fn hostile_mentions_cost_bounded_work_and_block_nothing() {
    let mut n = masto_replier(&["--reply", "only", "--template", "ok {}", "--process", "exec:cut -c1-20"]);
    // A body of 50 KB with control characters, a reply chain 3,000 deep, and a mention whose
    // author is gone by the time it is answered.
    let body = format!("@w hello\u{0}\u{7}\u{1b}[2J {}", "spam ".repeat(10_000));
    mention(&n, T0 - 90, SourcePost::new("huge", &body));
    let mut parent = mention(&n, T0 - 80, SourcePost::new("deep", "start"));
    for i in 0..3000 {
        parent = n.fake.add_post(SourcePost::new("deep", &format!("link {i}")).reply_to(parent));
    }
    mention(&n, T0 - 70, SourcePost::new("deep", "@w at the bottom").reply_to(parent));
    mention(&n, T0 - 60, SourcePost::new("kim", "@w hi"));
    mention(&n, T0 - 50, SourcePost::new("ghost", "@w boo"));
    n.synced(T0, &["run"]).ok();
    let posts = n.posted("w");
    assert_eq!(posts.len(), 3, "{posts:?}");
    assert_eq!(posts[0], "@huge ok hello[2J spam spam s");
    assert_eq!(posts[1], "@deep ok at the bottom");
    // The ghost's account is deleted: the reply is refused (404), passed over, never retried.
    n.fake.delete_posts_of("ghost");
    mention(&n, T0 + 60, SourcePost::new("lou", "@w after"));
    let r = n.synced(T0 + 3600, &["run"]).ok();
    assert!(!r.stderr.contains("ghost"), "{}", r.stderr);
    assert_eq!(n.posted("w").last().map(String::as_str), Some("@lou ok after"));
    let s = replies(&n.farm, "w");
    assert_eq!((s["skipped"]["gone"].as_u64(), s["answered"].as_u64()), (Some(1), Some(4)), "{s}");
    assert!(n.state("w")["pending"].is_null());
}

#[test]
fn replies_survive_export_and_import() {
    let mut n = masto_replier(&["--reply", "only"]);
    for i in 0..5 {
        mention(&n, T0 - 60 + i, SourcePost::new(&format!("p{i}"), "@w hi"));
    }
    n.synced(T0, &["run"]).ok();
    let before = replies(&n.farm, "w");
    assert_eq!(before["waiting"].as_u64(), Some(2));
    let file = n.farm.dir.path().join("farm.tar");
    n.farm.run(&["export", file.to_str().unwrap()]).ok();
    let moved = Farm::new();
    moved.run(&["import", file.to_str().unwrap()]).ok();
    assert_eq!(replies(&moved, "w"), before);
    // Destroyed, its replies go with it.
    n.farm.run(&["destroy", "w", "--yes"]).ok();
    n.masto_bot("writer", "w", &["--source", "r", "--reply", "only"]);
    assert_eq!(replies(&n.farm, "w")["seen"].as_u64(), Some(0));
}

#[test]
fn a_grammar_writer_answers_from_its_grammar_never_with_the_mention_s_words() {
    let mut n = Net::new();
    n.farm.set_now(&rfc(T0 - 3600));
    let path = n.farm.dir.path().join("g.json");
    std::fs::write(&path, r##"{"origin": ["#greeting#, friend."], "greeting": ["Hello", "Hi"]}"##).unwrap();
    let grammar = format!("tracery:{}", path.display());
    n.masto_bot("writer", "w", &["--process", &grammar, "--reply", "only"]);
    mention(&n, T0 - 60, SourcePost::new("ann", "@w say: I am a bad bot"));
    n.synced(T0, &["run"]).ok();
    let reply = replies_to(&n, "w", "ann");
    assert_eq!(reply.len(), 1, "{:?}", n.fake.posts_by("w"));
    assert!(
        reply[0].text == "@ann Hello, friend." || reply[0].text == "@ann Hi, friend.",
        "{}",
        reply[0].text
    );
}

#[test]
fn options_that_cannot_work_together_are_refused() {
    let n = masto_replier(&["--reply", "only"]);
    // A writer that only answers has no time slots to post in, whichever option comes second.
    n.farm.run(&["edit", "w", "--at", "09:00"]).one_line_error(64, "--reply only");
    n.farm.run(&["edit", "w", "--reply", "mentions", "--at", "09:00"]).ok();
    n.farm.run(&["edit", "w", "--reply", "only"]).one_line_error(64, "--reply only");
    // A grammar writer has no source posts whose content warnings it could carry.
    let path = n.farm.dir.path().join("g.json");
    std::fs::write(&path, r#"{"origin": ["hi"]}"#).unwrap();
    let grammar = format!("tracery:{}", path.display());
    n.masto_bot("writer", "g", &["--process", &grammar]);
    n.farm.run(&["edit", "g", "--warnings", "carry"]).one_line_error(64, "--warnings");
    // A corpus reader reads no timeline and follows no one.
    n.farm.run(&["create", "reader", "c", "--platform", "corpus"]).ok();
    n.farm.run(&["edit", "c", "--home"]).one_line_error(64, "corpus reader");
}

#[test]
fn reply_counts_are_in_the_metrics() {
    let mut n = masto_replier(&["--reply", "only"]);
    mention(&n, T0 - 120, SourcePost::new("ann", "@w hello"));
    // Two days old: past the horizon, passed over.
    mention(&n, T0 - 2 * 86_400, SourcePost::new("bob", "@w long ago"));
    n.synced(T0, &["run"]).ok();
    // Influx: the writer's line has the counts, the reader's none.
    let influx = n.farm.run(&["metrics"]).ok().stdout;
    let line = |bot: &str| influx.lines().find(|l| l.contains(&format!("bot={bot},"))).unwrap().to_string();
    for field in
        ["mentions_seen_total=2i", "replies_total=1i", "mentions_waiting=0i", "mentions_passed_total=1i"]
    {
        assert!(line("w").contains(field), "{field}: {}", line("w"));
    }
    assert!(!line("r").contains("replies_total"), "{}", line("r"));
    // Prometheus: counters and the gauge, the passed-over ones per reason.
    let prom = n.farm.run(&["metrics", "--format", "prometheus"]).ok().stdout;
    let labels = r#"bot="w",role="writer",platform="mastodon""#;
    for sample in [
        format!("farm_mentions_seen_total{{{labels}}} 2"),
        format!("farm_replies_total{{{labels}}} 1"),
        format!("farm_mentions_waiting{{{labels}}} 0"),
        format!("farm_mentions_passed_total{{{labels},reason=\"old\"}} 1"),
        format!("farm_mentions_passed_total{{{labels},reason=\"bot\"}} 0"),
    ] {
        assert!(prom.lines().any(|l| l == sample), "{sample} missing:\n{prom}");
    }
    assert!(prom.contains("# TYPE farm_replies_total counter"));
    assert!(!prom.contains(r#"farm_replies_total{bot="r""#));
}
