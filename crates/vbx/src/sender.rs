//! The SMS sender: drains `sms` work from the outbox through Twilio's REST API, retrying
//! network errors, timeouts and 5xx with capped exponential backoff; a 4xx marks the work
//! failed with Twilio's message.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use twilio::client::{Client, CreateMessage};

use crate::event::{Event, EventHub};
use crate::record::SMS;
use crate::store::{self, now_ms, outbox, Store};

/// What an `sms` outbox item carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SmsPayload {
    pub to: String,
    pub from: String,
    pub body: String,
    #[serde(default)]
    pub media: Vec<String>,
}

pub struct SmsSender {
    pub client: Client,
    pub store: Store,
    pub events: EventHub,
    /// Where Twilio reports the message's status (`/flow/status/message`).
    pub status_callback: Option<String>,
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
            match self.client.create_message(&request).await {
                Ok(sent) => {
                    outbox::mark_sent(
                        self.store.pool(),
                        item.id,
                        Some(sent.sid.as_str()),
                        now_ms(),
                    )
                    .await?;
                    tracing::info!(id = item.id, sid = %sent.sid, to = %payload.to, "SMS sent");
                }
                Err(e) if e.is_retryable() => {
                    let wait = backoff(item.attempts);
                    let next = now_ms() + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
                    outbox::mark_retry(self.store.pool(), item.id, &e.to_string(), next).await?;
                    tracing::warn!(id = item.id, error = %e, retry_in = ?wait, "SMS not sent; will retry");
                }
                Err(e) => {
                    outbox::mark_failed(self.store.pool(), item.id, &e.to_string(), now_ms())
                        .await?;
                    tracing::error!(id = item.id, error = %e, to = %payload.to, "SMS refused by Twilio");
                }
            }
            self.events.publish(Event::Outbox { id: item.id });
        }
        Ok(count)
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
            Ok(_) => {}
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => return,
            Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                std::future::pending::<()>().await
            }
        }
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
