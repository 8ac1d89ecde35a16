//! Attribute values: taking them from an element one by one, parsing Twilio's spellings,
//! and reporting leftovers as unknown attributes.

use super::tree::Element;
use super::{invalid, snippet, ReadError};
use crate::twiml::write::{
    dial_record_value, method_value, reject_reason_value, trim_value, voice_value,
};
use crate::twiml::{DialRecord, Method, RejectReason, Trim, Voice};

/// An element's attributes, taken one by one so that leftovers can be reported as unknown.
pub(super) struct Attrs<'a> {
    element: &'a str,
    path: &'a str,
    items: Vec<(String, String)>,
    known: Vec<&'static str>,
}

impl<'a> Attrs<'a> {
    pub(super) fn new(el: &'a Element, path: &'a str) -> Self {
        Self {
            element: &el.name,
            path,
            items: el.attrs.clone(),
            known: Vec::new(),
        }
    }

    pub(super) fn text(&mut self, key: &'static str) -> Option<String> {
        self.known.push(key);
        let index = self.items.iter().position(|(k, _)| k == key)?;
        Some(self.items.remove(index).1)
    }

    pub(super) fn required(&mut self, key: &'static str) -> Result<String, ReadError> {
        let element = self.element;
        self.text(key).ok_or_else(|| {
            invalid(
                self.path,
                format!("attribute `{key}` is required on <{element}>"),
            )
        })
    }

    pub(super) fn choice<T>(
        &mut self,
        key: &'static str,
        parse: fn(&str) -> Option<T>,
        expected: &str,
    ) -> Result<Option<T>, ReadError> {
        let Some(value) = self.text(key) else {
            return Ok(None);
        };
        match parse(&value) {
            Some(parsed) => Ok(Some(parsed)),
            None => Err(invalid(
                self.path,
                format!(
                    "attribute `{key}` is {}, expected {expected}",
                    snippet(&value)
                ),
            )),
        }
    }

    pub(super) fn number(&mut self, key: &'static str) -> Result<Option<u32>, ReadError> {
        self.choice(key, parse_u32, "a whole number from 0 to 4294967295")
    }

    pub(super) fn boolean(&mut self, key: &'static str) -> Result<Option<bool>, ReadError> {
        self.choice(key, parse_bool, "true or false")
    }

    pub(super) fn method(&mut self, key: &'static str) -> Result<Option<Method>, ReadError> {
        self.choice(key, parse_method, "GET or POST")
    }

    pub(super) fn finish(self) -> Result<(), ReadError> {
        let Some((key, _)) = self.items.first() else {
            return Ok(());
        };
        let known = if self.known.is_empty() {
            format!("<{}> takes no attributes", self.element)
        } else {
            format!("<{}> takes: {}", self.element, self.known.join(", "))
        };
        Err(invalid(
            self.path,
            format!("unknown attribute `{key}` ({known})"),
        ))
    }
}

pub(super) fn parse_voice(value: &str) -> Option<Voice> {
    if let Some(name) = value.strip_prefix("Polly.") {
        return Some(Voice::Polly(name.to_owned()));
    }
    if let Some(name) = value.strip_prefix("Google.") {
        return Some(Voice::Google(name.to_owned()));
    }
    [Voice::Man, Voice::Woman, Voice::Alice]
        .into_iter()
        .find(|v| voice_value(v) == value)
}

fn parse_method(value: &str) -> Option<Method> {
    [Method::Get, Method::Post]
        .into_iter()
        .find(|m| method_value(*m) == value)
}

pub(super) fn parse_trim(value: &str) -> Option<Trim> {
    [Trim::TrimSilence, Trim::DoNotTrim]
        .into_iter()
        .find(|t| trim_value(*t) == value)
}

pub(super) fn parse_reject_reason(value: &str) -> Option<RejectReason> {
    [RejectReason::Rejected, RejectReason::Busy]
        .into_iter()
        .find(|r| reject_reason_value(*r) == value)
}

pub(super) fn parse_dial_record(value: &str) -> Option<DialRecord> {
    // Twilio keeps `true`/`false` as aliases from before the named values existed.
    match value {
        "true" => return Some(DialRecord::RecordFromAnswer),
        "false" => return Some(DialRecord::DoNotRecord),
        _ => {}
    }
    [
        DialRecord::DoNotRecord,
        DialRecord::RecordFromAnswer,
        DialRecord::RecordFromRinging,
        DialRecord::RecordFromAnswerDual,
        DialRecord::RecordFromRingingDual,
    ]
    .into_iter()
    .find(|r| dial_record_value(*r) == value)
}

fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

fn parse_u32(value: &str) -> Option<u32> {
    // `u32::from_str` would also take a leading `+`.
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}
