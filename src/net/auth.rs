//! The network half of `farm auth`: X's OAuth 1.0a PIN flow and Mastodon's app registration
//! plus out-of-band authorization code flow.
//!
//! X: [`x_request_token`] → the user opens [`x_authorize_url`] and reads a PIN →
//! [`x_access_token`]. Mastodon: [`mastodon_register_app`] → the user opens
//! [`mastodon_authorize_url`] and copies a code → [`mastodon_exchange_code`].
//!
//! The calls that go over the network take the command's `now` (from [`crate::clock::now`]):
//! the time a rate-limit answer is judged at. Their errors never carry the keys, tokens, PIN or
//! code they sent ([`hiding`]).

use super::http::{malformed, Body, Http, Method, Request, Response};
use super::mastodon::classify_mastodon;
use super::oauth::{form, query, Signer};
use super::x::{classify_x, XFailure};
use super::{Call, NetError, NetErrorKind};
use crate::secret::Secrets;
use serde::Deserialize;

/// The redirect URI for flows where the user copies a code by hand.
pub const OOB_REDIRECT: &str = "urn:ietf:wg:oauth:2.0:oob";

/// The scopes farm asks Mastodon for.
pub const MASTODON_SCOPES: &str = "read write";

/// The app name registered on Mastodon.
pub const MASTODON_APP_NAME: &str = "farm";

fn base(api: &str) -> &str {
    api.trim().trim_end_matches('/')
}

/// Send and return a 2xx answer; classify anything else with the X rules.
fn send_x(http: &Http, req: &Request) -> Result<Response, NetError> {
    let resp = http.send(req)?;
    if resp.is_success() {
        return Ok(resp);
    }
    match classify_x(&resp) {
        XFailure::Error(e) => Err(e),
        XFailure::Duplicate => Err(NetError::new(NetErrorKind::Refused, format!("{}: refused", resp.what))),
    }
}

/// Send and return a 2xx answer; classify anything else with the Mastodon rules.
fn send_mastodon(http: &Http, req: &Request) -> Result<Response, NetError> {
    let resp = http.send(req)?;
    if resp.is_success() {
        Ok(resp)
    } else {
        Err(classify_mastodon(&resp))
    }
}

/// `r` with the secrets a step sent (`sent`) masked in its error: a server may quote them.
fn hiding<T>(sent: &[&str], r: Result<T, NetError>) -> Result<T, NetError> {
    let mut secrets = Secrets::new();
    for s in sent {
        secrets.add(s);
    }
    r.map_err(|e| e.scrubbed(&secrets))
}

/// One value of a form-encoded OAuth answer; missing is Malformed.
fn form_value(resp: &Response, pairs: &[(String, String)], key: &str) -> Result<String, NetError> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| malformed(&resp.what, &format!("the answer has no `{key}`")))
}

/// X step 1: get a temporary request token (and its secret) for the PIN flow
/// (`POST /oauth/request_token` with `oauth_callback=oob`, signed with the app keys only).
pub fn x_request_token(
    api: &str,
    consumer_key: &str,
    consumer_secret: &str,
    now: i64,
) -> Result<(String, String), NetError> {
    hiding(&[consumer_key, consumer_secret], request_token(api, consumer_key, consumer_secret, now))
}

fn request_token(
    api: &str,
    consumer_key: &str,
    consumer_secret: &str,
    now: i64,
) -> Result<(String, String), NetError> {
    let url = format!("{}/oauth/request_token", base(api));
    let signer = Signer { callback: Some("oob"), ..Signer::app(consumer_key, consumer_secret) };
    let req = signer.post_form(&url, &[], Call::Verify).idempotent(true);
    let resp = send_x(&Http::new(now), &req)?;
    let pairs = resp.form();
    Ok((form_value(&resp, &pairs, "oauth_token")?, form_value(&resp, &pairs, "oauth_token_secret")?))
}

/// X step 2: the page where the user authorizes the app and reads the PIN
/// (`https://api.x.com/oauth/authorize?oauth_token=…` for the public API).
pub fn x_authorize_url(api: &str, request_token: &str) -> String {
    query(&format!("{}/oauth/authorize", base(api)), &[("oauth_token", request_token)])
}

/// X step 3: trade the request token and the PIN for the user's access token and secret
/// (`POST /oauth/access_token`). Returns `(access_token, access_secret, screen_name)`.
pub fn x_access_token(
    api: &str,
    consumer_key: &str,
    consumer_secret: &str,
    request_token: &str,
    request_secret: &str,
    pin: &str,
    now: i64,
) -> Result<(String, String, String), NetError> {
    let sent = [consumer_key, consumer_secret, request_token, request_secret, pin.trim()];
    let keys = (consumer_key, consumer_secret);
    hiding(&sent, access_token(api, keys, request_token, request_secret, pin, now))
}

fn access_token(
    api: &str,
    (consumer_key, consumer_secret): (&str, &str),
    request_token: &str,
    request_secret: &str,
    pin: &str,
    now: i64,
) -> Result<(String, String, String), NetError> {
    let url = format!("{}/oauth/access_token", base(api));
    let pin = pin.trim();
    let signer = Signer {
        token: Some((request_token, request_secret)),
        verifier: Some(pin),
        ..Signer::app(consumer_key, consumer_secret)
    };
    let req = signer.post_form(&url, &[], Call::Verify).idempotent(true);
    let resp = send_x(&Http::new(now), &req)?;
    let pairs = resp.form();
    Ok((
        form_value(&resp, &pairs, "oauth_token")?,
        form_value(&resp, &pairs, "oauth_token_secret")?,
        form_value(&resp, &pairs, "screen_name")?,
    ))
}

/// The answer to `POST /api/v1/apps`.
#[derive(Debug, Deserialize)]
struct MApp {
    client_id: String,
    client_secret: String,
}

/// The answer to `POST /oauth/token`.
#[derive(Debug, Deserialize)]
struct MToken {
    access_token: String,
}

/// Mastodon step 1: register farm as an app on the instance (`POST /api/v1/apps`, name `farm`,
/// out-of-band redirect, scopes `read write`). Returns `(client_id, client_secret)`.
pub fn mastodon_register_app(api: &str, now: i64) -> Result<(String, String), NetError> {
    let body = form(&[
        ("client_name", MASTODON_APP_NAME),
        ("redirect_uris", OOB_REDIRECT),
        ("scopes", MASTODON_SCOPES),
    ]);
    let req = Request::new(Method::Post, format!("{}/api/v1/apps", base(api)), Call::Verify)
        .body(Body::Form(body))
        .idempotent(true);
    let resp = send_mastodon(&Http::new(now), &req)?;
    let app: MApp = resp.json()?;
    Ok((app.client_id, app.client_secret))
}

/// Mastodon step 2: the page where the user authorizes the app and copies a code.
pub fn mastodon_authorize_url(api: &str, client_id: &str) -> String {
    query(
        &format!("{}/oauth/authorize", base(api)),
        &[
            ("client_id", client_id),
            ("redirect_uri", OOB_REDIRECT),
            ("response_type", "code"),
            ("scope", MASTODON_SCOPES),
        ],
    )
}

/// Mastodon step 3: trade the code for the user's access (bearer) token (`POST /oauth/token`).
pub fn mastodon_exchange_code(
    api: &str,
    client_id: &str,
    client_secret: &str,
    code: &str,
    now: i64,
) -> Result<String, NetError> {
    let sent = [client_secret, code.trim()];
    hiding(&sent, exchange_code(api, client_id, client_secret, code, now))
}

fn exchange_code(
    api: &str,
    client_id: &str,
    client_secret: &str,
    code: &str,
    now: i64,
) -> Result<String, NetError> {
    let body = form(&[
        ("grant_type", "authorization_code"),
        ("code", code.trim()),
        ("client_id", client_id),
        ("client_secret", client_secret),
        ("redirect_uri", OOB_REDIRECT),
        ("scope", MASTODON_SCOPES),
    ]);
    let req = Request::new(Method::Post, format!("{}/oauth/token", base(api)), Call::Verify)
        .body(Body::Form(body))
        .idempotent(true);
    let resp = send_mastodon(&Http::new(now), &req)?;
    let token: MToken = resp.json()?;
    if token.access_token.is_empty() {
        return Err(malformed(&resp.what, "the answer has an empty `access_token`"));
    }
    Ok(token.access_token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorize_urls() {
        assert_eq!(
            x_authorize_url("https://api.x.com/", "abc"),
            "https://api.x.com/oauth/authorize?oauth_token=abc"
        );
        assert_eq!(
            mastodon_authorize_url("https://m.example", "id 1"),
            "https://m.example/oauth/authorize?client_id=id%201&redirect_uri=urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob&response_type=code&scope=read%20write"
        );
    }
}
