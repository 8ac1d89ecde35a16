//! Recordings (voicemail and recorded calls) and their transcriptions, from recording and
//! transcription callbacks, which may repeat.

use sqlx::SqliteExecutor;

use super::{Context, Result};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RecordingRow {
    pub sid: String,
    pub call_sid: String,
    pub url: String,
    pub duration_s: Option<i64>,
    pub status: String,
    pub transcription_text: Option<String>,
    pub transcription_status: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub heard_at: Option<i64>,
    pub party: Option<String>,
    /// [`VOICEMAIL`] or [`CALL`].
    pub source: String,
    /// The downloaded copy, relative to the data directory.
    pub local_path: Option<String>,
    pub twilio_deleted_at: Option<i64>,
}

/// A recording left by `<Record>` (a `voicemail` or `record` step).
pub const VOICEMAIL: &str = "voicemail";
/// A recording of a bridged call (`<Dial record>`).
pub const CALL: &str = "call";

/// What Twilio's `RecordingSource` says the recording is; without one it came from `<Record>`
/// (the only recordings older vbx asked for).
pub fn source_of(recording_source: Option<&str>) -> &'static str {
    match recording_source {
        None | Some("RecordVerb") => VOICEMAIL,
        Some(_) => CALL,
    }
}

/// What a recording callback (or the `<Record>` action request) says.
#[derive(Debug, Clone)]
pub struct RecordingUpdate {
    pub sid: String,
    pub call_sid: String,
    pub url: String,
    pub duration_s: Option<i64>,
    pub status: String,
    /// [`VOICEMAIL`] or [`CALL`].
    pub source: &'static str,
    /// A transcript was asked for and Twilio makes one of a recording this long: its
    /// transcription is `in-progress` until the transcription callback says how it went.
    pub transcribing: bool,
    pub now_ms: i64,
}

/// The statement of [`upsert_recording`]: sid, call, url, duration, status, time, source,
/// transcribing. A call recording is nothing to hear, so it is never new. What a
/// transcription callback said is never replaced by `in-progress`.
const UPSERT_RECORDING: &str = "INSERT INTO recordings \
        (sid, call_sid, url, duration_s, status, created_at, updated_at, source, heard_at, \
         transcription_status) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, CASE WHEN ?7 = 'call' THEN ?6 END, \
        CASE WHEN ?8 THEN 'in-progress' END) \
    ON CONFLICT (sid) DO UPDATE SET \
        call_sid = excluded.call_sid, \
        url = excluded.url, \
        duration_s = COALESCE(excluded.duration_s, recordings.duration_s), \
        status = excluded.status, \
        source = excluded.source, \
        transcription_status = \
            COALESCE(recordings.transcription_status, excluded.transcription_status), \
        updated_at = excluded.updated_at";

/// The statement of [`set_transcription`]: recording, text, status, time.
const SET_TRANSCRIPTION: &str = "UPDATE recordings \
    SET transcription_text = COALESCE(?2, transcription_text), transcription_status = ?3, \
        updated_at = ?4 \
    WHERE sid = ?1";

pub async fn get_recording(
    exec: impl SqliteExecutor<'_>,
    sid: &str,
) -> Result<Option<RecordingRow>> {
    sqlx::query_as::<_, RecordingRow>("SELECT * FROM recordings WHERE sid = $1")
        .bind(sid)
        .fetch_optional(exec)
        .await
        .op("get_recording")
}

/// The recordings of one call, oldest first.
pub async fn recordings_of_call(
    exec: impl SqliteExecutor<'_>,
    call_sid: &str,
) -> Result<Vec<RecordingRow>> {
    sqlx::query_as::<_, RecordingRow>(
        "SELECT * FROM recordings WHERE call_sid = $1 ORDER BY created_at, sid",
    )
    .bind(call_sid)
    .fetch_all(exec)
    .await
    .op("recordings_of_call")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::{conn, store};

    const CALL: &str = "CA00000000000000000000000000000001";
    const REC: &str = "RE00000000000000000000000000000001";

    fn update(status: &str, duration_s: Option<i64>, now_ms: i64) -> RecordingUpdate {
        RecordingUpdate {
            sid: REC.into(),
            call_sid: CALL.into(),
            url: format!("https://api.twilio.com/Recordings/{REC}"),
            duration_s,
            status: status.into(),
            source: VOICEMAIL,
            transcribing: false,
            now_ms,
        }
    }

    #[tokio::test]
    async fn repeated_recording_callbacks_keep_one_row_with_the_latest_info() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        blocking::upsert_recording(&db, &update("in-progress", None, 1_000)).unwrap();
        blocking::upsert_recording(&db, &update("completed", Some(17), 2_000)).unwrap();
        blocking::upsert_recording(&db, &update("completed", None, 3_000)).unwrap();

        let rows = recordings_of_call(store.pool(), CALL).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].status, "completed");
        assert_eq!(rows[0].duration_s, Some(17));
        assert_eq!(rows[0].created_at, 1_000);
        assert_eq!(rows[0].updated_at, 3_000);
    }

    #[tokio::test]
    async fn a_transcription_attaches_to_its_recording() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        blocking::upsert_recording(&db, &update("completed", Some(5), 1_000)).unwrap();
        assert!(
            blocking::set_transcription(&db, REC, Some("call me back"), "completed", 2_000)
                .unwrap()
        );
        // A later recording callback does not wipe the transcription.
        blocking::upsert_recording(&db, &update("completed", Some(5), 3_000)).unwrap();
        let row = get_recording(store.pool(), REC).await.unwrap().unwrap();
        assert_eq!(row.transcription_text.as_deref(), Some("call me back"));
        assert_eq!(row.transcription_status.as_deref(), Some("completed"));
    }

    #[tokio::test]
    async fn a_transcript_asked_for_is_in_progress_until_its_callback_says_how_it_went() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        let asked = RecordingUpdate {
            transcribing: true,
            ..update("completed", Some(5), 1_000)
        };
        blocking::upsert_recording(&db, &asked).unwrap();
        let status = || async {
            get_recording(store.pool(), REC)
                .await
                .unwrap()
                .unwrap()
                .transcription_status
        };
        assert_eq!(status().await.as_deref(), Some("in-progress"));
        blocking::set_transcription(&db, REC, None, "failed", 2_000).unwrap();
        // The recording's other callback comes after: what Twilio said stays.
        blocking::upsert_recording(&db, &asked).unwrap();
        assert_eq!(status().await.as_deref(), Some("failed"));
        // Nothing asked, nothing in progress.
        let mut other = update("completed", Some(5), 3_000);
        other.sid = "RE00000000000000000000000000000002".into();
        blocking::upsert_recording(&db, &other).unwrap();
        let row = get_recording(store.pool(), &other.sid)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.transcription_status, None);
    }

    #[tokio::test]
    async fn a_transcription_for_an_unknown_recording_is_reported() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        assert!(!blocking::set_transcription(&db, REC, Some("hi"), "completed", 1).unwrap());
        assert_eq!(get_recording(store.pool(), REC).await.unwrap(), None);
    }

    #[tokio::test]
    async fn recordings_of_call_lists_only_that_call_oldest_first() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        for (i, call) in [CALL, CALL, "CA00000000000000000000000000000009"]
            .into_iter()
            .enumerate()
        {
            let i = i64::try_from(i).unwrap();
            let mut u = update("completed", Some(i), 10 - i);
            u.sid = format!("RE{:032}", i);
            u.call_sid = call.into();
            blocking::upsert_recording(&db, &u).unwrap();
        }
        let rows = recordings_of_call(store.pool(), CALL).await.unwrap();
        let sids: Vec<&str> = rows.iter().map(|r| r.sid.as_str()).collect();
        assert_eq!(sids, [format!("RE{:032}", 1), format!("RE{:032}", 0)]);
    }
}

/// The same writes for the writer thread (see `store::writer`).
pub mod blocking {
    use rusqlite::{params, Connection};

    use super::RecordingUpdate;
    use crate::store::{Context, Result};

    /// Creates or updates a recording; the latest callback wins, but a callback without a
    /// duration keeps the known one.
    pub fn upsert_recording(conn: &Connection, update: &RecordingUpdate) -> Result<()> {
        let op = "upsert_recording";
        conn.prepare_cached(super::UPSERT_RECORDING)
            .op(op)?
            .execute(params![
                update.sid,
                update.call_sid,
                update.url,
                update.duration_s,
                update.status,
                update.now_ms,
                update.source,
                update.transcribing,
            ])
            .op(op)?;
        Ok(())
    }

    /// Stores a transcription; `false` if the recording is unknown.
    pub fn set_transcription(
        conn: &Connection,
        recording_sid: &str,
        text: Option<&str>,
        status: &str,
        now_ms: i64,
    ) -> Result<bool> {
        let op = "set_transcription";
        let changed = conn
            .prepare_cached(super::SET_TRANSCRIPTION)
            .op(op)?
            .execute(params![recording_sid, text, status, now_ms])
            .op(op)?;
        Ok(changed == 1)
    }
}
