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

/// One post record of the account, as the server gives it back (`getRecord`, no auth).
fn record(url: &str, did: &str, rkey: &str) -> Value {
    got(url, did, rkey)["value"].clone()
}

/// The server's whole answer to `getRecord` of one post of the account: its URI, its CID and
/// the record.
fn got(url: &str, did: &str, rkey: &str) -> Value {
    let (s, v) = xrpc(
        url,
        "GET",
        &format!("com.atproto.repo.getRecord?repo={did}&collection=app.bsky.feed.post&rkey={rkey}"),
        None,
        None,
    );
    assert_eq!(s, 200, "{v}");
    v
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
    let v = record(&url, &did, &rkey);
    let facets = v["facets"].as_array().unwrap();
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

#[test]
fn a_post_with_self_labels_and_langs_is_accepted_and_read_back() {
    let Some(url) = pds() else { return };
    let (farm, did, _, _) = farm_with_bot(&url);
    // A warning that names a label becomes that label; any other becomes graphic-media.
    for (warning, text, label) in
        [("nudity", "a statue, unclothed", "nudity"), ("spoilers", "the butler did it", "graphic-media")]
    {
        farm.run(&["post", "b", "--warning", warning, "--lang", "pt-br", text]).ok();
        let rkey = posts(&url, &did).into_iter().find(|(_, t)| t == text).unwrap().0;
        let record = record(&url, &did, &rkey);
        assert_eq!(record["labels"]["$type"], "com.atproto.label.defs#selfLabels", "{record}");
        assert_eq!(record["labels"]["values"], json!([{"val": label}]), "{record}");
        assert_eq!(record["langs"], json!(["pt-BR"]), "{record}");
    }
}

#[test]
fn a_reply_threads_under_a_mention_with_strong_refs_exactly_once() {
    use botfarm::model::ReplyTo;
    use botfarm::net::bluesky::{create_session, tid, Bluesky};
    use botfarm::net::{Endpoint, Platform, PlatformKind, PostMeta, PostRef};
    let Some(url) = pds() else { return };
    // A thread by people: a first post, and a mention of the bot answering it.
    let (_, did_a, access_a, _) = account(&url);
    let create = |access: &str, did: &str, record: Value| {
        let (s, v) = xrpc(
            &url,
            "POST",
            "com.atproto.repo.createRecord",
            Some(access),
            Some(json!({"repo": did, "collection": "app.bsky.feed.post", "record": record})),
        );
        assert_eq!(s, 200, "createRecord: {v}");
        PostRef { id: v["uri"].as_str().unwrap().into(), cid: v["cid"].as_str().map(str::to_string) }
    };
    let now = || botfarm::clock::format(botfarm::clock::now().unwrap());
    let first = create(
        &access_a,
        &did_a,
        json!({"$type": "app.bsky.feed.post", "text": "a thread", "createdAt": now()}),
    );
    let (handle_b, did_b, _, password_b) = account(&url);
    let strong = |p: &PostRef| json!({"uri": p.id, "cid": p.cid});
    let mention = create(
        &access_a,
        &did_a,
        json!({"$type": "app.bsky.feed.post", "text": format!("@{handle_b} what now?"), "createdAt": now(),
               "reply": {"root": strong(&first), "parent": strong(&first)}}),
    );
    // The bot's reply, as a writer sends it: its record key chosen with the intent, both refs.
    let t = botfarm::clock::now().unwrap();
    let session = create_session(&url, &handle_b, &password_b, t).unwrap().value;
    let ep = Endpoint {
        kind: PlatformKind::Bluesky,
        api: session.pds.clone().unwrap_or(url.clone()),
        creds: botfarm::net::Credentials { access_token: session.access.clone(), ..Default::default() },
        account_id: Some(did_b.clone()),
    };
    let meta = PostMeta {
        reply_to: Some(ReplyTo { parent: mention.clone(), root: first.clone(), visibility: None }),
        ..PostMeta::default()
    };
    let key = tid::for_intent(t, 24);
    let sent = Bluesky::new(ep.clone(), t).post("it depends", &key, &meta).unwrap().value;
    assert!(!sent.duplicate);
    let v = record(&url, &did_b, &key);
    assert_eq!(v["reply"]["root"], strong(&first), "{v}");
    assert_eq!(v["reply"]["parent"], strong(&mention), "{v}");
    // Sent again with its key (a lost answer, a kill): the server's 500 is settled by the key,
    // one reply.
    let again = Bluesky::new(ep, t).post("it depends", &key, &meta).unwrap().value;
    assert!(again.duplicate);
    assert_eq!(posts(&url, &did_b).len(), 1);
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
    create_record(url, did, access, json!({"text": text}));
}

/// Post a record of the fields in `record` (a `text` at least) as the account of `access`.
fn create_record(url: &str, did: &str, access: &str, mut record: Value) {
    record["$type"] = json!("app.bsky.feed.post");
    record["createdAt"] = json!(botfarm::clock::format(botfarm::clock::now().unwrap()));
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
    create_post(&url, &did, &access, "after 0");
    // Hashtags: a tag facet and an outline tag, kept as the post's categories.
    let tag = json!({"index": {"byteStart": 8, "byteEnd": 13},
                     "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "farm"}]});
    create_record(&url, &did, &access, json!({"text": "after 1 #farm", "facets": [tag], "tags": ["bots"]}));
    let r = farm.run(&["run", "r", "--force", "-v"]).ok();
    assert!(r.all().contains("read 2 new posts"), "{}", r.all());
    let r = farm.run(&["run", "r", "--force", "-v"]).ok();
    assert!(r.all().contains("read 0 new posts"), "{}", r.all());
    let store = botfarm::store::Store::open(&farm.db()).unwrap();
    let posts = store.posts_after("r", 0, 100).unwrap();
    support::close_store(store);
    let texts: Vec<&str> = posts.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(texts, ["before 0", "before 1", "before 2", "after 0", "after 1 #farm"]);
    assert_eq!(posts[4].categories, ["farm", "bots"]);
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

/// A writer `w` of a fresh account whose source is a corpus holding `text` alone, with
/// `--long thread`: (farm, DID of the account).
fn thread_writer(url: &str, text: &str) -> (Farm, String) {
    let (handle, did, _, app_password) = account(url);
    let farm = Farm::new();
    farm.run(&["create", "reader", "c", "--platform", "corpus"]).ok();
    let file = farm.db().with_extension("lines.txt");
    std::fs::write(&file, format!("{text}\n")).unwrap();
    farm.run(&["import-corpus", "c", file.to_str().unwrap()]).ok();
    farm.run_env(
        &[
            "create",
            "writer",
            "w",
            "--source",
            "c",
            "--template",
            "{}",
            "--long",
            "thread",
            "--platform",
            "bluesky",
            "--api",
            url,
        ],
        &[("FARM_BLUESKY_HANDLE", &handle), ("FARM_BLUESKY_APP_PASSWORD", &app_password)],
    )
    .ok();
    (farm, did)
}

/// The account's posts as a thread, oldest first, checked against the server's own record of
/// each: the first answers nothing, each later one has strong refs (URI and the CID the server
/// holds) to the one before it and to the first. Their texts.
fn thread_on_server(url: &str, did: &str) -> Vec<String> {
    let mut all = posts(url, did);
    all.reverse();
    let got = |rkey: &str| got(url, did, rkey);
    let strong = |v: &Value| json!({"uri": v["uri"], "cid": v["cid"]});
    let first = got(&all[0].0);
    assert!(first["value"].get("reply").is_none(), "{first}");
    for i in 1..all.len() {
        let v = got(&all[i].0);
        assert_eq!(v["value"]["reply"]["root"], strong(&first), "part {}: {v}", i + 1);
        assert_eq!(v["value"]["reply"]["parent"], strong(&got(&all[i - 1].0)), "part {}: {v}", i + 1);
    }
    all.into_iter().map(|(_, t)| t).collect()
}

#[test]
fn a_long_text_goes_out_as_a_thread_with_strong_refs_exactly_once_across_kill_9() {
    let Some(url) = pds() else { return };
    // 740 characters: three posts of 300 graphemes.
    let long = (0..150).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
    let (farm, did) = thread_writer(&url, &long);
    farm.run(&["run"]).ok();
    let texts = thread_on_server(&url, &did);
    assert_eq!((texts.len(), texts.join(" ")), (3, long.clone()));
    // Killed at each step of the second part: the next run settles it by its record key and
    // goes on; one thread, each part once.
    for point in ["send-before-request", "send-after-request", "send-before-confirm"] {
        let (farm, did) = thread_writer(&url, &long);
        let at = format!("{point}#2");
        assert_ne!(farm.run_env(&["run"], &[("FARM_CRASH_AT", &at)]).code, 0, "{at}: did not crash");
        farm.run(&["run", "w", "--force"]).ok();
        let texts = thread_on_server(&url, &did);
        assert_eq!((texts.len(), texts.join(" ")), (3, long.clone()), "{at}");
    }
}
