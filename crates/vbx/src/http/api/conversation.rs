//! The conversation list: one row per other party, newest activity first; and the search of
//! what was said in them.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{decode_cursor, encode_cursor, ApiError, ApiQuery, Paging};
use crate::http::auth::User;
use crate::http::{Access, AppState, Route};
use crate::store::history::{ConversationQuery, View};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/api/conversations", Access::User).get(list),
        Route::new("/api/search", Access::User).get(search),
    ]
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    /// `inbox` (the default) or `archived`.
    #[serde(default)]
    view: View,
    #[serde(flatten)]
    paging: Paging,
}

pub async fn list(
    State(state): State<AppState>,
    _user: User,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let page = state
        .store
        .conversations(&ConversationQuery {
            search: query.q,
            view: query.view,
            hidden: state.config.hidden_numbers(),
            before: query.paging.before()?,
            limit: query.paging.limit(),
        })
        .await?;
    Ok(Json(json!({
        "items": page.items,
        "next": page.next.as_ref().map(encode_cursor),
    })))
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(flatten)]
    paging: Paging,
}

/// Texts and voicemail transcriptions that contain the words typed, newest first.
pub async fn search(
    State(state): State<AppState>,
    _user: User,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<Json<Value>, ApiError> {
    let before = match query.paging.before.as_deref().filter(|c| !c.is_empty()) {
        Some(cursor) => Some(decode_cursor(cursor)?.0),
        None => None,
    };
    let hits = state
        .store
        .search(
            &query.q,
            &state.config.hidden_numbers(),
            before,
            query.paging.limit(),
        )
        .await?;
    Ok(Json(json!({
        "items": hits.items,
        "next": hits.next.map(|rowid| encode_cursor(&(rowid, "search".to_owned()))),
    })))
}
