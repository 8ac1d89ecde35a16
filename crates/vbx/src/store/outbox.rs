//! The outbox: a durable queue of outbound work (SMS via REST, email, XMPP) so that sends and
//! their retries survive restarts. Workers claim due rows, then mark them sent, retry or failed.

use serde::de::DeserializeOwned;
use sqlx::{QueryBuilder, Sqlite, SqliteExecutor};

use super::{sql_limit, Context, Result};

/// Outbox kinds: a text through Twilio's REST API, an email, an XMPP message.
pub const SMS: &str = "sms";
pub const EMAIL: &str = "email";
pub const XMPP: &str = "xmpp";
/// Downloading a recording into the data directory (and deleting Twilio's copy, if asked).
pub const RECORDING_DOWNLOAD: &str = "recording";
/// Deleting a recording at Twilio that the user deleted in vbx.
pub const RECORDING_DELETE: &str = "recording-delete";
/// A voicemail notice for one device, turned into an `sms`, `email` or `xmpp` row when due:
/// once the transcript is in, or when waiting for it is over.
pub const VOICEMAIL_NOTICE: &str = "voicemail-notice";

/// The idempotency key of the notice of voicemail `recording` for `device`.
pub fn notice_key(recording: &str, device: &str) -> String {
    format!("vm:{recording}:{device}")
}

/// The idempotency key of recording `sid`'s download: one per recording, whichever callback
/// asks.
pub fn download_key(sid: &str) -> String {
    format!("download:{sid}")
}

/// The idempotency key of recording `sid`'s deletion at Twilio: one per recording, whether
/// it follows the download or the user deleted it.
pub fn delete_key(sid: &str) -> String {
    format!("delete:{sid}")
}

/// A row left `sending` this long is taken to belong to a worker that died, and is claimed
/// again.
pub const SENDING_LEASE_MS: i64 = 60_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "TEXT", rename_all = "lowercase")]
pub enum OutboxStatus {
    Pending,
    Sending,
    Sent,
    Failed,
}

impl OutboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sending => "sending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxItem {
    pub id: i64,
    pub kind: String,
    /// JSON; see [`OutboxItem::payload_as`].
    pub payload: String,
    pub idempotency_key: Option<String>,
    pub status: OutboxStatus,
    /// Failed attempts so far (including attempts lost to a crash).
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    /// What the send produced, e.g. the Twilio message SID.
    pub result: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl OutboxItem {
    pub fn payload_as<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.payload)
    }
}

const ENQUEUE: &str =
    "INSERT INTO outbox (kind, payload, idempotency_key, status, attempts, next_attempt_at, \
         created_at, updated_at) \
     VALUES ($1, $2, $3, 'pending', 0, $4, $4, $4) \
     ON CONFLICT (idempotency_key) DO NOTHING \
     RETURNING id";

const ENQUEUE_AT: &str =
    "INSERT INTO outbox (kind, payload, idempotency_key, status, attempts, next_attempt_at, \
         created_at, updated_at) \
     VALUES (?1, ?2, ?3, 'pending', 0, ?5, ?4, ?4) \
     ON CONFLICT (idempotency_key) DO NOTHING \
     RETURNING id";

/// The notices of one voicemail (keys from `vm:<sid>:` up to, not including, `vm:<sid>;`)
/// still waiting: due now.
const NOTICES_DUE: &str = "UPDATE outbox SET next_attempt_at = ?3, updated_at = ?3 \
    WHERE idempotency_key >= ?1 AND idempotency_key < ?2 \
      AND kind = 'voicemail-notice' AND status = 'pending' AND next_attempt_at > ?3";

const MARK_SENT: &str = "UPDATE outbox \
    SET status = 'sent', result = ?2, last_error = NULL, updated_at = ?3 WHERE id = ?1";

const DUE_NOW: &str = "UPDATE outbox SET next_attempt_at = ?2 \
    WHERE kind = ?1 AND status = 'pending' AND next_attempt_at > ?2";

const MARK_RETRY: &str = "UPDATE outbox \
    SET status = 'pending', attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3, \
        updated_at = ?4 \
    WHERE id = ?1";

const MARK_FAILED: &str = "UPDATE outbox \
    SET status = 'failed', attempts = attempts + 1, last_error = ?2, updated_at = ?3 \
    WHERE id = ?1";

/// `claim_due`'s statement for `kinds` kinds: `?1` now, `?2` the lease's end, `?3` the limit,
/// then the kinds.
fn claim_sql(kinds: usize) -> String {
    let list: Vec<String> = (0..kinds).map(|i| format!("?{}", i + 4)).collect();
    format!(
        "UPDATE outbox SET \
             attempts = attempts + CASE WHEN status = 'sending' THEN 1 ELSE 0 END, \
             status = 'sending', updated_at = ?1 \
         WHERE id IN (SELECT id FROM outbox WHERE kind IN ({}) \
             AND ((status = 'pending' AND next_attempt_at <= ?1) \
                  OR (status = 'sending' AND updated_at <= ?2)) \
             ORDER BY next_attempt_at, id LIMIT ?3) \
         RETURNING *",
        list.join(", ")
    )
}

/// Whether [`blocking::claim_due`] would find anything: a read, so an idle worker's poll takes no write
/// lock.
pub async fn any_due(exec: impl SqliteExecutor<'_>, kinds: &[&str], now_ms: i64) -> Result<bool> {
    if kinds.is_empty() {
        return Ok(false);
    }
    let mut sql =
        QueryBuilder::<Sqlite>::new("SELECT EXISTS (SELECT 1 FROM outbox WHERE kind IN (");
    let mut kinds_list = sql.separated(", ");
    for kind in kinds {
        kinds_list.push_bind(*kind);
    }
    sql.push(") AND ((status = 'pending' AND next_attempt_at <= ")
        .push_bind(now_ms)
        .push(") OR (status = 'sending' AND updated_at <= ")
        .push_bind(now_ms.saturating_sub(SENDING_LEASE_MS))
        .push(")))");
    let found: bool = sql
        .build_query_scalar()
        .fetch_one(exec)
        .await
        .op("any_due")?;
    Ok(found)
}

pub async fn get(exec: impl SqliteExecutor<'_>, id: i64) -> Result<Option<OutboxItem>> {
    sqlx::query_as::<_, OutboxItem>("SELECT * FROM outbox WHERE id = $1")
        .bind(id)
        .fetch_optional(exec)
        .await
        .op("outbox get")
}

/// Work not done yet (`pending`, `sending`) and work given up on (`failed`), counted by kind
/// and status.
pub async fn depth(exec: impl SqliteExecutor<'_>) -> Result<Vec<(String, String, i64)>> {
    sqlx::query_as(
        "SELECT kind, status, COUNT(*) FROM outbox \
         WHERE status IN ('pending', 'sending', 'failed') GROUP BY kind, status ORDER BY kind, status",
    )
    .fetch_all(exec)
    .await
    .op("outbox depth")
}

/// Rows with `status` (all when `None`), newest first.
pub async fn list(
    exec: impl SqliteExecutor<'_>,
    status: Option<OutboxStatus>,
    limit: u32,
) -> Result<Vec<OutboxItem>> {
    sqlx::query_as::<_, OutboxItem>(
        "SELECT * FROM outbox WHERE ($1 IS NULL OR status = $1) ORDER BY id DESC LIMIT $2",
    )
    .bind(status)
    .bind(sql_limit(limit))
    .fetch_all(exec)
    .await
    .op("outbox list")
}

/// Rows not finished yet: `pending` or `sending`.
pub async fn pending_count(exec: impl SqliteExecutor<'_>) -> Result<i64> {
    sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')",
    )
    .fetch_one(exec)
    .await
    .op("pending_count")
}

/// The same writes for the writer thread (see `store::writer`).
pub mod blocking {
    use rusqlite::{params, params_from_iter, Connection, OptionalExtension as _, ToSql};

    use super::{OutboxItem, OutboxStatus};
    use crate::store::{sql_limit, Context, Result};

    /// Atomically marks up to `limit` due rows of the given kinds as `sending` and returns them,
    /// oldest due first. Due: `pending` with `next_attempt_at <= now_ms`, or `sending` for longer
    /// than [`SENDING_LEASE_MS`] (its worker crashed; the lost attempt is counted).
    pub fn claim_due(
        conn: &Connection,
        kinds: &[&str],
        now_ms: i64,
        limit: u32,
    ) -> Result<Vec<OutboxItem>> {
        if kinds.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let op = "claim_due";
        let mut values: Vec<&dyn ToSql> = Vec::with_capacity(kinds.len() + 3);
        let lease = now_ms.saturating_sub(super::SENDING_LEASE_MS);
        let limit = sql_limit(limit);
        values.push(&now_ms);
        values.push(&lease);
        values.push(&limit);
        for kind in kinds {
            values.push(kind);
        }
        let mut items = conn
            .prepare_cached(&super::claim_sql(kinds.len()))
            .op(op)?
            .query_map(params_from_iter(values), item_from_row)
            .op(op)?
            .collect::<rusqlite::Result<Vec<OutboxItem>>>()
            .op(op)?;
        items.sort_by_key(|item| (item.next_attempt_at, item.id));
        Ok(items)
    }

    /// An outbox row read by rusqlite.
    pub fn item_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxItem> {
        let status: String = row.get("status")?;
        let status = match status.as_str() {
            "pending" => OutboxStatus::Pending,
            "sending" => OutboxStatus::Sending,
            "sent" => OutboxStatus::Sent,
            "failed" => OutboxStatus::Failed,
            other => {
                return Err(rusqlite::Error::FromSqlConversionFailure(
                    0,
                    rusqlite::types::Type::Text,
                    format!("unknown outbox status {other}").into(),
                ))
            }
        };
        Ok(OutboxItem {
            id: row.get("id")?,
            kind: row.get("kind")?,
            payload: row.get("payload")?,
            idempotency_key: row.get("idempotency_key")?,
            status,
            attempts: row.get("attempts")?,
            next_attempt_at: row.get("next_attempt_at")?,
            last_error: row.get("last_error")?,
            result: row.get("result")?,
            created_at: row.get("created_at")?,
            updated_at: row.get("updated_at")?,
        })
    }

    /// The work is done; `result` is what it produced (e.g. the Twilio SID).
    pub fn mark_sent(conn: &Connection, id: i64, result: Option<&str>, now: i64) -> Result<bool> {
        let op = "mark_sent";
        let done = conn
            .prepare_cached(super::MARK_SENT)
            .op(op)?
            .execute(params![id, result, now])
            .op(op)?;
        Ok(done == 1)
    }

    /// The attempt failed but may succeed later: back to `pending` until `next_attempt_at`.
    /// (`now`: the row's update time).
    pub fn mark_retry(
        conn: &Connection,
        id: i64,
        error: &str,
        next_attempt_at: i64,
        now: i64,
    ) -> Result<bool> {
        let op = "mark_retry";
        let done = conn
            .prepare_cached(super::MARK_RETRY)
            .op(op)?
            .execute(params![id, error, next_attempt_at, now])
            .op(op)?;
        Ok(done == 1)
    }

    /// The work cannot succeed (or has been retried enough): it stays in the outbox as `failed`.
    pub fn mark_failed(conn: &Connection, id: i64, error: &str, now: i64) -> Result<bool> {
        let op = "mark_failed";
        let done = conn
            .prepare_cached(super::MARK_FAILED)
            .op(op)?
            .execute(params![id, error, now])
            .op(op)?;
        Ok(done == 1)
    }

    /// Makes every pending row of `kind` that waits for a later try due at `now`: after a restart
    /// (a configuration fixed meanwhile) nobody should wait out a long backoff. Returns how many.
    pub fn due_now(conn: &Connection, kind: &str, now: i64) -> Result<u64> {
        let op = "outbox due now";
        let done = conn
            .prepare_cached(super::DUE_NOW)
            .op(op)?
            .execute(params![kind, now])
            .op(op)?;
        Ok(u64::try_from(done).unwrap_or(u64::MAX))
    }

    /// Queues work due at once. With an idempotency key already in the outbox (whatever its
    /// status), nothing is queued and this returns `None`.
    pub fn enqueue(
        conn: &Connection,
        kind: &str,
        payload: &serde_json::Value,
        idempotency_key: Option<&str>,
        now_ms: i64,
    ) -> Result<Option<i64>> {
        enqueue_at(conn, kind, payload, idempotency_key, now_ms, now_ms)
    }

    /// Like [`enqueue`], first due at `due_ms`.
    pub fn enqueue_at(
        conn: &Connection,
        kind: &str,
        payload: &serde_json::Value,
        idempotency_key: Option<&str>,
        now_ms: i64,
        due_ms: i64,
    ) -> Result<Option<i64>> {
        let op = "enqueue";
        if due_ms != now_ms {
            return conn
                .prepare_cached(super::ENQUEUE_AT)
                .op(op)?
                .query_row(
                    params![kind, payload.to_string(), idempotency_key, now_ms, due_ms],
                    |row| row.get(0),
                )
                .optional()
                .op(op);
        }
        conn.prepare_cached(super::ENQUEUE)
            .op(op)?
            .query_row(
                params![kind, payload.to_string(), idempotency_key, now_ms],
                |row| row.get(0),
            )
            .optional()
            .op(op)
    }

    /// The waiting notices of voicemail `recording` are due at `now_ms`; answers how many.
    pub fn notices_due(conn: &Connection, recording: &str, now_ms: i64) -> Result<usize> {
        let from = format!("vm:{recording}:");
        let to = format!("vm:{recording};");
        conn.prepare_cached(super::NOTICES_DUE)
            .op("notices_due")?
            .execute(params![from, to, now_ms])
            .op("notices_due")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::store;
    use serde_json::json;

    const T0: i64 = 1_700_000_000_000;

    fn ids(items: &[OutboxItem]) -> Vec<i64> {
        items.iter().map(|i| i.id).collect()
    }

    #[tokio::test]
    async fn emails_an_older_version_failed_for_a_refused_login_are_queued_again() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::store::test_support::database_before(dir.path(), 18).await;
        let mut failed = Vec::new();
        for (kind, error) in [
            (
                "email",
                "the SMTP server answered 535 5.7.8 Authentication credentials invalid",
            ),
            (
                "email",
                "the SMTP server answered 530 5.7.0 Authentication required",
            ),
            ("email", "the SMTP server answered 550 mailbox unavailable"),
            ("sms", "the SMTP server answered 535 5.7.8 not an email"),
        ] {
            // What an older vbx's worker left: one attempt, failed for good.
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO outbox (kind, payload, status, attempts, last_error, \
                     next_attempt_at, created_at, updated_at) \
                 VALUES (?1, '{\"to\":\"x\"}', 'failed', 1, ?2, ?3, ?3, ?4) RETURNING id",
            )
            .bind(kind)
            .bind(error)
            .bind(T0)
            .bind(T0 + 1)
            .fetch_one(&pool)
            .await
            .unwrap();
            failed.push(id);
        }
        crate::store::test_support::migrate(&pool, 18..=18).await;
        let mut statuses = Vec::new();
        for id in &failed {
            let row = get(&pool, *id).await.unwrap().unwrap();
            statuses.push((row.status, row.attempts));
            if row.status == OutboxStatus::Pending {
                assert!(row.next_attempt_at > T0, "due now: {row:?}");
            }
        }
        assert_eq!(
            statuses,
            [
                (OutboxStatus::Pending, 0),
                (OutboxStatus::Pending, 0),
                (OutboxStatus::Failed, 1),
                (OutboxStatus::Failed, 1),
            ]
        );
    }

    #[tokio::test]
    async fn an_item_is_claimed_retried_and_sent() {
        let (_dir, store) = store().await;
        let pool = store.pool();
        let payload = json!({"to": "+15550001111", "body": "hi"});
        let id = store
            .enqueue_work("sms", &payload, None, T0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(pending_count(pool).await.unwrap(), 1);

        let claimed = store.claim_outbox(&["sms"], T0, 10).await.unwrap();
        assert_eq!(ids(&claimed), [id]);
        assert_eq!(claimed[0].status, OutboxStatus::Sending);
        assert_eq!(
            claimed[0].payload_as::<serde_json::Value>().unwrap(),
            payload
        );
        // Claimed rows are not handed out twice.
        assert!(store
            .claim_outbox(&["sms"], T0, 10)
            .await
            .unwrap()
            .is_empty());

        assert!(store
            .outbox_retry(id, "503 from Twilio", T0 + 5_000, T0 + 1)
            .await
            .unwrap());
        assert!(store
            .claim_outbox(&["sms"], T0 + 4_999, 10)
            .await
            .unwrap()
            .is_empty());
        let again = store.claim_outbox(&["sms"], T0 + 5_000, 10).await.unwrap();
        assert_eq!(ids(&again), [id]);
        assert_eq!(again[0].attempts, 1);
        assert_eq!(again[0].last_error.as_deref(), Some("503 from Twilio"));

        assert!(store
            .outbox_sent(id, Some("SM123"), T0 + 6_000)
            .await
            .unwrap());
        let done = get(pool, id).await.unwrap().unwrap();
        assert_eq!(done.status, OutboxStatus::Sent);
        assert_eq!(done.result.as_deref(), Some("SM123"));
        assert_eq!(done.last_error, None);
        assert_eq!(pending_count(pool).await.unwrap(), 0);
        assert!(store
            .claim_outbox(&["sms"], T0 + 999_999, 10)
            .await
            .unwrap()
            .is_empty());
    }

    #[tokio::test]
    async fn a_duplicate_idempotency_key_is_not_enqueued_twice() {
        let (_dir, store) = store().await;
        let pool = store.pool();
        let first = store
            .enqueue_work("sms", &json!({"n": 1}), Some("relay:SM1"), T0)
            .await
            .unwrap();
        assert!(first.is_some());
        let second = store
            .enqueue_work("sms", &json!({"n": 2}), Some("relay:SM1"), T0 + 1)
            .await
            .unwrap();
        assert_eq!(second, None);
        // Items without a key never collide.
        assert!(store
            .enqueue_work("sms", &json!({}), None, T0)
            .await
            .unwrap()
            .is_some());
        assert!(store
            .enqueue_work("sms", &json!({}), None, T0)
            .await
            .unwrap()
            .is_some());
        assert_eq!(pending_count(pool).await.unwrap(), 3);
        let keyed = get(pool, first.unwrap()).await.unwrap().unwrap();
        assert_eq!(
            keyed.payload_as::<serde_json::Value>().unwrap(),
            json!({"n": 1})
        );
    }

    #[tokio::test]
    async fn a_row_left_sending_by_a_crash_is_reclaimed_after_the_lease() {
        let (_dir, store) = store().await;
        let id = store
            .enqueue_work("email", &json!({}), None, T0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            ids(&store.claim_outbox(&["email"], T0, 1).await.unwrap()),
            [id]
        );

        let within = T0 + SENDING_LEASE_MS - 1;
        assert!(store
            .claim_outbox(&["email"], within, 1)
            .await
            .unwrap()
            .is_empty());
        let reclaimed = store
            .claim_outbox(&["email"], T0 + SENDING_LEASE_MS, 1)
            .await
            .unwrap();
        assert_eq!(ids(&reclaimed), [id]);
        assert_eq!(reclaimed[0].attempts, 1, "the lost attempt is counted");
        assert_eq!(reclaimed[0].updated_at, T0 + SENDING_LEASE_MS);
    }

    #[tokio::test]
    async fn any_due_sees_exactly_what_claim_due_would_take() {
        let (_dir, store) = store().await;
        let pool = store.pool();
        assert!(!any_due(pool, &["sms"], T0).await.unwrap());
        store
            .enqueue_work("xmpp", &json!({}), None, T0)
            .await
            .unwrap();
        let sms = store
            .enqueue_work("sms", &json!({}), None, T0 + 10)
            .await
            .unwrap()
            .unwrap();
        assert!(
            !any_due(pool, &["sms"], T0 + 9).await.unwrap(),
            "not yet due"
        );
        assert!(!any_due(pool, &[], T0 + 10).await.unwrap());
        assert!(any_due(pool, &["email", "sms"], T0 + 10).await.unwrap());

        assert_eq!(
            ids(&store.claim_outbox(&["sms"], T0 + 10, 10).await.unwrap()),
            [sms]
        );
        assert!(!any_due(pool, &["sms"], T0 + 10).await.unwrap(), "claimed");
        assert!(
            any_due(pool, &["sms"], T0 + 10 + SENDING_LEASE_MS)
                .await
                .unwrap(),
            "a lapsed lease is due again"
        );
        store.outbox_sent(sms, None, T0 + 20).await.unwrap();
        assert!(!any_due(pool, &["sms"], T0 + 10 * SENDING_LEASE_MS)
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn claims_respect_kinds_limit_and_due_order() {
        let (_dir, store) = store().await;
        let late = store
            .enqueue_work("sms", &json!({}), None, T0 + 2)
            .await
            .unwrap()
            .unwrap();
        let early = store
            .enqueue_work("sms", &json!({}), None, T0)
            .await
            .unwrap()
            .unwrap();
        let xmpp = store
            .enqueue_work("xmpp", &json!({}), None, T0)
            .await
            .unwrap()
            .unwrap();
        let future = store
            .enqueue_work("sms", &json!({}), None, T0 + 100)
            .await
            .unwrap()
            .unwrap();

        let first = store.claim_outbox(&["sms"], T0 + 10, 1).await.unwrap();
        assert_eq!(ids(&first), [early]);
        let rest = store
            .claim_outbox(&["sms", "email"], T0 + 10, 10)
            .await
            .unwrap();
        assert_eq!(ids(&rest), [late]);
        assert_eq!(
            ids(&store.claim_outbox(&["xmpp"], T0 + 10, 10).await.unwrap()),
            [xmpp]
        );
        assert!(store
            .claim_outbox(&[], T0 + 1_000, 10)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            ids(&store.claim_outbox(&["sms"], T0 + 100, 10).await.unwrap()),
            [future]
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_claims_never_hand_out_a_row_twice() {
        let (_dir, store) = store().await;
        for _ in 0..60 {
            store
                .enqueue_work("sms", &json!({}), None, T0)
                .await
                .unwrap();
        }
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..6 {
            let store = store.clone();
            tasks.spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let batch = store.claim_outbox(&["sms"], T0, 4).await.unwrap();
                    if batch.is_empty() {
                        return mine;
                    }
                    mine.extend(batch.into_iter().map(|i| i.id));
                }
            });
        }
        let mut all = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            all.extend(joined.unwrap());
        }
        all.sort_unstable();
        let before = all.len();
        all.dedup();
        assert_eq!(before, 60);
        assert_eq!(all.len(), 60);
    }

    #[tokio::test]
    async fn failed_items_are_listed_with_their_error_and_no_longer_pending() {
        let (_dir, store) = store().await;
        let pool = store.pool();
        let bad = store
            .enqueue_work("sms", &json!({}), None, T0)
            .await
            .unwrap()
            .unwrap();
        let ok = store
            .enqueue_work("sms", &json!({}), None, T0)
            .await
            .unwrap()
            .unwrap();
        store.claim_outbox(&["sms"], T0, 10).await.unwrap();
        store
            .outbox_failed(bad, "21211 invalid To", T0 + 1)
            .await
            .unwrap();

        let failed = list(pool, Some(OutboxStatus::Failed), 10).await.unwrap();
        assert_eq!(ids(&failed), [bad]);
        assert_eq!(failed[0].last_error.as_deref(), Some("21211 invalid To"));
        assert_eq!(failed[0].attempts, 1);
        assert_eq!(ids(&list(pool, None, 10).await.unwrap()), [ok, bad]);
        assert_eq!(pending_count(pool).await.unwrap(), 1);
        assert!(!store.outbox_sent(9_999, None, T0).await.unwrap());
    }
}
