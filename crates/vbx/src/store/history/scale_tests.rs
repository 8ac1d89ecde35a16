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
            recording::blocking::upsert_recording(
                db,
                &recording::RecordingUpdate {
                    sid: rsid.clone(),
                    call_sid: call_sid.clone(),
                    url: "https://api.twilio.com/x".into(),
                    duration_s: None,
                    status: "completed".into(),
                    now_ms: at,
                },
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

#[tokio::test]
async fn a_thread_pages_one_by_one_through_items_of_every_kind_at_the_same_moment() {
    let (_dir, store) = store().await;
    let db = &conn(&_dir);
    let (pool, ann) = (store.pool(), PARTIES[0]);
    for at in [5, 7] {
        text(db, &format!("SM{at}a"), ann, ME, at);
        text(db, &format!("SM{at}b"), ME, ann, at);
        ring(db, &format!("CA{at}"), ann, "completed", at);
        voicemail(db, &format!("RE{at}"), &format!("CA{at}"), at);
        outbox::blocking::enqueue(db, "sms", &json!({"to": ann, "body": "q"}), None, at).unwrap();
    }
    text(db, "SMother", PARTIES[1], ME, 6);
    let mut conn = pool.acquire().await.unwrap();
    let all = thread(&mut conn, ann, None, 50).await.unwrap();
    let keys: Vec<_> = all.items.iter().map(key).collect();
    // Newest first; at the same moment, by key, descending.
    assert_eq!(
        keys,
        ["outbox:2", "SM7b", "SM7a", "RE7", "CA7", "outbox:1", "SM5b", "SM5a", "RE5", "CA5"]
    );
    for limit in [1, 3] {
        let mut paged = Vec::new();
        let mut cursor = None;
        loop {
            let page = thread(&mut conn, ann, cursor.as_ref(), limit)
                .await
                .unwrap();
            assert!(page.items.len() <= usize::try_from(limit).unwrap());
            paged.extend(page.items.iter().map(key));
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(paged, keys, "pages of {limit}");
    }
}

/// Every call of the log with `status`, a page of `limit` at a time.
async fn walk(pool: &SqlitePool, status: Option<&str>, limit: u32) -> Vec<String> {
    let mut query = CallLogQuery {
        status: status.map(str::to_owned),
        limit,
        ..Default::default()
    };
    let mut conn = pool.acquire().await.unwrap();
    let mut seen = Vec::new();
    loop {
        let page = call_log(&mut conn, &query).await.unwrap();
        assert!(page.items.len() <= usize::try_from(limit).unwrap());
        seen.extend(page.items.iter().map(|c| c.sid.clone()));
        match page.next {
            Some(next) => query.before = Some(next),
            None => return seen,
        }
    }
}

#[tokio::test]
async fn the_call_log_pages_through_calls_started_at_the_same_moment_with_their_first_voicemail() {
    let (_dir, store) = store().await;
    let db = &conn(&_dir);
    let pool = store.pool();
    for i in 0..7 {
        let status = if i % 2 == 0 { "completed" } else { "no-answer" };
        ring(
            db,
            &format!("CA{i}"),
            PARTIES[i % 3],
            status,
            100 + i64::try_from(i / 3).unwrap(),
        );
    }
    // Two recordings of one call: the log shows the first.
    voicemail(db, "RE2", "CA3", 130);
    voicemail(db, "RE1", "CA3", 120);
    let mut conn = pool.acquire().await.unwrap();
    let everything = ["CA6", "CA5", "CA4", "CA3", "CA2", "CA1", "CA0"];
    for limit in [1, 2, 50] {
        assert_eq!(
            walk(pool, None, limit).await,
            everything,
            "pages of {limit}"
        );
        assert_eq!(
            walk(pool, Some("no-answer"), limit).await,
            ["CA5", "CA3", "CA1"],
            "no-answer, pages of {limit}"
        );
    }
    let all = call_log(
        &mut conn,
        &CallLogQuery {
            limit: 50,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let recordings: Vec<_> = all
        .items
        .iter()
        .map(|c| c.recording.as_ref().map(|r| r.sid.as_str()))
        .collect();
    assert_eq!(
        recordings,
        [None, None, None, Some("RE1"), None, None, None]
    );
}

#[tokio::test]
async fn a_conversation_moves_back_when_its_newest_text_is_deleted_and_up_with_a_queued_one() {
    let (_dir, store) = store().await;
    let db = &conn(&_dir);
    let pool = store.pool();
    let (ann, bob) = (PARTIES[0], PARTIES[1]);
    text(db, "SM1", ann, ME, 10);
    text(db, "SM2", bob, ME, 20);
    text(db, "SM3", ann, ME, 30);
    let mut conn = pool.acquire().await.unwrap();
    let order = |page: Page<Conversation>| -> Vec<(String, i64)> {
        page.items
            .into_iter()
            .map(|c| (c.number, c.last.map(|l| l.at).unwrap_or_default()))
            .collect()
    };
    let q = ConversationQuery {
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        order(conversations(&mut conn, &q).await.unwrap()),
        [(ann.to_owned(), 30), (bob.to_owned(), 20)]
    );
    crate::store::texts::delete_message_in(db, "SM3")
        .unwrap()
        .unwrap();
    assert_eq!(
        order(conversations(&mut conn, &q).await.unwrap()),
        [(bob.to_owned(), 20), (ann.to_owned(), 10)]
    );
    let id = outbox::blocking::enqueue(db, "sms", &json!({"to": ann, "body": "q"}), None, 40)
        .unwrap()
        .unwrap();
    assert_eq!(
        order(conversations(&mut conn, &q).await.unwrap()),
        [(ann.to_owned(), 40), (bob.to_owned(), 20)]
    );
    // Sent: the queued row is no longer activity, the message it became is.
    outbox::blocking::mark_sent(db, id, Some("SM4"), 45).unwrap();
    text(db, "SM4", ME, ann, 44);
    assert_eq!(
        order(conversations(&mut conn, &q).await.unwrap()),
        [(ann.to_owned(), 44), (bob.to_owned(), 20)]
    );
}

/// The plan of `sql` as text, one detail per line, those of subqueries and parts of a
/// compound indented.
async fn plan(pool: &SqlitePool, sql: &str) -> String {
    let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
        .fetch_all(pool)
        .await
        .unwrap();
    rows.into_iter()
        .map(|(_, parent, _, detail)| {
            if parent == 0 {
                detail
            } else {
                format!("  {detail}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether the query as a whole is sorted in a temporary B-tree (a part of it may be, such as
/// a call's few recordings).
fn sorts_everything(plan: &str) -> bool {
    plan.lines().any(|line| line.starts_with("USE TEMP B-TREE"))
}

#[tokio::test]
async fn the_list_queries_read_pages_from_indexes_without_sorting_whole_tables() {
    let (_dir, store) = store().await;
    let pool = store.pool();
    let cursor = Some((5, "x".to_owned()));

    for query in [
        ConversationQuery {
            hidden: vec![PARTIES[3].into()],
            limit: 50,
            ..Default::default()
        },
        ConversationQuery {
            before: cursor.clone(),
            limit: 50,
            ..Default::default()
        },
        ConversationQuery {
            search: Some("ann 55".into()),
            limit: 50,
            ..Default::default()
        },
    ] {
        let plan = plan(pool, conversation_rows(&query).sql()).await;
        assert!(plan.contains("latest_activity_at"), "{plan}");
        assert!(!sorts_everything(&plan), "{plan}");
        // A filter lists the matching contacts once, rather than joining a contact's name to
        // every conversation walked before deciding.
        if query.search.is_some() {
            assert!(plan.contains("LIST SUBQUERY"), "{plan}");
        }
    }

    for (query, index) in [
        (CallLogQuery::default(), "calls_log"),
        (
            CallLogQuery {
                before: cursor.clone(),
                direction: Some(Direction::Inbound),
                ..Default::default()
            },
            "calls_log ((started_at,sid)<(?,?))",
        ),
        (
            CallLogQuery {
                status: Some("failed".into()),
                before: cursor.clone(),
                ..Default::default()
            },
            "calls_log_status (status=? AND (started_at,sid)<(?,?))",
        ),
        (
            CallLogQuery {
                outcome: Some("rejected".into()),
                before: cursor.clone(),
                ..Default::default()
            },
            "calls_blocked ((started_at,sid)<(?,?))",
        ),
    ] {
        let plan = plan(pool, call_log_rows(&query).sql()).await;
        assert!(plan.contains(index), "{index}:\n{plan}");
        assert!(!sorts_everything(&plan), "{plan}");
    }

    for sql in [&*THREAD_FIRST, &*THREAD_LATER, &*THREAD_NEWEST] {
        let plan = plan(pool, sql).await;
        // Each part is read in order from its own index and merged; none reads a whole table.
        assert!(plan.contains("MERGE (UNION ALL)"), "{plan}");
        for index in [
            "messages_party",
            "calls_party",
            "recordings_party",
            "outbox_sms_to",
        ] {
            assert!(plan.contains(index), "{index}:\n{plan}");
        }
        // The voicemails are not found through every call of the number.
        assert_eq!(plan.matches("calls_party").count(), 1, "{plan}");
        // Only the newest keys' own list of numbers and its per-number results are scanned.
        assert!(
            plan.lines()
                .filter(|l| l.contains("SCAN"))
                .all(|l| l.contains("VIRTUAL TABLE") || l.contains("SCAN (subquery")),
            "{plan}"
        );
        assert!(!sorts_everything(&plan), "{plan}");
    }
}

#[tokio::test]
async fn a_page_loaded_at_once_has_each_item_as_loaded_alone() {
    let (_dir, store) = store().await;
    let db = &conn(&_dir);
    let (pool, ann) = (store.pool(), PARTIES[0]);
    for (i, media) in [0usize, 2, 1, 3].into_iter().enumerate() {
        let at = i64::try_from(i).unwrap() * 10;
        message::blocking::record_message_in(
            db,
            &message::NewMessage {
                sid: format!("MM{i}"),
                account_sid: ACCOUNT.into(),
                from: ann.into(),
                to: ME.into(),
                body: format!("with {media} pictures"),
                direction: "inbound".into(),
                status: "received".into(),
                created_at_ms: at,
                media: (0..media)
                    .map(|m| message::NewMedia {
                        url: format!("https://api.twilio.com/{i}/{m}"),
                        content_type: if m % 2 == 0 { "image/png" } else { "image/gif" }.into(),
                    })
                    .collect(),
            },
        )
        .unwrap();
        ring(db, &format!("CA{i}"), ann, "no-answer", at + 1);
        voicemail(db, &format!("RE{i}"), &format!("CA{i}"), at + 2);
    }
    message::blocking::apply_message_status(db, "MM1", "failed", Some(30007), None, 15).unwrap();
    let queued =
        outbox::blocking::enqueue(db, "sms", &json!({"to": ann, "body": "later"}), None, 50)
            .unwrap()
            .unwrap();
    let refused = outbox::blocking::enqueue(db, "sms", &json!({"to": ann, "body": "no"}), None, 51)
        .unwrap()
        .unwrap();
    outbox::blocking::mark_failed(db, refused, "Twilio answered HTTP 400", 52).unwrap();

    let mut conn = pool.acquire().await.unwrap();
    for limit in [50, 5] {
        let page = thread(&mut conn, ann, None, limit).await.unwrap();
        assert_eq!(page.items.len(), usize::try_from(limit.min(14)).unwrap());
        for item in &page.items {
            let alone = match item {
                Item::Message(m) => match (&m.sid, m.outbox_id) {
                    (Some(sid), _) => message_item(&mut conn, sid).await.unwrap(),
                    (None, Some(id)) => outbox_item(&mut *conn, id).await.unwrap(),
                    (None, None) => panic!("{m:?}"),
                },
                Item::Call(c) => call_item(&mut *conn, &c.sid).await.unwrap(),
                Item::Voicemail(v) => voicemail_item(&mut *conn, &v.sid).await.unwrap(),
            };
            assert_eq!(alone.map(|l| l.item).as_ref(), Some(item));
        }
    }
    let page = thread(&mut conn, ann, None, 50).await.unwrap();
    let unsent: Vec<(Option<i64>, &str)> = page.items[..2]
        .iter()
        .map(|item| match item {
            Item::Message(m) => (m.outbox_id, m.status.as_str()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        unsent,
        [(Some(refused), "failed"), (Some(queued), "queued")]
    );
    let media: Vec<usize> = page
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Message(m) if m.sid.is_some() => Some(m.media.len()),
            _ => None,
        })
        .collect();
    assert_eq!(media, [3, 1, 2, 0]);
    let conversation = conversations(
        &mut conn,
        &ConversationQuery {
            limit: 5,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let last = conversation.items[0].last.as_ref().unwrap();
    assert_eq!(
        (last.kind, last.text.as_str(), last.at),
        ("message", "no", 51)
    );
}
