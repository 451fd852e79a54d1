//! Bluesky's budgets, counted by farm itself: the server reports only the tightest limit that
//! applies to an answer, so the others would only show up as 429s.
//!
//! - The **per-IP budget** every Bluesky bot of the farm shares: 3,000 requests per 5 minutes,
//!   taken from the windows the bots stored ([`bluesky_budget`]); a run defers the bots that
//!   would go over it ([`within_budget`]).
//! - The **write points** of each account: a `createRecord` costs 3, a `deleteRecord` 1; an
//!   account may spend 5,000 an hour and 35,000 a day. Farm counts what it spends
//!   ([`spend`], before each request: a request the server saw is spent even when its answer
//!   is lost) in two stored windows per bot, kept with its rate-limit windows
//!   ([`Call::WritePointsHour`], [`Call::WritePointsDay`]). Like the server's, a window starts
//!   with its first spend and ends an hour (a day) later. A writer whose post would go over is
//!   deferred, and held (`limited_until`) until the window frees ([`within_points`]); prune
//!   stops before a delete would go over ([`points_blocked`]).

use super::run::Outcome;
use super::schedule;
use crate::clock;
use crate::error::Result;
use crate::model::{Bot, Role};
use crate::net::{Call, PlatformKind, RateInfo};
use crate::store::Store;

/// The requests one Bluesky bot's run is counted for against the shared per-IP budget: a
/// session refresh, a timeline page or a post, and the post's check.
pub const BLUESKY_CALLS_PER_RUN: u64 = 3;

/// The requests a Bluesky bot's run is counted for: [`BLUESKY_CALLS_PER_RUN`], and for a writer
/// that posts long texts as threads two more (a post and its check) for every part after the
/// first of the longest thread ([`crate::bot::writer::THREAD_MAX_PARTS`]).
fn calls_per_run(bot: &Bot) -> u64 {
    let parts = match bot.setting(super::registry::LONG_KEY) {
        Some("thread") if bot.role == Role::Writer => super::writer::THREAD_MAX_PARTS as u64,
        _ => 1,
    };
    BLUESKY_CALLS_PER_RUN + 2 * (parts - 1)
}

/// Bluesky's per-IP budget as its `RateLimit-Policy` names it: 3,000 requests per 5 minutes.
pub const BLUESKY_IP_LIMIT: u64 = 3000;

/// Write points a `createRecord` costs.
pub const CREATE_POINTS: u64 = 3;

/// Write points a `deleteRecord` costs.
pub const DELETE_POINTS: u64 = 1;

/// The write-point windows of an account: which, how many points, how long.
const POINT_WINDOWS: [(Call, u64, i64); 2] =
    [(Call::WritePointsHour, 5_000, 3_600), (Call::WritePointsDay, 35_000, 86_400)];

/// What is left of the per-IP Bluesky budget at `now` and when it resets, from the windows the
/// Bluesky bots stored (the tightest of them; each answer reports the shared bucket unless a
/// tighter one applies). `None` when no bot has seen that window, or it has reset.
pub fn bluesky_budget(store: &Store, now: i64) -> Result<Option<(u64, i64)>> {
    let mut left: Option<(u64, i64)> = None;
    for bot in store.bots()? {
        if bot.platform != PlatformKind::Bluesky {
            continue;
        }
        for w in store.rates(&bot.name)? {
            if w.limit == Some(BLUESKY_IP_LIMIT) && w.reset > now && left.is_none_or(|(r, _)| w.remaining < r)
            {
                left = Some((w.remaining, w.reset));
            }
        }
    }
    Ok(left)
}

/// Split a phase's bots into those that run and the Bluesky bots deferred because their calls
/// would go over the `budget` left (which they use up).
pub fn within_budget(bots: Vec<Bot>, budget: &mut Option<(u64, i64)>) -> (Vec<Bot>, Vec<Outcome>) {
    let mut run = Vec::with_capacity(bots.len());
    let mut deferred = Vec::new();
    for bot in bots {
        match budget {
            Some((left, reset)) if bot.platform == PlatformKind::Bluesky => {
                let calls = calls_per_run(&bot);
                if *left >= calls {
                    *left -= calls;
                    run.push(bot);
                } else {
                    let line = format!(
                        "deferred: the farm's Bluesky requests ({BLUESKY_IP_LIMIT} per 5 minutes) are used up until {}",
                        clock::format(*reset)
                    );
                    deferred.push(Outcome { bot: bot.name.clone(), line, error: None });
                }
            }
            _ => run.push(bot),
        }
    }
    (run, deferred)
}

/// The current window of one kind at `now`: the stored one, or a fresh, unspent one when there
/// is none, it has ended, or its end is too far ahead to be believed.
fn point_window(
    store: &Store,
    account: &str,
    (call, limit, length): (Call, u64, i64),
    now: i64,
) -> Result<RateInfo> {
    let fresh = RateInfo { call, limit: Some(limit), remaining: limit, reset: now + length };
    Ok(match store.rate(account, call)? {
        Some(w) if now < w.reset && !schedule::reset_is_ahead(w.reset, now) => w,
        _ => fresh,
    })
}

/// The write points an account has left at `now`: (this hour, this day).
pub fn points_left(store: &Store, account: &str, now: i64) -> Result<(u64, u64)> {
    let [hour, day] = POINT_WINDOWS;
    Ok((
        point_window(store, account, hour, now)?.remaining,
        point_window(store, account, day, now)?.remaining,
    ))
}

/// If spending `cost` write points at `now` would go over a window of a Bluesky `bot`, the
/// second it frees (the latest such window's end). `None` for other networks.
pub fn points_blocked(store: &Store, bot: &Bot, cost: u64, now: i64) -> Result<Option<i64>> {
    if bot.platform != PlatformKind::Bluesky {
        return Ok(None);
    }
    let mut until = None;
    for kind in POINT_WINDOWS {
        let w = point_window(store, &bot.name, kind, now)?;
        if w.remaining < cost {
            until = until.max(Some(w.reset));
        }
    }
    Ok(until)
}

/// Count `cost` write points spent by a Bluesky `bot` at `now` (nothing for other networks).
pub fn spend(store: &Store, bot: &Bot, cost: u64, now: i64) -> Result<()> {
    if bot.platform != PlatformKind::Bluesky {
        return Ok(());
    }
    for kind in POINT_WINDOWS {
        let mut w = point_window(store, &bot.name, kind, now)?;
        w.remaining = w.remaining.saturating_sub(cost);
        store.put_rate(&bot.name, &w)?;
    }
    Ok(())
}

/// Split a phase's bots into those that run and the Bluesky writers deferred because a post
/// would go over their write points. A deferred writer is held (`limited_until`, which its next
/// due time honours) until the window frees; a dry run changes nothing.
pub fn within_points(store: &Store, bots: Vec<Bot>, now: i64, dry: bool) -> Result<(Vec<Bot>, Vec<Outcome>)> {
    let mut run = Vec::with_capacity(bots.len());
    let mut deferred = Vec::new();
    for bot in bots {
        let until = match bot.role {
            Role::Writer => points_blocked(store, &bot, CREATE_POINTS, now)?,
            _ => None,
        };
        let Some(until) = until else {
            run.push(bot);
            continue;
        };
        if !dry {
            let mut st = store.state(&bot.name)?;
            st.limited_until = st.limited_until.max(Some(until));
            store.put_state(&bot.name, &st)?;
        }
        let line = format!(
            "deferred: its write points (5,000 an hour, 35,000 a day; a post costs {CREATE_POINTS}) are used up until {}",
            clock::format(until)
        );
        deferred.push(Outcome { bot: bot.name.clone(), line, error: None });
    }
    Ok((run, deferred))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Bluesky writer that posts threads is counted for every part it may post in a run.
    #[test]
    fn a_thread_writer_is_counted_for_its_parts_against_the_per_ip_budget() {
        let plain =
            Bot { name: "plain".into(), platform: PlatformKind::Bluesky, ..Bot::for_tests(Role::Writer) };
        let mut threads = Bot { name: "threads".into(), ..plain.clone() };
        threads.set_setting(crate::bot::registry::LONG_KEY, Some("thread".into()));
        let mut budget = Some((BLUESKY_CALLS_PER_RUN * 2, 0));
        let (run, deferred) = within_budget(vec![threads, plain], &mut budget);
        assert_eq!(run.iter().map(|b| b.name.as_str()).collect::<Vec<_>>(), ["plain"]);
        assert_eq!(deferred.len(), 1);
        assert_eq!(budget, Some((BLUESKY_CALLS_PER_RUN, 0)));
    }
}
