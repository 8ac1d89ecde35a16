//! A stateful fake of the parts of Twilio that vbx uses: the REST API 2010-04-01 subset
//! (Messages, Media, Calls, IncomingPhoneNumbers, Applications, Keys, Recordings) with
//! Twilio's JSON and error codes; signed webhooks with TwiML carried out for incoming texts and
//! calls; message delivery with status callbacks; plus a `/_sim/` control API for tests and the
//! demo mode.
//!
//! Choices where Twilio's behaviour is not documented or not simulated (see also the README):
//! - An authenticated request whose path names another account answers 404 (20404).
//! - Standard API keys cannot manage keys: `Keys` answers 401 (20003) to them.
//! - Media and recording content require HTTP basic auth (Twilio's "enforce auth on media").
//! - Recording audio is a generated WAV (`audio/x-wav`, at most 30 s); `.mp3` answers 404.
//! - Unset URLs and application SIDs are `null` (Twilio mixes `null` and `""`).
//! - `DateSent` filters compare `date_sent`, or `date_created` for unsent messages; bare dates
//!   cover the whole UTC day on either side of `<`/`>`, and so does midnight UTC
//!   (`2024-01-31T00:00:00Z`, what twilio-python sends for a date). A number cannot text
//!   itself (21211).
//! - `Status=completed` on a call that was never answered ends it as `canceled`.
//! - Time in calls is simulated ([`Settings::time_scale`]); durations count simulated seconds.
//!   A `<Say>` takes about 150 words a minute, a `<Play>` one second, `loop="0"` plays once.
//! - `<Dial>` answers the caller first (no `answerOnBridge`), noun `url`s are not run,
//!   `<Conference>`/`<Queue>` last `talk_seconds`, `<Enqueue>` leaves the queue at once.
//! - A call fetching more than `max_call_documents` documents ends with 11215.
//! - A delay fault carries each request out at once and holds only its answer, so a client
//!   that times out cannot tell whether its request took effect.

mod auth;
mod browser;
pub mod client;
mod config;
mod control;
mod error;
mod fault;
mod form;
mod hook;
mod messaging;
mod observe;
mod page;
mod phone;
mod requests;
mod resource;
mod segment;
mod server;
mod settings;
mod sid;
mod sim;
mod time;
mod trace;
mod voice;
mod wav;

pub use config::SimConfig;
pub use error::{ApiError, SimError};
pub use fault::DeliveryError;
pub use hook::Webhook;
pub use messaging::{InboundMedia, InboundText};
pub use requests::{Endpoint, EndpointCount, RequestLog};
pub use resource::{
    ApiKey, Application, Call, CallDirection, CallStatus, IncomingNumber, Media, Message,
    MessageDirection, MessageStatus, Recording, RecordingSource,
};
pub use server::{SimHandle, SimServer};
pub use settings::{Party, Settings};
pub use sim::Sim;
pub use trace::Trace;
pub use voice::InboundCall;
