//! The outbox under simulated outages: 500s, a send whose answer never came, a restart of vbx
//! in the middle of its queue, and a message Twilio refuses.

use std::time::Duration;

use serde_json::json;
use twilio::client::{Auth, Client, CreateMessage};
use twilio_sim::Message;
use vbx::event::EventHub;
use vbx::store::outbox::{self, OutboxItem, OutboxStatus};
use vbx::store::{message, now_ms, Store, StoreError};
use vbx::worker::sender::SmsSender;

use crate::harness::*;

/// Far enough ahead that every backoff has passed.
fn later() -> i64 {
    now_ms() + 24 * 60 * 60 * 1000
}

fn sms(to: &str, from: &str, body: &str) -> serde_json::Value {
    json!({"to": to, "from": from, "body": body, "media": []})
}

async fn item(store: &Store, id: i64) -> OutboxItem {
    outbox::get(store.pool(), id).await.unwrap().unwrap()
}

fn sent_to(sim: &TestSim, to: &str) -> Vec<Message> {
    sim.sim()
        .messages()
        .into_iter()
        .filter(|m| m.to == to)
        .collect()
}

/// A store of its own and a sender working it, without the app (so nothing else sends).
async fn sender_for(client: Client) -> (tempfile::TempDir, Store, SmsSender) {
    let dir = tempfile::TempDir::new().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
    let sender = SmsSender {
        client,
        store: store.clone(),
        events: EventHub::default(),
        status_callback: None,
        health: vbx::worker::health::TwilioHealth::new(),
    };
    (dir, store, sender)
}

#[tokio::test]
async fn an_sms_is_sent_exactly_once_after_the_api_recovers_from_500s() {
    let sim = TestSim::start().await;
    let (_dir, store, sender) = sender_for(sim.client()).await;
    let id = store
        .enqueue_work("sms", &sms(OTHER, &sim.number(), "hello"), None, now_ms())
        .await
        .unwrap()
        .unwrap();
    sim.sim().fail_next_requests(3);

    assert_eq!(sender.step().await.unwrap(), 1);
    let row = item(&store, id).await;
    assert_eq!((row.status, row.attempts), (OutboxStatus::Pending, 1));
    assert!(
        row.last_error.as_deref().unwrap().contains("20500"),
        "{row:?}"
    );
    // Each retry first looks for the message at Twilio; those requests fail too, until the
    // three failures are used up.
    let mut steps = 1;
    while item(&store, id).await.status != OutboxStatus::Sent {
        assert!(
            sent_to(&sim, OTHER).is_empty(),
            "sent before the API recovered"
        );
        assert!(steps < 6, "still not sent: {:?}", item(&store, id).await);
        sender.step_at(later()).await.unwrap();
        steps += 1;
    }

    let at_twilio = sent_to(&sim, OTHER);
    assert_eq!(at_twilio.len(), 1, "{at_twilio:#?}");
    let row = item(&store, id).await;
    assert_eq!(row.result.as_deref(), Some(at_twilio[0].sid.as_str()));
    let stored = message::get_message(store.pool(), at_twilio[0].sid.as_str())
        .await
        .unwrap()
        .expect("the sent message is in the store");
    assert_eq!(
        (
            stored.direction.as_str(),
            stored.body.as_str(),
            stored.to_number.as_str()
        ),
        ("outbound-api", "hello", OTHER)
    );
}

/// Short, so the tests are quick, yet long enough for an answer on a loaded machine.
const CLIENT_TIMEOUT: Duration = Duration::from_millis(1500);

fn impatient_client(sim: &TestSim, base: &str) -> Client {
    Client::new(
        base.parse().unwrap(),
        Auth::Token {
            account_sid: sim.account(),
            auth_token: sim.config.auth_token.clone(),
        },
    )
    .unwrap()
    .with_timeout(CLIENT_TIMEOUT)
}

#[tokio::test]
async fn a_send_whose_answer_was_lost_is_found_at_twilio_and_not_sent_again() {
    let sim = TestSim::start().await;
    let proxy = answer_losing_proxy(sim.base_url(), CLIENT_TIMEOUT * 4).await;
    let (_dir, store, sender) = sender_for(impatient_client(&sim, &proxy)).await;
    let id = store
        .enqueue_work(
            "sms",
            &sms(OTHER, &sim.number(), "only once"),
            None,
            now_ms(),
        )
        .await
        .unwrap()
        .unwrap();

    sender.step().await.unwrap();

    let row = item(&store, id).await;
    assert_eq!(row.status, OutboxStatus::Pending);
    assert!(
        row.last_error.as_deref().unwrap().contains("timeout"),
        "{row:?}"
    );
    let accepted = sim
        .sim()
        .wait_until(WAIT, |s| s.messages().into_iter().find(|m| m.to == OTHER))
        .await
        .expect("Twilio carried the request out");

    sender.step_at(later()).await.unwrap();

    let row = item(&store, id).await;
    assert_eq!(row.status, OutboxStatus::Sent, "{row:?}");
    assert_eq!(row.result.as_deref(), Some(accepted.sid.as_str()));
    assert_eq!(sent_to(&sim, OTHER).len(), 1, "sent twice");
    let stored = message::get_message(store.pool(), accepted.sid.as_str())
        .await
        .unwrap()
        .expect("the adopted message is in the store");
    assert_eq!(stored.body, "only once");
}

#[tokio::test]
async fn a_send_held_past_the_client_timeout_is_retried_and_sent_once() {
    let sim = TestSim::start().await;
    let (_dir, store, sender) = sender_for(impatient_client(&sim, &sim.base_url())).await;
    let id = store
        .enqueue_work(
            "sms",
            &sms(OTHER, &sim.number(), "after the outage"),
            None,
            now_ms(),
        )
        .await
        .unwrap()
        .unwrap();
    // The simulator holds its answers longer than the client waits, but carries the create
    // out: the retry must find the message Twilio accepted instead of sending it again.
    sim.sim()
        .delay_requests_for(CLIENT_TIMEOUT * 4, Duration::from_millis(500));

    sender.step().await.unwrap();
    let row = item(&store, id).await;
    assert_eq!(row.status, OutboxStatus::Pending);
    assert!(
        row.last_error.as_deref().unwrap().contains("timeout"),
        "{row:?}"
    );
    sim.sim().clear_faults();

    sender.step_at(later()).await.unwrap();

    let row = item(&store, id).await;
    assert_eq!(row.status, OutboxStatus::Sent, "{row:?}");
    let at_twilio = sent_to(&sim, OTHER);
    assert_eq!(at_twilio.len(), 1, "{at_twilio:#?}");
    assert_eq!(row.result.as_deref(), Some(at_twilio[0].sid.as_str()));
}

#[tokio::test]
async fn a_restart_in_the_middle_of_the_queue_sends_everything_once() {
    let sim = TestSim::start().await;
    let number = sim.number();
    let first = TestApp::start(&sim).await;
    sim.sim().fail_requests_for(Duration::from_secs(600));
    let mut ids = Vec::new();
    for (i, to) in ["+14155550131", "+14155550132"].iter().enumerate() {
        let id = first
            .store
            .enqueue_work(
                "sms",
                &sms(to, &number, &format!("queued {i}")),
                None,
                now_ms(),
            )
            .await
            .unwrap()
            .unwrap();
        ids.push((id, *to));
    }
    let store = first.store.clone();
    until(&first.events, "both items to fail once", || {
        let store = store.clone();
        let ids = ids.clone();
        async move {
            for (id, _) in &ids {
                if item(&store, *id).await.attempts == 0 {
                    return None;
                }
            }
            Some(())
        }
    })
    .await;
    let data = first.stop().await;

    // While vbx was down: an item its worker had claimed when it died, whose message Twilio
    // had already accepted.
    let crashed_to = "+14155550133";
    let store = Store::open(data.path()).await.unwrap();
    let created = now_ms();
    let crashed = store
        .enqueue_work("sms", &sms(crashed_to, &number, "in flight"), None, created)
        .await
        .unwrap()
        .unwrap();
    // As a worker that crashed mid-send left it.
    let lapsed = created - outbox::SENDING_LEASE_MS - 1;
    store
        .write(move |conn| {
            conn.execute(
                "UPDATE outbox SET status = 'sending', updated_at = ?2 WHERE id = ?1",
                [crashed, lapsed],
            )
            .map_err(|source| StoreError::Sqlite {
                op: "crash",
                source,
            })
        })
        .await
        .unwrap();
    store.close().await;
    sim.sim().clear_faults();
    let accepted = sim
        .client()
        .create_message(&CreateMessage {
            to: crashed_to.into(),
            from: Some(number.clone()),
            body: Some("in flight".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    ids.push((crashed, crashed_to));

    let second = TestApp::start_in(&sim, data).await;
    let store = second.store.clone();
    let wanted = ids.clone();
    until(&second.events, "every item to be sent", || {
        let store = store.clone();
        let ids = wanted.clone();
        async move {
            for (id, _) in &ids {
                if item(&store, *id).await.status != OutboxStatus::Sent {
                    return None;
                }
            }
            Some(())
        }
    })
    .await;

    for (id, to) in &ids {
        let at_twilio = sent_to(&sim, to);
        assert_eq!(at_twilio.len(), 1, "to {to}: {at_twilio:#?}");
        let row = item(&second.store, *id).await;
        assert_eq!(row.result.as_deref(), Some(at_twilio[0].sid.as_str()));
    }
    assert_eq!(
        item(&second.store, crashed).await.result.as_deref(),
        Some(accepted.sid.as_str()),
        "the crashed item adopted the message Twilio had"
    );
    second.stop().await;
}

#[tokio::test]
async fn an_sms_twilio_refuses_fails_with_twilios_message() {
    let sim = TestSim::start().await;
    let app = TestApp::start(&sim).await;
    let id = app
        .store
        .enqueue_work(
            "sms",
            &sms("555-0100", &sim.number(), "to nowhere"),
            None,
            now_ms(),
        )
        .await
        .unwrap()
        .unwrap();

    let store = app.store.clone();
    let row = until(&app.events, "the item to fail", || {
        let store = store.clone();
        async move {
            let row = item(&store, id).await;
            (row.status == OutboxStatus::Failed).then_some(row)
        }
    })
    .await;

    let error = row.last_error.unwrap();
    assert!(error.contains("21211"), "{error}");
    assert!(
        error.contains("Invalid 'To' Phone Number: 555-0100"),
        "{error}"
    );
    assert_eq!(row.attempts, 1, "a 4xx is not retried");
    assert!(sim.sim().messages().is_empty());
    app.stop().await;
}
