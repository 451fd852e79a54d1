//! Test support: a temporary data directory and a way to run the real `farm` binary on it.
#![allow(dead_code)]

pub mod net;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("farm-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Wait until sled lets go of its lock on the database in `db` (when its I/O threads finish, a
/// little after the last handle of this process is dropped), so the `farm` processes a test
/// starts next never find it held.
pub fn wait_unlocked(db: &Path) {
    let file = std::fs::File::open(db.join("db")).unwrap();
    let start = std::time::Instant::now();
    while file.try_lock().is_err() {
        assert!(start.elapsed().as_secs() < 10, "sled still holds its lock");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Drop a store opened in the test process and wait until its lock is free.
pub fn close_store(store: botfarm::store::Store) {
    let db = store.dir().join("db");
    drop(store);
    wait_unlocked(&db);
}

/// Copy the directory `from` with everything in it to `to` (which must not exist yet).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// A farm's control database (`DIR/db`) opened straight with sled, with the segment size it was
/// created with, to set up or inspect states the `farm` commands cannot reach. Dropping it waits
/// until the lock is free.
pub struct Control {
    db: Option<sled::Db>,
    path: PathBuf,
}

impl std::ops::Deref for Control {
    type Target = sled::Db;
    fn deref(&self) -> &sled::Db {
        self.db.as_ref().unwrap()
    }
}

impl Drop for Control {
    fn drop(&mut self) {
        drop(self.db.take());
        wait_unlocked(&self.path);
    }
}

/// Open a farm's control database, see [`Control`].
pub fn open_control(db: &Path) -> Control {
    let seg = botfarm::store::control_segment(db);
    Control {
        db: Some(sled::Config::new().path(db).segment_size(seg).open().unwrap()),
        path: db.to_path_buf(),
    }
}

/// The result of one `farm` run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The result of a finished process.
    pub fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "farm failed:\nstdout: {}\nstderr: {}", self.stdout, self.stderr);
        self
    }
    #[track_caller]
    pub fn code(self, want: i32) -> Run {
        assert_eq!(self.code, want, "wrong exit code:\nstdout: {}\nstderr: {}", self.stdout, self.stderr);
        self
    }
    /// A failure the way farm must report one: this exit code, one line on stderr, naming `words`.
    #[track_caller]
    pub fn one_line_error(&self, code: i32, words: &str) {
        assert_eq!(self.code, code, "stdout: {}\nstderr: {}", self.stdout, self.stderr);
        assert_eq!(self.stderr.lines().count(), 1, "{}", self.stderr);
        assert!(self.stderr.contains(words), "{}", self.stderr);
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// A farm in a temporary data directory.
pub struct Farm {
    pub dir: TempDir,
    pub env: Vec<(String, String)>,
    pub now: Option<String>,
}

pub const X_CK: &str = "consumer-key-AAAA1111";
pub const X_CS: &str = "consumer-secret-BBBB2222";

impl Farm {
    pub fn new() -> Farm {
        Farm { dir: TempDir::new("farm"), env: Vec::new(), now: None }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn set_now(&mut self, rfc3339: &str) {
        self.now = Some(rfc3339.to_string());
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_farm"));
        c.args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("FARM_") || k == "RUST_BACKTRACE" {
                c.env_remove(k);
            }
        }
        c.env("FARM_DB", self.db());
        c.env("FARM_HTTP_TIMEOUT", "3");
        if let Some(n) = &self.now {
            c.env("FARM_NOW", n);
        }
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c.stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.cmd(args).output().expect("run farm"))
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut c = self.cmd(args);
        for (k, v) in env {
            c.env(k, v);
        }
        Run::from(c.output().expect("run farm"))
    }

    pub fn run_stdin(&self, args: &[&str], input: &str) -> Run {
        use std::io::Write;
        let mut c = self.cmd(args);
        c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn farm");
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        Run::from(child.wait_with_output().unwrap())
    }

    /// Create an X reader with the given tokens.
    pub fn x_env(token: &str, secret: &str) -> Vec<(&'static str, String)> {
        vec![
            ("FARM_CONSUMER_KEY", X_CK.to_string()),
            ("FARM_CONSUMER_SECRET", X_CS.to_string()),
            ("FARM_ACCESS_TOKEN", token.to_string()),
            ("FARM_ACCESS_SECRET", secret.to_string()),
        ]
    }

    pub fn create(&self, args: &[&str], env: &[(&'static str, String)]) -> Run {
        let mut c = self.cmd(args);
        for (k, v) in env {
            c.env(k, v);
        }
        Run::from(c.output().expect("run farm"))
    }
}

/// The first of `secrets` that `text` shows whole, or 8 characters of (farm masks any piece that
/// long), if any.
pub fn leak<S: AsRef<str>>(text: &str, secrets: &[S]) -> Option<String> {
    for s in secrets.iter().map(AsRef::as_ref) {
        let chars: Vec<char> = s.chars().collect();
        for w in chars.windows(8.min(chars.len())) {
            let piece: String = w.iter().collect();
            if text.contains(&piece) {
                return Some(format!("{piece:?} (of {s:?})"));
            }
        }
    }
    None
}
