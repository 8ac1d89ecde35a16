//! Which Twilio SIDs other SMS outbox items already own (so the sender's lookup after an
//! unknown outcome never adopts another item's message). Finishing an item with its message is
//! `Store::finish_text`.

use sqlx::SqliteExecutor;

use super::{Context, Result};

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
    use crate::store::message::{get_message, media_of, NewMedia, NewMessage};
    use crate::store::outbox::{get, OutboxStatus};
    use crate::store::test_support::store;
    use serde_json::json;

    #[tokio::test]
    async fn finishing_marks_the_item_and_records_the_message_with_its_media() {
        let (_dir, store) = store().await;
        let pool = store.pool();
        let id = store
            .enqueue_work("sms", &json!({}), None, 1_000)
            .await
            .unwrap()
            .unwrap();
        let other = store
            .enqueue_work("sms", &json!({}), None, 1_000)
            .await
            .unwrap()
            .unwrap();
        store.claim_outbox(&["sms"], 1_000, 10).await.unwrap();
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
        let changes = store
            .finish_text(id, &message, &["media/out/x.png".to_owned()], 2_000)
            .await
            .unwrap();
        // The queued bubble becomes the message.
        assert_eq!(changes.feed.len(), 1);
        assert_eq!(changes.feed[0].kind, "message");
        assert!(
            changes.feed[0].payload.contains("\"sid\":\"MM1\""),
            "{:?}",
            changes.feed
        );

        let item = get(pool, id).await.unwrap().unwrap();
        assert_eq!(item.status, OutboxStatus::Sent);
        assert_eq!(item.result.as_deref(), Some("MM1"));
        let row = get_message(pool, "MM1").await.unwrap().unwrap();
        assert_eq!(
            (row.direction.as_str(), row.body.as_str(), row.num_media),
            ("outbound-api", "hi", 1)
        );
        let media = media_of(pool, "MM1").await.unwrap();
        assert_eq!(media.len(), 1);
        assert_eq!(media[0].local_path.as_deref(), Some("media/out/x.png"));

        assert!(sid_taken(pool, "MM1", other).await.unwrap());
        assert!(!sid_taken(pool, "MM1", id).await.unwrap());
        assert!(!sid_taken(pool, "MM2", other).await.unwrap());
    }
}
