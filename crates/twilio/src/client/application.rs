//! TwiML applications: the voice URL that browser (Voice SDK) calls hit.

use serde::{Deserialize, Serialize};

use super::{opt_id, Client, Error, Listed, Page, Params};
use crate::id::{AccountSid, ApplicationSid};

/// `api.v2010.account.application`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ApplicationResource {
    pub sid: ApplicationSid,
    #[serde(default, deserialize_with = "opt_id")]
    pub account_sid: Option<AccountSid>,
    pub friendly_name: Option<String>,
    pub voice_url: Option<String>,
    pub voice_method: Option<String>,
    pub voice_fallback_url: Option<String>,
    pub voice_fallback_method: Option<String>,
    pub voice_caller_id_lookup: Option<bool>,
    pub status_callback: Option<String>,
    pub status_callback_method: Option<String>,
    pub sms_url: Option<String>,
    pub sms_method: Option<String>,
    pub sms_fallback_url: Option<String>,
    pub sms_fallback_method: Option<String>,
    pub sms_status_callback: Option<String>,
    pub message_status_callback: Option<String>,
    pub public_application_connect_enabled: Option<bool>,
    pub date_created: Option<String>,
    pub date_updated: Option<String>,
    pub api_version: Option<String>,
    pub uri: Option<String>,
}

impl Listed for ApplicationResource {
    const LIST_KEY: &'static str = "applications";
}

/// `POST Applications.json` and `POST Applications/{Sid}.json`; unset fields are not sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApplicationParams {
    pub friendly_name: Option<String>,
    pub voice_url: Option<String>,
    pub voice_method: Option<String>,
    pub voice_fallback_url: Option<String>,
    pub voice_fallback_method: Option<String>,
    pub status_callback: Option<String>,
    pub status_callback_method: Option<String>,
    pub sms_url: Option<String>,
    pub sms_method: Option<String>,
    pub sms_fallback_url: Option<String>,
    pub sms_fallback_method: Option<String>,
    pub message_status_callback: Option<String>,
}

impl ApplicationParams {
    fn form(&self) -> Params {
        let mut form = Params::new();
        form.opt("FriendlyName", self.friendly_name.as_ref())
            .opt("VoiceUrl", self.voice_url.as_ref())
            .opt("VoiceMethod", self.voice_method.as_ref())
            .opt("VoiceFallbackUrl", self.voice_fallback_url.as_ref())
            .opt("VoiceFallbackMethod", self.voice_fallback_method.as_ref())
            .opt("StatusCallback", self.status_callback.as_ref())
            .opt("StatusCallbackMethod", self.status_callback_method.as_ref())
            .opt("SmsUrl", self.sms_url.as_ref())
            .opt("SmsMethod", self.sms_method.as_ref())
            .opt("SmsFallbackUrl", self.sms_fallback_url.as_ref())
            .opt("SmsFallbackMethod", self.sms_fallback_method.as_ref())
            .opt(
                "MessageStatusCallback",
                self.message_status_callback.as_ref(),
            );
        form
    }
}

impl Client {
    pub async fn create_application(
        &self,
        params: &ApplicationParams,
    ) -> Result<ApplicationResource, Error> {
        self.post_form(self.account_url("Applications.json"), params.form())
            .await
    }

    pub async fn update_application(
        &self,
        sid: &ApplicationSid,
        params: &ApplicationParams,
    ) -> Result<ApplicationResource, Error> {
        let url = self.account_url(&format!("Applications/{sid}.json"));
        self.post_form(url, params.form()).await
    }

    /// The account's applications, optionally only those named exactly `friendly_name`.
    pub async fn list_applications(
        &self,
        friendly_name: Option<&str>,
    ) -> Result<Page<ApplicationResource>, Error> {
        let mut query = Params::new();
        query.opt("FriendlyName", friendly_name);
        self.get_json(query.into_query(self.account_url("Applications.json")))
            .await
    }
}
