//! Applications (TwiML Apps): the voice and messaging URLs that Voice SDK calls and numbers
//! pointing at the app use. Create, list (with `FriendlyName`), fetch, update, delete.

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use twilio::ApplicationSid;

use super::{friendly_name, json_sid, set_bools, set_methods, set_urls, ACCOUNT, API_VERSION};
use crate::error::ApiError;
use crate::form::{FormParams, Params, QueryParams};
use crate::page::PageRequest;
use crate::sim::SimState;
use crate::time::rfc2822;
use crate::{sid, Sim};

/// A TwiML application of the simulated account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub sid: ApplicationSid,
    pub friendly_name: Option<String>,
    pub date_created: DateTime<Utc>,
    pub date_updated: DateTime<Utc>,
    pub voice_url: Option<String>,
    pub voice_method: String,
    pub voice_fallback_url: Option<String>,
    pub voice_fallback_method: String,
    pub voice_caller_id_lookup: bool,
    pub status_callback: Option<String>,
    pub status_callback_method: String,
    pub sms_url: Option<String>,
    pub sms_method: String,
    pub sms_fallback_url: Option<String>,
    pub sms_fallback_method: String,
    pub sms_status_callback: Option<String>,
    pub message_status_callback: Option<String>,
    pub public_application_connect_enabled: bool,
}

impl Application {
    fn new(now: DateTime<Utc>) -> Self {
        Self {
            sid: sid::application(),
            friendly_name: None,
            date_created: now,
            date_updated: now,
            voice_url: None,
            voice_method: "POST".to_owned(),
            voice_fallback_url: None,
            voice_fallback_method: "POST".to_owned(),
            voice_caller_id_lookup: false,
            status_callback: None,
            status_callback_method: "POST".to_owned(),
            sms_url: None,
            sms_method: "POST".to_owned(),
            sms_fallback_url: None,
            sms_fallback_method: "POST".to_owned(),
            sms_status_callback: None,
            message_status_callback: None,
            public_application_connect_enabled: false,
        }
    }

    pub(crate) fn to_json(&self, s: &SimState) -> Value {
        json!({
            "account_sid": s.account_sid,
            "api_version": API_VERSION,
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_updated),
            "friendly_name": self.friendly_name,
            "message_status_callback": self.message_status_callback,
            "public_application_connect_enabled": self.public_application_connect_enabled,
            "sid": self.sid,
            "sms_fallback_method": self.sms_fallback_method,
            "sms_fallback_url": self.sms_fallback_url,
            "sms_method": self.sms_method,
            "sms_status_callback": self.sms_status_callback,
            "sms_url": self.sms_url,
            "status_callback": self.status_callback,
            "status_callback_method": self.status_callback_method,
            "uri": format!("{}/Applications/{}.json", s.account_uri(), self.sid),
            "voice_caller_id_lookup": self.voice_caller_id_lookup,
            "voice_fallback_method": self.voice_fallback_method,
            "voice_fallback_url": self.voice_fallback_url,
            "voice_method": self.voice_method,
            "voice_url": self.voice_url,
        })
    }
}

pub(super) fn routes() -> Router<Sim> {
    Router::new()
        .route(
            &format!("{ACCOUNT}/Applications.json"),
            get(list).post(create),
        )
        .route(
            &format!("{ACCOUNT}/Applications/{{sid}}"),
            get(fetch).post(update).delete(remove),
        )
}

/// All-or-nothing: a bad parameter leaves the application unchanged.
fn updated(current: &Application, p: &Params, now: DateTime<Utc>) -> Result<Application, ApiError> {
    let mut a = current.clone();
    set_urls(
        p,
        &mut [
            ("VoiceUrl", &mut a.voice_url),
            ("VoiceFallbackUrl", &mut a.voice_fallback_url),
            ("StatusCallback", &mut a.status_callback),
            ("SmsUrl", &mut a.sms_url),
            ("SmsFallbackUrl", &mut a.sms_fallback_url),
            ("SmsStatusCallback", &mut a.sms_status_callback),
            ("MessageStatusCallback", &mut a.message_status_callback),
        ],
    )?;
    set_methods(
        p,
        &mut [
            ("VoiceMethod", &mut a.voice_method),
            ("VoiceFallbackMethod", &mut a.voice_fallback_method),
            ("StatusCallbackMethod", &mut a.status_callback_method),
            ("SmsMethod", &mut a.sms_method),
            ("SmsFallbackMethod", &mut a.sms_fallback_method),
        ],
    )?;
    set_bools(
        p,
        &mut [
            ("VoiceCallerIdLookup", &mut a.voice_caller_id_lookup),
            (
                "PublicApplicationConnectEnabled",
                &mut a.public_application_connect_enabled,
            ),
        ],
    )?;
    if let Some(name) = friendly_name(p)? {
        a.friendly_name = Some(name);
    }
    a.date_updated = now;
    Ok(a)
}

async fn create(
    State(sim): State<Sim>,
    FormParams(p): FormParams,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    sim.with_state(|s| {
        let now = s.now();
        let app = updated(&Application::new(now), &p, now)?;
        let json = app.to_json(s);
        s.applications.push(app);
        Ok((StatusCode::CREATED, Json(json)))
    })
}

async fn list(
    State(sim): State<Sim>,
    QueryParams(p): QueryParams,
) -> Result<Json<Value>, ApiError> {
    let page = PageRequest::parse(&p)?;
    let name = p.non_empty("FriendlyName");
    Ok(Json(sim.with_state(|s| {
        let items: Vec<&Application> = s
            .applications
            .iter()
            .rev()
            .filter(|a| name.is_none_or(|f| a.friendly_name.as_deref() == Some(f)))
            .collect();
        page.render(
            &items,
            |a| a.sid.as_str(),
            |a| a.to_json(s),
            &format!("{}/Applications.json", s.account_uri()),
            "applications",
        )
    })))
}

fn position(s: &SimState, segment: &str) -> Option<usize> {
    json_sid(segment).and_then(|sid| s.applications.iter().position(|a| a.sid.as_str() == sid))
}

async fn fetch(
    State(sim): State<Sim>,
    Path((_, segment)): Path<(String, String)>,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    sim.with_state(|s| {
        position(s, &segment)
            .map(|i| Json(s.applications[i].to_json(s)))
            .ok_or_else(|| ApiError::not_found(uri.path()))
    })
}

async fn update(
    State(sim): State<Sim>,
    Path((_, segment)): Path<(String, String)>,
    uri: Uri,
    FormParams(p): FormParams,
) -> Result<Json<Value>, ApiError> {
    sim.with_state(|s| {
        let index = position(s, &segment).ok_or_else(|| ApiError::not_found(uri.path()))?;
        let app = updated(&s.applications[index], &p, s.now())?;
        let json = app.to_json(s);
        s.applications[index] = app;
        Ok(Json(json))
    })
}

async fn remove(
    State(sim): State<Sim>,
    Path((_, segment)): Path<(String, String)>,
    uri: Uri,
) -> Result<StatusCode, ApiError> {
    sim.with_state(|s| {
        let index = position(s, &segment).ok_or_else(|| ApiError::not_found(uri.path()))?;
        let app = s.applications.remove(index);
        // No number may keep pointing at an application that no longer exists.
        for n in &mut s.numbers {
            if n.voice_application_sid.as_ref() == Some(&app.sid) {
                n.voice_application_sid = None;
            }
            if n.sms_application_sid.as_ref() == Some(&app.sid) {
                n.sms_application_sid = None;
            }
        }
        Ok(StatusCode::NO_CONTENT)
    })
}
