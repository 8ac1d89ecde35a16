//! Incoming phone numbers: find the account's number and point its webhooks at vbx.

use serde::{Deserialize, Serialize};

use super::{opt_id, Client, Error, Listed, Page, Params};
use crate::id::{AccountSid, ApplicationSid, PhoneNumberSid};

/// `api.v2010.account.incoming_phone_number` (the fields vbx reads or shows).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct IncomingPhoneNumberResource {
    pub sid: PhoneNumberSid,
    #[serde(default, deserialize_with = "opt_id")]
    pub account_sid: Option<AccountSid>,
    pub phone_number: Option<String>,
    pub friendly_name: Option<String>,
    pub capabilities: Option<Capabilities>,
    pub voice_url: Option<String>,
    pub voice_method: Option<String>,
    pub voice_fallback_url: Option<String>,
    pub voice_fallback_method: Option<String>,
    /// When set, Twilio ignores the voice URLs and uses this application.
    #[serde(default, deserialize_with = "opt_id")]
    pub voice_application_sid: Option<ApplicationSid>,
    pub voice_caller_id_lookup: Option<bool>,
    pub voice_receive_mode: Option<String>,
    pub sms_url: Option<String>,
    pub sms_method: Option<String>,
    pub sms_fallback_url: Option<String>,
    pub sms_fallback_method: Option<String>,
    #[serde(default, deserialize_with = "opt_id")]
    pub sms_application_sid: Option<ApplicationSid>,
    pub status_callback: Option<String>,
    pub status_callback_method: Option<String>,
    pub trunk_sid: Option<String>,
    pub origin: Option<String>,
    pub status: Option<String>,
    #[serde(rename = "type")]
    pub number_type: Option<String>,
    pub date_created: Option<String>,
    pub date_updated: Option<String>,
    pub api_version: Option<String>,
    pub uri: Option<String>,
}

impl Listed for IncomingPhoneNumberResource {
    const LIST_KEY: &'static str = "incoming_phone_numbers";
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Capabilities {
    pub voice: Option<bool>,
    #[serde(alias = "SMS")]
    pub sms: Option<bool>,
    #[serde(alias = "MMS")]
    pub mms: Option<bool>,
    pub fax: Option<bool>,
}

/// `POST IncomingPhoneNumbers/{Sid}.json`. Unset fields are left alone; `Some("")` clears
/// a value (for instance `voice_application_sid`, so the voice URL applies again).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UpdateIncomingNumber {
    pub friendly_name: Option<String>,
    pub voice_url: Option<String>,
    pub voice_method: Option<String>,
    pub voice_fallback_url: Option<String>,
    pub voice_fallback_method: Option<String>,
    pub voice_application_sid: Option<String>,
    pub sms_url: Option<String>,
    pub sms_method: Option<String>,
    pub sms_fallback_url: Option<String>,
    pub sms_fallback_method: Option<String>,
    pub sms_application_sid: Option<String>,
    pub status_callback: Option<String>,
    pub status_callback_method: Option<String>,
}

impl Client {
    /// The account's numbers, optionally only `phone_number` (E.164).
    pub async fn list_incoming_numbers(
        &self,
        phone_number: Option<&str>,
    ) -> Result<Page<IncomingPhoneNumberResource>, Error> {
        let mut query = Params::new();
        query.opt("PhoneNumber", phone_number);
        self.get_json(query.into_query(self.account_url("IncomingPhoneNumbers.json")))
            .await
    }

    pub async fn update_incoming_number(
        &self,
        sid: &PhoneNumberSid,
        params: &UpdateIncomingNumber,
    ) -> Result<IncomingPhoneNumberResource, Error> {
        let mut form = Params::new();
        form.opt("FriendlyName", params.friendly_name.as_ref())
            .opt("VoiceUrl", params.voice_url.as_ref())
            .opt("VoiceMethod", params.voice_method.as_ref())
            .opt("VoiceFallbackUrl", params.voice_fallback_url.as_ref())
            .opt("VoiceFallbackMethod", params.voice_fallback_method.as_ref())
            .opt("VoiceApplicationSid", params.voice_application_sid.as_ref())
            .opt("SmsUrl", params.sms_url.as_ref())
            .opt("SmsMethod", params.sms_method.as_ref())
            .opt("SmsFallbackUrl", params.sms_fallback_url.as_ref())
            .opt("SmsFallbackMethod", params.sms_fallback_method.as_ref())
            .opt("SmsApplicationSid", params.sms_application_sid.as_ref())
            .opt("StatusCallback", params.status_callback.as_ref())
            .opt(
                "StatusCallbackMethod",
                params.status_callback_method.as_ref(),
            );
        let url = self.account_url(&format!("IncomingPhoneNumbers/{sid}.json"));
        self.post_form(url, form).await
    }
}
