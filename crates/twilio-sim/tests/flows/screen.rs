//! Call screening (`<Number url>`): the whisper runs on the callee's leg with the leg's own
//! parameters; a key takes the call, silence or a voicemail leaves the Dial unconnected, and
//! other legs ring on while one is screened.

use reqwest::{Method, StatusCode};
use twilio_sim::{CallStatus, InboundCall, Party};

use crate::support::*;

const PERSON: &str = "+18005550021";
const CELL: &str = "+18005550022";

/// The whisper: one key takes the call, silence hangs up on the callee.
const WHISPER: &str = concat!(
    r#"<Response><Gather numDigits="1" action="/screened">"#,
    "<Say>Call for you. Press 1 to accept.</Say></Gather>",
    "<Say>Goodbye</Say><Hangup/></Response>"
);
const PROMPT: &str = "say[man,en-US]: Call for you. Press 1 to accept.";

async fn calling(world: &World, numbers: &[&str]) -> twilio::CallSid {
    let voice = world.app.url("/voice");
    world.configure_number(&[("VoiceUrl", &voice)]).await;
    let nouns: String = numbers
        .iter()
        .map(|n| {
            format!(
                r#"<Number url="/screen" statusCallback="/leg" statusCallbackEvent="answered completed">{n}</Number>"#
            )
        })
        .collect();
    world.app.answer(
        "/voice",
        &format!(r#"<Response><Dial action="/dialed" timeout="600">{nouns}</Dial></Response>"#),
    );
    world.app.answer("/screen", WHISPER);
    world
        .app
        .answer("/screened", "<Response><Say>Connecting</Say></Response>");
    world
        .app
        .answer("/dialed", "<Response><Say>Welcome back</Say></Response>");
    world
        .sim()
        .incoming_call(InboundCall {
            from: CALLER.into(),
            to: NUMBER.into(),
            ..InboundCall::default()
        })
        .unwrap()
}

#[tokio::test]
async fn a_callee_who_presses_1_to_the_whisper_is_bridged() {
    let world = World::start().await;
    world.sim().set_party(PERSON, Party::person(12));
    let sid = calling(&world, &[PERSON]).await;
    let call = world.sim().wait_for_call_end(&sid, WAIT).await.unwrap();
    let leg = world.sim().child_calls(&sid).pop().unwrap();
    assert_eq!(leg.status, CallStatus::Completed);

    assert_eq!(
        world.sim().call_transcript(&leg.sid),
        [PROMPT, "digits: 1", "say[man,en-US]: Connecting"],
        "the callee hears the whisper"
    );
    let whisper = &world.app.hits_to("/screen")[0];
    assert!(whisper.signed);
    for (name, value) in [
        ("CallSid", leg.sid.as_str()),
        ("ParentCallSid", sid.as_str()),
        ("AccountSid", ACCOUNT),
        ("From", CALLER),
        ("To", PERSON),
        ("Direction", "outbound-dial"),
        ("CallStatus", "in-progress"),
        ("ApiVersion", "2010-04-01"),
    ] {
        assert_eq!(whisper.param(name), value, "{name}");
    }
    let key = &world.app.hits_to("/screened")[0];
    assert!(key.signed);
    assert_eq!(key.param("Digits"), "1");
    assert_eq!(key.param("CallSid"), leg.sid.as_str());

    let action = &world.app.wait_for("/dialed", 1).await[0];
    assert_eq!(action.param("CallSid"), sid.as_str());
    assert_eq!(action.param("DialCallStatus"), "completed");
    assert_eq!(action.param("DialCallSid"), leg.sid.as_str());
    assert_eq!(action.param("DialBridged"), "true");
    // Three seconds of prompt and one of "Connecting", then twelve of talk.
    assert_eq!(action.param("DialCallDuration"), "16");
    assert_eq!(leg.duration(), Some(16));
    assert_eq!(call.duration(), Some(1 + 16 + 1));
    assert_eq!(
        world.sim().call_transcript(&sid),
        ["say[man,en-US]: Welcome back"],
        "the caller hears none of the whisper"
    );
    let progress = world.app.wait_for("/leg", 2).await;
    let statuses: Vec<&str> = progress.iter().map(|h| h.param("CallStatus")).collect();
    assert_eq!(statuses, ["in-progress", "completed"]);
    assert_eq!(progress[1].param("CallDuration"), "16");
}

#[tokio::test]
async fn a_callee_who_presses_nothing_is_hung_up_on_and_the_dial_is_not_connected() {
    let world = World::start().await;
    world
        .sim()
        .set_party(PERSON, Party::from_name("answer-silent", 12).unwrap());
    let sid = calling(&world, &[PERSON]).await;
    let call = world.sim().wait_for_call_end(&sid, WAIT).await.unwrap();
    let leg = world.sim().child_calls(&sid).pop().unwrap();
    assert_eq!(leg.status, CallStatus::Completed, "the leg was answered");
    assert_eq!(
        world.sim().call_transcript(&leg.sid),
        [PROMPT, "say[man,en-US]: Goodbye"]
    );
    assert!(world.app.hits_to("/screened").is_empty());

    let action = &world.app.wait_for("/dialed", 1).await[0];
    assert_eq!(action.param("DialCallStatus"), "no-answer");
    assert_eq!(action.param("DialCallSid"), leg.sid.as_str());
    assert_eq!(action.param("DialBridged"), "false");
    assert_eq!(action.param("DialCallDuration"), "0");
    assert_eq!(
        world.sim().call_transcript(&sid),
        ["say[man,en-US]: Welcome back"]
    );
    // Prompt three seconds, the Gather's five, "Goodbye" one.
    assert_eq!(leg.duration(), Some(9));
    assert_eq!(call.duration(), Some(1 + 9 + 1));
}

#[tokio::test]
async fn a_voicemail_picks_up_at_once_and_the_whisper_hangs_up_on_it() {
    let world = World::start().await;
    world
        .sim()
        .set_party(CELL, Party::from_name("voicemail", 60).unwrap());
    let sid = calling(&world, &[CELL]).await;
    let call = world.sim().wait_for_call_end(&sid, WAIT).await.unwrap();
    let leg = world.sim().child_calls(&sid).pop().unwrap();
    assert_eq!(
        world.sim().call_transcript(&leg.sid),
        [PROMPT, "say[man,en-US]: Goodbye"],
        "the voicemail recorded the whisper"
    );
    let action = &world.app.wait_for("/dialed", 1).await[0];
    assert_eq!(action.param("DialCallStatus"), "no-answer");
    assert_eq!(action.param("DialBridged"), "false");
    assert_eq!(leg.duration(), Some(9));
    // No second of ringing: the voicemail answered before a person could.
    assert_eq!(call.duration(), Some(9 + 1));
}

#[tokio::test]
async fn a_leg_refusing_the_whisper_leaves_the_other_ringing_until_it_takes_the_call() {
    let world = World::start().await;
    world
        .sim()
        .set_party(CELL, Party::from_name("voicemail", 60).unwrap());
    world.sim().set_party(PERSON, Party::Manual);
    let sid = calling(&world, &[CELL, PERSON]).await;
    let legs = world
        .sim()
        .wait_until(WAIT, |sim| {
            let legs = sim.child_calls(&sid);
            (legs.len() == 2 && legs[0].status == CallStatus::Completed).then_some(legs)
        })
        .await
        .unwrap();
    let (cell, person) = (&legs[0], &legs[1]);
    assert_eq!(cell.to, CELL);
    assert_eq!(
        world.sim().call(&person.sid).unwrap().status,
        CallStatus::Ringing,
        "the voicemail's refusal does not end the Dial"
    );

    // The person picks up and presses 1 through the control API.
    for (path, body) in [
        ("answer", None),
        ("digits", Some(serde_json::json!({"digits": "1"}))),
    ] {
        let (status, reply) = world
            .control(Method::POST, &format!("calls/{}/{path}", person.sid), body)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{path}: {reply}");
    }
    let bridged = format!("bridged with {}", person.sid);
    world
        .sim()
        .wait_until(WAIT, |sim| {
            sim.trace(sid.as_str())
                .events
                .contains(&bridged)
                .then_some(())
        })
        .await
        .unwrap();
    let (status, _) = world
        .control(Method::POST, &format!("calls/{}/hangup", person.sid), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    world.sim().wait_for_call_end(&sid, WAIT).await.unwrap();

    assert_eq!(
        world.sim().call_transcript(&person.sid),
        [PROMPT, "digits: 1", "say[man,en-US]: Connecting"]
    );
    let action = &world.app.wait_for("/dialed", 1).await[0];
    assert_eq!(action.param("DialCallStatus"), "completed");
    assert_eq!(action.param("DialCallSid"), person.sid.as_str());
    let screened = world.app.hits_to("/screen");
    let mut screened: Vec<&str> = screened.iter().map(|h| h.param("CallSid")).collect();
    screened.sort_unstable();
    let mut both = [cell.sid.as_str(), person.sid.as_str()];
    both.sort_unstable();
    assert_eq!(screened, both, "each leg fetched its own whisper");
}
