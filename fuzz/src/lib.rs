//! Helpers shared by the fuzz targets in `fuzz_targets/`: the `*_file` check of the config
//! targets and, in [`server`], a real vbx for the HTTP and WebSocket targets.

/// Whether any key at any depth names a file to read (`auth_token_file`, `secret_file`, …).
pub fn names_a_file(table: &toml::Table) -> bool {
    table
        .iter()
        .any(|(key, value)| key.ends_with("_file") || value_names_a_file(value))
}

fn value_names_a_file(value: &toml::Value) -> bool {
    match value {
        toml::Value::Table(table) => names_a_file(table),
        toml::Value::Array(items) => items.iter().any(value_names_a_file),
        _ => false,
    }
}

pub mod server;

/// Words of Twilio's webhooks, for targets that build parameters.
pub mod webhook {
    pub const NAMES: &[&str] = &[
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
    pub const VALUES: &[&str] = &[
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
        // The vbx number, its `sms` device (whose texts are relayed) and a contact, as
        // configured in `server.rs`.
        "+18001234567",
        "+18005555555",
        "+14155550199",
        "client:alice",
        "client:vbx",
        "@Ann hello",
        "+14155550100 hi",
        "inbound",
        "ringing",
        "in-progress",
        "completed",
        "answered",
        "no-answer",
        "busy",
        "failed",
        "undelivered",
        "hangup",
        "delivered",
        "partially_delivered",
        "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE0",
    ];
}
