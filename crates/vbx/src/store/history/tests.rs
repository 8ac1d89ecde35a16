//! Conversations, threads and the call log over real rows.

use serde_json::json;

use super::*;
use crate::store::test_support::{conn, store};
use crate::store::{call, message, recording, Store};

const ME: &str = "+18001234567";
const ANN: &str = "+15550000001";
const BOB: &str = "+15550000002";
const CELL: &str = "+18005555555";

async fn text(store: &Store, sid: &str, from: &str, to: &str, body: &str, at: i64) {
    let direction = if to == ME { "inbound" } else { "outbound-api" };
    let text = message::NewMessage {
        sid: sid.into(),
        account_sid: "AC00000000000000000000000000000000".into(),
        from: from.into(),
        to: to.into(),
        body: body.into(),
        direction: direction.into(),
        status: if to == ME { "received" } else { "sent" }.into(),
        created_at_ms: at,
        media: vec![],
    };
    crate::store::test_support::record_text(store, text).await;
}

async fn ring(store: &Store, sid: &str, from: &str, to: &str, parent: Option<&str>, at: i64) {
    let call = call::NewCall {
        sid: sid.into(),
        account_sid: "AC00000000000000000000000000000000".into(),
        from: from.into(),
        to: to.into(),
        direction: if parent.is_some() {
            "outbound-dial"
        } else {
            "inbound"
        }
        .into(),
        status: "ringing".into(),
        alias: None,
        parent_sid: parent.map(str::to_owned),
        started_at_ms: at,
    };
    store
        .write(move |conn| call::blocking::record_call(conn, &call))
        .await
        .unwrap();
}

async fn voicemail(store: &Store, sid: &str, call_sid: &str, at: i64) {
    store
        .record_recording(
            &recording::RecordingUpdate {
                sid: sid.into(),
                call_sid: call_sid.into(),
                url: format!("https://api.twilio.com/Recordings/{sid}"),
                duration_s: Some(7),
                status: "completed".into(),
                source: recording::VOICEMAIL,
                transcribing: false,
                now_ms: at,
            },
            Vec::new(),
        )
        .await
        .unwrap();
}

fn keys(items: &[Item]) -> Vec<(String, i64)> {
    items
        .iter()
        .map(|item| match item {
            Item::Message(m) => (
                m.sid
                    .clone()
                    .unwrap_or_else(|| format!("outbox:{}", m.outbox_id.unwrap())),
                m.at,
            ),
            Item::Call(c) => (c.sid.clone(), c.at),
            Item::Voicemail(v) => (v.sid.clone(), v.at),
        })
        .collect()
}

fn query(limit: u32) -> ConversationQuery {
    ConversationQuery {
        limit,
        ..Default::default()
    }
}

#[tokio::test]
async fn a_thread_merges_texts_calls_and_voicemails_newest_first_and_pages() {
    let (_dir, store) = store().await;
    text(&store, "SM1", ANN, ME, "hi", 10).await;
    ring(&store, "CA1", ANN, ME, None, 20).await;
    ring(&store, "CA1leg", ANN, "client:vbx", Some("CA1"), 21).await;
    voicemail(&store, "RE1", "CA1", 30).await;
    text(&store, "SM2", ME, ANN, "hello back", 40).await;
    text(&store, "SM3", BOB, ME, "other thread", 50).await;
    // An outgoing call from the browser belongs to the number it called.
    ring(&store, "CA2", "client:vbx", ANN, None, 60).await;
    ring(&store, "CA2leg", ME, ANN, Some("CA2"), 61).await;

    let mut conn = store.pool().acquire().await.unwrap();
    let all = thread(&mut conn, ANN, None, 50).await.unwrap();
    assert_eq!(
        keys(&all.items),
        [
            ("CA2".to_owned(), 60),
            ("SM2".to_owned(), 40),
            ("RE1".to_owned(), 30),
            ("CA1".to_owned(), 20),
            ("SM1".to_owned(), 10)
        ]
    );
    assert_eq!(all.next, None);
    let Item::Call(outgoing) = &all.items[0] else {
        panic!("{:?}", all.items[0])
    };
    assert_eq!(outgoing.direction, Direction::Outbound);
    let Item::Voicemail(vm) = &all.items[2] else {
        panic!()
    };
    assert_eq!(vm.url, "/api/recordings/RE1");
    assert_eq!((vm.call_sid.as_str(), vm.duration), ("CA1", Some(7)));

    let first = thread(&mut conn, ANN, None, 2).await.unwrap();
    assert_eq!(first.items.len(), 2);
    let cursor = first.next.clone().unwrap();
    let second = thread(&mut conn, ANN, Some(&cursor), 2).await.unwrap();
    let third = thread(&mut conn, ANN, second.next.as_ref(), 2)
        .await
        .unwrap();
    let paged: Vec<_> = [first.items, second.items, third.items].concat();
    assert_eq!(keys(&paged), keys(&all.items));
    assert_eq!(third.next, None);
}

#[tokio::test]
async fn items_at_the_same_time_are_not_lost_between_pages() {
    let (_dir, store) = store().await;
    for i in 0..5 {
        text(&store, &format!("SM{i}"), ANN, ME, "same time", 100).await;
    }
    let mut conn = store.pool().acquire().await.unwrap();
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = thread(&mut conn, ANN, cursor.as_ref(), 2).await.unwrap();
        seen.extend(keys(&page.items));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let sids: Vec<&str> = seen.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(sids, ["SM4", "SM3", "SM2", "SM1", "SM0"]);
}

#[tokio::test]
async fn unsent_and_refused_texts_show_in_the_thread_until_they_become_messages() {
    let (_dir, store) = store().await;
    let payload = |body: &str| {
        json!({"to": ANN, "from": ME, "body": body,
               "media": ["https://vbx.example.com/flow/media/00ff"],
               "local_media": [{"path": "media/out/00ff", "content_type": "image/png"}]})
    };
    let queued = store
        .enqueue_work("sms", &payload("queued"), None, 10)
        .await
        .unwrap()
        .unwrap();
    let refused = store
        .enqueue_work("sms", &payload("refused"), None, 20)
        .await
        .unwrap()
        .unwrap();
    store
        .outbox_failed(refused, "Twilio answered HTTP 400: bad To", 21)
        .await
        .unwrap();
    let sent = store
        .enqueue_work("sms", &payload("sent"), None, 30)
        .await
        .unwrap()
        .unwrap();
    store.outbox_sent(sent, Some("SMsent"), 31).await.unwrap();
    text(&store, "SMsent", ME, ANN, "sent", 31).await;

    let mut conn = store.pool().acquire().await.unwrap();
    let page = thread(&mut conn, ANN, None, 10).await.unwrap();
    type Shown = (Option<String>, Option<i64>, String, Option<String>);
    let got: Vec<Shown> = page
        .items
        .iter()
        .map(|item| match item {
            Item::Message(m) => (
                m.sid.clone(),
                m.outbox_id,
                m.status.clone(),
                m.error.clone(),
            ),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        got,
        [
            (Some("SMsent".into()), Some(sent), "sent".into(), None),
            (
                None,
                Some(refused),
                "failed".into(),
                Some("Twilio answered HTTP 400: bad To".into())
            ),
            (None, Some(queued), "queued".into(), None),
        ]
    );
    let Item::Message(pending) = &page.items[2] else {
        panic!()
    };
    assert_eq!(
        pending.media,
        [MediaRef {
            url: "/flow/media/00ff".into(),
            content_type: "image/png".into()
        }]
    );
}

#[tokio::test]
async fn conversations_are_one_per_party_newest_first_with_last_item_and_unread() {
    let (_dir, store) = store().await;
    let db = conn(&_dir);
    store.create_contact(ANN, "Ann", 1).await.unwrap();
    text(&store, "SM1", ANN, ME, "one", 10).await;
    text(&store, "SM2", ANN, ME, "two", 20).await;
    ring(&store, "CA1", BOB, ME, None, 30).await;
    text(&store, "SM3", BOB, ME, "from bob", 15).await;
    text(&store, "SM4", CELL, ME, "relay reply", 40).await;
    // A status callback for a message never recorded leaves a stub: no conversation.
    message::blocking::apply_message_status(&db, "SMstub", "sent", None, None, 99).unwrap();

    let mut conn = store.pool().acquire().await.unwrap();
    let mut q = query(10);
    q.hidden = vec![CELL.to_owned()];
    let page = conversations(&mut conn, &q).await.unwrap();
    let rows: Vec<(&str, Option<&str>, &str, &str, i64)> = page
        .items
        .iter()
        .map(|c| {
            let last = c.last.as_ref().unwrap();
            (
                c.number.as_str(),
                c.name.as_deref(),
                last.kind,
                last.text.as_str(),
                c.unread,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (BOB, None, "call", "ringing", 1),
            (ANN, Some("Ann"), "message", "two", 2)
        ]
    );
    assert_eq!(page.next, None);
    assert_eq!(unread_total(&mut *conn, &q.hidden).await.unwrap(), 3);
    assert_eq!(unread_total(&mut *conn, &[]).await.unwrap(), 4);

    store.mark_thread_read(ANN, &[], 50).await.unwrap();
    let page = conversations(&mut conn, &q).await.unwrap();
    assert_eq!(page.items[1].unread, 0);
}

#[tokio::test]
async fn conversations_page_by_cursor_and_search_by_name_or_digits() {
    let (_dir, store) = store().await;
    for i in 0..7i64 {
        let number = format!("+1555000{i:04}");
        // Two pairs share a time, to exercise the tie-break.
        text(&store, &format!("SM{i}"), &number, ME, "x", 100 + i / 2).await;
    }
    store
        .create_contact("+15550000003", "Zoë 50% off", 1)
        .await
        .unwrap();
    let mut conn = store.pool().acquire().await.unwrap();
    let mut seen = Vec::new();
    let mut q = query(3);
    loop {
        let page = conversations(&mut conn, &q).await.unwrap();
        assert!(page.items.len() <= 3);
        seen.extend(page.items.into_iter().map(|c| c.number));
        match page.next {
            Some(next) => q.before = Some(next),
            None => break,
        }
    }
    let expected: Vec<String> = (0..7).rev().map(|i| format!("+1555000{i:04}")).collect();
    assert_eq!(seen, expected);

    let search = |s: &str| ConversationQuery {
        search: Some(s.into()),
        limit: 50,
        ..Default::default()
    };
    let numbers = |page: Page<Conversation>| -> Vec<String> {
        page.items.into_iter().map(|c| c.number).collect()
    };
    assert_eq!(
        numbers(conversations(&mut conn, &search("zoë")).await.unwrap()),
        ["+15550000003"]
    );
    assert_eq!(
        numbers(conversations(&mut conn, &search("% off")).await.unwrap()),
        ["+15550000003"],
        "a % in the search is literal"
    );
    assert!(conversations(&mut conn, &search("_"))
        .await
        .unwrap()
        .items
        .is_empty());
    assert_eq!(
        numbers(
            conversations(&mut conn, &search("(555) 000-0005"))
                .await
                .unwrap()
        ),
        ["+15550000005"]
    );
    assert!(conversations(&mut conn, &search("nobody"))
        .await
        .unwrap()
        .items
        .is_empty());
}

#[tokio::test]
async fn the_call_log_filters_by_direction_status_and_number_and_pages() {
    let (_dir, store) = store().await;
    let db = conn(&_dir);
    store.create_contact(ANN, "Ann", 1).await.unwrap();
    ring(&store, "CA1", ANN, ME, None, 10).await;
    ring(&store, "CA1leg", ANN, "client:vbx", Some("CA1"), 11).await;
    ring(&store, "CA2", "client:vbx", BOB, None, 20).await;
    ring(&store, "CA3", BOB, ME, None, 30).await;
    voicemail(&store, "RE3", "CA3", 35).await;
    call::blocking::apply_call_status(
        &db,
        &call::CallStatusUpdate {
            sid: "CA3".into(),
            account_sid: "AC00000000000000000000000000000000".into(),
            status: "completed".into(),
            sequence: None,
            duration_s: Some(12),
            timestamp_ms: 40,
            from: BOB.into(),
            to: ME.into(),
            direction: "inbound".into(),
            parent_sid: None,
        },
    )
    .unwrap();

    let mut conn = store.pool().acquire().await.unwrap();
    let sids = |page: &Page<CallEntry>| -> Vec<String> {
        page.items.iter().map(|c| c.sid.clone()).collect()
    };
    let all = call_log(
        &mut conn,
        &CallLogQuery {
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(sids(&all), ["CA3", "CA2", "CA1"]);
    assert_eq!(all.items[2].name.as_deref(), Some("Ann"));
    let recording = all.items[0].recording.as_ref().unwrap();
    assert_eq!(
        (recording.sid.as_str(), all.items[0].duration),
        ("RE3", Some(12))
    );

    let outbound = call_log(
        &mut conn,
        &CallLogQuery {
            direction: Some(Direction::Outbound),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(sids(&outbound), ["CA2"]);
    let completed = call_log(
        &mut conn,
        &CallLogQuery {
            status: Some("completed".into()),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(sids(&completed), ["CA3"]);
    let bob = call_log(
        &mut conn,
        &CallLogQuery {
            number: Some(BOB.into()),
            limit: 1,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(sids(&bob), ["CA3"]);
    let rest = call_log(
        &mut conn,
        &CallLogQuery {
            number: Some(BOB.into()),
            before: bob.next.clone(),
            limit: 1,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(sids(&rest), ["CA2"]);
    assert_eq!(rest.next, None);
}

#[tokio::test]
async fn deleting_a_message_removes_it_and_its_media_and_says_which_files_to_remove() {
    let (_dir, store) = store().await;
    let db = conn(&_dir);
    let mut m = message::NewMessage {
        sid: "MM1".into(),
        account_sid: "AC00000000000000000000000000000000".into(),
        from: ANN.into(),
        to: ME.into(),
        body: "pic".into(),
        direction: "inbound".into(),
        status: "received".into(),
        created_at_ms: 1,
        media: vec![],
    };
    for url in ["u0", "u1"] {
        m.media.push(message::NewMedia {
            url: url.into(),
            content_type: "image/png".into(),
        });
    }
    message::blocking::record_message_in(&db, &m).unwrap();
    store
        .media_fetched("MM1", 1, "media/in/MM1-1")
        .await
        .unwrap();
    let mut conn = store.pool().acquire().await.unwrap();
    let (deleted, _) = store.delete_message("MM1", 60).await.unwrap().unwrap();
    assert_eq!(deleted.number, ANN);
    assert_eq!(deleted.local_paths, ["media/in/MM1-1"]);
    assert!(message::media_of(&mut *conn, "MM1")
        .await
        .unwrap()
        .is_empty());
    assert!(store.delete_message("MM1", 61).await.unwrap().is_none());
}

/// The plan of `sql` as text, one detail per line.
async fn plan(store: &Store, sql: &str) -> String {
    let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
        .bind(ANN)
        .fetch_all(store.pool())
        .await
        .unwrap();
    rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn thread_and_conversation_queries_use_the_party_indexes() {
    let (_dir, store) = store().await;
    let messages = plan(
        &store,
        concat!(
            "SELECT sid FROM messages WHERE ",
            message_party!(""),
            " = $1 ORDER BY created_at DESC"
        ),
    )
    .await;
    assert!(messages.contains("messages_party"), "{messages}");
    let calls = plan(
        &store,
        concat!(
            "SELECT sid FROM calls WHERE parent_sid IS NULL AND ",
            call_party!(""),
            " = $1 ORDER BY started_at DESC"
        ),
    )
    .await;
    assert!(calls.contains("calls_party"), "{calls}");
    // Reading a thread marks its texts through the thread's index.
    let read = plan(
        &store,
        concat!(
            "UPDATE messages SET read_at = $2 WHERE ",
            message_party!(""),
            " = $1 AND direction = 'inbound' AND read_at IS NULL"
        ),
    )
    .await;
    assert!(read.contains("messages_party"), "{read}");
    let grouped = plan(
        &store,
        concat!(
            "SELECT ",
            message_party!(""),
            ", MAX(created_at) FROM messages WHERE $1 IS NOT NULL GROUP BY ",
            message_party!("")
        ),
    )
    .await;
    assert!(grouped.contains("messages_party"), "{grouped}");
    assert!(!grouped.contains("TEMP B-TREE"), "{grouped}");
    // Sent work piles up in the outbox forever; only unsent rows may be read: the index holds
    // nothing else.
    let outbox = plan(
        &store,
        "SELECT id FROM outbox WHERE kind = 'sms' AND status IN ('pending', 'sending', 'failed') \
         AND json_extract(payload, '$.to') = $1",
    )
    .await;
    assert!(outbox.contains("outbox_sms_to"), "{outbox}");
}

/// Every kind of new row `record_call` can insert, with and without a recording and a
/// completed `<Dial>` leg stored before it (Twilio's callbacks can overtake the call's
/// webhook): the item made from the call is the one read back, whenever one is made.
#[tokio::test]
async fn a_new_calls_item_made_from_the_call_is_the_one_read_back() {
    let (_dir, store) = store().await;
    let made = store
        .write(|conn| {
            let mut made = 0;
            let mut n = 0;
            for direction in ["inbound", "outbound-api", "outbound-dial"] {
                for from in ["+15550001111", "client:alice"] {
                    for status in [
                        "queued",
                        "initiated",
                        "ringing",
                        "in-progress",
                        "completed",
                        "busy",
                        "no-answer",
                    ] {
                        for parent in [false, true] {
                            for before in [false, true] {
                                n += 1;
                                let sid = format!("CA{n:032}");
                                if before {
                                    recording::blocking::upsert_recording(
                                        conn,
                                        &recording::RecordingUpdate {
                                            sid: format!("RE{n:032}"),
                                            call_sid: sid.clone(),
                                            url: "https://api.twilio.com/r".into(),
                                            duration_s: Some(3),
                                            status: "completed".into(),
                                            source: recording::VOICEMAIL,
                                            transcribing: false,
                                            now_ms: 5,
                                        },
                                    )?;
                                    call::blocking::apply_call_status(
                                        conn,
                                        &call::CallStatusUpdate {
                                            sid: format!("CB{n:032}"),
                                            account_sid: "AC0".into(),
                                            status: "completed".into(),
                                            sequence: None,
                                            duration_s: Some(7),
                                            timestamp_ms: 6,
                                            from: "+18001234567".into(),
                                            to: "+15559998888".into(),
                                            direction: "outbound-dial".into(),
                                            parent_sid: Some(sid.clone()),
                                        },
                                    )?;
                                }
                                let call = call::NewCall {
                                    sid: sid.clone(),
                                    account_sid: "AC0".into(),
                                    from: from.into(),
                                    to: "+18001234567".into(),
                                    direction: direction.into(),
                                    status: status.into(),
                                    alias: Some("default".into()),
                                    parent_sid: parent.then(|| "CA0".to_owned()),
                                    started_at_ms: 10 + n,
                                };
                                assert!(call::blocking::record_call(conn, &call)?);
                                let live = matches!(
                                    status,
                                    "queued" | "initiated" | "ringing" | "in-progress"
                                );
                                match new_call_item(&call) {
                                    Some(item) => {
                                        made += 1;
                                        assert_eq!(
                                            Some(item),
                                            blocking::call_item(conn, &sid)?,
                                            "{call:?}"
                                        );
                                    }
                                    None => assert!(parent || !live, "{call:?}"),
                                }
                            }
                        }
                    }
                }
            }
            Ok(made)
        })
        .await
        .unwrap();
    // 3 directions × 2 callers × 4 live statuses × 2 (before or not), top-level only.
    assert_eq!(made, 48);
}
