//! The event hub: injected broadcast channels. Webhooks publish after their store commit;
//! the WebSockets listen to the feed, the outbound workers (SMS, email, XMPP, media) to work.

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
    /// A stored message has media to download: the media worker fetches it without waiting
    /// for its poll (texts without media do not wake it).
    MediaArrived {
        sid: String,
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
    /// The events for tabs (`Feed`, `SessionEnded`) again, alone: each open tab listens here,
    /// so the other events (a few per webhook) do not wake every tab for nothing.
    feed: broadcast::Sender<Event>,
    /// The events that mean work for a worker (`Queued`, `Outbox`, `MediaArrived`) again,
    /// alone: a stored call or text publishes a few other events, and each would wake every
    /// worker for nothing (a task wake-up each, several per webhook).
    work: broadcast::Sender<Event>,
}

impl EventHub {
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity);
        let (feed, _) = broadcast::channel(capacity);
        let (work, _) = broadcast::channel(capacity);
        Self { tx, feed, work }
    }

    /// Publishes to whoever listens now; nobody listening is fine.
    /// Tells the browsers and workers what a use case stored (after the store answered).
    pub fn publish_changes(&self, changes: crate::store::Changes) {
        for row in changes.feed {
            self.publish(Event::Feed {
                cursor: Some(row.id),
                frame: row.frame(),
            });
        }
        for (kind, id) in changes.queued {
            self.publish(Event::Queued {
                kind: kind.to_owned(),
                id,
            });
        }
    }

    pub fn publish(&self, event: Event) {
        if matches!(event, Event::Feed { .. } | Event::SessionEnded { .. }) {
            let _ = self.feed.send(event.clone());
        }
        if matches!(
            event,
            Event::Queued { .. } | Event::Outbox { .. } | Event::MediaArrived { .. }
        ) {
            let _ = self.work.send(event.clone());
        }
        let _ = self.tx.send(event);
    }

    /// Every event.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }

    /// Only the events for tabs (`Feed`, `SessionEnded`), in the order they were published.
    pub fn subscribe_feed(&self) -> broadcast::Receiver<Event> {
        self.feed.subscribe()
    }

    /// Only the events that mean work for a worker (`Queued`, `Outbox`, `MediaArrived`), in
    /// the order they were published.
    pub fn subscribe_work(&self) -> broadcast::Receiver<Event> {
        self.work.subscribe()
    }
}

impl Default for EventHub {
    fn default() -> Self {
        Self::new(1024)
    }
}

/// Waits until `events` brings one that `wanted` says yes to, or has missed some (a lagged
/// receiver may have missed a wanted one: the caller looks again either way). A hub that
/// closed brings nothing more: this then waits forever, for the caller's other wake-ups.
pub async fn wait_for(events: &mut broadcast::Receiver<Event>, wanted: impl Fn(&Event) -> bool) {
    loop {
        match events.recv().await {
            Ok(event) if wanted(&event) => return,
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(_)) => return,
            Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiting_for_an_event_skips_the_others_and_gives_up_on_a_lag() {
        let (tx, mut rx) = broadcast::channel(2);
        let wanted = |event: &Event| matches!(event, Event::Message { .. });
        tx.send(Event::Call { sid: "CA1".into() }).unwrap();
        tx.send(Event::Message { sid: "SM1".into() }).unwrap();
        wait_for(&mut rx, wanted).await;
        assert!(
            rx.try_recv().is_err(),
            "the wanted event was the last one taken"
        );
        // Three unwanted events into a channel of two: the receiver lagged and may have
        // missed a wanted one, so the wait ends.
        for i in 0..3 {
            tx.send(Event::Call {
                sid: format!("CA{i}"),
            })
            .unwrap();
        }
        tokio::time::timeout(std::time::Duration::from_secs(5), wait_for(&mut rx, wanted))
            .await
            .expect("a lag ends the wait");
        // Nothing wanted and no lag: it keeps waiting.
        while rx.try_recv().is_ok() {}
        tx.send(Event::Call { sid: "CA9".into() }).unwrap();
        let waiting = tokio::time::timeout(
            std::time::Duration::from_millis(50),
            wait_for(&mut rx, wanted),
        );
        assert!(waiting.await.is_err());
    }

    fn feed(cursor: i64) -> Event {
        Event::Feed {
            cursor: Some(cursor),
            frame: format!("{{\"cursor\":{cursor}}}"),
        }
    }

    #[test]
    fn the_feed_subscription_gets_feed_events_only_and_the_other_gets_everything() {
        let hub = EventHub::new(16);
        let mut all = hub.subscribe();
        let mut feed_only = hub.subscribe_feed();
        let message = Event::Message { sid: "SM1".into() };
        for event in [message.clone(), feed(1), feed(2)] {
            hub.publish(event);
        }
        let drain = |rx: &mut broadcast::Receiver<Event>| {
            std::iter::from_fn(|| rx.try_recv().ok()).collect::<Vec<_>>()
        };
        assert_eq!(drain(&mut all), [message, feed(1), feed(2)]);
        assert_eq!(drain(&mut feed_only), [feed(1), feed(2)]);
    }

    #[test]
    fn the_work_subscription_gets_only_what_a_worker_acts_on() {
        let hub = EventHub::new(16);
        let mut all = hub.subscribe();
        let mut work = hub.subscribe_work();
        let queued = Event::Queued {
            kind: "sms".into(),
            id: 7,
        };
        let outbox = Event::Outbox { id: 7 };
        let media = Event::MediaArrived { sid: "MM1".into() };
        let published = [
            Event::Message { sid: "SM1".into() },
            feed(1),
            queued.clone(),
            Event::Call { sid: "CA1".into() },
            outbox.clone(),
            media.clone(),
            feed(2),
        ];
        for event in published.clone() {
            hub.publish(event);
        }
        let drain = |rx: &mut broadcast::Receiver<Event>| {
            std::iter::from_fn(|| rx.try_recv().ok()).collect::<Vec<_>>()
        };
        assert_eq!(drain(&mut all), published);
        assert_eq!(drain(&mut work), [queued, outbox, media]);
    }
}
