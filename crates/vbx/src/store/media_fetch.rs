//! The download queue of incoming media: media rows of inbound messages that vbx has no copy
//! of yet, and the failures that push a download back (`media_fetch`).

use rusqlite::params;
use sqlx::SqliteExecutor;

use super::{sql_limit, Context, Result, Store};

/// A media item of an incoming message still to be downloaded.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PendingMedia {
    pub message_sid: String,
    pub idx: i64,
    pub url: String,
    pub content_type: String,
    /// Failed downloads so far.
    pub attempts: i64,
}

/// Media of inbound messages without a local copy whose download is due at `now_ms`, oldest
/// message first. Items given up on are left out.
pub async fn due(
    exec: impl SqliteExecutor<'_>,
    now_ms: i64,
    limit: u32,
) -> Result<Vec<PendingMedia>> {
    sqlx::query_as::<_, PendingMedia>(
        "SELECT m.message_sid, m.idx, m.url, m.content_type, \
             COALESCE(f.attempts, 0) AS attempts \
         FROM media m \
         JOIN messages msg ON msg.sid = m.message_sid \
         LEFT JOIN media_fetch f ON f.message_sid = m.message_sid AND f.idx = m.idx \
         WHERE m.local_path IS NULL AND msg.direction = 'inbound' \
           AND (f.message_sid IS NULL OR (f.gave_up = 0 AND f.next_attempt_at <= $1)) \
         ORDER BY msg.created_at, m.message_sid, m.idx \
         LIMIT $2",
    )
    .bind(now_ms)
    .bind(sql_limit(limit))
    .fetch_all(exec)
    .await
    .op("media_fetch due")
}

/// The download queue's changes, each one job on the writer thread.
impl Store {
    /// A download worked (by the worker or by a tab asking first): the copy is at
    /// `local_path` and the item leaves the queue. `false` if the media row is unknown.
    pub async fn media_fetched(&self, sid: &str, idx: i64, local_path: &str) -> Result<bool> {
        let (sid, local_path) = (sid.to_owned(), local_path.to_owned());
        self.write(move |conn| {
            let op = "media fetched";
            let set = conn
                .prepare_cached(
                    "UPDATE media SET local_path = ?3 WHERE message_sid = ?1 AND idx = ?2",
                )
                .op(op)?
                .execute(params![sid, idx, local_path])
                .op(op)?;
            conn.prepare_cached("DELETE FROM media_fetch WHERE message_sid = ?1 AND idx = ?2")
                .op(op)?
                .execute(params![sid, idx])
                .op(op)?;
            Ok(set == 1)
        })
        .await
    }

    /// A download failed: try again at `next_attempt_at`, or never when `give_up`.
    pub async fn media_fetch_failed(
        &self,
        sid: &str,
        idx: i64,
        error: &str,
        next_attempt_at: i64,
        give_up: bool,
    ) -> Result<()> {
        let (sid, error) = (sid.to_owned(), error.to_owned());
        self.write(move |conn| {
            let op = "media fetch failed";
            conn.prepare_cached(
                "INSERT INTO media_fetch \
                   (message_sid, idx, attempts, next_attempt_at, last_error, gave_up) \
                 VALUES (?1, ?2, 1, ?3, ?4, ?5) \
                 ON CONFLICT (message_sid, idx) DO UPDATE SET \
                     attempts = media_fetch.attempts + 1, \
                     next_attempt_at = excluded.next_attempt_at, \
                     last_error = excluded.last_error, gave_up = excluded.gave_up",
            )
            .op(op)?
            .execute(params![sid, idx, next_attempt_at, error, give_up])
            .op(op)?;
            Ok(())
        })
        .await
    }
}

/// Why the last download of an item failed, if it did.
pub async fn last_error(
    exec: impl SqliteExecutor<'_>,
    sid: &str,
    idx: i64,
) -> Result<Option<String>> {
    sqlx::query_scalar::<_, String>(
        "SELECT last_error FROM media_fetch WHERE message_sid = $1 AND idx = $2",
    )
    .bind(sid)
    .bind(idx)
    .fetch_optional(exec)
    .await
    .op("media_fetch last_error")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::message::{blocking, media_of, NewMedia, NewMessage};
    use crate::store::test_support::{conn, store};

    fn message(sid: &str, direction: &str, created_at_ms: i64, media: usize) -> NewMessage {
        NewMessage {
            sid: sid.into(),
            account_sid: "AC00000000000000000000000000000000".into(),
            from: "+15550001111".into(),
            to: "+18001234567".into(),
            body: String::new(),
            direction: direction.into(),
            status: "received".into(),
            created_at_ms,
            media: (0..media)
                .map(|i| NewMedia {
                    url: format!("https://media.test/{sid}/{i}"),
                    content_type: "image/png".into(),
                })
                .collect(),
        }
    }

    fn keys(items: &[PendingMedia]) -> Vec<(&str, i64)> {
        items
            .iter()
            .map(|m| (m.message_sid.as_str(), m.idx))
            .collect()
    }

    #[tokio::test]
    async fn only_inbound_media_without_a_copy_is_due_oldest_first() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        let pool = store.pool();
        blocking::record_message_in(&db, &message("MM2", "inbound", 2_000, 1)).unwrap();
        blocking::record_message_in(&db, &message("MM1", "inbound", 1_000, 2)).unwrap();
        blocking::record_message_in(&db, &message("MM3", "outbound-api", 500, 1)).unwrap();

        let items = due(pool, 0, 10).await.unwrap();
        assert_eq!(keys(&items), [("MM1", 0), ("MM1", 1), ("MM2", 0)]);
        assert_eq!(items[0].url, "https://media.test/MM1/0");
        assert_eq!(items[0].attempts, 0);

        assert!(store
            .media_fetched("MM1", 1, "media/in/MM1/1")
            .await
            .unwrap());
        assert_eq!(
            keys(&due(pool, 0, 10).await.unwrap()),
            [("MM1", 0), ("MM2", 0)]
        );
        assert_eq!(keys(&due(pool, 0, 1).await.unwrap()), [("MM1", 0)]);
        let media = media_of(pool, "MM1").await.unwrap();
        assert_eq!(media[1].local_path.as_deref(), Some("media/in/MM1/1"));
    }

    #[tokio::test]
    async fn a_failure_delays_the_item_and_giving_up_drops_it() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        let pool = store.pool();
        blocking::record_message_in(&db, &message("MM1", "inbound", 1_000, 2)).unwrap();

        store
            .media_fetch_failed("MM1", 0, "HTTP 503", 5_000, false)
            .await
            .unwrap();
        assert_eq!(keys(&due(pool, 4_999, 10).await.unwrap()), [("MM1", 1)]);
        let again = due(pool, 5_000, 10).await.unwrap();
        assert_eq!(keys(&again), [("MM1", 0), ("MM1", 1)]);
        assert_eq!(again[0].attempts, 1);

        store
            .media_fetch_failed("MM1", 1, "HTTP 404", 0, true)
            .await
            .unwrap();
        assert_eq!(keys(&due(pool, i64::MAX, 10).await.unwrap()), [("MM1", 0)]);
        assert_eq!(
            last_error(pool, "MM1", 1).await.unwrap().as_deref(),
            Some("HTTP 404")
        );

        store
            .media_fetched("MM1", 0, "media/in/MM1/0")
            .await
            .unwrap();
        assert_eq!(last_error(pool, "MM1", 0).await.unwrap(), None);
        assert!(due(pool, i64::MAX, 10).await.unwrap().is_empty());
    }
}
