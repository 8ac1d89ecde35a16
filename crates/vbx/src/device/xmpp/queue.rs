//! The device's share of the outbox: claiming the `xmpp` rows addressed to it, queueing the
//! `sms` rows its owner asks for, and turning a failed one of those into a notice for the
//! owner.
//!
//! An `sms` row queued here carries `"origin": {"xmpp": "<device>"}` besides the
//! [`SmsPayload`](crate::worker::sender::SmsPayload) fields; that is how a failure finds its way back.

use serde::{Deserialize, Serialize};
use serde_json::json;
use twilio::PhoneNumber;

use super::gateway::XmppPayload;
use crate::store::outbox::{OutboxItem, OutboxStatus};
use crate::store::outbox::{SMS, XMPP};
use crate::store::{Result, Store};

/// How many failed rows a scan looks at (newest first).
const FAILURE_SCAN: u32 = 200;

/// Where an `sms` row came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// The XMPP device whose owner wrote the text.
    #[serde(default)]
    pub xmpp: Option<String>,
}

/// The fields of an `sms` row this module reads back.
#[derive(Debug, Clone, Deserialize)]
struct SentByOwner {
    to: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    origin: Option<Origin>,
}

/// Queues the owner's text to `to`, from the vbx number.
pub async fn enqueue_sms(
    store: &Store,
    device: &str,
    from: &PhoneNumber,
    to: &PhoneNumber,
    body: &str,
    media: &[String],
    now_ms: i64,
) -> Result<Option<i64>> {
    let payload = json!({
        "to": to.as_str(),
        "from": from.as_str(),
        "body": body,
        "media": media,
        "origin": { "xmpp": device },
    });
    store.enqueue_work(SMS, &payload, None, now_ms).await
}

/// The notice for a failed `sms` row this device queued, if `item` is one.
pub fn failure_notice(
    device: &str,
    item: &OutboxItem,
    contact_name: impl Fn(&str) -> Option<String>,
) -> Option<XmppPayload> {
    if item.kind != SMS || item.status != OutboxStatus::Failed {
        return None;
    }
    let sent: SentByOwner = item.payload_as().ok()?;
    if sent.origin?.xmpp.as_deref() != Some(device) {
        return None;
    }
    let error = item.last_error.as_deref().unwrap_or("no reason given");
    let mut body = format!("Not sent to {}: {error}", sent.to);
    if !sent.body.is_empty() {
        let excerpt: String = sent.body.chars().take(60).collect();
        let more = if excerpt.len() < sent.body.len() {
            "…"
        } else {
            ""
        };
        body.push_str(&format!("\n> {excerpt}{more}"));
    }
    Some(XmppPayload {
        device: device.to_owned(),
        from_name: contact_name(&sent.to),
        from: sent.to,
        body,
        media: Vec::new(),
    })
}

/// Queues the notice for `item` (once: the key is the failed row's id). Returns whether a
/// notice was queued now.
pub async fn notify_failure(
    store: &Store,
    device: &str,
    item: &OutboxItem,
    contact_name: impl Fn(&str) -> Option<String>,
    now_ms: i64,
) -> Result<bool> {
    let Some(notice) = failure_notice(device, item, contact_name) else {
        return Ok(false);
    };
    let payload = json!({
        "device": notice.device,
        "from": notice.from,
        "from_name": notice.from_name,
        "body": notice.body,
        "media": notice.media,
    });
    let key = format!("xmpp-failed:{}", item.id);
    Ok(store
        .enqueue_work(XMPP, &payload, Some(&key), now_ms)
        .await?
        .is_some())
}

/// Looks through the recent failures for ones this device has not reported yet (they may
/// have failed while vbx was stopped, or while the event hub dropped events). Returns how
/// many notices it queued.
pub async fn notify_recent_failures(
    store: &Store,
    device: &str,
    contact_name: impl Fn(&str) -> Option<String> + Copy,
    now_ms: i64,
) -> Result<usize> {
    let failed = store.failed_work(FAILURE_SCAN).await?;
    let mut queued = 0;
    for item in &failed {
        if notify_failure(store, device, item, contact_name, now_ms).await? {
            queued += 1;
        }
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::outbox::SENDING_LEASE_MS;
    use crate::store::test_support::store;

    const T0: i64 = 1_700_000_000_000;

    fn n(s: &str) -> PhoneNumber {
        PhoneNumber::parse(s).unwrap()
    }

    async fn xmpp_row(store: &crate::store::Store, device: &str) -> i64 {
        let payload = json!({"device": device, "from": "+14155550100", "from_name": null,
                             "body": "hi", "media": []});
        store
            .enqueue_work(XMPP, &payload, None, T0)
            .await
            .unwrap()
            .unwrap()
    }

    #[tokio::test]
    async fn a_device_claims_only_its_own_rows_one_at_a_time() {
        let (_dir, store) = store().await;
        let other = xmpp_row(&store, "work").await;
        let first = xmpp_row(&store, "jabber").await;
        let second = xmpp_row(&store, "jabber").await;
        store
            .enqueue_work(SMS, &json!({"device": "jabber"}), None, T0)
            .await
            .unwrap();

        let a = store
            .claim_for_device(XMPP, "jabber", T0)
            .await
            .unwrap()
            .unwrap();
        let b = store
            .claim_for_device(XMPP, "jabber", T0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((a.id, b.id), (first, second));
        assert_eq!(a.status, OutboxStatus::Sending);
        assert!(store
            .claim_for_device(XMPP, "jabber", T0)
            .await
            .unwrap()
            .is_none());
        let theirs = store
            .claim_for_device(XMPP, "work", T0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(theirs.id, other);
    }

    #[tokio::test]
    async fn a_row_left_sending_is_claimed_again_after_the_lease() {
        let (_dir, store) = store().await;
        let id = xmpp_row(&store, "jabber").await;
        store
            .claim_for_device(XMPP, "jabber", T0)
            .await
            .unwrap()
            .unwrap();
        assert!(store
            .claim_for_device(XMPP, "jabber", T0 + SENDING_LEASE_MS - 1)
            .await
            .unwrap()
            .is_none());
        let again = store
            .claim_for_device(XMPP, "jabber", T0 + SENDING_LEASE_MS)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((again.id, again.attempts), (id, 1));
    }

    #[tokio::test]
    async fn the_owners_text_is_an_sms_row_that_remembers_its_origin() {
        let (_dir, store) = store().await;
        let media = vec!["https://e.com/a.png".to_owned()];
        let id = enqueue_sms(
            &store,
            "jabber",
            &n("+18001234567"),
            &n("+15005550006"),
            "yo",
            &media,
            T0,
        )
        .await
        .unwrap()
        .unwrap();
        let row = store.outbox_row(id).await.unwrap().unwrap();
        assert_eq!(row.kind, SMS);
        assert_eq!(
            row.payload_as::<serde_json::Value>().unwrap(),
            json!({"to": "+15005550006", "from": "+18001234567", "body": "yo",
                   "media": ["https://e.com/a.png"], "origin": {"xmpp": "jabber"}})
        );
        // The SMS sender reads it as its own payload.
        let sms: crate::worker::sender::SmsPayload = row.payload_as().unwrap();
        assert_eq!((sms.to.as_str(), sms.media.len()), ("+15005550006", 1));
    }

    #[tokio::test]
    async fn a_failed_sms_from_the_owner_becomes_one_notice_from_that_number() {
        let (_dir, store) = store().await;
        let long = "x".repeat(100);
        let id = enqueue_sms(
            &store,
            "jabber",
            &n("+18001234567"),
            &n("+15005550001"),
            &long,
            &[],
            T0,
        )
        .await
        .unwrap()
        .unwrap();
        let ok = enqueue_sms(
            &store,
            "jabber",
            &n("+18001234567"),
            &n("+15005550002"),
            "fine",
            &[],
            T0,
        )
        .await
        .unwrap()
        .unwrap();
        let elsewhere = store
            .enqueue_work(
                SMS,
                &json!({"to": "+1500", "from": "+1800", "body": ""}),
                None,
                T0,
            )
            .await
            .unwrap()
            .unwrap();
        store
            .outbox_failed(id, "Twilio answered HTTP 400 with error 21211: bad To", T0)
            .await
            .unwrap();
        store.outbox_failed(elsewhere, "nope", T0).await.unwrap();
        store.outbox_sent(ok, Some("SM1"), T0).await.unwrap();

        let name = |n: &str| (n == "+15005550001").then(|| "Bob".to_owned());
        assert_eq!(
            notify_recent_failures(&store, "jabber", name, T0)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            notify_recent_failures(&store, "jabber", name, T0)
                .await
                .unwrap(),
            0,
            "once only"
        );
        assert_eq!(
            notify_recent_failures(&store, "work", name, T0)
                .await
                .unwrap(),
            0
        );

        let notice = store
            .claim_for_device(XMPP, "jabber", T0)
            .await
            .unwrap()
            .unwrap();
        let payload: XmppPayload = notice.payload_as().unwrap();
        assert_eq!(
            payload,
            XmppPayload {
                device: "jabber".into(),
                from: "+15005550001".into(),
                from_name: Some("Bob".into()),
                body: format!(
                    "Not sent to +15005550001: Twilio answered HTTP 400 with error 21211: bad To\n> {}…",
                    "x".repeat(60)
                ),
                media: vec![],
            }
        );
        assert!(store
            .claim_for_device(XMPP, "jabber", T0)
            .await
            .unwrap()
            .is_none());
    }
}
