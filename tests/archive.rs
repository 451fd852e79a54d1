//! `farm export`, `farm import` and `farm compact` end to end through the real binary: round
//! trips that carry every bot on where it stopped, secrets left out on request, gzip, hostile
//! archives, an import killed half way, lock conflicts, and compaction. The benchmark at the
//! end is `#[ignore]`d: run it by hand in release mode (see `bench_export_import`).

mod support;
use botfarm::model::{Bot, BotState, ReaderOpts, Role};
use botfarm::net::{Credentials, PlatformKind, Post};
use botfarm::sim::{Endpoint, Fault};
use botfarm::store::Store;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::net::{Net, CK, CS, T0};
use support::{Farm, TempDir};

// ---- helpers ----------------------------------------------------------------------------------

/// Names in a directory, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Bytes a directory tree takes on disk.
fn du(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let md = std::fs::symlink_metadata(path).unwrap();
    let mut n = md.blocks() * 512;
    if md.is_dir() {
        for e in std::fs::read_dir(path).unwrap() {
            n += du(&e.unwrap().path());
        }
    }
    n
}

/// A second farm with the same environment and clock as `f`.
fn twin(f: &Farm) -> Farm {
    let mut g = Farm::new();
    g.env = f.env.clone();
    g.now = f.now.clone();
    g
}

/// Everything a user can see of a farm, at the farm's FARM_NOW.
fn view(f: &Farm) -> Vec<String> {
    let mut out = vec![
        f.run(&["list", "--json"]).ok().stdout,
        f.run(&["stats", "--json"]).ok().stdout,
        f.run(&["log", "-n", "100000"]).ok().stdout,
        f.run(&["app", "show"]).ok().stdout,
    ];
    let list = f.run(&["list", "--json"]).ok().json();
    for b in list.as_array().unwrap() {
        let name = b["name"].as_str().unwrap();
        out.push(f.run(&["show", name, "--json"]).ok().stdout);
        out.push(f.run(&["stats", name, "--json"]).ok().stdout);
    }
    out
}

/// The fake's request log in a comparable form (concurrent bots may interleave).
fn requests(n: &Net) -> Vec<String> {
    let mut v: Vec<String> = n
        .fake
        .requests()
        .into_iter()
        .map(|r| format!("{} {}?{} user={:?} key={:?}", r.method, r.path, r.query, r.user, r.idempotency_key))
        .collect();
    v.sort();
    v
}

/// A farm with bots of every kind and a history: cached posts, cursors, dedup hashes,
/// rate-limit state, an event log, counters, analyzer scores and shared app keys.
fn busy_farm() -> Net {
    let mut n = Net::new();
    for u in ["r1", "r2", "w1", "w2", "w3"] {
        for e in [Endpoint::Timeline, Endpoint::Post, Endpoint::Verify, Endpoint::OwnPosts] {
            n.fake.set_rate_limit(u, e, 100_000, 900);
        }
    }
    n.x_bot("reader", "r1", "x", &[]);
    n.masto_bot("reader", "r2", &[]);
    n.x_bot("writer", "w1", "x", &["--source", "r1", "--template", "A: {}", "--every", "30m"]);
    n.x_bot("writer", "w2", "x-v1", &["--source", "r1", "--template", "B: {}"]);
    n.masto_bot("writer", "w3", &["--source", "r2", "--template", "C: {}"]);
    n.farm.run(&["create", "analyzer", "a1", "--writer", "w1", "--every", "2h", "--min-age", "1h"]).ok();
    n.farm.run_env(&["app", "set", "x"], &[("FARM_CONSUMER_KEY", CK), ("FARM_CONSUMER_SECRET", CS)]).ok();
    n.seed("r1", 30, "x");
    n.seed("r2", 30, "m");
    for i in 0..18 {
        if i == 7 {
            n.fake.fail_next(1, Fault::RateLimited { reset: T0 + 9 * 600 }, Some("/2/tweets"));
        }
        let _ = n.at(T0 + i * 600, &["run"]);
        if i % 4 == 3 {
            n.seed("r1", 3, &format!("x{i}"));
            n.seed("r2", 3, &format!("m{i}"));
            for p in n.fake.posts_by("w1") {
                n.fake.set_engagement(p.id, p.id % 7, p.id % 3);
            }
        }
    }
    n
}

fn export(f: &Farm, args: &[&str]) -> PathBuf {
    let path = f.dir.path().join(args.last().unwrap());
    let mut full = vec!["export"];
    full.extend_from_slice(&args[..args.len() - 1]);
    let p = path.to_str().unwrap().to_string();
    full.push(&p);
    f.run(&full).ok();
    path
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

// ---- round trips ------------------------------------------------------------------------------

#[test]
fn round_trip_carries_every_bot_on_where_it_stopped() {
    let mut n = busy_farm();
    let t = T0 + 18 * 600;
    n.farm.set_now(&support::net::rfc(t));
    let stats = n.farm.run(&["stats", "--json"]).ok().json();
    assert!(stats.to_string().contains("rate"), "some rate-limit state: {stats}");
    let tar = export(&n.farm, &["farm.tar"]);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&tar).unwrap().permissions().mode() & 0o777, 0o600);

    let b = twin(&n.farm);
    let r = b.run(&["import", tar.to_str().unwrap()]).ok();
    assert!(r.stdout.contains("imported 6 bots"), "{}", r.stdout);
    assert_eq!(view(&n.farm), view(&b), "the imported farm looks the same");
    // Nothing left next to the data directory but the farm itself.
    assert_eq!(listing(b.dir.path()), ["data"]);

    // The next cron run: the original first, then the copy, against the same fake. The copy
    // must send exactly the same requests (same cursors, same idempotency keys) and post
    // nothing new (X calls a repeated text a duplicate; Mastodon replays the idempotency key).
    n.seed("r1", 3, "after");
    n.seed("r2", 3, "after");
    let next = t + 3600;
    n.fake.clear_requests();
    n.at(next, &["run"]).ok();
    let original = requests(&n);
    let posted: Vec<usize> = ["w1", "w2", "w3"].iter().map(|w| n.posted(w).len()).collect();
    assert!(original.iter().any(|r| r.contains("POST")), "the next run posts: {original:?}");
    n.fake.clear_requests();
    let mut b = b;
    b.set_now(&support::net::rfc(next));
    b.run(&["run"]).ok();
    assert_eq!(requests(&n), original, "the imported farm makes the same requests");
    let after: Vec<usize> = ["w1", "w2", "w3"].iter().map(|w| n.posted(w).len()).collect();
    assert_eq!(after, posted, "nothing reposted");
    assert_eq!(n.farm.run(&["list", "--json"]).ok().stdout, b.run(&["list", "--json"]).ok().stdout);
    // Event sequence numbers carry on: the newest event of each bot is from this run.
    for bot in ["r1", "w1", "w3"] {
        let log = b.run(&["log", bot, "-n", "1", "--json"]).ok().json();
        assert_eq!(log[0]["at"], botfarm::clock::format(next), "{bot}: {log}");
        // (Rate-limit windows are the fake's, on the wall clock: both runs used the same one.)
        let state = |f: &Farm| {
            let mut s = f.run(&["show", bot, "--json"]).ok().json()["state"].take();
            s.as_object_mut().unwrap().remove("rate_limits");
            s
        };
        assert_eq!(state(&b), state(&n.farm), "{bot}");
    }
}

#[test]
fn no_secrets_leaves_credentials_out() {
    let n = busy_farm();
    let full = std::fs::read(export(&n.farm, &["full.tar"])).unwrap();
    let bare_path = export(&n.farm, &["--no-secrets", "bare.tar"]);
    let bare = std::fs::read(&bare_path).unwrap();
    let secrets = [CK, CS, "tok-r1-0123456789", "sec-w2-0123456789", "bearer-w3-0123456789"];
    for s in secrets {
        assert!(contains(&full, s), "a full export has {s}");
        assert!(!contains(&bare, s), "--no-secrets leaked {s}");
    }
    let b = twin(&n.farm);
    let r = b.run(&["import", bare_path.to_str().unwrap()]).ok();
    assert!(r.stdout.contains("no credentials"), "{}", r.stdout);
    let strip = |f: &Farm| {
        let mut v = f.run(&["list", "--json"]).ok().json();
        for b in v.as_array_mut().unwrap() {
            b.as_object_mut().unwrap().remove("credentials");
        }
        v
    };
    assert_eq!(strip(&n.farm), strip(&b));
    assert!(b.run(&["app", "show"]).ok().stdout.contains("no app keys"));
    // The state came along; only when it is next due differs: without credentials it "needs
    // auth" and is due only once `farm auth` gave it some.
    let state = |f: &Farm| {
        let mut st = f.run(&["show", "w1", "--json"]).ok().json()["state"].clone();
        st.as_object_mut().unwrap().remove("next_due_at");
        st
    };
    assert_eq!(state(&b), state(&n.farm));
    assert_eq!(b.run(&["show", "w1", "--json"]).ok().json()["status"], "needs auth");
}

#[test]
fn gzip_round_trip_and_pipes() {
    let n = busy_farm();
    let gz = export(&n.farm, &["-z", "farm.tar.gz"]);
    let bytes = std::fs::read(&gz).unwrap();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b]);
    let plain = std::fs::read(export(&n.farm, &["farm.tar"])).unwrap();
    assert!(bytes.len() * 3 < plain.len(), "gzip {} vs plain {}", bytes.len(), plain.len());
    // Detected by content, whatever the name.
    let renamed = n.farm.dir.path().join("farm.bin");
    std::fs::rename(&gz, &renamed).unwrap();
    let b = twin(&n.farm);
    b.run(&["import", renamed.to_str().unwrap()]).ok();
    assert_eq!(view(&n.farm), view(&b));

    // Stdout to stdin.
    let out = n.farm.cmd(&["export", "--gzip", "-"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(&out.stdout[..2], &[0x1f, 0x8b]);
    let c = twin(&n.farm);
    let mut cmd = c.cmd(&["import", "-"]);
    cmd.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &out.stdout).unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    assert_eq!(view(&n.farm), view(&c));
}

// ---- hostile archives -------------------------------------------------------------------------

/// The entries of a real export: (path, bytes).
fn entries(archive: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut a = tar::Archive::new(archive);
    a.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let path = e.path().unwrap().to_string_lossy().into_owned();
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut data).unwrap();
            (path, data)
        })
        .collect()
}

/// A header with any name, type and size (raw bytes: the tar crate refuses `..` in set_path).
fn header(name: &str, size: u64, kind: tar::EntryType, link: Option<&str>) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_size(size);
    h.set_mode(0o600);
    h.set_entry_type(kind);
    {
        let bytes = h.as_mut_bytes();
        bytes[..100].fill(0);
        bytes[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(l) = link {
            bytes[157..257].fill(0);
            bytes[157..157 + l.len()].copy_from_slice(l.as_bytes());
        }
    }
    h.set_cksum();
    h
}

/// Build an archive from (header, data) pairs: data is written as given (it may disagree
/// with the header's size on purpose), padded to the block size.
fn build(parts: &[(tar::Header, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (h, data) in parts {
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend_from_slice(&[0; 1024]);
    out
}

fn regular(path: &str, data: &[u8]) -> (tar::Header, Vec<u8>) {
    regular_kind(path, data, tar::EntryType::Regular)
}

fn regular_kind(path: &str, data: &[u8], kind: tar::EntryType) -> (tar::Header, Vec<u8>) {
    (header(path, data.len() as u64, kind, None), data.to_vec())
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut e, data).unwrap();
    e.finish().unwrap()
}

#[test]
fn hostile_archives_are_refused_and_change_nothing() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("writer", "w", "x", &["--source", "r"]);
    n.seed("r", 5, "a");
    n.at(T0, &["run"]).ok();
    let good = std::fs::read(export(&n.farm, &["good.tar"])).unwrap();
    let ents = entries(&good);
    let manifest: serde_json::Value = serde_json::from_slice(&ents[0].1).unwrap();
    let bots_ix = ents.iter().position(|(_, d)| contains(d, "tok-r-0123456789")).unwrap();
    let valid: Vec<_> = ents.iter().map(|(p, d)| regular(p, d)).collect();
    let with = |i: usize, part: (tar::Header, Vec<u8>)| {
        let mut v = valid.clone();
        v[i] = part;
        build(&v)
    };
    let with_manifest = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut m = manifest.clone();
        f(&mut m);
        with(0, regular("manifest.json", &serde_json::to_vec(&m).unwrap()))
    };
    let bots_path = ents[bots_ix].0.clone();
    let bots_data = ents[bots_ix].1.clone();
    let mut tampered = bots_data.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let mut bigger = bots_data.clone();
    bigger.extend_from_slice(&[0, 0, 0, 1, b'z', 0, 0, 0, 1, 1]);
    let mut garbage = Vec::new();
    let mut x: u32 = 12345;
    for _ in 0..5000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        garbage.push((x >> 16) as u8);
    }
    let gz = gzip(&good);
    let mut gz_bad = gz.clone();
    let mid = gz_bad.len() / 2;
    for b in &mut gz_bad[mid..mid + 16] {
        *b ^= 0x5a;
    }
    let mut dup = valid.clone();
    dup.insert(1, valid[0].clone());
    let mut extra = valid.clone();
    extra.push(regular("trees/999999.bin", b""));
    let mut no_manifest = valid.clone();
    no_manifest.remove(0);

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("absolute path", with(bots_ix, regular("/tmp/evil.bin", &bots_data)), "absolute"),
        ("dot-dot path", with(bots_ix, regular("trees/../../evil.bin", &bots_data)), "'..'"),
        (
            "symlink",
            with(bots_ix, (header(&bots_path, 0, tar::EntryType::Symlink, Some("/etc/passwd")), vec![])),
            "symbolic link",
        ),
        (
            "hard link",
            with(bots_ix, (header(&bots_path, 0, tar::EntryType::Link, Some("manifest.json")), vec![])),
            "hard link",
        ),
        ("device", with(bots_ix, (header(&bots_path, 0, tar::EntryType::Char, None), vec![])), "device"),
        ("fifo", with(bots_ix, (header(&bots_path, 0, tar::EntryType::Fifo, None), vec![])), "FIFO"),
        (
            "huge GNU long name",
            with(bots_ix, (header("././@LongLink", 1 << 40, tar::EntryType::GNULongName, None), vec![])),
            "unsupported entry type",
        ),
        (
            "pax header",
            with(
                bots_ix,
                regular_kind("PaxHeaders/x", b"30 path=../../../../etc/passwd\n", tar::EntryType::XHeader),
            ),
            "unsupported entry type",
        ),
        ("duplicate", build(&dup), "duplicate"),
        ("extra entry", build(&extra), "extra entry"),
        ("larger than the manifest says", with(bots_ix, regular(&bots_path, &bigger)), "manifest says"),
        (
            "huge declared entry",
            with(bots_ix, (header(&bots_path, 1 << 40, tar::EntryType::Regular, None), bots_data.clone())),
            "manifest says",
        ),
        (
            "huge declared manifest size",
            with_manifest(&|m| {
                m["trees"][1]["bytes"] = serde_json::json!(1u64 << 50);
                m["bytes"] = serde_json::json!(1u64 << 50);
            }),
            "impossible size",
        ),
        (
            "huge manifest entry",
            with(0, (header("manifest.json", 1 << 40, tar::EntryType::Regular, None), vec![])),
            "manifest is",
        ),
        ("tampered record", with(bots_ix, regular(&bots_path, &tampered)), "damaged"),
        (
            "tampered manifest",
            with_manifest(&|m| m["trees"][1]["sha1"] = serde_json::json!("0".repeat(40))),
            "checksum",
        ),
        ("truncated", good[..good.len() / 2].to_vec(), "truncated"),
        ("truncated gzip", gz[..gz.len() / 2].to_vec(), "truncated"),
        ("corrupt gzip", gz_bad, "damaged"),
        ("newer format", with_manifest(&|m| m["format_version"] = serde_json::json!(2)), "newer farm"),
        ("missing manifest", build(&no_manifest), "not a farm export"),
        ("garbage", garbage, "not a farm export"),
        ("empty", Vec::new(), "empty"),
    ];
    let before = n.farm.run(&["list", "--json"]).ok().stdout;
    let data = n.farm.db();
    let parent = n.farm.dir.path().to_path_buf();
    let files = parent.join("hostile");
    std::fs::create_dir(&files).unwrap();
    let parent_before = listing(&parent);
    let fresh = TempDir::new("hostile-fresh");
    for (name, bytes, want) in cases {
        let file = files.join(name.replace(' ', "-"));
        std::fs::write(&file, &bytes).unwrap();
        let r = n.farm.run(&["import", "--replace", file.to_str().unwrap()]);
        assert_eq!(r.code, 65, "{name}: {}", r.stderr);
        assert!(r.stderr.contains(want), "{name}: expected {want:?} in {}", r.stderr);
        assert_eq!(r.stderr.trim_end().lines().count(), 1, "{name}: one line: {}", r.stderr);
        assert_eq!(listing(&parent), parent_before, "{name}: nothing written next to the farm");
        assert_eq!(n.farm.run(&["list", "--json"]).ok().stdout, before, "{name}: farm unchanged");
        // Into a new directory: nothing is created at all.
        let r = n.farm.run_env(
            &["import", file.to_str().unwrap()],
            &[("FARM_DB", fresh.path().join("new").to_str().unwrap())],
        );
        assert_eq!(r.code, 65, "{name} (new dir): {}", r.stderr);
        assert!(listing(fresh.path()).is_empty(), "{name}: {:?}", listing(fresh.path()));
    }
    assert!(data.join("db").exists());
    // The good archive still imports.
    n.farm.run(&["import", "--replace", parent.join("good.tar").to_str().unwrap()]).ok();
    assert_eq!(n.farm.run(&["list", "--json"]).ok().stdout, before);
}

// ---- big farms, built through the library -----------------------------------------------------

fn bot(name: &str, role: Role, source: Option<&str>) -> Bot {
    Bot {
        name: name.to_string(),
        role,
        platform: PlatformKind::Mastodon,
        api: "http://127.0.0.1:9".to_string(),
        every: 3600,
        paused: false,
        source: source.map(str::to_string),
        creds: Credentials { access_token: format!("bearer-{name}-secret"), ..Default::default() },
        template: None,
        process: Vec::new(),
        filters: Vec::new(),
        visibility: None,
        reader: ReaderOpts { max_count: 1_000_000, ..ReaderOpts::default() },
        created_at: T0,
        settings: Vec::new(),
    }
}

/// A farm of `readers` readers with `posts` cached posts each and `writers` writers, written
/// straight through the store.
fn big_farm(dir: &Path, readers: usize, posts: usize, writers: usize) {
    let mut store = Store::open(dir).unwrap();
    let text = "a cached post of about a hundred and fifty characters, like most real ones are; \
                it has some words, some punctuation and a link http://x.y/z";
    for r in 0..readers {
        let name = format!("r{r:04}");
        store.put_bot(&bot(&name, Role::Reader, None)).unwrap();
        let mut batch = Vec::with_capacity(1000);
        for i in 0..posts {
            batch.push(Post {
                id: 1_000_000_000_000 + (r * posts + i) as u64,
                author: format!("author{}", i % 97),
                text: format!("{text} #{i}"),
                created_at: T0 + i as i64,
                is_repost: false,
                is_reply: false,
                has_links: true,
                lang: Some("en".into()),
                ..Default::default()
            });
            if batch.len() == 1000 {
                store.add_posts(&name, &batch).unwrap();
                batch.clear();
            }
        }
        store.add_posts(&name, &batch).unwrap();
        store
            .put_state(
                &name,
                &BotState { cursor: Some("1".into()), cached: posts as u64, ..Default::default() },
            )
            .unwrap();
    }
    for w in 0..writers {
        let name = format!("w{w:04}");
        let source = format!("r{:04}", w % readers.max(1));
        store.put_bot(&bot(&name, Role::Writer, Some(&source))).unwrap();
        store.put_state(&name, &BotState { consumed: 1_000_000_000_000, ..Default::default() }).unwrap();
        for h in 0..20u64 {
            store.add_hash(&name, h * 7919 + w as u64, T0).unwrap();
        }
        for e in 0..10 {
            store.log(&name, T0 + e, "post", "posted something").unwrap();
        }
    }
    // As `farm run` does after caching: a farm this big keeps its posts in the shards.
    store.settle_posts().unwrap();
    store.flush().unwrap();
    support::close_store(store);
}

#[test]
fn an_import_killed_half_way_leaves_the_old_farm() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    n.x_bot("writer", "w", "x", &["--source", "r"]);
    n.seed("r", 5, "a");
    n.at(T0, &["run"]).ok();
    let before = n.farm.run(&["list", "--json"]).ok().stdout;
    let small = export(&n.farm, &["small.tar"]);

    let f = Farm::new();
    big_farm(&f.db(), 2, 3_000, 2);
    let big_tar = f.dir.path().join("big.tar");
    f.run(&["export", big_tar.to_str().unwrap()]).ok();
    let big = f.run(&["list", "--json"]).ok().stdout;

    // Killed (like kill -9) at each step of an import: before the switch the old farm is whole;
    // from the atomic exchange on, the new one is, whole too.
    let parent = n.farm.dir.path().to_path_buf();
    let big_arg = big_tar.to_str().unwrap();
    for (point, switched) in [
        ("import-tree-loaded", false),
        ("import-before-switch", false),
        ("import-swapped", true),
        ("import-after-switch", true),
    ] {
        let killed = n.farm.run_env(&["import", "--replace", big_arg], &[("FARM_CRASH_AT", point)]);
        assert_eq!(killed.code, -1, "not killed at {point}: {}", killed.stderr);
        assert!(listing(&parent).iter().any(|n| n.contains(".import-")), "{point}: no leftover");
        let want = if switched { &big } else { &before };
        assert_eq!(&n.farm.run(&["list", "--json"]).ok().stdout, want, "killed at {point}");
        // Back to the small farm for the next point; this import cleans up what was left.
        n.farm.run(&["import", "--replace", small.to_str().unwrap()]).ok();
        assert_eq!(n.farm.run(&["list", "--json"]).ok().stdout, before, "after {point}");
    }
    n.at(T0 + 3600, &["run"]).ok();
    let left: Vec<String> = listing(&parent).into_iter().filter(|n| n.contains(".import-")).collect();
    assert!(left.is_empty(), "{left:?}");
}

// ---- locks, refusals, backups -----------------------------------------------------------------

#[test]
fn leftovers_of_killed_imports_are_removed_or_kept() {
    let news = Farm::x_env("tok-AAAA1111", "sec-BBBB2222");
    let f = Farm::new();
    f.create(&["create", "reader", "news", "--platform", "x"], &news).ok();
    let tar = export(&f, &["a.tar"]);
    let other = Farm::new();
    other.create(&["create", "reader", "elsewhere", "--platform", "x"], &news).ok();
    let parent = f.dir.path();
    // Killed before its switch: its own database, the inode of which the marker has.
    let before = parent.join("data.import-4000001");
    std::fs::create_dir_all(before.join("db")).unwrap();
    use std::os::unix::fs::MetadataExt;
    let ino = std::fs::metadata(before.join("db")).unwrap().ino();
    std::fs::write(before.join(".farm-staging"), format!("staging\nnew-db {ino}\n")).unwrap();
    // Killed after its switch: the database it holds is the farm it replaced.
    let after = parent.join("data.import-4000002");
    std::fs::create_dir(&after).unwrap();
    std::fs::rename(other.db().join("db"), after.join("db")).unwrap();
    std::fs::write(after.join(".farm-staging"), "staging\nnew-db 1\n").unwrap();
    // Not ours (no marker): left alone.
    std::fs::create_dir(parent.join("data.import-mine")).unwrap();

    let r = f.run(&["compact"]).ok();
    assert!(r.stderr.contains("had already switched"), "{}", r.stderr);
    let names = listing(parent);
    assert!(!names.contains(&"data.import-4000001".to_string()), "{names:?}");
    assert!(!names.contains(&"data.import-4000002".to_string()), "{names:?}");
    assert!(names.contains(&"data.import-mine".to_string()), "{names:?}");
    let backup = names.iter().find(|n| n.starts_with("data.backup-")).expect("a backup");
    let kept =
        f.run_env(&["list", "--json"], &[("FARM_DB", parent.join(backup).to_str().unwrap())]).ok().json();
    assert_eq!(kept[0]["name"], "elsewhere");

    // Killed between the two renames of the fallback switch: the farm is given back first.
    let mid = parent.join("data.compact-4000003");
    std::fs::create_dir(&mid).unwrap();
    std::fs::rename(f.db().join("db"), mid.join("db.old")).unwrap();
    std::fs::write(mid.join(".farm-staging"), "staging\n").unwrap();
    // Until then the farm looks damaged, never empty.
    let r = f.run(&["list", "--json"]).code(65);
    assert!(r.stderr.contains("damaged"), "{}", r.stderr);
    let r = f.run(&["import", tar.to_str().unwrap()]);
    assert_eq!(r.code, 64, "the restored farm needs --replace: {}", r.stderr);
    assert!(r.stderr.contains("restored the farm"), "{}", r.stderr);
    assert_eq!(f.run(&["list", "--json"]).ok().json()[0]["name"], "news");
    assert!(!listing(parent).iter().any(|n| n.starts_with("data.compact-")));
}

#[test]
fn export_and_import_wait_for_the_lock() {
    let f = Farm::new();
    f.create(&["create", "reader", "news", "--platform", "x"], &Farm::x_env("tok-AAAA1111", "sec-BBBB2222"))
        .ok();
    let tar = export(&f, &["a.tar"]);
    let lock = botfarm::store::lock_dir(&f.db()).unwrap();
    let r = f.run(&["export", "--wait", "0", f.dir.path().join("b.tar").to_str().unwrap()]).code(75);
    assert!(r.stderr.contains("another farm process is using"), "{}", r.stderr);
    assert!(!f.dir.path().join("b.tar").exists());
    let r = f.run(&["import", "--replace", tar.to_str().unwrap()]).code(75);
    assert!(r.stderr.contains("another farm process is using"), "{}", r.stderr);
    drop(lock);
    f.run(&["import", "--replace", tar.to_str().unwrap()]).ok();
}

#[test]
fn import_over_a_farm_needs_replace_and_keeps_one_backup() {
    let f = Farm::new();
    f.create(&["create", "reader", "news", "--platform", "x"], &Farm::x_env("tok-AAAA1111", "sec-BBBB2222"))
        .ok();
    let tar = export(&f, &["a.tar"]);
    let r = f.run(&["import", tar.to_str().unwrap()]).code(64);
    assert!(r.stderr.contains("--replace"), "{}", r.stderr);
    assert_eq!(listing(f.dir.path()), ["a.tar", "data"]);

    // A directory with something else in it is never imported into.
    let other = TempDir::new("other");
    std::fs::write(other.path().join("notes.txt"), "mine").unwrap();
    let r = f.run_env(
        &["import", "--replace", tar.to_str().unwrap()],
        &[("FARM_DB", other.path().to_str().unwrap())],
    );
    assert_eq!(r.code, 64, "{}", r.stderr);
    assert_eq!(listing(other.path()), ["notes.txt"]);

    f.run(&["destroy", "news", "--yes"]).ok();
    f.run(&["import", "--replace", tar.to_str().unwrap()]).ok();
    let backups = |f: &Farm| -> Vec<String> {
        listing(f.dir.path()).into_iter().filter(|n| n.starts_with("data.backup-")).collect()
    };
    let first = backups(&f);
    assert_eq!(first.len(), 1, "{first:?}");
    // The backup is a farm of its own: the one before the import, without the reader.
    let old =
        f.run_env(&["list", "--json"], &[("FARM_DB", f.dir.path().join(&first[0]).to_str().unwrap())]).ok();
    assert_eq!(old.json(), serde_json::json!([]));
    assert_eq!(f.run(&["list", "--json"]).ok().json().as_array().unwrap().len(), 1);
    f.run(&["import", "--replace", tar.to_str().unwrap()]).ok();
    let second = backups(&f);
    assert_eq!(second.len(), 1, "{second:?}");
    assert_ne!(first, second, "the older backup goes after the next import");
}

/// The per-tree lines of an archive's manifest: (name, records, bytes, sha1).
fn manifest_trees(archive: &Path) -> Vec<(String, u64, u64, String)> {
    let bytes = std::fs::read(archive).unwrap();
    let (path, json) = entries(&bytes).remove(0);
    assert_eq!(path, "manifest.json");
    let m: serde_json::Value = serde_json::from_slice(&json).unwrap();
    m["trees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let s = |k: &str| t[k].as_str().unwrap().to_string();
            (s("name"), t["records"].as_u64().unwrap(), t["bytes"].as_u64().unwrap(), s("sha1"))
        })
        .collect()
}

#[test]
fn walks_longer_than_a_release_round_trip_every_post() {
    // More posts than the archive code reads between two closings of the posts shards, so
    // walks and loads go on after reopening, in the middle of a tree.
    let f = Farm::new();
    let per_reader = botfarm::store::RELEASE_EVERY as usize / 3 + 1;
    big_farm(&f.db(), 4, per_reader, 2);
    let first = export(&f, &["first.tar"]);
    let trees = manifest_trees(&first);
    let posts: Vec<&(String, u64, u64, String)> =
        trees.iter().filter(|t| t.0.starts_with("posts:")).collect();
    assert_eq!(posts.len(), 4);
    assert!(posts.iter().all(|t| t.1 == per_reader as u64), "{posts:?}");
    // Control trees first, then the posts shard by shard.
    let shards: Vec<usize> = posts.iter().map(|t| botfarm::store::shard_of(&t.0["posts:".len()..])).collect();
    assert!(shards.windows(2).all(|w| w[0] <= w[1]), "{shards:?}");

    let g = Farm::new();
    g.run(&["import", first.to_str().unwrap()]).ok();
    let second = export(&g, &["second.tar"]);
    assert_eq!(manifest_trees(&second), trees);
    assert_eq!(g.run(&["stats", "--json"]).ok().stdout, f.run(&["stats", "--json"]).ok().stdout);
}

/// Rewrite an archive the way farm wrote them before the posts were sharded (schema 4): trees in
/// name order, so consecutive posts trees belong to different shards.
fn as_schema_4(archive: &Path, to: &Path) {
    use sha1::{Digest, Sha1};
    let bytes = std::fs::read(archive).unwrap();
    let mut ents = entries(&bytes);
    let (_, json) = ents.remove(0);
    let mut m: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let data: std::collections::HashMap<String, Vec<u8>> = ents.into_iter().collect();
    let mut trees = m["trees"].as_array().unwrap().clone();
    trees.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    let mut h = Sha1::new();
    let mut parts = Vec::new();
    for (i, t) in trees.iter_mut().enumerate() {
        let body = data[t["file"].as_str().unwrap()].clone();
        let file = format!("trees/{i:06}.bin");
        t["file"] = serde_json::json!(file);
        h.update(t["sha1"].as_str().unwrap().as_bytes());
        h.update(b"\n");
        parts.push(regular(&file, &body));
    }
    let hexed: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    m["checksum"] = serde_json::json!(format!("sha1:{hexed}"));
    m["schema"] = serde_json::json!(4);
    m["trees"] = serde_json::json!(trees);
    parts.insert(0, regular("manifest.json", &serde_json::to_vec(&m).unwrap()));
    std::fs::write(to, build(&parts)).unwrap();
}

#[test]
fn an_archive_of_schema_4_in_name_order_imports() {
    let f = Farm::new();
    big_farm(&f.db(), 12, 300, 3);
    let first = export(&f, &["first.tar"]);
    let old = f.dir.path().join("old.tar");
    as_schema_4(&first, &old);
    let names: Vec<String> = manifest_trees(&old).into_iter().map(|t| t.0).collect();
    let shards: Vec<usize> =
        names.iter().filter_map(|n| n.strip_prefix("posts:")).map(botfarm::store::shard_of).collect();
    assert!(shards.windows(2).any(|w| w[0] > w[1]), "the posts trees are not out of shard order: {shards:?}");

    let g = Farm::new();
    g.run(&["import", old.to_str().unwrap()]).ok();
    let mut again = manifest_trees(&export(&g, &["again.tar"]));
    let mut want = manifest_trees(&first);
    again.sort();
    want.sort();
    assert_eq!(again, want);
    assert_eq!(g.run(&["stats", "--json"]).ok().stdout, f.run(&["stats", "--json"]).ok().stdout);
}

#[test]
fn compact_gives_space_back_and_the_farm_still_works() {
    let mut f = Farm::new();
    big_farm(&f.db(), 2, 20_000, 2);
    {
        let store = Store::open(&f.db()).unwrap();
        for r in ["r0000", "r0001"] {
            store.prune_posts(r, 500, |_| false).unwrap();
        }
        store.flush().unwrap();
    }
    f.set_now(&support::net::rfc(T0 + 7200));
    let before_view = (f.run(&["list", "--json"]).ok().stdout, f.run(&["stats", "--json"]).ok().stdout);
    let before = du(&f.db().join("db"));
    let r = f.run(&["compact"]).ok();
    let after = du(&f.db().join("db"));
    assert!(r.stdout.starts_with("compacted: ") && r.stdout.contains(" → "), "{}", r.stdout);
    assert!(after * 2 < before, "{before} → {after}");
    assert_eq!(listing(f.dir.path()), ["data"]);
    assert_eq!(
        before_view,
        (f.run(&["list", "--json"]).ok().stdout, f.run(&["stats", "--json"]).ok().stdout)
    );
    f.run(&["log", "w0000", "-n", "3"]).ok();
    // It still takes writes, and a second compact works too.
    f.run(&["pause", "w0001"]).ok();
    f.run(&["compact"]).ok();
    assert_eq!(f.run(&["show", "w0001", "--json"]).ok().json()["paused"], true);
    let lock = botfarm::store::lock_dir(&f.db()).unwrap();
    f.run(&["compact", "--wait", "0"]).code(75);
    drop(lock);
}

// ---- benchmark --------------------------------------------------------------------------------

/// Run `farm ARGS` on `dir` and return (wall time, peak RSS in kB).
fn measure(dir: &Path, args: &[&str]) -> (Duration, u64) {
    let farm = env!("CARGO_BIN_EXE_farm");
    let time = Path::new("/usr/bin/time");
    let start = Instant::now();
    if time.exists() {
        let out = std::process::Command::new(time)
            .args(["-f", "RSS_KB=%M", farm])
            .args(args)
            .env("FARM_DB", dir)
            .stdout(std::process::Stdio::null())
            .output()
            .unwrap();
        let wall = start.elapsed();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        let rss = err.lines().find_map(|l| l.strip_prefix("RSS_KB=")).unwrap().trim().parse().unwrap();
        return (wall, rss);
    }
    // No /usr/bin/time: poll the child's high-water mark.
    let mut child = std::process::Command::new(farm)
        .args(args)
        .env("FARM_DB", dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut rss = 0;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status) {
            if let Some(v) = s.lines().find_map(|l| l.strip_prefix("VmHWM:")) {
                rss = rss.max(v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0));
            }
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    (start.elapsed(), rss)
}

/// 1,000 bots and 1,000,000 cached posts: export (plain and gzip) and import as child
/// processes, with wall time and peak RSS. Run by hand:
/// `cargo test --release --test archive -- --ignored --nocapture bench_export_import`
#[test]
#[ignore]
fn bench_export_import() {
    let tmp = TempDir::new("bench");
    // FARM_BENCH_SRC=DIR keeps the built farm there and reuses it on the next run.
    let src = std::env::var_os("FARM_BENCH_SRC").map_or_else(|| tmp.path().join("src"), PathBuf::from);
    let start = Instant::now();
    if !src.join("db").exists() {
        big_farm(&src, 200, 5_000, 800);
    }
    eprintln!(
        "built 1000 bots, 1,000,000 posts in {:?}; db {} MB",
        start.elapsed(),
        du(&src.join("db")) / 1_000_000
    );
    let tar = tmp.path().join("farm.tar");
    let tgz = tmp.path().join("farm.tar.gz");
    let (t, rss) = measure(&src, &["export", tar.to_str().unwrap()]);
    let size = std::fs::metadata(&tar).unwrap().len();
    eprintln!(
        "export:        {:6.2} s  peak RSS {:5.1} MB  archive {:.1} MB",
        t.as_secs_f64(),
        rss as f64 / 1024.0,
        size as f64 / 1e6
    );
    let (t, rss) = measure(&src, &["export", "--gzip", tgz.to_str().unwrap()]);
    let size = std::fs::metadata(&tgz).unwrap().len();
    eprintln!(
        "export --gzip: {:6.2} s  peak RSS {:5.1} MB  archive {:.1} MB",
        t.as_secs_f64(),
        rss as f64 / 1024.0,
        size as f64 / 1e6
    );
    for (what, file) in [("import", &tar), ("import (gzip)", &tgz)] {
        let dst = tmp.path().join(format!("dst-{}", what.len()));
        let (t, rss) = measure(&dst, &["import", file.to_str().unwrap()]);
        eprintln!(
            "{what:<14} {:6.2} s  peak RSS {:5.1} MB  db {} MB",
            t.as_secs_f64(),
            rss as f64 / 1024.0,
            du(&dst.join("db")) / 1_000_000
        );
    }
    let (t, rss) = measure(&src, &["compact"]);
    eprintln!("compact:       {:6.2} s  peak RSS {:5.1} MB", t.as_secs_f64(), rss as f64 / 1024.0);
}

#[test]
fn a_random_file_is_one_clean_line_and_exit_65() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &[]);
    n.seed("r", 3, "a");
    n.at(T0, &["run"]).ok();
    let good = std::fs::read(export(&n.farm, &["good.tar"])).unwrap();
    let before = view(&n.farm);
    // Bytes of every value, new lines, carriage returns and escapes among them.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut random = |len: usize| -> Vec<u8> {
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    };
    let mut inputs: Vec<(&str, Vec<u8>)> = vec![
        ("random", random(5000)),
        ("random-small", random(700)),
        ("random-big", random(200_000)),
        ("text", b"hello \x1b[31mred\x1b[0m\r\nsecond line\n\x07bell\n".to_vec()),
        ("empty", Vec::new()),
        ("gzip-of-nothing", gzip(b"")),
        ("gzip-of-random", gzip(&random(3000))),
        ("truncated-tar", good[..good.len() / 2].to_vec()),
        ("truncated-gzip", gzip(&good)[..300].to_vec()),
        ("one-block", good[..700].to_vec()),
    ];
    // A random header with a valid checksum, so the reader gets as far as its name.
    let mut block = random(512);
    block[148..156].copy_from_slice(b"        ");
    let sum: u32 = block.iter().map(|&b| b as u32).sum();
    block[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    block.extend(random(2048));
    inputs.push(("random-header", block));
    // Entry names made of terminal escapes and new lines.
    let evil = "\x1b]0;owned\x07\x1b[2J\r\nfarm: all good\u{202e}";
    inputs.push(("evil-name", build(&[regular(evil, b"x")])));
    let mut m = entries(&good);
    m[0].1 = format!(
        "{{\"format\": \"{}\"}}",
        evil.replace('\x1b', "\\u001b").replace('\r', "\\r").replace('\n', "\\n").replace('\x07', "\\u0007")
    )
    .into_bytes();
    inputs.push(("evil-manifest", build(&m.iter().map(|(p, d)| regular(p, d)).collect::<Vec<_>>())));
    for (name, bytes) in &inputs {
        let file = n.farm.dir.path().join(format!("{name}.in"));
        std::fs::write(&file, bytes).unwrap();
        let r = n.farm.run(&["import", "--replace", file.to_str().unwrap()]);
        assert_eq!(r.code, 65, "{name}: {}", r.stderr);
        assert_eq!(r.stderr.matches('\n').count(), 1, "{name}: {:?}", r.stderr);
        assert!(
            r.stderr.ends_with('\n') && r.stderr.starts_with("farm: cannot import"),
            "{name}: {:?}",
            r.stderr
        );
        let bad: Vec<char> = r
            .stderr
            .trim_end_matches('\n')
            .chars()
            .filter(|c| c.is_control() || *c == '\u{fffd}' || *c == '\u{202e}')
            .collect();
        assert!(bad.is_empty(), "{name}: {bad:?} in {:?}", r.stderr);
        assert!(r.stdout.is_empty(), "{name}: {}", r.stdout);
    }
    assert_eq!(view(&n.farm), before);
}

#[test]
fn export_follows_a_link_and_writes_into_a_pipe_instead_of_replacing_them() {
    use std::os::unix::fs::FileTypeExt;
    let mut n = Net::new();
    n.masto_bot("reader", "r", &[]);
    n.at(T0, &["run"]).ok();
    let dir = n.farm.dir.path().to_path_buf();
    // A link to the backup file: the file is replaced, the link stays a link.
    std::fs::write(dir.join("real.tar"), "old").unwrap();
    std::os::unix::fs::symlink("real.tar", dir.join("link.tar")).unwrap();
    n.farm.run(&["export", dir.join("link.tar").to_str().unwrap()]).ok();
    assert!(std::fs::symlink_metadata(dir.join("link.tar")).unwrap().file_type().is_symlink());
    assert!(std::fs::read(dir.join("real.tar")).unwrap().len() > 512, "the link's file was not written");
    // A named pipe (like /dev/null or /dev/stdout, a node that is not a file): written into.
    let fifo = dir.join("pipe");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    // Nobody reads it yet: refused at once, never a wait that holds the farm's lock.
    let mut child = n
        .farm
        .cmd(&["export", fifo.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut waited = 0;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if waited > 1000 {
            child.kill().unwrap();
            panic!("farm export waited for a reader of the pipe (10 s), holding the farm");
        }
        std::thread::sleep(Duration::from_millis(10));
        waited += 1;
    };
    assert_eq!(status.code(), Some(64));
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    n.farm.run(&["export", fifo.to_str().unwrap()]).ok();
    // (Checked before waiting for the reader: had the pipe been replaced, it would wait forever.)
    assert!(
        std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(),
        "the pipe was replaced by a file"
    );
    let got = reader.join().unwrap();
    assert!(contains(&got, "ustar"), "the pipe got no archive ({} bytes)", got.len());
}
