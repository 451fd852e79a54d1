//! Command output on stdout, in one place.
//!
//! Every command prints through [`outln!`](crate::outln) or [`out!`](macro@crate::out) (or [`write_str`]), never `println!`: a
//! closed or broken stdout must not abort the process. Each write is flushed at once and its
//! error becomes a [`FarmError`], so the command stops and closes the store as usual:
//!
//! - a reader that went away (`farm log | head -1`: `EPIPE`) ends the command quietly; `main`
//!   sees [`closed`] and exits 0, like a program killed by `SIGPIPE` would in a shell pipeline;
//! - any other failure (`farm list > /dev/full`: `ENOSPC`) is one line on stderr and exit 74.

use crate::error::{FarmError, Result};
use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether a write found stdout closed by its reader (then the command's error is not one).
pub fn closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}

/// Write `text` to stdout as it is and flush it.
pub fn write_str(text: &str) -> Result<()> {
    write_bytes(text.as_bytes())
}

/// Write `bytes` to stdout and flush them.
pub fn write_bytes(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).and_then(|()| out.flush()).map_err(|e| write_error(&e))
}

/// Write `text` and a new line to stdout.
pub fn line(text: &str) -> Result<()> {
    let mut s = String::with_capacity(text.len() + 1);
    s.push_str(text);
    s.push('\n');
    write_str(&s)
}

/// The error for a failed write to stdout: a quiet one (empty message) when the reader is gone.
pub fn write_error(e: &std::io::Error) -> FarmError {
    if e.kind() == ErrorKind::BrokenPipe {
        CLOSED.store(true, Ordering::Relaxed);
        return FarmError::io("");
    }
    let text = e.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text);
    FarmError::io(format!("cannot write the output: {text}; check where stdout goes"))
}

/// `println!` to stdout through [`line()`]: evaluates to a [`crate::error::Result`].
#[macro_export]
macro_rules! outln {
    () => {
        $crate::out::line("")
    };
    ($($arg:tt)*) => {
        $crate::out::line(&format!($($arg)*))
    };
}

/// `print!` to stdout through [`write_str`]: evaluates to a [`crate::error::Result`].
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::write_str(&format!($($arg)*))
    };
}

/// The width of the terminal stdout is, from the kernel (`TIOCGWINSZ`); `None` when stdout is
/// not a terminal.
pub fn terminal_width() -> Option<usize> {
    #[repr(C)]
    #[derive(Default)]
    struct WinSize {
        rows: u16,
        cols: u16,
        x_pixels: u16,
        y_pixels: u16,
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    const TIOCGWINSZ: std::ffi::c_ulong = 0x5413;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    const TIOCGWINSZ: std::ffi::c_ulong = 0x4008_7468;
    unsafe extern "C" {
        fn ioctl(fd: std::ffi::c_int, request: std::ffi::c_ulong, ...) -> std::ffi::c_int;
    }
    let mut ws = WinSize::default();
    // SAFETY: TIOCGWINSZ writes one `struct winsize` (four u16) to the pointer, which points to
    // one; fd 1 is only read.
    let rc = unsafe { ioctl(1, TIOCGWINSZ, &mut ws as *mut WinSize) };
    (rc == 0 && ws.cols > 0).then_some(ws.cols as usize)
}
