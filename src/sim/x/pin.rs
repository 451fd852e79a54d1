//! The fake X OAuth 1.0a PIN flow: `request_token` (callback `oob` only), the `authorize`
//! page that shows a PIN, and `access_token` trading the PIN for the user's token.

use super::signed::{auth_error, verify, AuthErr};
use super::v1::param;
use crate::sim::handle::{not_found, x1_error, Ctx, Route};
use crate::sim::oauth;
use crate::sim::server::Response;
use crate::sim::state::{Family, RequestToken, XToken};
use crate::sim::text;

fn form_response(pairs: &[(&str, String)]) -> Response {
    let body: Vec<String> =
        pairs.iter().map(|(k, v)| format!("{}={}", oauth::encode(k), oauth::encode(v))).collect();
    Response::typed(200, "application/x-www-form-urlencoded", body.join("&"))
}

fn html_page(status: u16, title: &str, body: &str) -> Response {
    Response::typed(
        status,
        "text/html; charset=utf-8",
        format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>\n{}\n</body></html>\n",
            text::html_escape(title),
            body
        ),
    )
}

/// Handle the OAuth 1.0a PIN flow endpoints.
pub(crate) fn handle_oauth(ctx: &mut Ctx<'_>, route: &Route) -> Response {
    match route {
        Route::XRequestToken => request_token(ctx),
        Route::XAuthorize => authorize_page(ctx),
        Route::XAccessToken => access_token(ctx),
        _ => not_found(Family::XOAuth),
    }
}

fn request_token(ctx: &mut Ctx<'_>) -> Response {
    let v = match verify(ctx, |_, token, _| token.is_empty().then(String::new)) {
        Ok(v) => v,
        Err(e) => return auth_error(Family::XOAuth, e),
    };
    let callback = v.oauth.iter().find(|(k, _)| k == "oauth_callback").map(|(_, v)| v.clone());
    if callback.is_none() {
        return x1_error(400, 417, "Desktop applications only support the oauth_callback value 'oob'");
    }
    let token = ctx.st.random(27);
    let secret = ctx.st.random(32);
    let pin = ctx.st.digits(7);
    ctx.st.request_tokens.insert(
        token.clone(),
        RequestToken { secret: secret.clone(), consumer_key: v.consumer_key, pin, used: false },
    );
    form_response(&[
        ("oauth_token", token),
        ("oauth_token_secret", secret),
        ("oauth_callback_confirmed", "true".into()),
    ])
}

fn authorize_page(ctx: &Ctx<'_>) -> Response {
    let token = ctx.query("oauth_token").unwrap_or_default();
    match ctx.st.request_tokens.get(&token).filter(|t| !t.used) {
        Some(t) => html_page(
            200,
            "Authorize app",
            &format!(
                "<h1>Authorize app {} to use your account?</h1>\n<p>You've granted access. Next, return to the app and enter this PIN to complete the authorization process.</p>\n<kbd aria-labelledby=\"code-desc\"><code id=\"oauth_pin\">{}</code></kbd>",
                text::html_escape(&t.consumer_key),
                t.pin
            ),
        ),
        None => html_page(
            200,
            "Error",
            "<h1>Whoa there!</h1>\n<p>The request token for this page is invalid. It may have already been used, or expired because it is too old. Please go back to the site or application that sent you here and try again; it was probably just a mistake.</p>",
        ),
    }
}

fn access_token(ctx: &mut Ctx<'_>) -> Response {
    let v = match verify(ctx, |st, token, ck| {
        st.request_tokens.get(token).filter(|t| !t.used && t.consumer_key == ck).map(|t| t.secret.clone())
    }) {
        Ok(v) => v,
        Err(AuthErr::Timestamp) => return x1_error(401, 135, "Timestamp out of bounds."),
        Err(AuthErr::Bad) => {
            return Response::typed(401, "text/plain; charset=utf-8", "Invalid request token.")
        }
    };
    let mut all = v.oauth.clone();
    all.extend(ctx.req.query_params());
    all.extend(ctx.req.form_params());
    let verifier = param(&all, "oauth_verifier").unwrap_or_default();
    let Some(rt) = ctx.st.request_tokens.get_mut(&v.token) else {
        return Response::typed(401, "text/plain; charset=utf-8", "Invalid request token.");
    };
    if rt.pin != verifier {
        return Response::typed(
            401,
            "text/plain; charset=utf-8",
            "Error processing your OAuth request: Invalid oauth_verifier parameter",
        );
    }
    rt.used = true;
    let username = match ctx.st.pending_x_user.take() {
        Some(u) => u,
        None => {
            (1..).map(|n| format!("xuser{n}")).find(|n| !ctx.st.profiles.contains_key(n)).unwrap_or_default()
        }
    };
    let id = ctx.st.profile(&username);
    let token = format!("{id}-{}", ctx.st.random(40));
    let secret = ctx.st.random(45);
    ctx.st.x_tokens.insert(
        token.clone(),
        XToken { username: username.clone(), secret: secret.clone(), consumer_key: v.consumer_key },
    );
    form_response(&[
        ("oauth_token", token),
        ("oauth_token_secret", secret),
        ("user_id", id.to_string()),
        ("screen_name", username),
    ])
}
