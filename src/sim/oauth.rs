//! OAuth 1.0a as the fake checks it, written from RFC 5849 independently of the client side:
//! RFC 3986 percent-encoding, form decoding, base64, the signature base string (§3.4.1) and the
//! HMAC-SHA1 signature (§3.4.2). [`authorization_header`] builds a signed header, for tests and
//! demos that talk to the fake without the real client.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Percent-encode per RFC 3986 §2.1 as OAuth wants it: `A-Za-z0-9-._~` stay, every other byte
/// becomes `%XX` with upper-case hex.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-decode. With `plus_as_space` a `+` becomes a space (form encoding). A `%` not
/// followed by two hex digits is kept as is; bytes that are not UTF-8 become U+FFFD.
pub fn decode(s: &str, plus_as_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_as_space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Parse `a=1&b=x+y` (a query string or an `application/x-www-form-urlencoded` body) into
/// decoded pairs, in order. `+` is a space; a segment without `=` has an empty value.
pub fn parse_form(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|seg| !seg.is_empty())
        .map(|seg| match seg.split_once('=') {
            Some((k, v)) => (decode(k, true), decode(v, true)),
            None => (decode(seg, true), String::new()),
        })
        .collect()
}

pub use crate::net::base64::{decode as base64_decode, encode as base64_encode};

/// The normalized request parameter string of RFC 5849 §3.4.1.3.2: every decoded pair is
/// encoded, the pairs are sorted by encoded name then value and joined with `=` and `&`.
pub fn param_string(params: &[(String, String)]) -> String {
    let mut enc: Vec<(String, String)> = params.iter().map(|(k, v)| (encode(k), encode(v))).collect();
    enc.sort();
    enc.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// The base string URI of RFC 5849 §3.4.1.2: lower-case scheme and host, the default port
/// (80 for http, 443 for https) dropped, the path as sent (an empty path becomes `/`).
pub fn base_uri(scheme: &str, host: &str, path: &str) -> String {
    let scheme = scheme.to_ascii_lowercase();
    let mut host = host.trim().to_ascii_lowercase();
    let default = if scheme == "https" { ":443" } else { ":80" };
    if host.ends_with(default) {
        host.truncate(host.len() - default.len());
    }
    let path = if path.is_empty() { "/" } else { path };
    format!("{scheme}://{host}{path}")
}

/// The signature base string of RFC 5849 §3.4.1: `METHOD&enc(base_uri)&enc(param_string)`.
/// `params` holds decoded pairs from the query, a form body and the `oauth_*` protocol
/// parameters (without `oauth_signature` and `realm`).
pub fn base_string(method: &str, base_uri: &str, params: &[(String, String)]) -> String {
    format!("{}&{}&{}", method.to_ascii_uppercase(), encode(base_uri), encode(&param_string(params)))
}

/// HMAC-SHA1 of `base` with key `enc(consumer_secret)&enc(token_secret)`, base64-encoded.
pub fn sign(base: &str, consumer_secret: &str, token_secret: &str) -> String {
    let key = format!("{}&{}", encode(consumer_secret), encode(token_secret));
    let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(base.as_bytes());
    base64_encode(&mac.finalize().into_bytes())
}

/// Parse the value of an `Authorization: OAuth k="v", ...` header into decoded pairs. `None`
/// when the scheme is not `OAuth` or a parameter is malformed.
pub fn parse_header(value: &str) -> Option<Vec<(String, String)>> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("oauth") {
        return None;
    }
    let mut out = Vec::new();
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (k, v) = part.split_once('=')?;
        let v = v.trim();
        let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v);
        out.push((decode(k.trim(), false), decode(v, false)));
    }
    Some(out)
}

/// Everything needed to sign one request, for [`authorization_header`].
#[derive(Debug, Clone, Default)]
pub struct SignRequest<'a> {
    /// HTTP method, e.g. `GET`.
    pub method: &'a str,
    /// Full URL as requested, with scheme, host (and port) and query, e.g.
    /// `http://127.0.0.1:4000/1.1/statuses/home_timeline.json?count=5`.
    pub url: &'a str,
    /// Decoded form-body parameters (only for an `application/x-www-form-urlencoded` body).
    pub form: &'a [(String, String)],
    /// Consumer (app) key.
    pub consumer_key: &'a str,
    /// Consumer (app) secret.
    pub consumer_secret: &'a str,
    /// Token (empty for the request-token step).
    pub token: &'a str,
    /// Token secret (empty for the request-token step).
    pub token_secret: &'a str,
    /// The nonce.
    pub nonce: &'a str,
    /// Unix seconds.
    pub timestamp: i64,
    /// Extra protocol parameters such as `oauth_callback` or `oauth_verifier`.
    pub extra_oauth: &'a [(&'a str, &'a str)],
}

/// Split a URL into (scheme, host with port, path, query) without decoding anything.
pub fn split_url(url: &str) -> (String, String, String, String) {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let (rest, _fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (hostpath, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (host, path) = match hostpath.find('/') {
        Some(i) => (&hostpath[..i], &hostpath[i..]),
        None => (hostpath, "/"),
    };
    (scheme.to_string(), host.to_string(), path.to_string(), query.to_string())
}

/// Build a complete `Authorization` header value (`OAuth oauth_consumer_key="..", ...`) for a
/// request signed with HMAC-SHA1.
pub fn authorization_header(r: &SignRequest<'_>) -> String {
    let (scheme, host, path, query) = split_url(r.url);
    let mut oauth: Vec<(String, String)> = vec![
        ("oauth_consumer_key".into(), r.consumer_key.into()),
        ("oauth_nonce".into(), r.nonce.into()),
        ("oauth_signature_method".into(), "HMAC-SHA1".into()),
        ("oauth_timestamp".into(), r.timestamp.to_string()),
        ("oauth_version".into(), "1.0".into()),
    ];
    if !r.token.is_empty() {
        oauth.push(("oauth_token".into(), r.token.into()));
    }
    for (k, v) in r.extra_oauth {
        oauth.push(((*k).into(), (*v).into()));
    }
    let mut params = parse_form(&query);
    params.extend(r.form.iter().cloned());
    params.extend(oauth.iter().cloned());
    let base = base_string(r.method, &base_uri(&scheme, &host, &path), &params);
    oauth.push(("oauth_signature".into(), sign(&base, r.consumer_secret, r.token_secret)));
    oauth.sort();
    let parts: Vec<String> = oauth.iter().map(|(k, v)| format!("{}=\"{}\"", encode(k), encode(v))).collect();
    format!("OAuth {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn percent_coding() {
        assert_eq!(
            encode("Hello Ladies + Gentlemen, a signed OAuth request!"),
            "Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21"
        );
        assert_eq!(encode("☃"), "%E2%98%83");
        assert_eq!(decode("a%2bb+c", true), "a+b c");
        assert_eq!(decode("a%2bb+c", false), "a+b+c");
        assert_eq!(decode("100%", false), "100%");
        assert_eq!(decode("%zz%4", false), "%zz%4");
        assert_eq!(parse_form("a=1&b&c=x+y&&"), vec![p("a", "1"), p("b", ""), p("c", "x y")]);
    }

    #[test]
    fn x_docs_signature_vector() {
        let params = vec![
            p("status", "Hello Ladies + Gentlemen, a signed OAuth request!"),
            p("include_entities", "true"),
            p("oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"),
            p("oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"),
            p("oauth_signature_method", "HMAC-SHA1"),
            p("oauth_timestamp", "1318622958"),
            p("oauth_token", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"),
            p("oauth_version", "1.0"),
        ];
        assert_eq!(param_string(&params), "include_entities=true&oauth_consumer_key=xvz1evFS4wEEPTGEFPHBog&oauth_nonce=kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1318622958&oauth_token=370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb&oauth_version=1.0&status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21");
        let uri = base_uri("https", "api.twitter.com", "/1.1/statuses/update.json");
        let base = base_string("POST", &uri, &params);
        assert_eq!(base, "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521");
        let cs = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw";
        let ts = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE";
        assert_eq!(sign(&base, cs, ts), "hCtSmYh+iHYCEqBWrE7C7hYmtUk=");
        // The host is part of the base string.
        let base_x =
            base_string("POST", &base_uri("https", "api.x.com", "/1.1/statuses/update.json"), &params);
        assert_eq!(sign(&base_x, cs, ts), "Ls93hJiZbQ3akF3HF3x1Bz8/zU4=");
    }

    #[test]
    fn rfc5849_vectors() {
        let initiate = vec![
            p("oauth_callback", "http://printer.example.com/ready"),
            p("oauth_consumer_key", "dpf43f3p2l4k3l03"),
            p("oauth_nonce", "wIjqoS"),
            p("oauth_signature_method", "HMAC-SHA1"),
            p("oauth_timestamp", "137131200"),
        ];
        let base = base_string("POST", &base_uri("https", "photos.example.net", "/initiate"), &initiate);
        assert_eq!(base, "POST&https%3A%2F%2Fphotos.example.net%2Finitiate&oauth_callback%3Dhttp%253A%252F%252Fprinter.example.com%252Fready%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DwIjqoS%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131200");
        assert_eq!(sign(&base, "kd94hf93k423kf44", ""), "74KNZJeDHnMBp0EMJ9ZHt/XKycU=");

        let token = vec![
            p("oauth_consumer_key", "dpf43f3p2l4k3l03"),
            p("oauth_token", "hh5s93j4hdidpola"),
            p("oauth_verifier", "hfdp7dh39dks9884"),
            p("oauth_nonce", "walatlh"),
            p("oauth_signature_method", "HMAC-SHA1"),
            p("oauth_timestamp", "137131201"),
        ];
        let base = base_string("POST", &base_uri("https", "photos.example.net", "/token"), &token);
        assert_eq!(sign(&base, "kd94hf93k423kf44", "hdhd0244k9j7ao03"), "gKgrFCywp7rO0OXSjdot/IHF7IU=");

        let mut photos = parse_form("file=vacation.jpg&size=original");
        photos.extend([
            p("oauth_consumer_key", "dpf43f3p2l4k3l03"),
            p("oauth_token", "nnch734d00sl2jdk"),
            p("oauth_nonce", "chapoH"),
            p("oauth_signature_method", "HMAC-SHA1"),
            p("oauth_timestamp", "137131202"),
        ]);
        let base = base_string("GET", &base_uri("http", "photos.example.net", "/photos"), &photos);
        assert_eq!(base, "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal");
        assert_eq!(sign(&base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00"), "MdpQcU8iPSUjWoN/UDMsK2sui9I=");

        // OAuth Core 1.0 appendix A.5.
        let mut a5 = parse_form("file=vacation.jpg&size=original");
        a5.extend([
            p("oauth_consumer_key", "dpf43f3p2l4k3l03"),
            p("oauth_token", "nnch734d00sl2jdk"),
            p("oauth_nonce", "kllo9940pd9333jh"),
            p("oauth_signature_method", "HMAC-SHA1"),
            p("oauth_timestamp", "1191242096"),
            p("oauth_version", "1.0"),
        ]);
        let base = base_string("GET", &base_uri("http", "photos.example.net", "/photos"), &a5);
        assert_eq!(sign(&base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00"), "tR3+Ty81lMeYAr/Fid0kMTYa/WM=");
    }

    #[test]
    fn rfc5849_base_string_section_3_4_1_1() {
        let mut params = parse_form("b5=%3D%253D&a3=a&c%40=&a2=r%20b");
        params.extend(parse_form("c2&a3=2+q"));
        params.extend([
            p("oauth_consumer_key", "9djdj82h48djs9d2"),
            p("oauth_token", "kkk9d7dh3k39sjv7"),
            p("oauth_signature_method", "HMAC-SHA1"),
            p("oauth_timestamp", "137131201"),
            p("oauth_nonce", "7d8f3e4a"),
        ]);
        let base = base_string("POST", &base_uri("http", "example.com", "/request"), &params);
        assert_eq!(base, "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7");
        assert_eq!(base_uri("http", "EXAMPLE.COM:80", "/r%20v/X"), "http://example.com/r%20v/X");
        assert_eq!(base_uri("https", "www.example.net:8080", "/"), "https://www.example.net:8080/");
    }

    #[test]
    fn header_round_trip() {
        let form = vec![p("status", "a+b, c!")];
        let h = authorization_header(&SignRequest {
            method: "POST",
            url: "http://127.0.0.1:9/1.1/statuses/update.json?x=1",
            form: &form,
            consumer_key: "ck",
            consumer_secret: "cs",
            token: "tk",
            token_secret: "ts",
            nonce: "n o",
            timestamp: 42,
            extra_oauth: &[],
        });
        let parsed = parse_header(&h).unwrap();
        let get = |k: &str| parsed.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone()).unwrap();
        assert_eq!(get("oauth_nonce"), "n o");
        assert_eq!(get("oauth_token"), "tk");
        let mut params: Vec<_> = parsed.iter().filter(|(k, _)| k != "oauth_signature").cloned().collect();
        params.push(p("x", "1"));
        params.extend(form);
        let base = base_string("POST", "http://127.0.0.1:9/1.1/statuses/update.json", &params);
        assert_eq!(get("oauth_signature"), sign(&base, "cs", "ts"));
        assert!(parse_header("Bearer abc").is_none());
    }
}
