//! What a simulator starts with: one account, its auth token, its phone numbers and API keys.

use std::fmt;

use twilio::{AccountSid, ApiKeySid, PhoneNumber};

use crate::settings::Settings;
use crate::sid;

/// The account the simulator pretends to be Twilio for.
#[derive(Clone)]
pub struct SimConfig {
    pub account_sid: AccountSid,
    pub auth_token: String,
    /// Incoming phone numbers that exist from the start (the account "owns" them).
    pub numbers: Vec<PhoneNumber>,
    /// API keys (`SK…`, secret) that authenticate like the auth token does.
    pub api_keys: Vec<(ApiKeySid, String)>,
    /// How fast simulated time runs and how webhooks behave; changeable while running.
    pub settings: Settings,
}

impl SimConfig {
    /// A fresh account with random but well-formed SIDs and secrets, one phone number from the
    /// fictional 555-01xx range and one API key: enough to run vbx with no Twilio account.
    pub fn demo() -> Self {
        let number = format!("+1202555{:04}", 100 + rand::random::<u16>() % 100);
        Self {
            account_sid: sid::account(),
            auth_token: sid::secret(),
            numbers: PhoneNumber::parse(&number).into_iter().collect(),
            api_keys: vec![(sid::api_key(), sid::secret())],
            settings: Settings::default(),
        }
    }
}

impl fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<(&str, &str)> = self
            .api_keys
            .iter()
            .map(|(sid, _)| (sid.as_str(), "***"))
            .collect();
        f.debug_struct("SimConfig")
            .field("account_sid", &self.account_sid.as_str())
            .field("auth_token", &"***")
            .field("numbers", &self.numbers)
            .field("api_keys", &keys)
            .field("settings", &self.settings)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_config_has_a_number_a_key_and_hides_its_secrets() {
        let config = SimConfig::demo();
        assert_eq!(config.numbers.len(), 1);
        assert_eq!(config.api_keys.len(), 1);
        assert_eq!(config.auth_token.len(), 32);
        let shown = format!("{config:?}");
        assert!(!shown.contains(&config.auth_token));
        assert!(!shown.contains(&config.api_keys[0].1));
        assert!(shown.contains(config.account_sid.as_str()));
    }

    #[test]
    fn two_demo_configs_differ() {
        assert_ne!(SimConfig::demo().account_sid, SimConfig::demo().account_sid);
    }
}
