//! Form bodies as Twilio posts them: `Params::parse` never panics, what it accepts encodes back
//! to a body that parses to the same pairs, and every typed webhook view copes with the result.

#![no_main]

use libfuzzer_sys::fuzz_target;
use twilio::webhook::{
    CallStatusCallback, DialAction, IncomingCall, IncomingMessage, MessageStatusCallback, Params,
    RecordAction, RecordingStatusCallback, TranscriptionCallback,
};

fuzz_target!(|body: &[u8]| {
    let Ok(params) = Params::parse(body) else {
        return;
    };
    // A lossless reader: re-encoding with a standard encoder must give back the same pairs.
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter())
        .finish();
    let again = Params::parse(encoded.as_bytes());
    assert_eq!(again.as_ref(), Ok(&params), "re-encoded as {encoded:?}");

    let _ = IncomingCall::from_params(&params);
    let _ = IncomingMessage::from_params(&params);
    let _ = CallStatusCallback::from_params(&params);
    let _ = MessageStatusCallback::from_params(&params);
    let _ = RecordingStatusCallback::from_params(&params);
    let _ = TranscriptionCallback::from_params(&params);
    let _ = DialAction::from_params(&params);
    let _ = RecordAction::from_params(&params);
});
