//! What is working: each device's presence, whether Twilio answers, and the outbox.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::ApiError;
use crate::config::Device;
use crate::http::auth::User;
use crate::http::{Access, AppState, Route};

pub fn routes() -> Vec<Route> {
    vec![Route::new("/api/status", Access::User).get(show)]
}

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
    let (pending, failed) = state.store.outbox_counts().await?;
    let twilio = state.health.snapshot();
    let mut devices = devices(&state);
    for (entry, (name, device)) in devices.iter_mut().zip(&state.config.devices) {
        // Where a call answered on a device was put through (a call's `answered_to`), so
        // the call log can name the device.
        let kind = match device {
            Device::Email(_) => crate::store::outbox::EMAIL,
            Device::Xmpp(_) => crate::store::outbox::XMPP,
            Device::Browser { identity, .. } => {
                entry["address"] = json!(format!("client:{identity}"));
                continue;
            }
            Device::Sms { number } => {
                entry["address"] = json!(number.to_string());
                continue;
            }
        };
        if let Some(error) = state.live.device_error(name) {
            entry["last_error"] = json!({ "message": error, "at": null, "gave_up": false });
        } else if let Some(error) = state.store.device_last_error(kind, name).await? {
            entry["last_error"] = json!({
                "message": error.message,
                "at": error.at_ms,
                "gave_up": error.failed,
            });
        }
    }
    let last_sync = state
        .store
        .last_sync(&[crate::worker::sync::CALLS, crate::worker::sync::MESSAGES])
        .await?;
    Ok(Json(json!({
        "devices": devices,
        "twilio": {
            "reachable": twilio.reachable,
            "last_error": twilio.last_error,
            "last_ok_at": twilio.last_ok_at,
        },
        "last_sync": last_sync,
        "outbox": { "pending": pending, "failed": failed },
    })))
}
