//! SMS relay targets: for each SMS device, the last outside number that texted in, so that a
//! reply from the device's phone goes back to them. Stored so it survives restarts.

use sqlx::SqliteExecutor;

use super::{Context, Result};

const SET_RELAY_TARGET: &str =
    "INSERT INTO relay_targets (device, number, updated_at) VALUES ($1, $2, $3) \
     ON CONFLICT (device) DO UPDATE SET number = excluded.number, \
         updated_at = excluded.updated_at \
     WHERE excluded.updated_at >= relay_targets.updated_at";

pub async fn relay_target(exec: impl SqliteExecutor<'_>, device: &str) -> Result<Option<String>> {
    sqlx::query_scalar::<_, String>("SELECT number FROM relay_targets WHERE device = $1")
        .bind(device)
        .fetch_optional(exec)
        .await
        .op("relay_target")
}

/// The same writes for the writer thread (see `store::writer`).
pub mod blocking {
    use rusqlite::{params, Connection};

    use crate::store::{Context, Result};

    /// Records `number` as the relay target of `device` as of `now_ms`. A write older than the
    /// stored one is ignored (returns `false`), so two texts handled concurrently leave the later
    /// sender as the target whatever order their writes land in.
    pub fn set_relay_target(
        conn: &Connection,
        device: &str,
        number: &str,
        now_ms: i64,
    ) -> Result<bool> {
        let op = "set_relay_target";
        let changed = conn
            .prepare_cached(super::SET_RELAY_TARGET)
            .op(op)?
            .execute(params![device, number, now_ms])
            .op(op)?;
        Ok(changed == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::{conn, store};

    #[tokio::test]
    async fn the_latest_sender_is_the_target_whatever_order_writes_land_in() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        assert_eq!(relay_target(store.pool(), "cell").await.unwrap(), None);
        assert!(blocking::set_relay_target(&db, "cell", "+15550000002", 2_000).unwrap());
        assert!(!blocking::set_relay_target(&db, "cell", "+15550000001", 1_000).unwrap());
        assert_eq!(
            relay_target(store.pool(), "cell").await.unwrap().as_deref(),
            Some("+15550000002")
        );
        assert!(blocking::set_relay_target(&db, "cell", "+15550000003", 3_000).unwrap());
        assert_eq!(
            relay_target(store.pool(), "cell").await.unwrap().as_deref(),
            Some("+15550000003")
        );
    }

    #[tokio::test]
    async fn each_device_has_its_own_target() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        blocking::set_relay_target(&db, "cell", "+15550000001", 1).unwrap();
        blocking::set_relay_target(&db, "office", "+15550000002", 1).unwrap();
        assert_eq!(
            relay_target(store.pool(), "cell").await.unwrap().as_deref(),
            Some("+15550000001")
        );
        assert_eq!(
            relay_target(store.pool(), "office")
                .await
                .unwrap()
                .as_deref(),
            Some("+15550000002")
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_writers_leave_the_newest_number() {
        let (_dir, store) = store().await;
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..50i64 {
            let store = store.clone();
            tasks.spawn(async move {
                store
                    .write(move |conn| {
                        blocking::set_relay_target(conn, "cell", &format!("+1555000{i:04}"), i)
                    })
                    .await
            });
        }
        while let Some(joined) = tasks.join_next().await {
            joined.unwrap().unwrap();
        }
        assert_eq!(
            relay_target(store.pool(), "cell").await.unwrap().as_deref(),
            Some("+15550000049")
        );
    }
}
