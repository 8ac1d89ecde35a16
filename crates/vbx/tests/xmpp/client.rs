//! A small XMPP client for the tests: plain c2s to the test Prosody, SASL PLAIN, resource
//! binding, then stanzas. It approves presence subscriptions and answers roster pushes as a
//! client would, and keeps what it receives for the assertions.

use std::time::Duration;

use base64::Engine as _;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use vbx::device::xmpp::stream::{
    stream_header, Element, StreamEvent, XmlReader, XmlWriter, NS_CLIENT, STREAM_FOOTER,
};

const NS_SASL: &str = "urn:ietf:params:xml:ns:xmpp-sasl";
const NS_BIND: &str = "urn:ietf:params:xml:ns:xmpp-bind";
const NS_ROSTER: &str = "jabber:iq:roster";
pub const NS_NICK: &str = "http://jabber.org/protocol/nick";
pub const NS_OOB: &str = "jabber:x:oob";
pub const NS_STANZAS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";

/// How long a test waits for a stanza before it fails.
pub const PATIENCE: Duration = Duration::from_secs(30);

pub struct Client {
    /// The bound full JID.
    pub jid: String,
    writer: XmlWriter<OwnedWriteHalf>,
    stanzas: mpsc::UnboundedReceiver<Element>,
    /// Everything received so far, for failure messages.
    pub seen: Vec<String>,
}

async fn expect_open(reader: &mut XmlReader<tokio::net::tcp::OwnedReadHalf>) {
    match reader.next().await.expect("stream header") {
        StreamEvent::Open(_) => {}
        other => panic!("expected a stream header, got {other:?}"),
    }
}

async fn expect_element(reader: &mut XmlReader<tokio::net::tcp::OwnedReadHalf>) -> Element {
    match reader.next().await.expect("an element") {
        StreamEvent::Element(e) => e,
        other => panic!("expected an element, got {other:?}"),
    }
}

impl Client {
    /// Logs in as `jid` (user@localhost) with `resource` on Prosody's c2s port.
    pub async fn login(port: u16, jid: &str, password: &str, resource: &str) -> Client {
        tokio::time::timeout(PATIENCE, Client::login_now(port, jid, password, resource))
            .await
            .unwrap_or_else(|_| panic!("logging in as {jid} timed out"))
    }

    async fn login_now(port: u16, jid: &str, password: &str, resource: &str) -> Client {
        let (user, domain) = jid.split_once('@').expect("user@domain");
        let tcp = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connecting to Prosody's c2s port");
        let (read, write) = tcp.into_split();
        let mut reader = XmlReader::new(read);
        let mut writer = XmlWriter::new(write, NS_CLIENT);

        writer
            .send_raw(&stream_header(NS_CLIENT, domain, true))
            .await
            .unwrap();
        expect_open(&mut reader).await;
        let features = expect_element(&mut reader).await;
        let plain = features
            .child("mechanisms", NS_SASL)
            .is_some_and(|m| m.elements().any(|e| e.text() == "PLAIN"));
        assert!(plain, "Prosody offers no PLAIN: {features:?}");
        let token =
            base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"));
        writer
            .send(
                &Element::new("auth", NS_SASL)
                    .with_attr("mechanism", "PLAIN")
                    .with_text(token),
            )
            .await
            .unwrap();
        let outcome = expect_element(&mut reader).await;
        assert!(outcome.is("success", NS_SASL), "login refused: {outcome:?}");

        writer
            .send_raw(&stream_header(NS_CLIENT, domain, true))
            .await
            .unwrap();
        expect_open(&mut reader).await;
        let _features = expect_element(&mut reader).await;
        writer
            .send(
                &Element::new("iq", NS_CLIENT)
                    .with_attr("type", "set")
                    .with_attr("id", "bind")
                    .with_child(
                        Element::new("bind", NS_BIND)
                            .with_child(Element::new("resource", NS_BIND).with_text(resource)),
                    ),
            )
            .await
            .unwrap();
        let bound = expect_element(&mut reader).await;
        let full = bound
            .child("bind", NS_BIND)
            .and_then(|b| b.child("jid", NS_BIND))
            .map(Element::text)
            .unwrap_or_else(|| panic!("binding failed: {bound:?}"));

        let (tx, stanzas) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok(StreamEvent::Element(e)) = reader.next().await {
                if tx.send(e).is_err() {
                    return;
                }
            }
        });
        Client {
            jid: full,
            writer,
            stanzas,
            seen: Vec::new(),
        }
    }

    pub async fn send(&mut self, stanza: Element) {
        self.writer.send(&stanza).await.expect("writing to Prosody");
    }

    /// Initial (or renewed) available presence.
    pub async fn available(&mut self) {
        self.send(Element::new("presence", NS_CLIENT)).await;
    }

    pub async fn unavailable(&mut self) {
        self.send(Element::new("presence", NS_CLIENT).with_attr("type", "unavailable"))
            .await;
    }

    /// A chat message, with out-of-band URLs.
    pub async fn chat(&mut self, to: &str, body: &str, oob: &[&str]) {
        let mut message = Element::new("message", NS_CLIENT)
            .with_attr("type", "chat")
            .with_attr("to", to)
            .with_attr("id", format!("c{}", self.seen.len()))
            .with_child(Element::new("body", NS_CLIENT).with_text(body));
        for url in oob {
            message = message.with_child(
                Element::new("x", NS_OOB).with_child(Element::new("url", NS_OOB).with_text(*url)),
            );
        }
        self.send(message).await;
    }

    /// Waits for a stanza `matches` accepts, approving subscriptions and answering roster
    /// pushes meanwhile; stanzas that do not match are kept in `seen` and skipped.
    pub async fn wait_for(&mut self, what: &str, matches: impl Fn(&Element) -> bool) -> Element {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let next = tokio::time::timeout_at(deadline, self.stanzas.recv()).await;
            let stanza = match next {
                Ok(Some(stanza)) => stanza,
                Ok(None) => panic!(
                    "{}: the connection closed while waiting for {what}; seen:\n{}",
                    self.jid,
                    self.seen.join("\n")
                ),
                Err(_) => panic!(
                    "{}: timed out waiting for {what}; seen:\n{}",
                    self.jid,
                    self.seen.join("\n")
                ),
            };
            self.seen.push(stanza.to_xml(NS_CLIENT));
            self.auto_reply(&stanza).await;
            if matches(&stanza) {
                return stanza;
            }
        }
    }

    async fn auto_reply(&mut self, stanza: &Element) {
        let from = stanza.attr("from").unwrap_or_default().to_owned();
        if stanza.is("presence", NS_CLIENT) && stanza.attr("type") == Some("subscribe") {
            self.send(
                Element::new("presence", NS_CLIENT)
                    .with_attr("type", "subscribed")
                    .with_attr("to", &from),
            )
            .await;
        }
        if stanza.is("iq", NS_CLIENT)
            && stanza.attr("type") == Some("set")
            && stanza.child("query", NS_ROSTER).is_some()
        {
            let mut result = Element::new("iq", NS_CLIENT).with_attr("type", "result");
            if let Some(id) = stanza.attr("id") {
                result.set_attr("id", id);
            }
            self.send(result).await;
        }
    }

    pub async fn close(mut self) {
        let _ = self.writer.send_raw(STREAM_FOOTER).await;
    }
}

/// The text of a child element, if present.
pub fn child_text(stanza: &Element, name: &str, ns: &str) -> Option<String> {
    stanza.child(name, ns).map(Element::text)
}

pub fn is_from(stanza: &Element, name: &str, from: &str) -> bool {
    stanza.is(name, NS_CLIENT)
        && stanza
            .attr("from")
            .is_some_and(|f| f.split('/').next() == Some(from))
}
