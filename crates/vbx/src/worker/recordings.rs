//! The recordings worker: downloads every finished recording (voicemails and recorded calls)
//! into `<data_dir>/media/rec/<sid>` with the account's credentials, so the user owns it, and
//! then, with `twilio.delete_recordings_after_download`, deletes Twilio's copy. It also
//! deletes at Twilio the recordings the user deleted in vbx. Both are outbox rows: retried
//! with backoff until Twilio answers, surviving restarts.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::watch;
use twilio::client::{Client, Error as TwilioError};
use twilio::RecordingSid;

use crate::event::{Event, EventHub};
use crate::store::outbox::{OutboxItem, RECORDING_DELETE, RECORDING_DOWNLOAD};
use crate::store::{self, now_ms, Store};
use crate::worker::inbound_media::backoff;

/// Where recordings go, under the data directory.
pub const RECORDINGS_DIR: &str = "media/rec";
/// The longest recording Twilio makes is four hours of 8 kHz mono WAV: about 230 MB. vbx
/// takes what a voicemail or a long call can be.
pub const MAX_RECORDING_BYTES: usize = 256 * 1024 * 1024;
/// Attempts before a row is given up on (with the backoff's 6-hour cap: about a week).
const MAX_ATTEMPTS: i64 = 40;
/// How often the worker looks for due work when nothing new was queued.
const IDLE_WAIT: Duration = Duration::from_secs(30);

/// `media/rec/<sid>`, or `None` if the SID could climb out of the directory.
pub fn recording_path(sid: &str) -> Option<String> {
    let safe = !sid.is_empty() && sid.len() <= 64 && sid.bytes().all(|b| b.is_ascii_alphanumeric());
    safe.then(|| format!("{RECORDINGS_DIR}/{sid}"))
}

/// A `recording` (download) or `recording-delete` row.
#[derive(Debug, Deserialize)]
struct Job {
    sid: String,
    /// Where the audio is (downloads only).
    #[serde(default)]
    url: String,
}

pub struct RecordingWorker {
    pub client: Client,
    pub store: Store,
    pub events: EventHub,
    /// `server.data_dir`.
    pub data_dir: PathBuf,
    /// `twilio.delete_recordings_after_download`.
    pub delete_after_download: bool,
}

/// Why a job did not succeed.
struct Failure {
    message: String,
    retryable: bool,
}

impl From<TwilioError> for Failure {
    fn from(e: TwilioError) -> Self {
        Self {
            retryable: e.is_retryable() || e.status() == Some(404),
            message: e.to_string(),
        }
    }
}

impl RecordingWorker {
    /// Does what is due now; answers how many rows it handled.
    pub async fn step(&self) -> Result<usize, store::StoreError> {
        self.step_at(now_ms()).await
    }

    /// [`RecordingWorker::step`] as if the clock read `now` (tests reach a retry with it).
    pub async fn step_at(&self, now: i64) -> Result<usize, store::StoreError> {
        let kinds = [RECORDING_DOWNLOAD, RECORDING_DELETE];
        let mut handled = 0;
        while self.store.work_due(&kinds, now).await? {
            let Some(item) = self.store.claim_outbox(&kinds, now, 1).await?.pop() else {
                break;
            };
            handled += 1;
            let done = match item.payload_as::<Job>() {
                Err(e) => Err(Failure {
                    message: format!("unreadable payload: {e}"),
                    retryable: false,
                }),
                Ok(job) if item.kind == RECORDING_DELETE => self.delete(&item, &job, now).await,
                Ok(job) => self.download(&item, &job, now).await,
            };
            if let Err(failure) = done {
                self.failed(&item, failure, now).await?;
            }
            self.events.publish(Event::Outbox { id: item.id });
        }
        Ok(handled)
    }

    async fn download(&self, item: &OutboxItem, job: &Job, now: i64) -> Result<(), Failure> {
        let relative = recording_path(&job.sid).ok_or_else(|| Failure {
            message: format!("`{}` is not a recording SID", job.sid),
            retryable: false,
        })?;
        let target = self.data_dir.join(&relative);
        // Deleted in vbx after this row was claimed (the deletion settles a row still
        // pending): no copy of what the user deleted is made.
        let kept = self.store.recording(&job.sid).await;
        if kept.map_err(store_failure)?.is_none() {
            self.store
                .outbox_sent(item.id, Some("deleted"), now)
                .await
                .map_err(store_failure)?;
            return Ok(());
        }
        // The app may have fetched it already for someone who pressed play.
        if tokio::fs::metadata(&target).await.is_err() {
            let (_content_type, bytes) =
                self.client.download(&job.url, MAX_RECORDING_BYTES).await?;
            crate::private_files::write_atomically(&target, &bytes)
                .await
                .map_err(|e| Failure {
                    message: format!("writing {}: {e}", target.display()),
                    retryable: true,
                })?;
        }
        self.store
            .recording_downloaded(item.id, &job.sid, &relative, now)
            .await
            .map_err(store_failure)?;
        tracing::info!(sid = %job.sid, path = %relative, "recording downloaded");
        if self.delete_after_download {
            // Twilio's copy goes only now that vbx has its own; a failure here is queued and
            // retried like any deletion.
            self.store
                .enqueue_work(
                    RECORDING_DELETE,
                    &serde_json::json!({ "sid": job.sid }),
                    Some(&store::outbox::delete_key(&job.sid)),
                    now,
                )
                .await
                .map_err(store_failure)?;
        }
        Ok(())
    }

    async fn delete(&self, item: &OutboxItem, job: &Job, now: i64) -> Result<(), Failure> {
        let sid = RecordingSid::parse(&job.sid).map_err(|e| Failure {
            message: format!("`{}` is not a recording SID: {e}", job.sid),
            retryable: false,
        })?;
        match self.client.delete_recording(&sid).await {
            // Gone already (deleted by hand in the console, or by an earlier attempt whose
            // answer was lost): that is what was wanted.
            Ok(()) | Err(TwilioError::Api { status: 404, .. }) => {}
            Err(e) => {
                return Err(Failure {
                    retryable: e.is_retryable(),
                    message: e.to_string(),
                })
            }
        }
        self.store
            .recording_deleted_at_twilio(&job.sid, now)
            .await
            .map_err(store_failure)?;
        self.store
            .outbox_sent(item.id, None, now)
            .await
            .map_err(store_failure)?;
        tracing::info!(sid = %job.sid, "recording deleted at Twilio");
        Ok(())
    }

    async fn failed(
        &self,
        item: &OutboxItem,
        failure: Failure,
        now: i64,
    ) -> Result<(), store::StoreError> {
        let what = if item.kind == RECORDING_DELETE {
            "deleting a recording at Twilio"
        } else {
            "downloading a recording"
        };
        if failure.retryable && item.attempts + 1 < MAX_ATTEMPTS {
            let wait = backoff(item.attempts);
            let next = now.saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX));
            self.store
                .outbox_retry(item.id, &failure.message, next, now)
                .await?;
            tracing::warn!(id = item.id, error = %failure.message, retry_in = ?wait, "{what} failed; will retry");
        } else {
            self.store
                .outbox_failed(item.id, &failure.message, now)
                .await?;
            tracing::error!(id = item.id, error = %failure.message, "{what} failed; giving up");
        }
        Ok(())
    }

    /// Runs until `shutdown` turns true: at start, when a recording is queued, and every half
    /// minute for retries.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut events = self.events.subscribe_work();
        loop {
            if *shutdown.borrow() {
                return;
            }
            let stepped = tokio::select! {
                changed = shutdown.changed() => {
                    if changed.is_err() { return; }
                    continue;
                }
                stepped = self.step() => stepped,
            };
            if let Err(e) = stepped {
                tracing::error!(error = %e, "recordings worker cannot read the store");
            }
            tokio::select! {
                changed = shutdown.changed() => {
                    if changed.is_err() { return; }
                }
                () = tokio::time::sleep(IDLE_WAIT) => {}
                () = crate::event::wait_for(&mut events, |event| matches!(
                    event,
                    Event::Queued { kind, .. } if *kind == RECORDING_DOWNLOAD || *kind == RECORDING_DELETE
                )) => {}
            }
        }
    }
}

fn store_failure(e: store::StoreError) -> Failure {
    Failure {
        message: format!("the store: {e}"),
        retryable: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_recordings_directory() {
        assert_eq!(
            recording_path("RE0123abc").as_deref(),
            Some("media/rec/RE0123abc")
        );
        for bad in ["", "../etc", "RE1/..", "RE 1", &"R".repeat(65)] {
            assert_eq!(recording_path(bad), None, "{bad}");
        }
    }
}
