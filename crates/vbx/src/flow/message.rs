//! Message flows: runs the steps of `messages[alias]` into messaging TwiML for a text from an
//! outside number (texts from a forwarding number go through `relay.rs` instead).

use chrono::{DateTime, Utc};
use twilio::twiml::{self, MessagingVerb};

use super::{
    contact_name, pick_device, Contacts, Effect, FlowError, Forwarded, Media, MessageOutcome,
    Presence, Urls,
};
use crate::config::{Action, Alias, Config, Device};

/// An incoming text, as far as the engine cares.
#[derive(Debug, Clone, Copy)]
pub struct MessageRequest<'a> {
    pub alias: &'a Alias,
    pub from: &'a str,
    pub to: &'a str,
    pub body: &'a str,
    pub media: &'a [Media],
    /// Who is who: names in forwarded texts, `@Name` in the relay.
    pub contacts: &'a Contacts,
    /// When the text came (business hours).
    pub now: DateTime<Utc>,
}

/// Runs the alias's message flow for a text from an outside number.
pub fn run_message(
    config: &Config,
    presence: &dyn Presence,
    req: &MessageRequest<'_>,
) -> Result<MessageOutcome, FlowError> {
    let steps = config
        .messages
        .get(req.alias)
        .ok_or_else(|| FlowError::UnknownAlias {
            kind: "message",
            alias: req.alias.to_string(),
        })?;
    let urls = Urls::new(config);
    let mut out = MessageOutcome::default();
    for step in steps {
        let completed = match &step.action {
            Action::Device { devices, .. } => deliver(config, presence, req, devices, &mut out),
            Action::Hours(hours) => hours.is_open(req.now),
            Action::Message { text, to } => {
                out.twiml.push(MessagingVerb::Message(twiml::Message {
                    body: Some(text.clone()),
                    to: to.as_ref().map(ToString::to_string),
                    ..Default::default()
                }));
                true
            }
            Action::Redirect { url } => {
                out.twiml.push(MessagingVerb::Redirect(twiml::Redirect {
                    url: urls.redirect(url, |a| urls.message(a)),
                    method: None,
                }));
                break;
            }
            // Validation keeps voice-only steps out of message flows; should one get here
            // anyway it does nothing rather than answer Twilio with voice TwiML.
            _ => false,
        };
        if !completed {
            if let Some(next) = &step.next {
                out.twiml.push(MessagingVerb::Redirect(twiml::Redirect {
                    url: urls.message(next),
                    method: None,
                }));
                break;
            }
        }
    }
    Ok(out)
}

/// Delivers a text to the first usable device of a step. Returns whether one took it.
fn deliver(
    config: &Config,
    presence: &dyn Presence,
    req: &MessageRequest<'_>,
    devices: &[String],
    out: &mut MessageOutcome,
) -> bool {
    let Some((name, device)) = pick_device(config, presence, devices, |_| true) else {
        return false;
    };
    let from_name = contact_name(req.contacts, req.from);
    let forwarded = || Forwarded {
        from: req.from.to_owned(),
        from_name: from_name.clone(),
        body: req.body.to_owned(),
        media: req.media.to_vec(),
    };
    match device {
        // The UI shows every stored text; an online browser has it already.
        Device::Browser { .. } => {}
        Device::Sms { number } => {
            let sender = from_name.as_deref().unwrap_or(req.from);
            out.twiml.push(MessagingVerb::Message(twiml::Message {
                body: Some(format!("From: {sender}\n{}", req.body)),
                media: Media::links(req.media),
                to: Some(number.to_string()),
                ..Default::default()
            }));
            out.effects.push(Effect::SetRelayTarget {
                device: name.to_owned(),
                number: req.from.to_owned(),
            });
        }
        Device::Xmpp(_) => out.effects.push(Effect::Xmpp {
            device: name.to_owned(),
            text: forwarded(),
        }),
        Device::Email(_) => out.effects.push(Effect::Email {
            device: name.to_owned(),
            text: forwarded(),
        }),
    }
    true
}
