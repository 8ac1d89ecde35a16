//! What the webhooks store: each event with the work its flow asked for (turned here from the
//! flow's effects into the store's [`Work`]) through one store use case, then the hub. The
//! webhook handlers call these and nothing else of the store.

use anyhow::Context as _;
use serde_json::json;
use twilio::webhook::{
    CallStatusCallback, DialAction, IncomingCall, IncomingMessage, MessageStatusCallback,
    RecordAction, RecordingStatusCallback, TranscriptionCallback,
};

use crate::config::{Action, Alias};
use crate::event::Event;
use crate::flow::{Effect, Media, MessageOutcome, VoiceOutcome};
use crate::http::AppState;
use crate::store::outbox::{self, EMAIL, RECORDING_DOWNLOAD, SMS, VOICEMAIL_NOTICE, XMPP};
use crate::store::webhooks::Work;
use crate::store::{self, call, message, now_ms, recording, Changes};

/// Stores an incoming call and its flow's work. A call from a blocked number (`blocked`: its
/// TwiML rejects it) is stored marked so, with no feed entry: no tab shows it arriving.
pub async fn incoming_call(
    state: &AppState,
    alias: &Alias,
    incoming: &IncomingCall,
    outcome: &VoiceOutcome,
    blocked: bool,
) -> anyhow::Result<()> {
    let now = now_ms();
    let sid = incoming.call_sid.to_string();
    let new_call = call::NewCall {
        sid: sid.clone(),
        account_sid: incoming.account_sid.to_string(),
        from: incoming.from.clone(),
        to: incoming.to.clone(),
        direction: incoming.direction.clone(),
        status: incoming.call_status.as_str().to_owned(),
        alias: Some(alias.to_string()),
        parent_sid: incoming.parent_call_sid.as_ref().map(ToString::to_string),
        started_at_ms: now,
    };
    let key = format!("call:{}:{alias}", incoming.call_sid);
    let mut work = plan(state, &key, &outcome.effects);
    work.extend(path(&sid, &key, &outcome.path));
    let out = state
        .store
        .record_incoming_call(new_call, blocked, work)
        .await
        .context("storing an incoming call")?;
    state.events.publish(Event::Call { sid });
    state.events.publish_changes(out);
    Ok(())
}

/// Stores how a call's `<Dial>` ended (`answered_to`: who picked up, when someone did) with
/// the work the resumed flow asked for; the call's row changes in the tabs.
pub async fn dial_action(
    state: &AppState,
    action: &DialAction,
    answered_to: Option<String>,
    key: &str,
    (effects, went): (&[Effect], &[String]),
) -> anyhow::Result<()> {
    let mut work = plan(state, key, effects);
    work.extend(path(action.call_sid.as_str(), key, went));
    let out = state
        .store
        .record_dial_end(
            action.call_sid.as_str(),
            action.dial_call_status.as_str(),
            answered_to,
            action.dial_call_duration.map(i64::from),
            work,
            now_ms(),
        )
        .await
        .context("storing a dial's end")?;
    state.events.publish_changes(out);
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
    let recorded = match (&action.recording_sid, &action.recording_url) {
        (Some(sid), Some(url)) => Some(recording::RecordingUpdate {
            sid: sid.to_string(),
            call_sid: action.call_sid.to_string(),
            url: url.clone(),
            duration_s: action.recording_duration.map(i64::from),
            status: "completed".into(),
            source: recording::VOICEMAIL,
            transcribing: transcribing(state, Some((alias, step)), action.recording_duration),
            now_ms: now,
        }),
        _ => None,
    };
    let key = format!("record:{}:{alias}:{step}", action.call_sid);
    let mut work = plan(state, &key, &outcome.effects);
    work.extend(path(action.call_sid.as_str(), &key, &outcome.path));
    if let Some(update) = &recorded {
        work.extend(recording_work(
            state,
            &update.sid,
            &update.url,
            Some((alias, step)),
            now,
        ));
    }
    let out = state
        .store
        .record_record_end(recorded, work, now)
        .await
        .context("storing a recording")?;
    if let Some(sid) = &action.recording_sid {
        state.events.publish(Event::Recording {
            sid: sid.to_string(),
            call_sid: action.call_sid.to_string(),
        });
    }
    state.events.publish_changes(out);
    Ok(())
}

pub async fn relay_target(state: &AppState, device: &str) -> anyhow::Result<Option<String>> {
    Ok(state.store.relay_target(device).await?)
}

/// Stores an incoming text and its flow's work. A text from a blocked number (`blocked`) is
/// stored read and marked so, with no feed entry: nobody is notified.
pub async fn incoming_message(
    state: &AppState,
    text: &IncomingMessage,
    outcome: &MessageOutcome,
    blocked: bool,
) -> anyhow::Result<()> {
    let now = now_ms();
    let sid = text.message_sid.to_string();
    let new_message = message::NewMessage {
        sid: sid.clone(),
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
    };
    let key = format!("msg:{}", text.message_sid);
    let work = plan(state, &key, &outcome.effects);
    let hidden = state.config.hidden_numbers();
    let has_media = !new_message.media.is_empty();
    let out = state
        .store
        .record_incoming_text(new_message, blocked, hidden, work)
        .await
        .context("storing an incoming message")?;
    if has_media {
        state
            .events
            .publish(Event::MediaArrived { sid: sid.clone() });
    }
    state.events.publish(Event::Message { sid });
    state.events.publish_changes(out);
    Ok(())
}

pub async fn call_status(state: &AppState, update: &CallStatusCallback) {
    let sid = update.call_sid.to_string();
    let result = state
        .store
        .apply_call_status(&call::CallStatusUpdate {
            sid: sid.clone(),
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
        })
        .await;
    if settle(state, "storing a call status", &sid, result) == Some(true) {
        state.events.publish(Event::Call { sid });
    }
}

pub async fn message_status(state: &AppState, update: &MessageStatusCallback) {
    let sid = update.message_sid.to_string();
    let result = state
        .store
        .apply_message_status(
            &sid,
            update.message_status.as_str(),
            update.error_code.map(i64::from),
            update.params.get("ErrorMessage"),
            now_ms(),
        )
        .await;
    if settle(state, "storing a message status", &sid, result) == Some(true) {
        state.events.publish(Event::Message { sid });
    }
}

/// A recording status callback; `step` is the `voicemail` step that asked for it, if one did.
pub async fn recording_status(
    state: &AppState,
    update: &RecordingStatusCallback,
    step: Option<(&Alias, usize)>,
) {
    let sid = update.recording_sid.to_string();
    let now = now_ms();
    let source = recording::source_of(update.recording_source.as_deref());
    // Only a finished recording can be fetched; `absent` and `failed` ones have no audio.
    let work = if update.recording_status == "completed" {
        recording_work(state, &sid, &update.recording_url, step, now)
    } else {
        Vec::new()
    };
    let result = state
        .store
        .record_recording(
            &recording::RecordingUpdate {
                sid: sid.clone(),
                call_sid: update.call_sid.to_string(),
                url: update.recording_url.clone(),
                duration_s: update.recording_duration.map(i64::from),
                status: update.recording_status.clone(),
                source,
                transcribing: update.recording_status == "completed"
                    && transcribing(state, step, update.recording_duration),
                now_ms: now,
            },
            work,
        )
        .await
        .map(|out| ((), out));
    if settle(state, "storing a recording", &sid, result).is_some() {
        state.events.publish(Event::Recording {
            sid,
            call_sid: update.call_sid.to_string(),
        });
    }
}

pub async fn transcription(state: &AppState, update: &TranscriptionCallback) {
    let sid = update.recording_sid.to_string();
    let result = state
        .store
        .record_transcription(
            &sid,
            update.transcription_text.as_deref(),
            &update.transcription_status,
            now_ms(),
        )
        .await;
    settle(state, "storing a transcription", &sid, result);
}

/// Stores what a call went through at a menu (the key it pressed, where it went).
pub async fn menu_action(
    state: &AppState,
    call_sid: &str,
    key: &str,
    went: &[String],
) -> anyhow::Result<()> {
    store_path(state, call_sid, path(call_sid, key, went)).await
}

/// The path key of a screened leg's answer: `screen:<alias>:<step>:<leg>:accepted|refused`.
pub fn screen_key(alias: &Alias, step: usize, leg: &str, accepted: bool) -> String {
    let answer = if accepted { "accepted" } else { "refused" };
    format!("screen:{alias}:{step}:{leg}:{answer}")
}

/// Stores a screened leg's answer (`what`) on the caller's call `parent`, under exactly `key`:
/// the dial's action looks a refusal up by it.
pub async fn screened(state: &AppState, parent: &str, key: &str, what: &str) -> anyhow::Result<()> {
    let entry = Work::Path {
        call: parent.to_owned(),
        key: key.to_owned(),
        what: what.to_owned(),
    };
    store_path(state, parent, vec![entry]).await
}

/// Path entries of `call` from a webhook that stores nothing else; the call's row changes in
/// the tabs.
async fn store_path(state: &AppState, call: &str, work: Vec<Work>) -> anyhow::Result<()> {
    let out = state
        .store
        .record_call_path(call, work, now_ms())
        .await
        .context("storing a call's path")?;
    state.events.publish_changes(out);
    Ok(())
}

/// `went` as the store's path entries of `call`, keyed by the webhook (`key`) and their place.
fn path(call: &str, key: &str, went: &[String]) -> Vec<Work> {
    went.iter()
        .enumerate()
        .map(|(i, what)| Work::Path {
            call: call.to_owned(),
            key: format!("{key}:path:{i}"),
            what: what.clone(),
        })
        .collect()
}

/// What a finished recording brings: its download into the data directory, and the notices
/// of the `voicemail` step that recorded it (due once the transcript is in, or after
/// [`NOTICE_WAIT_MS`] without it). Both the `<Record>` action and the recording status
/// callback ask; the keys make it once.
fn recording_work(
    state: &AppState,
    sid: &str,
    url: &str,
    step: Option<(&Alias, usize)>,
    now: i64,
) -> Vec<Work> {
    let mut work = vec![Work::Enqueue {
        kind: RECORDING_DOWNLOAD,
        payload: json!({ "sid": sid, "url": url }),
        key: outbox::download_key(sid),
    }];
    let voicemail =
        step.and_then(
            |(alias, index)| match &state.config.calls.get(alias)?.get(index)?.action {
                Action::Voicemail(v) => Some(v),
                _ => None,
            },
        );
    if let Some(voicemail) = voicemail {
        let due = if voicemail.transcribe {
            now + NOTICE_WAIT_MS
        } else {
            now
        };
        for device in &voicemail.notify {
            work.push(Work::Later {
                kind: VOICEMAIL_NOTICE,
                payload: json!({ "recording": sid, "device": device }),
                key: outbox::notice_key(sid, device),
                due,
            });
        }
    }
    work
}

/// Whether Twilio transcribes this recording of `step`: the step asked for a transcript (a
/// `voicemail` or `record` step with `transcribe`), and the recording is as long as Twilio
/// transcribes (2 to 120 seconds; it sends no transcript of another).
fn transcribing(state: &AppState, step: Option<(&Alias, usize)>, seconds: Option<u32>) -> bool {
    let asked =
        step.and_then(
            |(alias, index)| match &state.config.calls.get(alias)?.get(index)?.action {
                Action::Voicemail(v) => Some(v.transcribe),
                Action::Record { transcribe, .. } => Some(*transcribe),
                _ => None,
            },
        );
    asked == Some(true)
        && seconds.is_some_and(|s| (2..=crate::config::Voicemail::MAX_TRANSCRIBED).contains(&s))
}

/// How long a voicemail notice waits for the transcript.
pub const NOTICE_WAIT_MS: i64 = 120_000;

/// Publishes what a committed status callback produced. Twilio gets its answer whatever
/// happens here, so a failure is logged and gives `None`.
fn settle<T>(
    state: &AppState,
    what: &'static str,
    sid: &str,
    result: store::Result<(T, Changes)>,
) -> Option<T> {
    match result {
        Ok((value, out)) => {
            state.events.publish_changes(out);
            Some(value)
        }
        Err(e) => {
            tracing::error!(error = %e, sid, "{what}");
            None
        }
    }
}

/// The store's work for `effects`; `key` (the event's) makes each queued job idempotent.
fn plan(state: &AppState, key: &str, effects: &[Effect]) -> Vec<Work> {
    let from = state.config.twilio.number.as_str();
    let mut work = Vec::with_capacity(effects.len());
    for (index, effect) in effects.iter().enumerate() {
        let key = format!("{key}:{index}");
        work.push(match effect {
            Effect::SetRelayTarget { device, number } => Work::Relay {
                device: device.clone(),
                number: number.clone(),
            },
            Effect::SendSms { to, body } => Work::Enqueue {
                kind: SMS,
                payload: json!({
                    "to": to,
                    "from": from,
                    "body": body,
                    "media": [],
                }),
                key,
            },
            Effect::Email { device, text } | Effect::Xmpp { device, text } => {
                let kind = if matches!(effect, Effect::Email { .. }) {
                    EMAIL
                } else {
                    XMPP
                };
                // The links are what the person sees; the email device downloads the
                // attachments from Twilio itself.
                let sources: Vec<&str> = text.media.iter().map(|m| m.twilio.as_str()).collect();
                Work::Enqueue {
                    kind,
                    payload: json!({
                        "device": device,
                        "from": text.from,
                        "from_name": text.from_name,
                        "body": text.body,
                        "media": Media::links(&text.media),
                        "media_sources": sources,
                    }),
                    key,
                }
            }
        });
    }
    work
}
