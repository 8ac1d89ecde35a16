//! Failures on demand: the REST API answers 500 (Twilio code 20500) for the next N requests or
//! for a while, or holds its answers for a while so that clients time out. Every REST request
//! is also counted here (see [`crate::requests`]).

use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::requests::Endpoint;
use crate::Sim;

/// Delivery outcomes a scenario can force on messages to a number (Twilio's 300xx codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryError {
    /// 30001: Twilio's queue for the sender overflowed; the message is never sent (`failed`).
    QueueOverflow,
    /// 30003: the handset is off or out of coverage.
    Unreachable,
    /// 30004: the recipient blocked the message.
    Blocked,
    /// 30005: the number does not exist.
    UnknownDestination,
    /// 30006: a landline or a carrier that cannot receive SMS.
    Landline,
    /// 30007: the carrier filtered the message.
    Filtered,
    /// 30008: the carrier reported no reason.
    Unknown,
    /// 11200: Twilio could not fetch a `MediaUrl`; the message is never sent (`failed`).
    MediaRetrieval,
}

impl DeliveryError {
    pub fn code(self) -> u32 {
        match self {
            Self::QueueOverflow => 30001,
            Self::Unreachable => 30003,
            Self::Blocked => 30004,
            Self::UnknownDestination => 30005,
            Self::Landline => 30006,
            Self::Filtered => 30007,
            Self::Unknown => 30008,
            Self::MediaRetrieval => 11200,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::QueueOverflow => "Queue overflow",
            Self::Unreachable => "Unreachable destination handset",
            Self::Blocked => "Message blocked",
            Self::UnknownDestination => "Unknown destination handset",
            Self::Landline => "Landline or unreachable carrier",
            Self::Filtered => "Message filtered",
            Self::Unknown => "Unknown error",
            Self::MediaRetrieval => "HTTP retrieval failure",
        }
    }

    pub fn from_code(code: u32) -> Option<Self> {
        [
            Self::QueueOverflow,
            Self::Unreachable,
            Self::Blocked,
            Self::UnknownDestination,
            Self::Landline,
            Self::Filtered,
            Self::Unknown,
            Self::MediaRetrieval,
        ]
        .into_iter()
        .find(|e| e.code() == code)
    }

    /// Whether the message fails before leaving Twilio (`queued` → `failed`) rather than
    /// being reported by the carrier (`queued` → `sent` → `undelivered`).
    pub fn fails_before_sending(self) -> bool {
        matches!(self, Self::QueueOverflow | Self::MediaRetrieval)
    }
}

/// The REST-level faults currently armed.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    errors_left: u32,
    errors_until: Option<Instant>,
    delay: Option<(Duration, Instant)>,
}

#[derive(Debug, PartialEq, Eq)]
enum Decision {
    Pass,
    Fail,
    Delay(Duration),
}

impl Faults {
    pub fn fail_next(&mut self, n: u32) {
        self.errors_left = self.errors_left.saturating_add(n);
    }

    pub fn fail_for(&mut self, window: Duration) {
        self.errors_until = Instant::now().checked_add(window);
    }

    pub fn delay_for(&mut self, delay: Duration, window: Duration) {
        self.delay = Instant::now()
            .checked_add(window)
            .map(|until| (delay, until));
    }

    fn decide(&mut self, now: Instant) -> Decision {
        if self.errors_left > 0 {
            self.errors_left -= 1;
            return Decision::Fail;
        }
        if self.errors_until.is_some_and(|until| now < until) {
            return Decision::Fail;
        }
        match self.delay {
            Some((delay, until)) if now < until => Decision::Delay(delay),
            _ => Decision::Pass,
        }
    }
}

/// Middleware in front of the REST API that counts each request and applies the armed faults.
///
/// A held request is carried out at once, in a task of its own, and only its answer waits:
/// Twilio acted on it, the answer was slow. A client that gives up in the meantime (a timeout)
/// does not undo it, so it cannot know whether a create happened, as against Twilio.
pub async fn inject(State(sim): State<Sim>, request: Request, next: Next) -> Response {
    let endpoint = Endpoint::of(&request);
    let decision = sim.with_state(|s| {
        s.requests.arrived(&endpoint);
        s.faults.decide(Instant::now())
    });
    match decision {
        Decision::Pass => {
            let response = next.run(request).await;
            sim.with_state(|s| s.requests.answered(&endpoint, response.status().as_u16()));
            response
        }
        Decision::Fail => {
            let response = ApiError::internal().into_response();
            sim.with_state(|s| s.requests.answered(&endpoint, response.status().as_u16()));
            response
        }
        Decision::Delay(delay) => {
            let handled = tokio::spawn({
                let sim = sim.clone();
                async move {
                    let response = next.run(request).await;
                    sim.with_state(|s| s.requests.answered(&endpoint, response.status().as_u16()));
                    response
                }
            });
            // Shutting down releases the answer early instead of holding the server open.
            sim.closing_or_after(delay).await;
            handled
                .await
                .unwrap_or_else(|_| ApiError::internal().into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counted_failure_runs_out() {
        let mut faults = Faults::default();
        faults.fail_next(2);
        let now = Instant::now();
        assert_eq!(faults.decide(now), Decision::Fail);
        assert_eq!(faults.decide(now), Decision::Fail);
        assert_eq!(faults.decide(now), Decision::Pass);
    }

    #[test]
    fn a_timed_failure_ends_with_its_window() {
        let mut faults = Faults::default();
        faults.fail_for(Duration::from_secs(60));
        let now = Instant::now();
        assert_eq!(faults.decide(now), Decision::Fail);
        assert_eq!(faults.decide(now + Duration::from_secs(61)), Decision::Pass);
    }

    #[test]
    fn a_delay_applies_only_inside_its_window() {
        let mut faults = Faults::default();
        faults.delay_for(Duration::from_secs(5), Duration::from_secs(60));
        let now = Instant::now();
        assert_eq!(faults.decide(now), Decision::Delay(Duration::from_secs(5)));
        assert_eq!(faults.decide(now + Duration::from_secs(61)), Decision::Pass);
    }

    #[test]
    fn delivery_errors_round_trip_through_their_codes() {
        for code in [30001, 30003, 30004, 30005, 30006, 30007, 30008, 11200] {
            assert_eq!(
                DeliveryError::from_code(code).map(DeliveryError::code),
                Some(code)
            );
        }
        assert_eq!(DeliveryError::from_code(20001), None);
    }
}
