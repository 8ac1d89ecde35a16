//! Errors a webhook answers with. Requests that are wrong get a 4xx with a short reason;
//! failures inside a flow never reach here — they are answered with fallback TwiML.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("missing or invalid X-Twilio-Signature")]
    Forbidden,
    #[error("no {kind} flow named `{alias}`")]
    UnknownAlias { kind: &'static str, alias: String },
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("expected an application/x-www-form-urlencoded body")]
    UnsupportedMediaType,
    #[error("request body too large")]
    PayloadTooLarge,
}

impl WebhookError {
    fn status(&self) -> StatusCode {
        match self {
            WebhookError::Forbidden => StatusCode::FORBIDDEN,
            WebhookError::UnknownAlias { .. } => StatusCode::NOT_FOUND,
            WebhookError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebhookError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            WebhookError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }
}

impl IntoResponse for WebhookError {
    fn into_response(self) -> Response {
        tracing::warn!(error = %self, "webhook refused");
        (self.status(), format!("{self}\n")).into_response()
    }
}

impl From<twilio::webhook::ParamError> for WebhookError {
    fn from(e: twilio::webhook::ParamError) -> Self {
        WebhookError::BadRequest(e.to_string())
    }
}
