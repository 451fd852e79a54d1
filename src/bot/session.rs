//! A Bluesky bot's session: made once from its app password, then kept and refreshed, never
//! made again on every run (Bluesky allows 30 logins per 5 minutes and 300 a day per account).
//!
//! Before any call, [`ensure`] makes sure the bot has an access token that is good for at
//! least [`REFRESH_AHEAD`] more seconds: a stored one; else one from `refreshSession` with the
//! stored refresh token; else, only when there is no session or the refresh token was refused,
//! one from `createSession` with the app password. A new pair is written to the store and
//! flushed before it is used (the old refresh token stays valid for 2 hours on the server, so a
//! crash in between loses nothing). A login the server refuses (`401`) is remembered: farm does
//! not try that password again until `farm auth` or `farm edit --credentials` gives a new one.
//!
//! What is kept: the identifier, app password and the two tokens in the bot's credentials
//! (secrets: masked everywhere, left out by `export --no-secrets`); the account's DID and PDS in
//! its settings ([`DID`], [`PDS`]).

use super::Bot;
use crate::error::Result;
use crate::net::bluesky::{self, Session};
use crate::net::{Account, NetError, NetErrorKind, PlatformKind, Reply};
use crate::store::Store;

/// Setting: the account's DID, learned at login.
pub const DID: &str = "did";
/// Setting: the account's PDS, from the DID document of the login answer.
pub const PDS: &str = "pds";
/// Setting: a fingerprint of the identifier and app password the server refused.
pub const REFUSED: &str = "login_refused";

/// An access token is refreshed when it expires within this many seconds.
pub const REFRESH_AHEAD: i64 = 10 * 60;

/// The bot with a usable session for a run at `now` (see the module docs): `Ok(Err(_))` when
/// the network or the server said no (the caller records it as the run's failure).
pub fn ensure(store: &Store, bot: &Bot, now: i64) -> Result<std::result::Result<Bot, NetError>> {
    Ok(ensure_noting_login(store, bot, now)?.map(|(b, _)| b))
}

/// [`ensure`], with the account the login answer named when it had to log in: `createSession`
/// proves the credentials (handle and DID) as a `getSession` would, so `farm check` makes no
/// second call then. `None` when the session was kept or refreshed.
pub fn ensure_noting_login(store: &Store, bot: &Bot, now: i64) -> Result<Ensured> {
    if bot.platform != PlatformKind::Bluesky {
        return Ok(Ok((bot.clone(), None)));
    }
    let c = &bot.creds;
    let fresh = !c.access_token.is_empty()
        && bot.setting(DID).is_some()
        && bluesky::jwt_expiry(&c.access_token).is_none_or(|exp| exp > now.saturating_add(REFRESH_AHEAD));
    if fresh {
        return Ok(Ok((bot.clone(), None)));
    }
    if !c.access_secret.is_empty() {
        let pds = pds_of(bot);
        match bluesky::refresh_session(&pds, &c.access_secret, now) {
            Ok(r) => return save(store, bot, r.value, &pds).map(|b| Ok((b, None))),
            // The refresh token is dead (expired, revoked) or the account moved: log in again.
            Err(e) if e.session_expired || matches!(e.kind, NetErrorKind::Auth | NetErrorKind::Refused) => {}
            Err(e) => return Ok(Err(e)),
        }
    }
    login(store, bot, now)
}

/// What [`ensure_noting_login`] gives: the bot with a usable session and, when it logged in,
/// the account the login answer named; or what the network or server said.
pub type Ensured = std::result::Result<(Bot, Option<Reply<Account>>), NetError>;

/// The PDS a bot talks to: the one learned at login, else its `--api`.
pub fn pds_of(bot: &Bot) -> String {
    bot.setting(PDS).unwrap_or(&bot.api).to_string()
}

/// `createSession` with the stored app password, unless the server refused exactly it before.
fn login(store: &Store, bot: &Bot, now: i64) -> Result<Ensured> {
    let c = &bot.creds;
    if c.consumer_key.is_empty() || c.consumer_secret.is_empty() {
        return Ok(Err(NetError::new(
            NetErrorKind::Auth,
            "no Bluesky session and no app password stored; run `farm auth NAME`",
        )));
    }
    let fp = fingerprint(&c.consumer_key, &c.consumer_secret);
    if bot.setting(REFUSED) == Some(fp.as_str()) {
        return Ok(Err(NetError::new(
            NetErrorKind::Auth,
            "Bluesky refused this app password; farm will not log in with it again: give a new one with `farm auth NAME` or `farm edit NAME --credentials`",
        )));
    }
    // A 429 on an earlier login (30 per 5 minutes, 300 a day) holds every login until its reset.
    if let Some(until) = super::record::blocked_until(store, &bot.name, crate::net::Call::Verify, now)? {
        return Ok(Err(NetError::new(
            NetErrorKind::RateLimited,
            format!("logins are rate-limited until {}; farm logs in then", crate::clock::format(until)),
        )));
    }
    match bluesky::create_session(&bot.api, &c.consumer_key, &c.consumer_secret, now) {
        Ok(r) => {
            let account = Account { id: r.value.did.clone(), username: r.value.handle.clone(), bot: None };
            let b = save(store, bot, r.value, &bot.api)?;
            Ok(Ok((b, Some(Reply { value: account, rates: r.rates }))))
        }
        Err(e) if e.kind == NetErrorKind::Auth => {
            let mut b = store.bot(&bot.name)?.unwrap_or_else(|| bot.clone());
            b.set_setting(REFUSED, Some(fp));
            b.creds.access_token.clear();
            b.creds.access_secret.clear();
            store.put_bot(&b)?;
            store.flush()?;
            Ok(Err(e))
        }
        Err(e) => Ok(Err(e)),
    }
}

/// Store a new session (durably) and return the bot that has it. `at` is where it was made:
/// the PDS when the answer names none.
fn save(store: &Store, bot: &Bot, s: Session, at: &str) -> Result<Bot> {
    let mut b = store.bot(&bot.name)?.unwrap_or_else(|| bot.clone());
    b.creds.access_token = s.access;
    b.creds.access_secret = s.refresh;
    b.set_setting(DID, Some(s.did));
    b.set_setting(PDS, Some(s.pds.unwrap_or_else(|| at.trim_end_matches('/').to_string())));
    b.set_setting(REFUSED, None);
    store.put_bot(&b)?;
    store.flush()?;
    Ok(b)
}

/// Drop a bot's access token after the server refused it, so that the next run refreshes the
/// session (with the refresh token; no login).
pub fn forget_access(store: &Store, name: &str) -> Result<()> {
    if let Some(mut b) = store.bot(name)? {
        if b.platform == PlatformKind::Bluesky && !b.creds.access_token.is_empty() {
            b.creds.access_token.clear();
            store.put_bot(&b)?;
        }
    }
    Ok(())
}

/// A fingerprint of an identifier and password (not the password: a hash of both).
fn fingerprint(identifier: &str, password: &str) -> String {
    format!("{:016x}", crate::text::dedup::hash(&format!("{identifier}\u{0}{password}")))
}
