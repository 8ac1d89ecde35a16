//! Engine tests: each fixed bug of the old program and each step, asserted on the TwiML
//! structure and the effects.

use twilio::twiml::{self, DialTarget, MessagingVerb, RejectReason, Verb, Voice, VoiceResponse};

use super::testing::*;
use super::*;
use crate::config::{Action, Device, Email, Secret, SmtpSecurity, Xmpp};

mod hours;
mod menu;
mod relay;
mod ring;
mod voicemail;

const CALLER: &str = "+14155550100";

fn call<'a>(alias: &'a Alias, from: &'a str) -> CallRequest<'a> {
    CallRequest {
        alias,
        from,
        to: "+18001234567",
        now: chrono::Utc::now(),
    }
}

fn text<'a>(
    config: &'a Config,
    alias: &'a Alias,
    from: &'a str,
    body: &'a str,
    media: &'a [Media],
) -> MessageRequest<'a> {
    MessageRequest {
        alias,
        from,
        to: "+18001234567",
        body,
        media,
        contacts: &config.contacts,
        now: chrono::Utc::now(),
    }
}

fn redirect(url: &str) -> Verb {
    Verb::Redirect(twiml::Redirect {
        url: url.into(),
        method: None,
    })
}

fn client_dial(action: &str, identity: &str) -> Verb {
    Verb::Dial(twiml::Dial {
        action: Some(action.into()),
        timeout: Some(30),
        targets: vec![DialTarget::Client(twiml::Client {
            identity: identity.into(),
            ..Default::default()
        })],
        ..Default::default()
    })
}

fn doc(verbs: Vec<Verb>) -> VoiceResponse {
    VoiceResponse { verbs }
}

#[test]
fn an_online_browser_is_dialled_once_with_an_action_back_to_vbx() {
    let config = config();
    let default = alias("default");
    let out = run_call(
        &config,
        &FixedPresence::online(&["browser"]),
        &call(&default, CALLER),
    )
    .unwrap();
    assert_eq!(
        out.twiml,
        doc(vec![client_dial(
            "https://vbx.example.com/flow/voice/default/dial?step=0",
            "vbx"
        )])
    );
}

#[test]
fn completion_is_per_request_so_a_later_call_still_falls_back() {
    let config = config();
    let default = alias("default");
    let first = run_call(
        &config,
        &FixedPresence::online(&["browser"]),
        &call(&default, CALLER),
    )
    .unwrap();
    assert!(matches!(first.twiml.verbs[0], Verb::Dial(_)));
    let second = run_call(&config, &FixedPresence::default(), &call(&default, CALLER)).unwrap();
    assert_eq!(
        second.twiml,
        doc(vec![redirect("https://vbx.example.com/flow/voice/phone")])
    );
}

#[test]
fn an_unanswered_browser_continues_with_next_and_an_answered_one_hangs_up() {
    let config = config();
    let default = alias("default");
    let presence = FixedPresence::online(&["browser"]);
    let out = resume_after_dial(
        &config,
        &presence,
        &call(&default, CALLER),
        0,
        DialOutcome::NotAnswered,
    )
    .unwrap();
    assert_eq!(
        out.twiml,
        doc(vec![redirect("https://vbx.example.com/flow/voice/phone")])
    );
    let out = resume_after_dial(
        &config,
        &presence,
        &call(&default, CALLER),
        0,
        DialOutcome::Answered,
    )
    .unwrap();
    assert_eq!(out.twiml, doc(vec![Verb::Hangup]));
}

#[test]
fn an_unanswered_browser_without_next_runs_the_following_steps() {
    let mut config = config();
    let default = alias("default");
    config.calls.insert(
        default.clone(),
        vec![step(device(&["browser"])), step(say("Leave a message"))],
    );
    let out = resume_after_dial(
        &config,
        &FixedPresence::default(),
        &call(&default, CALLER),
        0,
        DialOutcome::NotAnswered,
    )
    .unwrap();
    assert_eq!(out.twiml.verbs.len(), 1);
    assert!(matches!(&out.twiml.verbs[0], Verb::Say(s) if s.text == "Leave a message"));
}

#[test]
fn a_dial_action_for_a_step_that_does_not_exist_is_an_error() {
    let config = config();
    let default = alias("default");
    let err = resume_after_dial(
        &config,
        &FixedPresence::default(),
        &call(&default, CALLER),
        7,
        DialOutcome::NotAnswered,
    )
    .unwrap_err();
    assert!(matches!(err, FlowError::UnknownStep { step: 7, .. }));
}

#[test]
fn the_dial_step_rings_the_number_and_comes_back_to_vbx() {
    let config = config();
    let phone = alias("phone");
    let out = run_call(&config, &FixedPresence::default(), &call(&phone, CALLER)).unwrap();
    assert_eq!(
        out.twiml,
        doc(vec![Verb::Dial(twiml::Dial {
            action: Some("https://vbx.example.com/flow/voice/phone/dial?step=0".into()),
            targets: vec![DialTarget::Number(twiml::Number {
                number: "+18005555555".into(),
                ..Default::default()
            })],
            ..Default::default()
        })])
    );
    assert_eq!(
        dialled_by_step(&config, &phone, 0).as_deref(),
        Some("+18005555555")
    );
}

/// The action a dial step always has (so vbx learns who answered) changes nothing for the
/// caller: without `next`, the steps after it run whether the number answered or not, as
/// after a `<Dial>` without an action.
#[test]
fn a_dial_step_without_next_goes_on_with_its_following_steps_either_way() {
    let mut config = config();
    let phone = alias("phone");
    let dial = Action::Dial {
        numbers: vec![number("+18005555555"), number("+18005555556")],
        clients: Vec::new(),
        conference: None,
        queue: None,
        sips: Vec::new(),
        timeout: None,
        bridge: Default::default(),
    };
    config
        .calls
        .insert(phone.clone(), vec![step(dial), step(say("Goodbye"))]);
    let req = call(&phone, CALLER);
    let presence = FixedPresence::default();
    let first = run_call(&config, &presence, &req).unwrap();
    assert_eq!(first.twiml.verbs.len(), 1, "{:?}", first.twiml);
    for outcome in [DialOutcome::Answered, DialOutcome::NotAnswered] {
        let after = resume_after_dial(&config, &presence, &req, 0, outcome).unwrap();
        assert!(
            matches!(after.twiml.verbs.as_slice(), [Verb::Say(s)] if s.text == "Goodbye"),
            "{outcome:?}: {:?}",
            after.twiml
        );
    }
    // Two numbers rang at once: Twilio's action does not say which one answered.
    assert_eq!(dialled_by_step(&config, &phone, 0).as_deref(), Some(""));
    assert_eq!(dialled_by_step(&config, &phone, 1), None);
}

#[test]
fn a_dial_step_with_next_comes_back_to_vbx_and_goes_there_when_nobody_answers() {
    let mut config = config();
    let phone = alias("phone");
    config.calls.insert(
        phone.clone(),
        vec![
            step_next(
                Action::Dial {
                    numbers: vec![number("+18005555555")],
                    clients: Vec::new(),
                    conference: None,
                    queue: None,
                    sips: Vec::new(),
                    timeout: Some(15),
                    bridge: Default::default(),
                },
                "voicemail",
            ),
            step(say("never reached in the same document")),
        ],
    );
    config
        .calls
        .insert(alias("voicemail"), vec![step(say("Leave a message"))]);
    let out = run_call(&config, &FixedPresence::default(), &call(&phone, CALLER)).unwrap();
    assert_eq!(
        out.twiml,
        doc(vec![Verb::Dial(twiml::Dial {
            action: Some("https://vbx.example.com/flow/voice/phone/dial?step=0".into()),
            timeout: Some(15),
            targets: vec![DialTarget::Number(twiml::Number {
                number: "+18005555555".into(),
                ..Default::default()
            })],
            ..Default::default()
        })])
    );
    let req = call(&phone, CALLER);
    let presence = FixedPresence::default();
    let unanswered =
        resume_after_dial(&config, &presence, &req, 0, DialOutcome::NotAnswered).unwrap();
    assert_eq!(
        unanswered.twiml,
        doc(vec![redirect(
            "https://vbx.example.com/flow/voice/voicemail"
        )])
    );
    let answered = resume_after_dial(&config, &presence, &req, 0, DialOutcome::Answered).unwrap();
    assert_eq!(answered.twiml, doc(vec![Verb::Hangup]));
}

#[test]
fn dial_rings_every_kind_of_target() {
    let mut config = config();
    let a = alias("all");
    config.calls.insert(
        a.clone(),
        vec![step(Action::Dial {
            numbers: vec![number("+18005550001")],
            clients: vec!["bob".into()],
            conference: Some("room".into()),
            queue: Some("support".into()),
            sips: vec!["sip:a@example.com".into()],
            timeout: Some(20),
            bridge: Default::default(),
        })],
    );
    let out = run_call(&config, &FixedPresence::default(), &call(&a, CALLER)).unwrap();
    let Verb::Dial(dial) = &out.twiml.verbs[0] else {
        panic!("expected a dial: {:?}", out.twiml)
    };
    assert_eq!(dial.timeout, Some(20));
    assert_eq!(dial.targets.len(), 5);
    assert!(matches!(&dial.targets[2], DialTarget::Conference(c) if c.name == "room"));
    assert!(matches!(&dial.targets[3], DialTarget::Queue(q) if q.name == "support"));
    assert!(matches!(&dial.targets[4], DialTarget::Sip(s) if s.uri == "sip:a@example.com"));
}

#[test]
fn an_outgoing_browser_call_dials_a_number_once_with_the_vbx_caller_id() {
    let config = config();
    let default = alias("default");
    let req = CallRequest {
        alias: &default,
        from: "client:vbx",
        to: "(415) 555-0100",
        now: chrono::Utc::now(),
    };
    let out = run_call(&config, &FixedPresence::online(&["browser"]), &req).unwrap();
    assert_eq!(
        out.twiml,
        doc(vec![Verb::Dial(twiml::Dial {
            action: Some("https://vbx.example.com/flow/voice/default/outgoing".into()),
            caller_id: Some("+18001234567".into()),
            targets: vec![DialTarget::Number(twiml::Number {
                number: "+14155550100".into(),
                ..Default::default()
            })],
            ..Default::default()
        })])
    );
    assert_eq!(outgoing_address("(415) 555-0100"), "+14155550100");
    assert_eq!(outgoing_address("client:alice"), "client:alice");
    assert_eq!(after_outgoing().twiml, doc(vec![Verb::Hangup]));
}

#[test]
fn an_outgoing_call_to_a_name_dials_a_client() {
    let config = config();
    let default = alias("default");
    let req = CallRequest {
        alias: &default,
        from: "client:vbx",
        to: "alice",
        now: chrono::Utc::now(),
    };
    let out = run_call(&config, &FixedPresence::default(), &req).unwrap();
    let Verb::Dial(dial) = &out.twiml.verbs[0] else {
        panic!("expected a dial")
    };
    assert_eq!(
        dial.targets,
        vec![DialTarget::Client(twiml::Client {
            identity: "alice".into(),
            ..Default::default()
        })]
    );
}

#[test]
fn a_caller_whose_to_differs_from_the_number_still_runs_the_flow() {
    // The old program took any call with `To` != number for an outgoing call.
    let config = config();
    let default = alias("default");
    let req = CallRequest {
        alias: &default,
        from: CALLER,
        to: "+19995550000",
        now: chrono::Utc::now(),
    };
    let out = run_call(&config, &FixedPresence::default(), &req).unwrap();
    assert_eq!(
        out.twiml,
        doc(vec![redirect("https://vbx.example.com/flow/voice/phone")])
    );
}

#[test]
fn a_client_that_is_not_a_configured_browser_runs_the_flow() {
    let config = config();
    let default = alias("default");
    let out = run_call(
        &config,
        &FixedPresence::default(),
        &call(&default, "client:mallory"),
    )
    .unwrap();
    assert_eq!(
        out.twiml,
        doc(vec![redirect("https://vbx.example.com/flow/voice/phone")])
    );
}

#[test]
fn steps_after_hangup_reject_redirect_and_record_are_not_emitted() {
    let enders = [
        (Action::Hangup, Verb::Hangup),
        (
            Action::Reject {
                reason: Some(RejectReason::Busy),
            },
            Verb::Reject(twiml::Reject {
                reason: Some(RejectReason::Busy),
            }),
        ),
        (
            Action::Redirect {
                url: "phone".into(),
            },
            redirect("https://vbx.example.com/flow/voice/phone"),
        ),
    ];
    for (action, verb) in enders {
        let mut config = config();
        let a = alias("a");
        config
            .calls
            .insert(a.clone(), vec![step(action), step(say("unreachable"))]);
        let out = run_call(&config, &FixedPresence::default(), &call(&a, CALLER)).unwrap();
        assert_eq!(out.twiml, doc(vec![verb]));
    }
    let mut config = config();
    let a = alias("a");
    config.calls.insert(
        a.clone(),
        vec![
            step(Action::Record {
                max_length: Some(60),
                transcribe: true,
            }),
            step(say("after the recording")),
        ],
    );
    let out = run_call(&config, &FixedPresence::default(), &call(&a, CALLER)).unwrap();
    assert_eq!(
        out.twiml,
        doc(vec![Verb::Record(twiml::Record {
            action: Some("https://vbx.example.com/flow/voice/a/record?step=0".into()),
            max_length: Some(60),
            recording_status_callback: Some("https://vbx.example.com/flow/status/recording".into()),
            transcribe: Some(true),
            transcribe_callback: Some("https://vbx.example.com/flow/status/transcription".into()),
            ..Default::default()
        })])
    );
    let after =
        resume_after_record(&config, &FixedPresence::default(), &call(&a, CALLER), 0).unwrap();
    assert!(matches!(&after.twiml.verbs[..], [Verb::Say(s)] if s.text == "after the recording"));
}

#[test]
fn a_redirect_to_an_absolute_url_is_kept() {
    let mut config = config();
    let a = alias("a");
    config.calls.insert(
        a.clone(),
        vec![step(Action::Redirect {
            url: "https://elsewhere.example.com/twiml".into(),
        })],
    );
    let out = run_call(&config, &FixedPresence::default(), &call(&a, CALLER)).unwrap();
    assert_eq!(
        out.twiml,
        doc(vec![redirect("https://elsewhere.example.com/twiml")])
    );
}

#[test]
fn play_say_and_pause_keep_their_attributes() {
    let mut config = config();
    let a = alias("a");
    config.calls.insert(
        a.clone(),
        vec![
            step(Action::Play {
                url: Some("https://example.com/a.mp3".into()),
                digits: None,
                loop_count: 2,
            }),
            step(Action::Say {
                text: "Bonjour <&\"'>".into(),
                voice: Voice::Polly("Celine".into()),
                language: "fr-FR".into(),
                loop_count: 3,
            }),
            step(Action::Pause { length: 4 }),
        ],
    );
    let out = run_call(&config, &FixedPresence::default(), &call(&a, CALLER)).unwrap();
    assert_eq!(
        out.twiml,
        doc(vec![
            Verb::Play(twiml::Play {
                url: "https://example.com/a.mp3".into(),
                loop_count: Some(2),
                digits: None,
            }),
            Verb::Say(twiml::Say {
                text: "Bonjour <&\"'>".into(),
                voice: Some(Voice::Polly("Celine".into())),
                language: Some("fr-FR".into()),
                loop_count: Some(3),
            }),
            Verb::Pause(twiml::Pause { length: Some(4) }),
        ])
    );
}

#[test]
fn a_message_step_in_a_call_flow_texts_the_caller_through_the_rest_api() {
    let mut config = config();
    let a = alias("a");
    config.calls.insert(
        a.clone(),
        vec![
            step(Action::Message {
                text: "We missed you".into(),
                to: None,
            }),
            step(Action::Hangup),
        ],
    );
    let out = run_call(&config, &FixedPresence::default(), &call(&a, CALLER)).unwrap();
    assert_eq!(out.twiml, doc(vec![Verb::Hangup]));
    assert_eq!(
        out.effects,
        vec![Effect::SendSms {
            to: CALLER.into(),
            body: "We missed you".into()
        }]
    );
    let withheld = run_call(&config, &FixedPresence::default(), &call(&a, "anonymous")).unwrap();
    assert!(withheld.effects.is_empty(), "nobody to text: {withheld:?}");
}

#[test]
fn devices_reporting_offline_are_skipped_and_presence_less_ones_are_the_fallback() {
    let mut config = config();
    config.devices.insert(
        "office".into(),
        Device::Browser {
            identity: "office".into(),
            ignored: vec![],
        },
    );
    let a = alias("a");
    config
        .calls
        .insert(a.clone(), vec![step(device(&["browser", "office"]))]);
    let out = run_call(
        &config,
        &FixedPresence::online(&["office"]),
        &call(&a, CALLER),
    )
    .unwrap();
    assert_eq!(
        out.twiml,
        doc(vec![client_dial(
            "https://vbx.example.com/flow/voice/a/dial?step=0",
            "office"
        )])
    );
}

#[test]
fn a_text_goes_to_the_online_browser_and_nowhere_else() {
    let config = config();
    let default = alias("default");
    let out = run_message(
        &config,
        &FixedPresence::online(&["browser"]),
        &text(&config, &default, CALLER, "hi", &[]),
    )
    .unwrap();
    assert!(out.twiml.verbs.is_empty());
    assert!(out.effects.is_empty());
}

#[test]
fn a_text_is_forwarded_to_the_cell_with_its_sender_and_every_media_item() {
    let config = config();
    let default = alias("default");
    let media: Vec<Media> = (1..=3)
        .map(|i| Media {
            twilio: format!("https://api.twilio.com/m/ME{i}"),
            link: format!("https://vbx.example.com/flow/media/in/MM1/{i}/cap"),
        })
        .collect();
    let out = run_message(
        &config,
        &FixedPresence::default(),
        &text(&config, &default, CALLER, "look <&>", &media),
    )
    .unwrap();
    assert_eq!(
        out.twiml.verbs,
        vec![MessagingVerb::Message(twiml::Message {
            body: Some(format!("From: {CALLER}\nlook <&>")),
            media: vec![
                "https://vbx.example.com/flow/media/in/MM1/1/cap".to_string(),
                "https://vbx.example.com/flow/media/in/MM1/2/cap".to_string(),
                "https://vbx.example.com/flow/media/in/MM1/3/cap".to_string(),
            ],
            to: Some("+18005555555".into()),
            ..Default::default()
        })]
    );
    assert_eq!(
        out.effects,
        vec![Effect::SetRelayTarget {
            device: "cell".into(),
            number: CALLER.into()
        }]
    );
}

#[test]
fn a_forwarded_text_from_a_contact_carries_the_contact_name() {
    let mut config = config();
    config
        .contacts
        .insert(number(CALLER), "Ann \"the boss\" <CEO>".into());
    let default = alias("default");
    let out = run_message(
        &config,
        &FixedPresence::default(),
        &text(&config, &default, CALLER, "hi", &[]),
    )
    .unwrap();
    let MessagingVerb::Message(m) = &out.twiml.verbs[0] else {
        panic!("expected a message")
    };
    assert_eq!(m.body.as_deref(), Some("From: Ann \"the boss\" <CEO>\nhi"));
}

#[test]
fn texts_for_xmpp_and_email_devices_become_effects() {
    let mut config = config();
    config.devices.insert(
        "jabber".into(),
        Device::Xmpp(Xmpp {
            component: "sms.example.com".into(),
            secret: Secret::new("s"),
            server: "localhost".into(),
            port: 5347,
            target: "me@example.com".into(),
        }),
    );
    config.devices.insert(
        "inbox".into(),
        Device::Email(Email {
            from: "vbx@example.com".into(),
            to: "me@example.com".into(),
            smtp_host: "localhost".into(),
            smtp_port: 25,
            security: SmtpSecurity::None,
            username: None,
            password: None,
        }),
    );
    let a = alias("a");
    config
        .messages
        .insert(a.clone(), vec![step(device(&["jabber", "inbox"]))]);
    let req = text(&config, &a, CALLER, "hello", &[]);
    let forwarded = Forwarded {
        from: CALLER.into(),
        from_name: None,
        body: "hello".into(),
        media: vec![],
    };
    let online = run_message(&config, &FixedPresence::online(&["jabber"]), &req).unwrap();
    assert_eq!(
        online.effects,
        vec![Effect::Xmpp {
            device: "jabber".into(),
            text: forwarded.clone()
        }]
    );
    let offline = run_message(&config, &FixedPresence::default(), &req).unwrap();
    assert_eq!(
        offline.effects,
        vec![Effect::Email {
            device: "inbox".into(),
            text: forwarded
        }]
    );
}

#[test]
fn an_undelivered_text_goes_to_next_and_a_message_step_replies() {
    let mut config = config();
    let a = alias("a");
    let b = alias("b");
    config
        .messages
        .insert(a.clone(), vec![step_next(device(&["browser"]), "b")]);
    config.messages.insert(
        b.clone(),
        vec![step(Action::Message {
            text: "Thanks, we'll get back to you".into(),
            to: None,
        })],
    );
    let out = run_message(
        &config,
        &FixedPresence::default(),
        &text(&config, &a, CALLER, "hi", &[]),
    )
    .unwrap();
    assert_eq!(
        out.twiml.verbs,
        vec![MessagingVerb::Redirect(twiml::Redirect {
            url: "https://vbx.example.com/flow/msg/b".into(),
            method: None
        })]
    );
    let out = run_message(
        &config,
        &FixedPresence::default(),
        &text(&config, &b, CALLER, "hi", &[]),
    )
    .unwrap();
    assert_eq!(
        out.twiml.verbs,
        vec![MessagingVerb::Message(twiml::Message {
            body: Some("Thanks, we'll get back to you".into()),
            ..Default::default()
        })]
    );
}
