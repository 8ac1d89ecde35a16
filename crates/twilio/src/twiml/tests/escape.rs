//! Escaping: markup characters, UTF-8, characters XML cannot carry, and whitespace that a
//! conforming XML parser would otherwise normalise away.

use super::{assert_voice_golden, read_voice, voice, DECLARATION};
use crate::twiml::{sanitize_text, Redirect, Say, Verb, Voice};

fn say(text: &str, language: &str) -> Verb {
    Verb::Say(Say {
        text: text.into(),
        language: Some(language.into()),
        ..Say::default()
    })
}

#[test]
fn twiml_markup_characters_are_escaped_in_text_and_attributes() {
    let doc = voice(vec![say(r#"<&"'>"#, r#"<&"'>"#)]);
    assert_voice_golden(
        &doc,
        r#"<Response><Say language="&lt;&amp;&quot;'&gt;">&lt;&amp;"'&gt;</Say></Response>"#,
    );
}

#[test]
fn twiml_text_that_looks_like_markup_stays_text() {
    let text = "</Say><Hangup/><!-- x --> &amp; ]]>";
    let doc = voice(vec![say(text, "en-US")]);
    let read = read_voice(&doc.to_xml()).unwrap();
    assert_eq!(read, doc);
}

#[test]
fn twiml_utf8_and_emoji_are_written_as_is() {
    let doc = voice(vec![Verb::Say(Say {
        text: "Grüße 😀 日本".into(),
        voice: Some(Voice::Polly("Léa-Neural 😀".into())),
        ..Say::default()
    })]);
    assert_voice_golden(
        &doc,
        r#"<Response><Say voice="Polly.Léa-Neural 😀">Grüße 😀 日本</Say></Response>"#,
    );
}

#[test]
fn twiml_characters_xml_cannot_carry_are_dropped() {
    let dirty = "a\u{0}b\u{7}c\u{1b}d\u{fffe}e\u{ffff}f";
    let doc = voice(vec![say(dirty, dirty)]);
    let xml = doc.to_xml();
    assert_eq!(
        xml,
        format!(r#"{DECLARATION}<Response><Say language="abcdef">abcdef</Say></Response>"#)
    );
    assert_eq!(
        read_voice(&xml).unwrap(),
        voice(vec![say("abcdef", "abcdef")])
    );
    assert_eq!(sanitize_text(dirty), "abcdef");
}

#[test]
fn twiml_text_made_only_of_dropped_characters_becomes_an_empty_element() {
    let doc = voice(vec![Verb::Redirect(Redirect {
        url: "\u{0}\u{1}".into(),
        method: None,
    })]);
    assert_eq!(
        doc.to_xml(),
        format!("{DECLARATION}<Response><Redirect /></Response>")
    );
}

#[test]
fn twiml_tab_newline_and_carriage_return_survive_a_round_trip() {
    let text = "\ta\r\nb\rc\n";
    let doc = voice(vec![say(text, text)]);
    assert_voice_golden(
        &doc,
        concat!(
            r#"<Response><Say language="&#9;a&#13;&#10;b&#13;c&#10;">"#,
            "\ta&#13;\nb&#13;c\n</Say></Response>"
        ),
    );
}

#[test]
fn twiml_literal_line_breaks_and_tabs_are_normalised_like_any_xml_parser_does() {
    let xml = "<Response><Say language=\"a\tb\r\nc\">x\r\ny\rz</Say></Response>";
    assert_eq!(
        read_voice(xml).unwrap(),
        voice(vec![say("x\ny\nz", "a b c")])
    );
}

#[test]
fn twiml_whitespace_only_text_is_kept_when_it_is_the_whole_content() {
    let doc = voice(vec![say("  ", " "), say(" padded\t", "x")]);
    assert_voice_golden(
        &doc,
        concat!(
            r#"<Response><Say language=" ">  </Say>"#,
            "<Say language=\"x\"> padded\t</Say></Response>"
        ),
    );
}

#[test]
fn twiml_character_references_are_resolved() {
    let xml = "<Response><Say>&#x1F600;&#233;&lt;&apos;&quot;</Say></Response>";
    assert_eq!(
        read_voice(xml).unwrap(),
        voice(vec![Verb::Say(Say {
            text: "😀é<'\"".into(),
            ..Say::default()
        })])
    );
}
