//! A fast simulator with known credentials, the app under test, and REST/control helpers.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use twilio::{AccountSid, ApiKeySid, PhoneNumber};
use twilio_sim::{Settings, Sim, SimConfig, SimHandle, SimServer};

use crate::app::App;

pub const NUMBER: &str = "+15005550006";
pub const CALLER: &str = "+14155550100";
pub const TOKEN: &str = "0123456789abcdef0123456789abcdef";
pub const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
pub const KEY: &str = "SK0123456789abcdef0123456789abcdef";
pub const SECRET: &str = "key-secret-0123456789";
/// Long enough for anything the simulator does in fast mode, even on a loaded machine.
pub const WAIT: Duration = Duration::from_secs(10);

pub struct World {
    pub handle: SimHandle,
    pub app: App,
    pub http: reqwest::Client,
}

pub fn config() -> SimConfig {
    SimConfig {
        account_sid: AccountSid::parse(ACCOUNT).unwrap(),
        auth_token: TOKEN.into(),
        numbers: vec![PhoneNumber::parse(NUMBER).unwrap()],
        api_keys: vec![(ApiKeySid::parse(KEY).unwrap(), SECRET.into())],
        settings: Settings::fast(),
    }
}

impl World {
    pub async fn start() -> Self {
        let (_, handle) = SimServer::start(config()).await.unwrap();
        let app = App::start(TOKEN).await;
        Self {
            handle,
            app,
            http: reqwest::Client::new(),
        }
    }

    pub fn sim(&self) -> &Sim {
        self.handle.sim()
    }

    /// `/2010-04-01/Accounts/AC…/{rest}` on the simulator.
    pub fn rest_url(&self, rest: &str) -> String {
        format!(
            "{}/2010-04-01/Accounts/{ACCOUNT}/{rest}",
            self.handle.base_url()
        )
    }

    /// A REST POST with the account's credentials; returns status and JSON.
    pub async fn rest_post(&self, rest: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.rest_url(rest))
            .basic_auth(ACCOUNT, Some(TOKEN))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    /// Points the number's webhooks at the app (`SmsUrl`, `VoiceUrl`, …), through the REST API.
    pub async fn configure_number(&self, form: &[(&str, &str)]) {
        let sid = self.sim().numbers()[0].sid.to_string();
        let (status, body) = self
            .rest_post(&format!("IncomingPhoneNumbers/{sid}.json"), form)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// A control API request; returns status and JSON (`null` when empty).
    pub async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}/_sim/{path}", self.handle.base_url()));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let bytes = response.bytes().await.unwrap();
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (status, json)
    }
}

/// An access token for `identity` signed with the account's API key, valid from the
/// simulator's now for an hour.
pub fn token(world: &World, identity: &str, incoming: bool, app: Option<&str>) -> String {
    token_with(world, identity, incoming, app, KEY, SECRET, ACCOUNT)
}

pub fn token_with(
    world: &World,
    identity: &str,
    incoming: bool,
    app: Option<&str>,
    key: &str,
    secret: &str,
    account: &str,
) -> String {
    twilio::token::AccessToken {
        account_sid: account.into(),
        api_key_sid: key.into(),
        api_secret: secret.into(),
        identity: identity.into(),
        ttl: Duration::from_secs(3600),
        region: None,
        voice: Some(twilio::token::VoiceGrant {
            incoming_allow: incoming,
            outgoing_application_sid: app.map(str::to_owned),
            outgoing_params: [("agent".to_owned(), "7".to_owned())].into(),
            ..Default::default()
        }),
    }
    .to_jwt(world.sim().now().timestamp())
}
