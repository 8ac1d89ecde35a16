//! The writer thread's statements (`blocking` modules) against their sqlx twins: after any
//! sequence of webhook writes, two stores — one written through sqlx's writer, the other
//! through the writer thread — answer the same and hold the same rows, feed events included.

use proptest::prelude::*;
use serde_json::json;
use sqlx::SqlitePool;

use super::test_support::store;
use super::{call, event, message, outbox, relay, Result, Store};

const ME: &str = "+18001234567";
const PARTIES: [&str; 3] = ["+15550000001", "+15550000002", "+15550000003"];

#[derive(Debug, Clone)]
enum Op {
    /// An incoming call, a call from the browser (`client:`) or a `<Dial>` leg; SIDs repeat.
    Call {
        sid: u8,
        party: usize,
        browser: bool,
        leg: bool,
    },
    /// A text in or out, with up to two media; SIDs repeat, and some meet a stub.
    Text {
        sid: u8,
        party: usize,
        outbound: bool,
        media: usize,
        status: &'static str,
    },
    /// A status callback before its text: a stub row the text fills in (sqlx on both).
    Stub {
        sid: u8,
        status: &'static str,
    },
    /// Queued work; keys repeat, so some are refused as already queued.
    Enqueue {
        sms: bool,
        party: usize,
        key: u8,
    },
    Relay {
        device: usize,
        party: usize,
        back: i64,
    },
    Unread {
        party: usize,
        hide: bool,
    },
}

fn status() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "received",
        "queued",
        "sent",
        "delivered",
        "failed",
        "odd",
    ])
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..8u8, 0..3usize, any::<bool>(), prop::bool::weighted(0.2))
            .prop_map(|(sid, party, browser, leg)| Op::Call { sid, party, browser, leg }),
        4 => (0..8u8, 0..3usize, any::<bool>(), 0..3usize, status())
            .prop_map(|(sid, party, outbound, media, status)| Op::Text { sid, party, outbound, media, status }),
        1 => (0..8u8, status()).prop_map(|(sid, status)| Op::Stub { sid, status }),
        2 => (any::<bool>(), 0..3usize, 0..6u8)
            .prop_map(|(sms, party, key)| Op::Enqueue { sms, party, key }),
        1 => (0..2usize, 0..3usize, -2..2i64)
            .prop_map(|(device, party, back)| Op::Relay { device, party, back }),
        1 => (0..3usize, any::<bool>()).prop_map(|(party, hide)| Op::Unread { party, hide }),
    ]
}

/// What a write answered, comparable across the two paths.
type Answer = (bool, Vec<event::EventRow>, Option<i64>);

fn new_call(op: &Op, at: i64) -> call::NewCall {
    let Op::Call {
        sid,
        party,
        browser,
        leg,
    } = *op
    else {
        unreachable!()
    };
    let (from, to, direction) = if browser {
        ("client:vbx".to_owned(), PARTIES[party], "inbound")
    } else if leg {
        (ME.to_owned(), PARTIES[party], "outbound-dial")
    } else {
        (PARTIES[party].to_owned(), ME, "inbound")
    };
    call::NewCall {
        sid: format!("CA{sid}"),
        account_sid: "AC0".into(),
        from,
        to: to.into(),
        direction: direction.into(),
        status: "ringing".into(),
        alias: Some("default".into()),
        parent_sid: leg.then(|| "CA0".to_owned()),
        started_at_ms: at,
    }
}

fn new_message(op: &Op, at: i64) -> message::NewMessage {
    let Op::Text {
        sid,
        party,
        outbound,
        media,
        status,
    } = *op
    else {
        unreachable!()
    };
    let (from, to, direction) = if outbound {
        (ME, PARTIES[party], "outbound-api")
    } else {
        (PARTIES[party], ME, "inbound")
    };
    message::NewMessage {
        sid: format!("SM{sid}"),
        account_sid: "AC0".into(),
        from: from.into(),
        to: to.into(),
        body: format!("text <&> {sid} at {at} 📞"),
        direction: direction.into(),
        status: status.into(),
        created_at_ms: at,
        media: (0..media)
            .map(|i| message::NewMedia {
                url: format!("https://api.twilio.com/media/{sid}/{i}"),
                content_type: if i == 0 { "image/jpeg" } else { "" }.into(),
            })
            .collect(),
    }
}

fn payload(sms: bool, party: usize, at: i64) -> serde_json::Value {
    if sms {
        json!({ "to": PARTIES[party], "from": ME, "body": format!("reply {at}"), "media": [] })
    } else {
        json!({ "device": "mail", "from": PARTIES[party], "body": "hi", "media": [] })
    }
}

fn hidden(hide: bool) -> Vec<String> {
    if hide {
        vec![PARTIES[1].to_owned()]
    } else {
        Vec::new()
    }
}

/// `op` through sqlx's writer, in one transaction.
async fn through_sqlx(store: &Store, op: &Op, at: i64) -> Result<Answer> {
    let mut tx = store.writer().begin().await.unwrap();
    let answer = match op {
        Op::Call { .. } => {
            let call = new_call(op, at);
            let new = call::record_call(&mut *tx, &call).await?;
            let feed = if new {
                event::call_changed(&mut tx, &call.sid, at).await?
            } else {
                None
            };
            (new, feed.into_iter().collect(), None)
        }
        Op::Text { .. } => {
            let text = new_message(op, at);
            let new = message::record_message_in(&mut tx, &text).await?;
            let mut feed = Vec::new();
            if new {
                feed.extend(event::message_arrived(&mut tx, &text.sid, &hidden(true), at).await?);
            }
            (new, feed, None)
        }
        Op::Stub { .. } => unreachable!("stubs are written the same way on both stores"),
        Op::Enqueue { sms, party, key } => {
            let kind = if *sms { "sms" } else { "email" };
            let key = format!("k{key}");
            let id =
                outbox::enqueue(&mut *tx, kind, &payload(*sms, *party, at), Some(&key), at).await?;
            let feed = match id {
                Some(id) => event::outbox_changed(&mut tx, id, at).await?,
                None => None,
            };
            (id.is_some(), feed.into_iter().collect(), id)
        }
        Op::Relay {
            device,
            party,
            back,
        } => {
            let device = format!("cell{device}");
            let changed =
                relay::set_relay_target(&mut *tx, &device, PARTIES[*party], at + back).await?;
            (changed, Vec::new(), None)
        }
        Op::Unread { party, hide } => {
            let row = event::unread_changed(&mut tx, PARTIES[*party], &hidden(*hide), at).await?;
            (true, vec![row], None)
        }
    };
    tx.commit().await.unwrap();
    Ok(answer)
}

/// `op` through the writer thread, as one job.
async fn through_writer(store: &Store, op: &Op, at: i64) -> Result<Answer> {
    let op = op.clone();
    store
        .write(move |conn| {
            Ok(match op {
                Op::Call { .. } => {
                    let call = new_call(&op, at);
                    let new = call::blocking::record_call(conn, &call)?;
                    let feed = if new {
                        event::blocking::call_changed(conn, &call.sid, at)?
                    } else {
                        None
                    };
                    (new, feed.into_iter().collect(), None)
                }
                Op::Text { .. } => {
                    let text = new_message(&op, at);
                    // As `record::incoming_message` does it (an inbound text stored anew is
                    // not read back: this compares the event it makes with sqlx's reading).
                    let recorded = message::blocking::record_message_in(conn, &text)?;
                    let feed =
                        event::blocking::text_recorded(conn, &text, recorded, &hidden(true), at)?;
                    (recorded.changed(), feed.into_iter().collect(), None)
                }
                Op::Stub { .. } => unreachable!("stubs are written the same way on both stores"),
                Op::Enqueue { sms, party, key } => {
                    let kind = if sms { "sms" } else { "email" };
                    let key = format!("k{key}");
                    let id = outbox::blocking::enqueue(
                        conn,
                        kind,
                        &payload(sms, party, at),
                        Some(&key),
                        at,
                    )?;
                    let feed = match id {
                        Some(id) => event::blocking::outbox_changed(conn, id, at)?,
                        None => None,
                    };
                    (id.is_some(), feed.into_iter().collect(), id)
                }
                Op::Relay {
                    device,
                    party,
                    back,
                } => {
                    let device = format!("cell{device}");
                    let changed = relay::blocking::set_relay_target(
                        conn,
                        &device,
                        PARTIES[party],
                        at + back,
                    )?;
                    (changed, Vec::new(), None)
                }
                Op::Unread { party, hide } => {
                    let row =
                        event::blocking::unread_changed(conn, PARTIES[party], &hidden(hide), at)?;
                    (true, vec![row], None)
                }
            })
        })
        .await
}

/// Every row of the tables webhooks write, as text, in a stable order.
async fn dump(pool: &SqlitePool) -> Vec<String> {
    let mut rows = Vec::new();
    for (table, order) in [
        ("calls", "sid"),
        ("messages", "sid"),
        ("media", "message_sid, idx"),
        ("outbox", "id"),
        ("relay_targets", "device"),
        ("events", "id"),
        ("unread_counts", "number"),
        ("unread_total", "id"),
        ("latest_activity", "number"),
    ] {
        let columns: Vec<String> =
            sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .fetch_all(pool)
                .await
                .unwrap();
        let sql = format!(
            "SELECT json_array({}) FROM {table} ORDER BY {order}",
            columns.join(", ")
        );
        for row in sqlx::query_scalar::<_, String>(&sql)
            .fetch_all(pool)
            .await
            .unwrap()
        {
            rows.push(format!("{table}: {row}"));
        }
    }
    rows
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn the_writer_threads_statements_write_what_their_sqlx_twins_write(
        ops in prop::collection::vec(op(), 1..40)
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (_a_dir, a) = store().await;
            let (_b_dir, b) = store().await;
            for (i, op) in ops.iter().enumerate() {
                let at = 1_000 + i as i64 * 10;
                if let Op::Stub { sid, status } = op {
                    let sid = format!("SM{sid}");
                    for s in [&a, &b] {
                        message::apply_message_status(s.writer(), &sid, status, None, None, at)
                            .await
                            .unwrap();
                    }
                    continue;
                }
                let via_sqlx = through_sqlx(&a, op, at).await.unwrap();
                let via_writer = through_writer(&b, op, at).await.unwrap();
                assert_eq!(via_sqlx, via_writer, "{op:?} after {ops:?}");
            }
            let (rows_a, rows_b) = (dump(a.pool()).await, dump(b.pool()).await);
            assert!(!rows_a.is_empty());
            assert_eq!(rows_a, rows_b, "after {ops:?}");
        });
    }
}
