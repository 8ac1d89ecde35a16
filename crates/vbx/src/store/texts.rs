//! The texts the app's users handle: one queued to send, a message deleted, a text that
//! failed in the outbox dismissed. Use cases of the store, each run whole on the writer
//! thread, answering with the feed rows (and queued work) to publish.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::json;

use super::event::blocking as feed;
use super::history::DeletedMessage;
use super::outbox::blocking as outbox;
use super::outbox::SMS;
use super::{Changes, Context, Result, Store};

impl Store {
    /// Queues a text to send (`payload`: the SMS sender's), with its `message` feed row (the
    /// queued bubble) and the work for the sender. Answers the outbox id.
    pub async fn queue_text(
        &self,
        payload: &serde_json::Value,
        now: i64,
    ) -> Result<(i64, Changes)> {
        let payload = payload.clone();
        self.write(move |conn| {
            let id = outbox::enqueue(conn, SMS, &payload, None, now)?.ok_or_else(|| {
                super::StoreError::Batch {
                    op: "queue text",
                    message: "the outbox refused a text without a key".into(),
                }
            })?;
            let mut out = Changes::default();
            out.push(feed::outbox_changed(conn, id, now)?);
            out.queued.push((SMS, id));
            Ok((id, out))
        })
        .await
    }

    /// Deletes a message and its media rows, with its `deleted` feed row; `None` if there
    /// is no such message. The files of its media are the caller's to remove.
    pub async fn delete_message(
        &self,
        sid: &str,
        now: i64,
    ) -> Result<Option<(DeletedMessage, Changes)>> {
        let sid = sid.to_owned();
        self.write(move |conn| {
            let Some(deleted) = delete_message_in(conn, &sid)? else {
                return Ok(None);
            };
            let row = feed::append(
                conn,
                "deleted",
                Some(&deleted.number),
                &json!({ "kind": "message", "sid": sid }),
                now,
            )?;
            Ok(Some((deleted, Changes::of(row))))
        })
        .await
    }

    /// Removes a text that failed in the outbox before reaching Twilio, with its `deleted`
    /// feed row (`sid` null, its `outbox_id`); `None` unless outbox row `id` is such a text.
    pub async fn dismiss_failed_text(&self, id: i64, now: i64) -> Result<Option<Changes>> {
        self.write(move |conn| {
            let op = "dismiss failed text";
            let number: Option<String> = conn
                .prepare_cached(
                    "DELETE FROM outbox WHERE id = ?1 AND kind = 'sms' AND status = 'failed' \
                     RETURNING json_extract(payload, '$.to')",
                )
                .op(op)?
                .query_row(params![id], |row| row.get(0))
                .optional()
                .op(op)?;
            let Some(number) = number else {
                return Ok(None);
            };
            let row = feed::append(
                conn,
                "deleted",
                Some(&number),
                &json!({ "kind": "message", "sid": null, "outbox_id": id }),
                now,
            )?;
            Ok(Some(Changes::of(row)))
        })
        .await
    }
}

/// Deletes a message and its media rows: its thread and the files vbx kept of its media, or
/// `None` if there is no such message.
pub(crate) fn delete_message_in(conn: &Connection, sid: &str) -> Result<Option<DeletedMessage>> {
    let op = "delete message";
    let number: Option<String> = conn
        .prepare_cached(concat!(
            "SELECT ",
            message_party!(""),
            " FROM messages WHERE sid = ?1"
        ))
        .op(op)?
        .query_row(params![sid], |row| row.get(0))
        .optional()
        .op(op)?;
    let Some(number) = number else {
        return Ok(None);
    };
    let local_paths = conn
        .prepare_cached(
            "SELECT local_path FROM media WHERE message_sid = ?1 AND local_path IS NOT NULL",
        )
        .op(op)?
        .query_map(params![sid], |row| row.get::<_, String>(0))
        .op(op)?
        .collect::<rusqlite::Result<Vec<String>>>()
        .op(op)?;
    for sql in [
        "DELETE FROM media WHERE message_sid = ?1",
        "DELETE FROM messages WHERE sid = ?1",
    ] {
        conn.prepare_cached(sql)
            .op(op)?
            .execute(params![sid])
            .op(op)?;
    }
    Ok(Some(DeletedMessage {
        number,
        local_paths,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::message::{self, NewMedia, NewMessage};
    use crate::store::outbox as queue;
    use crate::store::test_support::{conn, feed, store};

    const ANN: &str = "+15550000001";

    #[tokio::test]
    async fn a_queued_text_answers_its_bubble_and_the_senders_work() {
        let (_dir, store) = store().await;
        let payload = json!({"to": ANN, "from": "+18001234567", "body": "on my way"});
        let (id, changes) = store.queue_text(&payload, 5).await.unwrap();
        assert_eq!(changes.queued, [(SMS, id)]);
        let rows = feed(&changes);
        assert_eq!(rows.len(), 1, "{rows:?}");
        let (kind, number, payload) = &rows[0];
        assert_eq!((kind.as_str(), number.as_deref()), ("message", Some(ANN)));
        assert_eq!(payload["item"]["outbox_id"], id);
        assert_eq!(payload["item"]["body"], "on my way");
        assert_eq!(payload["item"]["status"], "queued");
        let stored = queue::get(store.pool(), id).await.unwrap().unwrap();
        assert_eq!(stored.kind, SMS);
    }

    #[tokio::test]
    async fn a_deleted_message_answers_its_files_and_feed_row_once() {
        let (_dir, store) = store().await;
        let db = conn(&_dir);
        message::blocking::record_message_in(
            &db,
            &NewMessage {
                sid: "MM1".into(),
                account_sid: "AC00000000000000000000000000000000".into(),
                from: ANN.into(),
                to: "+18001234567".into(),
                body: "look".into(),
                direction: "inbound".into(),
                status: "received".into(),
                created_at_ms: 1,
                media: vec![NewMedia {
                    url: "https://api.twilio.com/m/0".into(),
                    content_type: "image/png".into(),
                }],
            },
        )
        .unwrap();
        db.execute("UPDATE media SET local_path = 'media/MM1-0.png'", [])
            .unwrap();
        let (deleted, changes) = store.delete_message("MM1", 9).await.unwrap().unwrap();
        assert_eq!(
            deleted,
            DeletedMessage {
                number: ANN.into(),
                local_paths: vec!["media/MM1-0.png".into()]
            }
        );
        assert_eq!(
            feed(&changes),
            [(
                "deleted".to_owned(),
                Some(ANN.to_owned()),
                json!({"kind": "message", "sid": "MM1"})
            )]
        );
        assert!(store.delete_message("MM1", 10).await.unwrap().is_none());
        assert!(message::get_message(store.pool(), "MM1")
            .await
            .unwrap()
            .is_none());
    }

    #[tokio::test]
    async fn only_a_failed_text_is_dismissed() {
        let (_dir, store) = store().await;
        let (id, _) = store
            .queue_text(&json!({"to": ANN, "body": "x"}), 1)
            .await
            .unwrap();
        assert!(store.dismiss_failed_text(id, 2).await.unwrap().is_none());
        store.claim_outbox(&[SMS], 3, 1).await.unwrap();
        store.outbox_failed(id, "refused", 4).await.unwrap();
        let changes = store.dismiss_failed_text(id, 5).await.unwrap().unwrap();
        assert_eq!(
            feed(&changes),
            [(
                "deleted".to_owned(),
                Some(ANN.to_owned()),
                json!({"kind": "message", "sid": null, "outbox_id": id})
            )]
        );
        assert!(store.dismiss_failed_text(id, 6).await.unwrap().is_none());
        assert!(queue::get(store.pool(), id).await.unwrap().is_none());
    }
}
