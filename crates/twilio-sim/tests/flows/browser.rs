//! Simulated browsers: token checks, ringing every browser of an identity, answering, digits,
//! hanging up, rejecting, and calls placed from a browser through its TwiML application.

use std::time::Duration;

use reqwest::StatusCode;
use twilio_sim::client::{BrowserClient, ClientError, ServerEvent};
use twilio_sim::{CallStatus, InboundCall, Party};

use crate::support::*;

async fn browser(world: &World, identity: &str) -> BrowserClient {
    let url = world.sim().client_url().unwrap();
    BrowserClient::connect(&url, &token(world, identity, true, None))
        .await
        .unwrap()
}

async fn next(client: &mut BrowserClient) -> ServerEvent {
    client.next_event_within(WAIT).await.unwrap()
}

/// Waits for an `incoming` event and returns its call SID.
async fn rung(client: &mut BrowserClient) -> (String, ServerEvent) {
    match next(client).await {
        event @ ServerEvent::Incoming { .. } => {
            let ServerEvent::Incoming { call_sid, .. } = &event else {
                unreachable!()
            };
            (call_sid.clone(), event)
        }
        other => panic!("expected incoming, got {other:?}"),
    }
}

async fn dial_alice(world: &World) -> twilio::CallSid {
    let voice = world.app.url("/voice");
    world.configure_number(&[("VoiceUrl", &voice)]).await;
    world.app.answer(
        "/voice",
        concat!(
            r#"<Response><Dial action="/dialed" timeout="600"><Client><Identity>alice</Identity>"#,
            r#"<Parameter name="topic" value="sales"/></Client></Dial></Response>"#
        ),
    );
    world
        .app
        .answer("/dialed", "<Response><Hangup/></Response>");
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
async fn a_dialled_client_rings_every_browser_of_its_identity_and_the_first_accept_wins() {
    let world = World::start().await;
    let mut first = browser(&world, "alice").await;
    let mut second = browser(&world, "alice").await;
    assert_eq!(first.identity(), "alice");
    let parent = dial_alice(&world).await;

    let (leg, event) = rung(&mut first).await;
    assert_eq!(
        event,
        ServerEvent::Incoming {
            call_sid: leg.clone(),
            from: CALLER.into(),
            to: "client:alice".into(),
            params: [("topic".to_owned(), "sales".to_owned())].into(),
        }
    );
    let (also, _) = rung(&mut second).await;
    assert_eq!(also, leg);
    first.accept(&leg).unwrap();
    assert_eq!(
        next(&mut first).await,
        ServerEvent::Connected {
            call_sid: leg.clone()
        }
    );
    assert_eq!(
        next(&mut second).await,
        ServerEvent::Canceled {
            call_sid: leg.clone()
        }
    );
    first.digits(&leg, "5").unwrap();
    let leg_sid: twilio::CallSid = leg.parse().unwrap();
    world
        .sim()
        .wait_until(WAIT, |sim| {
            (!sim.call_transcript(&leg_sid).is_empty()).then_some(())
        })
        .await
        .unwrap();
    assert_eq!(world.sim().call_transcript(&leg_sid), ["digits: 5"]);
    first.hangup(&leg).unwrap();
    assert_eq!(
        next(&mut first).await,
        ServerEvent::Disconnected {
            call_sid: leg.clone()
        }
    );
    world.sim().wait_for_call_end(&parent, WAIT).await.unwrap();
    let action = &world.app.wait_for("/dialed", 1).await[0];
    assert_eq!(action.param("DialCallStatus"), "completed");
    assert_eq!(action.param("DialCallSid"), leg);
    let call = world.sim().call(&leg_sid).unwrap();
    assert_eq!(call.status, CallStatus::Completed);
    assert_eq!(call.to, "client:alice");
}

#[tokio::test]
async fn a_browser_that_rejects_makes_the_dial_busy() {
    let world = World::start().await;
    let mut alice = browser(&world, "alice").await;
    let parent = dial_alice(&world).await;
    let (leg, _) = rung(&mut alice).await;
    alice.reject(&leg).unwrap();
    assert_eq!(
        next(&mut alice).await,
        ServerEvent::Canceled {
            call_sid: leg.clone()
        }
    );
    world.sim().wait_for_call_end(&parent, WAIT).await.unwrap();
    let action = &world.app.wait_for("/dialed", 1).await[0];
    assert_eq!(action.param("DialCallStatus"), "busy");
}

#[tokio::test]
async fn a_browser_without_the_incoming_grant_is_not_rung() {
    let world = World::start().await;
    let url = world.sim().client_url().unwrap();
    let mut outgoing_only = BrowserClient::connect(&url, &token(&world, "alice", false, None))
        .await
        .unwrap();
    let voice = world.app.url("/voice");
    world.configure_number(&[("VoiceUrl", &voice)]).await;
    world.app.answer(
        "/voice",
        r#"<Response><Dial action="/dialed" timeout="5"><Client>alice</Client></Dial></Response>"#,
    );
    let parent = world
        .sim()
        .incoming_call(InboundCall {
            from: CALLER.into(),
            to: NUMBER.into(),
            ..InboundCall::default()
        })
        .unwrap();
    world.sim().wait_for_call_end(&parent, WAIT).await.unwrap();
    let action = &world.app.wait_for("/dialed", 1).await[0];
    assert_eq!(action.param("DialCallStatus"), "no-answer");
    assert_eq!(
        outgoing_only
            .next_event_within(Duration::from_millis(100))
            .await,
        Err(ClientError::Timeout(Duration::from_millis(100)))
    );
}

#[tokio::test]
async fn tokens_are_refused_with_twilios_codes() {
    let world = World::start().await;
    let url = world.sim().client_url().unwrap();
    let refused = |result: Result<BrowserClient, ClientError>| match result {
        Err(ClientError::Refused { code, .. }) => code,
        other => panic!("expected a refusal, got {other:?}"),
    };

    let wrong_secret = token_with(&world, "alice", true, None, KEY, "not-the-secret", ACCOUNT);
    assert_eq!(
        refused(BrowserClient::connect(&url, &wrong_secret).await),
        31202
    );

    let unknown_key = token_with(
        &world,
        "alice",
        true,
        None,
        "SKffffffffffffffffffffffffffffffff",
        SECRET,
        ACCOUNT,
    );
    assert_eq!(
        refused(BrowserClient::connect(&url, &unknown_key).await),
        20101
    );

    let other_account = token_with(
        &world,
        "alice",
        true,
        None,
        KEY,
        SECRET,
        "ACffffffffffffffffffffffffffffffff",
    );
    assert_eq!(
        refused(BrowserClient::connect(&url, &other_account).await),
        20101
    );

    assert_eq!(
        refused(BrowserClient::connect(&url, "not.a.jwt").await),
        20101
    );

    let valid = token(&world, "alice", true, None);
    world.sim().advance_clock(Duration::from_secs(2 * 3600));
    assert_eq!(refused(BrowserClient::connect(&url, &valid).await), 20104);
    let fresh = token(&world, "alice", true, None);
    assert!(BrowserClient::connect(&url, &fresh).await.is_ok());
}

#[tokio::test]
async fn an_outgoing_browser_call_reaches_the_application_and_rings_a_pstn_party() {
    let world = World::start().await;
    let (status, app) = world
        .rest_post(
            "Applications.json",
            &[
                ("FriendlyName", "vbx"),
                ("VoiceUrl", &world.app.url("/flow/voice/default")),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{app}");
    let app_sid = app["sid"].as_str().unwrap();
    world.app.answer(
        "/flow/voice/default",
        r#"<Response><Dial callerId="+15005550006"><Number>+14155550177</Number></Dial></Response>"#,
    );
    world.sim().set_party("+14155550177", Party::Manual);
    let url = world.sim().client_url().unwrap();
    let mut alice = BrowserClient::connect(&url, &token(&world, "alice", true, Some(app_sid)))
        .await
        .unwrap();

    let call = alice.call("+14155550177").await.unwrap();
    assert_eq!(
        next(&mut alice).await,
        ServerEvent::Connected {
            call_sid: call.clone()
        }
    );
    let hit = &world.app.wait_for("/flow/voice/default", 1).await[0];
    assert!(hit.signed);
    for (name, value) in [
        ("CallSid", call.as_str()),
        ("From", "client:alice"),
        ("Caller", "client:alice"),
        ("To", "+14155550177"),
        ("Direction", "inbound"),
        ("ApplicationSid", app_sid),
        ("agent", "7"),
        ("AccountSid", ACCOUNT),
    ] {
        assert_eq!(hit.param(name), value, "{name}");
    }

    let parent: twilio::CallSid = call.parse().unwrap();
    let leg = world
        .sim()
        .wait_until(WAIT, |sim| sim.child_calls(&parent).pop())
        .await
        .unwrap();
    assert_eq!(
        (leg.from.as_str(), leg.to.as_str()),
        (NUMBER, "+14155550177")
    );
    world.sim().answer_call(&leg.sid).unwrap();
    world
        .sim()
        .wait_until(WAIT, |sim| {
            (sim.call(&leg.sid)?.status == CallStatus::InProgress).then_some(())
        })
        .await
        .unwrap();
    alice.digits(&call, "9").unwrap();
    alice.hangup(&call).unwrap();
    assert_eq!(
        next(&mut alice).await,
        ServerEvent::Disconnected {
            call_sid: call.clone()
        }
    );
    let ended = world.sim().wait_for_call_end(&parent, WAIT).await.unwrap();
    assert_eq!(ended.status, CallStatus::Completed);
    assert_eq!(
        world.sim().call(&leg.sid).unwrap().status,
        CallStatus::Completed
    );
    assert_eq!(world.sim().call_transcript(&parent), ["digits: 9"]);
}

#[tokio::test]
async fn a_browser_without_an_outgoing_application_cannot_place_calls() {
    let world = World::start().await;
    let mut alice = browser(&world, "alice").await;
    assert!(matches!(
        alice.call("+14155550177").await,
        Err(ClientError::Refused { code: 31002, .. })
    ));
}

#[tokio::test]
async fn a_rest_call_to_a_client_rings_its_browser_and_runs_once_accepted() {
    let world = World::start().await;
    let mut alice = browser(&world, "alice").await;
    world
        .app
        .answer("/outbound", "<Response><Say>Hi Alice</Say></Response>");
    let (status, body) = world
        .rest_post(
            "Calls.json",
            &[
                ("To", "client:alice"),
                ("From", NUMBER),
                ("Url", &world.app.url("/outbound")),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let sid = body["sid"].as_str().unwrap();
    let (rung_sid, _) = rung(&mut alice).await;
    assert_eq!(rung_sid, sid);
    alice.accept(sid).unwrap();
    assert_eq!(
        next(&mut alice).await,
        ServerEvent::Connected {
            call_sid: sid.to_owned()
        }
    );
    assert_eq!(
        next(&mut alice).await,
        ServerEvent::Disconnected {
            call_sid: sid.to_owned()
        }
    );
    let call_sid: twilio::CallSid = sid.parse().unwrap();
    let call = world
        .sim()
        .wait_for_call_end(&call_sid, WAIT)
        .await
        .unwrap();
    assert_eq!(call.status, CallStatus::Completed);
    assert_eq!(
        world.sim().call_transcript(&call_sid),
        ["say[man,en-US]: Hi Alice"]
    );
}

#[tokio::test]
async fn a_token_update_must_keep_the_identity() {
    let world = World::start().await;
    let mut alice = browser(&world, "alice").await;
    alice
        .update_token(&token(&world, "alice", true, None))
        .unwrap();
    alice
        .update_token(&token(&world, "bob", true, None))
        .unwrap();
    match next(&mut alice).await {
        ServerEvent::Error { code, message } => {
            assert_eq!(code, 20101);
            assert!(message.contains("bob"), "{message}");
        }
        other => panic!("expected an error, got {other:?}"),
    }
}

#[tokio::test]
async fn closing_a_connected_browser_hangs_up_its_call() {
    let world = World::start().await;
    let mut alice = browser(&world, "alice").await;
    let parent = dial_alice(&world).await;
    let (leg, _) = rung(&mut alice).await;
    alice.accept(&leg).unwrap();
    assert_eq!(
        next(&mut alice).await,
        ServerEvent::Connected {
            call_sid: leg.clone()
        }
    );
    drop(alice);
    world.sim().wait_for_call_end(&parent, WAIT).await.unwrap();
    let action = &world.app.wait_for("/dialed", 1).await[0];
    assert_eq!(action.param("DialCallStatus"), "completed");
    let leg: twilio::CallSid = leg.parse().unwrap();
    assert_eq!(
        world.sim().call(&leg).unwrap().status,
        CallStatus::Completed
    );
}
