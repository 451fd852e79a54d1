//! `farm list [--json]`

use super::{now, open_existing, print_json, Globals};
use crate::bot::{slots, status, Bot};
use crate::clock;
use crate::error::Result;
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
    /// Writers: the language of posts whose source post has none (`--lang`).
    pub lang: Option<String>,
    /// Writers: what a text too long for the network gets (`--long`): `skip`, `cut` or
    /// `thread`.
    pub long: Option<&'static str>,
    /// Writers: the content warning of every post (`--warning`).
    pub warning: Option<String>,
    /// Writers: whether posts are marked sensitive (`--sensitive`); `null` for other bots.
    pub sensitive: Option<bool>,
    /// Writers: Bluesky self-labels of every post, comma-separated (`--label`).
    pub labels: Option<String>,
    /// Writers: what a source post with a content warning does, `skip` or `carry` (`--warnings`).
    pub warnings: Option<&'static str>,
    /// Grammar writers: the Tracery grammar (`--process tracery:FILE`), a JSON object in the
    /// file's order.
    pub grammar: Option<crate::text::tracery::grammar::Source>,
    /// Masked credentials.
    pub credentials: CredView,
    /// Writers with time slots: the slots (`null`: it runs by its interval, `every`).
    pub slots: Option<SlotsView>,
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

/// A writer's time slots (`--at`, `--tz`, `--days`, `--jitter`, `--missed`).
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct SlotsView {
    /// Times of day, `HH:MM`, in `tz`.
    pub at: Vec<String>,
    /// Weekdays: `daily`, `mon-fri`, `mon,wed,fri`.
    pub days: String,
    /// The IANA time zone.
    pub tz: String,
    /// The largest jitter, seconds.
    pub jitter_secs: u64,
    /// `skip`, `once` or `all`.
    pub missed: String,
    /// All of it in words, for the text views ([`slots::Slots::describe`]).
    #[serde(skip)]
    pub text: String,
}

impl SlotsView {
    /// The view of a bot's slots, if it has any (a stored schedule that cannot be read shows as
    /// none; the bot's runs report it).
    pub fn of(b: &Bot) -> Option<SlotsView> {
        let s = slots::of(b).ok().flatten()?;
        Some(SlotsView {
            at: s.times_text().split(',').map(str::to_string).collect(),
            days: s.days_text(),
            tz: s.tz.name().to_string(),
            jitter_secs: s.jitter,
            missed: s.missed.name().to_string(),
            text: s.describe(),
        })
    }
}

/// Where a writer's time slots stand, as `stats --json` rows and `show --json`'s `state` have it
/// (all `null` for a bot without slots).
#[derive(Serialize, Debug, Clone, Default, PartialEq)]
pub struct SlotState {
    /// When its next slot fires (RFC 3339, UTC), the jitter added.
    pub next_slot_at: Option<String>,
    /// The same time in the slots' own zone (RFC 3339 with its offset: `2026-03-02T09:00:00+03:00`).
    pub next_slot_local: Option<String>,
    /// Slots that passed without a post of their own, in total.
    pub slots_missed: Option<u64>,
    /// The next slot in words, in its zone and in UTC (`2026-03-02 09:00 Europe/Moscow (06:00
    /// UTC)`; `none (paused)`, `none`), for the text views.
    #[serde(skip)]
    pub next_slot_text: Option<String>,
}

impl SlotState {
    /// The slot state of `b` with state `st`, whose next slot fires at `next` (the
    /// [`crate::bot::status::Standing::next_slot`]).
    pub fn new(b: &Bot, st: &crate::model::BotState, next: Option<i64>) -> SlotState {
        let Some(s) = slots::of(b).ok().flatten() else { return SlotState::default() };
        SlotState {
            next_slot_at: next.map(clock::format),
            next_slot_local: next.map(|t| s.local_rfc3339(t)),
            slots_missed: Some(st.slots_missed),
            next_slot_text: Some(next.map_or_else(|| none_text(b.paused), |t| s.local_text(t))),
        }
    }
}

/// A next slot that will not come: `none (paused)`, or `none` (a bot that needs auth).
pub fn none_text(paused: bool) -> String {
    if paused { "none (paused)" } else { "none" }.to_string()
}

/// The `every` cell of a table: the interval (`every`, `1h`), or a slot writer's times (`at
/// 09:00,21:00`).
pub fn every_cell(every: &str, slots: Option<&SlotsView>) -> String {
    match slots {
        Some(s) => format!("at {}", s.at.join(",")),
        None => every.to_string(),
    }
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
        use crate::bot::registry;
        let is_writer = b.role == crate::bot::Role::Writer;
        let writer = |key: &str| is_writer.then(|| b.setting(key)).flatten().map(str::to_string);
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
            lang: writer(registry::LANG_KEY),
            long: is_writer.then_some(match b.setting(registry::LONG_KEY) {
                Some("cut") => "cut",
                Some("thread") => "thread",
                _ => "skip",
            }),
            warning: writer(registry::WARNING_KEY),
            sensitive: is_writer.then(|| b.setting(registry::SENSITIVE_KEY).is_some()),
            labels: writer(registry::LABELS_KEY),
            warnings: is_writer.then_some(if b.setting(registry::WARNINGS_KEY).is_some() {
                "carry"
            } else {
                "skip"
            }),
            grammar: b
                .setting(crate::bot::registry::GRAMMAR_KEY)
                .and_then(|g| crate::text::tracery::grammar::Source::from_json(g).ok()),
            credentials: CredView {
                consumer_key: mask(&b.creds.consumer_key),
                consumer_key_from_app: b.platform.uses_oauth1() && b.creds.consumer_key.is_empty(),
                access_token: mask(&b.creds.access_token),
                access_secret_set: !b.creds.access_secret.is_empty(),
            },
            slots: SlotsView::of(b),
            reader: (b.role == crate::bot::Role::Reader).then_some(ReaderView {
                cap: b.reader.cap,
                max_age_secs: b.reader.max_age,
                max_count: b.reader.max_count,
            }),
            created_at: clock::format(b.created_at),
        }
    }
}

/// A next due time ([`status::Standing::next_due`]) as text at `now`: `paused`, `never` (no
/// next due and not paused: a bot that needs auth, a corpus reader), `now` (due, or overdue:
/// never a time in the past) or the time (`2026-01-01 10:00 UTC`).
pub fn next_due_text(paused: bool, at: Option<i64>, now: i64) -> String {
    match at {
        None if paused => "paused".into(),
        // A bot that needs auth, or a corpus reader: cron never runs it.
        None => "never".into(),
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
        Column::right("every").drop(4).cut_end(8),
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
            every_cell(&clock::format_duration(b.every), SlotsView::of(b).as_ref()).into(),
            Cell::coloured(status, crate::out::status_colour(status)),
            next_due_text(b.paused, standing.next_due, now).into(),
        ]);
    }
    crate::out::write_str(&t.render(crate::out::width(), crate::out::colour()))
}
