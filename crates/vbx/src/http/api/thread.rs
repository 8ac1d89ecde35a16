//! One thread: messages, calls and voicemails with one number, newest first; and what the
//! user decides about it: read, unread, archived, blocked.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::{encode_cursor, party, ApiError, ApiPath, ApiQuery, Paging};
use crate::config::Device;
use crate::http::auth::User;
use crate::http::{Access, AppState, Route};
use crate::store::inbox::Mark;
use crate::store::now_ms;

pub fn routes() -> Vec<Route> {
    let user = |path| Route::new(path, Access::User);
    vec![
        user("/api/threads/{number}").get(show),
        user("/api/threads/{number}/read").post(mark_read),
        user("/api/threads/{number}/unread").post(mark_unread),
        user("/api/threads/{number}/archived")
            .put(archive)
            .delete(unarchive),
        user("/api/threads/{number}/blocked")
            .put(block)
            .delete(unblock),
        user("/api/conversations/read").post(mark_all_read),
        user("/api/blocked").get(blocked),
    ]
}

pub async fn show(
    State(state): State<AppState>,
    _user: User,
    ApiPath(number): ApiPath<String>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<Value>, ApiError> {
    let number = party(&number)?;
    let view = state
        .store
        .thread(&number, paging.before()?.as_ref(), paging.limit())
        .await?;
    Ok(Json(json!({
        "number": number,
        "name": view.name,
        "archived": view.marks.archived,
        "blocked": view.marks.blocked,
        "items": view.page.items,
        "next": view.page.next.as_ref().map(encode_cursor),
    })))
}

/// Marks the thread's inbound messages read and its voicemails heard, and tells every tab the
/// new counts.
pub async fn mark_read(
    State(state): State<AppState>,
    _user: User,
    ApiPath(number): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let number = party(&number)?;
    let hidden = state.config.hidden_numbers();
    let changes = state
        .store
        .mark_thread_read(&number, &hidden, now_ms())
        .await?;
    state.events.publish_changes(changes);
    Ok(StatusCode::NO_CONTENT)
}

/// Marks the thread's newest incoming text unread (409 when it has none).
pub async fn mark_unread(
    State(state): State<AppState>,
    _user: User,
    ApiPath(number): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let number = party(&number)?;
    let hidden = state.config.hidden_numbers();
    let changed = state
        .store
        .mark_thread_unread(&number, &hidden, now_ms())
        .await?;
    let Some(changes) = changed else {
        return Err(ApiError::Conflict(format!(
            "{number} sent no text to mark unread"
        )));
    };
    state.events.publish_changes(changes);
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT …/archived` archives the thread (and marks it read); `DELETE` brings it back.
pub async fn archive(
    State(state): State<AppState>,
    _user: User,
    ApiPath(number): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    set_mark(&state, &number, Mark::Archived, true).await
}

pub async fn unarchive(
    State(state): State<AppState>,
    _user: User,
    ApiPath(number): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    set_mark(&state, &number, Mark::Archived, false).await
}

/// `PUT …/blocked` blocks the number: its calls are rejected and its texts stored without
/// running a flow. `DELETE` unblocks it.
pub async fn block(
    State(state): State<AppState>,
    _user: User,
    ApiPath(number): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    set_mark(&state, &number, Mark::Blocked, true).await
}

pub async fn unblock(
    State(state): State<AppState>,
    _user: User,
    ApiPath(number): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    set_mark(&state, &number, Mark::Blocked, false).await
}

async fn set_mark(
    state: &AppState,
    number: &str,
    mark: Mark,
    on: bool,
) -> Result<Json<Value>, ApiError> {
    let number = party(number)?;
    let own = number == state.config.twilio.number.as_str()
        || state
            .config
            .devices
            .values()
            .any(|device| matches!(device, Device::Sms { number: n } if n.as_str() == number));
    if mark == Mark::Blocked && on && own {
        // Blocking a forwarding cell would swallow the user's own replies.
        return Err(ApiError::BadRequest(format!(
            "{number} is vbx's own number or one of its devices and cannot be blocked"
        )));
    }
    let hidden = state.config.hidden_numbers();
    let (marks, changes) = state
        .store
        .set_conversation_mark(&number, mark, on, &hidden, now_ms())
        .await?;
    if mark == Mark::Blocked {
        // The webhooks see the change at once. Should the reload fail, the change is stored
        // and applies from the next change or restart; a stored change is not failed for it.
        if let Err(e) = state.blocked.reload(&state.store).await {
            tracing::error!(error = %e, "cannot reload the blocked numbers for the webhooks");
        }
    }
    state.events.publish_changes(changes);
    Ok(Json(
        json!({ "number": number, "archived": marks.archived, "blocked": marks.blocked }),
    ))
}

/// The blocked numbers, most recently blocked first.
pub async fn blocked(State(state): State<AppState>, _user: User) -> Result<Json<Value>, ApiError> {
    let items = state.store.blocked_numbers().await?;
    Ok(Json(json!({ "items": items })))
}

/// Marks every conversation read.
pub async fn mark_all_read(
    State(state): State<AppState>,
    _user: User,
) -> Result<Json<Value>, ApiError> {
    let hidden = state.config.hidden_numbers();
    let (threads, changes) = state.store.mark_all_read(&hidden, now_ms()).await?;
    state.events.publish_changes(changes);
    Ok(Json(json!({ "threads": threads })))
}
