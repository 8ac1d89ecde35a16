//! The JSON API for the web app (`docs/api.md` is the contract): each module lists its routes
//! next to its handlers, and the extractors and paging they share are here.

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
mod voicemail;

use axum::extract::{FromRequest, FromRequestParts};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;

pub use error::ApiError;
pub use status::devices as status_devices;

use super::Route;
use crate::store::history::Cursor;

/// The API's routes, with the capability links under `/flow/media/` and the health and
/// metrics scrapes: a method one does not take is the API's 405.
pub fn routes() -> Vec<Route> {
    [
        session::routes(),
        conversation::routes(),
        thread::routes(),
        call::routes(),
        message::routes(),
        token::routes(),
        media::routes(),
        contact::routes(),
        status::routes(),
        voicemail::routes(),
        metrics::routes(),
    ]
    .into_iter()
    .flatten()
    .map(|route| route.refuse_with(method_not_allowed))
    .collect()
}

/// Whatever no route matched (after `auth::gate_unknown`, so only a user or a `/flow` caller
/// sees it).
pub async fn no_route() -> ApiError {
    ApiError::NoRoute
}

/// A route called with a method it does not take (axum's own 405 has no body).
async fn method_not_allowed() -> ApiError {
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
    fn parties_are_normalised_numbers_or_sender_ids() {
        assert_eq!(party("(415) 555-0100").unwrap(), "+14155550100");
        assert_eq!(party("+14155550100").unwrap(), "+14155550100");
        assert_eq!(party("VERIFY").unwrap(), "VERIFY");
        assert!(party("").is_err());
        assert!(party("a\nb").is_err());
    }
}
