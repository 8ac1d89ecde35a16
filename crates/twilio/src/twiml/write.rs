//! Renders TwiML documents to XML the way twilio-python does: declaration, attributes in
//! alphabetical order, empty elements as `<Hangup />`, and escapes any XML parser undoes exactly.

use super::{
    is_xml_char, Client, Conference, Dial, DialRecord, DialTarget, Enqueue, Gather, GatherChild,
    Message, MessagingResponse, MessagingVerb, Method, NounCallbacks, Number, Pause, Play, Queue,
    Record, Redirect, Reject, RejectReason, Say, Sip, Trim, Verb, Voice, VoiceResponse,
};

const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

pub(super) fn voice(doc: &VoiceResponse) -> String {
    let mut children = String::new();
    for verb in &doc.verbs {
        voice_verb(&mut children, verb);
    }
    document(&children)
}

pub(super) fn messaging(doc: &MessagingResponse) -> String {
    let mut children = String::new();
    for verb in &doc.verbs {
        match verb {
            MessagingVerb::Message(m) => message(&mut children, m),
            MessagingVerb::Redirect(r) => redirect(&mut children, r),
        }
    }
    document(&children)
}

fn document(children: &str) -> String {
    let mut out = String::with_capacity(DECLARATION.len() + children.len() + 32);
    out.push_str(DECLARATION);
    El::new("Response").container(&mut out, children);
    out
}

pub(super) fn method_value(method: Method) -> &'static str {
    match method {
        Method::Get => "GET",
        Method::Post => "POST",
    }
}

pub(super) fn voice_value(voice: &Voice) -> String {
    match voice {
        Voice::Man => "man".to_owned(),
        Voice::Woman => "woman".to_owned(),
        Voice::Alice => "alice".to_owned(),
        Voice::Polly(name) => format!("Polly.{name}"),
        Voice::Google(name) => format!("Google.{name}"),
    }
}

pub(super) fn reject_reason_value(reason: RejectReason) -> &'static str {
    match reason {
        RejectReason::Rejected => "rejected",
        RejectReason::Busy => "busy",
    }
}

pub(super) fn trim_value(trim: Trim) -> &'static str {
    match trim {
        Trim::TrimSilence => "trim-silence",
        Trim::DoNotTrim => "do-not-trim",
    }
}

pub(super) fn dial_record_value(record: DialRecord) -> &'static str {
    match record {
        DialRecord::DoNotRecord => "do-not-record",
        DialRecord::RecordFromAnswer => "record-from-answer",
        DialRecord::RecordFromRinging => "record-from-ringing",
        DialRecord::RecordFromAnswerDual => "record-from-answer-dual",
        DialRecord::RecordFromRingingDual => "record-from-ringing-dual",
    }
}

fn voice_verb(out: &mut String, verb: &Verb) {
    match verb {
        Verb::Say(s) => say(out, s),
        Verb::Play(p) => play(out, p),
        Verb::Pause(p) => pause(out, p),
        Verb::Record(r) => record(out, r),
        Verb::Dial(d) => dial(out, d),
        Verb::Gather(g) => gather(out, g),
        Verb::Hangup => El::new("Hangup").leaf(out, ""),
        Verb::Redirect(r) => redirect(out, r),
        Verb::Reject(r) => reject(out, r),
        Verb::Enqueue(e) => enqueue(out, e),
        Verb::Leave => El::new("Leave").leaf(out, ""),
    }
}

fn say(out: &mut String, say: &Say) {
    El::new("Say")
        .opt_owned("voice", say.voice.as_ref().map(voice_value))
        .opt_str("language", &say.language)
        .opt_num("loop", say.loop_count)
        .leaf(out, &say.text);
}

fn play(out: &mut String, play: &Play) {
    El::new("Play")
        .opt_num("loop", play.loop_count)
        .opt_str("digits", &play.digits)
        .leaf(out, &play.url);
}

fn pause(out: &mut String, pause: &Pause) {
    El::new("Pause")
        .opt_num("length", pause.length)
        .leaf(out, "");
}

fn record(out: &mut String, r: &Record) {
    El::new("Record")
        .opt_str("action", &r.action)
        .opt_method("method", r.method)
        .opt_num("timeout", r.timeout)
        .opt_str("finishOnKey", &r.finish_on_key)
        .opt_num("maxLength", r.max_length)
        .opt_bool("playBeep", r.play_beep)
        .opt_static("trim", r.trim.map(trim_value))
        .opt_str("recordingStatusCallback", &r.recording_status_callback)
        .opt_method(
            "recordingStatusCallbackMethod",
            r.recording_status_callback_method,
        )
        .opt_str(
            "recordingStatusCallbackEvent",
            &r.recording_status_callback_event,
        )
        .opt_bool("transcribe", r.transcribe)
        .opt_str("transcribeCallback", &r.transcribe_callback)
        .leaf(out, "");
}

fn dial(out: &mut String, d: &Dial) {
    let mut children = String::new();
    for target in &d.targets {
        match target {
            DialTarget::Text(number) => escape_text(&mut children, number),
            DialTarget::Number(n) => number(&mut children, n),
            DialTarget::Client(c) => client(&mut children, c),
            DialTarget::Conference(c) => conference(&mut children, c),
            DialTarget::Queue(q) => queue(&mut children, q),
            DialTarget::Sip(s) => sip(&mut children, s),
        }
    }
    El::new("Dial")
        .opt_str("action", &d.action)
        .opt_method("method", d.method)
        .opt_num("timeout", d.timeout)
        .opt_str("callerId", &d.caller_id)
        .opt_static("record", d.record.map(dial_record_value))
        .opt_bool("answerOnBridge", d.answer_on_bridge)
        .opt_bool("hangupOnStar", d.hangup_on_star)
        .opt_num("timeLimit", d.time_limit)
        .opt_str("ringTone", &d.ring_tone)
        .opt_static("trim", d.trim.map(trim_value))
        .opt_str("recordingStatusCallback", &d.recording_status_callback)
        .opt_method(
            "recordingStatusCallbackMethod",
            d.recording_status_callback_method,
        )
        .opt_str(
            "recordingStatusCallbackEvent",
            &d.recording_status_callback_event,
        )
        .opt_bool("sequential", d.sequential)
        .container(out, &children);
}

fn number(out: &mut String, n: &Number) {
    El::new("Number")
        .opt_str("sendDigits", &n.send_digits)
        .callbacks(&n.callbacks)
        .leaf(out, &n.number);
}

fn client(out: &mut String, c: &Client) {
    let el = El::new("Client").callbacks(&c.callbacks);
    if c.parameters.is_empty() {
        return el.leaf(out, &c.identity);
    }
    let mut children = String::new();
    // An identity made only of characters XML cannot carry is written as nothing at all, like
    // an empty one (an empty `<Identity />` would read back differently).
    if c.identity.chars().any(is_xml_char) {
        El::new("Identity").leaf(&mut children, &c.identity);
    }
    for (name, value) in &c.parameters {
        El::new("Parameter")
            .attr("name", name.clone())
            .attr("value", value.clone())
            .leaf(&mut children, "");
    }
    el.container(out, &children);
}

fn conference(out: &mut String, c: &Conference) {
    El::new("Conference")
        .opt_bool("muted", c.muted)
        .opt_str("beep", &c.beep)
        .opt_bool("startConferenceOnEnter", c.start_conference_on_enter)
        .opt_bool("endConferenceOnExit", c.end_conference_on_exit)
        .opt_str("waitUrl", &c.wait_url)
        .opt_method("waitMethod", c.wait_method)
        .opt_num("maxParticipants", c.max_participants)
        .opt_str("statusCallback", &c.status_callback)
        .opt_str("statusCallbackEvent", &c.status_callback_event)
        .opt_method("statusCallbackMethod", c.status_callback_method)
        .leaf(out, &c.name);
}

fn queue(out: &mut String, q: &Queue) {
    El::new("Queue")
        .opt_str("url", &q.url)
        .opt_method("method", q.method)
        .leaf(out, &q.name);
}

fn sip(out: &mut String, s: &Sip) {
    El::new("Sip")
        .opt_str("username", &s.username)
        .opt_str("password", &s.password)
        .callbacks(&s.callbacks)
        .leaf(out, &s.uri);
}

fn gather(out: &mut String, g: &Gather) {
    let mut children = String::new();
    for child in &g.children {
        match child {
            GatherChild::Say(s) => say(&mut children, s),
            GatherChild::Play(p) => play(&mut children, p),
            GatherChild::Pause(p) => pause(&mut children, p),
        }
    }
    El::new("Gather")
        .opt_str("input", &g.input)
        .opt_str("action", &g.action)
        .opt_method("method", g.method)
        .opt_num("timeout", g.timeout)
        .opt_str("finishOnKey", &g.finish_on_key)
        .opt_num("numDigits", g.num_digits)
        .opt_str("speechTimeout", &g.speech_timeout)
        .opt_str("hints", &g.hints)
        .opt_str("language", &g.language)
        .opt_bool("actionOnEmptyResult", g.action_on_empty_result)
        .container(out, &children);
}

fn redirect(out: &mut String, r: &Redirect) {
    El::new("Redirect")
        .opt_method("method", r.method)
        .leaf(out, &r.url);
}

fn reject(out: &mut String, r: &Reject) {
    El::new("Reject")
        .opt_static("reason", r.reason.map(reject_reason_value))
        .leaf(out, "");
}

fn enqueue(out: &mut String, e: &Enqueue) {
    El::new("Enqueue")
        .opt_str("action", &e.action)
        .opt_method("method", e.method)
        .opt_str("waitUrl", &e.wait_url)
        .opt_method("waitUrlMethod", e.wait_url_method)
        .opt_str("workflowSid", &e.workflow_sid)
        .leaf(out, &e.name);
}

fn message(out: &mut String, m: &Message) {
    let mut children = String::new();
    if let Some(body) = &m.body {
        El::new("Body").leaf(&mut children, body);
    }
    for url in &m.media {
        El::new("Media").leaf(&mut children, url);
    }
    El::new("Message")
        .opt_str("to", &m.to)
        .opt_str("from", &m.from)
        .opt_str("action", &m.action)
        .opt_method("method", m.method)
        .opt_str("statusCallback", &m.status_callback)
        .container(out, &children);
}

/// One element's name and attributes, collected before writing so they can be sorted.
struct El {
    name: &'static str,
    attrs: Vec<(&'static str, String)>,
}

impl El {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            attrs: Vec::new(),
        }
    }

    fn attr(mut self, key: &'static str, value: String) -> Self {
        self.attrs.push((key, value));
        self
    }

    fn opt_owned(self, key: &'static str, value: Option<String>) -> Self {
        match value {
            Some(v) => self.attr(key, v),
            None => self,
        }
    }

    fn opt_str(self, key: &'static str, value: &Option<String>) -> Self {
        self.opt_owned(key, value.clone())
    }

    fn opt_static(self, key: &'static str, value: Option<&'static str>) -> Self {
        self.opt_owned(key, value.map(str::to_owned))
    }

    fn opt_num(self, key: &'static str, value: Option<u32>) -> Self {
        self.opt_owned(key, value.map(|n| n.to_string()))
    }

    fn opt_bool(self, key: &'static str, value: Option<bool>) -> Self {
        self.opt_static(key, value.map(|b| if b { "true" } else { "false" }))
    }

    fn opt_method(self, key: &'static str, value: Option<Method>) -> Self {
        self.opt_static(key, value.map(method_value))
    }

    fn callbacks(self, c: &NounCallbacks) -> Self {
        self.opt_str("url", &c.url)
            .opt_method("method", c.method)
            .opt_str("statusCallbackEvent", &c.status_callback_event)
            .opt_str("statusCallback", &c.status_callback)
            .opt_method("statusCallbackMethod", c.status_callback_method)
    }

    /// Writes the element with `text` as its content (escaped), or self-closed when empty.
    fn leaf(mut self, out: &mut String, text: &str) {
        if text.chars().any(is_xml_char) {
            self.start_tag(out, false);
            escape_text(out, text);
            self.end_tag(out);
        } else {
            self.start_tag(out, true);
        }
    }

    /// Writes the element around already-rendered `children`, or self-closed when there are none.
    fn container(mut self, out: &mut String, children: &str) {
        if children.is_empty() {
            self.start_tag(out, true);
        } else {
            self.start_tag(out, false);
            out.push_str(children);
            self.end_tag(out);
        }
    }

    fn start_tag(&mut self, out: &mut String, empty: bool) {
        // Byte order on ASCII names is what Python's `sorted()` gives twilio-python.
        self.attrs.sort_by(|a, b| a.0.cmp(b.0));
        out.push('<');
        out.push_str(self.name);
        for (key, value) in &self.attrs {
            out.push(' ');
            out.push_str(key);
            out.push_str("=\"");
            escape_attr(out, value);
            out.push('"');
        }
        out.push_str(if empty { " />" } else { ">" });
    }

    fn end_tag(&self, out: &mut String) {
        out.push_str("</");
        out.push_str(self.name);
        out.push('>');
    }
}

/// Escapes character data. CR becomes a character reference because XML parsers turn a
/// literal CR (or CRLF) into LF.
fn escape_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
}

/// Escapes an attribute value. Tab, LF and CR become character references because attribute
/// value normalisation turns the literal characters into spaces.
fn escape_attr(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
}
