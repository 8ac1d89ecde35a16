//! The flow engine: a pure function of (configuration, event, device presence) → TwiML plus
//! side effects for the caller to carry out. No HTTP and no SQL in here.

mod call;
mod message;
mod relay;
mod screen;

pub use call::{
    after_outgoing, dialled_by_step, outgoing_address, resume_after_dial, resume_after_menu,
    resume_after_record, run_call, screens, CallRequest, DialOutcome,
};
pub use message::{run_message, MessageRequest};
pub use relay::relay_from_device;
pub use screen::{screen_answer, screen_prompt, ACCEPT as SCREEN_ACCEPT};

use twilio::twiml::{MessagingResponse, VoiceResponse};

use crate::config::{Alias, Config, Device};

/// Whether a device can be reached right now.
pub trait Presence: Send + Sync {
    /// `Some(true)` online, `Some(false)` offline, `None` when the device has no such notion
    /// (an SMS number, an email inbox).
    fn online(&self, device: &str, kind: &Device) -> Option<bool>;
}

/// Work a flow asks for besides its TwiML. The webhook stores these with the event, in the
/// same transaction, before it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// An SMS sent through the REST API (voice TwiML has no `<Message>`).
    SendSms { to: String, body: String },
    /// Remember who a forwarding device's replies go to.
    SetRelayTarget { device: String, number: String },
    /// Notify an email device of a text.
    Email { device: String, text: Forwarded },
    /// Hand a text to an XMPP device.
    Xmpp { device: String, text: Forwarded },
}

/// A text as handed to a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forwarded {
    pub from: String,
    /// The contact's name, when the sender is a contact.
    pub from_name: Option<String>,
    pub body: String,
    pub media: Vec<Media>,
}

/// A media item of an incoming text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// Where Twilio keeps it: fetching it takes the account's credentials, so it never leaves
    /// vbx.
    pub twilio: String,
    /// vbx's unguessable URL for it (`/flow/media/in/...`): what phones, XMPP clients and
    /// email links get, and what Twilio fetches when the item is forwarded as MMS.
    pub link: String,
}

impl Media {
    /// The links of `media`, in order.
    pub fn links(media: &[Media]) -> Vec<String> {
        media.iter().map(|m| m.link.clone()).collect()
    }
}

/// What the engine answers for a call.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VoiceOutcome {
    pub twiml: VoiceResponse,
    pub effects: Vec<Effect>,
    /// What the call went through here, for the call's path ("closed", "pressed 1 → sales",
    /// "rang browser, cell", "voicemail"), in order.
    pub path: Vec<String>,
}

/// What the engine answers for a text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessageOutcome {
    pub twiml: MessagingResponse,
    pub effects: Vec<Effect>,
}

/// The answer to a call from a blocked number: rejected before it is answered, so the caller
/// hears it as busy and nobody's phone rings.
pub fn rejected_call() -> VoiceOutcome {
    let mut twiml = VoiceResponse::new();
    twiml.push(twilio::twiml::Verb::Reject(twilio::twiml::Reject {
        reason: Some(twilio::twiml::RejectReason::Busy),
    }));
    VoiceOutcome {
        twiml,
        effects: Vec::new(),
        path: Vec::new(),
    }
}

/// A flow cannot run (the webhook checks aliases first, so this means a bug or a config
/// change between a call's requests).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    #[error("no {kind} flow named `{alias}`")]
    UnknownAlias { kind: &'static str, alias: String },
    #[error("{kind} flow `{alias}` has no step {step}")]
    UnknownStep {
        kind: &'static str,
        alias: String,
        step: usize,
    },
}

/// The absolute URLs vbx hands to Twilio, all under the configured public URL.
#[derive(Debug, Clone)]
pub struct Urls {
    base: String,
}

impl Urls {
    pub fn new(config: &Config) -> Self {
        Self {
            base: config
                .server
                .public_url
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
        }
    }

    pub fn voice(&self, alias: &Alias) -> String {
        format!("{}/flow/voice/{alias}", self.base)
    }

    pub fn message(&self, alias: &Alias) -> String {
        format!("{}/flow/msg/{alias}", self.base)
    }

    pub fn dial_action(&self, alias: &Alias, step: usize) -> String {
        format!("{}/flow/voice/{alias}/dial?step={step}", self.base)
    }

    /// Where a menu's `<Gather>` sends the key: `attempt` counts the times it asked before.
    pub fn menu_action(&self, alias: &Alias, step: usize, attempt: u32) -> String {
        format!(
            "{}/flow/voice/{alias}/menu?step={step}&attempt={attempt}",
            self.base
        )
    }

    /// The `<Number url>` a screened phone leg runs when it answers.
    pub fn screen(&self, alias: &Alias, step: usize) -> String {
        format!("{}/flow/voice/{alias}/screen?step={step}", self.base)
    }

    /// Where a screened leg's key goes.
    pub fn screen_answer(&self, alias: &Alias, step: usize) -> String {
        format!("{}/flow/voice/{alias}/screen/answer?step={step}", self.base)
    }

    pub fn outgoing_action(&self, alias: &Alias) -> String {
        format!("{}/flow/voice/{alias}/outgoing", self.base)
    }

    pub fn record_action(&self, alias: &Alias, step: usize) -> String {
        format!("{}/flow/voice/{alias}/record?step={step}", self.base)
    }

    pub fn recording_status(&self) -> String {
        format!("{}/flow/status/recording", self.base)
    }

    /// The recording status callback of a `voicemail` step: it says which step, for its
    /// notices.
    pub fn voicemail_status(&self, alias: &Alias, step: usize) -> String {
        format!(
            "{}/flow/status/recording?alias={alias}&step={step}",
            self.base
        )
    }

    pub fn transcription_status(&self) -> String {
        format!("{}/flow/status/transcription", self.base)
    }

    /// A `redirect` step's target: an alias of the same kind of flow, or an absolute URL.
    fn redirect(&self, target: &str, alias_url: impl Fn(&Alias) -> String) -> String {
        match Alias::parse(target) {
            Some(alias) => alias_url(&alias),
            None => target.to_owned(),
        }
    }
}

/// Names of phone numbers: the `[contacts]` of the configuration and those added in the app.
pub type Contacts = std::collections::BTreeMap<twilio::PhoneNumber, String>;

/// The contact name for a number, if it is a contact.
fn contact_name(contacts: &Contacts, number: &str) -> Option<String> {
    let number = twilio::PhoneNumber::parse(number).ok()?;
    contacts.get(&number).cloned()
}

/// Picks the device a step uses: the first online one, else the first without presence.
/// Devices reporting offline are skipped.
fn pick_device<'c>(
    config: &'c Config,
    presence: &dyn Presence,
    names: &'c [String],
    usable: impl Fn(&Device) -> bool,
) -> Option<(&'c str, &'c Device)> {
    let candidates = || {
        names.iter().filter_map(|name| {
            let device = config.devices.get(name)?;
            usable(device).then_some((name.as_str(), device))
        })
    };
    candidates()
        .find(|(name, device)| presence.online(name, device) == Some(true))
        .or_else(|| candidates().find(|(name, device)| presence.online(name, device).is_none()))
}

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests;
