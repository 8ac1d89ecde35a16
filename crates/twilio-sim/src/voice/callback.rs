//! Call progress callbacks (`StatusCallback` + `StatusCallbackEvent`): each requested event is
//! posted with `SequenceNumber` (from 0), `CallbackSource=call-progress-events` and
//! `Timestamp`, in order, by a worker so that a slow endpoint does not hold the call up.

use tokio::sync::mpsc;
use twilio::twiml::Method;
use twilio::CallSid;

use crate::hook::{self, Request};
use crate::messaging::method_of;
use crate::time::rfc2822;
use crate::Sim;

pub(crate) struct Callbacks {
    url: Option<String>,
    method: Method,
    /// `initiated`, `ringing`, `answered`, `completed`.
    events: Vec<String>,
    sequence: u32,
    queue: Option<mpsc::UnboundedSender<Request>>,
}

/// Space-separated events (`statusCallbackEvent` of a `<Number>`); Twilio's default is
/// `completed` only.
pub(crate) fn events(spec: Option<&str>) -> Vec<String> {
    let events: Vec<String> = spec
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if events.is_empty() {
        vec!["completed".to_owned()]
    } else {
        events
    }
}

impl Callbacks {
    pub fn new(url: Option<String>, method: &str, events: Vec<String>) -> Self {
        Self {
            url,
            method: method_of(method),
            events,
            sequence: 0,
            queue: None,
        }
    }

    /// Posts `event` with `params` (which carry `CallStatus`) if it was asked for.
    pub fn fire(
        &mut self,
        sim: &Sim,
        owner: &CallSid,
        event: &str,
        mut params: Vec<(String, String)>,
    ) {
        let Some(url) = self.url.clone() else {
            return;
        };
        if !self.events.iter().any(|e| e == event) {
            return;
        }
        params.push((
            "CallbackSource".to_owned(),
            "call-progress-events".to_owned(),
        ));
        params.push(("SequenceNumber".to_owned(), self.sequence.to_string()));
        params.push(("Timestamp".to_owned(), rfc2822(sim.read_state(|s| s.now()))));
        self.sequence += 1;
        let queue = self.queue.get_or_insert_with(|| {
            let (tx, mut rx) = mpsc::unbounded_channel::<Request>();
            let sim = sim.clone();
            tokio::spawn(async move {
                while let Some(request) = rx.recv().await {
                    // A failing callback is logged on the call and changes nothing else.
                    let _ = hook::send(&sim, &request).await;
                }
            });
            tx
        });
        let _ = queue.send(Request {
            owner: owner.to_string(),
            purpose: "call-status",
            url,
            method: self.method,
            params,
        });
    }
}
