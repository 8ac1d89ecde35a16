//! The voicemail box: every voicemail (never a call's own recording), newest first, with who
//! left it; one marked heard; one deleted here and, through the outbox, at Twilio. Each change
//! is one writer-thread job that answers the feed rows and the work to publish.

use serde::Serialize;

use super::history::{self, Cursor, Page, VoicemailItem};
use super::{sql_limit, Changes, Context, Result, Store};

/// A voicemail in the box: its thread item, and who left it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Voicemail {
    #[serde(flatten)]
    pub item: VoicemailItem,
    /// The other party of its call; `None` while that call is unknown.
    pub number: Option<String>,
    /// The number's contact name.
    pub name: Option<String>,
}

/// What deleting a voicemail removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedVoicemail {
    /// Its thread, if its call was known.
    pub number: Option<String>,
    /// vbx's copy of the audio (relative to the data directory), if the download finished:
    /// the caller's to remove.
    pub local_path: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    sid: String,
    call_sid: String,
    duration_s: Option<i64>,
    transcription_text: Option<String>,
    transcription_status: Option<String>,
    heard: bool,
    created_at: i64,
    party: Option<String>,
    name: Option<String>,
}

impl Row {
    fn voicemail(self) -> Voicemail {
        Voicemail {
            item: VoicemailItem {
                url: format!("/api/recordings/{}", self.sid),
                sid: self.sid,
                call_sid: self.call_sid,
                duration: self.duration_s,
                transcription: self.transcription_text,
                transcription_status: self.transcription_status,
                heard: self.heard,
                at: self.created_at,
            },
            number: self.party,
            name: self.name,
        }
    }
}

/// A page of the box, newest first; `paged` starts below the cursor `($1, $2)`. The voicemails
/// come in order from their own index (`recordings_voicemails`, migration 0021), so a page
/// costs the same with a million recordings as with ten.
fn list_sql(paged: bool) -> String {
    let (after, limit) = if paged {
        (" AND (r.created_at, r.sid) < ($1, $2)", "$3")
    } else {
        ("", "$1")
    };
    format!(
        "SELECT r.sid, r.call_sid, r.duration_s, r.transcription_text, r.transcription_status, \
             r.heard_at IS NOT NULL AS heard, r.created_at, r.party, contacts.name \
         FROM recordings r LEFT JOIN contacts ON contacts.number = r.party \
         WHERE r.source = 'voicemail'{after} \
         ORDER BY r.created_at DESC, r.sid DESC LIMIT {limit}"
    )
}

impl Store {
    /// A page of voicemails, newest first, before `before`.
    pub async fn voicemails(&self, before: Option<&Cursor>, limit: u32) -> Result<Page<Voicemail>> {
        let op = "voicemails";
        let fetch = sql_limit(limit).saturating_add(1);
        let rows = match before {
            Some((at, sid)) => {
                sqlx::query_as::<_, Row>(&list_sql(true))
                    .bind(at)
                    .bind(sid)
                    .bind(fetch)
                    .fetch_all(self.pool())
                    .await
            }
            None => {
                sqlx::query_as::<_, Row>(&list_sql(false))
                    .bind(fetch)
                    .fetch_all(self.pool())
                    .await
            }
        }
        .op(op)?;
        let page = history::page(rows, limit, |r| (r.created_at, r.sid.clone()));
        Ok(Page {
            items: page.items.into_iter().map(Row::voicemail).collect(),
            next: page.next,
        })
    }

    /// Marks voicemail `sid` heard; `None` when there is no such voicemail. Its item changes
    /// in its thread and every tab gets the new count; nothing changes when it was heard.
    pub async fn mark_voicemail_heard(&self, sid: &str, now: i64) -> Result<Option<Changes>> {
        let sid = sid.to_owned();
        self.write(move |conn| blocking::hear(conn, &sid, now))
            .await
    }

    /// Deletes voicemail `sid` and queues its deletion at Twilio, in one transaction: its
    /// thread loses it, its call no longer reads "voicemail", the count of new ones drops if
    /// it was new, and a download still waiting is dropped. `None` when there is no such
    /// voicemail (a call recording is not one).
    pub async fn delete_voicemail(
        &self,
        sid: &str,
        now: i64,
    ) -> Result<Option<(DeletedVoicemail, Changes)>> {
        let sid = sid.to_owned();
        self.write(move |conn| blocking::delete(conn, &sid, now))
            .await
    }
}

/// The writes for the writer thread (see `store::writer`).
pub mod blocking {
    use rusqlite::{params, Connection, OptionalExtension as _};
    use serde_json::json;

    use super::DeletedVoicemail;
    use crate::store::event::blocking as feed;
    use crate::store::inbox::voicemails_changed;
    use crate::store::outbox::{
        blocking as queue, delete_key, download_key, RECORDING_DELETE, RECORDING_DOWNLOAD,
    };
    use crate::store::{Changes, Context, Result};

    /// [`super::Store::mark_voicemail_heard`].
    pub fn hear(conn: &Connection, sid: &str, now: i64) -> Result<Option<Changes>> {
        let op = "hear voicemail";
        let heard = conn
            .prepare_cached(
                "UPDATE recordings SET heard_at = ?2 \
                 WHERE sid = ?1 AND source = 'voicemail' AND heard_at IS NULL",
            )
            .op(op)?
            .execute(params![sid, now])
            .op(op)?;
        let mut out = Changes::default();
        if heard == 0 {
            let known = conn
                .prepare_cached("SELECT 1 FROM recordings WHERE sid = ?1 AND source = 'voicemail'")
                .op(op)?
                .query_row(params![sid], |_| Ok(()))
                .optional()
                .op(op)?;
            return Ok(known.map(|()| out));
        }
        out.push(feed::voicemail_changed(conn, sid, now)?);
        out.push(Some(voicemails_changed(conn, now)?));
        Ok(Some(out))
    }

    /// [`super::Store::delete_voicemail`].
    pub fn delete(
        conn: &Connection,
        sid: &str,
        now: i64,
    ) -> Result<Option<(DeletedVoicemail, Changes)>> {
        let op = "delete voicemail";
        let found = conn
            .prepare_cached(
                "DELETE FROM recordings WHERE sid = ?1 AND source = 'voicemail' \
                 RETURNING call_sid, party, heard_at IS NULL, local_path, \
                     twilio_deleted_at IS NOT NULL",
            )
            .op(op)?
            .query_row(params![sid], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Option<String>>(1)?,
                    row.get::<_, bool>(2)?,
                    row.get::<_, Option<String>>(3)?,
                    row.get::<_, bool>(4)?,
                ))
            })
            .optional()
            .op(op)?;
        let Some((call_sid, number, was_new, local_path, gone_at_twilio)) = found else {
            return Ok(None);
        };
        let mut out = Changes::default();
        // A download still waiting has nothing left to fetch (and would keep a copy of what
        // the user deleted); one already claimed finds the recording gone before it fetches.
        conn.prepare_cached(
            "UPDATE outbox SET status = 'sent', result = 'deleted', last_error = NULL, \
                 updated_at = ?3 \
             WHERE idempotency_key = ?1 AND kind = ?2 AND status = 'pending'",
        )
        .op(op)?
        .execute(params![download_key(sid), RECORDING_DOWNLOAD, now])
        .op(op)?;
        if !gone_at_twilio {
            let key = delete_key(sid);
            let queued = match queue::enqueue(
                conn,
                RECORDING_DELETE,
                &json!({ "sid": sid }),
                Some(&key),
                now,
            )? {
                Some(id) => Some(id),
                // Queued before (after the download): a deletion given up on is tried again,
                // since the user asked; one pending or under way goes on as it is.
                None => conn
                    .prepare_cached(
                        "UPDATE outbox SET status = 'pending', attempts = 0, \
                             next_attempt_at = ?2, updated_at = ?2 \
                         WHERE idempotency_key = ?1 AND status = 'failed' RETURNING id",
                    )
                    .op(op)?
                    .query_row(params![key, now], |row| row.get(0))
                    .optional()
                    .op(op)?,
            };
            if let Some(id) = queued {
                out.queued.push((RECORDING_DELETE, id));
            }
        }
        out.push(Some(feed::append(
            conn,
            "deleted",
            number.as_deref(),
            &json!({ "kind": "voicemail", "sid": sid, "call_sid": call_sid }),
            now,
        )?));
        if was_new {
            out.push(Some(voicemails_changed(conn, now)?));
        }
        // Without its voicemail the call reads as what else it was (missed).
        out.push(feed::call_changed(conn, &call_sid, now)?);
        Ok(Some((DeletedVoicemail { number, local_path }, out)))
    }
}

#[cfg(test)]
mod tests {
    use super::list_sql;
    use crate::store::test_support::store;

    #[tokio::test]
    async fn a_page_of_the_box_is_read_from_its_index_without_sorting_the_recordings() {
        let (_dir, store) = store().await;
        for paged in [false, true] {
            let rows: Vec<(i64, i64, i64, String)> =
                sqlx::query_as(&format!("EXPLAIN QUERY PLAN {}", list_sql(paged)))
                    .bind(1_i64)
                    .bind("RE1")
                    .bind(51_i64)
                    .fetch_all(store.pool())
                    .await
                    .unwrap();
            let plan: Vec<String> = rows.into_iter().map(|r| r.3).collect();
            assert!(
                plan.iter().any(|d| d.contains("recordings_voicemails")),
                "{plan:?}"
            );
            assert!(!plan.iter().any(|d| d.contains("TEMP B-TREE")), "{plan:?}");
        }
    }
}
