//! The HTTP surface: `/flow/*` for Twilio (signed), the JSON API and the WebSocket for
//! logged-in users, and the web UI. Each module lists its [`Route`]s, each with its
//! [`Access`], next to its handlers; [`router`] is built from those lists only, and the access
//! test walks the same lists ([`routes`]). axum cannot list a router's routes, so the list is
//! not checked against the router: it is what the router is made of, and cannot drift from it.
//! Routes that need a user sit behind the gate (`auth::gate`, a `route_layer`); so do an open
//! route's other methods and the paths no route takes.

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
use axum::handler::Handler;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::Response;
use axum::routing::{self, MethodRouter};
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
    /// Anyone: the login page and its files, the login call, the health check.
    Public,
    /// A logged-in user (else 401; state-changing `/api` calls also need the CSRF header).
    User,
    /// A logged-in user or a scraper with `server.metrics_token` (else 401; the handler
    /// checks, since the gate knows only sessions).
    UserOrToken,
}

/// A path, who may call it and its handlers, as the module serving it lists it.
pub struct Route<S = AppState> {
    pub path: &'static str,
    pub access: Access,
    /// The methods it takes (a GET takes HEAD too).
    pub methods: Vec<Method>,
    handler: MethodRouter<S>,
    /// What another method gets, a fallback of its own so it wins when merged into `handler`:
    /// a bare 405 like axum's unless the module says otherwise.
    refused: MethodRouter<S>,
}

impl<S: Clone + Send + Sync + 'static> Route<S> {
    pub fn new(path: &'static str, access: Access) -> Self {
        Route {
            path,
            access,
            methods: Vec::new(),
            handler: MethodRouter::new(),
            refused: MethodRouter::new().fallback(|| async { StatusCode::METHOD_NOT_ALLOWED }),
        }
    }

    pub fn get<H: Handler<T, S>, T: 'static>(self, handler: H) -> Self {
        self.on(Method::GET, routing::get(handler))
    }

    pub fn post<H: Handler<T, S>, T: 'static>(self, handler: H) -> Self {
        self.on(Method::POST, routing::post(handler))
    }

    pub fn put<H: Handler<T, S>, T: 'static>(self, handler: H) -> Self {
        self.on(Method::PUT, routing::put(handler))
    }

    pub fn delete<H: Handler<T, S>, T: 'static>(self, handler: H) -> Self {
        self.on(Method::DELETE, routing::delete(handler))
    }

    fn on(mut self, method: Method, handler: MethodRouter<S>) -> Self {
        self.methods.push(method);
        self.handler = self.handler.merge(handler);
        self
    }

    /// The most a handler reads of a body, instead of [`MAX_JSON_BODY`].
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.handler = self.handler.layer(DefaultBodyLimit::max(bytes));
        self
    }

    /// What a method the route does not take gets, instead of axum's bare 405.
    pub fn refuse_with<H: Handler<T, S>, T: 'static>(mut self, handler: H) -> Self {
        self.refused = MethodRouter::new().fallback(handler);
        self
    }
}

/// Every route vbx serves, as the modules list them.
pub fn routes() -> Vec<Route> {
    [
        webhook::routes(),
        api::routes(),
        ws::routes(),
        web::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The whole router: the open routes as they are, the others behind the gate.
pub fn router(state: AppState) -> Router {
    let gate = from_fn_with_state(state.clone(), auth::gate);
    let count = from_fn_with_state(state.clone(), api::metrics::count_webhooks);
    let (mut open, mut user) = (Router::new(), Router::new());
    for route in routes() {
        let (path, handler, refused) = (route.path, route.handler, route.refused);
        match route.access {
            Access::Signed => open = open.route(path, handler.merge(refused).layer(count.clone())),
            Access::Capability => open = open.route(path, handler.merge(refused)),
            // Only the methods an open route takes are open: another one needs a user before
            // it is told 405, like any path that is not open.
            Access::Public | Access::UserOrToken => {
                open = open.route(path, handler.merge(refused.layer(gate.clone())));
            }
            Access::User => user = user.route(path, handler.merge(refused)),
        }
    }
    let unknown = from_fn_with_state(state.clone(), auth::gate_unknown);
    open.merge(user.route_layer(gate))
        .fallback(api::no_route.layer(unknown))
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
