//! Readers that follow named public accounts (`--follow`) through the real binary against the
//! fake network, and against answers a real Mastodon server gave (`fixtures/mastodon/`): no
//! credentials on Mastodon and Bluesky, one list call per account per run, lookups once (the
//! stable id stored), one account failing never stops the others, renamed accounts followed by
//! their id, and consent (`#nobot`, `#noai`) honoured by not reading and removing what was
//! cached.

mod support;
use botfarm::sim::{AccountFate, Fault, SourcePost};
use serde_json::Value;
use support::net::{rfc, Net, CK, CS, T0};

const DAY: i64 = 86_400;

/// `@user@instance` of an account on the fake Mastodon.
fn acct(n: &Net, user: &str) -> String {
    format!("@{user}@{}", n.fake.url().trim_start_matches("http://"))
}

/// Publish `count` posts by `author` on the fake, at its clock.
fn publish(n: &Net, author: &str, count: usize, tag: &str) {
    for i in 0..count {
        n.fake.publish(SourcePost::new(author, &format!("{tag} {i} by {author}, about cats")));
    }
}

/// A Mastodon reader `r` following `users` on the fake, created without any credentials.
fn masto_follower(n: &Net, users: &[&str], extra: &[&str]) {
    let specs: Vec<String> = users.iter().map(|u| acct(n, u)).collect();
    let mut args = vec!["create", "reader", "r", "--platform", "mastodon"];
    for s in &specs {
        args.extend(["--follow", s.as_str()]);
    }
    args.extend_from_slice(extra);
    n.farm.run(&args).ok();
}

/// `farm show r --json`.
fn show(n: &Net, bot: &str) -> Value {
    n.farm.run(&["show", bot, "--json"]).ok().json()
}

/// The followed account whose name or spec contains `part`, from `farm show --json`.
fn follow<'a>(v: &'a Value, part: &str) -> &'a Value {
    v["follows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["account"].as_str().unwrap().contains(part) || f["name"].as_str().unwrap().contains(part))
        .unwrap_or_else(|| panic!("no followed account {part} in {v}"))
}

/// The texts `reader` caches, oldest first.
fn cached(n: &Net, reader: &str) -> Vec<String> {
    let store = botfarm::store::Store::open(&n.farm.db()).unwrap();
    let posts = store.posts_after(reader, 0, 10_000).unwrap();
    support::close_store(store);
    posts.into_iter().map(|p| p.text).collect()
}

/// Requests whose path contains `part`, with their queries.
fn queries(n: &Net, part: &str) -> Vec<String> {
    n.fake.requests().into_iter().filter(|r| r.path.contains(part)).map(|r| r.query).collect()
}

#[test]
fn a_mastodon_reader_follows_public_accounts_without_credentials() {
    let mut n = Net::new();
    n.fake.set_now(Some(T0 - 3600));
    publish(&n, "alice", 3, "a");
    publish(&n, "bob", 2, "b");
    masto_follower(&n, &["alice", "bob"], &[]);
    let v = show(&n, "r");
    assert_eq!(v["status"], "ok", "a reader of public accounts needs no auth: {v}");
    // Nothing to check: no credentials, no call.
    let checked = n.farm.run(&["check", "--json"]).ok().json();
    assert_eq!(
        (checked[0]["ok"].as_bool(), checked[0]["account"].as_str()),
        (Some(true), Some("(none: reads public accounts)"))
    );
    let doctor = n.farm.run(&["doctor", "--json"]).json();
    assert!(!doctor.to_string().contains("no user tokens"), "{doctor}");
    assert!(n.fake.requests().is_empty(), "{:#?}", n.fake.requests());
    assert_eq!(v["reads_home"], false);
    assert_eq!(follow(&v, "alice")["status"], "new");
    // The reader's API defaults to the first account's instance.
    assert_eq!(v["api"], n.fake.url());

    let out = n.synced(T0, &["run", "-v"]).ok();
    assert!(out.all().contains("read 5 new posts"), "{}", out.all());
    // One lookup and one list of statuses per account, without any token.
    let reqs = n.fake.requests();
    assert_eq!(reqs.len(), 4, "{reqs:#?}");
    assert!(reqs.iter().all(|r| r.user.is_none() && r.status == 200), "{reqs:#?}");
    assert_eq!(n.count("/api/v1/accounts/lookup"), 2);
    let v = show(&n, "r");
    let a = follow(&v, "alice");
    assert_eq!(a["status"], "ok");
    assert!(a["id"].as_str().unwrap().parse::<u64>().is_ok(), "the stable id is stored: {a}");
    assert!(a["cursor"].is_string() && a["last_read"].is_string() && a["fetched"] == 3, "{a}");
    assert_eq!(cached(&n, "r").len(), 5);
    let stats = n.farm.run(&["stats", "--json"]).ok().json();
    assert_eq!((stats[0]["follows_ok"].as_u64(), stats[0]["follows_total"].as_u64()), (Some(2), Some(2)));
    let table = n.farm.run_env(&["stats"], &[("COLUMNS", "300")]).ok().stdout;
    assert!(table.contains("2/2 ok"), "{table}");

    // The next run: one statuses call per account, forward from each cursor, no lookup.
    n.fake.clear_requests();
    n.fake.set_now(Some(T0 + 1800));
    publish(&n, "alice", 1, "a2");
    let out = n.synced(T0 + 3600, &["run", "-v"]).ok();
    assert!(out.all().contains("read 1 new posts"), "{}", out.all());
    let reqs = n.fake.requests();
    assert_eq!(reqs.len(), 2, "{reqs:#?}");
    for q in queries(&n, "/statuses") {
        assert!(q.contains("min_id=") && q.contains("exclude_reblogs=true"), "{q}");
    }
    // A writer posts them like any reader's posts.
    n.masto_bot("writer", "w", &["--source", "r", "--template", "{}"]);
    n.synced(T0 + 3700, &["run", "w"]).ok();
    assert_eq!(n.posted("w"), ["a 0 by alice, about cats"]);

    // A day after the lookup, each profile is read again (consent, name) before its posts.
    n.fake.clear_requests();
    n.synced(T0 + DAY + 60, &["run", "r"]).ok();
    assert_eq!(n.count("/api/v1/accounts/lookup"), 0);
    assert_eq!(n.fake.requests().len(), 4, "{:#?}", n.fake.requests());
}

#[test]
fn one_account_gone_or_suspended_does_not_stop_the_others() {
    let mut n = Net::new();
    n.fake.set_now(Some(T0 - 3600));
    publish(&n, "alice", 2, "a");
    publish(&n, "bob", 2, "b");
    publish(&n, "carol", 2, "c");
    masto_follower(&n, &["alice", "bob", "carol"], &[]);
    n.fake.set_account_fate("bob", Some(AccountFate::Deleted));
    n.fake.set_account_fate("carol", Some(AccountFate::Suspended));
    let out = n.synced(T0, &["run", "-v"]).ok();
    assert!(out.all().contains("read 2 new posts") && out.all().contains("2 unreadable"), "{}", out.all());
    let v = show(&n, "r");
    assert_eq!(v["status"], "ok");
    assert_eq!(follow(&v, "alice")["status"], "ok");
    assert_eq!(follow(&v, "bob")["status"], "gone");
    assert_eq!(follow(&v, "carol")["status"], "suspended");
    let text = n.farm.run(&["show", "r"]).ok().stdout;
    assert!(
        text.contains("gone (its server does not know it)") && text.contains("suspended by its server"),
        "{text}"
    );
    assert!(n.farm.run_env(&["stats"], &[("COLUMNS", "300")]).ok().stdout.contains("1/3 ok"));
    assert!(n.farm.run(&["stats", "r"]).ok().stdout.contains("follows 1/3 ok"));
    let log = n.farm.run(&["log", "r"]).ok().stdout;
    assert!(log.contains("bob@") && log.contains("gone"), "{log}");

    // Unreadable accounts are not asked again before their daily check.
    n.fake.clear_requests();
    n.synced(T0 + 3600, &["run"]).ok();
    assert_eq!(n.fake.requests().len(), 1, "only alice's statuses: {:#?}", n.fake.requests());

    // When none can be read, the run fails with one line saying what to do (exit 78).
    n.fake.set_account_fate("alice", Some(AccountFate::Moved("alice2".into())));
    let out = n.synced(T0 + 2 * DAY, &["run", "r"]);
    out.one_line_error(78, "no followed account can be read");
    let v = show(&n, "r");
    assert_eq!(follow(&v, "alice")["status"], "moved");
    assert!(follow(&v, "alice")["status_text"].as_str().unwrap().contains("alice2"), "{v}");
    assert_eq!(v["status"], "failing");
    // Their posts cached before stay.
    assert_eq!(cached(&n, "r").len(), 2);
}

#[test]
fn a_failing_server_fails_one_account_and_all_failing_fails_the_run_softly() {
    let mut n = Net::new();
    n.fake.set_now(Some(T0 - 3600));
    publish(&n, "alice", 2, "a");
    publish(&n, "bob", 2, "b");
    masto_follower(&n, &["alice", "bob"], &[]);
    n.synced(T0, &["run"]).ok();
    publish(&n, "alice", 1, "a2");
    publish(&n, "bob", 1, "b2");
    // One account's answer is garbage: that account fails, the other is read.
    n.fake.fail_next(1, Fault::Garbage, Some("/statuses"));
    let out = n.synced(T0 + 3600, &["run", "-v"]).ok();
    assert!(out.all().contains("read 1 new posts") && out.all().contains("1 failing"), "{}", out.all());
    let v = show(&n, "r");
    let failing: Vec<&Value> =
        v["follows"].as_array().unwrap().iter().filter(|f| f["status"] == "failing").collect();
    assert_eq!(failing.len(), 1, "{v}");
    assert!(failing[0]["last_error"].as_str().unwrap().contains("not valid JSON"), "{v}");
    // Its cursor stayed: the next run reads its post.
    let out = n.synced(T0 + 7200, &["run", "-v"]).ok();
    assert!(out.all().contains("read 1 new posts"), "{}", out.all());
    assert_eq!(cached(&n, "r").len(), 6);
    assert_eq!(
        show(&n, "r")["follows"].as_array().unwrap().iter().filter(|f| f["status"] == "ok").count(),
        2
    );
    // Every account failing for a passing reason: exit 75, nothing lost.
    publish(&n, "alice", 1, "a3");
    n.fake.fail_next(2, Fault::Status(503), Some("/statuses"));
    n.synced(T0 + 3 * 3600, &["run", "r"]).one_line_error(75, "server error");
    n.synced(T0 + 4 * 3600, &["run", "r"]).ok();
    assert_eq!(cached(&n, "r").len(), 7);
    // A 429 holds that server's accounts until its reset, without another request.
    publish(&n, "bob", 1, "b3");
    n.fake.fail_next(1, Fault::RateLimited { reset: T0 + 6 * 3600 }, Some("/statuses"));
    n.synced(T0 + 5 * 3600, &["run", "r"]);
    n.fake.clear_requests();
    n.synced(T0 + 5 * 3600 + 1800, &["run", "r", "--force"]).ok();
    assert!(n.fake.requests().is_empty(), "{:#?}", n.fake.requests());
    n.synced(T0 + 7 * 3600, &["run", "r"]).ok();
    assert_eq!(cached(&n, "r").len(), 8);
}

#[test]
fn consent_withdrawn_stops_reading_and_removes_what_was_cached() {
    let mut n = Net::new();
    n.fake.set_now(Some(T0 - 3600));
    publish(&n, "alice", 3, "a");
    publish(&n, "bob", 2, "b");
    masto_follower(&n, &["alice", "bob"], &[]);
    n.masto_bot("writer", "w", &["--source", "r", "--template", "{}", "--every", "1h"]);
    n.synced(T0, &["run"]).ok();
    assert_eq!(cached(&n, "r").len(), 5);
    // Alice says #NoBot in her bio: seen at the daily check, her cached posts go.
    n.fake.set_profile_note("alice", "Writer. Please, #NoBot here.");
    n.fake.set_now(Some(T0 + 3600));
    publish(&n, "alice", 1, "a-after");
    n.synced(T0 + DAY + 60, &["run", "r"]).ok();
    let v = show(&n, "r");
    assert_eq!(follow(&v, "alice")["status"], "no consent", "{v}");
    let left = cached(&n, "r");
    assert!(left.iter().all(|t| !t.contains("alice")), "{left:?}");
    assert_eq!(left.len(), 2, "bob's posts stay: {left:?}");
    assert_eq!(v["state"]["cached"], left.len());
    let log = n.farm.run(&["log", "r", "--json"]).ok().json();
    let consent: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "consent")
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(consent.iter().any(|m| m.contains("#nobot or #noai")), "{consent:?}");
    assert!(consent.iter().any(|m| m.contains("removed the 3 cached posts")), "{consent:?}");
    // Her statuses are not read any more; no writer posts her words.
    n.fake.clear_requests();
    n.synced(T0 + DAY + 3600, &["run"]).ok();
    assert_eq!(queries(&n, "/api/v1/accounts/").len(), 1, "only bob's: {:#?}", n.fake.requests());
    assert!(n.posted("w").iter().all(|t| !t.contains("alice") || t.contains("a 0")), "{:?}", n.posted("w"));
    // She takes it back: seen at the next daily check, read again from then on, never what
    // she posted before it.
    n.fake.set_profile_note("alice", "Writer.");
    n.fake.set_now(Some(T0 + DAY + 7200));
    publish(&n, "alice", 1, "a-meanwhile");
    n.synced(T0 + 2 * DAY, &["run", "r"]).ok();
    assert_eq!(follow(&show(&n, "r"), "alice")["status"], "no consent", "checked once a day");
    n.synced(T0 + 2 * DAY + 120, &["run", "r", "--force"]).ok();
    assert_eq!(follow(&show(&n, "r"), "alice")["status"], "ok");
    n.fake.set_now(Some(T0 + 2 * DAY + 600));
    publish(&n, "alice", 1, "a-back");
    n.synced(T0 + 2 * DAY + 3600, &["run", "r"]).ok();
    let texts = cached(&n, "r");
    assert!(texts.iter().any(|t| t.starts_with("a-back")), "{texts:?}");
    assert!(!texts.iter().any(|t| t.starts_with("a-after") || t.starts_with("a-meanwhile")), "{texts:?}");
}

#[test]
fn a_new_account_that_says_nobot_is_never_read() {
    let mut n = Net::new();
    publish(&n, "alice", 2, "a");
    n.fake.set_profile_note("alice", "#noai #nobot");
    masto_follower(&n, &["alice"], &[]);
    n.synced(T0, &["run", "r"]).one_line_error(78, "no followed account can be read");
    assert_eq!(n.count("/statuses"), 0);
    assert_eq!(follow(&show(&n, "r"), "alice")["status"], "no consent");
}

#[test]
fn recorded_answers_of_a_real_mastodon_server() {
    let mut n = Net::new();
    let spec = acct(&n, "mastodonpy_test");
    n.farm.run(&["create", "reader", "r", "--platform", "mastodon", "--follow", &spec]).ok();
    let lookup = include_str!("../fixtures/mastodon/lookup.json");
    let statuses = include_str!("../fixtures/mastodon/account_statuses.json");
    n.fake.fail_next(1, Fault::Json(lookup.into()), Some("/accounts/lookup"));
    n.fake.fail_next(1, Fault::Json(statuses.into()), Some("/statuses"));
    let out = n.at(T0 + 300 * DAY, &["run", "-v"]).ok();
    assert!(out.all().contains("read 5 new posts"), "{}", out.all());
    assert_eq!(cached(&n, "r"), (5..=9).map(|i| format!("Toot number {i}!")).collect::<Vec<_>>());
    let v = show(&n, "r");
    let a = follow(&v, "mastodonpy_test");
    assert_eq!(
        (a["id"].as_str(), a["cursor"].as_str()),
        (Some("117020565966271181"), Some("117020580518794573"))
    );
    assert_eq!(a["status"], "ok");
    // The statuses were asked for at the id the lookup gave.
    assert_eq!(n.count("/api/v1/accounts/117020565966271181/statuses"), 1);
    // A name the server does not know: 404 `Record not found` (as `lookup_404.json` recorded).
    let mut m = Net::new();
    m.farm.run(&["create", "reader", "r", "--platform", "mastodon", "--follow", &acct(&m, "nobody")]).ok();
    m.at(T0, &["run", "r"]).one_line_error(78, "no followed account can be read");
    assert_eq!(follow(&show(&m, "r"), "nobody")["status"], "gone");
}

/// A Bluesky reader `r` following `handles` on the fake (its PLC directory too), no credentials.
fn bsky_follower(n: &Net, handles: &[&str]) {
    let url = n.fake.url();
    let mut args = vec!["create", "reader", "r", "--platform", "bluesky", "--api", &url, "--plc", &url];
    for h in handles {
        args.extend(["--follow", h]);
    }
    n.farm.run(&args).ok();
}

#[test]
fn a_bluesky_reader_reads_authors_forward_with_list_records() {
    let mut n = Net::new();
    n.fake.set_now(Some(T0 - 3600));
    publish(&n, "alice.example", 3, "a");
    publish(&n, "bob.example", 1, "b");
    bsky_follower(&n, &["alice.example", "@Bob.Example"]);
    let out = n.synced(T0, &["run", "-v"]).ok();
    assert!(out.all().contains("read 4 new posts"), "{}", out.all());
    let v = show(&n, "r");
    let a = follow(&v, "alice");
    assert!(a["id"].as_str().unwrap().starts_with("did:plc:"), "{a}");
    assert_eq!(a["server"], n.fake.url());
    assert!(n.fake.requests().iter().all(|r| r.user.is_none()), "no token anywhere");
    // The first read takes the newest page; the next ones go forward from the last record key.
    n.fake.clear_requests();
    n.fake.set_now(Some(T0 + 600));
    publish(&n, "alice.example", 2, "a2");
    let out = n.synced(T0 + 3600, &["run", "-v"]).ok();
    assert!(out.all().contains("read 2 new posts"), "{}", out.all());
    let lists = queries(&n, "com.atproto.repo.listRecords");
    assert_eq!(lists.len(), 2, "{lists:?}");
    assert!(lists.iter().all(|q| q.contains("reverse=true") && q.contains("cursor=")), "{lists:?}");
    let texts = cached(&n, "r");
    assert_eq!(texts.len(), 6);
    assert!(texts[4].starts_with("a2 0") && texts[5].starts_with("a2 1"), "{texts:?}");

    // Deactivated by its owner: that status; the other goes on.
    n.fake.set_account_fate("bob.example", Some(AccountFate::Deactivated));
    n.synced(T0 + 7200, &["run"]).ok();
    assert_eq!(follow(&show(&n, "r"), "bob")["status"], "deactivated");
    // Renamed: followed by its DID, and `show` says so at the next daily check.
    n.fake.rename_account("alice.example", "alice.new.example");
    n.fake.set_now(Some(T0 + DAY));
    publish(&n, "alice.new.example", 1, "renamed");
    n.synced(T0 + DAY + 3600, &["run"]).ok();
    let v = show(&n, "r");
    let a = follow(&v, "alice");
    assert_eq!(a["status"], "renamed", "{a}");
    assert_eq!(
        (a["name"].as_str(), a["account"].as_str()),
        (Some("alice.new.example"), Some("alice.example"))
    );
    assert!(cached(&n, "r").iter().any(|t| t.starts_with("renamed")));
    // Consent on Bluesky is the profile record's description.
    n.fake.set_profile_note("alice.new.example", "no bots please #NoAI");
    n.synced(T0 + 2 * DAY + 3600, &["run"]).code(78);
    assert_eq!(follow(&show(&n, "r"), "alice")["status"], "no consent");
    assert!(cached(&n, "r").iter().all(|t| !t.starts_with('a') && !t.starts_with("renamed")));
    // And --unfollow takes it by either name.
    n.farm.run(&["edit", "r", "--unfollow", "alice.new.example"]).ok();
    assert_eq!(show(&n, "r")["follows"].as_array().unwrap().len(), 1);
}

#[test]
fn an_x_reader_follows_users_with_its_keys_and_says_what_it_costs() {
    let mut n = Net::new();
    n.fake.add_x_user("carol", CK, CS, "tok-carol-0123456789", "sec-carol-0123456789");
    n.fake.publish(SourcePost::new("dave", "an original post by dave"));
    n.fake.publish(SourcePost::new("dave", "dave reposts").repost_of("erin"));
    n.fake.publish(SourcePost::new("frank", "frank keeps his posts to himself"));
    n.fake.set_account_fate("frank", Some(AccountFate::Protected));
    let url = n.fake.url();
    let env = [
        ("FARM_CONSUMER_KEY", CK),
        ("FARM_CONSUMER_SECRET", CS),
        ("FARM_ACCESS_TOKEN", "tok-carol-0123456789"),
        ("FARM_ACCESS_SECRET", "sec-carol-0123456789"),
    ];
    let args =
        ["create", "reader", "r", "--platform", "x", "--api", &url, "--follow", "@dave", "--follow", "frank"];
    let out = n.farm.run_env(&args, &env).ok();
    assert!(out.stderr.contains("$0.005 a post") && out.stderr.contains("2026-08-28"), "{}", out.stderr);
    // The X reader needs its keys (X bills every read).
    let bare = n.farm.run(&["create", "reader", "r2", "--platform", "x", "--api", &url, "--follow", "@dave"]);
    assert_eq!(bare.code, 78, "{}", bare.stderr);
    n.at(T0, &["run", "-v"]).ok();
    let v = show(&n, "r");
    assert_eq!(follow(&v, "dave")["status"], "ok");
    assert_eq!(follow(&v, "frank")["status"], "blocked");
    assert_eq!(cached(&n, "r"), ["an original post by dave"], "retweets are left out unless asked");
    let q = queries(&n, "/tweets");
    assert!(q.iter().all(|q| q.contains("exclude=retweets")), "{q:?}");
    assert!(n.count("/2/users/by/username/dave") == 1);
    let text = n.farm.run(&["show", "r"]).ok().stdout;
    assert!(text.contains("x cost") && text.contains("$0.005 for the 1 posts read"), "{text}");
    // Its reads are in the stats bill too.
    let stats = n.farm.run(&["stats", "--json"]).ok().json();
    let row = stats.as_array().unwrap().iter().find(|r| r["name"] == "r").unwrap().clone();
    assert!(row["cost_30d"].as_f64().unwrap() >= 0.005, "{row}");
    // The same price list as the stats bill: the operator's price is the one used.
    n.farm.run(&["app", "set", "x", "--read-price", "0.01"]).ok();
    let text = n.farm.run(&["show", "r"]).ok().stdout;
    assert!(text.contains("$0.010 for the 1 posts read"), "{text}");
    n.farm.run(&["app", "set", "x", "--read-price", "default"]).ok();
    // With --reposts, the next posts include them.
    n.farm.run(&["edit", "r", "--reposts"]).ok();
    n.fake.publish(SourcePost::new("dave", "dave again").repost_of("erin"));
    n.at(T0 + 3600, &["run"]).ok();
    assert!(!queries(&n, "/tweets").last().unwrap().contains("exclude="), "{:?}", queries(&n, "/tweets"));
    // Both reposts made since the cursor.
    assert_eq!(cached(&n, "r"), ["an original post by dave", "dave reposts", "dave again"]);
    // Suspended by X: that status, at the next look.
    n.fake.set_account_fate("dave", Some(AccountFate::Suspended));
    n.at(T0 + DAY + 3600, &["run", "r"]).code(78);
    assert_eq!(follow(&show(&n, "r"), "dave")["status"], "suspended");
}

#[test]
fn bad_follow_options_are_refused_with_one_line() {
    let n = Net::new();
    let url = n.fake.url();
    let one = |args: &[&str], words: &str| n.farm.run(args).one_line_error(64, words);
    one(
        &["create", "reader", "r", "--platform", "mastodon", "--follow", "https://m.example/@a"],
        "is not a Mastodon account",
    );
    one(&["create", "reader", "r", "--platform", "mastodon", "--follow", "@alice"], "@user@instance");
    one(&["create", "reader", "r", "--platform", "bluesky", "--follow", "alice"], "not a Bluesky handle");
    one(&["create", "reader", "r", "--platform", "x-v1", "--follow", "@a"], "cannot follow accounts");
    one(
        &["create", "reader", "r", "--platform", "feed", "--api", &url, "--follow", "@a"],
        "cannot follow accounts",
    );
    one(
        &[
            "create",
            "reader",
            "r",
            "--platform",
            "mastodon",
            "--api",
            &url,
            "--plc",
            &url,
            "--follow",
            "@a@b.example",
        ],
        "--plc is for Bluesky",
    );
    n.farm.run(&["create", "reader", "r", "--platform", "mastodon", "--follow", "@a@m.example"]).ok();
    one(&["edit", "r", "--unfollow", "@b@m.example"], "does not follow");
    n.masto_bot("writer", "w", &["--source", "r"]);
    one(&["edit", "w", "--follow", "@c@m.example"], "are for readers");
    // Nothing was half done.
    assert_eq!(show(&n, "r")["follows"].as_array().unwrap().len(), 1);
    // The same account twice is followed once; edit adds and removes.
    n.farm.run(&["edit", "r", "--follow", "@A@M.example", "--follow", "@c@m.example"]).ok();
    n.farm.run(&["edit", "r", "--unfollow", "a@m.example"]).ok();
    let v = show(&n, "r");
    let specs: Vec<&str> =
        v["follows"].as_array().unwrap().iter().map(|f| f["account"].as_str().unwrap()).collect();
    assert_eq!(specs, ["c@m.example"]);
    let out = n.farm.run(&["edit", "r", "--follow", "@c@m.example"]).ok();
    assert!(out.stderr.contains("nothing changed"), "{}", out.stderr);
}

#[test]
fn a_reader_with_home_reads_both_and_its_follows_travel_with_an_export() {
    let mut n = Net::new();
    n.masto_bot("reader", "r", &[]);
    n.fake.set_now(Some(T0 - 3600));
    n.seed("r", 2, "home");
    publish(&n, "alice", 2, "a");
    n.farm.run(&["edit", "r", "--follow", &acct(&n, "alice"), "--home"]).ok();
    let out = n.synced(T0, &["run", "-v"]).ok();
    assert!(
        out.all().contains("read 4 new posts") && out.all().contains("and the home timeline"),
        "{}",
        out.all()
    );
    assert_eq!(n.count("/api/v1/timelines/home"), 1);
    // A 429 on the home timeline holds it until its reset; the accounts are read meanwhile.
    n.fake.fail_next(1, Fault::RateLimited { reset: T0 + 3 * 3600 }, Some("/timelines/home"));
    let out = n.synced(T0 + 3600, &["run", "-v"]).ok();
    assert!(out.all().contains("1 failing"), "{}", out.all());
    n.fake.clear_requests();
    n.fake.set_now(Some(T0 + 2 * 3600 - 60));
    publish(&n, "alice", 1, "a2");
    let out = n.synced(T0 + 2 * 3600, &["run", "-v"]).ok();
    assert!(
        out.all().contains("read 1 new posts") && out.all().contains("held by a rate limit"),
        "{}",
        out.all()
    );
    assert_eq!(n.count("/api/v1/timelines/home"), 0);
    // Without --home, its credentials are no longer used for reading.
    n.farm.run(&["edit", "r", "--no-home"]).ok();
    n.fake.clear_requests();
    n.synced(T0 + 4 * 3600, &["run"]).ok();
    assert_eq!(n.count("/api/v1/timelines/home"), 0);

    // Export and import carry the followed accounts with their cursors.
    let file = n.farm.dir.path().join("farm.tar");
    n.farm.run(&["export", file.to_str().unwrap()]).ok();
    let other = support::Farm::new();
    other.run(&["import", file.to_str().unwrap()]).ok();
    let a = other.run(&["show", "r", "--json"]).ok().json();
    assert_eq!(follow(&a, "alice")["cursor"], follow(&show(&n, "r"), "alice")["cursor"]);
    assert_eq!(follow(&a, "alice")["status"], "ok");
    // Destroying the reader forgets them.
    n.farm.run(&["destroy", "r", "--yes", "--force"]).ok();
    n.masto_bot("reader", "r", &[]);
    assert!(show(&n, "r")["follows"].as_array().unwrap().is_empty());
    let _ = rfc(T0);
}

#[test]
fn posts_cached_again_by_a_run_whose_cursors_were_lost_are_not_doubled() {
    let mut n = Net::new();
    n.fake.set_now(Some(T0 - 7200));
    publish(&n, "bob", 3, "b");
    n.fake.set_now(Some(T0 - 3600));
    publish(&n, "alice", 3, "a");
    masto_follower(&n, &["alice"], &[]);
    n.synced(T0, &["run"]).ok();
    // Bob, followed later, posted before what the reader cached: his posts come after it.
    n.farm.run(&["edit", "r", "--follow", &acct(&n, "bob")]).ok();
    n.synced(T0 + 3600, &["run"]).ok();
    let texts = cached(&n, "r");
    assert_eq!(texts.len(), 6);
    assert!(texts[3..].iter().all(|t| t.starts_with('b')), "{texts:?}");
    // As a run killed after caching and before storing its cursors leaves it.
    let store = botfarm::store::Store::open(&n.farm.db()).unwrap();
    let mut follows = store.follows("r").unwrap();
    for f in &mut follows {
        f.cursor = None;
    }
    store.put_follows("r", &follows).unwrap();
    support::close_store(store);
    let out = n.synced(T0 + 3660, &["run", "r", "--force", "-v"]).ok();
    assert!(out.all().contains("read 0 new posts"), "{}", out.all());
    assert_eq!(cached(&n, "r").len(), 6);
}

#[test]
fn a_run_killed_after_caching_neither_loses_nor_doubles_posts() {
    let mut n = Net::new();
    n.fake.set_now(Some(T0 - 3600));
    publish(&n, "alice", 3, "a");
    publish(&n, "bob", 3, "b");
    masto_follower(&n, &["alice", "bob"], &[]);
    n.farm.env.push(("FARM_CRASH_AT".into(), "follows-cached".into()));
    let crashed = n.synced(T0, &["run"]);
    assert_ne!(crashed.code, 0);
    n.farm.env.clear();
    n.synced(T0 + 60, &["run", "r", "--force"]).ok();
    let mut texts = cached(&n, "r");
    assert_eq!(texts.len(), 6, "{texts:?}");
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), 6, "no post twice");
}
