//! What `farm run` does: readers first, then writers, each bot at most once, in parallel on
//! plain threads. One slow or failing bot never blocks or fails the others.

use super::record::{self, blocked_until};
use super::writer::{network_key, part_key, scan, Skip};
use super::{endpoint_at, schedule, slots};
use crate::clock;
use crate::error::{FarmError, Kind, Result};
use crate::model::{Bot, BotState, Counters, Pending, PostMeta, PostRef, ReplyTo, Role, Thread};
use crate::net::{Call, LengthRule, NetErrorKind, Platform, PlatformKind};
use crate::store::Store;
use std::sync::Mutex;

/// Makes a network client for an endpoint (the real one, or a test double).
pub type Connector = dyn Fn(crate::net::Endpoint) -> Box<dyn Platform> + Sync;

/// Options of one run.
#[derive(Debug, Clone, Default)]
pub struct RunOpts {
    /// Only these bots (normalised names); all when empty.
    pub names: Vec<String>,
    /// Change nothing, call nothing; report what would happen.
    pub dry_run: bool,
    /// Parallel bots.
    pub jobs: usize,
    /// Run the named bots whatever their schedule (a writer still posts at most once per
    /// interval).
    pub force: bool,
}

/// What happened to one bot.
#[derive(Debug)]
pub struct Outcome {
    /// Bot name.
    pub bot: String,
    /// One line for `-v` output.
    pub line: String,
    /// The failure, if any.
    pub error: Option<FarmError>,
}

/// How long a Mastodon instance's length rule is trusted before asking again.
const RULE_TTL: i64 = 7 * 86_400;

/// Run everything that is due. Returns one outcome per bot that was looked at.
pub fn run(store: &Store, opts: &RunOpts, now: i64, connect: &Connector) -> Result<Vec<Outcome>> {
    let all = store.bots()?;
    for n in &opts.names {
        if !all.iter().any(|b| &b.name == n) {
            return Err(FarmError::usage(format!("there is no bot named {n}; see `farm list`")));
        }
    }
    let mut outcomes = Vec::new();
    let mut phases: [Vec<Bot>; 3] = Default::default();
    for bot in all {
        if !opts.names.is_empty() && !opts.names.contains(&bot.name) {
            continue;
        }
        if bot.paused {
            outcomes.push(Outcome { bot: bot.name.clone(), line: "paused".into(), error: None });
            continue;
        }
        if bot.platform == PlatformKind::Corpus {
            // It is never due and has nothing to read; a run that names it says so.
            if !opts.names.is_empty() {
                let line = format!(
                    "a corpus reader reads no network; `farm import-corpus {} FILE` fills it",
                    bot.name
                );
                outcomes.push(Outcome { bot: bot.name.clone(), line, error: None });
            }
            continue;
        }
        let st = store.state(&bot.name)?;
        let forced = opts.force && !opts.names.is_empty();
        if !forced && !schedule::is_due(&bot, &st, now) {
            continue;
        }
        // No credentials: nothing is sent for it. Named, it fails with one line that says what
        // to run; in the cron run it is passed over quietly (`-v` says why), like a paused bot:
        // `list`, `stats` and `doctor` show "needs auth", and a line mailed every tick would
        // only teach the operator to ignore cron mail.
        if let Some(e) = super::status::auth_error(store, &bot)? {
            let error = (!opts.names.is_empty()).then(|| e.clone());
            outcomes.push(Outcome { bot: bot.name.clone(), line: format!("skipped: {}", e.message), error });
            continue;
        }
        let phase = match bot.role {
            Role::Reader => 0,
            Role::Writer => 1,
            Role::Analyzer => 2,
        };
        phases[phase].push(bot);
    }
    // Bluesky's servers allow one IP (the whole farm) 3,000 requests per 5 minutes and report
    // only their tightest limit: bots that would go over what is left wait for the next run.
    let mut budget = super::budget::bluesky_budget(store, now)?;
    for bots in phases {
        let (bots, deferred) = super::budget::within_budget(bots, &mut budget);
        outcomes.extend(deferred);
        // A Bluesky writer whose post would go over its account's write points waits too.
        let (bots, deferred) = super::budget::within_points(store, bots, now, opts.dry_run)?;
        outcomes.extend(deferred);
        outcomes.extend(parallel(bots, opts.jobs.max(1), |bot| {
            let r = match bot.role {
                Role::Reader => settle_then_read(store, bot, now, opts.dry_run, connect),
                Role::Writer => {
                    let r = run_writer(store, bot, now, opts.dry_run, connect);
                    match r {
                        Ok(line) if !opts.dry_run => note_position(store, bot).map(|_| line),
                        Err(e) if !opts.dry_run => {
                            let _ = note_position(store, bot);
                            Err(e)
                        }
                        other => other,
                    }
                }
                // An analyzer has no account of its own: it never holds a post by hand.
                Role::Analyzer => super::analyzer::run_analyzer(store, bot, now, opts.dry_run, connect),
            };
            match r {
                Ok(line) => Outcome { bot: bot.name.clone(), line, error: None },
                Err(e) => Outcome { bot: bot.name.clone(), line: format!("failed: {e}"), error: Some(e) },
            }
        }));
    }
    if !opts.dry_run {
        super::refresh_next_due(store, now)?;
    }
    Ok(outcomes)
}

/// A reader's run: settle an unconfirmed post made by hand on its account (`farm post`), then
/// read its timeline whatever the settling did, so its writers never starve. When either
/// fails, the run fails with the worse of the two, its message saying what the other did.
fn settle_then_read(store: &Store, bot: &Bot, now: i64, dry: bool, connect: &Connector) -> Result<String> {
    let settled = settle(store, bot, now, dry, connect);
    let read = run_reader(store, bot, now, dry, connect);
    match (settled, read) {
        (Ok(None), read) => read,
        (Ok(Some(s)), Ok(line)) => Ok(format!("{s}; {line}")),
        (Ok(Some(s)), Err(e)) => Err(FarmError::new(e.kind, format!("{}; {s}", e.message))),
        (Err(e), Ok(line)) => Err(FarmError::new(e.kind, format!("{}; {line}", e.message))),
        (Err(a), Err(b)) => {
            let kind = if a.kind.severity() >= b.kind.severity() { a.kind } else { b.kind };
            Err(FarmError::new(kind, format!("{}; {}", a.message, b.message)))
        }
    }
}

/// The client of a bot for a run at `now`. A Bluesky bot first gets a usable session
/// ([`super::session::ensure`]); when it cannot, that is the run's failure, recorded like a
/// refused call.
pub(super) fn open_client(
    store: &Store,
    bot: &Bot,
    st: &mut BotState,
    now: i64,
    connect: &Connector,
) -> Result<Box<dyn Platform>> {
    let fresh = match super::session::ensure(store, bot, now)? {
        Ok(b) => b,
        Err(e) => return Err(record::failure(store, bot, st, now, &e, 1)?),
    };
    Ok(connect(endpoint_at(store, &fresh, st, now)?))
}

/// Take the times an earlier run stored too far ahead of the clock as now
/// ([`schedule::forget_future`]), for the bots of a run (`opts.names`, all when empty), and log
/// it in each bot's events. Returns one line for stderr, naming the bots and the latest such
/// time, when there were any. A dry run changes nothing.
pub fn distrust_future(store: &Store, opts: &RunOpts, now: i64) -> Result<Option<String>> {
    let mut found: Vec<String> = Vec::new();
    let mut latest = i64::MIN;
    for bot in store.bots()? {
        if !opts.names.is_empty() && !opts.names.contains(&bot.name) {
            continue;
        }
        let mut st = store.state(&bot.name)?;
        let mut windows = store.rates(&bot.name)?;
        let Some(t) = schedule::forget_future(&mut st, &mut windows, now) else {
            continue;
        };
        if !opts.dry_run {
            store.put_state(&bot.name, &st)?;
            for w in &windows {
                store.put_rate(&bot.name, w)?;
            }
            let line =
                format!("a stored time, {}, is {}; taken as now", clock::format(t), schedule::AHEAD_NOTE);
            record::tally(store, &bot.name, now, Counters::default(), Some(("clock", &line)))?;
        }
        found.push(bot.name);
        latest = latest.max(t);
    }
    if found.is_empty() {
        return Ok(None);
    }
    Ok(Some(format!(
        "times stored by an earlier run (up to {}, bots {}) are {}; {} as now",
        clock::format(latest),
        found.join(", "),
        schedule::AHEAD_NOTE,
        if opts.dry_run { "a run takes them" } else { "taken" }
    )))
}

/// Record how far a writer got, for backlogs that need no posts database.
fn note_position(store: &Store, writer: &Bot) -> Result<()> {
    if let Some(reader) = &writer.source {
        let st = store.state(&writer.name)?;
        store.note_consumed(&writer.name, reader, st.consumed)?;
    }
    Ok(())
}

/// Run `f` over `items` on up to `jobs` threads, keeping the input order in the output.
pub fn parallel<T: Sync, R: Send>(items: Vec<T>, jobs: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if items.len() <= 1 || jobs == 1 {
        return items.iter().map(&f).collect();
    }
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs.min(items.len()) {
            s.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap_or_else(|e| e.into_inner());
                    let i = *n;
                    *n += 1;
                    i
                };
                if i >= items.len() {
                    break;
                }
                let r = f(&items[i]);
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
            });
        }
    });
    results.into_inner().unwrap_or_else(|e| e.into_inner()).into_iter().flatten().collect()
}

/// One reader run: one timeline walk, new posts cached, cursor moved, retention applied. A
/// reader that follows accounts reads them instead (and its timeline with `--home`):
/// [`super::follow::run`].
pub fn run_reader(store: &Store, bot: &Bot, now: i64, dry: bool, connect: &Connector) -> Result<String> {
    if store.has_follows(&bot.name)? {
        return super::follow::run(store, bot, now, dry, connect);
    }
    let mut st = store.state(&bot.name)?;
    if let Some(until) = blocked_until(store, &bot.name, Call::Timeline, now)? {
        return Ok(format!("rate-limited until {}; not calling", clock::format(until)));
    }
    if dry {
        return Ok(format!(
            "would read the home timeline since {}",
            st.cursor.as_deref().unwrap_or("the newest page")
        ));
    }
    let mut client = open_client(store, bot, &mut st, now, connect)?;
    let res = client.home_timeline(st.cursor.as_deref(), bot.reader.cap as usize);
    if let Some(id) = client.account_id() {
        st.account_id = Some(id);
    }
    let reply = match res {
        Ok(r) => r,
        Err(e) => return Err(record::failure(store, bot, &mut st, now, &e, 1)?),
    };
    record::rates(store, &bot.name, &mut st, &reply.rates, now)?;
    let read = reply.value.posts.len() as u32;
    // A post with no words (media only) is no source for a writer: counted here, and [`cache`]
    // leaves it out.
    let wordless = reply.value.posts.iter().filter(|p| p.text.trim().is_empty()).count();
    let skipped = reply.value.skipped as usize + wordless;
    let new = match cache(store, bot, &st, now, reply.value.posts, false) {
        Ok(new) => new,
        // A damaged or lost posts shard: the cursor stays, so these posts are read again.
        Err(e) => return Err(record::local_failure(store, bot, &mut st, now, e, 1)?),
    };
    if let Some(c) = reply.value.cursor {
        st.cursor = Some(c);
    }
    let removed = prune(store, bot, &mut st, now)?;
    record::success(&mut st, now);
    st.limited_until = None;
    st.total += new as u64;
    store.put_state(&bot.name, &st)?;
    let mut line = format!("read {new} new posts ({} cached, {removed} dropped)", st.cached);
    if skipped > 0 {
        line.push_str(&format!("; {skipped} skipped (a poll, or no text)"));
    }
    let counters =
        Counters { fetched: new as u32, calls: reply.value.calls.max(1), read, ..Default::default() };
    record::tally(store, &bot.name, now, counters, Some(("read", &line)))?;
    Ok(line)
}

/// Cache a reader's new posts; returns how many were new. A post the server gave no time gets
/// the time the cache's ages are judged at ([`cache_time`]). `append`: at the new end of the
/// cache, in the order given ([`Store::append_posts`], a reader that follows accounts), else by
/// their own ids.
pub(super) fn cache(
    store: &Store,
    bot: &Bot,
    st: &BotState,
    now: i64,
    mut posts: Vec<crate::net::Post>,
    append: bool,
) -> Result<usize> {
    // A post with no words (media only) is no source for a writer.
    posts.retain(|p| !p.text.trim().is_empty());
    let stamp = cache_time(store, bot, st, now)?;
    for p in &mut posts {
        if p.created_at == 0 {
            p.created_at = stamp;
        }
    }
    if append {
        store.append_posts(&bot.name, &posts)
    } else {
        store.add_posts(&bot.name, &posts)
    }
}

/// The time a reader's cached posts are aged at: the run's, but never later than one interval
/// and a day ([`schedule::MAX_AHEAD`]) past the latest time farm knows was real, the newest
/// cached post's (as its server dated it) or the reader's last successful run (`st.last_ok`,
/// the previous one while a run prunes). One run with the clock years ahead (a bad RTC at boot,
/// before NTP) then cannot age the cache, while regular runs age a quiet feed's posts as time
/// really passes; a clock behind only keeps more.
fn cache_time(store: &Store, reader: &Bot, st: &BotState, now: i64) -> Result<i64> {
    let newest = store.recent_posts(&reader.name, 1)?.first().map_or(0, |p| p.created_at);
    let known = newest.max(st.last_ok);
    if known <= 0 {
        return Ok(now);
    }
    Ok(now.min(known.saturating_add(reader.every as i64).saturating_add(schedule::MAX_AHEAD)))
}

/// Retention: drop posts every writer has consumed (after a corpus window), posts older than
/// the max age, and the oldest beyond the max count. Ages are judged at [`cache_time`], so a
/// clock far ahead drops nothing a writer has not used; the max count bounds the cache anyway.
pub fn prune(store: &Store, reader: &Bot, st: &mut BotState, now: i64) -> Result<u64> {
    let mut consumed_by_all = u64::MAX;
    for w in super::registry::dependents(store, &reader.name)? {
        if w.role == Role::Writer {
            consumed_by_all = consumed_by_all.min(store.state(&w.name)?.consumed);
        }
    }
    let o = reader.reader;
    let at = cache_time(store, reader, st, now)?;
    let corpus_cut = at - o.corpus_age as i64;
    let age_cut = at - o.max_age as i64;
    let (removed, left) = store.prune_posts(&reader.name, o.max_count as usize, |p| {
        p.created_at < age_cut
            || (consumed_by_all != u64::MAX && p.id <= consumed_by_all && p.created_at < corpus_cut)
    })?;
    st.cached = left;
    Ok(removed)
}

/// The length rule of a writer's platform: fixed for X, learned (and cached) for Mastodon.
pub(super) fn length_rule(
    store: &Store,
    bot: &Bot,
    st: &mut BotState,
    client: &mut dyn Platform,
    now: i64,
) -> Result<LengthRule> {
    if bot.platform != PlatformKind::Mastodon {
        return Ok(offline_rule(bot, st));
    }
    if let Some((rule, at)) = st.length_rule {
        if now - at < RULE_TTL && now >= at {
            return Ok(rule);
        }
    }
    match client.length_rule() {
        Ok(r) => {
            record::rates(store, &bot.name, st, &r.rates, now)?;
            record::tally(store, &bot.name, now, Counters { calls: 1, ..Default::default() }, None)?;
            st.length_rule = Some((r.value, now));
            Ok(r.value)
        }
        // Fall back to Mastodon's default when the instance won't say.
        Err(_) => Ok(LengthRule { max: 500, url_len: 23 }),
    }
}

/// The rule to use without any API call (cached, or the platform default).
pub fn offline_rule(bot: &Bot, st: &BotState) -> LengthRule {
    match (bot.platform, st.length_rule) {
        (PlatformKind::Mastodon, Some((r, _))) => r,
        (PlatformKind::Mastodon, None) => LengthRule { max: 500, url_len: 23 },
        (PlatformKind::Bluesky, _) => LengthRule { max: crate::text::length::BLUESKY_MAX, url_len: 0 },
        _ => LengthRule { max: crate::text::length::X_MAX, url_len: 23 },
    }
}

/// Settle a bot's unconfirmed post, if it has one (a writer's, or one asked for with `farm
/// post`): inside the platform's resend window it is sent again with its key; past it, the
/// account's own newest posts are read first and it is sent again only if it is not there.
/// `None` when there is no unconfirmed post. When a known rate limit holds it back, the line
/// says so and the post stays unconfirmed.
pub fn settle(store: &Store, bot: &Bot, now: i64, dry: bool, connect: &Connector) -> Result<Option<String>> {
    let mut st = store.state(&bot.name)?;
    let Some(p) = st.pending.clone() else {
        return Ok(None);
    };
    if dry {
        return Ok(Some(format!("would resend the unconfirmed post: {}", p.text)));
    }
    if let Some(until) = blocked_until(store, &bot.name, Call::Post, now)? {
        return Ok(Some(format!("rate-limited until {}; the unconfirmed post waits", clock::format(until))));
    }
    let mut client = open_client(store, bot, &mut st, now, connect)?;
    // A time ahead of the clock (stored with the clock ahead, or the clock stepped back) says
    // nothing of what the server still remembers: taken as past the window.
    // On Bluesky the record key settles a post at any age: it is never looked for by its text
    // (which would not give the CID a thread's next part needs).
    let window = bot.platform.resend_window();
    if window < i64::MAX && (p.created > now || now - p.created >= window) {
        // The server may have forgotten the key (or the text): resending could post twice.
        // One read of the account's own posts tells whether the post went out.
        if let Some(line) = look_for_pending(store, bot, &mut st, client.as_mut(), &p, now)? {
            return thread_on(store, bot, &mut st, client.as_mut(), &p, now, line).map(Some);
        }
    }
    let line = send(store, bot, &mut st, client.as_mut(), p.clone(), now, false)?;
    thread_on(store, bot, &mut st, client.as_mut(), &p, now, line).map(Some)
}

/// One writer run: settle an unconfirmed post (or reply), or pick the next usable text and post
/// it once; then, for a writer that answers its mentions, read and answer them
/// ([`super::reply::answer`]; `--reply only`: that alone).
pub fn run_writer(store: &Store, bot: &Bot, now: i64, dry: bool, connect: &Connector) -> Result<String> {
    if let Some(line) = settle(store, bot, now, dry, connect)? {
        return Ok(line);
    }
    let mode = super::reply::Mode::of(bot);
    if mode == super::reply::Mode::Only {
        return super::reply::answer(store, bot, now, dry, connect);
    }
    let line = post_next(store, bot, now, dry, connect)?;
    if mode == super::reply::Mode::Off {
        return Ok(line);
    }
    match super::reply::answer(store, bot, now, dry, connect) {
        Ok(replies) => Ok(format!("{line}; {replies}")),
        Err(e) => Err(FarmError::new(e.kind, format!("{}; {line}", e.message))),
    }
}

/// A writer's own post of a run: the next usable text, posted once per interval.
fn post_next(store: &Store, bot: &Bot, now: i64, dry: bool, connect: &Connector) -> Result<String> {
    let mut st = store.state(&bot.name)?;
    let source = bot.source.clone().unwrap_or_default();
    let turn = match writer_turn(store, bot, &mut st, now, dry)? {
        Turn::Not(line) => return Ok(line),
        Turn::Interval => None,
        Turn::Slot(t) => Some(t),
    };
    let slot_note = turn.as_ref().map(SlotTurn::note).unwrap_or_default();
    // A grammar writer has no reader (no source: `reader` is `None`).
    let reader = store.bot(&source)?;
    if reader.is_none() && bot.source.is_some() {
        let e = FarmError::config(format!(
            "{}: its reader {source} is gone; `farm edit {} --source READER`",
            bot.name, bot.name
        ));
        if !dry {
            st.last_error = Some(e.message.clone());
            store.put_state(&bot.name, &st)?;
            record::tally(store, &bot.name, now, Counters::default(), Some(("error", &e.message)))?;
        }
        return Err(e);
    }
    let note = if reader.is_some_and(|r| r.paused) { " (its reader is paused)" } else { "" };
    if let Some(until) = blocked_until(store, &bot.name, Call::Post, now)? {
        return Ok(format!("rate-limited until {}; not posting", clock::format(until)));
    }
    if dry {
        let rule = offline_rule(bot, &st);
        let s = scan(store, bot, &st, rule, 1)?;
        return Ok(match s.found.first() {
            Some(c) if !c.parts.is_empty() => format!(
                "would post a thread of {} posts ({} chars): {}{note}{slot_note}",
                c.parts.len(),
                c.length,
                c.parts.join(" / ")
            ),
            Some(c) => format!("would post ({} chars): {}{note}{slot_note}", c.length, c.text),
            None => format!("nothing to post ({} posts skipped){note}{slot_note}", s.skipped.len()),
        });
    }
    let mut client = open_client(store, bot, &mut st, now, connect)?;
    let rule = length_rule(store, bot, &mut st, client.as_mut(), now)?;
    let s = match scan(store, bot, &st, rule, 1) {
        Ok(s) => s,
        // A processor failed (e.g. an exec command), or the posts shard is damaged.
        Err(e) => return Err(record::local_failure(store, bot, &mut st, now, e, 0)?),
    };
    let skipped = s.skipped.len();
    let too_long = s.skipped.iter().filter(|(_, w)| matches!(w, Skip::TooLong(_))).count();
    let dups = s.skipped.iter().filter(|(_, w)| *w == Skip::Duplicate).count();
    let warned = s.skipped.iter().filter(|(_, w)| *w == Skip::Warned).count();
    st.consumed = st.consumed.max(s.skipped_up_to);
    let Some(c) = s.found.into_iter().next() else {
        record::success(&mut st, now);
        if let Some(t) = &turn {
            t.serve(&mut st);
        }
        store.put_state(&bot.name, &st)?;
        let with_cw = if warned > 0 { format!(", {warned} with a content warning") } else { String::new() };
        let what = if bot.source.is_some() { "posts" } else { "texts of its grammar" };
        let line = format!(
            "nothing to post: {skipped} {what} skipped ({too_long} too long, {dups} duplicates{with_cw}){note}"
        );
        record::tally(store, &bot.name, now, Counters::default(), Some(("idle", &line)))?;
        if let Some(t) = &turn {
            t.log_missed(store, bot, now)?;
        }
        return Ok(format!("{line}{slot_note}"));
    };
    // A thread goes out part by part: its first part now, each next one once the one before
    // it is confirmed ([`thread_on`]).
    let (text, thread) = match c.parts.split_first() {
        Some((first, rest)) => (first.clone(), Some(Thread { part: 1, rest: rest.to_vec() })),
        None => (c.text, None),
    };
    let pending = Pending {
        key: network_key(bot, c.key, now),
        text,
        hash: c.hash,
        source_id: c.source_id,
        created: now,
        attempts: 0,
        meta: c.meta,
        thread,
    };
    // A slot is served with its post's intent, in the same record: a crash after it never
    // gives the slot a second post.
    let open = (st.slot_done, st.slots_missed);
    let total = st.total;
    if let Some(t) = &turn {
        t.serve(&mut st);
    }
    let sent = send_new(store, bot, &mut st, client.as_mut(), pending, now);
    if let Some(t) = &turn {
        // (A thread whose first part went out has served its slot, whatever became of the rest.)
        if sent.is_err() && st.pending.is_none() && st.total == total {
            // The server refused this text for good: it never went out, and the slot stays
            // open for the next text (after the back-off).
            (st.slot_done, st.slots_missed) = open;
            store.put_state(&bot.name, &st)?;
        } else {
            t.log_missed(store, bot, now)?;
        }
    }
    let mut line = sent?;
    if skipped > 0 {
        line.push_str(&format!(" ({skipped} posts skipped)"));
    }
    line.push_str(note);
    line.push_str(&slot_note);
    Ok(line)
}

/// Whether a writer may post at a run: once per interval, or for a writer with time slots once
/// per slot ([`slots::Slots::plan`]).
enum Turn {
    /// By its interval, which has passed.
    Interval,
    /// A slot to post for.
    Slot(SlotTurn),
    /// Not now: the line says why (a slot let pass by `--missed skip` is recorded, unless in a
    /// dry run).
    Not(String),
}

/// The slot a writer's run posts for, and the slots missed before it.
struct SlotTurn {
    slots: slots::Slots,
    slot: i64,
    missed: Vec<i64>,
}

impl SlotTurn {
    /// Record the slot as served in the state (the caller stores it).
    fn serve(&self, st: &mut BotState) {
        st.slot_done = st.slot_done.max(self.slot);
        st.slots_missed += self.missed.len() as u64;
    }

    /// Log the missed slots, if any, as a `missed` event.
    fn log_missed(&self, store: &Store, bot: &Bot, now: i64) -> Result<()> {
        if self.missed.is_empty() {
            return Ok(());
        }
        let line = format!("{}; posting for the {} slot", self.slots.missed_text(&self.missed), self.local());
        record::tally(store, &bot.name, now, Counters::default(), Some(("missed", &line)))
    }

    fn local(&self) -> String {
        self.slots.local_text(self.slot)
    }

    /// What `-v` adds to the run's line: ` (the 2026-03-02 09:00 Europe/Moscow (06:00 UTC)
    /// slot; 2 missed)`.
    fn note(&self) -> String {
        let missed =
            if self.missed.is_empty() { String::new() } else { format!("; {} missed", self.missed.len()) };
        format!(" (the {} slot{missed})", self.local())
    }
}

/// The [`Turn`] of `bot` at `now`.
fn writer_turn(store: &Store, bot: &Bot, st: &mut BotState, now: i64, dry: bool) -> Result<Turn> {
    let plan = match slots::of(bot) {
        Ok(Some(s)) => {
            let plan = s.plan(&bot.name, st.slot_done, now);
            (s, plan)
        }
        Ok(None) => {
            // Never more often than the interval, whatever happens (retries, clock steps,
            // manual runs).
            let next_post = st.last_post_at + bot.every as i64 - schedule::slack(bot.every);
            if st.last_post_at > 0 && (now < st.last_post_at || now < next_post) {
                return Ok(Turn::Not(format!(
                    "posted at {}; next post not before {}",
                    clock::format(st.last_post_at),
                    clock::format(next_post)
                )));
            }
            return Ok(Turn::Interval);
        }
        Err(e) if dry => return Err(e.context(&bot.name)),
        Err(e) => return Err(record::local_failure(store, bot, st, now, e, 0)?),
    };
    match plan {
        (s, slots::Plan::Wait { fire, .. }) => {
            Ok(Turn::Not(format!("next slot {}; not posting", s.local_text(fire))))
        }
        (s, slots::Plan::Serve { slot, post: false, missed }) => {
            let line = format!("{}; --missed skip: no post", s.missed_text(&missed));
            if !dry {
                let t = SlotTurn { slots: s, slot, missed };
                record::success(st, now);
                t.serve(st);
                store.put_state(&bot.name, st)?;
                record::tally(store, &bot.name, now, Counters::default(), Some(("missed", &line)))?;
            }
            Ok(Turn::Not(line))
        }
        (s, slots::Plan::Serve { slot, missed, .. }) => Ok(Turn::Slot(SlotTurn { slots: s, slot, missed })),
    }
}

/// Record a new intent durably (a writer's next post, or a post by hand), then send it.
pub fn send_new(
    store: &Store,
    bot: &Bot,
    st: &mut BotState,
    client: &mut dyn Platform,
    p: Pending,
    now: i64,
) -> Result<String> {
    st.pending = Some(p.clone());
    store.put_state(&bot.name, st)?;
    store.flush()?;
    let line = send(store, bot, st, client, p.clone(), now, true)?;
    thread_on(store, bot, st, client, &p, now, line)
}

/// After `done` (a thread's part, sent or found) was settled: while the next part's intent is
/// recorded (by [`confirm`], in the same write), send it, each durable before it goes out. The
/// line of each part is added to `line`. A known rate limit stops the thread; its next part
/// waits, recorded, for the next run. A failure keeps the failing part for the next run.
fn thread_on(
    store: &Store,
    bot: &Bot,
    st: &mut BotState,
    client: &mut dyn Platform,
    done: &Pending,
    now: i64,
    mut line: String,
) -> Result<String> {
    let mut last = done.key.clone();
    while let Some(next) = st.pending.clone().filter(|n| n.continues() && n.key != last) {
        let points = super::budget::points_blocked(store, bot, super::budget::CREATE_POINTS, now)?;
        if let Some(until) = blocked_until(store, &bot.name, Call::Post, now)?.or(points) {
            line.push_str(&format!(
                "; the thread's next part waits (rate-limited until {})",
                clock::format(until)
            ));
            break;
        }
        store.flush()?;
        last = next.key.clone();
        let more = send(store, bot, st, client, next, now, true)?;
        line.push_str("; ");
        line.push_str(&more);
    }
    Ok(line)
}

/// Send a recorded intent and write the result back. `first`: the intent was recorded by this
/// process and never sent before, so a refusal of this sending is the whole story.
fn send(
    store: &Store,
    bot: &Bot,
    st: &mut BotState,
    client: &mut dyn Platform,
    mut p: Pending,
    now: i64,
    first: bool,
) -> Result<String> {
    p.attempts += 1;
    st.pending = Some(p.clone());
    crate::config::crash_point("send-before-request");
    super::budget::spend(store, bot, super::budget::CREATE_POINTS, now)?;
    // What goes out with the text was fixed with the intent: a resend is the same post.
    match client.post(&p.text, &p.key, &p.meta) {
        Ok(reply) => {
            crate::config::crash_point("send-before-confirm");
            record::rates(store, &bot.name, st, &reply.rates, now)?;
            let part = p.part_of().map(|(k, n)| format!(" (thread, part {k} of {n})")).unwrap_or_default();
            let line = if reply.value.duplicate {
                format!("already posted (the server said duplicate){part}: {}", p.text)
            } else if p.is_reply() {
                format!("replied: {}", p.text)
            } else if p.by_hand() {
                format!("posted by hand: {}", p.text)
            } else {
                format!("posted{part}: {}", p.text)
            };
            let mut posted = reply.value.id.map(|id| PostRef { id, cid: reply.value.cid });
            if posted.is_none() && p.thread.as_ref().is_some_and(|t| !t.rest.is_empty()) {
                // X said "duplicate" without the post's id, which the next part answers: one
                // read of the account's own posts finds it.
                posted = find_own(store, bot, st, client, &p, now)?;
            }
            confirm(store, bot, st, &p, posted, now, line)
        }
        Err(e) if first && p.by_hand() && e.not_performed() => {
            // A post by hand the server refused at its only sending never went out: there is
            // nothing to settle, and as any call by hand it leaves the bot's runs alone.
            st.pending = None;
            store.put_state(&bot.name, st)?;
            let counters = Counters { calls: 1, errors: 1, ..Default::default() };
            Err(record::call_failed(store, &bot.name, now, &e, counters, None)?)
        }
        Err(e)
            if p.is_reply()
                && (e.kind == NetErrorKind::Refused && e.not_performed() || refused_for_good(&e)) =>
        {
            // A reply refused for good (its mention or the mention's author is gone, or the
            // text is not taken): the mention is passed over, the writer's run goes on.
            use super::reply::Skip as Passed;
            let why = if e.kind == NetErrorKind::TooLong { Passed::Nothing } else { Passed::Gone };
            super::reply::dropped(store, &bot.name, &p, why)?;
            st.pending = None;
            store.put_state(&bot.name, st)?;
            let e = e.scrubbed(&*store.secrets()?).named(&bot.name);
            let line = format!("the reply was refused ({}); not sent again: {}", e.message, p.text);
            let counters = Counters { calls: 1, ..Default::default() };
            record::tally(store, &bot.name, now, counters, Some(("skip", &line)))?;
            Ok(line)
        }
        Err(e) if p.continues() && refused_for_good(&e) => {
            // A later part of a thread the server will not take in any form (this text, or
            // on Mastodon a reply to a part that was deleted): the rest of the thread is
            // dropped, never posted unthreaded, and the writer goes on with its next text.
            // Any other refusal (an account locked, a proxy's 403) keeps the part for the next
            // run, like any post.
            st.pending = None;
            store.put_state(&bot.name, st)?;
            let e = e.scrubbed(&*store.secrets()?).named(&bot.name);
            let (k, n) = p.part_of().unwrap_or_default();
            let line = format!(
                "the thread is cut short: part {k} of {n} was refused ({}); it and the {} parts after it are not sent: {}",
                e.message,
                n - k,
                p.text
            );
            let counters = Counters { calls: 1, ..Default::default() };
            record::tally(store, &bot.name, now, counters, Some(("skip", &line)))?;
            Ok(line)
        }
        Err(e) if refused_for_good(&e) => {
            // Refused for good (the server counts differently than we did, or will not take
            // this text in any form): drop this text, move on to the next one. A grammar's
            // text is kept as posted, so its next roll takes another.
            st.pending = None;
            match p.source_post() {
                Some(id) => st.consumed = st.consumed.max(id),
                None if p.source_id == Pending::GENERATED => store.add_hash(&bot.name, p.hash, now)?,
                None => {}
            }
            let err = record::failure(store, bot, st, now, &e, 1)?;
            Err(err)
        }
        Err(e) => {
            // Keep the intent: the next run resends the same text with the same key.
            Err(record::failure(store, bot, st, now, &e, 1)?)
        }
    }
}

/// Whether the server refused a post's text for good: resending the same can never succeed.
fn refused_for_good(e: &crate::net::NetError) -> bool {
    matches!(e.kind, NetErrorKind::TooLong | NetErrorKind::Rejected)
}

/// Record a post as done: the hash against repeats, the cursor past its source, the counters;
/// a reply's mention as answered; a thread's next part as the new intent, in the same write.
/// `posted` is the new post (its id, and on Bluesky its CID), when known. One request made this
/// confirmation.
fn confirm(
    store: &Store,
    bot: &Bot,
    st: &mut BotState,
    p: &Pending,
    posted: Option<PostRef>,
    now: i64,
    mut line: String,
) -> Result<String> {
    store.add_hash(&bot.name, p.hash, now)?;
    if p.thread.is_some() {
        // A thread's part is a post of its own: no later post or part repeats it.
        store.add_hash(&bot.name, super::writer::text_hash(&p.text), now)?;
    }
    if p.is_reply() {
        // Before the intent goes: a kill in between confirms it again, counted once.
        super::reply::answered(store, &bot.name, p, posted.as_ref().map(|r| r.id.as_str()), now)?;
    }
    st.pending = match next_part(bot, p, posted, now) {
        Ok(next) => next,
        Err(left) => {
            line.push_str(&format!(
                "; the thread's {left} other parts are not sent: the network did not say which post this is, \
                 and they must answer it"
            ));
            None
        }
    };
    if bot.role == Role::Writer {
        // The latest of the three: a clock that stepped back must not open the next interval
        // early. A writer's total counts its posts (a reader's its fetched posts, see
        // [`super::stats::Kinds`]); its replies have their own budget, not its interval; a
        // thread counts as one post, at its first part.
        if !p.is_reply() && !p.continues() {
            st.last_post_at = now.max(p.created).max(st.last_post_at);
        }
        if !p.continues() {
            st.total += 1;
        }
    }
    if !p.by_hand() {
        if let Some(id) = p.source_post() {
            st.consumed = st.consumed.max(id);
        }
        record::success(st, now);
    }
    // A post by hand is not one of the bot's runs: its schedule, failures and back-off stay.
    store.put_state(&bot.name, st)?;
    // X bills a post with a link at a higher price (see `model::Prices`).
    let link_posts = u32::from(!crate::text::length::find_urls(&p.text).is_empty());
    record::tally(
        store,
        &bot.name,
        now,
        Counters { posts: 1, calls: 1, link_posts, ..Default::default() },
        Some(("post", &line)),
    )?;
    Ok(line)
}

/// The intent of the thread part after `p`, which was posted as `posted`: it answers `posted`,
/// under the thread's first post, with its own key and everything else `p` carries. `Ok(None)`
/// when `p` is no thread's or its last part; `Err(parts left)` when the post is not known well
/// enough to answer (no id; on Bluesky, no CID).
fn next_part(
    bot: &Bot,
    p: &Pending,
    posted: Option<PostRef>,
    now: i64,
) -> std::result::Result<Option<Pending>, usize> {
    let Some((t, (text, rest))) = p.thread.as_ref().and_then(|t| Some((t, t.rest.split_first()?))) else {
        return Ok(None);
    };
    let needs_cid = bot.platform == PlatformKind::Bluesky;
    let Some(parent) = posted.filter(|r| !r.id.is_empty() && (!needs_cid || r.cid.is_some())) else {
        return Err(t.rest.len());
    };
    let root = match &p.meta.reply_to {
        Some(r) if p.continues() => r.root.clone(),
        _ => parent.clone(),
    };
    Ok(Some(Pending {
        text: text.clone(),
        hash: p.hash,
        key: part_key(bot, p, text, now),
        source_id: p.source_id,
        created: now,
        attempts: 0,
        meta: PostMeta { reply_to: Some(ReplyTo { parent, root, visibility: None }), ..p.meta.clone() },
        thread: Some(Thread { part: t.part + 1, rest: rest.to_vec() }),
    }))
}

/// A thread's part the server took without saying which post it is (X's "duplicate"), found
/// among the account's newest posts (one read), so that the next part can answer it; `None`
/// when it is not there. A read a known limit forbids, or that fails, leaves the part
/// unconfirmed for the next run.
fn find_own(
    store: &Store,
    bot: &Bot,
    st: &mut BotState,
    client: &mut dyn Platform,
    p: &Pending,
    now: i64,
) -> Result<Option<PostRef>> {
    if let Some(until) = blocked_until(store, &bot.name, Call::OwnPosts, now)? {
        store.put_state(&bot.name, st)?;
        return Err(FarmError::temp(format!(
            "{}: part of a thread was posted, but its own posts may not be read to find it until {}; \
             it stays unconfirmed: {}",
            bot.name,
            clock::format(until),
            p.text
        )));
    }
    let (_, found) = read_own(store, bot, st, client, p, LOOK_BACK, now)?;
    record::tally(store, &bot.name, now, Counters { calls: 1, ..Default::default() }, None)?;
    Ok(found)
}

/// One read of the account's `look_back` newest posts (its rate windows kept, the posts read
/// counted): the posts, and the one that is the pending post `p`, if it is there.
fn read_own(
    store: &Store,
    bot: &Bot,
    st: &mut BotState,
    client: &mut dyn Platform,
    p: &Pending,
    look_back: usize,
    now: i64,
) -> Result<(Vec<crate::net::OwnPost>, Option<PostRef>)> {
    let res = client.own_posts(look_back);
    let own = called(store, bot, st, client, res, now)?;
    record::tally(store, &bot.name, now, Counters { read: own.len() as u32, ..Default::default() }, None)?;
    let found = own.iter().find(|o| super::writer::same_post(&p.text, &o.text) && could_be(p, o));
    let found = found.map(|o| PostRef { id: o.id.to_string(), cid: None });
    Ok((own, found))
}

/// Whether the account's post `o` of the same text can be the pending post `p`: a thread's later
/// part was posted after the part it answers, so its id is greater (X and Mastodon ids grow with
/// time; no clock is asked, as a clock off by an hour must not make farm miss the post it looks
/// for and send it again). A later part may repeat an older post of the account, which is
/// another one. Every other post, a thread's first part included, is a text the writer never
/// posted before ([`super::writer`] checks).
fn could_be(p: &Pending, o: &crate::net::OwnPost) -> bool {
    let parent = p.meta.reply_to.as_ref().filter(|_| p.continues()).map(|r| r.parent.id.parse::<u64>());
    match parent {
        Some(Ok(parent)) => o.id > parent,
        _ => true,
    }
}

/// How many of its own newest posts a writer reads to find an unconfirmed post. The writer
/// posts nothing else while a post is unconfirmed, so it is among the newest few.
const LOOK_BACK: usize = 20;

/// How many of its own newest posts a reader reads to find an unconfirmed post by hand: its
/// account may be a person's, who posts more.
const LOOK_BACK_OTHER: usize = 100;

/// How far a server's time of a post may be from farm's clock when it was recorded.
const SKEW: i64 = 600;

/// Past the server's dedup window, look for an unconfirmed post among the account's own newest
/// posts (one read). `Some(line)` when the run is done: the post was found (and is recorded as
/// posted), the read could not be made, or (a reader's account, which a person may post from)
/// the posts read do not reach back to the post's time, so not finding it proves nothing: it
/// stays unconfirmed, never sent blind. `None` when it is surely not there: send it.
fn look_for_pending(
    store: &Store,
    bot: &Bot,
    st: &mut BotState,
    client: &mut dyn Platform,
    p: &Pending,
    now: i64,
) -> Result<Option<String>> {
    if let Some(until) = blocked_until(store, &bot.name, Call::OwnPosts, now)? {
        return Ok(Some(format!(
            "rate-limited until {}; the unconfirmed post waits (its own posts must be read first)",
            clock::format(until)
        )));
    }
    let look_back = if bot.role == Role::Writer { LOOK_BACK } else { LOOK_BACK_OTHER };
    let (own, found) = read_own(store, bot, st, client, p, look_back, now)?;
    if let Some(posted) = found {
        let line = format!("already posted (found among its own posts): {}", p.text);
        return confirm(store, bot, st, p, Some(posted), now, line).map(Some);
    }
    record::tally(store, &bot.name, now, Counters { calls: 1, ..Default::default() }, None)?;
    // The whole account was read, or a post older than this one was (a time ahead of the clock
    // tells no age).
    let older = |o: &crate::net::OwnPost| o.created_at > 0 && o.created_at < p.created - SKEW;
    let reaches_back = own.len() < look_back || (p.created <= now && own.iter().any(older));
    if bot.role != Role::Writer && !reaches_back {
        let line = format!(
            "the unconfirmed post is not among its newest {look_back} posts, which do not reach back \
             to {}; not sent again (it may be there): {}",
            clock::format(p.created),
            p.text
        );
        record::tally(store, &bot.name, now, Counters::default(), Some(("post", &line)))?;
        return Ok(Some(line));
    }
    Ok(None)
}

/// The value of a run's call `res` made through `client`: the account id the client learned is
/// kept, the call's rate windows are stored; a failure is recorded as the run's
/// ([`record::failure`]) and returned.
pub(super) fn called<T>(
    store: &Store,
    bot: &Bot,
    st: &mut BotState,
    client: &dyn Platform,
    res: crate::net::NetResult<T>,
    now: i64,
) -> Result<T> {
    if let Some(id) = client.account_id() {
        st.account_id = Some(id);
    }
    match res {
        Ok(r) => {
            record::rates(store, &bot.name, st, &r.rates, now)?;
            Ok(r.value)
        }
        Err(e) => Err(record::failure(store, bot, st, now, &e, 1)?),
    }
}

/// The exit code class of a set of outcomes: the most serious failure.
pub fn worst(outcomes: &[Outcome]) -> Option<Kind> {
    outcomes.iter().filter_map(|o| o.error.as_ref().map(|e| e.kind)).max_by_key(|k| k.severity())
}
