//! The gateway's stanzas: presence, roster, texts both ways, notices, against a real stream parser.

use super::*;
use crate::device::xmpp::stream::{StreamEvent, XmlReader};

const TARGET: &str = "me@localhost";

fn number(n: &str) -> PhoneNumber {
    PhoneNumber::parse(n).unwrap()
}

fn gateway() -> Gateway {
    let contacts = BTreeMap::from([
        (number("+14155550199"), "Ann \"Boss\" <&>".to_owned()),
        (number("+18005555555"), "Shop".to_owned()),
    ]);
    Gateway::new(
        "SMS.localhost",
        "Me@Localhost",
        number("+18001234567"),
        contacts,
    )
}

/// Parses one stanza the way it arrives on a component stream.
fn stanza(xml: &str) -> Element {
    let doc = format!(
        "<stream:stream xmlns='jabber:component:accept' \
         xmlns:stream='http://etherx.jabber.org/streams'>{xml}"
    );
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            let mut reader = XmlReader::new(doc.as_bytes());
            assert!(matches!(reader.next().await.unwrap(), StreamEvent::Open(_)));
            match reader.next().await.unwrap() {
                StreamEvent::Element(e) => e,
                other => panic!("{other:?}"),
            }
        })
}

/// The outcomes with stanzas as XML, for golden comparisons.
fn shown(outcomes: Vec<Outcome>) -> Vec<String> {
    outcomes
        .into_iter()
        .map(|o| match o {
            Outcome::Send(e) => e.to_xml(NS_COMPONENT),
            Outcome::Online(b) => format!("online={b}"),
            Outcome::Sms { to, body, media } => {
                format!("sms to={to} body={body:?} media={media:?}")
            }
        })
        .collect()
}

fn xml(elements: Vec<Element>) -> Vec<String> {
    elements.iter().map(|e| e.to_xml(NS_COMPONENT)).collect()
}

#[test]
fn on_connect_the_component_subscribes_and_probes_and_offers_each_contact_with_its_nick() {
    let mut gw = gateway();
    assert_eq!(
        xml(gw.on_connect()),
        [
            r#"<presence from="sms.localhost" to="me@localhost" type="probe"/>"#,
            r#"<presence from="sms.localhost" to="me@localhost" type="subscribe"/>"#,
            concat!(
                r#"<presence from="+14155550199@sms.localhost" to="me@localhost" type="subscribe">"#,
                r#"<nick xmlns="http://jabber.org/protocol/nick">Ann "Boss" &lt;&amp;&gt;</nick></presence>"#
            ),
            concat!(
                r#"<presence from="+18005555555@sms.localhost" to="me@localhost" type="subscribe">"#,
                r#"<nick xmlns="http://jabber.org/protocol/nick">Shop</nick></presence>"#
            ),
        ]
    );
}

#[test]
fn the_target_is_online_while_any_resource_is_available() {
    let mut gw = gateway();
    gw.on_connect();
    let first = gw.on_stanza(&stanza(
        "<presence from='me@localhost/phone' to='sms.localhost'><show>away</show></presence>",
    ));
    assert_eq!(
        shown(first),
        [
            "online=true".to_owned(),
            concat!(
                r#"<presence from="sms.localhost" to="me@localhost/phone">"#,
                r#"<nick xmlns="http://jabber.org/protocol/nick">SMS +18001234567</nick></presence>"#
            )
            .to_owned(),
            concat!(
                r#"<presence from="+14155550199@sms.localhost" to="me@localhost/phone">"#,
                r#"<nick xmlns="http://jabber.org/protocol/nick">Ann "Boss" &lt;&amp;&gt;</nick></presence>"#
            )
            .to_owned(),
            concat!(
                r#"<presence from="+18005555555@sms.localhost" to="me@localhost/phone">"#,
                r#"<nick xmlns="http://jabber.org/protocol/nick">Shop</nick></presence>"#
            )
            .to_owned(),
        ]
    );
    assert!(gw.online());
    // The same resource again (a status change, or the broadcast to each contact JID).
    assert!(gw
        .on_stanza(&stanza(
            "<presence from='me@localhost/phone' to='+18005555555@sms.localhost'/>"
        ))
        .is_empty());
    // A second resource gets the contacts too, but the target was online already.
    let second = shown(gw.on_stanza(&stanza(
        "<presence from='ME@localhost/laptop' to='sms.localhost'/>",
    )));
    assert_eq!(second.len(), 3);
    assert!(
        second
            .iter()
            .all(|s| s.contains(r#"to="ME@localhost/laptop""#)),
        "{second:?}"
    );

    assert!(gw
        .on_stanza(&stanza(
            "<presence type='unavailable' from='me@localhost/phone' to='sms.localhost'/>"
        ))
        .is_empty());
    assert!(gw.online());
    assert_eq!(
        shown(gw.on_stanza(&stanza(
            "<presence type='unavailable' from='ME@localhost/laptop' to='sms.localhost'/>"
        ))),
        ["online=false"]
    );
    assert!(!gw.online());
}

#[test]
fn a_bare_unavailable_clears_every_resource_and_a_disconnect_forgets_them() {
    let mut gw = gateway();
    gw.on_stanza(&stanza(
        "<presence from='me@localhost/a' to='sms.localhost'/>",
    ));
    gw.on_stanza(&stanza(
        "<presence from='me@localhost/b' to='sms.localhost'/>",
    ));
    assert_eq!(
        shown(gw.on_stanza(&stanza(
            "<presence type='unavailable' from='me@localhost' to='sms.localhost'/>"
        ))),
        ["online=false"]
    );
    gw.on_stanza(&stanza(
        "<presence from='me@localhost/a' to='sms.localhost'/>",
    ));
    assert!(gw.on_disconnect());
    assert!(!gw.online());
    assert!(!gw.on_disconnect());
}

#[test]
fn presence_from_anyone_else_changes_nothing_and_their_subscriptions_are_refused() {
    let mut gw = gateway();
    assert!(gw
        .on_stanza(&stanza(
            "<presence from='other@localhost/x' to='sms.localhost'/>"
        ))
        .is_empty());
    assert!(!gw.online());
    assert_eq!(
        shown(gw.on_stanza(&stanza(
            "<presence type='subscribe' from='other@localhost' to='+14155550199@sms.localhost'/>"
        ))),
        [
            r#"<presence from="+14155550199@sms.localhost" to="other@localhost" type="unsubscribed"/>"#
        ]
    );
    assert!(gw
        .on_stanza(&stanza(
            "<presence type='probe' from='other@localhost' to='+14155550199@sms.localhost'/>"
        ))
        .is_empty());
}

#[test]
fn the_targets_probes_and_subscriptions_are_answered_for_any_number() {
    let mut gw = gateway();
    assert_eq!(
        shown(gw.on_stanza(&stanza(
            "<presence type='probe' from='me@localhost' to='+14155550199@sms.localhost'/>"
        ))),
        [concat!(
            r#"<presence from="+14155550199@sms.localhost" to="me@localhost">"#,
            r#"<nick xmlns="http://jabber.org/protocol/nick">Ann "Boss" &lt;&amp;&gt;</nick></presence>"#
        )]
    );
    assert_eq!(
        shown(gw.on_stanza(&stanza(
            "<presence type='subscribe' from='me@localhost' to='+15005550006@sms.localhost'/>"
        ))),
        [
            r#"<presence from="+15005550006@sms.localhost" to="me@localhost" type="subscribed"/>"#,
            r#"<presence from="+15005550006@sms.localhost" to="me@localhost"/>"#,
        ]
    );
    assert_eq!(
        shown(gw.on_stanza(&stanza(
            "<presence type='subscribe' from='me@localhost' to='pizza@sms.localhost'/>"
        ))),
        [r#"<presence from="pizza@sms.localhost" to="me@localhost" type="unsubscribed"/>"#]
    );
    assert_eq!(
        shown(gw.on_stanza(&stanza(
            "<presence type='unsubscribe' from='me@localhost' to='+15005550006@sms.localhost'/>"
        ))),
        [r#"<presence from="+15005550006@sms.localhost" to="me@localhost" type="unsubscribed"/>"#]
    );
}

#[test]
fn the_targets_message_to_a_number_becomes_an_sms_to_that_number() {
    let mut gw = gateway();
    let out = gw.on_stanza(&stanza(
        "<message type='chat' from='me@localhost/phone' to='+14155550199@sms.localhost' id='1'>\
         <body>Thanks &amp; see you &lt;3</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>",
    ));
    assert_eq!(
        out,
        [Outcome::Sms {
            to: number("+14155550199"),
            body: "Thanks & see you <3".into(),
            media: vec![]
        }]
    );
    // Written the way people type it; a type-less message is a normal one.
    let out = gw.on_stanza(&stanza(
        "<message from='me@localhost/phone' to='(415)\\20555-0100@sms.localhost'><body>hi</body></message>",
    ));
    assert_eq!(
        out,
        [Outcome::Sms {
            to: number("+14155550100"),
            body: "hi".into(),
            media: vec![]
        }]
    );
}

#[test]
fn out_of_band_urls_become_media_and_a_body_that_repeats_one_is_dropped() {
    let mut gw = gateway();
    let out = gw.on_stanza(&stanza(
        "<message type='chat' from='me@localhost/phone' to='+15005550006@sms.localhost'>\
         <body> https://files.example.com/cat.jpg </body>\
         <x xmlns='jabber:x:oob'><url>https://files.example.com/cat.jpg</url></x>\
         <x xmlns='jabber:x:oob'><url>file:///etc/passwd</url></x></message>",
    ));
    assert_eq!(
        out,
        [Outcome::Sms {
            to: number("+15005550006"),
            body: String::new(),
            media: vec!["https://files.example.com/cat.jpg".into()]
        }]
    );
    let out = gw.on_stanza(&stanza(
        "<message type='chat' from='me@localhost/phone' to='+15005550006@sms.localhost'>\
         <body>look</body><x xmlns='jabber:x:oob'><url>https://e.com/a.png</url></x></message>",
    ));
    assert_eq!(
        out,
        [Outcome::Sms {
            to: number("+15005550006"),
            body: "look".into(),
            media: vec!["https://e.com/a.png".into()]
        }]
    );
}

#[test]
fn messages_without_text_are_not_texted() {
    let mut gw = gateway();
    for xml in [
        "<message type='chat' from='me@localhost/p' to='+15005550006@sms.localhost'>\
         <composing xmlns='http://jabber.org/protocol/chatstates'/></message>",
        "<message type='chat' from='me@localhost/p' to='+15005550006@sms.localhost'><body>  </body></message>",
        "<message type='error' from='me@localhost/p' to='+15005550006@sms.localhost'><body>x</body></message>",
        "<message type='groupchat' from='me@localhost/p' to='+15005550006@sms.localhost'><body>x</body></message>",
    ] {
        assert!(gw.on_stanza(&stanza(xml)).is_empty(), "{xml}");
    }
}

#[test]
fn a_jid_that_is_not_a_number_gets_an_explanation_back() {
    let mut gw = gateway();
    assert_eq!(
        shown(gw.on_stanza(&stanza(
            "<message type='chat' from='me@localhost/phone' to='pizza\\20place@sms.localhost'><body>hi</body></message>"
        ))),
        [concat!(
            r#"<message type="chat" from="pizza\20place@sms.localhost" to="me@localhost/phone"><body>"#,
            r#"Not sent: "pizza place" is not a phone number. Write to the number in international form, "#,
            "e.g. +14155550100@sms.localhost.</body></message>"
        )]
    );
    let help = shown(gw.on_stanza(&stanza(
        "<message type='chat' from='me@localhost/phone' to='sms.localhost'><body>help</body></message>",
    )));
    assert_eq!(help.len(), 1);
    assert!(help[0].starts_with(r#"<message type="chat" from="sms.localhost" to="me@localhost/phone"><body>This is the SMS gateway of +18001234567."#), "{help:?}");
}

#[test]
fn messages_from_anyone_but_the_target_are_refused() {
    let mut gw = gateway();
    assert_eq!(
        shown(gw.on_stanza(&stanza(
            "<message type='chat' id='m1' from='mallory@localhost/x' to='+15005550006@sms.localhost'><body>spam</body></message>"
        ))),
        [concat!(
            r#"<message type="error" from="+15005550006@sms.localhost" to="mallory@localhost/x" id="m1">"#,
            r#"<error type="auth"><forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>"#,
            r#"<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">This SMS gateway serves only its owner.</text>"#,
            "</error></message>"
        )]
    );
}

#[test]
fn a_text_reaches_the_target_from_the_senders_jid_with_nick_links_and_oob() {
    let gw = gateway();
    let text = XmppPayload {
        device: "jabber".into(),
        from: "+14155550199".into(),
        from_name: None,
        body: "Hi <you> & \"them\"".into(),
        media: vec![
            "https://api.twilio.com/m/1?a=1&b=2".into(),
            "https://e.com/2".into(),
        ],
    };
    assert_eq!(
        gw.text("vbx-7", &text).to_xml(NS_COMPONENT),
        concat!(
            r#"<message type="chat" from="+14155550199@sms.localhost" to="me@localhost" id="vbx-7">"#,
            "<body>Hi &lt;you&gt; &amp; \"them\"\nhttps://api.twilio.com/m/1?a=1&amp;b=2\nhttps://e.com/2</body>",
            r#"<origin-id xmlns="urn:xmpp:sid:0" id="vbx-7"/>"#,
            r#"<nick xmlns="http://jabber.org/protocol/nick">Ann "Boss" &lt;&amp;&gt;</nick>"#,
            r#"<x xmlns="jabber:x:oob"><url>https://api.twilio.com/m/1?a=1&amp;b=2</url></x>"#,
            r#"<x xmlns="jabber:x:oob"><url>https://e.com/2</url></x></message>"#
        )
    );
    let short_code = XmppPayload {
        device: "jabber".into(),
        from: "My Bank".into(),
        from_name: Some("Bank".into()),
        body: "code 1234".into(),
        media: vec![],
    };
    assert_eq!(
        gw.text("vbx-8", &short_code).to_xml(NS_COMPONENT),
        concat!(
            r#"<message type="chat" from="My\20Bank@sms.localhost" to="me@localhost" id="vbx-8">"#,
            r#"<body>code 1234</body><origin-id xmlns="urn:xmpp:sid:0" id="vbx-8"/>"#,
            r#"<nick xmlns="http://jabber.org/protocol/nick">Bank</nick></message>"#
        )
    );
}

#[test]
fn pings_and_disco_are_answered_and_other_queries_refused() {
    let mut gw = gateway();
    assert_eq!(
        shown(gw.on_stanza(&stanza(
            "<iq type='get' id='p1' from='localhost' to='sms.localhost'><ping xmlns='urn:xmpp:ping'/></iq>"
        ))),
        [r#"<iq from="sms.localhost" to="localhost" id="p1" type="result"/>"#]
    );
    let disco = shown(gw.on_stanza(&stanza(
        "<iq type='get' id='d1' from='me@localhost/p' to='sms.localhost'>\
         <query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
    )));
    assert_eq!(disco.len(), 1);
    assert!(
        disco[0].contains(r#"<identity category="gateway" type="sms" name="SMS +18001234567"/>"#),
        "{disco:?}"
    );
    assert_eq!(
        shown(gw.on_stanza(&stanza(
            "<iq type='set' id='v1' from='me@localhost/p' to='+1415@sms.localhost'><query xmlns='jabber:iq:version'/></iq>"
        ))),
        [concat!(
            r#"<iq from="+1415@sms.localhost" to="me@localhost/p" id="v1" type="error">"#,
            r#"<error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>"#
        )]
    );
    assert!(gw
        .on_stanza(&stanza(
            "<iq type='result' id='x' from='me@localhost/p' to='sms.localhost'/>"
        ))
        .is_empty());
}

#[test]
fn farewell_makes_every_gateway_jid_unavailable() {
    let gw = gateway();
    assert_eq!(
        xml(gw.farewell()),
        [
            r#"<presence from="sms.localhost" to="me@localhost" type="unavailable"/>"#,
            r#"<presence from="+14155550199@sms.localhost" to="me@localhost" type="unavailable"/>"#,
            r#"<presence from="+18005555555@sms.localhost" to="me@localhost" type="unavailable"/>"#,
        ]
    );
    assert_eq!(gw.target(), TARGET);
}
