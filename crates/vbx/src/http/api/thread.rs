//! One thread: messages, calls and voicemails with one number, newest first; and marking it
//! read.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::{encode_cursor, party, ApiError, ApiPath, ApiQuery, Paging};
use crate::http::auth::User;
use crate::http::AppState;
use crate::record::Published;
use crate::store::event as feed;
use crate::store::{contact, history, message, now_ms};

pub async fn show(
    State(state): State<AppState>,
    _user: User,
    ApiPath(number): ApiPath<String>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<Value>, ApiError> {
    let number = party(&number)?;
    let mut conn = state.store.pool().acquire().await?;
    let page = history::thread(
        &mut conn,
        &number,
        paging.before()?.as_ref(),
        paging.limit(),
    )
    .await?;
    let name = contact::get(&mut *conn, &number).await?.map(|c| c.name);
    Ok(Json(json!({
        "number": number,
        "name": name,
        "items": page.items,
        "next": page.next.as_ref().map(encode_cursor),
    })))
}

/// Marks the thread's inbound messages read and tells every tab the new counts.
pub async fn mark_read(
    State(state): State<AppState>,
    _user: User,
    ApiPath(number): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let number = party(&number)?;
    let now = now_ms();
    let mut tx = state.store.writer().begin().await?;
    let changed = message::mark_thread_read(&mut *tx, &number, now).await?;
    let mut out = Published::default();
    if changed > 0 {
        let hidden = state.config.hidden_numbers();
        out.push(Some(
            feed::unread_changed(&mut tx, &number, &hidden, now).await?,
        ));
    }
    tx.commit().await?;
    out.publish(&state.events);
    Ok(StatusCode::NO_CONTENT)
}
