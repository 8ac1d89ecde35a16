//! Sending a text (JSON, or multipart with images) through the outbox, and deleting a message
//! here and at Twilio.

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use twilio::MessageSid;

use super::media::{self, MAX_UPLOADS, MAX_UPLOAD_BYTES};
use super::{phone_number, ApiError, ApiPath};
use crate::http::auth::User;
use crate::http::{Access, AppState, Route};
use crate::store::now_ms;
use crate::store::outbox::SMS;
use crate::worker::sender::{LocalMedia, SmsPayload};

/// Twilio's limit on a message body.
const MAX_BODY_CHARS: usize = 1600;

pub fn routes() -> Vec<Route> {
    vec![
        // A body limit that fits ten images.
        Route::new("/api/messages", Access::User)
            .post(send)
            .body_limit(MAX_UPLOADS * MAX_UPLOAD_BYTES + 64 * 1024),
        Route::new("/api/messages/{sid}", Access::User).delete(delete),
        Route::new("/api/outbox/{id}", Access::User).delete(delete_failed),
    ]
}

#[derive(Deserialize)]
struct JsonText {
    to: String,
    #[serde(default)]
    body: String,
}

/// What the request asks to send, before anything is stored.
struct Draft {
    to: String,
    body: String,
    images: Vec<Vec<u8>>,
}

async fn read_multipart(mut form: Multipart) -> Result<Draft, ApiError> {
    let field_error = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(format!(
                "at most {MAX_UPLOADS} images of {} MB each",
                MAX_UPLOAD_BYTES / (1024 * 1024)
            ))
        } else {
            ApiError::BadRequest(format!("unreadable form: {}", e.body_text()))
        }
    };
    let mut to = None;
    let mut body = String::new();
    let mut images = Vec::new();
    while let Some(mut field) = form.next_field().await.map_err(field_error)? {
        match field.name() {
            Some("to") => to = Some(field.text().await.map_err(field_error)?),
            Some("body") => body = field.text().await.map_err(field_error)?,
            Some("media") => {
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(field_error)? {
                    if bytes.len() + chunk.len() > MAX_UPLOAD_BYTES {
                        return Err(ApiError::TooLarge(format!(
                            "each image may be at most {} MB",
                            MAX_UPLOAD_BYTES / (1024 * 1024)
                        )));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                // A file input left empty still sends an empty part.
                if bytes.is_empty() {
                    continue;
                }
                if images.len() == MAX_UPLOADS {
                    return Err(ApiError::TooLarge(format!(
                        "at most {MAX_UPLOADS} images per text"
                    )));
                }
                images.push(bytes);
            }
            _ => {}
        }
    }
    let to = to.ok_or_else(|| ApiError::BadRequest("`to` is missing".into()))?;
    Ok(Draft { to, body, images })
}

/// `POST /api/messages`: queues the text; the sender delivers it and the thread follows its
/// status through `/ws`.
pub async fn send(
    State(state): State<AppState>,
    user: User,
    request: Request,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let multipart = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let draft = if multipart {
        let form = Multipart::from_request(request, &state)
            .await
            .map_err(|e| ApiError::BadRequest(e.body_text()))?;
        read_multipart(form).await?
    } else {
        let Json(text) = Json::<JsonText>::from_request(request, &state).await?;
        Draft {
            to: text.to,
            body: text.body,
            images: Vec::new(),
        }
    };
    let to = phone_number(&draft.to, "to")?;
    if draft.body.trim().is_empty() && draft.images.is_empty() {
        return Err(ApiError::BadRequest(
            "a text needs a body or an image".into(),
        ));
    }
    if draft.body.chars().count() > MAX_BODY_CHARS {
        return Err(ApiError::BadRequest(format!(
            "the body is longer than Twilio's {MAX_BODY_CHARS} characters"
        )));
    }
    let mut types = Vec::with_capacity(draft.images.len());
    for (i, image) in draft.images.iter().enumerate() {
        let kind = media::sniff_image(image).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "file {} is not a JPEG, PNG, GIF or WebP image",
                i + 1
            ))
        })?;
        types.push(kind);
    }

    let data_dir = &state.config.server.data_dir;
    let mut urls = Vec::new();
    let mut local = Vec::new();
    for (image, content_type) in draft.images.iter().zip(types) {
        let saved = media::save_upload(data_dir, image).await;
        let (id, path) = match saved {
            Ok(saved) => saved,
            Err(e) => {
                let paths: Vec<String> =
                    local.iter().map(|m: &LocalMedia| m.path.clone()).collect();
                media::remove_files(data_dir, &paths).await;
                return Err(ApiError::internal(
                    anyhow::Error::new(e).context("saving an uploaded image"),
                ));
            }
        };
        urls.push(state.config.server.url_for(&format!("/flow/media/{id}")));
        local.push(LocalMedia {
            path,
            content_type: content_type.to_owned(),
        });
    }
    let payload = SmsPayload {
        to: to.to_string(),
        from: state.config.twilio.number.to_string(),
        body: draft.body,
        media: urls,
        local_media: local,
    };
    let queued = enqueue(&state, &payload).await;
    let id = match queued {
        Ok(id) => id,
        Err(e) => {
            let paths: Vec<String> = payload.local_media.iter().map(|m| m.path.clone()).collect();
            media::remove_files(data_dir, &paths).await;
            return Err(e);
        }
    };
    tracing::info!(user = %user.name, id, to = %payload.to, images = payload.media.len(), "text queued");
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "id": id, "status": "queued" })),
    ))
}

async fn enqueue(state: &AppState, payload: &SmsPayload) -> Result<i64, ApiError> {
    let value = serde_json::to_value(payload).map_err(ApiError::internal)?;
    let (id, changes) = state.store.queue_text(&value, now_ms()).await?;
    state.events.publish_changes(changes);
    Ok(id)
}

/// `DELETE /api/messages/{sid}`: at Twilio first (a message Twilio no longer has is fine),
/// then here, with vbx's copies of its media.
pub async fn delete(
    State(state): State<AppState>,
    user: User,
    ApiPath(sid): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let parsed = MessageSid::parse(&sid)
        .map_err(|e| ApiError::BadRequest(format!("`{sid}` is not a message SID: {e}")))?;
    if state.store.message(&sid).await?.is_none() {
        return Err(ApiError::NotFound(format!("no message {sid}")));
    }
    let result = state.twilio.delete_message(&parsed).await;
    state.health.record(&result);
    match result {
        Ok(()) => {}
        Err(e) if e.status() == Some(404) => {}
        Err(e) => return Err(ApiError::Twilio(e.to_string())),
    }
    if let Some((deleted, changes)) = state.store.delete_message(&sid, now_ms()).await? {
        state.events.publish_changes(changes);
        media::remove_files(&state.config.server.data_dir, &deleted.local_paths).await;
    }
    tracing::info!(user = %user.name, %sid, "message deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/outbox/{id}`: dismisses a text that failed before reaching Twilio (a text
/// still being sent cannot be taken back).
pub async fn delete_failed(
    State(state): State<AppState>,
    user: User,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    let Some(changes) = state.store.dismiss_failed_text(id, now_ms()).await? else {
        return Err(match state.store.outbox_row(id).await? {
            Some(item) if item.kind == SMS => ApiError::Conflict(format!(
                "text {id} is still being sent ({}); it cannot be deleted now",
                item.status.as_str()
            )),
            _ => ApiError::NotFound(format!("no failed text {id}")),
        });
    };
    state.events.publish_changes(changes);
    tracing::info!(user = %user.name, id, "failed text dismissed");
    Ok(StatusCode::NO_CONTENT)
}
