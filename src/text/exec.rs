//! The `exec` processor: pipe the text to an external command (`sh -c CMD`) and post what it
//! prints. Empty output means skip; a failure or a timeout is an error for that writer only.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
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
const MAX_OUTPUT: u64 = 1 << 20;

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
    pub fn run(&self, input: &str, env: &[(&str, String)]) -> Result<Option<String>, ExecError> {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(&self.command).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        // Its own process group, so a timeout can kill everything it started.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd.spawn().map_err(|e| ExecError::Spawn(e.to_string()))?;

        // Write stdin and read both outputs on their own threads: the command may read nothing,
        // print a lot, or never end, and none of that may block us.
        let mut stdin = child.stdin.take();
        let data = input.as_bytes().to_vec();
        thread::spawn(move || {
            if let Some(stdin) = stdin.as_mut() {
                let _ = stdin.write_all(&data);
            }
        });
        let out = read_all(child.stdout.take());
        let err = read_all(child.stderr.take());

        let deadline = Instant::now() + self.timeout;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                Ok(None) | Err(_) => {
                    kill_group(child.id());
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(ExecError::TimedOut(self.timeout));
                }
            }
        };
        // The command is done; its output ends soon unless it left children holding the pipes.
        let stdout = out.recv_timeout(Duration::from_secs(1)).unwrap_or_default();
        if !status.success() {
            let stderr = err.recv_timeout(Duration::from_secs(1)).unwrap_or_default();
            let first = String::from_utf8_lossy(&stderr)
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("")
                .to_string();
            let what = match status.code() {
                Some(code) => format!("exit status {code}"),
                None => "killed by a signal".to_string(),
            };
            return Err(ExecError::Failed(what, first));
        }
        let text = String::from_utf8_lossy(&stdout).trim().to_string();
        Ok((!text.is_empty()).then_some(text))
    }
}

impl ExecError {
    /// A one-line message naming the command.
    pub fn message(&self, command: &str) -> String {
        match self {
            ExecError::Spawn(e) => format!("writer command `{command}` could not be started: {e}"),
            ExecError::Failed(status, stderr) if stderr.is_empty() => {
                format!("writer command `{command}` failed with {status}")
            }
            ExecError::Failed(status, stderr) => {
                format!("writer command `{command}` failed with {status}: {stderr}")
            }
            ExecError::TimedOut(t) => {
                format!("writer command `{command}` timed out after {}", show_duration(*t))
            }
        }
    }
}

/// Read a pipe to the end (at most [`MAX_OUTPUT`] bytes) on a thread; the bytes arrive on the channel.
fn read_all(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(pipe) = pipe {
            let _ = pipe.take(MAX_OUTPUT).read_to_end(&mut buf);
        }
        let _ = tx.send(buf);
    });
    rx
}

/// Kill the process group `pgid` with `kill -KILL -PGID` (best effort).
fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .arg("-KILL")
        .arg("--")
        .arg(format!("-{pgid}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
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
        assert_eq!(ExecError::TimedOut(e.timeout).message("x"), "writer command `x` timed out after 300ms");
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
