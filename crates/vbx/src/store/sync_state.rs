//! How far the reconciliation sync with Twilio got, per resource (`calls`, `messages`): the
//! start of the next pass, and what the status page shows ("last synced at …").

use sqlx::SqliteExecutor;

use super::{Context, Result};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SyncState {
    pub resource: String,
    /// When the last successful pass began: everything Twilio held before it is in the store.
    pub synced_at: Option<i64>,
    /// When the last pass (successful or not) began.
    pub attempted_at: i64,
    /// Why the last pass failed; `None` after a success.
    pub last_error: Option<String>,
}

pub async fn get(exec: impl SqliteExecutor<'_>, resource: &str) -> Result<Option<SyncState>> {
    sqlx::query_as::<_, SyncState>("SELECT * FROM sync_state WHERE resource = $1")
        .bind(resource)
        .fetch_optional(exec)
        .await
        .op("sync_state get")
}

/// When vbx last had everything from Twilio: the oldest successful pass over `resources`, or
/// `None` while any of them has never synced. For the status endpoint.
pub async fn last_sync(exec: impl SqliteExecutor<'_>, resources: &[&str]) -> Result<Option<i64>> {
    let rows = sqlx::query_as::<_, SyncState>("SELECT * FROM sync_state")
        .fetch_all(exec)
        .await
        .op("sync_state last_sync")?;
    let mut oldest: Option<i64> = None;
    for resource in resources {
        let synced = rows
            .iter()
            .find(|r| r.resource == *resource)
            .and_then(|r| r.synced_at);
        match synced {
            None => return Ok(None),
            Some(at) => oldest = Some(oldest.map_or(at, |o| o.min(at))),
        }
    }
    Ok(oldest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::store;

    #[tokio::test]
    async fn a_failure_keeps_the_last_success_and_a_success_clears_the_error() {
        let (_dir, store) = store().await;
        let pool = store.pool();
        assert_eq!(get(pool, "calls").await.unwrap(), None);

        store.sync_failed("calls", 1_000, "HTTP 500").await.unwrap();
        let failed = get(pool, "calls").await.unwrap().unwrap();
        assert_eq!(failed.synced_at, None);
        assert_eq!(failed.last_error.as_deref(), Some("HTTP 500"));

        store.sync_succeeded("calls", 2_000).await.unwrap();
        store.sync_failed("calls", 3_000, "timeout").await.unwrap();
        let state = get(pool, "calls").await.unwrap().unwrap();
        assert_eq!(state.synced_at, Some(2_000));
        assert_eq!(state.attempted_at, 3_000);
        assert_eq!(state.last_error.as_deref(), Some("timeout"));

        store.sync_succeeded("calls", 4_000).await.unwrap();
        let state = get(pool, "calls").await.unwrap().unwrap();
        assert_eq!((state.synced_at, state.last_error), (Some(4_000), None));
    }

    #[tokio::test]
    async fn the_last_sync_is_the_oldest_resource_and_none_until_all_synced() {
        let (_dir, store) = store().await;
        let pool = store.pool();
        let both = ["calls", "messages"];
        assert_eq!(last_sync(pool, &both).await.unwrap(), None);
        store.sync_succeeded("messages", 5_000).await.unwrap();
        assert_eq!(last_sync(pool, &both).await.unwrap(), None);
        store.sync_succeeded("calls", 4_000).await.unwrap();
        assert_eq!(last_sync(pool, &both).await.unwrap(), Some(4_000));
        assert_eq!(last_sync(pool, &["messages"]).await.unwrap(), Some(5_000));
    }
}
