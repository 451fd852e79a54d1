//! The `exec` processor: pipe the text to an external command (`sh -c CMD`) and post what it
//! prints. Empty output means skip; a failure or a timeout is an error for that writer only.
//!
//! The command runs in a process group of its own; when it exits, or when it is killed at the
//! timeout, the whole group is killed, so a background process it started (`sleep 100 & echo
//! hi`) neither outlives it nor holds its output back. A process that left the group
//! (`setsid`, a daemonizing `nohup … &`) is found by a mark in its environment,
//! `FARM_EXEC_ID`, which every descendant inherits, and killed too (the idea of Jenkins'
//! ProcessTreeKiller and its `BUILD_ID` cookie). Only a descendant that clears its environment
//! escapes both.

use crate::error::{FarmError, Kind};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A configured `exec` processor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exec {
    /// The shell command.
    pub command: String,
    /// How long the command may run before it is killed.
    pub timeout: Duration,
}

const SYNTAX: &str = "exec:COMMAND[;timeout=10s] (everything after 'exec:' is the command), \
                      e.g. exec:tr a-z A-Z;timeout=5s";
/// Most output read from the command (the rest is ignored).
const MAX_OUTPUT: usize = 1 << 20;

/// What running the command can end in, other than output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecError {
    /// It could not be started.
    Spawn(String),
    /// It exited unsuccessfully: the status and the first line of its stderr.
    Failed(String, String),
    /// It ran longer than the timeout and was killed.
    TimedOut(Duration),
}

impl Exec {
    /// Parse an `exec:…` spec: the command is the whole rest; a final `;timeout=DURATION` (`500ms`,
    /// `5s`, `2m`, or seconds) sets the timeout (default 10 s).
    pub fn parse(spec_text: &str) -> Result<Exec, String> {
        let bad = |e: String| format!("{e}; syntax: {SYNTAX}");
        let rest = spec_text.strip_prefix("exec:").unwrap_or("");
        let mut command = rest;
        let mut timeout = Duration::from_secs(10);
        if let Some(at) = rest.rfind(';') {
            if let Some(value) = rest[at + 1..].trim().strip_prefix("timeout=") {
                timeout = duration(value).ok_or_else(|| bad(format!("timeout={value}: expected e.g. 5s")))?;
                command = &rest[..at];
            }
        }
        let command = command.trim().to_string();
        if command.is_empty() {
            return Err(bad("exec needs a command".to_string()));
        }
        Ok(Exec { command, timeout })
    }

    /// One line for `farm show`.
    pub fn describe(&self) -> String {
        format!("exec: `{}` (timeout {})", self.command, show_duration(self.timeout))
    }

    /// Run the command with `input` on its stdin; its stdout, trimmed (`None` if empty). `env` is
    /// added to its environment.
    ///
    /// The command runs in a process group of its own. When it exits, whatever it left running
    /// in the background (`sleep 100 & echo hi`) is killed with the group, so its output ends
    /// there; when it runs past the timeout, the whole group is killed and that is an error.
    pub fn run(&self, input: &str, env: &[(&str, String)]) -> Result<Option<String>, ExecError> {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(&self.command).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        for var in crate::config::SECRET_VARIABLES {
            cmd.env_remove(var);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mark = exec_mark();
        cmd.env(MARK_VAR, &mark);
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd.spawn().map_err(|e| ExecError::Spawn(e.to_string()))?;
        let group = child.id();

        // Write stdin and read both outputs on their own threads: the command may read nothing,
        // print a lot, or never end, and none of that may block us.
        let mut stdin = child.stdin.take();
        let data = input.as_bytes().to_vec();
        thread::spawn(move || {
            if let Some(stdin) = stdin.as_mut() {
                let _ = stdin.write_all(&data);
            }
        });
        let out = Output::read(child.stdout.take());
        let err = Output::read(child.stderr.take());

        let deadline = Instant::now() + self.timeout;
        loop {
            match exited(group) {
                Ok(true) => break,
                Ok(false) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                Ok(false) | Err(_) => {
                    kill_group(group);
                    let _ = child.kill();
                    let _ = child.wait();
                    kill_marked(&mark);
                    return Err(ExecError::TimedOut(self.timeout));
                }
            }
        }
        // The command is done but not yet reaped, so its pid (the group's id) cannot be taken
        // by another process: end what it left behind, which also closes the pipes those
        // processes held, then reap it, then whatever left the group (setsid) but carries the
        // mark. One that also cleared its environment may still hold the pipes: then what was
        // read so far is the output.
        kill_group(group);
        let status = child.wait().map_err(|e| ExecError::Spawn(e.to_string()))?;
        kill_marked(&mark);
        let stdout = out.take(Duration::from_secs(1));
        if !status.success() {
            let stderr = err.take(Duration::from_millis(200));
            let first = String::from_utf8_lossy(&stderr)
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("")
                .to_string();
            let what = match (status.code(), std::os::unix::process::ExitStatusExt::signal(&status)) {
                (Some(code), _) => format!("exit status {code}"),
                (None, Some(sig)) => format!("signal {sig}"),
                (None, None) => "an unknown status".to_string(),
            };
            return Err(ExecError::Failed(what, first));
        }
        let text = String::from_utf8_lossy(&stdout).trim().to_string();
        Ok((!text.is_empty()).then_some(text))
    }
}

/// One output pipe of the command, read on a thread into a buffer that can be taken at any time.
struct Output {
    buf: Arc<Mutex<Vec<u8>>>,
    done: mpsc::Receiver<()>,
}

impl Output {
    /// Read `pipe` to its end, keeping the first [`MAX_OUTPUT`] bytes (the rest is read and
    /// dropped, so the command never blocks on a full pipe).
    fn read(pipe: Option<impl Read + Send + 'static>) -> Output {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let (tx, done) = mpsc::channel();
        let shared = Arc::clone(&buf);
        thread::spawn(move || {
            if let Some(mut pipe) = pipe {
                let mut chunk = [0u8; 8192];
                while let Ok(n @ 1..) = pipe.read(&mut chunk) {
                    let mut b = shared.lock().unwrap_or_else(|p| p.into_inner());
                    let room = MAX_OUTPUT.saturating_sub(b.len());
                    b.extend_from_slice(&chunk[..n.min(room)]);
                }
            }
            let _ = tx.send(());
        });
        Output { buf, done }
    }

    /// What was read once the pipe ends, or after `wait` if it does not.
    fn take(self, wait: Duration) -> Vec<u8> {
        let _ = self.done.recv_timeout(wait);
        std::mem::take(&mut *self.buf.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl ExecError {
    /// A one-line message naming the command, saying what to do next.
    pub fn message(&self, command: &str) -> String {
        match self {
            ExecError::Spawn(e) => format!(
                "writer command `{command}` could not be started: {e}; check that sh runs and the system can start processes"
            ),
            ExecError::Failed(status, stderr) if stderr.is_empty() => {
                format!("writer command `{command}` failed with {status} and printed nothing on stderr; fix the command")
            }
            ExecError::Failed(status, stderr) => {
                format!("writer command `{command}` failed with {status}: {stderr}")
            }
            ExecError::TimedOut(t) => format!(
                "writer command `{command}` timed out after {} and was killed; make it faster or raise its ;timeout=",
                show_duration(*t)
            ),
        }
    }

    /// The kind of error: a command that cannot be started is a local I/O failure (exit 74), one
    /// that fails needs fixing (78), one that ran too long may do better next time (75).
    pub fn kind(&self) -> Kind {
        match self {
            ExecError::Spawn(_) => Kind::Io,
            ExecError::Failed(..) => Kind::Config,
            ExecError::TimedOut(_) => Kind::TempFail,
        }
    }

    /// This error as a [`FarmError`] of [`ExecError::kind`].
    pub fn to_farm_error(&self, command: &str) -> FarmError {
        FarmError::new(self.kind(), self.message(command))
    }
}

/// Whether the child `pid` has exited, without reaping it (`waitid` with `WNOWAIT`): while it
/// is an unreaped zombie its pid, which is also its process group's id, is not reused.
fn exited(pid: u32) -> std::io::Result<bool> {
    unsafe extern "C" {
        fn waitid(idtype: i32, id: u32, infop: *mut i32, options: i32) -> i32;
    }
    // Linux values: P_PID, WNOHANG, WEXITED, WNOWAIT.
    const P_PID: i32 = 1;
    const WNOHANG: i32 = 1;
    const WEXITED: i32 = 4;
    const WNOWAIT: i32 = 0x0100_0000;
    // siginfo_t is 128 bytes; its first int, si_signo, stays 0 when nothing has happened yet.
    let mut info = [0i32; 32];
    // SAFETY: `info` is a zeroed buffer of siginfo_t's size that waitid fills in.
    let r = unsafe { waitid(P_PID, pid, info.as_mut_ptr(), WEXITED | WNOHANG | WNOWAIT) };
    if r != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(info[0] != 0)
}

/// The environment variable that marks a command and everything it starts.
const MARK_VAR: &str = "FARM_EXEC_ID";

/// A mark no other command of this or another farm process carries: pid, a counter, the time.
fn exec_mark() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{}-{n}-{nanos}", std::process::id())
}

/// Kill every process whose environment holds `FARM_EXEC_ID=mark`: what a command started and
/// moved out of its process group. Best effort: `/proc` may be missing, and a process of another
/// user cannot be read (nor could it have been started by the command).
fn kill_marked(mark: &str) {
    let Ok(dir) = std::fs::read_dir("/proc") else { return };
    let wanted = format!("{MARK_VAR}={mark}");
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else { continue };
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else { continue };
        if environ.split(|&b| b == 0).any(|var| var == wanted.as_bytes()) {
            signal_kill(pid);
        }
    }
}

/// Kill the process group `pgid` with SIGKILL (best effort: it may be gone already).
fn kill_group(pgid: u32) {
    if let Ok(pgid) = i32::try_from(pgid) {
        // A negative pid names a process group; ours is never the command's (it has its own).
        signal_kill(-pgid);
    }
}

/// SIGKILL to a process (`pid` > 0) or a process group (`pid` < 0).
fn signal_kill(pid: i32) {
    unsafe extern "C" {
        fn kill(pid: i32, sig: i32) -> i32;
    }
    const SIGKILL: i32 = 9;
    // SAFETY: kill(2) takes two integers and touches no memory of ours.
    unsafe {
        kill(pid, SIGKILL);
    }
}

/// Parse `500ms`, `5s`, `2m` or a plain number of seconds.
fn duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (number, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: u64 = number.parse().ok()?;
    let d = match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        _ => return None,
    };
    (!d.is_zero() && d <= Duration::from_secs(3600)).then_some(d)
}

fn show_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_command_and_timeout() {
        let e = Exec::parse("exec:tr a-z A-Z; echo x;timeout=5s").unwrap();
        assert_eq!(e.command, "tr a-z A-Z; echo x");
        assert_eq!(e.timeout, Duration::from_secs(5));
        assert_eq!(Exec::parse("exec:cat").unwrap().timeout, Duration::from_secs(10));
        assert_eq!(Exec::parse("exec:cat;timeout=250ms").unwrap().timeout, Duration::from_millis(250));
        assert!(Exec::parse("exec:").unwrap_err().contains("needs a command"));
        assert!(Exec::parse("exec:cat;timeout=soon").unwrap_err().contains("timeout=soon"));
    }

    #[test]
    fn timeout_kills_the_whole_command() {
        let e = Exec::parse("exec:sleep 30; echo late;timeout=300ms").unwrap();
        let started = Instant::now();
        assert_eq!(e.run("x", &[]), Err(ExecError::TimedOut(Duration::from_millis(300))));
        assert!(started.elapsed() < Duration::from_secs(3));
        assert!(ExecError::TimedOut(e.timeout)
            .message("x")
            .starts_with("writer command `x` timed out after 300ms"));
    }

    /// Whether `pid` is gone or a zombie waiting for its new parent to reap it, within 5 s.
    fn ends(pid: &str) -> bool {
        let stat = format!("/proc/{}/stat", pid.trim());
        for _ in 0..500 {
            match std::fs::read_to_string(&stat) {
                Err(_) => return true,
                Ok(s) if s.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')) => {
                    return true
                }
                Ok(_) => thread::sleep(Duration::from_millis(10)),
            }
        }
        false
    }

    #[test]
    fn a_process_that_left_the_group_with_setsid_is_killed_too() {
        let dir = std::env::temp_dir().join(format!("farm-exec-setsid-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let done = dir.join("done");
        let timed_out = dir.join("timed-out");
        let e =
            Exec::parse(&format!("exec:setsid sleep 300 & echo $! > {}; echo hi", done.display())).unwrap();
        assert_eq!(e.run("", &[]).unwrap().as_deref(), Some("hi"));
        let cmd =
            format!("exec:setsid sleep 300 & echo $! > {}; sleep 30;timeout=300ms", timed_out.display());
        assert!(matches!(Exec::parse(&cmd).unwrap().run("", &[]), Err(ExecError::TimedOut(_))));
        for file in [&done, &timed_out] {
            let pid = std::fs::read_to_string(file).unwrap();
            assert!(ends(&pid), "{}: the setsid child {} outlived the command", file.display(), pid.trim());
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn runs_and_reports() {
        let e = Exec::parse("exec:tr a-z A-Z").unwrap();
        assert_eq!(e.run("hello", &[]).unwrap().as_deref(), Some("HELLO"));
        let e = Exec::parse("exec:echo oops >&2; exit 3").unwrap();
        let err = e.run("", &[]).unwrap_err();
        assert_eq!(
            err.message(&e.command),
            "writer command `echo oops >&2; exit 3` failed with exit status 3: oops"
        );
        assert_eq!(Exec::parse("exec:true").unwrap().run("x", &[]).unwrap(), None);
        let e = Exec::parse("exec:printf %s \"$FARM_POST_AUTHOR\"").unwrap();
        assert_eq!(e.run("", &[("FARM_POST_AUTHOR", "bob".to_string())]).unwrap().as_deref(), Some("bob"));
    }
}
