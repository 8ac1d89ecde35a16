//! Voicemail through the whole loop: the simulator calls, vbx greets and records, the
//! simulator sends the recording and transcription callbacks, and vbx's workers download the
//! recording into the data directory, text the cell and email the inbox (a real SMTP server)
//! about it with the transcript and a capability link, and delete Twilio's copy when asked.

use std::time::Duration;

use twilio_sim::InboundCall;
use vbx::store::outbox::{self, OutboxStatus, RECORDING_DOWNLOAD};
use vbx::worker::recordings::RecordingWorker;

use crate::harness::*;
use crate::smtp::SmtpServer;

fn flows(smtp_port: u16) -> String {
    format!(
        r#"
[devices]
browser = {{ type = "browser" }}
cell    = {{ type = "sms", number = "{CELL}" }}
inbox   = {{ type = "email", from = "vbx@example.com", to = "owner@example.com", smtp_host = "127.0.0.1", smtp_port = {smtp_port}, security = "none" }}

[calls]
default   = [ {{ step = "say", text = "Hi." }}, {{ step = "voicemail", max_length = 60, transcribe = true, notify = ["cell", "inbox"] }} ]

[messages]
default = [ {{ step = "device", devices = ["browser"] }} ]
"#
    )
}

fn builder(sim: &TestSim, smtp: &SmtpServer) -> Builder {
    let (key, secret) = sim.key();
    Builder::new(&flows(smtp.port))
        .sim(sim)
        .api_key(&key, &secret)
}

/// Starts vbx and points the simulator's number at it (`vbx setup`).
async fn start(sim: &TestSim, builder: Builder) -> TestApp {
    let app = builder.start().await;
    vbx::cli::setup::setup(&app.state.config, &sim.client())
        .await
        .unwrap();
    app
}

/// A call that leaves an 8-second voicemail saying `words`; answers the call's SID.
async fn leave_voicemail(sim: &TestSim, words: &str) -> String {
    let sid = sim
        .sim()
        .incoming_call(InboundCall {
            from: OUTSIDE.into(),
            to: sim.number(),
            record_seconds: Some(8),
            transcription: Some(words.into()),
            ..Default::default()
        })
        .unwrap();
    sim.sim().wait_for_call_end(&sid, WAIT).await.unwrap();
    sid.to_string()
}

#[tokio::test]
async fn a_voicemail_is_greeted_recorded_downloaded_and_announced_with_its_transcript() {
    let smtp = SmtpServer::start(&[]);
    let sim = TestSim::start().await;
    let app = start(
        &sim,
        builder(&sim, &smtp).twilio("delete_recordings_after_download = true"),
    )
    .await;
    let call = leave_voicemail(&sim, "Please call me back about the order.").await;
    let said: Vec<String> = sim
        .sim()
        .call_transcript(&call.parse().unwrap())
        .into_iter()
        .filter_map(|line| line.split_once("]: ").map(|(_, said)| said.to_owned()))
        .collect();
    assert_eq!(
        said[..2],
        ["Hi.", "Please leave a message after the tone."],
        "{said:?}"
    );

    // The text to the cell: who, how long, what they said, and a link that plays it.
    let text = until(&app.state.events, "the text to the cell", || async {
        sim.sim().messages().into_iter().find(|m| m.to == CELL)
    })
    .await;
    let (head, link) = text.body.rsplit_once(' ').unwrap();
    assert_eq!(
        head,
        format!("Voicemail from {OUTSIDE} (0:08): Please call me back about the order.")
    );
    let rest = link
        .strip_prefix(&format!("{}/flow/media/rec/", app.public_url))
        .unwrap_or_else(|| panic!("a recording link: {link}"));
    let (recording, token) = rest.split_once('/').unwrap();
    assert!(recording.starts_with("RE") && token.len() == 32, "{link}");

    // vbx owns the audio: it is in the data directory, and Twilio's copy is gone.
    let file = app.data.path().join(format!("media/rec/{recording}"));
    let saved = until(&app.state.events, "the download", || async {
        std::fs::read(&file).ok()
    })
    .await;
    assert!(saved.starts_with(b"RIFF"), "a WAV file");
    for _ in 0..300 {
        if sim.sim().recordings().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(sim.sim().recordings().is_empty(), "Twilio's copy deleted");

    // The link works for anyone holding it (served from vbx's copy now); a forged one does not.
    let played = app.http.get(link).send().await.unwrap();
    assert_eq!(played.status(), 200);
    assert_eq!(played.bytes().await.unwrap().as_ref(), saved.as_slice());
    let forged = format!(
        "{}/flow/media/rec/{recording}/{}",
        app.public_url,
        "0".repeat(32)
    );
    assert_eq!(app.http.get(forged).send().await.unwrap().status(), 404);

    // The email: subject, transcript in the body, the audio attached.
    let mail = until(&app.state.events, "the email", || async {
        smtp.messages().into_iter().next()
    })
    .await;
    assert_eq!(mail["subject"], format!("Voicemail from {OUTSIDE} (0:08)"));
    let body = mail["text"].as_str().unwrap_or_default();
    assert!(
        body.contains("Please call me back about the order."),
        "{body}"
    );
    assert!(body.contains(link), "{body}");
    let attachments = mail["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 1, "{mail}");
    assert_eq!(attachments[0]["content_type"], "audio/x-wav", "{mail}");
    app.stop().await;
}

#[tokio::test]
async fn a_download_that_fails_is_retried_until_it_succeeds() {
    let smtp = SmtpServer::start(&[]);
    let sim = TestSim::start().await;
    let app = start(&sim, builder(&sim, &smtp).without_workers()).await;
    leave_voicemail(&sim, "Hello.").await;
    let worker = RecordingWorker {
        client: app.state.twilio.clone(),
        store: app.state.store.clone(),
        events: app.state.events.clone(),
        data_dir: app.state.config.server.data_dir.clone(),
        delete_after_download: false,
    };
    let job = || async {
        outbox::list(app.state.store.pool(), None, 100)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.kind == RECORDING_DOWNLOAD)
    };
    let queued = until(&app.state.events, "the download job", job).await;
    let sid = queued.payload_as::<serde_json::Value>().unwrap()["sid"]
        .as_str()
        .unwrap()
        .to_owned();

    sim.sim().fail_next_requests(1);
    assert_eq!(worker.step().await.unwrap(), 1);
    let waiting = job().await.unwrap();
    assert_eq!(waiting.status, OutboxStatus::Pending);
    assert_eq!(waiting.attempts, 1);
    assert!(waiting.last_error.unwrap().contains("500"));
    let file = app.data.path().join(format!("media/rec/{sid}"));
    assert!(!file.exists());
    // Not due again before its backoff …
    assert_eq!(worker.step().await.unwrap(), 0);
    // … and then it succeeds.
    let later = vbx::store::now_ms() + 60_000;
    assert_eq!(worker.step_at(later).await.unwrap(), 1);
    assert_eq!(job().await.unwrap().status, OutboxStatus::Sent);
    assert!(std::fs::read(&file).unwrap().starts_with(b"RIFF"));
    let row = app.state.store.recording(&sid).await.unwrap().unwrap();
    assert_eq!(
        row.local_path.as_deref(),
        Some(&*format!("media/rec/{sid}"))
    );
    assert_eq!(sim.sim().recordings().len(), 1, "Twilio's copy kept");
    app.stop().await;
}
