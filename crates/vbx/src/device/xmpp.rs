//! The XMPP device: an XEP-0114 component that shows each contact to one target JID as
//! `<number>@<component>`, delivers texts to it from the outbox, and sends its replies as
//! SMS. It reconnects by itself and is offline while disconnected.

mod component;
mod gateway;
pub mod jid;
mod queue;
pub mod stream;

use std::collections::VecDeque;
use std::time::Duration;

use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior};
use twilio::PhoneNumber;

pub use component::{connect, handshake_digest, stream_error_text, ConnectError, Connection};
pub use gateway::{Gateway, Outcome, XmppPayload, NS_NICK, NS_OOB, NS_PING};
pub use queue::{enqueue_sms, failure_notice, notify_recent_failures, Origin};

use self::stream::{Element, StreamEvent, XmlWriter, NS_STREAM, STREAM_FOOTER};

use crate::config::{self, Config, Device};
use crate::contact_book::ContactBook;
use crate::device::LivePresence;
use crate::event::{Event, EventHub};
use crate::store::outbox::XMPP;
use crate::store::{now_ms, Store, StoreError};

/// How patient the device is. The defaults suit production; tests shorten them.
#[derive(Debug, Clone)]
pub struct Timing {
    /// The wait after a lost connection or a first failed attempt; doubles per failure.
    pub first_retry: Duration,
    pub max_retry: Duration,
    /// The wait after the server refused the secret: a person has to fix the configuration,
    /// so retrying often only fills the logs.
    pub refused_retry: Duration,
    /// For connecting and the handshake together.
    pub handshake_timeout: Duration,
    /// How often the outbox is looked at besides the event hub's nudges.
    pub poll: Duration,
    /// A silent connection gets a whitespace keepalive this often, so a dead one is noticed.
    pub keepalive: Duration,
    /// A write that takes longer means the connection is dead.
    pub write_timeout: Duration,
    /// A ping after delivered texts unanswered this long means the server is not processing
    /// the stream (hung): the connection is dropped and the texts are sent again on the next
    /// one. Below the outbox's lease on a claimed row, so no other claim can take them first.
    pub ack_timeout: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            first_retry: Duration::from_secs(1),
            max_retry: Duration::from_secs(60),
            refused_retry: Duration::from_secs(300),
            handshake_timeout: Duration::from_secs(10),
            poll: Duration::from_secs(1),
            keepalive: Duration::from_secs(60),
            write_timeout: Duration::from_secs(30),
            ack_timeout: Duration::from_secs(30),
        }
    }
}

impl Timing {
    /// The wait after `failures` failed attempts in a row: 1 s, 2 s, 4 s … capped.
    pub fn backoff(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(20);
        self.first_retry
            .saturating_mul(1u32 << doublings)
            .min(self.max_retry)
    }
}

/// What the device reports about itself (for the status page and tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XmppStatus {
    /// The component stream is up.
    pub connected: bool,
    /// A resource of the target is available.
    pub online: bool,
    /// Connection attempts so far.
    pub attempts: u64,
    /// Why the last attempt or connection failed (cleared on success).
    pub last_error: Option<String>,
}

pub struct XmppDevice {
    name: String,
    config: config::Xmpp,
    store: Store,
    presence: LivePresence,
    events: EventHub,
    /// The vbx number: texts the target writes are sent from it.
    number: PhoneNumber,
    /// Names for the roster and notices; read afresh at each connection.
    contacts: ContactBook,
    timing: Timing,
    status: watch::Sender<XmppStatus>,
    /// Kept across connections (the target's presence, what it was told).
    gateway: Option<Gateway>,
    /// Connection attempts failed in a row.
    failures: u32,
}

/// What to do after one connection ([`XmppDevice::step`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// vbx is stopping.
    Stop,
    /// Connect again after this wait.
    RetryIn(Duration),
}

/// Why a connected session ended other than by shutdown.
#[derive(Debug)]
struct Lost(String);

impl XmppDevice {
    pub fn new(
        name: String,
        config: config::Xmpp,
        store: Store,
        presence: LivePresence,
        events: EventHub,
        number: PhoneNumber,
        contacts: ContactBook,
    ) -> XmppDevice {
        XmppDevice {
            name,
            config,
            store,
            presence,
            events,
            number,
            contacts,
            timing: Timing::default(),
            status: watch::Sender::new(XmppStatus::default()),
            gateway: None,
            failures: 0,
        }
    }

    pub fn with_timing(mut self, timing: Timing) -> XmppDevice {
        self.timing = timing;
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Follows the device's state.
    pub fn status(&self) -> watch::Receiver<XmppStatus> {
        self.status.subscribe()
    }

    fn update(&self, change: impl FnOnce(&mut XmppStatus)) {
        self.status.send_modify(change);
    }

    fn contact_name(&self, number: &str) -> Option<String> {
        let number = PhoneNumber::parse(number).ok()?;
        self.contacts.snapshot().get(&number).cloned()
    }

    /// Queues a notice for each recent failed SMS the target wrote that was not reported yet.
    /// Returns how many it queued.
    pub async fn report_failures(&self) -> Result<usize, StoreError> {
        let name = |n: &str| self.contact_name(n);
        queue::notify_recent_failures(&self.store, &self.name, name, now_ms()).await
    }

    async fn report_failures_logged(&self) {
        match self.report_failures().await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(device = %self.name, notices = n, "queued notices of failed texts for the XMPP target")
            }
            Err(e) => {
                tracing::error!(device = %self.name, error = %e, "cannot look for failed texts")
            }
        }
    }

    /// Handles an outbox change: a failed SMS the target wrote gets a notice. Returns whether
    /// one was queued.
    pub async fn note_outbox_change(&self, id: i64) -> Result<bool, StoreError> {
        let Some(item) = self.store.outbox_row(id).await? else {
            return Ok(false);
        };
        let name = |n: &str| self.contact_name(n);
        let queued = queue::notify_failure(&self.store, &self.name, &item, name, now_ms()).await?;
        if queued {
            tracing::info!(device = %self.name, sms = id, "an SMS from the XMPP target failed; telling the target");
        }
        Ok(queued)
    }

    /// Connects, serves, and reconnects until `shutdown` turns true (or its sender goes): one
    /// [`XmppDevice::step`] after another, waiting between them as each says.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        self.presence.set_xmpp(&self.name, false);
        self.report_failures_logged().await;
        while let Next::RetryIn(wait) = self.step(&mut shutdown).await {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => break,
            }
        }
        self.presence.set_xmpp(&self.name, false);
        self.update(|s| {
            s.connected = false;
            s.online = false;
        });
    }

    /// One connection: connects, serves it until it is lost or `shutdown` turns true, and says
    /// what next — stop, or try again after a wait that grows with failed attempts (a refused
    /// secret waits longest).
    pub async fn step(&mut self, shutdown: &mut watch::Receiver<bool>) -> Next {
        if *shutdown.borrow() {
            return Next::Stop;
        }
        let attempt = tokio::select! {
            attempt = self.connect() => attempt,
            _ = shutdown.changed() => return Next::Stop,
        };
        match attempt {
            Ok(connection) => {
                self.failures = 0;
                self.update(|s| {
                    s.connected = true;
                    s.last_error = None;
                });
                tracing::info!(
                    device = %self.name,
                    component = %self.config.component,
                    server = %format!("{}:{}", self.config.server, self.config.port),
                    "connected to the XMPP server"
                );
                let mut gateway = self.gateway.take().unwrap_or_else(|| self.new_gateway());
                let ended = self.serve(connection, &mut gateway, shutdown).await;
                gateway.on_disconnect();
                self.gateway = Some(gateway);
                self.presence.set_xmpp(&self.name, false);
                self.update(|s| {
                    s.connected = false;
                    s.online = false;
                });
                match ended {
                    Ok(()) => Next::Stop,
                    Err(Lost(reason)) => {
                        tracing::warn!(device = %self.name, %reason, "lost the XMPP connection; reconnecting");
                        self.update(|s| s.last_error = Some(reason));
                        Next::RetryIn(self.timing.first_retry)
                    }
                }
            }
            Err(ConnectError::NotAuthorized) => {
                let message = format!(
                    "the XMPP server refused the component secret for {}: check devices.{}.secret",
                    self.config.component, self.name
                );
                tracing::error!(device = %self.name, retry_in = ?self.timing.refused_retry, "{message}");
                self.update(|s| s.last_error = Some(message));
                Next::RetryIn(self.timing.refused_retry)
            }
            Err(e) => {
                self.failures = self.failures.saturating_add(1);
                let wait = self.timing.backoff(self.failures);
                let message = self.explain(&e);
                tracing::warn!(device = %self.name, retry_in = ?wait, "{message}");
                self.update(|s| s.last_error = Some(message));
                Next::RetryIn(wait)
            }
        }
    }

    /// The stanza logic of the component, with the contacts known now.
    fn new_gateway(&self) -> Gateway {
        Gateway::new(
            &self.config.component,
            &self.config.target,
            self.number.clone(),
            self.contacts.snapshot().as_ref().clone(),
        )
    }

    async fn connect(&self) -> Result<Connection, ConnectError> {
        self.update(|s| s.attempts += 1);
        let c = &self.config;
        let attempt = connect(&c.server, c.port, &c.component, c.secret.expose());
        tokio::time::timeout(self.timing.handshake_timeout, attempt)
            .await
            .unwrap_or(Err(ConnectError::TimedOut))
    }

    /// The operator's version of a connection failure: what failed and which setting to look
    /// at.
    fn explain(&self, error: &ConnectError) -> String {
        let (c, name) = (&self.config, &self.name);
        match error {
            ConnectError::Unreachable { addr, source } => format!(
                "cannot reach the XMPP server at {addr}: {source} (check devices.{name}.server \
                 and devices.{name}.port, and that the server accepts components there, e.g. \
                 Prosody's component_ports)"
            ),
            ConnectError::HostUnknown => format!(
                "the XMPP server has no component named {0}: add `Component \"{0}\"` with a \
                 component_secret to its configuration, or fix devices.{name}.component",
                c.component
            ),
            ConnectError::NotComponentPort { addr, ns } => format!(
                "{addr} is the XMPP server's client port, not its component port (it opened a \
                 {ns} stream): set devices.{name}.port to the component port (Prosody: \
                 component_ports, 5347 by default; ejabberd: the ejabberd_service listener)"
            ),
            ConnectError::Conflict => format!(
                "another connection is already using the component {} (is a second vbx \
                 running with the same configuration?)",
                c.component
            ),
            ConnectError::TimedOut => format!(
                "the XMPP server at {}:{} did not finish the component handshake within {:?}",
                c.server, c.port, self.timing.handshake_timeout
            ),
            other => format!(
                "connecting to the XMPP server as {} failed: {other}",
                c.component
            ),
        }
    }

    /// One connected session: until shutdown (`Ok`) or until the connection is lost.
    async fn serve(
        &self,
        connection: Connection,
        gateway: &mut Gateway,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<(), Lost> {
        let Connection { mut reader, writer } = connection;
        // The reader is not cancel-safe, so it lives in its own task and hands over whole
        // stanzas.
        let (tx, mut stanzas) = mpsc::channel(64);
        let reader_task = tokio::spawn(async move {
            loop {
                let event = reader.next().await;
                let last = !matches!(event, Ok(StreamEvent::Open(_) | StreamEvent::Element(_)));
                if tx.send(event).await.is_err() || last {
                    return;
                }
            }
        });
        let _stop_reader = AbortOnDrop(reader_task);
        let mut session = Session {
            writer,
            last_write: Instant::now(),
            write_timeout: self.timing.write_timeout,
            written: Vec::new(),
            pings: VecDeque::new(),
            pinged: 0,
            from: self.config.component.clone(),
            to: jid::Jid::parse(&self.config.target).domain.to_owned(),
        };
        let ended = self
            .serve_session(&mut session, &mut stanzas, gateway, shutdown)
            .await;
        // What the server did not acknowledge goes out again on the next connection.
        let reason = match &ended {
            Ok(()) => "vbx stopped before the XMPP server acknowledged the text".to_owned(),
            Err(Lost(reason)) => reason.clone(),
        };
        self.requeue(session.unacknowledged(), &reason).await;
        ended
    }

    async fn serve_session(
        &self,
        session: &mut Session,
        stanzas: &mut mpsc::Receiver<Result<StreamEvent, stream::ReadError>>,
        gateway: &mut Gateway,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<(), Lost> {
        let mut events = self.events.subscribe_work();

        // Contacts added or renamed in the app since the last connection join the roster.
        gateway.set_contacts(self.contacts.snapshot().as_ref().clone());
        for stanza in gateway.on_connect() {
            session.send(&stanza).await?;
        }
        self.report_failures_logged().await;
        self.deliver(session, gateway).await?;

        let mut tick = tokio::time::interval(self.timing.poll);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = stanzas.recv() => match event {
                    Some(Ok(StreamEvent::Element(stanza))) => {
                        if let Some(rows) = session.acknowledged(&stanza) {
                            self.mark_delivered(rows).await;
                        } else {
                            self.handle(&stanza, session, gateway).await?;
                        }
                    }
                    Some(Ok(StreamEvent::Open(_))) => {}
                    Some(Ok(StreamEvent::Close)) | None => {
                        return Err(Lost("the XMPP server closed the stream".into()));
                    }
                    Some(Err(e)) => return Err(Lost(e.to_string())),
                },
                event = events.recv() => match event {
                    Ok(Event::Outbox { id }) => {
                        match self.note_outbox_change(id).await {
                            Ok(true) => self.deliver(session, gateway).await?,
                            Ok(false) => {}
                            Err(e) => tracing::error!(device = %self.name, error = %e, "cannot read the outbox"),
                        }
                    }
                    Ok(Event::Queued { kind, .. }) if kind == XMPP => {
                        self.deliver(session, gateway).await?
                    }
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        self.report_failures_logged().await;
                        self.deliver(session, gateway).await?;
                    }
                    // Cannot happen while this device holds the hub; listen afresh if it does.
                    Err(broadcast::error::RecvError::Closed) => events = self.events.subscribe_work(),
                },
                _ = tick.tick() => {
                    self.deliver(session, gateway).await?;
                    session.keepalive(self.timing.keepalive).await?;
                    if session.oldest_ping().is_some_and(|sent| sent.elapsed() > self.timing.ack_timeout) {
                        return Err(Lost(format!(
                            "the XMPP server did not acknowledge delivered texts within {:?}",
                            self.timing.ack_timeout
                        )));
                    }
                }
                _ = shutdown.changed() => {
                    // Texts written just before are counted if the server answers soon.
                    let patience = Instant::now() + SHUTDOWN_ACK_WAIT;
                    while session.oldest_ping().is_some() {
                        match tokio::time::timeout_at(patience, stanzas.recv()).await {
                            Ok(Some(Ok(StreamEvent::Element(stanza)))) => {
                                if let Some(rows) = session.acknowledged(&stanza) {
                                    self.mark_delivered(rows).await;
                                }
                            }
                            Ok(Some(Ok(StreamEvent::Open(_)))) => {}
                            _ => break,
                        }
                    }
                    // Best effort: the contacts go offline in the target's roster.
                    for stanza in gateway.farewell() {
                        if session.send(&stanza).await.is_err() {
                            break;
                        }
                    }
                    let _ = session.writer.send_raw(STREAM_FOOTER).await;
                    tracing::info!(device = %self.name, "closed the XMPP connection");
                    return Ok(());
                }
            }
        }
    }

    async fn handle(
        &self,
        stanza: &Element,
        session: &mut Session,
        gateway: &mut Gateway,
    ) -> Result<(), Lost> {
        if stanza.is("error", NS_STREAM) {
            return Err(Lost(format!(
                "the XMPP server ended the stream: {}",
                stream_error_text(stanza)
            )));
        }
        for outcome in gateway.on_stanza(stanza) {
            match outcome {
                Outcome::Send(reply) => session.send(&reply).await?,
                Outcome::Online(online) => {
                    self.presence.set_xmpp(&self.name, online);
                    self.update(|s| s.online = online);
                    tracing::info!(device = %self.name, target = %gateway.target(), online, "the XMPP target's presence changed");
                }
                Outcome::Sms { to, body, media } => {
                    let queued = queue::enqueue_sms(
                        &self.store,
                        &self.name,
                        &self.number,
                        &to,
                        &body,
                        &media,
                        now_ms(),
                    )
                    .await;
                    match queued {
                        Ok(Some(id)) => {
                            tracing::info!(device = %self.name, id, %to, "queued an SMS the XMPP target wrote");
                            self.events.publish(Event::Outbox { id });
                        }
                        Ok(None) => {}
                        Err(e) => {
                            tracing::error!(device = %self.name, error = %e, %to, "cannot queue an SMS the XMPP target wrote");
                            let notice = gateway.chat(
                                &gateway.jid_of(to.as_str()),
                                gateway.target(),
                                &format!("Not sent to {to}: vbx could not store the text ({e})."),
                            );
                            session.send(&notice).await?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Sends the texts queued for the target, one row at a time, then a ping: a text is
    /// marked sent when the server answers a ping sent after it (it handles a stream's
    /// stanzas in order), so a text written into a connection that the server never read is
    /// sent again on the next one rather than lost. A row whose write failed goes back to the
    /// queue at once.
    async fn deliver(&self, session: &mut Session, gateway: &Gateway) -> Result<(), Lost> {
        self.write_queued(session, gateway).await?;
        session.ping_if_written().await
    }

    async fn write_queued(&self, session: &mut Session, gateway: &Gateway) -> Result<(), Lost> {
        loop {
            let item = match self
                .store
                .claim_for_device(XMPP, &self.name, now_ms())
                .await
            {
                Ok(Some(item)) => item,
                Ok(None) => return Ok(()),
                Err(e) => {
                    tracing::error!(device = %self.name, error = %e, "cannot read the outbox");
                    return Ok(());
                }
            };
            let id = item.id;
            let marked = match item.payload_as::<XmppPayload>() {
                Err(e) => {
                    let error = format!("unreadable payload: {e}");
                    self.store
                        .outbox_failed(id, &error, now_ms())
                        .await
                        .map(|_| true)
                }
                Ok(text) => {
                    let stanza = gateway.text(&format!("vbx-{id}"), &text);
                    match session.send(&stanza).await {
                        Ok(()) => {
                            tracing::debug!(device = %self.name, id, "wrote a text for the XMPP target");
                            session.written.push(id);
                            continue;
                        }
                        Err(Lost(reason)) => {
                            let now = now_ms();
                            if let Err(e) = self.store.outbox_retry(id, &reason, now, now).await {
                                tracing::error!(device = %self.name, error = %e, id, "cannot requeue a text");
                            }
                            self.events.publish(Event::Outbox { id });
                            return Err(Lost(reason));
                        }
                    }
                }
            };
            if let Err(e) = marked {
                tracing::error!(device = %self.name, error = %e, id, "cannot record a delivery");
            }
            self.events.publish(Event::Outbox { id });
        }
    }

    /// Marks the texts the server acknowledged as sent.
    async fn mark_delivered(&self, rows: Vec<i64>) {
        for id in rows {
            tracing::debug!(device = %self.name, id, "the XMPP server acknowledged a text");
            if let Err(e) = self.store.outbox_sent(id, None, now_ms()).await {
                tracing::error!(device = %self.name, error = %e, id, "cannot record a delivery");
            }
            self.events.publish(Event::Outbox { id });
        }
    }

    /// Puts texts written but not acknowledged back in the queue, due at once.
    async fn requeue(&self, rows: Vec<i64>, reason: &str) {
        for id in rows {
            tracing::info!(device = %self.name, id, %reason, "the XMPP server did not acknowledge a text; it will be sent again");
            let now = now_ms();
            if let Err(e) = self.store.outbox_retry(id, reason, now, now).await {
                tracing::error!(device = %self.name, error = %e, id, "cannot requeue a text");
            }
            self.events.publish(Event::Outbox { id });
        }
    }
}

/// How long a stopping vbx waits for the server to acknowledge texts it just wrote.
const SHUTDOWN_ACK_WAIT: Duration = Duration::from_secs(2);

/// A ping sent after some texts, not yet answered.
struct Ping {
    id: String,
    rows: Vec<i64>,
    sent: Instant,
}

/// The writing half of a connected session, and the texts written on it that the server has
/// not acknowledged yet.
struct Session {
    writer: XmlWriter<OwnedWriteHalf>,
    last_write: Instant,
    write_timeout: Duration,
    /// Outbox rows written since the last ping.
    written: Vec<i64>,
    /// Pings sent, oldest first, each with the rows written before it.
    pings: VecDeque<Ping>,
    /// Pings sent on this connection (for their ids).
    pinged: u64,
    /// The component's domain: pings come from it.
    from: String,
    /// A domain of the server (the target's): pings go to it. Any answer counts, an error
    /// too: it comes after the server handled what was written before the ping.
    to: String,
}

impl Session {
    /// Sends a ping (XEP-0199) for the rows written since the last one.
    async fn ping_if_written(&mut self) -> Result<(), Lost> {
        if self.written.is_empty() {
            return Ok(());
        }
        self.pinged += 1;
        let id = format!("vbx-ack-{}", self.pinged);
        let ping = Element::new("iq", stream::NS_COMPONENT)
            .with_attr("type", "get")
            .with_attr("id", id.clone())
            .with_attr("from", self.from.clone())
            .with_attr("to", self.to.clone())
            .with_child(Element::new("ping", NS_PING));
        self.send(&ping).await?;
        self.pings.push_back(Ping {
            id,
            rows: std::mem::take(&mut self.written),
            sent: Instant::now(),
        });
        Ok(())
    }

    /// The rows acknowledged by `stanza` if it answers a ping of ours: that ping's and every
    /// older one's (the server answers in order).
    fn acknowledged(&mut self, stanza: &Element) -> Option<Vec<i64>> {
        if stanza.name != "iq" || !matches!(stanza.attr("type"), Some("result" | "error")) {
            return None;
        }
        let id = stanza.attr("id")?;
        let at = self.pings.iter().position(|p| p.id == id)?;
        Some(self.pings.drain(..=at).flat_map(|p| p.rows).collect())
    }

    fn oldest_ping(&self) -> Option<Instant> {
        self.pings.front().map(|p| p.sent)
    }

    /// Every row written and not acknowledged, oldest first.
    fn unacknowledged(&mut self) -> Vec<i64> {
        let mut rows: Vec<i64> = self.pings.drain(..).flat_map(|p| p.rows).collect();
        rows.append(&mut self.written);
        rows
    }

    async fn send(&mut self, stanza: &Element) -> Result<(), Lost> {
        let xml = stanza.to_xml(stream::NS_COMPONENT);
        self.write(&xml).await
    }

    async fn keepalive(&mut self, every: Duration) -> Result<(), Lost> {
        if self.last_write.elapsed() >= every {
            self.write(" ").await?;
        }
        Ok(())
    }

    async fn write(&mut self, xml: &str) -> Result<(), Lost> {
        match tokio::time::timeout(self.write_timeout, self.writer.send_raw(xml)).await {
            Ok(Ok(())) => {
                self.last_write = Instant::now();
                Ok(())
            }
            Ok(Err(e)) => Err(Lost(format!("writing to the XMPP server failed: {e}"))),
            Err(_) => Err(Lost(format!(
                "writing to the XMPP server took longer than {:?}",
                self.write_timeout
            ))),
        }
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts one [`XmppDevice`] per `xmpp` device of the configuration among the app's workers.
/// Returns each device's name and status (for a status page).
pub fn spawn_all(
    config: &Config,
    contacts: &ContactBook,
    store: &Store,
    presence: &LivePresence,
    events: &EventHub,
    workers: &mut crate::worker::Workers,
    stop: &watch::Receiver<bool>,
) -> Vec<(String, watch::Receiver<XmppStatus>)> {
    let mut statuses = Vec::new();
    for (name, device) in &config.devices {
        let Device::Xmpp(xmpp) = device else {
            continue;
        };
        let device = XmppDevice::new(
            name.clone(),
            xmpp.clone(),
            store.clone(),
            presence.clone(),
            events.clone(),
            config.twilio.number.clone(),
            contacts.clone(),
        );
        statuses.push((name.clone(), device.status()));
        // The status endpoint shows why the component cannot connect (e.g. a refused secret).
        let mut status = device.status();
        let (shown, device_name, mut status_stop) = (presence.clone(), name.clone(), stop.clone());
        workers.spawn("XMPP status", async move {
            loop {
                let error = status.borrow_and_update().last_error.clone();
                shown.set_device_error(&device_name, error);
                tokio::select! {
                    changed = status.changed() => if changed.is_err() { break },
                    _ = status_stop.changed() => break,
                }
            }
        });
        workers.spawn("XMPP device", device.run(stop.clone()));
    }
    statuses
}

#[cfg(test)]
mod tests;
