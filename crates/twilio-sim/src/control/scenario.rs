//! Control routes that drive traffic and tune the simulation: incoming texts, a message's
//! story, the webhook log, settings and the PSTN parties' behaviour.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use twilio::MessageSid;

use super::{parse, ControlError};
use crate::messaging::{InboundMedia, InboundText};
use crate::settings::Party;
use crate::Sim;

pub(super) fn routes() -> Router<Sim> {
    Router::new()
        .route("/messages/incoming", post(incoming_message))
        .route("/messages/{sid}", get(message))
        .route("/webhooks", get(webhooks))
        .route("/settings", get(settings).post(change_settings))
        .route("/parties", post(set_party))
}

fn bad_request(message: impl Into<String>) -> ControlError {
    ControlError(StatusCode::BAD_REQUEST, message.into())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewMedia {
    content_type: String,
    /// The file, base64; absent for an empty file.
    bytes_base64: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewText {
    from: String,
    to: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    media: Vec<NewMedia>,
}

async fn incoming_message(
    State(sim): State<Sim>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ControlError> {
    let new: NewText = parse(&body)?;
    let mut media = Vec::with_capacity(new.media.len().min(10));
    for item in new.media {
        let content = match item.bytes_base64 {
            None => Vec::new(),
            Some(b64) => base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|e| bad_request(format!("bytes_base64 is not base64: {e}")))?,
        };
        media.push(InboundMedia {
            content_type: item.content_type,
            content,
        });
    }
    let sid = sim.incoming_message(InboundText {
        from: new.from,
        to: new.to,
        body: new.body,
        media,
    })?;
    Ok((StatusCode::CREATED, Json(json!({ "sid": sid }))))
}

async fn message(
    State(sim): State<Sim>,
    Path(sid): Path<String>,
) -> Result<Json<Value>, ControlError> {
    let sid = MessageSid::parse(&sid).map_err(|e| bad_request(e.to_string()))?;
    let message = sim
        .read_state(|s| {
            s.messages
                .iter()
                .find(|m| m.sid == sid)
                .map(|m| m.to_json(s))
        })
        .ok_or_else(|| ControlError(StatusCode::NOT_FOUND, format!("no message {sid}")))?;
    Ok(Json(json!({
        "message": message,
        "trace": sim.trace(sid.as_str()),
        "webhooks": sim.webhooks_of(sid.as_str()),
    })))
}

#[derive(Deserialize)]
struct WebhookFilter {
    /// Only the requests about this call or message.
    sid: Option<String>,
}

async fn webhooks(State(sim): State<Sim>, Query(filter): Query<WebhookFilter>) -> Json<Value> {
    let list = match filter.sid {
        Some(sid) => sim.webhooks_of(&sid),
        None => sim.webhooks(),
    };
    Json(json!({ "webhooks": list }))
}

async fn settings(State(sim): State<Sim>) -> Json<Value> {
    Json(json!(sim.settings()))
}

/// A partial change of the settings; absent fields stay as they are.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsChange {
    time_scale_ms: Option<u64>,
    message_step_ms: Option<u64>,
    webhook_timeout_ms: Option<u64>,
    webhook_retries: Option<u32>,
    hold: Option<bool>,
    talk_seconds: Option<u32>,
    record_seconds: Option<u32>,
    max_call_documents: Option<u32>,
    max_message_documents: Option<u32>,
}

async fn change_settings(State(sim): State<Sim>, body: Bytes) -> Result<Json<Value>, ControlError> {
    let change: SettingsChange = parse(&body)?;
    let mut settings = sim.settings();
    let ms = Duration::from_millis;
    if let Some(v) = change.time_scale_ms {
        settings.time_scale = ms(v);
    }
    if let Some(v) = change.message_step_ms {
        settings.message_step = ms(v);
    }
    if let Some(v) = change.webhook_timeout_ms {
        settings.webhook_timeout = ms(v);
    }
    if let Some(v) = change.webhook_retries {
        settings.webhook_retries = v;
    }
    if let Some(v) = change.hold {
        settings.hold = v;
    }
    if let Some(v) = change.talk_seconds {
        settings.talk_seconds = v;
    }
    if let Some(v) = change.record_seconds {
        settings.record_seconds = v;
    }
    if let Some(v) = change.max_call_documents {
        settings.max_call_documents = v;
    }
    if let Some(v) = change.max_message_documents {
        settings.max_message_documents = v;
    }
    sim.set_settings(settings.clone());
    Ok(Json(json!(settings)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetParty {
    number: String,
    /// `answer`, `answer-silent`, `voicemail`, `busy`, `no-answer`, `failed` or `manual`.
    party: String,
    talk_seconds: Option<u32>,
    /// What an `answer` party presses at each screening `<Gather>` (default `1`).
    keys: Option<String>,
}

async fn set_party(State(sim): State<Sim>, body: Bytes) -> Result<StatusCode, ControlError> {
    let req: SetParty = parse(&body)?;
    let talk = req
        .talk_seconds
        .unwrap_or_else(|| sim.settings().talk_seconds);
    let mut party = Party::from_name(&req.party, talk).ok_or_else(|| {
        bad_request(format!(
            "party {} is not one of answer, answer-silent, voicemail, busy, no-answer, failed, \
             manual",
            req.party
        ))
    })?;
    if let Some(pressed) = req.keys {
        let Party::Answer { keys, .. } = &mut party else {
            return Err(bad_request(format!(
                "keys go with party answer, not {}",
                req.party
            )));
        };
        if let Some(bad) = pressed
            .chars()
            .find(|c| !matches!(c, '0'..='9' | '*' | '#'))
        {
            return Err(bad_request(format!(
                "keys {pressed:?} holds {bad:?}; a phone has 0-9, * and #"
            )));
        }
        *keys = pressed;
    }
    sim.set_party(&req.number, party);
    Ok(StatusCode::NO_CONTENT)
}
