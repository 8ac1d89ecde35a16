//! The HTTP surface: `/flow/*` for Twilio (signed), everything else for logged-in users.

pub mod error;
pub mod signed;
pub mod web;
pub mod webhook;

use std::sync::Arc;

use axum::Router;

use crate::config::Config;
use crate::event::EventHub;
use crate::flow::Presence;
use crate::store::Store;

/// What every handler can reach. Built once by the app and passed in; never global.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub presence: Arc<dyn Presence>,
    pub events: EventHub,
}

/// The whole router.
pub fn router(state: AppState) -> Router {
    Router::new().merge(webhook::router()).with_state(state)
}
