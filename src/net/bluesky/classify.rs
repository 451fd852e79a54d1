//! Classifying Bluesky's XRPC error answers, by status and error name only (the `message` is
//! for people and may change): `{"error": "<Name>", "message": "<text>"}`.
//!
//! Unlike most APIs, a refused *token* is a 400 (`ExpiredToken`, `InvalidToken`), and only a
//! missing or refused *login* is a 401 (`AuthMissing`, `AuthenticationRequired`).

use super::super::http::{one_line, rate_limited, server_or_refused, Response, AUTH_HINT, REJECTED_HINT};
use super::super::{Call, NetError, NetErrorKind, SourceStatus};
use serde::Deserialize;

/// An XRPC error body.
#[derive(Debug, Default, Deserialize)]
pub struct XrpcError {
    /// The error name (`ExpiredToken`, `RecordNotFound`, …).
    #[serde(default)]
    pub error: Option<String>,
    /// Human text.
    #[serde(default)]
    pub message: Option<String>,
}

impl XrpcError {
    /// The error body of an answer (empty when it is not one).
    pub fn of(resp: &Response) -> XrpcError {
        serde_json::from_str(&resp.body).unwrap_or_default()
    }
}

/// Error names that say the account itself cannot be used.
const ACCOUNT_GONE: &[&str] = &[
    "AccountTakedown",
    "AccountDeactivated",
    "AccountSuspended",
    "AccountNotFound",
    "RepoTakendown",
    "RepoDeactivated",
    "RepoSuspended",
];

/// Classify a non-2xx answer from a PDS.
///
/// 429 → RateLimited (until `RateLimit-Reset`, or `Retry-After`); 401 → Auth; 400
/// `ExpiredToken`/`InvalidToken` → Server with [`NetError::session_expired`] (the next run
/// refreshes the session); `AccountTakedown` and other gone accounts → Refused; 400
/// `InvalidRequest` on a post → Rejected (the record is invalid for good: the writer drops the
/// text); 5xx and HTML pages → Server; anything else → Refused.
pub fn classify_bluesky(resp: &Response) -> NetError {
    let body = XrpcError::of(resp);
    let name = body.error.as_deref().unwrap_or("");
    let said = match (&body.error, &body.message) {
        (Some(e), Some(m)) => format!("HTTP {} {e}: {}", resp.status, one_line(m, 160)),
        (Some(e), None) => format!("HTTP {} {e}", resp.status),
        _ => format!("HTTP {}", resp.status),
    };
    let what = &resp.what;
    let with = |kind: NetErrorKind, msg: String| {
        let mut e = NetError::new(kind, msg);
        e.rate = resp.rate;
        e
    };
    if resp.status == 429 {
        return rate_limited(resp, &said);
    }
    if ACCOUNT_GONE.contains(&name) {
        return with(
            NetErrorKind::Refused,
            format!("{what}: the account is taken down, deactivated or gone ({said})"),
        );
    }
    if resp.status == 401 {
        return with(NetErrorKind::Auth, format!("{what}: {AUTH_HINT} ({said})"));
    }
    if resp.status == 400 && matches!(name, "ExpiredToken" | "InvalidToken") {
        let mut e = with(
            NetErrorKind::Server,
            format!(
                "{what}: the session token was refused; farm refreshes the session on the next run ({said})"
            ),
        );
        e.session_expired = true;
        return e;
    }
    if resp.status == 400 && name == "InvalidRequest" && resp.call == Call::Post && !resp.is_html() {
        return with(
            NetErrorKind::Rejected,
            format!("{what}: the server refused this post for good; {REJECTED_HINT} ({said})"),
        );
    }
    server_or_refused(resp, &said)
}

/// What an answer to a public read of a repo (`listRecords`, `getRecord` of a profile) says of
/// the account, when it says the account cannot be read: `RepoTakendown` and the other takedown
/// and suspension names are `Suspended`, `RepoDeactivated` is `Deactivated`, and `RepoNotFound`
/// or a bare `400 InvalidRequest` (what the reference PDS answers for a repo it does not hold:
/// farm's request is well formed, so the repo is what is missing) are `Gone`.
pub fn repo_status(resp: &Response) -> Option<SourceStatus> {
    let body = XrpcError::of(resp);
    match (resp.status, body.error.as_deref().unwrap_or("")) {
        (_, "RepoTakendown" | "AccountTakedown" | "RepoSuspended" | "AccountSuspended") => {
            Some(SourceStatus::Suspended)
        }
        (_, "RepoDeactivated" | "AccountDeactivated") => Some(SourceStatus::Deactivated),
        (_, "RepoNotFound" | "AccountNotFound") | (400, "InvalidRequest") => Some(SourceStatus::Gone),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::http::test_response as resp;

    #[test]
    fn bluesky_classes() {
        let b = |status: u16, body: &str, call: Call| classify_bluesky(&resp(status, body, call));
        let e = b(
            401,
            r#"{"error":"AuthenticationRequired","message":"Invalid identifier or password"}"#,
            Call::Verify,
        );
        assert_eq!(e.kind, NetErrorKind::Auth);
        let e = b(400, r#"{"error":"ExpiredToken","message":"Token has expired"}"#, Call::Post);
        assert_eq!((e.kind, e.session_expired), (NetErrorKind::Server, true));
        let e = b(400, r#"{"error":"InvalidToken","message":"Token could not be verified"}"#, Call::Timeline);
        assert!(e.session_expired);
        let e =
            b(400, r#"{"error":"AccountTakedown","message":"Account has been taken down"}"#, Call::Verify);
        assert_eq!(e.kind, NetErrorKind::Refused);
        let e = b(
            400,
            r#"{"error":"InvalidRequest","message":"Invalid app.bsky.feed.post record: grapheme too big (maximum 300, got 301) at $.record.text"}"#,
            Call::Post,
        );
        assert_eq!(e.kind, NetErrorKind::Rejected);
        // The words do not matter, the name does.
        assert_eq!(
            b(400, r#"{"error":"InvalidRequest","message":"anything"}"#, Call::Post).kind,
            NetErrorKind::Rejected
        );
        assert_eq!(
            b(400, r#"{"error":"InvalidRequest","message":"x"}"#, Call::Timeline).kind,
            NetErrorKind::Refused
        );
        let e = b(500, r#"{"error":"InternalServerError","message":"Internal Server Error"}"#, Call::Post);
        assert_eq!((e.kind, e.session_expired), (NetErrorKind::Server, false));
        let e = b(429, r#"{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}"#, Call::Post);
        assert_eq!(e.kind, NetErrorKind::RateLimited);
        assert!(e.rate.is_some());
        assert_eq!(b(502, "<html>bad gateway</html>", Call::Post).kind, NetErrorKind::Server);
    }

    #[test]
    fn repo_states() {
        let r = |status: u16, body: &str| repo_status(&resp(status, body, Call::Timeline));
        // The reference PDS's answer for a repo it does not hold (recorded, tests/pds).
        assert_eq!(
            r(
                400,
                r#"{"error":"InvalidRequest","message":"Could not find repo: did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"}"#
            ),
            Some(SourceStatus::Gone)
        );
        assert_eq!(r(400, r#"{"error":"RepoTakendown","message":"x"}"#), Some(SourceStatus::Suspended));
        assert_eq!(r(400, r#"{"error":"RepoDeactivated","message":"x"}"#), Some(SourceStatus::Deactivated));
        assert_eq!(r(404, r#"{"error":"RepoNotFound"}"#), Some(SourceStatus::Gone));
        assert_eq!(r(500, r#"{"error":"InternalServerError"}"#), None);
        assert_eq!(r(429, r#"{"error":"RateLimitExceeded"}"#), None);
    }
}
