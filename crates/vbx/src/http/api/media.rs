//! Media: the files of received MMS and voicemails (vbx's cached copy, fetched from Twilio
//! with the account's credentials the first time), and the images users upload, which Twilio
//! fetches from an unguessable `/flow/media/<id>` URL because it never signs those requests.
//! Received media also have unguessable links (`/flow/media/in/...`, see `media_link.rs`) for
//! forwarding to phones, XMPP clients and email.

use std::path::{Path, PathBuf};

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use rand::RngCore;

use super::{ApiError, ApiPath};
use crate::http::auth::User;
use crate::http::{Access, AppState, Route};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/flow/media/{id}", Access::Capability).get(outgoing),
        Route::new("/flow/media/in/{sid}/{idx}/{token}", Access::Capability).get(incoming_link),
        Route::new("/api/media/{sid}/{idx}", Access::User).get(message_media),
        Route::new("/flow/media/rec/{sid}/{token}", Access::Capability).get(recording_link),
        Route::new("/api/recordings/{sid}", Access::User).get(recording),
    ]
}

/// Each uploaded file.
pub const MAX_UPLOAD_BYTES: usize = 5 * 1024 * 1024;
/// Files per text (Twilio's limit).
pub const MAX_UPLOADS: usize = 10;
/// What vbx downloads from Twilio for one media item or recording.
const MAX_DOWNLOAD_BYTES: usize = 64 * 1024 * 1024;

pub const OUT_DIR: &str = "media/out";

/// The type of an image vbx accepts for MMS, from its first bytes.
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

fn sniff_audio(bytes: &[u8]) -> &'static str {
    if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WAVE" {
        "audio/x-wav"
    } else if bytes.starts_with(b"ID3") || bytes.starts_with(&[0xFF, 0xFB]) {
        "audio/mpeg"
    } else {
        "application/octet-stream"
    }
}

/// A random id for an upload: 128 bits as 32 lowercase hex digits.
fn upload_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn is_upload_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// SIDs become file names: letters and digits only.
fn is_safe_sid(sid: &str) -> bool {
    !sid.is_empty() && sid.len() <= 64 && sid.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Writes `bytes` to `relative` under the data directory (see `private_files`).
async fn write_file(data_dir: &Path, relative: &str, bytes: &[u8]) -> std::io::Result<()> {
    crate::private_files::write_atomically(&data_dir.join(relative), bytes).await
}

/// Saves an uploaded image; returns its id and its path relative to the data directory.
pub async fn save_upload(data_dir: &Path, bytes: &[u8]) -> std::io::Result<(String, String)> {
    let id = upload_id();
    let relative = format!("{OUT_DIR}/{id}");
    write_file(data_dir, &relative, bytes).await?;
    Ok((id, relative))
}

/// Removes files vbx kept (paths relative to the data directory); missing ones are fine.
pub async fn remove_files(data_dir: &Path, relative: &[String]) {
    for path in relative {
        if let Err(e) = tokio::fs::remove_file(data_dir.join(path)).await {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(error = %e, path, "cannot remove a media file");
            }
        }
    }
}

async fn read_if_present(path: PathBuf) -> Result<Option<Vec<u8>>, ApiError> {
    match tokio::fs::read(&path).await {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ApiError::internal(
            anyhow::Error::new(e).context(format!("reading {}", path.display())),
        )),
    }
}

/// A file as the browser gets it. Media comes from strangers: it never runs as a page of
/// vbx's origin (sandboxed, no sniffing), and what is not an image, audio or video downloads.
fn file_response(bytes: Vec<u8>, content_type: &str, cache: &'static str) -> Response {
    let content_type = HeaderValue::from_str(content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    let inline = content_type
        .to_str()
        .map(|t| t.starts_with("image/") || t.starts_with("audio/") || t.starts_with("video/"))
        .unwrap_or(false);
    let mut response = (
        [
            (CONTENT_TYPE, content_type),
            (CACHE_CONTROL, HeaderValue::from_static(cache)),
            (
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                axum::http::header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ),
        ],
        bytes,
    )
        .into_response();
    if !inline {
        response
            .headers_mut()
            .insert(CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    }
    response
}

/// `GET /flow/media/{id}`: an uploaded image, for Twilio to attach to an MMS.
pub async fn outgoing(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound("no such media".into());
    if !is_upload_id(&id) {
        return Err(not_found());
    }
    let path = state.config.server.data_dir.join(OUT_DIR).join(&id);
    let bytes = read_if_present(path).await?.ok_or_else(not_found)?;
    let content_type = sniff_image(&bytes).unwrap_or("application/octet-stream");
    Ok(file_response(bytes, content_type, "public, max-age=86400"))
}

/// `GET /api/media/{sid}/{idx}`: a media item of a message.
pub async fn message_media(
    State(state): State<AppState>,
    _user: User,
    ApiPath((sid, idx)): ApiPath<(String, i64)>,
) -> Result<Response, ApiError> {
    serve_message_media(&state, &sid, idx).await
}

/// `GET /flow/media/in/{sid}/{idx}/{token}`: a media item of an incoming text, for whoever
/// vbx handed the link to (Twilio forwarding it as MMS, an XMPP client, an email reader).
/// A wrong token is the same 404 as a missing item.
pub async fn incoming_link(
    State(state): State<AppState>,
    ApiPath((sid, idx, token)): ApiPath<(String, i64, String)>,
) -> Result<Response, ApiError> {
    if !state.media_links.verify(&sid, idx, &token) {
        return Err(ApiError::NotFound("no such media".into()));
    }
    // Whoever holds the link is outside vbx: what went wrong goes to the log, not to them.
    serve_message_media(&state, &sid, idx)
        .await
        .map_err(|e| match e {
            ApiError::Twilio(detail) => {
                tracing::warn!(sid, idx, error = detail, "a media link could not be served");
                ApiError::Twilio("this media is not available right now".into())
            }
            other => other,
        })
}

/// Media item `idx` of message `sid`: vbx's copy, or fetched from Twilio (with the account's
/// credentials) and kept.
async fn serve_message_media(state: &AppState, sid: &str, idx: i64) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound(format!("message {sid} has no media {idx}"));
    if !is_safe_sid(sid) {
        return Err(not_found());
    }
    let media = state.store.media_of(sid).await?;
    let item = media
        .into_iter()
        .find(|m| m.idx == idx)
        .ok_or_else(not_found)?;
    let data_dir = &state.config.server.data_dir;
    if let Some(local) = &item.local_path {
        if let Some(bytes) = read_if_present(data_dir.join(local)).await? {
            return Ok(file_response(
                bytes,
                &item.content_type,
                "private, max-age=86400",
            ));
        }
    }
    let result = state.twilio.download(&item.url, MAX_DOWNLOAD_BYTES).await;
    state.health.record(&result);
    let (fetched_type, bytes) =
        result.map_err(|e| ApiError::from_twilio(&e, &format!("media {idx} of {sid}")))?;
    // The same place the background media download uses, so whichever fetches first wins
    // and neither writes a second copy.
    let Some(relative) = crate::worker::inbound_media::relative_path(sid, idx) else {
        return Err(not_found());
    };
    match write_file(data_dir, &relative, &bytes).await {
        Ok(()) => {
            state.store.media_fetched(sid, idx, &relative).await?;
        }
        Err(e) => tracing::warn!(error = %e, path = relative, "cannot cache a media file"),
    }
    let content_type = if item.content_type.is_empty() {
        fetched_type.unwrap_or_else(|| "application/octet-stream".into())
    } else {
        item.content_type
    };
    Ok(file_response(
        bytes,
        &content_type,
        "private, max-age=86400",
    ))
}

/// `GET /api/recordings/{sid}`: a voicemail's or a recorded call's audio.
pub async fn recording(
    State(state): State<AppState>,
    _user: User,
    ApiPath(sid): ApiPath<String>,
) -> Result<Response, ApiError> {
    serve_recording(&state, &sid).await
}

/// `GET /flow/media/rec/{sid}/{token}`: a recording for whoever a voicemail notice went to
/// (a phone, an XMPP client, an email reader). A wrong token is the same 404 as no recording.
pub async fn recording_link(
    State(state): State<AppState>,
    ApiPath((sid, token)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    if !state.media_links.verify_recording(&sid, &token) {
        return Err(ApiError::NotFound("no such recording".into()));
    }
    serve_recording(&state, &sid).await.map_err(|e| match e {
        ApiError::Twilio(detail) => {
            tracing::warn!(sid, error = detail, "a recording link could not be served");
            ApiError::Twilio("this recording is not available right now".into())
        }
        other => other,
    })
}

/// vbx's copy of recording `sid`, or Twilio's (fetched with the account's credentials, and
/// kept).
async fn serve_recording(state: &AppState, sid: &str) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound(format!("no recording {sid}"));
    // Where the recordings worker puts its download.
    let relative = crate::worker::recordings::recording_path(sid).ok_or_else(not_found)?;
    let row = state.store.recording(sid).await?.ok_or_else(not_found)?;
    let data_dir = &state.config.server.data_dir;
    if let Some(bytes) = read_if_present(data_dir.join(&relative)).await? {
        let content_type = sniff_audio(&bytes);
        return Ok(file_response(bytes, content_type, "private, max-age=86400"));
    }
    let result = state.twilio.download(&row.url, MAX_DOWNLOAD_BYTES).await;
    state.health.record(&result);
    let (fetched_type, bytes) =
        result.map_err(|e| ApiError::from_twilio(&e, &format!("recording {sid}")))?;
    if let Err(e) = write_file(data_dir, &relative, &bytes).await {
        tracing::warn!(error = %e, path = relative, "cannot cache a recording");
    }
    let content_type = match sniff_audio(&bytes) {
        "application/octet-stream" => fetched_type.unwrap_or_else(|| "audio/x-wav".into()),
        known => known.to_owned(),
    };
    Ok(file_response(
        bytes,
        &content_type,
        "private, max-age=86400",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_recognised_by_their_first_bytes() {
        assert_eq!(
            sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0, 0]),
            Some("image/jpeg")
        );
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff_image(b"GIF89a..."), Some("image/gif"));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WAVEfmt "), None);
        assert_eq!(sniff_image(b"<html><script>"), None);
        assert_eq!(sniff_image(b""), None);
    }

    #[test]
    fn upload_ids_are_32_hex_digits_and_nothing_else_passes() {
        let id = upload_id();
        assert!(is_upload_id(&id), "{id}");
        assert_ne!(id, upload_id());
        for bad in ["", "../../etc/passwd", &"A".repeat(32), &"0".repeat(31)] {
            assert!(!is_upload_id(bad), "{bad}");
        }
        assert!(is_safe_sid("MM0123abcd"));
        assert!(!is_safe_sid("MM/../x"));
    }

    #[test]
    fn media_that_is_not_an_image_audio_or_video_downloads_instead_of_rendering() {
        let html = file_response(b"<script>".to_vec(), "text/html", "private");
        assert_eq!(html.headers()[CONTENT_DISPOSITION], "attachment");
        assert_eq!(
            html.headers()[axum::http::header::CONTENT_SECURITY_POLICY],
            "default-src 'none'; sandbox"
        );
        let image = file_response(vec![1], "image/png", "private");
        assert!(image.headers().get(CONTENT_DISPOSITION).is_none());
    }
}
