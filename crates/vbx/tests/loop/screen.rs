//! Call screening and recorded calls through the whole loop: the simulator runs vbx's
//! `<Number url>` on the cell's leg (a person who presses 1, one who presses nothing, a cell
//! voicemail that answers at once), vbx bridges or goes on to voicemail, and a recorded call's
//! recording arrives as the call's own (not a voicemail) and is downloaded.

use twilio_sim::{InboundCall, Party};

use crate::harness::*;

const SCREENED: &str = r#"
[devices]
browser = { type = "browser" }
cell    = { type = "sms", number = "+14155550199" }

[calls]
default   = [ { step = "device", devices = ["cell"], screen = true, record = true, timeout = 15, next = "voicemail" } ]
voicemail = [ { step = "say", text = "Leave a message." } ]

[messages]
default = [ { step = "device", devices = ["browser"] } ]
"#;

async fn start(sim: &TestSim) -> TestApp {
    let (key, secret) = sim.key();
    let app = Builder::new(SCREENED)
        .sim(sim)
        .api_key(&key, &secret)
        .user("owner", "correct horse battery")
        .start()
        .await;
    vbx::cli::setup::setup(&app.state.config, &sim.client())
        .await
        .unwrap();
    app
}

/// A call from outside until its end; answers its SID, what the caller and what the cell heard.
async fn call(sim: &TestSim) -> (String, Vec<String>, Vec<String>) {
    let sid = sim
        .sim()
        .incoming_call(InboundCall {
            from: OUTSIDE.into(),
            to: sim.number(),
            ..Default::default()
        })
        .unwrap();
    sim.sim().wait_for_call_end(&sid, WAIT).await.unwrap();
    let said = |sid| -> Vec<String> {
        sim.sim()
            .call_transcript(sid)
            .into_iter()
            .filter_map(|line| line.split_once("]: ").map(|(_, said)| said.to_owned()))
            .collect()
    };
    let leg = sim.sim().child_calls(&sid).remove(0).sid;
    (sid.to_string(), said(&sid), said(&leg))
}

/// The newest call's path in the call log.
async fn path(app: &TestApp) -> Vec<String> {
    let session = app.login("owner", "correct horse battery").await;
    let log: serde_json::Value =
        serde_json::from_str(&app.get("/api/calls", &session).await.body).unwrap();
    log["items"][0]["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_cell_that_presses_1_takes_the_call_and_the_call_is_recorded_as_its_own() {
    let sim = TestSim::start().await;
    let app = start(&sim).await;
    sim.sim().set_party(CELL, Party::person(5));
    let (sid, caller_heard, cell_heard) = call(&sim).await;
    let number = sim
        .number()
        .chars()
        .skip(1)
        .map(String::from)
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(
        cell_heard[0],
        format!("Call for {number} from 1 4 1 5 5 5 5 0 1 0 0. Press 1 to accept."),
    );
    assert!(
        !caller_heard.contains(&"Leave a message.".to_owned()),
        "{caller_heard:?}"
    );
    assert_eq!(
        path(&app).await,
        [
            "rang cell".to_owned(),
            format!("accepted by {CELL}"),
            format!("answered by {CELL}")
        ]
    );

    // The bridged call's recording: the call's own, downloaded, and never a voicemail.
    let recording = until(&app.state.events, "the call's recording", || async {
        let rows = vbx::store::recording::recordings_of_call(app.state.store.pool(), &sid)
            .await
            .unwrap();
        rows.into_iter().find(|r| r.local_path.is_some())
    })
    .await;
    assert_eq!(recording.source, vbx::store::recording::CALL);
    assert_eq!(recording.party, None);
    assert!(recording.heard_at.is_some(), "nothing to hear as new");
    assert_eq!(app.state.store.new_voicemails().await.unwrap(), 0);
    let file = app.data.path().join(recording.local_path.unwrap());
    assert!(std::fs::read(file).unwrap().starts_with(b"RIFF"));
    app.stop().await;
}

#[tokio::test]
async fn a_cell_that_presses_nothing_or_its_voicemail_does_not_take_the_call() {
    let sim = TestSim::start().await;
    let app = start(&sim).await;
    for party in [
        Party::Answer {
            talk_seconds: 5,
            keys: String::new(),
        },
        Party::Voicemail { talk_seconds: 30 },
    ] {
        sim.sim().set_party(CELL, party.clone());
        let (_, caller_heard, cell_heard) = call(&sim).await;
        assert_eq!(
            caller_heard.last().map(String::as_str),
            Some("Leave a message."),
            "{party:?}: {caller_heard:?}"
        );
        // The voicemail heard the prompt, and nothing of the caller.
        assert!(
            cell_heard[0].ends_with("Press 1 to accept."),
            "{cell_heard:?}"
        );
        assert_eq!(
            path(&app).await,
            [
                "rang cell".to_owned(),
                format!("screened out by {CELL}"),
                "not answered (no-answer)".to_owned(),
            ],
            "{party:?}"
        );
    }
    app.stop().await;
}
