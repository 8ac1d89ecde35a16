//! The media worker: downloads the media of incoming MMS (with the account's credentials,
//! which Twilio requires on media URLs) into `<data_dir>/media/in/<message sid>/<idx>`, so
//! the pictures stay viewable whatever happens at Twilio. Failures are retried with backoff.

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::watch;
use twilio::client::Client;

use crate::event::{Event, EventHub};
use crate::store::{self, media_fetch, now_ms, Store};

/// Twilio accepts at most 5 MB of media per MMS; anything far larger is not a picture.
pub const MAX_MEDIA_BYTES: usize = 20 * 1024 * 1024;
/// Where incoming media goes, under the data directory.
pub const MEDIA_IN_DIR: &str = "media/in";
/// Downloads per step.
const BATCH: u32 = 10;
/// After this many failed downloads of one item, vbx stops trying.
const MAX_ATTEMPTS: i64 = 20;
/// How often the worker looks for due work when no new message arrives.
const IDLE_WAIT: Duration = Duration::from_secs(30);

/// The wait before download attempt `attempts + 1`: 30 s, 1 min, 2 min … capped at 6 hours.
pub fn backoff(attempts: i64) -> Duration {
    let exp = u32::try_from(attempts.clamp(0, 16)).unwrap_or(16);
    Duration::from_secs(30u64.saturating_mul(2u64.saturating_pow(exp)).min(6 * 3600))
}

pub struct MediaFetcher {
    pub client: Client,
    pub store: Store,
    pub events: EventHub,
    /// `server.data_dir`.
    pub data_dir: PathBuf,
}

/// What one step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchReport {
    pub saved: usize,
    pub failed: usize,
}

impl MediaFetcher {
    /// Downloads what is due now.
    pub async fn step(&self) -> Result<FetchReport, store::StoreError> {
        self.step_at(now_ms()).await
    }

    /// Like [`MediaFetcher::step`], with `now_ms` deciding what is due (tests use it to run
    /// a retry without waiting out its backoff).
    pub async fn step_at(&self, now_ms: i64) -> Result<FetchReport, store::StoreError> {
        let mut report = FetchReport::default();
        for item in self.store.media_due(now_ms, BATCH).await? {
            match self.fetch(&item).await {
                Ok(relative) => {
                    self.store
                        .media_fetched(&item.message_sid, item.idx, &relative)
                        .await?;
                    report.saved += 1;
                    tracing::debug!(sid = %item.message_sid, idx = item.idx, path = %relative, "media saved");
                    self.events.publish(Event::Message {
                        sid: item.message_sid.clone(),
                    });
                }
                Err(failure) => {
                    report.failed += 1;
                    let give_up = !failure.retryable || item.attempts + 1 >= MAX_ATTEMPTS;
                    let wait = backoff(item.attempts);
                    let next = crate::store::now_ms()
                        .saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX));
                    self.store
                        .media_fetch_failed(
                            &item.message_sid,
                            item.idx,
                            &failure.message,
                            next,
                            give_up,
                        )
                        .await?;
                    if give_up {
                        tracing::error!(sid = %item.message_sid, idx = item.idx, error = %failure.message, "giving up on a media download");
                    } else {
                        tracing::warn!(sid = %item.message_sid, idx = item.idx, error = %failure.message, retry_in = ?wait, "media download failed; will retry");
                    }
                }
            }
        }
        Ok(report)
    }

    /// Downloads one item and writes it in place (through a temporary file, so a reader never
    /// sees half a picture); returns its path relative to the data directory.
    async fn fetch(&self, item: &media_fetch::PendingMedia) -> Result<String, Failure> {
        let relative = relative_path(&item.message_sid, item.idx).ok_or_else(|| Failure {
            message: format!("`{}` is not a message SID", item.message_sid),
            retryable: false,
        })?;
        let (_content_type, bytes) = self
            .client
            .download(&item.url, MAX_MEDIA_BYTES)
            .await
            .map_err(|e| Failure {
                retryable: e.is_retryable(),
                message: e.to_string(),
            })?;
        let target = self.data_dir.join(&relative);
        crate::private_files::write_atomically(&target, &bytes)
            .await
            .map_err(|e| Failure {
                message: format!("writing {}: {e}", target.display()),
                retryable: true,
            })?;
        Ok(relative)
    }

    /// Downloads due media until `shutdown` turns true: at start, when a message with media is
    /// stored, and every half minute for retries.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut events = self.events.subscribe_work();
        loop {
            if *shutdown.borrow() {
                return;
            }
            // A download in flight is dropped on shutdown: the file is written only after it.
            let stepped = tokio::select! {
                changed = shutdown.changed() => {
                    if changed.is_err() { return; }
                    continue;
                }
                stepped = self.step() => stepped,
            };
            match stepped {
                // A full batch: more may be waiting.
                Ok(report) if report.saved + report.failed >= BATCH as usize => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "media worker cannot read the store"),
            }
            tokio::select! {
                changed = shutdown.changed() => {
                    if changed.is_err() { return; }
                }
                () = tokio::time::sleep(IDLE_WAIT) => {}
                () = new_message(&mut events) => {}
            }
        }
    }
}

struct Failure {
    message: String,
    retryable: bool,
}

/// `media/in/<sid>/<idx>`, or `None` if the SID could climb out of the directory.
pub fn relative_path(message_sid: &str, idx: i64) -> Option<String> {
    let safe = !message_sid.is_empty() && message_sid.bytes().all(|b| b.is_ascii_alphanumeric());
    (safe && idx >= 0).then(|| format!("{MEDIA_IN_DIR}/{message_sid}/{idx}"))
}

async fn new_message(events: &mut tokio::sync::broadcast::Receiver<crate::event::Event>) {
    crate::event::wait_for(events, |event| matches!(event, Event::MediaArrived { .. })).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_media_directory() {
        assert_eq!(
            relative_path("MM0123abc", 2).as_deref(),
            Some("media/in/MM0123abc/2")
        );
        assert_eq!(relative_path("../etc", 0), None);
        assert_eq!(relative_path("MM1/..", 0), None);
        assert_eq!(relative_path("", 0), None);
        assert_eq!(relative_path("MM1", -1), None);
    }

    #[test]
    fn backoff_doubles_from_half_a_minute_and_is_capped() {
        assert_eq!(backoff(0), Duration::from_secs(30));
        assert_eq!(backoff(1), Duration::from_secs(60));
        assert_eq!(backoff(30), Duration::from_secs(6 * 3600));
    }
}
