//! XML streams as XMPP uses them (RFC 6120 §4): one long-lived document whose depth-1
//! elements are stanzas. A reader that yields whole elements, an element type, and a writer
//! that escapes every text and attribute it is given.

use std::fmt::Write as _;
use std::io;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

pub const NS_STREAM: &str = "http://etherx.jabber.org/streams";
pub const NS_COMPONENT: &str = "jabber:component:accept";
pub const NS_CLIENT: &str = "jabber:client";
/// Stanza error conditions (RFC 6120 §8.3).
pub const NS_STANZAS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";
/// Stream error conditions (RFC 6120 §4.9).
pub const NS_STREAM_ERRORS: &str = "urn:ietf:params:xml:ns:xmpp-streams";

/// The server is the operator's own (it already limits what clients send), so this only
/// stops a broken peer from growing one stanza without end.
pub const MAX_STANZA_BYTES: usize = 1 << 20;
const MAX_DEPTH: usize = 32;

/// An XML element with its namespace resolved.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    pub name: String,
    /// The namespace URI (empty when none is in scope).
    pub ns: String,
    /// Attributes by qualified name (`xml:lang`), namespace declarations left out.
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    Text(String),
}

impl Element {
    pub fn new(name: &str, ns: &str) -> Element {
        Element {
            name: name.to_owned(),
            ns: ns.to_owned(),
            ..Element::default()
        }
    }

    pub fn with_attr(mut self, key: &str, value: impl Into<String>) -> Element {
        self.set_attr(key, value);
        self
    }

    pub fn set_attr(&mut self, key: &str, value: impl Into<String>) {
        let value = value.into();
        match self.attrs.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value,
            None => self.attrs.push((key.to_owned(), value)),
        }
    }

    pub fn with_child(mut self, child: Element) -> Element {
        self.children.push(Node::Element(child));
        self
    }

    pub fn with_text(mut self, text: impl Into<String>) -> Element {
        self.children.push(Node::Text(text.into()));
        self
    }

    pub fn is(&self, name: &str, ns: &str) -> bool {
        self.name == name && self.ns == ns
    }

    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|node| match node {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The first child element with this name and namespace.
    pub fn child(&self, name: &str, ns: &str) -> Option<&Element> {
        self.elements().find(|e| e.is(name, ns))
    }

    pub fn children_named<'a>(
        &'a self,
        name: &'a str,
        ns: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.elements().filter(move |e| e.is(name, ns))
    }

    /// The element's own text (not its descendants').
    pub fn text(&self) -> String {
        self.children
            .iter()
            .filter_map(|node| match node {
                Node::Text(t) => Some(t.as_str()),
                Node::Element(_) => None,
            })
            .collect()
    }

    /// The element as XML, declaring its namespace only where it differs from the one in
    /// scope (`parent_ns`: the stream's default namespace for a stanza).
    pub fn to_xml(&self, parent_ns: &str) -> String {
        let mut out = String::new();
        self.write_into(parent_ns, &mut out);
        out
    }

    fn write_into(&self, parent_ns: &str, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        if self.ns != parent_ns {
            write_attr(out, "xmlns", &self.ns);
        }
        for (key, value) in &self.attrs {
            write_attr(out, key, value);
        }
        if self.children.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        for child in &self.children {
            match child {
                Node::Element(e) => e.write_into(&self.ns, out),
                Node::Text(t) => escape_into(out, t, false),
            }
        }
        let _ = write!(out, "</{}>", self.name);
    }
}

fn write_attr(out: &mut String, key: &str, value: &str) {
    out.push(' ');
    out.push_str(key);
    out.push_str("=\"");
    escape_into(out, value, true);
    out.push('"');
}

/// Whether XML 1.0 can carry the character at all (most C0 controls, U+FFFE and U+FFFF it
/// cannot; Rust strings hold no surrogates).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

/// Escapes markup characters, and the whitespace a parser would otherwise normalise (`\r`
/// everywhere, tabs and newlines in attributes); drops what XML cannot carry, so a stray
/// control character in a text cannot break the stream.
fn escape_into(out: &mut String, text: &str, attribute: bool) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => out.push_str("&#13;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            c if xml_char(c) => out.push(c),
            _ => {}
        }
    }
}

/// The opening of a stream (`version` 1.0 asks for stream features, which XEP-0114 has not).
pub fn stream_header(ns: &str, to: &str, version: bool) -> String {
    let mut out = String::from("<?xml version='1.0'?><stream:stream");
    write_attr(&mut out, "xmlns", ns);
    write_attr(&mut out, "xmlns:stream", NS_STREAM);
    write_attr(&mut out, "to", to);
    if version {
        write_attr(&mut out, "version", "1.0");
    }
    out.push('>');
    out
}

pub const STREAM_FOOTER: &str = "</stream:stream>";

/// What the reader hands over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// `<stream:stream …>` (again after a restart, as after SASL), its default namespace as
    /// the attribute `xmlns`.
    Open(Element),
    /// A complete depth-1 element: a stanza, `<handshake/>`, `<stream:error>`, features…
    Element(Element),
    /// `</stream:stream>`.
    Close,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("the connection was closed")]
    Closed,
    #[error("reading from the connection failed: {0}")]
    Io(#[from] io::Error),
    #[error("the server sent XML vbx cannot read: {0}")]
    Xml(String),
    #[error("the server sent an element larger than {MAX_STANZA_BYTES} bytes or nested deeper than {MAX_DEPTH}")]
    TooLarge,
}

/// One reader event, owned.
enum Parsed {
    Start(Element),
    Empty(Element),
    End,
    Text(String),
    Nothing,
}

/// Reads a stream element by element. Not cancel-safe: keep it in its own task.
pub struct XmlReader<R> {
    inner: NsReader<BufReader<R>>,
    buf: Vec<u8>,
    /// Open elements below the stream element.
    stack: Vec<Element>,
    size: usize,
}

impl<R: AsyncRead + Unpin> XmlReader<R> {
    pub fn new(read: R) -> XmlReader<R> {
        let mut inner = NsReader::from_reader(BufReader::new(read));
        // A restarted stream nests a second <stream:stream> in the same document.
        inner.config_mut().check_end_names = false;
        XmlReader {
            inner,
            buf: Vec::new(),
            stack: Vec::new(),
            size: 0,
        }
    }

    pub async fn next(&mut self) -> Result<StreamEvent, ReadError> {
        loop {
            self.buf.clear();
            let parsed = {
                let (ns, event) = self
                    .inner
                    .read_resolved_event_into_async(&mut self.buf)
                    .await
                    .map_err(xml_error)?;
                match event {
                    Event::Start(start) => Parsed::Start(element(&ns, &start)?),
                    Event::Empty(start) => Parsed::Empty(element(&ns, &start)?),
                    Event::End(_) => Parsed::End,
                    Event::Text(text) => {
                        Parsed::Text(text.unescape().map_err(xml_error)?.into_owned())
                    }
                    Event::CData(data) => Parsed::Text(String::from_utf8_lossy(&data).into_owned()),
                    Event::Eof => return Err(ReadError::Closed),
                    // XMPP forbids these.
                    Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {
                        Parsed::Nothing
                    }
                }
            };
            if !self.stack.is_empty() {
                self.size += self.buf.len();
                if self.size > MAX_STANZA_BYTES {
                    return Err(ReadError::TooLarge);
                }
            }
            match parsed {
                Parsed::Start(mut element) => {
                    if self.stack.is_empty() && element.is("stream", NS_STREAM) {
                        // What kind of stream the server opened (jabber:client on a client
                        // port, jabber:component:accept on a component port).
                        let default = self
                            .inner
                            .resolve_element(quick_xml::name::QName(b"stream"))
                            .0;
                        if let ResolveResult::Bound(ns) = default {
                            let ns = String::from_utf8_lossy(ns.as_ref()).into_owned();
                            element.attrs.push(("xmlns".to_owned(), ns));
                        }
                        return Ok(StreamEvent::Open(element));
                    }
                    if self.stack.len() >= MAX_DEPTH {
                        return Err(ReadError::TooLarge);
                    }
                    self.stack.push(element);
                }
                Parsed::Empty(element) => {
                    if let Some(done) = self.attach(element) {
                        return Ok(StreamEvent::Element(done));
                    }
                }
                Parsed::End => match self.stack.pop() {
                    None => return Ok(StreamEvent::Close),
                    Some(element) => {
                        if let Some(done) = self.attach(element) {
                            return Ok(StreamEvent::Element(done));
                        }
                    }
                },
                // Text at depth 0 is whitespace between stanzas (keepalives).
                Parsed::Text(text) => {
                    if let Some(parent) = self.stack.last_mut() {
                        parent.children.push(Node::Text(text));
                    }
                }
                Parsed::Nothing => {}
            }
        }
    }

    /// Adds a finished element to its parent, or hands it back when it is a depth-1 element.
    fn attach(&mut self, element: Element) -> Option<Element> {
        match self.stack.last_mut() {
            Some(parent) => {
                parent.children.push(Node::Element(element));
                None
            }
            None => {
                self.size = 0;
                Some(element)
            }
        }
    }
}

fn xml_error(e: quick_xml::Error) -> ReadError {
    match e {
        quick_xml::Error::Io(io) => ReadError::Io(io::Error::new(io.kind(), io.to_string())),
        other => ReadError::Xml(other.to_string()),
    }
}

fn element(ns: &ResolveResult<'_>, start: &BytesStart<'_>) -> Result<Element, ReadError> {
    let utf8 = |bytes: &[u8]| {
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|e| ReadError::Xml(e.to_string()))
    };
    let ns = match ns {
        ResolveResult::Bound(ns) => utf8(ns.as_ref())?,
        ResolveResult::Unbound => String::new(),
        ResolveResult::Unknown(prefix) => {
            return Err(ReadError::Xml(format!(
                "undeclared namespace prefix `{}`",
                String::from_utf8_lossy(prefix)
            )))
        }
    };
    let mut element = Element {
        name: utf8(start.local_name().as_ref())?,
        ns,
        ..Element::default()
    };
    for attr in start.attributes() {
        let attr = attr.map_err(|e| ReadError::Xml(e.to_string()))?;
        let key = utf8(attr.key.as_ref())?;
        if key == "xmlns" || key.starts_with("xmlns:") {
            continue;
        }
        let value = attr.unescape_value().map_err(xml_error)?;
        element.attrs.push((key, value.into_owned()));
    }
    Ok(element)
}

/// Writes stanzas on a stream whose default namespace is `ns`.
pub struct XmlWriter<W> {
    inner: W,
    ns: &'static str,
}

impl<W: AsyncWrite + Unpin> XmlWriter<W> {
    pub fn new(inner: W, ns: &'static str) -> XmlWriter<W> {
        XmlWriter { inner, ns }
    }

    pub async fn send(&mut self, element: &Element) -> io::Result<()> {
        self.send_raw(&element.to_xml(self.ns)).await
    }

    /// Writes markup as is: stream headers, the footer, a whitespace keepalive.
    pub async fn send_raw(&mut self, xml: &str) -> io::Result<()> {
        self.inner.write_all(xml.as_bytes()).await?;
        self.inner.flush().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_all(xml: &str) -> Vec<Result<StreamEvent, String>> {
        let mut reader = XmlReader::new(xml.as_bytes());
        let mut out = Vec::new();
        loop {
            match reader.next().await {
                Ok(event) => out.push(Ok(event)),
                Err(ReadError::Closed) => return out,
                Err(e) => {
                    out.push(Err(e.to_string()));
                    return out;
                }
            }
        }
    }

    #[tokio::test]
    async fn the_reader_yields_the_header_each_stanza_and_the_close() {
        let events = read_all(concat!(
            "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' ",
            "xmlns:stream='http://etherx.jabber.org/streams' from='sms.localhost' id='abc'>",
            "  <handshake/> ",
            "<message to='+1@sms.localhost' from='me@localhost/phone'><body>a &amp; b &lt;c&gt; &#x1F4DE;</body>",
            "<x xmlns='jabber:x:oob'><url>https://e.com/?a=1&amp;b=2</url></x></message>",
            "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
            "</stream:stream>"
        ))
        .await;
        let events: Vec<StreamEvent> = events.into_iter().map(Result::unwrap).collect();
        assert_eq!(events.len(), 5, "{events:?}");
        let StreamEvent::Open(header) = &events[0] else {
            panic!("{events:?}")
        };
        assert_eq!(header.attr("id"), Some("abc"));
        assert_eq!(
            events[1],
            StreamEvent::Element(Element::new("handshake", NS_COMPONENT))
        );
        let StreamEvent::Element(message) = &events[2] else {
            panic!("{events:?}")
        };
        assert!(message.is("message", NS_COMPONENT));
        assert_eq!(message.attr("from"), Some("me@localhost/phone"));
        let body = message.child("body", NS_COMPONENT).unwrap();
        assert_eq!(body.text(), "a & b <c> 📞");
        let url = message
            .child("x", "jabber:x:oob")
            .and_then(|x| x.child("url", "jabber:x:oob"))
            .unwrap();
        assert_eq!(url.text(), "https://e.com/?a=1&b=2");
        let StreamEvent::Element(error) = &events[3] else {
            panic!("{events:?}")
        };
        assert!(error.is("error", NS_STREAM));
        assert!(error.child("not-authorized", NS_STREAM_ERRORS).is_some());
        assert_eq!(events[4], StreamEvent::Close);
    }

    #[tokio::test]
    async fn a_restarted_stream_is_reported_again() {
        let events = read_all(concat!(
            "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='1'>",
            "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
            "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='2'>",
            "<stream:features/>",
        ))
        .await;
        let ids: Vec<Option<String>> = events
            .iter()
            .map(|e| match e {
                Ok(StreamEvent::Open(h)) => h.attr("id").map(str::to_owned),
                Ok(StreamEvent::Element(e)) => Some(e.name.clone()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            ids,
            [
                Some("1".to_owned()),
                Some("success".to_owned()),
                Some("2".to_owned()),
                Some("features".to_owned())
            ]
        );
    }

    #[tokio::test]
    async fn broken_xml_is_an_error_not_a_panic() {
        let events = read_all(concat!(
            "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
            "<message><body>&bogus;</body></message>",
        ))
        .await;
        assert!(matches!(events.last(), Some(Err(_))), "{events:?}");
        let events = read_all("<stream:stream xmlns='jabber:client'><foo:bar/>").await;
        assert!(
            matches!(events.last(), Some(Err(e)) if e.contains("undeclared")),
            "{events:?}"
        );
    }

    #[tokio::test]
    async fn an_endless_stanza_is_cut_off() {
        let mut xml = String::from("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><message>");
        for _ in 0..(MAX_STANZA_BYTES / 5) {
            xml.push_str("<b>xxxx</b>");
        }
        let events = read_all(&xml).await;
        assert!(
            matches!(events.last(), Some(Err(e)) if e.contains("larger")),
            "{:?}",
            events.last()
        );
    }

    #[test]
    fn text_and_attributes_are_escaped_and_namespaces_declared_where_they_change() {
        let stanza = Element::new("message", NS_COMPONENT)
            .with_attr("from", "a'b\"c@sms.localhost")
            .with_child(
                Element::new("body", NS_COMPONENT).with_text("<b>&amp; 'q' \"d\"</b>\u{1}\u{7}ok"),
            )
            .with_child(Element::new("nick", "http://jabber.org/protocol/nick").with_text("Ann"));
        assert_eq!(
            stanza.to_xml(NS_COMPONENT),
            concat!(
                r#"<message from="a'b&quot;c@sms.localhost">"#,
                r#"<body>&lt;b&gt;&amp;amp; 'q' "d"&lt;/b&gt;ok</body>"#,
                r#"<nick xmlns="http://jabber.org/protocol/nick">Ann</nick></message>"#
            )
        );
    }

    #[tokio::test]
    async fn what_the_writer_escapes_the_reader_reads_back_unchanged() {
        let text = "Ann \"Boss\" <&> Ünï 📞 ]]> \t\r\n\r end";
        let stanza = Element::new("message", NS_CLIENT)
            .with_attr("to", text)
            .with_child(Element::new("body", NS_CLIENT).with_text(text));
        let xml = format!(
            "{}{}",
            stream_header(NS_CLIENT, "localhost", true),
            stanza.to_xml(NS_CLIENT)
        );
        assert!(
            !xml.contains('\r'),
            "a parser would turn CR LF into LF: {xml}"
        );
        let events = read_all(&xml).await;
        assert_eq!(events.len(), 2, "{events:?}");
        let Ok(StreamEvent::Element(back)) = &events[1] else {
            panic!("{events:?}")
        };
        assert_eq!(back.child("body", NS_CLIENT).unwrap().text(), text);
        assert_eq!(back.attr("to"), Some(text));
    }

    proptest::proptest! {
        #[test]
        fn any_text_and_attribute_survive_a_round_trip_less_what_xml_cannot_carry(
            text in proptest::prelude::any::<String>(),
            attr in proptest::prelude::any::<String>(),
        ) {
            let stanza = Element::new("message", NS_CLIENT)
                .with_attr("id", attr.clone())
                .with_child(Element::new("body", NS_CLIENT).with_text(text.clone()));
            let xml = format!(
                "{}{}",
                stream_header(NS_CLIENT, "localhost", true),
                stanza.to_xml(NS_CLIENT)
            );
            let events = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap()
                .block_on(read_all(&xml));
            let Some(Ok(StreamEvent::Element(back))) = events.get(1) else {
                panic!("{xml} read as {events:?}")
            };
            let keep = |s: &str| s.chars().filter(|&c| xml_char(c)).collect::<String>();
            proptest::prop_assert_eq!(back.child("body", NS_CLIENT).unwrap().text(), keep(&text));
            let kept_attr = keep(&attr);
            proptest::prop_assert_eq!(back.attr("id"), Some(kept_attr.as_str()));
        }
    }
}
