//! The fake X: OAuth 1.0a verification ([`signed`]), API v2 ([`v2`]), API v1.1 ([`v1`]), what
//! both share about tweets ([`tweets`]) and the PIN-based OAuth flow ([`pin`]). This module
//! routes an authenticated API request, after its rate-limit check, to its version's handler.

mod pin;
mod signed;
mod tweets;
mod v1;
mod v2;

pub(crate) use pin::handle_oauth;
pub(crate) use signed::user;

use super::handle::{not_found, rate_headers, too_many, Ctx, Route};
use super::server::Response;
use signed::auth_error;
use v1::{v1_destroy, v1_home, v1_mentions, v1_update, v1_user, v1_user_timeline};
use v2::{v2_create, v2_delete, v2_me, v2_mentions, v2_timeline, v2_user, v2_user_tweets};

/// Handle an authenticated X API request (v1.1 or v2).
pub(crate) fn handle_api(ctx: &mut Ctx<'_>, route: &Route) -> (Response, Option<String>) {
    let fam = route.family();
    let user = match user(ctx) {
        Ok(u) => u,
        Err(e) => return (auth_error(fam, e), None),
    };
    let Some(ep) = route.endpoint() else {
        return (not_found(fam), Some(user));
    };
    let hit = ctx.st.rate_hit(&user, ep, fam, ctx.now);
    if hit.exceeded {
        return (rate_headers(too_many(fam), fam, hit), Some(user));
    }
    let resp = match route {
        Route::V2Me => v2_me(ctx, &user),
        Route::V2Timeline(id) => v2_timeline(ctx, &user, id),
        Route::V2UserTweets(id) => v2_user_tweets(ctx, id),
        Route::V2UserByName(name) => {
            v2_user(ctx, ctx.st.profiles.contains_key(name.as_str()).then(|| name.clone()), name)
        }
        Route::V2User(id) => v2_user(ctx, id.parse::<u64>().ok().and_then(|i| ctx.st.name_of(i)), id),
        Route::V2Create => v2_create(ctx, &user),
        Route::V2Delete(id) => v2_delete(ctx, &user, id),
        Route::V2Mentions(id) => v2_mentions(ctx, id),
        Route::V1Verify => Response::json(200, &v1_user(ctx.st, &user)),
        Route::V1Home => v1_home(ctx, &user),
        Route::V1Update => v1_update(ctx, &user),
        Route::V1UserTimeline => v1_user_timeline(ctx, &user),
        Route::V1Destroy(id) => v1_destroy(ctx, &user, id),
        Route::V1Mentions => v1_mentions(ctx, &user),
        _ => not_found(fam),
    };
    (rate_headers(resp, fam, hit), Some(user))
}
