//! `/flow/*`: the routes Twilio calls. Each stores its event (and the work the flow asked
//! for) before answering, and answers with TwiML — a fallback document when something fails
//! inside the flow, never a 5xx.

mod record;

use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use twilio::twiml::{self, MessagingResponse, Verb, VoiceResponse};
use twilio::webhook::{
    CallStatusCallback, DialAction, DialCallStatus, IncomingCall, IncomingMessage,
    MessageStatusCallback, RecordAction, RecordingStatusCallback, TranscriptionCallback,
};

use super::error::WebhookError;
use super::signed::{SignedForm, MAX_BODY};
use super::{Access, AppState, Route};
use crate::config::{Alias, Device};
use crate::flow::{self, CallRequest, DialOutcome, MessageOutcome, MessageRequest, VoiceOutcome};

pub fn routes() -> Vec<Route> {
    let signed = |path| Route::new(path, Access::Signed);
    [
        signed("/flow/voice/{alias}").post(voice),
        signed("/flow/voice/{alias}/dial").post(dial_action),
        signed("/flow/voice/{alias}/menu").post(menu_action),
        signed("/flow/voice/{alias}/outgoing").post(outgoing_action),
        signed("/flow/voice/{alias}/record").post(record_action),
        signed("/flow/voice/{alias}/screen").post(screen),
        signed("/flow/voice/{alias}/screen/answer").post(screen_answer),
        signed("/flow/msg/{alias}").post(message),
        signed("/flow/status/call").post(call_status),
        signed("/flow/status/message").post(message_status),
        signed("/flow/status/recording").post(recording_status),
        signed("/flow/status/transcription").post(transcription_status),
    ]
    .into_iter()
    .map(|route| route.body_limit(MAX_BODY))
    .collect()
}

#[derive(Deserialize)]
struct StepQuery {
    step: usize,
}

/// A menu's action: its step, and how many times it asked before.
#[derive(Deserialize)]
struct MenuQuery {
    step: usize,
    #[serde(default)]
    attempt: u32,
}

fn call_alias(state: &AppState, alias: &str) -> Result<Alias, WebhookError> {
    Alias::parse(alias)
        .filter(|a| state.config.calls.contains_key(a))
        .ok_or_else(|| WebhookError::UnknownAlias {
            kind: "call",
            alias: alias.to_owned(),
        })
}

fn message_alias(state: &AppState, alias: &str) -> Result<Alias, WebhookError> {
    Alias::parse(alias)
        .filter(|a| state.config.messages.contains_key(a))
        .ok_or_else(|| WebhookError::UnknownAlias {
            kind: "message",
            alias: alias.to_owned(),
        })
}

fn step_query(
    query: Result<Query<StepQuery>, impl std::fmt::Display>,
) -> Result<usize, WebhookError> {
    query
        .map(|Query(q)| q.step)
        .map_err(|e| WebhookError::BadRequest(format!("the `step` query parameter: {e}")))
}

async fn voice(
    State(state): State<AppState>,
    Path(alias): Path<String>,
    SignedForm(params): SignedForm,
) -> Result<Response, WebhookError> {
    let alias = call_alias(&state, &alias)?;
    let call = IncomingCall::from_params(&params)?;
    let req = CallRequest {
        alias: &alias,
        from: &call.from,
        to: &call.to,
        now: state.clock.now(),
    };
    let blocked = state.blocked.contains(&call.from);
    let outcome = if blocked {
        Ok(flow::rejected_call())
    } else {
        flow::run_call(&state.config, state.presence.as_ref(), &req)
    };
    let stored = match &outcome {
        Ok(outcome) => record::incoming_call(&state, &alias, &call, outcome, blocked).await,
        Err(_) => Ok(()),
    };
    Ok(stored_answer(outcome, stored))
}

async fn dial_action(
    State(state): State<AppState>,
    Path(alias): Path<String>,
    query: Result<Query<StepQuery>, axum::extract::rejection::QueryRejection>,
    SignedForm(params): SignedForm,
) -> Result<Response, WebhookError> {
    let alias = call_alias(&state, &alias)?;
    let step = step_query(query)?;
    let action = DialAction::from_params(&params)?;
    let answered = was_answered(&action) && !screened_out(&state, &alias, step, &action).await;
    let from = params.get("From").unwrap_or_default();
    let to = params.get("To").unwrap_or_default();
    let req = CallRequest {
        alias: &alias,
        from,
        to,
        now: state.clock.now(),
    };
    let outcome = if answered {
        DialOutcome::Answered
    } else {
        DialOutcome::NotAnswered
    };
    let answer =
        flow::resume_after_dial(&state.config, state.presence.as_ref(), &req, step, outcome);
    let answered_to = answered
        .then(|| flow::dialled_by_step(&state.config, &alias, step))
        .flatten();
    let stored = match &answer {
        Ok(o) => {
            let ended = match (&answered_to, answered) {
                (Some(to), true) if !to.is_empty() => format!("answered by {to}"),
                (_, true) => "answered".to_owned(),
                (_, false) => format!("not answered ({})", action.dial_call_status.as_str()),
            };
            let went: Vec<String> = std::iter::once(ended).chain(o.path.clone()).collect();
            record::dial_action(
                &state,
                &action,
                answered_to,
                &format!("dial:{}:{alias}:{step}", action.call_sid),
                (o.effects.as_slice(), &went),
            )
            .await
        }
        Err(_) => Ok(()),
    };
    Ok(stored_answer(answer, stored))
}

/// What the caller pressed at a menu step's `<Gather>` (Twilio sends `Digits`, empty when
/// nothing was pressed and the menu asked for the action anyway).
async fn menu_action(
    State(state): State<AppState>,
    Path(alias): Path<String>,
    query: Result<Query<MenuQuery>, axum::extract::rejection::QueryRejection>,
    SignedForm(params): SignedForm,
) -> Result<Response, WebhookError> {
    let alias = call_alias(&state, &alias)?;
    let Query(MenuQuery { step, attempt }) = query.map_err(|e| {
        WebhookError::BadRequest(format!("the `step` and `attempt` query parameters: {e}"))
    })?;
    let digits = params.get("Digits").unwrap_or_default().trim();
    let req = CallRequest {
        alias: &alias,
        from: params.get("From").unwrap_or_default(),
        to: params.get("To").unwrap_or_default(),
        now: state.clock.now(),
    };
    let answer = flow::resume_after_menu(&state.config, &req, step, attempt, digits);
    let stored = match (&answer, params.get("CallSid")) {
        (Ok(o), Some(call)) => {
            let key = format!("menu:{call}:{alias}:{step}:{attempt}");
            record::menu_action(&state, call, &key, &o.path).await
        }
        _ => Ok(()),
    };
    Ok(stored_answer(answer, stored))
}

/// A screened phone leg answered (`CallSid` is the leg, `ParentCallSid` the caller's call):
/// it hears who is calling and is asked for the key.
async fn screen(
    State(state): State<AppState>,
    Path(alias): Path<String>,
    query: Result<Query<StepQuery>, axum::extract::rejection::QueryRejection>,
    SignedForm(params): SignedForm,
) -> Result<Response, WebhookError> {
    let alias = call_alias(&state, &alias)?;
    let step = step_query(query)?;
    let contacts = state.contacts.snapshot();
    let from = params.get("From").unwrap_or_default();
    let answer = flow::screen_prompt(&state.config, &contacts, &alias, step, from);
    Ok(voice_answer(Ok(answer)))
}

/// The screened leg's key: 1 bridges it, anything else hangs it up; the caller's call keeps
/// which it was (a refusal also tells the dial's action that this leg did not take the call).
async fn screen_answer(
    State(state): State<AppState>,
    Path(alias): Path<String>,
    query: Result<Query<StepQuery>, axum::extract::rejection::QueryRejection>,
    SignedForm(params): SignedForm,
) -> Result<Response, WebhookError> {
    let alias = call_alias(&state, &alias)?;
    let step = step_query(query)?;
    let leg = params.get("CallSid").unwrap_or_default();
    let parent = params
        .get("ParentCallSid")
        .filter(|p| !p.is_empty())
        .ok_or_else(|| WebhookError::BadRequest("a screened leg without `ParentCallSid`".into()))?;
    let digits = params.get("Digits").unwrap_or_default().trim();
    let answer = flow::screen_answer(digits, params.get("To").unwrap_or_default());
    let accepted = digits == flow::SCREEN_ACCEPT;
    let key = record::screen_key(&alias, step, leg, accepted);
    let what = answer.path.first().map_or("", String::as_str);
    let stored = record::screened(&state, parent, &key, what).await;
    Ok(voice_answer(stored.map(|()| answer)))
}

/// Whether the leg the dial bridged refused the call at screening (then nobody took it,
/// whatever `DialCallStatus` says). A store that cannot answer counts as no refusal.
async fn screened_out(state: &AppState, alias: &Alias, step: usize, action: &DialAction) -> bool {
    let Some(leg) = action.dial_call_sid.as_deref() else {
        return false;
    };
    if !flow::screens(&state.config, alias, step) {
        return false;
    }
    let key = record::screen_key(alias, step, leg, false);
    match state
        .store
        .call_path_has(action.call_sid.as_str(), &key)
        .await
    {
        Ok(refused) => refused,
        Err(e) => {
            tracing::error!(error = %e, "reading a screened leg's answer");
            false
        }
    }
}

/// Whether someone picked up the `<Dial>`ed leg (`answered` is a conference's).
fn was_answered(action: &DialAction) -> bool {
    matches!(
        action.dial_call_status,
        DialCallStatus::Completed | DialCallStatus::Answered
    )
}

/// The end of a browser's outgoing call's `<Dial>`: how the number answered, then hang up.
async fn outgoing_action(
    State(state): State<AppState>,
    Path(alias): Path<String>,
    SignedForm(params): SignedForm,
) -> Result<Response, WebhookError> {
    let alias = call_alias(&state, &alias)?;
    let action = DialAction::from_params(&params)?;
    let answered = was_answered(&action);
    let answered_to =
        answered.then(|| flow::outgoing_address(params.get("To").unwrap_or_default()));
    let answer = flow::after_outgoing();
    let key = format!("outgoing:{}:{alias}", action.call_sid);
    let stored = record::dial_action(&state, &action, answered_to, &key, (&[], &[])).await;
    Ok(voice_answer(stored.map(|()| answer)))
}

async fn record_action(
    State(state): State<AppState>,
    Path(alias): Path<String>,
    query: Result<Query<StepQuery>, axum::extract::rejection::QueryRejection>,
    SignedForm(params): SignedForm,
) -> Result<Response, WebhookError> {
    let alias = call_alias(&state, &alias)?;
    let step = step_query(query)?;
    let action = RecordAction::from_params(&params)?;
    let from = params.get("From").unwrap_or_default();
    let to = params.get("To").unwrap_or_default();
    let req = CallRequest {
        alias: &alias,
        from,
        to,
        now: state.clock.now(),
    };
    let answer = flow::resume_after_record(&state.config, state.presence.as_ref(), &req, step);
    let stored = match &answer {
        Ok(o) => record::record_action(&state, &alias, step, &action, o).await,
        Err(_) => Ok(()),
    };
    Ok(stored_answer(answer, stored))
}

async fn message(
    State(state): State<AppState>,
    Path(alias): Path<String>,
    SignedForm(params): SignedForm,
) -> Result<Response, WebhookError> {
    let alias = message_alias(&state, &alias)?;
    let text = IncomingMessage::from_params(&params)?;
    let media = state.media_links.of_message(
        text.message_sid.as_str(),
        text.media.iter().map(|m| m.url.clone()),
    );
    let contacts = state.contacts.snapshot();
    let req = MessageRequest {
        alias: &alias,
        from: &text.from,
        to: &text.to,
        body: &text.body,
        media: &media,
        contacts: &contacts,
        now: state.clock.now(),
    };
    let answer = run_message(&state, &req, &text).await;
    Ok(message_answer(answer))
}

/// Runs the flow (or the relay, for a text from a forwarding device) and stores the text and
/// the flow's work in one transaction.
async fn run_message(
    state: &AppState,
    req: &MessageRequest<'_>,
    text: &IncomingMessage,
) -> anyhow::Result<MessageOutcome> {
    let relay_device = state.config.devices.iter().find_map(|(name, device)| {
        matches!(device, Device::Sms { number } if number.as_str() == req.from).then_some(name)
    });
    // A device of the user's own is never blocked: its texts are the user's replies.
    let blocked = relay_device.is_none() && state.blocked.contains(req.from);
    let outcome = match relay_device {
        Some(device) => {
            let target = record::relay_target(state, device).await?;
            flow::relay_from_device(&state.config, device, req, target.as_deref())
        }
        None if blocked => MessageOutcome::default(),
        None => flow::run_message(&state.config, state.presence.as_ref(), req)?,
    };
    record::incoming_message(state, text, &outcome, blocked).await?;
    Ok(outcome)
}

async fn call_status(
    State(state): State<AppState>,
    SignedForm(params): SignedForm,
) -> Result<StatusCode, WebhookError> {
    let update = CallStatusCallback::from_params(&params)?;
    record::call_status(&state, &update).await;
    Ok(StatusCode::NO_CONTENT)
}

async fn message_status(
    State(state): State<AppState>,
    SignedForm(params): SignedForm,
) -> Result<StatusCode, WebhookError> {
    let update = MessageStatusCallback::from_params(&params)?;
    record::message_status(&state, &update).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Which `voicemail` step a recording status callback is for (none for other recordings).
#[derive(Deserialize)]
struct RecordingQuery {
    alias: Option<String>,
    step: Option<usize>,
}

async fn recording_status(
    State(state): State<AppState>,
    query: Result<Query<RecordingQuery>, axum::extract::rejection::QueryRejection>,
    SignedForm(params): SignedForm,
) -> Result<StatusCode, WebhookError> {
    let Query(query) = query.map_err(|e| {
        WebhookError::BadRequest(format!("the `alias` and `step` query parameters: {e}"))
    })?;
    let update = RecordingStatusCallback::from_params(&params)?;
    // A step that is gone from the configuration (it changed since the call) has no notices.
    let alias = query.alias.as_deref().and_then(Alias::parse);
    let step = alias.as_ref().zip(query.step);
    record::recording_status(&state, &update, step).await;
    Ok(StatusCode::NO_CONTENT)
}

async fn transcription_status(
    State(state): State<AppState>,
    SignedForm(params): SignedForm,
) -> Result<StatusCode, WebhookError> {
    let update = TranscriptionCallback::from_params(&params)?;
    record::transcription(&state, &update).await;
    Ok(StatusCode::NO_CONTENT)
}

fn xml(body: String) -> Response {
    ([(CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

/// The flow's answer once its event is stored; the apology when either failed.
fn stored_answer(
    answer: Result<VoiceOutcome, flow::FlowError>,
    stored: anyhow::Result<()>,
) -> Response {
    voice_answer(
        answer
            .map_err(anyhow::Error::from)
            .and_then(|o| stored.map(|()| o)),
    )
}

/// The one place a voice answer is rendered: the flow's TwiML, or an apology and a hang-up.
fn voice_answer(outcome: anyhow::Result<VoiceOutcome>) -> Response {
    match outcome {
        Ok(outcome) => xml(outcome.twiml.to_xml()),
        Err(error) => {
            tracing::error!(
                error = format!("{error:#}"),
                "call flow failed; answering with an apology"
            );
            let mut twiml = VoiceResponse::new();
            twiml.push(Verb::Say(twiml::Say {
                text: "Sorry, this call cannot be connected right now. Please try again later."
                    .into(),
                ..Default::default()
            }));
            twiml.push(Verb::Hangup);
            xml(twiml.to_xml())
        }
    }
}

/// The one place a messaging answer is rendered: the flow's TwiML, or an empty response.
fn message_answer(outcome: anyhow::Result<MessageOutcome>) -> Response {
    match outcome {
        Ok(outcome) => xml(outcome.twiml.to_xml()),
        Err(error) => {
            tracing::error!(
                error = format!("{error:#}"),
                "message flow failed; answering with an empty response"
            );
            xml(MessagingResponse::new().to_xml())
        }
    }
}
