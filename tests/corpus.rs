//! `farm import-corpus`: posts from files (plain text, an X archive's `tweets.js`, a Mastodon
//! `outbox.json`, the last two made by hand after their documented shapes in `fixtures/corpus/`)
//! into a corpus reader, taken by writers exactly like posts read from a network; malformed,
//! oversized and hostile files refused with one line and exit 65, changing nothing; a second
//! import adding nothing; an import killed half way completed by running it again.

mod support;
use support::net::{Net, T0};
use support::Farm;

/// A farm with a corpus reader `corp`.
fn corpus_farm() -> Net {
    let n = Net::new();
    n.farm.run(&["create", "reader", "corp", "--platform", "corpus"]).ok();
    n
}

/// The path of a file of the repository.
fn fixture(path: &str) -> String {
    format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))
}

/// Write `body` to a file in the farm's temp dir.
fn file(f: &Farm, name: &str, body: &[u8]) -> String {
    let p = f.dir.path().join(name);
    std::fs::write(&p, body).unwrap();
    p.display().to_string()
}

/// The posts a reader caches, oldest first.
fn cached(f: &Farm, reader: &str) -> Vec<botfarm::model::Post> {
    let store = botfarm::store::Store::open(&f.db()).unwrap();
    let posts = store.posts_after(reader, 0, usize::MAX).unwrap();
    support::close_store(store);
    posts
}

/// One bot's row of `farm stats --json`.
fn stats_row(f: &Farm, name: &str) -> serde_json::Value {
    let all = f.run(&["stats", "--json"]).ok().json();
    all.as_array().unwrap().iter().find(|r| r["name"] == name).cloned().unwrap()
}

#[test]
fn a_text_corpus_feeds_a_writer_in_file_order_and_a_second_import_adds_nothing() {
    let mut n = corpus_farm();
    let path = fixture("fixtures/posts_en.txt");
    let lines: Vec<String> = std::fs::read_to_string(&path).unwrap().lines().map(str::to_string).collect();
    let out = n.farm.run(&["import-corpus", "corp", &path]).ok();
    let want = format!("corp: imported {} posts (a text file, one post a line", lines.len());
    assert!(out.stdout.starts_with(&want), "{}", out.all());
    // Writers take them like read posts: a Mastodon writer posts them in file order.
    n.masto_bot("writer", "w", &["--source", "corp", "--template", "{}"]);
    n.synced(T0, &["run"]).ok();
    n.synced(T0 + 3600, &["run"]).ok();
    assert_eq!(n.posted("w"), lines[..2]);
    let posts = cached(&n.farm, "corp");
    assert_eq!(posts.iter().map(|p| p.id).collect::<Vec<_>>(), (1..=lines.len() as u64).collect::<Vec<_>>());
    assert!(posts.iter().all(|p| p.created_at > 0), "dated at the import");
    let row = stats_row(&n.farm, "corp");
    assert_eq!((row["imported_total"].as_u64(), row["backlog"].as_u64()), (Some(42), Some(42)));
    assert_eq!(stats_row(&n.farm, "w")["backlog"], 40);
    // The same file again, and the same posts in another case and with other punctuation: nothing new.
    let again = n.farm.run(&["import-corpus", "corp", &path]).ok();
    assert!(
        again.stdout.contains("imported 0 posts") && again.stdout.contains("42 duplicates"),
        "{}",
        again.all()
    );
    let shouted: String = lines.iter().map(|l| format!("{}!!\n", l.to_uppercase())).collect();
    let loud = file(&n.farm, "loud.txt", shouted.as_bytes());
    n.farm.run(&["import-corpus", "corp", &loud]).ok();
    assert_eq!(cached(&n.farm, "corp").len(), 42);
    assert_eq!(stats_row(&n.farm, "corp")["imported_total"], 42);
    // New lines go after the old ones, and the writer goes on with them in turn.
    let more = file(&n.farm, "more.txt", b"a brand new line about trains\n");
    n.farm.run(&["import-corpus", "corp", &more]).ok();
    assert_eq!(cached(&n.farm, "corp").last().map(|p| p.id), Some(43));
    let log = n.farm.run(&["log", "corp", "--json"]).ok().json();
    let imports = log.as_array().unwrap().iter().filter(|e| e["kind"] == "import").count();
    assert_eq!(imports, 4, "{log}");
    let show = n.farm.run(&["show", "corp"]).ok();
    assert!(show.stdout.contains("imported:    43 posts from files"), "{}", show.stdout);
}

#[test]
fn a_markov_writer_learns_from_an_imported_corpus() {
    let mut n = corpus_farm();
    n.farm.run(&["import-corpus", "corp", &fixture("fixtures/posts_en.txt")]).ok();
    n.masto_bot(
        "writer",
        "m",
        &["--source", "corp", "--process", "markov:order=1;seed=7", "--template", "{}"],
    );
    let preview = n.farm.run(&["preview", "m", "-n", "2"]).ok();
    assert!(preview.stdout.contains("[") && !preview.stdout.contains("nothing"), "{}", preview.all());
    n.synced(T0, &["run"]).ok();
    assert_eq!(n.posted("m").len(), 1);
}

/// A corpus farm after importing the fixture `path`, which says `says`, and the posts it holds.
#[track_caller]
fn imported(path: &str, says: &str) -> (Net, Vec<botfarm::model::Post>) {
    let n = corpus_farm();
    let out = n.farm.run(&["import-corpus", "corp", &fixture(path)]).ok();
    assert_eq!(out.stdout.trim(), says);
    let posts = cached(&n.farm, "corp");
    (n, posts)
}

#[test]
fn an_x_archive_keeps_what_its_tweets_say() {
    // The media-only tweet has no text.
    let (_, posts) = imported(
        "fixtures/corpus/tweets.js",
        "corp: imported 4 posts (an X archive's tweets.js; left out: 1 empty)",
    );
    // Oldest first: the archive lists the newest first.
    let texts: Vec<&str> = posts.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "an old archive's bare tweet",
            "@friend agreed",
            "Cats & dogs say #cats https://example.org/cats",
            "The original post, as retweeted"
        ]
    );
    assert_eq!(posts.iter().map(|p| p.id).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert!(posts[1].is_reply && posts[3].is_repost && posts[2].has_links);
    assert_eq!((posts[2].created_at, posts[2].lang.as_deref()), (1_539_202_764, Some("en")));
    assert_eq!(posts[3].author, "someone_else");
}

#[test]
fn a_mastodon_outbox_keeps_warnings_languages_and_counts_boosts() {
    let (n, posts) = imported(
        "fixtures/corpus/outbox.json",
        "corp: imported 2 posts (a Mastodon outbox; left out: 1 empty, 1 boost without text, 1 other activity)",
    );
    assert_eq!(posts[0].text, "@bob agreed");
    let p = &posts[1];
    assert_eq!(p.text, "Cats & #cats\n\nsecond paragraph");
    assert_eq!(
        (p.warning.as_deref(), p.sensitive, p.lang.as_deref()),
        (Some("cat pictures"), true, Some("de"))
    );
    // `--format` reads the same file as text: one post a line.
    n.farm.run(&["create", "reader", "raw", "--platform", "corpus"]).ok();
    let out =
        n.farm.run(&["import-corpus", "raw", &fixture("fixtures/corpus/outbox.json"), "--format", "lines"]);
    assert!(out.ok().stdout.contains("(a text file, one post a line"));
}

#[test]
fn a_malformed_file_is_refused_with_one_line_and_changes_nothing() {
    let n = corpus_farm();
    let f = &n.farm;
    let bad_utf8 = file(f, "bad.txt", b"first\nsecond\n\xff\xfe third\n");
    f.run(&["import-corpus", "corp", &bad_utf8]).one_line_error(65, "line 3: not UTF-8");
    let nul = file(f, "nul.txt", b"fine\nbin\0ary\n");
    f.run(&["import-corpus", "corp", &nul]).one_line_error(65, "line 2: a NUL byte");
    let cut = file(
        f,
        "cut.js",
        b"window.YTD.tweets.part0 = [ {\"tweet\": {\"full_text\": \"a\"}}, {\"tweet\": {\"full_te",
    );
    f.run(&["import-corpus", "corp", &cut])
        .one_line_error(65, "not an X archive's tweets.js (or a damaged one)");
    let no_items = file(f, "o.json", br#"{"type": "OrderedCollection", "totalItems": 0}"#);
    f.run(&["import-corpus", "corp", &no_items]).one_line_error(65, "without orderedItems");
    let deep = format!("{{\"orderedItems\": [{}]}}", "[".repeat(100_000));
    let deep = file(f, "deep.json", deep.as_bytes());
    f.run(&["import-corpus", "corp", &deep]).one_line_error(65, "recursion limit");
    let long = file(f, "long.txt", format!("ok\n{}\n", "x".repeat(100_000)).as_bytes());
    f.run(&["import-corpus", "corp", &long]).one_line_error(65, "line 2: longer than the 16 KiB");
    // Larger than the cap: refused before a byte is read (a sparse file costs no disk).
    let huge = f.dir.path().join("huge.txt");
    std::fs::File::create(&huge).unwrap().set_len((256 << 20) + 1).unwrap();
    f.run(&["import-corpus", "corp", &huge.display().to_string()]).one_line_error(65, "larger than 256 MiB");
    // Nothing was imported by any of them.
    assert!(cached(f, "corp").is_empty());
    let row = stats_row(f, "corp");
    assert_eq!((row["imported_total"].as_u64(), row["backlog"].as_u64()), (Some(0), Some(0)));
    // Not a file: a usage error.
    f.run(&["import-corpus", "corp", "/no/such/file.txt"]).one_line_error(64, "no such file");
    let dir = f.dir.path().display().to_string();
    f.run(&["import-corpus", "corp", &dir]).one_line_error(64, "not a regular file");
    f.run(&["import-corpus", "corp", &bad_utf8, "--format", "csv"]).code(64);
}

#[test]
fn only_a_corpus_reader_takes_an_import_and_it_has_no_network_options() {
    let n = corpus_farm();
    let f = &n.farm;
    n.masto_bot("reader", "timeline", &[]);
    n.masto_bot("writer", "w", &["--source", "corp"]);
    let text = file(f, "c.txt", b"one\ntwo\n");
    f.run(&["import-corpus", "timeline", &text])
        .one_line_error(64, "timeline cannot take an import: it reads mastodon");
    f.run(&["import-corpus", "w", &text]).one_line_error(64, "w cannot take an import: it is a writer");
    f.run(&["import-corpus", "nobody", &text]).one_line_error(64, "there is no bot named nobody");
    f.run(&["create", "reader", "c2", "--platform", "corpus", "--api", "https://example.org"])
        .one_line_error(64, "c2 is a corpus reader: it calls no API");
    f.run(&["edit", "corp", "--keep-max", "10"]).one_line_error(64, "--keep-max does not apply");
    f.run(&["create", "writer", "w2", "--source", "corp"])
        .one_line_error(64, "a corpus only holds posts for writers");
    f.run(&["auth", "corp"]).one_line_error(64, "needs no credentials");
    assert!(cached(f, "corp").is_empty());
}

#[test]
fn a_corpus_reader_never_runs_and_calls_nothing() {
    let mut n = corpus_farm();
    let text = file(&n.farm, "c.txt", b"one\ntwo\n");
    n.farm.run(&["import-corpus", "corp", &text]).ok();
    let out = n.synced(T0, &["run", "-v"]).ok();
    assert!(out.all().contains("nothing due"), "{}", out.all());
    let named = n.synced(T0, &["run", "corp", "--force", "-v"]).ok();
    assert!(named.stdout.contains("a corpus reader reads no network"), "{}", named.all());
    n.masto_bot("reader", "m", &[]);
    let checked = n.farm.run(&["check", "--json"]).ok().json();
    assert_eq!(checked.as_array().unwrap().len(), 1, "only the Mastodon reader: {checked}");
    n.farm.run(&["check", "corp"]).one_line_error(64, "corp is a corpus reader");
    n.farm
        .run(&["post", "corp", "hello"])
        .one_line_error(64, "corp is a corpus reader, with no network to post on");
    assert_eq!(n.state("corp")["pending"], serde_json::Value::Null);
    n.farm.run(&["doctor", "--offline"]);
    let calls: Vec<String> = n.fake.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(calls.len(), 1, "the Mastodon reader's check, and no request for the corpus: {calls:?}");
    let list = n.farm.run(&["list", "--json"]).ok().json();
    assert_eq!(list[0]["platform"], "corpus");
    let table = n.farm.run(&["list"]).ok();
    assert!(table.stdout.lines().nth(1).unwrap().ends_with("never"), "{}", table.stdout);
    let row = stats_row(&n.farm, "corp");
    assert_eq!(
        (row["status"].as_str(), row["next_due_at"].as_str(), row["calls_30d"].as_u64()),
        (Some("ok"), None, Some(0))
    );
    assert_eq!(row["cost_30d"], serde_json::Value::Null);
}

#[test]
fn an_import_killed_after_a_batch_is_completed_by_running_it_again() {
    let n = corpus_farm();
    let total = botfarm::bot::corpus::BATCH * 2 + 500;
    let body: String = (0..total).map(|i| format!("line number {i} of the big corpus\n")).collect();
    let path = file(&n.farm, "big.txt", body.as_bytes());
    let killed =
        n.farm.run_env(&["import-corpus", "corp", &path], &[("FARM_CRASH_AT", "import-batch-written")]);
    assert_eq!(killed.code, -1, "killed by the crash point: {}", killed.all());
    support::wait_unlocked(&n.farm.db());
    let batch = botfarm::bot::corpus::BATCH as u64;
    assert_eq!(stats_row(&n.farm, "corp")["backlog"].as_u64(), Some(batch), "the first batch is kept");
    let again = n.farm.run(&["import-corpus", "corp", &path]).ok();
    let want = format!("imported {} posts", total as u64 - batch);
    assert!(
        again.stdout.contains(&want) && again.stdout.contains(&format!("{batch} duplicates")),
        "{}",
        again.all()
    );
    let posts = cached(&n.farm, "corp");
    assert_eq!(posts.len(), total);
    let mut texts: Vec<&str> = posts.iter().map(|p| p.text.as_str()).collect();
    texts.dedup();
    assert_eq!(texts.len(), total, "nothing twice");
    assert_eq!(posts.last().unwrap().id, total as u64);
    let row = stats_row(&n.farm, "corp");
    assert_eq!(
        (row["imported_total"].as_u64(), row["backlog"].as_u64()),
        (Some(total as u64), Some(total as u64))
    );
}
