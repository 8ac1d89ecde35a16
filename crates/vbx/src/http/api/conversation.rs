//! The conversation list: one row per other party, newest activity first.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{encode_cursor, ApiError, ApiQuery, Paging};
use crate::http::auth::User;
use crate::http::AppState;
use crate::store::history::{self, ConversationQuery};

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

pub async fn list(
    State(state): State<AppState>,
    _user: User,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let mut conn = state.store.pool().acquire().await?;
    let page = history::conversations(
        &mut conn,
        &ConversationQuery {
            search: query.q,
            hidden: state.config.hidden_numbers(),
            before: query.paging.before()?,
            limit: query.paging.limit(),
        },
    )
    .await?;
    Ok(Json(json!({
        "items": page.items,
        "next": page.next.as_ref().map(encode_cursor),
    })))
}
