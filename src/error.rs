//! The one error type of farm and its mapping to sysexits-style exit codes.
//!
//! Every failure a user can meet becomes a [`FarmError`] with a [`Kind`] (which decides the exit
//! code) and one line of text that says what happened and what to do next.

use std::fmt;

/// What class of failure happened; decides the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Wrong flags or arguments (exit 64, EX_USAGE).
    Usage,
    /// Bad data: malformed API response, corrupt archive, undecodable record (exit 65, EX_DATAERR).
    Data,
    /// The network or a service is unavailable (exit 69, EX_UNAVAILABLE).
    Unavailable,
    /// A bug or unexpected internal state (exit 70, EX_SOFTWARE).
    Software,
    /// Local I/O failed, e.g. a full disk (exit 74, EX_IOERR).
    Io,
    /// Try again later: lock held, rate limited, server error, timeout (exit 75, EX_TEMPFAIL).
    TempFail,
    /// Credentials refused (exit 77, EX_NOPERM).
    Auth,
    /// Configuration is wrong or missing (exit 78, EX_CONFIG).
    Config,
}

impl Kind {
    /// Every kind, in exit-code order (for the man page's EXIT STATUS).
    pub const ALL: [Kind; 8] = [
        Kind::Usage,
        Kind::Data,
        Kind::Unavailable,
        Kind::Software,
        Kind::Io,
        Kind::TempFail,
        Kind::Auth,
        Kind::Config,
    ];

    /// What an exit with this kind's code means, in a few words for a user.
    pub fn meaning(self) -> &'static str {
        match self {
            Kind::Usage => "wrong flags or arguments",
            Kind::Data => "bad data: a malformed API answer, a damaged database (restore with `farm import --replace BACKUP`) or archive, a text that can't be posted",
            Kind::Unavailable => "the service refused or is unavailable",
            Kind::Software => "internal error (a bug: please report it)",
            Kind::Io => "local I/O error, e.g. the disk is full",
            Kind::TempFail => "try again later: rate limited, a server error or timeout, the data directory busy",
            Kind::Auth => "credentials refused, the clock too far off for OAuth, or the data directory belongs to another user",
            Kind::Config => "configuration: missing credentials, a reader that is gone, an API plan without access",
        }
    }

    /// The process exit code for this kind.
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Usage => 64,
            Kind::Data => 65,
            Kind::Unavailable => 69,
            Kind::Software => 70,
            Kind::Io => 74,
            Kind::TempFail => 75,
            Kind::Auth => 77,
            Kind::Config => 78,
        }
    }

    /// How serious a failure is when several bots fail in one run; the most serious one decides
    /// the exit code of `farm run`.
    pub fn severity(self) -> u8 {
        match self {
            Kind::TempFail => 1,
            Kind::Unavailable => 2,
            Kind::Data => 3,
            Kind::Auth => 4,
            Kind::Config => 5,
            Kind::Usage => 6,
            Kind::Io => 7,
            Kind::Software => 8,
        }
    }

    /// A stable lower-case name, used in event logs and `--json` output.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Usage => "usage",
            Kind::Data => "data",
            Kind::Unavailable => "unavailable",
            Kind::Software => "software",
            Kind::Io => "io",
            Kind::TempFail => "tempfail",
            Kind::Auth => "auth",
            Kind::Config => "config",
        }
    }
}

/// The one error type: a kind and a one-line, human message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FarmError {
    /// The class of failure.
    pub kind: Kind,
    /// One line: what happened and what to do next.
    pub message: String,
}

impl FarmError {
    /// Make an error of `kind` with `message`.
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        FarmError { kind, message: message.into() }
    }
    /// A usage error (exit 64).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Kind::Usage, message)
    }
    /// A bad-data error (exit 65).
    pub fn data(message: impl Into<String>) -> Self {
        Self::new(Kind::Data, message)
    }
    /// A configuration error (exit 78).
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(Kind::Config, message)
    }
    /// An I/O error (exit 74).
    pub fn io(message: impl Into<String>) -> Self {
        Self::new(Kind::Io, message)
    }
    /// A try-later error (exit 75).
    pub fn temp(message: impl Into<String>) -> Self {
        Self::new(Kind::TempFail, message)
    }
    /// An internal error (exit 70).
    pub fn software(message: impl Into<String>) -> Self {
        Self::new(Kind::Software, message)
    }
    /// Prefix the message with some context, keeping the kind.
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }
}

impl fmt::Display for FarmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FarmError {}

impl From<std::io::Error> for FarmError {
    fn from(e: std::io::Error) -> Self {
        io_error(&e, "I/O error")
    }
}

/// Turn an I/O error into a [`FarmError`], with a specific hint for a full disk.
pub fn io_error(e: &std::io::Error, what: &str) -> FarmError {
    // ENOSPC (28) and EDQUOT (122) on Linux.
    if matches!(e.raw_os_error(), Some(28) | Some(122)) || e.kind() == std::io::ErrorKind::StorageFull {
        return FarmError::io(format!("{what}: the disk is full; free some space and run again ({e})"));
    }
    if e.kind() == std::io::ErrorKind::PermissionDenied {
        return FarmError::io(format!(
            "{what}: permission denied; check the owner and mode of the data directory ({e})"
        ));
    }
    FarmError::io(format!("{what}: {e}"))
}

/// `text` as one line of printable characters, for messages that quote data from outside (a
/// file's entry names, a library's error about bytes it could not decode): control characters
/// (new lines, carriage returns, terminal escapes) and invisible formatting characters (bidi
/// overrides, zero-width marks) become escapes such as `\r` and `\u{1b}`, and the replacement
/// character of undecodable bytes becomes `?`. Everything else, Cyrillic included, is kept.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{fffd}' => out.push('?'),
            '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}' => out.extend(c.escape_unicode()),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// The result type used throughout farm.
pub type Result<T, E = FarmError> = std::result::Result<T, E>;
