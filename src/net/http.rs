//! The HTTP transport shared by the clients: one ureq agent configuration, one request helper
//! that turns transport failures into [`NetError`]s, the response headers farm reads, and
//! rate-limit header parsing with its capping at the run's time.
//!
//! Nothing here knows a platform's paths or error bodies; the clients build a [`Request`] and
//! read a [`Response`], and each platform classifies its own error answers next to its client
//! ([`super::x::classify_x`] for X v2 and v1.1, [`super::mastodon::classify_mastodon`]) on top
//! of the shared tail [`server_or_refused`].
//!
//! Time: an [`Http`] is made with the run's `now` (from [`crate::clock::now`], i.e. `FARM_NOW`
//! in tests) and stamps it on every [`Response`]; every reset, `Retry-After` and 429 window is
//! computed and capped relative to that time, never by reading a clock here. Every message names the endpoint (`GET /2/users/me`) and never carries a
//! secret: query strings, headers and bodies we send are never echoed.

use super::{Call, NetError, NetErrorKind, RateInfo};
use serde::de::DeserializeOwned;
use std::time::Duration;

/// The `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!("farm/", env!("CARGO_PKG_VERSION"), " (+botfarm)");

/// The largest response body read (2 MiB); a larger one is [`NetErrorKind::Malformed`].
pub const MAX_BODY: u64 = 2 * 1024 * 1024;

/// The connection-setup budget (capped at the whole-request budget).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to assume a rate-limit window lasts when a 429 carries no reset header.
pub const DEFAULT_RATE_WINDOW: i64 = 15 * 60;

/// The HTTP methods the clients use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `DELETE`.
    Delete,
    /// `PATCH` (Mastodon's `update_credentials`).
    Patch,
}

impl Method {
    /// The method name as sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
        }
    }
}

/// A request body with its content type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// `application/x-www-form-urlencoded`, already encoded.
    Form(String),
    /// `application/json`, already serialised.
    Json(String),
}

/// One HTTP request, ready to send.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The full URL including any query string.
    pub url: String,
    /// What to call this request in messages, e.g. `GET /2/users/me` (no query, no secrets).
    pub what: String,
    /// Which rate-limit bucket the answer's headers belong to.
    pub call: Call,
    /// Extra headers (`Authorization`, `Idempotency-Key`, …).
    pub headers: Vec<(&'static str, String)>,
    /// The body, for a POST.
    pub body: Option<Body>,
    /// Whether repeating the request is harmless. When it is not (creating a post), a failure
    /// after the request went out sets [`NetError::maybe_performed`].
    pub idempotent: bool,
}

impl Request {
    /// A request to `url` (which may carry a query string). `what` is derived from the path.
    pub fn new(method: Method, url: impl Into<String>, call: Call) -> Self {
        let url = url.into();
        let what = format!("{} {}", method.as_str(), path_of(&url));
        Request {
            method,
            url,
            what,
            call,
            headers: Vec::new(),
            body: None,
            idempotent: method != Method::Post,
        }
    }

    /// Add a header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Set the body.
    pub fn body(mut self, body: Body) -> Self {
        self.body = Some(body);
        self
    }

    /// Mark whether repeating this request is harmless.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }
}

/// The path of a URL without scheme, host and query: `https://h/2/x?a=b` -> `/2/x`.
pub fn path_of(url: &str) -> &str {
    let no_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = no_scheme.find('/').map_or("/", |i| &no_scheme[i..]);
    path.split(['?', '#']).next().unwrap_or(path)
}

/// The host (and port) of a URL: `https://api.x.com/2/x` -> `api.x.com`.
pub fn host_of(url: &str) -> &str {
    let no_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    no_scheme.split(['/', '?', '#']).next().unwrap_or(no_scheme)
}

/// Whether `host` (without a port; an IPv6 address in brackets) is this machine: `localhost`,
/// `127.x.x.x` or `[::1]`.
pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
        || host == "[::1]"
}

/// The base URL of the server at `authority` (`host` or `host:port`): `https://`, or `http://`
/// for this machine (a test server).
pub fn base_url(authority: &str) -> String {
    let host = match authority.strip_prefix('[') {
        Some(v6) => format!("[{}]", v6.split(']').next().unwrap_or_default()),
        None => authority.split(':').next().unwrap_or_default().to_string(),
    };
    let scheme = if is_loopback(&host) { "http" } else { "https" };
    format!("{scheme}://{}", authority.to_ascii_lowercase())
}

/// What came back: the status, the headers farm uses, and the body text.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// The body as text (invalid UTF-8 replaced), at most [`MAX_BODY`] bytes.
    pub body: String,
    /// Rate-limit state from the headers, for the request's [`Call`] (reset already capped by
    /// [`cap_reset`]).
    pub rate: Option<RateInfo>,
    /// When `Retry-After` says to try again, Unix seconds (capped by [`cap_reset`]).
    pub retry_after: Option<i64>,
    /// The `Link` header (Mastodon paging), if any.
    pub link: Option<String>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The `Location` header, if any (a redirect).
    pub location: Option<String>,
    /// The `ETag` and `Last-Modified` headers, when the answer has either (feeds send them back
    /// as `If-None-Match` and `If-Modified-Since`). Boxed: most answers have neither.
    pub validators: Option<Box<Validators>>,
    /// The request's description, for messages.
    pub what: String,
    /// The request's rate-limit bucket.
    pub call: Call,
    /// The run's time the answer is judged at (Unix seconds): the `now` the [`Http`] was made
    /// with. Resets above are capped relative to it, and a 429 without a reset ends
    /// [`DEFAULT_RATE_WINDOW`] after it ([`exhausted`]).
    pub now: i64,
}

/// The cache validators of an answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// `ETag`.
    pub etag: Option<String>,
    /// `Last-Modified`.
    pub last_modified: Option<String>,
}

impl Response {
    /// A 2xx answer.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Whether the body is an HTML page rather than an API answer.
    pub fn is_html(&self) -> bool {
        let ct_html =
            self.content_type.as_deref().is_some_and(|c| c.to_ascii_lowercase().contains("text/html"));
        let head: String = self.body.trim_start().chars().take(15).collect::<String>().to_ascii_lowercase();
        (ct_html && head.starts_with('<')) || head.starts_with("<!doctype") || head.starts_with("<html")
    }

    /// Parse the body as JSON into `T`; anything else is [`NetErrorKind::Malformed`] with a
    /// message that names the endpoint and what was wrong.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, NetError> {
        if self.body.trim().is_empty() {
            return Err(malformed(&self.what, "the answer is empty"));
        }
        if self.is_html() {
            return Err(malformed(&self.what, "the answer is an HTML page, not JSON"));
        }
        serde_json::from_str(&self.body).map_err(|e| {
            let why = match e.classify() {
                _ if e.to_string().starts_with("recursion limit exceeded") => {
                    "the answer is nested too deeply".to_string()
                }
                serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                    "the answer is not valid JSON".to_string()
                }
                _ => format!(
                    "the answer does not have the documented shape ({})",
                    one_line(&e.to_string(), 120)
                ),
            };
            malformed(&self.what, &why)
        })
    }

    /// Parse an `application/x-www-form-urlencoded` body (the OAuth 1.0a token answers) into
    /// decoded key/value pairs.
    pub fn form(&self) -> Vec<(String, String)> {
        self.body
            .trim()
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect()
    }
}

/// A [`NetErrorKind::Malformed`] error for `what`.
pub fn malformed(what: &str, why: &str) -> NetError {
    NetError::new(NetErrorKind::Malformed, format!("{what}: {why}"))
}

/// Decode `%XX` escapes and `+` (as a space) in a form value.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The first line of `s`, at most `max` characters (an ellipsis marks a cut).
pub fn one_line(s: &str, max: usize) -> String {
    let line = s.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    if line.chars().count() <= max {
        line.to_string()
    } else {
        let cut: String = line.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// The shared HTTP client: one ureq agent with farm's settings, and the run's time.
#[derive(Debug, Clone)]
pub struct Http {
    agent: ureq::Agent,
    timeout: Duration,
    now: i64,
}

impl Http {
    /// A client for a run at `now` (Unix seconds, from [`crate::clock::now`]) with the timeout
    /// from [`crate::config::http_timeout`] (`FARM_HTTP_TIMEOUT`, else 30 s).
    pub fn new(now: i64) -> Self {
        Self::with_timeout(now, crate::config::http_timeout())
    }

    /// A client for a run at `now` whose whole-request budget (connect, send, wait, read) is
    /// `timeout`.
    pub fn with_timeout(now: i64, timeout: Duration) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .timeout_connect(Some(timeout.min(CONNECT_TIMEOUT)))
            .user_agent(USER_AGENT)
            // API clients must not follow redirects: a redirected POST would be lost or resent.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .build();
        Http { agent: ureq::Agent::new_with_config(config), timeout, now }
    }

    /// The whole-request budget.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The run's time this client judges rate limits at.
    pub fn now(&self) -> i64 {
        self.now
    }

    /// Perform `req` and return whatever status came back. Transport failures (cannot connect,
    /// timeout, reset, oversize body) are errors; HTTP error statuses are not — the platform
    /// classifies them ([`super::x::classify_x`], [`super::mastodon::classify_mastodon`]).
    pub fn send(&self, req: &Request) -> Result<Response, NetError> {
        self.exchange(req, false).map(|(resp, _)| resp)
    }

    /// [`Http::send`], and the body's bytes as they came: a feed in another encoding than
    /// UTF-8 is decoded by its reader.
    pub fn send_keeping_bytes(&self, req: &Request) -> Result<(Response, Vec<u8>), NetError> {
        self.exchange(req, true).map(|(resp, bytes)| (resp, bytes.unwrap_or_default()))
    }

    /// Perform `req`; with `keep_bytes`, the body's bytes too.
    fn exchange(&self, req: &Request, keep_bytes: bool) -> Result<(Response, Option<Vec<u8>>), NetError> {
        let result = match req.method {
            Method::Get => with_headers(self.agent.get(&req.url), &req.headers).call(),
            Method::Delete => with_headers(self.agent.delete(&req.url), &req.headers).call(),
            Method::Post | Method::Patch => {
                let (content_type, body) = match &req.body {
                    Some(Body::Form(s)) => ("application/x-www-form-urlencoded", s.as_str()),
                    Some(Body::Json(s)) => ("application/json", s.as_str()),
                    None => ("application/x-www-form-urlencoded", ""),
                };
                let builder = match req.method {
                    Method::Patch => self.agent.patch(&req.url),
                    _ => self.agent.post(&req.url),
                };
                with_headers(builder, &req.headers).header("Content-Type", content_type).send(body.as_bytes())
            }
        };
        let mut resp = result.map_err(|e| self.transport_error(e, req))?;
        let status = resp.status().as_u16();
        let headers = resp.headers();
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let wanted: Vec<(String, String)> = headers
            .iter()
            .filter(|(k, _)| {
                k.as_str().starts_with("x-rate")
                    || k.as_str().starts_with("ratelimit-")
                    || k.as_str().contains("-limit-")
                    || k.as_str() == "retry-after"
            })
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let link = get("link");
        let content_type = get("content-type");
        let location = get("location");
        let (etag, last_modified) = (get("etag"), get("last-modified"));
        let validators =
            (etag.is_some() || last_modified.is_some()).then(|| Box::new(Validators { etag, last_modified }));
        let (body, bytes) = if keep_bytes {
            let raw = resp
                .body_mut()
                .with_config()
                .limit(MAX_BODY)
                .read_to_vec()
                .map_err(|e| self.transport_error(e, req))?;
            (String::from_utf8_lossy(&raw).into_owned(), Some(raw))
        } else {
            let text = resp
                .body_mut()
                .with_config()
                .limit(MAX_BODY)
                .lossy_utf8(true)
                .read_to_string()
                .map_err(|e| self.transport_error(e, req))?;
            (text, None)
        };
        let now = self.now;
        let resp = Response {
            status,
            body,
            rate: rate_at(req.call, &wanted, now),
            retry_after: retry_after_at(&wanted, now),
            link,
            content_type,
            location,
            validators,
            what: req.what.clone(),
            call: req.call,
            now,
        };
        Ok((resp, bytes))
    }

    /// Classify a transport failure: [`NetErrorKind::Unreachable`] when no connection was made
    /// (the name does not resolve, the connection is refused or times out), else
    /// [`NetErrorKind::Server`] (retry next run), except an oversize answer
    /// ([`NetErrorKind::Malformed`]) and a bad URL ([`NetErrorKind::Refused`]).
    fn transport_error(&self, e: ureq::Error, req: &Request) -> NetError {
        use std::io::ErrorKind as Io;
        let host = host_of(&req.url);
        let secs = self.timeout.as_secs_f64();
        // `sent`: the request may have reached the server before the failure.
        let (kind, msg, sent) = match &e {
            ureq::Error::Timeout(ureq::Timeout::Resolve | ureq::Timeout::Connect) => {
                (NetErrorKind::Unreachable, format!("could not connect to {host} (timed out)"), false)
            }
            ureq::Error::Timeout(_) => {
                (NetErrorKind::Server, format!("timed out after {secs} s waiting for {host}"), true)
            }
            ureq::Error::HostNotFound => {
                (NetErrorKind::Unreachable, format!("could not connect to {host} (host not found)"), false)
            }
            ureq::Error::ConnectionFailed => {
                (NetErrorKind::Unreachable, format!("could not connect to {host}"), false)
            }
            ureq::Error::Io(io) => match io.kind() {
                Io::ConnectionRefused | Io::AddrNotAvailable | Io::NotConnected => (
                    NetErrorKind::Unreachable,
                    format!("could not connect to {host} (connection refused)"),
                    false,
                ),
                Io::ConnectionReset | Io::ConnectionAborted | Io::BrokenPipe | Io::UnexpectedEof => {
                    (NetErrorKind::Server, format!("connection reset by {host}"), true)
                }
                // A body that is not UTF-8 (a feed in Latin-1): the same answer comes next time.
                Io::InvalidData => {
                    (NetErrorKind::Malformed, format!("{host} sent an answer that is not valid UTF-8"), true)
                }
                Io::TimedOut | Io::WouldBlock => {
                    (NetErrorKind::Server, format!("timed out after {secs} s waiting for {host}"), true)
                }
                _ => (NetErrorKind::Server, format!("network error talking to {host}: {io}"), true),
            },
            ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) | ureq::Error::TlsRequired => {
                (NetErrorKind::Server, format!("could not connect to {host} (TLS failed: {e})"), false)
            }
            ureq::Error::Protocol(_) | ureq::Error::LargeResponseHeader(..) | ureq::Error::BodyStalled => {
                (NetErrorKind::Server, format!("{host} sent a broken HTTP answer"), true)
            }
            ureq::Error::Decompress(..) => {
                (NetErrorKind::Malformed, format!("{host} sent a body that does not decompress"), true)
            }
            ureq::Error::BodyExceedsLimit(_) => (
                NetErrorKind::Malformed,
                format!("the answer is larger than {} MB", MAX_BODY / (1024 * 1024)),
                true,
            ),
            ureq::Error::BadUri(_) | ureq::Error::Http(_) => {
                (NetErrorKind::Refused, "invalid API URL; check the bot's --api".to_string(), false)
            }
            _ => (NetErrorKind::Server, format!("HTTP failure talking to {host}: {e}"), true),
        };
        let mut err = NetError::new(kind, format!("{}: {msg}", req.what));
        err.maybe_performed = sent && !req.idempotent;
        err
    }
}

/// Apply extra headers to a ureq request builder.
fn with_headers<B>(
    mut rb: ureq::RequestBuilder<B>,
    headers: &[(&'static str, String)],
) -> ureq::RequestBuilder<B> {
    for (name, value) in headers {
        rb = rb.header(*name, value);
    }
    rb
}

/// Parse a rate-limit reset: Unix seconds (X) or an ISO 8601 / RFC 3339 time, possibly with
/// fractional seconds (Mastodon: `2026-01-01T10:05:00.123456Z`). A number too big for a time
/// (`1e300`, 30 digits) becomes the largest or smallest time, never an overflow; `inf`, `NaN`
/// and anything else that is not a time are `None`. Callers cap the result with [`cap_reset`].
pub fn parse_reset(value: &str) -> Option<i64> {
    let v = value.trim();
    if let Ok(n) = v.parse::<i64>() {
        return Some(n);
    }
    if let Ok(f) = v.parse::<f64>() {
        // `as` saturates at i64::MIN / i64::MAX.
        return f.is_finite().then_some(f as i64);
    }
    chrono::DateTime::parse_from_rfc3339(v).ok().map(|t| t.timestamp())
}

/// A reset as farm believes it: never before `now`, and never further ahead than the farm's one
/// bound on a rate-limit wait ([`schedule::cap_reset`](crate::bot::schedule::cap_reset)).
pub fn cap_reset(reset: i64, now: i64) -> i64 {
    crate::bot::schedule::cap_reset(reset, now).max(now)
}

/// Rate-limit state from response headers (lower-case names): X's
/// `x-rate-limit-{limit,remaining,reset}` (and the daily `x-user-limit-24hour-*`,
/// `x-app-limit-24hour-*`), Mastodon's `X-RateLimit-{Limit,Remaining,Reset}` or Bluesky's
/// `RateLimit-{Limit,Remaining,Reset}` (Unix seconds; the server names only its tightest limit). When several
/// windows are reported, the most restrictive one wins (fewest remaining, then latest reset).
/// The reset is as sent; [`rate_at`] caps it.
pub fn rate_from_headers(call: Call, headers: &[(String, String)]) -> Option<RateInfo> {
    let get =
        |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let mut best: Option<RateInfo> = None;
    for prefix in
        ["x-rate-limit-", "x-ratelimit-", "ratelimit-", "x-user-limit-24hour-", "x-app-limit-24hour-"]
    {
        let remaining = get(&format!("{prefix}remaining")).and_then(|v| v.trim().parse::<u64>().ok());
        let reset = get(&format!("{prefix}reset")).and_then(parse_reset);
        let (Some(remaining), Some(reset)) = (remaining, reset) else { continue };
        let limit = get(&format!("{prefix}limit")).and_then(|v| v.trim().parse::<u64>().ok());
        let info = RateInfo { call, limit, remaining, reset };
        best = Some(match best {
            Some(b) if (b.remaining, std::cmp::Reverse(b.reset)) <= (remaining, std::cmp::Reverse(reset)) => {
                b
            }
            _ => info,
        });
    }
    best
}

/// [`rate_from_headers`] with the reset capped by [`cap_reset`] at `now`: what the clients use.
pub fn rate_at(call: Call, headers: &[(String, String)], now: i64) -> Option<RateInfo> {
    rate_from_headers(call, headers).map(|r| RateInfo { reset: cap_reset(r.reset, now), ..r })
}

/// The `Retry-After` header as Unix seconds, capped by [`cap_reset`] at `now`: delay seconds
/// (`120`) or an HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`). Anything else is `None`.
pub fn retry_after_at(headers: &[(String, String)], now: i64) -> Option<i64> {
    let v = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))?.1.trim();
    let at = match v.parse::<f64>() {
        Ok(secs) if secs.is_finite() => now.saturating_add(secs.max(0.0) as i64),
        Ok(_) => return None,
        Err(_) => chrono::DateTime::parse_from_rfc2822(v).ok()?.timestamp(),
    };
    Some(cap_reset(at, now))
}

/// The rate state a 429 at `now` implies: the headers' reset with nothing remaining; without
/// headers, `Retry-After`, else a window ending [`DEFAULT_RATE_WINDOW`] after `now`. The
/// classifiers pass [`Response::now`], the run's time.
pub fn exhausted(call: Call, rate: Option<RateInfo>, retry_after: Option<i64>, now: i64) -> RateInfo {
    match (rate, retry_after) {
        (Some(r), _) => RateInfo { remaining: 0, reset: r.reset.max(now), ..r },
        (None, Some(at)) => RateInfo { call, limit: None, remaining: 0, reset: at.max(now) },
        (None, None) => RateInfo { call, limit: None, remaining: 0, reset: now + DEFAULT_RATE_WINDOW },
    }
}

/// The error of a 429 (or an answer that means one, like X's code 88) judged at the run's time:
/// rate limited until the reset the answer names ([`exhausted`]). `said` is the status with the
/// server's own words.
pub fn rate_limited(resp: &Response, said: &str) -> NetError {
    let rate = exhausted(resp.call, resp.rate, resp.retry_after, resp.now);
    let mut e = NetError::new(
        NetErrorKind::RateLimited,
        format!("{}: rate limited until {} ({said})", resp.what, crate::clock::format(rate.reset)),
    );
    e.rate = Some(rate);
    e
}

/// The message for refused credentials; [`super::NetError::named`] puts the bot's name in
/// place of [`BOT_PLACEHOLDER`] once the bot is known.
pub const AUTH_HINT: &str = "credentials refused; run `farm auth NAME` or check the keys";

/// What a hint made below the bot layer says in place of the bot's name.
pub const BOT_PLACEHOLDER: &str = "`farm auth NAME`";

/// What farm does with a post the server refuses for good.
pub const REJECTED_HINT: &str = "the writer drops it and posts its next text";

/// The shared tail of the platforms' classifiers: 5xx and HTML pages are Server, a redirect and
/// any other status are Refused. `said` is the status with the server's own words.
pub fn server_or_refused(resp: &Response, said: &str) -> NetError {
    let what = &resp.what;
    let (kind, msg) = if resp.status >= 500 && resp.is_html() {
        (
            NetErrorKind::Server,
            format!("{what}: server error, try again later (HTTP {}, an HTML error page)", resp.status),
        )
    } else if resp.status >= 500 {
        (NetErrorKind::Server, format!("{what}: server error, try again later ({said})"))
    } else if resp.is_html() {
        (
            NetErrorKind::Server,
            format!("{what}: the server answered with an HTML error page (HTTP {})", resp.status),
        )
    } else if (300..400).contains(&resp.status) {
        let to = resp.location.as_deref().map(|l| format!(" to {}", path_of(l))).unwrap_or_default();
        (
            NetErrorKind::Refused,
            format!("{what}: redirected{to} (HTTP {}); check the bot's --api URL", resp.status),
        )
    } else {
        (NetErrorKind::Refused, format!("{what}: refused ({said})"))
    };
    let mut e = NetError::new(kind, msg);
    e.rate = resp.rate;
    e
}

/// A JSON answer for the classifiers' unit tests: `what` is `POST /2/tweets`, the run's time
/// is [`TEST_NOW`], no headers.
#[cfg(test)]
pub(crate) fn test_response(status: u16, body: &str, call: Call) -> Response {
    Response {
        status,
        body: body.to_string(),
        rate: None,
        retry_after: None,
        link: None,
        content_type: Some("application/json".into()),
        location: None,
        validators: None,
        what: "POST /2/tweets".into(),
        call,
        now: TEST_NOW,
    }
}

/// The run's time in the unit tests (2026-01-01T00:00:00Z): fixed, so tests compare resets
/// with it exactly.
#[cfg(test)]
pub(crate) const TEST_NOW: i64 = 1_767_225_600;

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn resp(status: u16, body: &str, call: Call) -> Response {
        test_response(status, body, call)
    }

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn x_rate_headers() {
        let r = rate_from_headers(
            Call::Timeline,
            &h(&[
                ("x-rate-limit-limit", "180"),
                ("x-rate-limit-remaining", "179"),
                ("x-rate-limit-reset", "1767261600"),
            ]),
        )
        .unwrap();
        assert_eq!(
            r,
            RateInfo { call: Call::Timeline, limit: Some(180), remaining: 179, reset: 1_767_261_600 }
        );
    }

    #[test]
    fn an_unreachable_server_is_told_from_a_failing_one() {
        let http = Http::with_timeout(0, Duration::from_secs(1));
        let req = Request::new(Method::Get, "https://nosuch.example/api/v1/x", Call::Verify);
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        for e in [
            ureq::Error::HostNotFound,
            ureq::Error::ConnectionFailed,
            ureq::Error::Timeout(ureq::Timeout::Resolve),
            ureq::Error::Timeout(ureq::Timeout::Connect),
            ureq::Error::Io(refused),
        ] {
            let what = format!("{e:?}");
            let e = http.transport_error(e, &req);
            assert_eq!(e.kind, NetErrorKind::Unreachable, "{what}");
            assert!(e.message.contains("could not connect to nosuch.example"), "{}", e.message);
            assert!(!e.maybe_performed);
        }
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert_eq!(http.transport_error(ureq::Error::Io(reset), &req).kind, NetErrorKind::Server);
        let timeout = ureq::Error::Timeout(ureq::Timeout::Global);
        assert_eq!(http.transport_error(timeout, &req).kind, NetErrorKind::Server);
    }

    #[test]
    fn x_daily_window_wins_when_tighter() {
        let r = rate_from_headers(
            Call::Post,
            &h(&[
                ("x-rate-limit-limit", "100"),
                ("x-rate-limit-remaining", "99"),
                ("x-rate-limit-reset", "1000"),
                ("x-user-limit-24hour-limit", "17"),
                ("x-user-limit-24hour-remaining", "0"),
                ("x-user-limit-24hour-reset", "86400"),
            ]),
        )
        .unwrap();
        assert_eq!((r.limit, r.remaining, r.reset), (Some(17), 0, 86_400));
    }

    #[test]
    fn mastodon_rate_headers_iso_with_micros() {
        let r = rate_from_headers(
            Call::Post,
            &h(&[
                ("X-RateLimit-Limit", "300"),
                ("X-RateLimit-Remaining", "299"),
                ("X-RateLimit-Reset", "2026-01-01T10:05:00.123456Z"),
            ]),
        )
        .unwrap();
        assert_eq!(r, RateInfo { call: Call::Post, limit: Some(300), remaining: 299, reset: 1_767_261_900 });
        assert_eq!(parse_reset("2026-01-01T10:05:00+00:00"), Some(1_767_261_900));
        assert_eq!(parse_reset("soon"), None);
    }

    #[test]
    fn bluesky_rate_headers_epoch_seconds() {
        let r = rate_from_headers(
            Call::Post,
            &h(&[
                ("ratelimit-limit", "5000"),
                ("ratelimit-remaining", "4997"),
                ("ratelimit-reset", "1796549524"),
                ("ratelimit-policy", "5000;w=3600"),
            ]),
        )
        .unwrap();
        assert_eq!(
            r,
            RateInfo { call: Call::Post, limit: Some(5000), remaining: 4997, reset: 1_796_549_524 }
        );
    }

    #[test]
    fn missing_or_bad_rate_headers() {
        assert_eq!(rate_from_headers(Call::Verify, &[]), None);
        assert_eq!(rate_from_headers(Call::Verify, &h(&[("x-rate-limit-remaining", "5")])), None);
        assert_eq!(
            rate_from_headers(
                Call::Verify,
                &h(&[("x-rate-limit-remaining", "x"), ("x-rate-limit-reset", "5")])
            ),
            None
        );
        let r = rate_from_headers(
            Call::Verify,
            &h(&[("x-rate-limit-remaining", "5"), ("x-rate-limit-reset", "7")]),
        );
        assert_eq!(r, Some(RateInfo { call: Call::Verify, limit: None, remaining: 5, reset: 7 }));
    }

    #[test]
    fn absurd_resets_are_capped_or_absent() {
        let now = 1_767_225_600;
        let day = now + crate::bot::schedule::MAX_RATE_WAIT;
        let x = |reset: &str| {
            rate_at(Call::Post, &h(&[("x-rate-limit-remaining", "0"), ("x-rate-limit-reset", reset)]), now)
                .map(|r| r.reset)
        };
        assert_eq!(x("inf"), None);
        assert_eq!(x("-inf"), None);
        assert_eq!(x("NaN"), None);
        assert_eq!(x("soon"), None);
        assert_eq!(x("1e300"), Some(day));
        assert_eq!(x("-1e300"), Some(now));
        assert_eq!(x("99999999999999999999999999999"), Some(day));
        assert_eq!(x(&i64::MAX.to_string()), Some(day));
        assert_eq!(x(&i64::MIN.to_string()), Some(now));
        assert_eq!(x("-5"), Some(now));
        assert_eq!(x("7258118400"), Some(day), "year 2200 as Unix seconds");
        assert_eq!(x(&(now + 900).to_string()), Some(now + 900), "a sane reset is kept");
        let m = |reset: &str| {
            rate_at(Call::Post, &h(&[("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", reset)]), now)
                .map(|r| r.reset)
        };
        assert_eq!(m("2200-01-01T00:00:00.000000Z"), Some(day));
        assert_eq!(m("1970-01-01T00:00:00Z"), Some(now));
        assert_eq!(m("2026-01-01T00:05:00.5Z"), Some(now + 300));
        // Retry-After: seconds or an HTTP date, capped the same way.
        let ra = |v: &str| retry_after_at(&h(&[("Retry-After", v)]), now);
        assert_eq!(ra("120"), Some(now + 120));
        assert_eq!(ra("1e300"), Some(day));
        assert_eq!(ra("-30"), Some(now));
        assert_eq!(ra("inf"), None);
        assert_eq!(ra("Thu, 01 Jan 2026 00:10:00 GMT"), Some(now + 600));
        assert_eq!(ra("Wed, 01 Jan 2200 00:00:00 GMT"), Some(day));
        assert_eq!(ra("later"), None);
        assert_eq!(retry_after_at(&[], now), None);
        // Near the end of time nothing overflows either.
        assert_eq!(cap_reset(i64::MAX, i64::MAX - 5), i64::MAX);
    }

    #[test]
    fn json_errors_are_malformed_and_short() {
        #[derive(Deserialize, Debug)]
        struct T {
            #[allow(dead_code)]
            id: String,
        }
        let e = resp(200, "garbage!!", Call::Verify).json::<T>().unwrap_err();
        assert_eq!(e.kind, NetErrorKind::Malformed);
        assert_eq!(e.message, "POST /2/tweets: the answer is not valid JSON");
        let e = resp(200, r#"{"name":"x"}"#, Call::Verify).json::<T>().unwrap_err();
        assert!(e.message.contains("missing field `id`"), "{}", e.message);
        let e = resp(200, "", Call::Verify).json::<T>().unwrap_err();
        assert!(e.message.contains("empty"));
        let e = resp(200, "<html></html>", Call::Verify).json::<T>().unwrap_err();
        assert!(e.message.contains("HTML"));
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let e = resp(200, &deep, Call::Verify).json::<Vec<serde_json::Value>>().unwrap_err();
        assert!(e.message.ends_with("the answer is nested too deeply"), "{}", e.message);
        assert_eq!(resp(200, r#"{"id":"1","extra":true}"#, Call::Verify).json::<T>().unwrap().id, "1");
    }

    #[test]
    fn urls_and_forms() {
        assert_eq!(path_of("https://api.x.com/2/users/me?x=1"), "/2/users/me");
        assert_eq!(path_of("http://127.0.0.1:4000"), "/");
        assert_eq!(host_of("http://127.0.0.1:4000/api/v1/x"), "127.0.0.1:4000");
        assert_eq!(Request::new(Method::Get, "https://h/a/b?q=1", Call::Verify).what, "GET /a/b");
        let r = resp(200, "oauth_token=a%2Bb&oauth_token_secret=c+d&x", Call::Verify);
        assert_eq!(
            r.form(),
            vec![
                ("oauth_token".to_string(), "a+b".to_string()),
                ("oauth_token_secret".to_string(), "c d".to_string()),
                ("x".to_string(), String::new())
            ]
        );
        assert_eq!(percent_decode("%E2%9C%93%zz%4"), "✓%zz%4");
    }

    #[test]
    fn user_agent_names_farm() {
        assert!(USER_AGENT.starts_with("farm/") && USER_AGENT.ends_with("(+botfarm)"));
    }

    #[test]
    fn a_429_is_exhausted_relative_to_the_given_time() {
        // Far from the wall clock: the answer is judged at the run's time, nothing else.
        let now = 4_102_444_800; // 2100-01-01
        let e = exhausted(Call::Post, None, None, now);
        assert_eq!((e.remaining, e.reset), (0, now + DEFAULT_RATE_WINDOW));
        assert_eq!(exhausted(Call::Post, None, Some(now + 60), now).reset, now + 60);
        assert_eq!(exhausted(Call::Post, None, Some(now - 60), now).reset, now, "never in the past");
        let r = RateInfo { call: Call::Post, limit: Some(5), remaining: 3, reset: now - 5 };
        assert_eq!(exhausted(Call::Post, Some(r), None, now), RateInfo { remaining: 0, reset: now, ..r });
        let http = Http::with_timeout(now, Duration::from_secs(1));
        assert_eq!((http.now(), http.timeout()), (now, Duration::from_secs(1)));
    }
}
