//! A simulator on 127.0.0.1:0 and an HTTP client that validates every successful JSON
//! response against the OpenAPI spec as it goes.

use std::collections::BTreeSet;
use std::sync::Mutex;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use twilio::{AccountSid, ApiKeySid, PhoneNumber};
use twilio_sim::{Settings, Sim, SimConfig, SimHandle, SimServer};

use crate::schema;

pub const NUMBER: &str = "+15005550006";
pub const OTHER: &str = "+14155550100";

/// Form fields of a request.
pub type Form<'a> = Vec<(&'a str, &'a str)>;

pub struct Api {
    pub handle: SimHandle,
    pub client: reqwest::Client,
    pub account: String,
    pub token: String,
    pub key: (String, String),
    /// Every (method, spec template) whose response this client validated.
    pub validated: Mutex<BTreeSet<(String, String)>>,
}

pub struct Reply {
    pub status: StatusCode,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.bytes)))
    }
}

pub fn config() -> SimConfig {
    SimConfig {
        account_sid: AccountSid::parse("AC0123456789abcdef0123456789abcdef").unwrap(),
        auth_token: "0123456789abcdef0123456789abcdef".into(),
        numbers: vec![PhoneNumber::parse(NUMBER).unwrap()],
        api_keys: vec![(
            ApiKeySid::parse("SK0123456789abcdef0123456789abcdef").unwrap(),
            "key-secret-0123456789".into(),
        )],
        // These tests look at records as the REST API created them: nothing moves on its own.
        settings: Settings {
            hold: true,
            ..Settings::fast()
        },
    }
}

impl Api {
    pub async fn start() -> Self {
        let config = config();
        let (_, handle) = SimServer::start(config.clone()).await.unwrap();
        Self {
            handle,
            client: reqwest::Client::new(),
            account: config.account_sid.to_string(),
            token: config.auth_token.clone(),
            key: (
                config.api_keys[0].0.to_string(),
                config.api_keys[0].1.clone(),
            ),
            validated: Mutex::new(BTreeSet::new()),
        }
    }

    pub fn sim(&self) -> &Sim {
        self.handle.sim()
    }

    pub fn base(&self) -> String {
        self.handle.base_url()
    }

    /// `/2010-04-01/Accounts/AC…/{rest}`
    pub fn path(&self, rest: &str) -> String {
        format!("/2010-04-01/Accounts/{}/{rest}", self.account)
    }

    /// A request as `user:password` (or without auth); successful JSON bodies are validated.
    pub async fn send_as(
        &self,
        auth: Option<(&str, &str)>,
        method: Method,
        path_and_query: &str,
        form: &[(&str, &str)],
    ) -> Reply {
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path_and_query}", self.base()));
        if let Some((user, password)) = auth {
            request = request.basic_auth(user, Some(password));
        }
        if method == Method::POST {
            request = request.form(form);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = response.bytes().await.unwrap().to_vec();
        let reply = Reply {
            status,
            content_type,
            bytes,
        };
        let path = path_and_query.split('?').next().unwrap();
        let is_json = reply
            .content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("application/json"));
        if status.is_success() && is_json && path.starts_with("/2010-04-01/") {
            let template = schema::check(method.as_str(), path, status.as_u16(), &reply.json())
                .unwrap_or_else(|e| panic!("{e}"));
            self.validated
                .lock()
                .unwrap()
                .insert((method.to_string(), template));
        }
        reply
    }

    pub async fn send(&self, method: Method, path_and_query: &str, form: &[(&str, &str)]) -> Reply {
        let account = self.account.clone();
        let token = self.token.clone();
        self.send_as(Some((&account, &token)), method, path_and_query, form)
            .await
    }

    pub async fn get(&self, path_and_query: &str) -> Reply {
        self.send(Method::GET, path_and_query, &[]).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        self.send(Method::POST, path, form).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, &[]).await
    }

    /// Creates a message from the configured number and returns its JSON.
    pub async fn send_sms(&self, to: &str, body: &str) -> Value {
        let reply = self
            .post(
                &self.path("Messages.json"),
                &[("To", to), ("From", NUMBER), ("Body", body)],
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
        reply.json()
    }

    /// Creates a call from the configured number and returns its JSON.
    pub async fn call(&self, to: &str) -> Value {
        let reply = self
            .post(
                &self.path("Calls.json"),
                &[
                    ("To", to),
                    ("From", NUMBER),
                    ("Url", "https://vbx.example.com/flow/voice/default"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json());
        reply.json()
    }

    /// Sends to the control API and returns status and JSON (if any).
    pub async fn control(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, format!("{}/_sim/{path}", self.base()));
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

/// Asserts Twilio's error JSON with this code and HTTP status.
pub fn assert_error(reply: &Reply, status: u16, code: u64) {
    let body = reply.json();
    assert_eq!(reply.status.as_u16(), status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(
        body["more_info"],
        format!("https://www.twilio.com/docs/errors/{code}"),
        "{body}"
    );
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

/// The items of a list page under `key`.
pub fn items<'a>(page: &'a Value, key: &str) -> &'a Vec<Value> {
    page[key]
        .as_array()
        .unwrap_or_else(|| panic!("no `{key}` array in {page}"))
}

/// The SIDs of a list page's items.
pub fn sids(page: &Value, key: &str) -> Vec<String> {
    items(page, key)
        .iter()
        .map(|i| i["sid"].as_str().unwrap().to_owned())
        .collect()
}
