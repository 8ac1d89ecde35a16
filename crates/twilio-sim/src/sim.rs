//! The simulator's state and the cloneable [`Sim`] handle that the HTTP handlers, the control
//! API and tests share. One mutex guards everything; it is never held across an `.await`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use chrono::{DateTime, Utc};
use tokio::sync::watch;
use twilio::{AccountSid, CallSid, MessageSid, PhoneNumber};

use crate::browser::Registry;
use crate::config::SimConfig;
use crate::error::SimError;
use crate::fault::{DeliveryError, Faults};
use crate::hook::Webhook;
use crate::requests::RequestLog;
use crate::resource::{
    ApiKey, Application, Call, IncomingNumber, Media, Message, MessageStatus, Recording,
    RecordingSource,
};
use crate::settings::{Party, Settings};
use crate::time::Clock;
use crate::trace::Trace;
use crate::voice::Control;

/// Everything the simulated Twilio account holds. Lists are in creation order.
#[derive(Debug, Clone)]
pub(crate) struct SimState {
    pub account_sid: AccountSid,
    pub auth_token: String,
    pub clock: Clock,
    /// `http://127.0.0.1:port` once a server is bound; used for absolute URLs such as
    /// a recording's `media_url`.
    pub base_url: Option<String>,
    pub messages: Vec<Message>,
    pub media: Vec<Media>,
    pub calls: Vec<Call>,
    pub numbers: Vec<IncomingNumber>,
    pub applications: Vec<Application>,
    pub keys: Vec<ApiKey>,
    pub recordings: Vec<Recording>,
    pub faults: Faults,
    /// The REST requests received, per endpoint.
    pub requests: RequestLog,
    /// Destination → the failure its messages will end in once delivery is simulated.
    pub failing_destinations: HashMap<String, DeliveryError>,
    pub settings: Settings,
    /// PSTN number or SIP URI → what the person there does when rung.
    pub parties: HashMap<String, Party>,
    /// Every webhook attempt, oldest first.
    pub webhooks: Vec<Webhook>,
    pub next_webhook_id: u64,
    /// Call or message SID → what happened to it.
    pub traces: HashMap<String, Trace>,
    /// Bumped by a reset, so that tasks still running for the old state stop writing.
    pub epoch: u64,
    /// Live call (or dial leg) SID → the channel of the task running it.
    pub controls: HashMap<String, Control>,
    /// Connected simulated browsers (kept across a reset).
    pub browsers: Registry,
}

impl SimState {
    fn new(config: &SimConfig) -> Self {
        let mut state = Self {
            account_sid: config.account_sid.clone(),
            auth_token: config.auth_token.clone(),
            clock: Clock::default(),
            base_url: None,
            messages: Vec::new(),
            media: Vec::new(),
            calls: Vec::new(),
            numbers: Vec::new(),
            applications: Vec::new(),
            keys: Vec::new(),
            recordings: Vec::new(),
            faults: Faults::default(),
            requests: RequestLog::default(),
            failing_destinations: HashMap::new(),
            settings: config.settings.clone(),
            parties: HashMap::new(),
            webhooks: Vec::new(),
            next_webhook_id: 0,
            traces: HashMap::new(),
            epoch: 0,
            controls: HashMap::new(),
            browsers: Registry::default(),
        };
        for number in &config.numbers {
            // A number listed twice in the configuration is simply owned once.
            let _ = state.add_number(number.clone(), None);
        }
        for (sid, secret) in &config.api_keys {
            let now = state.now();
            state.keys.push(ApiKey {
                sid: sid.clone(),
                friendly_name: Some("twilio-sim".to_owned()),
                secret: secret.clone(),
                date_created: now,
                date_updated: now,
            });
        }
        state
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// `/2010-04-01/Accounts/AC…`, the prefix of every resource URI.
    pub fn account_uri(&self) -> String {
        format!("/2010-04-01/Accounts/{}", self.account_sid)
    }

    pub fn add_number(
        &mut self,
        number: PhoneNumber,
        friendly_name: Option<String>,
    ) -> Result<IncomingNumber, SimError> {
        if self.number_by_value(number.as_str()).is_some() {
            return Err(SimError::AlreadyExists(format!("phone number {number}")));
        }
        let record = IncomingNumber::new(number, friendly_name, self.now());
        self.numbers.push(record.clone());
        Ok(record)
    }

    /// The account's incoming number with this E.164 value.
    pub fn number_by_value(&self, number: &str) -> Option<&IncomingNumber> {
        self.numbers
            .iter()
            .find(|n| n.phone_number.as_str() == number)
    }

    /// The trace of a call or message, created on first use.
    pub fn trace(&mut self, sid: &str) -> &mut Trace {
        self.traces.entry(sid.to_owned()).or_default()
    }

    /// Stores a new message and starts its status history.
    pub fn push_message(&mut self, message: Message) {
        self.trace(message.sid.as_str())
            .statuses
            .push(message.status.as_str().to_owned());
        self.messages.push(message);
    }

    /// Moves a message to `status`, recording it in its history; `None` if it is gone.
    pub fn set_message_status(
        &mut self,
        sid: &MessageSid,
        status: MessageStatus,
    ) -> Option<&mut Message> {
        let now = self.now();
        let index = self.messages.iter().position(|m| &m.sid == sid)?;
        self.trace(sid.as_str())
            .statuses
            .push(status.as_str().to_owned());
        let message = &mut self.messages[index];
        message.status = status;
        message.date_updated = now;
        Some(message)
    }

    /// An absolute URL on this simulator for `path` (`/2010-04-01/…`).
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.base_url.as_deref().unwrap_or_default())
    }
}

struct Inner {
    state: Mutex<SimState>,
    /// What [`Sim::reset`] returns to.
    initial: SimState,
    http: Option<reqwest::Client>,
    /// For webhooks: no overall timeout here (the settings' budget applies), 10 redirects.
    hooks: Option<reqwest::Client>,
    closing: watch::Sender<bool>,
    /// Bumped after every change of the state, so that waits wake up instead of polling.
    changed: watch::Sender<u64>,
}

/// A simulated Twilio account. Clones share the same state.
#[derive(Clone)]
pub struct Sim {
    inner: Arc<Inner>,
}

impl Sim {
    pub fn new(config: SimConfig) -> Self {
        let initial = SimState::new(&config);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .ok();
        let hooks = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::limited(10))
            .build()
            .ok();
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(initial.clone()),
                initial,
                http,
                hooks,
                closing: watch::channel(false).0,
                changed: watch::channel(0).0,
            }),
        }
    }

    /// The REST API (`/2010-04-01/...`) and the control API (`/_sim/...`) in one router.
    pub fn router(&self) -> Router {
        Router::new()
            .route(
                "/_sim/client",
                crate::browser::route().with_state(self.clone()),
            )
            .route(
                "/_sim/signal",
                crate::browser::signal_route().with_state(self.clone()),
            )
            .route(
                "/_sim/media",
                crate::browser::media_route().with_state(self.clone()),
            )
            .route(
                "/_sim/media-peer",
                crate::browser::media_page().with_state(self.clone()),
            )
            .nest("/_sim", crate::control::router(self.clone()))
            .merge(crate::resource::router(self.clone()))
    }

    /// Runs `f` on the state and wakes everyone waiting for a change.
    pub(crate) fn with_state<T>(&self, f: impl FnOnce(&mut SimState) -> T) -> T {
        let result = {
            let mut guard = self
                .inner
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            f(&mut guard)
        };
        self.inner.changed.send_modify(|n| *n = n.wrapping_add(1));
        result
    }

    /// Reads the state without waking waiters (what waits themselves use).
    pub(crate) fn read_state<T>(&self, f: impl FnOnce(&SimState) -> T) -> T {
        let guard = self
            .inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        f(&guard)
    }

    /// Waits until `check` finds what it looks for in the state (re-checked after every
    /// change), or `timeout` passes.
    pub(crate) fn subscribe_changes(&self) -> watch::Receiver<u64> {
        self.inner.changed.subscribe()
    }

    pub(crate) async fn wait_state<T>(
        &self,
        timeout: Duration,
        mut check: impl FnMut(&SimState) -> Option<T>,
    ) -> Option<T> {
        let mut changed = self.inner.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            changed.borrow_and_update();
            if let Some(found) = self.read_state(&mut check) {
                return Some(found);
            }
            match tokio::time::timeout_at(deadline, changed.changed()).await {
                Ok(Ok(())) => {}
                _ => return None,
            }
        }
    }

    /// Waits until `check` finds what it looks for; `None` if the server shuts down first.
    pub(crate) async fn wait_state_until_closed<T>(
        &self,
        check: impl FnMut(&SimState) -> Option<T>,
    ) -> Option<T> {
        let mut closing = self.inner.closing.subscribe();
        tokio::select! {
            found = self.wait_state(Duration::from_secs(365 * 86_400), check) => found,
            _ = closing.wait_for(|c| *c) => None,
        }
    }

    pub(crate) fn http(&self) -> Option<&reqwest::Client> {
        self.inner.http.as_ref()
    }

    pub(crate) fn hook_client(&self) -> Option<&reqwest::Client> {
        self.inner.hooks.as_ref()
    }

    /// Waits `delay`; true if the server started shutting down meanwhile.
    pub(crate) async fn closing_or_after(&self, delay: Duration) -> bool {
        let mut closing = self.inner.closing.subscribe();
        tokio::select! {
            _ = tokio::time::sleep(delay) => false,
            _ = closing.wait_for(|c| *c) => true,
        }
    }

    /// Resolves once the server starts shutting down.
    pub(crate) async fn closed(&self) {
        let mut closing = self.inner.closing.subscribe();
        let _ = closing.wait_for(|c| *c).await;
    }

    /// Releases requests held by a delay fault, so that shutdown does not wait for them.
    pub(crate) fn close(&self) {
        self.inner.closing.send_replace(true);
    }

    pub fn account_sid(&self) -> AccountSid {
        self.read_state(|s| s.account_sid.clone())
    }

    pub fn auth_token(&self) -> String {
        self.read_state(|s| s.auth_token.clone())
    }

    /// The base URL of the server serving this simulator, once one is bound.
    pub fn base_url(&self) -> Option<String> {
        self.read_state(|s| s.base_url.clone())
    }

    /// Tells the simulator where it is reachable (done by [`crate::SimServer`]).
    pub fn set_base_url(&self, url: impl Into<String>) {
        let url = url.into();
        self.with_state(|s| s.base_url = Some(url));
    }

    /// Adds an incoming phone number to the account.
    pub fn add_number(&self, number: PhoneNumber) -> Result<IncomingNumber, SimError> {
        self.with_state(|s| s.add_number(number, None))
    }

    pub fn numbers(&self) -> Vec<IncomingNumber> {
        self.read_state(|s| s.numbers.clone())
    }

    /// Every message the account holds, oldest first.
    pub fn messages(&self) -> Vec<Message> {
        self.read_state(|s| s.messages.clone())
    }

    pub fn message(&self, sid: &MessageSid) -> Option<Message> {
        self.read_state(|s| s.messages.iter().find(|m| &m.sid == sid).cloned())
    }

    /// The media items stored for a message, in `MediaUrl` order.
    pub fn media_of(&self, sid: &MessageSid) -> Vec<Media> {
        self.read_state(|s| {
            s.media
                .iter()
                .filter(|m| &m.parent_sid == sid)
                .cloned()
                .collect()
        })
    }

    /// Every call the account holds, oldest first.
    pub fn calls(&self) -> Vec<Call> {
        self.read_state(|s| s.calls.clone())
    }

    pub fn call(&self, sid: &CallSid) -> Option<Call> {
        self.read_state(|s| s.calls.iter().find(|c| &c.sid == sid).cloned())
    }

    pub fn applications(&self) -> Vec<Application> {
        self.read_state(|s| s.applications.clone())
    }

    pub fn recordings(&self) -> Vec<Recording> {
        self.read_state(|s| s.recordings.clone())
    }

    /// Stores a completed recording of `call` lasting `duration_secs`, as `<Record>` would.
    pub fn add_recording(&self, call: &CallSid, duration_secs: u32) -> Result<Recording, SimError> {
        self.with_state(|s| {
            if !s.calls.iter().any(|c| &c.sid == call) {
                return Err(SimError::NotFound(format!("call {call}")));
            }
            let recording = Recording::new(
                call.clone(),
                duration_secs,
                RecordingSource::RecordVerb,
                s.now(),
            );
            s.recordings.push(recording.clone());
            Ok(recording)
        })
    }

    /// The next `n` REST requests answer 500 with Twilio error 20500.
    pub fn fail_next_requests(&self, n: u32) {
        self.with_state(|s| s.faults.fail_next(n));
    }

    /// REST requests answer 500 with Twilio error 20500 for `window`.
    pub fn fail_requests_for(&self, window: Duration) {
        self.with_state(|s| s.faults.fail_for(window));
    }

    /// REST requests arriving within `window` are carried out at once but answered only after
    /// `delay`: a client that times out first cannot tell whether Twilio acted on its request.
    pub fn delay_requests_for(&self, delay: Duration, window: Duration) {
        self.with_state(|s| s.faults.delay_for(delay, window));
    }

    /// Disarms every fault: REST failures and delays, and per-destination delivery failures.
    pub fn clear_faults(&self) {
        self.with_state(|s| {
            s.faults = Faults::default();
            s.failing_destinations.clear();
        });
    }

    /// Messages created from now on to `to` will fail with `error` when delivered.
    pub fn fail_messages_to(&self, to: &str, error: DeliveryError) {
        let to = to.to_owned();
        self.with_state(|s| s.failing_destinations.insert(to, error));
    }

    /// The failure scenario armed for messages to `to`, if any.
    pub fn delivery_failure_for(&self, to: &str) -> Option<DeliveryError> {
        self.read_state(|s| s.failing_destinations.get(to).copied())
    }

    /// Moves the simulator's clock forward, so that tests see time pass without sleeping.
    pub fn advance_clock(&self, by: Duration) {
        self.with_state(|s| s.clock.advance(by));
    }

    /// Back to the configured account: numbers and keys as configured, nothing sent, no faults,
    /// no scenario. The settings stay as they are; calls and messages in progress stop.
    pub fn reset(&self) {
        let initial = self.inner.initial.clone();
        self.with_state(|s| {
            let base_url = s.base_url.take();
            let settings = s.settings.clone();
            let browsers = std::mem::take(&mut s.browsers);
            let epoch = s.epoch + 1;
            *s = initial;
            s.base_url = base_url;
            s.settings = settings;
            s.browsers = browsers;
            s.epoch = epoch;
        });
    }
}
