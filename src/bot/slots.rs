//! Time slots: a writer that posts at set times of day (`--at 09:00,13:30`), in a named time
//! zone (`--tz Europe/Moscow`), on some weekdays (`--days mon-fri`), each slot moved by a bounded
//! random jitter (`--jitter 10m`), with a declared policy for slots missed while farm was not
//! running (`--missed skip|once|all`). [`super::schedule`] asks here when a slot writer is due;
//! the writer's run asks [`Slots::plan`] what to do.
//!
//! A slot is a local time on a local date. Where the clocks jump forward over it (02:30 on the
//! night Europe/Berlin goes from 02:00 to 03:00) it falls at the jump, 03:00; where they go back
//! and the hour repeats, at its first occurrence: it fires once either way, and two slots that
//! land on the same instant are one. The jitter of a slot is the same on every run (a hash of the
//! bot's name and the slot), so `show`, `preview`, the next-due record and the run agree, and it
//! never reaches the next slot.
//!
//! The schedule is kept as one of the bot's settings ([`KEY`]), as text
//! (`at=09:00,13:30;days=mon-fri;tz=Europe/Moscow;jitter=600;missed=once`); what the writer
//! served is in its state ([`crate::model::BotState::slot_done`]).

use crate::clock;
use crate::error::{FarmError, Result};
use crate::model::Bot;
use chrono::{Datelike, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

/// The bot setting that holds a writer's slots.
pub const KEY: &str = "slots";

/// The most times of day one writer may have (more often: `--every`).
pub const MAX_TIMES: usize = 48;

/// How late after its time a run may serve a slot that `--missed skip` still posts for: it
/// covers cron every 10, 15 or 30 minutes.
pub const ON_TIME: i64 = 30 * 60;

/// `--missed all` posts for missed slots up to this long ago; older ones are let pass.
pub const CATCH_UP: i64 = 86_400;

/// How far back missed slots are looked for and counted.
pub const LOOK_BACK: i64 = 35 * 86_400;

/// The longest `--jitter`.
pub const MAX_JITTER: u64 = 86_400;

/// The latest instant slot arithmetic works with (year 9999); later times are taken as it.
const MAX_TS: i64 = 253_402_300_799;

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// What a writer does about slots that passed while farm was not running (`--missed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missed {
    /// Let them pass; post only for a slot reached on time ([`ON_TIME`]).
    Skip,
    /// One post for the latest of them (the default).
    Once,
    /// One post for each, oldest first, one per run, for those of the last day ([`CATCH_UP`]).
    All,
}

impl Missed {
    /// `skip`, `once`, `all`.
    pub fn name(self) -> &'static str {
        match self {
            Missed::Skip => "skip",
            Missed::Once => "once",
            Missed::All => "all",
        }
    }
    fn parse(s: &str) -> Result<Missed> {
        match s {
            "skip" => Ok(Missed::Skip),
            "once" => Ok(Missed::Once),
            "all" => Ok(Missed::All),
            _ => Err(FarmError::usage(format!("--missed {s:?}: use skip, once or all"))),
        }
    }
}

/// A writer's time slots.
#[derive(Debug, Clone, PartialEq)]
pub struct Slots {
    /// Times of day, minutes after local midnight, ascending, distinct.
    pub times: Vec<u16>,
    /// Weekdays it posts on, bit 0 Monday … bit 6 Sunday; never empty.
    pub days: u8,
    /// The time zone the times and days are in.
    pub tz: Tz,
    /// The largest jitter, seconds (0: none).
    pub jitter: u64,
    /// What happens to missed slots.
    pub missed: Missed,
}

/// The slot options of `create writer` and `edit`, as given; `None` = not given.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SlotOpts {
    /// `--at`.
    pub at: Option<String>,
    /// `--tz`.
    pub tz: Option<String>,
    /// `--days`.
    pub days: Option<String>,
    /// `--jitter`.
    pub jitter: Option<String>,
    /// `--missed`.
    pub missed: Option<String>,
}

impl SlotOpts {
    /// Whether any slot option was given.
    pub fn any(&self) -> bool {
        *self != SlotOpts::default()
    }
}

/// What a slot writer's run does at a time ([`Slots::plan`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// No slot is due: the next one is `slot`, which fires (its jitter added) at `fire`.
    Wait {
        /// The slot's own time.
        slot: i64,
        /// When it fires.
        fire: i64,
    },
    /// Serve `slot`: post for it, or (`post` false, `--missed skip`) let it pass. The `missed`
    /// slots before it passed without a post of their own.
    Serve {
        /// The slot served.
        slot: i64,
        /// Whether to post for it.
        post: bool,
        /// Slots that passed without a post, oldest first.
        missed: Vec<i64>,
    },
}

/// The slots of `bot`: `None` for a bot that runs by its interval. An error when the stored
/// setting cannot be read (written by hand or by another program).
pub fn of(bot: &Bot) -> Result<Option<Slots>> {
    bot.setting(KEY).map(Slots::parse_setting).transpose()
}

/// How a bot is scheduled, in words: `every 1h`, or its slots ([`Slots::describe`]).
pub fn schedule_text(bot: &Bot) -> String {
    match of(bot) {
        Ok(Some(s)) => s.describe(),
        _ => format!("every {}", clock::format_duration(bot.every)),
    }
}

/// The slots after an edit: `opts` applied to `current` (`None`: the bot had none, so `--at`
/// is needed). Everything is checked: the times, the zone, the days, the jitter against the
/// shortest gap between slots.
pub fn edit(current: Option<&Slots>, opts: &SlotOpts) -> Result<Slots> {
    let mut s = match (current, &opts.at) {
        (_, Some(at)) => Slots {
            times: parse_times(at)?,
            days: current.map_or(0x7f, |c| c.days),
            tz: current.map_or(Tz::UTC, |c| c.tz),
            jitter: current.map_or(0, |c| c.jitter),
            missed: current.map_or(Missed::Once, |c| c.missed),
        },
        (Some(c), None) => c.clone(),
        (None, None) => {
            return Err(FarmError::usage(
                "--tz, --days, --jitter and --missed go with --at (the times of day to post at), e.g. --at 09:00 --tz Europe/Berlin",
            ))
        }
    };
    if let Some(tz) = &opts.tz {
        s.tz = parse_tz(tz)?;
    }
    if let Some(d) = &opts.days {
        s.days = parse_days(d)?;
    }
    if let Some(m) = &opts.missed {
        s.missed = Missed::parse(m)?;
    }
    if let Some(j) = &opts.jitter {
        s.jitter = match j.trim() {
            "0" | "0s" | "0m" | "0h" => 0,
            j => clock::parse_duration(j).map_err(|e| e.context("--jitter"))?,
        };
    }
    s.check_jitter()?;
    Ok(s)
}

/// `--at`: `09:00,13:30,21:00` (`9:00` too), at most [`MAX_TIMES`].
fn parse_times(s: &str) -> Result<Vec<u16>> {
    let bad = |t: &str| {
        FarmError::usage(format!("--at {t:?} is not a time of day; use HH:MM, e.g. --at 09:00,13:30,21:00"))
    };
    let mut times = Vec::new();
    for t in s.split(',').map(str::trim) {
        let (h, m) = t.split_once(':').ok_or_else(|| bad(t))?;
        let digits = |x: &str, n: std::ops::RangeInclusive<usize>| {
            n.contains(&x.len()) && x.bytes().all(|b| b.is_ascii_digit())
        };
        if !digits(h, 1..=2) || !digits(m, 2..=2) {
            return Err(bad(t));
        }
        let (h, m): (u16, u16) = (h.parse().map_err(|_| bad(t))?, m.parse().map_err(|_| bad(t))?);
        if h > 23 || m > 59 {
            return Err(bad(t));
        }
        times.push(h * 60 + m);
    }
    times.sort_unstable();
    times.dedup();
    if times.len() > MAX_TIMES {
        return Err(FarmError::usage(format!(
            "--at gives {} times; at most {MAX_TIMES} a day (to post more often, use --every)",
            times.len()
        )));
    }
    Ok(times)
}

/// `--tz`: an IANA name (`Europe/Moscow`, any case; `UTC`). Not `local`: the schedule is
/// kept in the farm, which an export takes to other machines, and the zone of the machine that
/// runs cron is easily not the one meant.
fn parse_tz(s: &str) -> Result<Tz> {
    let s = s.trim();
    if let Ok(tz) = s.parse::<Tz>() {
        return Ok(tz);
    }
    if let Some(tz) = chrono_tz::TZ_VARIANTS.iter().find(|tz| tz.name().eq_ignore_ascii_case(s)) {
        return Ok(*tz);
    }
    if s.eq_ignore_ascii_case("local") {
        return Err(FarmError::usage(
            "--tz local: name the zone instead, e.g. --tz Europe/Berlin (`timedatectl` shows this machine's); the schedule moves with the farm to other machines",
        ));
    }
    Err(FarmError::usage(format!(
        "--tz {:?} is not a time zone; use an IANA name such as Europe/Moscow, America/New_York or UTC (`timedatectl list-timezones`)",
        s.chars().take(64).collect::<String>()
    )))
}

/// `--days`: `mon-fri`, `sat,sun`, `fri-mon` (around the week end), `weekdays`, `weekends`,
/// `daily`; full names too.
fn parse_days(s: &str) -> Result<u8> {
    let bad = |d: &str| {
        FarmError::usage(format!(
            "--days {d:?}: use day names and ranges, e.g. mon-fri, sat,sun, weekdays, weekends or daily"
        ))
    };
    let day = |d: &str| -> Result<u8> {
        let d = d.trim().to_ascii_lowercase();
        let i =
            DAY_NAMES.iter().position(|n| d.len() >= 3 && d.starts_with(n) && full_day(n).starts_with(&d));
        i.map(|i| i as u8).ok_or_else(|| bad(&d))
    };
    let mut mask = 0u8;
    for part in s.split(',').map(str::trim) {
        match part.to_ascii_lowercase().as_str() {
            "daily" | "all" | "*" => mask |= 0x7f,
            "weekdays" => mask |= 0x1f,
            "weekends" | "weekend" => mask |= 0x60,
            p => match p.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (day(a)?, day(b)?);
                    let mut i = a;
                    loop {
                        mask |= 1 << i;
                        if i == b {
                            break;
                        }
                        i = (i + 1) % 7;
                    }
                }
                None => mask |= 1 << day(p)?,
            },
        }
    }
    if mask == 0 {
        return Err(bad(s));
    }
    Ok(mask)
}

/// The full English name of a day (`mon` → `monday`), for `--days monday`.
fn full_day(short: &str) -> &'static str {
    match short {
        "mon" => "monday",
        "tue" => "tuesday",
        "wed" => "wednesday",
        "thu" => "thursday",
        "fri" => "friday",
        "sat" => "saturday",
        _ => "sunday",
    }
}

impl Slots {
    /// Read the stored setting ([`KEY`]).
    pub fn parse_setting(v: &str) -> Result<Slots> {
        let bad = || {
            FarmError::data(format!(
                "the stored time slots {:?} cannot be read; set them again with `farm edit NAME --at …`",
                v.chars().take(80).collect::<String>()
            ))
        };
        if v.len() > 1000 {
            return Err(bad());
        }
        let mut opts = SlotOpts::default();
        for part in v.split(';') {
            let (k, val) = part.split_once('=').ok_or_else(bad)?;
            let slot = match k {
                "at" => &mut opts.at,
                "days" => &mut opts.days,
                "tz" => &mut opts.tz,
                "jitter" => &mut opts.jitter,
                "missed" => &mut opts.missed,
                _ => return Err(bad()),
            };
            *slot = Some(val.to_string());
        }
        if opts.at.is_none() {
            return Err(bad());
        }
        // The jitter is stored in seconds.
        if let Some(j) = &opts.jitter {
            opts.jitter = Some(match j.parse::<u64>().map_err(|_| bad())? {
                0 => "0".into(),
                n => format!("{n}s"),
            });
        }
        edit(None, &opts).map_err(|_| bad())
    }

    /// The stored form ([`Slots::parse_setting`] reads it back).
    pub fn to_setting(&self) -> String {
        format!(
            "at={};days={};tz={};jitter={};missed={}",
            self.times_text(),
            self.days_text(),
            self.tz.name(),
            self.jitter,
            self.missed.name()
        )
    }

    /// The times of day: `09:00,13:30`.
    pub fn times_text(&self) -> String {
        let t: Vec<String> = self.times.iter().map(|m| format!("{:02}:{:02}", m / 60, m % 60)).collect();
        t.join(",")
    }

    /// The days: `daily`, `mon-fri`, `mon,wed,fri`, `sat-sun`.
    pub fn days_text(&self) -> String {
        if self.days == 0x7f {
            return "daily".into();
        }
        let on = |i: usize| self.days & (1 << i) != 0;
        let mut parts = Vec::new();
        let mut i = 0;
        while i < 7 {
            if !on(i) {
                i += 1;
                continue;
            }
            let start = i;
            while i + 1 < 7 && on(i + 1) {
                i += 1;
            }
            parts.push(match i - start {
                0 => DAY_NAMES[start].to_string(),
                1 => format!("{},{}", DAY_NAMES[start], DAY_NAMES[i]),
                _ => format!("{}-{}", DAY_NAMES[start], DAY_NAMES[i]),
            });
            i += 1;
        }
        parts.join(",")
    }

    /// The whole schedule in words: `at 09:00,13:30 mon-fri Europe/Moscow, jitter 10m, --missed
    /// once`.
    pub fn describe(&self) -> String {
        let days = if self.days == 0x7f { String::new() } else { format!(" {}", self.days_text()) };
        let jitter = if self.jitter > 0 {
            format!(", jitter {}", clock::format_duration(self.jitter))
        } else {
            String::new()
        };
        format!("at {}{days} {}{jitter}, --missed {}", self.times_text(), self.tz.name(), self.missed.name())
    }

    /// The shortest time between two slots in a week, seconds (nominal: DST moves some by an
    /// hour): the writer's interval, for its back-off after failures.
    pub fn shortest_gap(&self) -> u64 {
        let mut at: Vec<u64> = Vec::new();
        for d in 0..7u64 {
            if self.days & (1 << d) != 0 {
                at.extend(self.times.iter().map(|&m| d * 1440 + u64::from(m)));
            }
        }
        let week = 7 * 1440;
        let wrap = at.first().map(|f| f + week - at.last().copied().unwrap_or(0));
        let gaps = at.windows(2).map(|w| w[1] - w[0]).chain(wrap);
        gaps.min().unwrap_or(week) * 60
    }

    fn check_jitter(&self) -> Result<()> {
        let gap = self.shortest_gap();
        if self.jitter > 0 && (self.jitter >= gap || self.jitter > MAX_JITTER) {
            return Err(FarmError::usage(format!(
                "--jitter {} is too long: it must be shorter than the shortest gap between two slots ({}) and at most 1d",
                clock::format_duration(self.jitter),
                clock::format_duration(gap)
            )));
        }
        Ok(())
    }

    fn on(&self, d: NaiveDate) -> bool {
        self.days & (1 << d.weekday().num_days_from_monday()) != 0
    }

    /// The local date of instant `t`.
    fn date_of(&self, t: i64) -> NaiveDate {
        let t = t.clamp(0, MAX_TS);
        self.tz.timestamp_opt(t, 0).single().map(|d| d.date_naive()).unwrap_or_default()
    }

    /// The slots after `after` up to and including `until`, ascending and distinct.
    pub fn between(&self, after: i64, until: i64) -> Vec<i64> {
        let mut out: Vec<i64> = Vec::new();
        if until <= after {
            return out;
        }
        let (Some(mut d), Some(last)) = (self.date_of(after).pred_opt(), self.date_of(until).succ_opt())
        else {
            return out;
        };
        while d <= last {
            if self.on(d) {
                let mut day: Vec<i64> = self.times.iter().map(|&m| instant(self.tz, d, m)).collect();
                day.sort_unstable();
                for s in day {
                    if s > after && s <= until && out.last().is_none_or(|l| s > *l) {
                        out.push(s);
                    }
                }
            }
            let Some(next) = d.succ_opt() else { break };
            d = next;
        }
        out
    }

    /// The first slot after `t`.
    pub fn next_after(&self, t: i64) -> i64 {
        // A week and two days always hold one: the days are never empty.
        let horizon = t.saturating_add(9 * 86_400);
        self.between(t, horizon).first().copied().unwrap_or(horizon)
    }

    /// When slot `s` of the bot `name` fires: `s` plus its jitter, the same on every call (a hash
    /// of the name and the slot), never as late as the next slot.
    pub fn fire(&self, name: &str, s: i64) -> i64 {
        if self.jitter == 0 {
            return s;
        }
        let seed = crate::text::dedup::hash(&format!("{name}\u{0}{s}"));
        let j = crate::text::rng::Rng::new(seed).below(self.jitter + 1) as i64;
        s + j.min(self.next_after(s) - s - 1).max(0)
    }

    /// When the writer `name`, having served the slots up to `done`, is next due: when the first
    /// slot after `done` fires (a time already past when one is owed).
    pub fn due_at(&self, name: &str, done: i64) -> i64 {
        self.fire(name, self.next_after(done))
    }

    /// The next slot to come at `now` for the writer `name` that served those up to `done`: the
    /// first one after `done` that fires after `now` (slot, fire time).
    pub fn upcoming(&self, name: &str, done: i64, now: i64) -> (i64, i64) {
        let from = done.max(now.saturating_sub(self.jitter as i64 + 1));
        let mut s = self.next_after(from);
        while self.fire(name, s) <= now {
            s = self.next_after(s);
        }
        (s, self.fire(name, s))
    }

    /// What the writer `name`, having served the slots up to `done`, does at `now`.
    pub fn plan(&self, name: &str, done: i64, now: i64) -> Plan {
        let from = done.max(now.saturating_sub(LOOK_BACK));
        let due: Vec<i64> =
            self.between(from, now).into_iter().filter(|&s| self.fire(name, s) <= now).collect();
        let Some(&latest) = due.last() else {
            let (slot, fire) = self.upcoming(name, done, now);
            return Plan::Wait { slot, fire };
        };
        match self.missed {
            Missed::Once => Plan::Serve { slot: latest, post: true, missed: due[..due.len() - 1].to_vec() },
            Missed::Skip => {
                let post = now - self.fire(name, latest) <= ON_TIME;
                let n = if post { due.len() - 1 } else { due.len() };
                Plan::Serve { slot: latest, post, missed: due[..n].to_vec() }
            }
            Missed::All => {
                let (old, recent): (Vec<i64>, Vec<i64>) =
                    due.iter().partition(|&&s| now - self.fire(name, s) > CATCH_UP);
                match recent.first() {
                    Some(&first) => Plan::Serve { slot: first, post: true, missed: old },
                    None => Plan::Serve { slot: latest, post: false, missed: old },
                }
            }
        }
    }

    /// Instant `t` in the slots' zone, marked, with UTC beside it: `2026-03-02 09:00
    /// Europe/Moscow (06:00 UTC)` (the UTC date too when it differs); `… UTC` alone in UTC.
    pub fn local_text(&self, t: i64) -> String {
        if self.tz == Tz::UTC {
            return clock::short(t);
        }
        let Some(local) = self.tz.timestamp_opt(t.clamp(0, MAX_TS), 0).single() else {
            return clock::short(t);
        };
        let utc = clock::short(t);
        let day = local.format("%Y-%m-%d").to_string();
        let utc = utc.strip_prefix(&format!("{day} ")).unwrap_or(&utc);
        format!("{} {} ({utc})", local.format("%Y-%m-%d %H:%M"), self.tz.name())
    }

    /// Slots that passed without a post, in words: `2 slots passed without a post (2026-03-02
    /// 09:00, 2026-03-02 13:30 Europe/Moscow)`, the first few of them.
    pub fn missed_text(&self, missed: &[i64]) -> String {
        const SHOWN: usize = 3;
        let times: Vec<String> = missed
            .iter()
            .take(SHOWN)
            .filter_map(|&t| self.tz.timestamp_opt(t.clamp(0, MAX_TS), 0).single())
            .map(|l| l.format("%Y-%m-%d %H:%M").to_string())
            .collect();
        let more = if missed.len() > SHOWN { ", …" } else { "" };
        let n = missed.len();
        format!(
            "{n} slot{} passed without a post ({}{more} {})",
            if n == 1 { "" } else { "s" },
            times.join(", "),
            self.tz.name()
        )
    }

    /// Instant `t` as RFC 3339 in the slots' zone: `2026-03-02T09:00:00+03:00`.
    pub fn local_rfc3339(&self, t: i64) -> String {
        match self.tz.timestamp_opt(t.clamp(0, MAX_TS), 0).single() {
            Some(local) => local.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            None => clock::format(t),
        }
    }
}

/// The instant (Unix seconds) of `minute` after midnight of local date `d` in `tz`: in a gap the
/// clocks jump over, the moment they jump; in an hour that repeats, its first occurrence.
fn instant(tz: Tz, d: NaiveDate, minute: u16) -> i64 {
    let naive = d.and_hms_opt(u32::from(minute / 60), u32::from(minute % 60), 0).unwrap_or_default();
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => t.timestamp(),
        LocalResult::Ambiguous(a, b) => a.timestamp().min(b.timestamp()),
        LocalResult::None => gap_end(tz, naive),
    }
}

/// The moment the clocks of `tz` jump over the local time `naive`: the first instant whose local
/// time is later than it.
fn gap_end(tz: Tz, naive: NaiveDateTime) -> i64 {
    let secs = naive.and_utc().timestamp();
    let offset = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .map_or(0, |u| i64::from(tz.offset_from_utc_datetime(&u.naive_utc()).fix().local_minus_utc()))
    };
    let local = |t: i64| t + offset(t);
    // Before the jump the offset is the one of a day earlier, after it the one of a day later.
    let (before, after) = (offset(secs - 86_400), offset(secs + 86_400));
    let (mut lo, mut hi) = (secs - after, secs - before);
    if lo >= hi || local(lo) > secs || local(hi) <= secs {
        return hi;
    }
    // local(lo) <= naive < local(hi): find the first instant past it.
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if local(mid) > secs {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> i64 {
        clock::parse_rfc3339(s).unwrap()
    }

    fn slots(at: &str, tz: &str) -> Slots {
        edit(None, &SlotOpts { at: Some(at.into()), tz: Some(tz.into()), ..Default::default() }).unwrap()
    }

    fn utc(t: i64) -> String {
        clock::format(t)
    }

    #[test]
    fn berlin_spring_forward_fires_a_skipped_slot_once_at_the_jump() {
        // 2026-03-29: Berlin goes from 02:00 CET to 03:00 CEST. 02:30 does not exist.
        let s = slots("02:30,03:00,04:00", "Europe/Berlin");
        let got: Vec<String> =
            s.between(ts("2026-03-28T12:00:00Z"), ts("2026-03-30T12:00:00Z")).into_iter().map(utc).collect();
        assert_eq!(
            got,
            [
                "2026-03-29T01:00:00Z", // 02:30 → the jump (03:00 CEST), the same instant as 03:00: one slot
                "2026-03-29T02:00:00Z", // 04:00 CEST
                "2026-03-30T00:30:00Z", // 02:30 CEST the next day
                "2026-03-30T01:00:00Z",
                "2026-03-30T02:00:00Z",
            ]
        );
        let one = slots("02:30", "Europe/Berlin");
        assert_eq!(
            one.between(ts("2026-03-28T00:00:00Z"), ts("2026-03-31T00:00:00Z"))
                .into_iter()
                .map(utc)
                .collect::<Vec<_>>(),
            ["2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"]
        );
    }

    #[test]
    fn berlin_autumn_fires_a_repeated_slot_once_at_its_first_occurrence() {
        // 2026-10-25: Berlin goes from 03:00 CEST back to 02:00 CET; 02:30 happens twice.
        let s = slots("02:30", "Europe/Berlin");
        let got: Vec<String> =
            s.between(ts("2026-10-24T00:00:00Z"), ts("2026-10-27T00:00:00Z")).into_iter().map(utc).collect();
        assert_eq!(got, ["2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"]);
    }

    #[test]
    fn new_york_and_moscow() {
        // New York: 2026-03-08 02:00 EST → 03:00 EDT; 2026-11-01 02:00 EDT → 01:00 EST.
        let ny = slots("02:15,01:30", "America/New_York");
        let spring: Vec<String> =
            ny.between(ts("2026-03-08T00:00:00Z"), ts("2026-03-09T00:00:00Z")).into_iter().map(utc).collect();
        assert_eq!(spring, ["2026-03-08T06:30:00Z", "2026-03-08T07:00:00Z"]);
        let autumn: Vec<String> =
            ny.between(ts("2026-11-01T00:00:00Z"), ts("2026-11-02T00:00:00Z")).into_iter().map(utc).collect();
        // 01:30 twice (05:30 EDT and 06:30 EST): the first; 02:15 EST.
        assert_eq!(autumn, ["2026-11-01T05:30:00Z", "2026-11-01T07:15:00Z"]);
        // Moscow has no DST: 09:00 is 06:00 UTC all year.
        let msk = slots("09:00", "Europe/Moscow");
        for day in ["2026-01-15", "2026-03-29", "2026-07-01", "2026-10-25"] {
            let got = msk.next_after(ts(&format!("{day}T00:00:00Z")));
            assert_eq!(utc(got), format!("{day}T06:00:00Z"));
        }
        assert_eq!(msk.local_text(ts("2026-03-02T06:00:00Z")), "2026-03-02 09:00 Europe/Moscow (06:00 UTC)");
        assert_eq!(msk.local_rfc3339(ts("2026-03-02T06:00:00Z")), "2026-03-02T09:00:00+03:00");
        let tokyo = slots("08:00", "asia/tokyo");
        assert_eq!(tokyo.tz.name(), "Asia/Tokyo");
        assert_eq!(
            tokyo.local_text(ts("2026-03-01T23:00:00Z")),
            "2026-03-02 08:00 Asia/Tokyo (2026-03-01 23:00 UTC)"
        );
    }

    #[test]
    fn weekdays_only() {
        let mut s = slots("09:00", "Europe/Berlin");
        s.days = parse_days("mon-fri").unwrap();
        // 2026-01-02 is a Friday: the next slot after it is Monday the 5th.
        assert_eq!(utc(s.next_after(ts("2026-01-02T09:00:00Z"))), "2026-01-05T08:00:00Z");
        assert_eq!(s.shortest_gap(), 86_400);
        assert_eq!(s.days_text(), "mon-fri");
        assert_eq!(s.describe(), "at 09:00 mon-fri Europe/Berlin, --missed once");
    }

    #[test]
    fn options_are_checked() {
        for (at, words) in
            [("9", "HH:MM"), ("24:00", "HH:MM"), ("09:60", "HH:MM"), ("", "HH:MM"), ("9:5", "HH:MM")]
        {
            let e = parse_times(at).unwrap_err();
            assert!(e.message.contains(words), "{at}: {}", e.message);
        }
        assert_eq!(parse_times("9:00, 13:30,09:00").unwrap(), vec![540, 810]);
        let many: Vec<String> = (0..49).map(|i| format!("{:02}:{:02}", i / 3, (i % 3) * 20)).collect();
        assert!(parse_times(&many.join(",")).unwrap_err().message.contains("--every"));
        assert!(parse_tz("Mars/Olympus").unwrap_err().message.contains("IANA"));
        assert!(parse_tz("local").unwrap_err().message.contains("name the zone"));
        assert_eq!(parse_days("weekdays").unwrap(), 0x1f);
        assert_eq!(parse_days("Saturday,sun").unwrap(), 0x60);
        assert_eq!(parse_days("fri-mon").unwrap(), 0x71);
        assert!(parse_days("funday").is_err());
        assert!(parse_days("mo").is_err());
        let at =
            |a: &str, j: &str| SlotOpts { at: Some(a.into()), jitter: Some(j.into()), ..Default::default() };
        assert!(edit(None, &at("09:00,10:00", "59m")).is_ok());
        assert!(edit(None, &at("09:00,10:00", "1h")).unwrap_err().message.contains("shortest gap"));
        assert!(edit(None, &SlotOpts { tz: Some("UTC".into()), ..Default::default() }).is_err());
    }

    #[test]
    fn the_setting_round_trips() {
        let mut s = slots("21:00,09:00,13:30", "Europe/Moscow");
        s.days = parse_days("mon,wed,fri").unwrap();
        s.jitter = 600;
        s.missed = Missed::All;
        let text = s.to_setting();
        assert_eq!(text, "at=09:00,13:30,21:00;days=mon,wed,fri;tz=Europe/Moscow;jitter=600;missed=all");
        assert_eq!(Slots::parse_setting(&text).unwrap(), s);
        for bad in ["", "at=25:00", "at=09:00;tz=Nowhere", "at=09:00;jitter=x", "days=mon", "at=09:00;what=1"]
        {
            assert_eq!(Slots::parse_setting(bad).unwrap_err().kind, crate::error::Kind::Data, "{bad}");
        }
    }

    #[test]
    fn jitter_is_stable_bounded_and_never_reaches_the_next_slot() {
        let mut s = slots("09:00,09:20", "UTC");
        s.jitter = 19 * 60;
        let day = ts("2026-01-05T00:00:00Z");
        let mut seen = std::collections::HashSet::new();
        for d in 0..60 {
            for slot in s.between(day + d * 86_400, day + (d + 1) * 86_400) {
                let f = s.fire("w", slot);
                assert_eq!(f, s.fire("w", slot), "the same on every call");
                assert!(f >= slot && f <= slot + 19 * 60, "{}", utc(f));
                assert!(f < s.next_after(slot));
                seen.insert(f - slot);
            }
        }
        assert!(seen.len() > 20, "hardly random: {seen:?}");
        assert_ne!(s.fire("w", day + 9 * 3600), s.fire("other", day + 9 * 3600));
    }

    #[test]
    fn missed_slots_follow_the_policy() {
        let mut s = slots("09:00,13:00,21:00", "UTC");
        let done = ts("2026-01-05T09:00:00Z");
        // Down from 09:30 to 22:00: 13:00 and 21:00 passed.
        let now = ts("2026-01-05T22:00:00Z");
        let (s13, s21) = (ts("2026-01-05T13:00:00Z"), ts("2026-01-05T21:00:00Z"));
        assert_eq!(s.plan("w", done, now), Plan::Serve { slot: s21, post: true, missed: vec![s13] });
        s.missed = Missed::Skip;
        assert_eq!(s.plan("w", done, now), Plan::Serve { slot: s21, post: false, missed: vec![s13, s21] });
        // On time (within half an hour) skip posts.
        let soon = s21 + 600;
        assert_eq!(s.plan("w", done, soon), Plan::Serve { slot: s21, post: true, missed: vec![s13] });
        s.missed = Missed::All;
        assert_eq!(s.plan("w", done, now), Plan::Serve { slot: s13, post: true, missed: vec![] });
        assert_eq!(s.plan("w", s13, now), Plan::Serve { slot: s21, post: true, missed: vec![] });
        // Older than a day: let pass.
        let later = ts("2026-01-07T10:00:00Z");
        match s.plan("w", done, later) {
            Plan::Serve { slot, post: true, missed } => {
                assert_eq!(utc(slot), "2026-01-06T13:00:00Z");
                assert_eq!(missed, vec![s13, s21, ts("2026-01-06T09:00:00Z")]);
            }
            p => panic!("{p:?}"),
        }
        // Nothing due: the next slot.
        let wait = s.plan("w", s21, now);
        assert_eq!(wait, Plan::Wait { slot: ts("2026-01-06T09:00:00Z"), fire: ts("2026-01-06T09:00:00Z") });
    }
}
