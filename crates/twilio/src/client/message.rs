//! Messages: send, fetch, list by date or party, redact and delete.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{opt_id, Client, Error, Listed, Page, Params};
use crate::id::{AccountSid, MessageSid};

/// `api.v2010.account.message`. Counts and prices are strings, as Twilio sends them.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct MessageResource {
    pub sid: MessageSid,
    #[serde(default, deserialize_with = "opt_id")]
    pub account_sid: Option<AccountSid>,
    pub messaging_service_sid: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub body: Option<String>,
    /// `queued`, `sending`, `sent`, `failed`, `delivered`, `undelivered`, `receiving`,
    /// `received`, `accepted`, `scheduled`, `read`, `partially_delivered`, `canceled`.
    pub status: Option<String>,
    /// `inbound`, `outbound-api`, `outbound-call`, `outbound-reply`.
    pub direction: Option<String>,
    pub num_segments: Option<String>,
    pub num_media: Option<String>,
    pub price: Option<String>,
    pub price_unit: Option<String>,
    pub error_code: Option<u32>,
    pub error_message: Option<String>,
    pub date_created: Option<String>,
    pub date_sent: Option<String>,
    pub date_updated: Option<String>,
    pub api_version: Option<String>,
    pub uri: Option<String>,
    pub subresource_uris: Option<serde_json::Value>,
}

impl Listed for MessageResource {
    const LIST_KEY: &'static str = "messages";
}

/// `POST Messages.json`. Twilio needs `from` or `messaging_service_sid`, and a body or media.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateMessage {
    pub to: String,
    pub from: Option<String>,
    pub messaging_service_sid: Option<String>,
    pub body: Option<String>,
    /// Sent as repeated `MediaUrl` parameters (at most 10).
    pub media_url: Vec<String>,
    pub status_callback: Option<String>,
}

/// `GET Messages.json` filters. Dates are GMT calendar days.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageFilter {
    pub to: Option<String>,
    pub from: Option<String>,
    /// `DateSent`: sent on this day.
    pub date_sent: Option<NaiveDate>,
    /// `DateSent>`: sent on or after this day.
    pub date_sent_after: Option<NaiveDate>,
    /// `DateSent<`: sent on or before this day.
    pub date_sent_before: Option<NaiveDate>,
    /// 1–1000; Twilio defaults to 50.
    pub page_size: Option<u32>,
}

pub(super) fn day(date: Option<NaiveDate>) -> Option<String> {
    date.map(|d| d.format("%Y-%m-%d").to_string())
}

impl Client {
    pub async fn create_message(&self, params: &CreateMessage) -> Result<MessageResource, Error> {
        let mut form = Params::new();
        form.set("To", &params.to)
            .opt("From", params.from.as_ref())
            .opt("MessagingServiceSid", params.messaging_service_sid.as_ref())
            .opt("Body", params.body.as_ref())
            .each("MediaUrl", &params.media_url)
            .opt("StatusCallback", params.status_callback.as_ref());
        self.post_form(self.account_url("Messages.json"), form)
            .await
    }

    pub async fn fetch_message(&self, sid: &MessageSid) -> Result<MessageResource, Error> {
        self.get_json(self.account_url(&format!("Messages/{sid}.json")))
            .await
    }

    /// The first page of messages matching `filter`; follow with [`Client::next_page`].
    pub async fn list_messages(
        &self,
        filter: &MessageFilter,
    ) -> Result<Page<MessageResource>, Error> {
        let mut query = Params::new();
        query
            .opt("To", filter.to.as_ref())
            .opt("From", filter.from.as_ref())
            .opt("DateSent", day(filter.date_sent))
            .opt("DateSent>", day(filter.date_sent_after))
            .opt("DateSent<", day(filter.date_sent_before))
            .opt("PageSize", filter.page_size.map(|n| n.to_string()));
        self.get_json(query.into_query(self.account_url("Messages.json")))
            .await
    }

    /// Every message matching `filter`, across pages, up to `limit`.
    pub async fn list_all_messages(
        &self,
        filter: &MessageFilter,
        limit: usize,
    ) -> Result<Vec<MessageResource>, Error> {
        let first = self.list_messages(filter).await?;
        self.collect_pages(first, limit).await
    }

    /// Replaces the stored body; an empty `body` redacts the message.
    pub async fn update_message_body(
        &self,
        sid: &MessageSid,
        body: &str,
    ) -> Result<MessageResource, Error> {
        let mut form = Params::new();
        form.set("Body", body);
        self.post_form(self.account_url(&format!("Messages/{sid}.json")), form)
            .await
    }

    /// Deletes the message from Twilio's logs (Twilio answers 204).
    pub async fn delete_message(&self, sid: &MessageSid) -> Result<(), Error> {
        self.delete(self.account_url(&format!("Messages/{sid}.json")))
            .await
    }
}
