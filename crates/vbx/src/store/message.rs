//! Messages (SMS/MMS) and their media, recorded from webhooks and REST sends and moved along by
//! status callbacks, whose statuses only ever move forward.

use sqlx::SqliteExecutor;

use super::{Context, Result};

/// The forward order of message statuses as a SQL expression over `$col`: a status callback is
/// applied only if its rank is above the stored one. Unknown statuses rank lowest, so a
/// status Twilio adds later is stored but never overrides a known one.
macro_rules! status_rank {
    ($col:literal) => {
        concat!(
            "(CASE ",
            $col,
            " WHEN 'accepted' THEN 0 WHEN 'scheduled' THEN 0 \
              WHEN 'queued' THEN 1 WHEN 'receiving' THEN 1 \
              WHEN 'sending' THEN 2 \
              WHEN 'sent' THEN 3 WHEN 'received' THEN 3 \
              WHEN 'delivered' THEN 4 WHEN 'undelivered' THEN 4 WHEN 'failed' THEN 4 \
              WHEN 'canceled' THEN 4 WHEN 'partially_delivered' THEN 4 \
              WHEN 'read' THEN 5 \
              ELSE -1 END)"
        )
    };
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MessageRow {
    pub sid: String,
    pub account_sid: String,
    pub from_number: String,
    pub to_number: String,
    pub body: String,
    /// `inbound`, `outbound-api`, `outbound-reply`, …
    pub direction: String,
    pub status: String,
    pub num_media: i64,
    pub error_code: Option<i64>,
    pub error_message: Option<String>,
    /// Only a status callback has been seen for this SID so far: addresses and body are empty
    /// until the message itself is recorded.
    pub stub: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub read_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MediaRow {
    pub message_sid: String,
    pub idx: i64,
    pub url: String,
    pub content_type: String,
    /// Where vbx keeps its own copy, once downloaded.
    pub local_path: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewMessage {
    pub sid: String,
    pub account_sid: String,
    pub from: String,
    pub to: String,
    pub body: String,
    pub direction: String,
    pub status: String,
    pub created_at_ms: i64,
    /// In order (`MediaUrl0`, `MediaUrl1`, …).
    pub media: Vec<NewMedia>,
}

#[derive(Debug, Clone)]
pub struct NewMedia {
    pub url: String,
    pub content_type: String,
}

/// Inserts a message, or fills in a status-only stub (see [`record_message`]).
const RECORD_MESSAGE: &str = concat!(
    "INSERT INTO messages (sid, account_sid, from_number, to_number, body, direction, \
         status, num_media, stub, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $9) \
     ON CONFLICT (sid) DO UPDATE SET \
         account_sid = excluded.account_sid, \
         from_number = excluded.from_number, \
         to_number = excluded.to_number, \
         body = excluded.body, \
         direction = excluded.direction, \
         status = CASE WHEN ",
    status_rank!("excluded.status"),
    " > ",
    status_rank!("messages.status"),
    " THEN excluded.status ELSE messages.status END, \
         num_media = excluded.num_media, \
         stub = 0, \
         created_at = excluded.created_at, \
         updated_at = CASE WHEN excluded.updated_at > messages.updated_at \
             THEN excluded.updated_at ELSE messages.updated_at END \
     WHERE messages.stub = 1"
);

const RECORD_MEDIA: &str =
    "INSERT INTO media (message_sid, idx, url, content_type) VALUES ($1, $2, $3, $4)";

/// The statement of [`apply_message_status`]: sid, status, error code and message, time.
const APPLY_MESSAGE_STATUS: &str = concat!(
    "INSERT INTO messages (sid, account_sid, from_number, to_number, body, direction, \
             status, num_media, error_code, error_message, stub, created_at, updated_at) \
         VALUES (?1, '', '', '', '', '', ?2, 0, ?3, ?4, 1, ?5, ?5) \
         ON CONFLICT (sid) DO UPDATE SET \
             status = excluded.status, \
             error_code = COALESCE(excluded.error_code, messages.error_code), \
             error_message = COALESCE(excluded.error_message, messages.error_message), \
             updated_at = excluded.updated_at \
         WHERE ",
    status_rank!("excluded.status"),
    " > ",
    status_rank!("messages.status")
);

pub async fn get_message(exec: impl SqliteExecutor<'_>, sid: &str) -> Result<Option<MessageRow>> {
    sqlx::query_as::<_, MessageRow>("SELECT * FROM messages WHERE sid = $1")
        .bind(sid)
        .fetch_optional(exec)
        .await
        .op("get_message")
}

/// The media of a message, in order.
pub async fn media_of(exec: impl SqliteExecutor<'_>, sid: &str) -> Result<Vec<MediaRow>> {
    sqlx::query_as::<_, MediaRow>("SELECT * FROM media WHERE message_sid = $1 ORDER BY idx")
        .bind(sid)
        .fetch_all(exec)
        .await
        .op("media_of")
}

/// The same writes for the writer thread (see `store::writer`).
pub mod blocking {
    use rusqlite::{params, Connection};

    use super::NewMessage;
    use crate::store::{Context, Result};

    /// Applies a message status callback. Statuses only move forward (see `status_rank!`);
    /// an equal or earlier status is ignored and returns `false`. A callback for a SID not yet
    /// recorded creates a stub row that [`record_message_in`] fills in later.
    pub fn apply_message_status(
        conn: &Connection,
        sid: &str,
        status: &str,
        error_code: Option<i64>,
        error_message: Option<&str>,
        now_ms: i64,
    ) -> Result<bool> {
        let op = "apply_message_status";
        let changed = conn
            .prepare_cached(super::APPLY_MESSAGE_STATUS)
            .op(op)?
            .execute(params![sid, status, error_code, error_message, now_ms])
            .op(op)?;
        Ok(changed == 1)
    }

    /// What [`record_message_in`] did.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Recorded {
        /// The SID was stored already: nothing changed.
        Unchanged,
        /// A new row, holding exactly what the message says.
        Inserted,
        /// A status-only stub filled in (keeping whichever status is further along), or a
        /// new row that could not be told from one (see [`record_message_in`]).
        Filled,
    }

    impl Recorded {
        /// Whether anything was recorded.
        pub fn changed(self) -> bool {
            self != Recorded::Unchanged
        }
    }

    /// Marks a text from a blocked number as such, and read: it notifies nobody and does not
    /// count as unread.
    pub fn mark_blocked(conn: &Connection, sid: &str, now_ms: i64) -> Result<()> {
        conn.prepare_cached(
            "UPDATE messages SET blocked = 1, read_at = COALESCE(read_at, ?2) WHERE sid = ?1",
        )
        .op("mark blocked text")?
        .execute(params![sid, now_ms])
        .op("mark blocked text")?;
        Ok(())
    }

    /// Stores a message and all its media. A repeated SID changes nothing. If only a status
    /// callback had been seen for the SID, the row is filled in (keeping whichever status is
    /// further along). Tells a new row from a filled-in stub: an upsert that updates leaves
    /// `last_insert_rowid()` as it was, an insert sets it. A new row that gets
    /// the very rowid the connection inserted last reads as `Filled`, which is never wrong
    /// (the caller then reads the row back instead of trusting the message).
    pub fn record_message_in(conn: &Connection, message: &NewMessage) -> Result<Recorded> {
        let op = "record_message";
        let num_media = i64::try_from(message.media.len()).unwrap_or(i64::MAX);
        let rowid_before = conn.last_insert_rowid();
        let changed = conn
            .prepare_cached(super::RECORD_MESSAGE)
            .op(op)?
            .execute(params![
                message.sid,
                message.account_sid,
                message.from,
                message.to,
                message.body,
                message.direction,
                message.status,
                num_media,
                message.created_at_ms,
            ])
            .op(op)?;
        if changed == 0 {
            return Ok(Recorded::Unchanged);
        }
        let recorded = if conn.last_insert_rowid() == rowid_before {
            Recorded::Filled
        } else {
            Recorded::Inserted
        };
        let mut insert = conn.prepare_cached(super::RECORD_MEDIA).op(op)?;
        for (idx, media) in message.media.iter().enumerate() {
            let idx = i64::try_from(idx).unwrap_or(i64::MAX);
            insert
                .execute(params![message.sid, idx, media.url, media.content_type])
                .op(op)?;
        }
        Ok(recorded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::{conn, store};

    const SID: &str = "MM00000000000000000000000000000001";

    fn new_message(sid: &str, from: &str, to: &str, created_at_ms: i64) -> NewMessage {
        NewMessage {
            sid: sid.into(),
            account_sid: "AC00000000000000000000000000000000".into(),
            from: from.into(),
            to: to.into(),
            body: "hello".into(),
            direction: "inbound".into(),
            status: "received".into(),
            created_at_ms,
            media: Vec::new(),
        }
    }

    fn outbound(status: &str) -> NewMessage {
        let mut m = new_message(SID, "+18001234567", "+15550001111", 1_000);
        m.direction = "outbound-api".into();
        m.status = status.into();
        m
    }

    async fn status_of(store: &crate::store::Store) -> String {
        get_message(store.pool(), SID)
            .await
            .unwrap()
            .unwrap()
            .status
    }

    #[tokio::test]
    async fn the_writer_thread_tells_a_new_text_from_a_filled_stub_and_a_repeat() {
        use blocking::Recorded;
        let (_dir, store) = store().await;
        blocking::apply_message_status(&conn(&_dir), SID, "delivered", None, None, 500).unwrap();
        let second = "MM00000000000000000000000000000002";
        let texts = [
            new_message(SID, "+15550001111", "+18001234567", 1_000),
            new_message(second, "+15550001111", "+18001234567", 1_000),
            new_message(second, "+15550001111", "+18001234567", 1_000),
        ];
        let answers = store
            .write(move |conn| {
                texts
                    .iter()
                    .map(|text| blocking::record_message_in(conn, text))
                    .collect::<Result<Vec<_>>>()
            })
            .await
            .unwrap();
        assert_eq!(
            answers,
            [Recorded::Filled, Recorded::Inserted, Recorded::Unchanged]
        );
        assert_eq!(status_of(&store).await, "delivered");
    }

    #[tokio::test]
    async fn a_repeated_message_sid_is_recorded_once() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        let mut first = new_message(SID, "+15550001111", "+18001234567", 1_000);
        first.media.push(NewMedia {
            url: "https://example.com/a".into(),
            content_type: "image/png".into(),
        });
        assert!(blocking::record_message_in(&db, &first).unwrap().changed());
        let mut again = first.clone();
        again.body = "changed".into();
        assert!(!blocking::record_message_in(&db, &again).unwrap().changed());

        let row = get_message(store.pool(), SID).await.unwrap().unwrap();
        assert_eq!(row.body, "hello");
        assert_eq!(row.num_media, 1);
        assert!(!row.stub);
        assert_eq!(media_of(store.pool(), SID).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn three_media_are_stored_in_order() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        let mut m = new_message(SID, "+15550001111", "+18001234567", 1_000);
        for (url, ct) in [
            ("u0", "image/jpeg"),
            ("u1", "image/png"),
            ("u2", "video/mp4"),
        ] {
            m.media.push(NewMedia {
                url: url.into(),
                content_type: ct.into(),
            });
        }
        blocking::record_message_in(&db, &m).unwrap();

        let media = media_of(store.pool(), SID).await.unwrap();
        let got: Vec<(i64, &str, &str)> = media
            .iter()
            .map(|r| (r.idx, r.url.as_str(), r.content_type.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (0, "u0", "image/jpeg"),
                (1, "u1", "image/png"),
                (2, "u2", "video/mp4")
            ]
        );
        assert_eq!(
            get_message(store.pool(), SID)
                .await
                .unwrap()
                .unwrap()
                .num_media,
            3
        );
        assert!(store.media_fetched(SID, 1, "media/u1.png").await.unwrap());
        let media = media_of(store.pool(), SID).await.unwrap();
        assert_eq!(media[1].local_path.as_deref(), Some("media/u1.png"));
        assert_eq!(media[0].local_path, None);
    }

    #[tokio::test]
    async fn a_message_rolled_back_with_its_callers_transaction_leaves_nothing() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        let mut m = new_message(SID, "+15550001111", "+18001234567", 1_000);
        m.media.push(NewMedia {
            url: "u0".into(),
            content_type: "image/jpeg".into(),
        });
        db.execute_batch("BEGIN").unwrap();
        assert!(blocking::record_message_in(&db, &m).unwrap().changed());
        db.execute_batch("ROLLBACK").unwrap();

        assert_eq!(get_message(store.pool(), SID).await.unwrap(), None);
        assert!(media_of(store.pool(), SID).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn message_status_never_regresses() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        blocking::record_message_in(&db, &outbound("queued")).unwrap();

        assert!(blocking::apply_message_status(&db, SID, "delivered", None, None, 3_000).unwrap());
        for late in ["sent", "sending", "queued", "delivered", "failed"] {
            assert!(
                !blocking::apply_message_status(&db, SID, late, None, None, 4_000).unwrap(),
                "{late} was applied after delivered"
            );
        }
        assert_eq!(status_of(&store).await, "delivered");
        assert!(blocking::apply_message_status(&db, SID, "read", None, None, 5_000).unwrap());
        assert_eq!(status_of(&store).await, "read");
        let row = get_message(store.pool(), SID).await.unwrap().unwrap();
        assert_eq!(row.updated_at, 5_000);
    }

    #[tokio::test]
    async fn a_failure_records_its_error() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        blocking::record_message_in(&db, &outbound("queued")).unwrap();
        assert!(blocking::apply_message_status(
            &db,
            SID,
            "undelivered",
            Some(30003),
            Some("Unreachable destination handset"),
            2_000
        )
        .unwrap());
        let row = get_message(store.pool(), SID).await.unwrap().unwrap();
        assert_eq!(row.status, "undelivered");
        assert_eq!(row.error_code, Some(30003));
        assert_eq!(
            row.error_message.as_deref(),
            Some("Unreachable destination handset")
        );
    }

    #[tokio::test]
    async fn an_unknown_status_is_stored_but_never_overrides_a_known_one() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        blocking::record_message_in(&db, &outbound("queued")).unwrap();
        assert!(
            !blocking::apply_message_status(&db, SID, "teleported", None, None, 2_000).unwrap()
        );
        assert_eq!(status_of(&store).await, "queued");
    }

    #[tokio::test]
    async fn a_status_before_the_message_leaves_a_stub_that_recording_fills_in() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        assert!(blocking::apply_message_status(&db, SID, "sent", None, None, 2_000).unwrap());
        let stub = get_message(store.pool(), SID).await.unwrap().unwrap();
        assert!(stub.stub);
        assert_eq!(stub.status, "sent");

        let mut m = outbound("queued");
        m.media.push(NewMedia {
            url: "u0".into(),
            content_type: "image/jpeg".into(),
        });
        assert!(blocking::record_message_in(&db, &m).unwrap().changed());
        let row = get_message(store.pool(), SID).await.unwrap().unwrap();
        assert!(!row.stub);
        assert_eq!(row.status, "sent", "the later status is kept");
        assert_eq!(row.body, "hello");
        assert_eq!(row.to_number, "+15550001111");
        assert_eq!(row.created_at, 1_000);
        assert_eq!(row.updated_at, 2_000);
        assert_eq!(media_of(store.pool(), SID).await.unwrap().len(), 1);

        assert!(!blocking::record_message_in(&db, &m).unwrap().changed());
    }

    #[tokio::test]
    async fn reading_a_thread_marks_only_its_incoming_messages() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        let them = "+15550001111";
        blocking::record_message_in(
            &db,
            &new_message(
                "SM00000000000000000000000000000001",
                them,
                "+18001234567",
                1,
            ),
        )
        .unwrap();
        blocking::record_message_in(
            &db,
            &new_message(
                "SM00000000000000000000000000000002",
                "+15552222222",
                "+18001234567",
                2,
            ),
        )
        .unwrap();
        let read = |at| crate::store::inbox::read_texts(&db, them, &[], at).unwrap();
        assert!(read(9).is_some(), "one text was unread");
        assert!(read(10).is_none(), "none is unread");
        let row = get_message(store.pool(), "SM00000000000000000000000000000001")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.read_at, Some(9));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_duplicate_deliveries_store_each_message_once() {
        let (_dir, store) = store().await;
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..200u32 {
            let store = store.clone();
            let mut m = new_message(
                &format!("SM{:032}", i % 100),
                "+15550001111",
                "+18001234567",
                i64::from(i % 100),
            );
            m.media.push(NewMedia {
                url: format!("u{i}"),
                content_type: "image/png".into(),
            });
            tasks.spawn(async move {
                store
                    .write(move |conn| blocking::record_message_in(conn, &m))
                    .await
                    .map(blocking::Recorded::changed)
            });
        }
        let mut inserted = 0;
        while let Some(joined) = tasks.join_next().await {
            if joined.unwrap().unwrap() {
                inserted += 1;
            }
        }
        assert_eq!(inserted, 100);
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages")
            .fetch_one(store.pool())
            .await
            .unwrap();
        let media: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM media")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(rows, 100);
        assert_eq!(media, 100);
    }
}
