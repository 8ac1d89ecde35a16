//! The workers' use cases for recordings and voicemails: a recording downloaded into the data
//! directory (and Twilio's copy deleted), and a voicemail notice turned into the device's own
//! outbound work. Each settles its outbox row in the same transaction as its effect, so a
//! restart in between neither loses nor repeats it.

use rusqlite::params;

use super::outbox::blocking as outbox;
use super::webhooks::{store_work, Work};
use super::{Changes, Context, Result, Store};

impl Store {
    /// Download job `id` saved recording `sid` at `relative` (under the data directory).
    pub async fn recording_downloaded(
        &self,
        id: i64,
        sid: &str,
        relative: &str,
        now: i64,
    ) -> Result<()> {
        let (sid, relative) = (sid.to_owned(), relative.to_owned());
        self.write(move |conn| {
            conn.prepare_cached(
                "UPDATE recordings SET local_path = ?2, updated_at = ?3 WHERE sid = ?1",
            )
            .op("recording_downloaded")?
            .execute(params![sid, relative, now])
            .op("recording_downloaded")?;
            outbox::mark_sent(conn, id, Some(&relative), now)?;
            Ok(())
        })
        .await
    }

    /// Twilio no longer has recording `sid` (vbx deleted it there).
    pub async fn recording_deleted_at_twilio(&self, sid: &str, now: i64) -> Result<()> {
        let sid = sid.to_owned();
        self.write(move |conn| {
            conn.prepare_cached("UPDATE recordings SET twilio_deleted_at = ?2 WHERE sid = ?1")
                .op("recording_deleted_at_twilio")?
                .execute(params![sid, now])
                .op("recording_deleted_at_twilio")?;
            Ok(())
        })
        .await
    }

    /// Notice `id` is done: `work` (the text, email or XMPP message it became) is queued with
    /// it, or nothing when the notice had nowhere to go.
    pub async fn notice_sent(&self, id: i64, work: Vec<Work>, now: i64) -> Result<Changes> {
        self.write(move |conn| {
            let mut out = Changes::default();
            if outbox::mark_sent(conn, id, None, now)? {
                store_work(conn, &work, now, &mut out)?;
            }
            Ok(out)
        })
        .await
    }
}
