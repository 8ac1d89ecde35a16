//! Configuration: the TOML file (or an old Python flow file), environment and CLI overrides,
//! and `validate()`, which turns the raw file into the typed [`Config`] or reports every
//! problem at once with its key path and a fix.

pub mod hours;
pub mod legacy;
mod load;
pub mod user;
mod validate;

pub use load::{load, load_str, LoadError, Overrides, RawConfig, RawServer, RawTwilio, RawUser};
pub use validate::{summary, validate, Problem};

/// The commented example configuration (`vbx check` / docs point at it); a test proves it
/// loads and validates.
pub const EXAMPLE: &str = include_str!("example.toml");

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use twilio::twiml::{RejectReason, Voice};
use twilio::{AccountSid, ApiKeySid, ApplicationSid, PhoneNumber};

/// A validated configuration. Only [`validate`] builds one.
#[derive(Debug, Clone)]
pub struct Config {
    pub server: Server,
    pub twilio: Twilio,
    /// Device name → device.
    pub devices: BTreeMap<String, Device>,
    /// Alias → steps of the call flow.
    pub calls: BTreeMap<Alias, Vec<Step>>,
    /// Alias → steps of the message flow.
    pub messages: BTreeMap<Alias, Vec<Step>>,
    /// Number → name. They seed the app's contacts table at start; the flow engine still
    /// names senders from here.
    pub contacts: BTreeMap<PhoneNumber, String>,
    /// The people who may log in to the web app (`[[users]]`).
    pub users: Vec<User>,
}

impl Config {
    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    /// Numbers the app's conversation list leaves out: the forwarding devices' own numbers
    /// (their traffic is vbx relaying) and the browser's `ignored` numbers.
    pub fn hidden_numbers(&self) -> Vec<String> {
        let mut hidden: Vec<String> = self
            .devices
            .values()
            .flat_map(|device| match device {
                Device::Sms { number } => vec![number.to_string()],
                Device::Browser { ignored, .. } => {
                    ignored.iter().map(ToString::to_string).collect()
                }
                Device::Xmpp(_) | Device::Email(_) => Vec::new(),
            })
            .collect();
        hidden.sort();
        hidden.dedup();
        hidden
    }

    /// The client identity of the first browser device: what the browser's Voice SDK
    /// registers as and what its access tokens name.
    pub fn browser_identity(&self) -> Option<&str> {
        self.devices.values().find_map(|device| match device {
            Device::Browser { identity, .. } => Some(identity.as_str()),
            _ => None,
        })
    }
}

/// Someone who may log in. Only [`validate`] builds one, after checking that the hash is an
/// argon2id PHC string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub password_hash: String,
}

impl User {
    /// What a session keeps of the password it was opened with: the hex SHA-256 of the hash
    /// (which has its own salt), so a changed password ends the sessions opened before.
    pub fn password_tag(&self) -> String {
        password_tag(&self.password_hash)
    }
}

/// [`User::password_tag`] of a password hash.
pub fn password_tag(password_hash: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(password_hash.as_bytes()))
}

/// How the web app knows who is there.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// vbx's own login page and session cookie.
    #[default]
    Login,
    /// A reverse proxy authenticates and names the user in `header` (lowercase).
    Proxy { header: String },
}

#[derive(Debug, Clone)]
pub struct Server {
    pub listen: SocketAddr,
    /// The URL Twilio uses to reach vbx, without a trailing slash; signatures are checked
    /// against it.
    pub public_url: url::Url,
    pub data_dir: PathBuf,
    /// Skip the `X-Twilio-Signature` check (logged loudly at every start).
    pub insecure_skip_signature: bool,
    /// Lets a scraper read `/metrics` with `Authorization: Bearer <token>` (without it,
    /// only a logged-in user can).
    pub metrics_token: Option<Secret>,
    pub auth: AuthMode,
    /// The simulator's browser-client WebSocket when vbx runs against the built-in Twilio
    /// simulator (`vbx demo`); the web app then uses it instead of the Voice SDK. Never read
    /// from the configuration file.
    pub sim_client_url: Option<String>,
}

impl Server {
    /// Whether browsers reach vbx over https, so cookies must be `Secure`.
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}

impl Server {
    /// The public URL of a path on vbx, e.g. `url_for("/flow/voice/default")`: the URL Twilio
    /// requests and signs.
    pub fn url_for(&self, path: &str) -> String {
        format!("{}{path}", self.public_url.as_str().trim_end_matches('/'))
    }
}

#[derive(Debug, Clone)]
pub struct Twilio {
    pub account_sid: AccountSid,
    pub auth_token: Secret,
    pub api_key: Option<ApiKeySid>,
    pub api_secret: Option<Secret>,
    pub app_sid: Option<ApplicationSid>,
    pub number: PhoneNumber,
    /// REST API base, `https://api.twilio.com` unless overridden (the simulator).
    pub api_base: url::Url,
    /// Time between two reconciliation syncs (`sync_interval_seconds`,
    /// [`DEFAULT_SYNC_INTERVAL`] unless set).
    pub sync_interval: std::time::Duration,
    /// How long a browser's access token lasts (`token_ttl_seconds`, an hour unless set).
    pub token_ttl: std::time::Duration,
    /// Twilio's copy of a recording is deleted once vbx downloaded its own.
    pub delete_recordings_after_download: bool,
}

/// How often the reconciliation sync runs unless `twilio.sync_interval_seconds` says.
pub const DEFAULT_SYNC_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// A secret that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A flow name: letters, digits, `-` and `_` (it appears in webhook URLs).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Alias(String);

impl Alias {
    pub fn parse(value: &str) -> Option<Self> {
        let ok = !value.is_empty()
            && value.len() <= 64
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Alias {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone)]
pub enum Device {
    /// The browser UI; rings `<Client>identity</Client>`.
    Browser {
        /// Client identity the browser registers as (default `vbx`).
        identity: String,
        /// Numbers hidden from the browser's history (kept from the old program).
        ignored: Vec<PhoneNumber>,
    },
    /// A cell phone reached by SMS; texts from it are relayed.
    Sms { number: PhoneNumber },
    /// An XMPP account reached through an XEP-0114 component.
    Xmpp(Xmpp),
    /// An email inbox notified of texts.
    Email(Email),
}

impl Device {
    /// Whether a call flow can ring this device.
    /// A browser answers a call, and an `sms` device is a phone: its number rings.
    pub fn takes_calls(&self) -> bool {
        matches!(self, Device::Browser { .. } | Device::Sms { .. })
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Device::Browser { .. } => "browser",
            Device::Sms { .. } => "sms",
            Device::Xmpp(_) => "xmpp",
            Device::Email(_) => "email",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Xmpp {
    /// The component's JID, e.g. `sms.example.com`.
    pub component: String,
    pub secret: Secret,
    pub server: String,
    pub port: u16,
    /// The bare JID of the person the texts go to.
    pub target: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    None,
    StartTls,
    Tls,
}

#[derive(Debug, Clone)]
pub struct Email {
    pub from: String,
    pub to: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<Secret>,
}

/// How a `device` or `dial` step bridges the call it rings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bridge {
    /// A phone leg must press 1 to take the call (its own voicemail cannot).
    pub screen: bool,
    /// The bridged call is recorded.
    pub record: bool,
}

/// Which devices of a `device` step a call rings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Ring {
    /// The first online device, else the first without presence.
    #[default]
    First,
    /// Every device online or without presence, in one `<Dial>`.
    All,
}

/// What a menu says or plays while it listens for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    Say(String),
    Play(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Menu {
    pub prompt: Prompt,
    /// Keys (DTMF: 0-9, * and #, one or more) → the flow each sends the call to.
    pub keys: BTreeMap<String, Alias>,
    /// Seconds to wait for a key.
    pub timeout: u32,
    /// How many times to ask again after a wrong key or none.
    pub repeat: u32,
    /// Said after a wrong key.
    pub invalid: String,
}

impl Menu {
    /// How many digits Twilio collects: the longest key's.
    pub fn num_digits(&self) -> u32 {
        let longest = self.keys.keys().map(String::len).max().unwrap_or(1);
        u32::try_from(longest).unwrap_or(1)
    }
}

/// A voicemail box: the greeting, then a recording; devices in `notify` hear of each message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voicemail {
    pub greeting: Prompt,
    /// Seconds the caller may speak.
    pub max_length: u32,
    pub transcribe: bool,
    /// Devices (sms, email, xmpp) told about each new voicemail.
    pub notify: Vec<String>,
}

impl Voicemail {
    pub const DEFAULT_GREETING: &'static str = "Please leave a message after the tone.";
    pub const DEFAULT_MAX_LENGTH: u32 = 120;
    /// Twilio transcribes recordings between 2 and 120 seconds only.
    pub const MAX_TRANSCRIBED: u32 = 120;
}

/// One step of a flow: what it does, and where to go when it does not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub action: Action,
    pub next: Option<Alias>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Ring (calls) or deliver to (messages) the first usable device.
    Device {
        devices: Vec<String>,
        /// Seconds a call rings the device before falling back (default 30).
        timeout: u32,
        /// A call rings the first usable device, or all of them at once.
        ring: Ring,
        bridge: Bridge,
    },
    /// Dial numbers, clients, a conference, a queue or SIP addresses (at least one).
    Dial {
        numbers: Vec<PhoneNumber>,
        clients: Vec<String>,
        conference: Option<String>,
        queue: Option<String>,
        sips: Vec<String>,
        timeout: Option<u32>,
        bridge: Bridge,
    },
    Hangup,
    /// Goes on when the business is open; when closed, the flow goes to `next`.
    Hours(Box<hours::Hours>),
    /// "Press 1 for sales": a key sends the call to its flow; a wrong key or none asks again,
    /// `repeat` more times, then the call goes to `next` (or ends).
    Menu(Box<Menu>),
    /// A text: a reply in a message flow, an SMS sent through the REST API in a call flow.
    /// `to` defaults to the caller / sender.
    Message {
        text: String,
        to: Option<PhoneNumber>,
    },
    Pause {
        length: u32,
    },
    Play {
        url: Option<String>,
        digits: Option<String>,
        loop_count: u32,
    },
    Record {
        max_length: Option<u32>,
        transcribe: bool,
    },
    /// The greeting, then `<Record>`; the steps after it run once the caller is done.
    Voicemail(Box<Voicemail>),
    /// Another alias (a relative URL) or an absolute URL.
    Redirect {
        url: String,
    },
    Reject {
        reason: Option<RejectReason>,
    },
    Say {
        text: String,
        voice: Voice,
        language: String,
        loop_count: u32,
    },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Device { .. } => "device",
            Action::Dial { .. } => "dial",
            Action::Hangup => "hangup",
            Action::Hours(_) => "hours",
            Action::Menu(_) => "menu",
            Action::Message { .. } => "message",
            Action::Pause { .. } => "pause",
            Action::Play { .. } => "play",
            Action::Record { .. } => "record",
            Action::Redirect { .. } => "redirect",
            Action::Reject { .. } => "reject",
            Action::Say { .. } => "say",
            Action::Voicemail(_) => "voicemail",
        }
    }

    /// Message flows can only deliver to devices, reply, redirect, or check the hours.
    pub fn runs_in_message_flow(&self) -> bool {
        matches!(
            self,
            Action::Device { .. }
                | Action::Hours(_)
                | Action::Message { .. }
                | Action::Redirect { .. }
        )
    }
}
