//! The HTTP surface: `/flow/*` for Twilio (signed), the JSON API and the WebSocket for
//! logged-in users, and the web UI. Everything not listed as open in [`ROUTES`] (or as a
//! public asset in [`auth`]) needs a session: the gate in `auth.rs` wraps the whole router,
//! unknown paths included.

pub mod api;
pub mod auth;
pub mod error;
pub mod signed;
pub mod web;
pub mod webhook;
pub mod ws;

use std::sync::Arc;

use axum::http::Method;
use axum::Router;

use crate::config::Config;
use crate::device::LivePresence;
use crate::event::EventHub;
use crate::flow::Presence;
use crate::health::TwilioHealth;
use crate::store::Store;

/// What every handler can reach. Built once by the app and passed in; never global.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    /// What the flow engine asks.
    pub presence: Arc<dyn Presence>,
    /// The same presence, for the WebSocket to register browser tabs in.
    pub live: LivePresence,
    pub events: EventHub,
    pub twilio: twilio::client::Client,
    pub health: TwilioHealth,
    pub auth: Arc<auth::AuthState>,
}

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
}

/// Every route vbx serves besides the web UI's files. The API router is built from this
/// list, the auth gate reads the open ones from it, and a test walks it without a session.
pub const ROUTES: &[(Method, &str, Access)] = &[
    (Method::POST, "/flow/voice/{alias}", Access::Signed),
    (Method::POST, "/flow/voice/{alias}/dial", Access::Signed),
    (Method::POST, "/flow/voice/{alias}/record", Access::Signed),
    (Method::POST, "/flow/msg/{alias}", Access::Signed),
    (Method::POST, "/flow/status/call", Access::Signed),
    (Method::POST, "/flow/status/message", Access::Signed),
    (Method::POST, "/flow/status/recording", Access::Signed),
    (Method::POST, "/flow/status/transcription", Access::Signed),
    (Method::GET, "/flow/media/{id}", Access::Capability),
    (Method::POST, "/api/login", Access::Public),
    // Served by the web UI (web.rs): the login page.
    (Method::GET, "/login", Access::Public),
    (Method::POST, "/api/logout", Access::User),
    (Method::GET, "/api/session", Access::User),
    (Method::GET, "/api/conversations", Access::User),
    (Method::GET, "/api/threads/{number}", Access::User),
    (Method::POST, "/api/threads/{number}/read", Access::User),
    (Method::GET, "/api/calls", Access::User),
    (Method::POST, "/api/calls/{sid}/hangup", Access::User),
    (Method::POST, "/api/messages", Access::User),
    (Method::DELETE, "/api/messages/{sid}", Access::User),
    (Method::GET, "/api/token", Access::User),
    (Method::GET, "/api/media/{sid}/{idx}", Access::User),
    (Method::GET, "/api/recordings/{sid}", Access::User),
    (Method::GET, "/api/contacts", Access::User),
    (Method::POST, "/api/contacts", Access::User),
    (Method::PUT, "/api/contacts/{number}", Access::User),
    (Method::DELETE, "/api/contacts/{number}", Access::User),
    (Method::GET, "/api/status", Access::User),
    (Method::GET, "/ws", Access::User),
];

/// The whole router.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .merge(webhook::router())
        .merge(api::router())
        .route("/ws", axum::routing::get(ws::handler));
    // ─── The web UI ──────────────────────────────────────────────────────────────────
    // web.rs merges here: `let routes = routes.merge(web::router());`. Its pages need a
    // session like everything else; the files the login page needs are opened in
    // `auth::PUBLIC_ASSET_PREFIXES` / `auth::PUBLIC_ASSET_FILES`, and `GET /login` in ROUTES.
    // ─────────────────────────────────────────────────────────────────────────────────
    routes
        .fallback(api::no_route)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::gate,
        ))
        .with_state(state)
}
