//! Call screening: with `screen = true`, a phone leg of a `device` or `dial` step runs vbx's
//! TwiML through its `<Number url>` when it answers, before it is bridged. The person hears who
//! is calling and presses 1 to take the call; any other key or silence hangs that leg up, so a
//! cell's own voicemail (which answers at once and presses nothing) cannot take it and the
//! flow goes on to `next`. Browser legs are never screened.

use twilio::twiml::{self, Verb, VoiceResponse};

use super::{contact_name, Contacts, Urls, VoiceOutcome};
use crate::config::{Alias, Config};

/// The key that takes a screened call.
pub const ACCEPT: &str = "1";
/// Seconds the person has to press it.
const WAIT: u32 = 8;

/// What a screened leg hears when it answers: "Call for <the number's name or the flow> from
/// <the caller's name or number>. Press 1 to accept.", then a hang-up if nothing comes.
/// `from` is the caller as the leg's request gives it.
pub fn screen_prompt(
    config: &Config,
    contacts: &Contacts,
    alias: &Alias,
    step: usize,
    from: &str,
) -> VoiceOutcome {
    let urls = Urls::new(config);
    let ours = contact_name(contacts, config.twilio.number.as_str()).unwrap_or_else(|| {
        // The flow's alias says what the call is for ("sales"); `default` says nothing.
        if alias.as_str() == "default" {
            spoken_number(config.twilio.number.as_str())
        } else {
            alias.to_string()
        }
    });
    let caller = contact_name(contacts, from).unwrap_or_else(|| spoken_number(from));
    let mut twiml = VoiceResponse::new();
    twiml.push(Verb::Gather(twiml::Gather {
        input: Some("dtmf".into()),
        action: Some(urls.screen_answer(alias, step)),
        num_digits: Some(1),
        timeout: Some(WAIT),
        action_on_empty_result: Some(true),
        children: vec![twiml::GatherChild::Say(twiml::Say {
            text: format!("Call for {ours} from {caller}. Press {ACCEPT} to accept."),
            ..Default::default()
        })],
        ..Default::default()
    }));
    // Reached only if Twilio did not come back with the action: the leg must not be bridged.
    twiml.push(Verb::Hangup);
    VoiceOutcome {
        twiml,
        effects: Vec::new(),
        path: Vec::new(),
    }
}

/// The screened person's answer: 1 bridges the call (an empty document ends the leg's TwiML),
/// anything else hangs the leg up. `to` is the leg's number, for the call's path.
pub fn screen_answer(digits: &str, to: &str) -> VoiceOutcome {
    let mut twiml = VoiceResponse::new();
    let went = if digits == ACCEPT {
        format!("accepted by {to}")
    } else {
        twiml.push(Verb::Hangup);
        format!("screened out by {to}")
    };
    VoiceOutcome {
        twiml,
        effects: Vec::new(),
        path: vec![went],
    }
}

/// A number as a voice reads it best: its digits one by one ("+1 4 1 5…" would be read as a
/// large number otherwise). Anything that is not a phone number is said as it is.
fn spoken_number(number: &str) -> String {
    // Twilio's caller ID for a withheld number is +266696687 ("ANONYMOUS" on a keypad).
    if matches!(number, "" | "anonymous" | "Anonymous" | "+266696687") {
        return "an unknown caller".to_owned();
    }
    if !number.starts_with('+') || !number[1..].bytes().all(|b| b.is_ascii_digit()) {
        return number.to_owned();
    }
    number[1..]
        .chars()
        .map(String::from)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_said_digit_by_digit_and_a_withheld_one_as_unknown() {
        assert_eq!(spoken_number("+14155550100"), "1 4 1 5 5 5 5 0 1 0 0");
        assert_eq!(spoken_number("anonymous"), "an unknown caller");
        assert_eq!(spoken_number("+266696687"), "an unknown caller");
        assert_eq!(spoken_number(""), "an unknown caller");
        assert_eq!(spoken_number("client:alice"), "client:alice");
    }

    #[test]
    fn only_the_accept_key_bridges() {
        let taken = screen_answer("1", "+14155550199");
        assert!(taken.twiml.verbs.is_empty());
        assert_eq!(taken.path, ["accepted by +14155550199"]);
        for other in ["", "2", "#"] {
            let refused = screen_answer(other, "+14155550199");
            assert_eq!(refused.twiml.verbs, [Verb::Hangup], "{other:?}");
            assert_eq!(refused.path, ["screened out by +14155550199"]);
        }
    }
}
