//! What can go wrong talking to Twilio, and whether trying again could help.

use reqwest::Response;
use serde_json::Value;

/// Error bodies are short; this only guards against a misconfigured base URL serving a
/// large page.
const ERROR_BODY_LIMIT: usize = 64 * 1024;
/// How much of a non-JSON error body is kept for the log.
const ERROR_BODY_KEEP: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Twilio's error JSON (`code`, `message`, `more_info`, `status`) or the RFC 9457 shape
    /// (`type`, `title`, `detail`, `status`, `code`). `status` is the HTTP status.
    #[error("Twilio answered HTTP {status}{}: {message}{}",
        code.map(|c| format!(" with error {c}")).unwrap_or_default(),
        more_info.as_deref().map(|m| format!(" (see {m})")).unwrap_or_default())]
    Api {
        status: u16,
        code: Option<u32>,
        message: String,
        more_info: Option<String>,
    },
    /// A non-2xx answer without Twilio's error JSON (a proxy page, a wrong base URL).
    #[error("HTTP {status} without a Twilio error body (is the base URL right?): {body}")]
    Http { status: u16, body: String },
    #[error("Twilio did not answer within the timeout")]
    Timeout,
    #[error("could not reach Twilio: {0}")]
    Network(String),
    #[error("unexpected answer from Twilio: {0}")]
    Decode(String),
    /// A body exceeded the size the caller allowed.
    #[error("the response is larger than the {limit}-byte limit")]
    TooLarge { limit: usize },
    /// The client was set up or called with something unusable (a bad base URL).
    #[error("{0}")]
    Config(String),
}

impl Error {
    /// Network failures, timeouts, 5xx and 429 may succeed later; other answers will not.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Timeout | Error::Network(_) => true,
            Error::Api { status, .. } | Error::Http { status, .. } => {
                *status >= 500 || *status == 429
            }
            Error::Decode(_) | Error::TooLarge { .. } | Error::Config(_) => false,
        }
    }

    /// Twilio's numeric error code (e.g. 21211 invalid `To`, 20404 not found).
    pub fn code(&self) -> Option<u32> {
        match self {
            Error::Api { code, .. } => *code,
            _ => None,
        }
    }

    /// The HTTP status of an answer that was an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } | Error::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub(crate) fn from_reqwest(error: reqwest::Error) -> Error {
        if error.is_timeout() {
            return Error::Timeout;
        }
        // reqwest's own message is terse ("error sending request"); the cause says why.
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Error::Network(message)
    }

    pub(crate) async fn from_response(response: Response) -> Error {
        let status = response.status().as_u16();
        match super::read_capped(response, ERROR_BODY_LIMIT).await {
            Ok(body) => Error::from_body(status, &body),
            Err(Error::TooLarge { .. }) => Error::Http {
                status,
                body: format!("(body larger than {ERROR_BODY_LIMIT} bytes)"),
            },
            Err(other) => other,
        }
    }

    pub(crate) fn from_body(status: u16, body: &[u8]) -> Error {
        if let Ok(Value::Object(json)) = serde_json::from_slice::<Value>(body) {
            let text = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_owned);
            let message = text("message")
                .or_else(|| text("detail"))
                .or_else(|| text("title"));
            if let Some(message) = message {
                let code = json.get("code").and_then(|c| match c {
                    Value::Number(n) => n.as_u64(),
                    Value::String(s) => s.parse().ok(),
                    _ => None,
                });
                return Error::Api {
                    status,
                    code: code.and_then(|c| u32::try_from(c).ok()),
                    message,
                    more_info: text("more_info").or_else(|| text("type")),
                };
            }
        }
        let text = String::from_utf8_lossy(body);
        let body = match text.char_indices().nth(ERROR_BODY_KEEP) {
            Some((cut, _)) => format!("{}…", &text[..cut]),
            None => text.into_owned(),
        };
        Error::Http { status, body }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twilio_error_json_becomes_an_api_error() {
        let body = br#"{"code": 20404, "message": "The requested resource was not found",
            "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}"#;
        assert_eq!(
            Error::from_body(404, body),
            Error::Api {
                status: 404,
                code: Some(20404),
                message: "The requested resource was not found".into(),
                more_info: Some("https://www.twilio.com/docs/errors/20404".into()),
            }
        );
    }

    #[test]
    fn rfc9457_problem_json_becomes_an_api_error() {
        let body = br#"{"type": "https://www.twilio.com/docs/errors/20001", "title": "Bad request",
            "detail": "PageSize must be at most 1000", "status": 400, "code": 20001}"#;
        let error = Error::from_body(400, body);
        assert_eq!(error.code(), Some(20001));
        assert!(
            matches!(&error, Error::Api { message, more_info: Some(t), .. }
            if message == "PageSize must be at most 1000" && t.ends_with("/20001"))
        );
    }

    #[test]
    fn other_bodies_are_kept_as_text_and_truncated() {
        let html = format!("<html>{}</html>", "x".repeat(5000));
        match Error::from_body(502, html.as_bytes()) {
            Error::Http { status, body } => {
                assert_eq!(status, 502);
                assert!(body.starts_with("<html>xxx"));
                assert!(body.chars().count() <= ERROR_BODY_KEEP + 1);
            }
            other => panic!("expected Http, got {other:?}"),
        }
        assert!(matches!(
            Error::from_body(500, b"{\"a\":1}"),
            Error::Http { .. }
        ));
    }

    #[test]
    fn retryable_errors_are_transient_ones() {
        let api = |status| Error::Api {
            status,
            code: None,
            message: String::new(),
            more_info: None,
        };
        assert!(api(500).is_retryable());
        assert!(api(503).is_retryable());
        assert!(api(429).is_retryable());
        assert!(!api(400).is_retryable());
        assert!(!api(401).is_retryable());
        assert!(!api(404).is_retryable());
        assert!(Error::Timeout.is_retryable());
        assert!(Error::Network("reset".into()).is_retryable());
        assert!(!Error::Decode("bad".into()).is_retryable());
        assert!(Error::Http {
            status: 502,
            body: String::new()
        }
        .is_retryable());
        assert!(!Error::Http {
            status: 403,
            body: String::new()
        }
        .is_retryable());
    }
}
