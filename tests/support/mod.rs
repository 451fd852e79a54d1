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
        // farm may be done (a refusal) before it reads its input: a closed pipe is no failure.
        if let Err(e) = child.stdin.take().unwrap().write_all(input.as_bytes()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "writing farm's input: {e}");
        }
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

/// Whether this test may run programs as another user (as root, as in CI here).
pub fn can_switch_users() -> bool {
    let probe = Command::new("setpriv").args(["--reuid=65534", "true"]).status();
    probe.is_ok_and(|s| s.success())
}

/// The login name of user `uid` in `/etc/passwd` (`#UID` when it has none).
pub fn user_name(uid: u32) -> String {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.get(2).is_some_and(|id| *id == uid.to_string()))
        .map_or(format!("#{uid}"), |f| f[0].to_string())
}

/// Run the farm binary on `f`'s farm as user `nobody` (the tests run as root here; elsewhere as a
/// plain user, which cannot read a directory of mode 0700 owned by root either).
pub fn as_nobody(f: &Farm, args: &[&str]) -> Run {
    let mut c = Command::new("setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_farm")]).args(args);
    c.env_clear().env("FARM_DB", f.db()).env("PATH", "/usr/bin:/bin");
    Run::from(c.output().expect("setpriv (util-linux) runs the binary as another user"))
}

/// Give `path` and everything under it to user and group `id`.
pub fn chown_tree(path: &Path, id: u32) {
    std::os::unix::fs::lchown(path, Some(id), Some(id)).unwrap();
    if path.is_dir() && !path.is_symlink() {
        for e in std::fs::read_dir(path).unwrap().flatten() {
            chown_tree(&e.path(), id);
        }
    }
}

/// The files under `dir` (itself included) that user `uid` does not own.
pub fn not_owned_by(dir: &Path, uid: u32) -> Vec<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let mut found = Vec::new();
    if std::fs::symlink_metadata(dir).is_ok_and(|m| m.uid() != uid) {
        found.push(dir.to_path_buf());
    }
    if dir.is_dir() {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            found.extend(not_owned_by(&e.path(), uid));
        }
    }
    found
}

/// Whether process `pid` has the file `path` open (from `/proc/PID/fd`).
pub fn has_open(pid: u32, path: &Path) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return false };
    fds.flatten().any(|fd| std::fs::read_link(fd.path()).is_ok_and(|p| p == path))
}

/// Wait until `child` has the farm's lock file open (it is then trying to take the lock, or holds
/// it), or has ended. Panics after a minute.
pub fn wait_for_lock_attempt(child: &mut std::process::Child, db: &Path) {
    let lock = db.join("lock");
    let start = std::time::Instant::now();
    while !has_open(child.id(), &lock) && child.try_wait().unwrap().is_none() {
        assert!(start.elapsed().as_secs() < 60, "process {} never opened {}", child.id(), lock.display());
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Whether some process holds the flock of the farm's lock file (from `/proc/locks`), without
/// taking it.
pub fn lock_is_held(db: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(ino) = std::fs::metadata(db.join("lock")).map(|m| m.ino()) else { return false };
    let locks = std::fs::read_to_string("/proc/locks").unwrap_or_default();
    locks.lines().any(|l| {
        l.contains("FLOCK")
            && l.split_whitespace().nth(5).and_then(|id| id.rsplit(':').next()) == Some(&ino.to_string())
    })
}

/// A `farm` process on a pseudo-terminal (through util-linux `script`), for the prompts that
/// need one: read what it prints, answer it.
pub struct Pty {
    child: std::process::Child,
    out: std::sync::mpsc::Receiver<u8>,
    bytes: Vec<u8>,
}

impl Pty {
    /// Start `farm ARGS` on `f`'s farm with extra environment `env`.
    pub fn spawn(f: &Farm, args: &[&str], env: &[(&str, &str)]) -> Pty {
        let mut line = vec![shell_quote(env!("CARGO_BIN_EXE_farm"))];
        line.extend(args.iter().map(|a| shell_quote(a)));
        let c = f.cmd(&[]);
        let mut script = Command::new("script");
        script.args(["-qefc", &line.join(" "), "/dev/null"]);
        script.env_clear().envs(c.get_envs().filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))));
        script.env("PATH", std::env::var("PATH").unwrap_or_default()).env("TERM", "dumb");
        for (k, v) in env {
            script.env(k, v);
        }
        script.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = script.spawn().expect("script (util-linux) gives farm a terminal");
        let mut stdout = child.stdout.take().unwrap();
        let (tx, out) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::Read;
            let mut b = [0u8; 1];
            while stdout.read(&mut b).is_ok_and(|n| n == 1) {
                if tx.send(b[0]).is_err() {
                    break;
                }
            }
        });
        Pty { child, out, bytes: Vec::new() }
    }

    /// Read until the output shows `text`; panics after a minute.
    pub fn expect(&mut self, text: &str) {
        let start = std::time::Instant::now();
        while !self.seen().contains(text) {
            let left = std::time::Duration::from_secs(60).saturating_sub(start.elapsed());
            match self.out.recv_timeout(left) {
                Ok(b) => self.bytes.push(b),
                Err(_) => panic!("never saw {text:?}; saw {:?}", self.seen()),
            }
        }
    }

    /// Everything printed so far.
    pub fn seen(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// Type a line.
    pub fn send_line(&mut self, line: &str) {
        use std::io::Write;
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(format!("{line}\n").as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Wait for the end; its exit code and everything it printed.
    pub fn finish(mut self) -> (i32, String) {
        drop(self.child.stdin.take());
        let status = self.child.wait().unwrap();
        while let Ok(b) = self.out.recv_timeout(std::time::Duration::from_secs(5)) {
            self.bytes.push(b);
        }
        (status.code().unwrap_or(-1), self.seen())
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
