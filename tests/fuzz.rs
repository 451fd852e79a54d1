//! Bounded, deterministic fuzzing of everything that parses outside input: API responses (from
//! a hostile loopback server), HTML, durations, processor specs. cargo-fuzz needs a nightly
//! toolchain, which this project does not have; these loops run in every `cargo test` instead.
//! Each crash found becomes a regression case in the seed lists below.

use botfarm::net::{Credentials, Endpoint, Platform, PlatformKind};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// xorshift64*: a tiny deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Valid-looking bodies of every endpoint the clients read, to mutate.
const SEEDS: &[&str] = &[
    r#"{"data":{"id":"123","name":"n","username":"u"}}"#,
    r#"{"data":[{"id":"1000","text":"hi &amp; bye","author_id":"5","created_at":"2026-01-01T00:00:00.000Z","lang":"en","referenced_tweets":[{"type":"retweeted","id":"999"}]}],"includes":{"users":[{"id":"5","username":"a"}],"tweets":[{"id":"999","text":"full text"}]},"meta":{"result_count":1,"newest_id":"1000","oldest_id":"1000","next_token":"abc"}}"#,
    r#"{"meta":{"result_count":0}}"#,
    r#"{"data":{"id":"77","text":"posted"}}"#,
    r#"{"data":[{"id":"1","text":"t","created_at":"2026-01-01T00:00:00.000Z","public_metrics":{"like_count":3,"retweet_count":1,"reply_count":0,"quote_count":0}}]}"#,
    r#"[{"id":1,"id_str":"1","full_text":"RT @a: x","created_at":"Wed Oct 10 20:19:24 +0000 2018","user":{"screen_name":"b"},"retweeted_status":{"full_text":"long text","user":{"screen_name":"a"}},"entities":{"urls":[]},"in_reply_to_status_id":null,"lang":"en","favorite_count":1,"retweet_count":2}]"#,
    r#"{"id":1,"id_str":"1","screen_name":"me"}"#,
    r#"{"errors":[{"code":187,"message":"Status is a duplicate."}]}"#,
    r#"{"detail":"You are not allowed to create a Tweet with duplicate content.","type":"about:blank","title":"Forbidden","status":403}"#,
    r#"[{"id":"103","content":"<p>hi <a href=\"https://x.y/z\"><span class=\"invisible\">https://</span><span>x.y/z</span></a><br />there &amp; &#39;you&#39;</p>","account":{"username":"a","acct":"a@b.c"},"created_at":"2026-01-01T00:00:00.000Z","in_reply_to_id":null,"reblog":null,"language":"en","favourites_count":1,"reblogs_count":0}]"#,
    r#"{"id":"5","username":"me","acct":"me"}"#,
    r#"{"domain":"x","configuration":{"statuses":{"max_characters":500,"characters_reserved_per_url":23}}}"#,
    r#"{"error":"The access token is invalid"}"#,
    "<html><body><h1>502 Bad Gateway</h1></body></html>",
    "",
];

const STATUSES: &[u16] = &[200, 200, 200, 201, 400, 401, 403, 404, 422, 429, 500, 502, 503];

fn mutate(rng: &mut Rng, seed: &str) -> Vec<u8> {
    let mut b = seed.as_bytes().to_vec();
    match rng.below(8) {
        0 => b.truncate(rng.below(b.len() + 1)),
        1 => {
            for _ in 0..1 + rng.below(8) {
                if !b.is_empty() {
                    let i = rng.below(b.len());
                    b[i] = rng.next() as u8;
                }
            }
        }
        2 => {
            let s = String::from_utf8_lossy(&b).into_owned();
            let swapped = s
                .replace(
                    "\"1000\"",
                    rng.pick(&["-1", "\"x\"", "1e400", "18446744073709551616", "null", "[]"]),
                )
                .replace("\"123\"", rng.pick(&["0", "\"\"", "{}"]));
            b = swapped.into_bytes();
        }
        3 => {
            let depth = 1 + rng.below(300);
            b = format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes();
        }
        4 => b = (0..rng.below(200)).map(|_| rng.next() as u8).collect(),
        5 => {
            let s = String::from_utf8_lossy(&b).into_owned();
            b = s.replacen(':', ":null,\"x\":", 1 + rng.below(3)).into_bytes();
        }
        6 => {
            let extra = "😀".repeat(rng.below(50));
            b = String::from_utf8_lossy(&b).replace("hi", &extra).into_bytes();
        }
        _ => {}
    }
    b
}

/// The answers a hostile server gives: status, body, extra header lines.
type Plan = Arc<Mutex<Vec<(u16, Vec<u8>, String)>>>;

/// A loopback server answering every request with the next (status, body) from `plan`.
fn hostile_server(plan: Plan) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut s) = conn else { continue };
            let _ = s.set_read_timeout(Some(std::time::Duration::from_millis(500)));
            let mut buf = vec![0u8; 65536];
            let mut got = Vec::new();
            // Read the request head and any body announced by Content-Length.
            loop {
                let n = match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                got.extend_from_slice(&buf[..n]);
                if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&got[..end]).to_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if got.len() >= end + 4 + len {
                        break;
                    }
                }
            }
            let (status, body, extra) =
                plan.lock().unwrap().pop().unwrap_or((200, b"{}".to_vec(), String::new()));
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&body);
        }
    });
    format!("http://{addr}")
}

#[test]
fn api_clients_never_panic_on_hostile_answers() {
    let plan = Arc::new(Mutex::new(Vec::new()));
    let url = hostile_server(plan.clone());
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let headers = [
        "x-rate-limit-remaining: -5\r\nx-rate-limit-reset: 99999999999999999999\r\n",
        "x-rate-limit-limit: abc\r\nx-rate-limit-remaining: 0\r\nx-rate-limit-reset: 1\r\n",
        "X-RateLimit-Reset: not-a-date\r\nX-RateLimit-Remaining: 3\r\n",
        "Link: <http://127.0.0.1:1/x?min_id=abc>; rel=\"prev\", garbage\r\n",
        "Content-Type: text/html\r\n",
        "",
    ];
    for kind in [PlatformKind::X, PlatformKind::XV1, PlatformKind::Mastodon] {
        for i in 0..300 {
            {
                let mut p = plan.lock().unwrap();
                p.clear();
                // Enough answers for any paging the call may do.
                for _ in 0..8 {
                    let seed = SEEDS[rng.below(SEEDS.len())];
                    let status = STATUSES[rng.below(STATUSES.len())];
                    p.push((status, mutate(&mut rng, seed), rng.pick(&headers).to_string()));
                }
            }
            let ep = Endpoint {
                kind,
                api: url.clone(),
                creds: Credentials {
                    consumer_key: "k".into(),
                    consumer_secret: "s".into(),
                    access_token: "t".into(),
                    access_secret: "u".into(),
                },
                account_id: Some("5".into()),
            };
            let mut c: Box<dyn Platform> = botfarm::net::connect(ep, botfarm::clock::now().unwrap());
            // Every call returns Ok or a classified error; a panic fails the test.
            let _ = match i % 6 {
                0 => c.verify().map(|_| ()),
                1 => c.home_timeline(Some("100"), 50).map(|_| ()),
                2 => c.home_timeline(None, 50).map(|_| ()),
                3 => c.post("hello", "key", &Default::default()).map(|_| ()),
                4 => c.own_posts(20).map(|_| ()),
                _ => c.length_rule().map(|_| ()),
            }
            .map_err(|e| {
                assert!(!e.message.contains('\n'), "multi-line error: {}", e.message);
                assert!(e.message.len() < 600, "huge error: {}", e.message);
            });
        }
    }
}

#[test]
fn html_to_text_never_panics() {
    let mut rng = Rng(42);
    let parts = [
        "<p>",
        "</p>",
        "<br />",
        "<a href=\"x\">",
        "</a>",
        "&amp;",
        "&#x1F600;",
        "&#99999999;",
        "&",
        "<",
        ">",
        "ё",
        "😀",
        "<span class=\"invisible\">",
        "</span>",
        "&#;",
        "&#x;",
        "\"",
        "<!--",
        "-->",
        "<",
        "text",
    ];
    for _ in 0..20_000 {
        let s: String = (0..rng.below(30)).map(|_| rng.pick(&parts)).collect();
        let out = botfarm::net::html::to_text(&s);
        assert!(!out.contains("<p>"), "{s:?} -> {out:?}");
    }
}

#[test]
fn durations_never_panic_and_round_trip() {
    let mut rng = Rng(7);
    let parts =
        ["1", "0", "99999999999999999999", "h", "m", "s", "d", "w", "x", " ", "-", "1h", "30m", "", "ч"];
    for _ in 0..20_000 {
        let s: String = (0..rng.below(6)).map(|_| rng.pick(&parts)).collect();
        if let Ok(secs) = botfarm::clock::parse_duration(&s) {
            assert!(secs > 0);
            assert_eq!(
                botfarm::clock::parse_duration(&botfarm::clock::format_duration(secs)).unwrap(),
                secs,
                "{s:?}"
            );
        }
    }
}

#[test]
fn processor_specs_never_panic() {
    use botfarm::text::{Ctx, Pipeline, WriterSpec};
    let mut rng = Rng(99);
    let names = ["phrase:", "nouns:", "replace:", "markov:", "phrase", "nouns", "markov", "frob:", ""];
    let items = [
        "ADJF,nomn NOUN,nomn",
        "NOUN",
        "XXXX",
        "order=0",
        "order=3",
        "order=9",
        "tries=0",
        "tries=99999999999",
        "min-len=-1",
        "cap=title",
        "cap=zzz",
        "a=b|c=d",
        "=",
        ";",
        "\\",
        "\\;",
        "pairs=а б",
        "blacklist=",
        "2",
        "99999",
        "inflect=заебать",
        "inflect=",
        "seed=1",
        "max-len=0",
        "place=before",
        "unmatched=keep",
        "ё",
    ];
    let filters =
        ["no-links", "no-retweets=maybe", "lang=ru", "lang=", "blacklist=a,b", "strip-urls", "bogus", ""];
    let no_corpus = || {
        vec![botfarm::net::Post {
            id: 1,
            author: "a".into(),
            text: "тайная комната и зелёная ёлка в парке".into(),
            created_at: 0,
            is_repost: false,
            is_reply: false,
            has_links: false,
            lang: None,
            ..Default::default()
        }]
    };
    for _ in 0..3_000 {
        let mut spec = rng.pick(&names).to_string();
        for k in 0..rng.below(4) {
            if k > 0 {
                spec.push(';');
            }
            spec.push_str(rng.pick(&items));
        }
        let filter = vec![rng.pick(&filters).to_string()];
        let template = if rng.below(3) == 0 {
            Some(rng.pick(&["{}", "{", "}", "{0}", "{{}}", "x {} y {}"]).to_string())
        } else {
            None
        };
        let Ok(ws) = WriterSpec::from_cli(template, &[spec.clone()], &filter) else { continue };
        let Ok(p) = Pipeline::new(&ws) else { continue };
        let post = no_corpus().remove(0);
        let mut ctx = Ctx { corpus: &no_corpus, seed: rng.next(), boring: &[], hot: &[] };
        let _ = p.run(&post, &mut ctx);
    }
}

#[test]
fn mutated_archives_never_crash_the_importer() {
    let f = support_farm();
    let dir = f.0.clone();
    let bin = env!("CARGO_BIN_EXE_farm");
    let run = |args: &[&str]| {
        std::process::Command::new(bin)
            .args(args)
            .env_remove("FARM_NOW")
            .env_remove("RUST_BACKTRACE")
            .output()
            .unwrap()
    };
    let db = dir.join("src");
    let out = run(&["--db", db.to_str().unwrap(), "app", "show"]);
    assert!(out.status.success());
    // A small farm to export: one bot is enough for every tree to exist.
    let out = std::process::Command::new(bin)
        .args([
            "--db",
            db.to_str().unwrap(),
            "create",
            "reader",
            "r",
            "--platform",
            "mastodon",
            "--api",
            "http://127.0.0.1:9",
        ])
        .env("FARM_ACCESS_TOKEN", "t0k3n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tar = dir.join("farm.tar");
    assert!(run(&["--db", db.to_str().unwrap(), "export", tar.to_str().unwrap()]).status.success());
    let good = std::fs::read(&tar).unwrap();
    let mut rng = Rng(0xfeed_beef);
    for i in 0..120 {
        let mut bytes = good.clone();
        match rng.below(4) {
            0 => bytes.truncate(rng.below(bytes.len())),
            1 => {
                for _ in 0..1 + rng.below(16) {
                    let at = rng.below(bytes.len());
                    bytes[at] = rng.next() as u8;
                }
            }
            2 => {
                let at = rng.below(bytes.len());
                let len = rng.below(64).min(bytes.len() - at);
                bytes.drain(at..at + len);
            }
            _ => {
                let at = rng.below(bytes.len());
                let junk: Vec<u8> = (0..rng.below(600)).map(|_| rng.next() as u8).collect();
                bytes.splice(at..at, junk);
            }
        }
        let file = dir.join(format!("m{i}.tar"));
        std::fs::write(&file, &bytes).unwrap();
        let target = dir.join(format!("t{i}"));
        let out = run(&["--db", target.to_str().unwrap(), "import", file.to_str().unwrap()]);
        let code = out.status.code().unwrap_or(-1);
        let err = String::from_utf8_lossy(&out.stderr);
        // Either it still is a valid archive (some bytes are padding) or a clean refusal.
        assert!(code == 0 || code == 65 || code == 64, "case {i}: exit {code}: {err}");
        assert!(!err.contains("panicked"), "case {i}: {err}");
        if code != 0 {
            assert!(!target.join("db").exists(), "case {i}: a refused import left a database");
        }
    }
}

/// A temporary directory for the archive fuzzing.
struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn support_farm() -> Scratch {
    let p = std::env::temp_dir().join(format!("farm-fuzz-archive-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    Scratch(p)
}
