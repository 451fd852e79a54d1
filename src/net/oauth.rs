//! OAuth 1.0a request signing for the X clients, done by the oauth1-request crate (no
//! hand-rolled HMAC), and the signed [`Request`]s built from it.
//!
//! The three shapes X needs:
//! - GET: sign the bare URI with the query parameters, then append them with `oauth::to_query`;
//! - form POST (v1.1, OAuth token endpoints): sign with the parameters, send `oauth::to_form`;
//! - JSON POST (v2 `/2/tweets`): sign with no parameters (`&()`): a JSON body is not part of the
//!   signature base string.

use super::http::{Body, Method, Request};
use super::{Call, Credentials};
use oauth1_request as oauth;
use std::num::NonZeroU64;

/// A fixed nonce and timestamp, to reproduce published signatures in tests.
#[derive(Debug, Clone, Copy)]
pub struct Fixed<'a> {
    /// The `oauth_nonce`.
    pub nonce: &'a str,
    /// The `oauth_timestamp` (Unix seconds, non-zero).
    pub timestamp: u64,
    /// Whether to send `oauth_version=1.0` (optional in the protocol; X's docs example has it).
    pub version: bool,
}

/// Everything that goes into one OAuth 1.0a signature besides the request itself.
#[derive(Debug, Clone, Copy)]
pub struct Signer<'a> {
    /// Client (consumer) key.
    pub consumer_key: &'a str,
    /// Client (consumer) secret.
    pub consumer_secret: &'a str,
    /// Token and token secret; `None` for the temporary-credentials (request token) call.
    pub token: Option<(&'a str, &'a str)>,
    /// `oauth_callback` (`oob` for the PIN flow).
    pub callback: Option<&'a str>,
    /// `oauth_verifier` (the PIN).
    pub verifier: Option<&'a str>,
    /// Fixed nonce and timestamp (tests only); `None` = random nonce, current time.
    pub fixed: Option<Fixed<'a>>,
}

impl<'a> Signer<'a> {
    /// A signer for a user's requests: all four X secrets.
    pub fn user(creds: &'a Credentials) -> Self {
        Signer {
            consumer_key: &creds.consumer_key,
            consumer_secret: &creds.consumer_secret,
            token: Some((&creds.access_token, &creds.access_secret)),
            callback: None,
            verifier: None,
            fixed: None,
        }
    }

    /// A signer with only the app's (consumer) credentials.
    pub fn app(consumer_key: &'a str, consumer_secret: &'a str) -> Self {
        Signer { consumer_key, consumer_secret, token: None, callback: None, verifier: None, fixed: None }
    }

    /// The `Authorization` header value for `method url` with these request parameters (query
    /// or form), which oauth1-request sorts and signs with HMAC-SHA1. `url` has no query part.
    pub fn authorization(&self, method: &str, url: &str, params: &[(&str, &str)]) -> String {
        let client = oauth::Credentials::new(self.consumer_key, self.consumer_secret);
        let mut builder = oauth::Builder::<oauth::HmacSha1, &str, &str>::new(client, oauth::HmacSha1::new());
        builder.token(self.token.map(|(t, s)| oauth::Credentials::new(t, s)));
        builder.callback(self.callback);
        builder.verifier(self.verifier);
        if let Some(f) = self.fixed {
            builder.nonce(f.nonce).timestamp(NonZeroU64::new(f.timestamp)).version(f.version);
        }
        builder.authorize(method, url, &oauth::ParameterList::new(params.to_vec()))
    }

    /// A signed GET of `url` with query `params`.
    pub fn get(&self, url: &str, params: &[(&str, &str)], call: Call) -> Request {
        let auth = self.authorization("GET", url, params);
        Request::new(Method::Get, query(url, params), call).header("Authorization", auth)
    }

    /// A signed form POST of `params` to `url`.
    pub fn post_form(&self, url: &str, params: &[(&str, &str)], call: Call) -> Request {
        let auth = self.authorization("POST", url, params);
        Request::new(Method::Post, url, call).header("Authorization", auth).body(Body::Form(form(params)))
    }

    /// A signed POST of a JSON body to `url` (the body is not signed).
    pub fn post_json(&self, url: &str, json: String, call: Call) -> Request {
        let auth = self.authorization("POST", url, &[]);
        Request::new(Method::Post, url, call).header("Authorization", auth).body(Body::Json(json))
    }

    /// A signed DELETE of `url`.
    pub fn delete(&self, url: &str, call: Call) -> Request {
        let auth = self.authorization("DELETE", url, &[]);
        Request::new(Method::Delete, url, call).header("Authorization", auth)
    }
}

/// `url` with `params` appended as an RFC 3986-encoded query string (sorted by key), exactly as
/// oauth1-request encodes them for signing. `url` must not already have a query.
pub fn query(url: &str, params: &[(&str, &str)]) -> String {
    if params.is_empty() {
        return url.to_string();
    }
    oauth::to_query(url.to_string(), &oauth::ParameterList::new(params.to_vec()))
}

/// `params` as an `application/x-www-form-urlencoded` body (RFC 3986 encoding: `%20`, `%2B`).
pub fn form(params: &[(&str, &str)]) -> String {
    oauth::to_form(&oauth::ParameterList::new(params.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `oauth_signature` of a header, percent-decoded.
    fn signature(header: &str) -> String {
        let start = header.find("oauth_signature=\"").expect("signature") + "oauth_signature=\"".len();
        let end = start + header[start..].find('"').unwrap();
        super::super::http::percent_decode(&header[start..end])
    }

    #[test]
    fn x_docs_worked_example() {
        let signer = Signer {
            consumer_key: "xvz1evFS4wEEPTGEFPHBog",
            consumer_secret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
            token: Some((
                "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
                "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
            )),
            callback: None,
            verifier: None,
            fixed: Some(Fixed {
                nonce: "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
                timestamp: 1_318_622_958,
                version: true,
            }),
        };
        let params =
            [("status", "Hello Ladies + Gentlemen, a signed OAuth request!"), ("include_entities", "true")];
        let header =
            signer.authorization("POST", "https://api.twitter.com/1.1/statuses/update.json", &params);
        assert!(header.starts_with("OAuth "), "{header}");
        assert!(header.contains("oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\""), "{header}");
        assert_eq!(signature(&header), "hCtSmYh+iHYCEqBWrE7C7hYmtUk=");
        // The form body carries the same parameters, RFC 3986 encoded.
        assert_eq!(
            form(&params),
            "include_entities=true&status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21"
        );
        // The host is part of the base string.
        let other = signer.authorization("POST", "https://api.x.com/1.1/statuses/update.json", &params);
        assert_eq!(signature(&other), "Ls93hJiZbQ3akF3HF3x1Bz8/zU4=");
    }

    #[test]
    fn rfc5849_temporary_credentials() {
        let signer = Signer {
            callback: Some("http://printer.example.com/ready"),
            fixed: Some(Fixed { nonce: "wIjqoS", timestamp: 137_131_200, version: false }),
            ..Signer::app("dpf43f3p2l4k3l03", "kd94hf93k423kf44")
        };
        let header = signer.authorization("POST", "https://photos.example.net/initiate", &[]);
        assert_eq!(signature(&header), "74KNZJeDHnMBp0EMJ9ZHt/XKycU=");
        assert!(header.contains("oauth_callback=\"http%3A%2F%2Fprinter.example.com%2Fready\""), "{header}");
        assert!(!header.contains("oauth_token="), "{header}");
    }

    #[test]
    fn rfc5849_token_request() {
        let signer = Signer {
            token: Some(("hh5s93j4hdidpola", "hdhd0244k9j7ao03")),
            verifier: Some("hfdp7dh39dks9884"),
            fixed: Some(Fixed { nonce: "walatlh", timestamp: 137_131_201, version: false }),
            ..Signer::app("dpf43f3p2l4k3l03", "kd94hf93k423kf44")
        };
        let header = signer.authorization("POST", "https://photos.example.net/token", &[]);
        assert_eq!(signature(&header), "gKgrFCywp7rO0OXSjdot/IHF7IU=");
        assert!(header.contains("oauth_verifier=\"hfdp7dh39dks9884\""), "{header}");
    }

    #[test]
    fn rfc5849_resource_get() {
        let signer = Signer {
            token: Some(("nnch734d00sl2jdk", "pfkkdhi9sl3r4s00")),
            fixed: Some(Fixed { nonce: "chapoH", timestamp: 137_131_202, version: false }),
            ..Signer::app("dpf43f3p2l4k3l03", "kd94hf93k423kf44")
        };
        let params = [("size", "original"), ("file", "vacation.jpg")];
        let req = signer.get("http://photos.example.net/photos", &params, Call::Timeline);
        assert_eq!(req.url, "http://photos.example.net/photos?file=vacation.jpg&size=original");
        assert_eq!(req.what, "GET /photos");
        let auth = &req.headers.iter().find(|(k, _)| *k == "Authorization").unwrap().1;
        assert_eq!(signature(auth), "MdpQcU8iPSUjWoN/UDMsK2sui9I=");
    }

    #[test]
    fn request_shapes() {
        let creds = Credentials {
            consumer_key: "ck".into(),
            consumer_secret: "cs".into(),
            access_token: "at".into(),
            access_secret: "as".into(),
        };
        let s = Signer::user(&creds);
        let r = s.post_json("https://api.x.com/2/tweets", r#"{"text":"hi"}"#.into(), Call::Post);
        assert_eq!(r.method, Method::Post);
        assert!(!r.idempotent);
        assert_eq!(r.body, Some(Body::Json(r#"{"text":"hi"}"#.into())));
        let r = s.post_form("https://api.x.com/1.1/statuses/update.json", &[("status", "a b&c")], Call::Post);
        assert_eq!(r.body, Some(Body::Form("status=a%20b%26c".into())));
        let r = s.delete("https://api.x.com/2/tweets/5", Call::Delete);
        assert_eq!(r.what, "DELETE /2/tweets/5");
        assert!(r.idempotent);
        let auth = &r.headers[0].1;
        assert!(auth.contains("oauth_token=\"at\"") && !auth.contains("\"as\""), "{auth}");
        assert_eq!(query("https://h/p", &[]), "https://h/p");
        assert_eq!(query("https://h/p", &[("b", "1,2"), ("a", "x y")]), "https://h/p?a=x%20y&b=1%2C2");
    }
}
