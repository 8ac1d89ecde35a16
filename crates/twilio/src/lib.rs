//! Twilio's protocol as vbx speaks it: TwiML, request signatures, access tokens, webhook
//! parameters and the REST client. No web framework and no application logic live here.

pub mod client;
pub mod id;
pub mod signature;
pub mod token;
pub mod twiml;
pub mod webhook;

pub use id::{
    AccountSid, ApiKeySid, ApplicationSid, CallSid, IdError, MediaSid, MessageSid, PhoneNumber,
    PhoneNumberSid, RecordingSid, TranscriptionSid,
};
