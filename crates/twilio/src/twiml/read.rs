//! Parses TwiML documents back into the types of this module, refusing anything Twilio would
//! not run or these types cannot hold, with an error that names the element and attribute.
//!
//! Text rule: an element that holds only text (Say, Play, Redirect, nouns, a Dial with a bare
//! number, ...) keeps its whole text exactly, whitespace included; in an element that holds
//! other elements, whitespace-only text between them is layout and is ignored.

mod attrs;
mod tree;

use super::{
    Client, Conference, Dial, DialTarget, Enqueue, Gather, GatherChild, Message, MessagingResponse,
    MessagingVerb, NounCallbacks, Number, Pause, Play, Queue, Record, Redirect, Reject, Say, Sip,
    Verb, VoiceResponse,
};
use attrs::{parse_dial_record, parse_reject_reason, parse_trim, parse_voice, Attrs};
use tree::{is_xml_whitespace, Element, Node};

/// Why a document is not valid TwiML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The text is not well-formed XML (or holds characters XML 1.0 cannot carry).
    #[error("not well-formed XML: {0}")]
    Xml(String),
    /// Well-formed XML that is not TwiML these types can hold. The message starts with the
    /// element's path, e.g. `Response/Gather[1]/Dial[1]: ...`.
    #[error("invalid TwiML: {0}")]
    Invalid(String),
}

const VOICE_VERBS: &str =
    "Say, Play, Pause, Record, Dial, Gather, Hangup, Redirect, Reject, Enqueue, Leave";

/// Twilio verbs that exist but that these types do not model.
const UNSUPPORTED_VERBS: &[&str] = &[
    "Connect", "Echo", "Pay", "Prompt", "Refer", "Sms", "Start", "Stop",
];

const DIAL_NOUNS: &[&str] = &[
    "Number",
    "Client",
    "Conference",
    "Queue",
    "Sip",
    "Sim",
    "Application",
    "WhatsApp",
];

/// Parses a voice response (`<Response>` with voice verbs).
pub fn read_voice(xml: &str) -> Result<VoiceResponse, ReadError> {
    let root = tree::parse(xml)?;
    check_root(&root)?;
    let mut verbs = Vec::new();
    for (element, path) in elements(&root, "Response")? {
        verbs.push(voice_verb(element, &path)?);
    }
    Ok(VoiceResponse { verbs })
}

/// Parses a messaging response (`<Response>` with `<Message>` and `<Redirect>`).
pub fn read_messaging(xml: &str) -> Result<MessagingResponse, ReadError> {
    let root = tree::parse(xml)?;
    check_root(&root)?;
    let mut verbs = Vec::new();
    for (element, path) in elements(&root, "Response")? {
        let verb = match element.name.as_str() {
            "Message" => MessagingVerb::Message(message(element, &path)?),
            "Redirect" => MessagingVerb::Redirect(redirect(element, &path)?),
            name if DIAL_NOUNS.contains(&name) => {
                return Err(invalid(
                    &path,
                    format!(
                        "<{name}> is a voice noun; a messaging response takes only <Message> \
                         and <Redirect>"
                    ),
                ))
            }
            name if is_voice_verb(name) => {
                return Err(invalid(
                    &path,
                    format!(
                        "<{name}> is a voice verb; a messaging response takes only <Message> \
                         and <Redirect>"
                    ),
                ))
            }
            name => {
                return Err(invalid(
                    &path,
                    format!("unknown verb <{name}> (messaging verbs: Message, Redirect)"),
                ))
            }
        };
        verbs.push(verb);
    }
    Ok(MessagingResponse { verbs })
}

fn check_root(root: &Element) -> Result<(), ReadError> {
    if root.name != "Response" {
        return Err(ReadError::Invalid(format!(
            "the root element is <{}>; a TwiML document has <Response> as its root",
            root.name
        )));
    }
    Attrs::new(root, "Response").finish()
}

fn is_voice_verb(name: &str) -> bool {
    VOICE_VERBS.split(", ").any(|v| v == name) || UNSUPPORTED_VERBS.contains(&name)
}

fn voice_verb(el: &Element, path: &str) -> Result<Verb, ReadError> {
    Ok(match el.name.as_str() {
        "Say" => Verb::Say(say(el, path)?),
        "Play" => Verb::Play(play(el, path)?),
        "Pause" => Verb::Pause(pause(el, path)?),
        "Record" => Verb::Record(record(el, path)?),
        "Dial" => Verb::Dial(dial(el, path)?),
        "Gather" => Verb::Gather(gather(el, path)?),
        "Hangup" => {
            Attrs::new(el, path).finish()?;
            no_content(el, path)?;
            Verb::Hangup
        }
        "Redirect" => Verb::Redirect(redirect(el, path)?),
        "Reject" => Verb::Reject(reject(el, path)?),
        "Enqueue" => Verb::Enqueue(enqueue(el, path)?),
        "Leave" => {
            Attrs::new(el, path).finish()?;
            no_content(el, path)?;
            Verb::Leave
        }
        "Message" => {
            return Err(invalid(
                path,
                "<Message> is a messaging verb; it is not allowed in a voice response",
            ))
        }
        name if DIAL_NOUNS.contains(&name) => {
            return Err(invalid(
                path,
                format!("<{name}> is only allowed inside <Dial>"),
            ))
        }
        name if UNSUPPORTED_VERBS.contains(&name) => {
            return Err(invalid(
                path,
                format!("<{name}> is not supported (supported voice verbs: {VOICE_VERBS})"),
            ))
        }
        name => {
            return Err(invalid(
                path,
                format!("unknown verb <{name}> (voice verbs: {VOICE_VERBS})"),
            ))
        }
    })
}

fn say(el: &Element, path: &str) -> Result<Say, ReadError> {
    let mut attrs = Attrs::new(el, path);
    let say = Say {
        voice: attrs.choice(
            "voice",
            parse_voice,
            "man, woman, alice, Polly.<Name> or Google.<voice>",
        )?,
        language: attrs.text("language"),
        loop_count: attrs.number("loop")?,
        text: text_only(el, path)?,
    };
    attrs.finish()?;
    Ok(say)
}

fn play(el: &Element, path: &str) -> Result<Play, ReadError> {
    let mut attrs = Attrs::new(el, path);
    let play = Play {
        loop_count: attrs.number("loop")?,
        digits: attrs.text("digits"),
        url: text_only(el, path)?,
    };
    attrs.finish()?;
    Ok(play)
}

fn pause(el: &Element, path: &str) -> Result<Pause, ReadError> {
    let mut attrs = Attrs::new(el, path);
    let pause = Pause {
        length: attrs.number("length")?,
    };
    attrs.finish()?;
    no_content(el, path)?;
    Ok(pause)
}

fn record(el: &Element, path: &str) -> Result<Record, ReadError> {
    let mut a = Attrs::new(el, path);
    let record = Record {
        action: a.text("action"),
        method: a.method("method")?,
        timeout: a.number("timeout")?,
        finish_on_key: a.text("finishOnKey"),
        max_length: a.number("maxLength")?,
        play_beep: a.boolean("playBeep")?,
        trim: a.choice("trim", parse_trim, "trim-silence or do-not-trim")?,
        recording_status_callback: a.text("recordingStatusCallback"),
        recording_status_callback_method: a.method("recordingStatusCallbackMethod")?,
        recording_status_callback_event: a.text("recordingStatusCallbackEvent"),
        transcribe: a.boolean("transcribe")?,
        transcribe_callback: a.text("transcribeCallback"),
    };
    a.finish()?;
    no_content(el, path)?;
    Ok(record)
}

fn dial(el: &Element, path: &str) -> Result<Dial, ReadError> {
    let mut a = Attrs::new(el, path);
    let mut dial = Dial {
        action: a.text("action"),
        method: a.method("method")?,
        timeout: a.number("timeout")?,
        caller_id: a.text("callerId"),
        record: a.choice(
            "record",
            parse_dial_record,
            "do-not-record, record-from-answer, record-from-ringing, record-from-answer-dual, \
             record-from-ringing-dual, true or false",
        )?,
        answer_on_bridge: a.boolean("answerOnBridge")?,
        hangup_on_star: a.boolean("hangupOnStar")?,
        time_limit: a.number("timeLimit")?,
        ring_tone: a.text("ringTone"),
        trim: a.choice("trim", parse_trim, "trim-silence or do-not-trim")?,
        recording_status_callback: a.text("recordingStatusCallback"),
        recording_status_callback_method: a.method("recordingStatusCallbackMethod")?,
        recording_status_callback_event: a.text("recordingStatusCallbackEvent"),
        sequential: a.boolean("sequential")?,
        targets: Vec::new(),
    };
    a.finish()?;
    if !has_elements(el) {
        let number = concat_text(el);
        if !number.is_empty() {
            dial.targets.push(DialTarget::Text(number));
        }
        return Ok(dial);
    }
    if let Some(text) = stray_text(el) {
        return Err(invalid(
            path,
            format!(
                "text {} next to nouns: a <Dial> holds either a bare number or nouns, not both",
                snippet(text)
            ),
        ));
    }
    for (child, child_path) in child_elements(el, path) {
        let target = match child.name.as_str() {
            "Number" => DialTarget::Number(number(child, &child_path)?),
            "Client" => DialTarget::Client(client(child, &child_path)?),
            "Conference" => DialTarget::Conference(conference(child, &child_path)?),
            "Queue" => DialTarget::Queue(queue(child, &child_path)?),
            "Sip" => DialTarget::Sip(sip(child, &child_path)?),
            name => {
                return Err(invalid(
                    &child_path,
                    format!(
                        "<{name}> is not allowed inside <Dial> \
                         (only Number, Client, Conference, Queue and Sip)"
                    ),
                ))
            }
        };
        dial.targets.push(target);
    }
    Ok(dial)
}

fn callbacks(a: &mut Attrs<'_>) -> Result<NounCallbacks, ReadError> {
    Ok(NounCallbacks {
        url: a.text("url"),
        method: a.method("method")?,
        status_callback_event: a.text("statusCallbackEvent"),
        status_callback: a.text("statusCallback"),
        status_callback_method: a.method("statusCallbackMethod")?,
    })
}

fn number(el: &Element, path: &str) -> Result<Number, ReadError> {
    let mut a = Attrs::new(el, path);
    let number = Number {
        send_digits: a.text("sendDigits"),
        callbacks: callbacks(&mut a)?,
        number: text_only(el, path)?,
    };
    a.finish()?;
    Ok(number)
}

fn client(el: &Element, path: &str) -> Result<Client, ReadError> {
    let mut a = Attrs::new(el, path);
    let mut client = Client {
        callbacks: callbacks(&mut a)?,
        ..Client::default()
    };
    a.finish()?;
    if !has_elements(el) {
        client.identity = concat_text(el);
        return Ok(client);
    }
    if let Some(text) = stray_text(el) {
        return Err(invalid(
            path,
            format!(
                "text {} next to <Identity>/<Parameter>: put the identity in <Identity>",
                snippet(text)
            ),
        ));
    }
    let mut seen_identity = false;
    for (child, child_path) in child_elements(el, path) {
        match child.name.as_str() {
            "Identity" if seen_identity => {
                return Err(invalid(
                    &child_path,
                    "a <Client> has at most one <Identity>",
                ))
            }
            "Identity" => {
                Attrs::new(child, &child_path).finish()?;
                client.identity = text_only(child, &child_path)?;
                seen_identity = true;
            }
            "Parameter" => {
                let mut a = Attrs::new(child, &child_path);
                let parameter = (a.required("name")?, a.required("value")?);
                a.finish()?;
                no_content(child, &child_path)?;
                client.parameters.push(parameter);
            }
            name => {
                return Err(invalid(
                    &child_path,
                    format!(
                        "<{name}> is not allowed inside <Client> (only Identity and Parameter)"
                    ),
                ))
            }
        }
    }
    Ok(client)
}

fn conference(el: &Element, path: &str) -> Result<Conference, ReadError> {
    let mut a = Attrs::new(el, path);
    let conference = Conference {
        muted: a.boolean("muted")?,
        beep: a.text("beep"),
        start_conference_on_enter: a.boolean("startConferenceOnEnter")?,
        end_conference_on_exit: a.boolean("endConferenceOnExit")?,
        wait_url: a.text("waitUrl"),
        wait_method: a.method("waitMethod")?,
        max_participants: a.number("maxParticipants")?,
        status_callback: a.text("statusCallback"),
        status_callback_event: a.text("statusCallbackEvent"),
        status_callback_method: a.method("statusCallbackMethod")?,
        name: text_only(el, path)?,
    };
    a.finish()?;
    Ok(conference)
}

fn queue(el: &Element, path: &str) -> Result<Queue, ReadError> {
    let mut a = Attrs::new(el, path);
    let queue = Queue {
        url: a.text("url"),
        method: a.method("method")?,
        name: text_only(el, path)?,
    };
    a.finish()?;
    Ok(queue)
}

fn sip(el: &Element, path: &str) -> Result<Sip, ReadError> {
    let mut a = Attrs::new(el, path);
    let sip = Sip {
        username: a.text("username"),
        password: a.text("password"),
        callbacks: callbacks(&mut a)?,
        uri: text_only(el, path)?,
    };
    a.finish()?;
    Ok(sip)
}

fn gather(el: &Element, path: &str) -> Result<Gather, ReadError> {
    let mut a = Attrs::new(el, path);
    let mut gather = Gather {
        input: a.text("input"),
        action: a.text("action"),
        method: a.method("method")?,
        timeout: a.number("timeout")?,
        finish_on_key: a.text("finishOnKey"),
        num_digits: a.number("numDigits")?,
        speech_timeout: a.text("speechTimeout"),
        hints: a.text("hints"),
        language: a.text("language"),
        action_on_empty_result: a.boolean("actionOnEmptyResult")?,
        children: Vec::new(),
    };
    a.finish()?;
    for (child, child_path) in elements(el, path)? {
        let child = match child.name.as_str() {
            "Say" => GatherChild::Say(say(child, &child_path)?),
            "Play" => {
                let play = play(child, &child_path)?;
                if play.digits.is_some() {
                    return Err(invalid(
                        &child_path,
                        "attribute `digits` is not allowed on a <Play> inside <Gather>",
                    ));
                }
                GatherChild::Play(play)
            }
            "Pause" => GatherChild::Pause(pause(child, &child_path)?),
            name => {
                return Err(invalid(
                    &child_path,
                    format!("<{name}> is not allowed inside <Gather> (only Say, Play and Pause)"),
                ))
            }
        };
        gather.children.push(child);
    }
    Ok(gather)
}

fn redirect(el: &Element, path: &str) -> Result<Redirect, ReadError> {
    let mut a = Attrs::new(el, path);
    let redirect = Redirect {
        method: a.method("method")?,
        url: text_only(el, path)?,
    };
    a.finish()?;
    Ok(redirect)
}

fn reject(el: &Element, path: &str) -> Result<Reject, ReadError> {
    let mut a = Attrs::new(el, path);
    let reject = Reject {
        reason: a.choice("reason", parse_reject_reason, "rejected or busy")?,
    };
    a.finish()?;
    no_content(el, path)?;
    Ok(reject)
}

fn enqueue(el: &Element, path: &str) -> Result<Enqueue, ReadError> {
    let mut a = Attrs::new(el, path);
    let enqueue = Enqueue {
        action: a.text("action"),
        method: a.method("method")?,
        wait_url: a.text("waitUrl"),
        wait_url_method: a.method("waitUrlMethod")?,
        workflow_sid: a.text("workflowSid"),
        name: text_only(el, path)?,
    };
    a.finish()?;
    Ok(enqueue)
}

fn message(el: &Element, path: &str) -> Result<Message, ReadError> {
    let mut a = Attrs::new(el, path);
    let mut message = Message {
        to: a.text("to"),
        from: a.text("from"),
        action: a.text("action"),
        method: a.method("method")?,
        status_callback: a.text("statusCallback"),
        ..Message::default()
    };
    a.finish()?;
    if !has_elements(el) {
        let body = concat_text(el);
        message.body = (!body.is_empty()).then_some(body);
        return Ok(message);
    }
    if let Some(text) = stray_text(el) {
        return Err(invalid(
            path,
            format!(
                "text {} next to <Body>/<Media>: put the text in <Body>",
                snippet(text)
            ),
        ));
    }
    for (child, child_path) in child_elements(el, path) {
        match child.name.as_str() {
            // Twilio concatenates several <Body> elements.
            "Body" => {
                Attrs::new(child, &child_path).finish()?;
                let text = text_only(child, &child_path)?;
                message.body.get_or_insert_with(String::new).push_str(&text);
            }
            "Media" => {
                Attrs::new(child, &child_path).finish()?;
                message.media.push(text_only(child, &child_path)?);
            }
            name => {
                return Err(invalid(
                    &child_path,
                    format!("<{name}> is not allowed inside <Message> (only Body and Media)"),
                ))
            }
        }
    }
    Ok(message)
}

pub(super) fn invalid(path: &str, message: impl std::fmt::Display) -> ReadError {
    ReadError::Invalid(format!("{path}: {message}"))
}

/// Shows text in an error without flooding it.
pub(super) fn snippet(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{head:?}...")
    }
}

fn has_elements(el: &Element) -> bool {
    el.children.iter().any(|n| matches!(n, Node::Element(_)))
}

fn concat_text(el: &Element) -> String {
    el.children
        .iter()
        .filter_map(|n| match n {
            Node::Text(t) => Some(t.as_str()),
            Node::Element(_) => None,
        })
        .collect()
}

/// The first text between child elements that is not just layout whitespace.
fn stray_text(el: &Element) -> Option<&str> {
    el.children.iter().find_map(|n| match n {
        Node::Text(t) if !is_xml_whitespace(t) => Some(t.as_str()),
        _ => None,
    })
}

/// Child elements with their paths, XPath style: `Response/Say[2]` is the second `<Say>`.
fn child_elements<'a>(el: &'a Element, path: &str) -> Vec<(&'a Element, String)> {
    let mut seen: Vec<(&str, usize)> = Vec::new();
    let mut out = Vec::new();
    for node in &el.children {
        let Node::Element(child) = node else { continue };
        let index = match seen.iter_mut().find(|(name, _)| *name == child.name) {
            Some((_, count)) => {
                *count += 1;
                *count
            }
            None => {
                seen.push((&child.name, 1));
                1
            }
        };
        out.push((child, format!("{path}/{}[{index}]", child.name)));
    }
    out
}

/// Child elements of an element that holds only elements (text there must be layout).
fn elements<'a>(el: &'a Element, path: &str) -> Result<Vec<(&'a Element, String)>, ReadError> {
    if let Some(text) = stray_text(el) {
        return Err(invalid(
            path,
            format!(
                "text {} is not allowed directly inside <{}>",
                snippet(text),
                el.name
            ),
        ));
    }
    Ok(child_elements(el, path))
}

/// The content of an element that holds only text, kept exactly.
fn text_only(el: &Element, path: &str) -> Result<String, ReadError> {
    if let Some((child, child_path)) = child_elements(el, path).into_iter().next() {
        return Err(invalid(
            &child_path,
            format!(
                "<{}> is not allowed inside <{}>, which holds only text",
                child.name, el.name
            ),
        ));
    }
    Ok(concat_text(el))
}

/// Checks an element that takes no content (layout whitespace aside).
fn no_content(el: &Element, path: &str) -> Result<(), ReadError> {
    if let Some((child, child_path)) = elements(el, path)?.into_iter().next() {
        return Err(invalid(
            &child_path,
            format!(
                "<{}> is not allowed inside <{}>, which takes no content",
                child.name, el.name
            ),
        ));
    }
    Ok(())
}
