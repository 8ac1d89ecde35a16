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

const NAMES: &[&str] = &[
    "AccountSid",
    "Body",
    "CallDuration",
    "CallSid",
    "CallStatus",
    "CallerName",
    "DialCallDuration",
    "DialCallSid",
    "DialCallStatus",
    "Digits",
    "Direction",
    "ErrorCode",
    "ForwardedFrom",
    "From",
    "MediaContentType0",
    "MediaContentType1",
    "MediaUrl0",
    "MediaUrl1",
    "MediaUrl2",
    "MessageSid",
    "MessageStatus",
    "NumMedia",
    "NumSegments",
    "ParentCallSid",
    "RecordingDuration",
    "RecordingSid",
    "RecordingStatus",
    "RecordingUrl",
    "SequenceNumber",
    "Timestamp",
    "To",
    "TranscriptionSid",
    "TranscriptionStatus",
    "TranscriptionText",
];

/// Values the views accept, so that parsing goes on past the first field.
const VALUES: &[&str] = &[
    "",
    "0",
    "1",
    "2",
    "4294967295",
    "4294967296",
    "-1",
    "18446744073709551616",
    "AC0123456789abcdef0123456789abcdef",
    "CA0123456789abcdef0123456789abcdef",
    "SM0123456789abcdef0123456789abcdef",
    "MM0123456789abcdef0123456789abcdef",
    "RE0123456789abcdef0123456789abcdef",
    "TR0123456789abcdef0123456789abcdef",
    "+18005551212",
    "client:alice",
    "inbound",
    "ringing",
    "in-progress",
    "completed",
    "answered",
    "delivered",
    "partially_delivered",
    "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE0",
];

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
