//! Verifying OAuth 1.0a signed requests as X does: the signature over the request as it
//! arrived, the app and token, and the timestamp window (code 135).

use crate::sim::handle::{x1_error, Ctx};
use crate::sim::oauth;
use crate::sim::server::Response;
use crate::sim::state::{Family, State};
use serde_json::json;

/// Why OAuth verification failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthErr {
    /// Unknown key/token, malformed header or bad signature (code 32).
    Bad,
    /// `oauth_timestamp` more than 300 s from the fake's clock (code 135).
    Timestamp,
}

/// A verified OAuth 1.0a request.
#[derive(Debug, Clone)]
pub(crate) struct Verified {
    /// The app.
    pub consumer_key: String,
    /// The token (may be empty).
    pub token: String,
    /// The protocol parameters from the header.
    pub oauth: Vec<(String, String)>,
}

/// Verify the `Authorization: OAuth` header from what arrived on the wire. `secret_of(token,
/// consumer_key)` gives the token secret (it must accept an empty token where that is allowed).
pub(crate) fn verify(
    ctx: &Ctx<'_>,
    secret_of: impl Fn(&State, &str, &str) -> Option<String>,
) -> Result<Verified, AuthErr> {
    let header = ctx.req.header("authorization").ok_or(AuthErr::Bad)?;
    let oauth_params = oauth::parse_header(header).ok_or(AuthErr::Bad)?;
    let get = |k: &str| oauth_params.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
    let signature = get("oauth_signature").ok_or(AuthErr::Bad)?;
    if get("oauth_signature_method").as_deref() != Some("HMAC-SHA1") {
        return Err(AuthErr::Bad);
    }
    let consumer_key = get("oauth_consumer_key").ok_or(AuthErr::Bad)?;
    let consumer_secret = ctx.st.consumers.get(&consumer_key).ok_or(AuthErr::Bad)?.clone();
    get("oauth_nonce").ok_or(AuthErr::Bad)?;
    let ts: i64 = get("oauth_timestamp").and_then(|t| t.parse().ok()).ok_or(AuthErr::Bad)?;
    let reference = if ctx.st.oauth_wall_clock { chrono::Utc::now().timestamp() } else { ctx.now };
    if (ts - reference).abs() > 300 {
        return Err(AuthErr::Timestamp);
    }
    let token = get("oauth_token").unwrap_or_default();
    let token_secret = secret_of(ctx.st, &token, &consumer_key).ok_or(AuthErr::Bad)?;
    let mut params = ctx.req.query_params();
    params.extend(ctx.req.form_params());
    params.extend(oauth_params.iter().filter(|(k, _)| k != "oauth_signature" && k != "realm").cloned());
    let uri = oauth::base_uri("http", &ctx.host, &ctx.req.path);
    let base = oauth::base_string(&ctx.req.method, &uri, &params);
    let expected = oauth::sign(&base, &consumer_secret, &token_secret);
    match (oauth::base64_decode(&signature), oauth::base64_decode(&expected)) {
        (Some(a), Some(b)) if a == b => Ok(Verified { consumer_key, token, oauth: oauth_params }),
        _ => Err(AuthErr::Bad),
    }
}

/// The user behind a signed API request.
pub(crate) fn user(ctx: &Ctx<'_>) -> Result<String, AuthErr> {
    let v = verify(ctx, |st, token, ck| {
        st.x_tokens.get(token).filter(|t| t.consumer_key == ck).map(|t| t.secret.clone())
    })?;
    Ok(ctx.st.x_tokens.get(&v.token).map(|t| t.username.clone()).unwrap_or_default())
}

/// The error answer for a failed verification, in the API flavour of the request.
pub(super) fn auth_error(fam: Family, e: AuthErr) -> Response {
    match (e, fam) {
        (AuthErr::Timestamp, _) => x1_error(401, 135, "Timestamp out of bounds."),
        (AuthErr::Bad, Family::XV2) => Response::json(
            401,
            &json!({"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}),
        ),
        (AuthErr::Bad, _) => x1_error(401, 32, "Could not authenticate you."),
    }
}
