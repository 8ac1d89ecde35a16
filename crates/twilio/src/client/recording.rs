//! Recordings: voicemail and call recordings, and where their audio can be fetched.

use serde::{Deserialize, Serialize};
use url::Url;

use super::{opt_id, Client, Error, Listed, Page, Params};
use crate::id::{AccountSid, CallSid, RecordingSid};

/// `api.v2010.account.recording`. `duration` and `price` are strings, as sent.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct RecordingResource {
    pub sid: RecordingSid,
    #[serde(default, deserialize_with = "opt_id")]
    pub account_sid: Option<AccountSid>,
    #[serde(default, deserialize_with = "opt_id")]
    pub call_sid: Option<CallSid>,
    pub conference_sid: Option<String>,
    /// `in-progress`, `paused`, `stopped`, `processing`, `completed`, `absent`, `deleted`.
    pub status: Option<String>,
    /// `DialVerb`, `Conference`, `OutboundAPI`, `Trunking`, `RecordVerb`, …
    pub source: Option<String>,
    pub channels: Option<u32>,
    pub start_time: Option<String>,
    pub duration: Option<String>,
    pub price: Option<String>,
    pub price_unit: Option<String>,
    pub error_code: Option<u32>,
    pub encryption_details: Option<serde_json::Value>,
    pub media_url: Option<String>,
    pub date_created: Option<String>,
    pub date_updated: Option<String>,
    pub api_version: Option<String>,
    pub uri: Option<String>,
    pub subresource_uris: Option<serde_json::Value>,
}

impl Listed for RecordingResource {
    const LIST_KEY: &'static str = "recordings";
}

impl Client {
    /// The account's recordings, or only those of `call`.
    pub async fn list_recordings(
        &self,
        call: Option<&CallSid>,
    ) -> Result<Page<RecordingResource>, Error> {
        let mut query = Params::new();
        query.opt("CallSid", call);
        self.get_json(query.into_query(self.account_url("Recordings.json")))
            .await
    }

    pub async fn fetch_recording(&self, sid: &RecordingSid) -> Result<RecordingResource, Error> {
        self.get_json(self.account_url(&format!("Recordings/{sid}.json")))
            .await
    }

    /// Deletes the recording and its audio at Twilio (Twilio answers 204).
    pub async fn delete_recording(&self, sid: &RecordingSid) -> Result<(), Error> {
        self.delete(self.account_url(&format!("Recordings/{sid}.json")))
            .await
    }

    /// The recording's audio as WAV (the URI without extension); append `.mp3` for MP3,
    /// which Twilio refuses for encrypted recordings. Fetch it with [`Client::download`].
    pub fn recording_audio_url(&self, sid: &RecordingSid) -> Url {
        self.account_url(&format!("Recordings/{sid}"))
    }
}
