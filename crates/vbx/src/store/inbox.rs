//! What the user decides about whole conversations: archived (hidden from the inbox until
//! something new happens), blocked (calls rejected, texts stored without notifying anyone),
//! and read or unread. The tables are in `migrations/0011_inbox.sql`; the unread counts follow
//! the messages' `read_at` through the triggers of `0004_unread.sql`.

use serde::Serialize;
use sqlx::{SqliteConnection, SqliteExecutor};

use crate::store::event::{self as feed, EventRow};
use crate::store::{message, Context, Result};

/// A conversation's marks as the API shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Marks {
    /// Archived, and nothing newer happened since.
    pub archived: bool,
    pub blocked: bool,
}

/// The marks of `number` now.
pub async fn marks(exec: impl SqliteExecutor<'_>, number: &str) -> Result<Marks> {
    let row = sqlx::query_as::<_, (bool, bool)>(
        "SELECT m.archived_at IS NOT NULL AND m.archived_at >= \
                COALESCE((SELECT at FROM latest_activity WHERE number = m.number), 0), \
                m.blocked_at IS NOT NULL \
         FROM conversation_marks m WHERE m.number = $1",
    )
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

/// What a change of marks wrote: the feed rows to publish after the commit.
pub type Changed = Vec<EventRow>;

/// A mark a user sets on a whole conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Hidden from the inbox until something newer happens.
    Archived,
    /// Calls rejected, texts stored without a flow.
    Blocked,
}

/// Sets the mark (at `now`) or clears it. Setting either also marks the thread read: an
/// archived or blocked conversation must not keep counting in the unread total where nobody
/// sees it.
pub async fn set_mark(
    conn: &mut SqliteConnection,
    number: &str,
    mark: Mark,
    on: bool,
    hidden: &[String],
    now: i64,
) -> Result<Changed> {
    let sql = match mark {
        Mark::Archived => {
            "INSERT INTO conversation_marks (number, archived_at) VALUES ($1, $2) \
             ON CONFLICT (number) DO UPDATE SET archived_at = excluded.archived_at"
        }
        Mark::Blocked => {
            "INSERT INTO conversation_marks (number, blocked_at) VALUES ($1, $2) \
             ON CONFLICT (number) DO UPDATE SET blocked_at = excluded.blocked_at"
        }
    };
    sqlx::query(sql)
        .bind(number)
        .bind(on.then_some(now))
        .execute(&mut *conn)
        .await
        .op("set conversation mark")?;
    let mut out = Vec::new();
    if on {
        out.extend(read(conn, number, hidden, now).await?);
    }
    out.push(marks_changed(conn, number, now).await?);
    Ok(out)
}

/// Marks the thread's newest incoming text unread again; `None` when it has none (a thread
/// of calls only, or of texts sent).
pub async fn mark_unread(
    conn: &mut SqliteConnection,
    number: &str,
    hidden: &[String],
    now: i64,
) -> Result<Option<Changed>> {
    // The newest incoming text, through `messages_party` (the party of an incoming text is
    // its sender).
    let done = sqlx::query(concat!(
        "UPDATE messages SET read_at = NULL WHERE sid = (SELECT sid FROM messages WHERE ",
        message_party!(""),
        " = $1 AND direction = 'inbound' AND stub = 0 ORDER BY ",
        message_party!(""),
        " DESC, created_at DESC LIMIT 1)"
    ))
    .bind(number)
    .execute(&mut *conn)
    .await
    .op("mark unread")?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    Ok(Some(vec![
        feed::unread_changed(conn, number, hidden, now).await?,
    ]))
}

/// Marks every conversation read, and every voicemail heard; returns how many threads had
/// unread texts, and the feed.
pub async fn mark_all_read(
    conn: &mut SqliteConnection,
    hidden: &[String],
    now: i64,
) -> Result<(usize, Changed)> {
    // The kept counts name the threads with unread texts: each is then one range of
    // `messages_party`, instead of a scan of every message.
    let numbers = sqlx::query_scalar::<_, String>("SELECT number FROM unread_counts WHERE n > 0")
        .fetch_all(&mut *conn)
        .await
        .op("threads with unread texts")?;
    let mut out = Vec::new();
    for number in &numbers {
        out.extend(read_texts(conn, number, hidden, now).await?);
    }
    let heard = sqlx::query("UPDATE recordings SET heard_at = $1 WHERE heard_at IS NULL")
        .bind(now)
        .execute(&mut *conn)
        .await
        .op("hear every voicemail")?;
    if heard.rows_affected() > 0 {
        out.push(voicemails_changed(conn, now).await?);
    }
    Ok((numbers.len(), out))
}

/// Marks the thread read, its texts and its voicemails; the feed rows of what changed.
pub async fn read(
    conn: &mut SqliteConnection,
    number: &str,
    hidden: &[String],
    now: i64,
) -> Result<Changed> {
    let mut out: Changed = read_texts(conn, number, hidden, now)
        .await?
        .into_iter()
        .collect();
    // Through `recordings_unheard`: only the new voicemails are looked at, each with its call.
    let heard = sqlx::query(concat!(
        "UPDATE recordings SET heard_at = $2 WHERE heard_at IS NULL AND (SELECT ",
        call_party!("c."),
        " FROM calls c WHERE c.sid = recordings.call_sid) = $1"
    ))
    .bind(number)
    .bind(now)
    .execute(&mut *conn)
    .await
    .op("hear voicemails")?;
    if heard.rows_affected() > 0 {
        out.push(voicemails_changed(conn, now).await?);
    }
    Ok(out)
}

/// Marks the thread's texts read; its feed row when any was unread.
async fn read_texts(
    conn: &mut SqliteConnection,
    number: &str,
    hidden: &[String],
    now: i64,
) -> Result<Option<EventRow>> {
    if message::mark_thread_read(&mut *conn, number, now).await? == 0 {
        return Ok(None);
    }
    Ok(Some(feed::unread_changed(conn, number, hidden, now).await?))
}

/// How many voicemails are new (not heard).
pub async fn new_voicemails(exec: impl SqliteExecutor<'_>) -> Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM recordings WHERE heard_at IS NULL")
        .fetch_one(exec)
        .await
        .op("count new voicemails")
}

/// `{"type": "voicemails", "new": N}`: the count of new voicemails changed.
async fn voicemails_changed(conn: &mut SqliteConnection, now: i64) -> Result<EventRow> {
    let new = new_voicemails(&mut *conn).await?;
    feed::append(
        &mut *conn,
        "voicemails",
        None,
        &serde_json::json!({ "new": new }),
        now,
    )
    .await
}

/// `{"type": "marks", "number": …, "archived": …, "blocked": …}` for the other tabs.
async fn marks_changed(conn: &mut SqliteConnection, number: &str, now: i64) -> Result<EventRow> {
    let marks = marks(&mut *conn, number).await?;
    feed::append(
        &mut *conn,
        "marks",
        Some(number),
        &serde_json::json!({ "archived": marks.archived, "blocked": marks.blocked }),
        now,
    )
    .await
}
