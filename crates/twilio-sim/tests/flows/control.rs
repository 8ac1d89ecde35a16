//! The control routes that tune the simulation, and a reset in the middle of a call.

use reqwest::{Method, StatusCode};
use serde_json::json;
use twilio_sim::{InboundCall, Party};

use crate::support::*;

#[tokio::test]
async fn settings_change_in_part_and_bad_ones_are_refused() {
    let world = World::start().await;
    let (status, settings) = world
        .control(
            Method::POST,
            "settings",
            Some(json!({"time_scale_ms": 5, "webhook_retries": 2, "hold": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    assert_eq!(settings["time_scale_ms"], 5);
    assert_eq!(settings["webhook_retries"], 2);
    assert_eq!(settings["message_step_ms"], 20, "unchanged");
    let (_, read) = world.control(Method::GET, "settings", None).await;
    assert_eq!(read, settings);
    assert!(world.sim().settings().hold);
    let (status, _) = world
        .control(Method::POST, "settings", Some(json!({"speed": 3})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn parties_are_set_by_name_through_the_control_api() {
    let world = World::start().await;
    let (status, _) = world
        .control(
            Method::POST,
            "parties",
            Some(json!({"number": "+18005550009", "party": "answer", "talk_seconds": 9})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(world.sim().party("+18005550009"), Party::person(9));
    assert_eq!(
        world.sim().party("+18005550010"),
        Party::person(5),
        "the default answers, presses 1 to screening and talks for the settings' talk_seconds"
    );
    for (party, keys, expected) in [
        (
            "answer",
            Some("42#"),
            Party::Answer {
                talk_seconds: 5,
                keys: "42#".into(),
            },
        ),
        (
            "answer-silent",
            None,
            Party::Answer {
                talk_seconds: 5,
                keys: String::new(),
            },
        ),
        ("voicemail", None, Party::Voicemail { talk_seconds: 5 }),
    ] {
        let (status, body) = world
            .control(
                Method::POST,
                "parties",
                Some(json!({"number": "+18005550011", "party": party, "keys": keys})),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{party}: {body}");
        assert_eq!(world.sim().party("+18005550011"), expected);
    }
    for bad in [
        json!({"number": "+18005550009", "party": "asleep"}),
        json!({"number": "+18005550009", "party": "voicemail", "keys": "1"}),
        json!({"number": "+18005550009", "party": "answer", "keys": "1a"}),
    ] {
        let (status, body) = world.control(Method::POST, "parties", Some(bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    }
    assert_eq!(world.sim().party("+18005550009"), Party::person(9));
}

#[tokio::test]
async fn a_reset_stops_a_call_in_progress_and_forgets_it() {
    let world = World::start().await;
    let voice = world.app.url("/voice");
    world.configure_number(&[("VoiceUrl", &voice)]).await;
    world.app.answer(
        "/voice",
        r#"<Response><Say>Hold on</Say><Pause length="3600"/><Redirect>/never</Redirect></Response>"#,
    );
    let sid = world
        .sim()
        .incoming_call(InboundCall {
            from: CALLER.into(),
            to: NUMBER.into(),
            ..InboundCall::default()
        })
        .unwrap();
    world
        .sim()
        .wait_until(WAIT, |sim| {
            (sim.call_transcript(&sid).len() == 2).then_some(())
        })
        .await
        .unwrap();
    let (status, _) = world.control(Method::POST, "reset", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(world.sim().calls().is_empty());
    assert!(world.sim().trace(sid.as_str()).transcript.is_empty());
    assert!(
        world.sim().hangup_call(&sid).is_err(),
        "nothing runs any more"
    );
    assert!(world.app.hits_to("/never").is_empty());
}
