//! The single-row and small reads the app, the workers and the devices make, as `Store`
//! methods on the read pool: callers never hold a connection or name a pool.

use super::call::{self, CallRow};
use super::contact::{self, Contact};
use super::event::{self, EventRow};
use super::history;
use super::inbox::{self, Blocked};
use super::media_fetch::{self, PendingMedia};
use super::message::{self, MediaRow, MessageRow};
use super::outbox::{self, OutboxItem, OutboxStatus};
use super::recording::{self, RecordingRow};
use super::session::{self, SessionRow};
use super::sync_state::{self, SyncState};
use super::{outbox_sms, Context, Result, Store};

impl Store {
    /// Every contact, by name.
    pub async fn contacts(&self) -> Result<Vec<Contact>> {
        contact::list(self.pool()).await
    }

    /// The blocked numbers, with their names.
    pub async fn blocked_numbers(&self) -> Result<Vec<Blocked>> {
        inbox::blocked(self.pool()).await
    }

    /// Voicemails nobody has heard yet.
    pub async fn new_voicemails(&self) -> Result<i64> {
        inbox::new_voicemails(self.pool()).await
    }

    pub async fn message(&self, sid: &str) -> Result<Option<MessageRow>> {
        message::get_message(self.pool(), sid).await
    }

    /// A message's media, in order.
    pub async fn media_of(&self, sid: &str) -> Result<Vec<MediaRow>> {
        message::media_of(self.pool(), sid).await
    }

    pub async fn recording(&self, sid: &str) -> Result<Option<RecordingRow>> {
        recording::get_recording(self.pool(), sid).await
    }

    pub async fn call(&self, sid: &str) -> Result<Option<CallRow>> {
        call::get_call(self.pool(), sid).await
    }

    /// Outbox row `id`, whatever its kind and status.
    pub async fn outbox_row(&self, id: i64) -> Result<Option<OutboxItem>> {
        outbox::get(self.pool(), id).await
    }

    /// Up to `limit` outbox rows given up on, newest first.
    pub async fn failed_work(&self, limit: u32) -> Result<Vec<OutboxItem>> {
        outbox::list(self.pool(), Some(OutboxStatus::Failed), limit).await
    }

    /// Work not done (`pending`, `sending`) and given up on (`failed`), by kind and status.
    pub async fn outbox_depth(&self) -> Result<Vec<(String, String, i64)>> {
        outbox::depth(self.pool()).await
    }

    /// Texts not sent yet and texts that failed: `(unsent, failed)`.
    pub async fn outbox_counts(&self) -> Result<(i64, i64)> {
        history::outbox_counts(self.pool()).await
    }

    /// Whether a claim of `kinds` would find work due at `now`: a read, so an idle worker's
    /// poll takes no write lock.
    pub async fn work_due(&self, kinds: &[&str], now: i64) -> Result<bool> {
        outbox::any_due(self.pool(), kinds, now).await
    }

    /// When the next pending row of `kind` is due (unix ms), if one is waiting.
    pub async fn next_due(&self, kind: &str) -> Result<Option<i64>> {
        sqlx::query_scalar::<_, Option<i64>>(
            "SELECT MIN(next_attempt_at) FROM outbox WHERE kind = $1 AND status = 'pending'",
        )
        .bind(kind)
        .fetch_one(self.pool())
        .await
        .op("next_due")
    }

    /// Whether an outbox row other than `except_id` already produced message `sid`.
    pub async fn sms_sid_taken(&self, sid: &str, except_id: i64) -> Result<bool> {
        outbox_sms::sid_taken(self.pool(), sid, except_id).await
    }

    /// The live login session with token hash `token_hash` at `now`.
    pub async fn session(&self, token_hash: &str, now: i64) -> Result<Option<SessionRow>> {
        session::find(self.pool(), token_hash, now).await
    }

    /// The newest event's cursor (0 before the first).
    pub async fn latest_event(&self) -> Result<i64> {
        event::latest_id(self.pool()).await
    }

    /// The oldest event kept.
    pub async fn oldest_event(&self) -> Result<Option<i64>> {
        event::oldest_id(self.pool()).await
    }

    /// Up to `limit` events after `cursor`, oldest first.
    pub async fn events_after(&self, cursor: i64, limit: u32) -> Result<Vec<EventRow>> {
        event::after(self.pool(), cursor, limit).await
    }

    /// Incoming media due for download at `now`, oldest first.
    pub async fn media_due(&self, now: i64, limit: u32) -> Result<Vec<PendingMedia>> {
        media_fetch::due(self.pool(), now, limit).await
    }

    /// How the last passes of the sync over `resource` went.
    pub async fn sync_state(&self, resource: &str) -> Result<Option<SyncState>> {
        sync_state::get(self.pool(), resource).await
    }

    /// When all of `resources` last synced, the oldest of them.
    pub async fn last_sync(&self, resources: &[&str]) -> Result<Option<i64>> {
        sync_state::last_sync(self.pool(), resources).await
    }
}
