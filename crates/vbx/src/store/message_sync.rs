//! What the Twilio sync adds to the message aggregate: a message first seen through the REST
//! API may already have failed, and its error comes with it rather than in a status callback.

use sqlx::SqliteExecutor;

use super::{Context, Result};

/// Stores a message's error code and message unless it already has them.
pub async fn fill_message_error(
    exec: impl SqliteExecutor<'_>,
    sid: &str,
    error_code: Option<i64>,
    error_message: Option<&str>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE messages SET error_code = COALESCE(error_code, $2), \
             error_message = COALESCE(error_message, $3) \
         WHERE sid = $1 AND (error_code IS NULL OR error_message IS NULL)",
    )
    .bind(sid)
    .bind(error_code)
    .bind(error_message)
    .execute(exec)
    .await
    .op("fill_message_error")?;
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::message::{get_message, record_message, NewMessage};
    use crate::store::test_support::store;

    #[tokio::test]
    async fn an_error_is_filled_in_once_and_never_overwritten() {
        let (_dir, store) = store().await;
        let pool = store.pool();
        let message = NewMessage {
            sid: "SM1".into(),
            account_sid: "AC1".into(),
            from: "+18001234567".into(),
            to: "+15550001111".into(),
            body: "hi".into(),
            direction: "outbound-api".into(),
            status: "undelivered".into(),
            created_at_ms: 1_000,
            media: Vec::new(),
        };
        record_message(pool, &message).await.unwrap();
        assert!(
            fill_message_error(pool, "SM1", Some(30003), Some("Unreachable"))
                .await
                .unwrap()
        );
        assert!(
            !fill_message_error(pool, "SM1", Some(30005), Some("Unknown"))
                .await
                .unwrap()
        );
        let row = get_message(pool, "SM1").await.unwrap().unwrap();
        assert_eq!(row.error_code, Some(30003));
        assert_eq!(row.error_message.as_deref(), Some("Unreachable"));
        assert!(!fill_message_error(pool, "SM404", Some(1), None)
            .await
            .unwrap());
    }
}
