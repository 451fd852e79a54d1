//! Test support: a farm wired to the loopback fake network.
#![allow(dead_code)]

use super::Farm;
use botfarm::sim::{FakeNet, SourcePost};

pub const CK: &str = "ck-test-0001";
pub const CS: &str = "cs-test-0001";

/// Unix seconds of 2026-01-01T00:00:00Z, the start of simulated days.
pub const T0: i64 = 1_767_225_600;

pub fn rfc(ts: i64) -> String {
    botfarm::clock::format(ts)
}

/// A farm plus the fake network it talks to.
pub struct Net {
    pub farm: Farm,
    pub fake: FakeNet,
}

impl Net {
    pub fn new() -> Net {
        Net { farm: Farm::new(), fake: FakeNet::start() }
    }

    /// Add an X account on the fake and a bot for it (`create ARGS…`).
    pub fn x_bot(&self, role: &str, name: &str, platform: &str, extra: &[&str]) {
        let token = format!("tok-{name}-0123456789");
        let secret = format!("sec-{name}-0123456789");
        self.fake.add_x_user(name, CK, CS, &token, &secret);
        let url = self.fake.url();
        let mut args = vec!["create", role, name, "--platform", platform, "--api", &url];
        args.extend_from_slice(extra);
        self.farm
            .run_env(
                &args,
                &[
                    ("FARM_CONSUMER_KEY", CK),
                    ("FARM_CONSUMER_SECRET", CS),
                    ("FARM_ACCESS_TOKEN", &token),
                    ("FARM_ACCESS_SECRET", &secret),
                ],
            )
            .ok();
    }

    /// Add a Mastodon account on the fake and a bot for it.
    pub fn masto_bot(&self, role: &str, name: &str, extra: &[&str]) {
        self.masto_bot_in(&self.farm, role, name, extra);
    }

    /// [`Net::masto_bot`] in another farm on the same fake network (a second data directory).
    pub fn masto_bot_in(&self, farm: &Farm, role: &str, name: &str, extra: &[&str]) {
        let token = format!("bearer-{name}-0123456789");
        self.fake.add_mastodon_user(name, &token);
        let url = self.fake.url();
        let mut args = vec!["create", role, name, "--platform", "mastodon", "--api", &url];
        args.extend_from_slice(extra);
        farm.run_env(&args, &[("FARM_ACCESS_TOKEN", &token)]).ok();
    }

    /// Add a Bluesky account `NAME.test` on the fake (app password [`bsky_password`]) and a bot
    /// `NAME` for it.
    pub fn bsky_bot(&self, role: &str, name: &str, extra: &[&str]) {
        let handle = bsky_handle(name);
        let password = bsky_password(name);
        self.fake.add_bluesky_user(&handle, &password);
        let url = self.fake.url();
        let mut args = vec!["create", role, name, "--platform", "bluesky", "--api", &url];
        args.extend_from_slice(extra);
        self.farm
            .run_env(&args, &[("FARM_BLUESKY_HANDLE", &handle), ("FARM_BLUESKY_APP_PASSWORD", &password)])
            .ok();
    }

    /// POST requests to the XRPC method `nsid`.
    pub fn xrpc_posts(&self, nsid: &str) -> usize {
        self.post_requests(&format!("/xrpc/{nsid}"))
    }

    /// Put `n` distinct posts on a user's home timeline.
    pub fn seed(&self, user: &str, n: usize, tag: &str) {
        for i in 0..n {
            self.fake
                .push_home(user, SourcePost::new("someone", &format!("{tag} post number {i} about cats")));
        }
    }

    /// Run `farm ARGS` at simulated time `ts`.
    pub fn at(&mut self, ts: i64, args: &[&str]) -> super::Run {
        self.farm.set_now(&rfc(ts));
        self.farm.run(args)
    }

    /// Requests whose path contains `part`.
    pub fn count(&self, part: &str) -> usize {
        self.fake.requests().iter().filter(|r| r.path.contains(part)).count()
    }

    /// A farm with a Mastodon reader `r` and a writer `w` from it that have run once.
    pub fn reader_and_writer() -> Net {
        let mut n = Net::new();
        n.masto_bot("reader", "r", &[]);
        n.masto_bot("writer", "w", &["--source", "r"]);
        n.seed("r", 5, "a");
        n.at(T0, &["run"]).ok();
        n
    }

    /// A Mastodon reader on `api` with `token`, with no account on the fake behind it.
    pub fn masto_reader_at(&self, name: &str, api: &str, token: &str) {
        self.farm
            .run_env(
                &["create", "reader", name, "--platform", "mastodon", "--api", api],
                &[("FARM_ACCESS_TOKEN", token)],
            )
            .ok();
    }

    pub fn posted(&self, user: &str) -> Vec<String> {
        self.fake.posts_by(user).into_iter().map(|p| p.text).collect()
    }

    /// `farm run ARGS` at `ts` with the fake's clock at the same time (Mastodon and the
    /// analyzer's engagement; X checks OAuth timestamps, which farm signs with the real time).
    pub fn synced(&mut self, ts: i64, args: &[&str]) -> super::Run {
        self.fake.set_now(Some(ts));
        self.at(ts, args)
    }

    /// The `state` object of `farm show BOT --json`.
    pub fn state(&self, bot: &str) -> serde_json::Value {
        self.farm.run(&["show", bot, "--json"]).ok().json()["state"].clone()
    }

    /// Cache `count` posts for `reader` straight through the store, as its runs would have
    /// (a farm past `INLINE_MAX` in seconds).
    pub fn fill(&self, reader: &str, count: u64) {
        let store = botfarm::store::Store::open(&self.farm.db()).unwrap();
        let posts: Vec<botfarm::net::Post> = (1..=count)
            .map(|id| botfarm::net::Post {
                id,
                author: "someone".into(),
                text: format!("cached post {id}"),
                created_at: T0 - 3600,
                is_repost: false,
                is_reply: false,
                has_links: false,
                lang: None,
                ..Default::default()
            })
            .collect();
        for chunk in posts.chunks(5000) {
            store.add_posts(reader, chunk).unwrap();
        }
        super::close_store(store);
    }

    /// POST requests to exactly `path`.
    pub fn post_requests(&self, path: &str) -> usize {
        self.fake.requests().iter().filter(|r| r.method == "POST" && r.path == path).count()
    }
}

/// The handle of the fake Bluesky account of bot `name`.
pub fn bsky_handle(name: &str) -> String {
    format!("{name}.test")
}

/// The app password of the fake Bluesky account of bot `name`.
pub fn bsky_password(name: &str) -> String {
    let n: String = name.chars().filter(char::is_ascii_alphanumeric).take(4).collect();
    format!("{n:a<4}-pass-word-0001")
}

/// A Bluesky reader `r` and its writer `w` (accounts `r.test` and `w.test`), five posts on the
/// reader's timeline, made an hour before [`T0`].
pub fn bsky_pair() -> Net {
    let n = Net::new();
    n.bsky_bot("reader", "r", &[]);
    n.bsky_bot("writer", "w", &["--source", "r"]);
    // Bluesky post ids come from their time: the posts are an hour older than the first run.
    n.fake.set_now(Some(T0 - 3600));
    n.seed(&bsky_handle("r"), 5, "a");
    n
}

/// A Mastodon reader `r` and its writer `w`.
pub fn masto_pair() -> Net {
    let n = Net::new();
    n.masto_bot("reader", "r", &[]);
    n.masto_bot("writer", "w", &["--source", "r"]);
    n
}

/// A [`masto_pair`] whose writer's first post was performed but not answered.
pub fn masto_with_unconfirmed_post() -> Net {
    let mut n = masto_pair();
    n.seed("r", 5, "a");
    n.fake.fail_next(1, botfarm::sim::Fault::PerformThenTimeout, Some("/api/v1/statuses"));
    assert_eq!(n.synced(T0, &["run"]).code, 75);
    assert!(n.state("w")["pending"].is_string());
    assert_eq!(n.posted("w").len(), 1);
    n
}
