//! API keys: vbx creates one to sign browser access tokens.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Client, Error, Params};
use crate::id::ApiKeySid;

/// `api.v2010.account.new_key`. `secret` is only ever returned by the create call.
#[derive(Clone, PartialEq, Deserialize, Serialize)]
pub struct KeyResource {
    pub sid: ApiKeySid,
    pub friendly_name: Option<String>,
    pub secret: Option<String>,
    pub date_created: Option<String>,
    pub date_updated: Option<String>,
}

impl fmt::Debug for KeyResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyResource")
            .field("sid", &self.sid)
            .field("friendly_name", &self.friendly_name)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .field("date_created", &self.date_created)
            .field("date_updated", &self.date_updated)
            .finish()
    }
}

impl Client {
    /// Creates a standard API key. Needs the auth token or a main key: Twilio refuses this
    /// call when authenticated with a standard key.
    pub async fn create_key(&self, friendly_name: &str) -> Result<KeyResource, Error> {
        let mut form = Params::new();
        form.set("FriendlyName", friendly_name);
        self.post_form(self.account_url("Keys.json"), form).await
    }
}
