//! Contacts: list, add, rename, delete. Every change is a `contact` event so open tabs
//! re-title their threads. (The flow engine still names senders from the configuration.)

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{party, phone_number, ApiError, ApiJson, ApiPath};
use crate::http::auth::User;
use crate::http::{Access, AppState, Route};
use crate::store::now_ms;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/api/contacts", Access::User)
            .get(list)
            .post(create),
        Route::new("/api/contacts/{number}", Access::User)
            .put(rename)
            .delete(delete),
    ]
}

const MAX_NAME_CHARS: usize = 100;

fn name(text: &str) -> Result<String, ApiError> {
    let name = text.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(ApiError::BadRequest(format!(
            "a contact's name is 1 to {MAX_NAME_CHARS} characters, without control characters"
        )));
    }
    Ok(name.to_owned())
}

pub async fn list(State(state): State<AppState>, _user: User) -> Result<Json<Value>, ApiError> {
    let items = state.store.contacts().await?;
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
pub struct NewContact {
    number: String,
    name: String,
}

pub async fn create(
    State(state): State<AppState>,
    _user: User,
    ApiJson(new): ApiJson<NewContact>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let number = phone_number(&new.number, "number")?.to_string();
    let name = name(&new.name)?;
    let Some(changes) = state.store.create_contact(&number, &name, now_ms()).await? else {
        return Err(ApiError::Conflict(format!(
            "{number} is already a contact; rename it with PUT /api/contacts/{number}"
        )));
    };
    reload_contacts(&state).await;
    state.events.publish_changes(changes);
    Ok((
        StatusCode::CREATED,
        Json(json!({ "number": number, "name": name })),
    ))
}

#[derive(Deserialize)]
pub struct Rename {
    name: String,
}

pub async fn rename(
    State(state): State<AppState>,
    _user: User,
    ApiPath(number): ApiPath<String>,
    ApiJson(rename): ApiJson<Rename>,
) -> Result<Json<Value>, ApiError> {
    let number = party(&number)?;
    let name = name(&rename.name)?;
    let Some(changes) = state.store.rename_contact(&number, &name, now_ms()).await? else {
        return Err(ApiError::NotFound(format!("{number} is not a contact")));
    };
    reload_contacts(&state).await;
    state.events.publish_changes(changes);
    Ok(Json(json!({ "number": number, "name": name })))
}

pub async fn delete(
    State(state): State<AppState>,
    _user: User,
    ApiPath(number): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let number = party(&number)?;
    let Some(changes) = state.store.delete_contact(&number, now_ms()).await? else {
        return Err(ApiError::NotFound(format!("{number} is not a contact")));
    };
    reload_contacts(&state).await;
    state.events.publish_changes(changes);
    Ok(StatusCode::NO_CONTENT)
}

/// The flows see a change at once. The change is stored either way; should the reload fail,
/// the flows keep the names they had until the next change or restart.
async fn reload_contacts(state: &AppState) {
    if let Err(e) = state.contacts.reload(&state.store).await {
        tracing::error!(error = %e, "cannot reload the contacts for the flows");
    }
}
