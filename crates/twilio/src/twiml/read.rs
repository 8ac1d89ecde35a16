//! Parses TwiML documents back into the types of this module.

use super::{MessagingResponse, VoiceResponse};

/// Why a document is not valid TwiML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("not well-formed XML: {0}")]
    Xml(String),
    #[error("invalid TwiML: {0}")]
    Invalid(String),
}

pub fn read_voice(_xml: &str) -> Result<VoiceResponse, ReadError> {
    unimplemented!("TwiML reader")
}

pub fn read_messaging(_xml: &str) -> Result<MessagingResponse, ReadError> {
    unimplemented!("TwiML reader")
}
