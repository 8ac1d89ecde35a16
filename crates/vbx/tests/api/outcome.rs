//! What each call was, in the call log, the thread and the conversation list: answered in the
//! browser or on the cell (with the talk time), voicemail, missed, rejected, and how a call
//! placed from the browser ended. Twilio says `completed` for a call nobody picked up; vbx
//! knows better from the `<Dial>` actions, recordings and legs it stored.

use serde_json::Value;

use crate::harness::*;

/// Twilio's request to a `<Dial action>` URL when the dialled leg ended.
async fn dial_ends(app: &TestApp, path: &str, call_sid: &str, from: &str, status: &str, talk: u32) {
    let mut params = call_params(call_sid, from);
    params.retain(|(k, _)| *k != "CallStatus");
    params.push(("CallStatus", "in-progress".into()));
    params.push(("DialCallStatus", status.into()));
    params.push(("DialCallSid", sid("CA")));
    params.push(("DialCallDuration", talk.to_string()));
    let reply = app.post_signed(path, &borrow(&params)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

/// The call log's entry for `call_sid`.
async fn logged(app: &TestApp, session: &Session, call_sid: &str) -> Value {
    let log = app.get("/api/calls", session).await;
    assert_eq!(log.status, 200, "{}", log.body);
    log.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["sid"] == call_sid)
        .unwrap_or_else(|| panic!("{call_sid} is not in the call log: {}", log.body))
        .clone()
}

fn what(entry: &Value) -> (&str, Option<&str>, Option<i64>) {
    (
        entry["outcome"].as_str().unwrap(),
        entry["answered_to"].as_str(),
        entry["talk"].as_i64(),
    )
}

#[tokio::test]
async fn a_call_answered_in_the_browser_says_so_with_its_talk_time_everywhere() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let mut socket = app.socket(&session).await;
    app.presence.browser_registered("vbx");
    let (call, reply) = app.call_arrives("default", CALLER).await;
    assert!(
        reply.twiml().contains("<Client>vbx</Client>"),
        "{}",
        reply.body
    );
    let frame = socket.until(|f| f["type"] == "call").await;
    assert_eq!(frame["item"]["outcome"], "ringing", "{frame}");

    dial_ends(
        &app,
        "/flow/voice/default/dial?step=0",
        &call,
        CALLER,
        "completed",
        36,
    )
    .await;
    // The tab hears it at once, before the call's own leg ends.
    let frame = socket.until(|f| f["type"] == "call").await;
    assert_eq!(frame["item"]["sid"], call.as_str(), "{frame}");
    assert_eq!(frame["item"]["outcome"], "answered", "{frame}");
    assert_eq!(frame["item"]["answered_to"], "client:vbx", "{frame}");
    assert_eq!(frame["item"]["talk"], 36, "{frame}");
    app.call_ends(&call, CALLER, 41).await;

    let entry = logged(&app, &session, &call).await;
    assert_eq!(what(&entry), ("answered", Some("client:vbx"), Some(36)));
    // Twilio's status and the whole call's duration stay as Twilio gave them.
    assert_eq!(
        (&entry["status"], &entry["duration"]),
        (&"completed".into(), &41.into())
    );
    let thread = app
        .get(&format!("/api/threads/{}", path_number(CALLER)), &session)
        .await
        .json();
    assert_eq!(
        what(&thread["items"][0]),
        ("answered", Some("client:vbx"), Some(36))
    );
    let list = app.get("/api/conversations", &session).await.json();
    assert_eq!(list["items"][0]["last"]["text"], "answered");
    // A retried action changes nothing.
    dial_ends(
        &app,
        "/flow/voice/default/dial?step=0",
        &call,
        CALLER,
        "completed",
        36,
    )
    .await;
    assert_eq!(
        what(&logged(&app, &session, &call).await),
        ("answered", Some("client:vbx"), Some(36))
    );
    app.stop().await;
}

#[tokio::test]
async fn a_call_the_browser_missed_and_the_cell_answered_names_the_cell() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    app.presence.browser_registered("vbx");
    let (call, _) = app.call_arrives("default", CALLER).await;
    dial_ends(
        &app,
        "/flow/voice/default/dial?step=0",
        &call,
        CALLER,
        "no-answer",
        0,
    )
    .await;
    // The `default` flow goes on to `phone`, which dials the cell with an action back to vbx.
    let mut params = call_params(&call, CALLER);
    params.retain(|(k, _)| *k != "CallStatus");
    params.push(("CallStatus", "in-progress".into()));
    let reply = app.post_signed("/flow/voice/phone", &borrow(&params)).await;
    assert!(
        reply
            .twiml()
            .contains(r#"<Dial action="https://vbx.example.com/flow/voice/phone/dial?step=0">"#),
        "{}",
        reply.body
    );
    dial_ends(
        &app,
        "/flow/voice/phone/dial?step=0",
        &call,
        CALLER,
        "completed",
        125,
    )
    .await;
    app.call_ends(&call, CALLER, 160).await;
    let entry = logged(&app, &session, &call).await;
    assert_eq!(what(&entry), ("answered", Some(CELL), Some(125)));
    app.stop().await;
}

#[tokio::test]
async fn a_call_nobody_picked_up_is_missed_though_twilio_says_completed() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    // Nobody online: the flow dials the cell, which does not answer; the caller hears the
    // rest of the flow (nothing) and the call ends `completed` after 36 s.
    let (call, _) = app.call_arrives("phone", CALLER).await;
    dial_ends(
        &app,
        "/flow/voice/phone/dial?step=0",
        &call,
        CALLER,
        "no-answer",
        0,
    )
    .await;
    app.call_ends(&call, CALLER, 36).await;
    let entry = logged(&app, &session, &call).await;
    assert_eq!(what(&entry), ("missed", None, None));
    assert_eq!(entry["status"], "completed");

    let (voicemail, _) = app.voicemail_left(ANN).await;
    app.call_ends(&voicemail, ANN, 20).await;
    assert_eq!(
        what(&logged(&app, &session, &voicemail).await),
        ("voicemail", None, None)
    );

    let missed = app.get("/api/calls?outcome=missed", &session).await.json();
    let sids: Vec<&str> = missed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["sid"].as_str().unwrap())
        .collect();
    assert_eq!(sids, vec![call.as_str()]);
    let voicemails = app
        .get("/api/calls?outcome=voicemail", &session)
        .await
        .json();
    assert_eq!(voicemails["items"][0]["sid"], voicemail.as_str());
    assert_eq!(voicemails["items"].as_array().unwrap().len(), 1);
    let bad = app.get("/api/calls?outcome=completed", &session).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("`outcome`"), "{}", bad.body);
    app.stop().await;
}

#[tokio::test]
async fn a_call_stored_before_vbx_heard_its_dial_action_is_read_from_its_answered_leg() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    // A call whose `<Dial>` had no action (an older vbx) and whose legs came by status
    // callback or the sync: the leg to the cell completed after 50 s of talk.
    let (call, _) = app.call_arrives("phone", CALLER).await;
    let mut leg = call_params(&sid("CA"), NUMBER);
    leg.retain(|(k, _)| !matches!(*k, "CallStatus" | "Direction" | "To"));
    leg.push(("To", CELL.into()));
    leg.push(("Direction", "outbound-dial".into()));
    leg.push(("ParentCallSid", call.clone()));
    leg.push(("CallStatus", "completed".into()));
    leg.push(("CallDuration", "50".into()));
    let reply = app.post_signed("/flow/status/call", &borrow(&leg)).await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    app.call_ends(&call, CALLER, 58).await;
    assert_eq!(
        what(&logged(&app, &session, &call).await),
        ("answered", Some(CELL), Some(50))
    );
    app.stop().await;
}

#[tokio::test]
async fn a_call_placed_from_the_browser_says_how_the_number_answered() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let mut outgoing = Vec::new();
    for (status, talk) in [("no-answer", 0), ("busy", 0), ("completed", 61)] {
        let call = sid("CA");
        let mut params = call_params(&call, "client:vbx");
        params.retain(|(k, _)| *k != "To");
        params.push(("To", ANN.into()));
        let reply = app
            .post_signed("/flow/voice/default", &borrow(&params))
            .await;
        assert!(
            reply
                .twiml()
                .contains(r#"<Dial action="https://vbx.example.com/flow/voice/default/outgoing""#),
            "{}",
            reply.body
        );
        let mut action = params.clone();
        action.push(("DialCallStatus", status.into()));
        action.push(("DialCallSid", sid("CA")));
        action.push(("DialCallDuration", talk.to_string()));
        let reply = app
            .post_signed("/flow/voice/default/outgoing", &borrow(&action))
            .await;
        assert_eq!(reply.twiml(), "<Response><Hangup /></Response>");
        app.call_ends(&call, "client:vbx", talk + 20).await;
        outgoing.push(call);
    }
    let mut seen = Vec::new();
    for call in &outgoing {
        let entry = logged(&app, &session, call).await;
        assert_eq!(entry["direction"], "outbound");
        seen.push(what(&entry).0.to_owned());
    }
    assert_eq!(seen, ["no-answer", "busy", "answered"]);
    assert_eq!(
        what(&logged(&app, &session, &outgoing[2]).await),
        ("answered", Some(ANN), Some(61))
    );
    let thread = app
        .get(&format!("/api/threads/{}", path_number(ANN)), &session)
        .await
        .json();
    assert_eq!(thread["items"].as_array().unwrap().len(), 3);
    assert_eq!(thread["items"][0]["talk"], 61);
    app.stop().await;
}
