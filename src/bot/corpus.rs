//! `farm import-corpus`: posts from a file ([`crate::corpus`]) into a corpus reader's cache,
//! where writers take them exactly like posts read from a network (backlog, Markov corpus).
//!
//! - **Only a corpus reader** (`--platform corpus`) takes an import: farm gives its posts their
//!   ids (one more than the highest it ever gave), so an imported post can never collide with
//!   a post read later, nor sit between two of them (a reader of a network gets its ids from
//!   the network; a post put among them could hide the next ones from its writers).
//! - **Checked first, then written.** The whole file is read once and checked ([`plan`]); a
//!   malformed file is refused and changes nothing. Then it is read again and written in
//!   batches of [`BATCH`] posts ([`write`]). An import killed half way leaves the batches it
//!   wrote; the same import again adds the rest.
//! - **Nothing twice.** A post whose text is already in the reader, or earlier in the file, is
//!   a duplicate and left out: texts are compared the way a writer compares its own posts
//!   ([`crate::text::dedup`]: case, punctuation and links do not count). A second import of the
//!   same file adds nothing.
//! - A post the file gives no time is dated at the import.

use crate::corpus::{self, Format, Found};
use crate::error::{FarmError, Result};
use crate::model::{Bot, PlatformKind, Role};
use crate::store::Store;
use crate::text::dedup;
use std::collections::HashSet;
use std::path::Path;

/// Posts written to the store at a time, each batch made durable before the next: sled's memory
/// while it applies a batch grows with the batch (85 MB for batches of 10,000).
pub const BATCH: usize = 2_000;

/// Posts written between two closings of the posts shard: sled keeps what it wrote resident
/// past its cache until the database is closed, and each closing costs a snapshot and an fsync.
const RELEASE_EVERY: u64 = 10_000;

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    /// The file's format.
    pub format: Format,
    /// What the file held.
    pub found: Found,
    /// Posts added to the reader (on a dry run: that would be).
    pub added: u64,
    /// Posts left out as duplicates.
    pub duplicates: u64,
}

/// The key two posts are the same by.
fn key(text: &str) -> u64 {
    dedup::hash(&dedup::normalize(text))
}

/// Refuse a bot that is not a corpus reader, saying what to do instead.
pub fn check_target(bot: &Bot) -> Result<()> {
    if bot.role == Role::Reader && bot.platform == PlatformKind::Corpus {
        return Ok(());
    }
    let why = if bot.role == Role::Reader {
        format!(
            "it reads {}, whose post ids are the network's: imported posts could hide the ones it reads next",
            bot.platform.name()
        )
    } else {
        format!("it is a {}", bot.role.name())
    };
    Err(FarmError::usage(format!(
        "{} cannot take an import: {why}; import into a corpus reader (`farm create reader NAME \
         --platform corpus`) and give writers that reader as --source",
        bot.name
    )))
}

/// An import checked and counted, ready to write ([`plan`]).
pub struct Plan {
    /// What the file holds and what of it is new.
    pub counts: Imported,
    /// The keys of the reader's posts.
    known: HashSet<u64>,
}

/// Read the whole file once and check it, against what the corpus reader `reader` holds:
/// nothing is written. A malformed file fails here.
pub fn plan(store: &mut Store, reader: &Bot, path: &Path, format: Format) -> Result<Plan> {
    check_target(reader)?;
    let mut known: HashSet<u64> = HashSet::new();
    store.each_post(&reader.name, |p| {
        known.insert(key(&p.text));
        Ok(())
    })?;
    // sled keeps what it read resident past its cache; closing the shard gives it back.
    store.release_posts()?;
    let mut fresh: HashSet<u64> = HashSet::new();
    let mut duplicates = 0u64;
    let found = corpus::read(path, format, &mut |p| {
        let k = key(&p.text);
        if known.contains(&k) || !fresh.insert(k) {
            duplicates += 1;
        }
        Ok(())
    })?;
    let counts = Imported { format, found, added: found.posts - duplicates, duplicates };
    Ok(Plan { counts, known })
}

/// Read the file of a [`plan`] again and write its new posts into the reader in batches, with
/// ids after the reader's highest and the import's time `now` for posts without one, and log
/// an `import` event.
pub fn write(store: &mut Store, reader: &Bot, path: &Path, plan: Plan, now: i64) -> Result<Imported> {
    let Plan { counts, mut known } = plan;
    let added = counts.added;
    if added == 0 {
        store.log(&reader.name, now, "import", &summary(&counts, "imported", 0))?;
        return Ok(counts);
    }
    let mut next = store.highest_post_id(&reader.name)?;
    let mut batch = Vec::with_capacity(BATCH.min(added as usize));
    let mut written = 0u64;
    let again = corpus::read(path, counts.format, &mut |mut p| {
        if !known.insert(key(&p.text)) {
            return Ok(());
        }
        next = next.checked_add(1).ok_or_else(|| FarmError::data("the reader has used up its post ids"))?;
        p.id = next;
        if p.created_at == 0 {
            p.created_at = now;
        }
        batch.push(p);
        if batch.len() == BATCH {
            written += write_batch(store, reader, &batch)?;
            batch.clear();
            if written.is_multiple_of(RELEASE_EVERY) {
                store.release_posts()?;
            }
        }
        Ok(())
    });
    let last = if again.is_ok() && !batch.is_empty() { write_batch(store, reader, &batch) } else { Ok(0) };
    written += *last.as_ref().unwrap_or(&0);
    store.log(&reader.name, now, "import", &summary(&counts, "imported", written))?;
    again?;
    last?;
    if written != added {
        return Err(FarmError::data(format!(
            "{} changed while it was imported: {written} posts were added, not {added}; run the same \
             import again to add the rest (nothing is added twice)",
            crate::error::printable(&path.display().to_string())
        )));
    }
    Ok(counts)
}

/// Write one batch of posts with what it changes (the reader's cache size and imported total),
/// durably: an import killed later keeps it, and the same import again adds the rest.
fn write_batch(store: &Store, reader: &Bot, batch: &[crate::model::Post]) -> Result<u64> {
    let n = store.add_posts(&reader.name, batch)? as u64;
    let mut st = store.state(&reader.name)?;
    st.cached = store.cached_posts(&reader.name)?;
    store.put_state(&reader.name, &st)?;
    store.add_imported(&reader.name, n)?;
    store.flush()?;
    crate::config::crash_point("import-batch-written");
    Ok(n)
}

/// An import in words, `verb` first: `imported 120 posts (an X archive's tweets.js; left out: 3
/// duplicates, 1 empty)`.
pub fn summary(done: &Imported, verb: &str, added: u64) -> String {
    let f = &done.found;
    let left_out: Vec<String> = [
        (done.duplicates, "duplicate", "duplicates"),
        (f.empty, "empty", "empty"),
        (f.boosts, "boost without text", "boosts without text"),
        (f.other, "other activity", "other activities"),
    ]
    .iter()
    .filter(|(n, _, _)| *n > 0)
    .map(|(n, one, many)| format!("{n} {}", if *n == 1 { one } else { many }))
    .collect();
    let rest =
        if left_out.is_empty() { String::new() } else { format!("; left out: {}", left_out.join(", ")) };
    format!("{verb} {added} posts ({}{rest})", done.format.describe())
}
