//! `farm list [--json]`

use super::{now, open_existing, print_json, Globals};
use crate::bot::{status, Bot};
use crate::clock;
use crate::error::Result;
use comfy_table::Table;
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
    /// Consumer key, masked (or "(app)" when inherited).
    pub consumer_key: String,
    /// Access token, masked.
    pub access_token: String,
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
        let mask = crate::net::mask;
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
            credentials: CredView {
                consumer_key: if b.platform.uses_oauth1() && b.creds.consumer_key.is_empty() {
                    "(app)".into()
                } else {
                    mask(&b.creds.consumer_key)
                },
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

/// A next due time ([`status::Standing::next_due`]) as text at `now`: `paused`, `now` (due, or
/// overdue: never a time in the past) or the time.
pub fn next_due_text(at: Option<i64>, now: i64) -> String {
    match at {
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
    let mut t = Table::new();
    t.load_style(comfy_table::presets::UTF8_BORDERS_ONLY);
    t.set_header(vec!["name", "role", "platform", "source", "every", "status", "next due"]);
    let now = now()?;
    for b in &bots {
        let st = store.state(&b.name)?;
        let standing = status::standing_of(&store, b, &st, now)?;
        t.add_row(vec![
            b.name.clone(),
            b.role.name().into(),
            b.platform.name().into(),
            b.source.clone().unwrap_or_default(),
            clock::format_duration(b.every),
            standing.status.name().into(),
            next_due_text(standing.next_due, now),
        ]);
    }
    crate::outln!("{t}")?;
    Ok(())
}
