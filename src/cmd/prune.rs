//! `farm prune WRITER --older-than 30d [--dry-run]`: delete the writer's own posts older than the
//! given age that got no engagement at all (no likes, no reposts), as the original's `cleanup()`
//! did, but only when asked and only past an age. `--dry-run` lists them and deletes nothing.
//! Deleting asks for confirmation at a terminal first (before the farm is opened, so no lock is
//! held while a person answers) and needs `--yes` anywhere else.
//!
//! It reads up to [`PRUNE_CAP`] of the account's newest posts (the X timeline horizon; several
//! requests), then makes one delete request per post. Rate limits are respected and recorded
//! under the writer; a failure stops the pruning (what was deleted stays deleted) and exits with
//! the failure's class.

use super::best::writer_of;
use super::{now, open_required, Globals};
use crate::bot::budget;
use crate::bot::record::{self, blocked_until};
use crate::bot::status::require_auth;
use crate::bot::{endpoint, Bot};
use crate::clock;
use crate::error::{FarmError, Result};
use crate::model::normalize_name;
use crate::model::Counters;
use crate::net::{Call, NetError, OwnPost};
use crate::store::Store;
use std::io::IsTerminal;

/// Most own posts read to look for old ones.
pub const PRUNE_CAP: usize = 3200;

/// The posts to delete: known creation time at or before `cut`, no likes, no reposts.
pub fn candidates(posts: &[OwnPost], cut: i64) -> Vec<OwnPost> {
    posts
        .iter()
        .filter(|p| p.created_at > 0 && p.created_at <= cut && p.likes == 0 && p.reposts == 0)
        .cloned()
        .collect()
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Record a failed request (and the `calls` made before it) and turn it into the command's
/// error.
fn failed(store: &Store, w: &Bot, now: i64, e: &NetError, calls: u32, deleted: usize) -> Result<FarmError> {
    let counters = Counters { calls: calls + 1, ..Default::default() };
    let mut err = record::call_failed(
        store,
        &w.name,
        now,
        e,
        counters,
        Some(&format!("prune: {}", e.clone().named(&w.name).message)),
    )?;
    store.flush()?;
    if deleted > 0 {
        err = err.context(format!("pruning stopped after {deleted} deleted posts"));
    }
    Ok(err)
}

/// Log how many posts a pruning that stopped early deleted (nothing when none).
fn note_deleted(store: &Store, w: &Bot, now: i64, deleted: usize) -> Result<()> {
    if deleted > 0 {
        let line = format!("deleted {deleted} posts without engagement");
        record::tally(store, &w.name, now, Counters::default(), Some(("prune", &line)))?;
    }
    Ok(())
}

/// Ask the person at the terminal whether to delete; without a terminal, refuse (`--yes`).
fn confirm(name: &str, age: u64) -> Result<()> {
    let what =
        format!("{name}'s own posts older than {} with no likes or reposts", clock::format_duration(age));
    if !std::io::stdin().is_terminal() {
        return Err(FarmError::usage(format!(
            "deleting {what} needs confirmation: pass --yes (or --dry-run to list them)"
        )));
    }
    let answer = super::prompt_line(&format!("delete {what} from the network? [y/N]"))?;
    if !matches!(answer.to_ascii_lowercase().as_str(), "y" | "yes") {
        return Err(FarmError::usage("not confirmed; nothing deleted"));
    }
    Ok(())
}

/// `farm prune WRITER --older-than AGE [--dry-run] [--yes]`.
pub fn run(g: &Globals, name: &str, older: &str, dry: bool, yes: bool) -> Result<()> {
    let age = clock::parse_duration(older)?;
    if !dry && !yes {
        confirm(&normalize_name(name)?, age)?;
    }
    let store = open_required(&g.dir)?;
    let w = writer_of(&store, name)?;
    require_auth(&store, &w)?;
    let now = now()?;
    for call in [Call::OwnPosts, Call::Delete] {
        if let Some(until) = blocked_until(&store, &w.name, call, now)? {
            return Err(FarmError::temp(format!(
                "{}: rate-limited until {}; try again then",
                w.name,
                clock::format(until)
            )));
        }
    }
    let mut st = store.state(&w.name)?;
    let mut client = crate::net::connect(endpoint(&store, &w, &st)?, now);
    let res = client.own_posts(PRUNE_CAP);
    if st.account_id.is_none() {
        if let Some(id) = client.account_id() {
            st.account_id = Some(id);
            store.put_state(&w.name, &st)?;
        }
    }
    let reply = match res {
        Ok(r) => r,
        Err(e) => return Err(failed(&store, &w, now, &e, 0, 0)?),
    };
    let read = Counters { read: reply.value.len() as u32, ..Default::default() };
    record::call(&store, &w.name, &reply.rates, now, read, None)?;
    let mut calls = reply.rates.len().max(1) as u32;
    let cut = now.saturating_sub(age as i64);
    let doomed = candidates(&reply.value, cut);
    let verb = if dry { "would delete" } else { "deleted" };
    let mut deleted = 0;
    for p in &doomed {
        if !dry {
            // Bluesky: stop before a delete would go over the account's write points.
            if let Some(until) = budget::points_blocked(&store, &w, budget::DELETE_POINTS, now)? {
                note_deleted(&store, &w, now, deleted)?;
                store.flush()?;
                return Err(FarmError::temp(format!(
                    "{}: its Bluesky write points are used up until {}; pruning stopped after {deleted} deleted posts, try again then",
                    w.name,
                    clock::format(until)
                )));
            }
            budget::spend(&store, &w, budget::DELETE_POINTS, now)?;
            match client.delete(p.id) {
                Ok(r) => {
                    calls += 1;
                    record::call(&store, &w.name, &r.rates, now, Counters::default(), None)?;
                }
                Err(e) => {
                    note_deleted(&store, &w, now, deleted)?;
                    return Err(failed(&store, &w, now, &e, calls, deleted)?);
                }
            }
            deleted += 1;
        }
        crate::outln!("{verb} {}  {}  {}", p.id, clock::short(p.created_at), one_line(&p.text))?;
    }
    let summary = format!(
        "{} {} of {} posts: older than {} with no likes or reposts",
        verb,
        doomed.len(),
        reply.value.len(),
        clock::format_duration(age)
    );
    // The reads happened in a dry run too: count them.
    let counters = Counters { calls, ..Default::default() };
    record::tally(&store, &w.name, now, counters, (!dry).then_some(("prune", summary.as_str())))?;
    store.flush()?;
    eprintln!("{}: {summary}", w.name);
    Ok(())
}
