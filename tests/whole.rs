//! Source posts kept whole and what a post carries, through the binary and the fake network:
//! content warnings, the sensitive flag, language and self-labels read from each network and
//! sent to each (Mastodon `spoiler_text`/`sensitive`/`language`, Bluesky `labels`/`langs`, X
//! nothing), writers that skip or carry a warning, template fields over feed entries, a long X
//! post read whole, and a feed in windows-1251.

mod support;
use botfarm::sim::feed::{rss, Item};
use botfarm::sim::{Fault, SourcePost};
use support::net::{bsky_handle, masto_pair, Net, T0};

/// The cached posts of a reader, oldest first.
fn cached(n: &Net, reader: &str) -> Vec<botfarm::net::Post> {
    let store = botfarm::store::Store::open(&n.farm.db()).unwrap();
    let posts = store.recent_posts(reader, 100).unwrap();
    support::close_store(store);
    posts
}

const MASTODON_HOME: &str = include_str!("../fixtures/whole/mastodon_home.json");

#[test]
fn a_mastodon_timeline_is_kept_whole_and_polls_and_media_only_posts_are_skipped() {
    let mut n = masto_pair();
    // A recorded-shape page: media only, a poll, a quote post, a content warning, a sensitive
    // post, a plain one with tags.
    n.fake.fail_next(1, Fault::Json(MASTODON_HOME.into()), Some("/api/v1/timelines/home"));
    let out = n.synced(T0, &["run", "r", "-v"]).ok();
    assert!(out.all().contains("read 4 new posts") && out.all().contains("2 skipped"), "{}", out.all());
    let posts = cached(&n, "r");
    let texts: Vec<&str> = posts.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(
        texts,
        ["Hello #rust #OpenSource", "My lunch today", "The butler did it.", "Strong words about soup."]
    );
    assert_eq!(posts[2].warning.as_deref(), Some("spoilers for the finale"));
    assert!(posts[2].sensitive && posts[1].sensitive && !posts[0].sensitive);
    assert_eq!(posts[1].lang.as_deref(), Some("en-GB"));
    // The cursor is past the skipped ones: the next read asks for what is newer than all six.
    n.synced(T0 + 3600, &["run", "r"]).ok();
    let last = n.fake.requests().into_iter().rfind(|r| r.path == "/api/v1/timelines/home").unwrap();
    assert!(last.query.contains("min_id=113600000000000006"), "{}", last.query);
}

/// A Mastodon reader `r` whose timeline has a post with a content warning, then a plain one.
fn warned_pair() -> Net {
    let n = masto_pair();
    n.fake.push_home("r", SourcePost::new("someone", "The butler did it").warning("spoilers").lang("en"));
    n.fake.push_home("r", SourcePost::new("someone", "Soup is a beverage"));
    n
}

#[test]
fn a_writer_skips_a_post_with_a_content_warning_unless_it_carries_it() {
    let mut n = warned_pair();
    n.masto_bot("writer", "carry", &["--source", "r", "--warnings", "carry"]);
    n.bsky_bot("writer", "sky", &["--source", "r", "--warnings", "carry"]);
    let out = n.synced(T0, &["run", "-v"]).ok();
    // The default: skipped, and said so.
    assert_eq!(n.posted("w"), ["Soup is a beverage"], "{}", out.all());
    assert!(out.all().contains("(1 posts skipped)"), "{}", out.all());
    // Carried: Mastodon's content warning (and sensitive), Bluesky's self-label, nothing on X.
    let m = &n.fake.posts_by("carry")[0];
    assert_eq!(
        (m.text.as_str(), m.warning.as_deref(), m.sensitive),
        ("The butler did it", Some("spoilers"), true)
    );
    assert_eq!(m.lang.as_deref(), Some("en"));
    let b = &n.fake.posts_by(&bsky_handle("sky"))[0];
    assert_eq!((b.labels.clone(), b.lang.as_deref()), (vec!["graphic-media".to_string()], Some("en")));
    // X has no content warning: the text goes out alone (X checks OAuth times on the real clock).
    n.x_bot("writer", "xw", "x", &["--source", "r", "--warnings", "carry"]);
    n.fake.set_now(None);
    n.at(T0, &["run", "xw"]).ok();
    assert_eq!(n.posted("xw"), ["The butler did it"]);
    // A writer whose source has nothing else to give says why.
    n.masto_bot("reader", "r2", &[]);
    n.masto_bot("writer", "late", &["--source", "r2"]);
    n.fake.push_home("r2", SourcePost::new("someone", "More spoilers").warning("spoilers"));
    let out = n.synced(T0 + 3600, &["run", "r2", "late", "-v"]).ok();
    assert!(out.all().contains("1 with a content warning"), "{}", out.all());
}

#[test]
fn a_bluesky_self_label_is_a_content_warning_too() {
    let mut n = Net::new();
    n.bsky_bot("reader", "r", &[]);
    n.masto_bot("writer", "w", &["--source", "r"]);
    n.masto_bot("writer", "c", &["--source", "r", "--warnings", "carry"]);
    n.fake.set_now(Some(T0 - 3600));
    n.fake.push_home(&bsky_handle("r"), SourcePost::new("someone", "A statue").label("nudity"));
    n.synced(T0, &["run"]).ok();
    assert!(n.posted("w").is_empty());
    let c = &n.fake.posts_by("c")[0];
    assert_eq!((c.warning.as_deref(), c.sensitive), (Some("nudity"), true));
}

#[test]
fn a_writers_settings_go_out_on_each_network_and_show_in_preview_and_show() {
    let mut n = masto_pair();
    n.fake.push_home("r", SourcePost::new("someone", "Soup is a beverage"));
    let carry = ["--warning", "politics", "--sensitive", "--lang", "pt-BR", "--label", "nudity"];
    n.farm.run(&[&["edit", "w"][..], &carry[..]].concat()).ok();
    n.bsky_bot("writer", "sky", &[&["--source", "r"][..], &carry[..]].concat());
    let shown = n.farm.run(&["show", "w", "--json"]).ok().json();
    assert_eq!(
        (&shown["warning"], &shown["sensitive"], &shown["lang"], &shown["labels"], &shown["warnings"]),
        (&"politics".into(), &true.into(), &"pt-BR".into(), &"nudity".into(), &"skip".into())
    );
    n.synced(T0, &["run", "r"]).ok();
    let preview = n.farm.run(&["preview", "w"]).ok().stdout;
    assert!(preview.contains("warning \"politics\", sensitive, lang pt-BR, labels nudity"), "{preview}");
    n.synced(T0, &["run"]).ok();
    // Mastodon: the warning, sensitive, the ISO 639 language; the label has no room of its own.
    let m = &n.fake.posts_by("w")[0];
    assert_eq!((m.warning.as_deref(), m.sensitive, m.lang.as_deref()), (Some("politics"), true, Some("pt")));
    // Bluesky: the label given and the whole tag.
    let b = &n.fake.posts_by(&bsky_handle("sky"))[0];
    assert_eq!((b.labels.clone(), b.lang.as_deref()), (vec!["nudity".to_string()], Some("pt-BR")));
    // Cleared with empty values; bad ones refused with one line.
    n.farm.run(&["edit", "w", "--warning", "", "--sensitive=no", "--label", "", "--lang", ""]).ok();
    let shown = n.farm.run(&["show", "w", "--json"]).ok().json();
    assert_eq!(
        (&shown["warning"], &shown["sensitive"], &shown["labels"]),
        (&().into(), &false.into(), &().into())
    );
    n.farm.run(&["edit", "w", "--label", "spicy"]).one_line_error(64, "not a content label");
    n.farm.run(&["edit", "w", "--lang", "und"]).one_line_error(64, "--lang");
    n.farm.run(&["edit", "w", "--warning", "two\nlines"]).one_line_error(64, "--warning");
    n.farm.run(&["edit", "r", "--warning", "x"]).one_line_error(64, "writers");
}

#[test]
fn mastodon_counts_the_content_warning_with_the_text() {
    let mut n = masto_pair();
    n.fake.set_mastodon_max_chars(30);
    n.farm.run(&["edit", "w", "--warning", "a warning of twenty"]).ok();
    n.fake.push_home("r", SourcePost::new("someone", "fifteen letters"));
    n.fake.push_home("r", SourcePost::new("someone", "short"));
    let out = n.synced(T0, &["run", "-v"]).ok();
    // 19 + 15 is over 30: skipped here, never refused by the server.
    assert_eq!(n.posted("w"), ["short"], "{}", out.all());
    assert!(out.all().contains("(1 posts skipped)"), "{}", out.all());
}

#[test]
fn what_a_post_carries_is_fixed_with_its_intent() {
    let mut n = warned_pair();
    n.farm.run(&["edit", "w", "--warning", "first"]).ok();
    n.fake.fail_next(1, Fault::Status(503), Some("/api/v1/statuses"));
    assert_eq!(n.synced(T0, &["run"]).code, 75);
    let st = n.state("w");
    assert_eq!(st["pending_meta"]["warning"], "first", "{st}");
    let shown = n.farm.run_env(&["show", "w"], &[("COLUMNS", "200")]).ok().stdout;
    assert!(shown.contains("warning \"first\""), "{shown}");
    let preview = n.farm.run(&["preview", "w"]).ok().stdout;
    assert!(
        preview.contains("(unconfirmed, will be resent) Soup is a beverage\n      warning \"first\""),
        "{preview}"
    );
    // A changed setting does not change the post already decided on.
    n.farm.run(&["edit", "w", "--warning", "second"]).ok();
    n.synced(T0 + 600, &["run", "w", "--force"]).ok();
    let posts = n.fake.posts_by("w");
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].warning.as_deref(), Some("first"));
}

#[test]
fn a_post_by_hand_takes_a_warning_and_a_language() {
    let n = masto_pair();
    n.farm.run(&["post", "w", "--warning", "spoilers", "--lang", "en", "The", "butler"]).ok();
    let p = &n.fake.posts_by("w")[0];
    assert_eq!(
        (p.text.as_str(), p.warning.as_deref(), p.lang.as_deref()),
        ("The butler", Some("spoilers"), Some("en"))
    );
    n.farm.run(&["post", "w", "--lang", "english", "hi"]).one_line_error(64, "--lang");
}

#[test]
fn a_long_x_post_is_read_whole() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    let long = format!("{} the end", "Soup is a beverage and a meal at once. ".repeat(9));
    n.fake.push_home("r", SourcePost::new("someone", &long).lang("qst"));
    n.at(T0, &["run", "r"]).ok();
    let posts = cached(&n, "r");
    assert_eq!(posts[0].text, long.trim());
    assert_eq!(posts[0].lang, None, "qst names no language");
}

/// A feed reader `news` on the fake's `/news.xml` serving `items`.
fn feed_reader(items: &[Item]) -> Net {
    let n = Net::new();
    n.fake.set_feed("/news.xml", rss("News", items));
    let url = format!("{}/news.xml", n.fake.url());
    n.farm.run(&["create", "reader", "news", "--platform", "feed", "--api", &url]).ok();
    n
}

#[test]
fn template_fields_post_a_feed_entry_the_feed2toot_way() {
    let mut item = Item::new("g1", "Soup is a beverage", T0 - 60);
    item.description = "<p>A long <b>case</b> for it.</p>".into();
    let mut n = feed_reader(&[item]);
    n.masto_bot("writer", "toot", &["--source", "news", "--template", "{title} {link}"]);
    n.masto_bot("writer", "who", &["--source", "news", "--template", "{author}: {title}"]);
    n.synced(T0, &["run"]).ok();
    assert_eq!(n.posted("toot"), ["Soup is a beverage https://news.example/g1"]);
    assert_eq!(n.posted("who"), ["News: Soup is a beverage"]);
    let p = &cached(&n, "news")[0];
    assert_eq!(
        (p.title.as_deref(), p.link.as_deref()),
        (Some("Soup is a beverage"), Some("https://news.example/g1"))
    );
    // Unknown fields, and processors whose result the template leaves out, are refused at once.
    let api = n.fake.url();
    let bad = [
        "create",
        "writer",
        "bad",
        "--source",
        "news",
        "--platform",
        "mastodon",
        "--api",
        &api,
        "--auth-later",
    ];
    n.farm.run(&[&bad[..], &["--template", "{summary}"]].concat()).one_line_error(64, "{summary} is unknown");
    let r = n.farm.run(&[&bad[..], &["--process", "markov", "--template", "{title}"]].concat());
    r.one_line_error(64, "no {} for the processors' result");
}

#[test]
fn categories_become_hashtags_and_a_missing_field_skips_the_post() {
    let mut n = Net::new();
    n.fake.set_feed("/news.xml", include_str!("../fixtures/whole/feed_categories.rss"));
    let url = format!("{}/news.xml", n.fake.url());
    n.farm.run(&["create", "reader", "news", "--platform", "feed", "--api", &url]).ok();
    n.masto_bot("writer", "tags", &["--source", "news", "--template", "{title} {categories}"]);
    // A Mastodon reader's posts have no title: that writer skips them.
    n.masto_bot("reader", "m", &[]);
    n.masto_bot("writer", "titled", &["--source", "m", "--template", "{title}"]);
    n.fake.push_home("m", SourcePost::new("someone", "no title here"));
    let out = n.synced(T0, &["run", "-v"]).ok();
    assert_eq!(n.posted("tags"), ["Gazpacho season opens #food #ColdSoups"]);
    assert!(n.posted("titled").is_empty());
    assert!(out.all().contains("nothing to post: 1 posts skipped"), "{}", out.all());
}

#[test]
fn a_windows_1251_feed_is_decoded_not_refused() {
    let mut n = Net::new();
    // The fake says `charset=utf-8`, as many servers do whatever the document declares.
    n.fake.set_feed("/ru.xml", include_bytes!("../fixtures/whole/feed_cp1251.xml").to_vec());
    let url = format!("{}/ru.xml", n.fake.url());
    n.farm.run(&["create", "reader", "ru", "--platform", "feed", "--api", &url]).ok();
    n.synced(T0, &["run", "ru"]).ok();
    let p = &cached(&n, "ru")[0];
    assert_eq!(p.title.as_deref(), Some("Борщ признан напитком"));
    assert_eq!(p.text, "Борщ признан напитком\n\nЩи да каша — пища наша.\n\nhttps://sup.example/borsch");
    assert_eq!(
        (p.author.as_str(), p.lang.as_deref(), p.categories.clone()),
        ("Новости супа", Some("ru"), vec!["еда".to_string()])
    );
}

#[test]
fn hashtags_of_x_posts_are_their_categories() {
    for platform in ["x", "x-v1"] {
        let mut n = Net::new();
        n.fake.set_oauth_wall_clock(true);
        n.x_bot("reader", "r", platform, &[]);
        n.masto_bot("writer", "w", &["--source", "r", "--template", "{text} / {categories}"]);
        n.fake.push_home("r", SourcePost::new("someone", "hot soup today #soup #winter"));
        n.synced(T0, &["run"]).ok();
        let p = &cached(&n, "r")[0];
        assert_eq!(p.categories, ["soup", "winter"], "{platform}");
        assert_eq!(n.posted("w"), ["hot soup today #soup #winter / #soup #winter"], "{platform}");
    }
}
