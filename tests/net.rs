//! The network clients against the fake network (`botfarm::sim::FakeNet`): paging, text
//! handling, posting, duplicates, idempotency, every error class, and both auth flows.

use botfarm::net::auth;
use botfarm::net::mastodon::Mastodon;
use botfarm::net::x::XV2;
use botfarm::net::xv1::XV1;
use botfarm::net::{Call, Credentials, Endpoint, NetErrorKind, Platform, PlatformKind};
use botfarm::sim::{FakeNet, Fault, SourcePost};
use std::time::{Duration, Instant};

mod support;

const CK: &str = "consumer-key";
const CS: &str = "consumer-secret";
const TOKEN: &str = "access-token";
const SECRET: &str = "access-secret";
const BEARER: &str = "bearer-token-123";

/// A short budget so timeout tests are quick.
const SHORT: Duration = Duration::from_millis(800);

fn x_creds() -> Credentials {
    Credentials {
        consumer_key: CK.into(),
        consumer_secret: CS.into(),
        access_token: TOKEN.into(),
        access_secret: SECRET.into(),
    }
}

fn endpoint(net: &FakeNet, kind: PlatformKind) -> Endpoint {
    let creds = match kind {
        PlatformKind::Mastodon => Credentials { access_token: BEARER.into(), ..Credentials::default() },
        _ => x_creds(),
    };
    Endpoint { kind, api: net.url(), creds, account_id: None }
}

/// The fake with a bot `bot` known to X and Mastodon.
fn fake() -> FakeNet {
    let net = FakeNet::start();
    net.add_x_user("bot", CK, CS, TOKEN, SECRET);
    net.add_mastodon_user("bot", BEARER);
    net
}

/// The run's time, from farm's one clock (what `farm` passes its clients).
fn now() -> i64 {
    botfarm::clock::now().unwrap()
}

fn xv2(net: &FakeNet) -> XV2 {
    XV2::new(endpoint(net, PlatformKind::X), now()).with_timeout(SHORT)
}

fn xv1(net: &FakeNet) -> XV1 {
    XV1::new(endpoint(net, PlatformKind::XV1), now()).with_timeout(SHORT)
}

fn masto(net: &FakeNet) -> Mastodon {
    Mastodon::new(endpoint(net, PlatformKind::Mastodon), now()).with_timeout(SHORT)
}

/// One client of each kind, by name, for tests that run against all three.
fn all(net: &FakeNet) -> Vec<(&'static str, Box<dyn Platform>)> {
    vec![("x", Box::new(xv2(net))), ("x-v1", Box::new(xv1(net))), ("mastodon", Box::new(masto(net)))]
}

fn push_n(net: &FakeNet, n: usize, from: usize) -> Vec<u64> {
    (from..from + n)
        .map(|i| net.push_home("bot", SourcePost::new("amy", &format!("post number {i}"))))
        .collect()
}

fn ids(t: &botfarm::net::Timeline) -> Vec<u64> {
    t.posts.iter().map(|p| p.id).collect()
}

#[test]
fn verify_and_account_id() {
    let net = fake();
    for (name, mut c) in all(&net) {
        assert_eq!(c.account_id(), None, "{name}");
        let me = c.verify().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(me.value.username, "bot", "{name}");
        assert!(me.value.id.parse::<u64>().is_ok(), "{name}");
        assert_eq!(c.account_id(), Some(me.value.id.clone()), "{name}");
        let reported = me.rates.iter().any(|r| r.call == Call::Verify && r.limit.is_some());
        assert!(reported, "{name}: verify reports its rate-limit window");
    }
}

#[test]
fn x_v2_paging_since_and_cap() {
    let net = fake();
    let first = push_n(&net, 30, 0);
    let mut c = xv2(&net);

    // No cursor: the newest page only (min(cap, 100)), plus one call to learn the user id.
    let t = c.home_timeline(None, 10).unwrap().value;
    assert_eq!(ids(&t), first[20..].to_vec());
    assert_eq!(t.calls, 2);
    assert_eq!(t.cursor, Some(first[29].to_string()));
    let cursor = t.cursor.unwrap();

    // Nothing new: no cursor, one call (the id is cached now).
    let t = c.home_timeline(Some(&cursor), 500).unwrap().value;
    assert!(t.posts.is_empty());
    assert_eq!((t.cursor, t.calls), (None, 1));

    // 150 new posts with a cap of 500: two pages, oldest first, nothing lost.
    let new = push_n(&net, 150, 100);
    let r = c.home_timeline(Some(&cursor), 500).unwrap();
    let t = r.value;
    assert_eq!(ids(&t), new);
    assert_eq!(t.calls, 2);
    assert_eq!(t.cursor, Some(new[149].to_string()));
    assert!(r.rates.iter().all(|x| x.call == Call::Timeline) && r.rates.len() == 2);
    let q = net.requests();
    let last = q.last().unwrap();
    assert!(last.query.contains("pagination_token="), "{}", last.query);
    assert!(last.query.contains(&format!("since_id={cursor}")), "{}", last.query);

    // Cap: 30 new, cap 10 -> the newest 10, one page.
    let cursor = new[149].to_string();
    let more = push_n(&net, 30, 300);
    let t = c.home_timeline(Some(&cursor), 10).unwrap().value;
    assert_eq!(ids(&t), more[20..].to_vec());
    assert_eq!(t.calls, 1);
    assert_eq!(t.cursor, Some(more[29].to_string()));
}

#[test]
fn x_v1_paging_since_and_cap() {
    let net = fake();
    let first = push_n(&net, 30, 0);
    let mut c = xv1(&net);
    let t = c.home_timeline(None, 10).unwrap().value;
    assert_eq!(ids(&t), first[20..].to_vec());
    assert_eq!(t.calls, 1);
    let cursor = t.cursor.unwrap();
    assert_eq!(cursor, first[29].to_string());

    // 250 new posts: pages of 200 walked backwards with max_id until a short page.
    let new = push_n(&net, 250, 100);
    let t = c.home_timeline(Some(&cursor), 1000).unwrap().value;
    assert_eq!(ids(&t), new);
    assert_eq!(t.cursor, Some(new[249].to_string()));
    assert!(t.calls >= 2, "{}", t.calls);
    let q = net.requests();
    assert!(q.iter().any(|r| r.query.contains("max_id=")), "paged with max_id");
    assert!(q.iter().all(|r| !r.path.contains("home_timeline") || r.query.contains("tweet_mode=extended")));

    // Cap: the newest 5.
    let cursor = new[249].to_string();
    let more = push_n(&net, 12, 400);
    let t = c.home_timeline(Some(&cursor), 5).unwrap().value;
    assert_eq!(ids(&t), more[7..].to_vec());
    assert_eq!(t.cursor, Some(more[11].to_string()));
}

#[test]
fn mastodon_paging_with_min_id_and_cap_leaves_no_gap() {
    let net = fake();
    let first = push_n(&net, 50, 0);
    let mut c = masto(&net);
    let t = c.home_timeline(None, 100).unwrap().value;
    assert_eq!(ids(&t), first[10..].to_vec(), "one page of the newest 40");
    assert_eq!(t.calls, 1);
    let cursor = t.cursor.unwrap();

    let new = push_n(&net, 90, 100);
    let t = c.home_timeline(Some(&cursor), 1000).unwrap().value;
    assert_eq!(ids(&t), new);
    assert_eq!(t.calls, 3, "40 + 40 + 10: a short page means caught up, no empty request");
    assert_eq!(t.cursor, Some(new[89].to_string()));
    assert!(net.requests().iter().any(|r| r.query.contains("min_id=")));

    // Cap 45 of 50 new: the oldest 45 now, the other 5 next time.
    let cursor = new[89].to_string();
    let more = push_n(&net, 50, 300);
    let t = c.home_timeline(Some(&cursor), 45).unwrap().value;
    assert_eq!(ids(&t), more[..45].to_vec());
    let cursor = t.cursor.unwrap();
    assert_eq!(cursor, more[44].to_string());
    let t = c.home_timeline(Some(&cursor), 45).unwrap().value;
    assert_eq!(ids(&t), more[45..].to_vec());
}

#[test]
fn retweets_and_reblogs_carry_the_full_text() {
    let net = fake();
    let long = "This is a long original post that goes well past the one hundred and forty character \
                truncation that X applies to retweet text, so only the original has it all & more.";
    let reply_to = net.push_home("bot", SourcePost::new("dan", "first"));
    let rt = net.push_home("bot", SourcePost::new("amy", long).repost_of("cat").lang("en"));
    let reply =
        net.push_home("bot", SourcePost::new("eve", "a reply <3 https://example.com/x").reply_to(reply_to));
    for (name, mut c) in all(&net) {
        let t = c.home_timeline(None, 20).unwrap_or_else(|e| panic!("{name}: {e}")).value;
        let p = t.posts.iter().find(|p| p.id == rt).unwrap_or_else(|| panic!("{name}: no repost"));
        assert_eq!(p.text, long, "{name}");
        assert!(p.is_repost && !p.is_reply, "{name}");
        assert_eq!(p.author, "amy", "{name}");
        assert_eq!(p.lang.as_deref(), Some("en"), "{name}");
        let r = t.posts.iter().find(|p| p.id == reply).unwrap();
        assert!(r.is_reply && !r.is_repost && r.has_links, "{name}");
        assert!(r.text.starts_with("a reply <3 https://"), "{name}: {}", r.text);
        assert!(p.created_at > 0, "{name}");
    }
}

#[test]
fn mastodon_html_becomes_the_text_as_written() {
    let net = fake();
    let text = "Hello & <world> \"quoted\" it's\nsecond line\n\nnew paragraph with \
                https://www.example.com/0123456789012345678901234567890 and @bob and #Rust";
    let id = net.push_home("bot", SourcePost::new("amy", text));
    let t = masto(&net).home_timeline(None, 5).unwrap().value;
    let p = t.posts.iter().find(|p| p.id == id).unwrap();
    assert_eq!(p.text, text);
    assert!(p.has_links);
}

#[test]
fn posting_duplicates_and_own_posts() {
    let net = fake();
    for (name, mut c) in [("x", Box::new(xv2(&net)) as Box<dyn Platform>), ("x-v1", Box::new(xv1(&net)))] {
        let text = format!("hello from {name} & friends");
        let p = c.post(&text, "k1", &Default::default()).unwrap_or_else(|e| panic!("{name}: {e}")).value;
        assert!(!p.duplicate, "{name}");
        let id: u64 = p.id.clone().unwrap().parse().unwrap();
        let again = c.post(&text, "k1", &Default::default()).unwrap().value;
        assert_eq!(again, botfarm::net::Posted { id: None, cid: None, duplicate: true }, "{name}");
        net.set_engagement(id, 7, 3);
        let own = c.own_posts(10).unwrap().value;
        let mine = own.iter().find(|o| o.id == id).unwrap_or_else(|| panic!("{name}: own post missing"));
        assert_eq!((mine.likes, mine.reposts), (7, 3), "{name}");
        assert_eq!(mine.text, text, "{name}");
        c.delete(id).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(net.posts_by("bot").iter().all(|p| p.id != id), "{name}: deleted");
    }
}

#[test]
fn mastodon_post_idempotency_visibility_and_own_posts() {
    let net = fake();
    let mut c = masto(&net);
    let a = c.post("toot & toot", "key-1", &Default::default()).unwrap().value;
    let b = c.post("toot & toot", "key-1", &Default::default()).unwrap().value;
    assert_eq!(a.id, b.id, "same Idempotency-Key, same status");
    assert!(!a.duplicate);
    let posts = net.posts_by("bot");
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].idempotency_key.as_deref(), Some("key-1"));
    assert_eq!(posts[0].visibility.as_deref(), Some("unlisted"));
    assert!(net
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/statuses")
        .all(|r| r.idempotency_key.is_some()));

    let mut public = masto(&net).with_visibility("public");
    public.post("loud", "key-2", &Default::default()).unwrap();
    assert_eq!(net.posts_by("bot")[1].visibility.as_deref(), Some("public"));

    let id: u64 = a.id.unwrap().parse().unwrap();
    net.set_engagement(id, 4, 2);
    let own = c.own_posts(10).unwrap().value;
    assert_eq!(own.len(), 2);
    assert!(own[0].id > own[1].id, "newest first");
    let o = own.iter().find(|o| o.id == id).unwrap();
    assert_eq!((o.text.as_str(), o.likes, o.reposts), ("toot & toot", 4, 2));
    c.delete(id).unwrap();
    assert_eq!(net.posts_by("bot").len(), 1);
}

#[test]
fn length_rules() {
    let net = fake();
    assert_eq!(xv2(&net).length_rule().unwrap().value.max, 280);
    assert_eq!(xv1(&net).length_rule().unwrap().value.url_len, 23);
    let r = masto(&net).length_rule().unwrap().value;
    assert_eq!((r.max, r.url_len), (500, 23));
    net.set_mastodon_max_chars(1000);
    assert_eq!(masto(&net).length_rule().unwrap().value.max, 1000);
    // Too long for the instance: TooLong.
    let e = masto(&net).post(&"x".repeat(1001), "k", &Default::default()).unwrap_err();
    assert_eq!(e.kind, NetErrorKind::TooLong, "{}", e.message);
    let e = xv2(&net).post(&"y".repeat(300), "k", &Default::default()).unwrap_err();
    assert_eq!(e.kind, NetErrorKind::TooLong, "{}", e.message);
    let e = xv1(&net).post(&"z".repeat(300), "k", &Default::default()).unwrap_err();
    assert_eq!(e.kind, NetErrorKind::TooLong, "{}", e.message);
}

#[test]
fn wrong_credentials_are_auth_errors() {
    let net = fake();
    let mut ep = endpoint(&net, PlatformKind::X);
    ep.creds.access_secret = "wrong".into();
    let e = XV2::new(ep.clone(), now()).verify().unwrap_err();
    assert_eq!(e.kind, NetErrorKind::Auth, "{}", e.message);
    assert!(e.message.contains("farm auth"), "{}", e.message);
    assert!(!e.message.contains("wrong"), "no secrets in messages: {}", e.message);
    ep.kind = PlatformKind::XV1;
    assert_eq!(XV1::new(ep, now()).verify().unwrap_err().kind, NetErrorKind::Auth);
    let mut ep = endpoint(&net, PlatformKind::Mastodon);
    ep.creds.access_token = "nope-secret".into();
    let e = Mastodon::new(ep, now()).verify().unwrap_err();
    assert_eq!(e.kind, NetErrorKind::Auth);
    assert!(!e.message.contains("nope-secret"), "{}", e.message);
}

#[test]
fn injected_statuses_are_classified() {
    let net = fake();
    for (name, mut c) in all(&net) {
        net.fail_next(1, Fault::Status(401), None);
        assert_eq!(c.verify().unwrap_err().kind, NetErrorKind::Auth, "{name}");
        net.fail_next(1, Fault::Status(503), None);
        let e = c.verify().unwrap_err();
        assert_eq!(e.kind, NetErrorKind::Server, "{name}: {}", e.message);
        assert!(!e.maybe_performed, "{name}");
        net.fail_next(1, Fault::Status(404), None);
        assert_eq!(c.verify().unwrap_err().kind, NetErrorKind::Refused, "{name}");
        net.fail_next(1, Fault::Status(429), None);
        let e = c.verify().unwrap_err();
        assert_eq!(e.kind, NetErrorKind::RateLimited, "{name}");
        assert!(e.rate.is_some_and(|r| r.remaining == 0 && r.call == Call::Verify), "{name}");
        net.fail_next(1, Fault::Html502, None);
        let e = c.verify().unwrap_err();
        assert_eq!(e.kind, NetErrorKind::Server, "{name}");
        assert!(!e.message.contains("<html>"), "{name}: {}", e.message);
        net.fail_next(1, Fault::Garbage, None);
        let e = c.verify().unwrap_err();
        assert_eq!(e.kind, NetErrorKind::Malformed, "{name}");
        assert!(e.message.contains("not valid JSON"), "{name}: {}", e.message);
        c.verify().unwrap_or_else(|e| panic!("{name}: recovers: {e}"));
    }
}

#[test]
fn rate_limited_carries_the_reset() {
    let net = fake();
    let reset = now() + 600;
    for (name, mut c) in all(&net) {
        net.fail_next(1, Fault::RateLimited { reset }, None);
        let e = c.home_timeline(None, 5).unwrap_err();
        assert_eq!(e.kind, NetErrorKind::RateLimited, "{name}");
        let rate = e.rate.unwrap();
        assert_eq!((rate.reset, rate.remaining), (reset, 0), "{name}");
        assert!(e.message.contains(&botfarm::clock::format(reset)), "{name}: {}", e.message);
    }
}

#[test]
fn an_absurd_reset_is_capped_at_a_day() {
    let net = fake();
    let reset = 7_258_118_400; // 2200-01-01
    let before = now();
    let clients = all(&net);
    let after = now();
    for (name, mut c) in clients {
        net.fail_next(1, Fault::RateLimited { reset }, None);
        let e = c.home_timeline(None, 5).unwrap_err();
        assert_eq!(e.kind, NetErrorKind::RateLimited, "{name}");
        let rate = e.rate.unwrap();
        assert!(rate.reset >= before + 86_400 && rate.reset <= after + 86_400, "{name}: {rate:?}");
        assert!(!e.message.contains("2200"), "{name}: {}", e.message);
    }
}

/// The clients judge rate limits at the run's time they were made with, never at the wall
/// clock: with a run in 2100 (as `FARM_NOW=2100-01-01T00:00:00Z` gives), a reset ten minutes
/// after it is believed as is, one ten days after it is capped a day after it, and a bare 429
/// blocks for the default window after it. Judged at the wall clock, all three would differ.
#[test]
fn rate_limits_are_judged_at_the_run_time_not_the_wall_clock() {
    let net = fake();
    let run_at = 4_102_444_800; // 2100-01-01T00:00:00Z, decades from the wall clock
    let clients: Vec<(&str, Box<dyn Platform>)> = vec![
        ("x", Box::new(XV2::new(endpoint(&net, PlatformKind::X), run_at).with_timeout(SHORT))),
        ("x-v1", Box::new(XV1::new(endpoint(&net, PlatformKind::XV1), run_at).with_timeout(SHORT))),
        (
            "mastodon",
            Box::new(Mastodon::new(endpoint(&net, PlatformKind::Mastodon), run_at).with_timeout(SHORT)),
        ),
    ];
    for (name, mut c) in clients {
        net.fail_next(1, Fault::RateLimited { reset: run_at + 600 }, None);
        let rate = c.home_timeline(None, 5).unwrap_err().rate.unwrap();
        assert_eq!((rate.reset, rate.remaining), (run_at + 600, 0), "{name}");
        net.fail_next(1, Fault::RateLimited { reset: run_at + 10 * 86_400 }, None);
        let e = c.home_timeline(None, 5).unwrap_err();
        assert_eq!(e.rate.unwrap().reset, run_at + 86_400, "{name}");
        assert!(e.message.contains("2100-01-02T00:00:00Z"), "{name}: {}", e.message);
        net.fail_next(1, Fault::Status(429), None);
        let e = c.post("hello", "k", &Default::default()).unwrap_err();
        assert_eq!(e.kind, NetErrorKind::RateLimited, "{name}");
        assert_eq!(e.rate.unwrap().reset, run_at + 15 * 60, "{name}");
    }
    // The same holds for `farm auth`'s calls.
    net.fail_next(1, Fault::Status(429), None);
    let e = auth::mastodon_register_app(&net.url(), run_at).unwrap_err();
    assert_eq!(e.rate.unwrap().reset, run_at + 15 * 60);
}

#[test]
fn x_v1_reads_once_per_tick_when_few_posts_are_new() {
    let net = fake();
    push_n(&net, 30, 0);
    let mut c = xv1(&net);
    let cursor = c.home_timeline(None, 50).unwrap().value.cursor.unwrap();
    let new = push_n(&net, 3, 100);
    net.clear_requests();
    let t = c.home_timeline(Some(&cursor), 50).unwrap().value;
    assert_eq!(ids(&t), new);
    assert_eq!(t.calls, 1);
    let reads: Vec<_> = net.requests().into_iter().filter(|r| r.path.contains("home_timeline")).collect();
    assert_eq!(reads.len(), 1, "one read, no empty second page: {reads:?}");
    assert!(!reads[0].query.contains("max_id="), "{}", reads[0].query);
    // Nothing new at all: still one request.
    net.clear_requests();
    let t = c.home_timeline(Some(&new[2].to_string()), 50).unwrap().value;
    assert_eq!((t.posts.len(), t.cursor, t.calls), (0, None, 1));
    assert_eq!(net.request_count(), 1);
}

#[test]
fn no_timeline_reader_asks_for_an_empty_page_when_caught_up() {
    let net = fake();
    push_n(&net, 10, 0);
    for (name, mut c) in all(&net) {
        let cursor = c.home_timeline(None, 50).unwrap().value.cursor.unwrap();
        push_n(&net, 2, 100);
        net.clear_requests();
        let t = c.home_timeline(Some(&cursor), 50).unwrap().value;
        assert_eq!((t.posts.len(), t.calls), (2, 1), "{name}");
        assert_eq!(net.request_count(), 1, "{name}: {:?}", net.requests());
    }
}

#[test]
fn x_timeline_cursors_never_move_back() {
    let net = fake();
    let old = push_n(&net, 10, 0);
    let since = old[9].to_string();

    // v1.1: a server that answers with tweets at or below since_id.
    let mut c = xv1(&net);
    net.fail_next(1, Fault::OlderThanSince, Some("home_timeline"));
    let t = c.home_timeline(Some(&since), 50).unwrap().value;
    assert!(t.posts.is_empty(), "old tweets cached again: {:?}", ids(&t));
    assert_eq!(t.cursor, None, "the cursor must not move back");
    let new = push_n(&net, 2, 100);
    net.fail_next(1, Fault::OlderThanSince, Some("home_timeline"));
    let t = c.home_timeline(Some(&since), 50).unwrap().value;
    assert_eq!((t.posts.len(), t.cursor), (0, None));
    let t = c.home_timeline(Some(&since), 50).unwrap().value;
    assert_eq!((ids(&t), t.cursor), (new.clone(), Some(new[1].to_string())));

    // v2: meta.newest_id that is not a number, or not above since_id, is Malformed.
    let mut c = xv2(&net);
    let since = new[1].to_string();
    let newer = push_n(&net, 2, 200);
    for (fault, why) in [
        (Fault::NewestId("abc".into()), "not a number"),
        (Fault::NewestId("1".into()), "not newer"),
        (Fault::NewestId(since.clone()), "not newer"),
        (Fault::OlderThanSince, "not newer"),
    ] {
        net.fail_next(1, fault.clone(), Some("/timelines/"));
        let e = c.home_timeline(Some(&since), 50).unwrap_err();
        assert_eq!(e.kind, NetErrorKind::Malformed, "{fault:?}");
        assert!(e.message.contains(why) && e.message.contains("cursor is kept"), "{fault:?}: {}", e.message);
    }
    let t = c.home_timeline(Some(&since), 50).unwrap().value;
    assert_eq!((ids(&t), t.cursor), (newer.clone(), Some(newer[1].to_string())));
}

#[test]
fn permanent_refusals_of_a_post_are_rejected() {
    let net = fake();
    let mut m = masto(&net);
    net.reject_posts(None, "バリデーションに失敗しました: テキストが不適切です");
    let e = m.post("hello", "key-1", &Default::default()).unwrap_err();
    assert_eq!(e.kind, NetErrorKind::Rejected, "{}", e.message);
    assert!(e.message.contains("バリデーション"), "{}", e.message);
    assert_eq!(net.rejected(), vec!["hello".to_string()]);
    // One-time: the next post goes through.
    assert!(m.post("hello again", "key-2", &Default::default()).is_ok());

    let mut x = xv2(&net);
    net.reject_posts(Some("spam spam"), "This Tweet violates our rules.");
    for _ in 0..2 {
        let e = x.post("spam spam", "", &Default::default()).unwrap_err();
        assert_eq!(e.kind, NetErrorKind::Rejected, "{}", e.message);
    }
    assert!(x.post("ham", "", &Default::default()).is_ok());
    // A bare 403 (an account problem, not the text) is not a rejection.
    net.fail_next(1, Fault::Status(403), Some("/2/tweets"));
    assert_eq!(x.post("eggs", "", &Default::default()).unwrap_err().kind, NetErrorKind::Refused);
    net.fail_next(1, Fault::Status(422), Some("/api/v1/statuses"));
    assert_eq!(m.post("eggs", "key-3", &Default::default()).unwrap_err().kind, NetErrorKind::Rejected);
}

#[test]
fn rate_headers_are_reported() {
    let net = fake();
    push_n(&net, 3, 0);
    for (name, mut c) in all(&net) {
        let r = c.home_timeline(None, 5).unwrap();
        let t = r.rates.iter().find(|x| x.call == Call::Timeline).unwrap_or_else(|| panic!("{name}"));
        assert!(t.limit.is_some() && t.remaining < t.limit.unwrap(), "{name}: {t:?}");
        assert!(t.reset > 1_700_000_000, "{name}: {t:?}");
    }
}

#[test]
fn timeouts_and_resets() {
    let net = fake();
    for (name, mut c) in all(&net) {
        // A read that never answers: Server, "timed out", quickly, not performed.
        net.fail_next(1, Fault::Timeout, None);
        let started = Instant::now();
        let e = c.verify().unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5), "{name}: took {:?}", started.elapsed());
        assert_eq!(e.kind, NetErrorKind::Server, "{name}");
        assert!(e.message.contains("timed out"), "{name}: {}", e.message);
        assert!(!e.maybe_performed, "{name}");

        // A post that was performed but never answered: maybe_performed.
        net.fail_next(1, Fault::PerformThenTimeout, None);
        let text = format!("performed on {name}");
        let e = c.post(&text, &format!("key-{name}"), &Default::default()).unwrap_err();
        assert_eq!(e.kind, NetErrorKind::Server, "{name}");
        assert!(e.maybe_performed, "{name}");
        assert!(net.posts_by("bot").iter().any(|p| p.text == text), "{name}: the fake performed it");

        // Connection closed without an answer.
        net.fail_next(1, Fault::Reset, None);
        let e = c.verify().unwrap_err();
        assert_eq!(e.kind, NetErrorKind::Server, "{name}: {}", e.message);
        net.fail_next(1, Fault::Reset, None);
        let e = c.post(&format!("reset on {name}"), "k-reset", &Default::default()).unwrap_err();
        assert_eq!(e.kind, NetErrorKind::Server, "{name}: {}", e.message);
        assert!(e.maybe_performed, "{name}: a POST whose answer was lost may have happened");
        c.verify().unwrap_or_else(|e| panic!("{name}: recovers: {e}"));
    }
}

#[test]
fn cannot_connect() {
    // A port nothing listens on (bind, learn the port, drop).
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let ep = Endpoint {
        kind: PlatformKind::Mastodon,
        api: format!("http://127.0.0.1:{port}"),
        creds: Credentials { access_token: "t".into(), ..Credentials::default() },
        account_id: None,
    };
    let e = Mastodon::new(ep, now()).with_timeout(SHORT).post("x", "k", &Default::default()).unwrap_err();
    // Told apart from a failing server (doctor's fix differs), retried next run like one.
    assert_eq!(e.kind, NetErrorKind::Unreachable);
    assert_eq!(e.exit_kind(), botfarm::error::Kind::TempFail);
    assert!(e.message.contains("could not connect to 127.0.0.1"), "{}", e.message);
    assert!(!e.maybe_performed);
}

#[test]
fn no_access_and_known_account_id() {
    let net = fake();
    let id = net.add_x_user("other", "ck2", "cs2", "tok2", "sec2");
    // A known account id saves the /2/users/me call.
    let mut ep = endpoint(&net, PlatformKind::X);
    ep.creds = Credentials {
        consumer_key: "ck2".into(),
        consumer_secret: "cs2".into(),
        access_token: "tok2".into(),
        access_secret: "sec2".into(),
    };
    ep.account_id = Some(id.clone());
    let mut c = XV2::new(ep, now()).with_timeout(SHORT);
    let t = c.home_timeline(None, 5).unwrap().value;
    assert_eq!(t.calls, 1);
    assert_eq!(c.account_id(), Some(id));
    net.fail_next(1, Fault::Status(403), Some("/timelines/"));
    let e = c.home_timeline(None, 5).unwrap_err();
    assert_eq!(e.kind, NetErrorKind::Refused, "{}", e.message);
}

#[test]
fn x_pin_flow() {
    let net = FakeNet::start();
    net.add_x_user("owner", CK, CS, "owner-token", "owner-secret");
    net.set_pending_x_auth_user("newbot");
    let (token, secret) = auth::x_request_token(&net.url(), CK, CS, now()).unwrap();
    let url = auth::x_authorize_url(&net.url(), &token);
    assert!(url.starts_with(&format!("{}/oauth/authorize?oauth_token=", net.url())), "{url}");
    let pin = net.x_pin_for(&token).expect("pin");
    let e = auth::x_access_token(&net.url(), CK, CS, &token, &secret, "0000000", now()).unwrap_err();
    assert!(matches!(e.kind, NetErrorKind::Auth | NetErrorKind::Refused), "{e:?}");
    // A wrong PIN may burn the request token; start over if so.
    let (token, secret, pin) = match net.x_pin_for(&token) {
        Some(p) if p == pin => (token, secret, pin),
        _ => {
            let (t, s) = auth::x_request_token(&net.url(), CK, CS, now()).unwrap();
            let p = net.x_pin_for(&t).unwrap();
            (t, s, p)
        }
    };
    let (at, as_, screen) = auth::x_access_token(&net.url(), CK, CS, &token, &secret, &pin, now()).unwrap();
    assert_eq!(screen, "newbot");
    let ep = Endpoint {
        kind: PlatformKind::X,
        api: net.url(),
        creds: Credentials {
            consumer_key: CK.into(),
            consumer_secret: CS.into(),
            access_token: at,
            access_secret: as_,
        },
        account_id: None,
    };
    assert_eq!(XV2::new(ep, now()).verify().unwrap().value.username, "newbot");
    // Wrong app keys: Auth.
    let e = auth::x_request_token(&net.url(), CK, "bad", now()).unwrap_err();
    assert_eq!(e.kind, NetErrorKind::Auth, "{}", e.message);
    assert_eq!(
        auth::x_authorize_url("https://api.x.com", "T"),
        "https://api.x.com/oauth/authorize?oauth_token=T"
    );
}

#[test]
fn mastodon_app_flow() {
    let net = FakeNet::start();
    net.set_pending_mastodon_auth_user("tooter");
    let (client_id, client_secret) = auth::mastodon_register_app(&net.url(), now()).unwrap();
    let url = auth::mastodon_authorize_url(&net.url(), &client_id);
    assert!(url.contains("response_type=code") && url.contains("client_id="), "{url}");
    let code = net.mastodon_code_for(&client_id).expect("code");
    let token = auth::mastodon_exchange_code(&net.url(), &client_id, &client_secret, &code, now()).unwrap();
    let ep = Endpoint {
        kind: PlatformKind::Mastodon,
        api: net.url(),
        creds: Credentials { access_token: token, ..Credentials::default() },
        account_id: None,
    };
    assert_eq!(Mastodon::new(ep, now()).verify().unwrap().value.username, "tooter");
    let e =
        auth::mastodon_exchange_code(&net.url(), &client_id, "wrong-secret", "bad-code", now()).unwrap_err();
    assert!(matches!(e.kind, NetErrorKind::Auth | NetErrorKind::Refused), "{e:?}");
    assert!(!e.message.contains("wrong-secret"), "{}", e.message);
}

/// A server that quotes the request's credentials in its answers (an auth error, a server
/// error, a 200 that is not the documented shape): the clients `connect` makes and the auth
/// flows never carry a secret, nor 8 characters of one, in an error message.
#[test]
fn errors_never_carry_the_credentials_a_server_echoes() {
    let net = fake();
    let secrets = [CK, CS, TOKEN, SECRET, BEARER];
    let check = |what: &str, message: &str| {
        if let Some(s) = support::leak(message, &secrets) {
            panic!("{what}: {s} in {message:?}");
        }
    };
    for kind in [PlatformKind::X, PlatformKind::XV1, PlatformKind::Mastodon] {
        for code in [401, 500, 503, 200] {
            let mut c = botfarm::net::connect(endpoint(&net, kind), now());
            net.fail_next(1, Fault::EchoCredentials(code), None);
            let e = c.home_timeline(None, 5).unwrap_err();
            check(&format!("{} timeline answered {code}", kind.name()), &e.message);
            assert!(e.message.contains("[secret]"), "{}", e.message);
            net.fail_next(1, Fault::EchoCredentials(code), None);
            let e = c.post("hello", "key-1", &Default::default()).unwrap_err();
            check(&format!("{} post answered {code}", kind.name()), &e.message);
        }
    }
    net.fail_next(1, Fault::EchoCredentials(401), Some("/oauth/request_token"));
    let e = auth::x_request_token(&net.url(), CK, CS, now()).unwrap_err();
    check("request token", &e.message);
    let (token, secret) = auth::x_request_token(&net.url(), CK, CS, now()).unwrap();
    net.fail_next(1, Fault::EchoCredentials(401), Some("/oauth/access_token"));
    let e = auth::x_access_token(&net.url(), CK, CS, &token, &secret, "1234567", now()).unwrap_err();
    assert!(e.message.contains("[secret]"), "{}", e.message);
    assert!(!e.message.contains(&token[..8]), "{}", e.message);
    let (client_id, client_secret) = auth::mastodon_register_app(&net.url(), now()).unwrap();
    net.fail_next(1, Fault::EchoCredentials(401), Some("/oauth/token"));
    let e = auth::mastodon_exchange_code(&net.url(), &client_id, &client_secret, "code", now()).unwrap_err();
    assert!(e.message.contains("[secret]"), "{}", e.message);
    assert!(!e.message.contains(&client_secret[..8]), "{}", e.message);
}
