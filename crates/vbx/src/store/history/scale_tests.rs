//! The store's kept conversation times (`latest_activity`, migration 0005) and voicemail
//! parties (`recordings.party`, migration 0017) against the computations they replace, and the
//! paging of the list queries.

use serde_json::json;

use super::*;
use crate::store::test_support::{conn, conn_at, database_before, migrate, store};
use rusqlite::Connection;
use sqlx::SqlitePool;

use crate::store::{call, message, outbox, recording};

const ME: &str = "+18001234567";
const PARTIES: [&str; 4] = [
    "+15550000001",
    "+15550000002",
    "+15550000003",
    "+18005555555",
];
const ACCOUNT: &str = "AC00000000000000000000000000000000";

/// Each number's newest activity computed from the tables, as the conversation list did
/// before it read `latest_activity`.
async fn computed_activity(pool: &SqlitePool) -> Vec<(String, i64)> {
    sqlx::query_as::<_, (String, i64)>(concat!(
        "SELECT number, MAX(at) FROM ( \
           SELECT ",
        message_party!(""),
        " AS number, created_at AS at FROM messages \
           UNION ALL SELECT ",
        call_party!(""),
        ", started_at FROM calls WHERE parent_sid IS NULL \
           UNION ALL SELECT ",
        call_party!("c."),
        ", r.created_at FROM recordings r JOIN calls c ON c.sid = r.call_sid \
           UNION ALL SELECT json_extract(payload, '$.to'), created_at FROM outbox \
             WHERE kind = 'sms' AND status IN ('pending', 'sending', 'failed') \
         ) WHERE number <> '' GROUP BY number ORDER BY number"
    ))
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn kept_activity(pool: &SqlitePool) -> Vec<(String, i64)> {
    sqlx::query_as::<_, (String, i64)>("SELECT number, at FROM latest_activity ORDER BY number")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// Each voicemail's party computed from its call (NULL while the call is unknown).
async fn computed_parties(pool: &SqlitePool) -> Vec<(String, Option<String>)> {
    sqlx::query_as::<_, (String, Option<String>)>(concat!(
        "SELECT r.sid, ",
        call_party!("c."),
        " FROM recordings r LEFT JOIN calls c ON c.sid = r.call_sid ORDER BY r.sid"
    ))
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn kept_parties(pool: &SqlitePool) -> Vec<(String, Option<String>)> {
    sqlx::query_as::<_, (String, Option<String>)>("SELECT sid, party FROM recordings ORDER BY sid")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// xorshift64*: the same writes for the same seed, no dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[usize::try_from(self.below(items.len() as u64)).unwrap()]
    }
}

/// One write chosen at random among everything that changes messages, calls, recordings and
/// the SMS outbox — through the store's functions, plus raw deletes and time changes no
/// function makes today (the triggers must hold for them too).
fn random_write(db: &Connection, rng: &mut Rng) -> String {
    let at = i64::try_from(rng.below(40)).unwrap();
    let party = rng.pick(&PARTIES);
    let sid = format!("{}", rng.below(8));
    match rng.below(14) {
        0 | 1 => {
            let inbound = rng.below(2) == 0;
            let (from, to) = if inbound { (party, ME) } else { (ME, party) };
            let direction = if inbound { "inbound" } else { "outbound-api" };
            message::blocking::record_message_in(
                db,
                &message::NewMessage {
                    sid: format!("SM{sid}"),
                    account_sid: ACCOUNT.into(),
                    from: from.into(),
                    to: to.into(),
                    body: "x".into(),
                    direction: direction.into(),
                    status: "received".into(),
                    created_at_ms: at,
                    media: vec![],
                },
            )
            .unwrap();
            format!("message SM{sid} {direction} with {party} at {at}")
        }
        2 => {
            message::blocking::apply_message_status(
                db,
                &format!("SM{sid}"),
                "delivered",
                None,
                None,
                at,
            )
            .unwrap();
            format!("status of SM{sid} at {at}")
        }
        3 | 4 => {
            let browser = rng.below(3) == 0;
            let leg = rng.below(3) == 0;
            let (from, to) = if browser {
                ("client:vbx", party)
            } else {
                (party, ME)
            };
            call::blocking::record_call(
                db,
                &call::NewCall {
                    sid: format!("CA{sid}"),
                    account_sid: ACCOUNT.into(),
                    from: from.into(),
                    to: to.into(),
                    direction: if leg { "outbound-dial" } else { "inbound" }.into(),
                    status: "ringing".into(),
                    alias: None,
                    parent_sid: leg.then(|| format!("CA{}", rng.below(8))),
                    started_at_ms: at,
                },
            )
            .unwrap();
            format!("call CA{sid} {from} → {to} (leg: {leg}) at {at}")
        }
        5 => {
            let leg = rng.below(3) == 0;
            call::blocking::apply_call_status(
                db,
                &call::CallStatusUpdate {
                    sid: format!("CA{sid}"),
                    account_sid: ACCOUNT.into(),
                    status: "completed".into(),
                    sequence: None,
                    duration_s: Some(3),
                    timestamp_ms: at,
                    from: party.into(),
                    to: ME.into(),
                    direction: "inbound".into(),
                    parent_sid: leg.then(|| format!("CA{}", rng.below(8))),
                },
            )
            .unwrap();
            format!("call status CA{sid} from {party} (leg: {leg}) at {at}")
        }
        6 | 7 => {
            // Recording SIDs are fewer than call SIDs: a callback may move one to another call.
            let call_sid = format!("CA{}", rng.below(8));
            let rsid = format!("RE{}", rng.below(4));
            // The statement of a vbx before recordings had a source: the older schemas this
            // writes into have no such column.
            db.execute(
                "INSERT INTO recordings \
                     (sid, call_sid, url, duration_s, status, created_at, updated_at) \
                 VALUES (?1, ?2, 'https://api.twilio.com/x', NULL, 'completed', ?3, ?3) \
                 ON CONFLICT (sid) DO UPDATE SET call_sid = excluded.call_sid, \
                     status = excluded.status, updated_at = excluded.updated_at",
                rusqlite::params![rsid, call_sid, at],
            )
            .unwrap();
            format!("recording {rsid} of {call_sid} at {at}")
        }
        8 => {
            let id =
                outbox::blocking::enqueue(db, "sms", &json!({"to": party, "body": "x"}), None, at)
                    .unwrap();
            format!("queued SMS {id:?} to {party} at {at}")
        }
        9 => {
            let id = i64::try_from(rng.below(12) + 1).unwrap();
            let what = match rng.below(4) {
                0 => outbox::blocking::mark_sent(db, id, Some("SMx"), at),
                1 => outbox::blocking::mark_failed(db, id, "refused", at),
                2 => outbox::blocking::mark_retry(db, id, "later", at, at),
                _ => outbox::blocking::claim_due(db, &["sms"], 1_000, 2).map(|c| !c.is_empty()),
            };
            format!("outbox {id} changed: {:?}", what.unwrap())
        }
        10 => {
            let gone = crate::store::texts::delete_message_in(db, &format!("SM{sid}")).unwrap();
            format!("deleted SM{sid}: {}", gone.is_some())
        }
        11 => {
            let (table, key) = match rng.below(3) {
                0 => ("calls", format!("'CA{sid}'")),
                1 => ("recordings", format!("'RE{}'", rng.below(4))),
                _ => ("outbox", format!("{}", rng.below(12) + 1)),
            };
            let column = if table == "outbox" { "id" } else { "sid" };
            db.execute(&format!("DELETE FROM {table} WHERE {column} = {key}"), [])
                .unwrap();
            format!("raw delete from {table} {key}")
        }
        12 => {
            let (table, column) = match rng.below(3) {
                0 => ("messages", "created_at"),
                1 => ("calls", "started_at"),
                _ => ("recordings", "created_at"),
            };
            let prefix = &table[..2].to_uppercase();
            let prefix = if table == "messages" { "SM" } else { prefix };
            db.execute(
                &format!("UPDATE {table} SET {column} = ?1 WHERE sid = ?2"),
                rusqlite::params![at, format!("{prefix}{sid}")],
            )
            .unwrap();
            format!("raw move of {table} {prefix}{sid} to {at}")
        }
        _ => {
            read(db, party, at);
            format!("read {party}")
        }
    }
}

#[tokio::test]
async fn the_kept_conversation_times_equal_the_computed_ones_after_any_writes() {
    for seed in [1u64, 2, 3, 0x5eed] {
        let (_dir, store) = store().await;
        let db = &conn(&_dir);
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let mut log = Vec::new();
        for _ in 0..250 {
            log.push(random_write(db, &mut rng));
            let kept = kept_activity(store.pool()).await;
            let computed = computed_activity(store.pool()).await;
            assert_eq!(
                kept,
                computed,
                "seed {seed}, after:\n{}",
                log[log.len().saturating_sub(12)..].join("\n")
            );
            assert_eq!(
                kept_parties(store.pool()).await,
                computed_parties(store.pool()).await,
                "seed {seed}, after:\n{}",
                log[log.len().saturating_sub(12)..].join("\n")
            );
        }
        assert!(
            kept_parties(store.pool())
                .await
                .iter()
                .any(|(_, party)| party.is_some()),
            "seed {seed}: the writes left no voicemail with a party to compare"
        );
        assert!(
            !kept_activity(store.pool()).await.is_empty(),
            "seed {seed}: the writes left no conversation to compare"
        );
    }
}

#[tokio::test]
async fn the_migration_fills_the_kept_times_from_an_existing_history() {
    let dir = tempfile::tempdir().unwrap();
    // The schema as it was before 0005, with a history in it.
    let pool = database_before(dir.path(), 5).await;
    let db = &conn_at(dir.path());
    let mut rng = Rng(0xfeed);
    for _ in 0..120 {
        random_write(db, &mut rng);
    }
    let before = computed_activity(&pool).await;
    assert!(before.len() >= 3, "{before:?}");
    migrate(&pool, 5..=5).await;
    assert_eq!(kept_activity(&pool).await, before);
}

#[tokio::test]
async fn the_migration_gives_every_voicemail_of_a_known_call_its_party() {
    let dir = tempfile::tempdir().unwrap();
    let pool = database_before(dir.path(), 17).await;
    let db = &conn_at(dir.path());
    let mut rng = Rng(0xca11);
    for _ in 0..200 {
        random_write(db, &mut rng);
    }
    migrate(&pool, 17..=17).await;
    let parties = kept_parties(&pool).await;
    assert!(parties.iter().any(|(_, p)| p.is_some()), "{parties:?}");
    assert_eq!(parties, computed_parties(&pool).await);
}

/// Migrations 0008 and 0009 only trade indexes: a history written before them lists the same
/// after them. (That the kept `unread_counts` equal counting the texts is `unread_tests`.)
#[tokio::test]
async fn a_history_from_before_the_index_migrations_lists_the_same_after_them() {
    let dir = tempfile::tempdir().unwrap();
    let pool = database_before(dir.path(), 8).await;
    let db = &conn_at(dir.path());
    // The later migrations add what today's queries read (marks, full-text indexes) and touch
    // none of these indexes: applied first, the lists can be read on both sides.
    migrate(&pool, 10..).await;
    let mut rng = Rng(0xbeef);
    for _ in 0..200 {
        random_write(db, &mut rng);
    }
    read(db, PARTIES[0], 50);
    text(db, "SMunread", PARTIES[1], ME, 60);
    let before = lists(&pool).await;
    assert!(before.0.items.len() >= 3, "{:?}", before.0);
    assert!(
        before.0.items.iter().any(|c| c.unread > 0),
        "{:?}",
        before.0
    );
    assert!(
        before.1.iter().any(|t| !t.items.is_empty()),
        "{:?}",
        before.1
    );
    assert!(!before.2.items.is_empty(), "{:?}", before.2);
    migrate(&pool, 8..=9).await;
    assert_eq!(lists(&pool).await, before);
}

/// The conversation list, every party's thread, the call log and each party's calls.
async fn lists(
    pool: &SqlitePool,
) -> (
    Page<Conversation>,
    Vec<Page<Item>>,
    Page<CallEntry>,
    Vec<Page<CallEntry>>,
) {
    let mut conn = pool.acquire().await.unwrap();
    let conversations = conversations(
        &mut conn,
        &ConversationQuery {
            limit: 100,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut threads = Vec::new();
    let mut party_calls = Vec::new();
    for party in PARTIES {
        threads.push(thread(&mut conn, party, None, 100).await.unwrap());
        let query = CallLogQuery {
            number: Some(party.into()),
            limit: 100,
            ..Default::default()
        };
        party_calls.push(call_log(&mut conn, &query).await.unwrap());
    }
    let query = CallLogQuery {
        limit: 100,
        ..Default::default()
    };
    let calls = call_log(&mut conn, &query).await.unwrap();
    (conversations, threads, calls, party_calls)
}

fn text(db: &Connection, sid: &str, from: &str, to: &str, at: i64) {
    let direction = if to == ME { "inbound" } else { "outbound-api" };
    message::blocking::record_message_in(
        db,
        &message::NewMessage {
            sid: sid.into(),
            account_sid: ACCOUNT.into(),
            from: from.into(),
            to: to.into(),
            body: sid.into(),
            direction: direction.into(),
            status: "received".into(),
            created_at_ms: at,
            media: vec![],
        },
    )
    .unwrap();
}

fn ring(db: &Connection, sid: &str, from: &str, status: &str, at: i64) {
    call::blocking::record_call(
        db,
        &call::NewCall {
            sid: sid.into(),
            account_sid: ACCOUNT.into(),
            from: from.into(),
            to: ME.into(),
            direction: "inbound".into(),
            status: status.into(),
            alias: None,
            parent_sid: None,
            started_at_ms: at,
        },
    )
    .unwrap();
}

fn voicemail(db: &Connection, sid: &str, call_sid: &str, at: i64) {
    recording::blocking::upsert_recording(
        db,
        &recording::RecordingUpdate {
            sid: sid.into(),
            call_sid: call_sid.into(),
            url: "https://api.twilio.com/x".into(),
            duration_s: Some(4),
            status: "completed".into(),
            source: recording::VOICEMAIL,
            transcribing: false,
            now_ms: at,
        },
    )
    .unwrap();
}

/// Marks `number`'s incoming texts read, as every version since 0004 has.
fn read(db: &Connection, number: &str, at: i64) {
    db.execute(
        concat!(
            "UPDATE messages SET read_at = ?2 WHERE ",
            message_party!(""),
            " = ?1 AND direction = 'inbound' AND read_at IS NULL"
        ),
        rusqlite::params![number, at],
    )
    .unwrap();
}

fn key(item: &Item) -> String {
    match item {
        Item::Message(m) => m
            .sid
            .clone()
            .unwrap_or_else(|| format!("outbox:{}", m.outbox_id.unwrap_or_default())),
        Item::Call(c) => c.sid.clone(),
        Item::Voicemail(v) => v.sid.clone(),
    }
}

mod paging;
