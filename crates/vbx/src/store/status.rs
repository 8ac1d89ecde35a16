//! Twilio's status callbacks as use cases of the store: each runs whole on the writer thread,
//! in the group commit with the webhooks, and answers whether it changed anything with the
//! feed rows to publish. Twilio repeats and reorders callbacks: a repeated or late one changes
//! nothing and answers no row.

use super::call::{blocking as call, CallStatusUpdate};
use super::event::blocking as feed;
use super::message::blocking as message;
use super::outbox::{blocking as outbox, VOICEMAIL_NOTICE};
use super::recording::{blocking as recording, RecordingUpdate};
use super::webhooks::Work;
use super::{Changes, Result, Store};

impl Store {
    /// A call's status callback (creating the call if vbx never saw it: a `<Dial>` leg);
    /// `false` when it was ignored (see [`super::call::apply_call_status`]).
    pub async fn apply_call_status(&self, update: &CallStatusUpdate) -> Result<(bool, Changes)> {
        let update = update.clone();
        self.write(move |conn| {
            let mut out = Changes::default();
            let changed = call::apply_call_status(conn, &update)?;
            if changed {
                out.push(feed::call_changed(conn, &update.sid, update.timestamp_ms)?);
            }
            Ok((changed, out))
        })
        .await
    }

    /// A message's status callback; statuses only move forward, so `false` for an equal or
    /// earlier one. A callback for a text not stored yet leaves a stub it fills in.
    pub async fn apply_message_status(
        &self,
        sid: &str,
        status: &str,
        error_code: Option<i64>,
        error_message: Option<&str>,
        now: i64,
    ) -> Result<(bool, Changes)> {
        let (sid, status) = (sid.to_owned(), status.to_owned());
        let error_message = error_message.map(str::to_owned);
        self.write(move |conn| {
            let mut out = Changes::default();
            let changed = message::apply_message_status(
                conn,
                &sid,
                &status,
                error_code,
                error_message.as_deref(),
                now,
            )?;
            if changed {
                out.push(feed::message_changed(conn, &sid, now)?);
            }
            Ok((changed, out))
        })
        .await
    }

    /// A recording callback (the latest wins; one without a duration keeps the known one),
    /// with the voicemail's feed row once its call is known.
    /// A recording status callback, with the work it brings (the download, a voicemail's
    /// notices).
    pub async fn record_recording(
        &self,
        update: &RecordingUpdate,
        work: Vec<Work>,
    ) -> Result<Changes> {
        let update = update.clone();
        self.write(move |conn| {
            recording::upsert_recording(conn, &update)?;
            let mut out = Changes::default();
            out.push(feed::voicemail_changed(conn, &update.sid, update.now_ms)?);
            if update.source == super::recording::CALL {
                out.push(feed::call_changed(conn, &update.call_sid, update.now_ms)?);
            }
            super::webhooks::store_work(conn, &work, update.now_ms, &mut out)?;
            Ok(out)
        })
        .await
    }

    /// A transcription of a recording; `false` if the recording is unknown.
    pub async fn record_transcription(
        &self,
        recording_sid: &str,
        text: Option<&str>,
        status: &str,
        now: i64,
    ) -> Result<(bool, Changes)> {
        let (sid, status) = (recording_sid.to_owned(), status.to_owned());
        let text = text.map(str::to_owned);
        self.write(move |conn| {
            let mut out = Changes::default();
            let known = recording::set_transcription(conn, &sid, text.as_deref(), &status, now)?;
            if known {
                out.push(feed::voicemail_changed(conn, &sid, now)?);
            }
            // The notices waited for this transcript (or for its failure).
            if outbox::notices_due(conn, &sid, now)? > 0 {
                out.queued.push((VOICEMAIL_NOTICE, 0));
            }
            Ok((known, out))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::call::NewCall;
    use crate::store::test_support::{conn, store};

    const ANN: &str = "+15550000001";
    const ME: &str = "+18001234567";
    const ACCOUNT: &str = "AC00000000000000000000000000000000";

    fn status(sid: &str, status: &str, sequence: Option<u32>, at: i64) -> CallStatusUpdate {
        CallStatusUpdate {
            sid: sid.into(),
            account_sid: ACCOUNT.into(),
            status: status.into(),
            sequence,
            duration_s: None,
            timestamp_ms: at,
            from: ANN.into(),
            to: ME.into(),
            direction: "inbound".into(),
            parent_sid: None,
        }
    }

    fn kinds(changes: &Changes) -> Vec<String> {
        changes.feed.iter().map(|r| r.kind.clone()).collect()
    }

    #[tokio::test]
    async fn call_statuses_move_forward_once_whatever_order_twilio_sends_them_in() {
        let (_dir, store) = store().await;
        let (changed, out) = store
            .apply_call_status(&status("CA1", "ringing", Some(0), 1))
            .await
            .unwrap();
        assert!(changed, "an unknown call is created");
        assert_eq!(kinds(&out), ["call"]);
        let (changed, out) = store
            .apply_call_status(&status("CA1", "completed", Some(2), 2))
            .await
            .unwrap();
        assert!(changed);
        assert!(out.feed[0].payload.contains("completed"), "{:?}", out.feed);
        for late in [
            status("CA1", "completed", Some(2), 3),
            status("CA1", "in-progress", Some(1), 4),
            status("CA1", "ringing", None, 5),
        ] {
            let (changed, out) = store.apply_call_status(&late).await.unwrap();
            assert!(!changed, "{late:?}");
            assert!(out.feed.is_empty(), "{late:?}");
        }
    }

    #[tokio::test]
    async fn message_statuses_only_move_forward() {
        let (_dir, store) = store().await;
        let (changed, _) = store
            .apply_message_status("SM1", "sent", None, None, 1)
            .await
            .unwrap();
        assert!(changed, "a stub for a text not stored yet");
        let (changed, _) = store
            .apply_message_status("SM1", "delivered", None, None, 2)
            .await
            .unwrap();
        assert!(changed);
        let (changed, out) = store
            .apply_message_status("SM1", "sent", None, None, 3)
            .await
            .unwrap();
        assert!(!changed && out.feed.is_empty());
    }

    #[tokio::test]
    async fn a_voicemail_has_a_feed_row_once_its_call_is_known_and_so_does_its_transcription() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        let update = |at| RecordingUpdate {
            sid: "RE1".into(),
            call_sid: "CA1".into(),
            url: "https://api.twilio.com/r".into(),
            duration_s: Some(7),
            status: "completed".into(),
            source: crate::store::recording::VOICEMAIL,
            transcribing: false,
            now_ms: at,
        };
        assert!(store
            .record_recording(&update(1), Vec::new())
            .await
            .unwrap()
            .feed
            .is_empty());
        crate::store::call::blocking::record_call(
            &db,
            &NewCall {
                sid: "CA1".into(),
                account_sid: ACCOUNT.into(),
                from: ANN.into(),
                to: ME.into(),
                direction: "inbound".into(),
                status: "completed".into(),
                alias: None,
                parent_sid: None,
                started_at_ms: 0,
            },
        )
        .unwrap();
        let out = store
            .record_recording(&update(2), Vec::new())
            .await
            .unwrap();
        assert_eq!(kinds(&out), ["voicemail"]);
        assert_eq!(out.feed[0].number.as_deref(), Some(ANN));

        let (known, out) = store
            .record_transcription("RE1", Some("call me back"), "completed", 3)
            .await
            .unwrap();
        assert!(known);
        assert!(
            out.feed[0].payload.contains("call me back"),
            "{:?}",
            out.feed
        );
        let (known, out) = store
            .record_transcription("RE9", Some("nobody"), "completed", 4)
            .await
            .unwrap();
        assert!(!known && out.feed.is_empty());
    }
}
