//! Whether Twilio's REST API answered lately. Whatever talks to Twilio (the SMS sender, the
//! app's actions, the periodic sync) records the outcome here, so neither the status endpoint
//! nor anything else calls Twilio just to find out.

use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use twilio::client::Error;

use crate::store::now_ms;

#[derive(Debug, Clone, Default)]
pub struct TwilioHealth {
    inner: Arc<Mutex<Inner>>,
}

/// Times are unix ms; `order` tells which of two outcomes in the same millisecond came last.
#[derive(Debug, Default)]
struct Inner {
    order: u64,
    last_ok: Option<(u64, i64)>,
    last_error: Option<(u64, i64, String)>,
}

/// What the status endpoint shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthSnapshot {
    /// `None` until vbx has talked to Twilio once.
    pub reachable: Option<bool>,
    /// The most recent failure's message while Twilio is unreachable.
    pub last_error: Option<String>,
    /// When Twilio last answered (unix ms).
    pub last_ok_at: Option<i64>,
}

impl TwilioHealth {
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        f(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Twilio answered.
    pub fn ok(&self) {
        self.with(|i| {
            i.order += 1;
            i.last_ok = Some((i.order, now_ms()));
        });
    }

    pub fn failed(&self, message: impl Into<String>) {
        let message = message.into();
        self.with(|i| {
            i.order += 1;
            i.last_error = Some((i.order, now_ms(), message));
        });
    }

    /// Records a REST outcome. An answer that refuses the request (a bad number, an unknown
    /// SID) still shows Twilio is reachable; refused credentials, 5xx, 429 and network
    /// failures do not.
    pub fn record<T>(&self, result: &Result<T, Error>) {
        match result {
            Ok(_) => self.ok(),
            Err(e) => match e.status() {
                Some(status) if status < 500 && status != 401 && status != 429 => self.ok(),
                _ => self.failed(e.to_string()),
            },
        }
    }

    pub fn snapshot(&self) -> HealthSnapshot {
        self.with(|i| match (&i.last_ok, &i.last_error) {
            (None, None) => HealthSnapshot {
                reachable: None,
                last_error: None,
                last_ok_at: None,
            },
            (Some((ok_order, ok_at)), Some((failed_order, _, message)))
                if failed_order > ok_order =>
            {
                HealthSnapshot {
                    reachable: Some(false),
                    last_error: Some(message.clone()),
                    last_ok_at: Some(*ok_at),
                }
            }
            (None, Some((_, _, message))) => HealthSnapshot {
                reachable: Some(false),
                last_error: Some(message.clone()),
                last_ok_at: None,
            },
            (Some((_, ok_at)), _) => HealthSnapshot {
                reachable: Some(true),
                last_error: None,
                last_ok_at: Some(*ok_at),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> Error {
        Error::Api {
            status,
            code: None,
            message: format!("status {status}"),
            more_info: None,
        }
    }

    #[test]
    fn reachability_follows_the_latest_outcome() {
        let health = TwilioHealth::new();
        assert_eq!(health.snapshot().reachable, None);
        health.record::<()>(&Err(Error::Timeout));
        let snap = health.snapshot();
        assert_eq!(snap.reachable, Some(false));
        assert!(snap.last_error.unwrap().contains("timeout"));
        health.record(&Ok(()));
        assert_eq!(health.snapshot().reachable, Some(true));
        assert_eq!(health.snapshot().last_error, None);
    }

    #[test]
    fn a_refused_request_shows_twilio_answered_but_bad_credentials_do_not() {
        let health = TwilioHealth::new();
        health.record::<()>(&Err(api(400)));
        assert_eq!(health.snapshot().reachable, Some(true));
        health.record::<()>(&Err(api(401)));
        assert_eq!(health.snapshot().reachable, Some(false));
        health.record::<()>(&Err(api(404)));
        assert_eq!(health.snapshot().reachable, Some(true));
        health.record::<()>(&Err(api(503)));
        assert_eq!(health.snapshot().reachable, Some(false));
    }
}
