//! The call log, and hanging up a live call.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use twilio::CallSid;

use super::{encode_cursor, party, ApiError, ApiPath, ApiQuery, Paging};
use crate::http::auth::User;
use crate::http::{Access, AppState, Route};
use crate::store::history::{CallLogQuery, Direction};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/api/calls", Access::User).get(list),
        Route::new("/api/calls/{sid}/hangup", Access::User).post(hangup),
    ]
}

/// What a call can have been (`store::history`'s `call_outcome!`).
const OUTCOMES: [&str; 10] = [
    "answered",
    "voicemail",
    "missed",
    "rejected",
    "busy",
    "failed",
    "no-answer",
    "canceled",
    "ringing",
    "in-progress",
];

#[derive(Deserialize)]
pub struct ListQuery {
    direction: Option<String>,
    status: Option<String>,
    outcome: Option<String>,
    number: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

pub async fn list(
    State(state): State<AppState>,
    _user: User,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let direction = match query.direction.as_deref().filter(|d| !d.is_empty()) {
        None => None,
        Some("inbound") => Some(Direction::Inbound),
        Some("outbound") => Some(Direction::Outbound),
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "`direction` is `inbound` or `outbound`, not `{other}`"
            )))
        }
    };
    let outcome = query.outcome.filter(|o| !o.is_empty());
    if let Some(other) = outcome.as_deref().filter(|o| !OUTCOMES.contains(o)) {
        return Err(ApiError::BadRequest(format!(
            "`outcome` is one of {}, not `{other}`",
            OUTCOMES.join(", ")
        )));
    }
    let number = query
        .number
        .as_deref()
        .filter(|n| !n.is_empty())
        .map(party)
        .transpose()?;
    let page = state
        .store
        .call_log(&CallLogQuery {
            direction,
            status: query.status.filter(|s| !s.is_empty()),
            outcome,
            number,
            before: query.paging.before()?,
            limit: query.paging.limit(),
        })
        .await?;
    Ok(Json(json!({
        "items": page.items,
        "next": page.next.as_ref().map(encode_cursor),
    })))
}

pub async fn hangup(
    State(state): State<AppState>,
    user: User,
    ApiPath(sid): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let sid = CallSid::parse(&sid)
        .map_err(|e| ApiError::BadRequest(format!("`{sid}` is not a call SID: {e}")))?;
    let result = state.twilio.hangup_call(&sid).await;
    state.health.record(&result);
    result.map_err(|e| ApiError::from_twilio(&e, &format!("call {sid}")))?;
    tracing::info!(user = %user.name, %sid, "call hung up from the app");
    Ok(StatusCode::NO_CONTENT)
}
