//! The project's Twilio simulator on a port of its own, as the tests' Twilio.

use std::time::Duration;

use twilio::AccountSid;
use twilio_sim::{Settings, Sim, SimConfig, SimHandle, SimServer};

pub struct TestSim {
    pub handle: SimHandle,
    pub config: SimConfig,
}

impl TestSim {
    /// An account of its own (one number, one API key) with fast time.
    pub async fn start() -> TestSim {
        Self::start_config(SimConfig {
            settings: Settings::fast(),
            ..SimConfig::demo()
        })
        .await
    }

    /// [`TestSim::start`] with `retries` webhook retries (Twilio's connection overrides),
    /// each attempt bounded by `timeout`.
    pub async fn start_retrying(retries: u32, timeout: Duration) -> TestSim {
        let settings = Settings {
            webhook_retries: retries,
            webhook_timeout: timeout,
            ..Settings::fast()
        };
        Self::start_config(SimConfig {
            settings,
            ..SimConfig::demo()
        })
        .await
    }

    /// The account `sid` with its `auth_token` and `number`, no API key, fast time.
    pub async fn start_for(sid: &str, auth_token: &str, number: &str) -> TestSim {
        Self::start_config(SimConfig {
            account_sid: AccountSid::parse(sid).expect("account SID"),
            auth_token: auth_token.to_owned(),
            numbers: vec![twilio::PhoneNumber::parse(number).expect("number")],
            api_keys: vec![],
            settings: Settings::fast(),
        })
        .await
    }

    pub async fn start_config(config: SimConfig) -> TestSim {
        let (_, handle) = SimServer::start(config.clone())
            .await
            .expect("the simulator starts");
        TestSim { handle, config }
    }

    pub fn sim(&self) -> &Sim {
        self.handle.sim()
    }

    pub fn base_url(&self) -> String {
        self.handle.base_url()
    }

    /// The account's phone number (vbx's `twilio.number`).
    pub fn number(&self) -> String {
        self.config.numbers[0].to_string()
    }

    pub fn account(&self) -> AccountSid {
        self.config.account_sid.clone()
    }

    /// The API key the account starts with: SID and secret.
    pub fn key(&self) -> (String, String) {
        let (sid, secret) = &self.config.api_keys[0];
        (sid.to_string(), secret.clone())
    }

    /// A REST client with the account's auth token.
    pub fn client(&self) -> twilio::client::Client {
        let auth = twilio::client::Auth::Token {
            account_sid: self.account(),
            auth_token: self.config.auth_token.clone(),
        };
        twilio::client::Client::new(self.base_url().parse().expect("base URL"), auth)
            .expect("client")
    }

    pub async fn shutdown(self) {
        self.handle.shutdown().await.expect("the simulator stops");
    }
}
