//! Builders for engine tests: a configuration made by hand and presence set per device.

use std::collections::{BTreeMap, HashMap};

use twilio::twiml::Voice;
use twilio::{AccountSid, PhoneNumber};

use super::Presence;
use crate::config::{Action, Alias, Config, Device, Secret, Server, Step, Twilio};

pub fn alias(name: &str) -> Alias {
    Alias::parse(name).expect("test alias")
}

pub fn number(n: &str) -> PhoneNumber {
    PhoneNumber::parse(n).expect("test number")
}

pub fn step(action: Action) -> Step {
    Step { action, next: None }
}

pub fn step_next(action: Action, next: &str) -> Step {
    Step {
        action,
        next: Some(alias(next)),
    }
}

pub fn device(names: &[&str]) -> Action {
    Action::Device {
        devices: names.iter().map(|s| s.to_string()).collect(),
        timeout: 30,
        ring: crate::config::Ring::First,
        bridge: Default::default(),
    }
}

pub fn say(text: &str) -> Action {
    Action::Say {
        text: text.into(),
        voice: Voice::Woman,
        language: "en".into(),
        loop_count: 1,
    }
}

/// The DESIGN §3 seed: a browser, a cell, `default` ringing the browser then `phone`.
pub fn config() -> Config {
    let mut devices = BTreeMap::new();
    devices.insert(
        "browser".to_string(),
        Device::Browser {
            identity: "vbx".into(),
            ignored: vec![],
        },
    );
    devices.insert(
        "cell".to_string(),
        Device::Sms {
            number: number("+18005555555"),
        },
    );
    let mut calls = BTreeMap::new();
    calls.insert(
        alias("default"),
        vec![step_next(device(&["browser"]), "phone")],
    );
    calls.insert(
        alias("phone"),
        vec![step(Action::Dial {
            numbers: vec![number("+18005555555")],
            clients: vec![],
            conference: None,
            queue: None,
            sips: vec![],
            timeout: None,
            bridge: Default::default(),
        })],
    );
    let mut messages = BTreeMap::new();
    messages.insert(alias("default"), vec![step(device(&["browser", "cell"]))]);
    let mut contacts = BTreeMap::new();
    contacts.insert(number("+18005555555"), "BusinessName".to_string());
    Config {
        server: Server {
            listen: "127.0.0.1:0".parse().expect("addr"),
            public_url: "https://vbx.example.com".parse().expect("url"),
            data_dir: "data".into(),
            insecure_skip_signature: false,
            metrics_token: None,
            sim_client_url: None,
            auth: crate::config::AuthMode::Login,
        },
        twilio: Twilio {
            account_sid: AccountSid::parse("AC0123456789abcdef0123456789abcdef").expect("sid"),
            auth_token: Secret::new("0123456789abcdef0123456789abcdef"),
            api_key: None,
            api_secret: None,
            app_sid: None,
            number: number("+18001234567"),
            api_base: "https://api.twilio.com".parse().expect("url"),
            sync_interval: crate::config::DEFAULT_SYNC_INTERVAL,
            token_ttl: std::time::Duration::from_secs(3600),
            delete_recordings_after_download: false,
        },
        devices,
        calls,
        messages,
        contacts,
        users: Vec::new(),
    }
}

/// Presence by device name; unnamed browsers and XMPP accounts are offline, the rest have no
/// presence, as in the running app.
#[derive(Default)]
pub struct FixedPresence(pub HashMap<String, bool>);

impl FixedPresence {
    pub fn online(names: &[&str]) -> Self {
        Self(names.iter().map(|n| (n.to_string(), true)).collect())
    }
}

impl Presence for FixedPresence {
    fn online(&self, name: &str, device: &Device) -> Option<bool> {
        match device {
            Device::Browser { .. } | Device::Xmpp(_) => {
                Some(self.0.get(name).copied().unwrap_or(false))
            }
            Device::Sms { .. } | Device::Email(_) => self.0.get(name).copied(),
        }
    }
}
