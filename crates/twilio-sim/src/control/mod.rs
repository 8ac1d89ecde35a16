//! The control API under `/_sim/` (JSON, loopback only, no auth): what tests and the demo use
//! to add numbers and recordings, inspect what was sent and which REST requests came in, arm
//! faults, move the clock, reset, and (in [`scenario`]) to drive traffic and tune the simulation.

mod calls;
mod scenario;

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{from_fn, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use twilio::{CallSid, PhoneNumber};

use crate::error::SimError;
use crate::fault::DeliveryError;
use crate::Sim;

/// An error of the control API: `{"error": "..."}`.
struct ControlError(StatusCode, String);

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<SimError> for ControlError {
    fn from(e: SimError) -> Self {
        let status = match e {
            SimError::NotFound(_) => StatusCode::NOT_FOUND,
            SimError::AlreadyExists(_) => StatusCode::CONFLICT,
            SimError::Invalid(_) => StatusCode::BAD_REQUEST,
            SimError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
        };
        Self(status, e.to_string())
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ControlError> {
    serde_json::from_slice(body)
        .map_err(|e| ControlError(StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}")))
}

pub(crate) fn router(sim: Sim) -> Router {
    Router::new()
        .route("/messages", get(messages))
        .route("/calls", get(calls))
        .route("/requests", get(requests).delete(clear_requests))
        .route("/numbers", post(add_number))
        .route("/recordings", get(recordings).post(add_recording))
        .route("/faults", delete(clear_faults))
        .route("/faults/errors", post(fail_requests))
        .route("/faults/delay", post(delay_requests))
        .route("/faults/destinations", post(fail_destination))
        .route("/clock", post(advance_clock))
        .route("/reset", post(reset))
        .merge(scenario::routes())
        .merge(calls::routes())
        .layer(from_fn(loopback_only))
        .with_state(sim)
}

/// Refuses peers that are not on this machine. Without connection info (the router driven
/// in-process) there is no peer to refuse.
async fn loopback_only(request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    match peer {
        Some(ip) if !ip.is_loopback() => ControlError(
            StatusCode::FORBIDDEN,
            "the control API only answers on loopback".to_owned(),
        )
        .into_response(),
        _ => next.run(request).await,
    }
}

async fn messages(State(sim): State<Sim>) -> Json<Value> {
    Json(sim.with_state(
        |s| json!({ "messages": s.messages.iter().map(|m| m.to_json(s)).collect::<Vec<_>>() }),
    ))
}

async fn requests(State(sim): State<Sim>) -> Json<Value> {
    Json(sim.rest_requests().to_json())
}

async fn clear_requests(State(sim): State<Sim>) -> StatusCode {
    sim.clear_rest_requests();
    StatusCode::NO_CONTENT
}

async fn calls(State(sim): State<Sim>) -> Json<Value> {
    Json(sim.with_state(
        |s| json!({ "calls": s.calls.iter().map(|c| c.to_json(s)).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewNumber {
    phone_number: String,
    friendly_name: Option<String>,
}

async fn add_number(
    State(sim): State<Sim>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ControlError> {
    let new: NewNumber = parse(&body)?;
    let number = PhoneNumber::parse(&new.phone_number)
        .map_err(|e| ControlError(StatusCode::BAD_REQUEST, e.to_string()))?;
    let json = sim.with_state(|s| {
        s.add_number(number, new.friendly_name)
            .map(|n| n.to_json(s))
    })?;
    Ok((StatusCode::CREATED, Json(json)))
}

/// The recordings held (a deleted one is gone), oldest first, as the REST API shows them.
async fn recordings(State(sim): State<Sim>) -> Json<Value> {
    Json(sim.with_state(
        |s| json!({ "recordings": s.recordings.iter().map(|r| r.to_json(s)).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewRecording {
    call_sid: String,
    duration: u32,
}

async fn add_recording(
    State(sim): State<Sim>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ControlError> {
    let new: NewRecording = parse(&body)?;
    let call = CallSid::parse(&new.call_sid)
        .map_err(|e| ControlError(StatusCode::BAD_REQUEST, e.to_string()))?;
    let recording = sim.add_recording(&call, new.duration)?;
    Ok((
        StatusCode::CREATED,
        Json(sim.with_state(|s| recording.to_json(s))),
    ))
}

fn seconds(value: f64) -> Result<Duration, ControlError> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        ControlError(
            StatusCode::BAD_REQUEST,
            format!("{value} is not a number of seconds"),
        )
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FailRequests {
    /// Fail this many requests…
    count: Option<u32>,
    /// …or every request for this many seconds.
    seconds: Option<f64>,
}

async fn fail_requests(State(sim): State<Sim>, body: Bytes) -> Result<StatusCode, ControlError> {
    let req: FailRequests = parse(&body)?;
    match (req.count, req.seconds) {
        (Some(n), None) => sim.fail_next_requests(n),
        (None, Some(secs)) => sim.fail_requests_for(seconds(secs)?),
        _ => {
            return Err(ControlError(
                StatusCode::BAD_REQUEST,
                "give exactly one of count and seconds".to_owned(),
            ))
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DelayRequests {
    /// How long each answer is held (the request itself is carried out at once).
    delay_ms: u64,
    /// For how long arriving requests are held.
    seconds: f64,
}

async fn delay_requests(State(sim): State<Sim>, body: Bytes) -> Result<StatusCode, ControlError> {
    let req: DelayRequests = parse(&body)?;
    sim.delay_requests_for(Duration::from_millis(req.delay_ms), seconds(req.seconds)?);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FailDestination {
    to: String,
    error_code: u32,
}

async fn fail_destination(State(sim): State<Sim>, body: Bytes) -> Result<StatusCode, ControlError> {
    let req: FailDestination = parse(&body)?;
    let error = DeliveryError::from_code(req.error_code).ok_or_else(|| {
        ControlError(
            StatusCode::BAD_REQUEST,
            format!(
                "error_code {} is not a simulated delivery failure (30001, 30003-30008, 11200)",
                req.error_code
            ),
        )
    })?;
    sim.fail_messages_to(&req.to, error);
    Ok(StatusCode::NO_CONTENT)
}

async fn clear_faults(State(sim): State<Sim>) -> StatusCode {
    sim.clear_faults();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceClock {
    advance_seconds: u64,
}

async fn advance_clock(State(sim): State<Sim>, body: Bytes) -> Result<StatusCode, ControlError> {
    let req: AdvanceClock = parse(&body)?;
    sim.advance_clock(Duration::from_secs(req.advance_seconds));
    Ok(StatusCode::NO_CONTENT)
}

async fn reset(State(sim): State<Sim>) -> StatusCode {
    sim.reset();
    StatusCode::NO_CONTENT
}
