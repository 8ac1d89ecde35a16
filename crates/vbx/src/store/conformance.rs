//! The store port's contract: each use case Twilio's webhooks and the workers call, what it
//! answers, the feed rows it makes, what the reads show after it, and its idempotence under
//! Twilio's retries (a repeated webhook stores nothing twice and publishes nothing new). Only
//! `Store` methods are used, no SQL, so every adapter runs the same checks: `conformance!`
//! instantiates them for one (today SQLite; a PostgreSQL adapter adds its own line).

use serde_json::{json, Value};

use super::call::{CallStatusUpdate, NewCall};
use super::history::{CallLogQuery, ConversationQuery, Item};
use super::message::{NewMedia, NewMessage};
use super::outbox::{download_key, OutboxStatus, RECORDING_DELETE, RECORDING_DOWNLOAD, SMS};
use super::recording::RecordingUpdate;
use super::test_support::feed;
use super::webhooks::Work;
use super::{Changes, Store};

const ME: &str = "+18001234567";
const ANN: &str = "+15550000001";
const BOB: &str = "+15550000002";
const T0: i64 = 1_700_000_000_000;

fn incoming_call(sid: &str, from: &str, at: i64) -> NewCall {
    NewCall {
        sid: sid.into(),
        account_sid: "AC0".into(),
        from: from.into(),
        to: ME.into(),
        direction: "inbound".into(),
        status: "ringing".into(),
        alias: Some("default".into()),
        parent_sid: None,
        started_at_ms: at,
    }
}

fn incoming_text(sid: &str, from: &str, body: &str, at: i64) -> NewMessage {
    NewMessage {
        sid: sid.into(),
        account_sid: "AC0".into(),
        from: from.into(),
        to: ME.into(),
        body: body.into(),
        direction: "inbound".into(),
        status: "received".into(),
        created_at_ms: at,
        media: Vec::new(),
    }
}

/// A reply the flow sends, keyed as the webhook keys its work.
fn reply(key: &str, to: &str) -> Work {
    Work::Enqueue {
        kind: SMS,
        payload: json!({ "to": to, "from": ME, "body": "got it", "media": [] }),
        key: key.into(),
    }
}

fn kinds(changes: &Changes) -> Vec<String> {
    feed(changes).into_iter().map(|(kind, _, _)| kind).collect()
}

fn item(changes: &Changes, index: usize) -> Value {
    feed(changes)[index].2["item"].clone()
}

async fn thread_items(store: &Store, number: &str) -> Vec<Item> {
    store.thread(number, None, 50).await.unwrap().page.items
}

async fn outbox_rows(store: &Store) -> usize {
    store
        .claim_outbox(&[SMS], i64::MAX / 2, 100)
        .await
        .unwrap()
        .len()
}

pub async fn an_incoming_call_is_stored_once_with_its_work(store: &Store) {
    let call = incoming_call("CA1", ANN, T0);
    let work = vec![reply("call:CA1:default:0", ANN)];
    let first = store
        .record_incoming_call(call.clone(), false, work.clone())
        .await
        .unwrap();
    assert_eq!(
        kinds(&first),
        ["call", "message"],
        "the call, the queued reply"
    );
    assert_eq!(first.queued.len(), 1);
    let call_item = item(&first, 0);
    assert_eq!(call_item["sid"], "CA1");
    assert_eq!(call_item["outcome"], "ringing");
    assert_eq!(call_item["direction"], "inbound");
    assert_eq!(feed(&first)[0].1.as_deref(), Some(ANN));

    // Twilio retries the webhook: nothing new, nothing to publish.
    let again = store.record_incoming_call(call, false, work).await.unwrap();
    assert!(
        kinds(&again).is_empty() && again.queued.is_empty(),
        "{again:?}"
    );
    let calls = thread_items(store, ANN)
        .await
        .into_iter()
        .filter(|item| matches!(item, Item::Call(_)))
        .count();
    assert_eq!(calls, 1);
    assert_eq!(outbox_rows(store).await, 1);
}

pub async fn a_blocked_call_is_stored_rejected_without_a_feed_row(store: &Store) {
    let out = store
        .record_incoming_call(incoming_call("CA2", BOB, T0), true, Vec::new())
        .await
        .unwrap();
    assert!(kinds(&out).is_empty());
    let log = store
        .call_log(&CallLogQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.items.len(), 1);
    assert_eq!(log.items[0].outcome, "rejected");
}

pub async fn an_incoming_text_is_stored_once_and_counts_as_unread(store: &Store) {
    let mut text = incoming_text("SM1", ANN, "hello <there> & 📞", T0);
    text.media.push(NewMedia {
        url: "https://api.twilio.com/media/0".into(),
        content_type: "image/jpeg".into(),
    });
    let first = store
        .record_incoming_text(text.clone(), false, Vec::new(), Vec::new())
        .await
        .unwrap();
    assert_eq!(kinds(&first), ["message"]);
    let (_, number, payload) = &feed(&first)[0];
    assert_eq!(number.as_deref(), Some(ANN));
    assert_eq!(payload["item"]["body"], "hello <there> & 📞");
    assert_eq!(payload["item"]["media"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        (&payload["unread"], &payload["total"]),
        (&json!(1), &json!(1))
    );

    let again = store
        .record_incoming_text(text, false, Vec::new(), Vec::new())
        .await
        .unwrap();
    assert!(kinds(&again).is_empty(), "{again:?}");
    assert_eq!(thread_items(store, ANN).await.len(), 1);
    let page = store
        .conversations(&ConversationQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].unread, 1);
}

pub async fn a_blocked_text_is_stored_read_without_a_feed_row(store: &Store) {
    let out = store
        .record_incoming_text(
            incoming_text("SM2", BOB, "spam", T0),
            true,
            Vec::new(),
            Vec::new(),
        )
        .await
        .unwrap();
    assert!(kinds(&out).is_empty());
    let items = thread_items(store, BOB).await;
    assert!(
        matches!(&items[..], [Item::Message(m)] if m.blocked),
        "{items:?}"
    );
}

pub async fn a_status_before_its_text_is_kept_and_the_text_fills_it_in(store: &Store) {
    let (changed, _) = store
        .apply_message_status("SM3", "delivered", None, None, T0)
        .await
        .unwrap();
    assert!(changed);
    // A stub is no message of any thread yet.
    assert!(thread_items(store, ANN).await.is_empty());
    let mut text = incoming_text("SM3", ANN, "late", T0 - 10);
    text.status = "received".into();
    let out = store
        .record_incoming_text(text, false, Vec::new(), Vec::new())
        .await
        .unwrap();
    assert_eq!(kinds(&out), ["message"]);
    assert_eq!(thread_items(store, ANN).await.len(), 1);
}

pub async fn message_statuses_only_move_forward(store: &Store) {
    store
        .record_incoming_text(
            incoming_text("SM4", ANN, "x", T0),
            false,
            Vec::new(),
            Vec::new(),
        )
        .await
        .unwrap();
    let (changed, out) = store
        .apply_message_status("SM4", "read", None, None, T0 + 1)
        .await
        .unwrap();
    assert!(changed);
    assert_eq!(kinds(&out), ["message"]);
    for late in ["received", "read"] {
        let (changed, out) = store
            .apply_message_status("SM4", late, None, None, T0 + 2)
            .await
            .unwrap();
        assert!(!changed && kinds(&out).is_empty(), "{late}");
    }
}

pub async fn call_statuses_are_applied_once_and_never_go_back(store: &Store) {
    store
        .record_incoming_call(incoming_call("CA3", ANN, T0), false, Vec::new())
        .await
        .unwrap();
    let update = |status: &str, sequence: u32| CallStatusUpdate {
        sid: "CA3".into(),
        account_sid: "AC0".into(),
        status: status.into(),
        sequence: Some(sequence),
        duration_s: Some(9),
        timestamp_ms: T0 + i64::from(sequence),
        from: ANN.into(),
        to: ME.into(),
        direction: "inbound".into(),
        parent_sid: None,
    };
    let (changed, out) = store
        .apply_call_status(&update("completed", 2))
        .await
        .unwrap();
    assert!(changed);
    assert_eq!(kinds(&out), ["call"]);
    assert_eq!(item(&out, 0)["outcome"], "missed");
    for stale in [update("completed", 2), update("in-progress", 1)] {
        let (changed, out) = store.apply_call_status(&stale).await.unwrap();
        assert!(!changed && kinds(&out).is_empty(), "{stale:?}");
    }
}

pub async fn a_dials_end_says_who_answered_and_its_work_is_queued_once(store: &Store) {
    store
        .record_incoming_call(incoming_call("CA4", ANN, T0), false, Vec::new())
        .await
        .unwrap();
    let work = vec![reply("dial:CA4:0", ANN)];
    let out = store
        .record_dial_end(
            "CA4",
            "completed",
            Some("client:alice".into()),
            Some(42),
            work.clone(),
            T0 + 50,
        )
        .await
        .unwrap();
    assert_eq!(kinds(&out), ["call", "message"]);
    let call = item(&out, 0);
    assert_eq!(
        (&call["outcome"], &call["answered_to"], &call["talk"]),
        (&json!("answered"), &json!("client:alice"), &json!(42))
    );
    let again = store
        .record_dial_end(
            "CA4",
            "completed",
            Some("client:alice".into()),
            Some(42),
            work,
            T0 + 51,
        )
        .await
        .unwrap();
    assert!(again.queued.is_empty(), "{again:?}");
    assert!(!kinds(&again).contains(&"message".to_owned()), "{again:?}");
    assert_eq!(outbox_rows(store).await, 1);
}

pub async fn a_recorded_voicemail_shows_in_its_thread_once(store: &Store) {
    store
        .record_incoming_call(incoming_call("CA5", ANN, T0), false, Vec::new())
        .await
        .unwrap();
    let recording = RecordingUpdate {
        sid: "RE5".into(),
        call_sid: "CA5".into(),
        url: "https://api.twilio.com/Recordings/RE5".into(),
        duration_s: Some(12),
        status: "completed".into(),
        source: crate::store::recording::VOICEMAIL,
        transcribing: false,
        now_ms: T0 + 30,
    };
    let out = store
        .record_record_end(Some(recording.clone()), Vec::new(), T0 + 30)
        .await
        .unwrap();
    assert_eq!(kinds(&out), ["voicemail", "call"]);
    // Once the call is over it reads as a voicemail, not a missed call.
    let (_, ended) = store
        .apply_call_status(&CallStatusUpdate {
            sid: "CA5".into(),
            account_sid: "AC0".into(),
            status: "completed".into(),
            sequence: Some(3),
            duration_s: Some(20),
            timestamp_ms: T0 + 35,
            from: ANN.into(),
            to: ME.into(),
            direction: "inbound".into(),
            parent_sid: None,
        })
        .await
        .unwrap();
    assert_eq!(item(&ended, 0)["outcome"], "voicemail");
    // The recording's own status callback, and a retried action, add no second voicemail.
    store
        .record_recording(&recording, Vec::new())
        .await
        .unwrap();
    store
        .record_record_end(Some(recording), Vec::new(), T0 + 31)
        .await
        .unwrap();
    let voicemails = thread_items(store, ANN)
        .await
        .into_iter()
        .filter(|item| matches!(item, Item::Voicemail(_)))
        .count();
    assert_eq!(voicemails, 1);
    let (known, out) = store
        .record_transcription("RE5", Some("call me back"), "completed", T0 + 40)
        .await
        .unwrap();
    assert!(known);
    assert_eq!(item(&out, 0)["transcription"], "call me back");
    let (known, _) = store
        .record_transcription("RE404", Some("?"), "completed", T0 + 41)
        .await
        .unwrap();
    assert!(!known);
}

pub async fn relay_targets_follow_the_latest_sender(store: &Store) {
    assert_eq!(store.relay_target("cell").await.unwrap(), None);
    for (sid, from) in [("SM6", ANN), ("SM7", BOB)] {
        let work = vec![Work::Relay {
            device: "cell".into(),
            number: from.into(),
        }];
        store
            .record_incoming_text(incoming_text(sid, from, "x", T0), false, Vec::new(), work)
            .await
            .unwrap();
    }
    assert_eq!(
        store.relay_target("cell").await.unwrap().as_deref(),
        Some(BOB)
    );
}

pub async fn outbox_work_is_claimed_once_and_settled(store: &Store) {
    let payload = json!({ "to": ANN, "from": ME, "body": "hi", "media": [] });
    let id = store
        .enqueue_work(SMS, &payload, Some("k1"), T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .enqueue_work(SMS, &payload, Some("k1"), T0)
            .await
            .unwrap(),
        None
    );
    let claimed = store.claim_outbox(&[SMS], T0, 10).await.unwrap();
    assert_eq!(claimed.iter().map(|i| i.id).collect::<Vec<_>>(), [id]);
    assert_eq!(claimed[0].status, OutboxStatus::Sending);
    assert!(store.claim_outbox(&[SMS], T0, 10).await.unwrap().is_empty());
    assert!(store.outbox_retry(id, "503", T0 + 5, T0 + 1).await.unwrap());
    assert!(store
        .claim_outbox(&[SMS], T0 + 4, 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store.claim_outbox(&[SMS], T0 + 5, 10).await.unwrap().len(),
        1
    );
    let failed = store
        .outbox_failed(id, "21211 bad To", T0 + 6)
        .await
        .unwrap();
    assert_eq!(kinds(&failed), ["message"], "the thread shows the failure");
    assert_eq!(item(&failed, 0)["status"], "failed");
}

pub async fn a_sent_text_becomes_its_message(store: &Store) {
    let payload = json!({ "to": ANN, "from": ME, "body": "on my way", "media": [] });
    let (id, queued) = store.queue_text(&payload, T0).await.unwrap();
    assert_eq!(kinds(&queued), ["message"]);
    store.claim_outbox(&[SMS], T0, 1).await.unwrap();
    let sent = NewMessage {
        sid: "SM8".into(),
        from: ME.into(),
        to: ANN.into(),
        direction: "outbound-api".into(),
        status: "queued".into(),
        ..incoming_text("SM8", ME, "on my way", T0 + 1)
    };
    let out = store.finish_text(id, &sent, &[], T0 + 2).await.unwrap();
    assert!(!kinds(&out).is_empty());
    let items = thread_items(store, ANN).await;
    assert!(
        matches!(&items[..], [Item::Message(m)] if m.sid.as_deref() == Some("SM8")),
        "{items:?}"
    );
}

pub async fn reading_a_thread_clears_its_unread_count_once(store: &Store) {
    store
        .record_incoming_text(
            incoming_text("SM9", ANN, "x", T0),
            false,
            Vec::new(),
            Vec::new(),
        )
        .await
        .unwrap();
    let read = store.mark_thread_read(ANN, &[], T0 + 1).await.unwrap();
    assert_eq!(kinds(&read), ["unread"]);
    assert_eq!(feed(&read)[0].2["unread"], 0);
    let again = store.mark_thread_read(ANN, &[], T0 + 2).await.unwrap();
    assert!(kinds(&again).is_empty(), "{again:?}");
}

pub async fn contacts_are_created_renamed_and_deleted(store: &Store) {
    let created = store.create_contact(ANN, "Ann", T0).await.unwrap();
    assert!(created.is_some());
    assert!(store
        .create_contact(ANN, "Ann", T0)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .rename_contact(ANN, "Ann B.", T0)
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        store.thread(ANN, None, 1).await.unwrap().name.as_deref(),
        Some("Ann B.")
    );
    assert!(store.delete_contact(ANN, T0).await.unwrap().is_some());
    assert!(store.delete_contact(ANN, T0).await.unwrap().is_none());
    assert_eq!(store.thread(ANN, None, 1).await.unwrap().name, None);
}

/// A call from `from` at `at` that left voicemail `sid` (12 s) at `at + 30`, with its
/// download queued as the webhook queues it, and ended.
async fn voicemail_from(store: &Store, sid: &str, from: &str, at: i64) {
    let call = format!("CA{sid}");
    store
        .record_incoming_call(incoming_call(&call, from, at), false, Vec::new())
        .await
        .unwrap();
    let download = Work::Enqueue {
        kind: RECORDING_DOWNLOAD,
        payload: json!({ "sid": sid, "url": format!("https://api.twilio.com/{sid}") }),
        key: download_key(sid),
    };
    store
        .record_record_end(
            Some(RecordingUpdate {
                sid: sid.into(),
                call_sid: call,
                url: format!("https://api.twilio.com/Recordings/{sid}"),
                duration_s: Some(12),
                status: "completed".into(),
                source: crate::store::recording::VOICEMAIL,
                transcribing: false,
                now_ms: at + 30,
            }),
            vec![download],
            at + 30,
        )
        .await
        .unwrap();
    store
        .apply_call_status(&CallStatusUpdate {
            sid: format!("CA{sid}"),
            account_sid: "AC0".into(),
            status: "completed".into(),
            sequence: Some(3),
            duration_s: Some(45),
            timestamp_ms: at + 45,
            from: from.into(),
            to: ME.into(),
            direction: "inbound".into(),
            parent_sid: None,
        })
        .await
        .unwrap();
}

/// Call `call`'s own recording `sid` (a `<Dial record>`), finished at `at`.
async fn call_recorded(store: &Store, call: &str, sid: &str, at: i64) -> Changes {
    store
        .record_recording(
            &RecordingUpdate {
                sid: sid.into(),
                call_sid: call.into(),
                url: format!("https://api.twilio.com/Recordings/{sid}"),
                duration_s: Some(95),
                status: "completed".into(),
                source: crate::store::recording::CALL,
                transcribing: false,
                now_ms: at,
            },
            Vec::new(),
        )
        .await
        .unwrap()
}

pub async fn a_call_recording_plays_from_its_calls_row_and_is_no_voicemail(store: &Store) {
    store
        .record_incoming_call(incoming_call("CA1", ANN, T0), false, Vec::new())
        .await
        .unwrap();
    let recorded = call_recorded(store, "CA1", "RE1", T0 + 300).await;
    assert_eq!(kinds(&recorded), ["call"], "the call's row changes");
    assert_eq!(
        item(&recorded, 0)["call_recording"],
        json!({ "sid": "RE1", "url": "/api/recordings/RE1", "duration": 95 })
    );
    let thread = thread_items(store, ANN).await;
    assert_eq!(thread.len(), 1, "no voicemail item: {thread:?}");
    let Item::Call(call) = &thread[0] else {
        panic!("a call: {thread:?}");
    };
    assert_eq!(
        call.call_recording.as_ref().map(|r| r.sid.as_str()),
        Some("RE1")
    );
    let log = store
        .call_log(&CallLogQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.items[0].call_recording, call.call_recording);
    assert_eq!(log.items[0].recording, None, "no voicemail");
    assert_ne!(log.items[0].outcome, "voicemail");
    assert_eq!(store.new_voicemails().await.unwrap(), 0);
}

pub async fn the_voicemail_box_lists_voicemails_newest_first_and_no_call_recordings(store: &Store) {
    store.create_contact(ANN, "Ann", T0).await.unwrap();
    voicemail_from(store, "RE1", ANN, T0).await;
    voicemail_from(store, "RE2", BOB, T0 + 100).await;
    store
        .record_incoming_call(incoming_call("CA3", ANN, T0 + 200), false, Vec::new())
        .await
        .unwrap();
    call_recorded(store, "CA3", "RE3", T0 + 300).await;
    assert_eq!(store.new_voicemails().await.unwrap(), 2);

    let first = store.voicemails(None, 1).await.unwrap();
    let sids = |page: &super::history::Page<super::voicemail_box::Voicemail>| {
        page.items
            .iter()
            .map(|v| (v.item.sid.clone(), v.number.clone(), v.name.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(sids(&first), [("RE2".into(), Some(BOB.into()), None)]);
    let rest = store.voicemails(first.next.as_ref(), 10).await.unwrap();
    assert_eq!(
        sids(&rest),
        [("RE1".into(), Some(ANN.into()), Some("Ann".into()))]
    );
    assert_eq!(rest.next, None);
    let ann = &rest.items[0].item;
    assert_eq!(
        (ann.heard, ann.duration, ann.at, ann.url.as_str()),
        (false, Some(12), T0 + 30, "/api/recordings/RE1")
    );
    // The thread shows the call with its recording, and the voicemail.
    let thread = thread_items(store, ANN).await;
    let played: Vec<String> = thread
        .iter()
        .filter_map(|i| match i {
            Item::Call(c) => c.call_recording.as_ref().map(|r| r.sid.clone()),
            Item::Voicemail(v) => Some(v.sid.clone()),
            Item::Message(_) => None,
        })
        .collect();
    assert_eq!(played, ["RE3", "RE1"]);
}

pub async fn hearing_a_voicemail_changes_its_item_and_the_count_once(store: &Store) {
    voicemail_from(store, "RE1", ANN, T0).await;
    voicemail_from(store, "RE2", ANN, T0 + 100).await;
    store
        .record_incoming_call(incoming_call("CA3", BOB, T0 + 200), false, Vec::new())
        .await
        .unwrap();
    call_recorded(store, "CA3", "RE3", T0 + 300).await;

    let heard = store
        .mark_voicemail_heard("RE1", T0 + 400)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kinds(&heard), ["voicemail", "voicemails"]);
    assert_eq!(item(&heard, 0)["sid"], "RE1");
    assert_eq!(item(&heard, 0)["heard"], true);
    assert_eq!(feed(&heard)[0].1.as_deref(), Some(ANN));
    assert_eq!(feed(&heard)[1].2["new"], 1);
    assert_eq!(store.new_voicemails().await.unwrap(), 1);
    let listed = store.voicemails(None, 10).await.unwrap();
    let heard_flags: Vec<bool> = listed.items.iter().map(|v| v.item.heard).collect();
    assert_eq!(heard_flags, [false, true]);

    // Again: nothing to tell. A call recording and an unknown SID are no voicemails.
    let again = store.mark_voicemail_heard("RE1", T0 + 401).await.unwrap();
    assert!(kinds(&again.unwrap()).is_empty());
    assert!(store
        .mark_voicemail_heard("RE3", T0 + 402)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .mark_voicemail_heard("RE404", T0 + 403)
        .await
        .unwrap()
        .is_none());
    assert_eq!(store.new_voicemails().await.unwrap(), 1);
}

pub async fn deleting_a_voicemail_removes_it_everywhere_and_queues_one_deletion_at_twilio(
    store: &Store,
) {
    voicemail_from(store, "RE1", ANN, T0).await;
    store
        .record_transcription("RE1", Some("about the boat"), "completed", T0 + 40)
        .await
        .unwrap();
    store
        .record_incoming_text(
            incoming_text("SM1", BOB, "hi", T0 + 10),
            false,
            Vec::new(),
            Vec::new(),
        )
        .await
        .unwrap();
    let order = |page: super::history::Page<super::history::Conversation>| {
        page.items.into_iter().map(|c| c.number).collect::<Vec<_>>()
    };
    let list = ConversationQuery {
        limit: 10,
        ..Default::default()
    };
    // Ann's newest activity is her voicemail, after Bob's text.
    assert_eq!(order(store.conversations(&list).await.unwrap()), [ANN, BOB]);
    assert_eq!(
        store
            .search("boat", &[], None, 10)
            .await
            .unwrap()
            .items
            .len(),
        1
    );

    let (deleted, out) = store
        .delete_voicemail("RE1", T0 + 50)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(deleted.number.as_deref(), Some(ANN));
    assert_eq!(deleted.local_path, None, "never downloaded");
    assert_eq!(kinds(&out), ["deleted", "voicemails", "call"]);
    let rows = feed(&out);
    assert_eq!(rows[0].1.as_deref(), Some(ANN));
    assert_eq!(
        rows[0].2,
        json!({ "kind": "voicemail", "sid": "RE1", "call_sid": "CARE1" })
    );
    assert_eq!(rows[1].2["new"], 0);
    // The call went to voicemail, but there is none now: it is a missed call.
    assert_eq!(rows[2].2["item"]["outcome"], "missed");
    assert_eq!(out.queued.len(), 1);

    // Gone from the thread, the box, the count, the search; Ann's time is her call's again.
    assert!(!thread_items(store, ANN)
        .await
        .iter()
        .any(|i| matches!(i, Item::Voicemail(_))));
    assert!(store.voicemails(None, 10).await.unwrap().items.is_empty());
    assert_eq!(store.new_voicemails().await.unwrap(), 0);
    assert!(store
        .search("boat", &[], None, 10)
        .await
        .unwrap()
        .items
        .is_empty());
    assert_eq!(order(store.conversations(&list).await.unwrap()), [BOB, ANN]);

    // Exactly one deletion at Twilio is queued, and the waiting download is dropped.
    let far = i64::MAX / 2;
    let deletions = store
        .claim_outbox(&[RECORDING_DELETE], far, 10)
        .await
        .unwrap();
    assert_eq!(deletions.len(), 1);
    assert_eq!(deletions[0].idempotency_key.as_deref(), Some("delete:RE1"));
    assert_eq!(
        deletions[0].payload_as::<Value>().unwrap(),
        json!({ "sid": "RE1" })
    );
    assert!(store
        .claim_outbox(&[RECORDING_DOWNLOAD], far, 10)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .delete_voicemail("RE1", T0 + 51)
        .await
        .unwrap()
        .is_none());

    // A deletion at Twilio queued after a download and given up on is tried again when the
    // user deletes the voicemail; still one row.
    voicemail_from(store, "RE2", BOB, T0 + 100).await;
    store.mark_voicemail_heard("RE2", T0 + 140).await.unwrap();
    let id = store
        .enqueue_work(
            RECORDING_DELETE,
            &json!({ "sid": "RE2" }),
            Some("delete:RE2"),
            T0 + 150,
        )
        .await
        .unwrap()
        .unwrap();
    store
        .claim_outbox(&[RECORDING_DELETE], T0 + 150, 10)
        .await
        .unwrap();
    store
        .outbox_failed(id, "Twilio said no", T0 + 151)
        .await
        .unwrap();
    let (_, out) = store
        .delete_voicemail("RE2", T0 + 160)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        kinds(&out),
        ["deleted", "call"],
        "RE2 was heard: no new count"
    );
    assert_eq!(out.queued, [(RECORDING_DELETE, id)]);
    let again = store
        .claim_outbox(&[RECORDING_DELETE], far, 10)
        .await
        .unwrap();
    assert_eq!(again.iter().map(|r| r.id).collect::<Vec<_>>(), [id]);

    // A call recording is not a voicemail: it cannot be deleted as one.
    store
        .record_incoming_call(incoming_call("CA3", BOB, T0 + 200), false, Vec::new())
        .await
        .unwrap();
    call_recorded(store, "CA3", "RE3", T0 + 300).await;
    assert!(store
        .delete_voicemail("RE3", T0 + 301)
        .await
        .unwrap()
        .is_none());
    assert!(store.recording("RE3").await.unwrap().is_some());
}

/// Runs every check of the contract against the adapter `open` makes (one fresh store per
/// check; `open` answers what must live as long as the store, then the store).
macro_rules! conformance {
    ($adapter:ident, $open:path, [$($check:ident),* $(,)?]) => {
        mod $adapter {
            $(
                #[tokio::test]
                async fn $check() {
                    let (_keep, store) = $open().await;
                    super::$check(&store).await;
                }
            )*
        }
    };
}

conformance!(
    sqlite,
    crate::store::test_support::store,
    [
        an_incoming_call_is_stored_once_with_its_work,
        a_blocked_call_is_stored_rejected_without_a_feed_row,
        an_incoming_text_is_stored_once_and_counts_as_unread,
        a_blocked_text_is_stored_read_without_a_feed_row,
        a_status_before_its_text_is_kept_and_the_text_fills_it_in,
        message_statuses_only_move_forward,
        call_statuses_are_applied_once_and_never_go_back,
        a_dials_end_says_who_answered_and_its_work_is_queued_once,
        a_recorded_voicemail_shows_in_its_thread_once,
        relay_targets_follow_the_latest_sender,
        outbox_work_is_claimed_once_and_settled,
        a_sent_text_becomes_its_message,
        reading_a_thread_clears_its_unread_count_once,
        contacts_are_created_renamed_and_deleted,
        a_call_recording_plays_from_its_calls_row_and_is_no_voicemail,
        the_voicemail_box_lists_voicemails_newest_first_and_no_call_recordings,
        hearing_a_voicemail_changes_its_item_and_the_count_once,
        deleting_a_voicemail_removes_it_everywhere_and_queues_one_deletion_at_twilio,
    ]
);
