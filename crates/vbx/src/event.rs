//! The event hub: an injected broadcast channel. Webhooks publish after their store commit;
//! the WebSocket and the XMPP/email devices subscribe.

use serde::Serialize;
use tokio::sync::broadcast;

/// Something that changed in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Call {
        sid: String,
    },
    Message {
        sid: String,
    },
    Recording {
        sid: String,
        call_sid: String,
    },
    Outbox {
        id: i64,
    },
    /// Outbound work was queued; workers of that kind claim it without waiting for their poll.
    Queued {
        kind: String,
        id: i64,
    },
    /// A frame for the browsers' WebSockets: a stored event (`cursor` is its id in the
    /// `events` table) or presence (no cursor; never stored).
    Feed {
        cursor: Option<i64>,
        frame: String,
    },
    /// A login session ended (logout): its WebSockets close. `session` is the token's hash.
    SessionEnded {
        session: String,
    },
}

#[derive(Debug, Clone)]
pub struct EventHub {
    tx: broadcast::Sender<Event>,
}

impl EventHub {
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity);
        Self { tx }
    }

    /// Publishes to whoever listens now; nobody listening is fine.
    pub fn publish(&self, event: Event) {
        let _ = self.tx.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }
}

impl Default for EventHub {
    fn default() -> Self {
        Self::new(1024)
    }
}
