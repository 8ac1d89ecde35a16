//! Calls: incoming calls run the app's TwiML (transcripts, Gather, Redirect, Record, Dial),
//! REST-created calls ring their party first, status callbacks carry their sequence numbers.

use reqwest::{Method, StatusCode};
use serde_json::json;
use twilio_sim::{CallDirection, CallStatus, InboundCall, Party};

use crate::app::{Canned, Hit};
use crate::support::*;

fn caller() -> InboundCall {
    InboundCall {
        from: CALLER.into(),
        to: NUMBER.into(),
        ..InboundCall::default()
    }
}

async fn with_voice_url(world: &World, path: &str) {
    let url = world.app.url(path);
    let status = world.app.url("/call-status");
    world
        .configure_number(&[("VoiceUrl", &url), ("StatusCallback", &status)])
        .await;
}

fn params_of<'a>(hits: &'a [Hit], name: &str) -> Vec<&'a str> {
    hits.iter().map(|h| h.param(name)).collect()
}

#[tokio::test]
async fn an_incoming_call_hears_its_prompts_and_the_gathered_digits_go_to_the_action() {
    let world = World::start().await;
    with_voice_url(&world, "/voice").await;
    world.app.answer(
        "/voice",
        concat!(
            r#"<Response><Say voice="woman" language="en-GB">Welcome</Say>"#,
            r#"<Play>https://example.com/a.mp3</Play><Pause length="2"/>"#,
            r#"<Gather numDigits="1" action="menu"><Say>Press 1</Say></Gather>"#,
            r#"<Say>No input</Say></Response>"#
        ),
    );
    world.app.answer(
        "/menu",
        "<Response><Redirect>/bye?x=1</Redirect></Response>",
    );
    world
        .app
        .answer("/bye", "<Response><Say>Bye now</Say><Hangup/></Response>");
    let sid = world
        .sim()
        .incoming_call(InboundCall {
            digits: vec!["1".into()],
            ..caller()
        })
        .unwrap();
    let call = world.sim().wait_for_call_end(&sid, WAIT).await.unwrap();
    assert_eq!(call.status, CallStatus::Completed);
    assert_eq!(call.direction, CallDirection::Inbound);
    assert_eq!(
        world.sim().call_transcript(&sid),
        [
            "say[woman,en-GB]: Welcome",
            "play: https://example.com/a.mp3",
            "pause: 2",
            "say[man,en-US]: Press 1",
            "digits: 1",
            "say[man,en-US]: Bye now",
        ]
    );

    let voice = &world.app.hits_to("/voice")[0];
    assert!(voice.signed);
    for (name, value) in [
        ("CallSid", sid.as_str()),
        ("AccountSid", ACCOUNT),
        ("From", CALLER),
        ("To", NUMBER),
        ("Caller", CALLER),
        ("Called", NUMBER),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
        ("ApiVersion", "2010-04-01"),
    ] {
        assert_eq!(voice.param(name), value, "{name}");
    }
    let menu = &world.app.hits_to("/menu")[0];
    assert_eq!(menu.param("Digits"), "1");
    assert_eq!(menu.param("CallStatus"), "in-progress");
    assert_eq!(world.app.hits_to("/bye")[0].path, "/bye?x=1");

    let completed = &world.app.wait_for("/call-status", 1).await[0];
    assert!(completed.signed);
    assert_eq!(completed.param("CallStatus"), "completed");
    assert_eq!(completed.param("SequenceNumber"), "0");
    assert_eq!(completed.param("CallbackSource"), "call-progress-events");
    // Welcome 1 s + play 1 s + pause 2 s + "Press 1" 1 s + "Bye now" 1 s.
    assert_eq!(completed.param("CallDuration"), "6");
    assert_eq!(call.duration(), Some(6));
}

#[tokio::test]
async fn a_gather_without_input_goes_on_with_the_next_verb() {
    let world = World::start().await;
    with_voice_url(&world, "/voice").await;
    world.app.answer(
        "/voice",
        r#"<Response><Gather action="/menu" timeout="3"><Say>Press 1</Say></Gather><Say>No input</Say></Response>"#,
    );
    let sid = world
        .sim()
        .incoming_call(InboundCall {
            digits: vec![String::new()],
            ..caller()
        })
        .unwrap();
    world.sim().wait_for_call_end(&sid, WAIT).await.unwrap();
    assert_eq!(
        world.sim().call_transcript(&sid),
        ["say[man,en-US]: Press 1", "say[man,en-US]: No input"]
    );
    assert!(world.app.hits_to("/menu").is_empty());
}

#[tokio::test]
async fn a_record_stores_a_recording_and_posts_the_action_status_and_transcription() {
    let world = World::start().await;
    with_voice_url(&world, "/voice").await;
    world.app.answer(
        "/voice",
        concat!(
            "<Response><Say>Leave a message</Say>",
            r#"<Record action="/recorded" maxLength="60" recordingStatusCallback="/recording" "#,
            r#"transcribe="true" transcribeCallback="/transcribed"/></Response>"#
        ),
    );
    world
        .app
        .answer("/recorded", "<Response><Hangup/></Response>");
    let sid = world
        .sim()
        .incoming_call(InboundCall {
            record_seconds: Some(7),
            transcription: Some("Call me back".into()),
            ..caller()
        })
        .unwrap();
    world.sim().wait_for_call_end(&sid, WAIT).await.unwrap();
    assert_eq!(
        world.sim().call_transcript(&sid),
        ["say[man,en-US]: Leave a message", "beep"]
    );
    let recording = world.sim().recordings().pop().unwrap();
    assert_eq!(recording.call_sid, sid);
    assert_eq!(recording.duration_secs, 7);

    let action = &world.app.wait_for("/recorded", 1).await[0];
    assert!(action.signed);
    assert_eq!(action.param("RecordingSid"), recording.sid.as_str());
    assert_eq!(action.param("RecordingDuration"), "7");
    assert!(action.params.get("Digits").is_none());
    let audio = world
        .http
        .get(action.param("RecordingUrl"))
        .basic_auth(ACCOUNT, Some(TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(audio.status(), StatusCode::OK);
    assert_eq!(&audio.bytes().await.unwrap()[..4], b"RIFF");

    let status = &world.app.wait_for("/recording", 1).await[0];
    assert!(status.signed);
    assert_eq!(status.param("RecordingStatus"), "completed");
    assert_eq!(status.param("RecordingSid"), recording.sid.as_str());
    assert_eq!(status.param("RecordingDuration"), "7");
    assert_eq!(status.param("RecordingSource"), "RecordVerb");
    assert_eq!(status.param("CallSid"), sid.as_str());
    let transcription = &world.app.wait_for("/transcribed", 1).await[0];
    assert_eq!(transcription.param("TranscriptionStatus"), "completed");
    assert_eq!(transcription.param("TranscriptionText"), "Call me back");
    assert_eq!(transcription.param("RecordingSid"), recording.sid.as_str());
    assert!(transcription.param("TranscriptionSid").starts_with("TR"));
}

#[tokio::test]
async fn a_caller_hanging_up_during_a_record_still_reports_it_with_digits_hangup() {
    let world = World::start().await;
    with_voice_url(&world, "/voice").await;
    world.app.answer(
        "/voice",
        r#"<Response><Record action="/recorded"/></Response>"#,
    );
    let sid = world
        .sim()
        .incoming_call(InboundCall {
            hangup_after: Some(3),
            record_seconds: Some(30),
            ..caller()
        })
        .unwrap();
    let call = world.sim().wait_for_call_end(&sid, WAIT).await.unwrap();
    assert_eq!(call.status, CallStatus::Completed);
    let action = &world.app.wait_for("/recorded", 1).await[0];
    assert_eq!(action.param("Digits"), "hangup");
    assert_eq!(action.param("RecordingDuration"), "3");
    assert_eq!(action.param("CallStatus"), "completed");
}

#[tokio::test]
async fn a_dialled_busy_number_reports_busy_to_the_dial_action_and_its_leg_callbacks() {
    let world = World::start().await;
    with_voice_url(&world, "/voice").await;
    world.sim().set_party("+18005550001", Party::Busy);
    world.app.answer(
        "/voice",
        concat!(
            r#"<Response><Dial action="/dialed" timeout="10">"#,
            r#"<Number statusCallback="/leg" statusCallbackEvent="initiated ringing answered completed">"#,
            "+18005550001</Number></Dial><Say>unreachable</Say></Response>"
        ),
    );
    world
        .app
        .answer("/dialed", "<Response><Say>They are busy</Say></Response>");
    let sid = world.sim().incoming_call(caller()).unwrap();
    world.sim().wait_for_call_end(&sid, WAIT).await.unwrap();
    let leg = world.sim().child_calls(&sid).pop().unwrap();
    assert_eq!(leg.status, CallStatus::Busy);
    assert_eq!(leg.direction, CallDirection::OutboundDial);
    assert_eq!(leg.from, CALLER);
    assert_eq!(leg.to, "+18005550001");

    let action = &world.app.wait_for("/dialed", 1).await[0];
    assert_eq!(action.param("DialCallStatus"), "busy");
    assert_eq!(action.param("DialCallSid"), leg.sid.as_str());
    assert_eq!(action.param("DialCallDuration"), "0");
    assert_eq!(
        world.sim().call_transcript(&sid),
        ["say[man,en-US]: They are busy"]
    );
    let legs = world.app.wait_for("/leg", 3).await;
    assert_eq!(
        params_of(&legs, "CallStatus"),
        ["initiated", "ringing", "busy"]
    );
    assert_eq!(params_of(&legs, "SequenceNumber"), ["0", "1", "2"]);
    for hit in &legs {
        assert!(hit.signed);
        assert_eq!(hit.param("ParentCallSid"), sid.as_str());
        assert_eq!(hit.param("Direction"), "outbound-dial");
    }
}

#[tokio::test]
async fn an_answering_number_is_bridged_for_its_talk_time_and_the_call_goes_on_after_the_dial() {
    let world = World::start().await;
    with_voice_url(&world, "/voice").await;
    world.sim().set_party("+18005550002", Party::person(12));
    world.app.answer(
        "/voice",
        r#"<Response><Dial callerId="+15005550006"><Number>+18005550002</Number></Dial><Say>After</Say></Response>"#,
    );
    let sid = world.sim().incoming_call(caller()).unwrap();
    let call = world.sim().wait_for_call_end(&sid, WAIT).await.unwrap();
    let leg = world.sim().child_calls(&sid).pop().unwrap();
    assert_eq!(leg.status, CallStatus::Completed);
    assert_eq!(leg.from, NUMBER);
    assert_eq!(leg.duration(), Some(12));
    assert_eq!(world.sim().call_transcript(&sid), ["say[man,en-US]: After"]);
    // One second of ringing, twelve of talk, one for "After".
    assert_eq!(call.duration(), Some(14));
}

#[tokio::test]
async fn a_recorded_dial_posts_its_recording_status_with_the_dial_verb_as_source() {
    let world = World::start().await;
    with_voice_url(&world, "/voice").await;
    world.sim().set_party("+18005550005", Party::person(12));
    world.app.answer(
        "/voice",
        concat!(
            r#"<Response><Dial action="/dialed" record="record-from-answer-dual" "#,
            r#"recordingStatusCallback="/recording" recordingStatusCallbackMethod="GET">"#,
            "<Number>+18005550005</Number></Dial></Response>"
        ),
    );
    world
        .app
        .answer("/dialed", "<Response><Hangup/></Response>");
    let sid = world.sim().incoming_call(caller()).unwrap();
    world.sim().wait_for_call_end(&sid, WAIT).await.unwrap();
    let recording = world.sim().recordings().pop().unwrap();
    assert_eq!(recording.call_sid, sid);

    let action = &world.app.wait_for("/dialed", 1).await[0];
    let status = &world.app.wait_for("/recording", 1).await[0];
    assert!(status.signed);
    assert_eq!(status.method, "GET");
    for (name, value) in [
        ("AccountSid", ACCOUNT),
        ("CallSid", sid.as_str()),
        ("RecordingSid", recording.sid.as_str()),
        ("RecordingUrl", action.param("RecordingUrl")),
        ("RecordingStatus", "completed"),
        ("RecordingDuration", "12"),
        ("RecordingChannels", "2"),
        ("RecordingSource", "DialVerb"),
        ("ErrorCode", "0"),
    ] {
        assert_eq!(status.param(name), value, "{name}");
    }
    assert!(status.param("RecordingStartTime").ends_with("+0000"));
}

#[tokio::test]
async fn a_manual_party_answers_and_hangs_up_through_the_control_api() {
    let world = World::start().await;
    with_voice_url(&world, "/voice").await;
    world.sim().set_party("+18005550003", Party::Manual);
    world.app.answer(
        "/voice",
        r#"<Response><Dial action="/dialed" timeout="600"><Number>+18005550003</Number></Dial></Response>"#,
    );
    world
        .app
        .answer("/dialed", "<Response><Hangup/></Response>");
    let sid = world.sim().incoming_call(caller()).unwrap();
    let leg = world
        .sim()
        .wait_until(WAIT, |sim| sim.child_calls(&sid).pop())
        .await
        .unwrap();
    assert_eq!(leg.status, CallStatus::Ringing);
    let (status, _) = world
        .control(Method::POST, &format!("calls/{}/answer", leg.sid), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    world
        .sim()
        .wait_until(WAIT, |sim| {
            (sim.call(&leg.sid)?.status == CallStatus::InProgress).then_some(())
        })
        .await
        .unwrap();
    let (status, _) = world
        .control(
            Method::POST,
            &format!("calls/{}/digits", leg.sid),
            Some(json!({"digits": "42"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = world
        .control(Method::POST, &format!("calls/{}/hangup", leg.sid), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    world.sim().wait_for_call_end(&sid, WAIT).await.unwrap();
    let action = &world.app.wait_for("/dialed", 1).await[0];
    assert_eq!(action.param("DialCallStatus"), "completed");
    assert_eq!(action.param("DialCallSid"), leg.sid.as_str());
    assert_eq!(world.sim().call_transcript(&leg.sid), ["digits: 42"]);

    let (status, story) = world
        .control(Method::GET, &format!("calls/{sid}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(story["call"]["status"], "completed");
    assert_eq!(story["children"][0]["sid"], leg.sid.as_str());
    assert_eq!(story["webhooks"][0]["purpose"], "voice");
    assert_eq!(story["webhooks"][1]["purpose"], "dial-action");
}

#[tokio::test]
async fn nobody_answering_a_dial_ends_it_with_no_answer_after_its_timeout() {
    let world = World::start().await;
    with_voice_url(&world, "/voice").await;
    world.sim().set_party("+18005550004", Party::NoAnswer);
    world.app.answer(
        "/voice",
        r#"<Response><Dial action="/dialed" timeout="5"><Number>+18005550004</Number><Client>nobody</Client></Dial></Response>"#,
    );
    world.app.answer("/dialed", "<Response/>");
    let sid = world.sim().incoming_call(caller()).unwrap();
    world.sim().wait_for_call_end(&sid, WAIT).await.unwrap();
    let action = &world.app.wait_for("/dialed", 1).await[0];
    assert_eq!(action.param("DialCallStatus"), "no-answer");
    let statuses: Vec<CallStatus> = world
        .sim()
        .child_calls(&sid)
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, [CallStatus::NoAnswer, CallStatus::NoAnswer]);
}

#[tokio::test]
async fn a_rest_call_rings_its_party_then_runs_its_url_with_sequenced_status_callbacks() {
    let world = World::start().await;
    world
        .app
        .answer("/outbound", "<Response><Say>Hello</Say></Response>");
    let (status, body) = world
        .rest_post(
            "Calls.json",
            &[
                ("To", "+14155550123"),
                ("From", NUMBER),
                ("Url", &world.app.url("/outbound")),
                ("StatusCallback", &world.app.url("/progress")),
                (
                    "StatusCallbackEvent",
                    "initiated ringing answered completed",
                ),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "queued");
    let sid = body["sid"].as_str().unwrap().parse().unwrap();
    let call = world.sim().wait_for_call_end(&sid, WAIT).await.unwrap();
    assert_eq!(call.status, CallStatus::Completed);
    assert_eq!(world.sim().call_transcript(&sid), ["say[man,en-US]: Hello"]);
    let voice = &world.app.hits_to("/outbound")[0];
    assert_eq!(voice.param("Direction"), "outbound-api");
    assert_eq!(voice.param("CallStatus"), "in-progress");

    let progress = world.app.wait_for("/progress", 4).await;
    assert_eq!(
        params_of(&progress, "CallStatus"),
        ["initiated", "ringing", "in-progress", "completed"]
    );
    assert_eq!(params_of(&progress, "SequenceNumber"), ["0", "1", "2", "3"]);
    assert_eq!(progress[3].param("CallDuration"), "1");
    assert_eq!(progress[3].param("Duration"), "1");
    assert!(progress.iter().all(|h| h.signed));
    assert_eq!(
        world.sim().trace(sid.as_str()).statuses,
        ["queued", "ringing", "in-progress", "completed"]
    );
}

#[tokio::test]
async fn a_rest_call_to_a_busy_party_never_fetches_its_twiml() {
    let world = World::start().await;
    world.sim().set_party("+14155550124", Party::Busy);
    let (status, body) = world
        .rest_post(
            "Calls.json",
            &[
                ("To", "+14155550124"),
                ("From", NUMBER),
                ("Url", &world.app.url("/outbound")),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let sid = body["sid"].as_str().unwrap().parse().unwrap();
    let call = world.sim().wait_for_call_end(&sid, WAIT).await.unwrap();
    assert_eq!(call.status, CallStatus::Busy);
    assert_eq!(call.start_time, None);
    assert!(world.app.hits_to("/outbound").is_empty());
}

#[tokio::test]
async fn a_reject_ends_the_call_busy_without_answering_it() {
    let world = World::start().await;
    with_voice_url(&world, "/voice").await;
    world
        .app
        .answer("/voice", r#"<Response><Reject reason="busy"/></Response>"#);
    let sid = world.sim().incoming_call(caller()).unwrap();
    let call = world.sim().wait_for_call_end(&sid, WAIT).await.unwrap();
    assert_eq!(call.status, CallStatus::Busy);
    assert_eq!(call.start_time, None);
    assert!(world.sim().call_transcript(&sid).is_empty());
    let completed = &world.app.wait_for("/call-status", 1).await[0];
    assert_eq!(completed.param("CallStatus"), "busy");
}

#[tokio::test]
async fn a_failing_voice_url_makes_the_caller_hear_an_application_error() {
    let world = World::start().await;
    with_voice_url(&world, "/voice").await;
    world.app.answer_with(
        "/voice",
        vec![Canned {
            status: 503,
            ..Canned::twiml("down")
        }],
    );
    let sid = world.sim().incoming_call(caller()).unwrap();
    let call = world.sim().wait_for_call_end(&sid, WAIT).await.unwrap();
    assert_eq!(call.status, CallStatus::Completed);
    assert_eq!(
        world.sim().call_transcript(&sid),
        ["error: 11200 An application error has occurred."]
    );
    assert_eq!(
        world.sim().webhooks_of(sid.as_str())[0].error_code,
        Some(11200)
    );
}

#[tokio::test]
async fn hanging_up_a_live_call_through_rest_ends_it_at_once() {
    let world = World::start().await;
    with_voice_url(&world, "/voice").await;
    world.app.answer(
        "/voice",
        r#"<Response><Say>Hold on</Say><Pause length="3600"/></Response>"#,
    );
    let sid = world.sim().incoming_call(caller()).unwrap();
    world
        .sim()
        .wait_until(WAIT, |sim| {
            (sim.call_transcript(&sid).len() == 2).then_some(())
        })
        .await
        .unwrap();
    let (status, body) = world
        .rest_post(&format!("Calls/{sid}.json"), &[("Status", "completed")])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let call = world.sim().wait_for_call_end(&sid, WAIT).await.unwrap();
    assert_eq!(call.status, CallStatus::Completed);
    assert_eq!(
        world.sim().call_transcript(&sid),
        ["say[man,en-US]: Hold on", "pause: 3600"]
    );
}

#[tokio::test]
async fn the_control_api_places_an_incoming_call_with_scripted_digits() {
    let world = World::start().await;
    with_voice_url(&world, "/voice").await;
    world.app.answer(
        "/voice",
        r#"<Response><Gather action="/menu"><Say>Code?</Say></Gather></Response>"#,
    );
    world
        .app
        .answer("/menu", "<Response><Say>Thanks</Say></Response>");
    let (status, body) = world
        .control(
            Method::POST,
            "calls/incoming",
            Some(json!({"from": CALLER, "to": NUMBER, "digits": ["123#"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let sid = body["sid"].as_str().unwrap().parse().unwrap();
    world.sim().wait_for_call_end(&sid, WAIT).await.unwrap();
    let menu = &world.app.hits_to("/menu")[0];
    assert_eq!(menu.param("Digits"), "123");
    assert_eq!(menu.param("FinishedOnKey"), "#");
    assert_eq!(
        world.sim().call_transcript(&sid),
        [
            "say[man,en-US]: Code?",
            "digits: 123#",
            "say[man,en-US]: Thanks"
        ]
    );
}
