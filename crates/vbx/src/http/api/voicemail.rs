//! The voicemail box: every voicemail newest first, how many are new, one marked heard, one
//! deleted here and (through the outbox, retried) at Twilio.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use twilio::RecordingSid;

use super::{encode_cursor, media, ApiError, ApiPath, ApiQuery, Paging};
use crate::http::auth::User;
use crate::http::{Access, AppState, Route};
use crate::store::now_ms;
use crate::worker::recordings::recording_path;

pub fn routes() -> Vec<Route> {
    let user = |path| Route::new(path, Access::User);
    vec![
        user("/api/voicemails").get(list),
        user("/api/voicemails/new").get(new_voicemails),
        user("/api/voicemails/{sid}").delete(delete),
        user("/api/voicemails/{sid}/heard").post(mark_heard),
    ]
}

/// A page of voicemails, newest first.
pub async fn list(
    State(state): State<AppState>,
    _user: User,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<Value>, ApiError> {
    let page = state
        .store
        .voicemails(paging.before()?.as_ref(), paging.limit())
        .await?;
    Ok(Json(json!({
        "items": page.items,
        "next": page.next.as_ref().map(encode_cursor),
    })))
}

/// `{"new": N}`: how many voicemails nobody has heard.
pub async fn new_voicemails(
    State(state): State<AppState>,
    _user: User,
) -> Result<Json<Value>, ApiError> {
    let new = state.store.new_voicemails().await?;
    Ok(Json(json!({ "new": new })))
}

fn recording_sid(sid: &str) -> Result<RecordingSid, ApiError> {
    RecordingSid::parse(sid)
        .map_err(|e| ApiError::BadRequest(format!("`{sid}` is not a recording SID: {e}")))
}

/// Marks the voicemail heard; every tab gets its item and the new count.
pub async fn mark_heard(
    State(state): State<AppState>,
    _user: User,
    ApiPath(sid): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    recording_sid(&sid)?;
    let changes = state
        .store
        .mark_voicemail_heard(&sid, now_ms())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no voicemail {sid}")))?;
    state.events.publish_changes(changes);
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes the voicemail here (with vbx's copy of the audio) and queues its deletion at
/// Twilio, which the recordings worker retries until Twilio has none.
pub async fn delete(
    State(state): State<AppState>,
    user: User,
    ApiPath(sid): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    recording_sid(&sid)?;
    let (deleted, changes) = state
        .store
        .delete_voicemail(&sid, now_ms())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no voicemail {sid}")))?;
    state.events.publish_changes(changes);
    // The worker's download and a copy fetched for playing are both kept at the SID's path.
    let mut files: Vec<String> = deleted.local_path.into_iter().collect();
    files.extend(recording_path(&sid).filter(|path| !files.contains(path)));
    media::remove_files(&state.config.server.data_dir, &files).await;
    tracing::info!(user = %user.name, %sid, "voicemail deleted");
    Ok(StatusCode::NO_CONTENT)
}
