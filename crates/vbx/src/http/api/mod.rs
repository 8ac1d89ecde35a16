//! The JSON API for the web app (`docs/api.md` is the contract). The router is built from
//! [`super::ROUTES`]: each listed `/api` route maps to its handler here.

mod call;
mod contact;
mod conversation;
mod error;
pub mod media;
mod message;
pub mod metrics;
mod session;
mod status;
mod thread;
mod token;

use axum::extract::{FromRequest, FromRequestParts};
use axum::http::Method;
use axum::routing::{self, MethodRouter};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;

pub use error::ApiError;
pub use status::devices as status_devices;

use super::{Access, AppState, ROUTES};
use crate::store::history::Cursor;

/// The handler of a listed route; `None` for routes served elsewhere (webhooks, the WebSocket,
/// the web UI).
fn handler(method: &Method, path: &str) -> Option<MethodRouter<AppState>> {
    let get = *method == Method::GET;
    let post = *method == Method::POST;
    let put = *method == Method::PUT;
    let delete = *method == Method::DELETE;
    let handler = match path {
        "/api/login" if post => routing::post(session::login),
        "/api/logout" if post => routing::post(session::logout),
        "/api/session" if get => routing::get(session::show),
        "/api/conversations" if get => routing::get(conversation::list),
        "/api/threads/{number}" if get => routing::get(thread::show),
        "/api/threads/{number}/read" if post => routing::post(thread::mark_read),
        "/api/threads/{number}/unread" if post => routing::post(thread::mark_unread),
        "/api/threads/{number}/archived" if put => routing::put(thread::archive),
        "/api/threads/{number}/archived" if delete => routing::delete(thread::unarchive),
        "/api/threads/{number}/blocked" if put => routing::put(thread::block),
        "/api/threads/{number}/blocked" if delete => routing::delete(thread::unblock),
        "/api/conversations/read" if post => routing::post(thread::mark_all_read),
        "/api/blocked" if get => routing::get(thread::blocked),
        "/api/search" if get => routing::get(conversation::search),
        "/api/voicemails/new" if get => routing::get(thread::new_voicemails),
        "/api/calls" if get => routing::get(call::list),
        "/api/calls/{sid}/hangup" if post => routing::post(call::hangup),
        "/api/messages" if post => message::send_route(),
        "/api/messages/{sid}" if delete => routing::delete(message::delete),
        "/api/outbox/{id}" if delete => routing::delete(message::delete_failed),
        "/api/token" if get => routing::get(token::issue),
        "/api/media/{sid}/{idx}" if get => routing::get(media::message_media),
        "/api/recordings/{sid}" if get => routing::get(media::recording),
        "/api/contacts" if get => routing::get(contact::list),
        "/api/contacts" if post => routing::post(contact::create),
        "/api/contacts/{number}" if put => routing::put(contact::rename),
        "/api/contacts/{number}" if delete => routing::delete(contact::delete),
        "/api/status" if get => routing::get(status::show),
        "/healthz" if get => routing::get(metrics::healthz),
        "/metrics" if get => routing::get(metrics::metrics),
        "/flow/media/{id}" if get => routing::get(media::outgoing),
        "/flow/media/in/{sid}/{idx}/{token}" if get => routing::get(media::incoming_link),
        _ => return None,
    };
    Some(handler)
}

/// The API routes (and `/flow/media`), from [`ROUTES`].
pub fn router() -> Router<AppState> {
    ROUTES
        .iter()
        .filter(|(_, _, access)| *access != Access::Signed)
        .filter_map(|(method, path, _)| Some((*path, handler(method, path)?)))
        .fold(Router::new(), |router, (path, handler)| {
            router.route(path, handler)
        })
        .method_not_allowed_fallback(method_not_allowed)
}

/// Whatever no route matched (after the gate, so only a user or a `/flow` caller sees it).
pub async fn no_route() -> ApiError {
    ApiError::NoRoute
}

/// A route called with a method it does not take (axum's own 405 has no body).
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// `Json` whose rejection is an [`ApiError`].
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// `Query` whose rejection is an [`ApiError`].
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// `Path` whose rejection is an [`ApiError`].
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// `limit` and `before` of a list request.
#[derive(Debug, Default, Deserialize)]
pub struct Paging {
    #[serde(default, deserialize_with = "number_or_text")]
    pub limit: Option<u32>,
    pub before: Option<String>,
}

/// A query string holds text; inside `#[serde(flatten)]` serde no longer parses it as a
/// number by itself.
fn number_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(u32),
        Text(String),
    }
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Number(n)) => Ok(Some(n)),
        Some(Raw::Text(t)) if t.is_empty() => Ok(None),
        Some(Raw::Text(t)) => t
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("`limit` must be a number, not `{t}`"))),
    }
}

impl Paging {
    pub fn limit(&self) -> u32 {
        self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }

    pub fn before(&self) -> Result<Option<Cursor>, ApiError> {
        self.before
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(decode_cursor)
            .transpose()
    }
}

/// Cursors are opaque to clients: base64url of `at:key`, safe in a query string as is.
pub fn encode_cursor(cursor: &Cursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}", cursor.0, cursor.1))
}

pub fn decode_cursor(text: &str) -> Result<Cursor, ApiError> {
    let bad = || ApiError::BadRequest("`before` is not a cursor this API returned".into());
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (at, key) = text.split_once(':').ok_or_else(bad)?;
    Ok((at.parse().map_err(|_| bad())?, key.to_owned()))
}

/// A number as typed by a person (`(415) 555-0100`, `+1 415…`) in E.164.
pub fn phone_number(text: &str, what: &str) -> Result<twilio::PhoneNumber, ApiError> {
    twilio::PhoneNumber::parse_lenient(text)
        .map_err(|e| ApiError::BadRequest(format!("`{what}`: {e} (write it like +14155550100)")))
}

/// The other party of a thread: a phone number in E.164 when it reads as one, else taken as
/// written (short codes and alphanumeric sender IDs text too).
pub fn party(text: &str) -> Result<String, ApiError> {
    if let Ok(number) = twilio::PhoneNumber::parse_lenient(text) {
        return Ok(number.to_string());
    }
    let text = text.trim();
    if text.is_empty() || text.len() > 64 || text.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(format!(
            "`{text}` is not a number or sender id"
        )));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_a_bad_request() {
        let cursor = (1_700_000_000_123, "+15550000001".to_owned());
        let text = encode_cursor(&cursor);
        assert!(text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(decode_cursor(&text).unwrap(), cursor);
        let with_colon = (5, "outbox:12".to_owned());
        assert_eq!(
            decode_cursor(&encode_cursor(&with_colon)).unwrap(),
            with_colon
        );
        for bad in ["%%%", "bm9jb2xvbg", "eDox"] {
            assert!(
                matches!(decode_cursor(bad), Err(ApiError::BadRequest(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn every_api_route_in_the_list_has_a_handler() {
        for (method, path, access) in ROUTES {
            let served_here = path.starts_with("/api/") || path.starts_with("/flow/media/");
            if served_here {
                assert!(
                    handler(method, path).is_some(),
                    "{method} {path} ({access:?}) is listed but has no handler"
                );
            }
        }
    }

    #[test]
    fn parties_are_normalised_numbers_or_sender_ids() {
        assert_eq!(party("(415) 555-0100").unwrap(), "+14155550100");
        assert_eq!(party("+14155550100").unwrap(), "+14155550100");
        assert_eq!(party("VERIFY").unwrap(), "VERIFY");
        assert!(party("").is_err());
        assert!(party("a\nb").is_err());
    }
}
