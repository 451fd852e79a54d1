//! The one place that decides what is due.
//!
//! A bot is due when `now ≥ last successful run + interval − slack`. The slack (a tenth of the
//! interval, at most 5 minutes) absorbs cron jitter, so an hourly bot driven by `*/10` cron does
//! not drift by ten minutes every hour. After a failure the bot is retried sooner, with a
//! back-off that doubles from 10 minutes up to the interval. A clock that stepped back never
//! makes a bot due early: a bot whose last run is in the future is not due.
//!
//! A writer with time slots ([`super::slots`]) is due instead when the first slot after the
//! last one it served fires; a slot once served (stored with the post intent) never fires
//! again, whatever the clock does.
//!
//! Unless it is more than [`MAX_AHEAD`] in the future: then the clock was wrong when it was
//! stored (one run with the clock years ahead, from a bad RTC at boot before NTP), or is wrong
//! now, and believing it would silence the bot until that date. [`forget_future`] takes such a
//! time as now: the interval counts from now, an unconfirmed post is retried at once.

use super::slots;
use crate::model::{Bot, BotState, RateInfo};

/// The longest a known rate limit may hold a bot back, seconds. A server's reset further away
/// than this (year 2200, garbage) is taken as this far: a bot is never silenced for good.
pub const MAX_RATE_WAIT: i64 = 86_400;

/// The longest a bot can wait between runs: the longest interval `--every` takes (a year, see
/// [`crate::clock::parse_duration`]) plus the longest rate-limit wait.
pub const MAX_WAIT: i64 = 366 * 86_400 + MAX_RATE_WAIT;

/// How far ahead of the clock a time stored by an earlier run may be and still be believed:
/// a clock that stepped back less than this never makes a bot due early.
pub const MAX_AHEAD: i64 = 86_400;

/// How every report of a time too far ahead ([`is_ahead`]) ends: "(time) is …".
pub const AHEAD_NOTE: &str =
    "more than a day ahead of the clock, which was wrong then or is wrong now (check the RTC and NTP)";

/// A rate-limit reset as the farm uses it: at most [`MAX_RATE_WAIT`] after `now`.
pub fn cap_reset(reset: i64, now: i64) -> i64 {
    reset.min(now.saturating_add(MAX_RATE_WAIT))
}

/// Whether `t`, the time of something an earlier run did, is more than [`MAX_AHEAD`] ahead of
/// `now`: the clock was wrong then or is wrong now.
pub fn is_ahead(t: i64, now: i64) -> bool {
    t > now.saturating_add(MAX_AHEAD)
}

/// Whether a stored rate-limit reset is too far ahead to be believed: more than [`MAX_AHEAD`]
/// past the longest wait ([`MAX_RATE_WAIT`]) it was capped to when stored.
pub fn reset_is_ahead(reset: i64, now: i64) -> bool {
    is_ahead(reset.saturating_sub(MAX_RATE_WAIT), now)
}

/// Take the times of `st` and of the bot's rate-limit `windows` that are too far ahead of `now`
/// ([`is_ahead`], [`reset_is_ahead`]) as now: the last run, post and attempt, the start of its
/// failures, and a reset become now (a window's no longer refuses), the length rule is asked
/// again. An unconfirmed post is retried at once, like after any step back: its last attempt
/// becomes unknown (0), and so does its creation, so the run looks among the account's own posts
/// before resending it when the platform's dedup window may have passed. Returns the latest of
/// the times it replaced, if any.
pub fn forget_future(st: &mut BotState, windows: &mut [RateInfo], now: i64) -> Option<i64> {
    let mut latest: Option<i64> = None;
    let mut seen = |t: i64| latest = Some(latest.map_or(t, |l: i64| l.max(t)));
    let pending = st.pending.is_some();
    for t in [&mut st.last_ok, &mut st.last_post_at] {
        if is_ahead(*t, now) {
            seen(*t);
            *t = now;
        }
    }
    if is_ahead(st.last_attempt, now) {
        seen(st.last_attempt);
        st.last_attempt = if pending { 0 } else { now };
    }
    if let Some(t) = st.failing_since.filter(|t| is_ahead(*t, now)) {
        seen(t);
        st.failing_since = Some(now);
    }
    if let Some(p) = st.pending.as_mut().filter(|p| is_ahead(p.created, now)) {
        seen(p.created);
        p.created = 0;
    }
    if is_ahead(st.slot_done, now) {
        // The slots up to now count as served: the next one fires as usual.
        seen(st.slot_done);
        st.slot_done = now;
    }
    if let Some((_, t)) = st.length_rule.filter(|(_, t)| is_ahead(*t, now)) {
        seen(t);
        st.length_rule = None;
    }
    if let Some(t) = st.limited_until.filter(|t| reset_is_ahead(*t, now)) {
        seen(t);
        st.limited_until = None;
    }
    for w in windows.iter_mut().filter(|w| reset_is_ahead(w.reset, now)) {
        seen(w.reset);
        w.reset = now;
    }
    latest
}

/// Whether a run may stop at once on the next-due record (`at`, and `written`: the time of the
/// run that wrote it) without opening the database: when nothing is due before `at`. A record
/// that cannot be right is not trusted — written in the future (the clock stepped back), or
/// further ahead of its run than any bot can wait — and the database decides.
pub fn nothing_due(record: Option<(i64, i64)>, now: i64) -> Option<i64> {
    let (at, written) = record?;
    let plausible = at == i64::MAX || at.saturating_sub(written) <= MAX_WAIT;
    (written <= now && now < at && plausible).then_some(at)
}

/// The jitter allowance for an interval, seconds.
pub fn slack(every: u64) -> i64 {
    (every / 10).min(300) as i64
}

/// When the bot is next due (Unix seconds), or `None` when it is paused or never runs (a
/// corpus reader: it reads no network, `farm import-corpus` fills it).
pub fn due_at(bot: &Bot, st: &BotState) -> Option<i64> {
    if bot.paused || bot.platform == crate::model::PlatformKind::Corpus {
        return None;
    }
    let every = bot.every as i64;
    // Time slots: when the first slot after the last one served fires. (A stored schedule that
    // cannot be read falls back to the interval; the writer's run reports it.)
    let slot = slots::of(bot).ok().flatten().map(|s| s.due_at(&bot.name, st.slot_done));
    let mut at = if st.pending.is_some() {
        // An unconfirmed post is retried at the next run, whatever the interval; after failures
        // with a back-off capped at 30 minutes, well inside Mastodon's one-hour idempotency window.
        if st.fails == 0 {
            st.last_attempt.max(0)
        } else {
            let backoff = (600i64 << (st.fails - 1).min(10)).min(1800);
            st.last_attempt + backoff - 60
        }
    } else if st.fails > 0 {
        // The last attempt failed: retry after a back-off of 10 min, 20 min, … up to the interval.
        let backoff = (600i64 << (st.fails - 1).min(10)).min(every);
        let retry = st.last_attempt + backoff - slack(backoff as u64);
        // A slot writer retries for a slot still owed, else waits for its next slot.
        slot.map_or(retry, |s| s.max(retry))
    } else if let Some(slot) = slot {
        slot
    } else if st.last_ok == 0 {
        0
    } else {
        st.last_ok + every - slack(bot.every)
    };
    // A rate limit known to be in force pushes the run (a retry of an unconfirmed post too, which
    // the limit would refuse) past its reset.
    if let Some(until) = st.limited_until {
        at = at.max(until);
    }
    Some(at)
}

/// Whether the bot should run now. A clock behind the last run never makes a bot due.
pub fn is_due(bot: &Bot, st: &BotState, now: i64) -> bool {
    if now < st.last_ok || now < st.last_attempt {
        return st.pending.is_some() && !bot.paused;
    }
    matches!(due_at(bot, st), Some(at) if now >= at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ReaderOpts, Role};
    use crate::net::{Credentials, PlatformKind};

    fn bot(every: u64) -> Bot {
        Bot {
            name: "b".into(),
            role: Role::Reader,
            platform: PlatformKind::X,
            api: "http://x".into(),
            every,
            paused: false,
            source: None,
            creds: Credentials::default(),
            template: None,
            process: vec![],
            filters: vec![],
            visibility: None,
            reader: ReaderOpts::default(),
            created_at: 0,
            settings: vec![],
        }
    }

    #[test]
    fn hourly_from_ten_minute_cron_does_not_drift() {
        let b = bot(3600);
        let mut st = BotState::default();
        assert!(is_due(&b, &st, 1000));
        st.last_ok = 1000 + 3;
        st.last_attempt = st.last_ok;
        assert!(!is_due(&b, &st, 1000 + 3000));
        assert!(is_due(&b, &st, 1000 + 3600 + 1));
        assert!(is_due(&b, &st, 1000 + 3600 - 60));
    }

    #[test]
    fn clock_back_is_not_due() {
        let b = bot(600);
        let st = BotState { last_ok: 10_000, last_attempt: 10_000, ..Default::default() };
        assert!(!is_due(&b, &st, 5_000));
    }

    #[test]
    fn failure_backs_off() {
        let b = bot(86_400);
        let st = BotState { last_ok: 0, last_attempt: 100_000, fails: 1, ..Default::default() };
        assert!(!is_due(&b, &st, 100_000 + 300));
        assert!(is_due(&b, &st, 100_000 + 600));
        let st = BotState { last_ok: 0, last_attempt: 100_000, fails: 3, ..Default::default() };
        assert!(!is_due(&b, &st, 100_000 + 1200));
        assert!(is_due(&b, &st, 100_000 + 2400));
    }

    #[test]
    fn an_unconfirmed_post_waits_for_a_known_rate_limit() {
        use crate::model::Pending;
        let b = bot(3600);
        let pending = Pending {
            text: "t".into(),
            hash: 1,
            key: "k".into(),
            source_id: 1,
            created: 100_000,
            attempts: 1,
            meta: Default::default(),
            thread: None,
        };
        let mut st = BotState {
            last_ok: 90_000,
            last_attempt: 100_000,
            fails: 1,
            pending: Some(pending),
            ..Default::default()
        };
        // Retried after the back-off (10 minutes, less a minute of slack)…
        assert_eq!(due_at(&b, &st), Some(100_540));
        // …unless a rate limit in force until later would refuse it: then at its reset.
        st.limited_until = Some(103_000);
        assert_eq!(due_at(&b, &st), Some(103_000));
        assert!(!is_due(&b, &st, 102_999));
        assert!(is_due(&b, &st, 103_000));
    }

    #[test]
    fn times_far_ahead_are_taken_as_now_small_steps_back_are_kept() {
        use crate::net::Call;
        let b = bot(3600);
        let now = 1_000_000;
        let window = RateInfo { call: Call::Timeline, limit: None, remaining: 0, reset: now + 900 };
        // Twenty hours back: believed, and the bot is not due early.
        let mut st =
            BotState { last_ok: now + 20 * 3600, last_attempt: now + 20 * 3600, ..Default::default() };
        let mut windows = [window];
        assert_eq!(forget_future(&mut st, &mut windows, now), None);
        assert!(!is_due(&b, &st, now));
        assert_eq!(windows[0].reset, now + 900);
        // Years ahead: the interval counts from now, the window and the limit no longer hold.
        let years = now + 5 * 365 * 86_400;
        let mut st = BotState {
            last_ok: years,
            last_attempt: years,
            last_post_at: years,
            limited_until: Some(years + 900),
            ..Default::default()
        };
        let mut windows = [RateInfo { reset: years + 900, ..window }];
        assert_eq!(forget_future(&mut st, &mut windows, now), Some(years + 900));
        assert_eq!((st.last_ok, st.last_attempt, st.last_post_at, st.limited_until), (now, now, now, None));
        assert_eq!(windows[0].reset, now);
        assert!(!is_due(&b, &st, now + 3000));
        assert!(is_due(&b, &st, now + 3600));
    }

    #[test]
    fn an_unconfirmed_post_stored_far_ahead_is_retried_at_once_after_a_look() {
        use crate::model::Pending;
        let b = bot(3600);
        let now = 1_000_000;
        let years = now + 5 * 365 * 86_400;
        let pending = Pending {
            text: "t".into(),
            hash: 1,
            key: "k".into(),
            source_id: 1,
            created: years,
            attempts: 1,
            meta: Default::default(),
            thread: None,
        };
        let mut st = BotState {
            last_ok: now - 3600,
            last_attempt: years,
            fails: 3,
            failing_since: Some(years),
            pending: Some(pending),
            ..Default::default()
        };
        assert_eq!(forget_future(&mut st, &mut [], now), Some(years));
        assert!(is_due(&b, &st, now));
        assert_eq!(st.failing_since, Some(now));
        // When it was made is unknown: the run looks among the account's own posts first.
        assert_eq!(st.pending.unwrap().created, 0);
    }

    #[test]
    fn a_slot_writer_is_due_when_its_next_slot_fires_never_again_for_a_served_one() {
        let mut b = bot(3600);
        b.role = Role::Writer;
        let day = crate::clock::parse_rfc3339("2026-01-05T00:00:00Z").unwrap();
        b.set_setting(slots::KEY, Some("at=09:00,21:00;days=daily;tz=UTC;jitter=0;missed=once".into()));
        let mut st = BotState { slot_done: day, ..Default::default() };
        assert_eq!(due_at(&b, &st), Some(day + 9 * 3600));
        assert!(!is_due(&b, &st, day + 9 * 3600 - 1));
        assert!(is_due(&b, &st, day + 9 * 3600));
        // Served at 09:05: due at 21:00, also when the clock steps back into the slot.
        st = BotState { slot_done: day + 9 * 3600, last_ok: day + 9 * 3600 + 300, ..st };
        st.last_attempt = st.last_ok;
        assert_eq!(due_at(&b, &st), Some(day + 21 * 3600));
        assert!(!is_due(&b, &st, day + 9 * 3600 + 60));
        // A failed run retries a slot still owed after the back-off; once its slot is served
        // (a resend the server refused for good), it waits for the next slot.
        let failed =
            BotState { slot_done: day, fails: 1, last_attempt: day + 9 * 3600, ..Default::default() };
        assert_eq!(due_at(&b, &failed), Some(day + 9 * 3600 + 600 - 60));
        let served = BotState { slot_done: day + 9 * 3600, ..failed };
        assert_eq!(due_at(&b, &served), Some(day + 21 * 3600));
        // Slots served up to a time years ahead (a run with the clock wrong): taken as now.
        let now = day + 12 * 3600;
        let mut ahead = BotState { slot_done: now + 5 * 365 * 86_400, ..Default::default() };
        assert_eq!(forget_future(&mut ahead, &mut [], now), Some(now + 5 * 365 * 86_400));
        assert_eq!(due_at(&b, &ahead), Some(day + 21 * 3600));
    }

    #[test]
    fn paused_is_never_due() {
        let mut b = bot(60);
        b.paused = true;
        assert_eq!(due_at(&b, &BotState::default()), None);
    }
}
