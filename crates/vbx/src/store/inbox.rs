//! What the user decides about whole conversations: archived (hidden from the inbox until
//! something new happens), blocked (calls rejected, texts stored without notifying anyone),
//! and read or unread. The tables are in `migrations/0011_inbox.sql`; the unread counts follow
//! the messages' `read_at` through the triggers of `0004_unread.sql`.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::json;
use sqlx::SqliteExecutor;

use crate::store::event::{blocking as feed, EventRow};
use crate::store::{Changes, Context, Result, Store};

/// A conversation's marks as the API shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Marks {
    /// Archived, and nothing newer happened since.
    pub archived: bool,
    pub blocked: bool,
}

const MARKS: &str = "SELECT m.archived_at IS NOT NULL AND m.archived_at >= \
        COALESCE((SELECT at FROM latest_activity WHERE number = m.number), 0), \
        m.blocked_at IS NOT NULL \
    FROM conversation_marks m WHERE m.number = ?1";

/// The marks of `number` now.
pub async fn marks(exec: impl SqliteExecutor<'_>, number: &str) -> Result<Marks> {
    let row = sqlx::query_as::<_, (bool, bool)>(MARKS)
        .bind(number)
        .fetch_optional(exec)
        .await
        .op("marks")?;
    Ok(
        row.map_or_else(Marks::default, |(archived, blocked)| Marks {
            archived,
            blocked,
        }),
    )
}

/// A blocked number, for the settings' list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Blocked {
    pub number: String,
    pub name: Option<String>,
    /// When it was blocked (ms).
    pub at: i64,
}

/// Every blocked number, most recently blocked first.
pub async fn blocked(exec: impl SqliteExecutor<'_>) -> Result<Vec<Blocked>> {
    sqlx::query_as::<_, Blocked>(
        "SELECT m.number, c.name, m.blocked_at AS at FROM conversation_marks m \
         LEFT JOIN contacts c ON c.number = m.number \
         WHERE m.blocked_at IS NOT NULL ORDER BY m.blocked_at DESC, m.number",
    )
    .fetch_all(exec)
    .await
    .op("blocked numbers")
}

/// A mark a user sets on a whole conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Hidden from the inbox until something newer happens.
    Archived,
    /// Calls rejected, texts stored without a flow.
    Blocked,
}

/// The user's decisions about conversations: each a use case of the store, run whole on the
/// writer thread, answering with the feed rows to publish. `hidden` numbers (forwarding
/// devices) do not count towards the unread total the rows carry.
impl Store {
    /// Marks the thread read, its texts and its voicemails.
    pub async fn mark_thread_read(
        &self,
        number: &str,
        hidden: &[String],
        now: i64,
    ) -> Result<Changes> {
        let (number, hidden) = (number.to_owned(), hidden.to_vec());
        self.write(move |conn| read(conn, &number, &hidden, now))
            .await
    }

    /// Marks the thread's newest incoming text unread again; `None` when it has none (a
    /// thread of calls only, or of texts sent).
    pub async fn mark_thread_unread(
        &self,
        number: &str,
        hidden: &[String],
        now: i64,
    ) -> Result<Option<Changes>> {
        let (number, hidden) = (number.to_owned(), hidden.to_vec());
        self.write(move |conn| {
            // The newest incoming text, through `messages_party` (the party of an incoming
            // text is its sender).
            let op = "mark unread";
            let done = conn
                .prepare_cached(concat!(
                    "UPDATE messages SET read_at = NULL WHERE sid = (SELECT sid FROM messages \
                     WHERE ",
                    message_party!(""),
                    " = ?1 AND direction = 'inbound' AND stub = 0 ORDER BY ",
                    message_party!(""),
                    " DESC, created_at DESC LIMIT 1)"
                ))
                .op(op)?
                .execute(params![number])
                .op(op)?;
            if done == 0 {
                return Ok(None);
            }
            let row = feed::unread_changed(conn, &number, &hidden, now)?;
            Ok(Some(Changes::of(row)))
        })
        .await
    }

    /// Sets the mark (at `now`) or clears it, and answers with the marks after. Setting
    /// either also marks the thread read: an archived or blocked conversation must not keep
    /// counting in the unread total where nobody sees it.
    pub async fn set_conversation_mark(
        &self,
        number: &str,
        mark: Mark,
        on: bool,
        hidden: &[String],
        now: i64,
    ) -> Result<(Marks, Changes)> {
        let (number, hidden) = (number.to_owned(), hidden.to_vec());
        self.write(move |conn| {
            let sql = match mark {
                Mark::Archived => {
                    "INSERT INTO conversation_marks (number, archived_at) VALUES (?1, ?2) \
                     ON CONFLICT (number) DO UPDATE SET archived_at = excluded.archived_at"
                }
                Mark::Blocked => {
                    "INSERT INTO conversation_marks (number, blocked_at) VALUES (?1, ?2) \
                     ON CONFLICT (number) DO UPDATE SET blocked_at = excluded.blocked_at"
                }
            };
            let op = "set conversation mark";
            conn.prepare_cached(sql)
                .op(op)?
                .execute(params![number, on.then_some(now)])
                .op(op)?;
            let mut out = if on {
                read(conn, &number, &hidden, now)?
            } else {
                Changes::default()
            };
            let marks = marks_now(conn, &number)?;
            out.push(Some(feed::append(
                conn,
                "marks",
                Some(&number),
                &json!({ "archived": marks.archived, "blocked": marks.blocked }),
                now,
            )?));
            Ok((marks, out))
        })
        .await
    }

    /// Marks every conversation read, and every voicemail heard; answers how many threads
    /// had unread texts.
    pub async fn mark_all_read(&self, hidden: &[String], now: i64) -> Result<(usize, Changes)> {
        let hidden = hidden.to_vec();
        self.write(move |conn| {
            // The kept counts name the threads with unread texts: each is then one range of
            // `messages_party`, instead of a scan of every message.
            let op = "threads with unread texts";
            let numbers = conn
                .prepare_cached("SELECT number FROM unread_counts WHERE n > 0")
                .op(op)?
                .query_map([], |row| row.get::<_, String>(0))
                .op(op)?
                .collect::<rusqlite::Result<Vec<String>>>()
                .op(op)?;
            let mut out = Changes::default();
            for number in &numbers {
                out.push(read_texts(conn, number, &hidden, now)?);
            }
            let op = "hear every voicemail";
            let heard = conn
                .prepare_cached("UPDATE recordings SET heard_at = ?1 WHERE heard_at IS NULL")
                .op(op)?
                .execute(params![now])
                .op(op)?;
            if heard > 0 {
                out.push(Some(voicemails_changed(conn, now)?));
            }
            Ok((numbers.len(), out))
        })
        .await
    }
}

/// Marks the thread read, its texts and its voicemails; the feed rows of what changed.
fn read(conn: &Connection, number: &str, hidden: &[String], now: i64) -> Result<Changes> {
    let mut out = Changes::default();
    out.push(read_texts(conn, number, hidden, now)?);
    // Through `recordings_unheard`: only the new voicemails are looked at, each with its call.
    let op = "hear voicemails";
    let heard = conn
        .prepare_cached(concat!(
            "UPDATE recordings SET heard_at = ?2 WHERE heard_at IS NULL AND (SELECT ",
            call_party!("c."),
            " FROM calls c WHERE c.sid = recordings.call_sid) = ?1"
        ))
        .op(op)?
        .execute(params![number, now])
        .op(op)?;
    if heard > 0 {
        out.push(Some(voicemails_changed(conn, now)?));
    }
    Ok(out)
}

/// Marks the thread's texts read; its feed row when any was unread.
pub(crate) fn read_texts(
    conn: &Connection,
    number: &str,
    hidden: &[String],
    now: i64,
) -> Result<Option<EventRow>> {
    // Through `messages_party`: the party of an incoming text is its sender.
    let op = "mark thread read";
    let done = conn
        .prepare_cached(concat!(
            "UPDATE messages SET read_at = ?2 WHERE ",
            message_party!(""),
            " = ?1 AND direction = 'inbound' AND read_at IS NULL"
        ))
        .op(op)?
        .execute(params![number, now])
        .op(op)?;
    if done == 0 {
        return Ok(None);
    }
    feed::unread_changed(conn, number, hidden, now).map(Some)
}

/// How many voicemails are new (not heard).
pub async fn new_voicemails(exec: impl SqliteExecutor<'_>) -> Result<i64> {
    sqlx::query_scalar(NEW_VOICEMAILS)
        .fetch_one(exec)
        .await
        .op("count new voicemails")
}

/// Through `recordings_unheard`: only the new recordings are read. A call recording is never
/// new (it is stored heard), unless a callback turned a voicemail into one.
pub(super) const NEW_VOICEMAILS: &str =
    "SELECT COUNT(*) FROM recordings WHERE heard_at IS NULL AND source = 'voicemail'";

/// `{"type": "voicemails", "new": N}`: the count of new voicemails changed.
pub(super) fn voicemails_changed(conn: &Connection, now: i64) -> Result<EventRow> {
    let op = "count new voicemails";
    let new: i64 = conn
        .prepare_cached(NEW_VOICEMAILS)
        .op(op)?
        .query_row([], |row| row.get(0))
        .op(op)?;
    feed::append(conn, "voicemails", None, &json!({ "new": new }), now)
}

/// [`marks`] on the writer's connection.
fn marks_now(conn: &Connection, number: &str) -> Result<Marks> {
    let op = "marks";
    let row = conn
        .prepare_cached(MARKS)
        .op(op)?
        .query_row(params![number], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()
        .op(op)?;
    Ok(
        row.map_or_else(Marks::default, |(archived, blocked)| Marks {
            archived,
            blocked,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::{feed, store};
    use crate::store::{call, message, recording};

    const ME: &str = "+18001234567";
    const ANN: &str = "+15550000001";
    const BOB: &str = "+15550000002";
    const ACCOUNT: &str = "AC00000000000000000000000000000000";

    async fn text_from(store: &Store, sid: &str, from: &str, at: i64) {
        let text = message::NewMessage {
            sid: sid.into(),
            account_sid: ACCOUNT.into(),
            from: from.into(),
            to: ME.into(),
            body: "hi".into(),
            direction: "inbound".into(),
            status: "received".into(),
            created_at_ms: at,
            media: vec![],
        };
        crate::store::test_support::record_text(store, text).await;
    }

    async fn voicemail_from(store: &Store, sid: &str, from: &str, at: i64) {
        let call = call::NewCall {
            sid: format!("CA{sid}"),
            account_sid: ACCOUNT.into(),
            from: from.into(),
            to: ME.into(),
            direction: "inbound".into(),
            status: "completed".into(),
            alias: None,
            parent_sid: None,
            started_at_ms: at,
        };
        store
            .write(move |conn| call::blocking::record_call(conn, &call))
            .await
            .unwrap();
        store
            .record_recording(
                &recording::RecordingUpdate {
                    sid: format!("RE{sid}"),
                    call_sid: format!("CA{sid}"),
                    url: "https://api.twilio.com/x".into(),
                    duration_s: Some(4),
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

    fn row(
        kind: &str,
        number: Option<&str>,
        payload: serde_json::Value,
    ) -> (String, Option<String>, serde_json::Value) {
        (kind.to_owned(), number.map(str::to_owned), payload)
    }

    #[tokio::test]
    async fn reading_a_thread_answers_its_new_counts_once_and_then_nothing() {
        let (_dir, store) = store().await;
        text_from(&store, "SM1", ANN, 1).await;
        text_from(&store, "SM2", ANN, 2).await;
        text_from(&store, "SM3", BOB, 3).await;
        voicemail_from(&store, "1", ANN, 4).await;

        let read = store.mark_thread_read(ANN, &[], 10).await.unwrap();
        assert_eq!(
            feed(&read),
            [
                row("unread", Some(ANN), json!({"total": 1, "unread": 0})),
                row("voicemails", None, json!({"new": 0})),
            ]
        );
        assert!(store
            .mark_thread_read(ANN, &[], 11)
            .await
            .unwrap()
            .feed
            .is_empty());

        // Unread again: the newest text of Ann's; none for a number that sent nothing.
        let unread = store.mark_thread_unread(ANN, &[], 12).await.unwrap();
        assert_eq!(
            feed(&unread.unwrap()),
            [row("unread", Some(ANN), json!({"total": 2, "unread": 1}))]
        );
        assert!(store
            .mark_thread_unread("+15550000009", &[], 13)
            .await
            .unwrap()
            .is_none());
        // Hidden numbers do not count towards the total.
        let all = store.mark_all_read(&[BOB.to_owned()], 14).await.unwrap();
        assert_eq!(all.0, 2, "Ann's and Bob's threads had unread texts");
        assert_eq!(
            feed(&all.1),
            [
                row("unread", Some(ANN), json!({"total": 0, "unread": 0})),
                row("unread", Some(BOB), json!({"total": 0, "unread": 0})),
            ]
        );
    }

    #[tokio::test]
    async fn archiving_reads_the_thread_and_answers_the_marks_after() {
        let (_dir, store) = store().await;
        text_from(&store, "SM1", ANN, 1).await;
        let (marks, changes) = store
            .set_conversation_mark(ANN, Mark::Archived, true, &[], 10)
            .await
            .unwrap();
        assert_eq!(
            marks,
            Marks {
                archived: true,
                blocked: false
            }
        );
        assert_eq!(
            feed(&changes),
            [
                row("unread", Some(ANN), json!({"total": 0, "unread": 0})),
                row(
                    "marks",
                    Some(ANN),
                    json!({"archived": true, "blocked": false})
                ),
            ]
        );
        let (marks, changes) = store
            .set_conversation_mark(ANN, Mark::Blocked, true, &[], 11)
            .await
            .unwrap();
        assert!(marks.archived && marks.blocked);
        assert_eq!(
            feed(&changes),
            [row(
                "marks",
                Some(ANN),
                json!({"archived": true, "blocked": true})
            )]
        );
        let (marks, _) = store
            .set_conversation_mark(ANN, Mark::Archived, false, &[], 12)
            .await
            .unwrap();
        assert_eq!(marks, super::marks(store.pool(), ANN).await.unwrap());
        assert!(!marks.archived && marks.blocked);
    }
}
