//! The gateway's behaviour without I/O: what each stanza from the server means (the target's
//! presence, a text to send, something to refuse or answer) and the stanzas vbx sends. Each
//! contact is `<number>@<component>`; the component itself subscribes to the target.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use twilio::PhoneNumber;

use super::jid::{self, Jid};
use super::stream::{Element, NS_COMPONENT, NS_STANZAS};

/// XEP-0172 user nickname.
/// XEP-0359: unique and stable stanza ids.
pub const NS_SID: &str = "urn:xmpp:sid:0";
pub const NS_NICK: &str = "http://jabber.org/protocol/nick";
/// XEP-0066 out-of-band data.
pub const NS_OOB: &str = "jabber:x:oob";
pub const NS_DISCO_INFO: &str = "http://jabber.org/protocol/disco#info";
pub const NS_PING: &str = "urn:xmpp:ping";
/// Twilio takes at most this many media URLs per message.
pub const MAX_MEDIA: usize = 10;

/// What an `xmpp` outbox row carries (written by `record.rs` for a text a flow delivered to
/// the device, and by this device for its own notices).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct XmppPayload {
    pub device: String,
    /// The number (or sender id) the text is from; the stanza comes from its JID.
    pub from: String,
    #[serde(default)]
    pub from_name: Option<String>,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub media: Vec<String>,
}

/// What a stanza from the server asks of the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Write this stanza.
    Send(Element),
    /// The target wants an SMS sent from the vbx number.
    Sms {
        to: PhoneNumber,
        body: String,
        media: Vec<String>,
    },
    /// The target became available (`true`) or has no available resource left (`false`).
    Online(bool),
}

#[derive(Debug, Clone)]
pub struct Gateway {
    /// The component's domain, lowercase.
    component: String,
    /// The target's bare JID, case-folded.
    target: String,
    number: PhoneNumber,
    contacts: BTreeMap<PhoneNumber, String>,
    /// The target's available resources (full JIDs).
    resources: BTreeSet<String>,
}

impl Gateway {
    pub fn new(
        component: &str,
        target: &str,
        number: PhoneNumber,
        contacts: BTreeMap<PhoneNumber, String>,
    ) -> Gateway {
        Gateway {
            component: component.trim_end_matches('.').to_lowercase(),
            target: jid::bare(target),
            number,
            contacts,
            resources: BTreeSet::new(),
        }
    }

    /// Replaces the contacts shown in the roster (used from the next connection on).
    pub fn set_contacts(&mut self, contacts: BTreeMap<PhoneNumber, String>) {
        self.contacts = contacts;
    }

    pub fn component(&self) -> &str {
        &self.component
    }

    pub fn target(&self) -> &str {
        &self.target
    }

    /// Whether any resource of the target is available.
    pub fn online(&self) -> bool {
        !self.resources.is_empty()
    }

    /// The JID a number (or any sender id) appears as.
    pub fn jid_of(&self, sender: &str) -> String {
        // An empty local part is no JID, and the server would drop the connection over it.
        let sender = if sender.trim().is_empty() {
            "unknown"
        } else {
            sender
        };
        format!("{}@{}", jid::escape_local(sender), self.component)
    }

    /// The number a local part names, read the way people type numbers.
    pub fn number_of(local: &str) -> Option<PhoneNumber> {
        PhoneNumber::parse_lenient(&jid::unescape_local(local)).ok()
    }

    fn nick_of(&self, number: &PhoneNumber) -> Option<&str> {
        self.contacts.get(number).map(String::as_str)
    }

    /// What to send once the handshake succeeded: ask the target for its presence (the
    /// component subscribes; the owner approves it once), and offer each contact's
    /// subscription with its nickname so the contacts can sit in the owner's roster. A
    /// server answers a subscription already approved by itself, so repeating them on every
    /// connection does not bother the owner.
    pub fn on_connect(&mut self) -> Vec<Element> {
        self.resources.clear();
        // The probe goes first: a server answers a probe from an unapproved JID with
        // `unsubscribed` on the owner's behalf, which would cancel a request sent before it.
        let mut out = vec![
            self.presence(&self.component, &self.target, Some("probe"), None),
            self.presence(&self.component, &self.target, Some("subscribe"), None),
        ];
        for (number, name) in &self.contacts {
            out.push(self.presence(
                &self.jid_of(number.as_str()),
                &self.target,
                Some("subscribe"),
                Some(name),
            ));
        }
        out
    }

    /// The connection is gone: nothing is known about the target any more. Returns whether
    /// it was online.
    pub fn on_disconnect(&mut self) -> bool {
        let was = self.online();
        self.resources.clear();
        was
    }

    /// Unavailable presence for every JID vbx showed, sent before closing the stream.
    pub fn farewell(&self) -> Vec<Element> {
        let mut out = vec![self.presence(&self.component, &self.target, Some("unavailable"), None)];
        for number in self.contacts.keys() {
            out.push(self.presence(
                &self.jid_of(number.as_str()),
                &self.target,
                Some("unavailable"),
                None,
            ));
        }
        out
    }

    pub fn on_stanza(&mut self, stanza: &Element) -> Vec<Outcome> {
        if stanza.ns != NS_COMPONENT {
            return Vec::new();
        }
        match stanza.name.as_str() {
            "presence" => self.on_presence(stanza),
            "message" => self.on_message(stanza),
            "iq" => self.on_iq(stanza),
            _ => Vec::new(),
        }
    }

    /// A text from outside, to the target, from the sender's JID: the body with each media
    /// URL on its own line, the contact's name (XEP-0172) and the media as out-of-band data
    /// (XEP-0066). The id, also as XEP-0359's origin-id, is the same each time the text is
    /// sent, so a client can drop a copy delivered twice (a text the server handled but whose
    /// acknowledgement a broken connection lost is sent again).
    pub fn text(&self, id: &str, text: &XmppPayload) -> Element {
        let mut body = text.body.clone();
        for url in &text.media {
            if !body.is_empty() {
                body.push('\n');
            }
            body.push_str(url);
        }
        let nick = text.from_name.clone().or_else(|| {
            PhoneNumber::parse(&text.from)
                .ok()
                .and_then(|n| self.nick_of(&n).map(str::to_owned))
        });
        let mut message = self
            .chat(&self.jid_of(&text.from), &self.target, &body)
            .with_attr("id", id)
            .with_child(Element::new("origin-id", NS_SID).with_attr("id", id));
        if let Some(nick) = nick {
            message = message.with_child(Element::new("nick", NS_NICK).with_text(nick));
        }
        for url in &text.media {
            message = message.with_child(
                Element::new("x", NS_OOB).with_child(Element::new("url", NS_OOB).with_text(url)),
            );
        }
        message
    }

    /// A chat message.
    pub fn chat(&self, from: &str, to: &str, body: &str) -> Element {
        Element::new("message", NS_COMPONENT)
            .with_attr("type", "chat")
            .with_attr("from", from)
            .with_attr("to", to)
            .with_child(Element::new("body", NS_COMPONENT).with_text(body))
    }

    fn presence(&self, from: &str, to: &str, kind: Option<&str>, nick: Option<&str>) -> Element {
        let mut presence = Element::new("presence", NS_COMPONENT)
            .with_attr("from", from)
            .with_attr("to", to);
        if let Some(kind) = kind {
            presence.set_attr("type", kind);
        }
        if let Some(nick) = nick {
            presence = presence.with_child(Element::new("nick", NS_NICK).with_text(nick));
        }
        presence
    }

    /// Available presence of a gateway JID (the component or a number, as `jid`), with its
    /// nickname.
    fn available(&self, jid: &str, addressed: &Addressed, to: &str) -> Element {
        match addressed {
            Addressed::Component => {
                let nick = format!("SMS {}", self.number);
                self.presence(jid, to, None, Some(&nick))
            }
            Addressed::Number(number) => self.presence(jid, to, None, self.nick_of(number)),
        }
    }

    /// Available presence of the component and every contact, for a resource that just came
    /// online.
    fn roster_presence(&self, to: &str) -> Vec<Outcome> {
        let mut out = vec![Outcome::Send(self.available(
            &self.component,
            &Addressed::Component,
            to,
        ))];
        for number in self.contacts.keys() {
            out.push(Outcome::Send(self.available(
                &self.jid_of(number.as_str()),
                &Addressed::Number(number.clone()),
                to,
            )));
        }
        out
    }

    fn addressed(&self, to: &str) -> Option<Addressed> {
        let to = Jid::parse(to);
        if !to.on_domain(&self.component) {
            return None;
        }
        match to.local {
            None => Some(Addressed::Component),
            Some(local) => Gateway::number_of(local).map(Addressed::Number),
        }
    }

    fn on_presence(&mut self, stanza: &Element) -> Vec<Outcome> {
        let from = stanza.attr("from").unwrap_or_default();
        let to = stanza.attr("to").unwrap_or_default();
        let kind = stanza.attr("type");
        if jid::bare(from) != self.target {
            if kind == Some("subscribe") {
                tracing::info!(%from, "refused a presence subscription from someone other than the target");
                return vec![Outcome::Send(self.presence(
                    to,
                    &jid::bare(from),
                    Some("unsubscribed"),
                    None,
                ))];
            }
            return Vec::new();
        }
        match kind {
            None => {
                let was_online = self.online();
                if !self.resources.insert(from.to_owned()) {
                    return Vec::new();
                }
                let mut out = Vec::new();
                if !was_online {
                    out.push(Outcome::Online(true));
                }
                out.extend(self.roster_presence(from));
                out
            }
            Some("unavailable") => {
                let was_online = self.online();
                if Jid::parse(from).resource.is_some() {
                    self.resources.remove(from);
                } else {
                    self.resources.clear();
                }
                if was_online && !self.online() {
                    vec![Outcome::Online(false)]
                } else {
                    Vec::new()
                }
            }
            Some("subscribe") => match self.addressed(to) {
                Some(addressed) => vec![
                    Outcome::Send(self.presence(to, &self.target, Some("subscribed"), None)),
                    Outcome::Send(self.available(to, &addressed, &self.target)),
                ],
                None => vec![Outcome::Send(self.presence(
                    to,
                    &self.target,
                    Some("unsubscribed"),
                    None,
                ))],
            },
            Some("unsubscribe") => {
                vec![Outcome::Send(self.presence(
                    to,
                    &self.target,
                    Some("unsubscribed"),
                    None,
                ))]
            }
            Some("probe") => match self.addressed(to) {
                Some(addressed) => vec![Outcome::Send(self.available(to, &addressed, from))],
                None => Vec::new(),
            },
            Some("unsubscribed") if Jid::parse(to).local.is_none() => {
                tracing::warn!(
                    target_jid = %self.target,
                    "the target has not approved (or has revoked) the gateway's presence \
                     subscription; vbx cannot see when it is online until it is approved"
                );
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn on_message(&mut self, stanza: &Element) -> Vec<Outcome> {
        let from = stanza.attr("from").unwrap_or_default();
        let to = stanza.attr("to").unwrap_or_default();
        let kind = stanza.attr("type").unwrap_or("normal");
        if !matches!(kind, "chat" | "normal") {
            // Errors are never answered (no loops); group chat and headlines are not texts.
            if kind == "error" {
                tracing::debug!(%from, %to, "error message from the XMPP server");
            }
            return Vec::new();
        }
        if jid::bare(from) != self.target {
            tracing::warn!(%from, %to, "refused a message from someone other than the target");
            return vec![Outcome::Send(self.message_error(stanza))];
        }
        let to_jid = Jid::parse(to);
        if !to_jid.on_domain(&self.component) {
            return Vec::new();
        }
        let mut body = stanza
            .child("body", NS_COMPONENT)
            .map(Element::text)
            .unwrap_or_default();
        let media: Vec<String> = stanza
            .children_named("x", NS_OOB)
            .filter_map(|x| x.child("url", NS_OOB))
            .map(|url| url.text().trim().to_owned())
            .filter(|url| is_web_url(url))
            .collect();
        // Clients that share a file put its URL in the body too; once is enough.
        if media.iter().any(|url| url == body.trim()) {
            body.clear();
        }
        if body.trim().is_empty() && media.is_empty() {
            // Chat states, receipts, markers: nothing to text.
            return Vec::new();
        }
        let Some(local) = to_jid.local else {
            let help = format!(
                "This is the SMS gateway of {}. To text a number, write to it at this \
                 gateway, e.g. +14155550100@{}.",
                self.number, self.component
            );
            return vec![Outcome::Send(self.chat(&self.component, from, &help))];
        };
        let Some(number) = Gateway::number_of(local) else {
            let shown = jid::unescape_local(local);
            let help = format!(
                "Not sent: \"{shown}\" is not a phone number. Write to the number in \
                 international form, e.g. +14155550100@{}.",
                self.component
            );
            return vec![Outcome::Send(self.chat(to, from, &help))];
        };
        let mut media = media;
        if media.len() > MAX_MEDIA {
            tracing::warn!(
                count = media.len(),
                "a message had more media than an MMS carries; sending the first {MAX_MEDIA}"
            );
            media.truncate(MAX_MEDIA);
        }
        vec![Outcome::Sms {
            to: number,
            body,
            media,
        }]
    }

    fn on_iq(&mut self, stanza: &Element) -> Vec<Outcome> {
        let kind = stanza.attr("type").unwrap_or_default();
        if !matches!(kind, "get" | "set") {
            return Vec::new();
        }
        let from = stanza.attr("from").unwrap_or_default();
        let to = stanza.attr("to").unwrap_or_default();
        let mut reply = Element::new("iq", NS_COMPONENT)
            .with_attr("from", to)
            .with_attr("to", from)
            .with_attr("id", stanza.attr("id").unwrap_or_default());
        let payload = stanza.elements().next();
        let to_component = Jid::parse(to).local.is_none();
        match payload {
            Some(p) if kind == "get" && p.is("ping", NS_PING) => reply.set_attr("type", "result"),
            Some(p) if kind == "get" && p.is("query", NS_DISCO_INFO) && to_component => {
                reply.set_attr("type", "result");
                let identity = Element::new("identity", NS_DISCO_INFO)
                    .with_attr("category", "gateway")
                    .with_attr("type", "sms")
                    .with_attr("name", format!("SMS {}", self.number));
                let mut query = Element::new("query", NS_DISCO_INFO).with_child(identity);
                for feature in [NS_DISCO_INFO, NS_PING] {
                    query = query.with_child(
                        Element::new("feature", NS_DISCO_INFO).with_attr("var", feature),
                    );
                }
                reply = reply.with_child(query);
            }
            _ => {
                reply.set_attr("type", "error");
                reply = reply.with_child(stanza_error("cancel", "service-unavailable", None));
            }
        }
        vec![Outcome::Send(reply)]
    }

    /// The refusal of a message from someone other than the target.
    fn message_error(&self, stanza: &Element) -> Element {
        let mut error = Element::new("message", NS_COMPONENT)
            .with_attr("type", "error")
            .with_attr("from", stanza.attr("to").unwrap_or(&self.component))
            .with_attr("to", stanza.attr("from").unwrap_or_default());
        if let Some(id) = stanza.attr("id") {
            error.set_attr("id", id);
        }
        error.with_child(stanza_error(
            "auth",
            "forbidden",
            Some("This SMS gateway serves only its owner."),
        ))
    }
}

/// Who a stanza to the gateway is for.
#[derive(Debug, Clone)]
enum Addressed {
    Component,
    Number(PhoneNumber),
}

fn stanza_error(kind: &str, condition: &str, text: Option<&str>) -> Element {
    let mut error = Element::new("error", NS_COMPONENT)
        .with_attr("type", kind)
        .with_child(Element::new(condition, NS_STANZAS));
    if let Some(text) = text {
        error = error.with_child(Element::new("text", NS_STANZAS).with_text(text));
    }
    error
}

/// Twilio fetches media itself, so only web URLs can become MMS media.
fn is_web_url(text: &str) -> bool {
    url::Url::parse(text).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

#[cfg(test)]
mod tests;
