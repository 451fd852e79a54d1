//! The one place that records what an API call taught: rate-limit windows (capped by
//! [`schedule::cap_reset`]), `limited_until`, the hourly counters and the event log. `farm run`
//! (readers, writers, analyzers) and the commands that call the API on a bot's behalf (`farm
//! post`, `farm prune`, `farm check`, `farm doctor`) all go through here; no other code calls
//! `Store::put_rate`, `Store::count` or `Store::log` for an API result.
//!
//! Two kinds of callers:
//! - a run ([`rates`], [`failure`], [`failure_as`], [`success`], [`tally`]) keeps the bot's run
//!   state: a failed run counts as a failure (`fails`, `failing_since`, back-off) and a 429 sets
//!   `limited_until`, which holds the next run back;
//! - a command ([`call`], [`call_failed`]) records the windows, counters and event only: a call
//!   made by hand does not change the schedule or the failure count of the bot's runs (the
//!   windows it stored still stop a run from calling before their reset, see [`blocked_until`]).
//!
//! A failure's message is recorded and returned with every secret of the farm masked
//! ([`Store::secrets`]): the last guard behind the client's own ([`crate::net::connect`]).

use super::schedule;
use crate::error::{FarmError, Result};
use crate::model::{Bot, BotState, Counters};
use crate::net::{Call, NetError, NetErrorKind, RateInfo};
use crate::store::Store;

/// Store rate-limit windows under `account` (the account whose limits they are), each reset
/// capped by [`schedule::cap_reset`]. Returns the latest reset of a window that is used up.
fn store_rates<'a>(
    store: &Store,
    account: &str,
    rates: impl IntoIterator<Item = &'a RateInfo>,
    now: i64,
) -> Result<Option<i64>> {
    let mut exhausted: Option<i64> = None;
    for r in rates {
        let r = RateInfo { reset: schedule::cap_reset(r.reset, now), ..*r };
        store.put_rate(account, &r)?;
        if r.remaining == 0 && r.reset > now {
            exhausted = Some(exhausted.map_or(r.reset, |u| u.max(r.reset)));
        }
    }
    Ok(exhausted)
}

/// If the stored windows say `call` would be refused now, the Unix second it frees up.
pub fn blocked_until(store: &Store, account: &str, call: Call, now: i64) -> Result<Option<i64>> {
    Ok(store.rate(account, call)?.and_then(|r| window_blocks(&r, now)))
}

/// If a stored window refuses its call at `now`, the (capped) Unix second it frees up. A reset
/// too far ahead to be believed ([`schedule::reset_is_ahead`]) refuses nothing.
pub fn window_blocks(r: &RateInfo, now: i64) -> Option<i64> {
    let blocks = r.remaining == 0 && now < r.reset && !schedule::reset_is_ahead(r.reset, now);
    blocks.then(|| schedule::cap_reset(r.reset, now))
}

/// Count a bot's activity in the current hour and log one event (`(kind, message)`).
pub fn tally(
    store: &Store,
    bot: &str,
    now: i64,
    counters: Counters,
    event: Option<(&str, &str)>,
) -> Result<()> {
    if counters != Counters::default() {
        store.count(bot, now, counters)?;
    }
    if let Some((kind, message)) = event {
        store.log(bot, now, kind, message)?;
    }
    Ok(())
}

/// A run's successful call: store its windows under `account` and, when one is used up, note
/// the reset in `limited_until`.
pub fn rates(store: &Store, account: &str, st: &mut BotState, rates: &[RateInfo], now: i64) -> Result<()> {
    if let Some(until) = store_rates(store, account, rates, now)? {
        st.limited_until = Some(st.limited_until.unwrap_or(0).max(until));
    }
    Ok(())
}

/// Record a failed run: state, windows, counters, event. Returns the error to report.
pub fn failure(
    store: &Store,
    bot: &Bot,
    st: &mut BotState,
    now: i64,
    e: &NetError,
    calls: u32,
) -> Result<FarmError> {
    failure_as(store, bot, &bot.name, st, now, e, calls)
}

/// [`failure`], with the windows stored under `account` (an analyzer uses its writer's).
pub fn failure_as(
    store: &Store,
    bot: &Bot,
    account: &str,
    st: &mut BotState,
    now: i64,
    e: &NetError,
    calls: u32,
) -> Result<FarmError> {
    let e = &e.clone().scrubbed(&*store.secrets()?).named(&bot.name);
    if e.session_expired {
        super::session::forget_access(store, account)?;
    }
    st.last_attempt = now;
    st.fails += 1;
    st.failing_since.get_or_insert(now);
    st.last_error = Some(e.message.clone());
    if let Some(r) = e.rate {
        store_rates(store, account, [&r], now)?;
        if e.kind == NetErrorKind::RateLimited {
            st.limited_until = Some(schedule::cap_reset(r.reset, now));
        }
    }
    store.put_state(&bot.name, st)?;
    tally(
        store,
        &bot.name,
        now,
        Counters { errors: 1, calls, ..Default::default() },
        Some(("error", &e.message)),
    )?;
    Ok(e.for_bot(&bot.name))
}

/// A run that failed on farm's side, not the API's (a processor, a damaged posts shard):
/// recorded like a refused call ([`failure`]), so the bot backs off instead of failing again
/// every tick and `stats` and `show` say why. Returns the error to report (its kind kept),
/// naming the bot.
pub fn local_failure(
    store: &Store,
    bot: &Bot,
    st: &mut BotState,
    now: i64,
    e: FarmError,
    calls: u32,
) -> Result<FarmError> {
    let ne = NetError::new(NetErrorKind::Refused, e.message.clone());
    failure(store, bot, st, now, &ne, calls)?;
    // What goes to stderr (and cron mail) is masked like what is stored: an exec command's
    // error line may quote a secret.
    let message = store.secrets()?.scrub(&e.message);
    Ok(FarmError::new(e.kind, message).context(&bot.name))
}

/// Record a successful run in the state (the caller stores it).
pub fn success(st: &mut BotState, now: i64) {
    st.last_ok = now;
    st.last_attempt = now;
    st.fails = 0;
    st.failing_since = None;
    st.last_error = None;
    st.limited_until = None;
}

/// A command's successful call on `bot`'s account: its windows, the counters and an event.
/// The bot's run state is not touched.
pub fn call(
    store: &Store,
    bot: &str,
    rates: &[RateInfo],
    now: i64,
    counters: Counters,
    event: Option<(&str, &str)>,
) -> Result<()> {
    store_rates(store, bot, rates, now)?;
    tally(store, bot, now, counters, event)
}

/// A command's failed call on `bot`'s account: the window the error taught, the counters, and
/// an `error` event (`message`, or the error's own). The bot's run state is not touched.
/// Returns the error to report.
pub fn call_failed(
    store: &Store,
    bot: &str,
    now: i64,
    e: &NetError,
    counters: Counters,
    message: Option<&str>,
) -> Result<FarmError> {
    let e = &e.clone().scrubbed(&*store.secrets()?).named(bot);
    if e.session_expired {
        super::session::forget_access(store, bot)?;
    }
    store_rates(store, bot, e.rate.iter(), now)?;
    tally(store, bot, now, counters, Some(("error", message.unwrap_or(&e.message))))?;
    Ok(e.for_bot(bot))
}
