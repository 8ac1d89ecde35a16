//! The `SignedForm` extractor: a form-encoded body whose `X-Twilio-Signature` matches the
//! request URL rebuilt from the configured `public_url`.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;

use super::error::WebhookError;
use super::AppState;
use twilio::webhook::Params;

/// Webhook bodies are a few kilobytes; anything near this is not from Twilio.
pub const MAX_BODY: usize = 64 * 1024;

/// A verified Twilio webhook: all of its parameters, unknown ones included.
pub struct SignedForm(pub Params);

impl FromRequest<AppState> for SignedForm {
    type Rejection = WebhookError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let form = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !form {
            return Err(WebhookError::UnsupportedMediaType);
        }
        let signature = req
            .headers()
            .get("x-twilio-signature")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let path_and_query = req
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str().to_owned())
            .unwrap_or_else(|| req.uri().path().to_owned());
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|_| WebhookError::PayloadTooLarge)?;
        let params = Params::parse(&body).map_err(|e| WebhookError::BadRequest(e.to_string()))?;
        if state.config.server.insecure_skip_signature {
            return Ok(SignedForm(params));
        }
        let url = public_url_for(&state.config.server.public_url, &path_and_query);
        let token = state.config.twilio.auth_token.expose();
        match signature {
            Some(sig) if twilio::signature::validate(token, &url, params.pairs(), &sig) => {
                Ok(SignedForm(params))
            }
            _ => Err(WebhookError::Forbidden),
        }
    }
}

/// The URL Twilio requested: the public URL (which may carry a path prefix that a proxy
/// strips) followed by the path and query vbx received.
pub fn public_url_for(public_url: &url::Url, path_and_query: &str) -> String {
    format!(
        "{}{}",
        public_url.as_str().trim_end_matches('/'),
        path_and_query
    )
}
