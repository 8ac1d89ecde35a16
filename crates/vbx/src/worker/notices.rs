//! Voicemail notices: a `voicemail` step's `notify` devices hear of each new voicemail. A
//! notice is an outbox row due when the transcript arrives (the transcription callback makes
//! it due) or when waiting for it is over; then this worker writes the device's message (a
//! text to a cell, an email with the audio attached, an XMPP message with an out-of-band link)
//! and queues it as that device's own outbox row in the transaction that settles the notice,
//! so a restart sends it once. The links are capability links, like forwarded media's.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use tokio::sync::watch;

use crate::config::{Config, Device};
use crate::contact_book::ContactBook;
use crate::event::{Event, EventHub};
use crate::media_link::MediaLinks;
use crate::store::outbox::{OutboxItem, EMAIL, SMS, VOICEMAIL_NOTICE, XMPP};
use crate::store::recording::RecordingRow;
use crate::store::webhooks::Work;
use crate::store::{self, now_ms, Store};
use crate::worker::recordings::recording_path;

/// An email notice carries the audio, so it waits (this long at most) for vbx's own copy:
/// Twilio's may be deleted by then.
const WAIT_FOR_DOWNLOAD_MS: i64 = 10 * 60 * 1000;
/// How soon an email notice looks again for the download.
const DOWNLOAD_POLL_MS: i64 = 2_000;
/// The longest the worker sleeps when no notice waits (a notice queued while it sleeps wakes
/// it; this only bounds a missed wake-up).
const IDLE_WAIT: Duration = Duration::from_secs(60);
/// Twilio's longest message body; a long transcript is cut to fit.
const MAX_SMS: usize = 1600;

/// A `voicemail-notice` row.
#[derive(Debug, Deserialize)]
struct Notice {
    recording: String,
    device: String,
}

pub struct Notices {
    pub store: Store,
    pub config: Arc<Config>,
    pub events: EventHub,
    pub links: MediaLinks,
    pub contacts: ContactBook,
}

/// What the notice says, whatever the device.
struct Voicemail {
    caller: String,
    caller_name: Option<String>,
    duration: String,
    transcript: Option<String>,
    link: String,
}

impl Voicemail {
    /// `Voicemail from Ann (0:32)`.
    fn title(&self) -> String {
        let who = self.caller_name.as_deref().unwrap_or(&self.caller);
        format!("Voicemail from {who} ({})", self.duration)
    }
}

/// `m:ss`, or `h:mm:ss` from an hour.
pub fn clock(seconds: i64) -> String {
    let s = seconds.max(0);
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// The text for a cell: `Voicemail from Ann (0:32): call me back <link>`, the transcript cut so
/// the whole fits one Twilio message.
pub fn sms_text(title: &str, transcript: Option<&str>, link: &str) -> String {
    let Some(transcript) = transcript.map(str::trim).filter(|t| !t.is_empty()) else {
        return format!("{title}: {link}");
    };
    // ": " and " " join the three parts.
    let room = MAX_SMS.saturating_sub(title.chars().count() + link.chars().count() + 3);
    let mut said: String = transcript.chars().take(room).collect();
    if said.chars().count() < transcript.chars().count() {
        said.pop();
        said.push('…');
    }
    format!("{title}: {said} {link}")
}

impl Notices {
    /// Handles the notices due now; answers how many.
    pub async fn step(&self) -> Result<usize, store::StoreError> {
        self.step_at(now_ms()).await
    }

    /// [`Notices::step`] as if the clock read `now` (tests reach the end of the wait with it).
    pub async fn step_at(&self, now: i64) -> Result<usize, store::StoreError> {
        let mut handled = 0;
        while self.store.work_due(&[VOICEMAIL_NOTICE], now).await? {
            let Some(item) = self
                .store
                .claim_outbox(&[VOICEMAIL_NOTICE], now, 1)
                .await?
                .pop()
            else {
                break;
            };
            handled += 1;
            self.handle(&item, now).await?;
            self.events.publish(Event::Outbox { id: item.id });
        }
        Ok(handled)
    }

    async fn handle(&self, item: &OutboxItem, now: i64) -> Result<(), store::StoreError> {
        let notice: Notice = match item.payload_as() {
            Ok(n) => n,
            Err(e) => {
                self.store
                    .outbox_failed(item.id, &format!("unreadable payload: {e}"), now)
                    .await?;
                return Ok(());
            }
        };
        let Some(recording) = self.store.recording(&notice.recording).await? else {
            // Deleted before its notice went: nothing left to tell.
            self.store.notice_sent(item.id, Vec::new(), now).await?;
            return Ok(());
        };
        let device = self.config.devices.get(&notice.device);
        if matches!(device, Some(Device::Email(_)))
            && recording.local_path.is_none()
            && now - recording.created_at < WAIT_FOR_DOWNLOAD_MS
        {
            // The wait counts as an attempt; notices are never given up on for attempts.
            self.store
                .outbox_retry(
                    item.id,
                    "waiting for the download",
                    now + DOWNLOAD_POLL_MS,
                    now,
                )
                .await?;
            return Ok(());
        }
        let voicemail = self.voicemail(&recording).await?;
        let key = format!("notice:{}:{}", notice.recording, notice.device);
        let work = match device {
            Some(Device::Sms { number }) => Work::Enqueue {
                kind: SMS,
                payload: json!({
                    "to": number.as_str(),
                    "from": self.config.twilio.number.as_str(),
                    "body": sms_text(&voicemail.title(), voicemail.transcript.as_deref(), &voicemail.link),
                    "media": [],
                }),
                key,
            },
            Some(Device::Email(_)) => {
                let source = match &recording.local_path {
                    Some(path) => format!("file:{path}"),
                    None => recording.url.clone(),
                };
                let transcript = voicemail
                    .transcript
                    .clone()
                    .unwrap_or_else(|| "(no transcript)".to_owned());
                Work::Enqueue {
                    kind: EMAIL,
                    payload: json!({
                        "device": notice.device,
                        "from": voicemail.caller,
                        "from_name": voicemail.caller_name,
                        "subject": voicemail.title(),
                        "body": format!("{}\n\n{transcript}\n\nListen: {}", voicemail.title(), voicemail.link),
                        "media": [voicemail.link],
                        "media_sources": [source],
                    }),
                    key,
                }
            }
            Some(Device::Xmpp(_)) => {
                let body = match &voicemail.transcript {
                    Some(t) => format!("{}: {t}", voicemail.title()),
                    None => voicemail.title(),
                };
                Work::Enqueue {
                    kind: XMPP,
                    payload: json!({
                        "device": notice.device,
                        "from": voicemail.caller,
                        "from_name": voicemail.caller_name,
                        "body": body,
                        "media": [voicemail.link],
                    }),
                    key,
                }
            }
            Some(Device::Browser { .. }) | None => {
                let error = format!(
                    "`{}` is no longer an sms, email or xmpp device in the configuration",
                    notice.device
                );
                tracing::error!(id = item.id, %error, "voicemail notice not sent");
                self.store.outbox_failed(item.id, &error, now).await?;
                return Ok(());
            }
        };
        let changes = self.store.notice_sent(item.id, vec![work], now).await?;
        self.events.publish_changes(changes);
        tracing::info!(recording = %notice.recording, device = %notice.device, "voicemail notice queued");
        Ok(())
    }

    async fn voicemail(&self, recording: &RecordingRow) -> Result<Voicemail, store::StoreError> {
        let caller = match self.store.call(&recording.call_sid).await? {
            Some(call) => call.from_number,
            None => "an unknown caller".to_owned(),
        };
        let caller_name = twilio::PhoneNumber::parse(&caller)
            .ok()
            .and_then(|n| self.contacts.snapshot().get(&n).cloned());
        let transcript = match recording.transcription_status.as_deref() {
            Some("completed") => recording
                .transcription_text
                .clone()
                .filter(|t| !t.trim().is_empty()),
            _ => None,
        };
        let link = match recording_path(&recording.sid) {
            Some(_) => self.links.recording_link(&recording.sid),
            None => String::new(),
        };
        Ok(Voicemail {
            caller,
            caller_name,
            duration: clock(recording.duration_s.unwrap_or(0)),
            transcript,
            link,
        })
    }

    /// Runs until `shutdown` turns true: when a transcript or a new notice arrives, and when
    /// the next notice's wait is over.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut events = self.events.subscribe_work();
        loop {
            if *shutdown.borrow() {
                return;
            }
            if let Err(e) = self.step().await {
                tracing::error!(error = %e, "voicemail notices cannot read the store");
            }
            // Asleep until the next notice is due (its wait for a transcript over), not polling.
            let wait = match self.store.next_due(VOICEMAIL_NOTICE).await {
                Ok(Some(due)) => {
                    let ms = u64::try_from(due.saturating_sub(now_ms())).unwrap_or(0);
                    Duration::from_millis(ms.max(50)).min(IDLE_WAIT)
                }
                Ok(None) => IDLE_WAIT,
                Err(e) => {
                    tracing::error!(error = %e, "voicemail notices cannot read the store");
                    IDLE_WAIT
                }
            };
            tokio::select! {
                changed = shutdown.changed() => {
                    if changed.is_err() { return; }
                }
                () = tokio::time::sleep(wait) => {}
                () = crate::event::wait_for(&mut events, |event| matches!(
                    event,
                    Event::Queued { kind, .. } if kind == VOICEMAIL_NOTICE
                )) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_a_clock() {
        assert_eq!(clock(0), "0:00");
        assert_eq!(clock(32), "0:32");
        assert_eq!(clock(125), "2:05");
        assert_eq!(clock(3725), "1:02:05");
        assert_eq!(clock(-3), "0:00");
    }

    #[test]
    fn a_long_transcript_is_cut_to_fit_one_message() {
        let link = "https://vbx.example.com/flow/media/rec/RE1/0123";
        let short = sms_text("Voicemail from Ann (0:32)", Some("call me back"), link);
        assert_eq!(
            short,
            format!("Voicemail from Ann (0:32): call me back {link}")
        );
        assert_eq!(
            sms_text("Voicemail from Ann (0:32)", None, link),
            format!("Voicemail from Ann (0:32): {link}")
        );
        let long = sms_text("Voicemail from Ann (0:32)", Some(&"é".repeat(3000)), link);
        assert_eq!(long.chars().count(), MAX_SMS);
        assert!(long.ends_with(&format!("… {link}")), "{long}");
    }
}
