//! The SMS sender: drains `sms` work from the outbox through Twilio's REST API, retrying
//! network errors, timeouts and 5xx with capped exponential backoff (after looking for the
//! message at Twilio, so nothing is sent twice); a 4xx marks the work failed with Twilio's
//! message. Each sent message is recorded in the store with its SID.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use twilio::client::{parse_rfc2822, Client, CreateMessage, MessageFilter, MessageResource};

use crate::event::{Event, EventHub};
use crate::store::outbox::OutboxItem;
use crate::store::outbox::SMS;
use crate::store::{self, message, now_ms, Store};
use crate::worker::health::TwilioHealth;

/// What an `sms` outbox item carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SmsPayload {
    pub to: String,
    pub from: String,
    pub body: String,
    /// Public URLs Twilio fetches the media from.
    #[serde(default)]
    pub media: Vec<String>,
    /// vbx's own copies of `media` (same order), for texts sent from the app.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub local_media: Vec<LocalMedia>,
}

/// An uploaded file kept under the data directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalMedia {
    /// Relative to the data directory, e.g. `media/out/<hex>`.
    pub path: String,
    pub content_type: String,
}

pub struct SmsSender {
    pub client: Client,
    pub store: Store,
    pub events: EventHub,
    /// Where Twilio reports the message's status (`/flow/status/message`).
    pub status_callback: Option<String>,
    /// Twilio reachability as the status endpoint reports it.
    pub health: TwilioHealth,
}

/// The wait before attempt `attempts + 1`: 2 s, 4 s, 8 s … capped at 5 minutes.
pub fn backoff(attempts: i64) -> Duration {
    let exp = u32::try_from(attempts.clamp(0, 16)).unwrap_or(16);
    Duration::from_secs(2u64.saturating_pow(exp + 1).min(300))
}

/// How far before an item's creation a message found at Twilio may be dated and still be
/// taken for it (clock skew between vbx and Twilio; Twilio's dates have whole seconds).
const LOOKUP_SKEW_MS: i64 = 2 * 60 * 1000;
/// Messages per page, and pages at most, when looking for an item at Twilio.
const LOOKUP_PAGE_SIZE: u32 = 100;
const LOOKUP_MAX_PAGES: usize = 10;

impl SmsSender {
    /// Sends everything due now; returns how many items it handled.
    pub async fn step(&self) -> Result<usize, store::StoreError> {
        self.step_at(now_ms()).await
    }

    /// Like [`SmsSender::step`], with `now_ms` deciding what is due, so a test can run a retry
    /// without waiting out its backoff.
    pub async fn step_at(&self, now_ms: i64) -> Result<usize, store::StoreError> {
        // Most wakeups find nothing; a read on the read pool says so without taking the write lock.
        if !self.store.work_due(&[SMS], now_ms).await? {
            return Ok(0);
        }
        let items = self.store.claim_outbox(&[SMS], now_ms, 20).await?;
        let count = items.len();
        for item in items {
            self.handle(&item).await?;
            self.events.publish(Event::Outbox { id: item.id });
        }
        Ok(count)
    }

    async fn handle(&self, item: &OutboxItem) -> Result<(), store::StoreError> {
        let payload: SmsPayload = match item.payload_as() {
            Ok(p) => p,
            Err(e) => {
                let error = format!("unreadable payload: {e}");
                let changes = self.store.outbox_failed(item.id, &error, now_ms()).await?;
                self.events.publish_changes(changes);
                return Ok(());
            }
        };
        // An earlier attempt timed out, or its worker died while sending: Twilio may have
        // accepted that message, and sending again would deliver it twice.
        if item.attempts > 0 {
            match self.find_accepted(item, &payload).await {
                Ok(Some(found)) => {
                    tracing::info!(id = item.id, sid = %found.sid, "SMS was already accepted by Twilio; not sending it again");
                    return self.finish(item, &payload, &found).await;
                }
                Ok(None) => {}
                Err(e) => return self.failed_attempt(item, &payload, &e).await,
            }
        }
        let request = CreateMessage {
            to: payload.to.clone(),
            from: Some(payload.from.clone()),
            body: (!payload.body.is_empty()).then(|| payload.body.clone()),
            media_url: payload.media.clone(),
            status_callback: self.status_callback.clone(),
            ..Default::default()
        };
        let result = self.client.create_message(&request).await;
        self.health.record(&result);
        match result {
            Ok(sent) => {
                tracing::info!(id = item.id, sid = %sent.sid, to = %payload.to, "SMS sent");
                self.finish(item, &payload, &sent).await
            }
            Err(e) => self.failed_attempt(item, &payload, &e).await,
        }
    }

    /// Network errors, timeouts and 5xx are retried with backoff; anything else (a 4xx) fails
    /// the item with Twilio's message.
    async fn failed_attempt(
        &self,
        item: &OutboxItem,
        payload: &SmsPayload,
        error: &twilio::client::Error,
    ) -> Result<(), store::StoreError> {
        if error.is_retryable() {
            let wait = backoff(item.attempts);
            let now = now_ms();
            let next = now.saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX));
            self.store
                .outbox_retry(item.id, &error.to_string(), next, now)
                .await?;
            tracing::warn!(id = item.id, error = %error, retry_in = ?wait, "SMS not sent; will retry");
        } else {
            let changes = self
                .store
                .outbox_failed(item.id, &error.to_string(), now_ms())
                .await?;
            self.events.publish_changes(changes);
            tracing::error!(id = item.id, error = %error, to = %payload.to, "SMS refused by Twilio");
        }
        Ok(())
    }

    /// Marks the item sent with the message Twilio holds and records that message, in one
    /// transaction, so it shows in its thread and its status callbacks update it.
    async fn finish(
        &self,
        item: &OutboxItem,
        payload: &SmsPayload,
        sent: &MessageResource,
    ) -> Result<(), store::StoreError> {
        let now = now_ms();
        let sid = sent.sid.to_string();
        let message = message::NewMessage {
            sid: sid.clone(),
            account_sid: sent
                .account_sid
                .as_ref()
                .unwrap_or(self.client.account_sid())
                .to_string(),
            from: sent.from.clone().unwrap_or_else(|| payload.from.clone()),
            to: sent.to.clone().unwrap_or_else(|| payload.to.clone()),
            body: sent.body.clone().unwrap_or_else(|| payload.body.clone()),
            direction: sent
                .direction
                .clone()
                .unwrap_or_else(|| "outbound-api".to_owned()),
            status: sent.status.clone().unwrap_or_else(|| "queued".to_owned()),
            // When the user sent it, to the millisecond: Twilio dates texts to the second, so
            // texts sent together would otherwise fall back to their random SIDs for order.
            created_at_ms: item.created_at,
            media: payload
                .media
                .iter()
                .enumerate()
                .map(|(i, url)| message::NewMedia {
                    url: url.clone(),
                    content_type: payload
                        .local_media
                        .get(i)
                        .map(|m| m.content_type.clone())
                        .unwrap_or_default(),
                })
                .collect(),
        };
        let local_paths: Vec<String> = payload.local_media.iter().map(|m| m.path.clone()).collect();
        let changes = self
            .store
            .finish_text(item.id, &message, &local_paths, now)
            .await?;
        self.events.publish_changes(changes);
        Ok(())
    }

    /// The message Twilio accepted for this item in an attempt whose answer vbx never saw:
    /// same sender, recipient, body and media count, created after the item (give or take
    /// clock skew), and not already another item's. Lists newest first with no date filter,
    /// because a message still queued at Twilio has no `date_sent` to filter on.
    async fn find_accepted(
        &self,
        item: &OutboxItem,
        payload: &SmsPayload,
    ) -> Result<Option<MessageResource>, twilio::client::Error> {
        let cutoff = item.created_at.saturating_sub(LOOKUP_SKEW_MS);
        let filter = MessageFilter {
            to: Some(payload.to.clone()),
            from: Some(payload.from.clone()),
            page_size: Some(LOOKUP_PAGE_SIZE),
            ..Default::default()
        };
        let mut page = self.client.list_messages(&filter).await?;
        let mut oldest_match: Option<MessageResource> = None;
        for _ in 0..LOOKUP_MAX_PAGES {
            let mut reached_older = false;
            for message in &page.items {
                let created = message
                    .date_created
                    .as_deref()
                    .and_then(parse_rfc2822)
                    .map(|d| d.timestamp_millis());
                if created.is_some_and(|c| c < cutoff) {
                    reached_older = true;
                    continue;
                }
                if is_same_send(message, payload) && !self.taken(message, item.id).await {
                    oldest_match = Some(message.clone());
                }
            }
            if reached_older {
                break;
            }
            match self.client.next_page(&page).await? {
                Some(next) => page = next,
                None => break,
            }
        }
        Ok(oldest_match)
    }

    async fn taken(&self, message: &MessageResource, id: i64) -> bool {
        match self.store.sms_sid_taken(message.sid.as_str(), id).await {
            Ok(taken) => taken,
            Err(e) => {
                // Claiming it could hide another item's send; skipping it at worst sends again.
                tracing::error!(error = %e, "checking which outbox item owns a message");
                true
            }
        }
    }

    /// Runs until `shutdown` turns true: drains due work, then waits a second or for new SMS
    /// work.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut events = self.events.subscribe_work();
        loop {
            if *shutdown.borrow() {
                return;
            }
            if let Err(e) = self.step().await {
                tracing::error!(error = %e, "SMS sender cannot read the outbox");
            }
            tokio::select! {
                _ = shutdown.changed() => {},
                _ = tokio::time::sleep(Duration::from_secs(1)) => {},
                _ = wait_for_new_work(&mut events) => {},
            }
        }
    }
}

/// Whether a message at Twilio is what `payload` would have sent.
fn is_same_send(message: &MessageResource, payload: &SmsPayload) -> bool {
    let outbound = message
        .direction
        .as_deref()
        .is_none_or(|d| d.starts_with("outbound"));
    let media_count = message
        .num_media
        .as_deref()
        .and_then(|n| n.parse::<usize>().ok());
    outbound
        && message.from.as_deref() == Some(payload.from.as_str())
        && message.to.as_deref() == Some(payload.to.as_str())
        && message.body.as_deref().unwrap_or("") == payload.body
        && media_count.is_none_or(|n| n == payload.media.len())
}

async fn wait_for_new_work(events: &mut tokio::sync::broadcast::Receiver<Event>) {
    // Only new `sms` work; the xmpp device queues texts with an `Outbox` event. Any other
    // event would cost a look at the outbox for nothing, once per webhook.
    crate::event::wait_for(events, |event| match event {
        Event::Queued { kind, .. } => kind == SMS,
        Event::Outbox { .. } => true,
        _ => false,
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(0), Duration::from_secs(2));
        assert_eq!(backoff(1), Duration::from_secs(4));
        assert_eq!(backoff(3), Duration::from_secs(16));
        assert_eq!(backoff(20), Duration::from_secs(300));
    }

    fn at_twilio(direction: &str, body: &str, num_media: &str) -> MessageResource {
        serde_json::from_value(serde_json::json!({
            "sid": "SM0123456789abcdef0123456789abcdef",
            "from": "+18001234567",
            "to": "+15550001111",
            "body": body,
            "direction": direction,
            "num_media": num_media,
        }))
        .unwrap()
    }

    #[test]
    fn only_an_outbound_message_with_the_same_parties_body_and_media_count_matches() {
        let payload = SmsPayload {
            to: "+15550001111".into(),
            from: "+18001234567".into(),
            body: "see you at 5".into(),
            media: Vec::new(),
            local_media: Vec::new(),
        };
        assert!(is_same_send(
            &at_twilio("outbound-api", "see you at 5", "0"),
            &payload
        ));
        assert!(!is_same_send(
            &at_twilio("inbound", "see you at 5", "0"),
            &payload
        ));
        assert!(!is_same_send(
            &at_twilio("outbound-api", "see you at 6", "0"),
            &payload
        ));
        assert!(!is_same_send(
            &at_twilio("outbound-api", "see you at 5", "1"),
            &payload
        ));
        let mut other_sender = at_twilio("outbound-api", "see you at 5", "0");
        other_sender.from = Some("+18009999999".into());
        assert!(!is_same_send(&other_sender, &payload));
        let with_media = SmsPayload {
            media: vec!["https://vbx.example.com/flow/media/a".into()],
            body: String::new(),
            ..payload
        };
        assert!(is_same_send(
            &at_twilio("outbound-api", "", "1"),
            &with_media
        ));
    }
}
