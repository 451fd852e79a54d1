//! Analyzers end to end against the fake API: scores from engagement set on the fake, the
//! writer's feedback (boring words skipped, hot words preferred), `farm best`, failures, and
//! `farm prune`.

mod support;
use botfarm::sim::{Fault, SourcePost};
use support::net::{Net, T0};

fn push(n: &Net, user: &str, texts: &[&str]) {
    for t in texts {
        n.fake.push_home(user, SourcePost::new("someone", t));
    }
}

fn stats_row(n: &Net, name: &str) -> serde_json::Value {
    let s = n.farm.run(&["stats", "--json"]).ok().json();
    s.as_array().unwrap().iter().find(|r| r["name"] == name).unwrap().clone()
}

const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

#[test]
fn scores_feed_back_into_the_writer_and_prune_cleans_up() {
    let mut n = Net::new();
    n.fake.set_oauth_wall_clock(true);
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("writer", "w", "x", &["--source", "r", "--template", "Q: {}"]);
    let r = n.farm.run(&["create", "analyzer", "a", "--writer", "w", "--min-age", "1d"]).ok();
    assert!(r.stderr.contains("score = likes + 3 × reposts"), "{}", r.stderr);
    push(
        &n,
        "r",
        &["gold coins shine", "dull grey rocks", "gold rings glow", "dull flat stones", "plain water"],
    );
    // Five hourly posts; the analyzer runs at once but nothing is a day old yet.
    for k in 0..5 {
        n.synced(T0 + k * HOUR, &["run"]).ok();
    }
    let posted = n.fake.posts_by("w");
    assert_eq!(posted.len(), 5, "{posted:?}");
    let log = n.farm.run(&["log", "a", "--json"]).ok().stdout;
    assert!(log.contains("no posts of w old enough to score yet (1 fetched)"), "{log}");
    assert!(n.farm.run(&["best", "w"]).ok().stdout.contains("has not scored anything yet"));
    for p in &posted {
        if p.text.contains("gold") {
            n.fake.set_engagement(p.id, 20, 10);
        }
    }

    // A day later (when all five are a day old) it scores them.
    let t = T0 + DAY + 5 * HOUR;
    let r = n.synced(t, &["run", "-v"]).ok();
    assert!(r.all().contains("scored 5 posts of w (0 too young)"), "{}", r.all());
    let a = stats_row(&n, "a");
    assert_eq!(a["status"], "ok");
    assert_eq!(a["scored_total"], 5);
    assert_eq!(a["scored_24h"], 5);
    assert_eq!(a["posts_24h"], 0, "scored posts are not posts made");
    assert_eq!(a["fetched_24h"], 0);
    assert_eq!(stats_row(&n, "w")["scored_24h"], 0, "the writer made them, it did not score them");
    assert!(a["calls_24h"].as_u64().unwrap() >= 1);

    // The original's print_best: texts as posted, best first; then the word lists.
    let best = n.farm.run(&["best", "w"]).ok().stdout;
    let lines: Vec<&str> = best.lines().collect();
    assert_eq!(lines[0], "50  Q: gold coins shine", "{best}");
    assert_eq!(lines[1], "50  Q: gold rings glow", "{best}");
    assert_eq!(lines[2], " 0  Q: dull flat stones", "{best}");
    assert!(
        best.contains("hot words (above 10): gold (60), coins (30), glow (30), rings (30), shine (30)\n"),
        "{best}"
    );
    assert!(best.contains("boring words (below -10): dull (-40), flat (-20), grey (-20), plain (-20), rocks (-20), stones (-20), water (-20)\n"), "{best}");
    let two = n.farm.run(&["best", "@a", "-n", "2"]).ok().stdout;
    assert_eq!(two.lines().take_while(|l| !l.is_empty()).count(), 2, "{two}");
    // The same as JSON: phrases best first, words with their scores.
    let json = n.farm.run(&["best", "w", "-n", "2", "--json"]).ok().json();
    assert_eq!(json["writer"], "w");
    assert_eq!(json["analyzer"], "a");
    assert_eq!(
        json["phrases"],
        serde_json::json!([{"text": "Q: gold coins shine", "score": 50}, {"text": "Q: gold rings glow", "score": 50}])
    );
    assert_eq!(json["hot_above"], 10);
    assert_eq!(json["hot_words"][0], serde_json::json!({"word": "gold", "score": 60}));
    assert_eq!(json["boring_below"], -10);
    assert_eq!(json["boring_words"][0], serde_json::json!({"word": "dull", "score": -40}));
    let show = n.farm.run(&["show", "w", "--json"]).ok().json();
    assert!(show["hot_words"].as_array().unwrap().iter().any(|w| w == "gold"), "{show}");
    assert!(show["boring_words"].as_array().unwrap().iter().any(|w| w == "dull"), "{show}");
    assert!(n.farm.run(&["show", "w"]).ok().stdout.contains("hot words:"));

    // A candidate with a boring word is skipped.
    push(&n, "r", &["dull old pots", "fresh clean air"]);
    n.synced(t + HOUR, &["run"]).ok();
    let texts: Vec<String> = n.posted("w");
    assert_eq!(texts.last().unwrap(), "Q: fresh clean air", "{texts:?}");
    assert!(!texts.iter().any(|t| t.contains("pots")));

    // With a choice, a candidate with a hot word wins.
    push(&n, "r", &["quiet morning walk", "another gold moment", "calm blue lake"]);
    n.synced(t + 2 * HOUR, &["run"]).ok();
    assert_eq!(n.posted("w").last().unwrap(), "Q: another gold moment");
    n.synced(t + 3 * HOUR, &["run"]).ok();
    assert_eq!(n.posted("w").last().unwrap(), "Q: calm blue lake");
    assert_eq!(n.posted("w").len(), 8);

    // Prune: the three old posts nobody liked, not the liked ones, not the recent ones.
    let t = T0 + 30 * DAY + 12 * HOUR;
    let dry = n.synced(t, &["prune", "w", "--older-than", "30d", "--dry-run"]).ok();
    let listed: Vec<&str> = dry.stdout.lines().collect();
    assert_eq!(listed.len(), 3, "{}", dry.stdout);
    assert!(listed.iter().all(|l| l.starts_with("would delete ")), "{}", dry.stdout);
    for word in ["dull grey rocks", "dull flat stones", "plain water"] {
        assert!(dry.stdout.contains(word), "{}", dry.stdout);
    }
    assert!(dry.stderr.contains("would delete 3 of 8 posts"), "{}", dry.stderr);
    assert_eq!(n.fake.posts_by("w").len(), 8);
    assert!(!n.fake.requests().iter().any(|q| q.method == "DELETE"));
    let real = n.synced(t, &["prune", "w", "--older-than", "30d", "--yes"]).ok();
    assert_eq!(real.stdout.lines().filter(|l| l.starts_with("deleted ")).count(), 3, "{}", real.stdout);
    let left = n.posted("w");
    assert_eq!(left.len(), 5, "{left:?}");
    assert!(left.contains(&"Q: gold coins shine".to_string()));
    assert!(!left.iter().any(|t| t.contains("dull")));
    assert!(n.farm.run(&["log", "w"]).ok().stdout.contains("deleted 3 of 8 posts"));
    let again = n.synced(t, &["prune", "w", "--older-than", "30d", "--yes"]).ok();
    assert!(again.stdout.is_empty());
    assert_eq!(n.synced(t, &["prune", "w", "--older-than", "soon"]).code, 64);
    assert_eq!(n.synced(t, &["prune", "r", "--older-than", "30d", "--yes"]).code, 64);

    // Destroying the analyzer takes its scores off the writer.
    n.farm.run(&["destroy", "a", "--yes"]).ok();
    let show = n.farm.run(&["show", "w", "--json"]).ok().json();
    assert_eq!(show["hot_words"].as_array().map(Vec::len), Some(0), "{show}");
    assert_eq!(show["boring_words"].as_array().map(Vec::len), Some(0), "{show}");
    let best = n.farm.run(&["best", "w"]).ok().stdout;
    assert!(best.starts_with("no scores for w yet; create an analyzer"), "{best}");
}

#[test]
fn analyzer_failures_are_recorded_like_other_bots() {
    let mut n = Net::new();
    n.fake.set_oauth_wall_clock(true);
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("writer", "w", "x", &["--source", "r"]);
    n.farm.run(&["create", "analyzer", "a", "--writer", "w", "--min-age", "1h"]).ok();
    push(&n, "r", &["one two three"]);
    n.synced(T0, &["run", "r", "w"]).ok();
    let dry = n.synced(T0 + 2 * HOUR, &["run", "a", "--force", "--dry-run"]).ok();
    assert!(dry.stdout.contains("would score the newest 100 posts of w older than 1h"), "{}", dry.stdout);

    // A server error: exit 75, state and counters of the analyzer.
    n.fake.fail_next(1, Fault::Status(503), Some("/tweets"));
    let r = n.synced(T0 + 2 * HOUR, &["run", "a", "--force"]);
    assert_eq!(r.code, 75, "{}", r.all());
    assert!(r.stderr.contains("a: "), "{}", r.stderr);
    let a = stats_row(&n, "a");
    assert_eq!(a["status"], "failing");
    assert_eq!(a["errors_24h"], 1);
    assert_eq!(a["fails"], 1);
    assert!(a["last_error"].as_str().unwrap().contains("503"), "{a}");

    // A 429: the reset is kept and nothing is called before it.
    let reset = T0 + 4 * HOUR;
    n.fake.fail_next(1, Fault::RateLimited { reset }, Some("/tweets"));
    assert_eq!(n.synced(T0 + 3 * HOUR, &["run", "a", "--force"]).code, 75);
    let a = stats_row(&n, "a");
    assert_eq!(a["status"], "rate-limited");
    let calls = n.fake.requests().len();
    let r = n.synced(T0 + 3 * HOUR + 60, &["run", "a", "--force", "-v"]).ok();
    assert!(r.all().contains("rate-limited until"), "{}", r.all());
    assert_eq!(n.fake.requests().len(), calls);

    // After the reset it works and the failure is forgotten.
    let r = n.synced(reset + 60, &["run", "a", "--force", "-v"]).ok();
    assert!(r.all().contains("scored 1 posts of w"), "{}", r.all());
    let a = stats_row(&n, "a");
    assert_eq!(a["status"], "ok");
    assert!(a["last_error"].is_null());
    assert_eq!(a["fails"], 0);
    let log = n.farm.run(&["log", "a"]).ok().stdout;
    assert!(log.contains("error") && log.contains("scored 1 posts"), "{log}");
}

#[test]
fn mastodon_analyzer_scores_with_its_own_weight() {
    let mut n = Net::new();
    n.masto_bot("reader", "r", &[]);
    n.masto_bot("writer", "w", &["--source", "r"]);
    n.farm
        .run(&[
            "create",
            "analyzer",
            "a",
            "--writer",
            "@w",
            "--min-age",
            "1h",
            "--repost-weight",
            "10",
            "--every",
            "6h",
        ])
        .ok();
    push(&n, "r", &["alpha beta", "gamma delta"]);
    n.synced(T0, &["run"]).ok();
    n.synced(T0 + HOUR, &["run"]).ok();
    let posts = n.fake.posts_by("w");
    assert_eq!(posts.len(), 2);
    n.fake.set_engagement(posts[0].id, 1, 2);
    let r = n.synced(T0 + 6 * HOUR, &["run", "-v"]).ok();
    assert!(r.all().contains("scored 2 posts of w"), "{}", r.all());
    let best = n.farm.run(&["best", "w"]).ok().stdout;
    assert!(best.starts_with("21  alpha beta\n 0  gamma delta\n"), "{best}");
    // mean 10.5: alpha +10.5 → 11 (rounded), gamma −10.5 → −11.
    assert!(best.contains("hot words (above 10): alpha (11), beta (11)"), "{best}");
    assert!(best.contains("boring words (below -10): delta (-11), gamma (-11)"), "{best}");
}

#[test]
fn create_analyzer_checks_its_options() {
    let n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("writer", "w", "x", &["--source", "r"]);
    n.x_bot("writer", "w2", "x", &["--source", "r"]);
    n.farm
        .run(&["create", "analyzer", "a", "--writer", "w", "--boring-below", "-5", "--hot-above", "5"])
        .ok();
    let show = n.farm.run(&["list", "--json"]).ok().json();
    let a = show.as_array().unwrap().iter().find(|b| b["name"] == "a").unwrap();
    assert_eq!(a["role"], "analyzer");
    assert_eq!(a["source"], "w");
    assert_eq!(a["every"], "1d");
    let fail = |args: &[&str]| {
        let mut all = vec!["create", "analyzer"];
        all.extend_from_slice(args);
        n.farm.run(&all).code
    };
    assert_eq!(fail(&["a2", "--writer", "w"]), 64, "one analyzer per writer");
    assert_eq!(fail(&["a3", "--writer", "r"]), 64, "a reader is not a writer");
    assert_eq!(fail(&["a4", "--writer", "nobody"]), 64);
    assert_eq!(fail(&["a5", "--writer", "w2", "--boring-below", "5", "--hot-above", "5"]), 64);
    assert_eq!(fail(&["a6", "--writer", "w2", "--repost-weight", "-1"]), 64);
    assert_eq!(fail(&["a7", "--writer", "w2", "--min-age", "never"]), 64);
    assert_eq!(fail(&["a", "--writer", "w2"]), 64, "name taken");
    assert_eq!(n.farm.run(&["best", "r"]).code, 64);
    assert_eq!(n.farm.run(&["best", "nobody"]).code, 64);
}
