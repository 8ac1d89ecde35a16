//! Control routes for calls: place an incoming call with a caller's script, read a call's
//! story (transcript, events, webhooks, legs), act as the party at either end.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use twilio::CallSid;

use super::{parse, ControlError};
use crate::voice::InboundCall;
use crate::Sim;

pub(super) fn routes() -> Router<Sim> {
    Router::new()
        .route("/calls/incoming", post(incoming_call))
        .route("/calls/{sid}", get(call))
        .route("/calls/{sid}/answer", post(answer))
        .route("/calls/{sid}/hangup", post(hangup))
        .route("/calls/{sid}/digits", post(digits))
}

fn call_sid(sid: &str) -> Result<CallSid, ControlError> {
    CallSid::parse(sid).map_err(|e| ControlError(StatusCode::BAD_REQUEST, e.to_string()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCall {
    from: String,
    to: String,
    #[serde(default)]
    digits: Vec<String>,
    hangup_after: Option<u32>,
    record_seconds: Option<u32>,
    transcription: Option<String>,
}

async fn incoming_call(
    State(sim): State<Sim>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ControlError> {
    let new: NewCall = parse(&body)?;
    let sid = sim.incoming_call(InboundCall {
        from: new.from,
        to: new.to,
        digits: new.digits,
        hangup_after: new.hangup_after,
        record_seconds: new.record_seconds,
        transcription: new.transcription,
    })?;
    Ok((StatusCode::CREATED, Json(json!({ "sid": sid }))))
}

async fn call(
    State(sim): State<Sim>,
    Path(sid): Path<String>,
) -> Result<Json<Value>, ControlError> {
    let sid = call_sid(&sid)?;
    let (call, children) = sim.read_state(|s| {
        let call = s.calls.iter().find(|c| c.sid == sid).map(|c| c.to_json(s));
        let children: Vec<Value> = s
            .calls
            .iter()
            .filter(|c| c.parent_call_sid.as_ref() == Some(&sid))
            .map(|c| c.to_json(s))
            .collect();
        (call, children)
    });
    let call = call.ok_or_else(|| ControlError(StatusCode::NOT_FOUND, format!("no call {sid}")))?;
    Ok(Json(json!({
        "call": call,
        "trace": sim.trace(sid.as_str()),
        "webhooks": sim.webhooks_of(sid.as_str()),
        "children": children,
    })))
}

async fn answer(
    State(sim): State<Sim>,
    Path(sid): Path<String>,
) -> Result<StatusCode, ControlError> {
    sim.answer_call(&call_sid(&sid)?)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn hangup(
    State(sim): State<Sim>,
    Path(sid): Path<String>,
) -> Result<StatusCode, ControlError> {
    sim.hangup_call(&call_sid(&sid)?)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Digits {
    digits: String,
}

async fn digits(
    State(sim): State<Sim>,
    Path(sid): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ControlError> {
    let req: Digits = parse(&body)?;
    sim.send_digits(&call_sid(&sid)?, &req.digits)?;
    Ok(StatusCode::NO_CONTENT)
}
