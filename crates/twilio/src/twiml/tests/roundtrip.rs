//! Property test: for arbitrary documents TwiML allows, reading what the writer produced gives
//! the document back, up to the characters XML cannot carry (`sanitize`).

use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

use super::{read_messaging, read_voice};
use crate::twiml::{
    sanitize_text, Client, Conference, Dial, DialRecord, DialTarget, Enqueue, Gather, GatherChild,
    Message, MessagingResponse, MessagingVerb, Method, NounCallbacks, Number, Pause, Play, Queue,
    Record, Redirect, Reject, RejectReason, Say, Sip, Trim, Verb, Voice, VoiceResponse,
};

fn interesting_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::char::range('a', 'z'),
        2 => prop::sample::select(vec![
            '<', '>', '&', '"', '\'', ';', '#', ' ', '\t', '\n', '\r', '\u{0}', '\u{7}',
            '\u{1b}', '\u{fffe}', '\u{ffff}', '\u{feff}', 'é', '😀', ']',
        ]),
        1 => any::<char>(),
    ]
}

fn text() -> impl Strategy<Value = String> {
    vec(interesting_char(), 0..12).prop_map(String::from_iter)
}

/// Text with at least one character that survives sanitising.
fn non_empty_text() -> impl Strategy<Value = String> {
    (text(), proptest::char::range('!', '~'), text()).prop_map(|(a, c, b)| format!("{a}{c}{b}"))
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    of(text())
}

fn method() -> impl Strategy<Value = Option<Method>> {
    of(prop_oneof![Just(Method::Get), Just(Method::Post)])
}

fn voice() -> impl Strategy<Value = Voice> {
    prop_oneof![
        Just(Voice::Man),
        Just(Voice::Woman),
        Just(Voice::Alice),
        text().prop_map(Voice::Polly),
        text().prop_map(Voice::Google),
    ]
}

fn trim() -> impl Strategy<Value = Option<Trim>> {
    of(prop_oneof![Just(Trim::TrimSilence), Just(Trim::DoNotTrim)])
}

fn say() -> impl Strategy<Value = Say> {
    (text(), of(voice()), opt_text(), of(any::<u32>())).prop_map(
        |(text, voice, language, loop_count)| Say {
            text,
            voice,
            language,
            loop_count,
        },
    )
}

fn play(with_digits: bool) -> impl Strategy<Value = Play> {
    let digits = if with_digits {
        opt_text().boxed()
    } else {
        Just(None).boxed()
    };
    (text(), of(any::<u32>()), digits).prop_map(|(url, loop_count, digits)| Play {
        url,
        loop_count,
        digits,
    })
}

fn pause() -> impl Strategy<Value = Pause> {
    of(any::<u32>()).prop_map(|length| Pause { length })
}

fn record() -> impl Strategy<Value = Record> {
    (
        (opt_text(), method(), of(any::<u32>()), opt_text()),
        (of(any::<u32>()), of(any::<bool>()), trim(), opt_text()),
        (method(), opt_text(), of(any::<bool>()), opt_text()),
    )
        .prop_map(|(a, b, c)| Record {
            action: a.0,
            method: a.1,
            timeout: a.2,
            finish_on_key: a.3,
            max_length: b.0,
            play_beep: b.1,
            trim: b.2,
            recording_status_callback: b.3,
            recording_status_callback_method: c.0,
            recording_status_callback_event: c.1,
            transcribe: c.2,
            transcribe_callback: c.3,
        })
}

fn callbacks() -> impl Strategy<Value = NounCallbacks> {
    (opt_text(), method(), opt_text(), opt_text(), method()).prop_map(|(u, m, e, s, sm)| {
        NounCallbacks {
            url: u,
            method: m,
            status_callback_event: e,
            status_callback: s,
            status_callback_method: sm,
        }
    })
}

fn noun() -> impl Strategy<Value = DialTarget> {
    let number = (text(), opt_text(), callbacks()).prop_map(|(number, send_digits, callbacks)| {
        DialTarget::Number(Number {
            number,
            send_digits,
            callbacks,
        })
    });
    let client = (text(), callbacks(), vec((text(), text()), 0..3)).prop_map(
        |(identity, callbacks, parameters)| {
            DialTarget::Client(Client {
                identity,
                callbacks,
                parameters,
            })
        },
    );
    let conference = (
        (text(), of(any::<bool>()), opt_text(), of(any::<bool>())),
        (of(any::<bool>()), opt_text(), method(), of(any::<u32>())),
        (opt_text(), opt_text(), method()),
    )
        .prop_map(|(a, b, c)| {
            DialTarget::Conference(Conference {
                name: a.0,
                muted: a.1,
                beep: a.2,
                start_conference_on_enter: a.3,
                end_conference_on_exit: b.0,
                wait_url: b.1,
                wait_method: b.2,
                max_participants: b.3,
                status_callback: c.0,
                status_callback_event: c.1,
                status_callback_method: c.2,
            })
        });
    let queue = (text(), opt_text(), method())
        .prop_map(|(name, url, method)| DialTarget::Queue(Queue { name, url, method }));
    let sip = (text(), opt_text(), opt_text(), callbacks()).prop_map(
        |(uri, username, password, callbacks)| {
            DialTarget::Sip(Sip {
                uri,
                username,
                password,
                callbacks,
            })
        },
    );
    prop_oneof![number, client, conference, queue, sip]
}

fn dial_record() -> impl Strategy<Value = Option<DialRecord>> {
    of(prop::sample::select(vec![
        DialRecord::DoNotRecord,
        DialRecord::RecordFromAnswer,
        DialRecord::RecordFromRinging,
        DialRecord::RecordFromAnswerDual,
        DialRecord::RecordFromRingingDual,
    ]))
}

fn dial() -> impl Strategy<Value = Dial> {
    // TwiML allows one bare number or nouns, never both.
    let targets = prop_oneof![
        Just(Vec::new()),
        non_empty_text().prop_map(|t| vec![DialTarget::Text(t)]),
        vec(noun(), 1..4),
    ];
    (
        (
            opt_text(),
            method(),
            of(any::<u32>()),
            opt_text(),
            dial_record(),
        ),
        (
            of(any::<bool>()),
            of(any::<bool>()),
            of(any::<u32>()),
            opt_text(),
            trim(),
        ),
        (opt_text(), method(), opt_text(), of(any::<bool>()), targets),
    )
        .prop_map(|(a, b, c)| Dial {
            action: a.0,
            method: a.1,
            timeout: a.2,
            caller_id: a.3,
            record: a.4,
            answer_on_bridge: b.0,
            hangup_on_star: b.1,
            time_limit: b.2,
            ring_tone: b.3,
            trim: b.4,
            recording_status_callback: c.0,
            recording_status_callback_method: c.1,
            recording_status_callback_event: c.2,
            sequential: c.3,
            targets: c.4,
        })
}

fn gather() -> impl Strategy<Value = Gather> {
    let child = prop_oneof![
        say().prop_map(GatherChild::Say),
        play(false).prop_map(GatherChild::Play),
        pause().prop_map(GatherChild::Pause),
    ];
    (
        (
            opt_text(),
            opt_text(),
            method(),
            of(any::<u32>()),
            opt_text(),
        ),
        (
            of(any::<u32>()),
            opt_text(),
            opt_text(),
            opt_text(),
            of(any::<bool>()),
        ),
        vec(child, 0..4),
    )
        .prop_map(|(a, b, children)| Gather {
            input: a.0,
            action: a.1,
            method: a.2,
            timeout: a.3,
            finish_on_key: a.4,
            num_digits: b.0,
            speech_timeout: b.1,
            hints: b.2,
            language: b.3,
            action_on_empty_result: b.4,
            children,
        })
}

fn redirect() -> impl Strategy<Value = Redirect> {
    (text(), method()).prop_map(|(url, method)| Redirect { url, method })
}

fn verb() -> impl Strategy<Value = Verb> {
    let reject = of(prop_oneof![
        Just(RejectReason::Rejected),
        Just(RejectReason::Busy)
    ])
    .prop_map(|reason| Verb::Reject(Reject { reason }));
    let enqueue = (
        text(),
        opt_text(),
        method(),
        opt_text(),
        method(),
        opt_text(),
    )
        .prop_map(
            |(name, action, method, wait_url, wait_url_method, workflow_sid)| {
                Verb::Enqueue(Enqueue {
                    name,
                    action,
                    method,
                    wait_url,
                    wait_url_method,
                    workflow_sid,
                })
            },
        );
    prop_oneof![
        say().prop_map(Verb::Say),
        play(true).prop_map(Verb::Play),
        pause().prop_map(Verb::Pause),
        record().prop_map(Verb::Record),
        dial().prop_map(Verb::Dial),
        gather().prop_map(Verb::Gather),
        Just(Verb::Hangup),
        redirect().prop_map(Verb::Redirect),
        reject,
        enqueue,
        Just(Verb::Leave),
    ]
}

fn message() -> impl Strategy<Value = Message> {
    (
        opt_text(),
        vec(text(), 0..4),
        (opt_text(), opt_text(), opt_text(), method(), opt_text()),
    )
        .prop_map(|(body, media, a)| Message {
            body,
            media,
            to: a.0,
            from: a.1,
            action: a.2,
            method: a.3,
            status_callback: a.4,
        })
}

fn s(text: &str) -> String {
    sanitize_text(text)
}

fn o(text: &Option<String>) -> Option<String> {
    text.as_deref().map(sanitize_text)
}

fn sanitize_say(say: &Say) -> Say {
    Say {
        text: s(&say.text),
        voice: say.voice.as_ref().map(|v| match v {
            Voice::Polly(name) => Voice::Polly(s(name)),
            Voice::Google(name) => Voice::Google(s(name)),
            other => other.clone(),
        }),
        language: o(&say.language),
        loop_count: say.loop_count,
    }
}

fn sanitize_play(play: &Play) -> Play {
    Play {
        url: s(&play.url),
        loop_count: play.loop_count,
        digits: o(&play.digits),
    }
}

fn sanitize_callbacks(c: &NounCallbacks) -> NounCallbacks {
    NounCallbacks {
        url: o(&c.url),
        method: c.method,
        status_callback_event: o(&c.status_callback_event),
        status_callback: o(&c.status_callback),
        status_callback_method: c.status_callback_method,
    }
}

fn sanitize_target(target: &DialTarget) -> DialTarget {
    match target {
        DialTarget::Text(t) => DialTarget::Text(s(t)),
        DialTarget::Number(n) => DialTarget::Number(Number {
            number: s(&n.number),
            send_digits: o(&n.send_digits),
            callbacks: sanitize_callbacks(&n.callbacks),
        }),
        DialTarget::Client(c) => DialTarget::Client(Client {
            identity: s(&c.identity),
            callbacks: sanitize_callbacks(&c.callbacks),
            parameters: c.parameters.iter().map(|(n, v)| (s(n), s(v))).collect(),
        }),
        DialTarget::Conference(c) => DialTarget::Conference(Conference {
            name: s(&c.name),
            beep: o(&c.beep),
            wait_url: o(&c.wait_url),
            status_callback: o(&c.status_callback),
            status_callback_event: o(&c.status_callback_event),
            ..c.clone()
        }),
        DialTarget::Queue(q) => DialTarget::Queue(Queue {
            name: s(&q.name),
            url: o(&q.url),
            method: q.method,
        }),
        DialTarget::Sip(x) => DialTarget::Sip(Sip {
            uri: s(&x.uri),
            username: o(&x.username),
            password: o(&x.password),
            callbacks: sanitize_callbacks(&x.callbacks),
        }),
    }
}

fn sanitize_verb(verb: &Verb) -> Verb {
    match verb {
        Verb::Say(x) => Verb::Say(sanitize_say(x)),
        Verb::Play(x) => Verb::Play(sanitize_play(x)),
        Verb::Pause(_) | Verb::Hangup | Verb::Reject(_) | Verb::Leave => verb.clone(),
        Verb::Record(r) => Verb::Record(Record {
            action: o(&r.action),
            finish_on_key: o(&r.finish_on_key),
            recording_status_callback: o(&r.recording_status_callback),
            recording_status_callback_event: o(&r.recording_status_callback_event),
            transcribe_callback: o(&r.transcribe_callback),
            ..r.clone()
        }),
        Verb::Dial(d) => Verb::Dial(Dial {
            action: o(&d.action),
            caller_id: o(&d.caller_id),
            ring_tone: o(&d.ring_tone),
            recording_status_callback: o(&d.recording_status_callback),
            recording_status_callback_event: o(&d.recording_status_callback_event),
            targets: d.targets.iter().map(sanitize_target).collect(),
            ..d.clone()
        }),
        Verb::Gather(g) => Verb::Gather(Gather {
            input: o(&g.input),
            action: o(&g.action),
            finish_on_key: o(&g.finish_on_key),
            speech_timeout: o(&g.speech_timeout),
            hints: o(&g.hints),
            language: o(&g.language),
            children: g
                .children
                .iter()
                .map(|c| match c {
                    GatherChild::Say(x) => GatherChild::Say(sanitize_say(x)),
                    GatherChild::Play(x) => GatherChild::Play(sanitize_play(x)),
                    GatherChild::Pause(x) => GatherChild::Pause(x.clone()),
                })
                .collect(),
            ..g.clone()
        }),
        Verb::Redirect(r) => Verb::Redirect(sanitize_redirect(r)),
        Verb::Enqueue(e) => Verb::Enqueue(Enqueue {
            name: s(&e.name),
            action: o(&e.action),
            wait_url: o(&e.wait_url),
            workflow_sid: o(&e.workflow_sid),
            ..e.clone()
        }),
    }
}

fn sanitize_redirect(r: &Redirect) -> Redirect {
    Redirect {
        url: s(&r.url),
        method: r.method,
    }
}

fn sanitize_voice(doc: &VoiceResponse) -> VoiceResponse {
    VoiceResponse {
        verbs: doc.verbs.iter().map(sanitize_verb).collect(),
    }
}

fn sanitize_messaging(doc: &MessagingResponse) -> MessagingResponse {
    MessagingResponse {
        verbs: doc
            .verbs
            .iter()
            .map(|v| match v {
                MessagingVerb::Message(m) => MessagingVerb::Message(Message {
                    body: o(&m.body),
                    media: m.media.iter().map(|u| s(u)).collect(),
                    to: o(&m.to),
                    from: o(&m.from),
                    action: o(&m.action),
                    method: m.method,
                    status_callback: o(&m.status_callback),
                }),
                MessagingVerb::Redirect(r) => MessagingVerb::Redirect(sanitize_redirect(r)),
            })
            .collect(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn twiml_voice_documents_read_back_as_written(verbs in vec(verb(), 0..6)) {
        let doc = VoiceResponse { verbs };
        let xml = doc.to_xml();
        prop_assert_eq!(read_voice(&xml), Ok(sanitize_voice(&doc)), "xml: {}", xml);
    }

    #[test]
    fn twiml_messaging_documents_read_back_as_written(
        verbs in vec(prop_oneof![
            message().prop_map(MessagingVerb::Message),
            redirect().prop_map(MessagingVerb::Redirect),
        ], 0..5),
    ) {
        let doc = MessagingResponse { verbs };
        let xml = doc.to_xml();
        prop_assert_eq!(read_messaging(&xml), Ok(sanitize_messaging(&doc)), "xml: {}", xml);
    }

    #[test]
    fn twiml_writing_a_sanitized_document_again_gives_the_same_xml(verbs in vec(verb(), 0..6)) {
        let doc = VoiceResponse { verbs };
        let xml = doc.to_xml();
        prop_assert_eq!(sanitize_voice(&doc).to_xml(), xml);
    }
}
