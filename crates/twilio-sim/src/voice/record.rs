//! `<Record>`: the caller speaks for a scripted while (a finish key or hanging up ends it
//! early), a generated WAV recording is stored, the action URL gets `RecordingUrl`,
//! `RecordingSid`, `RecordingDuration` and `Digits`, and the recording status and
//! transcription callbacks follow.

use twilio::twiml::{Method, Record};

use super::run::{End, Flow, Interrupt, Run, Source};
use super::DEFAULT_TRANSCRIPTION;
use crate::hook::{self, Request};
use crate::resource::{CallStatus, Recording, RecordingSource};
use crate::time::rfc2822;
use crate::{sid, Sim};

/// Twilio transcribes recordings longer than 2 s and shorter than 120 s.
const TRANSCRIBABLE: std::ops::RangeInclusive<u32> = 3..=119;

impl Run {
    pub(super) async fn record(&mut self, record: &Record) -> Flow {
        if !self.answer().await {
            return Flow::End(End::Closed);
        }
        if record.play_beep != Some(false) {
            self.hear("beep".to_owned());
        }
        let default_seconds = self.sim.read_state(|s| s.settings.record_seconds);
        let speak = f64::from(
            self.script
                .record_seconds
                .unwrap_or(default_seconds)
                .min(record.max_length.unwrap_or(3600).max(1)),
        );
        let keys = record
            .finish_on_key
            .clone()
            .unwrap_or_else(|| "1234567890*#".to_owned());
        let started = self.elapsed;
        let mut digits = None;
        loop {
            let remaining = speak - (self.elapsed - started);
            if remaining <= 0.0 {
                break;
            }
            match self.wait(remaining, true).await {
                None => break,
                Some(Interrupt::Digits(pressed)) => {
                    self.hear(format!("digits: {pressed}"));
                    if let Some(key) = pressed.chars().find(|c| keys.contains(*c)) {
                        digits = Some(key.to_string());
                        break;
                    }
                }
                Some(Interrupt::HungUp) => {
                    digits = Some("hangup".to_owned());
                    break;
                }
                Some(other) => return self.interrupted(other),
            }
        }
        let seconds = (self.elapsed - started).round().max(1.0) as u32;
        let epoch = self.epoch;
        let sid = self.sid.clone();
        let stored = self.sim.with_state(|s| {
            if s.epoch != epoch {
                return None;
            }
            let recording =
                Recording::new(sid.clone(), seconds, RecordingSource::RecordVerb, s.now());
            let url = s.absolute(&recording.audio_uri(&s.account_sid));
            s.trace(sid.as_str())
                .events
                .push(format!("recorded {} ({seconds} s)", recording.sid));
            s.recordings.push(recording.clone());
            Some((recording, url))
        });
        let Some((recording, url)) = stored else {
            return Flow::End(End::Closed);
        };
        self.recording_callbacks(record, &recording, &url);

        let mut extra = vec![
            ("RecordingUrl".to_owned(), url),
            ("RecordingSid".to_owned(), recording.sid.to_string()),
            ("RecordingDuration".to_owned(), seconds.to_string()),
        ];
        if let Some(digits) = digits {
            extra.push(("Digits".to_owned(), digits));
        }
        let method = record.method.unwrap_or(Method::Post);
        let url = match self.action_url(record.action.as_deref()) {
            Ok(url) => url,
            Err(f) => return Flow::End(self.app_error(None, f.code, &f.message).await),
        };
        match url {
            Some(url) if self.caller_gone => {
                self.report(url, method, "record-action", &extra).await;
                Flow::End(End::Status(CallStatus::Completed))
            }
            Some(url) => Flow::Fetch(Source::Url {
                url,
                method,
                purpose: "record-action",
                extra,
            }),
            None if self.caller_gone => Flow::End(End::Status(CallStatus::Completed)),
            None => Flow::Next,
        }
    }

    /// Posts `recordingStatusCallback` (when `completed` is asked for) and the transcription
    /// callback (with `transcribe="true"`), each on its own like Twilio's.
    fn recording_callbacks(&self, record: &Record, recording: &Recording, url: &str) {
        let mut requests = Vec::new();
        requests.extend(self.recording_status(
            RecordingStatus {
                callback: record.recording_status_callback.as_deref(),
                method: record.recording_status_callback_method,
                events: record.recording_status_callback_event.as_deref(),
            },
            recording,
            url,
        ));
        if let (Some(callback), Some(true)) = (&record.transcribe_callback, record.transcribe) {
            if let Ok(callback) = hook::join(self.doc_url.as_deref(), callback) {
                let transcription = sid::transcription();
                let ok = TRANSCRIBABLE.contains(&recording.duration_secs);
                let mut extra = vec![
                    ("TranscriptionSid".to_owned(), transcription.to_string()),
                    (
                        "TranscriptionStatus".to_owned(),
                        if ok { "completed" } else { "failed" }.to_owned(),
                    ),
                    (
                        "TranscriptionUrl".to_owned(),
                        format!(
                            "{}/2010-04-01/Accounts/{}/Transcriptions/{transcription}",
                            self.sim.base_url().unwrap_or_default(),
                            self.sim.account_sid()
                        ),
                    ),
                    ("RecordingSid".to_owned(), recording.sid.to_string()),
                    ("RecordingUrl".to_owned(), url.to_owned()),
                ];
                if ok {
                    extra.push((
                        "TranscriptionText".to_owned(),
                        self.script
                            .transcription
                            .clone()
                            .unwrap_or_else(|| DEFAULT_TRANSCRIPTION.to_owned()),
                    ));
                }
                requests.push(Request {
                    owner: self.sid.to_string(),
                    purpose: "transcription",
                    url: callback,
                    method: Method::Post,
                    params: self.request_params(&extra),
                });
            }
        }
        send_apart(&self.sim, requests);
    }

    /// The `recordingStatusCallback` request for a finished recording of this call, when the
    /// verb asked for the `completed` event (Twilio's default).
    pub(super) fn recording_status(
        &self,
        asked: RecordingStatus<'_>,
        recording: &Recording,
        url: &str,
    ) -> Option<Request> {
        let wants_completed = asked
            .events
            .unwrap_or("completed")
            .split_whitespace()
            .any(|e| e == "completed");
        if !wants_completed {
            return None;
        }
        let callback = hook::join(self.doc_url.as_deref(), asked.callback?).ok()?;
        let params = [
            ("AccountSid", self.sim.account_sid().to_string()),
            ("CallSid", self.sid.to_string()),
            ("RecordingSid", recording.sid.to_string()),
            ("RecordingUrl", url.to_owned()),
            ("RecordingStatus", "completed".to_owned()),
            ("RecordingDuration", recording.duration_secs.to_string()),
            ("RecordingChannels", recording.channels.to_string()),
            ("RecordingStartTime", rfc2822(recording.start_time)),
            ("RecordingSource", recording.source.as_str().to_owned()),
            ("ErrorCode", "0".to_owned()),
        ];
        Some(Request {
            owner: self.sid.to_string(),
            purpose: "recording-status",
            url: callback,
            method: asked.method.unwrap_or(Method::Post),
            params: params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        })
    }
}

/// The `recordingStatusCallback*` attributes of a `<Record>` or a `<Dial>`.
pub(super) struct RecordingStatus<'a> {
    pub callback: Option<&'a str>,
    pub method: Option<Method>,
    /// Space-separated events; `completed` when absent.
    pub events: Option<&'a str>,
}

/// Sends each request in a task of its own, as Twilio's callbacks do not hold the call up.
pub(super) fn send_apart(sim: &Sim, requests: Vec<Request>) {
    for request in requests {
        let sim = sim.clone();
        tokio::spawn(async move {
            let _ = hook::send(&sim, &request).await;
        });
    }
}
