//! Twilio's REST API failing under the real binary: 500s for a while, then answers held past
//! vbx's client timeout (and vbx killed while one of its sends is held), then recovery. Every
//! text reaches Twilio once, the store shows each sent, and the sync brings in what happened
//! at Twilio meanwhile.

use std::time::Duration;

use serde_json::json;
use sqlx::SqlitePool;
use twilio::MessageSid;
use twilio_sim::{InboundCall, InboundText, Message, MessageDirection};
use vbx::store::outbox::{self, OutboxItem, OutboxStatus};
use vbx::store::{call, message};
use vbx::worker::sender::SmsPayload;

use crate::harness::*;

const PASSWORD: &str = "alice-outage-password";
/// Long enough for any step below on a loaded machine: each held request costs vbx its 15 s
/// client timeout, and an item claimed by a killed process waits out the 60 s lease.
const PATIENCE: Duration = Duration::from_secs(300);
const MISSED_CALL: &str = "Sorry we missed your call";

/// An incoming call is answered with a text to the caller (an outbox row, sent through the
/// REST API); the sync runs every 2 s.
fn setup(sim: &TestSim) -> Setup {
    let flows = format!(
        r#"
[devices]
browser = {{ type = "browser" }}

[calls]
default = [ {{ step = "message", text = "{MISSED_CALL}" }}, {{ step = "hangup" }} ]

[messages]
default = [ {{ step = "device", devices = ["browser"] }} ]
"#
    );
    Builder::new(&flows)
        .sim(sim)
        .twilio("sync_interval_seconds = 2")
        .user("alice", PASSWORD)
        .setup()
}

async fn sms_rows(db: &SqlitePool) -> Vec<OutboxItem> {
    let mut rows: Vec<OutboxItem> = outbox::list(db, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == "sms")
        .collect();
    rows.reverse();
    rows
}

async fn reachable(user: &User, want: bool) {
    until(
        &format!("the status to say Twilio reachable = {want}"),
        PATIENCE,
        || async { (user.status().await["twilio"]["reachable"] == json!(want)).then_some(()) },
    )
    .await;
}

fn outbound(sim: &TestSim) -> Vec<Message> {
    sim.sim()
        .messages()
        .into_iter()
        .filter(|m| m.direction != MessageDirection::Inbound)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn texts_sent_through_500s_held_answers_and_a_kill_reach_twilio_once_and_the_sync_catches_up()
{
    // No webhook retries: what vbx misses while it is down only the sync can bring in.
    let sim = TestSim::start_retrying(0, Duration::from_secs(15)).await;
    let number = sim.number();
    let setup = setup(&sim);
    let vbx = setup.start("first.log").await;
    setup.wire(&sim).await;
    let alice = User::login(&setup, "alice", PASSWORD).await;
    let db = setup.open_db().await;
    // Nothing but the sync has called Twilio yet: its answer is what the status shows.
    reachable(&alice, true).await;

    // 1. Twilio answers every request with a 500.
    sim.sim().fail_requests_for(Duration::from_secs(3600));
    let mut expected: Vec<(String, String)> = Vec::new();
    for i in 0..3 {
        let (to, body) = (
            format!("+1415555020{i}"),
            format!("sent during the 500s {i}"),
        );
        alice.send_text(&to, &body).await;
        expected.push((to, body));
    }
    let caller = "+14155550210";
    let call = sim
        .sim()
        .incoming_call(InboundCall {
            from: caller.into(),
            to: number.clone(),
            ..Default::default()
        })
        .unwrap();
    sim.sim().wait_for_call_end(&call, WAIT).await.unwrap();
    expected.push((caller.into(), MISSED_CALL.into()));
    until("every text to have failed with a 500", PATIENCE, || async {
        let rows = sms_rows(&db).await;
        let failed = rows.iter().all(|r| {
            r.attempts >= 1
                && r.last_error
                    .as_deref()
                    .is_some_and(|e| e.contains("HTTP 500"))
        });
        (rows.len() == expected.len() && failed).then_some(())
    })
    .await;
    reachable(&alice, false).await;

    // 2. Twilio takes requests but holds its answers past vbx's client timeout.
    sim.sim().clear_faults();
    sim.sim()
        .delay_requests_for(Duration::from_secs(3600), Duration::from_secs(3600));
    let (held_to, held_body) = ("+14155550220", "sent into the held answers");
    let held = alice.send_text(held_to, held_body).await;
    expected.push((held_to.into(), held_body.into()));
    sim.sim()
        .wait_until(PATIENCE, |s| {
            s.messages().into_iter().find(|m| m.body == held_body)
        })
        .await
        .expect("the held send reached Twilio");
    // Twilio accepted it; vbx is still waiting for the answer when it dies.
    let row = outbox::get(&db, held).await.unwrap().unwrap();
    assert_eq!(row.status, OutboxStatus::Sending, "{row:?}");
    vbx.kill().await;

    // 3. While vbx is down, a text and a call reach the number: their webhooks fail.
    let missed_text = sim
        .sim()
        .incoming_message(InboundText {
            from: OUTSIDE.into(),
            to: number.clone(),
            body: "texted while vbx was down".into(),
            media: vec![],
        })
        .unwrap()
        .to_string();
    let missed_call = sim
        .sim()
        .incoming_call(InboundCall {
            from: "+14155550230".into(),
            to: number.clone(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        final_statuses(&sim, std::slice::from_ref(&missed_text), 0).await,
        [None]
    );
    sim.sim()
        .wait_for_call_end(&missed_call, WAIT)
        .await
        .unwrap();

    // 4. vbx restarts while the answers are still held, and sees it.
    let vbx = setup.start("second.log").await;
    reachable(&alice, false).await;

    // 5. Twilio recovers.
    sim.sim().clear_faults();
    until("every text to be sent", PATIENCE, || async {
        let rows = sms_rows(&db).await;
        let sent = rows.iter().all(|r| r.status == OutboxStatus::Sent);
        (rows.len() == expected.len() && sent).then_some(())
    })
    .await;
    until("the sync to bring in what vbx missed", PATIENCE, || async {
        let text = message::get_message(&db, &missed_text).await.unwrap();
        let call = call::get_call(&db, missed_call.as_str()).await.unwrap();
        text.zip(call)
    })
    .await;
    reachable(&alice, true).await;

    // Each text is at Twilio exactly once, and its outbox row names that message.
    let at_twilio = outbound(&sim);
    for (to, body) in &expected {
        let copies = at_twilio
            .iter()
            .filter(|m| &m.to == to && &m.body == body && m.from == number)
            .count();
        assert_eq!(copies, 1, "{to} {body:?}: {at_twilio:#?}");
    }
    assert_eq!(at_twilio.len(), expected.len(), "{at_twilio:#?}");
    let rows = sms_rows(&db).await;
    for row in &rows {
        let payload: SmsPayload = row.payload_as().unwrap();
        let sid = at_twilio
            .iter()
            .find(|m| m.to == payload.to && m.body == payload.body)
            .map(|m| m.sid.to_string());
        assert_eq!(row.result, sid, "{row:?}");
    }
    // The held send was found at Twilio after the restart, not sent again.
    let log = vbx.log_text();
    assert!(
        log.lines()
            .any(|l| l.contains("already accepted by Twilio") && l.contains(&format!("id={held}"))),
        "{log}"
    );
    // The store shows every text as Twilio has it (callbacks, the adoption and the sync).
    until(
        "the store to show each text's status at Twilio",
        PATIENCE,
        || async {
            for m in outbound(&sim) {
                let stored = message::get_message(&db, m.sid.as_str()).await.unwrap();
                if stored.is_none_or(|s| s.status != m.status.as_str()) {
                    return None;
                }
            }
            Some(())
        },
    )
    .await;
    let missed = message::get_message(&db, &missed_text)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(missed.body, "texted while vbx was down");
    let sid = MessageSid::parse(&missed_text).unwrap();
    assert_eq!(
        missed.status,
        sim.sim().message(&sid).unwrap().status.as_str()
    );
    let status = alice.status().await;
    assert_eq!(status["outbox"], json!({"pending": 0, "failed": 0}));
    db.close().await;

    assert!(vbx.terminate().await.success());
    let stored = setup.stored_messages().await;
    assert!(stored.iter().all(|(_, n)| *n == 1), "{stored:?}");
    assert_eq!(setup.integrity().await, "ok");
}
