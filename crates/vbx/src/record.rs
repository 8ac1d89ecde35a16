//! What the webhooks write: each event with the work its flow asked for, in one transaction,
//! then an event on the hub. Webhook handlers call these and nothing else of the store.

use anyhow::Context as _;
use serde_json::json;
use sqlx::{Sqlite, Transaction};
use twilio::webhook::{
    CallStatusCallback, IncomingCall, IncomingMessage, MessageStatusCallback, RecordAction,
    RecordingStatusCallback, TranscriptionCallback,
};

use crate::config::Alias;
use crate::event::Event;
use crate::flow::{Effect, MessageOutcome, VoiceOutcome};
use crate::http::AppState;
use crate::store::{self, call, message, now_ms, outbox, recording, relay};

/// Outbox kinds.
pub const SMS: &str = "sms";
pub const EMAIL: &str = "email";
pub const XMPP: &str = "xmpp";

pub async fn incoming_call(
    state: &AppState,
    alias: &Alias,
    incoming: &IncomingCall,
    outcome: &VoiceOutcome,
) -> anyhow::Result<()> {
    let now = now_ms();
    let mut tx = state.store.pool().begin().await?;
    call::record_call(
        &mut *tx,
        &call::NewCall {
            sid: incoming.call_sid.to_string(),
            account_sid: incoming.account_sid.to_string(),
            from: incoming.from.clone(),
            to: incoming.to.clone(),
            direction: incoming.direction.clone(),
            status: incoming.call_status.as_str().to_owned(),
            alias: Some(alias.to_string()),
            parent_sid: incoming.parent_call_sid.as_ref().map(ToString::to_string),
            started_at_ms: now,
        },
    )
    .await?;
    let key = format!("call:{}:{alias}", incoming.call_sid);
    apply_effects(state, &mut tx, &key, &outcome.effects, now).await?;
    tx.commit().await.context("committing an incoming call")?;
    state.events.publish(Event::Call {
        sid: incoming.call_sid.to_string(),
    });
    Ok(())
}

/// Stores the work a resumed call flow asked for; `key` makes a retried request idempotent.
pub async fn effects(state: &AppState, key: &str, effects: &[Effect]) -> anyhow::Result<()> {
    if effects.is_empty() {
        return Ok(());
    }
    let mut tx = state.store.pool().begin().await?;
    apply_effects(state, &mut tx, key, effects, now_ms()).await?;
    tx.commit().await.context("committing a flow's work")?;
    Ok(())
}

pub async fn record_action(
    state: &AppState,
    alias: &Alias,
    step: usize,
    action: &RecordAction,
    outcome: &VoiceOutcome,
) -> anyhow::Result<()> {
    let now = now_ms();
    let mut tx = state.store.pool().begin().await?;
    if let (Some(sid), Some(url)) = (&action.recording_sid, &action.recording_url) {
        recording::upsert_recording(
            &mut *tx,
            &recording::RecordingUpdate {
                sid: sid.to_string(),
                call_sid: action.call_sid.to_string(),
                url: url.clone(),
                duration_s: action.recording_duration.map(i64::from),
                status: "completed".into(),
                now_ms: now,
            },
        )
        .await?;
    }
    let key = format!("record:{}:{alias}:{step}", action.call_sid);
    apply_effects(state, &mut tx, &key, &outcome.effects, now).await?;
    tx.commit().await.context("committing a recording")?;
    if let Some(sid) = &action.recording_sid {
        state.events.publish(Event::Recording {
            sid: sid.to_string(),
            call_sid: action.call_sid.to_string(),
        });
    }
    Ok(())
}

pub async fn relay_target(state: &AppState, device: &str) -> anyhow::Result<Option<String>> {
    Ok(relay::relay_target(state.store.pool(), device).await?)
}

pub async fn incoming_message(
    state: &AppState,
    text: &IncomingMessage,
    outcome: &MessageOutcome,
) -> anyhow::Result<()> {
    let now = now_ms();
    let mut tx = state.store.pool().begin().await?;
    message::record_message(
        &mut *tx,
        &message::NewMessage {
            sid: text.message_sid.to_string(),
            account_sid: text.account_sid.to_string(),
            from: text.from.clone(),
            to: text.to.clone(),
            body: text.body.clone(),
            direction: "inbound".into(),
            status: text
                .params
                .get("SmsStatus")
                .unwrap_or("received")
                .to_owned(),
            created_at_ms: now,
            media: text
                .media
                .iter()
                .map(|m| message::NewMedia {
                    url: m.url.clone(),
                    content_type: m.content_type.clone().unwrap_or_default(),
                })
                .collect(),
        },
    )
    .await?;
    let key = format!("msg:{}", text.message_sid);
    apply_effects(state, &mut tx, &key, &outcome.effects, now).await?;
    tx.commit()
        .await
        .context("committing an incoming message")?;
    state.events.publish(Event::Message {
        sid: text.message_sid.to_string(),
    });
    Ok(())
}

pub async fn call_status(state: &AppState, update: &CallStatusCallback) {
    let result = call::apply_call_status(
        state.store.pool(),
        &call::CallStatusUpdate {
            sid: update.call_sid.to_string(),
            account_sid: update
                .params
                .get("AccountSid")
                .unwrap_or_default()
                .to_owned(),
            status: update.call_status.as_str().to_owned(),
            sequence: update.sequence_number,
            duration_s: update.call_duration.map(i64::from),
            timestamp_ms: now_ms(),
            from: update.from.clone(),
            to: update.to.clone(),
            direction: update.direction.clone().unwrap_or_default(),
            parent_sid: update.parent_call_sid.as_ref().map(ToString::to_string),
        },
    )
    .await;
    match result {
        Ok(true) => state.events.publish(Event::Call {
            sid: update.call_sid.to_string(),
        }),
        Ok(false) => {}
        Err(e) => tracing::error!(error = %e, sid = %update.call_sid, "storing a call status"),
    }
}

pub async fn message_status(state: &AppState, update: &MessageStatusCallback) {
    let result = message::apply_message_status(
        state.store.pool(),
        update.message_sid.as_str(),
        update.message_status.as_str(),
        update.error_code.map(i64::from),
        update.params.get("ErrorMessage"),
        now_ms(),
    )
    .await;
    match result {
        Ok(true) => state.events.publish(Event::Message {
            sid: update.message_sid.to_string(),
        }),
        Ok(false) => {}
        Err(e) => {
            tracing::error!(error = %e, sid = %update.message_sid, "storing a message status")
        }
    }
}

pub async fn recording_status(state: &AppState, update: &RecordingStatusCallback) {
    let result = recording::upsert_recording(
        state.store.pool(),
        &recording::RecordingUpdate {
            sid: update.recording_sid.to_string(),
            call_sid: update.call_sid.to_string(),
            url: update.recording_url.clone(),
            duration_s: update.recording_duration.map(i64::from),
            status: update.recording_status.clone(),
            now_ms: now_ms(),
        },
    )
    .await;
    match result {
        Ok(()) => state.events.publish(Event::Recording {
            sid: update.recording_sid.to_string(),
            call_sid: update.call_sid.to_string(),
        }),
        Err(e) => tracing::error!(error = %e, sid = %update.recording_sid, "storing a recording"),
    }
}

pub async fn transcription(state: &AppState, update: &TranscriptionCallback) {
    let result = recording::set_transcription(
        state.store.pool(),
        update.recording_sid.as_str(),
        update.transcription_text.as_deref(),
        &update.transcription_status,
        now_ms(),
    )
    .await;
    if let Err(e) = result {
        tracing::error!(error = %e, sid = %update.recording_sid, "storing a transcription");
    }
}

async fn apply_effects(
    state: &AppState,
    tx: &mut Transaction<'_, Sqlite>,
    key: &str,
    effects: &[Effect],
    now: i64,
) -> Result<(), store::StoreError> {
    for (index, effect) in effects.iter().enumerate() {
        let key = format!("{key}:{index}");
        match effect {
            Effect::SetRelayTarget { device, number } => {
                relay::set_relay_target(&mut **tx, device, number, now).await?;
            }
            Effect::SendSms { to, body } => {
                let payload = json!({
                    "to": to,
                    "from": state.config.twilio.number.as_str(),
                    "body": body,
                    "media": [],
                });
                outbox::enqueue(&mut **tx, SMS, &payload, Some(&key), now).await?;
            }
            Effect::Email { device, text } | Effect::Xmpp { device, text } => {
                let kind = if matches!(effect, Effect::Email { .. }) {
                    EMAIL
                } else {
                    XMPP
                };
                let payload = json!({
                    "device": device,
                    "from": text.from,
                    "from_name": text.from_name,
                    "body": text.body,
                    "media": text.media,
                });
                outbox::enqueue(&mut **tx, kind, &payload, Some(&key), now).await?;
            }
        }
    }
    Ok(())
}
