//! Farm-scale benchmarks: `cargo bench --bench farm [-- SCENARIO…]`.
//!
//! Each scenario spawns the release `farm` binary against the loopback fake API and prints
//! wall time, CPU time and peak RSS (from the kernel: `wait4`'s rusage, GNU `time` for RSS), API
//! calls and bytes on disk; repeated runs report the median. The small scenarios time runs
//! spawned straight from here and take RSS from three more runs through GNU `time`. Scenarios: `idle` (nothing due, 1,000
//! bots and 1,000,000 cached posts), `reader` (one reader fetching 50 posts), `writer` (one
//! writer with the Russian morphology processor), `parallel` (1,000 due writers, 100 ms API
//! latency, --jobs 1/4/16/64), `year` (a simulated year of hourly runs for 20 bots, then
//! `farm compact`), `scale` (`farm stats`, `farm export`, `farm import` on the idle farm),
//! `bluesky` (one Bluesky writer run with a stored session against one Mastodon writer run,
//! the same fake, the same simulated hour), `feed` (a feed reader run with nothing new, one
//! `304`, against a Mastodon reader run with nothing new, one empty page), `slots` (`farm stats`,
//! `list`, `pause` with 1,000 writers by time slots against 1,000 by interval), `replies` (one
//! `--reply only` writer run with 100 mentions waiting),
//! `tracery` (one writer run of a Tracery grammar, in English and with Russian modifiers,
//! against one of a template over a reader's post), `follows`
//! (one reader run over 10 followed public accounts, 50 new posts), `corpus`
//! (`farm import-corpus` of 100,000 lines, the same file again, and an X archive of 100,000
//! tweets).

use botfarm::model::{Bot, BotState, ReaderOpts, Role};
use botfarm::net::{Credentials, PlatformKind, Post};
use botfarm::sim::{FakeNet, SourcePost};
use botfarm::store::Store;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "../tests/support/mod.rs"]
mod support;

/// A store opened by the set-up to write a farm. Dropping it waits until sled has let go of the
/// database's lock (its I/O threads finish a little after the last handle is dropped), so the
/// `farm` process measured next never fails with "could not acquire lock … WouldBlock".
struct Setup(Option<Store>);

/// Open the store at `db` for the set-up.
fn open(db: &Path) -> Setup {
    Setup(Some(Store::open(db).unwrap()))
}

impl std::ops::Deref for Setup {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.0.as_ref().unwrap()
    }
}

impl std::ops::DerefMut for Setup {
    fn deref_mut(&mut self) -> &mut Store {
        self.0.as_mut().unwrap()
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        if let Some(store) = self.0.take() {
            support::close_store(store);
        }
    }
}

#[repr(C)]
#[derive(Default, Clone, Copy)]
struct Timeval {
    sec: i64,
    usec: i64,
}

/// `struct rusage` on Linux x86_64/aarch64.
#[repr(C)]
#[derive(Default, Clone, Copy)]
struct Rusage {
    utime: Timeval,
    stime: Timeval,
    maxrss: i64,
    rest: [i64; 13],
}

extern "C" {
    fn wait4(pid: i32, status: *mut i32, options: i32, rusage: *mut Rusage) -> i32;
}

/// What one process cost.
#[derive(Clone, Copy, Debug)]
struct Cost {
    wall: Duration,
    cpu: Duration,
    rss_kb: i64,
    code: i32,
}

/// Run a command to completion and read its cost from the kernel, peak RSS included. Peak RSS
/// comes from GNU `time` as a small intermediate parent: a child spawned straight from this
/// (large) process would report this process's RSS at the spawn as its own peak. CPU comes from
/// `wait4`. The extra fork and exec of `time` add about a millisecond of wall time, so the
/// small scenarios take their times from [`measure_fast`] and only their RSS from here.
fn measure(cmd: &mut Command) -> Cost {
    run_measured(cmd, Path::new("/usr/bin/time").exists())
}

/// Run a command spawned straight from this process: wall and CPU time without the
/// intermediate parent, no RSS (reported as -1, see [`measure`]).
fn measure_fast(cmd: &mut Command) -> Cost {
    let mut c = run_measured(cmd, false);
    c.rss_kb = -1;
    c
}

fn run_measured(cmd: &mut Command, use_time: bool) -> Cost {
    let rss_file = std::env::temp_dir().join(format!("farm-bench-rss-{}", std::process::id()));
    let mut outer;
    let cmd = if use_time {
        outer = Command::new("/usr/bin/time");
        outer
            .arg("-q")
            .arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&rss_file)
            .arg(cmd.get_program())
            .args(cmd.get_args());
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => outer.env(k, v),
                None => outer.env_remove(k),
            };
        }
        outer.stdout(std::process::Stdio::null());
        &mut outer
    } else {
        cmd
    };
    let start = Instant::now();
    // Reaped by wait4 below, which also gives the rusage that Child::wait would drop.
    #[allow(clippy::zombie_processes)]
    let child = cmd.spawn().expect("spawn");
    let mut status = 0;
    let mut ru = Rusage::default();
    // SAFETY: plain FFI call with valid pointers; the child is ours and not waited elsewhere.
    let r = unsafe { wait4(child.id() as i32, &mut status, 0, &mut ru) };
    assert!(r > 0, "wait4 failed");
    let wall = start.elapsed();
    let cpu = Duration::from_micros(
        (ru.utime.sec * 1_000_000 + ru.utime.usec + ru.stime.sec * 1_000_000 + ru.stime.usec) as u64,
    );
    let code = if status & 0x7f == 0 { (status >> 8) & 0xff } else { -1 };
    let rss_kb = if use_time {
        std::fs::read_to_string(&rss_file)
            .ok()
            .and_then(|s| s.lines().last().and_then(|l| l.trim().parse().ok()))
            .unwrap_or(-1)
    } else {
        ru.maxrss
    };
    Cost { wall, cpu, rss_kb, code }
}

/// The runs of a small scenario: the first [`Runs::TIMED`] give its wall and CPU times
/// ([`measure_fast`]), the next [`Runs::WITH_RSS`] its peak RSS ([`measure`]).
#[derive(Default)]
struct Runs {
    fast: Vec<Cost>,
    with_rss: Vec<Cost>,
}

impl Runs {
    const TIMED: usize = 9;
    const WITH_RSS: usize = 3;
    const ALL: usize = Self::TIMED + Self::WITH_RSS;

    /// Run the next one, the way its place in the scenario asks.
    fn measure(&mut self, cmd: &mut Command) -> Cost {
        if self.fast.len() < Self::TIMED {
            let c = measure_fast(cmd);
            self.fast.push(c);
            c
        } else {
            let c = measure(cmd);
            self.with_rss.push(c);
            c
        }
    }

    /// Median wall and CPU of the timed runs, median RSS of the others.
    fn cost(self) -> Cost {
        let mut m = median(self.fast);
        m.rss_kb = median(self.with_rss).rss_kb;
        m
    }
}

fn median(mut v: Vec<Cost>) -> Cost {
    v.sort_by_key(|c| c.wall);
    let mut m = v[v.len() / 2];
    let mut rss: Vec<i64> = v.iter().map(|c| c.rss_kb).collect();
    rss.sort();
    m.rss_kb = rss[rss.len() / 2];
    let mut cpu: Vec<Duration> = v.iter().map(|c| c.cpu).collect();
    cpu.sort();
    m.cpu = cpu[cpu.len() / 2];
    m
}

fn farm_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/release/deps/farm-HASH → target/release/farm
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir.join("farm");
    assert!(bin.exists(), "build the binary first: cargo build --release");
    bin
}

fn farm(db: &Path, now: i64, args: &[&str]) -> Command {
    let mut c = Command::new(farm_bin());
    c.args(args).env("FARM_DB", db).env("FARM_NOW", botfarm::clock::format(now)).env_remove("RUST_BACKTRACE");
    // cargo sets a long LD_LIBRARY_PATH for benches; a deployed farm has none.
    c.env_remove("LD_LIBRARY_PATH");
    c.stdout(std::process::Stdio::null());
    c
}

fn du(path: &Path) -> u64 {
    let mut total = 0;
    if let Ok(rd) = std::fs::read_dir(path) {
        for e in rd.flatten() {
            let m = e.metadata().unwrap();
            total += if m.is_dir() { du(&e.path()) } else { m.len() };
        }
    }
    total
}

fn report(name: &str, c: Cost, calls: usize, disk: u64, target: &str) {
    println!(
        "| {name} | {:.1} ms | {:.1} ms | {:.1} MB | {calls} | {:.1} MB | {target} |",
        c.wall.as_secs_f64() * 1000.0,
        c.cpu.as_secs_f64() * 1000.0,
        c.rss_kb as f64 / 1024.0,
        disk as f64 / 1e6
    );
}

const T0: i64 = 1_767_225_600;
const CK: &str = "bench-ck";
const CS: &str = "bench-cs";

fn tmp(tag: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("farm-bench-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    p
}

fn bot(name: &str, role: Role, platform: PlatformKind, api: &str, source: Option<&str>) -> Bot {
    Bot {
        name: name.into(),
        role,
        platform,
        api: api.into(),
        every: 3600,
        paused: false,
        source: source.map(str::to_string),
        creds: Credentials {
            consumer_key: CK.into(),
            consumer_secret: CS.into(),
            access_token: format!("tok-{name}"),
            access_secret: format!("sec-{name}"),
        },
        template: None,
        process: vec![],
        filters: vec![],
        visibility: None,
        reader: ReaderOpts { max_count: 1_000_000, ..Default::default() },
        created_at: T0,
        settings: vec![],
    }
}

/// A farm of 1,000 bots (100 readers, 900 writers) and 1,000,000 cached posts, all just run.
fn big_farm(db: &Path) {
    if db.join("ready").exists() {
        return;
    }
    let started = Instant::now();
    let mut store = open(db);
    // A farm this big keeps its posts in the shards (a run would have moved them there).
    store.prepare_for_posts(1_000_000).unwrap();
    let api = "http://127.0.0.1:9";
    let text = "Вчера в подвале нашлась тайная комната, а в ней старый чемодан и много пыли";
    for r in 0..100 {
        let rname = format!("reader{r:03}");
        store.put_bot(&bot(&rname, Role::Reader, PlatformKind::X, api, None)).unwrap();
        let posts: Vec<Post> = (0..10_000u64)
            .map(|i| Post {
                id: 1_000_000_000_000 + r * 100_000 + i,
                author: "someone".into(),
                text: format!("{text} #{i}"),
                created_at: T0,
                is_repost: false,
                is_reply: false,
                has_links: false,
                lang: Some("ru".into()),
                ..Default::default()
            })
            .collect();
        for chunk in posts.chunks(2000) {
            store.add_posts(&rname, chunk).unwrap();
        }
        let st = BotState { last_ok: T0, last_attempt: T0, cached: 10_000, ..Default::default() };
        store.put_state(&rname, &st).unwrap();
        for w in 0..9 {
            let wname = format!("writer{r:03}-{w}");
            store.put_bot(&bot(&wname, Role::Writer, PlatformKind::X, api, Some(&rname))).unwrap();
            let st = BotState { last_ok: T0, last_attempt: T0, last_post_at: T0, ..Default::default() };
            store.put_state(&wname, &st).unwrap();
        }
    }
    botfarm::bot::refresh_next_due(&store, T0).unwrap();
    store.flush().unwrap();
    drop(store);
    std::fs::write(db.join("ready"), "").unwrap();
    eprintln!("built the 1,000-bot, 1,000,000-post farm in {:.1} s", started.elapsed().as_secs_f64());
}

fn idle(db: &Path) {
    big_farm(db);
    let mut runs = Runs::default();
    for _ in 0..Runs::ALL {
        assert_eq!(runs.measure(&mut farm(db, T0 + 600, &["run"])).code, 0);
    }
    report(
        "1. nothing due, 1,000 bots, 1,000,000 posts: `farm run`",
        runs.cost(),
        0,
        du(db),
        "≤ 5 ms, ≤ 8 MB",
    );
}

fn scale(db: &Path) {
    big_farm(db);
    let runs: Vec<Cost> = (0..5).map(|_| measure(&mut farm(db, T0 + 600, &["stats", "--json"]))).collect();
    report(
        "6. `farm stats --json`, 1,000 bots, 1,000,000 posts",
        median(runs),
        0,
        du(db),
        "≤ 100 ms, ≤ 32 MB",
    );
    let archive = db.with_extension("tar");
    let runs: Vec<Cost> =
        (0..3).map(|_| measure(&mut farm(db, T0 + 600, &["export", archive.to_str().unwrap()]))).collect();
    if runs.iter().any(|c| c.code != 0) {
        println!("| 6. `farm export`: failed (exit {}) | | | | | | |", runs[0].code);
        return;
    }
    let size = std::fs::metadata(&archive).map(|m| m.len()).unwrap_or(0);
    report("6. `farm export` (archive size in the disk column)", median(runs), 0, size, "≤ 10 s, ≤ 64 MB");
    let mut runs = Vec::new();
    for i in 0..3 {
        let target = tmp(&format!("import{i}"));
        runs.push(measure(&mut farm(&target, T0 + 600, &["import", archive.to_str().unwrap()])));
        if i == 2 {
            report("6. `farm import`", median(runs.clone()), 0, du(&target), "≤ 10 s, ≤ 64 MB");
        }
        let _ = std::fs::remove_dir_all(&target);
    }
    let _ = std::fs::remove_file(&archive);
}

/// Time slots: what working out every slot writer's next slot (zones, DST, jitter) costs
/// `farm stats --json`, `farm list` and a change of the farm (`farm pause`, which rewrites the
/// next-due record from every bot), against the same farm of 1,000 writers by interval.
fn slots() {
    for slotted in [false, true] {
        let db = tmp(if slotted { "slots" } else { "interval" });
        let store = open(&db);
        let api = "http://127.0.0.1:9";
        let zones = ["Europe/Berlin", "America/New_York", "Europe/Moscow", "Europe/London"];
        for r in 0..10 {
            let rname = format!("reader{r:02}");
            store.put_bot(&bot(&rname, Role::Reader, PlatformKind::Mastodon, api, None)).unwrap();
            store
                .put_state(&rname, &BotState { last_ok: T0, last_attempt: T0, ..Default::default() })
                .unwrap();
            for w in 0..100 {
                let wname = format!("writer{r:02}-{w:02}");
                let mut b = bot(&wname, Role::Writer, PlatformKind::Mastodon, api, Some(&rname));
                if slotted {
                    let tz = zones[w % zones.len()];
                    let at = format!("at=09:00,13:30,21:00;days=mon-fri;tz={tz};jitter=600;missed=once");
                    b.set_setting(botfarm::bot::slots::KEY, Some(at));
                }
                store.put_bot(&b).unwrap();
                let st = BotState { last_ok: T0, last_attempt: T0, slot_done: T0, ..Default::default() };
                store.put_state(&wname, &st).unwrap();
            }
        }
        botfarm::bot::refresh_next_due(&store, T0).unwrap();
        drop(store);
        let kind = if slotted {
            "1,000 slot writers (3 a day, 4 zones, jitter)"
        } else {
            "1,000 writers by interval"
        };
        for args in
            [&["stats", "--json"][..], &["list"], &["pause", "writer00-00"], &["resume", "writer00-00"]]
        {
            let runs: Vec<Cost> = (0..5).map(|_| measure(&mut farm(&db, T0 + 600, args))).collect();
            report(&format!("10. `farm {}`, {kind}", args.join(" ")), median(runs), 0, du(&db), "");
        }
        let _ = std::fs::remove_dir_all(&db);
    }
}

/// What measuring costs by itself: `/bin/true` spawned through the same harness (GNU `time` as
/// the intermediate parent). Every wall and CPU figure includes this floor; on a VM where a
/// fork and exec take milliseconds it is a large part of the small scenarios.
fn floor() {
    let mut runs = Runs::default();
    for _ in 0..Runs::ALL {
        runs.measure(&mut Command::new("/bin/true"));
    }
    report("0. the harness floor: `/bin/true` measured the same way", runs.cost(), 0, 0, "");
}

fn reader() {
    let fake = FakeNet::start();
    let mut runs = Runs::default();
    let mut calls = 0;
    let mut disk = 0;
    for i in 0..Runs::ALL {
        let db = tmp(&format!("reader{i}"));
        let user = format!("r{i}");
        fake.add_x_user(&user, CK, CS, &format!("tok-{user}"), &format!("sec-{user}"));
        {
            let store = open(&db);
            let mut b = bot(&user, Role::Reader, PlatformKind::X, &fake.url(), None);
            b.reader.cap = 200;
            store.put_bot(&b).unwrap();
            // A reader that ran before: it knows its account id and has a cursor.
            let cursor = fake.push_home(&user, SourcePost::new("a", "an old post"));
            let st = BotState {
                last_ok: T0,
                last_attempt: T0,
                cursor: Some(cursor.to_string()),
                account_id: Some(fake_id(&fake, &user)),
                ..Default::default()
            };
            store.put_state(&user, &st).unwrap();
            botfarm::bot::refresh_next_due(&store, T0).unwrap();
            store.flush().unwrap();
        }
        for j in 0..50 {
            fake.push_home(
                &user,
                SourcePost::new("someone", &format!("post {j}: the quick brown fox jumps")),
            );
        }
        fake.clear_requests();
        assert_eq!(runs.measure(&mut farm(&db, T0 + 3600, &["run"])).code, 0);
        calls = fake.requests().len();
        disk = du(&db);
        let _ = std::fs::remove_dir_all(&db);
    }
    report("2. one reader run fetching 50 new posts", runs.cost(), calls, disk, "≤ 5 ms, ≤ 8 MB");
}

/// A reader following 10 public Mastodon accounts (looked up by an earlier run), each with 5
/// new posts: one list call per account, no credentials.
fn follows() {
    let fake = FakeNet::start();
    let host = fake.url().trim_start_matches("http://").to_string();
    let mut runs = Runs::default();
    let mut calls = 0;
    let mut disk = 0;
    for i in 0..Runs::ALL {
        let db = tmp(&format!("follows{i}"));
        let authors: Vec<String> = (0..10).map(|k| format!("a{i}x{k}")).collect();
        for a in &authors {
            fake.publish(SourcePost::new(a, "an old post"));
        }
        {
            let store = open(&db);
            let r = bot("reader", Role::Reader, PlatformKind::Mastodon, &fake.url(), None);
            store.put_bot(&r).unwrap();
            let follows: Vec<botfarm::model::Followed> =
                authors.iter().map(|a| botfarm::model::Followed::new(&format!("{a}@{host}"))).collect();
            store.put_follows("reader", &follows).unwrap();
            botfarm::bot::refresh_next_due(&store, T0).unwrap();
            store.flush().unwrap();
        }
        // The first run looks the accounts up and reads their old posts.
        assert_eq!(farm(&db, T0, &["run"]).status().unwrap().code(), Some(0));
        for a in &authors {
            for j in 0..5 {
                fake.publish(SourcePost::new(a, &format!("post {j}: the quick brown fox jumps")));
            }
        }
        fake.clear_requests();
        assert_eq!(runs.measure(&mut farm(&db, T0 + 3600, &["run"])).code, 0);
        calls = fake.requests().len();
        disk = du(&db);
        let _ = std::fs::remove_dir_all(&db);
    }
    report("2d. one reader run over 10 followed accounts, 50 new posts", runs.cost(), calls, disk, "");
}

/// Steady state: an hourly reader at its retention limit (5,000 cached posts) fetching 20 new
/// posts a run, so each run also drops the 20 oldest. Nine runs an hour apart on one farm.
fn steady() {
    let fake = FakeNet::start();
    let db = tmp("steady");
    let user = "steady";
    fake.add_x_user(user, CK, CS, &format!("tok-{user}"), &format!("sec-{user}"));
    {
        let store = open(&db);
        let mut b = bot(user, Role::Reader, PlatformKind::X, &fake.url(), None);
        b.reader.cap = 200;
        b.reader.max_count = 5000;
        store.put_bot(&b).unwrap();
        // 5,000 posts cached before, all older than the fake's ids and inside the age window.
        let old: Vec<Post> = (1..=5000u64)
            .map(|id| {
                let text = format!("cached post {id}: the quick brown fox jumps over the lazy dog");
                plain_post(id, "someone", text, T0 - 86_400 + id as i64)
            })
            .collect();
        store.add_posts(user, &old).unwrap();
        let cursor = fake.push_home(user, SourcePost::new("a", "an old post"));
        let st = BotState {
            last_ok: T0,
            last_attempt: T0,
            cursor: Some(cursor.to_string()),
            account_id: Some(fake_id(&fake, user)),
            cached: 5000,
            ..Default::default()
        };
        store.put_state(user, &st).unwrap();
        botfarm::bot::refresh_next_due(&store, T0).unwrap();
    }
    let mut runs = Runs::default();
    let mut calls = 0;
    // The runs an hour apart.
    for i in 1..=Runs::ALL as i64 {
        for j in 0..20 {
            fake.push_home(
                user,
                SourcePost::new("someone", &format!("run {i} post {j}: the quick brown fox")),
            );
        }
        fake.clear_requests();
        assert_eq!(runs.measure(&mut farm(&db, T0 + i * 3600, &["run"])).code, 0);
        calls = fake.requests().len();
    }
    let store = open(&db);
    assert_eq!(store.state(user).unwrap().cached, 5000, "retention keeps 5,000");
    drop(store);
    report(
        "2b. steady state: a reader at 5,000 cached posts fetching 20 (and dropping 20)",
        runs.cost(),
        calls,
        du(&db),
        "≤ 6 ms",
    );
    let _ = std::fs::remove_dir_all(&db);
}

/// What keeping the posts in the control database costs commands that never read them: `farm
/// list` on a farm with one reader and no cached posts, and with `INLINE_MAX` (10,000) in the
/// control database, the most a farm keeps there before they move to the shards.
fn inline() {
    for count in [0, botfarm::store::INLINE_MAX] {
        let db = tmp(&format!("inline{count}"));
        {
            let store = open(&db);
            store.put_bot(&bot("reader", Role::Reader, PlatformKind::X, "http://127.0.0.1:9", None)).unwrap();
            let posts: Vec<Post> = (1..=count)
                .map(|id| {
                    plain_post(
                        id,
                        "someone",
                        format!("cached post {id}: the quick brown fox jumps over the lazy dog"),
                        T0,
                    )
                })
                .collect();
            for chunk in posts.chunks(2000) {
                store.add_posts("reader", chunk).unwrap();
            }
            assert_eq!(store.posts_in(), botfarm::store::PostsIn::Control);
            store.flush().unwrap();
        }
        let mut runs = Runs::default();
        for _ in 0..Runs::ALL {
            assert_eq!(runs.measure(&mut farm(&db, T0, &["list"])).code, 0);
        }
        report(
            &format!("2c. `farm list`, one reader, {count} cached posts in the control database"),
            runs.cost(),
            0,
            du(&db),
            "",
        );
        if std::env::var_os("FARM_BENCH_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&db);
        }
    }
}

/// A plain cached post (no repost, reply or link, no language).
fn plain_post(id: u64, author: &str, text: String, created_at: i64) -> Post {
    Post {
        id,
        author: author.into(),
        text,
        created_at,
        is_repost: false,
        is_reply: false,
        has_links: false,
        lang: None,
        ..Default::default()
    }
}

fn fake_id(fake: &FakeNet, user: &str) -> String {
    // The fake's ids are stable: ask verify once through the real client.
    let ep = botfarm::net::Endpoint {
        kind: PlatformKind::X,
        api: fake.url(),
        creds: Credentials {
            consumer_key: CK.into(),
            consumer_secret: CS.into(),
            access_token: format!("tok-{user}"),
            access_secret: format!("sec-{user}"),
        },
        account_id: None,
    };
    let mut c = botfarm::net::connect(ep, botfarm::clock::now().unwrap());
    c.verify().unwrap().value.id
}

fn writer() {
    let fake = FakeNet::start();
    let mut runs = Runs::default();
    let mut calls = 0;
    let mut disk = 0;
    let texts: Vec<&str> =
        include_str!("../fixtures/posts_ru.txt").lines().filter(|l| !l.is_empty()).collect();
    for i in 0..Runs::ALL {
        let db = tmp(&format!("writer{i}"));
        let user = format!("hp{i}");
        fake.add_x_user(&user, CK, CS, &format!("tok-{user}"), &format!("sec-{user}"));
        {
            let store = open(&db);
            let mut r = bot("reader", Role::Reader, PlatformKind::X, &fake.url(), None);
            r.paused = true;
            store.put_bot(&r).unwrap();
            let posts: Vec<Post> = texts
                .iter()
                .enumerate()
                .map(|(k, t)| Post {
                    id: 100 + k as u64,
                    author: "a".into(),
                    text: t.to_string(),
                    created_at: T0,
                    is_repost: false,
                    is_reply: false,
                    has_links: false,
                    lang: Some("ru".into()),
                    ..Default::default()
                })
                .collect();
            store.add_posts("reader", &posts).unwrap();
            let mut w = bot(&user, Role::Writer, PlatformKind::X, &fake.url(), Some("reader"));
            w.template = Some("Гарри Поттер и {}".into());
            w.process = vec!["phrase:ADJF,nomn NOUN,nomn;pairs=доброе утро".into()];
            store.put_bot(&w).unwrap();
            store.flush().unwrap();
        }
        fake.clear_requests();
        assert_eq!(runs.measure(&mut farm(&db, T0 + 3600, &["run"])).code, 0);
        calls = fake.requests().len();
        disk = du(&db);
        let _ = std::fs::remove_dir_all(&db);
    }
    assert!(fake.posts_by("hp0").iter().any(|p| p.text.starts_with("Гарри Поттер и ")));
    report("3. one writer run, Russian morphology (phrase)", runs.cost(), calls, disk, "≤ 70 ms, ≤ 29.5 MB");
}

/// One run of a Mastodon writer that only answers its mentions (`--reply only`), 100 new
/// mentions from 100 accounts waiting on the server: it reads the newest page (40), passes the
/// loop guard over them and answers three (the budget of a run).
fn replies() {
    let fake = FakeNet::start();
    let mut runs = Runs::default();
    let mut calls = 0;
    let mut disk = 0;
    for i in 0..Runs::ALL {
        let db = tmp(&format!("replies{i}"));
        let name = format!("wr{i}");
        fake.add_mastodon_user(&name, &format!("tok-{name}"));
        fake.set_now(Some(T0 + 3000));
        for k in 0..100 {
            fake.add_post(SourcePost::new(&format!("fan{k}"), &format!("@{name} question number {k}?")));
        }
        {
            let store = open(&db);
            let mut r = bot("reader", Role::Reader, PlatformKind::Mastodon, &fake.url(), None);
            r.paused = true;
            store.put_bot(&r).unwrap();
            let mut w = bot(&name, Role::Writer, PlatformKind::Mastodon, &fake.url(), Some("reader"));
            w.template = Some("you asked: {}".into());
            w.settings = vec![("reply".into(), "only".into())];
            store.put_bot(&w).unwrap();
            store.flush().unwrap();
        }
        fake.clear_requests();
        assert_eq!(runs.measure(&mut farm(&db, T0 + 3600, &["run"])).code, 0);
        calls = fake.requests().len();
        disk = du(&db);
        assert_eq!(fake.posts_by(&name).len(), 3);
        let _ = std::fs::remove_dir_all(&db);
    }
    report("3b. one reply run: 100 mentions waiting, a page read, 3 answered", runs.cost(), calls, disk, "");
}

/// One writer run with nothing special about its text, on Mastodon and on Bluesky: the Bluesky
/// writer logged in an hour before (not measured) and runs on its stored session.
fn bluesky() {
    let fake = FakeNet::start();
    for platform in [PlatformKind::Mastodon, PlatformKind::Bluesky] {
        let mut runs = Runs::default();
        let mut calls = 0;
        for i in 0..Runs::ALL {
            fake.set_now(Some(T0));
            let db = tmp(&format!("{}{i}", platform.name()));
            let name = format!("w{}{i}", platform.name());
            let handle = format!("{name}.test");
            let mut w = bot(&name, Role::Writer, platform, &fake.url(), Some("reader"));
            w.creds = if platform == PlatformKind::Bluesky {
                fake.add_bluesky_user(&handle, "benc-hpas-swor-d001");
                Credentials {
                    consumer_key: handle.clone(),
                    consumer_secret: "benc-hpas-swor-d001".into(),
                    ..Default::default()
                }
            } else {
                fake.add_mastodon_user(&name, &format!("tok-{name}"));
                Credentials { access_token: format!("tok-{name}"), ..Default::default() }
            };
            {
                let store = open(&db);
                cats_reader(&store, &fake.url());
                store.put_bot(&w).unwrap();
                store.flush().unwrap();
            }
            calls = second_run(&fake, &db, &mut runs);
            let _ = std::fs::remove_dir_all(&db);
        }
        report(
            &format!("9. one {} writer run (Bluesky: a stored session)", platform.name()),
            runs.cost(),
            calls,
            0,
            "1 API call",
        );
    }
}

/// A reader run with nothing new: a feed reader (one conditional GET answered `304`) against a
/// Mastodon reader (one `min_id` page that comes back empty). Each reader read its 20 posts an
/// hour before (not measured).
fn feed() {
    use botfarm::sim::feed::{rss, Item};
    let fake = FakeNet::start();
    fake.set_now(Some(T0));
    let items: Vec<Item> =
        (0..20).map(|k| Item::new(&format!("g{k}"), &format!("Story {k}"), T0 - 3600 + k)).collect();
    fake.set_feed("/news.xml", rss("News", &items));
    for platform in [PlatformKind::Feed, PlatformKind::Mastodon] {
        let mut runs = Runs::default();
        let mut calls = 0;
        for i in 0..Runs::ALL {
            let db = tmp(&format!("{}{i}", platform.name()));
            let name = format!("r{}{i}", platform.name());
            let r = if platform == PlatformKind::Feed {
                bot(&name, Role::Reader, platform, &format!("{}/news.xml", fake.url()), None)
            } else {
                fake.add_mastodon_user(&name, &format!("tok-{name}"));
                for k in 0..20 {
                    fake.push_home(&name, SourcePost::new("someone", &format!("post {k} about cats")));
                }
                let mut r = bot(&name, Role::Reader, platform, &fake.url(), None);
                r.creds = Credentials { access_token: format!("tok-{name}"), ..Default::default() };
                r
            };
            open(&db).put_bot(&r).unwrap();
            assert_eq!(farm(&db, T0, &["run"]).status().unwrap().code(), Some(0));
            fake.clear_requests();
            assert_eq!(runs.measure(&mut farm(&db, T0 + 3600, &["run"])).code, 0);
            calls = fake.requests().len();
            let _ = std::fs::remove_dir_all(&db);
        }
        let what = if platform == PlatformKind::Feed {
            "feed reader run, nothing new (one 304)"
        } else {
            "mastodon reader run, nothing new (one empty page)"
        };
        report(&format!("10. one {what}"), runs.cost(), calls, 0, "1 API call");
    }
}

/// A paused Mastodon reader `reader` with 20 cached posts about cats, for a writer to take from.
fn cats_reader(store: &Store, url: &str) {
    let mut r = bot("reader", Role::Reader, PlatformKind::Mastodon, url, None);
    r.paused = true;
    store.put_bot(&r).unwrap();
    let posts: Vec<Post> =
        (0..20).map(|k| plain_post(100 + k, "a", format!("post number {k} about cats"), T0)).collect();
    store.add_posts("reader", &posts).unwrap();
}

/// Run the farm in `db` at `T0` (not measured), then measure its run an hour later; the API
/// calls that one made.
fn second_run(fake: &FakeNet, db: &Path, runs: &mut Runs) -> usize {
    assert_eq!(farm(db, T0, &["run"]).status().unwrap().code(), Some(0));
    fake.set_now(Some(T0 + 3600));
    fake.clear_requests();
    assert_eq!(runs.measure(&mut farm(db, T0 + 3600, &["run"])).code, 0);
    fake.requests().len()
}

/// A Tracery grammar in the style of the hosts' bots (pytracery's test grammar): pushes, pops,
/// function actions, modifiers.
const TRACERY_EN: &str = r##"{
    "origin": ["#[#setPronouns#][#setOccupation#][hero:#name#]story#"],
    "name": ["Cheri", "Fox", "Morgana", "Jedoo", "Brick", "Shadow", "Krox", "Urga", "Zelph"],
    "story": ["#hero.capitalize# was a great #occupation#, and this song tells of #heroTheir# adventure. #hero.capitalize# #didStuff#, then #heroThey# #didStuff#, then #heroThey# went home to read a book."],
    "monster": ["dragon", "ogre", "witch", "wizard", "goblin", "golem", "giant", "sphinx", "warlord"],
    "setPronouns": ["[heroThey:they][heroTheir:their]", "[heroThey:she][heroTheir:her]", "[heroThey:he][heroTheir:his]"],
    "setOccupation": ["[occupation:baker][didStuff:baked bread,decorated cupcakes,folded dough,iced a cake]",
                      "[occupation:warrior][didStuff:fought #monster.a#,saved a village from #monster.a#,battled #monster.s#]"]
}"##;

/// A grammar whose every post inflects Russian words through the dictionary.
const TRACERY_RU: &str = r##"{
    "origin": ["#[з:#зверь#][ц:#цвет#]фраза#"],
    "фраза": ["Нет #ц.agree(з).gent# #з.gent#, есть #ц.agree(з)# #з#, и #з.plur# рады."],
    "зверь": ["кошка", "волк", "окно", "ёж", "сова", "медведь"],
    "цвет": ["серый", "белый", "рыжий", "тихий"]
}"##;

/// One writer run of a Tracery grammar against one of a template over a reader's post, on
/// Mastodon: the second run of each (the first learned the instance's length limit).
fn tracery() {
    let fake = FakeNet::start();
    let cases = [
        ("a template over a reader's post", None),
        ("a Tracery grammar (hosts' style, English)", Some(TRACERY_EN)),
        ("a Tracery grammar with Russian modifiers", Some(TRACERY_RU)),
    ];
    for (k, (label, grammar)) in cases.into_iter().enumerate() {
        let mut runs = Runs::default();
        let mut calls = 0;
        for i in 0..Runs::ALL {
            fake.set_now(Some(T0));
            let db = tmp(&format!("tracery{k}-{i}"));
            let name = format!("t{k}x{i}");
            fake.add_mastodon_user(&name, &format!("tok-{name}"));
            let mut w = bot(&name, Role::Writer, PlatformKind::Mastodon, &fake.url(), None);
            w.creds = Credentials { access_token: format!("tok-{name}"), ..Default::default() };
            {
                let store = open(&db);
                match grammar {
                    Some(g) => {
                        let g = botfarm::text::tracery::Tracery::from_json(g).unwrap();
                        w.process = vec![botfarm::text::pipeline::TRACERY.into()];
                        w.set_setting(botfarm::bot::registry::GRAMMAR_KEY, Some(g.to_json()));
                    }
                    None => {
                        cats_reader(&store, &fake.url());
                        w.source = Some("reader".into());
                        w.template = Some("📣 {}".into());
                    }
                }
                store.put_bot(&w).unwrap();
                store.flush().unwrap();
            }
            calls = second_run(&fake, &db, &mut runs);
            assert_eq!(fake.posts_by(&name).len(), 2, "{label}");
            let _ = std::fs::remove_dir_all(&db);
        }
        report(&format!("10. one writer run, {label}"), runs.cost(), calls, 0, "1 API call");
    }
}

/// One Mastodon writer run posting a text of about 110 characters: as one post (a 500-character
/// instance), and as a thread of three (`--long thread` on a 45-character instance), the second
/// run of each (the first learned the instance's length limit).
fn threads() {
    let fake = FakeNet::start();
    for (k, (label, max)) in
        [("one post", 500), ("a thread of three posts (`--long thread`)", 45)].into_iter().enumerate()
    {
        fake.set_mastodon_max_chars(max);
        let mut runs = Runs::default();
        let mut calls = 0;
        for i in 0..Runs::ALL {
            fake.set_now(Some(T0));
            let db = tmp(&format!("threads{k}-{i}"));
            let name = format!("th{k}x{i}");
            fake.add_mastodon_user(&name, &format!("tok-{name}"));
            let mut w = bot(&name, Role::Writer, PlatformKind::Mastodon, &fake.url(), Some("reader"));
            w.creds = Credentials { access_token: format!("tok-{name}"), ..Default::default() };
            w.template = Some("{}".into());
            w.set_setting(botfarm::bot::registry::LONG_KEY, Some("thread".into()));
            {
                let store = open(&db);
                let mut r = bot("reader", Role::Reader, PlatformKind::Mastodon, &fake.url(), None);
                r.paused = true;
                store.put_bot(&r).unwrap();
                // Words of their own in every post: no part repeats another post's.
                let long = |k: u64| (0..20).map(|i| format!("c{k}w{i}")).collect::<Vec<_>>().join(" ");
                let posts: Vec<Post> = (0..20).map(|k| plain_post(100 + k, "a", long(k), T0)).collect();
                store.add_posts("reader", &posts).unwrap();
                store.put_bot(&w).unwrap();
                store.flush().unwrap();
            }
            calls = second_run(&fake, &db, &mut runs);
            let posted = fake.posts_by(&name).len();
            assert_eq!(posted, if max == 500 { 2 } else { 6 }, "{label}");
            let _ = std::fs::remove_dir_all(&db);
        }
        report(&format!("11. one writer run, {label}"), runs.cost(), calls, 0, "1 API call per post");
    }
}

fn parallel() {
    let fake = FakeNet::start();
    fake.set_latency_ms(100);
    for jobs in [1usize, 4, 16, 64] {
        let db = tmp(&format!("par{jobs}"));
        {
            let store = open(&db);
            let mut r = bot("reader", Role::Reader, PlatformKind::X, &fake.url(), None);
            r.paused = true;
            store.put_bot(&r).unwrap();
            let posts: Vec<Post> =
                (0..10u64).map(|k| plain_post(100 + k, "a", format!("source post {k}"), T0)).collect();
            store.add_posts("reader", &posts).unwrap();
            for w in 0..1000 {
                let name = format!("j{jobs}w{w}");
                fake.add_x_user(&name, CK, CS, &format!("tok-{name}"), &format!("sec-{name}"));
                store
                    .put_bot(&bot(&name, Role::Writer, PlatformKind::X, &fake.url(), Some("reader")))
                    .unwrap();
            }
            store.flush().unwrap();
        }
        fake.clear_requests();
        let c = measure(&mut farm(&db, T0, &["run", "--jobs", &jobs.to_string()]));
        let calls = fake.requests().len();
        report(
            &format!("4. 1,000 due writers, 100 ms latency, --jobs {jobs}"),
            c,
            calls,
            du(&db),
            "≤ 15 s at 16",
        );
        let _ = std::fs::remove_dir_all(&db);
    }
}

/// The disk experiment of issue #14: the same posts kept one record per post (today's layout)
/// or one record per reader fetch (20 posts), in sled databases configured like a posts shard,
/// opened and flushed once per simulated hour like a cron run. 10 readers, 20 new posts each per
/// hour, at most 5,000 kept per reader. Prints bytes on disk against the live payload.
fn layout() {
    use botfarm::model::CachedPost;
    let days = year_days().min(60);
    println!("\n7. disk layout experiment, {days} days, 10 readers x 20 posts/hour, 5,000 kept:");
    println!("| day | per post: on disk | payload | ratio | per fetch: on disk | payload | ratio |");
    println!("|---|---|---|---|---|---|---|");
    let dirs = [tmp("layout-post"), tmp("layout-fetch")];
    let open = |d: &Path| {
        sled::Config::new()
            .path(d)
            .segment_size(botfarm::store::SHARD_SEGMENT)
            .flush_every_ms(None)
            .open()
            .unwrap()
    };
    let post = |id: u64, h: i64| CachedPost {
        ord: id,
        post: Post {
            id: 1_900_000_000_000_000_000 + id,
            author: format!("author{}", id % 37),
            text: format!("post {id}: the quick brown fox jumps over the lazy dog, again and again"),
            created_at: T0 + h * 3600,
            is_repost: false,
            is_reply: false,
            has_links: false,
            lang: Some("en".into()),
            ..Default::default()
        },
    };
    let mut next = 0u64;
    let mut row = Vec::new();
    for h in 0..(days * 24) {
        let batch: Vec<Vec<CachedPost>> = (0..10)
            .map(|_| {
                (0..20)
                    .map(|_| {
                        next += 1;
                        post(next, h)
                    })
                    .collect()
            })
            .collect();
        for (which, dir) in dirs.iter().enumerate() {
            let db = open(dir);
            for (r, posts) in batch.iter().enumerate() {
                let tree = db.open_tree(format!("posts:r{r}")).unwrap();
                if which == 0 {
                    for p in posts {
                        tree.insert(p.post.id.to_be_bytes(), bincode::serialize(p).unwrap()).unwrap();
                    }
                    while tree.len() > 5000 {
                        tree.pop_min().unwrap();
                    }
                } else {
                    tree.insert(posts[0].post.id.to_be_bytes(), bincode::serialize(posts).unwrap()).unwrap();
                    while tree.len() * 20 > 5000 {
                        tree.pop_min().unwrap();
                    }
                }
            }
            db.flush().unwrap();
        }
        if (h + 1) % (15 * 24) == 0 {
            row.clear();
            for dir in &dirs {
                let db = open(dir);
                let mut payload = 0u64;
                for r in 0..10 {
                    for kv in db.open_tree(format!("posts:r{r}")).unwrap().iter() {
                        let (k, v) = kv.unwrap();
                        payload += (k.len() + v.len()) as u64;
                    }
                }
                drop(db);
                let disk = du(dir);
                row.push(format!(
                    "{:.1} MB | {:.1} MB | {:.1}x",
                    mb(disk),
                    mb(payload),
                    disk as f64 / payload as f64
                ));
            }
            println!("| {} | {} | {} |", (h + 1) / 24, row[0], row[1]);
        }
    }
    for d in &dirs {
        let _ = std::fs::remove_dir_all(d);
    }
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// Simulated days for the `year` scenario (`FARM_BENCH_DAYS`, default 365).
fn year_days() -> i64 {
    std::env::var("FARM_BENCH_DAYS").ok().and_then(|v| v.parse().ok()).unwrap_or(365)
}

fn year() {
    let days = year_days();
    let fake = FakeNet::start();
    fake.set_oauth_wall_clock(true);
    let db = tmp("year");
    {
        let store = open(&db);
        for r in 0..10 {
            let name = format!("yr{r}");
            fake.add_x_user(&name, CK, CS, &format!("tok-{name}"), &format!("sec-{name}"));
            let mut b = bot(&name, Role::Reader, PlatformKind::X, &fake.url(), None);
            b.reader = ReaderOpts::default();
            store.put_bot(&b).unwrap();
            let wname = format!("yw{r}");
            fake.add_x_user(&wname, CK, CS, &format!("tok-{wname}"), &format!("sec-{wname}"));
            store.put_bot(&bot(&wname, Role::Writer, PlatformKind::X, &fake.url(), Some(&name))).unwrap();
        }
        store.flush().unwrap();
    }
    println!(
        "\n5. a simulated year of hourly runs, 10 readers + 10 writers, 20 new posts per reader per hour:"
    );
    println!("| day | bytes on disk | live payload | ratio | control db | posts shards |");
    println!("|---|---|---|---|---|---|");
    let started = Instant::now();
    let mut total_calls = 0;
    for h in 0..(days * 24) {
        let now = T0 + h * 3600;
        fake.set_now(Some(now));
        for r in 0..10 {
            for k in 0..20 {
                fake.push_home(
                    &format!("yr{r}"),
                    SourcePost::new("s", &format!("hour {h} post {k} of reader {r}")),
                );
            }
        }
        let c = measure(&mut farm(&db, now, &["run"]));
        assert_eq!(c.code, 0, "hour {h}");
        total_calls += fake.requests().len();
        fake.clear_requests();
        if (h + 1) % (15 * 24) == 0 || h == days * 24 - 1 {
            let disk = du(&db.join("db"));
            let live = live_payload(&db);
            // Where the bytes are: the control database or the posts shards.
            let shards: u64 = std::fs::read_dir(db.join("db"))
                .unwrap()
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("posts-"))
                .map(|e| du(&e.path()))
                .sum();
            println!(
                "| {} | {:.1} MB | {:.1} MB | {:.1}× | {:.1} MB | {:.1} MB |",
                (h + 1) / 24,
                disk as f64 / 1e6,
                live as f64 / 1e6,
                disk as f64 / live as f64,
                (disk - shards) as f64 / 1e6,
                shards as f64 / 1e6
            );
        }
    }
    let before = du(&db.join("db"));
    let c = measure(&mut farm(&db, T0 + days * 86_400, &["compact"]));
    let after = du(&db.join("db"));
    println!(
        "\n{} hourly runs and {total_calls} API calls in {:.0} s; `farm compact` (exit {}): {:.1} MB → {:.1} MB in {:.0} ms, {:.1} MB RSS",
        days * 24,
        started.elapsed().as_secs_f64(),
        c.code,
        before as f64 / 1e6,
        after as f64 / 1e6,
        c.wall.as_secs_f64() * 1000.0,
        c.rss_kb as f64 / 1024.0
    );
    // `FARM_BENCH_KEEP=1` leaves the farm behind to look at its files.
    if std::env::var_os("FARM_BENCH_KEEP").is_some() {
        println!("kept {}", db.display());
    } else {
        let _ = std::fs::remove_dir_all(&db);
    }
}

/// Sum of key and value sizes over every tree (per tree with `FARM_BENCH_TREES=1`).
fn live_payload(db: &Path) -> u64 {
    let mut store = open(db);
    let names = store.tree_names().unwrap();
    let mut total = 0u64;
    let mut per_tree = Vec::new();
    for name in names {
        let (mut bytes, mut n) = (0u64, 0usize);
        for r in store.records(&name, true) {
            let r = r.unwrap();
            bytes += (r.key().len() + r.value().len()) as u64;
            n += 1;
        }
        per_tree.push((bytes, name, n));
        total += bytes;
    }
    if std::env::var("FARM_BENCH_TREES").is_ok() {
        per_tree.sort();
        for (bytes, name, n) in per_tree.iter().rev().take(8) {
            eprintln!("    {name}: {n} records, {bytes} bytes");
        }
    }
    total
}

/// `farm import-corpus`: 100,000 distinct lines into an empty corpus reader (each run on a
/// new farm), the same file again (all duplicates), and an X archive of 100,000 tweets.
fn corpus() {
    const POSTS: usize = 100_000;
    let dir = tmp("corpus");
    std::fs::create_dir_all(&dir).unwrap();
    let words = ["cats", "trains", "coffee", "rain", "morning", "books", "the", "city", "late", "again"];
    let line = |i: usize| {
        let w = |k: usize| words[(i / 10usize.pow(k as u32)) % 10];
        format!("post {i}: {} {} and {} {} with {} today", w(0), w(1), w(2), w(3), w(4))
    };
    let text = dir.join("corpus.txt");
    let body: String = (0..POSTS).map(|i| line(i) + "\n").collect();
    std::fs::write(&text, &body).unwrap();
    let tweets = dir.join("tweets.js");
    let items: Vec<String> = (0..POSTS)
        .map(|i| {
            format!(
                r#"{{"tweet":{{"retweeted":false,"entities":{{"hashtags":[],"urls":[]}},"id_str":"{}","created_at":"Wed Oct 10 20:19:24 +0000 2018","full_text":"{}","lang":"en"}}}}"#,
                1_050_118_621_198_921_728u64 + i as u64,
                line(i)
            )
        })
        .collect();
    std::fs::write(&tweets, format!("window.YTD.tweets.part0 = [\n{}\n]", items.join(",\n"))).unwrap();
    let new_farm = |n: usize| {
        let db = dir.join(format!("farm{n}"));
        let store = open(&db);
        store.put_bot(&bot("corpus", Role::Reader, PlatformKind::Corpus, "", None)).unwrap();
        store.flush().unwrap();
        db
    };
    let import = |db: &Path, file: &Path| {
        let c = measure(&mut farm(db, T0, &["import-corpus", "corpus", &file.display().to_string()]));
        assert_eq!(c.code, 0, "import-corpus failed");
        c
    };
    let mb = |p: &Path| std::fs::metadata(p).unwrap().len() as f64 / 1e6;
    let (mut first, mut again, mut archive) = (Vec::new(), Vec::new(), Vec::new());
    for n in 0..3 {
        let db = new_farm(n);
        first.push(import(&db, &text));
        again.push(import(&db, &text));
        archive.push(import(&new_farm(n + 3), &tweets));
    }
    let disk = du(&dir.join("farm0"));
    report(
        &format!("10. `farm import-corpus` of {POSTS} lines ({:.1} MB) into a new corpus reader", mb(&text)),
        median(first),
        0,
        disk,
        "",
    );
    report("10. the same file again (every post a duplicate)", median(again), 0, disk, "");
    report(
        &format!("10. an X archive of {POSTS} tweets ({:.1} MB)", mb(&tweets)),
        median(archive),
        0,
        du(&dir.join("farm3")),
        "",
    );
    if std::env::var_os("FARM_BENCH_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let want = |s: &str| args.is_empty() || args.iter().any(|a| a == s);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("machine: {cores} cores, {cpu}; farm {}", env!("CARGO_PKG_VERSION"));
    println!("\n| scenario | wall (median) | CPU | peak RSS | API calls | on disk | target |");
    println!("|---|---|---|---|---|---|---|");
    // FARM_BENCH_BIG keeps the 1,000-bot farm in that directory between runs (it takes a while to build).
    let kept = std::env::var_os("FARM_BENCH_BIG").map(PathBuf::from);
    let big = kept.clone().unwrap_or_else(|| tmp("big"));
    if want("floor") || want("reader") || want("steady") || want("idle") || want("inline") {
        floor();
    }
    if want("idle") {
        idle(&big);
    }
    if want("reader") {
        reader();
    }
    if want("steady") {
        steady();
    }
    if want("follows") {
        follows();
    }
    if want("inline") {
        inline();
    }
    if want("writer") {
        writer();
    }
    if want("parallel") {
        parallel();
    }
    if want("bluesky") {
        bluesky();
    }
    if want("feed") {
        feed();
    }
    if want("replies") {
        replies();
    }
    if want("tracery") {
        tracery();
    }
    if want("threads") {
        threads();
    }
    if want("scale") {
        scale(&big);
    }
    if kept.is_none() {
        let _ = std::fs::remove_dir_all(&big);
    }
    if want("year") {
        year();
    }
    if want("layout") {
        layout();
    }
    if want("slots") {
        slots();
    }
    if want("corpus") {
        corpus();
    }
}
