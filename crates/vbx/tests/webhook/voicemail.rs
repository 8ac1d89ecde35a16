//! A voicemail's notices through signed webhooks: a notice waits for the transcript, goes
//! without it when the transcript never comes, goes at once when it comes, and a worker that
//! dies holding a notice does not make it go twice.

use serde_json::Value;
use vbx::store::now_ms;
use vbx::store::outbox::{self, OutboxItem, SENDING_LEASE_MS, SMS, VOICEMAIL_NOTICE};
use vbx::worker::notices::Notices;

use crate::harness::*;

const VOICEMAIL: &str = r#"
[devices]
browser = { type = "browser" }
cell    = { type = "sms", number = "+18005555555" }

[calls]
default = [ { step = "voicemail", transcribe = true, notify = ["cell"] } ]

[messages]
default = [ { step = "device", devices = ["browser"] } ]
"#;

/// The wait for a transcript, and a little more.
const LATER: i64 = 121_000;

fn notices(app: &TestApp) -> Notices {
    Notices {
        store: app.state.store.clone(),
        config: app.state.config.clone(),
        events: app.state.events.clone(),
        links: app.state.media_links.clone(),
        contacts: app.state.contacts.clone(),
    }
}

async fn rows(app: &TestApp, kind: &str) -> Vec<OutboxItem> {
    outbox::list(app.state.store.pool(), None, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == kind)
        .collect()
}

/// The call and the recording status callback of a 32-second voicemail; answers its SID.
async fn leave_voicemail(app: &TestApp) -> String {
    let call = sid("CA");
    let reply = app
        .post_signed("/flow/voice/default", &borrow(&call_params(&call, CALLER)))
        .await;
    assert!(reply.twiml().contains("<Record "), "{}", reply.body);
    let recording = sid("RE");
    let url =
        format!("https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{recording}");
    let status = app
        .post_signed(
            "/flow/status/recording?alias=default&step=0",
            &[
                ("AccountSid", ACCOUNT),
                ("CallSid", &call),
                ("RecordingSid", &recording),
                ("RecordingUrl", &url),
                ("RecordingStatus", "completed"),
                ("RecordingDuration", "32"),
                ("RecordingSource", "RecordVerb"),
            ],
        )
        .await;
    assert_eq!(status.status, 204, "{}", status.body);
    recording
}

/// Twilio's transcription callback for `recording`, saying `text`.
async fn transcribed(app: &TestApp, recording: &str, text: &str) {
    let reply = app
        .post_signed(
            "/flow/status/transcription",
            &[
                ("AccountSid", ACCOUNT),
                ("CallSid", &sid("CA")),
                ("RecordingSid", recording),
                ("TranscriptionSid", &sid("TR")),
                ("TranscriptionStatus", "completed"),
                ("TranscriptionText", text),
            ],
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
}

fn body(row: &OutboxItem) -> String {
    row.payload_as::<Value>().unwrap()["body"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_notice_waits_for_the_transcript_and_goes_without_one_that_never_comes() {
    let app = TestApp::builder(VOICEMAIL).without_workers().start().await;
    let recording = leave_voicemail(&app).await;
    let worker = notices(&app);
    assert_eq!(
        worker.step().await.unwrap(),
        0,
        "waiting for the transcript"
    );
    assert_eq!(rows(&app, SMS).await.len(), 0);

    // Two minutes on, no transcript: the text goes with the link only.
    assert_eq!(worker.step_at(now_ms() + LATER).await.unwrap(), 1);
    let texts = rows(&app, SMS).await;
    assert_eq!(texts.len(), 1);
    let text = body(&texts[0]);
    assert!(
        text.starts_with(&format!(
            "Voicemail from {CALLER} (0:32): {PUBLIC_URL}/flow/media/rec/{recording}/"
        )),
        "{text}"
    );
    assert_eq!(texts[0].payload_as::<Value>().unwrap()["to"], CELL);
    // A transcript that comes after all changes nothing that was sent.
    transcribed(&app, &recording, "Late words.").await;
    assert_eq!(worker.step_at(now_ms() + LATER).await.unwrap(), 0);
    assert_eq!(rows(&app, SMS).await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_transcript_sends_the_notice_at_once_and_a_dead_worker_does_not_send_it_twice() {
    let app = TestApp::builder(VOICEMAIL).without_workers().start().await;
    let recording = leave_voicemail(&app).await;
    transcribed(&app, &recording, "Call me <back> & soon.").await;

    // A worker claims the notice and dies before settling it.
    let now = now_ms();
    let claimed = app
        .state
        .store
        .claim_outbox(&[VOICEMAIL_NOTICE], now, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1, "due at once, the transcript is in");
    let worker = notices(&app);
    assert_eq!(
        worker.step_at(now).await.unwrap(),
        0,
        "held by the dead worker"
    );

    // Once its lease is over another takes it: one text, with the transcript.
    let after_lease = now + SENDING_LEASE_MS + 1;
    assert_eq!(worker.step_at(after_lease).await.unwrap(), 1);
    assert_eq!(worker.step_at(after_lease + LATER).await.unwrap(), 0);
    let texts = rows(&app, SMS).await;
    assert_eq!(texts.len(), 1, "{texts:#?}");
    let text = body(&texts[0]);
    assert!(
        text.starts_with(&format!(
            "Voicemail from {CALLER} (0:32): Call me <back> & soon. {PUBLIC_URL}/flow/media/rec/{recording}/"
        )),
        "{text}"
    );
    app.stop().await;
}
