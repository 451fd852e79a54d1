//! `farm demo`: the whole product working with nothing configured. Starts the fake network
//! in-process on loopback, creates a temporary farm with a reader fed from `fixtures/`
//! (Russian and English posts) and a few writers (the original's "Гарри Поттер и …" bot among
//! them, and a Bluesky writer fed by the X reader), runs a simulated day of `*/10` cron ticks through the same run code cron uses, with
//! the clock stepped, and prints the posts made and the `farm stats` table.

use super::Globals;
use crate::bot::registry::{new_bot, Settings};
use crate::bot::run::{run as run_farm, RunOpts};
use crate::bot::Role;
use crate::error::{FarmError, Result};
use crate::net::Credentials;
use crate::sim::{FakeNet, SourcePost};
use crate::store::Store;
use std::path::PathBuf;

const POSTS_RU: &str = include_str!("../../fixtures/posts_ru.txt");
const POSTS_EN: &str = include_str!("../../fixtures/posts_en.txt");
/// The simulated day starts here (2026-01-01T08:00:00Z).
const START: i64 = 1_767_254_400;
const CK: &str = "demo-consumer-key";
const CS: &str = "demo-consumer-secret";

/// A writer of the demo: name, platform, and its text settings.
struct DemoWriter {
    name: &'static str,
    /// `x`, `mastodon` or `bluesky`.
    platform: &'static str,
    template: Option<&'static str>,
    process: &'static [&'static str],
    filters: &'static [&'static str],
    what: &'static str,
}

const WRITERS: &[DemoWriter] = &[
    DemoWriter {
        name: "hp",
        platform: "x",
        template: Some("Гарри Поттер и {}"),
        process: &["phrase:ADJF,nomn NOUN,nomn;pairs=доброе утро"],
        filters: &["no-retweets", "lang=ru"],
        what: "the original's bot: an adjective + noun in the nominative from a Russian post",
    },
    DemoWriter {
        name: "menu",
        platform: "mastodon",
        template: Some("Сегодня в меню: {}"),
        process: &["nouns:2"],
        filters: &["no-retweets", "lang=ru", "strip-urls", "strip-mentions"],
        what: "two nouns in their dictionary form",
    },
    DemoWriter {
        name: "markov",
        platform: "mastodon",
        template: None,
        process: &["markov:order=1;seed=42;max-len=200"],
        filters: &["lang=en", "strip-urls", "strip-mentions", "strip-hashtags"],
        what: "a Markov chain over the reader's English posts",
    },
    DemoWriter {
        name: "echo",
        platform: "mastodon",
        template: Some("📣 {}"),
        process: &[],
        filters: &["no-retweets", "no-replies", "no-links", "no-mentions", "lang=en"],
        what: "a template around English posts without links or replies",
    },
    DemoWriter {
        name: "sky",
        platform: "bluesky",
        template: Some("☁️ {}"),
        process: &[],
        filters: &["no-retweets", "no-replies", "lang=en", "strip-urls"],
        what: "Bluesky, fed by the X reader: one login, then a kept session",
    },
];

/// The fake account a demo writer posts as (Bluesky accounts are named by a handle).
fn account(w: &DemoWriter) -> String {
    if w.platform == "bluesky" {
        format!("{}.test", w.name)
    } else {
        w.name.to_string()
    }
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
}

/// The fixture posts, Russian and English interleaved, as source posts.
fn source_posts() -> Vec<SourcePost> {
    let (ru, en) = (lines(POSTS_RU), lines(POSTS_EN));
    let mut out = Vec::new();
    for i in 0..ru.len().max(en.len()) {
        for (list, lang) in [(&ru, "ru"), (&en, "en")] {
            if let Some(text) = list.get(i) {
                let mut p =
                    SourcePost::new(if lang == "ru" { "strizhechenko" } else { "newsdesk" }, text).lang(lang);
                if let Some(rest) = text.strip_prefix("RT @") {
                    let author = rest.split(':').next().unwrap_or("someone");
                    p = p.repost_of(author);
                }
                out.push(p);
            }
        }
    }
    out
}

/// Run the demo.
pub fn run(_g: &Globals, keep: Option<PathBuf>, hours: u32) -> Result<()> {
    if hours == 0 || hours > 24 * 31 {
        return Err(FarmError::usage("--hours must be between 1 and 744"));
    }
    let dir = match &keep {
        Some(d) if d.exists() => {
            return Err(FarmError::usage(format!("{} exists; --keep needs a new directory", d.display())))
        }
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("farm-demo-{}", std::process::id())),
    };
    let result = demo(&dir, hours);
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let end = result?;
    if keep.is_some() {
        crate::outln!(
            "\nThe demo farm is in {d}. Explore it with the clock of the demo's last tick:\n  FARM_NOW={} farm --db {d} stats\n  farm --db {d} log -n 30\n  farm --db {d} show hp",
            crate::clock::format(end),
            d = dir.display()
        )?;
    }
    Ok(())
}

fn demo(dir: &std::path::Path, hours: u32) -> Result<i64> {
    let fake = FakeNet::start();
    // The fake's clock follows the simulated day (post times, rate-limit windows); OAuth
    // signatures still carry the real time, as from any real client.
    fake.set_oauth_wall_clock(true);
    fake.set_now(Some(START));
    let api = fake.url();
    crate::outln!("farm demo: a fake X, Mastodon and Bluesky on {api}, a new farm in {}", dir.display())?;
    let store = Store::open(dir)?;
    // The reader: an X account whose home timeline gets the fixture posts.
    fake.add_x_user("strizhechenko", CK, CS, "tok-reader", "sec-reader");
    let mut posts = source_posts().into_iter().cycle();
    let creds = |t: &str, s: &str| Credentials {
        consumer_key: CK.into(),
        consumer_secret: CS.into(),
        access_token: t.into(),
        access_secret: s.into(),
    };
    let reader_settings = Settings {
        platform: Some("x".into()),
        api: Some(api.clone()),
        every: Some("1h".into()),
        ..Default::default()
    };
    let reader = new_bot(
        &store,
        Role::Reader,
        "strizhechenko",
        &reader_settings,
        creds("tok-reader", "sec-reader"),
        START,
    )?;
    store.put_bot(&reader)?;
    crate::outln!("  reader  strizhechenko (x): reads its home timeline hourly")?;
    for w in WRITERS {
        let (platform, creds) = if w.platform == "mastodon" {
            let token = format!("bearer-{}", w.name);
            fake.add_mastodon_user(w.name, &token);
            ("mastodon", Credentials { access_token: token, ..Default::default() })
        } else if w.platform == "bluesky" {
            let password = "demo-pass-word-0001";
            fake.add_bluesky_user(&account(w), password);
            let c = Credentials {
                consumer_key: account(w),
                consumer_secret: password.into(),
                ..Default::default()
            };
            ("bluesky", c)
        } else {
            let (t, s) = (format!("tok-{}", w.name), format!("sec-{}", w.name));
            fake.add_x_user(w.name, CK, CS, &t, &s);
            ("x", creds(&t, &s))
        };
        let s = Settings {
            platform: Some(platform.into()),
            api: Some(api.clone()),
            every: Some("1h".into()),
            source: Some("strizhechenko".into()),
            template: w.template.map(str::to_string),
            process: w.process.iter().map(|p| p.to_string()).collect(),
            filters: w.filters.iter().map(|p| p.to_string()).collect(),
            ..Default::default()
        };
        let bot = new_bot(&store, Role::Writer, w.name, &s, creds, START)?;
        store.put_bot(&bot)?;
        crate::outln!("  writer  {:<13} ({platform}): {}", w.name, w.what)?;
    }
    for _ in 0..12 {
        fake.push_home("strizhechenko", posts.next().unwrap_or_default());
    }
    let ticks = hours as i64 * 6;
    crate::outln!("\nRunning {ticks} cron ticks (*/10) over a simulated {hours} h...")?;
    let opts = RunOpts { jobs: 4, ..Default::default() };
    let mut failures = 0;
    let mut end = START;
    for i in 0..ticks {
        end = START + i * 600 + (i * 7) % 13;
        fake.set_now(Some(end));
        if i > 0 && i % 6 == 0 {
            // New posts reach the reader's home timeline every hour.
            for _ in 0..3 {
                fake.push_home("strizhechenko", posts.next().unwrap_or_default());
            }
        }
        for o in run_farm(&store, &opts, end, &move |ep| crate::net::connect(ep, end))? {
            if let Some(e) = o.error {
                failures += 1;
                eprintln!("  {}: {e}", crate::clock::format(end));
            }
        }
    }
    store.flush()?;
    drop(store);
    let calls = fake.requests().len();
    crate::outln!("\nPosts made ({calls} API requests in all, {failures} failed runs):")?;
    for w in WRITERS {
        let made = fake.posts_by(&account(w));
        crate::outln!("\n  {} ({} posts)", w.name, made.len())?;
        for p in made.iter().take(6) {
            crate::outln!("    {}  {}", crate::clock::short(p.created_at).get(11..).unwrap_or(""), p.text)?;
        }
        if made.len() > 6 {
            crate::outln!("    … and {} more", made.len() - 6)?;
        }
    }
    crate::outln!()?;
    // The stats table as of the last tick.
    let g = Globals { dir: dir.to_path_buf(), verbose: false };
    with_clock(end, || super::stats::run(&g, None, false))?;
    Ok(end)
}

/// Run `f` with the program clock set to `at` (the demo is single-threaded at this point).
fn with_clock<T>(at: i64, f: impl FnOnce() -> T) -> T {
    crate::clock::with_now(at, f)
}
