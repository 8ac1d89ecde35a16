//! The HTTP surface: `/flow/*` for Twilio (signed), the JSON API and the WebSocket for
//! logged-in users, and the web UI. Everything not listed as open in [`ROUTES`] (or as a
//! public asset in [`auth`]) needs a session: the gate in `auth.rs` wraps the whole router,
//! unknown paths included.

pub mod api;
pub mod auth;
pub mod error;
pub mod serve;
pub mod signed;
mod state;
pub mod web;
pub mod webhook;
pub mod ws;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;

pub use state::{AppParts, AppState};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Twilio, with a valid `X-Twilio-Signature` (else 403).
    Signed,
    /// Anyone who knows the unguessable URL (Twilio fetching outgoing media, which it never
    /// signs); unknown ids are 404.
    Capability,
    /// Anyone: the login page and the login call.
    Public,
    /// A logged-in user (else 401; state-changing `/api` calls also need the CSRF header).
    User,
    /// A logged-in user or a scraper with `server.metrics_token` (else 401; the handler
    /// checks, since the gate knows only sessions).
    UserOrToken,
}

/// Every route vbx serves besides the web UI's files. The API router is built from this
/// list, the auth gate reads the open ones from it, and a test walks it without a session.
pub const ROUTES: &[(Method, &str, Access)] = &[
    (Method::POST, "/flow/voice/{alias}", Access::Signed),
    (Method::POST, "/flow/voice/{alias}/dial", Access::Signed),
    (Method::POST, "/flow/voice/{alias}/outgoing", Access::Signed),
    (Method::POST, "/flow/voice/{alias}/record", Access::Signed),
    (Method::POST, "/flow/msg/{alias}", Access::Signed),
    (Method::POST, "/flow/status/call", Access::Signed),
    (Method::POST, "/flow/status/message", Access::Signed),
    (Method::POST, "/flow/status/recording", Access::Signed),
    (Method::POST, "/flow/status/transcription", Access::Signed),
    (Method::GET, "/flow/media/{id}", Access::Capability),
    (
        Method::GET,
        "/flow/media/in/{sid}/{idx}/{token}",
        Access::Capability,
    ),
    (Method::POST, "/api/login", Access::Public),
    // Says only "ok" or "not ok", for a load balancer or a container's health check.
    (Method::GET, "/healthz", Access::Public),
    (Method::GET, "/metrics", Access::UserOrToken),
    // Served by the web UI (web.rs): the login page.
    (Method::GET, "/login", Access::Public),
    (Method::POST, "/api/logout", Access::User),
    (Method::GET, "/api/session", Access::User),
    (Method::GET, "/api/conversations", Access::User),
    (Method::GET, "/api/threads/{number}", Access::User),
    (Method::POST, "/api/threads/{number}/read", Access::User),
    (Method::POST, "/api/threads/{number}/unread", Access::User),
    (Method::PUT, "/api/threads/{number}/archived", Access::User),
    (
        Method::DELETE,
        "/api/threads/{number}/archived",
        Access::User,
    ),
    (Method::PUT, "/api/threads/{number}/blocked", Access::User),
    (
        Method::DELETE,
        "/api/threads/{number}/blocked",
        Access::User,
    ),
    (Method::POST, "/api/conversations/read", Access::User),
    (Method::GET, "/api/blocked", Access::User),
    (Method::GET, "/api/search", Access::User),
    (Method::GET, "/api/voicemails/new", Access::User),
    (Method::GET, "/api/calls", Access::User),
    (Method::POST, "/api/calls/{sid}/hangup", Access::User),
    (Method::POST, "/api/messages", Access::User),
    (Method::DELETE, "/api/messages/{sid}", Access::User),
    (Method::DELETE, "/api/outbox/{id}", Access::User),
    (Method::GET, "/api/token", Access::User),
    (Method::GET, "/api/media/{sid}/{idx}", Access::User),
    (Method::GET, "/api/recordings/{sid}", Access::User),
    (Method::GET, "/api/contacts", Access::User),
    (Method::POST, "/api/contacts", Access::User),
    (Method::PUT, "/api/contacts/{number}", Access::User),
    (Method::DELETE, "/api/contacts/{number}", Access::User),
    (Method::GET, "/api/status", Access::User),
    (Method::GET, "/ws", Access::User),
    // The web UI's pages (web.rs serves them all as the app's index.html).
    (Method::GET, "/", Access::User),
    (Method::GET, "/messages", Access::User),
    (Method::GET, "/calls", Access::User),
    (Method::GET, "/contacts", Access::User),
    (Method::GET, "/phone", Access::User),
    (Method::GET, "/settings", Access::User),
    (Method::GET, "/t/{number}", Access::User),
];

/// The whole router.
pub fn router(state: AppState) -> Router {
    let webhooks = webhook::router().layer(axum::middleware::from_fn_with_state(
        state.clone(),
        api::metrics::count_webhooks,
    ));
    let routes = Router::new()
        .merge(webhooks)
        .merge(api::router())
        .route("/ws", axum::routing::get(ws::handler));
    // The web UI: its pages need a session like everything else; the files the login page
    // needs are opened in `auth::PUBLIC_ASSET_PREFIXES` / `PUBLIC_ASSET_FILES`.
    let routes = routes.merge(web::router());
    routes
        .fallback(api::no_route)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::gate,
        ))
        // JSON bodies are small; the routes that take more (multipart sends, webhooks) set
        // their own limit, which wins over this one.
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(state)
}

/// The largest body an `/api` route reads unless it says otherwise.
pub const MAX_JSON_BODY: usize = 64 * 1024;

/// The policy of everything that is not the app's page (which sets its own in `web.rs`):
/// JSON, media and files must never run anything or be framed.
const DEFAULT_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Headers on every answer, refusals included: no MIME sniffing, no referrer leaving the app,
/// no framing. Handlers that set their own value keep it.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CONTENT_SECURITY_POLICY, DEFAULT_CSP),
    ] {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    }
    res
}
