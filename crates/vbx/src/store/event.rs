//! The event feed: what the browser is told, written in the same transaction as the change it
//! describes so that a socket resuming from a cursor misses nothing. Rows are replayed by id.

use serde_json::{json, Map, Value};
use sqlx::{QueryBuilder, Sqlite, SqliteExecutor};

use super::history::{self, Located};
use super::{sql_limit, Context, Result};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EventRow {
    /// The cursor.
    pub id: i64,
    /// `message`, `call`, `voicemail`, `unread`, `deleted`, `contact`.
    #[sqlx(rename = "type")]
    pub kind: String,
    /// The thread it concerns.
    pub number: Option<String>,
    /// A JSON object: the frame's fields besides `type`, `cursor` and `number`.
    pub payload: String,
    pub at: i64,
}

impl EventRow {
    /// The WebSocket frame: `{"type", "cursor", "number", …payload}`.
    ///
    /// The three fields are written in front of the payload's members: this runs on a tokio
    /// worker for every event stored, where parsing the payload and writing it again costs
    /// about 6 % of their time for a text. [`append`] writes the payload from a JSON object,
    /// whose keys are never these three. Anything else is parsed.
    pub fn frame(&self) -> String {
        let Some(members) = self
            .payload
            .strip_prefix('{')
            .and_then(|rest| rest.strip_suffix('}'))
        else {
            return self.frame_parsed();
        };
        let mut frame = String::with_capacity(self.payload.len() + 64);
        frame.push_str("{\"type\":");
        frame.push_str(&Value::from(self.kind.as_str()).to_string());
        frame.push_str(",\"cursor\":");
        frame.push_str(&self.id.to_string());
        if let Some(number) = &self.number {
            frame.push_str(",\"number\":");
            frame.push_str(&Value::from(number.as_str()).to_string());
        }
        if !members.trim().is_empty() {
            frame.push(',');
            frame.push_str(members);
        }
        frame.push('}');
        frame
    }

    /// [`EventRow::frame`] the long way, for a payload that is not an object's text.
    fn frame_parsed(&self) -> String {
        let mut object = match serde_json::from_str::<Value>(&self.payload) {
            Ok(Value::Object(object)) => object,
            _ => Map::new(),
        };
        object.insert("type".into(), json!(self.kind));
        object.insert("cursor".into(), json!(self.id));
        if let Some(number) = &self.number {
            object.insert("number".into(), json!(number));
        }
        Value::Object(object).to_string()
    }
}

/// Appends an event.
const INSERT: &str = "INSERT INTO events (type, number, payload, at) VALUES ($1, $2, $3, $4)";

/// The newest cursor (0 before the first event).
pub async fn latest_id(exec: impl SqliteExecutor<'_>) -> Result<i64> {
    sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(id), 0) FROM events")
        .fetch_one(exec)
        .await
        .op("latest event")
}

/// The oldest cursor still kept, if any.
pub async fn oldest_id(exec: impl SqliteExecutor<'_>) -> Result<Option<i64>> {
    sqlx::query_scalar::<_, Option<i64>>("SELECT MIN(id) FROM events")
        .fetch_one(exec)
        .await
        .op("oldest event")
}

/// Up to `limit` events after `cursor`, oldest first.
pub async fn after(
    exec: impl SqliteExecutor<'_>,
    cursor: i64,
    limit: u32,
) -> Result<Vec<EventRow>> {
    sqlx::query_as::<_, EventRow>("SELECT * FROM events WHERE id > $1 ORDER BY id LIMIT $2")
        .bind(cursor)
        .bind(sql_limit(limit))
        .fetch_all(exec)
        .await
        .op("events after")
}

/// The statement of [`Store::prune_events`].
const PRUNE: &str = "DELETE FROM events WHERE id < COALESCE(\
        (SELECT id FROM events WHERE at >= ?1 ORDER BY id LIMIT 1), \
        (SELECT MAX(id) FROM events))";

impl super::Store {
    /// Forgets the events older than `before_ms`, always keeping the newest: the next id is the
    /// largest plus one, so cursors never go back.
    ///
    /// Events are appended as they happen, so `at` grows with `id` (unless the clock went back):
    /// this deletes the oldest ids up to the first event at or after `before_ms`, reading only the
    /// rows it deletes (no index on `at`, which every append would write: migration 0010). An old
    /// event after a recent one, from a clock that went back, goes in a later prune.
    pub async fn prune_events(&self, before_ms: i64) -> Result<u64> {
        self.write(move |conn| blocking::prune(conn, before_ms))
            .await
    }
}

fn arrived_payload(located: &Located, unread: i64, total: i64) -> Value {
    json!({ "item": located.item, "unread": unread, "total": total })
}

/// `SELECT total, unread` for `number`: the counts of [`blocking::unread_changed`]. Its parameters, in
/// order: the `hidden` numbers, `number`.
fn unread_counts<'a>(number: &'a str, hidden: &'a [String]) -> QueryBuilder<'a, Sqlite> {
    let mut sql = QueryBuilder::<Sqlite>::new("SELECT ");
    history::push_unread_total(&mut sql, hidden);
    sql.push(", ");
    history::push_unread(&mut sql, number);
    sql
}

/// The same writes for the writer thread (see `store::writer`).
pub mod blocking {
    use rusqlite::{params, params_from_iter, Connection, ToSql};
    use serde_json::{json, Value};

    use super::EventRow;
    use crate::store::call::NewCall;
    use crate::store::history::{self, blocking as items, Located};
    use crate::store::message::blocking::Recorded;
    use crate::store::message::NewMessage;
    use crate::store::{Context, Result};

    /// Appends an event. The row is made from what was inserted and the new rowid, not with
    /// `RETURNING` (SQLite gathers the rows of a `RETURNING` statement in a temporary table
    /// first, on the busiest write path).
    pub fn append(
        conn: &Connection,
        kind: &str,
        number: Option<&str>,
        payload: &Value,
        at: i64,
    ) -> Result<EventRow> {
        let op = "append event";
        let payload = payload.to_string();
        conn.prepare_cached(super::INSERT)
            .op(op)?
            .execute(params![kind, number, payload, at])
            .op(op)?;
        Ok(EventRow {
            id: conn.last_insert_rowid(),
            kind: kind.to_owned(),
            number: number.map(ToOwned::to_owned),
            payload,
            at,
        })
    }

    /// `{"type": message|call|voicemail, "item": …}` for an item of a thread.
    fn item_changed(conn: &Connection, located: &Located, at: i64) -> Result<EventRow> {
        append(
            conn,
            located.item.kind(),
            Some(&located.number),
            &json!({ "item": located.item }),
            at,
        )
    }

    /// [`super::message_changed`].
    pub fn message_changed(conn: &Connection, sid: &str, at: i64) -> Result<Option<EventRow>> {
        items::message_item(conn, sid)?
            .map(|located| item_changed(conn, &located, at))
            .transpose()
    }

    /// The event for a text that was just stored: its item with the unread counts it changed,
    /// `{"type": "message", "item": …, "unread": N, "total": N}` (one row where a message event
    /// and an unread event would be two; none for a status-only stub).
    pub fn message_arrived(
        conn: &Connection,
        sid: &str,
        hidden: &[String],
        at: i64,
    ) -> Result<Option<EventRow>> {
        items::message_item(conn, sid)?
            .map(|located| arrived(conn, &located, hidden, at))
            .transpose()
    }

    /// [`message_arrived`] for `message`, which [`message::blocking::record_message_in`]
    /// just recorded as `recorded`: an inbound text stored as a new row is not read back
    /// (reading it costs about 9 % of the writer thread's time for a text).
    pub fn text_recorded(
        conn: &Connection,
        message: &NewMessage,
        recorded: Recorded,
        hidden: &[String],
        at: i64,
    ) -> Result<Option<EventRow>> {
        match recorded {
            Recorded::Unchanged => Ok(None),
            Recorded::Inserted => match history::inbound_text_item(message) {
                Some(located) => arrived(conn, &located, hidden, at).map(Some),
                None => message_arrived(conn, &message.sid, hidden, at),
            },
            Recorded::Filled => message_arrived(conn, &message.sid, hidden, at),
        }
    }

    /// The `message` event for a text that arrived, with the unread counts it changed.
    fn arrived(
        conn: &Connection,
        located: &Located,
        hidden: &[String],
        at: i64,
    ) -> Result<EventRow> {
        let (total, unread) = counts(conn, &located.number, hidden)?;
        let payload = super::arrived_payload(located, unread, total);
        append(
            conn,
            located.item.kind(),
            Some(&located.number),
            &payload,
            at,
        )
    }

    /// [`super::Store::prune_events`]'s statement.
    pub fn prune(conn: &Connection, before_ms: i64) -> Result<u64> {
        let op = "prune events";
        let done = conn
            .prepare_cached(super::PRUNE)
            .op(op)?
            .execute(params![before_ms])
            .op(op)?;
        Ok(u64::try_from(done).unwrap_or(u64::MAX))
    }

    /// The unread counts of `number`: `(total, unread)`.
    fn counts(conn: &Connection, number: &str, hidden: &[String]) -> Result<(i64, i64)> {
        let op = "count unread";
        let sql = super::unread_counts(number, hidden);
        let mut values: Vec<&dyn ToSql> = hidden.iter().map(|h| h as &dyn ToSql).collect();
        values.push(&number);
        conn.prepare_cached(sql.sql())
            .op(op)?
            .query_row(params_from_iter(values), |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .op(op)
    }

    /// [`super::voicemail_changed`].
    pub fn voicemail_changed(conn: &Connection, sid: &str, at: i64) -> Result<Option<EventRow>> {
        items::voicemail_item(conn, sid)?
            .map(|located| item_changed(conn, &located, at))
            .transpose()
    }

    /// The event for a top-level call that was stored or changed (none for a `<Dial>` leg).
    pub fn call_changed(conn: &Connection, sid: &str, at: i64) -> Result<Option<EventRow>> {
        items::call_item(conn, sid)?
            .map(|located| item_changed(conn, &located, at))
            .transpose()
    }

    /// [`call_changed`] for `call`, which `call::blocking::record_call` just inserted as a
    /// new row: a live top-level call is not read back ([`history::new_call_item`]).
    pub fn call_recorded(conn: &Connection, call: &NewCall, at: i64) -> Result<Option<EventRow>> {
        match history::new_call_item(call) {
            Some(located) => item_changed(conn, &located, at).map(Some),
            None => call_changed(conn, &call.sid, at),
        }
    }

    /// The event for an SMS outbox row that is queued or was refused.
    pub fn outbox_changed(conn: &Connection, id: i64, at: i64) -> Result<Option<EventRow>> {
        items::outbox_item(conn, id)?
            .map(|located| item_changed(conn, &located, at))
            .transpose()
    }

    /// `{"type": "unread", "unread": N, "total": N}` for `number`; `hidden` numbers do not count
    /// towards the total.
    /// The counts, then an [`append`] (one read and a plain
    /// insert cost the writer thread less than one `INSERT … SELECT … RETURNING`).
    pub fn unread_changed(
        conn: &Connection,
        number: &str,
        hidden: &[String],
        at: i64,
    ) -> Result<EventRow> {
        let (total, unread) = counts(conn, number, hidden)?;
        append(
            conn,
            "unread",
            Some(number),
            &json!({ "total": total, "unread": unread }),
            at,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::{conn, conn_at, store};

    #[tokio::test]
    async fn events_get_increasing_cursors_and_replay_in_order() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        assert_eq!(latest_id(store.pool()).await.unwrap(), 0);
        let mut ids = Vec::new();
        for i in 0..5 {
            let row =
                blocking::append(&db, "call", Some("+15550001111"), &json!({"i": i}), i).unwrap();
            ids.push(row.id);
        }
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        assert_eq!(latest_id(store.pool()).await.unwrap(), ids[4]);
        let replay = after(store.pool(), ids[1], 2).await.unwrap();
        let got: Vec<i64> = replay.iter().map(|r| r.id).collect();
        assert_eq!(got, [ids[2], ids[3]]);
    }

    #[tokio::test]
    async fn a_frame_carries_type_cursor_number_and_the_payload() {
        let (_dir, _store) = store().await;
        let db = conn(&_dir);
        let row = blocking::append(
            &db,
            "unread",
            Some("+15550001111"),
            &json!({"unread": 2, "total": 5}),
            9,
        )
        .unwrap();
        let frame: Value = serde_json::from_str(&row.frame()).unwrap();
        assert_eq!(
            frame,
            json!({"type": "unread", "cursor": row.id, "number": "+15550001111", "unread": 2, "total": 5})
        );
    }

    #[test]
    fn a_spliced_frame_says_what_the_parsed_frame_says() {
        let payloads = [
            json!({}).to_string(),
            json!({"unread": 2, "total": 5}).to_string(),
            json!({"item": {"kind": "message", "body": "a \"quote\" }, {"}, "unread": 0})
                .to_string(),
            json!({"name": null}).to_string(),
            " { } ".to_owned(),
        ];
        for payload in payloads {
            for number in [None, Some("+1555\"0001111")] {
                let row = EventRow {
                    id: 42,
                    kind: "mess\\age".into(),
                    number: number.map(Into::into),
                    payload: payload.clone(),
                    at: 1,
                };
                let spliced: Value = serde_json::from_str(&row.frame()).unwrap();
                let parsed: Value = serde_json::from_str(&row.frame_parsed()).unwrap();
                assert_eq!(spliced, parsed, "{payload} {number:?}");
            }
        }
        let odd = EventRow {
            id: 7,
            kind: "call".into(),
            number: None,
            payload: "[1]".into(),
            at: 1,
        };
        let frame: Value = serde_json::from_str(&odd.frame()).unwrap();
        assert_eq!(frame, json!({"type": "call", "cursor": 7}));
    }

    #[tokio::test]
    async fn pruning_forgets_the_old_events_before_the_first_recent_one() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        // The clock went back once: the event at 50 comes after one at 200.
        for at in [10, 20, 200, 50, 300] {
            blocking::append(&db, "call", None, &json!({ "at": at }), at).unwrap();
        }
        assert_eq!(blocking::prune(&db, 100).unwrap(), 2);
        let kept: Vec<i64> = after(store.pool(), 0, 10)
            .await
            .unwrap()
            .iter()
            .map(|row| row.at)
            .collect();
        assert_eq!(kept, [200, 50, 300]);
    }

    #[tokio::test]
    async fn migration_10_keeps_every_event_and_its_cursor() {
        use crate::store::test_support::{database_before, migrate};
        let dir = tempfile::tempdir().unwrap();
        let pool = database_before(dir.path(), 10).await;
        let db = conn_at(dir.path());
        for at in 1..=5 {
            blocking::append(&db, "call", Some("+15550001111"), &json!({ "n": at }), at).unwrap();
        }
        // AUTOINCREMENT remembered 5; only the newest is left, as after a prune.
        assert_eq!(blocking::prune(&db, 100).unwrap(), 4);
        let before = after(&pool, 0, 10).await.unwrap();
        migrate(&pool, 10..=10).await;
        assert_eq!(after(&pool, 0, 10).await.unwrap(), before);
        let next = blocking::append(&db, "call", None, &json!({}), 6).unwrap();
        assert_eq!(next.id, 6);
        let schema: String = sqlx::query_scalar(
            "SELECT group_concat(sql, ';') FROM sqlite_schema WHERE tbl_name = 'events'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(!schema.contains("AUTOINCREMENT"), "{schema}");
        assert!(!schema.contains("events_at"), "{schema}");
    }

    #[tokio::test]
    async fn pruning_keeps_the_newest_event_so_cursors_keep_growing() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        for at in [1, 2, 3] {
            blocking::append(&db, "call", None, &json!({}), at).unwrap();
        }
        assert_eq!(blocking::prune(&db, 100).unwrap(), 2);
        let newest = latest_id(store.pool()).await.unwrap();
        assert_eq!(oldest_id(store.pool()).await.unwrap(), Some(newest));
        let next = blocking::append(&db, "call", None, &json!({}), 4).unwrap();
        assert_eq!(next.id, newest + 1);
    }
}
