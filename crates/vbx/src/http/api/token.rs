//! The Voice SDK access token for the browser device: its identity, incoming calls allowed,
//! outgoing calls through the configured TwiML App; `twilio.token_ttl_seconds` long.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use twilio::token::{AccessToken, VoiceGrant};

use super::ApiError;
use crate::http::auth::User;
use crate::http::{Access, AppState, Route};
use crate::store::now_ms;

pub fn routes() -> Vec<Route> {
    vec![Route::new("/api/token", Access::User).get(issue)]
}

pub async fn issue(State(state): State<AppState>, user: User) -> Result<Json<Value>, ApiError> {
    let config = &state.config;
    let identity = config.browser_identity().ok_or_else(|| {
        ApiError::Conflict(
            "there is no browser device: add `browser = { type = \"browser\" }` under [devices]"
                .into(),
        )
    })?;
    let (Some(key), Some(secret)) = (&config.twilio.api_key, &config.twilio.api_secret) else {
        return Err(ApiError::Conflict(
            "the browser phone needs an API key: set twilio.api_key and twilio.api_secret \
             (or VBX_TWILIO_API_SECRET) in the configuration"
                .into(),
        ));
    };
    let now_unix = now_ms() / 1000;
    let token = AccessToken {
        account_sid: config.twilio.account_sid.to_string(),
        api_key_sid: key.to_string(),
        api_secret: secret.expose().to_owned(),
        identity: identity.to_owned(),
        ttl: config.twilio.token_ttl,
        region: None,
        voice: Some(VoiceGrant {
            incoming_allow: true,
            outgoing_application_sid: config.twilio.app_sid.as_ref().map(ToString::to_string),
            ..VoiceGrant::default()
        }),
    };
    let ttl = i64::try_from(config.twilio.token_ttl.as_secs()).unwrap_or(3600);
    let expires_unix = now_unix.saturating_add(ttl);
    tracing::debug!(user = %user.name, identity, "access token issued");
    Ok(Json(json!({
        "token": token.to_jwt(now_unix),
        "identity": identity,
        "expires_at": expires_unix.saturating_mul(1000),
    })))
}
