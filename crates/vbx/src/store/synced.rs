//! What the reconciliation sync writes of what it found at Twilio: calls and texts vbx missed,
//! and how each pass ended. Use cases of the store, each one job on the writer thread; a call
//! or text found answers its feed row, so it appears in open tabs at once. Statuses that moved
//! on at Twilio go through the status callbacks' use cases (`store/status.rs`).

use rusqlite::params;

use super::call::{blocking as call, CallStatusUpdate, NewCall};
use super::event::blocking as feed;
use super::message::{blocking as message, NewMessage};
use super::{Changes, Context, Result, Store};

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
    /// end comes in as a status update. `false` (and no feed row) if the call was stored
    /// meanwhile.
    pub async fn record_synced_call(
        &self,
        new: &NewCall,
        status: Option<&CallStatusUpdate>,
        now: i64,
    ) -> Result<(bool, Changes)> {
        let (new, status) = (new.clone(), status.cloned());
        self.write(move |conn| {
            let mut out = Changes::default();
            let inserted = call::record_call(conn, &new)?;
            if inserted {
                if let Some(update) = &status {
                    call::apply_call_status(conn, update)?;
                }
                out.push(feed::call_changed(conn, &new.sid, now)?);
            }
            Ok((inserted, out))
        })
        .await
    }

    /// A text vbx had not stored (or held only a status stub of), with Twilio's error where
    /// it failed; `false` (and no feed row) if nothing was recorded.
    pub async fn record_synced_message(
        &self,
        new: &NewMessage,
        error_code: Option<i64>,
        error_message: Option<&str>,
        now: i64,
    ) -> Result<(bool, Changes)> {
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
            let mut out = Changes::default();
            if recorded {
                out.push(feed::message_changed(conn, &new.sid, now)?);
            }
            Ok((recorded, out))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::call::get_call;
    use crate::store::message::get_message;
    use crate::store::test_support::{feed, store};

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
        let (recorded, out) = store
            .record_synced_message(&text, Some(30003), Some("Unreachable"), 2_000)
            .await
            .unwrap();
        assert!(recorded);
        // It appears in the open tabs as it is.
        let rows = feed(&out);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, "message");
        assert_eq!(rows[0].2["item"]["status"], "undelivered");
        let (recorded, out) = store
            .record_synced_message(&text, Some(30005), Some("Unknown"), 3_000)
            .await
            .unwrap();
        assert!(!recorded && out.feed.is_empty());
        let row = get_message(store.pool(), "SM1").await.unwrap().unwrap();
        assert_eq!(row.error_code, Some(30003));
        assert_eq!(row.error_message.as_deref(), Some("Unreachable"));
        // A status stub (a callback came first) is filled in, error included.
        assert!(
            store
                .apply_message_status("SM2", "sent", None, None, 500)
                .await
                .unwrap()
                .0
        );
        assert!(
            store
                .record_synced_message(&failed_text("SM2"), Some(30007), Some("Filtered"), 600)
                .await
                .unwrap()
                .0
        );
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
        let (inserted, out) = store
            .record_synced_call(&new, Some(&ended), 50_000)
            .await
            .unwrap();
        assert!(inserted);
        let rows = feed(&out);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].0.as_str(), &rows[0].2["item"]["outcome"]),
            ("call", &serde_json::json!("missed"))
        );
        let (inserted, out) = store
            .record_synced_call(&new, Some(&ended), 51_000)
            .await
            .unwrap();
        assert!(!inserted && out.feed.is_empty());
        let row = get_call(store.pool(), "CA1").await.unwrap().unwrap();
        assert_eq!((row.duration_s, row.ended_at), (Some(42), Some(43_000)));
        let late = CallStatusUpdate {
            status: "ringing".into(),
            ..ended
        };
        assert!(!store.apply_call_status(&late).await.unwrap().0);
    }
}
