//! The Bluesky client against the real reference PDS (`@atproto/pds` 0.4.217): logins,
//! sessions, facets, the length limit and exactly-once posting across kill -9 at every step of
//! a send, and a reader following an author (`listRecords`, its DID from the PLC directory).
//! Runs only when `FARM_PDS_URL` names a running server (`tests/pds/pds.sh start` prints one,
//! and `FARM_PLC_URL` its directory; `.ci/run` does it all); without it every test says why it
//! is skipped and passes, so `cargo test` stays offline.

mod support;
use serde_json::{json, Value};
use support::Farm;

/// The server's URL, or `None` (with the reason printed) when the suite is skipped.
fn pds() -> Option<String> {
    match std::env::var("FARM_PDS_URL") {
        Ok(u) if !u.trim().is_empty() => Some(u.trim().trim_end_matches('/').to_string()),
        _ => {
            eprintln!(
                "skipped: FARM_PDS_URL is not set (start the reference PDS with tests/pds/pds.sh start)"
            );
            None
        }
    }
}

/// One XRPC call; the status and the JSON body.
fn xrpc(url: &str, method: &str, nsid: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let full = format!("{url}/xrpc/{nsid}");
    let mut resp = match (method, body) {
        ("GET", _) => {
            let mut r = agent.get(&full);
            if let Some(t) = token {
                r = r.header("Authorization", format!("Bearer {t}"));
            }
            r.call().unwrap()
        }
        (_, b) => {
            let mut r = agent.post(&full).header("Content-Type", "application/json");
            if let Some(t) = token {
                r = r.header("Authorization", format!("Bearer {t}"));
            }
            r.send(b.map(|b| b.to_string()).unwrap_or_default()).unwrap()
        }
    };
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A fresh account on the server: (handle, DID, access token of its main password, app password).
fn account(url: &str) -> (String, String, String, String) {
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let tag: String =
        format!("{:x}", n ^ (std::process::id() as u128) << 20).chars().rev().take(10).collect();
    let handle = format!("farm{tag}.test");
    let (s, v) = xrpc(
        url,
        "POST",
        "com.atproto.server.createAccount",
        None,
        Some(
            json!({"handle": handle, "email": format!("{tag}@example.com"), "password": format!("main-{tag}")}),
        ),
    );
    assert_eq!(s, 200, "createAccount: {v}");
    let access = v["accessJwt"].as_str().unwrap().to_string();
    let did = v["did"].as_str().unwrap().to_string();
    let (s, p) = xrpc(
        url,
        "POST",
        "com.atproto.server.createAppPassword",
        Some(&access),
        Some(json!({"name": "farm"})),
    );
    assert_eq!(s, 200, "createAppPassword: {p}");
    (handle, did, access, p["password"].as_str().unwrap().to_string())
}

/// The account's posts: (rkey, text), newest first.
fn posts(url: &str, did: &str) -> Vec<(String, String)> {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut resp = agent
        .get(format!(
            "{url}/xrpc/com.atproto.repo.listRecords?repo={did}&collection=app.bsky.feed.post&limit=100"
        ))
        .call()
        .unwrap();
    let v: Value = serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let rkey = r["uri"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
            (rkey, r["value"]["text"].as_str().unwrap_or("").to_string())
        })
        .collect()
}

/// A farm with one Bluesky bot `b` for a fresh account.
fn farm_with_bot(url: &str) -> (Farm, String, String, String) {
    let (handle, did, main_access, app_password) = account(url);
    let farm = Farm::new();
    farm.run_env(
        &["create", "reader", "b", "--platform", "bluesky", "--api", url],
        &[("FARM_BLUESKY_HANDLE", &handle), ("FARM_BLUESKY_APP_PASSWORD", &app_password)],
    )
    .ok();
    (farm, did, main_access, handle)
}

/// Replace the bot's stored access token (a garbage or foreign token, as a server might see).
fn set_access_token(farm: &Farm, token: &str) {
    let store = botfarm::store::Store::open(&farm.db()).unwrap();
    let mut bot = store.bot("b").unwrap().unwrap();
    bot.creds.access_token = token.to_string();
    store.put_bot(&bot).unwrap();
    support::close_store(store);
}

#[test]
fn posts_exactly_once_across_kill_9_at_every_step_of_a_send() {
    let Some(url) = pds() else { return };
    let (farm, did, _, _) = farm_with_bot(&url);
    farm.run(&["post", "b", "first post, plain"]).ok();
    assert_eq!(posts(&url, &did).len(), 1);
    for point in ["send-before-request", "send-after-request", "send-before-confirm"] {
        let text = format!("a post killed at {point}");
        let crashed = farm.run_env(&["post", "b", &text], &[("FARM_CRASH_AT", point)]);
        assert_ne!(crashed.code, 0, "{point}: did not crash");
        // The same text again settles the recorded intent by its record key.
        let r = farm.run(&["post", "b", &text]).ok();
        let all = posts(&url, &did);
        let copies = all.iter().filter(|(_, t)| *t == text).count();
        assert_eq!(copies, 1, "{point}: {all:?}\n{}", r.stderr);
        if point != "send-before-request" {
            assert!(r.stderr.contains("already posted"), "{point}: {}", r.stderr);
        }
    }
    assert_eq!(posts(&url, &did).len(), 4);
}

#[test]
fn facets_and_the_300_grapheme_limit() {
    let Some(url) = pds() else { return };
    let (farm, did, _, handle) = farm_with_bot(&url);
    let text = format!("Привет 👨‍👩‍👧‍👦 read https://example.com/a?b=c (#farm) @{handle} @nobody.test");
    farm.run(&["post", "b", &text]).ok();
    let (rkey, _) = posts(&url, &did).remove(0);
    let (s, v) = xrpc(
        &url,
        "GET",
        &format!("com.atproto.repo.getRecord?repo={did}&collection=app.bsky.feed.post&rkey={rkey}"),
        None,
        None,
    );
    assert_eq!(s, 200);
    let facets = v["value"]["facets"].as_array().unwrap();
    let bytes = text.as_bytes();
    let covered: Vec<String> = facets
        .iter()
        .map(|f| {
            let (a, b) = (
                f["index"]["byteStart"].as_u64().unwrap() as usize,
                f["index"]["byteEnd"].as_u64().unwrap() as usize,
            );
            String::from_utf8(bytes[a..b].to_vec()).unwrap()
        })
        .collect();
    assert_eq!(covered, vec!["https://example.com/a?b=c".to_string(), "#farm".into(), format!("@{handle}")]);
    assert_eq!(facets[2]["features"][0]["did"], did.as_str());
    // Over 300 graphemes, or 300 graphemes over 3000 bytes: never sent.
    for long in ["a".repeat(301), "👨‍👩‍👧‍👦".repeat(300)] {
        assert_eq!(farm.run(&["post", "b", &long]).code, 65);
    }
    assert_eq!(farm.run(&["post", "b", &"ы".repeat(300)]).code, 0);
    assert_eq!(posts(&url, &did).len(), 2);
}

#[test]
fn auth_labels_the_account_and_a_refused_token_is_refreshed_not_relogged() {
    let Some(url) = pds() else { return };
    let (farm, did, main_access, handle) = farm_with_bot(&url);
    let (s, p) = xrpc(
        &url,
        "POST",
        "com.atproto.server.createAppPassword",
        Some(&main_access),
        Some(json!({"name": "auth"})),
    );
    assert_eq!(s, 200);
    let pw = p["password"].as_str().unwrap().to_string();
    let r = farm
        .run_env(&["auth", "b"], &[("FARM_BLUESKY_HANDLE", &handle), ("FARM_BLUESKY_APP_PASSWORD", &pw)])
        .ok();
    assert!(r.stderr.contains("self-label"), "{}", r.stderr);
    let (_, prof) = xrpc(
        &url,
        "GET",
        &format!("com.atproto.repo.getRecord?repo={did}&collection=app.bsky.actor.profile&rkey=self"),
        None,
        None,
    );
    assert_eq!(prof["value"]["labels"]["values"][0]["val"], "bot", "{prof}");
    farm.run(&["check", "b"]).ok();
    // A garbage access token: 400 InvalidToken, a soft failure; the next call refreshes.
    set_access_token(&farm, "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.garbage");
    let r = farm.run(&["post", "b", "after a garbage token"]);
    assert_eq!(r.code, 75, "{}", r.stderr);
    farm.run(&["post", "b", "after a garbage token"]).ok();
    assert_eq!(posts(&url, &did).iter().filter(|(_, t)| t == "after a garbage token").count(), 1);
    // The app password revoked: the refresh is refused, one login is refused (77), then farm
    // does not try again.
    let (s, _) = xrpc(
        &url,
        "POST",
        "com.atproto.server.revokeAppPassword",
        Some(&main_access),
        Some(json!({"name": "auth"})),
    );
    assert_eq!(s, 200);
    set_access_token(&farm, "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.garbage");
    assert_eq!(farm.run(&["check", "b"]).code, 75);
    let r = farm.run(&["check", "b"]);
    assert_eq!(r.code, 77, "{}", r.stderr);
    let r = farm.run_env(&["check", "b"], &[("COLUMNS", "300")]);
    assert_eq!(r.code, 77, "{}", r.stderr);
    assert!(r.all().contains("will not log in with it again"), "{}", r.all());
}

/// The reference PDS's DID directory (`PLC_URL=` of `tests/pds/pds.sh start`), or `None` (with
/// the reason printed) when the test that needs it is skipped.
fn plc() -> Option<String> {
    match std::env::var("FARM_PLC_URL") {
        Ok(u) if !u.trim().is_empty() => Some(u.trim().trim_end_matches('/').to_string()),
        _ => {
            eprintln!("skipped: FARM_PLC_URL is not set (tests/pds/pds.sh start prints it as PLC_URL)");
            None
        }
    }
}

/// Post `text` as the account of `access` with the server's own record key.
fn create_post(url: &str, did: &str, access: &str, text: &str) {
    let record = json!({"$type": "app.bsky.feed.post", "text": text, "createdAt": botfarm::clock::format(botfarm::clock::now().unwrap())});
    let (s, v) = xrpc(
        url,
        "POST",
        "com.atproto.repo.createRecord",
        Some(access),
        Some(json!({"repo": did, "collection": "app.bsky.feed.post", "record": record})),
    );
    assert_eq!(s, 200, "createRecord: {v}");
}

#[test]
fn a_reader_follows_an_author_with_list_records_and_no_credentials() {
    let (Some(url), Some(plc)) = (pds(), plc()) else { return };
    let (handle, did, access, _) = account(&url);
    for i in 0..3 {
        create_post(&url, &did, &access, &format!("before {i}"));
    }
    let mut farm = Farm::new();
    farm.run(&[
        "create",
        "reader",
        "r",
        "--platform",
        "bluesky",
        "--api",
        &url,
        "--plc",
        &plc,
        "--follow",
        &handle,
    ])
    .ok();
    let r = farm.run(&["run", "-v"]).ok();
    assert!(r.all().contains("read 3 new posts"), "{}", r.all());
    let v = farm.run(&["show", "r", "--json"]).ok().json();
    let f = &v["follows"][0];
    assert_eq!((f["id"].as_str(), f["status"].as_str()), (Some(did.as_str()), Some("ok")), "{v}");
    // Its PDS, from its DID document in the PLC directory.
    assert!(f["server"].as_str().unwrap().starts_with("http://localhost:"), "{f}");
    // Only what is newer than the last record key read (listRecords, reverse=true, cursor).
    for i in 0..2 {
        create_post(&url, &did, &access, &format!("after {i}"));
    }
    let r = farm.run(&["run", "r", "--force", "-v"]).ok();
    assert!(r.all().contains("read 2 new posts"), "{}", r.all());
    let r = farm.run(&["run", "r", "--force", "-v"]).ok();
    assert!(r.all().contains("read 0 new posts"), "{}", r.all());
    let store = botfarm::store::Store::open(&farm.db()).unwrap();
    let texts: Vec<String> = store.posts_after("r", 0, 100).unwrap().into_iter().map(|p| p.text).collect();
    support::close_store(store);
    assert_eq!(texts, ["before 0", "before 1", "before 2", "after 0", "after 1"]);
    // #nobot in its profile record: seen at the next daily check, its posts removed.
    let profile = json!({"$type": "app.bsky.actor.profile", "description": "human here #nobot"});
    let (s, p) = xrpc(
        &url,
        "POST",
        "com.atproto.repo.putRecord",
        Some(&access),
        Some(json!({"repo": did, "collection": "app.bsky.actor.profile", "rkey": "self", "record": profile})),
    );
    assert_eq!(s, 200, "putRecord: {p}");
    let tomorrow = botfarm::clock::now().unwrap() + 86_400 + 600;
    farm.set_now(&botfarm::clock::format(tomorrow));
    farm.run(&["run", "r"]).code(78);
    let v = farm.run(&["show", "r", "--json"]).ok().json();
    assert_eq!(v["follows"][0]["status"], "no consent", "{v}");
    assert_eq!(v["state"]["cached"], 0, "{v}");
}
