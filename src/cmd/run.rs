//! `farm run [NAME…] [--dry-run] [--jobs N] [--force]`: the cron job. Quiet on success; one
//! line per failed bot. While another farm process holds the farm, a plain `farm run` does
//! nothing and exits 0 (the next tick does the work); one with bot names or `--dry-run`, typed by
//! a person, waits for it like the other commands.

use super::{now, open, Globals};
use crate::bot::run::{distrust_future, run as run_farm, worst, RunOpts};
use crate::bot::schedule;
use crate::cli::RunArgs;
use crate::error::{FarmError, Kind, Result};
use crate::model::normalize_name;

/// Do whatever is due and exit.
pub fn run(g: &Globals, a: RunArgs) -> Result<()> {
    let now = now()?;
    let names = a.names.iter().map(|n| normalize_name(n)).collect::<Result<Vec<_>>>()?;
    if a.force && names.is_empty() {
        return Err(FarmError::usage("--force needs the bots to run: farm run NAME… --force"));
    }
    // The cron job's own call: every bot, for real. It never waits for another farm process:
    // the next tick does the work.
    let cron = names.is_empty() && !a.dry_run;
    // The fast path: nothing due means no database open at all. A record of "nothing ever due"
    // is not taken: the farm may have no bots, which is worth saying.
    if cron {
        if let Some(at) = schedule::nothing_due(crate::store::read_next_due(&g.dir), now) {
            if at != i64::MAX {
                if g.verbose {
                    eprintln!("{}", nothing_due(Some(at)));
                }
                return Ok(());
            }
        }
    }
    if !crate::store::exists(&g.dir)? {
        return Err(FarmError::config(format!(
            "there is no farm in {}, so nothing to run; create the bots there (`farm --db {} create …`), \
             or point --db (or FARM_DB) at the farm",
            g.dir.display(),
            g.dir.display()
        )));
    }
    let mut store = if cron {
        match crate::store::Store::open(&g.dir) {
            Err(e) if e.kind == Kind::TempFail => {
                if g.verbose {
                    eprintln!(
                        "another farm process is using {}; nothing done, the next run will",
                        g.dir.display()
                    );
                }
                return Ok(());
            }
            r => r?,
        }
    } else {
        open(&g.dir)?
    };
    if names.is_empty() && store.bots()?.is_empty() {
        eprintln!(
            "farm: the farm in {} has no bots; nothing to run (`farm create reader …`)",
            g.dir.display()
        );
        return Ok(());
    }
    let opts = RunOpts { names, dry_run: a.dry_run, jobs: a.jobs.clamp(1, 256), force: a.force };
    if let Some(line) = distrust_future(&store, &opts, now)? {
        eprintln!("farm: {line}");
    }
    let connect = move |ep| crate::net::connect(ep, now);
    let outcomes = run_farm(&store, &opts, now, &connect);
    if !a.dry_run {
        super::settle_layout(&mut store, crate::store::Store::settle_posts)?;
    }
    store.flush()?;
    let outcomes = outcomes?;
    if g.verbose && outcomes.is_empty() {
        eprintln!("{}", nothing_due(crate::bot::next_due(&store, &opts.names, now)?));
    }
    for o in &outcomes {
        match &o.error {
            Some(e) => eprintln!("farm: {}", e.message),
            None if g.verbose || a.dry_run => crate::outln!("{}: {}", o.bot, o.line)?,
            None => {}
        }
    }
    match worst(&outcomes) {
        // Each failure was printed above; the exit code carries the most serious class.
        Some(kind) => Err(FarmError::new(kind, "")),
        None => Ok(()),
    }
}

/// The `-v` line of a run that found nothing due: when the first bot is due next.
fn nothing_due(next: Option<i64>) -> String {
    match next {
        Some(at) => format!("nothing due (next at {})", crate::clock::format(at)),
        None => "nothing due (no bots)".to_string(),
    }
}
