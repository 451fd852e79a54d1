//! Feed readers (`--platform feed`) against the fake network's feeds: no credentials, one
//! conditional GET per run (a `304` when nothing changed), entries keyed by guid and never read
//! twice (not when the feed reorders or rewrites old entries), and hostile feeds (huge, deeply
//! nested, entity expansion, bytes valid in no encoding) refused with one line and exit 65,
//! losing nothing.

mod support;
use botfarm::sim::feed::{billion_laughs, nested, rss, Item};
use support::net::{Net, T0};

const PATH: &str = "/news.xml";

fn items(guids: &[&str]) -> Vec<Item> {
    guids
        .iter()
        .enumerate()
        .map(|(i, g)| Item::new(g, &format!("Story {g}"), T0 - 3600 + i as i64 * 60))
        .collect()
}

/// A farm with a feed reader `news` on the fake's [`PATH`], serving items `a`, `b`, `c`, and a
/// Mastodon writer `w` posting each entry as is.
fn feed_pair() -> Net {
    let n = Net::new();
    n.fake.set_feed(PATH, rss("News", &items(&["a", "b", "c"])));
    let url = format!("{}{PATH}", n.fake.url());
    n.farm.run(&["create", "reader", "news", "--platform", "feed", "--api", &url]).ok();
    n.masto_bot("writer", "w", &["--source", "news", "--template", "{}"]);
    n
}

/// GETs of the feed and their statuses.
fn feed_gets(n: &Net) -> Vec<u16> {
    n.fake.requests().iter().filter(|r| r.path == PATH).map(|r| r.status).collect()
}

#[test]
fn a_feed_reader_needs_no_credentials_and_keeps_title_summary_link() {
    let mut n = Net::new();
    let mut item = Item::new("g1", "Cats & dogs", T0 - 60);
    item.description = "<p>They <b>get along</b>.</p>".into();
    n.fake.set_feed(PATH, rss("News", &[item]));
    let url = format!("{}{PATH}", n.fake.url());
    n.farm.run(&["create", "reader", "news", "--platform", "feed", "--api", &url]).ok();
    let out = n.synced(T0, &["run", "news", "-v"]).ok();
    assert!(out.all().contains("read 1 new posts"), "{}", out.all());
    let store = botfarm::store::Store::open(&n.farm.db()).unwrap();
    let posts = store.recent_posts("news", 10).unwrap();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].text, "Cats & dogs\n\nThey get along.\n\nhttps://news.example/g1");
    assert!(posts[0].has_links && !posts[0].is_repost && !posts[0].is_reply);
    assert_eq!(
        (posts[0].author.as_str(), posts[0].lang.as_deref(), posts[0].created_at),
        ("News", Some("en"), T0 - 60)
    );
}

#[test]
fn a_writer_cannot_post_on_a_feed() {
    let n = feed_pair();
    let r = n.farm.run(&["create", "writer", "bad", "--source", "news", "--template", "{}"]);
    r.one_line_error(64, "a feed can only be read");
}

#[test]
fn a_run_with_nothing_new_costs_one_304() {
    let mut n = feed_pair();
    n.synced(T0, &["run", "news"]).ok();
    assert_eq!(n.state("news")["cached"], 3);
    n.synced(T0 + 3600, &["run", "news"]).ok();
    assert_eq!(feed_gets(&n), vec![200, 304], "one conditional GET, answered 304");
    assert_eq!(n.state("news")["cached"], 3);
}

#[test]
fn each_entry_is_posted_once_even_when_the_feed_reorders_and_rewrites() {
    let mut n = feed_pair();
    let mut hour = 0;
    let mut tick = |n: &mut Net| {
        hour += 1;
        n.synced(T0 + hour * 3600, &["run"]).ok();
    };
    for _ in 0..3 {
        tick(&mut n);
    }
    // The feed lists its entries the other way round, rewrites `a`, and adds `d`.
    let mut changed = items(&["c", "b", "a", "d"]);
    changed[2].title = "Story a (updated)".into();
    changed[3].published = T0 + 4 * 3600;
    n.fake.set_feed(PATH, rss("News", &changed));
    for _ in 0..4 {
        tick(&mut n);
    }
    let posted = n.posted("w");
    assert_eq!(posted.len(), 4, "{posted:?}");
    for g in ["a", "b", "c", "d"] {
        let with = posted.iter().filter(|p| p.starts_with(&format!("Story {g}"))).count();
        assert_eq!(with, 1, "entry {g} posted {with} times: {posted:?}");
    }
}

#[test]
fn hostile_feeds_are_refused_with_one_line_and_nothing_lost() {
    let mut n = feed_pair();
    n.synced(T0, &["run", "news"]).ok();
    let before = n.state("news");
    // Not UTF-8, and no encoding named but the server's default `charset=utf-8`.
    let latin1: Vec<u8> = b"<rss version=\"2.0\"><channel><title>caf\xe9</title></channel></rss>".to_vec();
    let huge = rss("Huge", &[Item { description: "x".repeat(3 * 1024 * 1024), ..Item::new("h", "h", T0) }]);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (huge.into_bytes(), "larger than 2 MB"),
        (nested(100_000).into_bytes(), "deeper than 64"),
        (billion_laughs().into_bytes(), "entities"),
        (latin1, "not valid UTF-8"),
        (b"<html><body>moved</body></html>".to_vec(), "not an RSS, Atom or JSON feed"),
    ];
    for (i, (body, words)) in cases.into_iter().enumerate() {
        n.fake.set_feed(PATH, body);
        let r = n.synced(T0 + 60 * (i as i64 + 1), &["run", "news", "--force"]);
        r.one_line_error(65, words);
        let st = n.state("news");
        assert_eq!((&st["cached"], &st["cursor"]), (&before["cached"], &before["cursor"]), "{words}");
    }
    // The feed is back with one new entry: only that one is read.
    n.fake.set_feed(PATH, rss("News", &items(&["a", "b", "c", "d"])));
    let out = n.synced(T0 + 3600, &["run", "news", "--force", "-v"]).ok();
    assert!(out.all().contains("read 1 new posts"), "{}", out.all());
}

#[test]
fn doctor_asks_no_tokens_of_a_feed_reader() {
    let n = feed_pair();
    let out = n.farm.run(&["doctor"]).all();
    assert!(out.contains("database opens"), "{out}");
    assert!(!out.contains("news has no user tokens"), "{out}");
}

#[test]
fn auth_of_a_feed_reader_says_it_needs_none() {
    let n = feed_pair();
    let r = n.farm.run_stdin(&["auth", "news"], "");
    r.one_line_error(64, "needs no credentials");
    assert!(n.fake.requests().iter().all(|q| !q.path.contains("/api/")), "no app registration");
}

#[test]
fn a_feed_url_keeps_its_path_and_query_and_may_be_plain_http() {
    let f = support::Farm::new();
    for (i, url) in
        ["https://example.org/?feed=rss2", "http://example.org/api/users/feed.xml"].iter().enumerate()
    {
        let name = format!("news{i}");
        f.run(&["create", "reader", &name, "--platform", "feed", "--api", url]).ok();
        assert_eq!(f.run(&["show", &name, "--json"]).ok().json()["api"], *url);
    }
    // An API base URL still takes none of that.
    let env = [("FARM_ACCESS_TOKEN", "tok-123456789".to_string())];
    f.create(&["create", "reader", "m", "--platform", "mastodon", "--api", "https://example.org/?x=1"], &env)
        .code(64);
    f.run(&["create", "reader", "bad", "--platform", "feed", "--api", "https://u:p@example.org/feed"])
        .code(64);
}
