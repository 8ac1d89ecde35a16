//! Texts: an incoming text is stored, its number's `SmsUrl` is called with Twilio's parameters
//! and the answer is carried out (`<Message>` verbs become outbound replies, `<Redirect>`
//! fetches the next document, at most 50 per reply session: warning 14106). Outbound messages
//! then go through [`delivery`].

mod delivery;

use twilio::twiml::{self, MessagingVerb, Method};
use twilio::{ApplicationSid, MessageSid};

pub(crate) use delivery::deliver;

use crate::error::SimError;
use crate::fault::DeliveryError;
use crate::hook::{self, Answer, Request};
use crate::resource::media::{self, Fetched};
use crate::resource::{Media, Message, MessageDirection, MessageStatus, API_VERSION};
use crate::sim::SimState;
use crate::{phone, segment, sid, Sim};

const MAX_BODY_CHARS: usize = 1600;
const MAX_MEDIA: usize = 10;

/// A text arriving at one of the account's numbers from anywhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboundText {
    pub from: String,
    /// One of the account's numbers.
    pub to: String,
    pub body: String,
    pub media: Vec<InboundMedia>,
}

/// A picture (or any file) attached to an incoming text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMedia {
    pub content_type: String,
    pub content: Vec<u8>,
}

/// A webhook target: URL and method.
type Target = (String, Method);

pub(crate) fn method_of(name: &str) -> Method {
    if name.eq_ignore_ascii_case("GET") {
        Method::Get
    } else {
        Method::Post
    }
}

impl Sim {
    /// A text arrives at `text.to` (one of the account's numbers): it is stored as an inbound
    /// message (`received`; media as the simulator's media) and its number's messaging webhook
    /// runs in the background. Returns the new message's SID.
    pub fn incoming_message(&self, text: InboundText) -> Result<MessageSid, SimError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            SimError::Invalid("incoming_message needs a running tokio runtime".to_owned())
        })?;
        if text.from.trim().is_empty() {
            return Err(SimError::Invalid(
                "an incoming text needs a sender".to_owned(),
            ));
        }
        if text.body.chars().count() > MAX_BODY_CHARS {
            return Err(SimError::Invalid(format!(
                "a text body holds at most {MAX_BODY_CHARS} characters"
            )));
        }
        if text.media.len() > MAX_MEDIA {
            return Err(SimError::Invalid(format!(
                "a text carries at most {MAX_MEDIA} media"
            )));
        }
        let session = self.with_state(|s| receive(s, text))?;
        let sid = session.sid.clone();
        let sim = self.clone();
        runtime.spawn(async move { session.run(&sim).await });
        Ok(sid)
    }
}

/// Stores the inbound message and prepares its reply session.
fn receive(s: &mut SimState, text: InboundText) -> Result<Session, SimError> {
    let number = s
        .number_by_value(&text.to)
        .cloned()
        .ok_or_else(|| SimError::NotFound(format!("phone number {}", text.to)))?;
    let app = number
        .sms_application_sid
        .as_ref()
        .and_then(|a| s.applications.iter().find(|x| &x.sid == a));
    let (url, fallback) = match app {
        Some(app) => (
            app.sms_url.clone().map(|u| (u, method_of(&app.sms_method))),
            app.sms_fallback_url
                .clone()
                .map(|u| (u, method_of(&app.sms_fallback_method))),
        ),
        None => (
            number
                .sms_url
                .clone()
                .map(|u| (u, method_of(&number.sms_method))),
            number
                .sms_fallback_url
                .clone()
                .map(|u| (u, method_of(&number.sms_fallback_method))),
        ),
    };
    let now = s.now();
    let sid = if text.media.is_empty() {
        sid::sms()
    } else {
        sid::mms()
    };
    let mut media_urls = Vec::new();
    let mut media_params = Vec::new();
    for (n, item) in text.media.into_iter().enumerate() {
        let media = Media {
            sid: sid::media(),
            parent_sid: sid.clone(),
            content_type: item.content_type,
            content: item.content,
            source_url: String::new(),
            date_created: now,
        };
        let url = s.absolute(&media.content_uri(&s.account_sid));
        media_params.push((format!("MediaContentType{n}"), media.content_type.clone()));
        media_params.push((format!("MediaUrl{n}"), url.clone()));
        media_urls.push(url);
        s.media.push(media);
    }
    let num_segments = segment::count(&text.body);
    let mut params: Vec<(String, String)> = [
        ("ToCountry", country(&text.to)),
        ("SmsMessageSid", sid.to_string()),
        ("NumMedia", media_urls.len().to_string()),
        ("SmsSid", sid.to_string()),
        ("SmsStatus", "received".to_owned()),
        ("Body", text.body.clone()),
        ("FromCountry", country(&text.from)),
        ("To", text.to.clone()),
        ("NumSegments", num_segments.to_string()),
        ("MessageSid", sid.to_string()),
        ("AccountSid", s.account_sid.to_string()),
        ("From", text.from.clone()),
        ("ApiVersion", API_VERSION.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    params.extend(media_params);
    s.push_message(Message {
        sid: sid.clone(),
        from: text.from.clone(),
        to: text.to.clone(),
        body: text.body,
        status: MessageStatus::Received,
        direction: MessageDirection::Inbound,
        num_segments,
        media_urls,
        date_created: now,
        date_updated: now,
        date_sent: Some(now),
        error_code: None,
        error_message: None,
        status_callback: None,
        status_callback_method: "POST".to_owned(),
        application_sid: number.sms_application_sid.clone(),
        pending_failure: None,
    });
    if url.is_none() {
        s.trace(sid.as_str())
            .events
            .push("the number has no messaging URL: nothing to call".to_owned());
    }
    Ok(Session {
        sid,
        epoch: s.epoch,
        number: text.to,
        sender: text.from,
        params,
        url,
        fallback,
        max_documents: s.settings.max_message_documents,
    })
}

/// Twilio's country guess for a number: `US` for +1, empty otherwise.
fn country(number: &str) -> String {
    if number.starts_with("+1") {
        "US".to_owned()
    } else {
        String::new()
    }
}

/// What an answer to a messaging webhook asks for.
enum Reply {
    Nothing,
    /// A `text/plain` answer: sent back as a message.
    Text(String),
    Twiml(twiml::MessagingResponse),
    Invalid(u32, String),
}

fn interpret(answer: &Answer) -> Reply {
    if answer.body.trim().is_empty() {
        return Reply::Nothing;
    }
    match hook::media_type(answer.content_type.as_deref()).as_deref() {
        Some("text/plain") => Reply::Text(answer.body.clone()),
        None | Some("text/xml" | "application/xml" | "text/html") => {
            match twiml::read_messaging(&answer.body) {
                Ok(doc) => Reply::Twiml(doc),
                Err(e) => Reply::Invalid(12100, format!("document parse failure: {e}")),
            }
        }
        Some(other) => Reply::Invalid(12300, format!("invalid content type {other}")),
    }
}

/// One incoming text's run through the app's TwiML.
struct Session {
    sid: MessageSid,
    epoch: u64,
    /// The receiving number: the default `from` of replies.
    number: String,
    /// Who sent the text: the default `to` of replies.
    sender: String,
    params: Vec<(String, String)>,
    url: Option<Target>,
    fallback: Option<Target>,
    max_documents: u32,
}

impl Session {
    fn flag(&self, sim: &Sim, id: Option<u64>, code: u32, message: &str) {
        hook::flag(sim, self.sid.as_str(), id, code, message);
    }

    fn request(&self, purpose: &'static str, (url, method): &Target) -> Request {
        Request {
            owner: self.sid.to_string(),
            purpose,
            url: url.clone(),
            method: *method,
            params: self.params.clone(),
        }
    }

    async fn run(self, sim: &Sim) {
        let Some(mut target) = self.url.clone() else {
            return;
        };
        let mut documents = 0;
        loop {
            if documents == self.max_documents {
                self.flag(sim, None, 14106, "too many documents in one reply session");
                return;
            }
            documents += 1;
            let purpose = if documents == 1 { "sms" } else { "redirect" };
            let answer = match hook::send(sim, &self.request(purpose, &target)).await {
                Ok(answer) => answer,
                Err(failure) => match (&self.fallback, documents) {
                    (Some(fallback), 1) => {
                        let mut request = self.request("sms-fallback", fallback);
                        request
                            .params
                            .push(("ErrorCode".to_owned(), failure.code.to_string()));
                        request
                            .params
                            .push(("ErrorUrl".to_owned(), target.0.clone()));
                        match hook::send(sim, &request).await {
                            Ok(answer) => {
                                target = fallback.clone();
                                answer
                            }
                            Err(_) => return,
                        }
                    }
                    _ => return,
                },
            };
            if sim.read_state(|s| s.epoch) != self.epoch {
                return;
            }
            let doc = match interpret(&answer) {
                Reply::Nothing => return,
                Reply::Text(body) => {
                    let message = twiml::Message {
                        body: Some(body),
                        ..twiml::Message::default()
                    };
                    self.reply(sim, message, &target.0).await;
                    return;
                }
                Reply::Invalid(code, message) => {
                    self.flag(sim, Some(answer.id), code, &message);
                    return;
                }
                Reply::Twiml(doc) => doc,
            };
            let mut next = None;
            for verb in doc.verbs {
                match verb {
                    MessagingVerb::Message(message) => {
                        // Verbs after a <Message action> are unreachable.
                        let last = message.action.is_some();
                        self.reply(sim, message, &target.0).await;
                        if last {
                            break;
                        }
                    }
                    MessagingVerb::Redirect(redirect) => {
                        match hook::join(Some(&target.0), &redirect.url) {
                            Ok(url) => next = Some((url, redirect.method.unwrap_or(Method::Post))),
                            Err(f) => self.flag(sim, Some(answer.id), f.code, &f.message),
                        }
                        break;
                    }
                }
            }
            match next {
                Some(t) => target = t,
                None => return,
            }
        }
    }

    /// Sends one `<Message>` (or a plain-text answer) as an outbound reply.
    async fn reply(&self, sim: &Sim, message: twiml::Message, document_url: &str) {
        let to = message.to.unwrap_or_else(|| self.sender.clone());
        let from = message.from.unwrap_or_else(|| self.number.clone());
        let body = message.body.unwrap_or_default();
        if !phone::is_message_address(&to) {
            self.flag(
                sim,
                None,
                14101,
                &format!("'To' attribute is invalid: {to}"),
            );
            return;
        }
        if body.is_empty() && message.media.is_empty() || body.chars().count() > MAX_BODY_CHARS {
            self.flag(sim, None, 14103, "invalid body");
            return;
        }
        if message.media.len() > MAX_MEDIA {
            self.flag(sim, None, 21623, "more than 10 media");
            return;
        }
        let mut media_urls = Vec::new();
        for url in &message.media {
            match hook::join(Some(document_url), url) {
                Ok(url) => media_urls.push(url),
                Err(f) => {
                    self.flag(sim, None, f.code, &f.message);
                    return;
                }
            }
        }
        let callback = match message.action.or(message.status_callback) {
            None => None,
            Some(url) => match hook::join(Some(document_url), &url) {
                Ok(url) => Some(url),
                Err(f) => {
                    self.flag(sim, None, f.code, &f.message);
                    return;
                }
            },
        };
        let mut fetched = Vec::new();
        for url in &media_urls {
            fetched.push(media::fetch(sim, url).await);
        }
        let draft = Draft {
            from,
            to,
            body,
            media_urls,
            fetched,
            direction: MessageDirection::OutboundReply,
            status_callback: callback,
            status_callback_method: match message.method {
                Some(Method::Get) => "GET",
                _ => "POST",
            },
            application_sid: None,
        };
        let sid = sim.with_state(|s| {
            (s.epoch == self.epoch).then(|| {
                let sid = store_outbound(s, draft);
                s.trace(self.sid.as_str())
                    .events
                    .push(format!("reply {sid}"));
                sid
            })
        });
        if let Some(sid) = sid {
            deliver(sim, sid);
        }
    }
}

/// An outbound message about to be stored.
pub(crate) struct Draft {
    pub from: String,
    pub to: String,
    pub body: String,
    pub media_urls: Vec<String>,
    /// The outcome of fetching each media URL.
    pub fetched: Vec<Result<Fetched, String>>,
    pub direction: MessageDirection,
    pub status_callback: Option<String>,
    pub status_callback_method: &'static str,
    pub application_sid: Option<ApplicationSid>,
}

/// Stores an outbound message as `queued`, with its media and the failure armed for its
/// destination (or 11200 if a media URL could not be fetched).
pub(crate) fn store_outbound(s: &mut SimState, draft: Draft) -> MessageSid {
    let now = s.now();
    let sid = if draft.media_urls.is_empty() {
        sid::sms()
    } else {
        sid::mms()
    };
    let media_failed = draft.fetched.iter().any(Result::is_err);
    for item in draft.fetched.into_iter().flatten() {
        s.media.push(Media {
            sid: sid::media(),
            parent_sid: sid.clone(),
            content_type: item.content_type,
            content: item.content,
            source_url: item.url,
            date_created: now,
        });
    }
    let pending_failure = s
        .failing_destinations
        .get(&draft.to)
        .copied()
        .or(media_failed.then_some(DeliveryError::MediaRetrieval));
    s.push_message(Message {
        sid: sid.clone(),
        num_segments: segment::count(&draft.body),
        from: draft.from,
        to: draft.to,
        body: draft.body,
        status: MessageStatus::Queued,
        direction: draft.direction,
        media_urls: draft.media_urls,
        date_created: now,
        date_updated: now,
        date_sent: None,
        error_code: None,
        error_message: None,
        status_callback: draft.status_callback,
        status_callback_method: draft.status_callback_method.to_owned(),
        application_sid: draft.application_sid,
        pending_failure,
    });
    sid
}
