//! The one definition of a bot's status, as `farm list`, `farm show`, `farm stats` and `farm
//! metrics` print it.
//!
//! In order of precedence: **paused** (`farm pause`); **rate-limited** until a reset, when the
//! state holds a 429's reset (`limited_until`) or the stored window of the call its next run
//! makes is used up (what [`super::record::blocked_until`] would refuse); **failing** since the
//! first of its consecutive failed runs; **unconfirmed** when a writer's post waits to be
//! resent; else **ok**. A rate limit wins over the failure it caused (a 429 is a failed run
//! too), and a failure over the unconfirmed post it left behind.

use super::model::{Bot, BotState, Role};
use super::record::window_blocks;
use crate::error::Result;
use crate::net::{Call, RateInfo};
use crate::store::Store;

/// A bot's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Nothing in the way.
    Ok,
    /// Paused by `farm pause`.
    Paused,
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
    /// The stable name: `ok`, `paused`, `rate-limited`, `failing` or `unconfirmed` (the `status`
    /// of `farm stats --json` and `farm show --json`).
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Paused => "paused",
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
    let state = st.limited_until.filter(|u| *u > now);
    let stored = window.and_then(|w| window_blocks(w, now));
    state.max(stored)
}

/// The status of `bot` at `now`, from its state and the stored window of its [`gating_call`].
pub fn status(bot: &Bot, st: &BotState, window: Option<&RateInfo>, now: i64) -> Status {
    if bot.paused {
        Status::Paused
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

/// The stored window of the bot's [`gating_call`], if any.
pub fn gating_window(store: &Store, bot: &Bot) -> Result<Option<RateInfo>> {
    let (account, call) = gating_call(bot);
    store.rate(account, call)
}

/// [`status`], reading the window from the store.
pub fn of(store: &Store, bot: &Bot, st: &BotState, now: i64) -> Result<Status> {
    Ok(status(bot, st, gating_window(store, bot)?.as_ref(), now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::model::Pending;

    fn bot(role: Role) -> Bot {
        Bot {
            name: "b".into(),
            role,
            platform: crate::bot::model::PlatformKind::X,
            api: String::new(),
            every: 3600,
            paused: false,
            source: Some("src".into()),
            creds: Default::default(),
            template: None,
            process: vec![],
            filters: vec![],
            visibility: None,
            reader: Default::default(),
            created_at: 0,
            settings: vec![],
        }
    }

    fn pending() -> Pending {
        Pending { text: "t".into(), hash: 1, key: "k".into(), source_id: 1, created: 0, attempts: 1 }
    }

    #[test]
    fn precedence() {
        let now = 1000;
        let mut b = bot(Role::Writer);
        let mut st = BotState::default();
        assert_eq!(status(&b, &st, None, now), Status::Ok);
        st.pending = Some(pending());
        assert_eq!(status(&b, &st, None, now), Status::Unconfirmed);
        st.fails = 1;
        st.failing_since = Some(900);
        assert_eq!(status(&b, &st, None, now), Status::Failing { since: Some(900) });
        st.limited_until = Some(2000);
        assert_eq!(status(&b, &st, None, now), Status::RateLimited { until: 2000 });
        // A reset in the past no longer limits.
        st.limited_until = Some(999);
        assert_eq!(status(&b, &st, None, now).name(), "failing");
        b.paused = true;
        assert_eq!(status(&b, &st, None, now), Status::Paused);
    }

    #[test]
    fn a_used_up_window_of_the_next_call_limits() {
        let now = 1000;
        let b = bot(Role::Writer);
        let st = BotState::default();
        let w = RateInfo { call: Call::Post, limit: Some(10), remaining: 0, reset: 1500 };
        assert_eq!(status(&b, &st, Some(&w), now), Status::RateLimited { until: 1500 });
        let left = RateInfo { remaining: 1, ..w };
        assert_eq!(status(&b, &st, Some(&left), now), Status::Ok);
        let past = RateInfo { reset: 900, ..w };
        assert_eq!(status(&b, &st, Some(&past), now), Status::Ok);
        // The later of the two resets.
        let st = BotState { limited_until: Some(1200), ..Default::default() };
        assert_eq!(limited_until(&st, Some(&w), now), Some(1500));
        assert_eq!(gating_call(&bot(Role::Analyzer)), ("src", Call::OwnPosts));
        assert_eq!(gating_call(&bot(Role::Reader)), ("b", Call::Timeline));
    }
}
