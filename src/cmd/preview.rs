//! `farm preview WRITER [-n 5]`: the next texts a writer would post, without any API call.

use super::{open_required, Globals};
use crate::bot::registry::get;
use crate::bot::run::offline_rule;
use crate::bot::writer::scan;
use crate::bot::Role;
use crate::error::{FarmError, Result};
use crate::model::PostMeta;

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
    if let Some(p) = &st.pending {
        crate::outln!("(unconfirmed, will be resent) {}", p.text)?;
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
        crate::outln!("[{:>3}/{}] {}{}", c.length, rule.max, c.text, meta_note(&c.meta))?;
    }
    Ok(())
}

/// What goes out with a post besides its text, as a preview shows it: `  (warning: …; lang en;
/// labels nudity; sensitive)`, or nothing.
fn meta_note(m: &PostMeta) -> String {
    let mut parts = Vec::new();
    if let Some(w) = &m.warning {
        parts.push(format!("warning: {w}"));
    }
    if let Some(l) = &m.lang {
        parts.push(format!("lang {l}"));
    }
    if !m.labels.is_empty() {
        parts.push(format!("labels {}", m.labels.join(", ")));
    }
    if m.sensitive {
        parts.push("sensitive".into());
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("  ({})", parts.join("; "))
    }
}
