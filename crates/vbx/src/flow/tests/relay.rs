//! Relay tests: how a text from the forwarding cell is addressed (`@Name`, a number, or a
//! plain reply to the last sender), each rule and its boundaries.

use twilio::twiml::{self, MessagingVerb};

use super::super::testing::*;
use super::super::*;
use super::{text, CALLER};

const CELL: &str = "+18005555555";
const ANN: &str = "+14155550111";

/// The seed configuration with `contacts` in place of its own.
fn with_contacts(contacts: &[(&str, &str)]) -> Config {
    let mut config = config();
    config.contacts = contacts
        .iter()
        .map(|(n, name)| (number(n), name.to_string()))
        .collect();
    config
}

fn relay(config: &Config, body: &str, media: &[Media], target: Option<&str>) -> MessageOutcome {
    let default = alias("default");
    relay_from_device(
        config,
        "cell",
        &text(config, &default, CELL, body, media),
        target,
    )
}

fn sent(to: &str, body: Option<&str>, media: &[String]) -> MessagingVerb {
    MessagingVerb::Message(twiml::Message {
        body: body.map(str::to_owned),
        media: media.to_vec(),
        to: Some(to.into()),
        ..Default::default()
    })
}

fn new_target(number: &str) -> Vec<Effect> {
    vec![Effect::SetRelayTarget {
        device: "cell".into(),
        number: number.into(),
    }]
}

/// The one reply to the owner, after checking that nothing goes to anyone else.
fn error_reply(out: &MessageOutcome) -> String {
    let [MessagingVerb::Message(m)] = &out.twiml.verbs[..] else {
        panic!("expected one reply: {out:?}")
    };
    assert_eq!(m.to, None, "the reply goes back to the owner: {out:?}");
    assert!(m.media.is_empty(), "{out:?}");
    assert!(out.effects.is_empty(), "the target stays: {out:?}");
    m.body.clone().unwrap_or_default()
}

/// Asserts that `body` is a plain reply: sent unchanged to the target, which stays.
fn assert_plain(config: &Config, body: &str) {
    let out = relay(config, body, &[], Some(CALLER));
    assert_eq!(
        out.twiml.verbs,
        vec![sent(CALLER, Some(body), &[])],
        "{body:?} is a plain reply"
    );
    assert!(out.effects.is_empty(), "{body:?} keeps the target");
}

fn media() -> Vec<Media> {
    vec![
        Media {
            twilio: "https://api.twilio.com/m/ME1".into(),
            link: "https://vbx.example.com/flow/media/in/MM1/0/aa".into(),
        },
        Media {
            twilio: "https://api.twilio.com/m/ME2".into(),
            link: "https://vbx.example.com/flow/media/in/MM1/1/bb".into(),
        },
    ]
}

/// What Twilio is told to fetch for `media()`: vbx's links, never Twilio's own URLs (those
/// need the account's credentials).
fn links() -> Vec<String> {
    vec![
        "https://vbx.example.com/flow/media/in/MM1/0/aa".into(),
        "https://vbx.example.com/flow/media/in/MM1/1/bb".into(),
    ]
}

#[test]
fn a_text_from_the_cell_is_relayed_to_the_last_sender_with_its_media() {
    let out = relay(&config(), "sure", &media(), Some(CALLER));
    assert_eq!(out.twiml.verbs, vec![sent(CALLER, Some("sure"), &links())]);
    assert!(out.effects.is_empty());
}

#[test]
fn a_text_from_the_cell_with_nobody_to_relay_to_gets_help_not_a_loop() {
    let help = error_reply(&relay(&config(), "hello?", &[], None));
    assert!(help.contains("nobody to reply to"), "{help}");
    assert!(
        help.contains("@Name"),
        "the help says how to address: {help}"
    );
}

#[test]
fn an_at_name_sends_the_rest_with_media_to_the_contact_and_makes_them_the_target() {
    let config = with_contacts(&[(ANN, "Ann")]);
    let out = relay(&config, "@Ann see you <&> at 5", &media(), Some(CALLER));
    assert_eq!(
        out.twiml.verbs,
        vec![sent(ANN, Some("see you <&> at 5"), &links())]
    );
    assert_eq!(out.effects, new_target(ANN));
}

#[test]
fn an_at_name_works_without_a_relay_target_too() {
    let config = with_contacts(&[(ANN, "Ann")]);
    let out = relay(&config, "@Ann hi", &[], None);
    assert_eq!(out.twiml.verbs, vec![sent(ANN, Some("hi"), &[])]);
    assert_eq!(out.effects, new_target(ANN));
}

#[test]
fn names_match_ignoring_case_and_the_whitespace_around_the_address() {
    let config = with_contacts(&[(ANN, "Ann")]);
    for body in ["@ann hi", "@ANN hi", "  @aNn   hi  ", "@Ann\nhi"] {
        let out = relay(&config, body, &[], Some(CALLER));
        assert_eq!(
            out.twiml.verbs,
            vec![sent(ANN, Some("hi"), &[])],
            "{body:?}"
        );
        assert_eq!(out.effects, new_target(ANN), "{body:?}");
    }
}

#[test]
fn the_text_after_the_name_keeps_its_own_lines() {
    let config = with_contacts(&[(ANN, "Ann")]);
    let out = relay(&config, "@Ann\nline one\n\nline two", &[], None);
    assert_eq!(
        out.twiml.verbs,
        vec![sent(ANN, Some("line one\n\nline two"), &[])]
    );
}

#[test]
fn the_longest_contact_name_that_is_followed_by_whitespace_wins() {
    let lee = "+14155550112";
    let config = with_contacts(&[(ANN, "Ann"), (lee, "Ann Lee")]);
    let out = relay(&config, "@ann lee dinner?", &[], None);
    assert_eq!(out.twiml.verbs, vec![sent(lee, Some("dinner?"), &[])]);
    assert_eq!(out.effects, new_target(lee));
    // "Ann Lee" is not followed by whitespace here, so only "Ann" is a name.
    let out = relay(&config, "@Ann Leeds is lovely", &[], None);
    assert_eq!(
        out.twiml.verbs,
        vec![sent(ANN, Some("Leeds is lovely"), &[])]
    );
}

#[test]
fn a_longer_word_than_a_name_is_an_unknown_name_that_suggests_the_name() {
    let config = with_contacts(&[(ANN, "Ann")]);
    let reply = error_reply(&relay(&config, "@Annie hi", &[], Some(CALLER)));
    assert_eq!(
        reply,
        "vbx: no contact \"Annie\". Did you mean @Ann? Nothing was sent."
    );
}

#[test]
fn names_with_emoji_match_with_or_without_a_variation_selector() {
    let mom = "+14155550113";
    let pizza = "+14155550114";
    let config = with_contacts(&[(mom, "Mom ❤\u{FE0F}"), (pizza, "🍕")]);
    for body in ["@mom ❤\u{FE0F} dinner?", "@Mom ❤ dinner?"] {
        let out = relay(&config, body, &[], None);
        assert_eq!(
            out.twiml.verbs,
            vec![sent(mom, Some("dinner?"), &[])],
            "{body:?}"
        );
    }
    let out = relay(&config, "@🍕 two large", &[], None);
    assert_eq!(out.twiml.verbs, vec![sent(pizza, Some("two large"), &[])]);
    let reply = error_reply(&relay(&config, "@🍕🍕 two large", &[], None));
    assert_eq!(
        reply,
        "vbx: no contact \"🍕🍕\". Did you mean @🍕? Nothing was sent."
    );
}

#[test]
fn a_name_alone_is_an_error_but_a_name_with_media_sends_the_media() {
    let config = with_contacts(&[(ANN, "Ann")]);
    for body in ["@Ann", "@ann  ", "@Ann\n"] {
        let reply = error_reply(&relay(&config, body, &[], Some(CALLER)));
        let name = body.trim();
        assert_eq!(
            reply,
            format!("vbx: nothing to send to {name}. Write the text after the name.")
        );
    }
    let out = relay(&config, "@Ann", &media(), Some(CALLER));
    assert_eq!(out.twiml.verbs, vec![sent(ANN, None, &links())]);
    assert_eq!(out.effects, new_target(ANN));
}

#[test]
fn an_unknown_name_lists_the_three_closest_contacts_and_sends_nothing() {
    let config = with_contacts(&[
        ("+14155550121", "Ann"),
        ("+14155550122", "Anna"),
        ("+14155550123", "Annette"),
        ("+14155550124", "Joanne"),
        ("+14155550125", "Bob"),
    ]);
    // Prefixes first (Ann, Annette, by distance), then typos (Anna at one, Joanne at two);
    // Joanne is fourth and left out.
    let reply = error_reply(&relay(&config, "@Anne are you in?", &[], Some(CALLER)));
    assert_eq!(
        reply,
        "vbx: no contact \"Anne\". Did you mean @Ann, @Annette or @Anna? Nothing was sent."
    );
}

#[test]
fn suggestions_cover_prefixes_typos_substrings_and_multi_word_names() {
    let config = with_contacts(&[
        ("+14155550131", "Bob Smith"),
        ("+14155550132", "Jonathan"),
        ("+14155550133", "Alice"),
        ("+14155550134", "Carol Example"),
    ]);
    let cases = [
        ("@Bo hi", "@Bob Smith"),
        ("@Bob Smiht hi", "@Bob Smith"),
        ("@Smith hi", "@Bob Smith"),
        ("@Jonathon hi", "@Jonathan"),
        ("@Alcie hi", "@Alice"),
        ("@natha hi", "@Jonathan"),
        // A typo in one word of a longer name.
        ("@Carlo hi", "@Carol Example"),
        ("@Exmaple hi", "@Carol Example"),
    ];
    for (body, suggestion) in cases {
        let reply = error_reply(&relay(&config, body, &[], None));
        assert!(
            reply.ends_with(&format!("Did you mean {suggestion}? Nothing was sent.")),
            "{body:?}: {reply}"
        );
    }
}

#[test]
fn an_unknown_name_with_nothing_close_or_no_contacts_says_so() {
    let config = with_contacts(&[(ANN, "Ann")]);
    let reply = error_reply(&relay(&config, "@Zed hi", &[], Some(CALLER)));
    assert_eq!(
        reply,
        "vbx: no contact \"Zed\" nor one like it. Nothing was sent."
    );
    let reply = error_reply(&relay(&with_contacts(&[]), "@Ann hi", &[], Some(CALLER)));
    assert_eq!(
        reply,
        "vbx: no contact \"Ann\"; there are no contacts. Nothing was sent."
    );
}

#[test]
fn a_long_unknown_name_is_quoted_short() {
    let config = with_contacts(&[(ANN, "Ann")]);
    let long = format!("@{} hi", "x".repeat(200));
    let reply = error_reply(&relay(&config, &long, &[], None));
    assert!(
        reply.starts_with(&format!("vbx: no contact \"{}\" ", "x".repeat(30))),
        "{reply}"
    );
}

#[test]
fn a_name_two_contacts_share_asks_for_the_number() {
    let config = with_contacts(&[("+14155550141", "Mom"), ("+14155550142", "mom")]);
    let reply = error_reply(&relay(&config, "@MOM hi", &[], Some(CALLER)));
    assert_eq!(
        reply,
        "vbx: @MOM is +14155550141 or +14155550142. Write the number instead. Nothing was sent."
    );
}

#[test]
fn a_leading_number_in_any_lenient_form_sends_the_rest_there() {
    let config = with_contacts(&[]);
    let cases = [
        ("+14155550100 hi there", "+14155550100"),
        ("+1 (415) 555-0100 hi there", "+14155550100"),
        ("(415) 555-0100 hi there", "+14155550100"),
        ("1-415-555-0100 hi there", "+14155550100"),
        ("415.555.0100\nhi there", "+14155550100"),
        ("+44 20 7946 0958 hi there", "+442079460958"),
    ];
    for (body, to) in cases {
        let out = relay(&config, body, &media(), Some(ANN));
        assert_eq!(
            out.twiml.verbs,
            vec![sent(to, Some("hi there"), &links())],
            "{body:?}"
        );
        assert_eq!(out.effects, new_target(to), "{body:?}");
    }
}

#[test]
fn a_north_american_number_stops_after_ten_digits() {
    let config = config();
    for body in [
        "+1 415 555 0100 5 minutes late",
        "415 555 0100 5 minutes late",
    ] {
        let out = relay(&config, body, &[], Some(ANN));
        assert_eq!(
            out.twiml.verbs,
            vec![sent("+14155550100", Some("5 minutes late"), &[])],
            "{body:?}"
        );
    }
}

#[test]
fn a_spaced_number_outside_north_america_takes_a_following_digit_word() {
    // The documented limitation: without a numbering plan the 5 cannot be told apart.
    let out = relay(&config(), "+44 20 7946 0958 5 min", &[], Some(ANN));
    assert_eq!(
        out.twiml.verbs,
        vec![sent("+4420794609585", Some("min"), &[])]
    );
}

#[test]
fn number_looking_words_that_are_no_number_are_a_plain_reply() {
    let config = with_contacts(&[(ANN, "Ann")]);
    for body in [
        "5 minutes late",
        "2015 was a good year",
        "10-15 minutes",
        "+1 415 555 010 typo",
        "555-0100 is the office",
        "(415) later",
    ] {
        assert_plain(&config, body);
    }
}

#[test]
fn a_number_alone_is_a_plain_reply_so_numbers_can_be_shared() {
    let config = with_contacts(&[]);
    for body in [
        "+14155550111",
        "(415) 555-0111",
        "+44 20 7946 0958",
        " +14155550111 \n",
    ] {
        assert_plain(&config, body);
    }
}

#[test]
fn an_at_sign_later_or_followed_by_a_space_is_a_plain_reply() {
    let config = with_contacts(&[(ANN, "Ann")]);
    for body in [
        "see you @ 5",
        "ask @Ann about it",
        "ann@example.com hi",
        "@ home now",
        "@",
        "hi @Ann",
    ] {
        assert_plain(&config, body);
    }
}

#[test]
fn the_phone_itself_and_the_vbx_number_cannot_be_addressed() {
    // The seed names the cell's own number "BusinessName".
    let config = config();
    for body in ["@BusinessName hi", "+18005555555 hi", "(800) 555-5555 hi"] {
        let reply = error_reply(&relay(&config, body, &[], Some(CALLER)));
        assert_eq!(
            reply, "vbx: that is this phone's own number. Nothing was sent.",
            "{body:?}"
        );
    }
    let reply = error_reply(&relay(&config, "+18001234567 hi", &[], Some(CALLER)));
    assert_eq!(
        reply,
        "vbx: that is the vbx number itself. Nothing was sent."
    );
}
