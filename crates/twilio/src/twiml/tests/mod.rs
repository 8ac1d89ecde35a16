//! Tests of the TwiML writer and reader: golden documents, escaping, reader errors and a
//! property test that reading what was written gives the document back.

mod errors;
mod escape;
mod golden;
mod roundtrip;

use super::{read_messaging, read_voice, MessagingResponse, MessagingVerb, Verb, VoiceResponse};

const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

fn voice(verbs: Vec<Verb>) -> VoiceResponse {
    VoiceResponse { verbs }
}

fn messaging(verbs: Vec<MessagingVerb>) -> MessagingResponse {
    MessagingResponse { verbs }
}

/// Asserts both directions: the document renders to exactly `body` after the declaration, and
/// that text reads back as the document.
fn assert_voice_golden(doc: &VoiceResponse, body: &str) {
    let expected = format!("{DECLARATION}{body}");
    assert_eq!(doc.to_xml(), expected);
    assert_eq!(read_voice(&expected).unwrap(), *doc);
}

fn assert_messaging_golden(doc: &MessagingResponse, body: &str) {
    let expected = format!("{DECLARATION}{body}");
    assert_eq!(doc.to_xml(), expected);
    assert_eq!(read_messaging(&expected).unwrap(), *doc);
}
