//! The one definition of a bot's status, as `farm list`, `farm show`, `farm stats` and `farm
//! metrics` print it.
//!
//! In order of precedence: **paused** (`farm pause`); **needs auth** when the account it calls
//! with (its own; an analyzer's writer's) lacks credentials (created with `--auth-later`, or moved
//! to another network), so `farm run` skips it and nothing is sent for it until `farm auth NAME`;
//! **rate-limited** until a reset, when the state holds a 429's reset (`limited_until`) or the stored window of the call its next run
//! makes is used up (what [`super::record::blocked_until`] would refuse); **failing** since the
//! first of its consecutive failed runs; **unconfirmed** when a writer's post waits to be
//! resent; else **ok**. A rate limit wins over the failure it caused (a 429 is a failed run
//! too), and a failure over the unconfirmed post it left behind.
//!
//! Every view judges a bot as the next run will ([`standing`]): with the times an earlier run
//! stored too far ahead of the clock taken as now ([`schedule::forget_future`]), and its next
//! due time no earlier than the end of a rate limit that would refuse its next call.

use super::record::window_blocks;
use super::schedule;
use crate::error::{FarmError, Result};
use crate::model::{Bot, BotState, Role};
use crate::net::{Call, Credentials, PlatformKind, RateInfo};
use crate::store::Store;

/// A bot's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Nothing in the way.
    Ok,
    /// Paused by `farm pause`.
    Paused,
    /// No credentials to call with: `farm auth NAME` (for an analyzer, its writer's).
    NeedsAuth,
    /// A known rate limit refuses the next run's call until this Unix second.
    RateLimited {
        /// When the limit resets.
        until: i64,
    },
    /// The last run failed; the run of failures began then (if known).
    Failing {
        /// When the current run of failures began.
        since: Option<i64>,
    },
    /// A writer's post was sent but not confirmed; the next run resends it.
    Unconfirmed,
}

impl Status {
    /// The stable name: `ok`, `paused`, `needs auth`, `rate-limited`, `failing` or
    /// `unconfirmed` (the `status` of `farm stats --json` and `farm show --json`).
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Paused => "paused",
            Status::NeedsAuth => "needs auth",
            Status::RateLimited { .. } => "rate-limited",
            Status::Failing { .. } => "failing",
            Status::Unconfirmed => "unconfirmed",
        }
    }
}

/// Whether the bot's last run failed (whatever its status says: a rate-limited or paused bot
/// can be failing too).
pub fn failing(st: &BotState) -> bool {
    st.fails > 0 || st.failing_since.is_some()
}

/// The account and call whose rate-limit window decides whether the bot's next run may call:
/// a reader's timeline, a writer's post, an analyzer's read of its writer's own posts.
pub fn gating_call(bot: &Bot) -> (&str, Call) {
    match bot.role {
        Role::Reader => (&bot.name, Call::Timeline),
        Role::Writer => (&bot.name, Call::Post),
        Role::Analyzer => (bot.source.as_deref().unwrap_or_default(), Call::OwnPosts),
    }
}

/// Until when a known rate limit holds the bot back, if it does at `now`: the later of the
/// state's `limited_until` and the reset of the used-up `window` of its [`gating_call`].
pub fn limited_until(st: &BotState, window: Option<&RateInfo>, now: i64) -> Option<i64> {
    let state = st.limited_until.filter(|u| *u > now && !schedule::reset_is_ahead(*u, now));
    let stored = window.and_then(|w| window_blocks(w, now));
    state.max(stored)
}

/// The status of `bot` at `now`, from its state, the stored window of its [`gating_call`] and
/// whether it [`needs_auth`].
pub fn status(bot: &Bot, st: &BotState, window: Option<&RateInfo>, needs_auth: bool, now: i64) -> Status {
    if bot.paused {
        Status::Paused
    } else if needs_auth {
        Status::NeedsAuth
    } else if let Some(until) = limited_until(st, window, now) {
        Status::RateLimited { until }
    } else if failing(st) {
        Status::Failing { since: st.failing_since }
    } else if st.pending.is_some() {
        Status::Unconfirmed
    } else {
        Status::Ok
    }
}

/// When the bot is next due: by its schedule ([`schedule::due_at`]), but not before a known
/// rate limit on its next call ends ([`limited_until`]); `None` when it is paused.
pub fn next_due(bot: &Bot, st: &BotState, window: Option<&RateInfo>, now: i64) -> Option<i64> {
    let at = schedule::due_at(bot, st)?;
    Some(limited_until(st, window, now).map_or(at, |until| at.max(until)))
}

/// How a bot stands at a time, as every view shows it and the next run will see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// Its status.
    pub status: Status,
    /// Until when a known rate limit holds it back ([`limited_until`]), whatever its status (a
    /// paused bot can be limited too).
    pub limited_until: Option<i64>,
    /// When it is next due ([`next_due`]); `None` when paused or it needs auth.
    pub next_due: Option<i64>,
    /// The latest time an earlier run stored too far ahead of the clock, which the next run
    /// takes as now ([`schedule::forget_future`]); the clock was wrong then or is wrong now.
    pub ahead: Option<i64>,
    /// A writer with time slots: when its next slot to come fires ([`super::slots::Slots::upcoming`]);
    /// `None` without slots, or when it has no next due time.
    pub next_slot: Option<i64>,
}

/// The [`Standing`] of `bot` at `now`, from its state, its own rate-limit `windows`, the
/// `window` of its [`gating_call`] and whether it [`needs_auth`], with the times too far ahead
/// of the clock taken as now.
pub fn standing(
    bot: &Bot,
    st: &BotState,
    windows: &[RateInfo],
    window: Option<&RateInfo>,
    needs_auth: bool,
    now: i64,
) -> Standing {
    let mut st = st.clone();
    let ahead = schedule::forget_future(&mut st, &mut windows.to_vec(), now);
    // A bot without credentials is due only after `farm auth` (which rewrites the next-due
    // record): else every cron tick would open the farm to skip it, with a mailed line.
    let next_due = if needs_auth { None } else { next_due(bot, &st, window, now) };
    let slots = super::slots::of(bot).ok().flatten();
    Standing {
        status: status(bot, &st, window, needs_auth, now),
        limited_until: limited_until(&st, window, now),
        next_due,
        ahead,
        next_slot: slots.filter(|_| next_due.is_some()).map(|s| s.upcoming(&bot.name, st.slot_done, now).1),
    }
}

/// The stored window of the bot's [`gating_call`], if any. A reader that follows accounts has
/// none: a limit of its home timeline holds only that (its accounts are read meanwhile).
pub fn gating_window(store: &Store, bot: &Bot) -> Result<Option<RateInfo>> {
    if bot.role == Role::Reader && store.has_follows(&bot.name)? {
        return Ok(None);
    }
    let (account, call) = gating_call(bot);
    store.rate(account, call)
}

/// [`standing`], reading the windows from the store.
pub fn standing_of(store: &Store, bot: &Bot, st: &BotState, now: i64) -> Result<Standing> {
    let windows = store.rates(&bot.name)?;
    Ok(standing(bot, st, &windows, gating_window(store, bot)?.as_ref(), needs_auth(store, bot)?, now))
}

/// Whether `creds` are too few to call `platform` with: X signs with the app keys and the user's
/// token and secret, Mastodon sends the bearer token, Bluesky logs in with the identifier and
/// app password (kept as the consumer key and secret) when it has no session yet; a feed needs
/// none.
pub fn lacks_credentials(platform: PlatformKind, creds: &Credentials) -> bool {
    match platform {
        PlatformKind::X | PlatformKind::XV1 => {
            [&creds.consumer_key, &creds.consumer_secret, &creds.access_token, &creds.access_secret]
                .iter()
                .any(|s| s.is_empty())
        }
        PlatformKind::Mastodon => creds.access_token.is_empty(),
        PlatformKind::Bluesky => {
            creds.access_token.is_empty()
                && (creds.consumer_key.is_empty() || creds.consumer_secret.is_empty())
        }
        // A feed is read without credentials; a corpus makes no call.
        PlatformKind::Feed | PlatformKind::Corpus => false,
    }
}

/// The bot whose account `bot` calls with: itself, or an analyzer's writer (`None` when that
/// writer is gone).
fn caller(store: &Store, bot: &Bot) -> Result<Option<Bot>> {
    match (bot.role, bot.source.as_deref()) {
        (Role::Analyzer, Some(writer)) => store.bot(writer),
        (Role::Analyzer, None) => Ok(None),
        _ => Ok(Some(bot.clone())),
    }
}

/// Whether the account `bot` calls with lacks credentials ([`lacks_credentials`]), counting the
/// shared X app keys (`farm app set x`). An analyzer whose writer is gone does not: its run
/// says what is wrong.
pub fn needs_auth(store: &Store, bot: &Bot) -> Result<bool> {
    Ok(lacking(store, bot)?.is_some())
}

/// The bot whose missing credentials hold `bot` back ([`needs_auth`]), if any.
fn lacking(store: &Store, bot: &Bot) -> Result<Option<Bot>> {
    let Some(caller) = caller(store, bot)? else { return Ok(None) };
    // A reader of public accounts only calls without credentials.
    if super::follow::public_reader(store, &caller)? {
        return Ok(None);
    }
    // The stored credentials only: a status is never worth a network call (a Bluesky login).
    let creds = super::stored_creds(store, &caller)?;
    Ok(lacks_credentials(caller.platform, &creds).then_some(caller))
}

/// Refuse to call for a bot that [`needs_auth`]: a configuration error (exit 78) naming the
/// command that gives it credentials. Checked before anything is recorded or sent.
pub fn require_auth(store: &Store, bot: &Bot) -> Result<()> {
    match auth_error(store, bot)? {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The error [`require_auth`] fails with, if the bot [`needs_auth`].
pub fn auth_error(store: &Store, bot: &Bot) -> Result<Option<FarmError>> {
    let Some(caller) = lacking(store, bot)?.map(|c| c.name) else { return Ok(None) };
    let whose = if caller == bot.name { String::new() } else { format!(" (its writer {caller}'s)") };
    Ok(Some(FarmError::config(format!(
        "{}: needs auth: no credentials to call with{whose}; run `farm auth {caller}`",
        bot.name
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Pending;

    fn bot(role: Role) -> Bot {
        Bot::for_tests(role)
    }

    fn pending() -> Pending {
        Pending {
            text: "t".into(),
            hash: 1,
            key: "k".into(),
            source_id: 1,
            created: 0,
            attempts: 1,
            meta: Default::default(),
            thread: None,
        }
    }

    #[test]
    fn needs_auth_comes_right_after_paused() {
        let now = 1000;
        let mut b = bot(Role::Writer);
        let st = BotState {
            fails: 1,
            failing_since: Some(900),
            limited_until: Some(2000),
            pending: Some(pending()),
            ..Default::default()
        };
        assert_eq!(status(&b, &st, None, true, now), Status::NeedsAuth);
        assert_eq!(Status::NeedsAuth.name(), "needs auth");
        b.paused = true;
        assert_eq!(status(&b, &st, None, true, now), Status::Paused);
    }

    #[test]
    fn credentials_are_complete_or_not() {
        use crate::net::Credentials;
        let full = Credentials {
            consumer_key: "ck".into(),
            consumer_secret: "cs".into(),
            access_token: "at".into(),
            access_secret: "as".into(),
        };
        assert!(!lacks_credentials(PlatformKind::X, &full));
        assert!(!lacks_credentials(PlatformKind::XV1, &full));
        for cut in 0..4 {
            let mut c = full.clone();
            [&mut c.consumer_key, &mut c.consumer_secret, &mut c.access_token, &mut c.access_secret][cut]
                .clear();
            assert!(lacks_credentials(PlatformKind::X, &c), "{cut}");
        }
        let bearer = Credentials { access_token: "at".into(), ..Default::default() };
        assert!(!lacks_credentials(PlatformKind::Mastodon, &bearer));
        assert!(lacks_credentials(PlatformKind::Mastodon, &Credentials::default()));
    }

    #[test]
    fn precedence() {
        let now = 1000;
        let mut b = bot(Role::Writer);
        let mut st = BotState::default();
        assert_eq!(status(&b, &st, None, false, now), Status::Ok);
        st.pending = Some(pending());
        assert_eq!(status(&b, &st, None, false, now), Status::Unconfirmed);
        st.fails = 1;
        st.failing_since = Some(900);
        assert_eq!(status(&b, &st, None, false, now), Status::Failing { since: Some(900) });
        st.limited_until = Some(2000);
        assert_eq!(status(&b, &st, None, false, now), Status::RateLimited { until: 2000 });
        // A reset in the past no longer limits.
        st.limited_until = Some(999);
        assert_eq!(status(&b, &st, None, false, now).name(), "failing");
        b.paused = true;
        assert_eq!(status(&b, &st, None, false, now), Status::Paused);
    }

    #[test]
    fn a_used_up_window_of_the_next_call_limits() {
        let now = 1000;
        let b = bot(Role::Writer);
        let st = BotState::default();
        let w = RateInfo { call: Call::Post, limit: Some(10), remaining: 0, reset: 1500 };
        assert_eq!(status(&b, &st, Some(&w), false, now), Status::RateLimited { until: 1500 });
        let left = RateInfo { remaining: 1, ..w };
        assert_eq!(status(&b, &st, Some(&left), false, now), Status::Ok);
        let past = RateInfo { reset: 900, ..w };
        assert_eq!(status(&b, &st, Some(&past), false, now), Status::Ok);
        // The later of the two resets.
        let st = BotState { limited_until: Some(1200), ..Default::default() };
        assert_eq!(limited_until(&st, Some(&w), now), Some(1500));
        assert_eq!(gating_call(&bot(Role::Analyzer)), ("src", Call::OwnPosts));
        assert_eq!(gating_call(&bot(Role::Reader)), ("b", Call::Timeline));
    }

    #[test]
    fn next_due_waits_for_a_used_up_window_of_the_next_call() {
        let now = 10_000;
        let b = bot(Role::Writer);
        let st = BotState { last_ok: 5_000, last_attempt: 5_000, ..Default::default() };
        let w = RateInfo { call: Call::Post, limit: Some(1), remaining: 0, reset: now + 80_000 };
        assert_eq!(next_due(&b, &st, None, now), Some(5_000 + 3600 - 300));
        assert_eq!(next_due(&b, &st, Some(&w), now), Some(now + 80_000));
        // A reset too far ahead to be believed holds nothing back.
        let far = RateInfo { reset: now + 10 * 86_400, ..w };
        assert_eq!(standing(&b, &st, &[far], Some(&far), false, now).next_due, Some(5_000 + 3600 - 300));
        assert_eq!(standing(&b, &st, &[far], Some(&far), false, now).ahead, Some(now + 10 * 86_400));
    }
}
