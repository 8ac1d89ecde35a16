//! The sync worker against records made directly in the simulator (REST, and texts and calls
//! that arrived while the number pointed elsewhere).

use serde_json::json;
use twilio::client::{CreateCall, CreateMessage};
use twilio_sim::{InboundCall, InboundMedia, InboundText, MessageStatus, Settings};
use vbx::event::{Event, EventHub};
use vbx::store::{call, message, sync_state, Store};
use vbx::worker::sync::{SyncReport, Syncer, CALLS, MESSAGES};

use crate::harness::*;

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::TempDir::new().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
    (dir, store)
}

#[tokio::test]
async fn sync_picks_up_calls_and_messages_made_elsewhere_exactly_once() {
    let sim = TestSim::start().await;
    let client = sim.client();
    let number = sim.number();
    // Made through the REST API by someone else.
    let sent = client
        .create_message(&CreateMessage {
            to: OTHER.into(),
            from: Some(number.clone()),
            body: Some("sent from the console".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let placed = client
        .create_call(&CreateCall {
            to: OTHER.into(),
            from: number.clone(),
            twiml: Some("<Response><Say>Hello</Say></Response>".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    // Arrived while the number's webhooks pointed nowhere (vbx never heard of them).
    let texted = sim
        .sim()
        .incoming_message(InboundText {
            from: OUTSIDE.into(),
            to: number.clone(),
            body: "a picture".into(),
            media: vec![InboundMedia {
                content_type: "image/png".into(),
                content: b"\x89PNG not really".to_vec(),
            }],
        })
        .unwrap();
    let called = sim
        .sim()
        .incoming_call(InboundCall {
            from: OUTSIDE.into(),
            to: number.clone(),
            ..Default::default()
        })
        .unwrap();
    sim.sim()
        .wait_for_message_status(&sent.sid, MessageStatus::Delivered, WAIT)
        .await
        .unwrap();
    sim.sim()
        .wait_for_call_end(&placed.sid, WAIT)
        .await
        .unwrap();
    sim.sim().wait_for_call_end(&called, WAIT).await.unwrap();

    let (_dir, store) = store().await;
    let events = EventHub::default();
    let mut seen = events.subscribe();
    let syncer = Syncer::new(client, store.clone(), events.clone());
    let before = vbx::store::now_ms();

    let first = syncer.step().await.unwrap();

    let calls_at_twilio = sim.sim().calls().len();
    let messages_at_twilio = sim.sim().messages().len();
    assert_eq!(calls_at_twilio, 2, "{:#?}", sim.sim().calls());
    assert_eq!(messages_at_twilio, 2, "{:#?}", sim.sim().messages());
    assert_eq!(
        first,
        SyncReport {
            calls_seen: 2,
            calls_new: 2,
            calls_changed: 0,
            messages_seen: 2,
            messages_new: 2,
            messages_changed: 0,
        }
    );
    let (frames, published): (Vec<Event>, Vec<Event>) = drain(&mut seen)
        .into_iter()
        .partition(|event| matches!(event, Event::Feed { .. }));
    // Two calls and two messages, and the picture message's media for the media worker.
    assert_eq!(published.len(), 5, "{published:?}");
    // Each appears in the open tabs at once.
    let mut kinds: Vec<String> = frames
        .iter()
        .map(|event| match event {
            Event::Feed { frame, .. } => serde_json::from_str::<serde_json::Value>(frame).unwrap()
                ["type"]
                .as_str()
                .unwrap()
                .to_owned(),
            _ => unreachable!(),
        })
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["call", "call", "message", "message"], "{frames:?}");
    assert!(published.contains(&Event::Message {
        sid: texted.to_string()
    }));
    assert!(published.contains(&Event::MediaArrived {
        sid: texted.to_string()
    }));
    assert!(published.contains(&Event::Call {
        sid: called.to_string()
    }));

    let pool = store.pool();
    let out = message::get_message(pool, sent.sid.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            out.direction.as_str(),
            out.status.as_str(),
            out.body.as_str()
        ),
        ("outbound-api", "delivered", "sent from the console")
    );
    assert_eq!(
        (out.from_number.as_str(), out.to_number.as_str()),
        (number.as_str(), OTHER)
    );
    let incoming = message::get_message(pool, texted.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            incoming.direction.as_str(),
            incoming.status.as_str(),
            incoming.num_media
        ),
        ("inbound", "received", 1)
    );
    let media = message::media_of(pool, texted.as_str()).await.unwrap();
    let sim_media = sim.sim().media_of(&texted);
    assert_eq!(media.len(), 1);
    assert_eq!(media[0].content_type, "image/png");
    assert!(
        media[0]
            .url
            .ends_with(&format!("/Messages/{texted}/Media/{}", sim_media[0].sid)),
        "{}",
        media[0].url
    );
    assert_eq!(
        media[0].local_path, None,
        "metadata only; the media worker downloads"
    );
    let placed_row = call::get_call(pool, placed.sid.as_str())
        .await
        .unwrap()
        .unwrap();
    let sim_call = sim.sim().call(&placed.sid).unwrap();
    assert_eq!(placed_row.status, sim_call.status.as_str());
    assert_eq!(placed_row.direction, "outbound-api");
    assert!(placed_row.ended_at.is_some());
    let called_row = call::get_call(pool, called.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            called_row.direction.as_str(),
            called_row.from_number.as_str()
        ),
        ("inbound", OUTSIDE)
    );
    assert_eq!(called_row.alias, None);

    let last = sync_state::last_sync(pool, &[CALLS, MESSAGES])
        .await
        .unwrap()
        .expect("a successful sync is recorded");
    assert!(last >= before);

    let second = syncer.step().await.unwrap();

    assert!(second.is_quiet(), "{second:?}");
    assert_eq!((second.calls_seen, second.messages_seen), (2, 2));
    assert_eq!(drain(&mut seen), Vec::new());
    let calls_stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM calls")
        .fetch_one(pool)
        .await
        .unwrap();
    let messages_stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!((calls_stored, messages_stored), (2, 2));
}

#[tokio::test]
async fn a_status_that_moved_on_at_twilio_is_updated_by_the_next_sync() {
    let sim = TestSim::start().await;
    sim.sim().set_settings(Settings {
        hold: true,
        ..Settings::fast()
    });
    let client = sim.client();
    let sent = client
        .create_message(&CreateMessage {
            to: OTHER.into(),
            from: Some(sim.number()),
            body: Some("held".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let (_dir, store) = store().await;
    let events = EventHub::default();
    let syncer = Syncer::new(client, store.clone(), events.clone());

    let first = syncer.step().await.unwrap();
    assert_eq!(first.messages_new, 1);
    let row = message::get_message(store.pool(), sent.sid.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "queued");

    sim.sim().set_settings(Settings::fast());
    sim.sim()
        .wait_for_message_status(&sent.sid, MessageStatus::Delivered, WAIT)
        .await
        .unwrap();
    let mut seen = events.subscribe();
    let second = syncer.step().await.unwrap();

    assert_eq!((second.messages_new, second.messages_changed), (0, 1));
    let published = drain(&mut seen);
    assert_eq!(published.len(), 2, "{published:?}");
    // The tabs see the new status at once, then the workers hear of the message.
    let Event::Feed { frame, .. } = &published[0] else {
        panic!("{published:?}")
    };
    let frame: serde_json::Value = serde_json::from_str(frame).unwrap();
    assert_eq!(
        (
            &frame["type"],
            &frame["item"]["sid"],
            &frame["item"]["status"]
        ),
        (
            &json!("message"),
            &json!(sent.sid.as_str()),
            &json!("delivered")
        )
    );
    assert_eq!(
        published[1],
        Event::Message {
            sid: sent.sid.to_string()
        }
    );
    let row = message::get_message(store.pool(), sent.sid.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "delivered");
}

#[tokio::test]
async fn a_failed_sync_keeps_the_last_success_and_says_why() {
    let sim = TestSim::start().await;
    let (_dir, store) = store().await;
    let syncer = Syncer::new(sim.client(), store.clone(), EventHub::default());
    syncer.step().await.unwrap();
    let good = sync_state::last_sync(store.pool(), &[CALLS, MESSAGES])
        .await
        .unwrap()
        .unwrap();

    sim.sim().fail_next_requests(1);
    let error = syncer.step().await.unwrap_err();

    assert!(error.to_string().contains("syncing calls"), "{error}");
    let state = sync_state::get(store.pool(), CALLS).await.unwrap().unwrap();
    assert_eq!(state.synced_at, Some(good));
    assert!(
        state.last_error.as_deref().unwrap_or("").contains("500"),
        "{state:?}"
    );
}

#[tokio::test]
async fn each_sync_pass_tells_the_status_whether_twilio_answers() {
    let sim = TestSim::start().await;
    let (_dir, store) = store().await;
    let health = vbx::worker::health::TwilioHealth::new();
    let mut syncer = Syncer::new(sim.client(), store.clone(), EventHub::default());
    syncer.health = health.clone();
    assert_eq!(health.snapshot().reachable, None);

    syncer.step().await.unwrap();
    let answered = health.snapshot();
    assert_eq!(answered.reachable, Some(true));
    assert!(answered.last_ok_at.is_some());

    sim.sim()
        .fail_requests_for(std::time::Duration::from_secs(600));
    syncer.step().await.unwrap_err();
    let down = health.snapshot();
    assert_eq!(down.reachable, Some(false));
    assert!(
        down.last_error.as_deref().unwrap_or("").contains("500"),
        "{down:?}"
    );
    assert_eq!(down.last_ok_at, answered.last_ok_at);

    sim.sim().clear_faults();
    syncer.step().await.unwrap();
    assert_eq!(health.snapshot().reachable, Some(true));
    assert_eq!(health.snapshot().last_error, None);
}
