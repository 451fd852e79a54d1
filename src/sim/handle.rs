//! Routing, fault injection, recording and the error bodies shared by both networks.

use super::bluesky;
use super::mastodon;
use super::server::{reason, Outcome, Request, Response, Shared};
use super::state::{Family, RateHit, State};
use super::text;
use super::x;
use super::{Endpoint, Fault, Recorded};
use serde_json::json;

/// A recognised request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `GET /2/users/me`.
    V2Me,
    /// `GET /2/users/:id/timelines/reverse_chronological`.
    V2Timeline(String),
    /// `GET /2/users/:id/tweets`.
    V2UserTweets(String),
    /// `GET /2/users/by/username/:username`.
    V2UserByName(String),
    /// `GET /2/users/:id`.
    V2User(String),
    /// `POST /2/tweets`.
    V2Create,
    /// `DELETE /2/tweets/:id`.
    V2Delete(String),
    /// `GET /2/users/:id/mentions`.
    V2Mentions(String),
    /// `GET /1.1/account/verify_credentials.json`.
    V1Verify,
    /// `GET /1.1/statuses/home_timeline.json`.
    V1Home,
    /// `POST /1.1/statuses/update.json`.
    V1Update,
    /// `GET /1.1/statuses/user_timeline.json`.
    V1UserTimeline,
    /// `POST /1.1/statuses/destroy/:id.json`.
    V1Destroy(String),
    /// `GET /1.1/statuses/mentions_timeline.json`.
    V1Mentions,
    /// `POST /oauth/request_token`.
    XRequestToken,
    /// `GET /oauth/authorize?oauth_token=..`.
    XAuthorize,
    /// `POST /oauth/access_token`.
    XAccessToken,
    /// `GET /api/v1/accounts/verify_credentials`.
    MVerify,
    /// `PATCH /api/v1/accounts/update_credentials`.
    MUpdateCredentials,
    /// `GET /api/v1/timelines/home`.
    MHome,
    /// `POST /api/v1/statuses`.
    MPost,
    /// `GET /api/v1/accounts/:id/statuses`.
    MAccountStatuses(String),
    /// `GET /api/v1/accounts/lookup?acct=…`.
    MLookup,
    /// `GET /api/v1/accounts/:id`.
    MAccount(String),
    /// `DELETE /api/v1/statuses/:id`.
    MDelete(String),
    /// `GET /api/v1/notifications`.
    MNotifications,
    /// `GET /api/v2/instance`.
    MInstance,
    /// `POST /api/v1/apps`.
    MApps,
    /// `GET /oauth/authorize?client_id=..`.
    MAuthorize,
    /// `POST /oauth/token`.
    MToken,
    /// A Bluesky XRPC method (`/xrpc/NSID`).
    Bsky(String),
    /// `GET /did:plc:…`: the PLC directory's DID document.
    Plc(String),
    /// Nothing here.
    NotFound(Family),
}

impl Route {
    /// The API flavour.
    pub(crate) fn family(&self) -> Family {
        use Route::*;
        match self {
            V2Me | V2Timeline(_) | V2UserTweets(_) | V2UserByName(_) | V2User(_) | V2Create | V2Delete(_)
            | V2Mentions(_) => Family::XV2,
            V1Verify | V1Home | V1Update | V1UserTimeline | V1Destroy(_) | V1Mentions => Family::XV1,
            XRequestToken | XAuthorize | XAccessToken => Family::XOAuth,
            MVerify | MUpdateCredentials | MHome | MPost | MAccountStatuses(_) | MLookup | MAccount(_)
            | MDelete(_) | MNotifications | MInstance | MApps | MAuthorize | MToken => Family::Mastodon,
            Bsky(_) | Plc(_) => Family::Bluesky,
            NotFound(f) => *f,
        }
    }

    /// The rate-limited endpoint, if any.
    pub(crate) fn endpoint(&self) -> Option<Endpoint> {
        use Route::*;
        match self {
            V2Me | V1Verify | MVerify | MUpdateCredentials | V2UserByName(_) | V2User(_) | MLookup
            | MAccount(_) => Some(Endpoint::Verify),
            V2Timeline(_) | V1Home | MHome => Some(Endpoint::Timeline),
            V2Create | V1Update | MPost => Some(Endpoint::Post),
            V2UserTweets(_) | V1UserTimeline | MAccountStatuses(_) => Some(Endpoint::OwnPosts),
            V2Delete(_) | V1Destroy(_) | MDelete(_) => Some(Endpoint::Delete),
            V2Mentions(_) | V1Mentions | MNotifications => Some(Endpoint::Mentions),
            Bsky(nsid) => bluesky::endpoint_of(nsid),
            _ => None,
        }
    }
}

/// Find the route of a request.
pub(crate) fn route(req: &Request) -> Route {
    let segs: Vec<&str> = req.path.split('/').skip(1).collect();
    let m = req.method.as_str();
    let family = match segs.first().copied() {
        Some("2") => Family::XV2,
        Some("1.1") => Family::XV1,
        Some("api") => Family::Mastodon,
        Some("oauth") => Family::XOAuth,
        Some("xrpc") => Family::Bluesky,
        _ => Family::Other,
    };
    let has_query = |name: &str| req.query_params().iter().any(|(k, _)| k == name);
    match (m, segs.as_slice()) {
        ("GET", ["2", "users", "me"]) => Route::V2Me,
        ("GET", ["2", "users", id, "timelines", "reverse_chronological"]) => {
            Route::V2Timeline(id.to_string())
        }
        ("GET", ["2", "users", id, "tweets"]) => Route::V2UserTweets(id.to_string()),
        ("GET", ["2", "users", "by", "username", name]) => Route::V2UserByName(name.to_string()),
        ("GET", ["2", "users", id]) => Route::V2User(id.to_string()),
        ("POST", ["2", "tweets"]) => Route::V2Create,
        ("DELETE", ["2", "tweets", id]) => Route::V2Delete(id.to_string()),
        ("GET", ["2", "users", id, "mentions"]) => Route::V2Mentions(id.to_string()),
        ("GET", ["1.1", "account", "verify_credentials.json"]) => Route::V1Verify,
        ("GET", ["1.1", "statuses", "home_timeline.json"]) => Route::V1Home,
        ("POST", ["1.1", "statuses", "update.json"]) => Route::V1Update,
        ("GET", ["1.1", "statuses", "user_timeline.json"]) => Route::V1UserTimeline,
        ("GET", ["1.1", "statuses", "mentions_timeline.json"]) => Route::V1Mentions,
        ("POST", ["1.1", "statuses", "destroy", file]) if file.ends_with(".json") => {
            Route::V1Destroy(file.trim_end_matches(".json").to_string())
        }
        ("POST", ["oauth", "request_token"]) => Route::XRequestToken,
        ("GET", ["oauth", "authorize" | "authenticate"]) if has_query("client_id") => Route::MAuthorize,
        ("GET", ["oauth", "authorize" | "authenticate"]) => Route::XAuthorize,
        ("POST", ["oauth", "access_token"]) => Route::XAccessToken,
        ("POST", ["oauth", "token"]) => Route::MToken,
        ("GET", ["api", "v1", "accounts", "verify_credentials"]) => Route::MVerify,
        ("PATCH", ["api", "v1", "accounts", "update_credentials"]) => Route::MUpdateCredentials,
        ("GET", ["api", "v1", "timelines", "home"]) => Route::MHome,
        ("POST", ["api", "v1", "statuses"]) => Route::MPost,
        ("GET", ["api", "v1", "accounts", id, "statuses"]) => Route::MAccountStatuses(id.to_string()),
        ("GET", ["api", "v1", "accounts", "lookup"]) => Route::MLookup,
        ("GET", ["api", "v1", "accounts", id]) => Route::MAccount(id.to_string()),
        ("DELETE", ["api", "v1", "statuses", id]) => Route::MDelete(id.to_string()),
        ("GET", ["api", "v1", "notifications"]) => Route::MNotifications,
        ("GET", ["api", "v2", "instance"]) => Route::MInstance,
        ("POST", ["api", "v1", "apps"]) => Route::MApps,
        ("GET" | "POST", ["xrpc", nsid]) => Route::Bsky(nsid.to_string()),
        ("GET", [did]) if did.starts_with("did:plc:") => Route::Plc(did.to_string()),
        _ => Route::NotFound(family),
    }
}

/// What a handler sees.
pub(crate) struct Ctx<'a> {
    /// The world.
    pub st: &'a mut State,
    /// The request.
    pub req: &'a Request,
    /// The fake's clock.
    pub now: i64,
    /// `Host` as sent (for links and the OAuth base URI).
    pub host: String,
    /// A fault that changes how the request is answered rather than replacing the answer
    /// ([`Fault::OlderThanSince`], [`Fault::NewestId`]).
    pub quirk: Option<Fault>,
}

impl Ctx<'_> {
    /// Query parameter (last one wins).
    pub(crate) fn query(&self, name: &str) -> Option<String> {
        self.req.query_params().into_iter().rev().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

/// Handle one request: faults first, then the API; record it.
pub(crate) fn dispatch(shared: &Shared, req: &Request) -> Outcome {
    let mut guard = shared.lock();
    let st = &mut *guard;
    let now = st.now();
    let route = route(req);
    let fault = st.take_fault(&req.path);
    let mut ctx = Ctx { st, req, now, host: req.host(shared.addr), quirk: None };
    let (outcome, user) = match fault {
        Some(q @ (Fault::OlderThanSince | Fault::NewestId(_))) => {
            ctx.quirk = Some(q);
            let (resp, user) = handle(&mut ctx, &route);
            (Outcome::Reply(resp), user)
        }
        None => {
            let (resp, user) = handle(&mut ctx, &route);
            (Outcome::Reply(resp), user)
        }
        Some(Fault::PerformThenTimeout) => {
            let (_, user) = handle(&mut ctx, &route);
            (Outcome::Hang, user)
        }
        Some(f) => {
            let user = identify(&ctx, &route);
            (fault_outcome(&ctx, &route, f, user.as_deref()), user)
        }
    };
    let status = match &outcome {
        Outcome::Reply(r) => r.status,
        _ => 0,
    };
    record(ctx.st, req, user, status);
    match outcome {
        Outcome::Reply(r) => {
            Outcome::Reply(r.with("Date", text::http_date(now)).with("Server", "botfarm-sim"))
        }
        other => other,
    }
}

/// Record and answer a request the framing layer refused (413, 411, 400, 431).
pub(crate) fn reject(shared: &Shared, req: &Request, status: u16) -> Response {
    let mut st = shared.lock();
    if !req.method.is_empty() {
        record(&mut st, req, None, status);
    }
    Response::json(status, &json!({ "error": reason(status) }))
}

fn record(st: &mut State, req: &Request, user: Option<String>, status: u16) {
    st.records.push(Recorded {
        method: req.method.clone(),
        path: req.path.clone(),
        query: req.query.clone(),
        user,
        status,
        idempotency_key: req.header("idempotency-key").map(str::to_string),
    });
}

fn handle(ctx: &mut Ctx<'_>, route: &Route) -> (Response, Option<String>) {
    if let Route::NotFound(f) = route {
        if let Some(resp) = super::feed::handle(ctx) {
            return (resp, None);
        }
        return (not_found(*f), identify(ctx, route));
    }
    match route.family() {
        Family::XV2 | Family::XV1 => x::handle_api(ctx, route),
        Family::XOAuth => (x::handle_oauth(ctx, route), None),
        Family::Mastodon => mastodon::handle(ctx, route),
        Family::Bluesky => bluesky::handle(ctx, route),
        Family::Other => (not_found(Family::Other), None),
    }
}

/// Who sent a request (no side effects), for the log.
fn identify(ctx: &Ctx<'_>, route: &Route) -> Option<String> {
    match route.family() {
        Family::XV2 | Family::XV1 => x::user(ctx).ok(),
        Family::Mastodon => mastodon::bearer_user(ctx),
        Family::Bluesky => bluesky::bearer_user(ctx),
        Family::Other if ctx.req.header("authorization").is_some_and(|a| a.starts_with("OAuth")) => {
            x::user(ctx).ok()
        }
        Family::Other | Family::XOAuth => mastodon::bearer_user(ctx),
    }
}

fn fault_outcome(ctx: &Ctx<'_>, route: &Route, f: Fault, user: Option<&str>) -> Outcome {
    let fam = route.family();
    match f {
        Fault::Status(code) => Outcome::Reply(status_error(fam, code)),
        Fault::Timeout | Fault::PerformThenTimeout => Outcome::Hang,
        // Answered by the handlers (see `dispatch`); never reaches here.
        Fault::OlderThanSince | Fault::NewestId(_) => Outcome::Reply(status_error(fam, 500)),
        Fault::Reset => Outcome::Reset,
        Fault::Json(body) => Outcome::Reply(Response::typed(200, "application/json; charset=utf-8", body)),
        Fault::Garbage => Outcome::Reply(Response::typed(
            200,
            "application/json; charset=utf-8",
            "<<<upstream said: \u{1}\u{2} this is not JSON {\"data\":",
        )),
        Fault::Html502 => Outcome::Reply(
            Response::typed(
                502,
                "text/html",
                "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
            )
            .with("Server", "nginx"),
        ),
        Fault::EchoCredentials(code) => Outcome::Reply(echo_credentials(ctx, fam, code)),
        Fault::RateLimited { reset } => {
            let ep = route.endpoint().unwrap_or(Endpoint::Timeline);
            let rate_fam = if matches!(fam, Family::Mastodon | Family::Bluesky) { fam } else { Family::XV2 };
            let (limit, _) = match user {
                Some(u) => ctx.st.limit_for(u, ep, rate_fam),
                None => super::state::default_limit(rate_fam, ep),
            };
            let hit = RateHit { limit, remaining: 0, reset, exceeded: true };
            Outcome::Reply(rate_headers(too_many(fam), fam, hit))
        }
    }
}

/// An answer that quotes what the request authenticated with ([`Fault::EchoCredentials`]).
fn echo_credentials(ctx: &Ctx<'_>, fam: Family, code: u16) -> Response {
    let header = ctx.req.header("authorization").unwrap_or("").trim().to_string();
    let oauth = super::oauth::parse_header(&header).unwrap_or_default();
    let param = |name: &str| oauth.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let form = ctx.req.form_params();
    let token = header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_string())
        .or_else(|| param("oauth_token"))
        .or_else(|| form.iter().find(|(k, _)| k == "client_secret").map(|(_, v)| v.clone()))
        .unwrap_or_default();
    let consumer = param("oauth_consumer_key").unwrap_or_default();
    let quoted = format!("upstream refused Authorization: {header}");
    match (code, fam) {
        (200, _) => Response::json(200, &json!(header)),
        (401, Family::XV2) => x2_problem(401, "Unauthorized", &format!("Invalid or expired token: {token}")),
        (401, Family::XV1 | Family::XOAuth) => {
            x1_error(401, 89, &format!("Invalid or expired token {token} (consumer key {consumer})"))
        }
        (401, _) => mastodon::error(401, &format!("The access token {token} is invalid")),
        (_, Family::XV2) => x2_problem(code, reason(code), &quoted),
        (_, Family::XV1 | Family::XOAuth) => x1_error(code, 131, &quoted),
        (_, _) => mastodon::error(code, &quoted),
    }
}

/// A 404 in the shape of the API flavour.
pub(crate) fn not_found(fam: Family) -> Response {
    match fam {
        Family::XV2 => Response::json(
            404,
            &json!({"errors":[{"message":"The requested resource could not be found."}],
                "title":"Not Found Error","detail":"The requested resource could not be found.",
                "type":"https://api.twitter.com/2/problems/resource-not-found","status":404}),
        ),
        Family::XV1 | Family::XOAuth => x1_error(404, 34, "Sorry, that page does not exist."),
        Family::Bluesky => bluesky::error(501, "MethodNotImplemented", "Method Not Implemented"),
        Family::Mastodon | Family::Other => mastodon::error(404, "Record not found"),
    }
}

/// An X v2 problem body.
pub(crate) fn x2_problem(status: u16, title: &str, detail: &str) -> Response {
    Response::json(
        status,
        &json!({"title": title, "detail": detail, "type": "about:blank", "status": status}),
    )
}

/// An X v1.1 error body.
pub(crate) fn x1_error(status: u16, code: u32, message: &str) -> Response {
    Response::json(status, &json!({"errors":[{"code": code, "message": message}]}))
}

/// A real-looking error for a status code in the flavour of the API.
pub(crate) fn status_error(fam: Family, code: u16) -> Response {
    let r = reason(code);
    match fam {
        Family::XV2 => x2_problem(code, r, r),
        Family::XV1 | Family::XOAuth => {
            let (c, m) = match code {
                401 => (32, "Could not authenticate you."),
                403 => (200, "Forbidden."),
                404 => (34, "Sorry, that page does not exist."),
                429 => (88, "Rate limit exceeded"),
                503 => (130, "Over capacity"),
                500..=599 => (131, "Internal error"),
                _ => (0, r),
            };
            x1_error(code, c, m)
        }
        Family::Bluesky => bluesky::error(code, bluesky::name_of(code), r),
        Family::Mastodon | Family::Other => mastodon::error(code, r),
    }
}

/// 429 body in the flavour of the API.
pub(crate) fn too_many(fam: Family) -> Response {
    match fam {
        Family::XV2 => x2_problem(429, "Too Many Requests", "Too Many Requests"),
        Family::XV1 | Family::XOAuth => x1_error(429, 88, "Rate limit exceeded"),
        Family::Bluesky => bluesky::error(429, "RateLimitExceeded", "Rate Limit Exceeded"),
        Family::Mastodon | Family::Other => mastodon::error(429, "Too many requests"),
    }
}

/// Add the rate-limit headers of the flavour.
pub(crate) fn rate_headers(resp: Response, fam: Family, hit: RateHit) -> Response {
    if fam == Family::Bluesky {
        return resp
            .with("RateLimit-Limit", hit.limit.to_string())
            .with("RateLimit-Remaining", hit.remaining.to_string())
            .with("RateLimit-Reset", hit.reset.to_string());
    }
    if fam == Family::Mastodon {
        resp.with("X-RateLimit-Limit", hit.limit.to_string())
            .with("X-RateLimit-Remaining", hit.remaining.to_string())
            .with("X-RateLimit-Reset", text::iso_micros(hit.reset))
    } else {
        resp.with("x-rate-limit-limit", hit.limit.to_string())
            .with("x-rate-limit-remaining", hit.remaining.to_string())
            .with("x-rate-limit-reset", hit.reset.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, target: &str) -> Request {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Request { method: method.into(), path: path.into(), query: query.into(), ..Request::default() }
    }

    #[test]
    fn routing() {
        assert_eq!(route(&req("GET", "/2/users/me")), Route::V2Me);
        assert_eq!(
            route(&req("GET", "/2/users/12/timelines/reverse_chronological?max_results=5")),
            Route::V2Timeline("12".into())
        );
        assert_eq!(route(&req("POST", "/1.1/statuses/destroy/99.json")), Route::V1Destroy("99".into()));
        assert_eq!(route(&req("GET", "/oauth/authorize?oauth_token=a")), Route::XAuthorize);
        assert_eq!(route(&req("GET", "/oauth/authorize?client_id=a")), Route::MAuthorize);
        assert_eq!(route(&req("GET", "/2/tweets")), Route::NotFound(Family::XV2));
        assert_eq!(route(&req("GET", "/nope")), Route::NotFound(Family::Other));
        assert_eq!(route(&req("DELETE", "/api/v1/statuses/5")).endpoint(), Some(Endpoint::Delete));
    }
}
