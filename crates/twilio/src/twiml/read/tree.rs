//! Turns XML text into a small element tree with quick-xml, applying what a conforming XML
//! parser does (line-end and attribute-value normalisation, entity resolution) so the TwiML layer
//! sees values exactly as Twilio's parser would.

use quick_xml::escape::EscapeError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::ReadError;
use crate::twiml::is_xml_char;

/// TwiML never nests deeper than `Response/Dial/Client/Identity`; anything much deeper is
/// refused here so hostile input cannot build a tree that is expensive to walk or drop.
const MAX_DEPTH: usize = 8;

#[derive(Debug)]
pub(super) struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
}

#[derive(Debug)]
pub(super) enum Node {
    Element(Element),
    /// Adjacent character data (text, CDATA, split by comments) merged into one string.
    Text(String),
}

pub(super) fn parse(xml: &str) -> Result<Element, ReadError> {
    let xml = xml.strip_prefix('\u{feff}').unwrap_or(xml);
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_comments = true;
    let mut open: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        // Where the event starts, for error messages.
        let at = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| ReadError::Xml(format!("{e} (at byte {})", reader.error_position())))?;
        match event {
            Event::Start(start) => {
                let element = element(&start, at)?;
                check_placement(&open, root.as_ref(), &element.name, at)?;
                open.push(element);
            }
            Event::Empty(start) => {
                let element = element(&start, at)?;
                check_placement(&open, root.as_ref(), &element.name, at)?;
                close(&mut open, &mut root, element);
            }
            Event::End(_) => {
                // quick-xml has already checked that the end tag matches the open one.
                let element = open.pop().ok_or_else(|| {
                    ReadError::Xml(format!("end tag without a start tag (at byte {at})"))
                })?;
                close(&mut open, &mut root, element);
            }
            Event::Text(text) => {
                let value = utf8(&text).and_then(|raw| unescape(&normalize_line_ends(raw)));
                add_text(&mut open, value, at)?;
            }
            Event::CData(data) => {
                let value = utf8(&data).and_then(|raw| {
                    let value = normalize_line_ends(raw).into_owned();
                    check_chars(&value).map(|()| value)
                });
                add_text(&mut open, value, at)?;
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
            Event::DocType(_) => {
                return Err(ReadError::Invalid(
                    "a TwiML document cannot have a <!DOCTYPE>".to_owned(),
                ))
            }
            Event::Eof => break,
        }
    }
    if let Some(unclosed) = open.last() {
        return Err(ReadError::Xml(format!(
            "the document ends inside <{}>, which is never closed",
            unclosed.name
        )));
    }
    root.ok_or_else(|| ReadError::Xml("the document has no root element".to_owned()))
}

fn check_placement(
    open: &[Element],
    root: Option<&Element>,
    name: &str,
    at: u64,
) -> Result<(), ReadError> {
    if open.is_empty() && root.is_some() {
        return Err(ReadError::Xml(format!(
            "a second root element <{name}> follows the first (at byte {at})"
        )));
    }
    if open.len() >= MAX_DEPTH {
        let path: Vec<&str> = open.iter().map(|e| e.name.as_str()).collect();
        return Err(ReadError::Invalid(format!(
            "{}: <{name}> is nested more than {MAX_DEPTH} elements deep",
            path.join("/")
        )));
    }
    Ok(())
}

fn close(open: &mut [Element], root: &mut Option<Element>, element: Element) {
    match open.last_mut() {
        Some(parent) => parent.children.push(Node::Element(element)),
        None => *root = Some(element),
    }
}

fn add_text(open: &mut [Element], text: Result<String, String>, at: u64) -> Result<(), ReadError> {
    let parent = open.last_mut();
    let text = text.map_err(|problem| {
        let place = match &parent {
            Some(parent) => format!("in the text of <{}>", parent.name),
            None => "outside the root element".to_owned(),
        };
        ReadError::Xml(format!("{place} at byte {at}: {problem}"))
    })?;
    let Some(parent) = parent else {
        if is_xml_whitespace(&text) {
            return Ok(());
        }
        return Err(ReadError::Xml(format!(
            "text outside the root element (at byte {at})"
        )));
    };
    match parent.children.last_mut() {
        Some(Node::Text(previous)) => previous.push_str(&text),
        _ => parent.children.push(Node::Text(text)),
    }
    Ok(())
}

fn element(start: &BytesStart<'_>, at: u64) -> Result<Element, ReadError> {
    let name = utf8(start.name().as_ref())
        .map_err(|problem| ReadError::Xml(format!("in a tag at byte {at}: {problem}")))?
        .to_owned();
    let in_tag = |problem: String| ReadError::Xml(format!("in <{name}> at byte {at}: {problem}"));
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| in_tag(e.to_string()))?;
        let key = utf8(attr.key.as_ref()).map_err(in_tag)?.to_owned();
        let in_attr = |problem: String| in_tag(format!("attribute `{key}`: {problem}"));
        let raw = utf8(&attr.value).map_err(in_attr)?;
        if raw.contains('<') {
            return Err(in_attr(
                "a literal `<` is not allowed in a value (write `&lt;`)".to_owned(),
            ));
        }
        let value = unescape(&normalize_attribute(raw)).map_err(in_attr)?;
        attrs.push((key, value));
    }
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
    })
}

/// The reader works on a `&str`, so this only fails if quick-xml split inside a character.
fn utf8(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|e| format!("invalid UTF-8: {e}"))
}

fn unescape(raw: &str) -> Result<String, String> {
    let value = quick_xml::escape::unescape(raw)
        .map_err(|e| match e {
            EscapeError::UnrecognizedEntity(_, name) => format!(
                "unknown entity `&{name};` (XML knows only &amp; &lt; &gt; &quot; &apos; \
                 and character references)"
            ),
            EscapeError::UnterminatedEntity(_) => {
                "`&` does not start an entity ending in `;` (write `&amp;` for a literal `&`)"
                    .to_owned()
            }
            EscapeError::InvalidCharRef(e) => format!("bad character reference: {e}"),
        })?
        .into_owned();
    check_chars(&value)?;
    Ok(value)
}

/// Literal control characters and references such as `&#1;` are not well-formed XML 1.0;
/// refusing them keeps everything read writable again.
fn check_chars(value: &str) -> Result<(), String> {
    match value.chars().find(|&c| !is_xml_char(c)) {
        Some(c) => Err(format!(
            "character U+{:04X} is not allowed in XML 1.0",
            u32::from(c)
        )),
        None => Ok(()),
    }
}

/// XML 2.11: CRLF and lone CR become LF before parsing; `&#13;` is untouched because this
/// runs on the raw text, before references are resolved.
fn normalize_line_ends(raw: &str) -> std::borrow::Cow<'_, str> {
    if raw.contains('\r') {
        raw.replace("\r\n", "\n").replace('\r', "\n").into()
    } else {
        raw.into()
    }
}

/// XML 3.3.3: literal whitespace characters in an attribute value become spaces.
fn normalize_attribute(raw: &str) -> String {
    normalize_line_ends(raw).replace(['\t', '\n'], " ")
}

pub(super) fn is_xml_whitespace(text: &str) -> bool {
    text.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
}
