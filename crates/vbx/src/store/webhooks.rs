//! Twilio's webhooks as use cases of the store: an incoming call or text, a `<Dial>`'s end, a
//! `<Record>`'s end, each stored with the work its flow asked for in one writer-thread job (in
//! the group commit with the other webhooks), answering the feed rows and queued work to
//! publish. Twilio retries a webhook it got no answer to: a repeated one stores nothing twice.

use super::call::{blocking as call, NewCall};
use super::event::blocking as feed;
use super::message::{blocking as message, NewMessage};
use super::outbox::{blocking as outbox, SMS};
use super::recording::{blocking as recording, RecordingUpdate};
use super::relay::{self, blocking as relay_write};
use super::{Changes, Context, Result, Store};

/// One thing a flow asked for, stored with the event that ran it.
#[derive(Debug, Clone, PartialEq)]
pub enum Work {
    /// Replies from `device` go to `number` from now on.
    Relay { device: String, number: String },
    /// Outbound work for a worker; `key` makes it idempotent (a retried webhook queues it
    /// once).
    Enqueue {
        kind: &'static str,
        payload: serde_json::Value,
        key: String,
    },
    /// Something call `call` went through (see `VoiceOutcome::path`); `key` makes it once.
    Path {
        call: String,
        key: String,
        what: String,
    },
    /// Like `Enqueue`, first due at `due` (unix ms).
    Later {
        kind: &'static str,
        payload: serde_json::Value,
        key: String,
        due: i64,
    },
}

impl Store {
    /// An incoming call and its flow's work. A call from a blocked number (`blocked`: its
    /// TwiML rejects it) is stored marked so, with no feed row: no tab shows it arriving.
    pub async fn record_incoming_call(
        &self,
        new_call: NewCall,
        blocked: bool,
        work: Vec<Work>,
    ) -> Result<Changes> {
        self.write(move |conn| {
            let now = new_call.started_at_ms;
            let mut out = Changes::default();
            // A new call's path goes in with it; a call already there (the same call redirected
            // to another flow) has it appended.
            let path: Vec<(&str, &str)> = work
                .iter()
                .filter_map(|w| match w {
                    Work::Path { call, key, what } if *call == new_call.sid => {
                        Some((key.as_str(), what.as_str()))
                    }
                    _ => None,
                })
                .collect();
            if call::record_call_with_path(conn, &new_call, &path)? {
                let rest: Vec<&Work> = work
                    .iter()
                    .filter(|w| !matches!(w, Work::Path { call, .. } if *call == new_call.sid))
                    .collect();
                if blocked {
                    call::mark_blocked(conn, &new_call.sid)?;
                } else {
                    out.push(feed::call_recorded(conn, &new_call, now)?);
                }
                store_work(conn, rest, now, &mut out)?;
            } else {
                store_work(conn, &work, now, &mut out)?;
            }
            Ok(out)
        })
        .await
    }

    /// How a call's `<Dial>` ended (`answered_to`: who picked up, when someone did; `talk`:
    /// seconds of talk) and the work of the flow it resumed; the call's row changes in the
    /// tabs.
    pub async fn record_dial_end(
        &self,
        sid: &str,
        dial_status: &str,
        answered_to: Option<String>,
        talk: Option<i64>,
        work: Vec<Work>,
        now: i64,
    ) -> Result<Changes> {
        let (sid, dial_status) = (sid.to_owned(), dial_status.to_owned());
        // The path first, so the call's new row carries it; then what the resumed flow queued,
        // after the call in the feed.
        let (path, rest): (Vec<Work>, Vec<Work>) = work
            .into_iter()
            .partition(|w| matches!(w, Work::Path { .. }));
        self.write(move |conn| {
            let mut out = Changes::default();
            store_work(conn, &path, now, &mut out)?;
            if call::record_dial(conn, &sid, &dial_status, answered_to.as_deref(), talk)? {
                out.push(feed::call_changed(conn, &sid, now)?);
            }
            store_work(conn, &rest, now, &mut out)?;
            Ok(out)
        })
        .await
    }

    /// What call `sid` went through at a step that stores nothing else (a menu's answer):
    /// the path entries in `work`, and the call's row again for the tabs.
    pub async fn record_call_path(&self, sid: &str, work: Vec<Work>, now: i64) -> Result<Changes> {
        let sid = sid.to_owned();
        self.write(move |conn| {
            let mut out = Changes::default();
            store_work(conn, &work, now, &mut out)?;
            out.push(feed::call_changed(conn, &sid, now)?);
            Ok(out)
        })
        .await
    }

    /// A `<Record>`'s end: the recording it made (if Twilio says it made one) and the work of
    /// the flow it resumed. The voicemail appears, and its call now reads "voicemail".
    pub async fn record_record_end(
        &self,
        recording: Option<RecordingUpdate>,
        work: Vec<Work>,
        now: i64,
    ) -> Result<Changes> {
        self.write(move |conn| {
            let mut out = Changes::default();
            if let Some(update) = &recording {
                recording::upsert_recording(conn, update)?;
                out.push(feed::voicemail_changed(conn, &update.sid, now)?);
                out.push(feed::call_changed(conn, &update.call_sid, now)?);
            }
            store_work(conn, &work, now, &mut out)?;
            Ok(out)
        })
        .await
    }

    /// An incoming text and its flow's work; `hidden` are the numbers whose threads the unread
    /// counts leave out. A text from a blocked number (`blocked`) is stored read and marked
    /// so, with no feed row: nobody is notified.
    pub async fn record_incoming_text(
        &self,
        text: NewMessage,
        blocked: bool,
        hidden: Vec<String>,
        work: Vec<Work>,
    ) -> Result<Changes> {
        self.write(move |conn| {
            let now = text.created_at_ms;
            let mut out = Changes::default();
            let recorded = message::record_message_in(conn, &text)?;
            if blocked {
                if recorded.changed() {
                    message::mark_blocked(conn, &text.sid, now)?;
                }
            } else {
                out.push(feed::text_recorded(conn, &text, recorded, &hidden, now)?);
            }
            store_work(conn, &work, now, &mut out)?;
            Ok(out)
        })
        .await
    }

    /// Whether call `sid`'s path has the entry `key` (a screened leg's refusal, say).
    pub async fn call_path_has(&self, sid: &str, key: &str) -> Result<bool> {
        sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM calls c, json_each(COALESCE(c.path, '[]')) \
             WHERE c.sid = $1 AND json_extract(value, '$[0]') = $2)",
        )
        .bind(sid)
        .bind(key)
        .fetch_one(self.pool())
        .await
        .op("call_path_has")
    }

    /// Where replies from `device` go (the last number that wrote to it), if anywhere.
    pub async fn relay_target(&self, device: &str) -> Result<Option<String>> {
        relay::relay_target(self.pool(), device).await
    }
}

/// Stores `work` in the writer thread's transaction; a queued text appears in its thread.
pub(super) fn store_work<'w>(
    conn: &rusqlite::Connection,
    work: impl IntoIterator<Item = &'w Work>,
    now: i64,
    out: &mut Changes,
) -> Result<()> {
    for work in work {
        match work {
            Work::Relay { device, number } => {
                relay_write::set_relay_target(conn, device, number, now)?;
            }
            Work::Path {
                call: sid,
                key,
                what,
            } => {
                call::add_to_path(conn, sid, key, what)?;
            }
            Work::Later {
                kind,
                payload,
                key,
                due,
            } => {
                if let Some(id) = outbox::enqueue_at(conn, kind, payload, Some(key), now, *due)? {
                    out.queued.push((*kind, id));
                }
            }
            Work::Enqueue { kind, payload, key } => {
                if let Some(id) = outbox::enqueue(conn, kind, payload, Some(key), now)? {
                    if *kind == SMS {
                        out.push(feed::outbox_changed(conn, id, now)?);
                    }
                    out.queued.push((*kind, id));
                }
            }
        }
    }
    Ok(())
}
