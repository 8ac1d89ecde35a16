//! Reading what the simulator did (webhook log, traces, settings) and waiting for something to
//! happen: waits wake on every change of the state instead of polling.

use std::time::Duration;

use twilio::MessageSid;

use crate::error::SimError;
use crate::hook::Webhook;
use crate::resource::{Message, MessageStatus};
use crate::settings::{Party, Settings};
use crate::trace::Trace;
use crate::Sim;

impl Sim {
    /// The simulator's clock (wall time moved by [`Sim::advance_clock`]); tokens are checked
    /// against it.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.read_state(|s| s.now())
    }

    /// `ws://…/_sim/client`, where simulated browsers connect, once a server is bound.
    pub fn client_url(&self) -> Option<String> {
        self.base_url().map(|base| {
            let ws = match base.strip_prefix("https://") {
                Some(rest) => format!("wss://{rest}"),
                None => base.replacen("http://", "ws://", 1),
            };
            format!("{ws}/_sim/client")
        })
    }

    pub fn settings(&self) -> Settings {
        self.read_state(|s| s.settings.clone())
    }

    /// Changes how the simulation runs from now on (calls and messages in progress pick the new
    /// values up at their next step).
    pub fn set_settings(&self, settings: Settings) {
        self.with_state(|s| s.settings = settings);
    }

    /// What the person at `number` (E.164 or a SIP URI) does when the simulator rings it.
    /// Without a scenario a number is [`Party::person`] talking for the settings' `talk_seconds`.
    pub fn set_party(&self, number: &str, party: Party) {
        let number = number.to_owned();
        self.with_state(|s| s.parties.insert(number, party));
    }

    /// The scenario for `number`.
    pub fn party(&self, number: &str) -> Party {
        self.read_state(|s| {
            s.parties
                .get(number)
                .cloned()
                .unwrap_or_else(|| Party::person(s.settings.talk_seconds))
        })
    }

    /// Every webhook attempt so far, oldest first.
    pub fn webhooks(&self) -> Vec<Webhook> {
        self.read_state(|s| s.webhooks.clone())
    }

    /// The webhook attempts about one call or message, oldest first.
    pub fn webhooks_of(&self, sid: &str) -> Vec<Webhook> {
        self.read_state(|s| {
            s.webhooks
                .iter()
                .filter(|w| w.owner == sid)
                .cloned()
                .collect()
        })
    }

    /// What happened to a call or message: its statuses, transcript and events.
    pub fn trace(&self, sid: &str) -> Trace {
        self.read_state(|s| s.traces.get(sid).cloned().unwrap_or_default())
    }

    /// Waits until `check` returns something, re-checking after every change in the simulator.
    /// `check` may call any method of the simulator.
    pub async fn wait_until<T>(
        &self,
        timeout: Duration,
        mut check: impl FnMut(&Sim) -> Option<T>,
    ) -> Result<T, SimError> {
        let mut changed = self.subscribe_changes();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            changed.borrow_and_update();
            if let Some(found) = check(self) {
                return Ok(found);
            }
            match tokio::time::timeout_at(deadline, changed.changed()).await {
                Ok(Ok(())) => {}
                _ => return Err(SimError::Timeout("a condition on the simulator".to_owned())),
            }
        }
    }

    /// Waits until the message has had `status` (it may have moved on since) and returns it as
    /// it is then.
    pub async fn wait_for_message_status(
        &self,
        sid: &MessageSid,
        status: MessageStatus,
        timeout: Duration,
    ) -> Result<Message, SimError> {
        self.wait_state(timeout, |s| {
            let reached = s
                .traces
                .get(sid.as_str())
                .is_some_and(|t| t.statuses.iter().any(|x| x == status.as_str()));
            if reached {
                s.messages.iter().find(|m| &m.sid == sid).cloned()
            } else {
                None
            }
        })
        .await
        .ok_or_else(|| SimError::Timeout(format!("message {sid} to be {status}")))
    }
}
