//! Calls: place, fetch, list, redirect and hang up.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::message::day;
use super::{opt_id, Client, Error, Listed, Page, Params};
use crate::id::{AccountSid, ApplicationSid, CallSid, PhoneNumberSid};

/// `api.v2010.account.call`. `duration`, `price` and `queue_time` are strings, as sent.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CallResource {
    pub sid: CallSid,
    #[serde(default, deserialize_with = "opt_id")]
    pub account_sid: Option<AccountSid>,
    #[serde(default, deserialize_with = "opt_id")]
    pub parent_call_sid: Option<CallSid>,
    #[serde(default, deserialize_with = "opt_id")]
    pub phone_number_sid: Option<PhoneNumberSid>,
    pub to: Option<String>,
    pub to_formatted: Option<String>,
    pub from: Option<String>,
    pub from_formatted: Option<String>,
    /// `queued`, `ringing`, `in-progress`, `completed`, `busy`, `failed`, `no-answer`,
    /// `canceled`.
    pub status: Option<String>,
    /// `inbound`, `outbound-api`, `outbound-dial`, or a trunking value.
    pub direction: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub duration: Option<String>,
    pub price: Option<String>,
    pub price_unit: Option<String>,
    pub answered_by: Option<String>,
    pub forwarded_from: Option<String>,
    pub caller_name: Option<String>,
    pub group_sid: Option<String>,
    pub trunk_sid: Option<String>,
    pub queue_time: Option<String>,
    pub date_created: Option<String>,
    pub date_updated: Option<String>,
    pub api_version: Option<String>,
    pub uri: Option<String>,
    pub subresource_uris: Option<serde_json::Value>,
}

impl Listed for CallResource {
    const LIST_KEY: &'static str = "calls";
}

/// `POST Calls.json`. Twilio needs one of `url`, `twiml` or `application_sid`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateCall {
    pub to: String,
    pub from: String,
    pub url: Option<String>,
    pub twiml: Option<String>,
    pub application_sid: Option<ApplicationSid>,
    /// HTTP method for `url` (`GET` or `POST`; Twilio defaults to `POST`).
    pub method: Option<String>,
    pub status_callback: Option<String>,
    pub status_callback_method: Option<String>,
    /// Sent as repeated `StatusCallbackEvent`: `initiated`, `ringing`, `answered`,
    /// `completed` (Twilio's default is only `completed`).
    pub status_callback_event: Vec<String>,
    /// Seconds to let the call ring (Twilio: default 60, max 600).
    pub timeout: Option<u32>,
}

/// `GET Calls.json` filters. Dates are UTC calendar days.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallFilter {
    pub to: Option<String>,
    pub from: Option<String>,
    pub parent_call_sid: Option<CallSid>,
    pub status: Option<String>,
    /// `StartTime>`: started on or after this day.
    pub start_time_after: Option<NaiveDate>,
    /// `StartTime<`: started before this day.
    pub start_time_before: Option<NaiveDate>,
    pub page_size: Option<u32>,
}

/// `POST Calls/{Sid}.json`: redirect a live call (`url` or `twiml`) or end it (`status`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UpdateCall {
    /// `completed` hangs up any call; `canceled` only queued or ringing ones.
    pub status: Option<String>,
    pub url: Option<String>,
    pub twiml: Option<String>,
    pub method: Option<String>,
}

impl Client {
    pub async fn create_call(&self, params: &CreateCall) -> Result<CallResource, Error> {
        let mut form = Params::new();
        form.set("To", &params.to)
            .set("From", &params.from)
            .opt("Url", params.url.as_ref())
            .opt("Twiml", params.twiml.as_ref())
            .opt("ApplicationSid", params.application_sid.as_ref())
            .opt("Method", params.method.as_ref())
            .opt("StatusCallback", params.status_callback.as_ref())
            .opt(
                "StatusCallbackMethod",
                params.status_callback_method.as_ref(),
            )
            .each("StatusCallbackEvent", &params.status_callback_event)
            .opt("Timeout", params.timeout.map(|t| t.to_string()));
        self.post_form(self.account_url("Calls.json"), form).await
    }

    pub async fn fetch_call(&self, sid: &CallSid) -> Result<CallResource, Error> {
        self.get_json(self.account_url(&format!("Calls/{sid}.json")))
            .await
    }

    /// The first page of calls matching `filter`; follow with [`Client::next_page`].
    pub async fn list_calls(&self, filter: &CallFilter) -> Result<Page<CallResource>, Error> {
        let mut query = Params::new();
        query
            .opt("To", filter.to.as_ref())
            .opt("From", filter.from.as_ref())
            .opt("ParentCallSid", filter.parent_call_sid.as_ref())
            .opt("Status", filter.status.as_ref())
            .opt("StartTime>", day(filter.start_time_after))
            .opt("StartTime<", day(filter.start_time_before))
            .opt("PageSize", filter.page_size.map(|n| n.to_string()));
        self.get_json(query.into_query(self.account_url("Calls.json")))
            .await
    }

    /// Every call matching `filter`, across pages, up to `limit`.
    pub async fn list_all_calls(
        &self,
        filter: &CallFilter,
        limit: usize,
    ) -> Result<Vec<CallResource>, Error> {
        let first = self.list_calls(filter).await?;
        self.collect_pages(first, limit).await
    }

    pub async fn update_call(
        &self,
        sid: &CallSid,
        params: &UpdateCall,
    ) -> Result<CallResource, Error> {
        let mut form = Params::new();
        form.opt("Status", params.status.as_ref())
            .opt("Url", params.url.as_ref())
            .opt("Twiml", params.twiml.as_ref())
            .opt("Method", params.method.as_ref());
        self.post_form(self.account_url(&format!("Calls/{sid}.json")), form)
            .await
    }

    /// Ends the call whatever its state (`Status=completed`).
    pub async fn hangup_call(&self, sid: &CallSid) -> Result<CallResource, Error> {
        let params = UpdateCall {
            status: Some("completed".into()),
            ..UpdateCall::default()
        };
        self.update_call(sid, &params).await
    }
}
