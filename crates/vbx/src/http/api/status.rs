//! What is working: each device's presence, whether Twilio answers, and the outbox.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::ApiError;
use crate::http::auth::User;
use crate::http::AppState;
use crate::store::history;

/// `{"name", "online"}` per device, as the `presence` frame and the status page show them.
pub fn devices(state: &AppState) -> Vec<Value> {
    state
        .config
        .devices
        .iter()
        .map(|(name, device)| {
            json!({
                "name": name,
                "type": device.type_name(),
                "online": state.presence.online(name, device),
                "last_error": null,
            })
        })
        .collect()
}

pub async fn show(State(state): State<AppState>, _user: User) -> Result<Json<Value>, ApiError> {
    let (pending, failed) = history::outbox_counts(state.store.pool()).await?;
    let twilio = state.health.snapshot();
    Ok(Json(json!({
        "devices": devices(&state),
        "twilio": {
            "reachable": twilio.reachable,
            "last_error": twilio.last_error,
            "last_ok_at": twilio.last_ok_at,
        },
        "last_sync": null,
        "outbox": { "pending": pending, "failed": failed },
    })))
}
