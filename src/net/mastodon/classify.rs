//! Classifying Mastodon's error answers, by status and body shape (the `error` text is
//! translated to the account's language, so its words count only where noted).

use super::super::http::{one_line, rate_limited, server_or_refused, Response, AUTH_HINT, REJECTED_HINT};
use super::super::{Call, NetError, NetErrorKind};
use serde::Deserialize;

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
        return rate_limited(resp, &said);
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
    use crate::net::http::{test_response as resp, TEST_NOW};

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
    fn a_429_uses_retry_after_when_there_are_no_rate_headers() {
        let mut r = resp(429, r#"{"error":"Too many requests"}"#, Call::Post);
        r.retry_after = Some(TEST_NOW + 120);
        let e = classify_mastodon(&r);
        assert_eq!(e.kind, NetErrorKind::RateLimited);
        let reset = e.rate.unwrap().reset;
        assert_eq!(reset, TEST_NOW + 120);
    }
}
