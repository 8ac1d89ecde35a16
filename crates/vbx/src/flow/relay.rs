//! The SMS relay: a text from a forwarding (SMS device) number goes to the person it
//! addresses, else to that device's last outside sender.
//!
//! # How the owner's text is read
//!
//! Whitespace at either end of the text is ignored while reading the address (a plain reply
//! is sent exactly as written). Then, in this order:
//!
//! 1. **`@Name text`.** The text starts with `@` directly followed by something other than
//!    whitespace. The name is the longest contact name (`[contacts]` and the app's; compared
//!    ignoring case and emoji variation selectors; spaces and emoji are part of names) that
//!    the text after the `@` starts with, followed by whitespace or the end. What follows the
//!    name, without the whitespace in between, goes to that contact with any media, and the
//!    contact becomes the relay target. Nothing is sent, and the owner gets a short error
//!    reply, when no contact name matches (`@Annie hi` when only `Ann` exists; the reply
//!    lists up to three close names), when there is neither text nor media after the name,
//!    or when two contacts with different numbers share the name.
//! 2. **`number text`.** The text starts with words made only of digits and `+()-.`, and a
//!    run of these words that [`twilio::PhoneNumber::parse_lenient`] reads as a number
//!    (`+14155550100`, `+1 (415) 555-0100`, `(415) 555-0100`, `1-415-555-0100`,
//!    `+44 20 7946 0958`). The longest such run is the number, where a number starting with
//!    `+1` must have exactly ten digits after the `1`: `+1 415 555 0100 5 minutes late`
//!    sends "5 minutes late". The words after the number go to it with any media, and it
//!    becomes the relay target. A number with no text after it is rule 3 (the owner is
//!    sharing a number with the person they are talking to).
//! 3. **Anything else is a reply** to the relay target, with any media: a text with `@`
//!    further in (`see you @ 5`), one starting with `@` and a space, one starting with a
//!    number-looking word that is no number (`5 minutes late`, `2015 was a good year`), or a
//!    number alone. Without a relay target the owner gets a short help reply.
//!
//! Neither rule sends to the device's own number or to vbx's number; the owner gets an error
//! reply instead. Outside North America a number's length is not known, so a word made only
//! of digits right after a spaced number is read as part of it (`+44 20 7946 0958 5 min`
//! goes to +4420794609585): write such a number without spaces.

use twilio::twiml::{self, MessagingVerb};
use twilio::PhoneNumber;

use super::{Contacts, Effect, Media, MessageOutcome, MessageRequest};
use crate::config::Config;

/// The most close contact names an unknown-name reply lists.
const SUGGESTIONS: usize = 3;
/// How much of an unknown name the error reply quotes, in characters.
const QUOTED_NAME: usize = 30;

/// Relays a text from the forwarding number of SMS device `device` (the text's `From`), as
/// the module documentation describes. `target` is the device's stored relay target.
pub fn relay_from_device(
    config: &Config,
    device: &str,
    req: &MessageRequest<'_>,
    target: Option<&str>,
) -> MessageOutcome {
    let mut out = MessageOutcome::default();
    let message = match read_address(req) {
        Address::To { number, text } => {
            if number.as_str() == req.from {
                reply("vbx: that is this phone's own number. Nothing was sent.".to_owned())
            } else if number == config.twilio.number {
                reply("vbx: that is the vbx number itself. Nothing was sent.".to_owned())
            } else {
                // The owner just chose whom they are talking to, so their next plain reply
                // continues that conversation, as in any messaging app; keeping the old
                // target would send it to whoever texted before, which nobody expects.
                out.effects.push(Effect::SetRelayTarget {
                    device: device.to_owned(),
                    number: number.to_string(),
                });
                send(number.as_str(), text, req.media)
            }
        }
        Address::Plain => match target {
            Some(target) => send(target, req.body, req.media),
            None => reply(
                "vbx: nobody to reply to yet. Replies go to whoever texted last; start with \
                 @Name or a number to write to someone."
                    .to_owned(),
            ),
        },
        Address::UnknownName { after } => reply(unknown_name(req.contacts, after)),
        Address::NothingToSend { name } => reply(format!(
            "vbx: nothing to send to @{name}. Write the text after the name."
        )),
        Address::Ambiguous { name, numbers } => reply(format!(
            "vbx: @{name} is {}. Write the number instead. Nothing was sent.",
            join_or(&numbers)
        )),
    };
    out.twiml.push(MessagingVerb::Message(message));
    out
}

/// What the owner's text asks for.
#[derive(Debug)]
enum Address<'t> {
    /// Send `text` to `number`.
    To { number: PhoneNumber, text: &'t str },
    /// A reply to the relay target.
    Plain,
    /// An `@name` no contact has; `after` is the text after the `@`.
    UnknownName { after: &'t str },
    /// `@Name` with neither text nor media.
    NothingToSend { name: &'t str },
    /// `@Name` where contacts with different numbers share the name.
    Ambiguous { name: &'t str, numbers: Vec<String> },
}

fn read_address<'t>(req: &MessageRequest<'t>) -> Address<'t> {
    let text = req.body.trim();
    if let Some(after) = text.strip_prefix('@') {
        if after.starts_with(|c: char| !c.is_whitespace()) {
            return read_name(req.contacts, after, !req.media.is_empty());
        }
        return Address::Plain;
    }
    match leading_number(text) {
        Some((number, rest)) => Address::To { number, text: rest },
        None => Address::Plain,
    }
}

/// Rule 1, for the text after the `@`.
fn read_name<'t>(contacts: &Contacts, after: &'t str, has_media: bool) -> Address<'t> {
    let mut longest = 0;
    let mut numbers: Vec<&PhoneNumber> = Vec::new();
    for (number, name) in contacts {
        let Some(len) = strip_name(after, name) else {
            continue;
        };
        if !after[len..].chars().next().is_none_or(char::is_whitespace) {
            continue;
        }
        if len > longest {
            longest = len;
            numbers.clear();
        }
        if len == longest {
            numbers.push(number);
        }
    }
    let name = &after[..longest];
    let rest = after[longest..].trim_start();
    match numbers.as_slice() {
        [] => Address::UnknownName { after },
        [number] if !rest.is_empty() || has_media => Address::To {
            number: (*number).clone(),
            text: rest,
        },
        [_] => Address::NothingToSend { name },
        many => Address::Ambiguous {
            name,
            numbers: many.iter().map(ToString::to_string).collect(),
        },
    }
}

/// The byte length of the start of `text` that is `name` ignoring case and variation
/// selectors (phones differ on whether they add U+FE0F after an emoji).
fn strip_name(text: &str, name: &str) -> Option<usize> {
    let mut text_chars = text.char_indices().peekable();
    let mut name_chars = name.chars().filter(|c| !is_variation_selector(*c));
    let mut end = 0;
    loop {
        while let Some(&(i, c)) = text_chars.peek() {
            if !is_variation_selector(c) {
                break;
            }
            end = i + c.len_utf8();
            text_chars.next();
        }
        let Some(wanted) = name_chars.next() else {
            return (end > 0).then_some(end);
        };
        let (i, c) = text_chars.next()?;
        if c != wanted && !c.to_lowercase().eq(wanted.to_lowercase()) {
            return None;
        }
        end = i + c.len_utf8();
    }
}

fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE0E}' | '\u{FE0F}')
}

/// Rule 2: the number at the start of `text` (already trimmed) and the text after it.
fn leading_number(text: &str) -> Option<(PhoneNumber, &str)> {
    let mut best = None;
    for (_, end) in words(text).take_while(|&(start, end)| is_number_word(&text[start..end])) {
        let Ok(number) = PhoneNumber::parse_lenient(&text[..end]) else {
            continue;
        };
        // North American numbers have a known length; without this check the `5` of
        // "+1 415 555 0100 5 minutes" would become part of the number.
        let complete = number
            .as_str()
            .strip_prefix("+1")
            .is_none_or(|national| national.len() == 10);
        if complete {
            best = Some((number, end));
        }
    }
    let (number, end) = best?;
    let rest = text[end..].trim_start();
    (!rest.is_empty()).then_some((number, rest))
}

fn is_number_word(word: &str) -> bool {
    word.chars()
        .all(|c| c.is_ascii_digit() || "+()-.".contains(c))
}

/// The byte ranges of the whitespace-separated words of `text`.
fn words(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut rest = 0;
    std::iter::from_fn(move || {
        let start = rest + text[rest..].find(|c: char| !c.is_whitespace())?;
        let end = text[start..]
            .find(char::is_whitespace)
            .map_or(text.len(), |n| start + n);
        rest = end;
        Some((start, end))
    })
}

/// The error reply for an `@name` that is no contact, with the closest contact names.
/// `after` is the text after the `@`; its first word is the name quoted back.
fn unknown_name(contacts: &Contacts, after: &str) -> String {
    let typed = after.split_whitespace().next().unwrap_or("");
    let quoted: String = typed.chars().take(QUOTED_NAME).collect();
    if contacts.is_empty() {
        return format!(
            "vbx: no contact \"{quoted}\"; there are no contacts. \
             Nothing was sent."
        );
    }
    let close = close_names(contacts.values().map(String::as_str), after);
    if close.is_empty() {
        return format!("vbx: no contact \"{quoted}\" nor one like it. Nothing was sent.");
    }
    let close: Vec<String> = close.iter().map(|name| format!("@{name}")).collect();
    format!(
        "vbx: no contact \"{quoted}\". Did you mean {}? Nothing was sent.",
        join_or(&close)
    )
}

/// The contact names closest to what follows an `@`, best first: names that start with its
/// first word or that it starts with, then names within a few typos of it (or with a word
/// within a few typos of its first word), then names containing that word; fewer edits first
/// within each. A name of n words is compared with the first n words typed.
fn close_names<'c>(names: impl Iterator<Item = &'c str>, after: &str) -> Vec<&'c str> {
    let after = fold(after);
    let typed_words: Vec<&str> = after.split(' ').collect();
    let word = typed_words.first().copied().unwrap_or_default();
    let mut ranked: Vec<(u8, usize, &str)> = Vec::new();
    for name in names {
        let folded = fold(name);
        let width = folded.split(' ').count();
        let attempt = typed_words[..width.min(typed_words.len())].join(" ");
        // A misspelt first name of "Alice Example" is as close as a misspelt "Alice".
        let word_distance = folded
            .split(' ')
            .map(|w| edit_distance(word, w))
            .min()
            .unwrap_or(usize::MAX);
        let whole_distance = edit_distance(&attempt, &folded);
        let distance = whole_distance.min(word_distance);
        let rank = if folded.starts_with(word) || attempt.starts_with(&folded) {
            0
        } else if whole_distance <= typos_allowed(&attempt)
            || (width > 1 && word_distance <= typos_allowed(word))
        {
            1
        } else if folded.contains(word) {
            2
        } else {
            continue;
        };
        if !ranked.iter().any(|(_, _, seen)| *seen == name) {
            ranked.push((rank, distance, name));
        }
    }
    ranked.sort();
    ranked
        .into_iter()
        .take(SUGGESTIONS)
        .map(|(_, _, name)| name)
        .collect()
}

/// Lower case, no variation selectors, single spaces: the form names are compared in.
fn fold(text: &str) -> String {
    let lower: String = text
        .chars()
        .filter(|c| !is_variation_selector(*c))
        .flat_map(char::to_lowercase)
        .collect();
    lower.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One typo per four characters, at least one and at most three.
fn typos_allowed(text: &str) -> usize {
    (1 + text.chars().count() / 4).min(3)
}

/// Edit distance counting an insertion, a deletion, a substitution or a swap of two
/// neighbouring characters as one edit (optimal string alignment).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut before: Vec<usize> = Vec::new();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, &ca) in a.iter().enumerate() {
        let mut row = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            let mut best = substitution.min(previous[j + 1] + 1).min(row[j] + 1);
            if i > 0 && j > 0 && ca == b[j - 1] && a[i - 1] == cb {
                best = best.min(before[j - 1] + 1);
            }
            row[j + 1] = best;
        }
        before = std::mem::replace(&mut previous, row);
    }
    previous[b.len()]
}

/// "a", "a or b", "a, b or c".
fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn send(to: &str, text: &str, media: &[Media]) -> twiml::Message {
    twiml::Message {
        body: (!text.is_empty()).then(|| text.to_owned()),
        media: Media::links(media),
        to: Some(to.to_owned()),
        ..Default::default()
    }
}

/// A message back to the owner.
fn reply(body: String) -> twiml::Message {
    twiml::Message {
        body: Some(body),
        ..Default::default()
    }
}
