//! `farm auth NAME`: get user tokens without outside tools (X PIN flow, Mastodon app flow).
//! The farm is open only to read the bot and to store its tokens: not while the flow waits for
//! the person to paste the PIN or code, so `farm run` goes on meanwhile.

use super::{now, open_required, prompt_line, Globals};
use crate::bot::registry::get;
use crate::error::{FarmError, Result};
use crate::net::auth;

/// Run the flow for a bot and store its tokens; with `mark_bot`, only mark its account as a bot.
pub fn run(g: &Globals, name: &str, mark_bot: bool) -> Result<()> {
    if mark_bot {
        return mark(g, name);
    }
    let (mut bot, app) = {
        let store = open_required(&g.dir)?;
        let bot = get(&store, name)?;
        let app = store.app_keys("x")?;
        (bot, app)
    };
    if bot.platform == crate::net::PlatformKind::Feed {
        return Err(FarmError::usage(format!("{name} reads a feed, which needs no credentials")));
    }
    if bot.platform == crate::net::PlatformKind::Corpus {
        return Err(FarmError::usage(format!(
            "{name} is a corpus reader: it calls no network and needs no credentials"
        )));
    }
    let fail = |e: crate::net::NetError| e.for_bot(&bot.name);
    // A refused PIN or code is the user's to retry, not a key problem.
    let refused = |e: crate::net::NetError, what: &str| match e.kind {
        crate::net::NetErrorKind::Auth | crate::net::NetErrorKind::Refused => FarmError::new(
            crate::error::Kind::Auth,
            format!("{}: {what}; run `farm auth {}` again and copy the new one exactly", bot.name, bot.name),
        ),
        _ => e.for_bot(&bot.name),
    };
    if bot.platform.uses_oauth1() {
        let env = crate::config::env_creds();
        let (ck, cs) =
            match (env.consumer_key, env.consumer_secret) {
                (Some(k), Some(s)) => (k, s),
                _ if !bot.creds.consumer_key.is_empty() => {
                    (bot.creds.consumer_key.clone(), bot.creds.consumer_secret.clone())
                }
                _ => match app {
                    Some(a) => (a.consumer_key, a.consumer_secret),
                    None => return Err(FarmError::config(
                        "no X app keys: set FARM_CONSUMER_KEY/FARM_CONSUMER_SECRET or run `farm app set x`",
                    )),
                },
            };
        let (rt, rs) = auth::x_request_token(&bot.api, &ck, &cs, now()?).map_err(fail)?;
        eprintln!(
            "Open this URL, sign in as the bot's account and authorise the app:\n  {}",
            auth::x_authorize_url(&bot.api, &rt)
        );
        let pin = prompt_line("PIN")?;
        let (token, secret, screen) = auth::x_access_token(&bot.api, &ck, &cs, &rt, &rs, &pin, now()?)
            .map_err(|e| refused(e, "X refused the PIN"))?;
        bot.creds.access_token = token;
        bot.creds.access_secret = secret;
        eprintln!("authorised as @{screen}");
    } else if bot.platform == crate::net::PlatformKind::Bluesky {
        // The handle and app password may need a prompt: asked with the farm closed.
        let login = super::bluesky_login(crate::config::env_creds())?;
        let store = open_required(&g.dir)?;
        let current = get(&store, &bot.name)?;
        if current.platform != bot.platform || current.api != bot.api {
            return Err(FarmError::usage(format!(
                "{} moved to another server while it was being authorised; run `farm auth {}` again",
                bot.name, bot.name
            )));
        }
        bluesky(&store, current, login)?;
        store.log(&bot.name, now()?, "auth", "new session stored")?;
        return store.flush();
    } else {
        let (id, secret) = auth::mastodon_register_app(&bot.api, now()?).map_err(fail)?;
        eprintln!(
            "Open this URL, sign in as the bot's account and authorise farm:\n  {}",
            auth::mastodon_authorize_url(&bot.api, &id)
        );
        let code = prompt_line("authorization code")?;
        bot.creds.access_token = auth::mastodon_exchange_code(&bot.api, &id, &secret, &code, now()?)
            .map_err(|e| refused(e, "the instance refused the code"))?;
        eprintln!("authorised");
        if bot.role == crate::bot::Role::Writer {
            offer_mastodon_mark(&bot)?;
        }
    }
    let store = open_required(&g.dir)?;
    // Only the tokens change: the bot may have been edited meanwhile.
    let mut current = get(&store, &bot.name)?;
    if current.platform != bot.platform || current.api != bot.api {
        return Err(FarmError::usage(format!(
            "{} moved to another server while it was being authorised; run `farm auth {}` again",
            bot.name, bot.name
        )));
    }
    current.creds.access_token = bot.creds.access_token;
    current.creds.access_secret = bot.creds.access_secret;
    store.put_bot(&current)?;
    store.log(&bot.name, now()?, "auth", "new user tokens stored")?;
    store.flush()?;
    Ok(())
}

/// After a Mastodon writer's tokens: offer to set the account's `bot` flag (Mastodon asks bots
/// to carry it; it shows as a robot badge). Declining, or a pipe with no answer, changes nothing.
fn offer_mastodon_mark(bot: &crate::bot::Bot) -> Result<()> {
    match super::ask_yes("mark the account as a bot (Mastodon's \"automated account\" flag)?")? {
        Some(true) => {
            let ep = crate::net::Endpoint {
                kind: bot.platform,
                api: bot.api.clone(),
                creds: bot.creds.clone(),
                account_id: None,
            };
            let r = crate::net::mastodon::mark_bot(ep, now()?).map_err(|e| e.for_bot(&bot.name))?;
            eprintln!("{}", marked_line(r.value));
        }
        _ => eprintln!("not marked as a bot; later: farm auth {} --mark-bot", bot.name),
    }
    Ok(())
}

fn marked_line(changed: bool) -> &'static str {
    if changed {
        "marked the account as a bot"
    } else {
        "the account is already marked as a bot"
    }
}

/// `farm auth NAME --mark-bot`: mark the account as a bot with the tokens the bot has.
fn mark(g: &Globals, name: &str) -> Result<()> {
    let (bot, ep) = {
        let store = open_required(&g.dir)?;
        let bot = get(&store, name)?;
        if matches!(bot.platform, crate::net::PlatformKind::X | crate::net::PlatformKind::XV1) {
            return Err(FarmError::usage(format!(
                "{name}: X has no API to mark an account as automated; set the \"automated\" label in the account's settings (Account information → Automation)"
            )));
        }
        if bot.platform == crate::net::PlatformKind::Feed {
            return Err(FarmError::usage(format!("{name} reads a feed: there is no account to mark")));
        }
        if crate::bot::status::needs_auth(&store, &bot)? {
            return Err(FarmError::new(
                crate::error::Kind::Auth,
                format!("{name} has no user tokens yet; run `farm auth {name}` first"),
            ));
        }
        let st = store.state(&bot.name)?;
        let ep = crate::bot::endpoint(&store, &bot, &st)?;
        (bot, ep)
    };
    let fail = |e: crate::net::NetError| e.for_bot(&bot.name);
    let changed = if bot.platform == crate::net::PlatformKind::Bluesky {
        let did = ep.account_id.clone().unwrap_or_default();
        crate::net::bluesky::label_bot(&ep.api, &ep.creds.access_token, &did, now()?).map_err(fail)?.value
    } else {
        crate::net::mastodon::mark_bot(ep, now()?).map_err(fail)?.value
    };
    eprintln!("{}: {}", bot.name, marked_line(changed));
    let store = open_required(&g.dir)?;
    if changed {
        store.log(&bot.name, now()?, "auth", "account marked as a bot")?;
    }
    store.flush()
}

/// `farm auth` for Bluesky: take an app password, log in once, and mark the account as a bot
/// (the `bot` self-label on its profile). Returns the bot with its new session (stored already).
fn bluesky(
    store: &crate::store::Store,
    mut bot: crate::bot::Bot,
    (id, pw): (String, String),
) -> Result<crate::bot::Bot> {
    use crate::bot::session;
    bot.creds.consumer_key = id;
    bot.creds.consumer_secret = pw;
    bot.creds.access_token.clear();
    bot.creds.access_secret.clear();
    bot.set_setting(session::REFUSED, None);
    store.put_bot(&bot)?;
    let name = bot.name.clone();
    let fail = |e: crate::net::NetError| e.for_bot(&name);
    let b = session::ensure(store, &bot, now()?)?.map_err(fail)?;
    let did = b.setting(session::DID).unwrap_or_default().to_string();
    let pds = session::pds_of(&b);
    eprintln!("logged in as {} ({did}); its PDS is {pds}", b.creds.consumer_key);
    let labelled = crate::net::bluesky::label_bot(&pds, &b.creds.access_token, &did, now()?).map_err(fail)?;
    if labelled.value {
        eprintln!("marked the account as a bot: added the self-label \"bot\" to its profile");
    } else {
        eprintln!("the account's profile already carries the self-label \"bot\"");
    }
    Ok(b)
}
