//! What happened to each call and message beyond its REST record: the statuses it went
//! through, what the caller heard, and a log of events (webhooks, errors, dial outcomes).

use serde::Serialize;

/// The history of one call or message, keyed by its SID in the simulator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Trace {
    /// Every status it had, in order (`queued`, `sent`, `delivered`; `ringing`, `in-progress`, …).
    pub statuses: Vec<String>,
    /// What the caller heard and did, one line each: `say[man,en-US]: Hello`,
    /// `play: https://…`, `pause: 2`, `beep`, `digits: 5`, `error: 11200 …`.
    pub transcript: Vec<String>,
    /// Webhook requests with their outcome, errors, dial outcomes, recordings, hang-ups.
    pub events: Vec<String>,
}
