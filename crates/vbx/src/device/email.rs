//! The email device: a worker that turns `email` outbox rows (a text for an email device) into
//! mail through the device's SMTP server, with media attached, retried with backoff while the
//! server is down or refusing for now, or while the device's own settings (its login, TLS)
//! are refused — those are due again at once when vbx starts, after the fix; refusals of the
//! email itself stay in the store as `failed`.

mod compose;
mod smtp;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};

use crate::config::{self, Config, Device};
use crate::event::{Event, EventHub};
use crate::store::outbox::EMAIL;
use crate::store::{now_ms, outbox, Store, StoreError};
use crate::worker::sender::backoff;

pub use compose::{compose, footer, subject, Attachment, MediaItem};
pub use smtp::{hint, send_test_email, send_test_email_within, SmtpFailure};

/// What an `email` outbox row carries (written by the webhooks, `http::webhook::record`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailPayload {
    /// The email device's name in `[devices]`.
    pub device: String,
    /// Who sent the text (as Twilio gave it; normally E.164).
    pub from: String,
    /// The contact's name, when the sender is a contact.
    #[serde(default)]
    pub from_name: Option<String>,
    #[serde(default)]
    pub body: String,
    /// The media's links (vbx's `/flow/media/in/...`), which the email shows for what it
    /// does not attach.
    #[serde(default)]
    pub media: Vec<String>,
    /// Where each item is downloaded from (Twilio, with the account's credentials); rows
    /// queued before links existed have none and carry Twilio's URLs in `media`.
    /// `file:<path>` is a file under the data directory (a voicemail notice's audio).
    #[serde(default)]
    pub media_sources: Vec<String>,
    /// The subject, when it is not a text's (`SMS From …`): a voicemail notice's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// How much media is attached; the rest becomes links in the body. Mail servers commonly
/// refuse messages over 25 MB, and base64 grows attachments by a third.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaLimits {
    pub per_item: usize,
    pub total: usize,
}

impl Default for MediaLimits {
    fn default() -> Self {
        Self {
            per_item: 5 * 1024 * 1024,
            total: 15 * 1024 * 1024,
        }
    }
}

/// Transient failures are retried this many times (about a day at the 5-minute cap), then
/// the row is marked failed so the outbox does not grow forever.
pub const MAX_ATTEMPTS: i64 = 300;
/// A media download that fails for a reason that may pass is retried this many times before
/// the mail goes out with a link instead.
const MEDIA_ATTEMPTS: i64 = 3;
/// The longest one SMTP conversation may take (lettre only times out the connect).
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// Rows handled per step; each is claimed just before it is sent so none sits `sending`
/// past the outbox lease while earlier ones are slow.
const PER_STEP: usize = 20;

pub struct EmailSender {
    pub store: Store,
    pub config: Arc<Config>,
    /// Downloads media (with the account's credentials, on the API's origin only).
    pub twilio: twilio::client::Client,
    pub events: EventHub,
    pub limits: MediaLimits,
}

/// What became of one row.
enum Outcome {
    Sent(String),
    Retry(String),
    Failed(String),
}

impl EmailSender {
    pub fn new(
        store: Store,
        config: Arc<Config>,
        twilio: twilio::client::Client,
        events: EventHub,
    ) -> Self {
        Self {
            store,
            config,
            twilio,
            events,
            limits: MediaLimits::default(),
        }
    }

    /// At start: emails waiting for a later try are due at once (the settings that refused
    /// them may have been fixed before this start). Returns how many.
    pub async fn retry_waiting_now(&self) -> Result<u64, StoreError> {
        self.store.outbox_due_now(EMAIL, now_ms()).await
    }

    /// Sends every email due now; returns how many rows it handled.
    pub async fn step(&self) -> Result<usize, StoreError> {
        self.step_at(now_ms()).await
    }

    /// [`EmailSender::step`] as if the clock read `now` (unix ms), so tests can reach a retry
    /// without waiting for it.
    pub async fn step_at(&self, now: i64) -> Result<usize, StoreError> {
        let mut handled = 0;
        while handled < PER_STEP {
            // A read first: claiming is a write, and the writer is busy with webhooks.
            if !self.store.work_due(&[EMAIL], now).await? {
                break;
            }
            let Some(item) = self.store.claim_outbox(&[EMAIL], now, 1).await?.pop() else {
                break;
            };
            handled += 1;
            let outcome = self.deliver(&item).await;
            self.settle(&item, outcome, now).await?;
            self.events.publish(Event::Outbox { id: item.id });
        }
        Ok(handled)
    }

    async fn settle(
        &self,
        item: &outbox::OutboxItem,
        outcome: Outcome,
        now: i64,
    ) -> Result<(), StoreError> {
        let outcome = match outcome {
            Outcome::Retry(error) if item.attempts + 1 >= MAX_ATTEMPTS => Outcome::Failed(format!(
                "gave up after {} attempts: {error}",
                item.attempts + 1
            )),
            other => other,
        };
        match outcome {
            Outcome::Sent(result) => {
                self.store.outbox_sent(item.id, Some(&result), now).await?;
                tracing::info!(id = item.id, server = %result, "email sent");
            }
            Outcome::Retry(error) => {
                let wait = backoff(item.attempts);
                let next = now.saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX));
                self.store.outbox_retry(item.id, &error, next, now).await?;
                let device = item
                    .payload_as::<EmailPayload>()
                    .map(|p| p.device)
                    .unwrap_or_default();
                tracing::warn!(id = item.id, %device, %error, retry_in = ?wait, "email not sent; will retry");
            }
            Outcome::Failed(error) => {
                let changes = self.store.outbox_failed(item.id, &error, now).await?;
                self.events.publish_changes(changes);
                tracing::error!(id = item.id, %error, "email not sent and will not be retried");
            }
        }
        Ok(())
    }

    async fn deliver(&self, item: &outbox::OutboxItem) -> Outcome {
        let payload: EmailPayload = match item.payload_as() {
            Ok(p) => p,
            Err(e) => return Outcome::Failed(format!("unreadable payload: {e}")),
        };
        let device = match self.config.devices.get(&payload.device) {
            Some(Device::Email(device)) => device,
            _ => {
                return Outcome::Failed(format!(
                    "`{}` is no longer an email device in the configuration",
                    payload.device
                ))
            }
        };
        let media = match self.fetch_media(&payload, item.attempts).await {
            Ok(media) => media,
            Err(error) => return Outcome::Retry(error),
        };
        match self.send(device, &payload, &media).await {
            // Too big for this server: the text still matters more than the pictures.
            Err(SmtpFailure::Reply { code: 552, .. })
                if media.iter().any(MediaItem::is_attached) =>
            {
                let linked: Vec<MediaItem> = media.into_iter().map(MediaItem::into_link).collect();
                tracing::warn!(
                    id = item.id,
                    "the SMTP server refused the size; sending links"
                );
                self.outcome(&payload.device, self.send(device, &payload, &linked).await)
            }
            other => self.outcome(&payload.device, other),
        }
    }

    fn outcome(&self, device: &str, sent: Result<String, SmtpFailure>) -> Outcome {
        match sent {
            Ok(reply) => Outcome::Sent(reply),
            Err(e) if e.is_permanent() => Outcome::Failed(e.to_string()),
            // Retried (a fixed configuration and a restart send it at once); say how to check.
            Err(e) if e.is_setup() => Outcome::Retry(format!(
                "{e} (check the `{device}` device's settings with `vbx send-test-email --config \
                 FILE --device {device}`, fix them and restart vbx)"
            )),
            Err(e) => Outcome::Retry(e.to_string()),
        }
    }

    async fn send(
        &self,
        device: &config::Email,
        payload: &EmailPayload,
        media: &[MediaItem],
    ) -> Result<String, SmtpFailure> {
        let message = compose(device, payload, media).map_err(SmtpFailure::Compose)?;
        smtp::send(device, message, SEND_TIMEOUT).await
    }

    /// Downloads what fits the limits; the rest becomes links. `Err` when a download failed
    /// for a reason that may pass and the row has attempts left: the whole mail is retried.
    async fn fetch_media(
        &self,
        payload: &EmailPayload,
        attempts: i64,
    ) -> Result<Vec<MediaItem>, String> {
        let mut items = Vec::with_capacity(payload.media.len());
        let mut budget = self.limits.total;
        for (index, url) in payload.media.iter().enumerate() {
            let cap = self.limits.per_item.min(budget);
            if cap == 0 {
                items.push(MediaItem::too_large(url));
                continue;
            }
            let source = payload.media_sources.get(index).unwrap_or(url);
            let fetched = match source.strip_prefix("file:") {
                Some(path) => self.read_local(path, cap).await,
                None => self.twilio.download(source, cap).await,
            };
            match fetched {
                Ok((content_type, bytes)) => {
                    budget -= bytes.len();
                    items.push(MediaItem::Attached(Attachment::new(
                        index,
                        url,
                        content_type.as_deref(),
                        bytes,
                    )));
                }
                Err(twilio::client::Error::TooLarge { .. }) => {
                    items.push(MediaItem::too_large(url))
                }
                Err(e) if e.is_retryable() && attempts + 1 < MEDIA_ATTEMPTS => {
                    // Not the link: it carries its capability token, and errors reach the log.
                    return Err(format!("downloading media item {index}: {e}"));
                }
                Err(e) => {
                    tracing::warn!(media = index, error = %e, "media not downloaded; the email links to it");
                    items.push(MediaItem::Unavailable {
                        url: url.clone(),
                        error: e.to_string(),
                    });
                }
            }
        }
        Ok(items)
    }

    /// A file of vbx's own under the data directory, as a download would give it.
    async fn read_local(
        &self,
        relative: &str,
        cap: usize,
    ) -> Result<(Option<String>, Vec<u8>), twilio::client::Error> {
        let unusable = |message: String| twilio::client::Error::Config(message);
        if relative
            .split('/')
            .any(|part| part.is_empty() || part == "..")
        {
            return Err(unusable(format!(
                "`{relative}` is not a path under the data directory"
            )));
        }
        let path = self.config.server.data_dir.join(relative);
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| unusable(format!("reading {}: {e}", path.display())))?;
        if bytes.len() > cap {
            return Err(twilio::client::Error::TooLarge { limit: cap });
        }
        let wav = bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WAVE";
        Ok((wav.then(|| "audio/x-wav".to_owned()), bytes))
    }

    /// Runs until `shutdown` turns true: sends what is due, then waits a second or for a new
    /// email to be queued.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut events = self.events.subscribe_work();
        match self.retry_waiting_now().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(emails = n, "retrying the emails that waited, now"),
            Err(e) => tracing::error!(error = %e, "email sender cannot read the outbox"),
        }
        loop {
            if *shutdown.borrow() {
                return;
            }
            if let Err(e) = self.step().await {
                tracing::error!(error = %e, "email sender cannot read the outbox");
            }
            tokio::select! {
                _ = shutdown.changed() => {},
                _ = tokio::time::sleep(Duration::from_secs(1)) => {},
                _ = wait_for_queued_email(&mut events) => {},
            }
        }
    }
}

async fn wait_for_queued_email(events: &mut broadcast::Receiver<Event>) {
    crate::event::wait_for(
        events,
        |event| matches!(event, Event::Queued { kind, .. } if kind == EMAIL),
    )
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::store;
    use serde_json::json;

    const T0: i64 = 1_700_000_000_000;

    async fn row(store: &crate::store::Store, device: &str) -> i64 {
        store
            .enqueue_work(EMAIL, &json!({"device": device, "from": "+1"}), None, T0)
            .await
            .unwrap()
            .unwrap()
    }

    #[tokio::test]
    async fn last_error_shows_the_newest_problem_until_a_later_send_succeeds() {
        let (_dir, store) = store().await;
        assert_eq!(store.device_last_error(EMAIL, "inbox").await.unwrap(), None);

        let refused = row(&store, "inbox").await;
        let other_device = row(&store, "work").await;
        store
            .outbox_failed(refused, "550 mailbox unavailable", T0 + 1)
            .await
            .unwrap();
        store
            .outbox_failed(other_device, "535 bad login", T0 + 2)
            .await
            .unwrap();
        let seen = store
            .device_last_error(EMAIL, "inbox")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(seen.message, "550 mailbox unavailable");
        assert_eq!(seen.at_ms, T0 + 1);
        assert!(seen.failed);

        let later = row(&store, "inbox").await;
        store
            .outbox_sent(later, Some("250 ok"), T0 + 3)
            .await
            .unwrap();
        assert_eq!(store.device_last_error(EMAIL, "inbox").await.unwrap(), None);
        assert_eq!(
            store
                .device_last_error(EMAIL, "work")
                .await
                .unwrap()
                .unwrap()
                .message,
            "535 bad login"
        );
    }

    #[tokio::test]
    async fn a_payload_without_optional_fields_is_read() {
        let payload: EmailPayload =
            serde_json::from_value(json!({"device": "inbox", "from": "+15550001111"})).unwrap();
        assert_eq!(payload.from_name, None);
        assert!(payload.media.is_empty());
        assert_eq!(payload.body, "");
    }
}
