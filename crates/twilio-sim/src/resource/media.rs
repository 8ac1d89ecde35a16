//! Media of a message: list, fetch, delete, and the content itself at the same URI without
//! `.json` (behind the same HTTP basic auth, as Twilio enforces on media URLs).

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use twilio::{AccountSid, MediaSid, MessageSid};

use super::{json_sid, message, ACCOUNT};
use crate::error::ApiError;
use crate::form::QueryParams;
use crate::page::PageRequest;
use crate::sim::SimState;
use crate::time::rfc2822;
use crate::Sim;

/// Twilio's limit for all media of one message.
const MAX_MEDIA_BYTES: usize = 5 * 1024 * 1024;

/// A media item stored for a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub sid: MediaSid,
    pub parent_sid: MessageSid,
    pub content_type: String,
    pub content: Vec<u8>,
    /// The `MediaUrl` it was fetched from.
    pub source_url: String,
    pub date_created: DateTime<Utc>,
}

impl Media {
    /// The content URI (no `.json`), relative to the API's base URL.
    pub fn content_uri(&self, account: &AccountSid) -> String {
        format!(
            "/2010-04-01/Accounts/{account}/Messages/{}/Media/{}",
            self.parent_sid, self.sid
        )
    }

    pub(crate) fn to_json(&self, s: &SimState) -> Value {
        json!({
            "account_sid": s.account_sid,
            "content_type": self.content_type,
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_created),
            "parent_sid": self.parent_sid,
            "sid": self.sid,
            "uri": format!("{}.json", self.content_uri(&s.account_sid)),
        })
    }
}

/// What a successful media fetch brought back.
pub(crate) struct Fetched {
    pub url: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// Downloads a `MediaUrl` as Twilio would before sending an MMS.
pub(crate) async fn fetch(sim: &Sim, url: &str) -> Result<Fetched, String> {
    let client = sim
        .http()
        .ok_or_else(|| "the simulator has no HTTP client".to_owned())?;
    let mut response = client
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| e.to_string())?;
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let mut content = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if content.len() + chunk.len() > MAX_MEDIA_BYTES {
            return Err(format!("{url} is larger than 5 MB"));
        }
        content.extend_from_slice(&chunk);
    }
    // The last segment of a media URL may be a capability token (vbx's links are), and in
    // `vbx demo` this log is vbx's log.
    let shown = url.rsplit_once('/').map_or(url, |(head, _)| head);
    tracing::debug!(url = %format!("{shown}/…"), content_type, bytes = content.len(), "fetched media");
    Ok(Fetched {
        url: url.to_owned(),
        content_type,
        content,
    })
}

pub(super) fn routes() -> Router<Sim> {
    Router::new()
        .route(&format!("{ACCOUNT}/Messages/{{sid}}/Media.json"), get(list))
        .route(
            &format!("{ACCOUNT}/Messages/{{sid}}/Media/{{media}}"),
            get(fetch_one).delete(remove),
        )
}

async fn list(
    State(sim): State<Sim>,
    Path((_, message_sid)): Path<(String, String)>,
    uri: Uri,
    QueryParams(p): QueryParams,
) -> Result<Json<Value>, ApiError> {
    let page = PageRequest::parse(&p)?;
    let dates = p.date_filters("DateCreated")?;
    sim.with_state(|s| {
        let message =
            message::find(s, &message_sid).ok_or_else(|| ApiError::not_found(uri.path()))?;
        let items: Vec<&Media> = s
            .media
            .iter()
            .filter(|m| m.parent_sid == message.sid)
            .filter(|m| dates.iter().all(|d| d.matches(m.date_created)))
            .collect();
        Ok(Json(page.render(
            &items,
            |m| m.sid.as_str(),
            |m| m.to_json(s),
            &format!("{}/Messages/{}/Media.json", s.account_uri(), message.sid),
            "media_list",
        )))
    })
}

fn find<'a>(s: &'a SimState, message_sid: &str, media_sid: &str) -> Option<&'a Media> {
    s.media
        .iter()
        .find(|m| m.sid.as_str() == media_sid && m.parent_sid.as_str() == message_sid)
}

/// `ME….json` is the resource; `ME…` alone is the content.
async fn fetch_one(
    State(sim): State<Sim>,
    Path((_, message_sid, segment)): Path<(String, String, String)>,
    uri: Uri,
) -> Result<Response, ApiError> {
    sim.with_state(|s| match json_sid(&segment) {
        Some(media_sid) => find(s, &message_sid, media_sid)
            .map(|m| Json(m.to_json(s)).into_response())
            .ok_or_else(|| ApiError::not_found(uri.path())),
        None => find(s, &message_sid, &segment)
            .map(|m| {
                (
                    [(header::CONTENT_TYPE, m.content_type.clone())],
                    Body::from(m.content.clone()),
                )
                    .into_response()
            })
            .ok_or_else(|| ApiError::not_found(uri.path())),
    })
}

async fn remove(
    State(sim): State<Sim>,
    Path((_, message_sid, segment)): Path<(String, String, String)>,
    uri: Uri,
) -> Result<StatusCode, ApiError> {
    sim.with_state(|s| {
        let index = json_sid(&segment)
            .and_then(|media_sid| {
                s.media.iter().position(|m| {
                    m.sid.as_str() == media_sid && m.parent_sid.as_str() == message_sid
                })
            })
            .ok_or_else(|| ApiError::not_found(uri.path()))?;
        s.media.remove(index);
        Ok(StatusCode::NO_CONTENT)
    })
}
