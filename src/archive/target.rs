//! The data directory of an import or compact: its lock ([`Target`]), the staging directory next
//! to it ([`Staging`]), the atomic switch of the `db/` directories, backups, and the clean-up of
//! what a killed import or compact left behind.

use crate::error::{io_error, FarmError, Result};
use crate::store;
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

/// Name of the marker file that tells a staging directory from anything else.
const MARKER: &str = ".farm-staging";

fn split(dir: &Path) -> Result<(PathBuf, String)> {
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| FarmError::usage(format!("{} cannot be used as a data directory", dir.display())))?;
    let parent = dir.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
    Ok((parent, name.to_string()))
}

fn sibling(dir: &Path, suffix: &str) -> Result<PathBuf> {
    let (parent, name) = split(dir)?;
    Ok(parent.join(format!("{name}.{suffix}")))
}

fn sync_dir(dir: &Path) {
    if let Ok(f) = File::open(dir) {
        let _ = f.sync_all();
    }
}

pub(super) fn fs_err<'a>(what: &str, path: &'a Path) -> impl Fn(io::Error) -> FarmError + 'a {
    let what = what.to_string();
    move |e| io_error(&e, &format!("{what} {}", path.display()))
}

/// A staging directory next to the data directory (`DIR.import-PID`, `DIR.compact-PID`),
/// holding a new database until it is switched in. Removed when dropped: after a failure with
/// everything in it, after a switch with the old database it then holds.
///
/// The marker file `.farm-staging` in it tells the next import or compact that it is a
/// leftover. Right before the switch the marker records the inode of the new `db/`, so a
/// leftover from a process killed after the switch (whose `db/` is then the old database) can
/// be told from one killed before it.
pub struct Staging {
    path: PathBuf,
    keep: bool,
}

impl Staging {
    /// Create `DIR.<what>-PID` (mode 0700) with its marker. The caller holds `dir`'s lock.
    pub fn create(dir: &Path, what: &str) -> Result<Staging> {
        let path = sibling(dir, &format!("{what}-{}", std::process::id()))?;
        if fs::symlink_metadata(&path).is_ok() {
            fs::remove_dir_all(&path).map_err(fs_err("cannot remove the old staging directory", &path))?;
        }
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .map_err(fs_err("cannot create the staging directory", &path))?;
        let staging = Staging { path, keep: false };
        staging.mark("staging\n")?;
        Ok(staging)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn mark(&self, text: &str) -> Result<()> {
        let tmp = self.path.join(".farm-staging.tmp");
        let mut f = File::create(&tmp).map_err(fs_err("cannot write", &tmp))?;
        f.write_all(text.as_bytes()).map_err(fs_err("cannot write", &tmp))?;
        f.sync_all().map_err(fs_err("cannot write", &tmp))?;
        fs::rename(&tmp, self.path.join(MARKER)).map_err(fs_err("cannot write", &tmp))?;
        sync_dir(&self.path);
        Ok(())
    }

    /// Put the staging database in place of `dir`'s: one atomic exchange of `STAGING/db` and
    /// `DIR/db` (a plain rename when `dir` has none), then the next-due record. Afterwards the
    /// staging directory holds the old database, if there was one. The caller holds `dir`'s
    /// lock and has closed both databases.
    pub fn switch(&self, dir: &Path) -> Result<()> {
        let new_db = self.path.join("db");
        let cur_db = dir.join("db");
        let ino = fs::metadata(&new_db).map_err(fs_err("cannot read", &new_db))?.ino();
        self.mark(&format!("staging\nnew-db {ino}\n"))?;
        // A stale next-due record could make `farm run` skip the new farm; none is harmless.
        let _ = fs::remove_file(dir.join("next_due"));
        if fs::symlink_metadata(&cur_db).is_ok() {
            match exchange(&new_db, &cur_db) {
                Ok(()) => {}
                Err(e) if matches!(e.raw_os_error(), Some(22) | Some(38) | Some(95)) => {
                    // EINVAL, ENOSYS, EOPNOTSUPP: no atomic exchange here; two renames.
                    let old = self.path.join("db.old");
                    fs::rename(&cur_db, &old).map_err(fs_err("cannot move", &cur_db))?;
                    if let Err(e) = fs::rename(&new_db, &cur_db) {
                        let _ = fs::rename(&old, &cur_db);
                        return Err(io_error(
                            &e,
                            &format!("cannot move the new database to {}", cur_db.display()),
                        ));
                    }
                    fs::rename(&old, &new_db).map_err(fs_err("cannot move", &old))?;
                }
                Err(e) => {
                    return Err(io_error(&e, &format!("cannot swap the database into {}", dir.display())))
                }
            }
        } else {
            fs::rename(&new_db, &cur_db).map_err(fs_err("cannot move the new database to", &cur_db))?;
        }
        sync_dir(dir);
        sync_dir(&self.path);
        crate::config::crash_point("import-swapped");
        let next_due = self.path.join("next_due");
        if next_due.exists() {
            fs::rename(&next_due, dir.join("next_due")).map_err(fs_err("cannot move", &next_due))?;
        }
        Ok(())
    }

    /// Move the old database (left here by [`Staging::switch`]) into a new dated backup
    /// directory `DIR.backup-YYYYMMDD-HHMMSS` and return it; `None` when there was none.
    pub fn keep_old(&self, dir: &Path) -> Result<Option<PathBuf>> {
        let old = self.path.join("db");
        if fs::symlink_metadata(&old).is_err() {
            return Ok(None);
        }
        backup(dir, &old).map(Some)
    }

    /// Leave the directory where it is (the next import turns an old database in it into a
    /// backup); for when keeping the old database after a switch failed.
    pub fn leave(mut self) {
        self.keep = true;
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// Atomically exchange two directories (Linux `renameat2(RENAME_EXCHANGE)`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::{c_char, c_int, c_uint, CString};
    use std::os::unix::ffi::OsStrExt;
    extern "C" {
        fn renameat2(
            olddirfd: c_int,
            old: *const c_char,
            newdirfd: c_int,
            new: *const c_char,
            flags: c_uint,
        ) -> c_int;
    }
    const AT_FDCWD: c_int = -100;
    const RENAME_EXCHANGE: c_uint = 2;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated strings that outlive the call.
    let r = unsafe { renameat2(AT_FDCWD, a.as_ptr(), AT_FDCWD, b.as_ptr(), RENAME_EXCHANGE) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// No atomic exchange on this platform: report it as unsupported (ENOSYS), so the caller falls
/// back to two renames.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn exchange(_a: &Path, _b: &Path) -> io::Result<()> {
    Err(io::Error::from_raw_os_error(38))
}

/// Move the database directory `db` into a new dated backup directory of `dir`.
fn backup(dir: &Path, db: &Path) -> Result<PathBuf> {
    let stamp = chrono::DateTime::<chrono::Utc>::from_timestamp(crate::clock::now()?, 0)
        .map(|t| t.format("%Y%m%d-%H%M%S").to_string())
        .unwrap_or_else(|| "00000000-000000".to_string());
    let mut path = sibling(dir, &format!("backup-{stamp}"))?;
    let mut n = 1;
    while fs::symlink_metadata(&path).is_ok() {
        n += 1;
        path = sibling(dir, &format!("backup-{stamp}-{n}"))?;
    }
    fs::DirBuilder::new().mode(0o700).create(&path).map_err(fs_err("cannot create", &path))?;
    fs::rename(db, path.join("db")).map_err(fs_err("cannot move the old database to", &path))?;
    if let Some(parent) = path.parent() {
        sync_dir(parent);
    }
    Ok(path)
}

/// Remove the backups `DIR.backup-*` of `dir` other than `keep`.
pub fn remove_old_backups(dir: &Path, keep: &Path) -> Result<()> {
    let (parent, name) = split(dir)?;
    let prefix = format!("{name}.backup-");
    for e in fs::read_dir(&parent).map_err(fs_err("cannot list", &parent))?.flatten() {
        let path = e.path();
        let is_backup = e.file_name().to_str().is_some_and(|n| n.starts_with(&prefix));
        if is_backup && path != keep && e.file_type().is_ok_and(|t| t.is_dir()) {
            fs::remove_dir_all(&path).map_err(fs_err("cannot remove the old backup", &path))?;
        }
    }
    Ok(())
}

/// Deal with what a killed import or compact of `dir` left next to it; the caller holds
/// `dir`'s lock, so none is running. A staging directory killed before its switch is removed.
/// One killed after it holds the old database: after an import it becomes a backup, after a
/// compact it is removed. One killed between the two renames of the fallback switch gives its
/// old database back to `dir`. Returns a line for the user per leftover kept.
pub fn clean_leftovers(dir: &Path) -> Result<Vec<String>> {
    let (parent, name) = split(dir)?;
    let mut notes = Vec::new();
    let entries = match fs::read_dir(&parent) {
        Ok(e) => e,
        Err(_) => return Ok(notes),
    };
    for e in entries.flatten() {
        let file_name = e.file_name();
        let Some(n) = file_name.to_str() else { continue };
        let import = n.strip_prefix(&format!("{name}.import-")).is_some();
        let compact = n.strip_prefix(&format!("{name}.compact-")).is_some();
        let path = e.path();
        if !(import || compact) || !path.join(MARKER).is_file() {
            continue;
        }
        let marker = fs::read_to_string(path.join(MARKER)).unwrap_or_default();
        let new_ino =
            marker.lines().find_map(|l| l.strip_prefix("new-db ")).and_then(|v| v.parse::<u64>().ok());
        let old = path.join("db.old");
        let db = path.join("db");
        let cur_db = dir.join("db");
        let old_db = if fs::symlink_metadata(&old).is_ok() {
            if fs::symlink_metadata(&cur_db).is_err() {
                fs::rename(&old, &cur_db).map_err(fs_err("cannot restore", &cur_db))?;
                notes.push(format!("restored the farm in {} after an interrupted switch", dir.display()));
                None
            } else {
                Some(old)
            }
        } else {
            match (new_ino, fs::metadata(&db)) {
                (Some(ino), Ok(md)) if md.ino() != ino => Some(db),
                _ => None,
            }
        };
        if let Some(old_db) = old_db {
            if import {
                let kept = backup(dir, &old_db)?;
                notes.push(format!(
                    "an interrupted import had already switched; the farm it replaced is in {}",
                    kept.display()
                ));
            }
        }
        fs::remove_dir_all(&path).map_err(fs_err("cannot remove the leftover", &path))?;
    }
    Ok(notes)
}

/// The data directory of an import: resolved, created if needed, and locked for the whole
/// import. If it was created here and the import fails, it is removed again when dropped.
pub struct Target {
    dir: PathBuf,
    created: bool,
    keep: bool,
    _lock: File,
}

impl Target {
    /// Lock `dir` for an import. Refuses (usage error) a farm without `replace`, and a
    /// directory that holds something other than a farm.
    pub fn lock(dir: &Path, replace: bool) -> Result<Target> {
        let created = fs::symlink_metadata(dir).is_err();
        if !created {
            // Refuse a directory that is not ours before putting a lock file into it. A damaged
            // farm is ours: an interrupted switch is repaired below, under the lock.
            match check_target(dir, replace) {
                Err(e) if e.kind == crate::error::Kind::Data => {}
                r => r?,
            }
        }
        store::create_dir(dir)?;
        let dir = fs::canonicalize(dir).map_err(fs_err("cannot resolve", dir))?;
        let lock = match store::lock_dir(&dir) {
            Ok(l) => l,
            Err(e) => {
                if created {
                    let _ = fs::remove_file(dir.join("lock"));
                    let _ = fs::remove_dir(&dir);
                }
                return Err(e);
            }
        };
        let target = Target { dir, created, keep: false, _lock: lock };
        for note in clean_leftovers(&target.dir)? {
            eprintln!("farm: {note}");
        }
        check_target(&target.dir, replace)?;
        Ok(target)
    }

    /// The resolved data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Keep the directory even if it was created here (the import succeeded).
    pub fn keep(&mut self) {
        self.keep = true;
    }
}

/// An import may go into a farm (with `replace`), an empty directory, or one holding only
/// what farm itself leaves in a data directory without a database, or the packaged cron
/// line's `cron.lock` (packaging/cron/farm).
fn check_target(dir: &Path, replace: bool) -> Result<()> {
    if !dir.is_dir() {
        return Err(FarmError::usage(format!("{} is not a directory", dir.display())));
    }
    // A damaged farm may be replaced by its backup: that is what the error tells the user to do.
    let damaged = |e: &FarmError| e.kind == crate::error::Kind::Data;
    if store::exists(dir).or_else(|e| if replace && damaged(&e) { Ok(true) } else { Err(e) })? {
        if replace {
            return Ok(());
        }
        return Err(FarmError::usage(format!(
            "there is already a farm in {}; pass --replace to swap it for the archive (the old farm is kept as a backup)",
            dir.display()
        )));
    }
    let known = ["lock", "next_due", "next_due.tmp", "cron.lock"];
    for e in fs::read_dir(dir).map_err(fs_err("cannot list", dir))?.flatten() {
        if !known.iter().any(|k| e.file_name() == *k) {
            return Err(FarmError::usage(format!(
                "{} is not empty and holds no farm ({:?} is in it); import into an empty or new directory",
                dir.display(),
                e.file_name()
            )));
        }
    }
    Ok(())
}

impl Drop for Target {
    fn drop(&mut self) {
        if self.created && !self.keep {
            let _ = fs::remove_file(self.dir.join("lock"));
            let _ = fs::remove_dir(&self.dir);
        }
    }
}
