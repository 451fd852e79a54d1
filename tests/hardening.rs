//! Hardening: crash injection (kill -9 of `farm run` with faults on), every fault the fake
//! offers on one bot while the others finish, and a full disk.

mod support;
use botfarm::sim::Fault;
use support::net::{rfc, Net, T0};

#[test]
fn crash_injection_200_kills_with_faults() {
    let mut n = Net::new();
    n.x_bot("reader", "r", "x", &["--every", "10m"]);
    n.x_bot("writer", "wx", "x", &["--source", "r", "--every", "10m"]);
    n.x_bot("writer", "w1", "x-v1", &["--source", "r", "--every", "10m"]);
    n.masto_bot("writer", "wm", &["--source", "r", "--every", "10m"]);
    // The fake's windows follow the wall clock; a simulated day and a half takes seconds.
    for (u, e) in [
        ("wx", botfarm::sim::Endpoint::Post),
        ("w1", botfarm::sim::Endpoint::Post),
        ("r", botfarm::sim::Endpoint::Timeline),
    ] {
        n.fake.set_rate_limit(u, e, 1_000_000, 900);
    }
    n.seed("r", 40, "c");
    n.fake.set_latency_ms(10);
    let faults = [
        Fault::Status(500),
        Fault::Status(503),
        Fault::Garbage,
        Fault::Html502,
        Fault::Reset,
        Fault::PerformThenTimeout,
        Fault::Timeout,
    ];
    let paths = ["/2/tweets", "/1.1/statuses/update", "/api/v1/statuses", "timelines"];
    let mut rng: u64 = 0x2545F4914F6CDD1D;
    let mut last_consumed = std::collections::HashMap::new();
    let mut last_cursor: u64 = 0;
    n.farm.env.push(("FARM_HTTP_TIMEOUT".into(), "0.3".into()));
    for i in 0..200i64 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        if i % 3 == 0 {
            let f = faults[(rng % faults.len() as u64) as usize].clone();
            let p = paths[((rng >> 8) % paths.len() as u64) as usize];
            n.fake.fail_next(1, f, Some(p));
        }
        if i % 10 == 0 {
            n.seed("r", 5, &format!("c{i}"));
        }
        n.farm.set_now(&rfc(T0 + i * 600));
        // Kill after a random number of API requests (then a random few ms), not after a fixed
        // time: on a loaded machine a fixed time kills every run before it has done anything.
        let seen = n.fake.request_count();
        let requests = (rng % 8) as usize;
        let mut child = n.farm.cmd(&["run"]).stderr(std::process::Stdio::null()).spawn().unwrap();
        let start = std::time::Instant::now();
        while child.try_wait().unwrap().is_none()
            && n.fake.request_count() < seen + requests
            && start.elapsed() < std::time::Duration::from_secs(5)
        {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        std::thread::sleep(std::time::Duration::from_millis((rng >> 20) % 15));
        let _ = child.kill();
        let _ = child.wait();
        // The database opens after every kill, and nothing went backwards.
        if i % 5 == 0 || i == 199 {
            for w in ["wx", "w1", "wm"] {
                let c = n.state(w)["consumed"].as_u64().unwrap();
                let prev = last_consumed.insert(w, c).unwrap_or(0);
                assert!(c >= prev, "{w}'s cursor went back from {prev} to {c} at iteration {i}");
            }
            let cursor = &n.state("r")["cursor"];
            assert!(cursor.is_null() || cursor.is_string(), "{cursor}");
            let cur: u64 = cursor.as_str().map(|c| c.parse().unwrap()).unwrap_or(0);
            assert!(cur >= last_cursor, "reader cursor went back at iteration {i}");
            last_cursor = cur;
        } else {
            n.farm.run(&["list", "--json"]).ok();
        }
    }
    assert!(last_cursor > 0, "the reader never read: the kills gave it no chance");
    n.fake.set_latency_ms(0);
    for i in 200..206 {
        let _ = n.at(T0 + i * 600, &["run"]);
    }
    for w in ["wx", "w1", "wm"] {
        let posts = n.posted(w);
        let mut uniq = posts.clone();
        uniq.sort();
        uniq.dedup();
        assert_eq!(uniq.len(), posts.len(), "{w} posted a text twice: {posts:?}");
        assert!(!posts.is_empty(), "{w} never posted");
        // Every slot posted at most once: no more posts than 10-minute slots.
        assert!(posts.len() <= 206);
    }
}

#[test]
fn each_fault_hits_one_bot_and_the_others_finish() {
    let faults: Vec<(Fault, i32)> = vec![
        (Fault::Status(500), 75),
        (Fault::Status(503), 75),
        (Fault::Status(401), 77),
        (Fault::Status(403), 69),
        (Fault::Timeout, 75),
        (Fault::Garbage, 75),
        (Fault::Html502, 75),
        (Fault::Reset, 75),
        (Fault::PerformThenTimeout, 75),
        (Fault::RateLimited { reset: T0 + 900 }, 75),
    ];
    for (fault, code) in faults {
        let mut n = Net::new();
        n.farm.env.push(("FARM_HTTP_TIMEOUT".into(), "1".into()));
        n.x_bot("reader", "r", "x", &[]);
        n.x_bot("writer", "victim", "x", &["--source", "r"]);
        n.x_bot("writer", "legacy", "x-v1", &["--source", "r"]);
        n.masto_bot("writer", "toot", &["--source", "r"]);
        n.seed("r", 5, "f");
        n.fake.fail_next(1, fault.clone(), Some("/2/tweets"));
        let r = n.at(T0, &["run"]);
        // Garbage on a post answer may mean it was made: resent next run, so a tempfail.
        assert!(
            r.code == code || (matches!(fault, Fault::Garbage) && r.code == 65),
            "{fault:?}: exit {} {}",
            r.code,
            r.stderr
        );
        assert_eq!(r.stderr.trim().lines().count(), 1, "{fault:?}: {}", r.stderr);
        assert!(r.stderr.contains("victim"), "{fault:?}: {}", r.stderr);
        assert_eq!(n.posted("legacy").len(), 1, "{fault:?}");
        assert_eq!(n.posted("toot").len(), 1, "{fault:?}");
        let s = n.state("victim");
        assert!(s["last_error"].is_string(), "{fault:?}: {s}");
        // Consistent afterwards: the next runs settle, nothing is posted twice.
        for k in 1..8 {
            let _ = n.at(T0 + k * 600, &["run"]);
        }
        let posts = n.posted("victim");
        assert!(posts.len() <= 2, "{fault:?}: {posts:?}");
        let mut uniq = posts.clone();
        uniq.dedup();
        assert_eq!(uniq, posts, "{fault:?}");
    }
}

#[test]
fn a_full_disk_is_a_clear_error_and_loses_nothing() {
    let dir = support::TempDir::new("tmpfs");
    let mnt = dir.path().join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    let ok = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=3m", "tmpfs"])
        .arg(&mnt)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: cannot mount a small tmpfs here (needs root and mount permission)");
        return;
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(mnt.clone());
    let mut n = Net::new();
    n.farm.env.push(("FARM_DB".into(), mnt.join("farm").to_str().unwrap().into()));
    let db = mnt.join("farm");
    let farm_at = |n: &mut Net, ts: i64, args: &[&str]| {
        n.farm.set_now(&rfc(ts));
        n.farm.run(&[&["--db", db.to_str().unwrap()], args].concat())
    };
    n.fake.add_x_user("r", support::net::CK, support::net::CS, "tok-r", "sec-r");
    let url = n.fake.url();
    let r = n.farm.run_env(
        &["--db", db.to_str().unwrap(), "create", "reader", "r", "--platform", "x", "--api", &url],
        &[
            ("FARM_CONSUMER_KEY", support::net::CK),
            ("FARM_CONSUMER_SECRET", support::net::CS),
            ("FARM_ACCESS_TOKEN", "tok-r"),
            ("FARM_ACCESS_SECRET", "sec-r"),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    farm_at(&mut n, T0, &["run"]).ok();
    let before = n.farm.run(&["--db", db.to_str().unwrap(), "list", "--json"]).ok().stdout;
    // Fill the disk, then give the reader a lot to store.
    let filler = mnt.join("filler");
    let _ = std::process::Command::new("dd")
        .args(["if=/dev/zero", "bs=64k", "count=200"])
        .arg(format!("of={}", filler.display()))
        .output();
    for i in 0..300 {
        n.fake
            .push_home("r", botfarm::sim::SourcePost::new("a", &format!("{i} {}", "long text ".repeat(25))));
    }
    let r = farm_at(&mut n, T0 + 7200, &["run"]);
    assert_ne!(r.code, 0, "a run on a full disk cannot succeed: {}", r.stderr);
    assert!(r.code == 74 || r.code == 70 || r.code == 75, "{}: {}", r.code, r.stderr);
    assert!(r.stderr.contains("disk is full") || r.stderr.contains("No space"), "{}", r.stderr);
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    // Space back: the database opens and still has everything.
    std::fs::remove_file(&filler).unwrap();
    let after = n.farm.run(&["--db", db.to_str().unwrap(), "list", "--json"]).ok().stdout;
    assert_eq!(before, after);
    farm_at(&mut n, T0 + 7200 + 600, &["run"]).ok();
}
