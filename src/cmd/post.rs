//! `farm post NAME TEXT…` (alias `tweet`): post by hand through the same checks, exactly once.
//!
//! The post is recorded as the bot's unconfirmed post (text, hash, a key made from the bot and
//! the text) before it is sent, as a writer records its own, so a lost answer never makes a
//! second copy: the same `farm post` again, or the bot's next run, settles it the writer's way
//! ([`crate::bot::run::settle`]). While a post is unconfirmed, a different text is refused.

use super::{finish, now, open_required, Globals};
use crate::bot::record::blocked_until;
use crate::bot::registry::{get, parse_lang, parse_warning};
use crate::bot::run::{offline_rule, send_new, settle};
use crate::bot::writer::{counted_length, post_key, post_meta, text_hash};
use crate::bot::{Bot, Role};
use crate::clock;
use crate::error::{FarmError, Result};
use crate::model::{BotState, Pending};
use crate::net::Call;

/// Post a text as a bot, with a content warning and a language when given (else a writer's own
/// settings: [`post_meta`]).
pub fn run(g: &Globals, name: &str, text: &str, warning: Option<&str>, lang: Option<&str>) -> Result<()> {
    let store = open_required(&g.dir)?;
    let bot = get(&store, name)?;
    if bot.role == Role::Analyzer {
        // It calls with its writer's account and has none of its own to post with.
        let w = bot.source.as_deref().unwrap_or_default();
        return Err(FarmError::usage(format!(
            "{} is an analyzer, with no account of its own; post as its writer: farm post {w} TEXT",
            bot.name
        )));
    }
    if bot.platform == crate::net::PlatformKind::Corpus {
        return Err(FarmError::usage(format!(
            "{} is a corpus reader, with no network to post on; post as one of its writers",
            bot.name
        )));
    }
    crate::bot::status::require_auth(&store, &bot)?;
    let now = now()?;
    let mut st = store.state(&bot.name)?;
    let text = text.trim();
    if text.is_empty() {
        return Err(FarmError::usage("nothing to post: the text is empty"));
    }
    let mut meta = post_meta(&bot, None).unwrap_or_default();
    if let Some(w) = warning {
        meta.warning = Some(parse_warning(w)?).filter(|w| !w.is_empty());
    }
    if let Some(l) = lang {
        meta.lang = Some(parse_lang(l)?);
    }
    let rule = offline_rule(&bot, &st);
    let n = counted_length(text, &meta, rule, bot.platform);
    if n > rule.max {
        return Err(FarmError::data(format!(
            "the text is {n} characters long, over {}'s limit of {}; shorten it",
            bot.platform.name(),
            rule.max
        )));
    }
    let hash = text_hash(text);
    let connect = move |ep| crate::net::connect(ep, now);
    let res = match &st.pending {
        // The same text again: settle the earlier attempt (sent again with its key, or found
        // among the account's own posts), never a second copy.
        Some(p) if p.hash == hash => settle(&store, &bot, now, false, &connect),
        Some(p) => return Err(unconfirmed(&bot, p, "", "post this text")),
        None => {
            if store.has_hash(&bot.name, hash)? {
                return Err(FarmError::data(format!(
                    "{} already posted this text; not posting it again",
                    bot.name
                )));
            }
            if let Some(until) = blocked_until(&store, &bot.name, Call::Post, now)? {
                return Err(FarmError::temp(format!(
                    "{}: rate-limited until {}; try again then",
                    bot.name,
                    clock::format(until)
                )));
            }
            let p = Pending {
                text: text.to_string(),
                hash,
                key: post_key(&bot, Pending::BY_HAND, text, now),
                source_id: Pending::BY_HAND,
                created: now,
                attempts: 0,
                meta,
                thread: None,
            };
            let mut client = connect(crate::bot::endpoint(&store, &bot, &st)?);
            send_new(&store, &bot, &mut st, client.as_mut(), p, now).map(Some)
        }
    };
    let st = store.state(&bot.name)?;
    let outcome = match res {
        Ok(Some(line)) if st.pending.is_none() => {
            eprintln!("{}: {line}", bot.name);
            Ok(())
        }
        // Held back by a known rate limit: still unconfirmed.
        Ok(Some(line)) => Err(kept(&bot, &st, FarmError::temp(format!("{}: {line}", bot.name)))),
        Ok(None) => Err(FarmError::software(format!("{}: the post by hand was not recorded", bot.name))),
        Err(e) => Err(kept(&bot, &st, e)),
    };
    finish(&store)?;
    outcome
}

/// The error for a command that waits for `bot`'s unconfirmed post `p` (a thread's part too): a
/// post by hand of another text, a credentials edit. It says how to settle the post (the same
/// text through `farm post` settles it whatever the bot's schedule, even paused), `place` where
/// it may have gone out (` on the current account`, or nothing), and `then` what to do.
pub(super) fn unconfirmed(bot: &Bot, p: &Pending, place: &str, then: &str) -> FarmError {
    if let Some((k, n)) = p.part_of() {
        return FarmError::temp(format!(
            "{}: part {k} of {n} of its thread, \"{}\", is not confirmed yet (it may have gone \
             out{place}); its next run (`farm run {} --force`) settles it and posts the rest, then {then}",
            bot.name, p.text, bot.name
        ));
    }
    FarmError::temp(format!(
        "{}: its post \"{}\" is unconfirmed (it may have gone out{place}); settle it first (`farm post \
         {}` with that text, or its next run), then {then}",
        bot.name, p.text, bot.name
    ))
}

/// `e`, when the post is still unconfirmed: a temporary failure (exit 75) whatever the cause,
/// saying how a post by hand gets settled.
fn kept(bot: &Bot, st: &BotState, e: FarmError) -> FarmError {
    match &st.pending {
        Some(p) if p.by_hand() => FarmError::temp(format!(
            "{}; the post is kept as unconfirmed: `farm post {}` with the same text, or the bot's \
             next run, settles it without posting it twice",
            e.message, bot.name
        )),
        Some(_) => FarmError::temp(e.message),
        None => e,
    }
}
