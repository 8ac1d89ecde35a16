//! API keys: create (the secret is shown only then), list, fetch, rename, delete. As on Twilio,
//! only the account's own credentials (not a standard key) may manage keys.

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::routing::get;
use axum::{Extension, Json, Router};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use twilio::ApiKeySid;

use super::{friendly_name, json_sid, ACCOUNT};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::form::{FormParams, QueryParams};
use crate::page::PageRequest;
use crate::sim::SimState;
use crate::time::rfc2822;
use crate::{sid, Sim};

/// An API key; its secret authenticates like the auth token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub sid: ApiKeySid,
    pub friendly_name: Option<String>,
    pub secret: String,
    pub date_created: DateTime<Utc>,
    pub date_updated: DateTime<Utc>,
}

impl ApiKey {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_updated),
            "friendly_name": self.friendly_name,
            "sid": self.sid,
        })
    }
}

pub(super) fn routes() -> Router<Sim> {
    Router::new()
        .route(&format!("{ACCOUNT}/Keys.json"), get(list).post(create))
        .route(
            &format!("{ACCOUNT}/Keys/{{sid}}"),
            get(fetch).post(update).delete(remove),
        )
}

fn require_account(principal: &Principal) -> Result<(), ApiError> {
    match principal {
        Principal::Account => Ok(()),
        Principal::Key(_) => Err(ApiError::unauthenticated()),
    }
}

async fn create(
    State(sim): State<Sim>,
    Extension(principal): Extension<Principal>,
    FormParams(p): FormParams,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    require_account(&principal)?;
    let name = friendly_name(&p)?;
    sim.with_state(|s| {
        let now = s.now();
        let key = ApiKey {
            sid: sid::api_key(),
            friendly_name: name,
            secret: sid::secret(),
            date_created: now,
            date_updated: now,
        };
        let mut json = key.to_json();
        json["secret"] = Value::String(key.secret.clone());
        s.keys.push(key);
        Ok((StatusCode::CREATED, Json(json)))
    })
}

async fn list(
    State(sim): State<Sim>,
    Extension(principal): Extension<Principal>,
    QueryParams(p): QueryParams,
) -> Result<Json<Value>, ApiError> {
    require_account(&principal)?;
    let page = PageRequest::parse(&p)?;
    Ok(Json(sim.with_state(|s| {
        let items: Vec<&ApiKey> = s.keys.iter().rev().collect();
        page.render(
            &items,
            |k| k.sid.as_str(),
            |k| k.to_json(),
            &format!("{}/Keys.json", s.account_uri()),
            "keys",
        )
    })))
}

fn position(s: &SimState, segment: &str) -> Option<usize> {
    json_sid(segment).and_then(|sid| s.keys.iter().position(|k| k.sid.as_str() == sid))
}

async fn fetch(
    State(sim): State<Sim>,
    Extension(principal): Extension<Principal>,
    Path((_, segment)): Path<(String, String)>,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    require_account(&principal)?;
    sim.with_state(|s| {
        position(s, &segment)
            .map(|i| Json(s.keys[i].to_json()))
            .ok_or_else(|| ApiError::not_found(uri.path()))
    })
}

async fn update(
    State(sim): State<Sim>,
    Extension(principal): Extension<Principal>,
    Path((_, segment)): Path<(String, String)>,
    uri: Uri,
    FormParams(p): FormParams,
) -> Result<Json<Value>, ApiError> {
    require_account(&principal)?;
    let name = friendly_name(&p)?;
    sim.with_state(|s| {
        let now = s.now();
        let index = position(s, &segment).ok_or_else(|| ApiError::not_found(uri.path()))?;
        let key = &mut s.keys[index];
        if let Some(name) = name {
            key.friendly_name = Some(name);
            key.date_updated = now;
        }
        Ok(Json(key.to_json()))
    })
}

async fn remove(
    State(sim): State<Sim>,
    Extension(principal): Extension<Principal>,
    Path((_, segment)): Path<(String, String)>,
    uri: Uri,
) -> Result<StatusCode, ApiError> {
    require_account(&principal)?;
    sim.with_state(|s| {
        let index = position(s, &segment).ok_or_else(|| ApiError::not_found(uri.path()))?;
        s.keys.remove(index);
        Ok(StatusCode::NO_CONTENT)
    })
}
