//! Recordings as the app plays them: the voicemail box (listed newest first, heard, deleted
//! here and at Twilio by the recordings worker), and a recorded call from its row in the
//! thread and the call log.

use std::time::Duration;

use serde_json::{json, Value};
use twilio_sim::InboundCall;
use vbx::store::outbox::{self, OutboxItem, OutboxStatus, RECORDING_DELETE, RECORDING_DOWNLOAD};
use vbx::worker::recordings::RecordingWorker;

use crate::harness::*;

/// Long enough for the simulator's fast clock to finish a call and its callbacks.
const PATIENCE: Duration = Duration::from_secs(30);

/// The transcription callback of voicemail `recording` of call `call`.
async fn transcribed(app: &TestApp, call: &str, recording: &str, text: &str) {
    let transcription = [
        ("AccountSid", ACCOUNT),
        ("TranscriptionSid", &sid("TR")),
        ("TranscriptionText", text),
        ("TranscriptionStatus", "completed"),
        ("RecordingSid", recording),
        ("CallSid", call),
    ];
    let reply = app
        .post_signed("/flow/status/transcription", &transcription)
        .await;
    assert!(reply.status < 300, "{}", reply.body);
}

fn sids(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|v| v["sid"].as_str().expect("sid"))
        .collect()
}

/// The worker that downloads recordings and deletes them at Twilio, on `app`'s store.
fn recordings_worker(app: &TestApp) -> RecordingWorker {
    RecordingWorker {
        client: app.state.twilio.clone(),
        store: app.state.store.clone(),
        events: app.state.events.clone(),
        data_dir: app.state.config.server.data_dir.clone(),
        delete_after_download: false,
    }
}

/// The outbox rows of `kind`, newest first.
async fn work(app: &TestApp, kind: &str) -> Vec<OutboxItem> {
    outbox::list(app.store.pool(), None, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|row| row.kind == kind)
        .collect()
}

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

#[tokio::test]
async fn the_voicemail_box_lists_voicemails_newest_first_with_who_left_them() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let (first_call, first) = app.voicemail_left(ANN).await;
    transcribed(&app, &first_call, &first, "Call me back about the boat.").await;
    let (_, second) = app.voicemail_left(CALLER).await;
    let (recorded_call, _) = app.call_arrives("default", CALLER).await;
    let recording = call_recorded(&app, &recorded_call).await;

    let page = app.get("/api/voicemails?limit=1", &session).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let page = page.json();
    assert_eq!(sids(&page), [second.as_str()]);
    let newest = &page["items"][0];
    assert_eq!(newest["number"], CALLER);
    assert_eq!(newest["name"], Value::Null);
    assert_eq!(newest["heard"], false);
    let next = page["next"].as_str().expect("a next page");
    let rest = app
        .get(&format!("/api/voicemails?limit=1&before={next}"), &session)
        .await
        .json();
    assert_eq!(sids(&rest), [first.as_str()]);
    assert_eq!(
        rest["next"],
        Value::Null,
        "the call recording is no voicemail"
    );
    let ann = &rest["items"][0];
    let at = ann["at"].as_i64().expect("at");
    assert_eq!(
        *ann,
        json!({
            "sid": first,
            "call_sid": first_call,
            "number": ANN,
            "name": "Ann",
            "duration": 9,
            "transcription": "Call me back about the boat.",
            "transcription_status": "completed",
            "heard": false,
            "at": at,
            "url": format!("/api/recordings/{first}"),
        })
    );
    let all = app.get("/api/voicemails", &session).await.json();
    assert!(!sids(&all).contains(&recording.as_str()), "{all}");
    let new = app.get("/api/voicemails/new", &session).await.json();
    assert_eq!(new["new"], 2);
    let bad = app.get("/api/voicemails?before=nonsense", &session).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    app.stop().await;
}

#[tokio::test]
async fn a_voicemail_heard_in_one_tab_is_heard_in_every_tab() {
    let app = TestApp::start().await;
    let alice = app.alice().await;
    let bob = app.login("bob", BOB_PASSWORD).await;
    let (_, first) = app.voicemail_left(ANN).await;
    app.voicemail_left(CALLER).await;
    let mut tabs = [app.socket(&alice).await, app.socket(&bob).await];

    let heard = app
        .post_empty(&format!("/api/voicemails/{first}/heard"), &alice)
        .await;
    assert_eq!(heard.status, 204, "{}", heard.body);
    for tab in &mut tabs {
        let item = tab.until(|f| f["type"] == "voicemail").await;
        assert_eq!(item["number"], ANN);
        assert_eq!(item["item"]["sid"], first.as_str());
        assert_eq!(item["item"]["heard"], true);
        let count = tab.until(|f| f["type"] == "voicemails").await;
        assert_eq!(count["new"], 1);
    }
    let new = app.get("/api/voicemails/new", &bob).await.json();
    assert_eq!(new["new"], 1);
    let listed = app.get("/api/voicemails", &bob).await.json();
    let heard: Vec<(&str, bool)> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["sid"].as_str().unwrap(), v["heard"].as_bool().unwrap()))
        .collect();
    assert_eq!(heard[1], (first.as_str(), true));
    assert!(!heard[0].1);

    // Heard twice is still heard; a call recording or an unknown SID is no voicemail.
    let again = app
        .post_empty(&format!("/api/voicemails/{first}/heard"), &alice)
        .await;
    assert_eq!(again.status, 204, "{}", again.body);
    let (call, _) = app.call_arrives("default", CALLER).await;
    let recording = call_recorded(&app, &call).await;
    for (sid, status) in [
        (recording, 404),
        (sid("RE"), 404),
        ("not-a-sid".to_owned(), 400),
    ] {
        let reply = app
            .post_empty(&format!("/api/voicemails/{sid}/heard"), &alice)
            .await;
        assert_eq!(reply.status, status, "{sid}: {}", reply.body);
    }
    assert_eq!(app.get("/api/voicemails/new", &bob).await.json()["new"], 1);
    app.stop().await;
}

#[tokio::test]
async fn a_deleted_voicemail_is_gone_here_and_the_worker_deletes_it_at_twilio() {
    let app = TestApp::builder()
        .calls_default(r#"[ { step = "voicemail", max_length = 60, transcribe = true } ]"#)
        .own_sim()
        .own_public_url()
        .without_workers()
        .start()
        .await;
    vbx::cli::setup::setup(&app.state.config, &app.state.twilio)
        .await
        .unwrap();
    let session = app.alice().await;
    // A caller leaves a voicemail through the simulator: a real recording at "Twilio".
    let call = app
        .sim()
        .incoming_call(InboundCall {
            from: CALLER.into(),
            to: NUMBER.into(),
            record_seconds: Some(6),
            transcription: Some("It is about the invoice.".into()),
            ..Default::default()
        })
        .unwrap();
    app.sim().wait_for_call_end(&call, PATIENCE).await.unwrap();
    let at_twilio = app.sim().recordings();
    assert_eq!(at_twilio.len(), 1);
    let recording = at_twilio[0].sid.to_string();
    let listed = until("the transcribed voicemail", PATIENCE, || async {
        let page = app.get("/api/voicemails", &session).await.json();
        (page["items"][0]["transcription"] == "It is about the invoice.").then_some(page)
    })
    .await;
    assert_eq!(sids(&listed), [recording.as_str()]);
    assert_eq!(listed["items"][0]["number"], CALLER);

    // vbx's own copy, downloaded by the worker.
    let worker = recordings_worker(&app);
    assert_eq!(worker.step().await.unwrap(), 1);
    let file = app.data.path().join(format!("media/rec/{recording}"));
    assert!(file.exists(), "downloaded");

    let mut socket = app.socket(&session).await;
    let deleted = app
        .delete(&format!("/api/voicemails/{recording}"), &session)
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    let frame = socket.until(|f| f["type"] == "deleted").await;
    assert_eq!(
        (&frame["kind"], &frame["sid"], &frame["number"]),
        (&json!("voicemail"), &json!(recording), &json!(CALLER))
    );
    let count = socket.until(|f| f["type"] == "voicemails").await;
    assert_eq!(count["new"], 0);

    // Gone here: the box, the thread, the audio, vbx's copy.
    assert!(!file.exists(), "vbx's copy removed");
    let box_ = app.get("/api/voicemails", &session).await.json();
    assert_eq!(sids(&box_), Vec::<&str>::new());
    let thread = app
        .get(&format!("/api/threads/{}", path_number(CALLER)), &session)
        .await
        .json();
    let kinds: Vec<&str> = thread["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["call"], "{thread}");
    let audio = app
        .get(&format!("/api/recordings/{recording}"), &session)
        .await;
    assert_eq!(audio.status, 404, "{}", audio.body);
    let again = app
        .delete(&format!("/api/voicemails/{recording}"), &session)
        .await;
    assert_eq!(again.status, 404, "{}", again.body);

    // Exactly one deletion at Twilio is queued; Twilio keeps its copy until the worker runs.
    let deletions = work(&app, RECORDING_DELETE).await;
    assert_eq!(deletions.len(), 1, "{deletions:?}");
    assert_eq!(
        deletions[0].payload_as::<Value>().unwrap(),
        json!({ "sid": recording })
    );
    assert_eq!(app.sim().recordings().len(), 1);
    assert_eq!(worker.step().await.unwrap(), 1);
    assert!(app.sim().recordings().is_empty(), "deleted at Twilio");
    let done = work(&app, RECORDING_DELETE).await;
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].status, OutboxStatus::Sent);
    assert_eq!(worker.step().await.unwrap(), 0, "nothing left to do");
    app.stop().await;
}

#[tokio::test]
async fn a_download_under_way_when_its_voicemail_is_deleted_keeps_no_copy() {
    let app = TestApp::builder().without_workers().start().await;
    let session = app.alice().await;
    let (_, recording) = app.voicemail_left(CALLER).await;
    let now = vbx::store::now_ms();
    // A worker claimed the download (and died, or is slow) …
    let claimed = app
        .store
        .claim_outbox(&[RECORDING_DOWNLOAD], now, 1)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    // … when the voicemail is deleted.
    let deleted = app
        .delete(&format!("/api/voicemails/{recording}"), &session)
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    // Its lease over, the download is taken up again: nothing is fetched or kept. (This vbx's
    // Twilio is a closed port: a fetch would fail and be retried instead.)
    let worker = recordings_worker(&app);
    worker.step_at(now + 61_000).await.unwrap();
    let download = work(&app, RECORDING_DOWNLOAD).await.remove(0);
    assert_eq!(download.status, OutboxStatus::Sent, "{download:?}");
    assert_eq!(download.result.as_deref(), Some("deleted"));
    assert!(!app
        .data
        .path()
        .join(format!("media/rec/{recording}"))
        .exists());
    app.stop().await;
}

#[tokio::test]
async fn a_voicemail_being_transcribed_says_so_until_its_transcript_comes() {
    let app = TestApp::builder()
        .calls_default(r#"[ { step = "voicemail", max_length = 60, transcribe = true } ]"#)
        .start()
        .await;
    let session = app.alice().await;
    // Twilio transcribes recordings of 2 to 120 seconds: a 1-second one gets no transcript.
    let mut left = Vec::new();
    for seconds in ["9", "1"] {
        let (call, reply) = app.call_arrives("default", CALLER).await;
        assert!(
            reply.twiml().contains("transcribe=\"true\""),
            "{}",
            reply.body
        );
        let recording = sid("RE");
        let mut params = call_params(&call, CALLER);
        params.push(("RecordingSid", recording.clone()));
        params.push((
            "RecordingUrl",
            format!("https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{recording}"),
        ));
        params.push(("RecordingDuration", seconds.into()));
        let reply = app
            .post_signed("/flow/voice/default/record?step=0", &borrow(&params))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        left.push((call, recording));
    }
    let statuses = || async {
        let page = app.get("/api/voicemails", &session).await.json();
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["transcription_status"].clone(),
                    v["transcription"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        statuses().await,
        [
            (Value::Null, Value::Null),
            (json!("in-progress"), Value::Null)
        ]
    );
    let (call, recording) = &left[0];
    transcribed(&app, call, recording, "See you at noon.").await;
    assert_eq!(
        statuses().await,
        [
            (Value::Null, Value::Null),
            (json!("completed"), json!("See you at noon."))
        ]
    );
    app.stop().await;
}
