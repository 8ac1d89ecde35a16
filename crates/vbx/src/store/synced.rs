//! What the reconciliation sync writes of what it found at Twilio: calls and texts vbx missed
//! or knows less of, and how each pass ended. Use cases of the store, each one job on the
//! writer thread. They store no feed rows: the sync tells the workers and tabs through the
//! hub's `Call` and `Message` events.

use rusqlite::params;

use super::call::{blocking as call, CallStatusUpdate, NewCall};
use super::message::{blocking as message, NewMessage};
use super::{Context, Result, Store};

impl Store {
    /// A pass over `resource` that began at `started` went through.
    pub async fn sync_succeeded(&self, resource: &'static str, started: i64) -> Result<()> {
        self.write(move |conn| {
            let op = "sync succeeded";
            conn.prepare_cached(
                "INSERT INTO sync_state (resource, synced_at, attempted_at, last_error) \
                 VALUES (?1, ?2, ?2, NULL) \
                 ON CONFLICT (resource) DO UPDATE SET synced_at = excluded.synced_at, \
                     attempted_at = excluded.attempted_at, last_error = NULL",
            )
            .op(op)?
            .execute(params![resource, started])
            .op(op)?;
            Ok(())
        })
        .await
    }

    /// A pass that began at `started` failed; the last successful time is kept.
    pub async fn sync_failed(
        &self,
        resource: &'static str,
        started: i64,
        error: &str,
    ) -> Result<()> {
        let error = error.to_owned();
        self.write(move |conn| {
            let op = "sync failed";
            conn.prepare_cached(
                "INSERT INTO sync_state (resource, synced_at, attempted_at, last_error) \
                 VALUES (?1, NULL, ?2, ?3) \
                 ON CONFLICT (resource) DO UPDATE SET attempted_at = excluded.attempted_at, \
                     last_error = excluded.last_error",
            )
            .op(op)?
            .execute(params![resource, started, error])
            .op(op)?;
            Ok(())
        })
        .await
    }

    /// A call vbx had not stored; with `status` (a finished call, or one with a duration) its
    /// end comes in as a status update. `false` if the call was stored meanwhile.
    pub async fn record_synced_call(
        &self,
        new: &NewCall,
        status: Option<&CallStatusUpdate>,
    ) -> Result<bool> {
        let (new, status) = (new.clone(), status.cloned());
        self.write(move |conn| {
            let inserted = call::record_call(conn, &new)?;
            if let (true, Some(update)) = (inserted, &status) {
                call::apply_call_status(conn, update)?;
            }
            Ok(inserted)
        })
        .await
    }

    /// A known call's status moved on at Twilio; `false` if the update was ignored.
    pub async fn apply_synced_call_status(&self, update: &CallStatusUpdate) -> Result<bool> {
        let update = update.clone();
        self.write(move |conn| call::apply_call_status(conn, &update))
            .await
    }

    /// A known text's status moved on at Twilio; `false` for an equal or earlier one.
    pub async fn apply_synced_message_status(
        &self,
        sid: &str,
        status: &str,
        error_code: Option<i64>,
        error_message: Option<&str>,
        now: i64,
    ) -> Result<bool> {
        let (sid, status) = (sid.to_owned(), status.to_owned());
        let error_message = error_message.map(str::to_owned);
        self.write(move |conn| {
            message::apply_message_status(
                conn,
                &sid,
                &status,
                error_code,
                error_message.as_deref(),
                now,
            )
        })
        .await
    }

    /// A text vbx had not stored (or held only a status stub of), with Twilio's error where
    /// it failed; `false` if nothing was recorded.
    pub async fn record_synced_message(
        &self,
        new: &NewMessage,
        error_code: Option<i64>,
        error_message: Option<&str>,
    ) -> Result<bool> {
        let new = new.clone();
        let error_message = error_message.map(str::to_owned);
        self.write(move |conn| {
            let recorded = message::record_message_in(conn, &new)?.changed();
            if recorded && error_code.is_some() {
                let op = "fill message error";
                conn.prepare_cached(
                    "UPDATE messages SET error_code = COALESCE(error_code, ?2), \
                         error_message = COALESCE(error_message, ?3) \
                     WHERE sid = ?1 AND (error_code IS NULL OR error_message IS NULL)",
                )
                .op(op)?
                .execute(params![new.sid, error_code, error_message])
                .op(op)?;
            }
            Ok(recorded)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::call::get_call;
    use crate::store::message::get_message;
    use crate::store::test_support::store;

    fn failed_text(sid: &str) -> NewMessage {
        NewMessage {
            sid: sid.into(),
            account_sid: "AC1".into(),
            from: "+18001234567".into(),
            to: "+15550001111".into(),
            body: "hi".into(),
            direction: "outbound-api".into(),
            status: "undelivered".into(),
            created_at_ms: 1_000,
            media: Vec::new(),
        }
    }

    #[tokio::test]
    async fn a_synced_text_keeps_the_error_it_came_with_and_is_recorded_once() {
        let (_dir, store) = store().await;
        let text = failed_text("SM1");
        assert!(store
            .record_synced_message(&text, Some(30003), Some("Unreachable"))
            .await
            .unwrap());
        assert!(!store
            .record_synced_message(&text, Some(30005), Some("Unknown"))
            .await
            .unwrap());
        let row = get_message(store.pool(), "SM1").await.unwrap().unwrap();
        assert_eq!(row.error_code, Some(30003));
        assert_eq!(row.error_message.as_deref(), Some("Unreachable"));
        // A status stub (a callback came first) is filled in, error included.
        assert!(store
            .apply_synced_message_status("SM2", "sent", None, None, 500)
            .await
            .unwrap());
        assert!(store
            .record_synced_message(&failed_text("SM2"), Some(30007), Some("Filtered"))
            .await
            .unwrap());
        let row = get_message(store.pool(), "SM2").await.unwrap().unwrap();
        assert_eq!((row.body.as_str(), row.error_code), ("hi", Some(30007)));
    }

    #[tokio::test]
    async fn a_synced_call_ends_with_its_status_once_and_a_late_one_changes_nothing() {
        let (_dir, store) = store().await;
        let new = NewCall {
            sid: "CA1".into(),
            account_sid: "AC1".into(),
            from: "+15550001111".into(),
            to: "+18001234567".into(),
            direction: "inbound".into(),
            status: "completed".into(),
            alias: None,
            parent_sid: None,
            started_at_ms: 1_000,
        };
        let ended = CallStatusUpdate {
            sid: "CA1".into(),
            account_sid: "AC1".into(),
            status: "completed".into(),
            sequence: None,
            duration_s: Some(42),
            timestamp_ms: 43_000,
            from: new.from.clone(),
            to: new.to.clone(),
            direction: new.direction.clone(),
            parent_sid: None,
        };
        assert!(store.record_synced_call(&new, Some(&ended)).await.unwrap());
        assert!(!store.record_synced_call(&new, Some(&ended)).await.unwrap());
        let row = get_call(store.pool(), "CA1").await.unwrap().unwrap();
        assert_eq!((row.duration_s, row.ended_at), (Some(42), Some(43_000)));
        let late = CallStatusUpdate {
            status: "ringing".into(),
            ..ended
        };
        assert!(!store.apply_synced_call_status(&late).await.unwrap());
    }
}
