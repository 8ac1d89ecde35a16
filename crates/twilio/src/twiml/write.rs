//! Renders TwiML documents to XML.

use super::{MessagingResponse, VoiceResponse};

pub(super) fn voice(_doc: &VoiceResponse) -> String {
    unimplemented!("TwiML writer")
}

pub(super) fn messaging(_doc: &MessagingResponse) -> String {
    unimplemented!("TwiML writer")
}
