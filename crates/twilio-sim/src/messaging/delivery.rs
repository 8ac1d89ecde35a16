//! Outbound messages on their way: `queued` → `sent` → `delivered`, or `failed` /
//! `undelivered` with the error armed for the destination, each step after the first posting
//! the message's status callback.

use twilio::twiml::Method;
use twilio::MessageSid;

use crate::fault::DeliveryError;
use crate::hook::{self, Request};
use crate::resource::{MessageStatus, API_VERSION};
use crate::Sim;

/// Starts delivering a message that was just stored as `queued`.
pub(crate) fn deliver(sim: &Sim, sid: MessageSid) {
    let sim = sim.clone();
    tokio::spawn(async move { run(&sim, &sid).await });
}

async fn run(sim: &Sim, sid: &MessageSid) {
    let epoch = sim.read_state(|s| s.epoch);
    let released = sim
        .wait_state_until_closed(|s| (!s.settings.hold || s.epoch != epoch).then_some(()))
        .await;
    if released.is_none() {
        return;
    }
    let failure = sim.read_state(|s| {
        s.messages
            .iter()
            .find(|m| &m.sid == sid)
            .and_then(|m| m.pending_failure)
    });
    if let Some(error) = failure.filter(|e| e.fails_before_sending()) {
        if step(sim).await {
            transition(sim, sid, epoch, MessageStatus::Failed, Some(error)).await;
        }
        return;
    }
    if !step(sim).await || !transition(sim, sid, epoch, MessageStatus::Sent, None).await {
        return;
    }
    if !step(sim).await {
        return;
    }
    match failure {
        Some(error) => transition(sim, sid, epoch, MessageStatus::Undelivered, Some(error)).await,
        None => transition(sim, sid, epoch, MessageStatus::Delivered, None).await,
    };
}

/// Waits one message step; false if the simulator is shutting down.
async fn step(sim: &Sim) -> bool {
    let delay = sim.read_state(|s| s.settings.message_step);
    !sim.closing_or_after(delay).await
}

/// Moves the message on and posts its status callback; false if it is gone or was canceled.
async fn transition(
    sim: &Sim,
    sid: &MessageSid,
    epoch: u64,
    status: MessageStatus,
    error: Option<DeliveryError>,
) -> bool {
    let callback = sim.with_state(|s| {
        if s.epoch != epoch {
            return None;
        }
        let account = s.account_sid.to_string();
        let now = s.now();
        let current = s.messages.iter().find(|m| &m.sid == sid)?.status;
        if matches!(current, MessageStatus::Canceled) {
            return None;
        }
        let message = s.set_message_status(sid, status)?;
        if status == MessageStatus::Sent {
            message.date_sent = Some(now);
        }
        if let Some(e) = error {
            message.error_code = Some(e.code());
            message.error_message = Some(e.message().to_owned());
        }
        let mut params = vec![
            ("ApiVersion", API_VERSION.to_owned()),
            ("AccountSid", account),
            ("SmsSid", sid.to_string()),
            ("SmsStatus", status.as_str().to_owned()),
            ("MessageStatus", status.as_str().to_owned()),
            ("To", message.to.clone()),
            ("MessageSid", sid.to_string()),
            ("From", message.from.clone()),
        ];
        if let Some(e) = error {
            params.push(("ErrorCode", e.code().to_string()));
        }
        let method = if message.status_callback_method.eq_ignore_ascii_case("GET") {
            Method::Get
        } else {
            Method::Post
        };
        Some((
            message.status_callback.clone(),
            method,
            params
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect::<Vec<_>>(),
        ))
    });
    let Some((url, method, params)) = callback else {
        return false;
    };
    if let Some(url) = url {
        // A failing status callback is logged on the message and changes nothing else.
        let _ = hook::send(
            sim,
            &Request {
                owner: sid.to_string(),
                purpose: "message-status",
                url,
                method,
                params,
            },
        )
        .await;
    }
    true
}
