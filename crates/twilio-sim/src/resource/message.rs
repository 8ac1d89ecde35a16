//! Messages: create (Twilio's validation and error codes, segment count, media fetch), list
//! with filters and paging, fetch, redact or cancel, delete.

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use twilio::{AccountSid, ApplicationSid, MessageSid};

use super::media;
use super::{json_sid, opt_date, string_enum, ACCOUNT, API_VERSION};
use crate::error::ApiError;
use crate::fault::DeliveryError;
use crate::form::{is_http_url, FormParams, Params, QueryParams};
use crate::messaging::{store_outbound, Draft};
use crate::page::PageRequest;
use crate::sim::SimState;
use crate::time::{rfc2822, DateFilter};
use crate::{phone, Sim};

const MAX_BODY_CHARS: usize = 1600;
const MAX_MEDIA: usize = 10;

string_enum!(
    /// Twilio's message status values.
    MessageStatus {
        Queued = "queued",
        Sending = "sending",
        Sent = "sent",
        Failed = "failed",
        Delivered = "delivered",
        Undelivered = "undelivered",
        Receiving = "receiving",
        Received = "received",
        Accepted = "accepted",
        Scheduled = "scheduled",
        Read = "read",
        PartiallyDelivered = "partially_delivered",
        Canceled = "canceled",
    }
);

string_enum!(
    /// Who created a message.
    MessageDirection {
        Inbound = "inbound",
        OutboundApi = "outbound-api",
        OutboundCall = "outbound-call",
        OutboundReply = "outbound-reply",
    }
);

/// A message as the simulated account stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub sid: MessageSid,
    pub from: String,
    pub to: String,
    pub body: String,
    pub status: MessageStatus,
    pub direction: MessageDirection,
    pub num_segments: usize,
    /// The `MediaUrl`s given at creation (also counted when a fetch failed, like `num_media`).
    pub media_urls: Vec<String>,
    pub date_created: DateTime<Utc>,
    pub date_updated: DateTime<Utc>,
    pub date_sent: Option<DateTime<Utc>>,
    pub error_code: Option<u32>,
    pub error_message: Option<String>,
    pub status_callback: Option<String>,
    /// `GET` or `POST` (only `<Message method>` makes it `GET`).
    pub status_callback_method: String,
    pub application_sid: Option<ApplicationSid>,
    /// How delivery will end once it is simulated: armed by
    /// [`Sim::fail_messages_to`](crate::Sim::fail_messages_to) or by a media URL that could
    /// not be fetched.
    pub pending_failure: Option<DeliveryError>,
}

impl Message {
    pub fn uri(&self, account: &AccountSid) -> String {
        format!("/2010-04-01/Accounts/{account}/Messages/{}.json", self.sid)
    }

    /// The moment `DateSent` filters compare: when it was sent, or created while still queued.
    fn filter_date(&self) -> DateTime<Utc> {
        self.date_sent.unwrap_or(self.date_created)
    }

    pub(crate) fn to_json(&self, s: &SimState) -> Value {
        let base = format!("{}/Messages/{}", s.account_uri(), self.sid);
        json!({
            "account_sid": s.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": rfc2822(self.date_created),
            "date_sent": opt_date(self.date_sent),
            "date_updated": rfc2822(self.date_updated),
            "direction": self.direction.as_str(),
            "error_code": self.error_code,
            "error_message": self.error_message,
            "from": self.from,
            "messaging_service_sid": null,
            "num_media": self.media_urls.len().to_string(),
            "num_segments": self.num_segments.to_string(),
            "price": null,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status.as_str(),
            "subresource_uris": {
                "media": format!("{base}/Media.json"),
                "feedback": format!("{base}/Feedback.json"),
            },
            "to": self.to,
            "uri": self.uri(&s.account_sid),
        })
    }
}

pub(super) fn routes() -> Router<Sim> {
    Router::new()
        .route(&format!("{ACCOUNT}/Messages.json"), get(list).post(create))
        .route(
            &format!("{ACCOUNT}/Messages/{{sid}}"),
            get(fetch).post(update).delete(remove),
        )
}

/// A create request that passed validation.
struct NewMessage {
    from: String,
    to: String,
    body: String,
    media_urls: Vec<String>,
    status_callback: Option<String>,
    application_sid: Option<ApplicationSid>,
}

fn validate(s: &SimState, p: &Params) -> Result<NewMessage, ApiError> {
    let to = p
        .non_empty("To")
        .ok_or_else(|| ApiError::bad_request(21604, "A 'To' phone number is required."))?;
    if !phone::is_message_address(to) {
        return Err(ApiError::bad_request(
            21211,
            format!("Invalid 'To' Phone Number: {to}"),
        ));
    }
    if p.non_empty("MessagingServiceSid").is_some() {
        return Err(ApiError::invalid(
            "twilio-sim does not simulate Messaging Services: send with From instead",
        ));
    }
    let from = p
        .non_empty("From")
        .ok_or_else(|| ApiError::bad_request(21603, "A 'From' phone number is required."))?;
    let own = from.strip_prefix("whatsapp:").unwrap_or(from);
    if s.number_by_value(own).is_none() {
        return Err(ApiError::bad_request(
            21606,
            format!("The From phone number {from} is not a valid, SMS-capable inbound phone number or short code for your account."),
        ));
    }
    // A number cannot text itself: Twilio refuses the `To`.
    if to.strip_prefix("whatsapp:").unwrap_or(to) == own {
        return Err(ApiError::bad_request(
            21211,
            format!("Invalid 'To' Phone Number: {to}"),
        ));
    }
    let body = p.get("Body").unwrap_or_default().to_owned();
    let media_urls: Vec<String> = p
        .all("MediaUrl")
        .filter(|u| !u.trim().is_empty())
        .map(str::to_owned)
        .collect();
    if body.is_empty() && media_urls.is_empty() {
        return Err(ApiError::bad_request(21602, "Message body is required."));
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(ApiError::bad_request(
            21617,
            "The concatenated message body exceeds the 1600 character limit.",
        ));
    }
    if media_urls.len() > MAX_MEDIA {
        return Err(ApiError::bad_request(
            21623,
            "The number of media files exceeds the allowed limit of 10.",
        ));
    }
    if let Some(bad) = media_urls.iter().find(|u| !is_http_url(u)) {
        return Err(ApiError::bad_request(
            21620,
            format!("Invalid media URL(s): {bad}"),
        ));
    }
    let status_callback = p.url("StatusCallback", 21609)?.filter(|u| !u.is_empty());
    let application_sid = match p.non_empty("ApplicationSid") {
        None => None,
        Some(v) => Some(
            ApplicationSid::parse(v)
                .ok()
                .filter(|a| s.applications.iter().any(|x| &x.sid == a))
                .ok_or_else(|| {
                    ApiError::invalid(format!(
                        "ApplicationSid {v} is not an application of this account"
                    ))
                })?,
        ),
    };
    Ok(NewMessage {
        from: from.to_owned(),
        to: to.to_owned(),
        body,
        media_urls,
        status_callback,
        application_sid,
    })
}

async fn create(
    State(sim): State<Sim>,
    FormParams(p): FormParams,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let new = sim.with_state(|s| validate(s, &p))?;
    // Twilio fetches media itself; doing it before answering keeps the state deterministic.
    let mut fetched = Vec::with_capacity(new.media_urls.len());
    for url in &new.media_urls {
        fetched.push(media::fetch(&sim, url).await);
    }
    let draft = Draft {
        from: new.from,
        to: new.to,
        body: new.body,
        media_urls: new.media_urls,
        fetched,
        direction: MessageDirection::OutboundApi,
        status_callback: new.status_callback,
        status_callback_method: "POST",
        application_sid: new.application_sid,
    };
    let (json, sid) = sim.with_state(|s| {
        let sid = store_outbound(s, draft);
        let json = find(s, sid.as_str()).map(|m| m.to_json(s));
        (json, sid)
    });
    crate::messaging::deliver(&sim, sid);
    Ok((StatusCode::CREATED, Json(json.unwrap_or_default())))
}

fn filters(p: &Params) -> Result<(Vec<DateFilter>, Option<MessageStatus>), ApiError> {
    let dates = p.date_filters("DateSent")?;
    let status = match p.non_empty("Status") {
        None => None,
        Some(v) => Some(
            MessageStatus::parse(v)
                .ok_or_else(|| ApiError::invalid(format!("Status {v} is not a message status")))?,
        ),
    };
    Ok((dates, status))
}

async fn list(
    State(sim): State<Sim>,
    QueryParams(p): QueryParams,
) -> Result<Json<Value>, ApiError> {
    let page = PageRequest::parse(&p)?;
    let (dates, status) = filters(&p)?;
    let to = p.non_empty("To");
    let from = p.non_empty("From");
    Ok(Json(sim.with_state(|s| {
        let items: Vec<&Message> = s
            .messages
            .iter()
            .rev()
            .filter(|m| to.is_none_or(|t| m.to == t))
            .filter(|m| from.is_none_or(|f| m.from == f))
            .filter(|m| status.is_none_or(|st| m.status == st))
            .filter(|m| dates.iter().all(|d| d.matches(m.filter_date())))
            .collect();
        page.render(
            &items,
            |m| m.sid.as_str(),
            |m| m.to_json(s),
            &format!("{}/Messages.json", s.account_uri()),
            "messages",
        )
    })))
}

pub(crate) fn find<'a>(s: &'a SimState, segment: &str) -> Option<&'a Message> {
    s.messages.iter().find(|m| m.sid.as_str() == segment)
}

async fn fetch(
    State(sim): State<Sim>,
    Path((_, segment)): Path<(String, String)>,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    sim.with_state(|s| {
        json_sid(&segment)
            .and_then(|sid| find(s, sid))
            .map(|m| Json(m.to_json(s)))
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
        let now = s.now();
        let index = json_sid(&segment)
            .and_then(|sid| s.messages.iter().position(|m| m.sid.as_str() == sid))
            .ok_or_else(|| ApiError::not_found(uri.path()))?;
        let message = &mut s.messages[index];
        if let Some(body) = p.get("Body") {
            if !body.is_empty() {
                return Err(ApiError::invalid(
                    "A message body can only be redacted: set Body to an empty string",
                ));
            }
            message.body.clear();
            message.date_updated = now;
        }
        if let Some(status) = p.non_empty("Status") {
            if status != "canceled" {
                return Err(ApiError::invalid(format!(
                    "Status can only be set to canceled, not {status}"
                )));
            }
            if !matches!(
                message.status,
                MessageStatus::Scheduled | MessageStatus::Accepted
            ) {
                return Err(ApiError::invalid(format!(
                    "Only scheduled messages can be canceled; this one is {}",
                    message.status
                )));
            }
            message.status = MessageStatus::Canceled;
            message.date_updated = now;
        }
        Ok(Json(s.messages[index].to_json(s)))
    })
}

async fn remove(
    State(sim): State<Sim>,
    Path((_, segment)): Path<(String, String)>,
    uri: Uri,
) -> Result<StatusCode, ApiError> {
    sim.with_state(|s| {
        let index = json_sid(&segment)
            .and_then(|sid| s.messages.iter().position(|m| m.sid.as_str() == sid))
            .ok_or_else(|| ApiError::not_found(uri.path()))?;
        let message = s.messages.remove(index);
        s.media.retain(|m| m.parent_sid != message.sid);
        Ok(StatusCode::NO_CONTENT)
    })
}
