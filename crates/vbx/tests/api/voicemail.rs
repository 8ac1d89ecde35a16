//! Recordings as the app plays them: a recorded call from its row in the thread and the call
//! log.

use serde_json::{json, Value};

use crate::harness::*;

/// The recording status callback of a `<Dial record>` of call `call`: 95 seconds of the
/// bridged call. Answers the recording's SID.
async fn call_recorded(app: &TestApp, call: &str) -> String {
    let recording = sid("RE");
    let url =
        format!("https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{recording}");
    let reply = app
        .post_signed(
            "/flow/status/recording",
            &[
                ("AccountSid", ACCOUNT),
                ("CallSid", call),
                ("RecordingSid", &recording),
                ("RecordingUrl", &url),
                ("RecordingStatus", "completed"),
                ("RecordingDuration", "95"),
                ("RecordingSource", "DialVerb"),
            ],
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    recording
}

#[tokio::test]
async fn a_recorded_call_plays_from_its_row_in_the_thread_and_the_call_log() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let mut socket = app.socket(&session).await;
    let (call, _) = app.call_arrives("default", CALLER).await;
    app.call_ends(&call, CALLER, 120).await;
    let recording = call_recorded(&app, &call).await;
    let recorded = json!({
        "sid": recording,
        "url": format!("/api/recordings/{recording}"),
        "duration": 95,
    });

    // Open tabs see the call's row change to carry it.
    let frame = socket
        .until(|f| f["type"] == "call" && f["item"]["call_recording"] != Value::Null)
        .await;
    assert_eq!(frame["item"]["sid"], call.as_str());
    assert_eq!(frame["item"]["call_recording"], recorded);

    let thread = app
        .get(&format!("/api/threads/{}", path_number(CALLER)), &session)
        .await
        .json();
    let items = thread["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "the call only, no voicemail: {thread}");
    assert_eq!(items[0]["kind"], "call");
    assert_eq!(items[0]["call_recording"], recorded);

    let log = app.get("/api/calls", &session).await.json();
    assert_eq!(log["items"][0]["sid"], call.as_str());
    assert_eq!(log["items"][0]["call_recording"], recorded);
    assert_eq!(log["items"][0]["recording"], Value::Null, "no voicemail");
    let new = app.get("/api/voicemails/new", &session).await.json();
    assert_eq!(new["new"], 0);
    app.stop().await;
}
