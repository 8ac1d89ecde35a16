//! What every handler can reach: [`AppState`], built once by the app and passed in.

use std::sync::Arc;

use super::{api, auth};
use crate::config::Config;
use crate::device::LivePresence;
use crate::event::EventHub;
use crate::flow::Presence;
use crate::store::Store;
use crate::worker::health::TwilioHealth;

/// What every handler can reach; never global.
///
/// A handle: axum clones the state for every extractor and middleware of every request, so
/// it is one `Arc` (cloning the parts cost ~2.5 % of the server's CPU under webhook load:
/// several of them own strings). Fields are reached through `Deref`.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl AppState {
    pub fn new(parts: AppParts) -> AppState {
        AppState(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct AppParts {
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
    pub media_links: crate::media_link::MediaLinks,
    /// The contacts the flows know by name (reloaded when the app changes one).
    pub contacts: crate::contact_book::ContactBook,
    /// The numbers whose calls and texts run no flow (reloaded when the app changes one).
    pub blocked: crate::block_list::BlockList,
    /// Webhook answers by route and status, for `/metrics`.
    pub webhooks: api::metrics::WebhookCounts,
    /// Turns true when vbx begins to stop: open WebSockets close then (an upgraded
    /// connection is no longer the HTTP server's to drain).
    pub stopping: tokio::sync::watch::Receiver<bool>,
    /// The time the flows see (business hours).
    pub clock: crate::clock::Clock,
}
