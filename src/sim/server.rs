//! The HTTP/1.1 side of the fake: a blocking accept loop, one thread per connection,
//! keep-alive, `Content-Length` and chunked request bodies, and response writing.

use super::handle;
use super::oauth;
use super::state::State;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Largest accepted request body.
pub(crate) const MAX_BODY: usize = 1024 * 1024;
const MAX_HEAD: usize = 64 * 1024;
const POLL: Duration = Duration::from_millis(50);
const IDLE: Duration = Duration::from_secs(60);
/// How long a `Timeout` fault holds a connection.
const HANG: Duration = Duration::from_secs(30);

/// What the server threads share with the [`super::FakeNet`] handle.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Set by `Drop`; every thread checks it at least every [`POLL`].
    pub shutdown: AtomicBool,
    /// The world.
    pub state: Mutex<State>,
    /// Where we listen.
    pub addr: SocketAddr,
}

impl Shared {
    /// Lock the state (a panic in another thread does not poison the fake for the rest).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn down(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }
}

/// A parsed request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Request {
    /// Method, upper-case as sent.
    pub method: String,
    /// Path as sent (not decoded), without the query.
    pub path: String,
    /// Raw query without `?`.
    pub query: String,
    /// Headers with lower-case names.
    pub headers: Vec<(String, String)>,
    /// Body (de-chunked).
    pub body: Vec<u8>,
    /// HTTP/1.0 request.
    pub http10: bool,
}

impl Request {
    /// First header with this (lower-case) name.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The `Host` header, or the listening address.
    pub(crate) fn host(&self, fallback: SocketAddr) -> String {
        self.header("host").map(str::to_string).unwrap_or_else(|| fallback.to_string())
    }

    /// Decoded query parameters.
    pub(crate) fn query_params(&self) -> Vec<(String, String)> {
        oauth::parse_form(&self.query)
    }

    /// Whether the body is `application/x-www-form-urlencoded`.
    pub(crate) fn is_form(&self) -> bool {
        self.content_type().eq_ignore_ascii_case("application/x-www-form-urlencoded")
    }

    /// Whether the body is JSON.
    pub(crate) fn is_json(&self) -> bool {
        let ct = self.content_type().to_ascii_lowercase();
        ct == "application/json" || ct.ends_with("+json")
    }

    fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("").split(';').next().unwrap_or("").trim()
    }

    /// Decoded form body parameters (empty unless the body is form-encoded).
    pub(crate) fn form_params(&self) -> Vec<(String, String)> {
        if self.is_form() {
            oauth::parse_form(&String::from_utf8_lossy(&self.body))
        } else {
            Vec::new()
        }
    }

    /// Whether the connection stays open after the answer.
    fn keep_alive(&self) -> bool {
        let conn = self.header("connection").unwrap_or("").to_ascii_lowercase();
        if self.http10 {
            conn.contains("keep-alive")
        } else {
            !conn.split(',').any(|t| t.trim() == "close")
        }
    }
}

/// An answer.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    /// Status code.
    pub status: u16,
    /// Headers (Content-Length and Connection are added when writing).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl Response {
    /// A JSON answer.
    pub(crate) fn json(status: u16, v: &serde_json::Value) -> Response {
        Response::typed(status, "application/json; charset=utf-8", v.to_string())
    }

    /// An answer with a content type.
    pub(crate) fn typed(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response { status, headers: vec![("Content-Type".into(), content_type.into())], body: body.into() }
    }

    /// Add a header.
    pub(crate) fn with(mut self, name: &str, value: impl Into<String>) -> Response {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

/// What to do with a request.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Answer.
    Reply(Response),
    /// Never answer: hold the connection, then close it.
    Hang,
    /// Close without answering.
    Reset,
}

/// Accept connections until shutdown; each gets its own thread (never joined). `accept` blocks,
/// so a connection is served at once (a polling loop added up to its poll time to every
/// request); dropping the fake connects once to wake it.
pub(crate) fn accept_loop(listener: TcpListener, shared: std::sync::Arc<Shared>) {
    loop {
        let accepted = listener.accept();
        if shared.down() {
            return;
        }
        match accepted {
            Ok((stream, _)) => {
                let sh = std::sync::Arc::clone(&shared);
                let spawned =
                    std::thread::Builder::new().name("sim-conn".into()).spawn(move || serve(stream, &sh));
                if spawned.is_err() {
                    std::thread::sleep(POLL);
                }
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

enum ReadErr {
    /// Peer closed, idle timeout or shutdown: just drop the connection.
    Closed,
    /// Answer with this status and close; the partial request is recorded.
    Reject(u16, Box<Request>),
}

struct Conn<'a> {
    stream: TcpStream,
    buf: Vec<u8>,
    shared: &'a Shared,
}

impl Conn<'_> {
    fn fill(&mut self) -> Result<(), ReadErr> {
        let started = Instant::now();
        let mut tmp = [0u8; 16 * 1024];
        loop {
            if self.shared.down() {
                return Err(ReadErr::Closed);
            }
            match self.stream.read(&mut tmp) {
                Ok(0) => return Err(ReadErr::Closed),
                Ok(n) => {
                    self.buf.extend_from_slice(&tmp[..n]);
                    return Ok(());
                }
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                    if started.elapsed() > IDLE {
                        return Err(ReadErr::Closed);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Err(ReadErr::Closed),
            }
        }
    }

    fn need(&mut self, n: usize) -> Result<(), ReadErr> {
        while self.buf.len() < n {
            self.fill()?;
        }
        Ok(())
    }

    fn line(&mut self, req: &Request) -> Result<String, ReadErr> {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..i]).into_owned();
                self.buf.drain(..i + 2);
                return Ok(line);
            }
            if self.buf.len() > 4096 {
                return Err(ReadErr::Reject(400, Box::new(req.clone())));
            }
            self.fill()?;
        }
    }

    fn read_request(&mut self) -> Result<Request, ReadErr> {
        let head_end = loop {
            while self.buf.starts_with(b"\r\n") {
                self.buf.drain(..2);
            }
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            if self.buf.len() > MAX_HEAD {
                return Err(ReadErr::Reject(431, Box::default()));
            }
            self.fill()?;
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        self.buf.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let mut req = Request::default();
        let start = lines.next().unwrap_or("");
        let parts: Vec<&str> = start.split(' ').collect();
        if parts.len() != 3 || !parts[2].starts_with("HTTP/1.") || parts[0].is_empty() {
            return Err(ReadErr::Reject(400, Box::new(req)));
        }
        req.method = parts[0].to_string();
        req.http10 = parts[2] == "HTTP/1.0";
        let mut target = parts[1];
        if let Some(rest) = target.strip_prefix("http://").or_else(|| target.strip_prefix("https://")) {
            target = rest.find('/').map(|i| &rest[i..]).unwrap_or("/");
        }
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        req.path = path.to_string();
        req.query = query.to_string();
        for line in lines {
            let Some((k, v)) = line.split_once(':') else {
                return Err(ReadErr::Reject(400, Box::new(req)));
            };
            req.headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
        if let Some(te) = req.header("transfer-encoding") {
            if !te.to_ascii_lowercase().trim().ends_with("chunked") {
                return Err(ReadErr::Reject(411, Box::new(req)));
            }
            self.continue_100(&req);
            req.body = self.read_chunked(&req)?;
        } else if let Some(cl) = req.header("content-length") {
            let Ok(n) = cl.trim().parse::<usize>() else {
                return Err(ReadErr::Reject(400, Box::new(req)));
            };
            let all_same =
                req.headers.iter().filter(|(k, _)| k == "content-length").all(|(_, v)| v.trim() == cl.trim());
            if !all_same {
                return Err(ReadErr::Reject(400, Box::new(req)));
            }
            if n > MAX_BODY {
                return Err(ReadErr::Reject(413, Box::new(req)));
            }
            self.continue_100(&req);
            self.need(n)?;
            req.body = self.buf.drain(..n).collect();
        }
        Ok(req)
    }

    fn continue_100(&mut self, req: &Request) {
        if req.header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) && !req.http10 {
            let _ = self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
        }
    }

    fn read_chunked(&mut self, req: &Request) -> Result<Vec<u8>, ReadErr> {
        let mut body = Vec::new();
        loop {
            let line = self.line(req)?;
            let size_hex = line.split(';').next().unwrap_or("").trim();
            let Ok(size) = usize::from_str_radix(size_hex, 16) else {
                return Err(ReadErr::Reject(400, Box::new(req.clone())));
            };
            if size == 0 {
                // Trailers up to the empty line.
                while !self.line(req)?.is_empty() {}
                return Ok(body);
            }
            if body.len() + size > MAX_BODY {
                return Err(ReadErr::Reject(413, Box::new(req.clone())));
            }
            self.need(size + 2)?;
            body.extend(self.buf.drain(..size));
            if self.buf.drain(..2).as_slice() != b"\r\n" {
                return Err(ReadErr::Reject(400, Box::new(req.clone())));
            }
        }
    }
}

fn serve(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(POLL));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_nodelay(true);
    let mut conn = Conn { stream, buf: Vec::new(), shared };
    loop {
        let req = match conn.read_request() {
            Ok(r) => r,
            Err(ReadErr::Closed) => return,
            Err(ReadErr::Reject(status, req)) => {
                let resp = handle::reject(shared, &req, status);
                let _ = write_response(&mut conn.stream, &resp, false);
                linger_close(&mut conn.stream);
                return;
            }
        };
        let latency = shared.lock().latency_ms;
        if !pause(shared, Duration::from_millis(latency)) {
            return;
        }
        let keep = req.keep_alive();
        match handle::dispatch(shared, &req) {
            Outcome::Reply(resp) => {
                if write_response(&mut conn.stream, &resp, keep).is_err() {
                    return;
                }
                if !keep {
                    linger_close(&mut conn.stream);
                    return;
                }
            }
            Outcome::Hang => {
                pause(shared, HANG);
                return;
            }
            Outcome::Reset => {
                let _ = conn.stream.shutdown(Shutdown::Both);
                return;
            }
        }
    }
}

/// Sleep in small steps; false when the server shuts down meanwhile.
fn pause(shared: &Shared, d: Duration) -> bool {
    let end = Instant::now() + d;
    loop {
        if shared.down() {
            return false;
        }
        let now = Instant::now();
        if now >= end {
            return true;
        }
        std::thread::sleep(POLL.min(end - now));
    }
}

/// Close gracefully: stop writing, then drain what the client still sends for a moment so the
/// kernel does not turn the close into a reset that could destroy the answer in flight.
fn linger_close(stream: &mut TcpStream) {
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
    let end = Instant::now() + Duration::from_millis(500);
    let mut tmp = [0u8; 8192];
    let mut drained = 0usize;
    while Instant::now() < end && drained < 2 * MAX_BODY {
        match stream.read(&mut tmp) {
            Ok(0) => break,
            Ok(n) => drained += n,
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
}

/// The reason phrase of a status.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

fn write_response(stream: &mut TcpStream, resp: &Response, keep: bool) -> io::Result<()> {
    let mut out = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    for (k, v) in &resp.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n", resp.body.len()));
    out.push_str(if keep { "Connection: keep-alive\r\n\r\n" } else { "Connection: close\r\n\r\n" });
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&resp.body);
    stream.write_all(&bytes)?;
    stream.flush()
}
