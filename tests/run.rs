//! `farm run` end to end against the loopback fake API, stepping time with FARM_NOW.

mod support;
use botfarm::sim::{Fault, SourcePost};
use support::net::{Net, T0};

fn stats(n: &Net) -> serde_json::Value {
    n.farm.run(&["stats", "--json"]).ok().json()
}

fn row<'a>(s: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    s.as_array().unwrap().iter().find(|r| r["name"] == name).unwrap()
}

#[test]
fn a_day_of_ten_minute_cron_runs() {
    let mut n = Net::new();
    n.x_bot("reader", "r1", "x", &[]);
    n.masto_bot("reader", "r2", &[]);
    n.x_bot("writer", "w1", "x", &["--source", "r1", "--template", "A: {}"]);
    n.x_bot("writer", "w2", "x-v1", &["--source", "r1", "--template", "B: {}"]);
    n.masto_bot("writer", "w3", &["--source", "r2", "--template", "C: {}"]);
    n.seed("r1", 60, "x");
    n.seed("r2", 60, "m");
    for i in 0..144 {
        // Cron is never exact: a few seconds of jitter.
        let ts = T0 + i * 600 + (i * 7 % 5);
        n.at(ts, &["run"]).ok();
        if i % 6 == 5 {
            n.seed("r1", 2, &format!("x{i}"));
            n.seed("r2", 2, &format!("m{i}"));
        }
    }
    let tl_x = n.fake.requests().iter().filter(|r| r.path.contains("reverse_chronological")).count();
    let tl_m = n.count("/api/v1/timelines/home");
    assert_eq!(tl_x, 24, "X reader timeline calls");
    assert_eq!(tl_m, 24, "Mastodon reader timeline calls");
    for w in ["w1", "w2", "w3"] {
        let posts = n.posted(w);
        assert_eq!(posts.len(), 24, "{w} posts: {posts:?}");
        let mut uniq = posts.clone();
        uniq.sort();
        uniq.dedup();
        assert_eq!(uniq.len(), 24, "{w} posted a duplicate");
    }
    // Nothing due right after the last run: no request at all.
    let before = n.fake.requests().len();
    n.at(T0 + 143 * 600 + 30, &["run"]).ok();
    assert_eq!(n.fake.requests().len(), before);
    let s = stats(&n);
    assert_eq!(row(&s, "w1")["posts_total"], 24);
}

#[test]
fn nothing_due_means_no_requests_and_no_db_open() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    n.seed("r", 5, "a");
    n.at(T0, &["run"]).ok();
    let before = n.fake.requests().len();
    assert!(before >= 1);
    // Hold the lock: a run that has nothing to do must not even need the database.
    let lock = botfarm::store::lock_dir(&n.farm.db()).unwrap();
    n.at(T0 + 600, &["run"]).ok();
    drop(lock);
    assert_eq!(n.fake.requests().len(), before);
}

#[test]
fn perform_then_timeout_does_not_double_post_on_x() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("writer", "w", "x", &["--source", "r"]);
    n.seed("r", 5, "a");
    n.fake.fail_next(1, Fault::PerformThenTimeout, Some("/2/tweets"));
    let r = n.at(T0, &["run"]);
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert_eq!(n.posted("w").len(), 1);
    let show = n.farm.run(&["show", "w", "--json"]).ok().json();
    assert!(show["state"]["pending"].is_string());
    // The next cron run resends the same text; X says duplicate; that counts as posted.
    n.at(T0 + 600, &["run"]).ok();
    assert_eq!(n.posted("w").len(), 1);
    let show = n.farm.run(&["show", "w", "--json"]).ok().json();
    assert!(show["state"]["pending"].is_null());
    assert_eq!(show["state"]["posts_total"], 1);
    // An hour later: the next, different post.
    n.at(T0 + 3600 + 600, &["run"]).ok();
    let posts = n.posted("w");
    assert_eq!(posts.len(), 2);
    assert_ne!(posts[0], posts[1]);
}

#[test]
fn perform_then_timeout_does_not_double_post_on_mastodon() {
    let mut n = Net::new();
    n.masto_bot("reader", "r", &[]);
    n.masto_bot("writer", "w", &["--source", "r"]);
    n.seed("r", 5, "a");
    n.fake.fail_next(1, Fault::PerformThenTimeout, Some("/api/v1/statuses"));
    assert_eq!(n.at(T0, &["run"]).code, 75);
    n.at(T0 + 600, &["run"]).ok();
    let posts = n.fake.posts_by("w");
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].visibility.as_deref(), Some("unlisted"));
    let keys: Vec<_> = n
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/api/v1/statuses")
        .map(|r| r.idempotency_key)
        .collect();
    assert_eq!(keys.len(), 2);
    assert!(keys[0].is_some() && keys[0] == keys[1], "same idempotency key on resend: {keys:?}");
}

#[test]
fn kill_9_at_random_moments_never_double_posts() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("writer", "w", "x", &["--source", "r", "--every", "10m"]);
    n.masto_bot("writer", "m", &["--source", "r", "--every", "10m"]);
    n.seed("r", 80, "k");
    n.fake.set_latency_ms(15);
    let mut seed: u64 = 0x9E3779B97F4A7C15;
    for i in 0..40 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let ts = T0 + i * 600;
        n.farm.set_now(&support::net::rfc(ts));
        let mut child = n.farm.cmd(&["run"]).stderr(std::process::Stdio::null()).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(seed % 60));
        let _ = child.kill();
        let _ = child.wait();
        // The database opens after every kill.
        n.farm.run(&["list", "--json"]).ok();
    }
    // Let everything settle with a few clean runs.
    n.fake.set_latency_ms(0);
    for i in 40..44 {
        let _ = n.at(T0 + i * 600, &["run"]);
    }
    for w in ["w", "m"] {
        let posts = n.posted(w);
        let mut uniq = posts.clone();
        uniq.sort();
        uniq.dedup();
        assert_eq!(uniq.len(), posts.len(), "{w} double-posted: {posts:?}");
        assert!(!posts.is_empty());
    }
}

#[test]
fn a_429_on_one_bot_does_not_stop_the_others() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("writer", "wx", "x", &["--source", "r"]);
    n.masto_bot("writer", "wm", &["--source", "r"]);
    n.seed("r", 10, "a");
    let reset = T0 + 1800;
    n.fake.fail_next(1, Fault::RateLimited { reset }, Some("/2/tweets"));
    let r = n.at(T0, &["run"]);
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert!(r.stderr.contains("wx"), "{}", r.stderr);
    assert_eq!(n.posted("wm").len(), 1);
    assert_eq!(n.posted("wx").len(), 0);
    // Before the reset: no call to the limited endpoint at all.
    let calls = n.count("/2/tweets");
    n.at(T0 + 600, &["run"]).ok();
    n.at(T0 + 1200, &["run"]).ok();
    assert_eq!(n.count("/2/tweets"), calls);
    let s = stats(&n);
    assert!(row(&s, "wx")["status"].as_str().unwrap().starts_with("rate-limited"), "{s}");
    // After it: the post goes out.
    n.at(reset + 60, &["run"]).ok();
    assert_eq!(n.posted("wx").len(), 1);
}

#[test]
fn too_long_and_duplicate_candidates_are_skipped_without_a_call() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("writer", "w", "x", &["--source", "r", "--template", "{}"]);
    n.fake.push_home("r", SourcePost::new("a", "the first one"));
    n.at(T0, &["run"]).ok();
    assert_eq!(n.posted("w"), ["the first one"]);
    n.fake.push_home("r", SourcePost::new("a", &"long ".repeat(80)));
    n.fake.push_home("r", SourcePost::new("a", "The  FIRST one!"));
    n.fake.push_home("r", SourcePost::new("a", "a fresh one"));
    let posts_before = n.count("/2/tweets");
    n.at(T0 + 3600, &["run"]).ok();
    assert_eq!(n.count("/2/tweets"), posts_before + 1);
    assert_eq!(n.posted("w"), ["the first one", "a fresh one"]);
}

#[test]
fn no_usable_post_is_recorded_not_an_error() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("writer", "w", "x", &["--source", "r"]);
    n.at(T0, &["run"]).ok();
    let log = n.farm.run(&["log", "w"]).ok().stdout;
    assert!(log.contains("nothing to post"), "{log}");
}

#[test]
fn retention_keeps_the_store_bounded_over_a_month() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &["--keep-max", "100", "--keep-age", "7d"]);
    n.x_bot("writer", "w", "x", &["--source", "r", "--every", "6h"]);
    // The fake's rate windows run on the wall clock; a simulated month takes seconds.
    n.fake.set_rate_limit("w", botfarm::sim::Endpoint::Post, 100_000, 900);
    n.fake.set_rate_limit("r", botfarm::sim::Endpoint::Timeline, 100_000, 900);
    for day in 0..30 {
        n.seed("r", 20, &format!("d{day}"));
        for h in [0, 6, 12, 18] {
            n.at(T0 + day * 86_400 + h * 3600, &["run"]).ok();
        }
    }
    let s = stats(&n);
    let cached = row(&s, "r")["backlog"].as_u64().unwrap();
    assert!(cached <= 100, "cached {cached}");
    assert!(cached > 0);
    assert_eq!(row(&s, "w")["posts_total"], 120);
}

#[test]
fn dry_run_changes_nothing() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("writer", "w", "x", &["--source", "r", "--template", "Q: {}"]);
    n.seed("r", 5, "a");
    n.at(T0, &["run"]).ok();
    n.farm.set_now(&support::net::rfc(T0 + 7200));
    let before = stats(&n);
    let reqs = n.fake.requests().len();
    let r = n.at(T0 + 7200, &["run", "--dry-run"]).ok();
    assert!(r.stdout.contains("would post"), "{}", r.stdout);
    assert_eq!(n.fake.requests().len(), reqs);
    assert_eq!(stats(&n), before);
}

#[test]
fn a_writer_never_posts_more_often_than_its_interval() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("writer", "w", "x", &["--source", "r"]);
    n.seed("r", 10, "a");
    n.at(T0, &["run"]).ok();
    // Forced and manual runs, and a clock that stepped back.
    n.at(T0 + 60, &["run", "w", "--force"]).ok();
    n.at(T0 - 7200, &["run", "w", "--force"]).ok();
    n.at(T0 + 1200, &["run"]).ok();
    assert_eq!(n.posted("w").len(), 1);
}

#[test]
fn post_preview_and_log() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("writer", "w", "x", &["--source", "r", "--template", "P: {}"]);
    n.seed("r", 3, "a");
    n.at(T0, &["run", "r"]).ok();
    let p = n.at(T0, &["preview", "w", "-n", "2"]).ok().stdout;
    assert_eq!(p.lines().count(), 2, "{p}");
    assert!(p.contains("P: a post number 0 about cats"), "{p}");
    n.at(T0, &["post", "w", "hello", "world"]).ok();
    assert_eq!(n.posted("w"), ["hello world"]);
    // The same text again is refused before any call.
    let calls = n.count("/2/tweets");
    let r = n.at(T0, &["tweet", "w", "Hello,", "world!"]);
    assert_eq!(r.code, 65, "{}", r.stderr);
    assert_eq!(n.count("/2/tweets"), calls);
    let long = "x".repeat(300);
    assert_eq!(n.at(T0, &["post", "w", &long]).code, 65);
    let log = n.farm.run(&["log", "-n", "50"]).ok().stdout;
    assert!(log.contains("posted by hand"), "{log}");
}

#[test]
fn a_writer_whose_reader_is_gone_is_reported() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("writer", "w", "x", &["--source", "r"]);
    n.x_bot("reader", "r2", "x", &[]);
    n.farm.run(&["destroy", "r", "--yes", "--force"]).ok();
    let r = n.at(T0, &["run"]);
    assert_eq!(r.code, 78, "{}", r.stderr);
    assert!(r.stderr.contains("reader r is gone"), "{}", r.stderr);
    // The other reader still ran.
    assert!(n.fake.requests().iter().any(|q| q.user.as_deref() == Some("r2")));
}

#[test]
fn a_failing_exec_writer_fails_alone_and_backs_off() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("writer", "bad", "x", &["--source", "r", "--process", "exec:exit 3"]);
    n.x_bot("writer", "good", "x", &["--source", "r", "--process", "exec:tr a-z A-Z"]);
    n.seed("r", 3, "e");
    let r = n.at(T0, &["run"]);
    assert_eq!(r.code, 78, "{}", r.stderr);
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.starts_with("farm: bad:") && r.stderr.contains("exit status 3"), "{}", r.stderr);
    assert_eq!(n.posted("good"), ["E POST NUMBER 0 ABOUT CATS"]);
    // Ten minutes later the failed writer is not retried yet (back-off), and nothing fails.
    n.at(T0 + 300, &["run"]).ok();
    let s = n.farm.run(&["show", "bad", "--json"]).ok().json();
    assert!(s["state"]["last_error"].as_str().unwrap().contains("exit status 3"));
}

/// Open a posts shard directly, with the segment size it was created with.
fn open_shard(dir: &std::path::Path) -> sled::Db {
    sled::Config::new().path(dir).segment_size(botfarm::store::SHARD_SEGMENT).open().unwrap()
}

#[test]
fn a_schema_1_farm_is_migrated_with_its_posts() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("writer", "w", "x", &["--source", "r", "--template", "M: {}"]);
    n.seed("r", 6, "mig");
    n.at(T0, &["run", "r"]).ok();
    let preview = n.at(T0, &["preview", "w"]).ok().stdout;
    // Put the farm back into the schema-1 layout: bare posts in the control database, with
    // their ordinals in an `ords` tree (this small farm's posts are in the control database).
    {
        let control = support::open_control(&n.farm.db().join("db"));
        // Schema 1 stored bare posts (format version 1) and their ordinals in an `ords` tree.
        let tree = control.open_tree("posts:r").unwrap();
        let ords = control.open_tree("ords").unwrap();
        for kv in tree.iter() {
            let (k, v) = kv.unwrap();
            let cached: botfarm::model::CachedPost = botfarm::store::codec::decode(&v).unwrap();
            tree.insert(&k, botfarm::store::legacy_post_v1(&cached.post)).unwrap();
            ords.insert([b"r\0".as_slice(), &k].concat(), &cached.ord.to_be_bytes()).unwrap();
        }
        let meta = control.open_tree("meta").unwrap();
        meta.remove("posts_in").unwrap();
        meta.insert("schema", &1u32.to_be_bytes()).unwrap();
        control.flush().unwrap();
    }
    assert_eq!(n.at(T0, &["preview", "w"]).ok().stdout, preview);
    let s = stats(&n);
    assert_eq!(row(&s, "r")["backlog"], 6);
    assert_eq!(row(&s, "w")["backlog"], 6);
    n.at(T0, &["run", "w"]).ok();
    assert_eq!(n.posted("w"), ["M: mig post number 0 about cats"]);
    assert_eq!(row(&stats(&n), "w")["backlog"], 5);
    // The intermediate databases of schemas 2–5 are gone again: a farm this small keeps its
    // posts in the control database.
    assert_eq!(data_files(&n), ["blobs", "conf", "db", "snap"]);
    assert_eq!(support::open_control(&n.farm.db().join("db")).open_tree("posts:r").unwrap().len(), 6);
}

/// The files and directories in `db/` (snapshots as one "snap").
fn data_files(n: &Net) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(n.farm.db().join("db"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .map(|f| if f.starts_with("snap.") { "snap".to_string() } else { f })
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn a_schema_4_farm_is_migrated_through_the_shards() {
    let mut n = Net::new();
    // Two readers in two different shards, so the migration fills two.
    let second = (0..100)
        .map(|i| format!("r{i}"))
        .find(|r| botfarm::store::shard_of(r) != botfarm::store::shard_of("r"));
    let second = second.unwrap();
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("reader", &second, "x", &[]);
    n.x_bot("writer", "w", "x", &["--source", "r", "--template", "M: {}"]);
    n.seed("r", 6, "mig");
    n.seed(&second, 4, "two");
    n.at(T0, &["run", "r", &second]).ok();
    let preview = n.at(T0, &["preview", "w"]).ok().stdout;
    let before = n.farm.run(&["stats", "--json"]).ok().stdout;
    // Put the farm back into the schema-4 layout: every reader's posts in one database `db/posts`.
    let db = n.farm.db().join("db");
    {
        let control = support::open_control(&db);
        let legacy = sled::open(db.join("posts")).unwrap();
        for reader in ["r", second.as_str()] {
            let name = format!("posts:{reader}");
            let from = control.open_tree(&name).unwrap();
            let to = legacy.open_tree(&name).unwrap();
            for kv in from.iter() {
                let (k, v) = kv.unwrap();
                to.insert(k, v).unwrap();
            }
            if reader == "r" {
                // As if a migration to schema 5 was killed after copying two posts into the
                // shard: it must start again.
                let dir = db.join(botfarm::store::shard_dir_name(botfarm::store::shard_of(reader)));
                let shard = open_shard(&dir);
                let partial = shard.open_tree(&name).unwrap();
                for kv in from.iter().take(2) {
                    let (k, v) = kv.unwrap();
                    partial.insert(k, v).unwrap();
                }
                shard.flush().unwrap();
            }
            drop(from);
            control.drop_tree(&name).unwrap();
        }
        let meta = control.open_tree("meta").unwrap();
        meta.remove("posts_in").unwrap();
        meta.insert("schema", &4u32.to_be_bytes()).unwrap();
        control.flush().unwrap();
        legacy.flush().unwrap();
    }
    assert_eq!(n.at(T0, &["preview", "w"]).ok().stdout, preview);
    assert_eq!(n.farm.run(&["stats", "--json"]).ok().stdout, before);
    // Through the shards of schema 5 and back: a farm this small keeps its posts in the control
    // database, and neither the single posts database nor a shard is left.
    assert_eq!(data_files(&n), ["blobs", "conf", "db", "snap"]);
    let control = support::open_control(&db);
    for (reader, count) in [("r", 6), (second.as_str(), 4)] {
        assert_eq!(control.open_tree(format!("posts:{reader}")).unwrap().len(), count);
    }
    drop(control);
    // The run goes on where it stopped: nothing refetched, the writer posts the oldest post.
    n.at(T0, &["run", "w"]).ok();
    assert_eq!(n.posted("w"), ["M: mig post number 0 about cats"]);
}

#[test]
fn every_bots_event_log_stays_bounded() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &["--every", "10m"]);
    n.x_bot("writer", "w", "x", &["--source", "r", "--every", "10m"]);
    n.fake.set_rate_limit("w", botfarm::sim::Endpoint::Post, 1_000_000, 900);
    n.fake.set_rate_limit("r", botfarm::sim::Endpoint::Timeline, 1_000_000, 900);
    // Every run is a new process (sled's id generator jumps on each open), and each bot logs
    // one event per run: after 700 runs each log must still be near its cap of 500.
    for i in 0..700 {
        n.fake.push_home("r", botfarm::sim::SourcePost::new("a", &format!("post {i}")));
        n.at(T0 + i * 600, &["run"]).ok();
    }
    let db = support::open_control(&n.farm.db().join("db"));
    let events = db.open_tree("events").unwrap();
    for bot in ["r", "w"] {
        let count = events.scan_prefix([bot.as_bytes(), &[0]].concat()).count();
        assert!((500..=700).contains(&count), "{bot} keeps {count} events");
        assert!(count < 650, "{bot} keeps {count} events");
    }
}

#[test]
fn exec_results_and_errors_are_the_same_in_preview_and_run() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("writer", "bg", "x", &["--source", "r", "--process", "exec:sleep 100 & tr a-z A-Z"]);
    n.x_bot("writer", "slow", "x", &["--source", "r", "--process", "exec:sleep 30;timeout=500ms"]);
    n.x_bot("writer", "bad", "x", &["--source", "r", "--process", "exec:echo nope >&2; exit 2"]);
    n.seed("r", 3, "e");
    n.at(T0, &["run", "r"]).ok();
    // A background process holding stdout neither hides the output nor delays it.
    let started = std::time::Instant::now();
    let p = n.at(T0, &["preview", "bg", "-n", "1"]).ok();
    assert!(p.stdout.contains("E POST NUMBER 0 ABOUT CATS"), "{}", p.all());
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "took {:?}", started.elapsed());
    // Failures are errors naming the writer and the command, with the exit code of their kind.
    let one_line = |r: &support::Run, who: &str, what: &str| {
        assert_eq!(r.stderr.trim_end().lines().count(), 1, "{}", r.stderr);
        assert!(r.stderr.starts_with(&format!("farm: {who}: writer command `")), "{}", r.stderr);
        assert!(r.stderr.contains(what), "{}", r.stderr);
    };
    one_line(&n.at(T0, &["preview", "slow"]).code(75), "slow", "timed out after 500ms");
    one_line(&n.at(T0, &["preview", "bad"]).code(78), "bad", "exit status 2: nope");
    one_line(&n.at(T0, &["run", "slow"]).code(75), "slow", "timed out after 500ms");
    one_line(&n.at(T0, &["run", "bad"]).code(78), "bad", "exit status 2: nope");
    n.at(T0, &["run", "bg"]).ok();
    assert_eq!(n.posted("bg"), ["E POST NUMBER 0 ABOUT CATS"]);
}

#[test]
fn a_writer_with_long_cut_posts_a_long_text_cut_at_a_word_and_one_without_skips_it() {
    let mut n = Net::new();
    n.fake.set_mastodon_max_chars(40);
    n.masto_bot("reader", "r", &[]);
    n.masto_bot("writer", "skip", &["--source", "r", "--template", "{}"]);
    n.masto_bot("writer", "cut", &["--source", "r", "--template", "{}", "--long", "cut"]);
    let long = "the quick brown fox jumps over the lazy dog, and then runs far away";
    n.fake.push_home("r", SourcePost::new("someone", long));
    n.at(T0, &["run"]).ok();
    assert_eq!(n.posted("cut"), ["the quick brown fox jumps over the lazy…"]);
    assert!(n.posted("skip").is_empty());
    let log = n.farm.run(&["log", "skip", "--json"]).ok().stdout;
    assert!(log.contains("1 too long"), "{log}");
    // Shown, listed, and switched back by edit.
    assert!(n.farm.run(&["show", "cut"]).ok().stdout.contains("cut at a word"));
    let list = n.farm.run(&["list", "--json"]).ok().json();
    assert_eq!(row(&list, "cut")["long"], "cut");
    assert_eq!(row(&list, "skip")["long"], "skip");
    assert_eq!(row(&list, "r")["long"], serde_json::Value::Null);
    n.farm.run(&["edit", "cut", "--long", "skip"]).ok();
    assert!(n.farm.run(&["show", "cut"]).ok().stdout.contains("skipped"));
    let r = n.farm.run(&["edit", "r", "--long", "cut"]).code(64);
    assert!(r.stderr.contains("are for writers"), "{}", r.stderr);
}

#[test]
fn a_preview_lists_an_unconfirmed_post_once_then_the_texts_after_it() {
    let mut n = support::net::masto_pair();
    n.fake.push_home("r", SourcePost::new("someone", "first text here"));
    n.fake.push_home("r", SourcePost::new("someone", "second text here"));
    n.fake.push_home("r", SourcePost::new("someone", "third text here"));
    n.fake.fail_next(1, Fault::Status(503), Some("/api/v1/statuses"));
    assert_eq!(n.synced(T0, &["run"]).code, 75);
    let preview = n.farm.run(&["preview", "w", "-n", "2"]).ok().stdout;
    assert_eq!(
        preview,
        "(unconfirmed, will be resent) first text here\n[ 16/500] second text here\n[ 15/500] third text here\n"
    );
    // And so the runs go.
    n.synced(T0 + 600, &["run", "w", "--force"]).ok();
    n.synced(T0 + 4200, &["run"]).ok();
    n.synced(T0 + 7800, &["run"]).ok();
    assert_eq!(n.posted("w"), ["first text here", "second text here", "third text here"]);
}
