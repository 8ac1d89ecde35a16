//! IncomingPhoneNumbers: the numbers the account owns and where Twilio sends their calls and
//! messages (`VoiceUrl`, `SmsUrl`, an application, …). List, fetch, update.

use axum::extract::{Path, State};
use axum::http::Uri;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use twilio::{ApplicationSid, PhoneNumber, PhoneNumberSid};

use super::{
    application_param, friendly_name, json_sid, opt_str, set_bools, set_methods, set_urls, ACCOUNT,
    API_VERSION,
};
use crate::error::ApiError;
use crate::form::{FormParams, Params, QueryParams};
use crate::page::PageRequest;
use crate::sim::SimState;
use crate::time::rfc2822;
use crate::{phone, sid, Sim};

/// A phone number owned by the simulated account, with its webhook configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingNumber {
    pub sid: PhoneNumberSid,
    pub phone_number: PhoneNumber,
    pub friendly_name: String,
    pub date_created: DateTime<Utc>,
    pub date_updated: DateTime<Utc>,
    pub voice_url: Option<String>,
    pub voice_method: String,
    pub voice_fallback_url: Option<String>,
    pub voice_fallback_method: String,
    /// When set, calls go to this application's URLs instead of `voice_url`.
    pub voice_application_sid: Option<ApplicationSid>,
    pub voice_caller_id_lookup: bool,
    pub voice_receive_mode: String,
    pub sms_url: Option<String>,
    pub sms_method: String,
    pub sms_fallback_url: Option<String>,
    pub sms_fallback_method: String,
    pub sms_application_sid: Option<ApplicationSid>,
    pub status_callback: Option<String>,
    pub status_callback_method: String,
}

impl IncomingNumber {
    pub(crate) fn new(
        phone_number: PhoneNumber,
        friendly_name: Option<String>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            sid: sid::phone_number(),
            friendly_name: friendly_name.unwrap_or_else(|| phone::formatted(phone_number.as_str())),
            phone_number,
            date_created: now,
            date_updated: now,
            voice_url: None,
            voice_method: "POST".to_owned(),
            voice_fallback_url: None,
            voice_fallback_method: "POST".to_owned(),
            voice_application_sid: None,
            voice_caller_id_lookup: false,
            voice_receive_mode: "voice".to_owned(),
            sms_url: None,
            sms_method: "POST".to_owned(),
            sms_fallback_url: None,
            sms_fallback_method: "POST".to_owned(),
            sms_application_sid: None,
            status_callback: None,
            status_callback_method: "POST".to_owned(),
        }
    }

    pub(crate) fn to_json(&self, s: &SimState) -> Value {
        json!({
            "account_sid": s.account_sid,
            "address_requirements": "none",
            "address_sid": null,
            "api_version": API_VERSION,
            "beta": false,
            "bundle_sid": null,
            "capabilities": {"voice": true, "sms": true, "mms": true, "fax": false},
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_updated),
            "emergency_address_sid": null,
            "emergency_address_status": "unregistered",
            "emergency_status": "Inactive",
            "friendly_name": self.friendly_name,
            "identity_sid": null,
            "origin": "twilio",
            "phone_number": self.phone_number,
            "sid": self.sid,
            "sms_application_sid": opt_str(&self.sms_application_sid),
            "sms_fallback_method": self.sms_fallback_method,
            "sms_fallback_url": self.sms_fallback_url,
            "sms_method": self.sms_method,
            "sms_url": self.sms_url,
            "status": "in-use",
            "status_callback": self.status_callback,
            "status_callback_method": self.status_callback_method,
            "trunk_sid": null,
            "type": "local",
            "uri": format!("{}/IncomingPhoneNumbers/{}.json", s.account_uri(), self.sid),
            "voice_application_sid": opt_str(&self.voice_application_sid),
            "voice_caller_id_lookup": self.voice_caller_id_lookup,
            "voice_fallback_method": self.voice_fallback_method,
            "voice_fallback_url": self.voice_fallback_url,
            "voice_method": self.voice_method,
            "voice_receive_mode": self.voice_receive_mode,
            "voice_url": self.voice_url,
        })
    }
}

pub(super) fn routes() -> Router<Sim> {
    Router::new()
        .route(&format!("{ACCOUNT}/IncomingPhoneNumbers.json"), get(list))
        .route(
            &format!("{ACCOUNT}/IncomingPhoneNumbers/{{sid}}"),
            get(fetch).post(update),
        )
}

async fn list(
    State(sim): State<Sim>,
    QueryParams(p): QueryParams,
) -> Result<Json<Value>, ApiError> {
    let page = PageRequest::parse(&p)?;
    let number = p.non_empty("PhoneNumber");
    let name = p.non_empty("FriendlyName");
    Ok(Json(sim.with_state(|s| {
        let items: Vec<&IncomingNumber> = s
            .numbers
            .iter()
            .rev()
            .filter(|n| {
                number.is_none_or(|pat| phone::matches_number_pattern(n.phone_number.as_str(), pat))
            })
            .filter(|n| name.is_none_or(|f| n.friendly_name == f))
            .collect();
        page.render(
            &items,
            |n| n.sid.as_str(),
            |n| n.to_json(s),
            &format!("{}/IncomingPhoneNumbers.json", s.account_uri()),
            "incoming_phone_numbers",
        )
    })))
}

fn position(s: &SimState, segment: &str) -> Option<usize> {
    json_sid(segment).and_then(|sid| s.numbers.iter().position(|n| n.sid.as_str() == sid))
}

async fn fetch(
    State(sim): State<Sim>,
    Path((_, segment)): Path<(String, String)>,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    sim.with_state(|s| {
        position(s, &segment)
            .map(|i| Json(s.numbers[i].to_json(s)))
            .ok_or_else(|| ApiError::not_found(uri.path()))
    })
}

/// All-or-nothing: a bad parameter leaves the number unchanged.
fn updated(s: &SimState, current: &IncomingNumber, p: &Params) -> Result<IncomingNumber, ApiError> {
    let mut n = current.clone();
    set_urls(
        p,
        &mut [
            ("VoiceUrl", &mut n.voice_url),
            ("VoiceFallbackUrl", &mut n.voice_fallback_url),
            ("SmsUrl", &mut n.sms_url),
            ("SmsFallbackUrl", &mut n.sms_fallback_url),
            ("StatusCallback", &mut n.status_callback),
        ],
    )?;
    set_methods(
        p,
        &mut [
            ("VoiceMethod", &mut n.voice_method),
            ("VoiceFallbackMethod", &mut n.voice_fallback_method),
            ("SmsMethod", &mut n.sms_method),
            ("SmsFallbackMethod", &mut n.sms_fallback_method),
            ("StatusCallbackMethod", &mut n.status_callback_method),
        ],
    )?;
    set_bools(
        p,
        &mut [("VoiceCallerIdLookup", &mut n.voice_caller_id_lookup)],
    )?;
    if let Some(app) = application_param(s, p, "VoiceApplicationSid")? {
        n.voice_application_sid = app;
    }
    if let Some(app) = application_param(s, p, "SmsApplicationSid")? {
        n.sms_application_sid = app;
    }
    if let Some(mode) = p.non_empty("VoiceReceiveMode") {
        if !matches!(mode, "voice" | "fax") {
            return Err(ApiError::invalid(format!(
                "VoiceReceiveMode must be voice or fax, not {mode}"
            )));
        }
        n.voice_receive_mode = mode.to_owned();
    }
    if let Some(name) = friendly_name(p)? {
        n.friendly_name = name;
    }
    if let Some(account) = p.non_empty("AccountSid") {
        if account != s.account_sid.as_str() {
            return Err(ApiError::invalid(
                "twilio-sim has one account: numbers cannot move to another",
            ));
        }
    }
    n.date_updated = s.now();
    Ok(n)
}

async fn update(
    State(sim): State<Sim>,
    Path((_, segment)): Path<(String, String)>,
    uri: Uri,
    FormParams(p): FormParams,
) -> Result<Json<Value>, ApiError> {
    sim.with_state(|s| {
        let index = position(s, &segment).ok_or_else(|| ApiError::not_found(uri.path()))?;
        let number = updated(s, &s.numbers[index], &p)?;
        let json = number.to_json(s);
        s.numbers[index] = number;
        Ok(Json(json))
    })
}
