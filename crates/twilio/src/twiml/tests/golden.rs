//! Golden documents: twilio-python's renderings from FACTS §4 and every verb and noun with all
//! of its attributes, checked in both directions.

use super::{
    assert_messaging_golden, assert_voice_golden, messaging, read_messaging, read_voice, voice,
};
use crate::twiml::{
    Client, Conference, Dial, DialRecord, DialTarget, Enqueue, Gather, GatherChild, Message,
    MessagingVerb, Method, NounCallbacks, Number, Pause, Play, Queue, Record, Redirect, Reject,
    RejectReason, Say, Sip, Trim, Verb, Voice, VoiceResponse,
};

#[test]
fn twiml_say_with_loop_and_voice_matches_twilio_python() {
    let doc = voice(vec![Verb::Say(Say {
        text: "Hello Monkey".into(),
        voice: Some(Voice::Woman),
        language: None,
        loop_count: Some(3),
    })]);
    assert_voice_golden(
        &doc,
        r#"<Response><Say loop="3" voice="woman">Hello Monkey</Say></Response>"#,
    );
}

#[test]
fn twiml_record_matches_twilio_python() {
    let doc = voice(vec![Verb::Record(Record {
        finish_on_key: Some("#".into()),
        max_length: Some(30),
        timeout: Some(4),
        ..Record::default()
    })]);
    assert_voice_golden(
        &doc,
        r##"<Response><Record finishOnKey="#" maxLength="30" timeout="4" /></Response>"##,
    );
}

#[test]
fn twiml_play_with_only_digits_is_an_empty_element() {
    let doc = voice(vec![Verb::Play(Play {
        url: String::new(),
        loop_count: None,
        digits: Some("w123".into()),
    })]);
    assert_voice_golden(&doc, r#"<Response><Play digits="w123" /></Response>"#);
}

#[test]
fn twiml_redirect_matches_twilio_python() {
    let doc = voice(vec![Verb::Redirect(Redirect {
        url: "example.com".into(),
        method: Some(Method::Post),
    })]);
    assert_voice_golden(
        &doc,
        r#"<Response><Redirect method="POST">example.com</Redirect></Response>"#,
    );
}

#[test]
fn twiml_dial_client_matches_twilio_python() {
    let doc = voice(vec![Verb::Dial(Dial {
        targets: vec![DialTarget::Client(Client {
            identity: "alice".into(),
            ..Client::default()
        })],
        ..Dial::default()
    })]);
    assert_voice_golden(
        &doc,
        r#"<Response><Dial><Client>alice</Client></Dial></Response>"#,
    );
}

#[test]
fn twiml_empty_responses_are_empty_elements() {
    assert_voice_golden(&VoiceResponse::new(), "<Response />");
    assert_messaging_golden(&messaging(vec![]), "<Response />");
}

#[test]
fn twiml_say_and_play_write_every_attribute() {
    let doc = voice(vec![
        Verb::Say(Say {
            text: "Hi".into(),
            voice: Some(Voice::Polly("Joanna-Neural".into())),
            language: Some("en-GB".into()),
            loop_count: Some(0),
        }),
        Verb::Play(Play {
            url: "https://example.com/a.mp3".into(),
            loop_count: Some(2),
            digits: Some("1234#".into()),
        }),
        Verb::Pause(Pause { length: Some(5) }),
        Verb::Pause(Pause::default()),
    ]);
    assert_voice_golden(
        &doc,
        concat!(
            r#"<Response><Say language="en-GB" loop="0" voice="Polly.Joanna-Neural">Hi</Say>"#,
            r#"<Play digits="1234#" loop="2">https://example.com/a.mp3</Play>"#,
            r#"<Pause length="5" /><Pause /></Response>"#
        ),
    );
}

#[test]
fn twiml_voices_use_twilio_spelling() {
    let cases = [
        (Voice::Man, "man"),
        (Voice::Woman, "woman"),
        (Voice::Alice, "alice"),
        (Voice::Polly("Matthew".into()), "Polly.Matthew"),
        (
            Voice::Google("en-US-Standard-C".into()),
            "Google.en-US-Standard-C",
        ),
    ];
    for (v, spelled) in cases {
        let doc = voice(vec![Verb::Say(Say {
            text: "x".into(),
            voice: Some(v),
            ..Say::default()
        })]);
        assert_voice_golden(
            &doc,
            &format!(r#"<Response><Say voice="{spelled}">x</Say></Response>"#),
        );
    }
}

#[test]
fn twiml_record_writes_every_attribute() {
    let doc = voice(vec![Verb::Record(Record {
        action: Some("/rec".into()),
        method: Some(Method::Get),
        timeout: Some(0),
        finish_on_key: Some("*#".into()),
        max_length: Some(120),
        play_beep: Some(false),
        trim: Some(Trim::DoNotTrim),
        recording_status_callback: Some("/rs".into()),
        recording_status_callback_method: Some(Method::Get),
        recording_status_callback_event: Some("in-progress completed".into()),
        transcribe: Some(true),
        transcribe_callback: Some("/tc".into()),
    })]);
    assert_voice_golden(
        &doc,
        concat!(
            r##"<Response><Record action="/rec" finishOnKey="*#" maxLength="120" method="GET" "##,
            r#"playBeep="false" recordingStatusCallback="/rs" "#,
            r#"recordingStatusCallbackEvent="in-progress completed" "#,
            r#"recordingStatusCallbackMethod="GET" timeout="0" transcribe="true" "#,
            r#"transcribeCallback="/tc" trim="do-not-trim" /></Response>"#
        ),
    );
}

#[test]
fn twiml_dial_writes_every_attribute_and_a_bare_number() {
    let doc = voice(vec![Verb::Dial(Dial {
        action: Some("/dialed".into()),
        method: Some(Method::Get),
        timeout: Some(20),
        caller_id: Some("+15550001111".into()),
        record: Some(DialRecord::RecordFromRingingDual),
        answer_on_bridge: Some(true),
        hangup_on_star: Some(false),
        time_limit: Some(600),
        ring_tone: Some("us".into()),
        trim: Some(Trim::TrimSilence),
        recording_status_callback: Some("/rs".into()),
        recording_status_callback_method: Some(Method::Post),
        recording_status_callback_event: Some("completed".into()),
        sequential: Some(true),
        targets: vec![DialTarget::Text("+15551234567".into())],
    })]);
    assert_voice_golden(
        &doc,
        concat!(
            r#"<Response><Dial action="/dialed" answerOnBridge="true" "#,
            r#"callerId="+15550001111" hangupOnStar="false" method="GET" "#,
            r#"record="record-from-ringing-dual" recordingStatusCallback="/rs" "#,
            r#"recordingStatusCallbackEvent="completed" recordingStatusCallbackMethod="POST" "#,
            r#"ringTone="us" sequential="true" timeLimit="600" timeout="20" "#,
            r#"trim="trim-silence">+15551234567</Dial></Response>"#
        ),
    );
}

#[test]
fn twiml_dial_record_values_use_twilio_spelling() {
    let cases = [
        (DialRecord::DoNotRecord, "do-not-record"),
        (DialRecord::RecordFromAnswer, "record-from-answer"),
        (DialRecord::RecordFromRinging, "record-from-ringing"),
        (DialRecord::RecordFromAnswerDual, "record-from-answer-dual"),
        (
            DialRecord::RecordFromRingingDual,
            "record-from-ringing-dual",
        ),
    ];
    for (record, spelled) in cases {
        let doc = voice(vec![Verb::Dial(Dial {
            record: Some(record),
            ..Dial::default()
        })]);
        assert_voice_golden(
            &doc,
            &format!(r#"<Response><Dial record="{spelled}" /></Response>"#),
        );
    }
}

#[test]
fn twiml_dial_record_true_and_false_read_as_their_aliases() {
    let read = |value: &str| {
        let doc = read_voice(&format!(r#"<Response><Dial record="{value}"/></Response>"#));
        match doc.unwrap().verbs.as_slice() {
            [Verb::Dial(d)] => d.record,
            other => panic!("unexpected verbs {other:?}"),
        }
    };
    assert_eq!(read("true"), Some(DialRecord::RecordFromAnswer));
    assert_eq!(read("false"), Some(DialRecord::DoNotRecord));
}

#[test]
fn twiml_dial_number_and_sip_write_every_attribute() {
    let callbacks = NounCallbacks {
        url: Some("/screen".into()),
        method: Some(Method::Get),
        status_callback_event: Some("initiated ringing answered completed".into()),
        status_callback: Some("/sc".into()),
        status_callback_method: Some(Method::Get),
    };
    let doc = voice(vec![Verb::Dial(Dial {
        targets: vec![
            DialTarget::Number(Number {
                number: "+15551234567".into(),
                send_digits: Some("ww1928".into()),
                callbacks: callbacks.clone(),
            }),
            DialTarget::Sip(Sip {
                uri: "sip:alice@example.com".into(),
                username: Some("alice".into()),
                password: Some("s3cret".into()),
                callbacks,
            }),
        ],
        ..Dial::default()
    })]);
    assert_voice_golden(
        &doc,
        concat!(
            r#"<Response><Dial><Number method="GET" sendDigits="ww1928" statusCallback="/sc" "#,
            r#"statusCallbackEvent="initiated ringing answered completed" "#,
            r#"statusCallbackMethod="GET" url="/screen">+15551234567</Number>"#,
            r#"<Sip method="GET" password="s3cret" statusCallback="/sc" "#,
            r#"statusCallbackEvent="initiated ringing answered completed" "#,
            r#"statusCallbackMethod="GET" url="/screen" username="alice">"#,
            r#"sip:alice@example.com</Sip></Dial></Response>"#
        ),
    );
}

#[test]
fn twiml_dial_client_with_parameters_uses_identity_and_parameter_children() {
    let doc = voice(vec![Verb::Dial(Dial {
        targets: vec![DialTarget::Client(Client {
            identity: "alice".into(),
            callbacks: NounCallbacks {
                url: Some("/whisper".into()),
                method: Some(Method::Post),
                status_callback_event: Some("ringing".into()),
                status_callback: Some("/sc".into()),
                status_callback_method: Some(Method::Post),
            },
            parameters: vec![
                ("FirstName".into(), "Jane".into()),
                ("From".into(), "+15551234567".into()),
            ],
        })],
        ..Dial::default()
    })]);
    assert_voice_golden(
        &doc,
        concat!(
            r#"<Response><Dial><Client method="POST" statusCallback="/sc" "#,
            r#"statusCallbackEvent="ringing" statusCallbackMethod="POST" url="/whisper">"#,
            r#"<Identity>alice</Identity><Parameter name="FirstName" value="Jane" />"#,
            r#"<Parameter name="From" value="+15551234567" /></Client></Dial></Response>"#
        ),
    );
}

#[test]
fn twiml_dial_conference_and_queue_write_every_attribute() {
    let doc = voice(vec![Verb::Dial(Dial {
        targets: vec![
            DialTarget::Conference(Conference {
                name: "Room 1".into(),
                muted: Some(false),
                beep: Some("onEnter".into()),
                start_conference_on_enter: Some(true),
                end_conference_on_exit: Some(true),
                wait_url: Some("/hold".into()),
                wait_method: Some(Method::Get),
                max_participants: Some(10),
                status_callback: Some("/conf".into()),
                status_callback_event: Some("start end join leave".into()),
                status_callback_method: Some(Method::Post),
            }),
            DialTarget::Queue(Queue {
                name: "support".into(),
                url: Some("/about-to-connect".into()),
                method: Some(Method::Get),
            }),
        ],
        ..Dial::default()
    })]);
    assert_voice_golden(
        &doc,
        concat!(
            r#"<Response><Dial><Conference beep="onEnter" endConferenceOnExit="true" "#,
            r#"maxParticipants="10" muted="false" startConferenceOnEnter="true" "#,
            r#"statusCallback="/conf" statusCallbackEvent="start end join leave" "#,
            r#"statusCallbackMethod="POST" waitMethod="GET" waitUrl="/hold">Room 1</Conference>"#,
            r#"<Queue method="GET" url="/about-to-connect">support</Queue></Dial></Response>"#
        ),
    );
}

#[test]
fn twiml_gather_writes_every_attribute_and_nested_verbs() {
    let doc = voice(vec![Verb::Gather(Gather {
        input: Some("dtmf speech".into()),
        action: Some("/gathered".into()),
        method: Some(Method::Get),
        timeout: Some(7),
        finish_on_key: Some(String::new()),
        num_digits: Some(4),
        speech_timeout: Some("auto".into()),
        hints: Some("yes, no".into()),
        language: Some("fr-FR".into()),
        action_on_empty_result: Some(true),
        children: vec![
            GatherChild::Say(Say {
                text: "Enter your PIN".into(),
                ..Say::default()
            }),
            GatherChild::Play(Play {
                url: "/beep.wav".into(),
                ..Play::default()
            }),
            GatherChild::Pause(Pause { length: Some(2) }),
        ],
    })]);
    assert_voice_golden(
        &doc,
        concat!(
            r#"<Response><Gather action="/gathered" actionOnEmptyResult="true" finishOnKey="" "#,
            r#"hints="yes, no" input="dtmf speech" language="fr-FR" method="GET" "#,
            r#"numDigits="4" speechTimeout="auto" timeout="7"><Say>Enter your PIN</Say>"#,
            r#"<Play>/beep.wav</Play><Pause length="2" /></Gather></Response>"#
        ),
    );
}

#[test]
fn twiml_hangup_leave_reject_and_enqueue_write_every_attribute() {
    let doc = voice(vec![
        Verb::Reject(Reject {
            reason: Some(RejectReason::Busy),
        }),
        Verb::Reject(Reject {
            reason: Some(RejectReason::Rejected),
        }),
        Verb::Reject(Reject::default()),
        Verb::Enqueue(Enqueue {
            name: "support".into(),
            action: Some("/left".into()),
            method: Some(Method::Get),
            wait_url: Some("/wait".into()),
            wait_url_method: Some(Method::Get),
            workflow_sid: Some("WW0123456789abcdef0123456789abcdef".into()),
        }),
        Verb::Leave,
        Verb::Hangup,
    ]);
    assert_voice_golden(
        &doc,
        concat!(
            r#"<Response><Reject reason="busy" /><Reject reason="rejected" /><Reject />"#,
            r#"<Enqueue action="/left" method="GET" waitUrl="/wait" waitUrlMethod="GET" "#,
            r#"workflowSid="WW0123456789abcdef0123456789abcdef">support</Enqueue>"#,
            r#"<Leave /><Hangup /></Response>"#
        ),
    );
}

#[test]
fn twiml_message_writes_every_attribute_body_and_media() {
    let doc = messaging(vec![
        MessagingVerb::Message(Message {
            body: Some("Hi there".into()),
            media: vec![
                "https://example.com/a.jpg".into(),
                "https://example.com/b.jpg".into(),
            ],
            to: Some("+15551234567".into()),
            from: Some("+15550001111".into()),
            action: Some("/status".into()),
            method: Some(Method::Post),
            status_callback: Some("/status".into()),
        }),
        MessagingVerb::Message(Message::default()),
        MessagingVerb::Message(Message {
            media: vec!["https://example.com/c.jpg".into()],
            ..Message::default()
        }),
        MessagingVerb::Redirect(Redirect {
            url: "/next".into(),
            method: Some(Method::Get),
        }),
    ]);
    assert_messaging_golden(
        &doc,
        concat!(
            r#"<Response><Message action="/status" from="+15550001111" method="POST" "#,
            r#"statusCallback="/status" to="+15551234567"><Body>Hi there</Body>"#,
            r#"<Media>https://example.com/a.jpg</Media><Media>https://example.com/b.jpg</Media>"#,
            r#"</Message><Message /><Message><Media>https://example.com/c.jpg</Media></Message>"#,
            r#"<Redirect method="GET">/next</Redirect></Response>"#
        ),
    );
}

#[test]
fn twiml_reader_accepts_hand_written_indented_documents() {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- greeting first -->
<Response>
    <Say voice="alice">Hello</Say>
    <Gather numDigits="1">
        <Say>Press 1</Say>
        <!-- then wait -->
    </Gather>
    <Dial>
        <Number>+15551234567</Number>
        <Client>
            <Identity>bob</Identity>
            <Parameter name="k" value="v"/>
        </Client>
    </Dial>
</Response>
"#;
    let expected = voice(vec![
        Verb::Say(Say {
            text: "Hello".into(),
            voice: Some(Voice::Alice),
            ..Say::default()
        }),
        Verb::Gather(Gather {
            num_digits: Some(1),
            children: vec![GatherChild::Say(Say {
                text: "Press 1".into(),
                ..Say::default()
            })],
            ..Gather::default()
        }),
        Verb::Dial(Dial {
            targets: vec![
                DialTarget::Number(Number {
                    number: "+15551234567".into(),
                    ..Number::default()
                }),
                DialTarget::Client(Client {
                    identity: "bob".into(),
                    parameters: vec![("k".into(), "v".into())],
                    ..Client::default()
                }),
            ],
            ..Dial::default()
        }),
    ]);
    assert_eq!(read_voice(xml).unwrap(), expected);
}

#[test]
fn twiml_reader_keeps_the_whole_text_of_a_text_element() {
    let xml = "<Response><Dial>\n  +15551234567\n</Dial><Say>a <!-- x --> b</Say>\
               <Say><![CDATA[<b>&amp;]]></Say></Response>";
    let expected = voice(vec![
        Verb::Dial(Dial {
            targets: vec![DialTarget::Text("\n  +15551234567\n".into())],
            ..Dial::default()
        }),
        Verb::Say(Say {
            text: "a  b".into(),
            ..Say::default()
        }),
        Verb::Say(Say {
            text: "<b>&amp;".into(),
            ..Say::default()
        }),
    ]);
    assert_eq!(read_voice(xml).unwrap(), expected);
}

#[test]
fn twiml_message_text_and_several_bodies_read_as_one_body() {
    let doc =
        read_messaging("<Response><Message>Hello</Message><Message><Body>a</Body>\n<Body>b</Body></Message></Response>")
            .unwrap();
    let bodies: Vec<Option<String>> = doc
        .verbs
        .iter()
        .map(|v| match v {
            MessagingVerb::Message(m) => m.body.clone(),
            MessagingVerb::Redirect(_) => None,
        })
        .collect();
    assert_eq!(bodies, [Some("Hello".to_owned()), Some("ab".to_owned())]);
}
