//! The REST API 2010-04-01: one module per resource, each with its record type, its JSON
//! (shaped field for field like Twilio's) and its handlers.

mod application;
mod call;
mod key;
pub(crate) mod media;
mod message;
mod number;
mod recording;

use axum::http::Uri;
use axum::middleware::from_fn_with_state;
use axum::Router;

pub use application::Application;
pub use call::{Call, CallDirection, CallStatus};
pub use key::ApiKey;
pub use media::Media;
pub use message::{Message, MessageDirection, MessageStatus};
pub use number::IncomingNumber;
pub use recording::{Recording, RecordingSource};

use crate::error::ApiError;
use crate::Sim;

/// Route prefix of every account resource; the auth middleware checks `{account}`.
pub(crate) const ACCOUNT: &str = "/2010-04-01/Accounts/{account}";

pub(crate) const API_VERSION: &str = "2010-04-01";

pub(crate) fn router(sim: Sim) -> Router {
    Router::new()
        .merge(message::routes())
        .merge(media::routes())
        .merge(call::routes())
        .merge(number::routes())
        .merge(application::routes())
        .merge(key::routes())
        .merge(recording::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(sim.clone(), crate::auth::require))
        .layer(from_fn_with_state(sim.clone(), crate::fault::inject))
        .with_state(sim)
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(uri.path())
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

/// The SID in a `…/{Sid}.json` path segment; other suffixes are not JSON resources.
pub(crate) fn json_sid(segment: &str) -> Option<&str> {
    segment.strip_suffix(".json")
}

/// Declares a string-valued enum with Twilio's spelling of each variant.
macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            pub fn parse(value: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == value)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;

/// Renders an optional date the way Twilio does (`null` when unset).
pub(crate) fn opt_date(t: Option<chrono::DateTime<chrono::Utc>>) -> serde_json::Value {
    t.map(crate::time::rfc2822).into()
}

/// Twilio shows cleared URLs and SIDs as `null`.
pub(crate) fn opt_str<T: AsRef<str>>(value: &Option<T>) -> serde_json::Value {
    value.as_ref().map(|v| v.as_ref().to_owned()).into()
}

/// Applies URL parameters (`""` clears) to their fields; Twilio's code for a bad one is 21205.
pub(crate) fn set_urls(
    p: &crate::form::Params,
    fields: &mut [(&str, &mut Option<String>)],
) -> Result<(), ApiError> {
    for (key, field) in fields.iter_mut() {
        if let Some(url) = p.url(key, 21205)? {
            **field = Some(url).filter(|u| !u.is_empty());
        }
    }
    Ok(())
}

/// Applies `GET`/`POST` method parameters to their fields.
pub(crate) fn set_methods(
    p: &crate::form::Params,
    fields: &mut [(&str, &mut String)],
) -> Result<(), ApiError> {
    for (key, field) in fields.iter_mut() {
        if let Some(method) = p.method(key)? {
            **field = method;
        }
    }
    Ok(())
}

/// Applies boolean parameters to their fields.
pub(crate) fn set_bools(
    p: &crate::form::Params,
    fields: &mut [(&str, &mut bool)],
) -> Result<(), ApiError> {
    for (key, field) in fields.iter_mut() {
        if let Some(value) = p.bool(key)? {
            **field = value;
        }
    }
    Ok(())
}

/// A `FriendlyName` parameter (Twilio allows up to 64 characters).
pub(crate) fn friendly_name(p: &crate::form::Params) -> Result<Option<String>, ApiError> {
    match p.get("FriendlyName") {
        Some(name) if name.chars().count() > 64 => Err(ApiError::invalid(
            "FriendlyName must be at most 64 characters",
        )),
        other => Ok(other.map(str::to_owned)),
    }
}

/// An application SID parameter that must name one of the account's applications;
/// `Some(None)` when the parameter is present but empty (clears the setting).
pub(crate) fn application_param(
    s: &crate::sim::SimState,
    p: &crate::form::Params,
    key: &str,
) -> Result<Option<Option<twilio::ApplicationSid>>, ApiError> {
    match p.get(key) {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(Some(None)),
        Some(v) => twilio::ApplicationSid::parse(v)
            .ok()
            .filter(|a| s.applications.iter().any(|x| &x.sid == a))
            .map(|a| Some(Some(a)))
            .ok_or_else(|| {
                ApiError::bad_request(
                    21218,
                    format!("{key} {v} is not an application of this account"),
                )
            }),
    }
}
