//! The data directory itself, outside the databases: creating and probing it, its lock, the
//! check for a damaged farm, its owner, disk usage and the next-due record.

use super::Store;
use crate::error::{io_error, FarmError, Result};
use std::fs::{self, File};
use std::path::Path;
use std::time::{Duration, Instant};

/// Take the data directory's lock without waiting; a [`crate::error::Kind::TempFail`] error when another farm
/// process holds it.
pub fn lock_dir(dir: &Path) -> Result<File> {
    lock_dir_waiting(dir, Duration::ZERO)
}

/// Take the data directory's lock, waiting up to `wait` for another farm process to let go of
/// it (a run in progress ends within seconds). After that, a [`crate::error::Kind::TempFail`] error.
pub fn lock_dir_waiting(dir: &Path, wait: Duration) -> Result<File> {
    let path = dir.join("lock");
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| io_error(&e, &format!("cannot open {}", path.display())))?;
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(fs::TryLockError::WouldBlock) if start.elapsed() < wait => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(fs::TryLockError::WouldBlock) => return Err(busy(dir, wait)),
            Err(fs::TryLockError::Error(e)) => {
                return Err(io_error(&e, &format!("cannot lock {}", path.display())))
            }
        }
    }
}

/// The error for a data directory another farm process holds (after waiting `waited`).
pub(super) fn busy(dir: &Path, waited: Duration) -> FarmError {
    if waited.is_zero() {
        return FarmError::temp(format!("another farm process is using {}; try again later", dir.display()));
    }
    FarmError::temp(format!(
        "another farm process is using {} (waited {}); try again later (stats, list, show, log, metrics, export, best and compact take --wait to wait longer)",
        dir.display(),
        crate::clock::format_duration(waited.as_secs())
    ))
}

/// The effective user id of this process.
pub fn effective_uid() -> u32 {
    extern "C" {
        fn geteuid() -> u32;
    }
    // SAFETY: geteuid only returns the process's effective user id; it cannot fail.
    unsafe { geteuid() }
}

/// When the data directory belongs to a user other than the one running farm: the path that
/// tells (`dir`, or, when `dir` does not exist yet, the nearest folder above it unless root owns
/// that one, like `/var/lib`) and its owner. `None` when this user owns it (or nothing tells). A
/// farm must only ever be used by its owner: anyone else, root included, would leave files the
/// owner cannot use.
pub fn foreign_owner(dir: &Path) -> Option<(std::path::PathBuf, u32)> {
    use std::os::unix::fs::MetadataExt;
    let me = effective_uid();
    let mut path = Some(dir);
    while let Some(p) = path {
        if let Ok(md) = fs::metadata(p) {
            let uid = md.uid();
            let foreign = uid != me && (p == dir || uid != 0);
            return foreign.then(|| (p.to_path_buf(), uid));
        }
        path = p.parent().filter(|p| !p.as_os_str().is_empty());
    }
    None
}

/// A user of the system, from `/etc/passwd`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The login name.
    pub name: String,
    /// The user id.
    pub uid: u32,
    /// The home directory.
    pub home: String,
}

/// The user with id `uid`, if `/etc/passwd` lists it.
pub fn user_by_uid(uid: u32) -> Option<User> {
    users().into_iter().find(|u| u.uid == uid)
}

/// The user called `name`, if `/etc/passwd` lists it.
pub fn user_by_name(name: &str) -> Option<User> {
    users().into_iter().find(|u| u.name == name)
}

fn users() -> Vec<User> {
    let text = fs::read_to_string("/etc/passwd").unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some(User {
                name: f.first()?.to_string(),
                uid: f.get(2)?.parse().ok()?,
                home: f.get(5)?.to_string(),
            })
        })
        .collect()
}

/// The files under `dir` that its owner does not own (left by a farm run as another user, e.g.
/// root): at most `max` of them.
pub fn foreign_files(dir: &Path, max: usize) -> Vec<std::path::PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let Ok(owner) = fs::metadata(dir).map(|md| md.uid()) else { return Vec::new() };
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).into_iter().flatten().flatten() {
            let Ok(md) = e.metadata() else { continue };
            if md.uid() != owner {
                found.push(e.path());
                if found.len() >= max {
                    return found;
                }
            }
            if md.is_dir() {
                todo.push(e.path());
            }
        }
    }
    found
}

/// Create the data directory (mode 0700) if it does not exist.
pub fn create_dir(dir: &Path) -> Result<()> {
    if probe_dir(dir)? {
        return Ok(());
    }
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| io_error(&e, &format!("cannot create the data directory {}", dir.display())))
}

/// Make every file this process creates from now on readable by its owner only (umask 077):
/// the farm binary calls it first thing, since the data directory holds tokens. Files that
/// must be readable by others (the metrics file) set their mode explicitly.
pub fn private_umask() {
    extern "C" {
        fn umask(mask: u32) -> u32;
    }
    // SAFETY: umask only sets the process's file mode creation mask; it cannot fail.
    unsafe {
        umask(0o077);
    }
}

/// Take group and other permissions off everything under `dir`, which an older farm, another
/// umask or a copy may have left: the database holds tokens, whatever mode `dir` itself has.
pub(super) fn owner_only(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fn walk(path: &Path) -> std::io::Result<()> {
        for e in fs::read_dir(path)? {
            let e = e?;
            let md = e.metadata()?;
            let mode = md.permissions().mode();
            if md.is_dir() {
                if mode & 0o077 != 0 {
                    fs::set_permissions(e.path(), fs::Permissions::from_mode(mode & 0o700))?;
                }
                walk(&e.path())?;
            } else if md.is_file() && mode & 0o077 != 0 {
                fs::set_permissions(e.path(), fs::Permissions::from_mode(mode & 0o700))?;
            }
        }
        Ok(())
    }
    walk(dir).map_err(|e| io_error(&e, &format!("cannot make the files in {} private", dir.display())))
}

/// Whether the data directory exists; an error when it cannot be used at all (a file, not
/// readable by this user).
fn probe_dir(dir: &Path) -> Result<bool> {
    let md = match fs::metadata(dir) {
        Ok(md) => md,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(unusable(dir, &e)),
    };
    if !md.is_dir() {
        return Err(FarmError::config(format!(
            "{} is not a directory; point --db (or FARM_DB) at the farm's data directory",
            dir.display()
        )));
    }
    // Listing it tells whether this user may use it (wrong owner, mode 0700 of another user).
    fs::read_dir(dir).map_err(|e| unusable(dir, &e))?;
    Ok(true)
}

fn unusable(dir: &Path, e: &std::io::Error) -> FarmError {
    if e.kind() == std::io::ErrorKind::PermissionDenied {
        return FarmError::io(format!(
            "cannot read the data directory {}: permission denied; run farm as the user that owns it \
             (`ls -ld {}`), or point --db elsewhere",
            dir.display(),
            dir.display()
        ));
    }
    io_error(e, &format!("cannot read the data directory {}", dir.display()))
}

/// Whether `dir` holds a farm database. An error when `dir` cannot be used, or when it holds
/// what is left of a database whose files were deleted (never "no farm here": that would hide
/// the loss behind an empty farm).
pub fn exists(dir: &Path) -> Result<bool> {
    if !probe_dir(dir)? {
        return Ok(false);
    }
    let db = dir.join("db");
    match fs::metadata(db.join("conf")) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let leftovers = fs::read_dir(&db).map(|mut d| d.next().is_some()).unwrap_or(false);
            if leftovers || dir.join("next_due").exists() {
                Err(damaged(dir, "its db/conf file is missing"))
            } else {
                Ok(false)
            }
        }
        Err(e) => Err(unusable(dir, &e)),
    }
}

/// The error for a farm whose database files are damaged or gone.
pub(super) fn damaged(dir: &Path, what: &str) -> FarmError {
    FarmError::data(format!(
        "the farm database in {} is damaged ({what}); restore the last `farm export` backup with \
         `farm import --replace FILE`",
        dir.display()
    ))
}

/// Bytes allocated on disk for `path` and, for a directory, everything under it (like `du`).
pub fn disk_usage(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let Ok(md) = fs::symlink_metadata(path) else { return 0 };
    let mut total = md.blocks() * 512;
    if md.is_dir() {
        if let Ok(entries) = fs::read_dir(path) {
            for e in entries.flatten() {
                total += disk_usage(&e.path());
            }
        }
    }
    total
}

/// The next-due record, read without opening the database: when the next bot is due
/// (`i64::MAX` when nothing is scheduled) and the time of the run that wrote it. `None` when the
/// record is missing or unreadable (the caller then opens the database and finds out).
pub fn read_next_due(dir: &Path) -> Option<(i64, i64)> {
    let s = fs::read_to_string(dir.join("next_due")).ok()?;
    let mut parts = s.split_whitespace();
    let at = match parts.next()? {
        "never" => i64::MAX,
        t => t.parse().ok()?,
    };
    let written = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some((at, written))
}

impl Store {
    /// Flush the database, then write the next-due record atomically (temp file + rename):
    /// `at` (`None`: nothing scheduled) and `now`, the time of this run. In that order, so a
    /// record never promises more than the database on disk holds.
    pub fn write_next_due(&self, at: Option<i64>, now: i64) -> Result<()> {
        self.flush()?;
        let at = at.map_or("never".to_string(), |t| t.to_string());
        let tmp = self.dir.join("next_due.tmp");
        fs::write(&tmp, format!("{at} {now}\n"))
            .map_err(|e| io_error(&e, "cannot write the next-due record"))?;
        fs::rename(&tmp, self.dir.join("next_due"))
            .map_err(|e| io_error(&e, "cannot write the next-due record"))?;
        crate::config::crash_point("next-due-written");
        Ok(())
    }
}
