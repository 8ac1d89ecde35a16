//! The simulator's webhook client: form-encoded requests signed with `X-Twilio-Signature` the
//! way Twilio signs them, a total time budget (Twilio: 15 s), optional retries, and a log of
//! every attempt (request and answer) that tests and the control API read.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use twilio::twiml::Method;
use url::Url;

use crate::Sim;

/// Twilio refuses TwiML bodies larger than this (error 11750).
const MAX_BODY_BYTES: usize = 64 * 1024;
/// Log entries kept; the oldest go first so a long demo does not grow without bound.
const MAX_LOG: usize = 10_000;

/// One attempt of a webhook request, as the simulator made it and what came back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Webhook {
    pub id: u64,
    /// The call or message SID the request is about.
    pub owner: String,
    /// What the request is for: `sms`, `voice`, `redirect`, `message-status`, `call-status`,
    /// `gather-action`, `dial-action`, `record-action`, `recording-status`, `transcription`, …
    pub purpose: String,
    pub method: String,
    /// The URL requested (for GET, with the parameters in the query).
    pub url: String,
    /// The parameters, in the order sent.
    pub params: Vec<(String, String)>,
    /// 1 for the first attempt, 2 for the first retry, …
    pub attempt: u32,
    pub at: DateTime<Utc>,
    pub status: Option<u16>,
    pub content_type: Option<String>,
    pub body: Option<String>,
    /// The Twilio error this attempt caused (11200, 11205, 12100, …), if any.
    pub error_code: Option<u32>,
    pub error_message: Option<String>,
}

impl Webhook {
    /// The first value of parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A request to make.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub owner: String,
    pub purpose: &'static str,
    pub url: String,
    pub method: Method,
    pub params: Vec<(String, String)>,
}

/// A 2xx answer.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    /// The log entry of the attempt that got this answer, to attach a later parse error to.
    pub id: u64,
    pub content_type: Option<String>,
    pub body: String,
}

/// Why a webhook failed, as a Twilio error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub code: u32,
    pub message: String,
}

impl Failure {
    fn new(code: u32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// Failures worth another attempt: no connection, no answer in time, a 5xx.
    fn retryable(&self, status: Option<u16>) -> bool {
        self.code == 11205 || status.is_some_and(|s| s >= 500)
    }
}

pub(crate) fn method_name(method: Method) -> &'static str {
    match method {
        Method::Get => "GET",
        Method::Post => "POST",
    }
}

/// `relative` resolved against the URL of the document it appeared in (absolute URLs pass
/// through unchanged).
pub(crate) fn join(base: Option<&str>, relative: &str) -> Result<String, Failure> {
    let parsed = match base.map(Url::parse) {
        Some(Ok(base)) => base.join(relative.trim()),
        _ => Url::parse(relative.trim()),
    };
    parsed
        .map(String::from)
        .map_err(|e| Failure::new(11100, format!("invalid URL {relative:?}: {e}")))
}

/// What one attempt produced.
struct Outcome {
    status: Option<u16>,
    content_type: Option<String>,
    body: Option<String>,
    result: Result<(), Failure>,
}

/// Sends `request` (retrying as the settings say) and logs each attempt.
pub(crate) async fn send(sim: &Sim, request: &Request) -> Result<Answer, Failure> {
    let (token, settings) = sim.read_state(|s| (s.auth_token.clone(), s.settings.clone()));
    let url = match Url::parse(&request.url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => u,
        _ => {
            let failure = Failure::new(11100, format!("invalid URL {:?}", request.url));
            log(sim, request, &request.url, 1, &failed(failure.clone()));
            return Err(failure);
        }
    };
    let (target, form) = match request.method {
        Method::Get => {
            let mut url = url;
            if !request.params.is_empty() {
                url.query_pairs_mut().extend_pairs(&request.params);
            }
            (String::from(url), None)
        }
        Method::Post => {
            let form = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&request.params)
                .finish();
            (String::from(url), Some(form))
        }
    };
    let signed: &[(String, String)] = match request.method {
        Method::Get => &[],
        Method::Post => &request.params,
    };
    let signature = twilio::signature::compute(&token, &target, signed);
    let idempotency = hex::encode(rand::random::<[u8; 16]>());
    let mut attempt = 1;
    loop {
        let outcome = match sim.hook_client() {
            Some(client) => {
                let call = attempt_once(
                    client,
                    request.method,
                    &target,
                    form.clone(),
                    &signature,
                    &idempotency,
                );
                match tokio::time::timeout(settings.webhook_timeout, call).await {
                    Ok(outcome) => outcome,
                    Err(_) => failed(Failure::new(
                        11205,
                        format!(
                            "no answer within {} ms",
                            settings.webhook_timeout.as_millis()
                        ),
                    )),
                }
            }
            None => failed(Failure::new(11205, "the simulator has no HTTP client")),
        };
        let id = log(sim, request, &target, attempt, &outcome);
        match outcome.result {
            Ok(()) => {
                return Ok(Answer {
                    id,
                    content_type: outcome.content_type,
                    body: outcome.body.unwrap_or_default(),
                })
            }
            Err(failure) => {
                if attempt > settings.webhook_retries || !failure.retryable(outcome.status) {
                    return Err(failure);
                }
            }
        }
        attempt += 1;
        // A short pause so a restarting app has a moment to come back.
        if sim.closing_or_after(Duration::from_millis(50)).await {
            return Err(Failure::new(11205, "the simulator is shutting down"));
        }
    }
}

fn failed(failure: Failure) -> Outcome {
    Outcome {
        status: None,
        content_type: None,
        body: None,
        result: Err(failure),
    }
}

async fn attempt_once(
    client: &reqwest::Client,
    method: Method,
    target: &str,
    form: Option<String>,
    signature: &str,
    idempotency: &str,
) -> Outcome {
    let mut builder = match method {
        Method::Get => client.get(target),
        Method::Post => client.post(target),
    }
    .header(twilio::signature::HEADER, signature)
    .header("I-Twilio-Idempotency-Token", idempotency)
    .header(reqwest::header::USER_AGENT, "TwilioProxy/1.1")
    .header(reqwest::header::ACCEPT, "*/*");
    if let Some(form) = form {
        builder = builder
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form);
    }
    let mut response = match builder.send().await {
        Ok(r) => r,
        Err(e) if e.is_redirect() => {
            return failed(Failure::new(11215, format!("too many redirects: {e}")))
        }
        Err(e) => return failed(Failure::new(11205, format!("connection failed: {e}"))),
    };
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut bytes = Vec::new();
    let mut result = Ok(());
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                    result = Err(Failure::new(11750, "response body larger than 64 kB"));
                    break;
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => {
                result = Err(Failure::new(11205, format!("answer cut short: {e}")));
                break;
            }
        }
    }
    if result.is_ok() && !(200..300).contains(&status) {
        result = Err(Failure::new(11200, format!("HTTP {status}")));
    }
    Outcome {
        status: Some(status),
        content_type,
        body: Some(String::from_utf8_lossy(&bytes).into_owned()),
        result,
    }
}

fn log(sim: &Sim, request: &Request, target: &str, attempt: u32, outcome: &Outcome) -> u64 {
    sim.with_state(|s| {
        s.next_webhook_id += 1;
        let id = s.next_webhook_id;
        let (error_code, error_message) = match &outcome.result {
            Ok(()) => (None, None),
            Err(f) => (Some(f.code), Some(f.message.clone())),
        };
        let line = match (&outcome.status, &error_code) {
            (Some(status), None) => format!(
                "{} {} {target} → {status}",
                request.purpose,
                method_name(request.method)
            ),
            (_, code) => format!(
                "{} {} {target} → error {}: {}",
                request.purpose,
                method_name(request.method),
                code.unwrap_or_default(),
                error_message.as_deref().unwrap_or_default()
            ),
        };
        s.trace(&request.owner).events.push(line);
        s.webhooks.push(Webhook {
            id,
            owner: request.owner.clone(),
            purpose: request.purpose.to_owned(),
            method: method_name(request.method).to_owned(),
            url: target.to_owned(),
            params: request.params.clone(),
            attempt,
            at: s.now(),
            status: outcome.status,
            content_type: outcome.content_type.clone(),
            body: outcome.body.clone(),
            error_code,
            error_message,
        });
        if s.webhooks.len() > MAX_LOG {
            let excess = s.webhooks.len() - MAX_LOG;
            s.webhooks.drain(..excess);
        }
        id
    })
}

/// Attaches an error found after a successful request (e.g. 12100, the answer is not TwiML)
/// to that request's log entry and to its owner's events.
pub(crate) fn flag(sim: &Sim, owner: &str, id: Option<u64>, code: u32, message: &str) {
    sim.with_state(|s| {
        if let Some(entry) = id.and_then(|id| s.webhooks.iter_mut().find(|w| w.id == id)) {
            entry.error_code = Some(code);
            entry.error_message = Some(message.to_owned());
        }
        s.trace(owner)
            .events
            .push(format!("error {code}: {message}"));
    });
}

/// The media type of an answer, lower-cased and without parameters.
pub(crate) fn media_type(content_type: Option<&str>) -> Option<String> {
    content_type
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_urls_are_resolved_against_the_document_url() {
        let base = Some("https://app.example.com/flow/voice/main?step=2");
        assert_eq!(
            join(base, "next").unwrap(),
            "https://app.example.com/flow/voice/next"
        );
        assert_eq!(
            join(base, "/other?x=1").unwrap(),
            "https://app.example.com/other?x=1"
        );
        assert_eq!(
            join(base, "https://elsewhere.example.com/t").unwrap(),
            "https://elsewhere.example.com/t"
        );
        assert_eq!(join(None, "relative").unwrap_err().code, 11100);
    }

    #[test]
    fn media_types_drop_parameters_and_case() {
        assert_eq!(
            media_type(Some("Text/XML; charset=utf-8")).as_deref(),
            Some("text/xml")
        );
        assert_eq!(media_type(Some("")), None);
        assert_eq!(media_type(None), None);
    }
}
