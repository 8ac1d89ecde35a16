//! The typed webhook views (`IncomingCall::from_params` and the others) on parameters whose
//! names are mostly the ones the views read, so the fuzzer reaches every field's parser
//! instead of stopping at the first missing name. None may panic, and a view that accepts
//! keeps every parameter it was given.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use twilio::webhook::{
    CallStatusCallback, DialAction, IncomingCall, IncomingMessage, MessageStatusCallback, Params,
    RecordAction, RecordingStatusCallback, TranscriptionCallback,
};
use vbx_fuzz::webhook::{NAMES, VALUES};

#[derive(Debug, Arbitrary)]
enum Name {
    Known(u8),
    Other(String),
}

#[derive(Debug, Arbitrary)]
enum Value {
    Known(u8),
    Other(String),
}

fuzz_target!(|input: Vec<(Name, Value)>| {
    let pairs = input.into_iter().map(|(name, value)| {
        let name = match name {
            Name::Known(i) => NAMES[usize::from(i) % NAMES.len()].to_owned(),
            Name::Other(s) => s,
        };
        let value = match value {
            Value::Known(i) => VALUES[usize::from(i) % VALUES.len()].to_owned(),
            Value::Other(s) => s,
        };
        (name, value)
    });
    let params = Params::from_pairs(pairs);

    macro_rules! view {
        ($view:ty) => {
            if let Ok(view) = <$view>::from_params(&params) {
                assert_eq!(view.params, params);
            }
        };
    }
    view!(IncomingCall);
    view!(IncomingMessage);
    view!(CallStatusCallback);
    view!(MessageStatusCallback);
    view!(RecordingStatusCallback);
    view!(TranscriptionCallback);
    view!(DialAction);
    view!(RecordAction);

    if let Ok(message) = IncomingMessage::from_params(&params) {
        assert_eq!(message.num_media, message.media.len());
        for (n, media) in message.media.iter().enumerate() {
            assert_eq!(
                params.get(&format!("MediaUrl{n}")),
                Some(media.url.as_str())
            );
        }
    }
});
