//! Calls: recorded when the voice webhook runs, then moved along by status callbacks, which
//! Twilio may repeat or deliver out of order.

use sqlx::SqliteExecutor;

use super::{sql_limit, Context, Result};

/// Statuses after which a call is over; a status callback never moves a call out of them.
pub const FINAL_STATUSES: [&str; 5] = ["completed", "busy", "failed", "no-answer", "canceled"];

pub fn is_final(status: &str) -> bool {
    FINAL_STATUSES.contains(&status)
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CallRow {
    pub sid: String,
    pub account_sid: String,
    pub from_number: String,
    pub to_number: String,
    pub direction: String,
    pub status: String,
    /// The flow alias that answered the call, when vbx ran one.
    pub alias: Option<String>,
    pub parent_sid: Option<String>,
    pub duration_s: Option<i64>,
    pub last_sequence: Option<i64>,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewCall {
    pub sid: String,
    pub account_sid: String,
    pub from: String,
    pub to: String,
    pub direction: String,
    pub status: String,
    pub alias: Option<String>,
    pub parent_sid: Option<String>,
    pub started_at_ms: i64,
}

/// What a call status callback says.
#[derive(Debug, Clone)]
pub struct CallStatusUpdate {
    pub sid: String,
    pub account_sid: String,
    pub status: String,
    /// `SequenceNumber`; absent on callbacks that do not carry one.
    pub sequence: Option<u32>,
    pub duration_s: Option<i64>,
    pub timestamp_ms: i64,
    pub from: String,
    pub to: String,
    pub direction: String,
    /// `ParentCallSid`, for a `<Dial>` leg.
    pub parent_sid: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct CallQuery {
    /// Calls from or to this number.
    pub number: Option<String>,
    /// Only calls started strictly before this time (paging backwards).
    pub before_ms: Option<i64>,
    pub limit: u32,
}

const RECORD_CALL: &str =
    "INSERT INTO calls (sid, account_sid, from_number, to_number, direction, status, alias, \
         parent_sid, started_at, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9) \
     ON CONFLICT (sid) DO NOTHING";

/// [`RECORD_CALL`] with the path the call took in its first webhook (`$10`, JSON).
const RECORD_CALL_WITH_PATH: &str =
    "INSERT INTO calls (sid, account_sid, from_number, to_number, direction, status, alias, \
         parent_sid, started_at, created_at, updated_at, path) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9, $10) \
     ON CONFLICT (sid) DO NOTHING";

/// Appends `[key, what]` (`?2`, `?3`) to call `?1`'s path unless an entry has that key.
const ADD_TO_PATH: &str = "UPDATE calls \
    SET path = json_insert(COALESCE(path, '[]'), '$[#]', json_array(?2, ?3)) \
    WHERE sid = ?1 AND NOT EXISTS \
        (SELECT 1 FROM json_each(COALESCE(calls.path, '[]')) WHERE json_extract(value, '$[0]') = ?2)";

/// The statement of [`apply_call_status`]; its parameters in the order of the fields bound.
const APPLY_CALL_STATUS: &str = "INSERT INTO calls (sid, account_sid, from_number, \
        to_number, direction, status, parent_sid, duration_s, last_sequence, started_at, \
        ended_at, created_at, updated_at) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, \
        CASE WHEN ?11 THEN ?10 ELSE NULL END, ?10, ?10) \
    ON CONFLICT (sid) DO UPDATE SET \
        status = excluded.status, \
        duration_s = COALESCE(excluded.duration_s, calls.duration_s), \
        last_sequence = COALESCE(excluded.last_sequence, calls.last_sequence), \
        parent_sid = COALESCE(calls.parent_sid, excluded.parent_sid), \
        ended_at = CASE WHEN ?11 THEN excluded.updated_at ELSE calls.ended_at END, \
        updated_at = excluded.updated_at \
    WHERE NOT (calls.last_sequence IS NOT NULL AND excluded.last_sequence IS NOT NULL \
               AND excluded.last_sequence <= calls.last_sequence) \
      AND NOT (calls.status IN ('completed', 'busy', 'failed', 'no-answer', 'canceled') \
               AND NOT ?11)";

pub async fn get_call(exec: impl SqliteExecutor<'_>, sid: &str) -> Result<Option<CallRow>> {
    sqlx::query_as::<_, CallRow>("SELECT * FROM calls WHERE sid = $1")
        .bind(sid)
        .fetch_optional(exec)
        .await
        .op("get_call")
}

/// Calls, newest first.
pub async fn list_calls(exec: impl SqliteExecutor<'_>, query: &CallQuery) -> Result<Vec<CallRow>> {
    sqlx::query_as::<_, CallRow>(
        "SELECT * FROM calls \
         WHERE ($1 IS NULL OR from_number = $1 OR to_number = $1) \
           AND ($2 IS NULL OR started_at < $2) \
         ORDER BY started_at DESC, sid DESC \
         LIMIT $3",
    )
    .bind(&query.number)
    .bind(query.before_ms)
    .bind(sql_limit(query.limit))
    .fetch_all(exec)
    .await
    .op("list_calls")
}

/// The same writes for the writer thread (see `store::writer`).
pub mod blocking {
    use rusqlite::{params, Connection};

    use super::{CallStatusUpdate, NewCall};
    use crate::store::{Context, Result};

    /// Marks a call from a blocked number as such (its TwiML rejected it).
    pub fn mark_blocked(conn: &Connection, sid: &str) -> Result<()> {
        conn.prepare_cached("UPDATE calls SET blocked = 1 WHERE sid = ?1")
            .op("mark blocked call")?
            .execute(params![sid])
            .op("mark blocked call")?;
        Ok(())
    }

    /// Keeps how a call's `<Dial>` ended (its action's `DialCallStatus`) and, when it was
    /// answered, who picked up (`answered_to`) and the talk time. A retried action changes
    /// nothing more; the first answer of a call stays its answer. Returns whether the call is
    /// known.
    pub fn record_dial(
        conn: &Connection,
        sid: &str,
        dial_status: &str,
        answered_to: Option<&str>,
        talk_s: Option<i64>,
    ) -> Result<bool> {
        let op = "record dial";
        let changed = conn
            .prepare_cached(
                "UPDATE calls SET dial_status = ?2, \
                   talk_s = CASE WHEN answered_to IS NULL AND ?3 IS NOT NULL THEN ?4 \
                     ELSE talk_s END, \
                   answered_to = COALESCE(answered_to, ?3) \
                 WHERE sid = ?1",
            )
            .op(op)?
            .execute(params![sid, dial_status, answered_to, talk_s])
            .op(op)?;
        Ok(changed > 0)
    }

    /// Applies a status callback, creating the call if vbx never saw it (a `<Dial>` leg).
    ///
    /// Returns `false` when the update was ignored: its sequence number is not above the stored
    /// one (a late or repeated callback), or it would move a finished call back to a live status.
    pub fn apply_call_status(conn: &Connection, update: &CallStatusUpdate) -> Result<bool> {
        let op = "apply_call_status";
        let changed = conn
            .prepare_cached(super::APPLY_CALL_STATUS)
            .op(op)?
            .execute(params![
                update.sid,
                update.account_sid,
                update.from,
                update.to,
                update.direction,
                update.status,
                update.parent_sid,
                update.duration_s,
                update.sequence.map(i64::from),
                update.timestamp_ms,
                super::is_final(&update.status),
            ])
            .op(op)?;
        Ok(changed == 1)
    }

    /// Stores a new call. A repeated SID (Twilio retrying the webhook) changes nothing and
    /// returns `false`.
    pub fn record_call(conn: &Connection, call: &NewCall) -> Result<bool> {
        let op = "record_call";
        let changed = conn
            .prepare_cached(super::RECORD_CALL)
            .op(op)?
            .execute(params![
                call.sid,
                call.account_sid,
                call.from,
                call.to,
                call.direction,
                call.status,
                call.alias,
                call.parent_sid,
                call.started_at_ms,
            ])
            .op(op)?;
        Ok(changed == 1)
    }

    /// [`record_call`] with `path` (`[key, what]` pairs) as the call's path so far.
    pub fn record_call_with_path(
        conn: &Connection,
        call: &NewCall,
        path: &[(&str, &str)],
    ) -> Result<bool> {
        if path.is_empty() {
            return record_call(conn, call);
        }
        let op = "record_call";
        let json = serde_json::Value::Array(
            path.iter()
                .map(|(key, what)| serde_json::json!([key, what]))
                .collect(),
        )
        .to_string();
        let changed = conn
            .prepare_cached(super::RECORD_CALL_WITH_PATH)
            .op(op)?
            .execute(params![
                call.sid,
                call.account_sid,
                call.from,
                call.to,
                call.direction,
                call.status,
                call.alias,
                call.parent_sid,
                call.started_at_ms,
                json,
            ])
            .op(op)?;
        Ok(changed == 1)
    }

    /// Appends `what` to call `sid`'s path unless an entry with `key` is there; `false` when
    /// nothing changed (a retried webhook, or a call vbx does not have).
    pub fn add_to_path(conn: &Connection, sid: &str, key: &str, what: &str) -> Result<bool> {
        let changed = conn
            .prepare_cached(super::ADD_TO_PATH)
            .op("add_to_path")?
            .execute(params![sid, key, what])
            .op("add_to_path")?;
        Ok(changed == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::{conn, store};

    const SID: &str = "CA00000000000000000000000000000001";

    fn new_call(sid: &str, from: &str, started_at_ms: i64) -> NewCall {
        NewCall {
            sid: sid.into(),
            account_sid: "AC00000000000000000000000000000000".into(),
            from: from.into(),
            to: "+18001234567".into(),
            direction: "inbound".into(),
            status: "ringing".into(),
            alias: Some("default".into()),
            parent_sid: None,
            started_at_ms,
        }
    }

    fn update(status: &str, sequence: Option<u32>, timestamp_ms: i64) -> CallStatusUpdate {
        CallStatusUpdate {
            sid: SID.into(),
            account_sid: "AC00000000000000000000000000000000".into(),
            status: status.into(),
            sequence,
            duration_s: None,
            timestamp_ms,
            from: "+15550001111".into(),
            to: "+18001234567".into(),
            direction: "inbound".into(),
            parent_sid: None,
        }
    }

    #[tokio::test]
    async fn a_repeated_call_sid_is_recorded_once_and_unchanged() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        assert!(blocking::record_call(&db, &new_call(SID, "+15550001111", 1_000)).unwrap());
        let mut again = new_call(SID, "+15559999999", 2_000);
        again.alias = Some("other".into());
        assert!(!blocking::record_call(&db, &again).unwrap());

        let row = get_call(store.pool(), SID).await.unwrap().unwrap();
        assert_eq!(row.from_number, "+15550001111");
        assert_eq!(row.alias.as_deref(), Some("default"));
        assert_eq!(row.started_at, 1_000);
        let all = list_calls(
            store.pool(),
            &CallQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(all.len(), 1);
    }

    #[tokio::test]
    async fn a_late_callback_with_a_lower_sequence_is_ignored() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        blocking::record_call(&db, &new_call(SID, "+15550001111", 1_000)).unwrap();
        assert!(blocking::apply_call_status(&db, &update("in-progress", Some(3), 3_000)).unwrap());
        assert!(!blocking::apply_call_status(&db, &update("ringing", Some(1), 2_000)).unwrap());
        let row = get_call(store.pool(), SID).await.unwrap().unwrap();
        assert_eq!(row.status, "in-progress");
        assert_eq!(row.last_sequence, Some(3));
        assert_eq!(row.updated_at, 3_000);
    }

    #[tokio::test]
    async fn a_repeated_callback_is_not_applied_twice() {
        let (_dir, _store) = store().await;
        let db = conn(&_dir);
        assert!(blocking::apply_call_status(&db, &update("ringing", Some(1), 2_000)).unwrap());
        assert!(!blocking::apply_call_status(&db, &update("ringing", Some(1), 2_000)).unwrap());
    }

    #[tokio::test]
    async fn no_final_status_ever_regresses_to_a_live_one() {
        for final_status in FINAL_STATUSES {
            let (_dir, store) = store().await;
            let db = conn(&_dir);
            blocking::record_call(&db, &new_call(SID, "+15550001111", 1_000)).unwrap();
            let mut done = update(final_status, None, 5_000);
            done.duration_s = Some(42);
            assert!(blocking::apply_call_status(&db, &done).unwrap());
            // Even a higher sequence number cannot revive the call.
            assert!(
                !blocking::apply_call_status(&db, &update("in-progress", Some(9), 6_000)).unwrap(),
                "{final_status} regressed"
            );
            let row = get_call(store.pool(), SID).await.unwrap().unwrap();
            assert_eq!(row.status, final_status);
            assert_eq!(row.ended_at, Some(5_000));
            assert_eq!(row.duration_s, Some(42));
        }
    }

    #[tokio::test]
    async fn a_callback_for_an_unknown_dial_leg_creates_the_call() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        let mut leg = update("completed", Some(2), 7_000);
        leg.sid = "CA00000000000000000000000000000002".into();
        leg.parent_sid = Some(SID.into());
        leg.direction = "outbound-dial".into();
        leg.duration_s = Some(12);
        assert!(blocking::apply_call_status(&db, &leg).unwrap());

        let row = get_call(store.pool(), &leg.sid).await.unwrap().unwrap();
        assert_eq!(row.status, "completed");
        assert_eq!(row.parent_sid.as_deref(), Some(SID));
        assert_eq!(row.direction, "outbound-dial");
        assert_eq!(row.duration_s, Some(12));
        assert_eq!(row.last_sequence, Some(2));
        assert_eq!(row.started_at, 7_000);
        assert_eq!(row.ended_at, Some(7_000));
        assert_eq!(row.alias, None);
    }

    #[tokio::test]
    async fn a_callback_without_duration_keeps_the_known_duration() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        let mut done = update("completed", Some(4), 5_000);
        done.duration_s = Some(30);
        blocking::apply_call_status(&db, &done).unwrap();
        assert!(blocking::apply_call_status(&db, &update("completed", Some(5), 5_500)).unwrap());
        let row = get_call(store.pool(), SID).await.unwrap().unwrap();
        assert_eq!(row.duration_s, Some(30));
        assert_eq!(row.last_sequence, Some(5));
    }

    #[tokio::test]
    async fn list_calls_filters_by_number_and_pages_newest_first() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        for i in 0..5i64 {
            let from = if i % 2 == 0 {
                "+15550000000"
            } else {
                "+15551111111"
            };
            let sid = format!("CA{:032}", i);
            blocking::record_call(&db, &new_call(&sid, from, 1_000 + i)).unwrap();
        }
        let mine = list_calls(
            store.pool(),
            &CallQuery {
                number: Some("+15550000000".into()),
                before_ms: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
        let times: Vec<i64> = mine.iter().map(|c| c.started_at).collect();
        assert_eq!(times, [1_004, 1_002, 1_000]);

        let page = list_calls(
            store.pool(),
            &CallQuery {
                number: None,
                before_ms: Some(1_003),
                limit: 2,
            },
        )
        .await
        .unwrap();
        let times: Vec<i64> = page.iter().map(|c| c.started_at).collect();
        assert_eq!(times, [1_002, 1_001]);

        // The called number matches too.
        let to_me = list_calls(
            store.pool(),
            &CallQuery {
                number: Some("+18001234567".into()),
                before_ms: None,
                limit: 100,
            },
        )
        .await
        .unwrap();
        assert_eq!(to_me.len(), 5);
    }
}
