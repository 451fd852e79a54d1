//! The numbers behind `farm stats` and `farm metrics`: a bot's status, backlog, activity in the
//! last 24 hours and per day. The layout (table, JSON, line protocol) is in `crate::cmd`.
//!
//! Reads only bot records, their state, rate-limit records and hourly/daily counters, plus two
//! ordinal lookups per writer for its backlog ([`Store::backlog`]): never the cached posts, so
//! it costs the same with ten posts or a million.

use super::status::{self, Status};
use crate::error::Result;
use crate::model::RateInfo;
use crate::model::{Bot, BotState, Counters, PlatformKind, PriceList, Role};
use crate::store::Store;
use std::collections::HashMap;

/// One bot's numbers at a time `now`.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The bot.
    pub bot: Bot,
    /// Its run state.
    pub state: BotState,
    /// Its status ([`status::status`]).
    pub status: Status,
    /// Until when a known rate limit holds it back ([`status::limited_until`]), whatever its
    /// status (a paused bot can be limited too).
    pub limited_until: Option<i64>,
    /// When it is next due ([`status::next_due`]); `None` when paused.
    pub next_due: Option<i64>,
    /// The latest time an earlier run stored too far ahead of the clock ([`status::Standing`]).
    pub ahead: Option<i64>,
    /// A writer with time slots: when its next slot fires ([`status::Standing::next_slot`]).
    pub next_slot: Option<i64>,
    /// Readers: posts in the cache; writers: unprocessed posts in the reader's cache;
    /// analyzers: 0.
    pub backlog: u64,
    /// The bot's own kind of count (a reader's posts fetched, a writer's posts made, an
    /// analyzer's posts scored) in each of the last 24 hours, oldest first; the last entry is
    /// the current hour.
    pub hourly: Vec<u64>,
    /// Posts fetched (readers), made (any bot: writers, and posts by hand) and scored
    /// (analyzers) in the last 24 hours, each counted apart.
    pub last_24h: Kinds,
    /// API requests in the last 24 hours.
    pub calls_24h: u64,
    /// API requests in the last [`MONTH_DAYS`] days (UTC, today included).
    pub calls_30d: u64,
    /// X bots: what their calls cost at the farm's prices ([`billed`]); `None` on other networks,
    /// which bill nothing.
    pub cost: Option<Cost>,
    /// Readers: posts imported into them from files (`farm import-corpus`), in total.
    pub imported: u64,
    /// Failed runs in the last 24 hours.
    pub errors_24h: u64,
    /// Known rate-limit windows of the bot's calls.
    pub rates: Vec<RateInfo>,
    /// Bluesky: the write points its account has left (this hour, this day); `None` on other
    /// networks ([`super::budget::points_left`]).
    pub write_points: Option<(u64, u64)>,
    /// A reader that follows public accounts: how many are read (ok or renamed) and how many it
    /// follows; `None` for other bots.
    pub follows: Option<(usize, usize)>,
}

/// The days `calls_30d` and a bot's cost for "the month" cover: today and the 29 before it.
pub const MONTH_DAYS: i64 = 30;

/// What a bot's calls cost, in millionths of a US dollar: the posts it read, the posts it made
/// and those of them with a link, each at its price ([`PriceList::cost`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cost {
    /// In the last 24 hours (hourly counters).
    pub last_24h: u64,
    /// In the last [`MONTH_DAYS`] days (daily counters, today included).
    pub last_30d: u64,
}

/// Whether a bot's calls are billed: on X (v2 and v1.1 alike), per post read and per post
/// made. Mastodon, Bluesky and feeds charge nothing for API use.
pub fn billed(platform: PlatformKind) -> bool {
    matches!(platform, PlatformKind::X | PlatformKind::XV1)
}

/// Posts fetched, made and scored: three counts that are never added together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Kinds {
    /// Posts fetched by a reader.
    pub fetched: u64,
    /// Posts made (by a writer, or by hand through any bot).
    pub posts: u64,
    /// Posts scored by an analyzer.
    pub scored: u64,
}

impl Kinds {
    /// The kinds in counters of a bot of `role`: the stored `fetched` counter is a reader's
    /// posts fetched and an analyzer's posts scored.
    pub fn of(role: Role, c: Counters) -> Kinds {
        let other = u64::from(c.fetched);
        Kinds {
            fetched: if role == Role::Reader { other } else { 0 },
            posts: u64::from(c.posts),
            scored: if role == Role::Analyzer { other } else { 0 },
        }
    }

    /// The bot's stored total (`BotState::total`) as the kind its role counts.
    pub fn total(role: Role, total: u64) -> Kinds {
        match role {
            Role::Reader => Kinds { fetched: total, ..Kinds::default() },
            Role::Writer => Kinds { posts: total, ..Kinds::default() },
            Role::Analyzer => Kinds { scored: total, ..Kinds::default() },
        }
    }

    /// The count of a bot's own kind: a reader's fetched, a writer's made, an analyzer's scored.
    pub fn own(&self, role: Role) -> u64 {
        match role {
            Role::Reader => self.fetched,
            Role::Writer => self.posts,
            Role::Analyzer => self.scored,
        }
    }

    fn add(&mut self, o: Kinds) {
        self.fetched += o.fetched;
        self.posts += o.posts;
        self.scored += o.scored;
    }
}

/// One day of a bot's counters (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCounts {
    /// Unix second of the day's start.
    pub start: i64,
    /// Posts fetched, made and scored.
    pub kinds: Kinds,
    /// API requests.
    pub calls: u64,
    /// Failed runs.
    pub errors: u64,
}

impl DayCounts {
    fn add(&mut self, role: Role, c: Counters) {
        self.kinds.add(Kinds::of(role, c));
        self.calls += u64::from(c.calls);
        self.errors += u64::from(c.errors);
    }
}

/// A bot's backlog: a reader's cached posts; a writer's unprocessed posts in its reader's cache
/// (capped by that cache's size, `reader_cached`; 0 without a reader); an analyzer's 0.
pub fn backlog(store: &Store, b: &Bot, st: &BotState, reader_cached: Option<u64>) -> Result<u64> {
    Ok(match (b.role, &b.source, reader_cached) {
        (Role::Reader, _, _) => st.cached,
        (Role::Writer, Some(src), Some(cached)) => store.backlog(&b.name, src)?.min(cached),
        _ => 0,
    })
}

/// Compute one bot's summary at the farm's X `prices`. `states` holds at least the state of
/// its source (a writer's backlog is capped by its reader's cache size).
pub fn summary(
    store: &Store,
    b: &Bot,
    st: &BotState,
    states: &HashMap<String, BotState>,
    prices: &PriceList,
    now: i64,
) -> Result<Summary> {
    let hour = now.div_euclid(3600);
    let mut hourly = vec![0u64; 24];
    let mut last_24h = Kinds::default();
    let (mut day, mut month) = (Counters::default(), Counters::default());
    for (h, c) in store.counters(&b.name, hour - 23)? {
        if let Ok(i) = usize::try_from(h - (hour - 23)) {
            if i < 24 {
                let k = Kinds::of(b.role, c);
                hourly[i] += k.own(b.role);
                last_24h.add(k);
                day += c;
            }
        }
    }
    for (_, c) in store.daily(&b.name, now.div_euclid(86_400) - (MONTH_DAYS - 1))? {
        month += c;
    }
    let reader_cached = b.source.as_ref().and_then(|s| states.get(s)).map(|r| r.cached);
    let window = status::gating_window(store, b)?;
    let rates = store.rates(&b.name)?;
    let standing = status::standing(b, st, &rates, window.as_ref(), status::needs_auth(store, b)?, now);
    Ok(Summary {
        bot: b.clone(),
        state: st.clone(),
        status: standing.status,
        limited_until: standing.limited_until,
        next_due: standing.next_due,
        ahead: standing.ahead,
        next_slot: standing.next_slot,
        backlog: backlog(store, b, st, reader_cached)?,
        hourly,
        last_24h,
        calls_24h: u64::from(day.calls),
        calls_30d: u64::from(month.calls),
        cost: billed(b.platform).then(|| Cost { last_24h: prices.cost(&day), last_30d: prices.cost(&month) }),
        imported: if b.role == Role::Reader { store.imported(&b.name)? } else { 0 },
        errors_24h: u64::from(day.errors),
        rates,
        write_points: match b.platform {
            crate::net::PlatformKind::Bluesky => Some(super::budget::points_left(store, &b.name, now)?),
            _ => None,
        },
        follows: match b.role {
            Role::Reader => {
                let f = store.follows(&b.name)?;
                (!f.is_empty()).then(|| (f.iter().filter(|a| a.status.is_ok()).count(), f.len()))
            }
            _ => None,
        },
    })
}

/// One bot's summary, reading the state of its source.
pub fn summary_of(store: &Store, b: &Bot, now: i64) -> Result<Summary> {
    let st = store.state(&b.name)?;
    let mut states = HashMap::new();
    if let Some(src) = &b.source {
        states.insert(src.clone(), store.state(src)?);
    }
    summary(store, b, &st, &states, &store.prices("x")?.list(), now)
}

/// Summaries of every bot, ordered by name.
pub fn summaries(store: &Store, now: i64) -> Result<Vec<Summary>> {
    let bots = store.bots()?;
    let prices = store.prices("x")?.list();
    let mut states = HashMap::new();
    for b in &bots {
        states.insert(b.name.clone(), store.state(&b.name)?);
    }
    bots.iter().map(|b| summary(store, b, &states[&b.name], &states, &prices, now)).collect()
}

/// A bot's counters per day for the last `days` days (UTC), oldest first; the last is today.
pub fn history(store: &Store, bot: &Bot, now: i64, days: i64) -> Result<Vec<DayCounts>> {
    let today = now.div_euclid(86_400);
    let first = today - days + 1;
    let mut out: Vec<DayCounts> = (first..=today)
        .map(|d| DayCounts { start: d * 86_400, kinds: Kinds::default(), calls: 0, errors: 0 })
        .collect();
    for (day, c) in store.daily(&bot.name, first)? {
        if let Some(d) = usize::try_from(day - first).ok().and_then(|i| out.get_mut(i)) {
            d.add(bot.role, c);
        }
    }
    Ok(out)
}
