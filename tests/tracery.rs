//! Tracery grammar writers through the real binary: created from a grammar file with no reader,
//! the grammar stored with the writer (show, export and import, edit), preview listing exactly
//! the posts that go out, a resend after a crash sending the identical post, and hostile grammars
//! refused or failing cleanly.

mod support;

use support::net::{rfc, Net, T0};
use support::Farm;

/// Six possible texts: five posts already make the rolls meet duplicates.
const SMALL: &str = r##"{
    "origin": ["#colour.capitalize# #animal#.", "#colour.capitalize# #animal#."],
    "colour": ["red", "green", "blue"],
    "animal": ["fox", "owl"]
}"##;

/// Write `json` to `name` in the farm's temporary directory; the path.
fn grammar_file(f: &Farm, name: &str, json: &str) -> String {
    let path = f.dir.path().join(name);
    std::fs::write(&path, json).unwrap();
    path.to_str().unwrap().to_string()
}

/// A Mastodon grammar writer `g` with `json` as its grammar.
fn grammar_writer(json: &str) -> Net {
    let n = Net::new();
    let path = grammar_file(&n.farm, "g.json", json);
    n.masto_bot("writer", "g", &["--process", &format!("tracery:{path}")]);
    n
}

/// The texts `farm preview g -n N` lists at `ts`.
fn preview(n: &mut Net, ts: i64, count: usize) -> Vec<String> {
    n.farm.set_now(&rfc(ts));
    let out = n.farm.run(&["preview", "g", "-n", &count.to_string()]).ok().stdout;
    // What a post carries is printed on the line under it: shown here as `  (…)` after the text.
    let mut texts: Vec<String> = Vec::new();
    for l in out.lines().filter(|l| !l.starts_with("(unconfirmed")) {
        match (l.strip_prefix(' '), texts.last_mut()) {
            (Some(meta), Some(last)) => *last = format!("{last}  ({})", meta.trim()),
            _ => texts.push(l.split_once("] ").unwrap().1.to_string()),
        }
    }
    texts
}

#[test]
fn preview_lists_exactly_the_posts_that_go_out() {
    let mut n = grammar_writer(SMALL);
    let next = preview(&mut n, T0, 5);
    assert_eq!(next.len(), 5, "{next:?}");
    let mut distinct = next.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 5, "preview rolls again past duplicates, as the runs do: {next:?}");
    for i in 0..5 {
        n.synced(T0 + i * 3600, &["run"]).ok();
    }
    assert_eq!(n.posted("g"), next);
    // The sixth and last text, then nothing: the grammar is used up, and nothing is sent.
    let last = preview(&mut n, T0 + 5 * 3600, 5);
    assert_eq!(last.len(), 1, "{last:?}");
    n.synced(T0 + 5 * 3600, &["run"]).ok();
    assert_eq!(n.posted("g").last(), last.last());
    let before = n.post_requests("/api/v1/statuses");
    let r = n.synced(T0 + 6 * 3600, &["run", "-v"]).ok();
    assert!(
        r.all().contains("nothing to post: 20 texts of its grammar skipped (0 too long, 20 duplicates)"),
        "{}",
        r.all()
    );
    assert_eq!(n.post_requests("/api/v1/statuses"), before);
    let r = n.farm.run(&["preview", "g"]).ok();
    assert!(r.stderr.contains("nothing to post: 20 texts of its grammar rolled"), "{}", r.stderr);
    // Every post was made from no reader post: the writer's cursor never moved.
    assert_eq!(n.state("g")["consumed"], 0);
    assert_eq!(n.state("g")["posts_total"], 6);
}

#[test]
fn a_resend_after_a_crash_is_the_identical_post() {
    // Killed after the intent is stored, before the request: the next run sends that post.
    let mut n = grammar_writer(SMALL);
    let next = preview(&mut n, T0, 3);
    n.farm.env.push(("FARM_CRASH_AT".into(), "send-before-request".into()));
    n.farm.set_now(&rfc(T0));
    assert_ne!(n.farm.run(&["run"]).code, 0);
    n.farm.env.clear();
    assert!(n.posted("g").is_empty());
    assert_eq!(n.state("g")["pending"], next[0]);
    // A preview meanwhile shows it as unconfirmed, then the posts after it, unchanged.
    assert_eq!(preview(&mut n, T0 + 60, 2), next[1..3]);
    n.synced(T0 + 600, &["run"]).ok();
    assert_eq!(n.posted("g"), next[..1]);

    // Performed, but the answer lost: resent with the same key, the server keeps one post.
    let mut n = grammar_writer(SMALL);
    let next = preview(&mut n, T0, 2);
    n.fake.fail_next(1, botfarm::sim::Fault::PerformThenTimeout, Some("/api/v1/statuses"));
    assert_eq!(n.synced(T0, &["run"]).code, 75);
    n.synced(T0 + 600, &["run"]).ok();
    let posts = n.fake.posts_by("g");
    assert_eq!(posts.iter().map(|p| p.text.clone()).collect::<Vec<_>>(), next[..1]);
    // The key names the post's number and roll, the inputs of its seed.
    let key = posts[0].idempotency_key.clone().unwrap();
    assert!(key.starts_with("farm-g-g1."), "{key}");
    // The interval counts from the confirmed post.
    n.synced(T0 + 600 + 3600, &["run"]).ok();
    assert_eq!(n.posted("g"), next);
}

#[test]
fn a_text_the_server_refuses_is_not_rolled_again() {
    let mut n = grammar_writer(SMALL);
    let first = preview(&mut n, T0, 1);
    n.fake.fail_next(1, botfarm::sim::Fault::Status(422), Some("/api/v1/statuses"));
    assert_ne!(n.synced(T0, &["run"]).code, 0);
    assert!(n.state("g")["pending"].is_null());
    let next = preview(&mut n, T0 + 900, 1);
    assert_ne!(next, first);
    n.synced(T0 + 900, &["run"]).ok();
    assert_eq!(n.posted("g"), next);
}

#[test]
fn the_grammar_is_stored_shown_exported_and_replaced() {
    let mut n = grammar_writer(SMALL);
    let show = n.farm.run(&["show", "g"]).ok().stdout;
    assert!(show.contains("process: tracery: a grammar of 3 rules, 7 choices, from 'origin'"), "{show}");
    let at = |key: &str| show.find(&format!("  \"{key}\": [")).unwrap_or_else(|| panic!("{key}: {show}"));
    assert!(at("origin") < at("colour") && at("colour") < at("animal"), "in the file's order: {show}");
    let json = n.farm.run(&["show", "g", "--json"]).ok().json();
    assert_eq!(json["process"], serde_json::json!(["tracery"]));
    assert_eq!(json["source"], serde_json::Value::Null);
    assert_eq!(json["grammar"]["animal"], serde_json::json!(["fox", "owl"]));
    let listed = n.farm.run(&["list", "--json"]).ok().json();
    assert_eq!(listed[0]["grammar"]["colour"][2], "blue");

    // Export and import: the grammar goes along, and the copy would post the same.
    let next = preview(&mut n, T0, 3);
    let tar = n.farm.dir.path().join("farm.tar");
    n.farm.run(&["export", tar.to_str().unwrap()]).ok();
    let mut copy = Farm::new();
    copy.run(&["import", tar.to_str().unwrap()]).ok();
    copy.set_now(&rfc(T0));
    let copied = copy.run(&["preview", "g", "-n", "3"]).ok().stdout;
    assert_eq!(copied.lines().map(|l| l.split_once("] ").unwrap().1).collect::<Vec<_>>(), next);

    // Edit: a new grammar replaces the old one in place.
    let other = grammar_file(&n.farm, "other.json", r#"{"origin": ["Only this."]}"#);
    n.farm.run(&["edit", "g", "--process", "replace:this=that;unmatched=keep"]).ok();
    n.farm.run(&["edit", "g", "--process", &format!("tracery:{other}")]).ok();
    let json = n.farm.run(&["show", "g", "--json"]).ok().json();
    assert_eq!(json["grammar"], serde_json::json!({"origin": ["Only this."]}));
    assert_eq!(json["process"], serde_json::json!(["tracery", "replace:this=that;unmatched=keep"]));
    assert_eq!(preview(&mut n, T0, 1), ["Only that."]);
    // Neither a reader and a grammar, nor a writer with neither.
    n.masto_bot("reader", "r", &[]);
    n.farm.run(&["edit", "g", "--source", "r"]).one_line_error(64, "a reader (r) or a grammar, not both");
    n.farm.run(&["edit", "g", "--reset-process"]).one_line_error(64, "needs --source READER");
    n.farm.run(&["edit", "g", "--filter", "no-links"]).one_line_error(64, "no posts for filters");
    // From a grammar writer to a writer of the reader's posts: the grammar goes.
    n.farm.run(&["edit", "g", "--source", "r", "--reset-process"]).ok();
    let json = n.farm.run(&["show", "g", "--json"]).ok().json();
    assert_eq!(json["grammar"], serde_json::Value::Null);
    assert_eq!(json["source"], "r");
}

#[test]
fn bad_grammars_are_refused_when_the_writer_is_created() {
    let n = Net::new();
    n.masto_bot("reader", "r", &[]);
    let url = n.fake.url();
    let big = format!(r#"{{"origin": ["{}"]}}"#, "x".repeat(300 * 1024));
    for (json, extra, words) in [
        (r##"{"origin": ["#a#"], "a": ["#origin# again"]}"##, &[][..], "can never finish"),
        (r##"{"origin": ["#hero# wins"]}"##, &[], "uses #hero#, which no rule defines"),
        (r##"{"origin": ["#a#"], "a": ["x", "#a# #a# #a# #a#"]}"##, &[], "tried out"),
        (r##"{"origin": ["{img https://example.com/cat.png} a cat"]}"##, &[], "does not post images"),
        (r##"{"origin": ["#a.shout#"], "a": ["x"]}"##, &[], "unknown modifier .shout"),
        (&big, &[], "larger than 256 KiB"),
        ("not json", &[], "not a Tracery grammar"),
        ("\u{1b}[2J\u{7}", &[], "not a Tracery grammar"),
        (SMALL, &["--source", "r"], "a reader (r) or a grammar, not both"),
        (SMALL, &["--filter", "no-links"], "no posts for filters"),
        (SMALL, &["--process", "markov"], "drop --process markov"),
    ] {
        let path = grammar_file(&n.farm, "bad.json", json);
        let spec = format!("tracery:{path}");
        let mut args =
            vec!["create", "writer", "g", "--platform", "mastodon", "--api", &url, "--process", &spec];
        args.extend_from_slice(extra);
        let r = n.farm.run_env(&args, &[("FARM_ACCESS_TOKEN", "t")]);
        r.one_line_error(64, words);
        assert!(!r.stderr.contains('\u{1b}'), "{}", r.stderr);
    }
    let path = grammar_file(&n.farm, "ok.json", SMALL);
    for (process, words) in [
        (vec!["tracery".to_string()], "needs its grammar file"),
        (vec!["tracery:/nonexistent/g.json".to_string()], "cannot read /nonexistent/g.json"),
        (vec!["replace:a=b".to_string(), format!("tracery:{path}")], "comes first"),
    ] {
        let mut args = vec!["create", "writer", "g", "--platform", "mastodon", "--api", &url];
        for p in &process {
            args.extend(["--process", p.as_str()]);
        }
        n.farm.run_env(&args, &[("FARM_ACCESS_TOKEN", "t")]).one_line_error(64, words);
    }
    let names = n.farm.run(&["list", "--json"]).ok().json();
    assert_eq!(names.as_array().unwrap().len(), 1, "only the reader: {names}");
    // A non-UTF-8 file, and the grammar inline.
    std::fs::write(n.farm.dir.path().join("latin1.json"), b"{\"origin\": [\"caf\xe9\"]}").unwrap();
    let latin1 = format!("tracery:{}", n.farm.dir.path().join("latin1.json").display());
    n.farm
        .run_env(
            &["create", "writer", "g", "--platform", "mastodon", "--api", &url, "--process", &latin1],
            &[("FARM_ACCESS_TOKEN", "t")],
        )
        .one_line_error(64, "not UTF-8");
    n.masto_bot("writer", "g", &["--process", r#"tracery:{"origin": ["inline"]}"#]);
}

#[test]
fn a_hostile_stored_grammar_fails_cleanly_at_run_time() {
    // An imported farm may carry any grammar: one that always nests too deep, one that is not
    // JSON at all. Each fails that writer with one line and exit 78; nothing is sent.
    let mut n = grammar_writer(SMALL);
    let mut chain: Vec<String> = (0..100).map(|i| format!(r##""r{i}": ["#r{}#"]"##, i + 1)).collect();
    chain.push(r##""r100": ["end"], "origin": ["#r0#"]"##.into());
    for (grammar, words) in [
        (format!("{{{}}}", chain.join(",")), "its grammar failed 20 times in a row"),
        ("{{{".into(), "writer tracery"),
    ] {
        {
            let store = botfarm::store::Store::open(&n.farm.db()).unwrap();
            let mut bot = store.bot("g").unwrap().unwrap();
            bot.set_setting("tracery", Some(grammar));
            store.put_bot(&bot).unwrap();
            support::close_store(store);
        }
        n.farm.set_now(&rfc(T0));
        n.farm.run(&["preview", "g"]).one_line_error(78, words);
        let r = n.synced(T0, &["run", "g", "--force"]);
        r.one_line_error(78, words);
        assert!(n.posted("g").is_empty());
    }
}

#[test]
fn shortcodes_travel_with_the_post() {
    // Bluesky: {lang} is the post's language on the wire.
    let mut n = Net::new();
    let path = grammar_file(&n.farm, "g.json", r#"{"origin": ["Guten Tag!{lang de}"]}"#);
    n.bsky_bot("writer", "g", &["--process", &format!("tracery:{path}")]);
    assert_eq!(preview(&mut n, T0, 1), ["Guten Tag!  (lang de)"]);
    n.synced(T0, &["run"]).ok();
    let posts = n.fake.posts_by(&support::net::bsky_handle("g"));
    assert_eq!((posts[0].text.as_str(), posts[0].lang.as_deref()), ("Guten Tag!", Some("de")));

    // Mastodon: the content warning and labels are fixed in the intent, before anything is sent.
    let mut n = grammar_writer(r#"{"origin": ["Boo!{cut spooky}{label graphic-media}{hide}"]}"#);
    assert_eq!(preview(&mut n, T0, 1), ["Boo!  (warning \"spooky\", sensitive, labels graphic-media)"]);
    n.farm.env.push(("FARM_CRASH_AT".into(), "send-before-request".into()));
    n.farm.set_now(&rfc(T0));
    assert_ne!(n.farm.run(&["run"]).code, 0);
    n.farm.env.clear();
    let store = botfarm::store::Store::open(&n.farm.db()).unwrap();
    let p = store.state("g").unwrap().pending.unwrap();
    support::close_store(store);
    assert_eq!(p.text, "Boo!");
    assert_eq!(p.source_id, botfarm::model::Pending::GENERATED);
    assert_eq!(p.meta.warning.as_deref(), Some("spooky"));
    assert_eq!(p.meta.labels, ["graphic-media"]);
    assert!(p.meta.sensitive);
}

#[test]
fn russian_words_inflect_in_a_grammar() {
    let mut n = grammar_writer(
        r##"{"origin": ["#[з:#зверь#]фраза#"], "фраза": ["Нет #з.gent#, есть #цвет.agree(з)# #з#."],
             "зверь": ["кошка"], "цвет": ["серый"]}"##,
    );
    assert_eq!(preview(&mut n, T0, 1), ["Нет кошки, есть серая кошка."]);
}

#[test]
fn a_grammar_writer_keeps_its_own_warning_and_language_where_the_grammar_sets_none() {
    let mut n = grammar_writer(r#"{"origin": ["Hello there."], "other": ["x"]}"#);
    n.farm.run(&["edit", "g", "--warning", "spoilers", "--lang", "de"]).ok();
    assert_eq!(preview(&mut n, T0, 1), ["Hello there.  (warning \"spoilers\", lang de)"]);
    // A shortcode wins over the writer's setting for what it sets.
    let path = grammar_file(&n.farm, "g2.json", r#"{"origin": ["Hallo!{lang fr}"]}"#);
    n.farm.run(&["edit", "g", "--process", &format!("tracery:{path}")]).ok();
    assert_eq!(preview(&mut n, T0, 1), ["Hallo!  (warning \"spoilers\", lang fr)"]);
}
