//! `GET /healthz` (anyone: `ok` or `not ok`, nothing more) and `GET /metrics` (Prometheus
//! text format, for a logged-in user or a scraper with `server.metrics_token`): webhooks by
//! route and status, outbox depth by kind, devices' presence and errors, Twilio's
//! reachability and how old the last sync is.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ApiError;
use crate::http::{auth, Access, AppState, Route};
use crate::store::now_ms;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/healthz", Access::Public).get(healthz),
        Route::new("/metrics", Access::UserOrToken).get(metrics),
    ]
}

/// Webhook answers counted by route pattern, then status. Counting allocates only for a
/// route or status seen for the first time: it is on every webhook's path.
#[derive(Debug, Clone, Default)]
pub struct WebhookCounts(Arc<Mutex<BTreeMap<String, BTreeMap<u16, u64>>>>);

impl WebhookCounts {
    fn add(&self, route: &str, status: u16) {
        let mut counts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let by_status = match counts.get_mut(route) {
            Some(by_status) => by_status,
            None => counts.entry(route.to_owned()).or_default(),
        };
        *by_status.entry(status).or_default() += 1;
    }

    fn snapshot(&self) -> Vec<((String, u16), u64)> {
        let counts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        counts
            .iter()
            .flat_map(|(route, by_status)| {
                by_status
                    .iter()
                    .map(|(status, n)| ((route.clone(), *status), *n))
            })
            .collect()
    }
}

/// Counts each webhook's answer (the `/flow` routes' layer).
pub async fn count_webhooks(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().cloned();
    let response = next.run(req).await;
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    state.webhooks.add(route, response.status().as_u16());
    response
}

pub async fn healthz(State(state): State<AppState>) -> Response {
    let (status, text) = match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n"),
        Err(e) => {
            tracing::error!(error = %e, "health check: the store does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "not ok\n")
        }
    };
    (status, [(CACHE_CONTROL, "no-store")], text).into_response()
}

/// Whether the request carries the configured metrics token.
fn has_token(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(token) = &state.config.server.metrics_token else {
        return false;
    };
    let given = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    given.is_some_and(|given| {
        use subtle::ConstantTimeEq as _;
        bool::from(given.as_bytes().ct_eq(token.expose().as_bytes()))
    })
}

pub async fn metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if !has_token(&state, &headers) && auth::user_of(&headers, &state).await?.is_none() {
        return Err(ApiError::Unauthenticated);
    }
    let mut out = String::new();
    metric(
        &mut out,
        "vbx_webhooks_total",
        "counter",
        "Webhook requests answered, by route and status.",
    );
    for ((route, status), n) in state.webhooks.snapshot() {
        let _ = writeln!(
            out,
            "vbx_webhooks_total{{route=\"{}\",status=\"{status}\"}} {n}",
            label(&route)
        );
    }
    metric(
        &mut out,
        "vbx_outbox_items",
        "gauge",
        "Outbound work (texts, emails, XMPP stanzas) not done yet or failed, by kind and state.",
    );
    for (kind, status, n) in state.store.outbox_depth().await? {
        let _ = writeln!(
            out,
            "vbx_outbox_items{{kind=\"{}\",state=\"{}\"}} {n}",
            label(&kind),
            label(&status)
        );
    }
    metric(&mut out, "vbx_device_online", "gauge", "1 when the device is reachable now, 0 when not (devices vbx cannot tell about are left out).");
    metric(
        &mut out,
        "vbx_device_error",
        "gauge",
        "1 when the device's connection reports an error now.",
    );
    for (name, device) in &state.config.devices {
        if let Some(online) = state.presence.online(name, device) {
            let _ = writeln!(
                out,
                "vbx_device_online{{device=\"{}\",type=\"{}\"}} {}",
                label(name),
                device.type_name(),
                u8::from(online)
            );
        }
        let failing = state.live.device_error(name).is_some();
        let _ = writeln!(
            out,
            "vbx_device_error{{device=\"{}\",type=\"{}\"}} {}",
            label(name),
            device.type_name(),
            u8::from(failing)
        );
    }
    let health = state.health.snapshot();
    if let Some(reachable) = health.reachable {
        metric(
            &mut out,
            "vbx_twilio_reachable",
            "gauge",
            "1 when vbx's last request to Twilio's REST API got an answer.",
        );
        let _ = writeln!(out, "vbx_twilio_reachable {}", u8::from(reachable));
    }
    let last_sync = state
        .store
        .last_sync(&[crate::worker::sync::CALLS, crate::worker::sync::MESSAGES])
        .await?;
    if let Some(at) = last_sync {
        metric(
            &mut out,
            "vbx_sync_lag_seconds",
            "gauge",
            "Seconds since the reconciliation sync with Twilio last completed.",
        );
        let lag = now_ms().saturating_sub(at).max(0) as f64 / 1000.0;
        let _ = writeln!(out, "vbx_sync_lag_seconds {lag:.3}");
    }
    Ok((
        [
            (CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"),
            (CACHE_CONTROL, "no-store"),
        ],
        out,
    )
        .into_response())
}

fn metric(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// A label value as the text format wants it: `\`, `"` and newlines escaped.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
