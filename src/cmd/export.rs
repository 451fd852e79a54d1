//! `farm export FILE [--no-secrets] [--gzip] [-q]`: the whole farm as one tar archive (see
//! [`crate::archive`] for the format). Holds the farm's lock for the whole export, so the
//! snapshot is consistent. A file is written as a 0600 temporary next to FILE and renamed into
//! place only when complete; `-` streams to stdout. A symbolic link is followed (the file it
//! names is replaced, the link stays), and a FILE that is not a regular file (`/dev/null`, a
//! named pipe) is written into, never replaced: run as root, a rename over a device node would
//! turn `/dev/null` into a plain file. `-q` prints nothing on success (cron).

use super::Globals;
use crate::archive::{self, DumpOptions, Progress};
use crate::cli::ExportArgs;
use crate::error::{io_error, FarmError, Result};
use std::fs;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;

/// Run the command.
pub fn run(g: &Globals, a: ExportArgs) -> Result<()> {
    // A device or a pipe is opened before the farm: a pipe nobody reads would otherwise hold the
    // farm's lock for as long as it waits, and every cron run would pass meanwhile.
    let node = match a.file.as_str() {
        "-" => None,
        f => open_node(&target(Path::new(f)))?,
    };
    let mut store = open_farm(&g.dir, "export")?;
    let opts = DumpOptions { secrets: !a.no_secrets, gzip: a.gzip };
    let progress = if a.quiet { Progress::quiet() } else { Progress::new("export") };
    if a.file == "-" {
        let stdout = io::stdout();
        if stdout_discards() {
            return Err(FarmError::usage(
                "stdout is closed or /dev/null: the archive would be lost; redirect it to a file (farm export - > farm.tar) or give a file name",
            ));
        }
        if stdout.is_terminal() {
            return Err(FarmError::usage(
                "refusing to write an archive to a terminal; redirect it (farm export - > farm.tar) or give a file name",
            ));
        }
        let mut out = stdout.lock();
        archive::dump(&mut store, &mut out, opts, &progress)?;
        out.flush().map_err(|e| io_error(&e, "cannot write the archive to stdout"))?;
        return store.flush();
    }
    let path = &target(Path::new(&a.file));
    if path.is_dir() {
        return Err(FarmError::usage(format!("{} is a directory; give a file name", path.display())));
    }
    if let Some(file) = node {
        // A device or a pipe: write into it.
        let what = format!("cannot write the archive to {}", path.display());
        let mut w = BufWriter::with_capacity(1 << 16, file);
        let m = archive::dump(&mut store, &mut w, opts, &progress)?;
        w.flush().map_err(|e| io_error(&e, &what))?;
        store.flush()?;
        if !a.quiet {
            crate::outln!("exported {} bots ({} records) to {}", m.bots(), m.records, path.display())?;
        }
        return Ok(());
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("export");
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let _ = fs::remove_file(&tmp);
    let file = archive::create_private(&tmp)?;
    let written = (|| {
        let mut w = BufWriter::with_capacity(1 << 16, file);
        let m = archive::dump(&mut store, &mut w, opts, &progress)?;
        let file = w.into_inner().map_err(|e| io_error(e.error(), "cannot write the archive"))?;
        file.sync_all().map_err(|e| io_error(&e, "cannot write the archive"))?;
        fs::rename(&tmp, path).map_err(|e| io_error(&e, &format!("cannot write {}", path.display())))?;
        Ok(m)
    })();
    let m = match written {
        Ok(m) => m,
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
    };
    store.flush()?;
    if a.quiet {
        return Ok(());
    }
    let size = fs::metadata(path).map(|md| md.len()).unwrap_or(0);
    crate::outln!(
        "exported {} bots ({} records{}) to {} ({})",
        m.bots(),
        m.records,
        if m.secrets { "" } else { ", without credentials" },
        path.display(),
        archive::human_bytes(size)
    )?;
    Ok(())
}

/// The file a FILE argument names: a symbolic link's target (resolved against the link's folder
/// when relative), else FILE itself.
fn target(given: &Path) -> std::path::PathBuf {
    match fs::read_link(given) {
        Ok(to) => fs::canonicalize(given).unwrap_or_else(|_| match given.parent() {
            Some(dir) if to.is_relative() => dir.join(to),
            _ => to,
        }),
        Err(_) => given.to_path_buf(),
    }
}

/// Whether what is written to stdout is thrown away: stdout is `/dev/null`, which is also what a
/// closed stdout (`farm export - >&-`) is by the time farm runs (Rust's runtime opens
/// `/dev/null` on a closed standard descriptor, so every write "succeeds").
fn stdout_discards() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let Ok(fd) = io::stdout().as_fd().try_clone_to_owned() else { return true };
    match (fs::File::from(fd).metadata(), fs::metadata("/dev/null")) {
        (Ok(out), Ok(null)) => out.file_type().is_char_device() && out.rdev() == null.rdev(),
        _ => false,
    }
}

/// Open `path` for writing when it is a device or a named pipe (`None` for a plain file or no
/// file). A pipe with no reader is an error at once (opened non-blocking: ENXIO), never a wait.
fn open_node(path: &Path) -> Result<Option<fs::File>> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    if !fs::metadata(path).is_ok_and(|md| !md.is_file() && !md.is_dir()) {
        return Ok(None);
    }
    const O_NONBLOCK: i32 = 0o4000;
    let file = fs::OpenOptions::new().write(true).custom_flags(O_NONBLOCK).open(path).map_err(|e| {
        if e.raw_os_error() == Some(6) {
            // ENXIO: a named pipe that nobody reads.
            FarmError::usage(format!(
                "nothing reads from the pipe {}; start its reader first",
                path.display()
            ))
        } else {
            io_error(&e, &format!("cannot write the archive to {}", path.display()))
        }
    })?;
    // Writes block again, as into any file: a full pipe waits for its reader.
    unsafe extern "C" {
        fn fcntl(fd: i32, cmd: i32, ...) -> i32;
    }
    const F_GETFL: i32 = 3;
    const F_SETFL: i32 = 4;
    // SAFETY: fcntl on a descriptor we own, with integer arguments only.
    unsafe {
        let flags = fcntl(file.as_raw_fd(), F_GETFL);
        if flags >= 0 {
            fcntl(file.as_raw_fd(), F_SETFL, flags & !O_NONBLOCK);
        }
    }
    Ok(Some(file))
}

/// Open an existing farm with the archive code's small page cache (every record is read once),
/// waiting for a running `farm run` as `--wait` allows.
pub fn open_farm(dir: &std::path::Path, what: &str) -> Result<crate::store::Store> {
    if !crate::store::exists(dir)? {
        return Err(FarmError::usage(format!("there is no farm in {}; nothing to {what}", dir.display())));
    }
    super::open_with_cache(dir, archive::CACHE)
}
