//! `farm preview WRITER [-n 5]`: the next texts a writer would post, without any API call.

use super::show::meta_text;
use super::{open_required, Globals};
use crate::bot::registry::get;
use crate::bot::run::offline_rule;
use crate::bot::writer::scan;
use crate::bot::Role;
use crate::error::{FarmError, Result};

/// Print the next texts.
pub fn run(g: &Globals, name: &str, n: usize) -> Result<()> {
    let store = open_required(&g.dir)?;
    let bot = get(&store, name)?;
    if bot.role != Role::Writer {
        return Err(FarmError::usage(format!(
            "{} is a {}; preview shows a writer's next posts",
            bot.name,
            bot.role.name()
        )));
    }
    let st = store.state(&bot.name)?;
    let rule = offline_rule(&bot, &st);
    if let Some(slots) = crate::bot::slots::of(&bot)? {
        // On stderr: stdout stays the texts alone.
        let next = crate::bot::status::standing_of(&store, &bot, &st, super::now()?)?.next_slot;
        eprintln!(
            "{}: next slot {}",
            bot.name,
            next.map_or_else(|| super::list::none_text(bot.paused), |t| slots.local_text(t))
        );
    }
    if let Some(p) = &st.pending {
        let part = p.part_of().map(|(k, n)| format!(" ({k}/{n})")).unwrap_or_default();
        crate::outln!("(unconfirmed, will be resent){part} {}", p.text)?;
        if let Some(m) = meta_text(&p.meta) {
            crate::outln!("      {m}")?;
        }
        // The rest of its thread goes out after it, in the same run.
        if let Some((k, n)) = p.part_of() {
            for (i, text) in p.thread.iter().flat_map(|t| &t.rest).enumerate() {
                crate::outln!("(then, {}/{n}) {text}", k as usize + 1 + i)?;
            }
        }
    }
    let mode = crate::bot::reply::Mode::of(&bot);
    if mode != crate::bot::reply::Mode::Off {
        preview_replies(&store, &bot, n)?;
    }
    if mode == crate::bot::reply::Mode::Only {
        return Ok(());
    }
    // A processor's error (an exec command failing) names the writer, as in `farm run`.
    let s = scan(&store, &bot, &st, rule, n).map_err(|e| e.context(&bot.name))?;
    if s.found.is_empty() && bot.source.is_none() {
        eprintln!(
            "{}: nothing to post: {} texts of its grammar rolled, none usable (already posted, too long or empty)",
            bot.name,
            s.skipped.len()
        );
    } else if s.found.is_empty() {
        eprintln!(
            "{}: nothing to post from the {} cached posts after its cursor ({} skipped)",
            bot.name,
            s.skipped.len(),
            s.skipped.len()
        );
    }
    for c in s.found {
        // A thread: one line per post, each with its own length.
        let n = c.parts.len();
        for (i, part) in c.parts.iter().enumerate() {
            let length = crate::bot::writer::counted_length(part, &c.meta, rule, bot.platform);
            crate::outln!("[{length:>3}/{}] ({}/{n}) {part}", rule.max, i + 1)?;
        }
        if n == 0 {
            crate::outln!("[{:>3}/{}] {}", c.length, rule.max, c.text)?;
        }
        if let Some(m) = meta_text(&c.meta) {
            crate::outln!("          {m}")?;
        }
    }
    Ok(())
}

/// The replies a writer would make to the mentions it has read and not answered yet (the next
/// run reads new ones first), or why it would pass one over.
fn preview_replies(store: &crate::store::Store, bot: &crate::bot::Bot, n: usize) -> Result<()> {
    let waiting = crate::bot::reply::preview(store, bot, n).map_err(|e| e.context(&bot.name))?;
    if waiting.is_empty() {
        eprintln!("{}: no mentions waiting for an answer (the next run reads new ones)", bot.name);
    }
    let max = crate::bot::run::offline_rule(bot, &store.state(&bot.name)?).max;
    for (m, decision) in waiting {
        match decision {
            Ok(c) => crate::outln!("[{:>3}/{max}] (reply to @{}) {}", c.length, m.author, c.text)?,
            Err(why) => crate::outln!("(not answering @{}: {})", m.author, why.why())?,
        }
    }
    Ok(())
}
