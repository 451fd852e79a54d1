//! `farm post NAME TEXT…` (alias `tweet`): post by hand through the same checks.

use super::{now, open_required, Globals};
use crate::bot::model::Counters;
use crate::bot::record::{self, blocked_until};
use crate::bot::registry::get;
use crate::bot::run::offline_rule;
use crate::bot::writer::{idempotency_key, text_hash};
use crate::clock;
use crate::error::{FarmError, Result};
use crate::net::Call;

/// Post a text as a bot.
pub fn run(g: &Globals, name: &str, text: &str) -> Result<()> {
    let store = open_required(&g.dir)?;
    let bot = get(&store, name)?;
    let now = now()?;
    let mut st = store.state(&bot.name)?;
    let text = text.trim();
    if text.is_empty() {
        return Err(FarmError::usage("nothing to post: the text is empty"));
    }
    let rule = offline_rule(&bot, &st);
    let n = crate::text::length::count(text, rule, bot.platform);
    if n > rule.max {
        return Err(FarmError::data(format!(
            "the text is {n} characters long, over {}'s limit of {}; shorten it",
            bot.platform.name(),
            rule.max
        )));
    }
    let hash = text_hash(text);
    if store.has_hash(&bot.name, hash)? {
        return Err(FarmError::data(format!("{} already posted this text; not posting it again", bot.name)));
    }
    if let Some(until) = blocked_until(&store, &bot.name, Call::Post, now)? {
        return Err(FarmError::temp(format!(
            "{}: rate-limited until {}; try again then",
            bot.name,
            clock::format(until)
        )));
    }
    let mut client = crate::net::connect(crate::bot::endpoint(&store, &bot, &st)?, now);
    let res = client.post(text, &idempotency_key(&bot.name, now as u64, text));
    let outcome = match res {
        Ok(reply) => {
            store.add_hash(&bot.name, hash, now)?;
            st.total += 1;
            st.last_post_at = st.last_post_at.max(now);
            store.put_state(&bot.name, &st)?;
            let line = if reply.value.duplicate {
                format!("already posted (duplicate): {text}")
            } else {
                format!("posted by hand: {text}")
            };
            let counters = Counters { posts: 1, calls: 1, ..Default::default() };
            record::call(&store, &bot.name, &reply.rates, now, counters, Some(("post", &line)))?;
            eprintln!("{}: {line}", bot.name);
            Ok(())
        }
        Err(e) => {
            let counters = Counters { calls: 1, errors: 1, ..Default::default() };
            Err(record::call_failed(&store, &bot.name, now, &e, counters, None)?)
        }
    };
    store.flush()?;
    outcome
}
