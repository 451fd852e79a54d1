//! The domain: bots, their schedule, and what a run does. Talks to the [`crate::store::Store`]
//! and to [`crate::net::Platform`] only, never to sled or HTTP directly.

pub mod analyzer;
pub mod budget;
pub mod corpus;
pub mod follow;
pub mod record;
pub mod registry;
pub mod reply;
pub mod run;
pub mod schedule;
pub mod session;
pub mod slots;
pub mod stats;
pub mod status;
pub mod writer;

pub use crate::model::{Bot, BotState, Role};

use crate::net::Endpoint;
use crate::store::Store;

/// The network endpoint of a bot, with the account id it learned earlier. X bots without
/// their own app keys inherit the shared ones (`farm app set x`). A Bluesky bot gets a usable
/// session first ([`session::ensure`]) and talks to its PDS.
pub fn endpoint(store: &Store, bot: &Bot, st: &BotState) -> crate::error::Result<Endpoint> {
    endpoint_at(store, bot, st, crate::clock::now()?)
}

/// [`endpoint`] for a run at `now` (a Bluesky session is judged fresh or not at that time).
pub fn endpoint_at(store: &Store, bot: &Bot, st: &BotState, now: i64) -> crate::error::Result<Endpoint> {
    if bot.platform == crate::net::PlatformKind::Bluesky {
        let b = session::ensure(store, bot, now)?.map_err(|e| e.for_bot(&bot.name))?;
        return Ok(bluesky_endpoint(b));
    }
    let creds = stored_creds(store, bot)?;
    Ok(Endpoint { kind: bot.platform, api: bot.api.clone(), creds, account_id: st.account_id.clone() })
}

/// The endpoint of a Bluesky bot that has a session ([`session::ensure`]): its PDS, its tokens,
/// its DID.
pub fn bluesky_endpoint(b: Bot) -> Endpoint {
    let did = b.setting(session::DID).map(str::to_string);
    Endpoint { kind: b.platform, api: session::pds_of(&b), creds: b.creds, account_id: did }
}

/// The credentials a bot calls with as stored, without any network call: its own, with the
/// farm's X app keys (`farm app set x`) where it has none. (A Bluesky session is made by
/// [`endpoint`], not here.)
pub fn stored_creds(store: &Store, bot: &Bot) -> crate::error::Result<crate::net::Credentials> {
    let mut creds = bot.creds.clone();
    if bot.platform.uses_oauth1() && creds.consumer_key.is_empty() {
        if let Some(app) = store.app_keys("x")? {
            creds.consumer_key = app.consumer_key;
            creds.consumer_secret = app.consumer_secret;
        }
    }
    Ok(creds)
}

/// Recompute the next-due record from every bot (a few hundred bytes per bot; cheap), after
/// flushing the database. `now` is the time of the run (or command) that changed the farm. A
/// bot held back by a rate limit is due at its end ([`status::next_due`]), so the cron runs
/// during a day-long limit need not open the database.
pub fn refresh_next_due(store: &Store, now: i64) -> crate::error::Result<()> {
    store.write_next_due(next_due(store, &[], now)?, now)
}

/// When the first of the bots named in `names` (all when empty) is next due, judged at `now`
/// ([`status::standing_of`]); `None` when none is (all paused, or no bots).
pub fn next_due(store: &Store, names: &[String], now: i64) -> crate::error::Result<Option<i64>> {
    let mut next: Option<i64> = None;
    for bot in store.bots()? {
        if !names.is_empty() && !names.contains(&bot.name) {
            continue;
        }
        let st = store.state(&bot.name)?;
        if let Some(at) = status::standing_of(store, &bot, &st, now)?.next_due {
            next = Some(next.map_or(at, |n: i64| n.min(at)));
        }
    }
    Ok(next)
}
