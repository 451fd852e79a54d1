//! `farm list [--json]`

use super::{now, open_existing, print_json, Globals};
use crate::bot::{status, Bot};
use crate::clock;
use crate::error::Result;
use crate::net::PlatformKind;
use crate::out::{Cell, Column, Table};
use serde::Serialize;

/// One bot as `list --json` and `show --json` print it (secrets masked). Field names are stable.
#[derive(Serialize)]
pub struct BotView {
    /// Name.
    pub name: String,
    /// reader, writer, analyzer.
    pub role: &'static str,
    /// x, x-v1, mastodon.
    pub platform: &'static str,
    /// API base URL.
    pub api: String,
    /// Interval, seconds.
    pub every_secs: u64,
    /// Interval, human.
    pub every: String,
    /// Paused?
    pub paused: bool,
    /// Source reader (writers) or writer (analyzers).
    pub source: Option<String>,
    /// Writers: template.
    pub template: Option<String>,
    /// Writers: processing steps.
    pub process: Vec<String>,
    /// Writers: filters.
    pub filters: Vec<String>,
    /// Mastodon writers: visibility.
    pub visibility: Option<String>,
    /// Bluesky writers: the language of posts whose source post has none (`--lang`).
    pub lang: Option<String>,
    /// Masked credentials.
    pub credentials: CredView,
    /// Readers: fetch cap and retention.
    pub reader: Option<ReaderView>,
    /// Creation time, RFC 3339.
    pub created_at: String,
}

/// Masked credentials.
#[derive(Serialize)]
pub struct CredView {
    /// Consumer key, masked; `null` when the bot has none of its own.
    pub consumer_key: Option<String>,
    /// Whether the bot uses the farm's X app keys (`farm app set x`) instead of its own.
    pub consumer_key_from_app: bool,
    /// Access token, masked; `null` when there is none.
    pub access_token: Option<String>,
    /// Whether an access secret is set.
    pub access_secret_set: bool,
}

/// Reader limits.
#[derive(Serialize)]
pub struct ReaderView {
    /// Max posts per run.
    pub cap: u32,
    /// Max age of cached posts, seconds.
    pub max_age_secs: u64,
    /// Max cached posts.
    pub max_count: u32,
}

impl BotView {
    /// Build the view.
    pub fn new(b: &Bot) -> BotView {
        let mask = |s: &str| (!s.is_empty()).then(|| crate::net::mask(s));
        BotView {
            name: b.name.clone(),
            role: b.role.name(),
            platform: b.platform.name(),
            api: b.api.clone(),
            every_secs: b.every,
            every: clock::format_duration(b.every),
            paused: b.paused,
            source: b.source.clone(),
            template: b.template.clone(),
            process: b.process.clone(),
            filters: b.filters.clone(),
            visibility: b.visibility.clone(),
            lang: (b.role == crate::bot::Role::Writer)
                .then(|| b.setting(crate::bot::registry::LANG_KEY))
                .flatten()
                .map(str::to_string),
            credentials: CredView {
                consumer_key: mask(&b.creds.consumer_key),
                consumer_key_from_app: b.platform.uses_oauth1() && b.creds.consumer_key.is_empty(),
                access_token: mask(&b.creds.access_token),
                access_secret_set: !b.creds.access_secret.is_empty(),
            },
            reader: (b.role == crate::bot::Role::Reader).then_some(ReaderView {
                cap: b.reader.cap,
                max_age_secs: b.reader.max_age,
                max_count: b.reader.max_count,
            }),
            created_at: clock::format(b.created_at),
        }
    }
}

/// A next due time ([`status::Standing::next_due`]) of a bot on `platform` as text at `now`:
/// `never` (a corpus reader never runs), `paused`, `now` (due, or overdue: never a time in the
/// past) or the time (`2026-01-01 10:00 UTC`).
pub fn next_due_text(platform: &str, at: Option<i64>, now: i64) -> String {
    match at {
        None if platform == PlatformKind::Corpus.name() => "never".into(),
        None => "paused".into(),
        Some(t) if t <= now => "now".into(),
        Some(t) => clock::short(t),
    }
}

/// List bots.
pub fn run(g: &Globals, json: bool, names: bool) -> Result<()> {
    let Some(store) = open_existing(&g.dir)? else {
        if names {
            return Ok(());
        }
        if json {
            return print_json(&Vec::<BotView>::new());
        }
        eprintln!("no bots yet; create one with `farm create reader NAME --platform x|mastodon`");
        return Ok(());
    };
    let bots = store.bots()?;
    if names {
        for b in &bots {
            crate::outln!("{}", b.name)?;
        }
        return Ok(());
    }
    if json {
        let v: Vec<BotView> = bots.iter().map(BotView::new).collect();
        return print_json(&v);
    }
    if bots.is_empty() {
        eprintln!("no bots yet; create one with `farm create reader NAME --platform x|mastodon`");
        return Ok(());
    }
    // Display order; `drop(rank)`: the highest rank is left out first on a narrow screen.
    let mut t = Table::new(vec![
        Column::left("name").cut_middle(16),
        Column::left("role").drop(3),
        Column::left("platform").drop(5),
        Column::left("source").drop(6).cut_middle(12),
        Column::right("every").drop(4),
        Column::left("status"),
        Column::left("next due").drop(2),
    ]);
    let now = now()?;
    for b in &bots {
        let st = store.state(&b.name)?;
        let standing = status::standing_of(&store, b, &st, now)?;
        let status = standing.status.name();
        t.row::<Cell>([
            b.name.clone().into(),
            b.role.name().into(),
            b.platform.name().into(),
            b.source.clone().unwrap_or_default().into(),
            clock::format_duration(b.every).into(),
            Cell::coloured(status, crate::out::status_colour(status)),
            next_due_text(b.platform.name(), standing.next_due, now).into(),
        ]);
    }
    crate::out::write_str(&t.render(crate::out::width(), crate::out::colour()))
}
