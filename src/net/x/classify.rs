//! Classifying X's error answers (API v2, v1.1 and the OAuth endpoints): one set of rules for
//! both X clients, decided by status, error code and body shape.

use super::super::http::{one_line, rate_limited, server_or_refused, Response, AUTH_HINT, REJECTED_HINT};
use super::super::{Call, NetError, NetErrorKind};
use serde::Deserialize;

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
/// code ([`X_CONTENT_CODES`]) or a v2 problem document about the content (400 or 403,
/// `about:blank` or `invalid-request`, a detail that says more than the title, no `reason`) →
/// Rejected; 5xx and HTML pages → Server; any other status → Refused. A 429's window is judged
/// at the run's time, [`Response::now`].
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
        return XFailure::Error(rate_limited(resp, &said));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::http::{test_response as resp, DEFAULT_RATE_WINDOW, TEST_NOW};
    use crate::net::RateInfo;

    fn x_err(status: u16, body: &str) -> NetError {
        match classify_x(&resp(status, body, Call::Post)) {
            XFailure::Error(e) => e,
            XFailure::Duplicate => panic!("unexpected duplicate for {status} {body}"),
        }
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
        assert_eq!(reset, TEST_NOW + DEFAULT_RATE_WINDOW);
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
}
