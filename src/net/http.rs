//! HTTP plumbing shared by the clients: one ureq agent configuration, one request helper that
//! turns transport failures into [`NetError`]s, rate-limit header parsing, and the two error
//! classifiers (one for the X family, v2 and v1.1; one for Mastodon).
//!
//! Nothing here knows a platform's paths; the clients build a [`Request`] and read a
//! [`Response`]. Every message names the endpoint (`GET /2/users/me`) and never carries a
//! secret: query strings, headers and bodies we send are never echoed.

use super::{Call, NetError, NetErrorKind, RateInfo};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::time::Duration;

/// The `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!("farm/", env!("CARGO_PKG_VERSION"), " (+botfarm)");

/// The largest response body read (2 MiB); a larger one is [`NetErrorKind::Malformed`].
pub const MAX_BODY: u64 = 2 * 1024 * 1024;

/// The whole-request time budget when `FARM_HTTP_TIMEOUT` is not set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The connection-setup budget (capped at the whole-request budget).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Environment variable that overrides [`DEFAULT_TIMEOUT`]: seconds, fractions allowed
/// (`FARM_HTTP_TIMEOUT=0.5`). Meant for tests and slow links.
pub const TIMEOUT_ENV: &str = "FARM_HTTP_TIMEOUT";

/// How long to assume a rate-limit window lasts when a 429 carries no reset header.
pub const DEFAULT_RATE_WINDOW: i64 = 15 * 60;

/// The furthest ahead a rate-limit reset is believed, seconds (a day, like X's daily windows):
/// a server that says "year 2200" must not stop a bot for centuries.
pub const MAX_RESET_AHEAD: i64 = 86_400;

/// The HTTP methods the clients use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// The method name as sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
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
    /// The request's description, for messages.
    pub what: String,
    /// The request's rate-limit bucket.
    pub call: Call,
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

/// The shared HTTP client: one ureq agent with farm's settings.
#[derive(Debug, Clone)]
pub struct Http {
    agent: ureq::Agent,
    timeout: Duration,
}

impl Default for Http {
    fn default() -> Self {
        Self::new()
    }
}

impl Http {
    /// A client with the timeout from `FARM_HTTP_TIMEOUT`, or [`DEFAULT_TIMEOUT`].
    pub fn new() -> Self {
        Self::with_timeout(timeout_from_env())
    }

    /// A client whose whole-request budget (connect, send, wait, read) is `timeout`.
    pub fn with_timeout(timeout: Duration) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .timeout_connect(Some(timeout.min(CONNECT_TIMEOUT)))
            .user_agent(USER_AGENT)
            // API clients must not follow redirects: a redirected POST would be lost or resent.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .build();
        Http { agent: ureq::Agent::new_with_config(config), timeout }
    }

    /// The whole-request budget.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Perform `req` and return whatever status came back. Transport failures (cannot connect,
    /// timeout, reset, oversize body) are errors; HTTP error statuses are not — classify them
    /// with [`classify_x`] or [`classify_mastodon`].
    pub fn send(&self, req: &Request) -> Result<Response, NetError> {
        let result = match req.method {
            Method::Get => with_headers(self.agent.get(&req.url), &req.headers).call(),
            Method::Delete => with_headers(self.agent.delete(&req.url), &req.headers).call(),
            Method::Post => {
                let (content_type, body) = match &req.body {
                    Some(Body::Form(s)) => ("application/x-www-form-urlencoded", s.as_str()),
                    Some(Body::Json(s)) => ("application/json", s.as_str()),
                    None => ("application/x-www-form-urlencoded", ""),
                };
                with_headers(self.agent.post(&req.url), &req.headers)
                    .header("Content-Type", content_type)
                    .send(body.as_bytes())
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
                    || k.as_str().contains("-limit-")
                    || k.as_str() == "retry-after"
            })
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let link = get("link");
        let content_type = get("content-type");
        let location = get("location");
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .lossy_utf8(true)
            .read_to_string()
            .map_err(|e| self.transport_error(e, req))?;
        let now = now();
        Ok(Response {
            status,
            body,
            rate: rate_at(req.call, &wanted, now),
            retry_after: retry_after_at(&wanted, now),
            link,
            content_type,
            location,
            what: req.what.clone(),
            call: req.call,
        })
    }

    /// Classify a transport failure: always [`NetErrorKind::Server`] (retry next run), except
    /// an oversize answer ([`NetErrorKind::Malformed`]) and a bad URL ([`NetErrorKind::Refused`]).
    fn transport_error(&self, e: ureq::Error, req: &Request) -> NetError {
        use std::io::ErrorKind as Io;
        let host = host_of(&req.url);
        let secs = self.timeout.as_secs_f64();
        // `sent`: the request may have reached the server before the failure.
        let (kind, msg, sent) = match &e {
            ureq::Error::Timeout(ureq::Timeout::Resolve | ureq::Timeout::Connect) => {
                (NetErrorKind::Server, format!("could not connect to {host} (timed out)"), false)
            }
            ureq::Error::Timeout(_) => {
                (NetErrorKind::Server, format!("timed out after {secs} s waiting for {host}"), true)
            }
            ureq::Error::HostNotFound => {
                (NetErrorKind::Server, format!("could not connect to {host} (host not found)"), false)
            }
            ureq::Error::ConnectionFailed => {
                (NetErrorKind::Server, format!("could not connect to {host}"), false)
            }
            ureq::Error::Io(io) => match io.kind() {
                Io::ConnectionRefused | Io::AddrNotAvailable | Io::NotConnected => {
                    (NetErrorKind::Server, format!("could not connect to {host} (connection refused)"), false)
                }
                Io::ConnectionReset | Io::ConnectionAborted | Io::BrokenPipe | Io::UnexpectedEof => {
                    (NetErrorKind::Server, format!("connection reset by {host}"), true)
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

/// The timeout from [`TIMEOUT_ENV`] (positive seconds), else [`DEFAULT_TIMEOUT`].
pub fn timeout_from_env() -> Duration {
    std::env::var(TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(DEFAULT_TIMEOUT)
}

/// The current time for rate-limit arithmetic: farm's one clock, else the system clock.
pub fn now() -> i64 {
    crate::clock::now().unwrap_or_else(|_| chrono::Utc::now().timestamp())
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

/// A reset as farm believes it: never before `now`, never more than [`MAX_RESET_AHEAD`] after it.
pub fn cap_reset(reset: i64, now: i64) -> i64 {
    reset.clamp(now, now.saturating_add(MAX_RESET_AHEAD))
}

/// Rate-limit state from response headers (lower-case names): X's
/// `x-rate-limit-{limit,remaining,reset}` (and the daily `x-user-limit-24hour-*`,
/// `x-app-limit-24hour-*`) or Mastodon's `X-RateLimit-{Limit,Remaining,Reset}`. When several
/// windows are reported, the most restrictive one wins (fewest remaining, then latest reset).
/// The reset is as sent; [`rate_at`] caps it.
pub fn rate_from_headers(call: Call, headers: &[(String, String)]) -> Option<RateInfo> {
    let get =
        |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let mut best: Option<RateInfo> = None;
    for prefix in ["x-rate-limit-", "x-ratelimit-", "x-user-limit-24hour-", "x-app-limit-24hour-"] {
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

/// The rate state a 429 implies: the headers' reset with nothing remaining; without headers,
/// `Retry-After`, else a window ending [`DEFAULT_RATE_WINDOW`] from now.
pub fn exhausted(call: Call, rate: Option<RateInfo>, retry_after: Option<i64>) -> RateInfo {
    let now = now();
    match (rate, retry_after) {
        (Some(r), _) => RateInfo { remaining: 0, reset: r.reset.max(now), ..r },
        (None, Some(at)) => RateInfo { call, limit: None, remaining: 0, reset: at.max(now) },
        (None, None) => RateInfo { call, limit: None, remaining: 0, reset: now + DEFAULT_RATE_WINDOW },
    }
}

/// The message for refused credentials.
pub const AUTH_HINT: &str = "credentials refused; run `farm auth NAME` or check the keys";

/// The message for a skewed clock.
pub const CLOCK_HINT: &str = "the server says our clock is off; fix the system time (NTP)";

/// The shape of X error bodies: v1.1 `{"errors":[{"code","message"}]}` and v2 problem
/// documents `{"title","detail","type","reason"}` (sometimes with `errors` too).
#[derive(Debug, Default, Deserialize)]
struct XErrorBody {
    #[serde(default)]
    errors: Vec<XErrorItem>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    detail: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// One entry of an X `errors` array; v1.1 has `code` + `message`, v2 `title` + `detail`.
#[derive(Debug, Default, Deserialize)]
struct XErrorItem {
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    detail: Option<String>,
}

/// X v1.1 error codes that refuse a post's content for good, so resending the same text can
/// never work: 44 (`attachment_url` invalid), 170 (no status text), 324 and 325 (media ids
/// invalid or unknown), 385 (a reply to a deleted or invisible tweet), 386 (too many
/// attachments), 433 (the original author restricted replies). Account-level codes — 64
/// (suspended), 261 (the app may not write), 326 (locked) — are not content and are not here.
pub const X_CONTENT_CODES: &[i64] = &[44, 170, 324, 325, 385, 386, 433];

/// What a non-2xx X answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XFailure {
    /// The post was already made (v2 403 "duplicate content", v1.1 code 187): not a failure.
    Duplicate,
    /// A real failure.
    Error(NetError),
}

/// Classify a non-2xx answer from X (API v2 or v1.1, and the OAuth endpoints).
///
/// 401 / codes 32, 89 → Auth; 135 → ClockSkew; 429 / 88 / `usage-capped` → RateLimited (with the
/// reset); 187 / v2 duplicate → [`XFailure::Duplicate`] on a post; 186 / "too long" → TooLong;
/// 453 / `client-not-enrolled` / "subset of" → NoAccess; 185 → DailyLimit; on a post, a content
/// code ([`X_CONTENT_CODES`]) or a v2 problem about the content ([`is_v2_content_problem`]) →
/// Rejected; 5xx and HTML pages → Server; any other status → Refused.
pub fn classify_x(resp: &Response) -> XFailure {
    let parsed: XErrorBody = serde_json::from_str(&resp.body).unwrap_or_default();
    let codes: Vec<i64> = parsed
        .errors
        .iter()
        .filter_map(|e| match &e.code {
            Some(serde_json::Value::Number(n)) => n.as_i64(),
            Some(serde_json::Value::String(s)) => s.parse().ok(),
            _ => None,
        })
        .collect();
    let has = |c: i64| codes.contains(&c);
    // The server's own words, for the message and for matching.
    let server_text = {
        let item_texts = parsed.errors.iter().flat_map(|e| [&e.message, &e.detail, &e.title]);
        let top_texts = [&parsed.detail, &parsed.title, &parsed.error];
        let mut parts: Vec<&str> = Vec::new();
        for s in item_texts.chain(top_texts).flatten() {
            if !s.trim().is_empty() && !parts.contains(&s.as_str()) {
                parts.push(s);
            }
        }
        parts.join("; ")
    };
    let lower = server_text.to_lowercase();
    let reason = parsed.reason.as_deref().unwrap_or("");
    let kind = parsed.kind.as_deref().unwrap_or("");
    let said = if server_text.is_empty() {
        format!("HTTP {}", resp.status)
    } else {
        format!("HTTP {}: {}", resp.status, one_line(&server_text, 160))
    };
    let what = &resp.what;
    let err = |k: NetErrorKind, msg: String| {
        let mut e = NetError::new(k, msg);
        e.rate = resp.rate;
        XFailure::Error(e)
    };

    if has(135) || lower.contains("timestamp out of bounds") {
        return err(NetErrorKind::ClockSkew, format!("{what}: {CLOCK_HINT} ({said})"));
    }
    if resp.status == 401 || has(32) || has(89) {
        return err(NetErrorKind::Auth, format!("{what}: {AUTH_HINT} ({said})"));
    }
    if resp.status == 429 || has(88) || kind.ends_with("usage-capped") {
        let rate = exhausted(resp.call, resp.rate, resp.retry_after);
        let mut e = NetError::new(
            NetErrorKind::RateLimited,
            format!("{what}: rate limited until {} ({said})", crate::clock::format(rate.reset)),
        );
        e.rate = Some(rate);
        return XFailure::Error(e);
    }
    if has(187) || (resp.status == 403 && lower.contains("duplicate")) {
        if resp.call == Call::Post {
            return XFailure::Duplicate;
        }
        return err(NetErrorKind::Refused, format!("{what}: refused as a duplicate ({said})"));
    }
    if has(186) || lower.contains("too long") || lower.contains("a bit shorter") {
        return err(NetErrorKind::TooLong, format!("{what}: the text is too long for X ({said})"));
    }
    if has(453) || reason == "client-not-enrolled" || lower.contains("subset of") {
        return err(
            NetErrorKind::NoAccess,
            format!(
                "{what}: this X API plan has no access to {}; upgrade the plan or use another platform ({said})",
                path_of_what(what)
            ),
        );
    }
    if has(185) {
        return err(
            NetErrorKind::DailyLimit,
            format!("{what}: the account is over its daily posting limit; try again tomorrow ({said})"),
        );
    }
    let content_code = codes.iter().any(|c| X_CONTENT_CODES.contains(c));
    if resp.call == Call::Post && (content_code || is_v2_content_problem(resp, &parsed, &codes)) {
        return err(
            NetErrorKind::Rejected,
            format!("{what}: X refused this text for good; {REJECTED_HINT} ({said})"),
        );
    }
    XFailure::Error(server_or_refused(resp, &said))
}

/// What farm does with a post the server refuses for good.
pub const REJECTED_HINT: &str = "the writer drops it and posts its next text";

/// Whether an X v2 answer to a post is a problem document about the post itself: status 400 or
/// 403, JSON with `type` `about:blank` or `.../invalid-request`, a `detail` that says more than
/// the `title` (the generic `{"title":"Forbidden","detail":"Forbidden"}` is not one), no
/// `reason` and no v1.1 error code. Account- and app-level refusals have their own problem
/// types (`client-forbidden`, `oauth1-permissions`, ...), a `reason`, or only the generic
/// detail, and stay Refused. Decided by the body's shape, never by its English words.
fn is_v2_content_problem(resp: &Response, parsed: &XErrorBody, codes: &[i64]) -> bool {
    let kind = parsed.kind.as_deref().unwrap_or("");
    let detail = parsed.detail.as_deref().unwrap_or("").trim();
    let title = parsed.title.as_deref().unwrap_or("").trim();
    matches!(resp.status, 400 | 403)
        && !resp.is_html()
        && codes.is_empty()
        && parsed.reason.is_none()
        && (kind == "about:blank" || kind.ends_with("/invalid-request"))
        && !detail.is_empty()
        && !detail.eq_ignore_ascii_case(title)
}

/// The path part of a `what` (`GET /2/users/me` -> `/2/users/me`).
fn path_of_what(what: &str) -> &str {
    what.split_once(' ').map_or(what, |(_, p)| p)
}

/// The shared tail of both classifiers: 5xx and HTML pages are Server, a redirect and any
/// other status are Refused.
fn server_or_refused(resp: &Response, said: &str) -> NetError {
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

/// The shape of Mastodon error bodies: `{"error": "...", "error_description": "..."}`.
#[derive(Debug, Default, Deserialize)]
struct MastodonErrorBody {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

/// Classify a non-2xx answer from Mastodon.
///
/// 401 (and a 403 about scopes) → Auth; 429 → RateLimited (with the reset); 422 about the
/// character limit → TooLong; any other 422 with an `error` body on a post → Rejected (the
/// message is translated to the account's language, so only the status and shape count); 5xx
/// and HTML pages → Server; any other status → Refused.
pub fn classify_mastodon(resp: &Response) -> NetError {
    let parsed: MastodonErrorBody = serde_json::from_str(&resp.body).unwrap_or_default();
    let server_text = [parsed.error.as_deref(), parsed.error_description.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("; ");
    let lower = server_text.to_lowercase();
    let said = if server_text.is_empty() {
        format!("HTTP {}", resp.status)
    } else {
        format!("HTTP {}: {}", resp.status, one_line(&server_text, 160))
    };
    let what = &resp.what;
    let with_rate = |k: NetErrorKind, msg: String| {
        let mut e = NetError::new(k, msg);
        e.rate = resp.rate;
        e
    };
    if resp.status == 401 || (resp.status == 403 && lower.contains("scope")) {
        return with_rate(NetErrorKind::Auth, format!("{what}: {AUTH_HINT} ({said})"));
    }
    if resp.status == 429 {
        let rate = exhausted(resp.call, resp.rate, resp.retry_after);
        let mut e = NetError::new(
            NetErrorKind::RateLimited,
            format!("{what}: rate limited until {} ({said})", crate::clock::format(rate.reset)),
        );
        e.rate = Some(rate);
        return e;
    }
    if resp.status == 422 && (lower.contains("character limit") || lower.contains("too long")) {
        return with_rate(
            NetErrorKind::TooLong,
            format!("{what}: the text is too long for this instance ({said})"),
        );
    }
    if resp.status == 422 && resp.call == Call::Post && parsed.error.is_some() && !resp.is_html() {
        return with_rate(
            NetErrorKind::Rejected,
            format!("{what}: the instance refused this text for good; {REJECTED_HINT} ({said})"),
        );
    }
    server_or_refused(resp, &said)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str, call: Call) -> Response {
        Response {
            status,
            body: body.to_string(),
            rate: None,
            retry_after: None,
            link: None,
            content_type: Some("application/json".into()),
            location: None,
            what: "POST /2/tweets".into(),
            call,
        }
    }

    fn x_err(status: u16, body: &str) -> NetError {
        match classify_x(&resp(status, body, Call::Post)) {
            XFailure::Error(e) => e,
            XFailure::Duplicate => panic!("unexpected duplicate for {status} {body}"),
        }
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
    fn x_auth_and_clock() {
        let e = x_err(401, r#"{"errors":[{"code":32,"message":"Could not authenticate you."}]}"#);
        assert_eq!(e.kind, NetErrorKind::Auth);
        assert!(e.message.contains("farm auth"), "{}", e.message);
        assert!(e.message.contains("Could not authenticate you."), "{}", e.message);
        assert_eq!(
            x_err(401, r#"{"errors":[{"code":89,"message":"Invalid or expired token."}]}"#).kind,
            NetErrorKind::Auth
        );
        assert_eq!(
            x_err(
                401,
                r#"{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}"#
            )
            .kind,
            NetErrorKind::Auth
        );
        let e = x_err(401, r#"{"errors":[{"code":135,"message":"Timestamp out of bounds."}]}"#);
        assert_eq!(e.kind, NetErrorKind::ClockSkew);
        assert!(e.message.contains("NTP"));
    }

    #[test]
    fn x_rate_limited_carries_reset() {
        let mut r = resp(
            429,
            r#"{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}"#,
            Call::Timeline,
        );
        r.rate =
            Some(RateInfo { call: Call::Timeline, limit: Some(180), remaining: 0, reset: 4_000_000_000 });
        let XFailure::Error(e) = classify_x(&r) else { panic!() };
        assert_eq!(e.kind, NetErrorKind::RateLimited);
        assert_eq!(e.rate.unwrap().reset, 4_000_000_000);
        assert_eq!(e.rate.unwrap().remaining, 0);
        // No header: assume a 15-minute window from now.
        let e = x_err(429, r#"{"errors":[{"code":88,"message":"Rate limit exceeded"}]}"#);
        assert_eq!(e.kind, NetErrorKind::RateLimited);
        let reset = e.rate.unwrap().reset;
        assert!((reset - now() - DEFAULT_RATE_WINDOW).abs() <= 5, "{reset}");
        let e = x_err(
            429,
            r#"{"title":"UsageCapExceeded","type":"https://api.twitter.com/2/problems/usage-capped","detail":"Usage cap exceeded: Monthly product cap"}"#,
        );
        assert_eq!(e.kind, NetErrorKind::RateLimited);
    }

    #[test]
    fn x_duplicate_is_not_an_error_on_post() {
        let v2 = r#"{"detail":"You are not allowed to create a Tweet with duplicate content.","type":"about:blank","title":"Forbidden","status":403}"#;
        assert_eq!(classify_x(&resp(403, v2, Call::Post)), XFailure::Duplicate);
        let v1 = r#"{"errors":[{"code":187,"message":"Status is a duplicate."}]}"#;
        assert_eq!(classify_x(&resp(403, v1, Call::Post)), XFailure::Duplicate);
        let XFailure::Error(e) = classify_x(&resp(403, v1, Call::Timeline)) else { panic!() };
        assert_eq!(e.kind, NetErrorKind::Refused);
    }

    #[test]
    fn x_too_long_no_access_daily() {
        assert_eq!(
            x_err(403, r#"{"errors":[{"code":186,"message":"Tweet needs to be a bit shorter."}]}"#).kind,
            NetErrorKind::TooLong
        );
        assert_eq!(
            x_err(400, r#"{"errors":[{"parameters":{"text":["x"]},"message":"Your Tweet text is too long."}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"}"#).kind,
            NetErrorKind::TooLong
        );
        let e = x_err(
            403,
            r#"{"errors":[{"message":"You currently have access to a subset of Twitter API v2 endpoints and limited v1.1 endpoints only.","code":453}]}"#,
        );
        assert_eq!(e.kind, NetErrorKind::NoAccess);
        assert!(e.message.contains("this X API plan has no access to /2/tweets"), "{}", e.message);
        let e = x_err(
            403,
            r#"{"client_id":"1","detail":"When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project.","registration_url":"https://developer.twitter.com/","title":"Client Forbidden","required_enrollment":"Appropriate Level of API Access","reason":"client-not-enrolled","type":"https://api.twitter.com/2/problems/client-forbidden"}"#,
        );
        assert_eq!(e.kind, NetErrorKind::NoAccess);
        assert_eq!(
            x_err(403, r#"{"errors":[{"code":185,"message":"User is over daily status update limit."}]}"#)
                .kind,
            NetErrorKind::DailyLimit
        );
    }

    #[test]
    fn x_server_html_and_other() {
        assert_eq!(x_err(503, r#"{"title":"Service Unavailable"}"#).kind, NetErrorKind::Server);
        let mut r = resp(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", Call::Post);
        r.content_type = Some("text/html".into());
        let XFailure::Error(e) = classify_x(&r) else { panic!() };
        assert_eq!(e.kind, NetErrorKind::Server);
        assert!(!e.message.contains("<html>"), "{}", e.message);
        let e = x_err(403, "<!DOCTYPE html><html>blocked</html>");
        assert_eq!(e.kind, NetErrorKind::Server);
        let e = x_err(404, r#"{"errors":[{"code":34,"message":"Sorry, that page does not exist."}]}"#);
        assert_eq!(e.kind, NetErrorKind::Refused);
        assert!(e.message.contains("Sorry, that page does not exist."));
        assert_eq!(x_err(400, "not json at all").kind, NetErrorKind::Refused);
    }

    #[test]
    fn mastodon_classes() {
        let m = |status: u16, body: &str| classify_mastodon(&resp(status, body, Call::Post));
        let e = m(401, r#"{"error":"The access token is invalid"}"#);
        assert_eq!(e.kind, NetErrorKind::Auth);
        assert!(e.message.contains("The access token is invalid"));
        assert_eq!(
            m(403, r#"{"error":"This action is outside the authorized scopes"}"#).kind,
            NetErrorKind::Auth
        );
        let e = m(429, r#"{"error":"Too many requests"}"#);
        assert_eq!(e.kind, NetErrorKind::RateLimited);
        assert!(e.rate.is_some());
        assert_eq!(
            m(422, r#"{"error":"Validation failed: Text character limit of 500 exceeded"}"#).kind,
            NetErrorKind::TooLong
        );
        assert_eq!(
            m(422, r#"{"error":"Validation failed: Text can't be blank"}"#).kind,
            NetErrorKind::Rejected
        );
        assert_eq!(m(500, "oops").kind, NetErrorKind::Server);
        assert_eq!(m(404, r#"{"error":"Record not found"}"#).kind, NetErrorKind::Refused);
        let mut r = resp(301, "", Call::Timeline);
        r.location = Some("https://other.example/api/v1/timelines/home?x=1".into());
        let e = classify_mastodon(&r);
        assert_eq!(e.kind, NetErrorKind::Refused);
        assert!(e.message.contains("redirected to /api/v1/timelines/home"), "{}", e.message);
    }

    #[test]
    fn mastodon_422_in_any_language_is_rejected_on_a_post() {
        let m = |status: u16, body: &str, call: Call| classify_mastodon(&resp(status, body, call));
        for body in [
            r#"{"error":"バリデーションに失敗しました: テキストが不適切です"}"#,
            r#"{"error":"Validierung fehlgeschlagen: Text ist ungültig"}"#,
            r#"{"error":"Échec de validation : Texte invalide","error_description":"x"}"#,
        ] {
            let e = m(422, body, Call::Post);
            assert_eq!(e.kind, NetErrorKind::Rejected, "{body}");
            assert!(e.message.contains("drops it"), "{}", e.message);
        }
        // Only a post's content can be rejected; elsewhere a 422 is a plain refusal.
        assert_eq!(m(422, r#"{"error":"バリデーション"}"#, Call::Timeline).kind, NetErrorKind::Refused);
        // A 422 that is not a Mastodon error document (a proxy page) is not about the text.
        assert_eq!(m(422, "Unprocessable", Call::Post).kind, NetErrorKind::Refused);
        // The other classes are unchanged by the language.
        assert_eq!(m(401, r#"{"error":"アクセストークンは無効です"}"#, Call::Post).kind, NetErrorKind::Auth);
        assert_eq!(
            m(429, r#"{"error":"リクエストが多すぎます"}"#, Call::Post).kind,
            NetErrorKind::RateLimited
        );
    }

    #[test]
    fn x_content_refusals_are_rejected_by_code_and_shape() {
        let on = |status: u16, body: &str, call: Call| match classify_x(&resp(status, body, call)) {
            XFailure::Error(e) => e.kind,
            XFailure::Duplicate => panic!("unexpected duplicate for {status} {body}"),
        };
        // v1.1: by code, whatever the message says.
        for code in [44, 170, 324, 325, 385, 386, 433] {
            let body = format!(r#"{{"errors":[{{"code":{code},"message":"égal"}}]}}"#);
            assert_eq!(on(403, &body, Call::Post), NetErrorKind::Rejected, "{code}");
            assert_eq!(on(400, &body, Call::Post), NetErrorKind::Rejected, "{code}");
            assert_eq!(on(403, &body, Call::Timeline), NetErrorKind::Refused, "{code}");
        }
        // Account-level codes are not about the text.
        for code in [64, 261, 326, 200] {
            let body = format!(r#"{{"errors":[{{"code":{code},"message":"Forbidden."}}]}}"#);
            assert_eq!(on(403, &body, Call::Post), NetErrorKind::Refused, "{code}");
        }
        // v2: a problem document whose detail says something about this post.
        let not_permitted = r#"{"detail":"You are not permitted to perform this action.","type":"about:blank","title":"Forbidden","status":403}"#;
        assert_eq!(on(403, not_permitted, Call::Post), NetErrorKind::Rejected);
        assert_eq!(on(403, not_permitted, Call::Delete), NetErrorKind::Refused);
        let invalid = r#"{"errors":[{"message":"$.text: must not be empty"}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"}"#;
        assert_eq!(on(400, invalid, Call::Post), NetErrorKind::Rejected);
        // The generic 403 (suspended account, no detail) stays an account problem.
        let generic = r#"{"title":"Forbidden","detail":"Forbidden","type":"about:blank","status":403}"#;
        assert_eq!(on(403, generic, Call::Post), NetErrorKind::Refused);
        let oauth1 = r#"{"title":"Forbidden","type":"https://api.twitter.com/2/problems/oauth1-permissions","detail":"Your client app is not configured with the appropriate oauth1 app permissions for this endpoint.","status":403}"#;
        assert_eq!(on(403, oauth1, Call::Post), NetErrorKind::Refused);
        let reason = r#"{"title":"Forbidden","type":"about:blank","detail":"The app is banned.","reason":"official-client-forbidden","status":403}"#;
        assert_eq!(on(403, reason, Call::Post), NetErrorKind::Refused);
        assert_eq!(on(403, "<!DOCTYPE html><html>blocked</html>", Call::Post), NetErrorKind::Server);
        // 401 and 429 keep their classes, a duplicate is still "already posted".
        let e401 =
            r#"{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized access"}"#;
        assert_eq!(on(401, e401, Call::Post), NetErrorKind::Auth);
        let e429 = r#"{"title":"Too Many Requests","detail":"Too Many Requests right now","type":"about:blank","status":429}"#;
        assert_eq!(on(429, e429, Call::Post), NetErrorKind::RateLimited);
        let dup = r#"{"detail":"You are not allowed to create a Tweet with duplicate content.","type":"about:blank","title":"Forbidden","status":403}"#;
        assert_eq!(classify_x(&resp(403, dup, Call::Post)), XFailure::Duplicate);
    }

    #[test]
    fn absurd_resets_are_capped_or_absent() {
        let now = 1_767_225_600;
        let day = now + MAX_RESET_AHEAD;
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
    fn a_429_uses_retry_after_when_there_are_no_rate_headers() {
        let mut r = resp(429, r#"{"error":"Too many requests"}"#, Call::Post);
        r.retry_after = Some(now() + 120);
        let e = classify_mastodon(&r);
        assert_eq!(e.kind, NetErrorKind::RateLimited);
        let reset = e.rate.unwrap().reset;
        assert!((reset - now() - 120).abs() <= 5, "{reset}");
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
    fn timeout_env_parsing_defaults() {
        // Only checks the fallback; the variable itself is not touched (tests run in parallel).
        if std::env::var(TIMEOUT_ENV).is_err() {
            assert_eq!(timeout_from_env(), DEFAULT_TIMEOUT);
        }
        assert!(USER_AGENT.starts_with("farm/") && USER_AGENT.ends_with("(+botfarm)"));
    }
}
