//! TwiML documents as types: voice and messaging responses, written to XML and read back.
//!
//! `write.rs` renders a document (escaped, UTF-8, with the XML declaration); `read.rs` parses
//! one back into the same types, so `read(write(doc)) == doc` for any document TwiML allows whose
//! text has no characters XML cannot carry (see [`sanitize_text`]). "TwiML allows" matters for
//! `Dial` (one bare number, or nouns only) and `Play` inside `Gather` (no `digits`).

mod read;
#[cfg(test)]
mod tests;
mod write;

pub use read::{read_messaging, read_voice, ReadError};

/// HTTP method for an action or callback URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// The voice a `<Say>` speaks with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Voice {
    Man,
    Woman,
    /// Deprecated by Twilio, kept because old flow files use it.
    Alice,
    /// `Polly.<Name>` with any suffix such as `-Neural` (the part after `Polly.`).
    Polly(String),
    /// `Google.<voice>` (the part after `Google.`).
    Google(String),
}

/// `<Reject reason>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    Rejected,
    Busy,
}

/// `trim` on `<Record>` and `<Dial>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    TrimSilence,
    DoNotTrim,
}

/// `record` on `<Dial>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialRecord {
    DoNotRecord,
    RecordFromAnswer,
    RecordFromRinging,
    RecordFromAnswerDual,
    RecordFromRingingDual,
}

/// A voice response: `<Response>` with voice verbs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VoiceResponse {
    pub verbs: Vec<Verb>,
}

/// A messaging response: `<Response>` with `<Message>` and `<Redirect>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessagingResponse {
    pub verbs: Vec<MessagingVerb>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verb {
    Say(Say),
    Play(Play),
    Pause(Pause),
    Record(Record),
    Dial(Dial),
    Gather(Gather),
    Hangup,
    Redirect(Redirect),
    Reject(Reject),
    Enqueue(Enqueue),
    Leave,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessagingVerb {
    Message(Message),
    Redirect(Redirect),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Say {
    pub text: String,
    pub voice: Option<Voice>,
    pub language: Option<String>,
    pub loop_count: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Play {
    /// The audio URL; empty when the verb only sends `digits`.
    pub url: String,
    pub loop_count: Option<u32>,
    pub digits: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pause {
    pub length: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Record {
    pub action: Option<String>,
    pub method: Option<Method>,
    pub timeout: Option<u32>,
    pub finish_on_key: Option<String>,
    pub max_length: Option<u32>,
    pub play_beep: Option<bool>,
    pub trim: Option<Trim>,
    pub recording_status_callback: Option<String>,
    pub recording_status_callback_method: Option<Method>,
    /// Space-separated events: `in-progress`, `completed`, `absent`.
    pub recording_status_callback_event: Option<String>,
    pub transcribe: Option<bool>,
    pub transcribe_callback: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dial {
    pub action: Option<String>,
    pub method: Option<Method>,
    pub timeout: Option<u32>,
    pub caller_id: Option<String>,
    pub record: Option<DialRecord>,
    pub answer_on_bridge: Option<bool>,
    pub hangup_on_star: Option<bool>,
    pub time_limit: Option<u32>,
    pub ring_tone: Option<String>,
    pub trim: Option<Trim>,
    pub recording_status_callback: Option<String>,
    pub recording_status_callback_method: Option<Method>,
    pub recording_status_callback_event: Option<String>,
    pub sequential: Option<bool>,
    pub targets: Vec<DialTarget>,
}

/// What a `<Dial>` rings. `Text` is a bare number written as the Dial's own text; a Dial holds
/// either one `Text` or nouns only (the reader refuses a mix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialTarget {
    Text(String),
    Number(Number),
    Client(Client),
    Conference(Conference),
    Queue(Queue),
    Sip(Sip),
}

/// Attributes shared by the `<Number>`, `<Client>` and `<Sip>` nouns.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NounCallbacks {
    /// Call screening ("whisper"): TwiML the called party runs once it answers, before it is
    /// bridged with the caller; its `<Hangup>` ends only that leg.
    pub url: Option<String>,
    /// The method of `url` (Twilio's default: POST).
    pub method: Option<Method>,
    /// Space-separated: `initiated ringing answered completed`.
    pub status_callback_event: Option<String>,
    pub status_callback: Option<String>,
    pub status_callback_method: Option<Method>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Number {
    pub number: String,
    pub send_digits: Option<String>,
    pub callbacks: NounCallbacks,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Client {
    pub identity: String,
    pub callbacks: NounCallbacks,
    /// `<Parameter name value/>` children, in order.
    pub parameters: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Conference {
    pub name: String,
    pub muted: Option<bool>,
    /// `true`, `false`, `onEnter` or `onExit`.
    pub beep: Option<String>,
    pub start_conference_on_enter: Option<bool>,
    pub end_conference_on_exit: Option<bool>,
    pub wait_url: Option<String>,
    pub wait_method: Option<Method>,
    pub max_participants: Option<u32>,
    pub status_callback: Option<String>,
    pub status_callback_event: Option<String>,
    pub status_callback_method: Option<Method>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Queue {
    pub name: String,
    pub url: Option<String>,
    pub method: Option<Method>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sip {
    pub uri: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub callbacks: NounCallbacks,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Gather {
    /// `dtmf`, `speech` or `dtmf speech`.
    pub input: Option<String>,
    pub action: Option<String>,
    pub method: Option<Method>,
    pub timeout: Option<u32>,
    pub finish_on_key: Option<String>,
    pub num_digits: Option<u32>,
    /// Seconds, or `auto`.
    pub speech_timeout: Option<String>,
    pub hints: Option<String>,
    pub language: Option<String>,
    pub action_on_empty_result: Option<bool>,
    pub children: Vec<GatherChild>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatherChild {
    Say(Say),
    Play(Play),
    Pause(Pause),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Redirect {
    pub url: String,
    pub method: Option<Method>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reject {
    pub reason: Option<RejectReason>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Enqueue {
    pub name: String,
    pub action: Option<String>,
    pub method: Option<Method>,
    pub wait_url: Option<String>,
    pub wait_url_method: Option<Method>,
    pub workflow_sid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// Written as a `<Body>` child when present.
    pub body: Option<String>,
    /// One `<Media>` child per URL (Twilio accepts at most 10).
    pub media: Vec<String>,
    pub to: Option<String>,
    pub from: Option<String>,
    pub action: Option<String>,
    pub method: Option<Method>,
    pub status_callback: Option<String>,
}

impl VoiceResponse {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, verb: Verb) -> &mut Self {
        self.verbs.push(verb);
        self
    }

    /// The document as XML, with declaration.
    pub fn to_xml(&self) -> String {
        write::voice(self)
    }
}

impl MessagingResponse {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, verb: MessagingVerb) -> &mut Self {
        self.verbs.push(verb);
        self
    }

    /// The document as XML, with declaration.
    pub fn to_xml(&self) -> String {
        write::messaging(self)
    }
}

/// The text as the writer will emit it: characters XML 1.0 cannot carry (NUL and the other C0
/// controls except tab, LF and CR, unpaired surrogates cannot occur in Rust, U+FFFE/U+FFFF) are
/// dropped. `read(write(x))` yields this for every text and attribute value.
pub fn sanitize_text(text: &str) -> String {
    text.chars().filter(|&c| is_xml_char(c)).collect()
}

pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}
