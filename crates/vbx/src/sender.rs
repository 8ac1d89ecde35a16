//! The SMS sender: drains `sms` work from the outbox through Twilio's REST API, retrying
//! network errors, timeouts and 5xx with capped exponential backoff; a 4xx marks the work
//! failed with Twilio's message. A sent text is stored as a message (so it shows in its
//! thread with Twilio's SID and status) in the same transaction that marks the work sent.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use twilio::client::{Client, CreateMessage};

use crate::event::{Event, EventHub};
use crate::health::TwilioHealth;
use crate::record::{Published, SMS};
use crate::store::event as feed;
use crate::store::{self, message, now_ms, outbox, Store};

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
    pub health: TwilioHealth,
}

/// The wait before attempt `attempts + 1`: 2 s, 4 s, 8 s … capped at 5 minutes.
pub fn backoff(attempts: i64) -> Duration {
    let exp = u32::try_from(attempts.clamp(0, 16)).unwrap_or(16);
    Duration::from_secs(2u64.saturating_pow(exp + 1).min(300))
}

impl SmsSender {
    /// Sends everything due now; returns how many items it handled.
    pub async fn step(&self) -> Result<usize, store::StoreError> {
        let items = outbox::claim_due(self.store.pool(), &[SMS], now_ms(), 20).await?;
        let count = items.len();
        for item in items {
            let payload: SmsPayload = match item.payload_as() {
                Ok(p) => p,
                Err(e) => {
                    outbox::mark_failed(
                        self.store.pool(),
                        item.id,
                        &format!("unreadable payload: {e}"),
                        now_ms(),
                    )
                    .await?;
                    continue;
                }
            };
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
                    self.record_sent(item.id, &payload, &sent).await?;
                    tracing::info!(id = item.id, sid = %sent.sid, to = %payload.to, "SMS sent");
                }
                Err(e) if e.is_retryable() => {
                    let wait = backoff(item.attempts);
                    let next = now_ms() + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
                    outbox::mark_retry(self.store.pool(), item.id, &e.to_string(), next).await?;
                    tracing::warn!(id = item.id, error = %e, retry_in = ?wait, "SMS not sent; will retry");
                }
                Err(e) => {
                    let now = now_ms();
                    let mut tx = self.store.pool().begin().await.map_err(begin_error)?;
                    outbox::mark_failed(&mut *tx, item.id, &e.to_string(), now).await?;
                    let mut out = Published::default();
                    out.push(feed::outbox_changed(&mut tx, item.id, now).await?);
                    tx.commit().await.map_err(commit_error)?;
                    out.publish(&self.events);
                    tracing::error!(id = item.id, error = %e, to = %payload.to, "SMS refused by Twilio");
                }
            }
            self.events.publish(Event::Outbox { id: item.id });
        }
        Ok(count)
    }

    /// Marks the work sent and stores the message Twilio created, with vbx's copies of its
    /// media, in one transaction; then tells the browsers.
    async fn record_sent(
        &self,
        id: i64,
        payload: &SmsPayload,
        sent: &twilio::client::MessageResource,
    ) -> Result<(), store::StoreError> {
        let now = now_ms();
        let sid = sent.sid.to_string();
        let mut tx = self.store.pool().begin().await.map_err(begin_error)?;
        outbox::mark_sent(&mut *tx, id, Some(&sid), now).await?;
        let media = payload
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
            .collect();
        message::record_message(
            &mut *tx,
            &message::NewMessage {
                sid: sid.clone(),
                account_sid: sent
                    .account_sid
                    .as_ref()
                    .unwrap_or(self.client.account_sid())
                    .to_string(),
                from: payload.from.clone(),
                to: payload.to.clone(),
                body: payload.body.clone(),
                direction: sent
                    .direction
                    .clone()
                    .unwrap_or_else(|| "outbound-api".into()),
                status: sent.status.clone().unwrap_or_else(|| "queued".into()),
                created_at_ms: now,
                media,
            },
        )
        .await?;
        for (idx, local) in payload.local_media.iter().enumerate() {
            let idx = i64::try_from(idx).unwrap_or(i64::MAX);
            message::set_media_local_path(&mut *tx, &sid, idx, &local.path).await?;
        }
        let mut out = Published::default();
        out.push(feed::message_changed(&mut tx, &sid, now).await?);
        tx.commit().await.map_err(commit_error)?;
        out.publish(&self.events);
        Ok(())
    }

    /// Runs until `shutdown` turns true: drains due work, then waits a second or for new work.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut events = self.events.subscribe();
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

async fn wait_for_new_work(events: &mut tokio::sync::broadcast::Receiver<Event>) {
    loop {
        match events.recv().await {
            Ok(Event::Call { .. } | Event::Message { .. }) => return,
            Ok(Event::Queued { kind, .. }) if kind == SMS => return,
            Ok(_) => {}
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => return,
            Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                std::future::pending::<()>().await
            }
        }
    }
}

fn begin_error(source: sqlx::Error) -> store::StoreError {
    store::StoreError::Query {
        op: "begin sender transaction",
        source,
    }
}

fn commit_error(source: sqlx::Error) -> store::StoreError {
    store::StoreError::Query {
        op: "commit sender transaction",
        source,
    }
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
}
