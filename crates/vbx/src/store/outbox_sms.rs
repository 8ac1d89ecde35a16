//! The SMS sender's writes beyond the plain outbox: finishing an item together with the message
//! it created, and which Twilio SIDs other items already own (so a lookup after an unknown
//! outcome never adopts another item's message).

use sqlx::{Acquire, Sqlite, SqliteExecutor};

use super::message::{record_message, NewMessage};
use super::outbox::mark_sent;
use super::{Context, Result};

/// Marks outbox item `id` sent with `message.sid` and records the message (and its media) in
/// one transaction, so the message is in the threads the moment the item is done. Returns
/// whether the message was new to the store.
pub async fn finish_with_message<'a, A>(
    conn: A,
    id: i64,
    message: &NewMessage,
    now_ms: i64,
) -> Result<bool>
where
    A: Acquire<'a, Database = Sqlite>,
{
    let op = "finish_with_message";
    let mut tx = conn.begin().await.op(op)?;
    mark_sent(&mut *tx, id, Some(&message.sid), now_ms).await?;
    let new = record_message(&mut *tx, message).await?;
    tx.commit().await.op(op)?;
    Ok(new)
}

/// Whether an outbox item other than `except_id` already produced the message `sid`.
pub async fn sid_taken(exec: impl SqliteExecutor<'_>, sid: &str, except_id: i64) -> Result<bool> {
    sqlx::query_scalar::<_, bool>(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE result = $1 AND id <> $2)",
    )
    .bind(sid)
    .bind(except_id)
    .fetch_one(exec)
    .await
    .op("sid_taken")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::message::{get_message, media_of, NewMedia};
    use crate::store::outbox::{claim_due, enqueue, get, OutboxStatus};
    use crate::store::test_support::store;
    use serde_json::json;

    #[tokio::test]
    async fn finishing_marks_the_item_and_records_the_message_with_its_media() {
        let (_dir, store) = store().await;
        let pool = store.pool();
        let id = enqueue(pool, "sms", &json!({}), None, 1_000)
            .await
            .unwrap()
            .unwrap();
        let other = enqueue(pool, "sms", &json!({}), None, 1_000)
            .await
            .unwrap()
            .unwrap();
        claim_due(pool, &["sms"], 1_000, 10).await.unwrap();
        let message = NewMessage {
            sid: "MM1".into(),
            account_sid: "AC1".into(),
            from: "+18001234567".into(),
            to: "+15550001111".into(),
            body: "hi".into(),
            direction: "outbound-api".into(),
            status: "queued".into(),
            created_at_ms: 1_500,
            media: vec![NewMedia {
                url: "https://vbx.test/flow/media/x".into(),
                content_type: String::new(),
            }],
        };
        assert!(finish_with_message(pool, id, &message, 2_000)
            .await
            .unwrap());

        let item = get(pool, id).await.unwrap().unwrap();
        assert_eq!(item.status, OutboxStatus::Sent);
        assert_eq!(item.result.as_deref(), Some("MM1"));
        let row = get_message(pool, "MM1").await.unwrap().unwrap();
        assert_eq!(
            (row.direction.as_str(), row.body.as_str(), row.num_media),
            ("outbound-api", "hi", 1)
        );
        assert_eq!(media_of(pool, "MM1").await.unwrap().len(), 1);

        assert!(sid_taken(pool, "MM1", other).await.unwrap());
        assert!(!sid_taken(pool, "MM1", id).await.unwrap());
        assert!(!sid_taken(pool, "MM2", other).await.unwrap());
    }
}
