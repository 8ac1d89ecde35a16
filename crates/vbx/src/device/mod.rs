//! Devices' presence as the flow engine sees it. The browser is online while at least one
//! logged-in tab has registered its voice device; an XMPP account while its component
//! reports the target available. SMS numbers and email inboxes have no presence.

pub mod xmpp;
pub mod email;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::config::Device;
use crate::flow::Presence;

/// Live presence, updated by the WebSocket (browser tabs) and the XMPP component.
#[derive(Debug, Default, Clone)]
pub struct LivePresence {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Browser identity → registered tabs.
    browser_tabs: HashMap<String, usize>,
    /// XMPP device name → target available.
    xmpp: HashMap<String, bool>,
}

impl LivePresence {
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut inner)
    }

    /// A tab registered its voice device for `identity`.
    pub fn browser_registered(&self, identity: &str) {
        self.with(|i| *i.browser_tabs.entry(identity.to_owned()).or_default() += 1);
    }

    /// A tab unregistered or went away.
    pub fn browser_unregistered(&self, identity: &str) {
        self.with(|i| {
            if let Some(n) = i.browser_tabs.get_mut(identity) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    i.browser_tabs.remove(identity);
                }
            }
        });
    }

    pub fn set_xmpp(&self, device: &str, online: bool) {
        self.with(|i| i.xmpp.insert(device.to_owned(), online));
    }
}

impl Presence for LivePresence {
    fn online(&self, name: &str, device: &Device) -> Option<bool> {
        match device {
            Device::Browser { identity, .. } => {
                Some(self.with(|i| i.browser_tabs.contains_key(identity)))
            }
            Device::Xmpp(_) => Some(self.with(|i| i.xmpp.get(name).copied().unwrap_or(false))),
            Device::Sms { .. } | Device::Email(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn browser() -> Device {
        Device::Browser {
            identity: "vbx".into(),
            ignored: vec![],
        }
    }

    #[test]
    fn the_browser_is_online_while_any_tab_is_registered() {
        let presence = LivePresence::new();
        assert_eq!(presence.online("browser", &browser()), Some(false));
        presence.browser_registered("vbx");
        presence.browser_registered("vbx");
        presence.browser_unregistered("vbx");
        assert_eq!(presence.online("browser", &browser()), Some(true));
        presence.browser_unregistered("vbx");
        assert_eq!(presence.online("browser", &browser()), Some(false));
    }
}
