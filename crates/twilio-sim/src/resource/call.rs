//! Calls: create (validation and Twilio's error codes), list with filters and paging, fetch,
//! update (redirect with `Url`/`Twiml`, hang up with `Status`), delete. Calls stay `queued`
//! until something drives them; the record keeps every parameter a driver needs.

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use twilio::{ApplicationSid, CallSid, PhoneNumberSid};

use super::{json_sid, opt_date, opt_str, string_enum, ACCOUNT, API_VERSION};
use crate::error::ApiError;
use crate::form::{FormParams, Params, QueryParams};
use crate::page::PageRequest;
use crate::sim::SimState;
use crate::time::rfc2822;
use crate::voice::{Command, Source};
use crate::{phone, sid, Sim};

const MAX_TWIML_CHARS: usize = 4000;
const MAX_TIMEOUT_SECS: u32 = 600;

string_enum!(
    /// Twilio's call status values.
    CallStatus {
        Queued = "queued",
        Ringing = "ringing",
        InProgress = "in-progress",
        Completed = "completed",
        Busy = "busy",
        Failed = "failed",
        NoAnswer = "no-answer",
        Canceled = "canceled",
    }
);

impl CallStatus {
    /// A call in this status is over and can no longer be modified.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Queued | Self::Ringing | Self::InProgress)
    }
}

string_enum!(
    /// Who started a call.
    CallDirection {
        Inbound = "inbound",
        OutboundApi = "outbound-api",
        OutboundDial = "outbound-dial",
    }
);

string_enum!(
    /// The progress events a status callback can ask for.
    CallEvent {
        Initiated = "initiated",
        Ringing = "ringing",
        Answered = "answered",
        Completed = "completed",
    }
);

/// A call as the simulated account stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub sid: CallSid,
    pub parent_call_sid: Option<CallSid>,
    pub from: String,
    pub to: String,
    pub status: CallStatus,
    pub direction: CallDirection,
    pub date_created: DateTime<Utc>,
    pub date_updated: DateTime<Utc>,
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
    pub phone_number_sid: Option<PhoneNumberSid>,
    /// Where the TwiML comes from: `url` (with `method`), inline `twiml`, or an application.
    pub url: Option<String>,
    pub method: String,
    pub twiml: Option<String>,
    pub application_sid: Option<ApplicationSid>,
    pub fallback_url: Option<String>,
    pub fallback_method: String,
    pub status_callback: Option<String>,
    pub status_callback_method: String,
    /// Requested progress events; Twilio's default is only `completed`.
    pub status_callback_events: Vec<String>,
    pub timeout_secs: u32,
    pub time_limit_secs: Option<u32>,
    pub record: bool,
    pub send_digits: Option<String>,
}

impl Call {
    /// Seconds between answer and end, once both happened.
    pub fn duration(&self) -> Option<i64> {
        match (self.start_time, self.end_time) {
            (Some(start), Some(end)) => Some((end - start).num_seconds().max(0)),
            (None, Some(_)) => Some(0),
            _ => None,
        }
    }

    pub(crate) fn to_json(&self, s: &SimState) -> Value {
        let base = format!("{}/Calls/{}", s.account_uri(), self.sid);
        let sub = |name: &str| format!("{base}/{name}.json");
        json!({
            "account_sid": s.account_sid,
            "answered_by": null,
            "api_version": API_VERSION,
            "caller_name": null,
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_updated),
            "direction": self.direction.as_str(),
            "duration": self.duration().map(|d| d.to_string()),
            "end_time": opt_date(self.end_time),
            "forwarded_from": null,
            "from": self.from,
            "from_formatted": phone::formatted(&self.from),
            "group_sid": null,
            "parent_call_sid": opt_str(&self.parent_call_sid),
            "phone_number_sid": opt_str(&self.phone_number_sid),
            "price": null,
            "price_unit": "USD",
            "queue_time": "0",
            "sid": self.sid,
            "start_time": opt_date(self.start_time),
            "status": self.status.as_str(),
            "subresource_uris": {
                "notifications": sub("Notifications"),
                "recordings": sub("Recordings"),
                "payments": sub("Payments"),
                "events": sub("Events"),
                "siprec": sub("Siprec"),
                "streams": sub("Streams"),
                "transcriptions": sub("Transcriptions"),
                "user_defined_message_subscriptions": sub("UserDefinedMessageSubscriptions"),
                "user_defined_messages": sub("UserDefinedMessages"),
            },
            "to": self.to,
            "to_formatted": phone::formatted(&self.to),
            "trunk_sid": null,
            "uri": format!("{base}.json"),
        })
    }
}

pub(super) fn routes() -> Router<Sim> {
    Router::new()
        .route(&format!("{ACCOUNT}/Calls.json"), get(list).post(create))
        .route(
            &format!("{ACCOUNT}/Calls/{{sid}}"),
            get(fetch).post(update).delete(remove),
        )
}

fn twiml_param(p: &Params) -> Result<Option<String>, ApiError> {
    match p.non_empty("Twiml") {
        Some(t) if t.chars().count() > MAX_TWIML_CHARS => Err(ApiError::invalid(format!(
            "Twiml must be at most {MAX_TWIML_CHARS} characters"
        ))),
        other => Ok(other.map(str::to_owned)),
    }
}

fn events(p: &Params) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    // Some clients repeat the key, others send one space-separated value.
    for event in p.all("StatusCallbackEvent").flat_map(str::split_whitespace) {
        let event = CallEvent::parse(event).ok_or_else(|| {
            ApiError::invalid(format!(
                "StatusCallbackEvent {event} is not one of initiated, ringing, answered, completed"
            ))
        })?;
        if !out.iter().any(|e| e == event.as_str()) {
            out.push(event.as_str().to_owned());
        }
    }
    if out.is_empty() {
        out.push(CallEvent::Completed.as_str().to_owned());
    }
    Ok(out)
}

fn validate(s: &SimState, p: &Params) -> Result<Call, ApiError> {
    let to = p
        .non_empty("To")
        .ok_or_else(|| ApiError::bad_request(21201, "No 'To' number is specified"))?;
    if !phone::is_call_address(to) {
        return Err(ApiError::bad_request(
            21211,
            format!("Invalid 'To' Phone Number: {to}"),
        ));
    }
    let from = p
        .non_empty("From")
        .ok_or_else(|| ApiError::bad_request(21213, "No 'From' number is specified"))?;
    if !phone::is_call_address(from) {
        return Err(ApiError::bad_request(
            21212,
            format!("Invalid 'From' Phone Number: {from}"),
        ));
    }
    let own_number = s.number_by_value(from);
    if phone::is_e164(from) && own_number.is_none() {
        return Err(ApiError::bad_request(
            21210,
            format!("The source phone number provided, {from}, is not yet verified for your account. You may only make calls from phone numbers that you've verified or purchased from Twilio."),
        ));
    }
    let url = p.url("Url", 21205)?.filter(|u| !u.is_empty());
    let twiml = twiml_param(p)?;
    let application_sid = match p.non_empty("ApplicationSid") {
        None => None,
        Some(v) => Some(
            ApplicationSid::parse(v)
                .ok()
                .filter(|a| s.applications.iter().any(|x| &x.sid == a))
                .ok_or_else(|| {
                    ApiError::bad_request(21218, format!("Invalid ApplicationSid: {v}"))
                })?,
        ),
    };
    if url.is_none() && twiml.is_none() && application_sid.is_none() {
        return Err(ApiError::bad_request(
            21205,
            "A Url, Twiml or ApplicationSid parameter is required",
        ));
    }
    let timeout_secs = match p.non_empty("Timeout") {
        None => 60,
        Some(v) => v
            .parse::<u32>()
            .map_err(|_| {
                ApiError::invalid(format!("Timeout must be a number of seconds, not {v}"))
            })?
            .min(MAX_TIMEOUT_SECS),
    };
    let time_limit_secs = match p.non_empty("TimeLimit") {
        None => None,
        Some(v) => Some(v.parse::<u32>().map_err(|_| {
            ApiError::invalid(format!("TimeLimit must be a number of seconds, not {v}"))
        })?),
    };
    let now = s.now();
    Ok(Call {
        sid: sid::call(),
        parent_call_sid: None,
        from: from.to_owned(),
        to: to.to_owned(),
        status: CallStatus::Queued,
        direction: CallDirection::OutboundApi,
        date_created: now,
        date_updated: now,
        start_time: None,
        end_time: None,
        phone_number_sid: own_number.map(|n| n.sid.clone()),
        // When both are given, Twilio ignores Twiml in favour of Url.
        twiml: if url.is_some() { None } else { twiml },
        url,
        method: p.method("Method")?.unwrap_or_else(|| "POST".to_owned()),
        application_sid,
        fallback_url: p.url("FallbackUrl", 21205)?.filter(|u| !u.is_empty()),
        fallback_method: p
            .method("FallbackMethod")?
            .unwrap_or_else(|| "POST".to_owned()),
        status_callback: p.url("StatusCallback", 21205)?.filter(|u| !u.is_empty()),
        status_callback_method: p
            .method("StatusCallbackMethod")?
            .unwrap_or_else(|| "POST".to_owned()),
        status_callback_events: events(p)?,
        timeout_secs,
        time_limit_secs,
        record: p.bool("Record")?.unwrap_or(false),
        send_digits: p.non_empty("SendDigits").map(str::to_owned),
    })
}

async fn create(
    State(sim): State<Sim>,
    FormParams(p): FormParams,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (json, sid) = sim.with_state(|s| {
        let call = validate(s, &p)?;
        let json = call.to_json(s);
        let sid = call.sid.clone();
        s.trace(sid.as_str())
            .statuses
            .push(call.status.as_str().to_owned());
        s.calls.push(call);
        Ok::<_, ApiError>((json, sid))
    })?;
    crate::voice::start_outbound(&sim, sid);
    Ok((StatusCode::CREATED, Json(json)))
}

async fn list(
    State(sim): State<Sim>,
    QueryParams(p): QueryParams,
) -> Result<Json<Value>, ApiError> {
    let page = PageRequest::parse(&p)?;
    let starts = p.date_filters("StartTime")?;
    let ends = p.date_filters("EndTime")?;
    let status = match p.non_empty("Status") {
        None => None,
        Some(v) => Some(
            CallStatus::parse(v)
                .ok_or_else(|| ApiError::invalid(format!("Status {v} is not a call status")))?,
        ),
    };
    let to = p.non_empty("To");
    let from = p.non_empty("From");
    let parent = p.non_empty("ParentCallSid");
    Ok(Json(sim.with_state(|s| {
        let items: Vec<&Call> = s
            .calls
            .iter()
            .rev()
            .filter(|c| to.is_none_or(|t| c.to == t))
            .filter(|c| from.is_none_or(|f| c.from == f))
            .filter(|c| status.is_none_or(|st| c.status == st))
            .filter(|c| {
                parent.is_none_or(|ps| c.parent_call_sid.as_ref().is_some_and(|x| x.as_str() == ps))
            })
            // A call that has not started is compared by its creation time.
            .filter(|c| {
                starts
                    .iter()
                    .all(|d| d.matches(c.start_time.unwrap_or(c.date_created)))
            })
            .filter(|c| {
                ends.iter()
                    .all(|d| c.end_time.is_some_and(|t| d.matches(t)))
            })
            .collect();
        page.render(
            &items,
            |c| c.sid.as_str(),
            |c| c.to_json(s),
            &format!("{}/Calls.json", s.account_uri()),
            "calls",
        )
    })))
}

pub(super) fn position(s: &SimState, sid: &str) -> Option<usize> {
    s.calls.iter().position(|c| c.sid.as_str() == sid)
}

async fn fetch(
    State(sim): State<Sim>,
    Path((_, segment)): Path<(String, String)>,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    sim.with_state(|s| {
        json_sid(&segment)
            .and_then(|sid| position(s, sid))
            .map(|i| Json(s.calls[i].to_json(s)))
            .ok_or_else(|| ApiError::not_found(uri.path()))
    })
}

/// Applies an update to a live call; what Twilio does with `Status`:
/// `canceled` ends only a call that has not been answered; `completed` ends any live call
/// (one never answered ends as `canceled`).
fn apply_update(call: &mut Call, p: &Params, now: DateTime<Utc>) -> Result<(), ApiError> {
    let status = match p.non_empty("Status") {
        None => None,
        Some(v @ ("canceled" | "completed")) => Some(v),
        Some(v) => {
            return Err(ApiError::invalid(format!(
                "Status must be canceled or completed, not {v}"
            )))
        }
    };
    let url = p.url("Url", 21205)?.filter(|u| !u.is_empty());
    let twiml = twiml_param(p)?;
    if url.is_some() && twiml.is_some() {
        return Err(ApiError::invalid("Url and Twiml are mutually exclusive"));
    }
    if call.status.is_final() {
        return Err(ApiError::bad_request(
            21220,
            "Call is not in-progress. Cannot redirect.",
        ));
    }
    let method = p.method("Method")?;
    let fallback_url = p.url("FallbackUrl", 21205)?;
    let fallback_method = p.method("FallbackMethod")?;
    let status_callback = p.url("StatusCallback", 21205)?;
    let status_callback_method = p.method("StatusCallbackMethod")?;
    if let Some(u) = url {
        call.url = Some(u);
        call.twiml = None;
    }
    if let Some(t) = twiml {
        call.twiml = Some(t);
        call.url = None;
    }
    if let Some(m) = method {
        call.method = m;
    }
    if let Some(u) = fallback_url {
        call.fallback_url = Some(u).filter(|u| !u.is_empty());
    }
    if let Some(m) = fallback_method {
        call.fallback_method = m;
    }
    if let Some(u) = status_callback {
        call.status_callback = Some(u).filter(|u| !u.is_empty());
    }
    if let Some(m) = status_callback_method {
        call.status_callback_method = m;
    }
    match (status, call.status) {
        (Some(_), CallStatus::Queued | CallStatus::Ringing) => {
            call.status = CallStatus::Canceled;
            call.end_time = Some(now);
        }
        (Some("completed"), CallStatus::InProgress) => {
            call.status = CallStatus::Completed;
            call.end_time = Some(now);
        }
        _ => {}
    }
    call.date_updated = now;
    Ok(())
}

async fn update(
    State(sim): State<Sim>,
    Path((_, segment)): Path<(String, String)>,
    uri: Uri,
    FormParams(p): FormParams,
) -> Result<Json<Value>, ApiError> {
    sim.with_state(|s| {
        let now = s.now();
        let index = json_sid(&segment)
            .and_then(|sid| position(s, sid))
            .ok_or_else(|| ApiError::not_found(uri.path()))?;
        let before = s.calls[index].clone();
        apply_update(&mut s.calls[index], &p, now)?;
        let call = &s.calls[index];
        // A running call learns of the change: hang up, or run the new TwiML at once.
        if let Some(control) = s.controls.get(call.sid.as_str()) {
            let command = if call.status.is_final() {
                Some(Command::Hangup { by: None })
            } else if call.url != before.url || call.twiml != before.twiml || p.get("Url").is_some()
            {
                redirect_source(call).map(Command::Redirect)
            } else {
                None
            };
            if let Some(command) = command {
                let _ = control.send((call.sid.clone(), command));
            }
        }
        Ok(Json(s.calls[index].to_json(s)))
    })
}

/// What a redirected call runs next.
fn redirect_source(call: &Call) -> Option<Source> {
    if let Some(url) = &call.url {
        return Some(Source::Url {
            url: url.clone(),
            method: crate::messaging::method_of(&call.method),
            purpose: "redirect",
            extra: Vec::new(),
        });
    }
    call.twiml.clone().map(Source::Twiml)
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
        s.calls.remove(index);
        Ok(StatusCode::NO_CONTENT)
    })
}
