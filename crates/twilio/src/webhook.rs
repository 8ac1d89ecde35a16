//! Parameters of the webhooks Twilio sends (FACTS §6): the raw form body, kept whole because the
//! signature covers every parameter, and typed views of the requests vbx handles.

use std::fmt;
use std::str::FromStr;

use crate::id::{AccountSid, CallSid, MessageSid, RecordingSid};

/// Every parameter of a webhook request, in the order received, unknown ones included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

/// Why a form body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    #[error("form body has a malformed percent escape at byte {offset}")]
    BadPercentEscape { offset: usize },
    #[error("form body field at byte {offset} is not UTF-8 after percent-decoding")]
    NotUtf8 { offset: usize },
}

impl Params {
    /// Reads an `application/x-www-form-urlencoded` body (or a GET query string). Unlike lenient
    /// decoders, malformed escapes and invalid UTF-8 are errors rather than replacement
    /// characters: a request whose values we cannot read exactly cannot have its signature
    /// checked.
    pub fn parse(body: &[u8]) -> Result<Self, ParamsError> {
        let mut pairs = Vec::new();
        let mut offset = 0;
        for field in body.split(|&b| b == b'&') {
            if !field.is_empty() {
                let (name, value, value_offset) = match field.iter().position(|&b| b == b'=') {
                    Some(eq) => (&field[..eq], &field[eq + 1..], offset + eq + 1),
                    None => (field, &field[field.len()..], offset + field.len()),
                };
                pairs.push((decode(name, offset)?, decode(value, value_offset)?));
            }
            offset += field.len() + 1;
        }
        Ok(Self(pairs))
    }

    pub fn from_pairs<N: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (N, V)>,
    ) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(n, v)| (n.into(), v.into()))
                .collect(),
        )
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in the order received.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// All pairs, as [`crate::signature::validate`] wants them.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.0
    }
}

fn decode(raw: &[u8], offset: usize) -> Result<String, ParamsError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = raw.get(i + 1).and_then(|&b| hex_digit(b));
                let lo = raw.get(i + 2).and_then(|&b| hex_digit(b));
                let (Some(hi), Some(lo)) = (hi, lo) else {
                    return Err(ParamsError::BadPercentEscape { offset: offset + i });
                };
                out.push(hi << 4 | lo);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| ParamsError::NotUtf8 { offset })
}

fn hex_digit(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Why a webhook's parameters do not make the expected request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("webhook parameter `{0}` is missing")]
    Missing(&'static str),
    #[error("webhook parameter `{name}` has the invalid value `{value}`: {reason}")]
    Invalid {
        name: &'static str,
        value: String,
        reason: String,
    },
}

/// A value that is not one of an enumeration's known strings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a known {kind}")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident, $kind:literal, { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The value as Twilio writes it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            pub fn parse(value: &str) -> Result<Self, UnknownValue> {
                match value {
                    $($text => Ok(Self::$variant),)+
                    _ => Err(UnknownValue { kind: $kind, value: value.to_owned() }),
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_enum!(
    /// `CallStatus` of a call.
    CallStatus, "call status", {
        Queued = "queued",
        Initiated = "initiated",
        Ringing = "ringing",
        InProgress = "in-progress",
        Completed = "completed",
        Busy = "busy",
        Failed = "failed",
        NoAnswer = "no-answer",
        Canceled = "canceled",
    }
);

impl CallStatus {
    /// The call has ended and its status will not change again.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Busy | Self::Failed | Self::NoAnswer | Self::Canceled
        )
    }
}

string_enum!(
    /// `DialCallStatus`: how the `<Dial>`ed leg ended (`answered` is for conferences).
    DialCallStatus, "dial call status", {
        Completed = "completed",
        Answered = "answered",
        Busy = "busy",
        NoAnswer = "no-answer",
        Failed = "failed",
        Canceled = "canceled",
    }
);

string_enum!(
    /// `MessageStatus` of a message, outbound and inbound.
    MessageStatus, "message status", {
        Queued = "queued",
        Sending = "sending",
        Sent = "sent",
        Failed = "failed",
        Delivered = "delivered",
        Undelivered = "undelivered",
        Receiving = "receiving",
        Received = "received",
        Accepted = "accepted",
        Scheduled = "scheduled",
        Read = "read",
        PartiallyDelivered = "partially_delivered",
        Canceled = "canceled",
    }
);

/// A typed view built from the raw parameters (lets the app write one generic extractor).
pub trait FromParams: Sized {
    fn from_params(params: &Params) -> Result<Self, ParamError>;
}

fn required<'a>(p: &'a Params, name: &'static str) -> Result<&'a str, ParamError> {
    p.get(name).ok_or(ParamError::Missing(name))
}

fn invalid(name: &'static str, value: &str, reason: impl fmt::Display) -> ParamError {
    ParamError::Invalid {
        name,
        value: value.to_owned(),
        reason: reason.to_string(),
    }
}

fn parsed<T, E: fmt::Display>(
    p: &Params,
    name: &'static str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, ParamError> {
    let value = required(p, name)?;
    parse(value).map_err(|e| invalid(name, value, e))
}

/// Twilio sends some optional parameters with an empty value; those count as absent.
fn optional(p: &Params, name: &'static str) -> Option<String> {
    p.get(name).filter(|v| !v.is_empty()).map(str::to_owned)
}

fn optional_parsed<T, E: fmt::Display>(
    p: &Params,
    name: &'static str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<Option<T>, ParamError> {
    match p.get(name).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(value) => parse(value).map(Some).map_err(|e| invalid(name, value, e)),
    }
}

fn number(value: &str) -> Result<u32, String> {
    value
        .parse()
        .map_err(|_| "expected a non-negative whole number".to_owned())
}

/// A duration in seconds. Twilio reports `-1` (or another negative) when a duration is
/// unknown, e.g. for an absent recording; that reads as "no duration" rather than refusing
/// the whole callback and losing what else it says.
fn duration(p: &Params, name: &'static str) -> Result<Option<u32>, ParamError> {
    optional_parsed(p, name, |v| match v.parse::<i64>() {
        Ok(n) if n < 0 => Ok(None),
        Ok(n) => u32::try_from(n)
            .map(Some)
            .map_err(|_| "expected a whole number of seconds".to_owned()),
        Err(_) => Err("expected a whole number of seconds".to_owned()),
    })
    .map(Option::flatten)
}

/// The request to the voice URL when a call arrives (or a Voice SDK client calls out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingCall {
    pub call_sid: CallSid,
    pub account_sid: AccountSid,
    /// `+1…`, `client:<identity>`, `anonymous`, a SIP URI, …
    pub from: String,
    pub to: String,
    pub call_status: CallStatus,
    pub direction: String,
    pub caller_name: Option<String>,
    pub forwarded_from: Option<String>,
    pub parent_call_sid: Option<CallSid>,
    pub params: Params,
}

impl IncomingCall {
    pub fn from_params(p: &Params) -> Result<Self, ParamError> {
        Ok(Self {
            call_sid: parsed(p, "CallSid", CallSid::parse)?,
            account_sid: parsed(p, "AccountSid", AccountSid::parse)?,
            from: required(p, "From")?.to_owned(),
            to: required(p, "To")?.to_owned(),
            call_status: parsed(p, "CallStatus", CallStatus::parse)?,
            direction: required(p, "Direction")?.to_owned(),
            caller_name: optional(p, "CallerName"),
            forwarded_from: optional(p, "ForwardedFrom"),
            parent_call_sid: optional_parsed(p, "ParentCallSid", CallSid::parse)?,
            params: p.clone(),
        })
    }
}

/// One attachment of an incoming MMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub url: String,
    pub content_type: Option<String>,
}

/// The request to the messaging URL when an SMS/MMS arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingMessage {
    pub message_sid: MessageSid,
    pub account_sid: AccountSid,
    pub from: String,
    pub to: String,
    /// Empty when absent (an MMS without text).
    pub body: String,
    pub num_media: usize,
    /// `MediaUrl0` … `MediaUrl{NumMedia-1}` with their `MediaContentType{N}`.
    pub media: Vec<Media>,
    pub num_segments: Option<u32>,
    pub params: Params,
}

impl IncomingMessage {
    pub fn from_params(p: &Params) -> Result<Self, ParamError> {
        let message_sid = parsed(p, "MessageSid", MessageSid::parse)?;
        let account_sid = parsed(p, "AccountSid", AccountSid::parse)?;
        let from = required(p, "From")?.to_owned();
        let to = required(p, "To")?.to_owned();
        let media = media(p)?;
        Ok(Self {
            message_sid,
            account_sid,
            from,
            to,
            body: p.get("Body").unwrap_or_default().to_owned(),
            num_media: media.len(),
            media,
            num_segments: optional_parsed(p, "NumSegments", number)?,
            params: p.clone(),
        })
    }
}

/// Every `MediaUrl{N}` below `NumMedia` (absent `NumMedia` means none).
fn media(p: &Params) -> Result<Vec<Media>, ParamError> {
    let num_media = optional_parsed(p, "NumMedia", |v| {
        v.parse::<usize>()
            .map_err(|_| "expected a non-negative whole number")
    })?
    .unwrap_or(0);
    // Grown as items are found: NumMedia comes from outside and must not size an allocation.
    let mut media = Vec::new();
    for n in 0..num_media {
        let Some(url) = p.get(&format!("MediaUrl{n}")) else {
            return Err(invalid(
                "NumMedia",
                &num_media.to_string(),
                format_args!("MediaUrl{n} is missing"),
            ));
        };
        media.push(Media {
            url: url.to_owned(),
            content_type: p
                .get(&format!("MediaContentType{n}"))
                .filter(|v| !v.is_empty())
                .map(str::to_owned),
        });
    }
    Ok(media)
}

/// A call's `statusCallback` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallStatusCallback {
    pub call_sid: CallSid,
    pub call_status: CallStatus,
    /// Seconds, sent with `completed`.
    pub call_duration: Option<u32>,
    /// From 0; callbacks may arrive out of order.
    pub sequence_number: Option<u32>,
    /// RFC 2822, UTC.
    pub timestamp: Option<String>,
    pub from: String,
    pub to: String,
    pub direction: Option<String>,
    pub parent_call_sid: Option<CallSid>,
    pub params: Params,
}

impl CallStatusCallback {
    pub fn from_params(p: &Params) -> Result<Self, ParamError> {
        Ok(Self {
            call_sid: parsed(p, "CallSid", CallSid::parse)?,
            call_status: parsed(p, "CallStatus", CallStatus::parse)?,
            call_duration: duration(p, "CallDuration")?,
            sequence_number: optional_parsed(p, "SequenceNumber", number)?,
            timestamp: optional(p, "Timestamp"),
            from: required(p, "From")?.to_owned(),
            to: required(p, "To")?.to_owned(),
            direction: optional(p, "Direction"),
            parent_call_sid: optional_parsed(p, "ParentCallSid", CallSid::parse)?,
            params: p.clone(),
        })
    }
}

/// A message's status callback request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageStatusCallback {
    pub message_sid: MessageSid,
    pub message_status: MessageStatus,
    /// Only for `failed`/`undelivered`.
    pub error_code: Option<u32>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub params: Params,
}

impl MessageStatusCallback {
    pub fn from_params(p: &Params) -> Result<Self, ParamError> {
        Ok(Self {
            message_sid: parsed(p, "MessageSid", MessageSid::parse)?,
            message_status: parsed(p, "MessageStatus", MessageStatus::parse)?,
            error_code: optional_parsed(p, "ErrorCode", number)?,
            from: optional(p, "From"),
            to: optional(p, "To"),
            params: p.clone(),
        })
    }
}

/// A `recordingStatusCallback` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingStatusCallback {
    pub call_sid: CallSid,
    pub recording_sid: RecordingSid,
    pub recording_url: String,
    /// `in-progress`, `completed`, `absent`, `failed`, …
    pub recording_status: String,
    pub recording_duration: Option<u32>,
    /// What made the recording: `RecordVerb` (a `<Record>`, a voicemail), `DialVerb` (a
    /// `<Dial record>`, the call itself), `OutboundAPI`, …
    pub recording_source: Option<String>,
    pub params: Params,
}

impl RecordingStatusCallback {
    pub fn from_params(p: &Params) -> Result<Self, ParamError> {
        Ok(Self {
            call_sid: parsed(p, "CallSid", CallSid::parse)?,
            recording_sid: parsed(p, "RecordingSid", RecordingSid::parse)?,
            recording_url: required(p, "RecordingUrl")?.to_owned(),
            recording_status: required(p, "RecordingStatus")?.to_owned(),
            recording_duration: duration(p, "RecordingDuration")?,
            recording_source: optional(p, "RecordingSource"),
            params: p.clone(),
        })
    }
}

/// A `<Record transcribeCallback>` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptionCallback {
    pub transcription_sid: String,
    pub transcription_text: Option<String>,
    /// `completed` or `failed`.
    pub transcription_status: String,
    pub recording_sid: RecordingSid,
    pub call_sid: Option<CallSid>,
    pub params: Params,
}

impl TranscriptionCallback {
    pub fn from_params(p: &Params) -> Result<Self, ParamError> {
        Ok(Self {
            transcription_sid: required(p, "TranscriptionSid")?.to_owned(),
            transcription_text: optional(p, "TranscriptionText"),
            transcription_status: required(p, "TranscriptionStatus")?.to_owned(),
            recording_sid: parsed(p, "RecordingSid", RecordingSid::parse)?,
            call_sid: optional_parsed(p, "CallSid", CallSid::parse)?,
            params: p.clone(),
        })
    }
}

/// The request to a `<Dial action>` URL when the dialled leg ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialAction {
    pub call_sid: CallSid,
    pub dial_call_status: DialCallStatus,
    /// Absent when dialling a conference.
    pub dial_call_sid: Option<String>,
    pub dial_call_duration: Option<u32>,
    pub recording_url: Option<String>,
    pub params: Params,
}

impl DialAction {
    pub fn from_params(p: &Params) -> Result<Self, ParamError> {
        Ok(Self {
            call_sid: parsed(p, "CallSid", CallSid::parse)?,
            dial_call_status: parsed(p, "DialCallStatus", DialCallStatus::parse)?,
            dial_call_sid: optional(p, "DialCallSid"),
            dial_call_duration: duration(p, "DialCallDuration")?,
            recording_url: optional(p, "RecordingUrl"),
            params: p.clone(),
        })
    }
}

/// The request to a `<Record action>` URL when recording stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordAction {
    pub call_sid: CallSid,
    pub recording_url: Option<String>,
    pub recording_sid: Option<RecordingSid>,
    pub recording_duration: Option<u32>,
    /// The key that ended the recording, or `hangup`.
    pub digits: Option<String>,
    pub params: Params,
}

impl RecordAction {
    pub fn from_params(p: &Params) -> Result<Self, ParamError> {
        Ok(Self {
            call_sid: parsed(p, "CallSid", CallSid::parse)?,
            recording_url: optional(p, "RecordingUrl"),
            recording_sid: optional_parsed(p, "RecordingSid", RecordingSid::parse)?,
            recording_duration: duration(p, "RecordingDuration")?,
            digits: optional(p, "Digits"),
            params: p.clone(),
        })
    }
}

macro_rules! impl_from_params {
    ($($view:ty),+) => {
        $(impl FromParams for $view {
            fn from_params(params: &Params) -> Result<Self, ParamError> {
                <$view>::from_params(params)
            }
        })+
    };
}

impl_from_params!(
    IncomingCall,
    IncomingMessage,
    CallStatusCallback,
    MessageStatusCallback,
    RecordingStatusCallback,
    TranscriptionCallback,
    DialAction,
    RecordAction
);

#[cfg(test)]
mod tests;
