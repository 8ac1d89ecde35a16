//! Reader errors: each names the element (by path) and the attribute, and malformed XML is
//! told apart from well-formed XML that is not TwiML.

use proptest::prelude::*;

use super::{read_messaging, read_voice};
use crate::twiml::ReadError;

fn voice_invalid(xml: &str) -> String {
    match read_voice(xml) {
        Err(ReadError::Invalid(message)) => message,
        other => panic!("expected ReadError::Invalid for {xml:?}, got {other:?}"),
    }
}

fn messaging_invalid(xml: &str) -> String {
    match read_messaging(xml) {
        Err(ReadError::Invalid(message)) => message,
        other => panic!("expected ReadError::Invalid for {xml:?}, got {other:?}"),
    }
}

fn voice_malformed(xml: &str) -> String {
    match read_voice(xml) {
        Err(ReadError::Xml(message)) => message,
        other => panic!("expected ReadError::Xml for {xml:?}, got {other:?}"),
    }
}

#[test]
fn twiml_unknown_verb_is_named_with_its_path() {
    assert_eq!(
        voice_invalid("<Response><Say>a</Say><Say>b</Say><Dance/></Response>"),
        "Response/Dance[1]: unknown verb <Dance> (voice verbs: Say, Play, Pause, Record, Dial, \
         Gather, Hangup, Redirect, Reject, Enqueue, Leave)"
    );
}

#[test]
fn twiml_twilio_verbs_without_a_type_are_reported_as_unsupported() {
    assert_eq!(
        voice_invalid("<Response><Connect/></Response>"),
        "Response/Connect[1]: <Connect> is not supported (supported voice verbs: Say, Play, \
         Pause, Record, Dial, Gather, Hangup, Redirect, Reject, Enqueue, Leave)"
    );
}

#[test]
fn twiml_path_counts_same_name_siblings() {
    assert_eq!(
        voice_invalid(r#"<Response><Say>a</Say><Pause/><Say loop="x">b</Say></Response>"#),
        r#"Response/Say[2]: attribute `loop` is "x", expected a whole number from 0 to 4294967295"#
    );
}

#[test]
fn twiml_bad_attribute_values_name_the_attribute_and_the_expected_values() {
    let cases = [
        (
            r#"<Response><Say voice="robot">a</Say></Response>"#,
            r#"Response/Say[1]: attribute `voice` is "robot", expected man, woman, alice, Polly.<Name> or Google.<voice>"#,
        ),
        (
            r#"<Response><Redirect method="post">/x</Redirect></Response>"#,
            r#"Response/Redirect[1]: attribute `method` is "post", expected GET or POST"#,
        ),
        (
            r#"<Response><Record playBeep="yes"/></Response>"#,
            r#"Response/Record[1]: attribute `playBeep` is "yes", expected true or false"#,
        ),
        (
            r#"<Response><Record trim="cut"/></Response>"#,
            r#"Response/Record[1]: attribute `trim` is "cut", expected trim-silence or do-not-trim"#,
        ),
        (
            r#"<Response><Reject reason="nope"/></Response>"#,
            r#"Response/Reject[1]: attribute `reason` is "nope", expected rejected or busy"#,
        ),
        (
            r#"<Response><Pause length="+5"/></Response>"#,
            r#"Response/Pause[1]: attribute `length` is "+5", expected a whole number from 0 to 4294967295"#,
        ),
        (
            r#"<Response><Pause length="4294967296"/></Response>"#,
            r#"Response/Pause[1]: attribute `length` is "4294967296", expected a whole number from 0 to 4294967295"#,
        ),
        (
            r#"<Response><Dial><Conference maxParticipants="ten">r</Conference></Dial></Response>"#,
            r#"Response/Dial[1]/Conference[1]: attribute `maxParticipants` is "ten", expected a whole number from 0 to 4294967295"#,
        ),
    ];
    for (xml, expected) in cases {
        assert_eq!(voice_invalid(xml), expected, "for {xml}");
    }
}

#[test]
fn twiml_dial_record_rejects_unknown_values() {
    assert!(
        voice_invalid(r#"<Response><Dial record="always"/></Response>"#).starts_with(
            r#"Response/Dial[1]: attribute `record` is "always", expected do-not-record,"#
        )
    );
}

#[test]
fn twiml_unknown_attributes_are_listed_with_the_known_ones() {
    assert_eq!(
        voice_invalid(r#"<Response><Say lang="en">a</Say></Response>"#),
        "Response/Say[1]: unknown attribute `lang` (<Say> takes: voice, language, loop)"
    );
    assert_eq!(
        voice_invalid(r#"<Response><Hangup reason="x"/></Response>"#),
        "Response/Hangup[1]: unknown attribute `reason` (<Hangup> takes no attributes)"
    );
    assert_eq!(
        voice_invalid(r#"<Response xmlns="urn:x"/>"#),
        "Response: unknown attribute `xmlns` (<Response> takes no attributes)"
    );
}

#[test]
fn twiml_forbidden_nesting_is_reported_at_the_nested_element() {
    let cases = [
        (
            "<Response><Gather><Dial>1</Dial></Gather></Response>",
            "Response/Gather[1]/Dial[1]: <Dial> is not allowed inside <Gather> (only Say, Play and Pause)",
        ),
        (
            "<Response><Record><Say>a</Say></Record></Response>",
            "Response/Record[1]/Say[1]: <Say> is not allowed inside <Record>, which takes no content",
        ),
        (
            "<Response><Say>a<break/></Say></Response>",
            "Response/Say[1]/break[1]: <break> is not allowed inside <Say>, which holds only text",
        ),
        (
            "<Response><Dial><Say>a</Say></Dial></Response>",
            "Response/Dial[1]/Say[1]: <Say> is not allowed inside <Dial> (only Number, Client, Conference, Queue and Sip)",
        ),
        (
            "<Response><Dial><Client><Number>1</Number></Client></Dial></Response>",
            "Response/Dial[1]/Client[1]/Number[1]: <Number> is not allowed inside <Client> (only Identity and Parameter)",
        ),
        (
            "<Response><Number>+15551234567</Number></Response>",
            "Response/Number[1]: <Number> is only allowed inside <Dial>",
        ),
        (
            "<Response><Message>hi</Message></Response>",
            "Response/Message[1]: <Message> is a messaging verb; it is not allowed in a voice response",
        ),
        (
            r#"<Response><Gather><Play digits="1">/a.wav</Play></Gather></Response>"#,
            "Response/Gather[1]/Play[1]: attribute `digits` is not allowed on a <Play> inside <Gather>",
        ),
        (
            "<Response><Hangup>now</Hangup></Response>",
            r#"Response/Hangup[1]: text "now" is not allowed directly inside <Hangup>"#,
        ),
    ];
    for (xml, expected) in cases {
        assert_eq!(voice_invalid(xml), expected, "for {xml}");
    }
}

#[test]
fn twiml_text_where_only_elements_belong_is_refused() {
    assert_eq!(
        voice_invalid("<Response>Hello<Hangup/></Response>"),
        r#"Response: text "Hello" is not allowed directly inside <Response>"#
    );
    assert_eq!(
        voice_invalid("<Response><Dial>+1555<Number>+1666</Number></Dial></Response>"),
        r#"Response/Dial[1]: text "+1555" next to nouns: a <Dial> holds either a bare number or nouns, not both"#
    );
    assert_eq!(
        voice_invalid("<Response><Dial><Client>al<Parameter name=\"a\" value=\"b\"/></Client></Dial></Response>"),
        r#"Response/Dial[1]/Client[1]: text "al" next to <Identity>/<Parameter>: put the identity in <Identity>"#
    );
}

#[test]
fn twiml_client_children_are_checked() {
    assert_eq!(
        voice_invalid(
            r#"<Response><Dial><Client><Parameter name="a"/></Client></Dial></Response>"#
        ),
        "Response/Dial[1]/Client[1]/Parameter[1]: attribute `value` is required on <Parameter>"
    );
    assert_eq!(
        voice_invalid(
            "<Response><Dial><Client><Identity>a</Identity><Identity>b</Identity></Client></Dial></Response>"
        ),
        "Response/Dial[1]/Client[1]/Identity[2]: a <Client> has at most one <Identity>"
    );
}

#[test]
fn twiml_messaging_responses_take_only_message_and_redirect() {
    assert_eq!(
        messaging_invalid("<Response><Say>hi</Say></Response>"),
        "Response/Say[1]: <Say> is a voice verb; a messaging response takes only <Message> and <Redirect>"
    );
    assert_eq!(
        messaging_invalid("<Response><Number>+15551234567</Number></Response>"),
        "Response/Number[1]: <Number> is a voice noun; a messaging response takes only <Message> and <Redirect>"
    );
    assert_eq!(
        messaging_invalid("<Response><Email/></Response>"),
        "Response/Email[1]: unknown verb <Email> (messaging verbs: Message, Redirect)"
    );
    assert_eq!(
        messaging_invalid("<Response><Message><Body>a</Body><Say>b</Say></Message></Response>"),
        "Response/Message[1]/Say[1]: <Say> is not allowed inside <Message> (only Body and Media)"
    );
    assert_eq!(
        messaging_invalid("<Response><Message>hi<Media>/a.jpg</Media></Message></Response>"),
        r#"Response/Message[1]: text "hi" next to <Body>/<Media>: put the text in <Body>"#
    );
}

#[test]
fn twiml_root_must_be_response() {
    assert_eq!(
        voice_invalid("<Reply><Say>a</Say></Reply>"),
        "the root element is <Reply>; a TwiML document has <Response> as its root"
    );
}

#[test]
fn twiml_doctype_is_refused() {
    assert_eq!(
        voice_invalid(r#"<!DOCTYPE Response [<!ENTITY x "y">]><Response/>"#),
        "a TwiML document cannot have a <!DOCTYPE>"
    );
}

#[test]
fn twiml_deep_nesting_is_refused_before_building_a_tree() {
    let depth = 100_000;
    let xml = format!(
        "<Response>{}{}</Response>",
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    );
    assert_eq!(
        voice_invalid(&xml),
        "Response/a/a/a/a/a/a/a: <a> is nested more than 8 elements deep"
    );
}

#[test]
fn twiml_malformed_xml_is_an_xml_error() {
    let cases = [
        "",
        "   ",
        "<Response>",
        "<Response><Say>a</Play></Response>",
        "<Response></Response><Response/>",
        "<Response/>trailing",
        "<Response><Say>a &foo; b</Say></Response>",
        "<Response><Say>a & b</Say></Response>",
        "<Response><Say>&#1;</Say></Response>",
        "<Response><Say>bell\u{7}</Say></Response>",
        r#"<Response><Say voice="a<b">x</Say></Response>"#,
        r#"<Response><Say voice="man" voice="woman">x</Say></Response>"#,
        "<Response><Say voice=man>x</Say></Response>",
        "<Response><!-- a -- b --></Response>",
        "</Response>",
    ];
    for xml in cases {
        voice_malformed(xml);
    }
}

#[test]
fn twiml_malformed_xml_messages_say_what_is_wrong() {
    assert_eq!(
        voice_malformed("<Response><Say>a"),
        "the document ends inside <Say>, which is never closed"
    );
    assert_eq!(voice_malformed(""), "the document has no root element");
    assert_eq!(
        voice_malformed("<Response><Say>\u{1}</Say></Response>"),
        "in the text of <Say> at byte 15: character U+0001 is not allowed in XML 1.0"
    );
    assert_eq!(
        voice_malformed("<Response><Say>a &foo; b</Say></Response>"),
        "in the text of <Say> at byte 15: unknown entity `&foo;` (XML knows only &amp; &lt; \
         &gt; &quot; &apos; and character references)"
    );
    assert_eq!(
        voice_malformed("<Response><Pause/><Say>Tom & Jerry</Say></Response>"),
        "in the text of <Say> at byte 23: `&` does not start an entity ending in `;` \
         (write `&amp;` for a literal `&`)"
    );
    assert_eq!(
        voice_malformed(r#"<Response><Say voice="a<b">x</Say></Response>"#),
        "in <Say> at byte 10: attribute `voice`: a literal `<` is not allowed in a value \
         (write `&lt;`)"
    );
    assert_eq!(
        voice_malformed(r#"<Response><Say language="&#0;">x</Say></Response>"#),
        "in <Say> at byte 10: attribute `language`: bad character reference: 0x0 character \
         is not permitted in XML"
    );
    assert_eq!(
        voice_malformed("<Response/>trailing"),
        "text outside the root element (at byte 11)"
    );
}

proptest! {
    #[test]
    fn twiml_reader_never_panics_on_arbitrary_text(xml in any::<String>()) {
        let _ = read_voice(&xml);
        let _ = read_messaging(&xml);
    }

    #[test]
    fn twiml_reader_never_panics_on_damaged_documents(
        cut in 0usize..400,
        insert in prop::sample::select(vec!["<", ">", "&", "\"", "</Say>", "<Say>", "&#0;", "\u{0}"]),
    ) {
        let xml = concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say loop="2">Hi &amp; bye</Say>"#,
            r#"<Gather numDigits="1"><Play>/a.wav</Play></Gather><Dial><Client><Identity>a"#,
            r#"</Identity><Parameter name="n" value="v" /></Client></Dial><Hangup /></Response>"#
        );
        let mut at = cut.min(xml.len());
        while !xml.is_char_boundary(at) {
            at -= 1;
        }
        let truncated = &xml[..at];
        let spliced = format!("{}{insert}{}", &xml[..at], &xml[at..]);
        let _ = read_voice(truncated);
        let _ = read_voice(&spliced);
    }
}
