//! Recordings: list (account-wide with `CallSid`, or per call), fetch, delete, and the audio
//! at the URI without extension (a generated WAV). MP3 is not simulated: `.mp3` answers 404.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use twilio::{AccountSid, CallSid, RecordingSid};

use super::{call, json_sid, string_enum, ACCOUNT, API_VERSION};
use crate::error::ApiError;
use crate::form::QueryParams;
use crate::page::PageRequest;
use crate::sim::SimState;
use crate::time::rfc2822;
use crate::{sid, wav, Sim};

string_enum!(
    /// What started a recording.
    RecordingSource {
        DialVerb = "DialVerb",
        Conference = "Conference",
        OutboundApi = "OutboundAPI",
        Trunking = "Trunking",
        RecordVerb = "RecordVerb",
        StartCallRecordingApi = "StartCallRecordingAPI",
        StartConferenceRecordingApi = "StartConferenceRecordingAPI",
    }
);

/// A finished recording of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    pub sid: RecordingSid,
    pub call_sid: CallSid,
    pub duration_secs: u32,
    pub channels: u8,
    pub source: RecordingSource,
    pub start_time: DateTime<Utc>,
    pub date_created: DateTime<Utc>,
    pub date_updated: DateTime<Utc>,
}

impl Recording {
    pub(crate) fn new(
        call_sid: CallSid,
        duration_secs: u32,
        source: RecordingSource,
        now: DateTime<Utc>,
    ) -> Self {
        let start = now - chrono::Duration::seconds(i64::from(duration_secs));
        Self {
            sid: sid::recording(),
            call_sid,
            duration_secs,
            channels: 1,
            source,
            start_time: start,
            date_created: start,
            date_updated: now,
        }
    }

    /// The audio URI (no extension) relative to the API's base URL.
    pub fn audio_uri(&self, account: &AccountSid) -> String {
        format!("/2010-04-01/Accounts/{account}/Recordings/{}", self.sid)
    }

    /// The account-level Recording resource.
    pub(crate) fn to_json(&self, s: &SimState) -> Value {
        let base = self.audio_uri(&s.account_sid);
        json!({
            "account_sid": s.account_sid,
            "api_version": API_VERSION,
            "call_sid": self.call_sid,
            "channels": self.channels,
            "conference_sid": null,
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_updated),
            "duration": self.duration_secs.to_string(),
            "encryption_details": null,
            "error_code": null,
            "media_url": format!("{}{base}", s.base_url.as_deref().unwrap_or_default()),
            "price": null,
            "price_unit": "USD",
            "sid": self.sid,
            "source": self.source.as_str(),
            "start_time": rfc2822(self.start_time),
            "status": "completed",
            "subresource_uris": {
                "add_on_results": format!("{base}/AddOnResults.json"),
                "transcriptions": format!("{base}/Transcriptions.json"),
            },
            "uri": format!("{base}.json"),
        })
    }

    /// The same recording as the call's Recording subresource shows it.
    pub(crate) fn to_call_json(&self, s: &SimState) -> Value {
        json!({
            "account_sid": s.account_sid,
            "api_version": API_VERSION,
            "call_sid": self.call_sid,
            "channels": self.channels,
            "conference_sid": null,
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_updated),
            "duration": self.duration_secs.to_string(),
            "encryption_details": null,
            "error_code": null,
            "price": null,
            "price_unit": "USD",
            "sid": self.sid,
            "source": self.source.as_str(),
            "start_time": rfc2822(self.start_time),
            "status": "completed",
            "track": "both",
            "uri": format!("{}/Calls/{}/Recordings/{}.json", s.account_uri(), self.call_sid, self.sid),
        })
    }
}

pub(super) fn routes() -> Router<Sim> {
    Router::new()
        .route(&format!("{ACCOUNT}/Recordings.json"), get(list))
        .route(
            &format!("{ACCOUNT}/Recordings/{{sid}}"),
            get(fetch).delete(remove),
        )
        .route(
            &format!("{ACCOUNT}/Calls/{{sid}}/Recordings.json"),
            get(list_for_call),
        )
        .route(
            &format!("{ACCOUNT}/Calls/{{sid}}/Recordings/{{recording}}"),
            get(fetch_for_call).delete(remove_for_call),
        )
}

async fn list(
    State(sim): State<Sim>,
    QueryParams(p): QueryParams,
) -> Result<Json<Value>, ApiError> {
    let page = PageRequest::parse(&p)?;
    let dates = p.date_filters("DateCreated")?;
    let call = p.non_empty("CallSid");
    if p.non_empty("ConferenceSid").is_some() {
        // No conferences are simulated, so no recording belongs to one.
        return Ok(Json(sim.with_state(|s| {
            page.render(
                &Vec::<&Recording>::new(),
                |r| r.sid.as_str(),
                |r| r.to_json(s),
                &format!("{}/Recordings.json", s.account_uri()),
                "recordings",
            )
        })));
    }
    Ok(Json(sim.with_state(|s| {
        let items: Vec<&Recording> = s
            .recordings
            .iter()
            .rev()
            .filter(|r| call.is_none_or(|c| r.call_sid.as_str() == c))
            .filter(|r| dates.iter().all(|d| d.matches(r.date_created)))
            .collect();
        page.render(
            &items,
            |r| r.sid.as_str(),
            |r| r.to_json(s),
            &format!("{}/Recordings.json", s.account_uri()),
            "recordings",
        )
    })))
}

fn position(s: &SimState, sid: &str) -> Option<usize> {
    s.recordings.iter().position(|r| r.sid.as_str() == sid)
}

fn audio(recording: &Recording) -> Response {
    (
        [(header::CONTENT_TYPE, "audio/x-wav")],
        wav::tone(recording.duration_secs),
    )
        .into_response()
}

/// `RE….json` is the resource, `RE…` and `RE….wav` the audio.
async fn fetch(
    State(sim): State<Sim>,
    Path((_, segment)): Path<(String, String)>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found(uri.path());
    sim.with_state(|s| {
        if let Some(sid) = json_sid(&segment) {
            return position(s, sid)
                .map(|i| Json(s.recordings[i].to_json(s)).into_response())
                .ok_or_else(not_found);
        }
        if let Some(sid) = segment.strip_suffix(".mp3") {
            if position(s, sid).is_some() {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    20404,
                    "twilio-sim serves recordings as WAV only: request the URI without an extension",
                ));
            }
            return Err(not_found());
        }
        let sid = segment.strip_suffix(".wav").unwrap_or(&segment);
        position(s, sid)
            .map(|i| audio(&s.recordings[i]))
            .ok_or_else(not_found)
    })
}

async fn remove(
    State(sim): State<Sim>,
    Path((_, segment)): Path<(String, String)>,
    uri: Uri,
) -> Result<StatusCode, ApiError> {
    sim.with_state(|s| {
        let index = json_sid(&segment)
            .and_then(|sid| position(s, sid))
            .ok_or_else(|| ApiError::not_found(uri.path()))?;
        s.recordings.remove(index);
        Ok(StatusCode::NO_CONTENT)
    })
}

async fn list_for_call(
    State(sim): State<Sim>,
    Path((_, call_sid)): Path<(String, String)>,
    uri: Uri,
    QueryParams(p): QueryParams,
) -> Result<Json<Value>, ApiError> {
    let page = PageRequest::parse(&p)?;
    let dates = p.date_filters("DateCreated")?;
    sim.with_state(|s| {
        let call = call::position(s, &call_sid)
            .map(|i| s.calls[i].sid.clone())
            .ok_or_else(|| ApiError::not_found(uri.path()))?;
        let items: Vec<&Recording> = s
            .recordings
            .iter()
            .rev()
            .filter(|r| r.call_sid == call)
            .filter(|r| dates.iter().all(|d| d.matches(r.date_created)))
            .collect();
        Ok(Json(page.render(
            &items,
            |r| r.sid.as_str(),
            |r| r.to_call_json(s),
            &format!("{}/Calls/{call}/Recordings.json", s.account_uri()),
            "recordings",
        )))
    })
}

fn position_for_call(s: &SimState, call_sid: &str, segment: &str) -> Option<usize> {
    json_sid(segment).and_then(|sid| {
        s.recordings
            .iter()
            .position(|r| r.sid.as_str() == sid && r.call_sid.as_str() == call_sid)
    })
}

async fn fetch_for_call(
    State(sim): State<Sim>,
    Path((_, call_sid, segment)): Path<(String, String, String)>,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    sim.with_state(|s| {
        position_for_call(s, &call_sid, &segment)
            .map(|i| Json(s.recordings[i].to_call_json(s)))
            .ok_or_else(|| ApiError::not_found(uri.path()))
    })
}

async fn remove_for_call(
    State(sim): State<Sim>,
    Path((_, call_sid, segment)): Path<(String, String, String)>,
    uri: Uri,
) -> Result<StatusCode, ApiError> {
    sim.with_state(|s| {
        let index = position_for_call(s, &call_sid, &segment)
            .ok_or_else(|| ApiError::not_found(uri.path()))?;
        s.recordings.remove(index);
        Ok(StatusCode::NO_CONTENT)
    })
}
