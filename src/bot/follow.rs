//! Readers that follow named public accounts (`--follow`), besides or instead of their home
//! timeline: who they follow, how each account is read, and consent.
//!
//! Each account is looked up once by its name and from then on read by its stable id
//! ([`Followed`]: a Mastodon account id, a Bluesky DID, an X user id), with a cursor of its
//! own, so a renamed account is still followed. A run reads every account it can, one list
//! call per account (more pages only while there are newer posts, up to `--cap`); an account
//! that cannot be read (gone, suspended, deactivated, blocked, moved, or failing for a passing
//! reason) gets that status and does not stop the others. The run succeeds when any source was
//! read.
//!
//! **Consent.** An account whose profile says `#nobot` or `#noai` is not read, and the posts
//! the reader cached from it are removed, with a `consent` event. The profile is read when the
//! account is first looked up and then at most once a day ([`CHECK_EVERY`]); an account whose
//! profile no longer says so is read again from then on, never back to what it posted before.

use super::record;
use super::run::Connector;
use crate::clock;
use crate::error::{FarmError, Kind, Result};
use crate::model::{Bot, BotState, Counters, Followed, Post, Role, SourceStatus};
use crate::net::{
    AccountRef, Credentials, Endpoint, NetError, NetErrorKind, Platform, PlatformKind, Profile,
};
use crate::store::Store;
use std::collections::HashMap;

/// The reader setting that makes a reader with followed accounts read its home timeline too.
pub const HOME_KEY: &str = "home";
/// The reader setting that makes it read the followed accounts' reposts (boosts, retweets) too.
pub const REPOSTS_KEY: &str = "reposts";
/// The reader setting naming the PLC directory where Bluesky DIDs are resolved.
pub const PLC_KEY: &str = "plc";
/// The PLC directory of the Bluesky network.
pub const DEFAULT_PLC: &str = "https://plc.directory";
/// How often a followed account's profile is read again (consent, a new name, a new server).
pub const CHECK_EVERY: i64 = 86_400;

/// The normalised form of a `--follow` value on `platform`: `user@instance` on Mastodon (an
/// account of `api`'s instance when the instance is left out), a handle or DID on Bluesky, a
/// username on X. Lower case: names on all three are case-insensitive.
pub fn parse_spec(platform: PlatformKind, raw: &str, api: Option<&str>) -> Result<String> {
    let name = raw.trim().trim_start_matches('@').to_ascii_lowercase();
    let word = |s: &str, extra: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.chars().all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
    };
    let bad = |what: &str| Err(FarmError::usage(format!("--follow {raw:?} is not {what}")));
    match platform {
        PlatformKind::Mastodon => {
            let (user, instance) = match name.split_once('@') {
                Some((u, i)) => (u.to_string(), i.to_string()),
                None => match api {
                    Some(api) => (name.clone(), crate::net::http::host_of(api).to_ascii_lowercase()),
                    None => return bad("a Mastodon account: use @user@instance.example"),
                },
            };
            if !word(&user, "_.-", 64) || !word(&instance, ".-:[]", 253) {
                return bad("a Mastodon account: use @user@instance.example");
            }
            Ok(format!("{user}@{instance}"))
        }
        PlatformKind::Bluesky => {
            if let Some(rest) = name.strip_prefix("did:") {
                if (rest.starts_with("plc:") || rest.starts_with("web:")) && word(rest, ":._-%", 2000) {
                    return Ok(name);
                }
                return bad("a Bluesky handle or DID (did:plc:…, did:web:…)");
            }
            let labels: Vec<&str> = name.split('.').collect();
            let ok = labels.len() >= 2 && name.len() <= 253 && labels.iter().all(|l| word(l, "-", 63));
            if !ok {
                return bad("a Bluesky handle: use e.g. alice.bsky.social");
            }
            Ok(name)
        }
        PlatformKind::X => {
            if !word(&name, "_", 15) {
                return bad("an X username (up to 15 letters, digits and _)");
            }
            Ok(name)
        }
        PlatformKind::XV1 | PlatformKind::Feed | PlatformKind::Corpus => Err(FarmError::usage(format!(
            "--follow: a reader on {} cannot follow accounts; use --platform x, mastodon or bluesky",
            platform.name()
        ))),
    }
}

/// The instance of a Mastodon spec (`user@instance`), as the base URL of its API.
pub fn instance_api(spec: &str) -> Option<String> {
    spec.rsplit_once('@').map(|(_, i)| crate::net::http::base_url(i))
}

/// Whether a reader reads its home timeline: always without followed accounts, with them only
/// when asked (`--home`).
pub fn reads_home(bot: &Bot, follows: bool) -> bool {
    !follows || bot.setting(HOME_KEY) == Some("yes")
}

/// Whether `bot` needs no credentials at all: a reader that only follows public accounts on a
/// network that shows them to anyone (Mastodon, Bluesky). X bills every read to an app and a
/// user, so an X reader always needs its keys.
pub fn public_only(bot: &Bot, follows: bool) -> bool {
    bot.role == Role::Reader
        && !reads_home(bot, follows)
        && matches!(bot.platform, PlatformKind::Mastodon | PlatformKind::Bluesky)
}

/// Whether `bot` is a reader of public accounts only ([`public_only`]) as stored: it calls
/// without credentials, so there are none to ask for, check or refuse it for.
pub fn public_reader(store: &Store, bot: &Bot) -> Result<bool> {
    Ok(bot.role == Role::Reader && public_only(bot, store.has_follows(&bot.name)?))
}

/// Whether a profile text withholds consent: the hashtag `#nobot` or `#noai`, in any case,
/// not followed by another letter, digit or `_` (`#nobots` is another tag).
pub fn refuses(note: &str) -> bool {
    let lower = note.to_lowercase();
    ["#nobot", "#noai"].iter().any(|tag| {
        lower.match_indices(tag).any(|(i, _)| {
            let after = lower[i + tag.len()..].chars().next();
            !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    })
}

/// The status word of a followed account, as `farm show` and `farm stats` print it.
pub fn status_text(status: &SourceStatus) -> String {
    match status {
        SourceStatus::New => "new (looked up on the next run)".into(),
        SourceStatus::Ok => "ok".into(),
        SourceStatus::Renamed { from } => format!("renamed from {from} (followed by its id)"),
        SourceStatus::Moved { to } => format!("moved to {to} (follow that account to go on)"),
        SourceStatus::Gone => "gone (its server does not know it)".into(),
        SourceStatus::Suspended => "suspended by its server".into(),
        SourceStatus::Deactivated => "deactivated by its owner".into(),
        SourceStatus::Blocked => "blocked (its posts are not public)".into(),
        SourceStatus::NoConsent => "no consent (#nobot or #noai in its profile): not read".into(),
        SourceStatus::Failing => "failing (retried next run)".into(),
    }
}

/// The stable name of a status, for JSON: `new`, `ok`, `renamed`, `moved`, `gone`,
/// `suspended`, `deactivated`, `blocked`, `no consent`, `failing`.
pub fn status_name(s: &SourceStatus) -> &'static str {
    match s {
        SourceStatus::New => "new",
        SourceStatus::Ok => "ok",
        SourceStatus::Renamed { .. } => "renamed",
        SourceStatus::Moved { .. } => "moved",
        SourceStatus::Gone => "gone",
        SourceStatus::Suspended => "suspended",
        SourceStatus::Deactivated => "deactivated",
        SourceStatus::Blocked => "blocked",
        SourceStatus::NoConsent => "no consent",
        SourceStatus::Failing => "failing",
    }
}

/// `3/4 ok`: how many of a reader's followed accounts are read, for `farm stats`.
pub fn summary(follows: &[Followed]) -> String {
    let ok = follows.iter().filter(|f| f.status.is_ok()).count();
    format!("{ok}/{} ok", follows.len())
}

/// What reading the followed accounts found, for the run.
#[derive(Default)]
struct Reading {
    /// New posts, in the order they are to be cached.
    posts: Vec<Post>,
    /// Requests made.
    calls: u32,
    /// Followed accounts read.
    read: usize,
    /// Whether the home timeline was read.
    home_read: bool,
    /// Sources tried that failed for a passing reason, and their errors.
    failed: Vec<NetError>,
    /// Accounts that cannot be read for now (gone, suspended, no consent…).
    unreadable: usize,
    /// Sources held back by a rate limit.
    held: usize,
    /// The authors whose cached posts go (consent withdrawn).
    purge: Vec<String>,
    /// Events to log: (kind, message).
    events: Vec<(&'static str, String)>,
}

/// One run of a reader that follows accounts: its home timeline too when it reads it, every
/// followed account it can, the new posts cached at the new end of its cache, the posts of an
/// account that withdrew its consent removed, the cursors stored, retention applied.
pub fn run(store: &Store, bot: &Bot, now: i64, dry: bool, connect: &Connector) -> Result<String> {
    let mut st = store.state(&bot.name)?;
    let mut follows = store.follows(&bot.name)?;
    let home = reads_home(bot, true);
    if dry {
        let home = match (&st.cursor, home) {
            (_, false) => String::new(),
            (Some(c), true) => format!(" and the home timeline since {c}"),
            (None, true) => " and the home timeline's newest page".into(),
        };
        return Ok(format!("would read {} followed accounts ({}){home}", follows.len(), summary(&follows)));
    }
    let mut r = Reading::default();
    let mut home_cursor = None;
    if home {
        read_home(store, bot, &mut st, now, connect, &mut r, &mut home_cursor)?;
    }
    let ep = match bot.platform {
        // X bills its reads to the reader's app and user: signed with its credentials.
        PlatformKind::X => super::endpoint_at(store, bot, &st, now)?,
        // Public accounts are read without credentials: none are ever sent to their servers.
        _ => Endpoint {
            kind: bot.platform,
            api: bot.api.clone(),
            creds: Credentials::default(),
            account_id: None,
        },
    };
    let mut client = connect(ep);
    read_accounts(bot, client.as_mut(), &mut follows, now, &mut r);
    let new = match super::run::cache(store, bot, &st, now, std::mem::take(&mut r.posts), true) {
        Ok(n) => n,
        // A damaged or lost posts shard: no cursor moves, so these posts are read again.
        Err(e) => return Err(record::local_failure(store, bot, &mut st, now, e, r.calls)?),
    };
    if !r.purge.is_empty() {
        let removed = store.purge_authors(&bot.name, &r.purge)?;
        for w in super::registry::dependents(store, &bot.name)?.iter().filter(|w| w.role == Role::Writer) {
            store.note_consumed(&w.name, &bot.name, store.state(&w.name)?.consumed)?;
        }
        r.events.push(("consent", format!("removed the {removed} cached posts of {}", r.purge.join(", "))));
    }
    crate::config::crash_point("follows-cached");
    store.put_follows(&bot.name, &follows)?;
    for (kind, message) in &r.events {
        record::tally(store, &bot.name, now, Counters::default(), Some((kind, message)))?;
    }
    if let Some(c) = home_cursor {
        st.cursor = Some(c);
    }
    let removed = super::run::prune(store, bot, &mut st, now)?;
    let home_text = if home { " and the home timeline" } else { "" };
    let mut line = format!(
        "read {new} new posts ({} cached, {removed} dropped; {} of {} followed accounts{home_text})",
        st.cached,
        r.read,
        follows.len()
    );
    let mut problems = Vec::new();
    if !r.failed.is_empty() {
        problems.push(format!("{} failing", r.failed.len()));
    }
    if r.unreadable > 0 {
        problems.push(format!("{} unreadable", r.unreadable));
    }
    if r.held > 0 {
        problems.push(format!("{} held by a rate limit", r.held));
    }
    if !problems.is_empty() {
        line.push_str(&format!("; {}: see `farm show {}`", problems.join(", "), bot.name));
    }
    // Succeeds when a source was read, or nothing went wrong (every source waits for a reset).
    if r.read > 0 || r.home_read || (r.failed.is_empty() && r.unreadable == 0) {
        record::success(&mut st, now);
        st.total += new as u64;
        store.put_state(&bot.name, &st)?;
        // The posts read, for the X bill: the new ones (a post the server sends again is not
        // counted, so the bill may be a little low, never high).
        let counters =
            Counters { fetched: new as u32, read: new as u32, calls: r.calls, ..Default::default() };
        record::tally(store, &bot.name, now, counters, Some(("read", &line)))?;
        return Ok(line);
    }
    // Nothing could be read: the run fails with the worst reason.
    match r.failed.into_iter().max_by_key(|e| e.exit_kind().severity()) {
        Some(e) => {
            let e = NetError { message: format!("{}; {line}", e.message), ..e };
            Err(record::failure(store, bot, &mut st, now, &e, r.calls)?)
        }
        None => {
            let e = FarmError::new(
                Kind::Config,
                format!(
                    "no followed account can be read ({}); see `farm show {}`, then `farm edit {} --unfollow NAME` or --follow another",
                    summary(&follows),
                    bot.name,
                    bot.name
                ),
            );
            Err(record::local_failure(store, bot, &mut st, now, e, r.calls)?)
        }
    }
}

/// Read the home timeline of a reader that follows accounts too (`--home`): its posts join the
/// run's, its new cursor is stored with them. A failure is one failing source, not the run's.
fn read_home(
    store: &Store,
    bot: &Bot,
    st: &mut BotState,
    now: i64,
    connect: &Connector,
    r: &mut Reading,
    cursor: &mut Option<String>,
) -> Result<()> {
    if record::blocked_until(store, &bot.name, crate::net::Call::Timeline, now)?.is_some() {
        r.held += 1;
        return Ok(());
    }
    let res = match super::session::ensure(store, bot, now)? {
        Ok(fresh) => {
            let mut client = connect(super::endpoint_at(store, &fresh, st, now)?);
            let res = client.home_timeline(st.cursor.as_deref(), bot.reader.cap as usize);
            if let Some(id) = client.account_id() {
                st.account_id = Some(id);
            }
            res
        }
        Err(e) => Err(e),
    };
    match res {
        Ok(reply) => {
            record::rates(store, &bot.name, st, &reply.rates, now)?;
            r.calls += reply.value.calls.max(1);
            r.posts.extend(reply.value.posts);
            *cursor = reply.value.cursor;
            r.home_read = true;
        }
        Err(e) => {
            r.calls += 1;
            // A 429's window holds the home timeline back, whatever the followed accounts do.
            record::rates(store, &bot.name, st, e.rate.as_slice(), now)?;
            let e = NetError { message: format!("the home timeline: {}", e.message), ..e };
            r.events.push(("error", e.message.clone()));
            r.failed.push(e);
        }
    }
    Ok(())
}

/// Whether an account's posts can be read now: it was found, and is ok (or failing, retried).
fn readable(f: &Followed) -> bool {
    f.id.is_some() && f.home.is_some() && (f.status.is_ok() || f.status == SourceStatus::Failing)
}

/// Read every followed account the run may read, in `follows` (updated in place).
fn read_accounts(bot: &Bot, client: &mut dyn Platform, follows: &mut [Followed], now: i64, r: &mut Reading) {
    let directory = bot.setting(PLC_KEY).unwrap_or(DEFAULT_PLC).to_string();
    let reposts = bot.setting(REPOSTS_KEY) == Some("yes");
    let cap = bot.reader.cap as usize;
    let mut fetched: Vec<Post> = Vec::new();
    // Servers whose rate limit is used up: the accounts they hold wait for the reset.
    let mut held: HashMap<String, i64> = HashMap::new();
    for f in follows.iter_mut() {
        let server_held = f.home.as_ref().and_then(|h| held.get(h)).copied();
        if let Some(until) = f.held_until.filter(|u| *u > now).or(server_held) {
            f.held_until = Some(until);
            r.held += 1;
            continue;
        }
        f.held_until = None;
        if f.checked_at == 0 || now >= f.checked_at + CHECK_EVERY || now < f.checked_at {
            let Some(p) = profile(client, f, &directory, now, r, &mut held) else { continue };
            apply_profile(bot, f, p, now, r);
        }
        if !readable(f) {
            r.unreadable += 1;
            continue;
        }
        let Some(mut got) = posts(client, f, cap, reposts, now, r, &mut held) else { continue };
        if got.status != SourceStatus::Ok {
            // Why not: its profile says (a suspension), or its posts moved to another server.
            let before = f.home.clone();
            let Some(p) = profile(client, f, &directory, now, r, &mut held) else { continue };
            apply_profile(bot, f, p, now, r);
            if readable(f) && f.home != before {
                let Some(again) = posts(client, f, cap, reposts, now, r, &mut held) else { continue };
                got = again;
            }
            if got.status != SourceStatus::Ok {
                if readable(f) {
                    // Its profile is fine, its posts are not to be read: their answer says why.
                    set_status(f, got.status, r);
                }
                r.unreadable += 1;
                continue;
            }
        }
        let mut new = got.timeline.posts;
        // Nothing from before its consent came back.
        new.retain(|p| f.read_from == 0 || p.created_at == 0 || p.created_at >= f.read_from);
        f.fetched += new.len() as u64;
        fetched.extend(new);
        if got.timeline.cursor.is_some() {
            f.cursor = got.timeline.cursor;
        }
        f.last_read = now;
        f.last_error = None;
        if f.status == SourceStatus::Failing {
            f.status = SourceStatus::Ok;
        }
        r.read += 1;
    }
    // The posts of all accounts in the order they were made.
    fetched.sort_by_key(|p| (p.created_at, p.id));
    r.posts.extend(fetched);
}

/// Look an account up (by name the first time, then by its id): its profile, or `None` when
/// the request failed (recorded on the account).
fn profile(
    client: &mut dyn Platform,
    f: &mut Followed,
    directory: &str,
    now: i64,
    r: &mut Reading,
    held: &mut HashMap<String, i64>,
) -> Option<Profile> {
    let looked = match f.id.clone().zip(f.home.clone()) {
        Some((id, home)) => client.account_profile(AccountRef { id: &id, home: &home }, directory),
        None => client.find_account(&f.spec, directory),
    };
    match looked {
        Ok(reply) => {
            r.calls += 1;
            note_held(&reply.rates, f, now, held);
            Some(reply.value)
        }
        Err(e) => {
            fail(f, e, now, r, held);
            None
        }
    }
}

/// Read an account's new posts: what its server said, or `None` when the request failed
/// (recorded on the account).
fn posts(
    client: &mut dyn Platform,
    f: &mut Followed,
    cap: usize,
    reposts: bool,
    now: i64,
    r: &mut Reading,
    held: &mut HashMap<String, i64>,
) -> Option<crate::net::AccountPosts> {
    let (id, home) = (f.id.clone().unwrap_or_default(), f.home.clone().unwrap_or_default());
    match client.account_posts(AccountRef { id: &id, home: &home }, f.cursor.as_deref(), cap, reposts) {
        Ok(reply) => {
            r.calls += reply.value.timeline.calls.max(1);
            note_held(&reply.rates, f, now, held);
            Some(reply.value)
        }
        Err(e) => {
            fail(f, e, now, r, held);
            None
        }
    }
}

/// A used-up window in `rates`: the account, and every account of its server, wait for its
/// reset.
fn note_held(rates: &[crate::net::RateInfo], f: &Followed, now: i64, held: &mut HashMap<String, i64>) {
    for w in rates.iter().filter(|w| w.remaining == 0 && w.reset > now) {
        let until = super::schedule::cap_reset(w.reset, now);
        if let Some(home) = &f.home {
            let e = held.entry(home.clone()).or_insert(until);
            *e = (*e).max(until);
        }
    }
}

/// A failed request for account `f`: failing (retried next run), held until the reset of a
/// rate limit.
fn fail(f: &mut Followed, e: NetError, now: i64, r: &mut Reading, held: &mut HashMap<String, i64>) {
    r.calls += 1;
    f.last_error = Some(format!("{}: {}", f.handle, e.message));
    if e.kind == NetErrorKind::RateLimited {
        let until = e.rate.map_or(now + crate::net::http::DEFAULT_RATE_WINDOW, |w| {
            super::schedule::cap_reset(w.reset, now)
        });
        f.held_until = Some(until);
        if let Some(home) = &f.home {
            held.insert(home.clone(), until);
        }
        r.held += 1;
        return;
    }
    if f.status.is_ok() || f.status == SourceStatus::New {
        f.status = SourceStatus::Failing;
    }
    // Its server's windows are not the reader's own: they hold only its accounts (above).
    let e = NetError { message: format!("{}: {}", f.handle, e.message), rate: None, ..e };
    r.failed.push(e);
}

/// Set an account's status from what its server said, with an event when it changes.
fn set_status(f: &mut Followed, status: SourceStatus, r: &mut Reading) {
    if f.status == status {
        return;
    }
    if !status.is_ok() {
        r.events.push(("follow", format!("{}: {}", f.handle, status_text(&status))));
    }
    f.status = status;
}

/// Take in what an account's profile says: its id, name and server (a rename, a move of its
/// posts to another server), whether it can be read, and consent.
fn apply_profile(bot: &Bot, f: &mut Followed, p: Profile, now: i64, r: &mut Reading) {
    f.checked_at = now;
    if p.status != SourceStatus::Ok {
        set_status(f, p.status, r);
        return;
    }
    if f.id.is_none() {
        f.id = Some(p.id.clone());
        f.handle = p.handle.clone();
    }
    if f.home.as_deref() != Some(p.home.as_str()) {
        if f.home.is_some() {
            r.events.push(("follow", format!("{}: its posts are now at {}", f.handle, p.home)));
        }
        f.home = Some(p.home.clone());
    }
    if refuses(&p.note) {
        if f.status != SourceStatus::NoConsent {
            r.events.push((
                "consent",
                format!("{}: its profile says #nobot or #noai: not read from now on", f.handle),
            ));
            r.purge.extend(authors(bot, f, &p));
            f.cursor = None;
        }
        f.status = SourceStatus::NoConsent;
        return;
    }
    if f.status == SourceStatus::NoConsent {
        r.events.push((
            "consent",
            format!("{}: its profile no longer says #nobot or #noai: read again from now", f.handle),
        ));
        f.read_from = now;
        f.status = SourceStatus::Ok;
    }
    let renamed = !p.handle.eq_ignore_ascii_case(&f.handle);
    if renamed {
        r.events.push(("follow", format!("{} is now {}: followed by its id", f.handle, p.handle)));
        f.status = SourceStatus::Renamed { from: std::mem::replace(&mut f.handle, p.handle) };
    } else if !f.status.is_ok() {
        f.status = SourceStatus::Ok;
    }
}

/// The names a followed account's posts may be cached under: its handle now and before, its
/// id, and on Mastodon its bare user name when it is on the reader's own instance (as the home
/// timeline names local accounts).
fn authors(bot: &Bot, f: &Followed, p: &Profile) -> Vec<String> {
    let mut names = vec![f.handle.clone(), p.handle.clone(), f.spec.clone(), p.id.clone()];
    if let SourceStatus::Renamed { from } = &f.status {
        names.push(from.clone());
    }
    let host = crate::net::http::host_of(&bot.api).to_ascii_lowercase();
    for n in names.clone() {
        if let Some((user, instance)) = n.rsplit_once('@') {
            if instance.eq_ignore_ascii_case(&host) {
                names.push(user.to_string());
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// A line for `farm show` about when an account was last read.
pub fn last_read_text(f: &Followed) -> String {
    if f.last_read > 0 {
        clock::short(f.last_read)
    } else {
        "never".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_tags() {
        for yes in ["#nobot", "Bot-free zone. #NoBot", "art #noai, please", "#noai\nmore", "<p>#NOAI</p>"] {
            assert!(refuses(yes), "{yes}");
        }
        for no in ["", "#nobots fan", "#noair", "nobot", "#no_bot", "#noai_art"] {
            assert!(!refuses(no), "{no}");
        }
    }

    #[test]
    fn specs() {
        use PlatformKind::*;
        let m = |s: &str, api: Option<&str>| parse_spec(Mastodon, s, api);
        assert_eq!(m("@Alice@Mastodon.Social", None).unwrap(), "alice@mastodon.social");
        assert_eq!(m("alice@127.0.0.1:8080", None).unwrap(), "alice@127.0.0.1:8080");
        assert_eq!(m("@alice", Some("https://m.example")).unwrap(), "alice@m.example");
        assert!(m("@alice", None).is_err());
        assert!(m("@al ice@m.example", None).is_err());
        assert!(m("https://m.example/@alice", None).is_err());
        let b = |s: &str| parse_spec(Bluesky, s, None);
        assert_eq!(b("@Alice.bsky.social").unwrap(), "alice.bsky.social");
        assert_eq!(b("did:plc:abc234").unwrap(), "did:plc:abc234");
        assert!(b("alice").is_err());
        assert!(b("did:key:z6M").is_err());
        assert_eq!(parse_spec(X, "@Jack_1", None).unwrap(), "jack_1");
        assert!(parse_spec(X, "a_name_that_is_too_long", None).is_err());
        assert_eq!(parse_spec(Feed, "a", None).unwrap_err().kind, Kind::Usage);
        assert_eq!(instance_api("alice@127.0.0.1:8080").as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(instance_api("alice@m.example").as_deref(), Some("https://m.example"));
    }
}
