//! Talks raw HTTP/1.1 (and ureq) to the fake network to prove framing, auth, faults and the
//! API behaviours clients rely on.

use botfarm::sim::oauth::{authorization_header, parse_form, SignRequest};
use botfarm::sim::{Endpoint, FakeNet, Fault, SourcePost};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const CK: &str = "ckey";
const CS: &str = "csecret";
const TOK: &str = "100-token";
const TS: &str = "tsecret";

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn host(net: &FakeNet) -> String {
    net.url().trim_start_matches("http://").to_string()
}

fn connect(net: &FakeNet) -> TcpStream {
    let s = TcpStream::connect(host(net)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

/// Read one response; `buf` keeps bytes that belong to the next one.
fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Resp> {
    let mut tmp = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        match s.read(&mut tmp) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&tmp[..n]),
        }
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).unwrap();
    buf.drain(..head_end + 4);
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_string(), v.trim().to_string())
        })
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse().unwrap())
        .expect("every answer has Content-Length");
    while buf.len() < len {
        match s.read(&mut tmp) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&tmp[..n]),
        }
    }
    let body = String::from_utf8_lossy(&buf[..len]).into_owned();
    buf.drain(..len);
    Some(Resp { status, headers, body })
}

fn raw(method: &str, path: &str, host: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// One request on a fresh connection.
fn call(net: &FakeNet, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let mut s = connect(net);
    s.write_all(&raw(method, path, &host(net), headers, body)).unwrap();
    read_response(&mut s, &mut Vec::new()).expect("an answer")
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// A signed X request. `form` goes into the body (and the signature); `json` is not signed.
fn x_call(
    net: &FakeNet,
    method: &str,
    path: &str,
    form: &[(&str, &str)],
    json: Option<&str>,
    ts: i64,
) -> Resp {
    x_call_as(net, method, path, form, json, ts, (CK, CS, TOK, TS), &[])
}

#[allow(clippy::too_many_arguments)]
fn x_call_as(
    net: &FakeNet,
    method: &str,
    path: &str,
    form: &[(&str, &str)],
    json: Option<&str>,
    ts: i64,
    creds: (&str, &str, &str, &str),
    extra: &[(&str, &str)],
) -> Resp {
    let url = format!("{}{}", net.url(), path);
    let form_owned: Vec<(String, String)> =
        form.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let auth = authorization_header(&SignRequest {
        method,
        url: &url,
        form: &form_owned,
        consumer_key: creds.0,
        consumer_secret: creds.1,
        token: creds.2,
        token_secret: creds.3,
        nonce: "nonce123",
        timestamp: ts,
        extra_oauth: extra,
    });
    if let Some(j) = json {
        call(
            net,
            method,
            path,
            &[("Authorization", &auth), ("Content-Type", "application/json")],
            j.as_bytes(),
        )
    } else if !form.is_empty() {
        let body: Vec<String> = form
            .iter()
            .map(|(k, v)| format!("{}={}", botfarm::sim::oauth::encode(k), botfarm::sim::oauth::encode(v)))
            .collect();
        call(
            net,
            method,
            path,
            &[("Authorization", &auth), ("Content-Type", "application/x-www-form-urlencoded")],
            body.join("&").as_bytes(),
        )
    } else {
        call(net, method, path, &[("Authorization", &auth)], b"")
    }
}

const NOW: i64 = 1_790_000_000;

fn setup() -> FakeNet {
    let net = FakeNet::start();
    net.set_now(Some(NOW));
    net
}

#[test]
fn keep_alive_and_close_framing() {
    let net = setup();
    let mut s = connect(&net);
    let mut buf = Vec::new();
    let h = host(&net);
    // Two requests written back to back (pipelined) on one connection.
    let mut both = raw("GET", "/api/v2/instance", &h, &[], b"");
    both.extend(raw("GET", "/nope", &h, &[], b""));
    s.write_all(&both).unwrap();
    let a = read_response(&mut s, &mut buf).unwrap();
    assert_eq!(a.status, 200);
    assert_eq!(a.header("connection"), Some("keep-alive"));
    assert_eq!(a.json()["configuration"]["statuses"]["max_characters"], 500);
    let b = read_response(&mut s, &mut buf).unwrap();
    assert_eq!(b.status, 404);
    // A third one with a body, then close.
    s.write_all(&raw("POST", "/api/v1/statuses", &h, &[("Connection", "close")], b"status=x")).unwrap();
    let c = read_response(&mut s, &mut buf).unwrap();
    assert_eq!(c.status, 401);
    assert_eq!(c.header("connection"), Some("close"));
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty() && buf.is_empty(), "nothing after a close");
    assert_eq!(net.requests().len(), 3);
}

#[test]
fn not_found_is_json() {
    let net = setup();
    let r = call(&net, "GET", "/whatever", &[], b"");
    assert_eq!(r.status, 404);
    assert!(r.json()["error"].is_string());
    let r = call(&net, "GET", "/1.1/nope.json", &[], b"");
    assert_eq!(r.json()["errors"][0]["code"], 34);
    let r = call(&net, "GET", "/2/nope", &[], b"");
    assert_eq!(r.json()["status"], 404);
}

#[test]
fn bearer_auth() {
    let net = setup();
    net.add_mastodon_user("amy", "good");
    let r =
        call(&net, "GET", "/api/v1/accounts/verify_credentials", &[("Authorization", &bearer("bad"))], b"");
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"], "The access token is invalid");
    let r = call(&net, "GET", "/api/v1/accounts/verify_credentials", &[], b"");
    assert_eq!(r.status, 401);
    let r =
        call(&net, "GET", "/api/v1/accounts/verify_credentials", &[("Authorization", &bearer("good"))], b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["username"], "amy");
    assert_eq!(r.json()["acct"], "amy");
    assert_eq!(r.header("X-RateLimit-Limit"), Some("300"));
    assert_eq!(r.header("X-RateLimit-Remaining"), Some("299"));
    assert_eq!(r.header("X-RateLimit-Reset"), Some("2026-09-21T14:15:00.000000Z"));
    let log = net.requests();
    assert_eq!(log.iter().map(|r| r.user.clone()).collect::<Vec<_>>(), vec![None, None, Some("amy".into())]);
    assert_eq!(log[0].status, 401);
}

#[test]
fn mastodon_idempotent_post() {
    let net = setup();
    net.add_mastodon_user("amy", "tok");
    let auth = bearer("tok");
    let post = |key: &str, body: &str, ct: &str| {
        call(
            &net,
            "POST",
            "/api/v1/statuses",
            &[("Authorization", &auth), ("Idempotency-Key", key), ("Content-Type", ct)],
            body.as_bytes(),
        )
    };
    let form = "application/x-www-form-urlencoded";
    let a = post("k1", "status=Hello+%26+bye%0Anext&visibility=unlisted", form);
    assert_eq!(a.status, 200, "{}", a.body);
    let a = a.json();
    assert_eq!(a["content"], "<p>Hello &amp; bye<br />next</p>");
    assert_eq!(a["visibility"], "unlisted");
    let b = post("k1", "status=something+else", form).json();
    assert_eq!(a["id"], b["id"], "same key returns the original");
    let c = post("k2", r#"{"status":"Hello & bye\nnext"}"#, "application/json");
    assert_eq!(c.status, 200);
    assert_ne!(c.json()["id"], a["id"], "Mastodon does not reject duplicate text");
    let posts = net.posts_by("amy");
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].text, "Hello & bye\nnext");
    assert_eq!(posts[0].idempotency_key.as_deref(), Some("k1"));
    assert_eq!(posts[0].visibility.as_deref(), Some("unlisted"));
    assert_eq!(posts[0].created_at, NOW);
    // An hour later the key is forgotten.
    net.set_now(Some(NOW + 3601));
    let d = post("k1", "status=again", form).json();
    assert_ne!(d["id"], a["id"]);
    // Validation.
    let e = post("k3", "status=+", form);
    assert_eq!(
        (e.status, e.json()["error"].as_str().unwrap()),
        (422, "Validation failed: Text can't be blank")
    );
    net.set_mastodon_max_chars(10);
    let e = post("k4", "status=0123456789x", form);
    assert_eq!(e.json()["error"], "Validation failed: Text character limit of 10 exceeded");
    let e = post("k5", "status=https://example.com/long/url", form);
    assert_eq!(e.status, 422, "a URL counts 23");
    assert_eq!(net.requests().iter().filter(|r| r.idempotency_key.as_deref() == Some("k1")).count(), 3);
}

#[test]
fn chunked_body_and_limits() {
    let net = setup();
    net.add_mastodon_user("amy", "tok");
    let mut s = connect(&net);
    let req = format!(
        "POST /api/v1/statuses HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer tok\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nstatus=\r\n5;ext=1\r\nhello\r\n0\r\n\r\n",
        host(&net)
    );
    s.write_all(req.as_bytes()).unwrap();
    let r = read_response(&mut s, &mut Vec::new()).unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(net.posts_by("amy")[0].text, "hello");
    // Over 1 MB: refused before the body is read, connection closed.
    let mut s = connect(&net);
    let head = format!(
        "POST /api/v1/statuses HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n\r\n",
        host(&net),
        2 * 1024 * 1024
    );
    s.write_all(head.as_bytes()).unwrap();
    let r = read_response(&mut s, &mut Vec::new()).unwrap();
    assert_eq!(r.status, 413);
    assert_eq!(r.header("connection"), Some("close"));
    // Unknown transfer coding.
    let mut s = connect(&net);
    let head =
        format!("POST /api/v1/statuses HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: gzip\r\n\r\n", host(&net));
    s.write_all(head.as_bytes()).unwrap();
    assert_eq!(read_response(&mut s, &mut Vec::new()).unwrap().status, 411);
}

#[test]
fn faults() {
    let net = setup();
    net.add_mastodon_user("amy", "tok");
    let auth = bearer("tok");
    let h = [("Authorization", auth.as_str())];
    net.fail_next(1, Fault::Reset, Some("/timelines/home"));
    net.fail_next(1, Fault::Html502, None);
    net.fail_next(1, Fault::Garbage, None);
    net.fail_next(1, Fault::Status(503), None);
    // Reset: the connection closes with no answer.
    let mut s = connect(&net);
    s.write_all(&raw("GET", "/api/v1/timelines/home", &host(&net), &h, b"")).unwrap();
    assert!(read_response(&mut s, &mut Vec::new()).is_none());
    let r = call(&net, "GET", "/api/v1/timelines/home", &h, b"");
    assert_eq!(r.status, 502);
    assert!(r.body.contains("<center>nginx</center>"));
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    let r = call(&net, "GET", "/api/v1/timelines/home", &h, b"");
    assert_eq!(r.status, 200);
    assert!(serde_json::from_str::<Value>(&r.body).is_err());
    let r = call(&net, "GET", "/api/v1/timelines/home", &h, b"");
    assert_eq!((r.status, r.json()["error"].as_str()), (503, Some("Service Unavailable")));
    let r = call(&net, "GET", "/api/v1/timelines/home", &h, b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "[]");
    let log: Vec<(u16, Option<String>)> = net.requests().into_iter().map(|r| (r.status, r.user)).collect();
    let amy = Some("amy".to_string());
    assert_eq!(
        log,
        vec![(0, amy.clone()), (502, amy.clone()), (200, amy.clone()), (503, amy.clone()), (200, amy)]
    );
    // X flavours of the same status.
    net.fail_next(1, Fault::Status(503), Some("/1.1/"));
    let r = call(&net, "GET", "/1.1/statuses/home_timeline.json", &[], b"");
    assert_eq!(r.json()["errors"][0]["code"], 130);
    net.fail_next(1, Fault::RateLimited { reset: NOW + 60 }, None);
    let r = call(&net, "GET", "/2/users/me", &[], b"");
    assert_eq!(r.status, 429);
    assert_eq!(r.header("x-rate-limit-remaining"), Some("0"));
    assert_eq!(r.header("x-rate-limit-reset"), Some((NOW + 60).to_string().as_str()));
    assert_eq!(r.json()["title"], "Too Many Requests");
}

#[test]
fn perform_then_timeout_creates_the_post() {
    let net = setup();
    net.add_mastodon_user("amy", "tok");
    net.fail_next(1, Fault::PerformThenTimeout, Some("/statuses"));
    let mut s = connect(&net);
    s.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    let req = raw(
        "POST",
        "/api/v1/statuses",
        &host(&net),
        &[("Authorization", "Bearer tok"), ("Content-Type", "application/x-www-form-urlencoded")],
        b"status=hi",
    );
    s.write_all(&req).unwrap();
    let mut b = [0u8; 1];
    let err = s.read(&mut b).unwrap_err();
    assert!(matches!(err.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut));
    assert_eq!(net.posts_by("amy").len(), 1);
    assert_eq!(net.requests()[0].status, 0);
}

#[test]
fn drop_returns_quickly_with_a_hanging_connection() {
    let net = setup();
    net.fail_next(1, Fault::Timeout, None);
    let addr = host(&net);
    let client = std::thread::spawn(move || {
        let mut s = TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(&raw("GET", "/api/v2/instance", &addr, &[], b"")).unwrap();
        let started = Instant::now();
        let mut b = [0u8; 16];
        let n = s.read(&mut b).unwrap_or(0);
        (n, started.elapsed())
    });
    let t = Instant::now();
    while net.requests().is_empty() && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(net.requests()[0].status, 0);
    // The hung connection does not block others.
    let t = Instant::now();
    assert_eq!(call(&net, "GET", "/api/v2/instance", &[], b"").status, 200);
    assert!(t.elapsed() < Duration::from_secs(1));
    let t = Instant::now();
    drop(net);
    assert!(t.elapsed() < Duration::from_secs(1), "drop took {:?}", t.elapsed());
    let (n, waited) = client.join().unwrap();
    assert_eq!(n, 0, "no answer, just a close");
    assert!(waited < Duration::from_secs(3), "the hung connection closed after drop ({waited:?})");
}

#[test]
fn x_v2_flow() {
    let net = setup();
    let id = net.add_x_user("bot", CK, CS, TOK, TS);
    let r = x_call(&net, "GET", "/2/users/me", &[], None, NOW);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["data"]["id"], id);
    assert_eq!(r.json()["data"]["username"], "bot");
    assert_eq!(r.header("x-rate-limit-limit"), Some("75"));
    assert_eq!(r.header("x-rate-limit-reset"), Some((NOW + 900).to_string().as_str()));
    // Bad secret, skewed clock.
    let r = x_call_as(&net, "GET", "/2/users/me", &[], None, NOW, (CK, "wrong", TOK, TS), &[]);
    assert_eq!((r.status, r.json()["title"].as_str()), (401, Some("Unauthorized")));
    let r = x_call(&net, "GET", "/2/users/me", &[], None, NOW - 301);
    assert_eq!(r.json()["errors"][0]["code"], 135);
    // Timeline paging.
    let tl = format!("/2/users/{id}/timelines/reverse_chronological");
    let r = x_call(&net, "GET", &tl, &[], None, NOW);
    assert_eq!(r.body, r#"{"meta":{"result_count":0}}"#);
    let first = net.push_home("bot", SourcePost::new("amy", "one & <two>").lang("en"));
    for i in 0..4 {
        net.push_home("bot", SourcePost::new("amy", &format!("post {i} https://example.com/{i}")));
    }
    let rt = net.push_home("bot", SourcePost::new("bob", &"long words ".repeat(20)).repost_of("cat"));
    let q = format!("{tl}?max_results=4&since_id={first}&tweet.fields=created_at,lang,referenced_tweets,entities,author_id&expansions=referenced_tweets.id,author_id");
    let r = x_call(&net, "GET", &q, &[], None, NOW);
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["meta"]["result_count"], 4);
    assert_eq!(v["meta"]["newest_id"], rt.to_string());
    let top = &v["data"][0];
    assert!(top["text"].as_str().unwrap().starts_with("RT @cat: long words"));
    assert!(top["text"].as_str().unwrap().ends_with('…'));
    assert_eq!(top["referenced_tweets"][0]["type"], "retweeted");
    assert_eq!(v["includes"]["tweets"][0]["text"], "long words ".repeat(20));
    assert_eq!(v["data"][1]["entities"]["urls"][0]["expanded_url"], "https://example.com/3");
    assert!(v["data"][1]["text"].as_str().unwrap().contains("https://t.co/"));
    let token = v["meta"]["next_token"].as_str().unwrap().to_string();
    let r = x_call(
        &net,
        "GET",
        &format!("{tl}?max_results=4&since_id={first}&pagination_token={token}"),
        &[],
        None,
        NOW,
    );
    let v = r.json();
    assert_eq!(v["meta"]["result_count"], 1);
    assert!(v["meta"].get("next_token").is_none());
    let r = x_call(&net, "GET", &format!("{tl}?max_results=100&until_id={}", first + 1), &[], None, NOW);
    assert_eq!(r.json()["data"][0]["text"], "one &amp; &lt;two&gt;");
    let r = x_call(&net, "GET", &format!("{tl}?max_results=101"), &[], None, NOW);
    assert_eq!(r.status, 400);
    let r = x_call(&net, "GET", &format!("{tl}?count=5"), &[], None, NOW);
    assert_eq!(r.status, 400, "unknown parameters are refused like the real API");
    let r = x_call(&net, "GET", "/2/users/42/timelines/reverse_chronological", &[], None, NOW);
    assert_eq!(r.status, 403);
    // Posting: created, duplicate, too long, empty.
    let r = x_call(&net, "POST", "/2/tweets", &[], Some(r#"{"text":"hello world"}"#), NOW);
    assert_eq!(r.status, 201, "{}", r.body);
    let new_id: u64 = r.json()["data"]["id"].as_str().unwrap().parse().unwrap();
    let r = x_call(&net, "POST", "/2/tweets", &[], Some(r#"{"text":"hello world"}"#), NOW);
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["detail"], "You are not allowed to create a Tweet with duplicate content.");
    let long = format!(r#"{{"text":"{}"}}"#, "の".repeat(141));
    let r = x_call(&net, "POST", "/2/tweets", &[], Some(&long), NOW);
    assert_eq!(r.status, 403);
    assert!(r.json()["detail"].as_str().unwrap().starts_with("Your Tweet text is too long."));
    let r = x_call(&net, "POST", "/2/tweets", &[], Some(r#"{"text":""}"#), NOW);
    assert_eq!(r.status, 400);
    // Own posts with metrics, delete.
    net.set_engagement(new_id, 7, 2);
    let r = x_call(
        &net,
        "GET",
        &format!("/2/users/{id}/tweets?tweet.fields=public_metrics,created_at&max_results=5"),
        &[],
        None,
        NOW,
    );
    let v = r.json();
    assert_eq!(v["data"][0]["public_metrics"]["like_count"], 7);
    assert_eq!(v["data"][0]["public_metrics"]["retweet_count"], 2);
    assert_eq!(v["data"][0]["created_at"], "2026-09-21T14:13:20.000Z");
    let r = x_call(&net, "DELETE", &format!("/2/tweets/{new_id}"), &[], None, NOW);
    assert_eq!(r.json()["data"]["deleted"], true);
    assert!(net.posts_by("bot").is_empty());
}

#[test]
fn x_rate_limit() {
    let net = setup();
    net.add_x_user("bot", CK, CS, TOK, TS);
    net.set_rate_limit("bot", Endpoint::Verify, 2, 60);
    assert_eq!(
        x_call(&net, "GET", "/2/users/me", &[], None, NOW).header("x-rate-limit-remaining"),
        Some("1")
    );
    assert_eq!(x_call(&net, "GET", "/2/users/me", &[], None, NOW).status, 200);
    let r = x_call(&net, "GET", "/2/users/me", &[], None, NOW);
    assert_eq!(r.status, 429);
    assert_eq!(r.json()["detail"], "Too Many Requests");
    assert_eq!(r.header("x-rate-limit-reset"), Some((NOW + 60).to_string().as_str()));
    let r = x_call(&net, "GET", "/1.1/account/verify_credentials.json", &[], None, NOW);
    assert_eq!(r.status, 200, "v1.1 has its own window");
    net.set_now(Some(NOW + 60));
    assert_eq!(x_call(&net, "GET", "/2/users/me", &[], None, NOW + 60).status, 200);
}

#[test]
fn x_v1_flow() {
    let net = setup();
    net.add_x_user("bot", CK, CS, TOK, TS);
    let long = "x".repeat(150);
    let p = net.push_home("bot", SourcePost::new("amy", &long).lang("en"));
    net.push_home("bot", SourcePost::new("bob", "short one").reply_to(p));
    let r = x_call(&net, "GET", "/1.1/statuses/home_timeline.json?count=5", &[], None, NOW);
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v[0]["text"], "short one");
    assert_eq!(v[0]["in_reply_to_status_id"], p);
    assert_eq!(v[0]["in_reply_to_screen_name"], "amy");
    assert_eq!(v[1]["truncated"], true);
    assert_eq!(v[1]["user"]["screen_name"], "amy");
    assert_eq!(v[1]["created_at"], "Mon Sep 21 14:13:20 +0000 2026");
    assert!(v[1]["text"].as_str().unwrap().chars().count() <= 140);
    let r = x_call(
        &net,
        "GET",
        &format!("/1.1/statuses/home_timeline.json?tweet_mode=extended&max_id={p}"),
        &[],
        None,
        NOW,
    );
    let v = r.json();
    assert_eq!(v.as_array().unwrap().len(), 1, "max_id is inclusive");
    assert_eq!(v[0]["full_text"], long);
    // Posting with a signed form body.
    let r = x_call(&net, "POST", "/1.1/statuses/update.json", &[("status", "Hi + bye, ok!")], None, NOW);
    assert_eq!(r.status, 200, "{}", r.body);
    let id = r.json()["id_str"].as_str().unwrap().to_string();
    let r = x_call(&net, "POST", "/1.1/statuses/update.json", &[("status", "Hi + bye, ok!")], None, NOW);
    assert_eq!((r.status, r.json()["errors"][0]["code"].as_u64()), (403, Some(187)));
    let r = x_call(&net, "POST", "/1.1/statuses/update.json", &[("status", &"y".repeat(281))], None, NOW);
    assert_eq!(r.json()["errors"][0]["code"], 186);
    let r = x_call(&net, "GET", "/1.1/statuses/user_timeline.json", &[], None, NOW);
    assert_eq!(r.json()[0]["favorite_count"], 0);
    let r = x_call(&net, "POST", &format!("/1.1/statuses/destroy/{id}.json"), &[], None, NOW);
    assert_eq!(r.status, 200);
    let r = x_call(&net, "POST", &format!("/1.1/statuses/destroy/{id}.json"), &[], None, NOW);
    assert_eq!(r.json()["errors"][0]["code"], 144);
}

#[test]
fn x_pin_flow() {
    let net = setup();
    net.add_x_user("owner", CK, CS, TOK, TS);
    net.set_pending_x_auth_user("newbot");
    let r = x_call_as(
        &net,
        "POST",
        "/oauth/request_token",
        &[],
        None,
        NOW,
        (CK, CS, "", ""),
        &[("oauth_callback", "oob")],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let f = parse_form(&r.body);
    let get = |k: &str| f.iter().find(|(a, _)| a == k).unwrap().1.clone();
    let (rt, rs) = (get("oauth_token"), get("oauth_token_secret"));
    assert_eq!(get("oauth_callback_confirmed"), "true");
    let page = call(&net, "GET", &format!("/oauth/authorize?oauth_token={rt}"), &[], b"");
    let pin = net.x_pin_for(&rt).unwrap();
    assert!(page.body.contains(&pin));
    let r = x_call_as(
        &net,
        "POST",
        "/oauth/access_token",
        &[],
        None,
        NOW,
        (CK, CS, &rt, &rs),
        &[("oauth_verifier", "0000000")],
    );
    assert_eq!(r.status, 401);
    let r = x_call_as(
        &net,
        "POST",
        "/oauth/access_token",
        &[],
        None,
        NOW,
        (CK, CS, &rt, &rs),
        &[("oauth_verifier", &pin)],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let f = parse_form(&r.body);
    let get = |k: &str| f.iter().find(|(a, _)| a == k).unwrap().1.clone();
    assert_eq!(get("screen_name"), "newbot");
    let (t, s) = (get("oauth_token"), get("oauth_token_secret"));
    let r = x_call_as(&net, "GET", "/2/users/me", &[], None, NOW, (CK, CS, &t, &s), &[]);
    assert_eq!(r.json()["data"]["username"], "newbot");
    assert!(net.x_pin_for(&rt).is_none(), "a request token is used once");
}

#[test]
fn mastodon_oauth_flow_and_timeline_paging() {
    let net = setup();
    let r = call(
        &net,
        "POST",
        "/api/v1/apps",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"client_name=farm&redirect_uris=urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob&scopes=read+write",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let app = r.json();
    let (cid, csec) = (app["client_id"].as_str().unwrap(), app["client_secret"].as_str().unwrap());
    let page = call(&net, "GET", &format!("/oauth/authorize?client_id={cid}&response_type=code&redirect_uri=urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob&scope=read+write"), &[], b"");
    let code = net.mastodon_code_for(cid).unwrap();
    assert!(page.body.contains(&code));
    net.set_pending_mastodon_auth_user("tooter");
    let body = format!("grant_type=authorization_code&code={code}&client_id={cid}&client_secret={csec}&redirect_uri=urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob");
    let r = call(
        &net,
        "POST",
        "/oauth/token",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r.json()["access_token"].as_str().unwrap().to_string();
    assert_eq!(r.json()["token_type"], "Bearer");
    let r = call(
        &net,
        "POST",
        "/oauth/token",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    );
    assert_eq!(r.json()["error"], "invalid_grant", "a code is used once");
    let auth = bearer(&token);
    let h = [("Authorization", auth.as_str())];
    let ids: Vec<u64> = (0..6)
        .map(|i| net.push_home("tooter", SourcePost::new("amy@else.where", &format!("p{i}"))))
        .collect();
    let r = call(&net, "GET", &format!("/api/v1/timelines/home?limit=2&min_id={}", ids[1]), &h, b"");
    let v = r.json();
    let got: Vec<&str> = v.as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(got, vec![ids[3].to_string(), ids[2].to_string()]);
    assert_eq!(v[0]["account"]["acct"], "amy@else.where");
    assert_eq!(v[0]["account"]["username"], "amy");
    let link = r.header("link").unwrap();
    assert_eq!(
        link,
        format!(
            "<{u}/api/v1/timelines/home?limit=2&max_id={}>; rel=\"next\", <{u}/api/v1/timelines/home?limit=2&min_id={}>; rel=\"prev\"",
            ids[2],
            ids[3],
            u = net.url()
        )
    );
    let r = call(&net, "GET", &format!("/api/v1/timelines/home?limit=2&since_id={}", ids[1]), &h, b"");
    let got: Vec<String> =
        r.json().as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(got, vec![ids[5].to_string(), ids[4].to_string()]);
    let r = call(&net, "GET", &format!("/api/v1/timelines/home?min_id={}", ids[5]), &h, b"");
    assert_eq!(r.body, "[]");
    assert!(r.header("link").is_none());
}

#[test]
fn ureq_pooled_connections_work() {
    let net = setup();
    net.add_mastodon_user("amy", "tok");
    net.add_x_user("bot", CK, CS, TOK, TS);
    net.push_home("amy", SourcePost::new("bob", "hi"));
    let cfg = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build();
    let agent = ureq::Agent::new_with_config(cfg);
    for i in 0..5 {
        let mut r = agent
            .post(format!("{}/api/v1/statuses", net.url()))
            .header("Authorization", "Bearer tok")
            .header("Idempotency-Key", format!("k{i}"))
            .send_json(serde_json::json!({"status": format!("post {i}"), "visibility": "unlisted"}))
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        assert_eq!(v["content"], format!("<p>post {i}</p>"));
        let mut r = agent
            .get(format!("{}/api/v1/timelines/home", net.url()))
            .header("Authorization", "Bearer tok")
            .call()
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        assert_eq!(v[0]["content"], "<p>hi</p>");
    }
    // A form POST signed over the body, through ureq.
    let url = format!("{}/1.1/statuses/update.json", net.url());
    let form = vec![("status".to_string(), "from ureq!".to_string())];
    let auth = authorization_header(&SignRequest {
        method: "POST",
        url: &url,
        form: &form,
        consumer_key: CK,
        consumer_secret: CS,
        token: TOK,
        token_secret: TS,
        nonce: "abc",
        timestamp: NOW,
        extra_oauth: &[],
    });
    let r = agent.post(&url).header("Authorization", &auth).send_form([("status", "from ureq!")]).unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(net.posts_by("bot")[0].text, "from ureq!");
    assert_eq!(net.requests().len(), 11);
}

#[test]
fn latency_is_applied() {
    let net = setup();
    net.set_latency_ms(200);
    let t = Instant::now();
    assert_eq!(call(&net, "GET", "/api/v2/instance", &[], b"").status, 200);
    assert!(t.elapsed() >= Duration::from_millis(200));
    net.set_latency_ms(0);
    let t = Instant::now();
    call(&net, "GET", "/api/v2/instance", &[], b"");
    assert!(t.elapsed() < Duration::from_millis(200));
}
