//! Logging in and out, and what the app needs to know about its session.

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, SET_COOKIE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::{ApiError, ApiJson};
use crate::config::AuthMode;
use crate::http::auth::{self, ClientIp, User};
use crate::http::{Access, AppState, Route};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/api/login", Access::Public).post(login),
        Route::new("/api/logout", Access::User).post(logout),
        Route::new("/api/session", Access::User).get(show),
    ]
}

#[derive(Deserialize)]
pub struct Login {
    name: String,
    password: String,
}

/// The same answer for an unknown name and a wrong password, after the same work.
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(login): ApiJson<Login>,
) -> Result<Response, ApiError> {
    if matches!(state.config.server.auth, AuthMode::Proxy { .. }) {
        return Err(ApiError::NotFound(
            "vbx is set up for proxy authentication (server.auth = \"proxy\"): log in through the proxy".into(),
        ));
    }
    let limiter = &state.auth.limiter;
    // Counted before the password is checked, so concurrent tries cannot race past the limit.
    let attempt = match limiter.begin(&login.name, ip) {
        Ok(attempt) => attempt,
        Err(wait) => {
            tracing::warn!(user = %login.name, ?ip, "login refused: too many failures");
            return Err(ApiError::RateLimited {
                retry_after: wait.as_secs().max(1),
            });
        }
    };
    let permit =
        tokio::time::timeout(auth::VERIFICATION_WAIT, state.auth.verifications.acquire()).await;
    let Ok(Ok(_permit)) = permit else {
        limiter.cancelled(attempt);
        tracing::warn!(user = %login.name, ?ip, "login refused: too many logins at once");
        return Err(ApiError::RateLimited { retry_after: 1 });
    };
    let user = state.config.user(&login.name);
    // Unknown names cost a verification too, against a real user's hash so the time matches.
    let hash = user
        .or(state.config.users.first())
        .map(|u| u.password_hash.clone());
    let matches = match hash {
        Some(hash) => auth::verify_password_off_thread(hash, login.password).await,
        None => false,
    };
    if !(matches && user.is_some()) {
        tracing::warn!(user = %login.name, ?ip, "login failed");
        return Err(ApiError::BadCredentials);
    }
    limiter.succeeded(attempt);
    let (user, cookie) = auth::start_session(&state, &login.name).await?;
    tracing::info!(user = %user.name, "logged in");
    let body = Json(json!({ "user": { "name": user.name }, "csrf": user.csrf }));
    // The answer carries the session: no cache may keep it.
    let no_store = axum::http::HeaderValue::from_static("no-store");
    Ok(([(SET_COOKIE, cookie), (CACHE_CONTROL, no_store)], body).into_response())
}

pub async fn logout(State(state): State<AppState>, user: User) -> Result<Response, ApiError> {
    auth::end_session(&state, &user).await?;
    let cookie = auth::clearing_cookie(state.config.server.is_https());
    Ok((StatusCode::NO_CONTENT, [(SET_COOKIE, cookie)]).into_response())
}

pub async fn show(State(state): State<AppState>, user: User) -> Json<serde_json::Value> {
    Json(json!({
        "user": { "name": user.name },
        "csrf": user.csrf,
        "identity": state.config.browser_identity(),
        "number": state.config.twilio.number.as_str(),
        "voice": match &state.config.server.sim_client_url {
            Some(url) => json!({ "kind": "sim", "url": url }),
            None => json!({ "kind": "twilio" }),
        },
    }))
}
