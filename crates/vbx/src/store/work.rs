//! The workers' outbox: claiming due work and settling it (sent, to retry, failed), and the
//! SMS sender's finish, which records the message a sent text became. Use cases of the store,
//! each run whole on the writer thread; those a tab sees answer with the feed rows to publish.

use rusqlite::{params, OptionalExtension};

use super::event::blocking as feed;
use super::message::{blocking as message, NewMessage};
use super::outbox::{blocking as outbox, OutboxItem, SENDING_LEASE_MS};
use super::{Changes, Context, Result, Store};

/// A delivery problem of a device (email, XMPP), for the status endpoint.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeviceError {
    /// What went wrong (the server's answer, or what vbx could not do).
    pub message: String,
    /// When (unix ms).
    pub at_ms: i64,
    /// `true` when the work was given up on; `false` while it is still being retried.
    pub failed: bool,
}

impl Store {
    /// Queues work of `kind`, due at once; with an idempotency `key` already in the outbox
    /// (whatever its status) nothing is queued and this answers `None`.
    pub async fn enqueue_work(
        &self,
        kind: &'static str,
        payload: &serde_json::Value,
        key: Option<&str>,
        now: i64,
    ) -> Result<Option<i64>> {
        let (payload, key) = (payload.clone(), key.map(str::to_owned));
        self.write(move |conn| outbox::enqueue(conn, kind, &payload, key.as_deref(), now))
            .await
    }

    /// Marks up to `limit` due rows of `kinds` as `sending` and answers them, oldest due
    /// first (see [`super::outbox::claim_due`]).
    pub async fn claim_outbox(
        &self,
        kinds: &[&'static str],
        now: i64,
        limit: u32,
    ) -> Result<Vec<OutboxItem>> {
        let kinds = kinds.to_vec();
        self.write(move |conn| outbox::claim_due(conn, &kinds, now, limit))
            .await
    }

    /// Like [`Store::claim_outbox`], for the rows of `kind` addressed to one `device` (several
    /// devices share a kind): at most one row, so a broken connection leaves nothing else
    /// claimed behind it.
    pub async fn claim_for_device(
        &self,
        kind: &'static str,
        device: &str,
        now: i64,
    ) -> Result<Option<OutboxItem>> {
        let device = device.to_owned();
        self.write(move |conn| {
            let op = "claim for device";
            conn.prepare_cached(
                "UPDATE outbox SET \
                     attempts = attempts + CASE WHEN status = 'sending' THEN 1 ELSE 0 END, \
                     status = 'sending', updated_at = ?1 \
                 WHERE id = (SELECT id FROM outbox \
                     WHERE kind = ?2 AND json_extract(payload, '$.device') = ?3 \
                       AND ((status = 'pending' AND next_attempt_at <= ?1) \
                            OR (status = 'sending' AND updated_at <= ?4)) \
                     ORDER BY next_attempt_at, id LIMIT 1) \
                 RETURNING *",
            )
            .op(op)?
            .query_row(
                params![now, kind, device, now.saturating_sub(SENDING_LEASE_MS)],
                outbox::item_from_row,
            )
            .optional()
            .op(op)
        })
        .await
    }

    /// The newest error of a device's unsent outbox work of `kind` (`email`, `xmpp`) that no
    /// later successful send has superseded; `None` while the device delivers fine.
    pub async fn device_last_error(&self, kind: &str, device: &str) -> Result<Option<DeviceError>> {
        // json_extract is SQLite's; a PostgreSQL port would read `payload::json ->> 'device'`.
        sqlx::query_as::<_, DeviceError>(
            "SELECT last_error AS message, updated_at AS at_ms, status = 'failed' AS failed \
             FROM outbox \
             WHERE kind = $1 AND json_extract(payload, '$.device') = $2 \
               AND last_error IS NOT NULL AND status <> 'sent' \
               AND updated_at >= COALESCE((SELECT MAX(updated_at) FROM outbox \
                   WHERE kind = $1 AND json_extract(payload, '$.device') = $2 \
                     AND status = 'sent'), 0) \
             ORDER BY updated_at DESC, id DESC LIMIT 1",
        )
        .bind(kind)
        .bind(device)
        .fetch_optional(self.pool())
        .await
        .op("device last_error")
    }

    /// The work is done; `result` is what it produced.
    pub async fn outbox_sent(&self, id: i64, result: Option<&str>, now: i64) -> Result<bool> {
        let result = result.map(str::to_owned);
        self.write(move |conn| outbox::mark_sent(conn, id, result.as_deref(), now))
            .await
    }

    /// The attempt failed but may succeed later: pending again until `next_attempt_at`.
    pub async fn outbox_retry(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: i64,
        now: i64,
    ) -> Result<bool> {
        let error = error.to_owned();
        self.write(move |conn| outbox::mark_retry(conn, id, &error, next_attempt_at, now))
            .await
    }

    /// The work cannot succeed: it stays in the outbox as `failed`. A text to send answers
    /// with its bubble's feed row (now failed, with `error`).
    pub async fn outbox_failed(&self, id: i64, error: &str, now: i64) -> Result<Changes> {
        let error = error.to_owned();
        self.write(move |conn| {
            let mut out = Changes::default();
            if outbox::mark_failed(conn, id, &error, now)? {
                out.push(feed::outbox_changed(conn, id, now)?);
            }
            Ok(out)
        })
        .await
    }

    /// Makes every pending row of `kind` waiting for a later try due now; answers how many.
    pub async fn outbox_due_now(&self, kind: &'static str, now: i64) -> Result<u64> {
        self.write(move |conn| outbox::due_now(conn, kind, now))
            .await
    }

    /// A text Twilio accepted: its outbox row `id` is sent with the message's SID, and the
    /// message (with its media, the files vbx kept of them at `local_paths`, by index) is
    /// recorded, so it is in its thread the moment the row is done. Answers the message's
    /// feed row, which replaces the queued bubble.
    pub async fn finish_text(
        &self,
        id: i64,
        sent: &NewMessage,
        local_paths: &[String],
        now: i64,
    ) -> Result<Changes> {
        let (sent, local_paths) = (sent.clone(), local_paths.to_vec());
        self.write(move |conn| {
            outbox::mark_sent(conn, id, Some(&sent.sid), now)?;
            message::record_message_in(conn, &sent)?;
            let op = "keep media files";
            for (idx, path) in local_paths.iter().enumerate() {
                let idx = i64::try_from(idx).unwrap_or(i64::MAX);
                conn.prepare_cached(
                    "UPDATE media SET local_path = ?3 WHERE message_sid = ?1 AND idx = ?2",
                )
                .op(op)?
                .execute(params![sent.sid, idx, path])
                .op(op)?;
            }
            let mut out = Changes::default();
            out.push(feed::message_changed(conn, &sent.sid, now)?);
            Ok(out)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::store::outbox::{self as queue, OutboxStatus};
    use crate::store::test_support::store;

    const T0: i64 = 1_700_000_000_000;

    #[tokio::test]
    async fn work_is_claimed_once_and_settled_as_sent_retried_or_failed() {
        let (_dir, store) = store().await;
        let (text, _) = store
            .queue_text(&json!({"to": "+15550000001", "body": "x"}), T0)
            .await
            .unwrap();
        let email = store
            .enqueue_work("email", &json!({}), None, T0)
            .await
            .unwrap()
            .unwrap();

        let claimed = store.claim_outbox(&["sms", "email"], T0, 10).await.unwrap();
        let ids: Vec<i64> = claimed.iter().map(|i| i.id).collect();
        assert_eq!(ids, [text, email]);
        assert!(claimed.iter().all(|i| i.status == OutboxStatus::Sending));
        assert!(store
            .claim_outbox(&["sms", "email"], T0, 10)
            .await
            .unwrap()
            .is_empty());

        // A retry waits for its time; a restart makes it due at once.
        assert!(store
            .outbox_retry(email, "421 later", T0 + 60_000, T0)
            .await
            .unwrap());
        assert!(store
            .claim_outbox(&["email"], T0 + 1, 10)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(store.outbox_due_now("email", T0 + 2).await.unwrap(), 1);
        assert_eq!(
            store.claim_outbox(&["email"], T0 + 2, 10).await.unwrap()[0].attempts,
            1
        );
        assert!(store
            .outbox_sent(email, Some("250 ok"), T0 + 3)
            .await
            .unwrap());
        let done = queue::get(store.pool(), email).await.unwrap().unwrap();
        assert_eq!(
            (done.status, done.result.as_deref()),
            (OutboxStatus::Sent, Some("250 ok"))
        );

        // A text that fails shows failed in its thread; an email's failure has no bubble.
        let failed = store
            .outbox_failed(text, "21211 invalid", T0 + 4)
            .await
            .unwrap();
        assert_eq!(failed.feed.len(), 1);
        assert!(
            failed.feed[0].payload.contains("21211 invalid"),
            "{:?}",
            failed.feed
        );
        let other = store
            .enqueue_work("email", &json!({}), None, T0)
            .await
            .unwrap()
            .unwrap();
        assert!(store
            .outbox_failed(other, "550", T0 + 5)
            .await
            .unwrap()
            .feed
            .is_empty());
        // A row left sending past its lease (its worker died) is claimed again, counted.
        let stuck = store
            .enqueue_work("xmpp", &json!({}), None, T0)
            .await
            .unwrap()
            .unwrap();
        store.claim_outbox(&["xmpp"], T0, 1).await.unwrap();
        let again = store
            .claim_outbox(&["xmpp"], T0 + queue::SENDING_LEASE_MS, 1)
            .await
            .unwrap();
        assert_eq!((again[0].id, again[0].attempts), (stuck, 1));
    }
}
