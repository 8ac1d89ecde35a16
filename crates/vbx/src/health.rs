//! Whether Twilio's REST API answered lately. Whatever talks to Twilio (the SMS sender, the
//! app's actions, an occasional probe) records the outcome here, so the status endpoint never
//! calls Twilio itself.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;
use twilio::client::{Client, Error};

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

    /// When Twilio last answered or failed, whichever is later.
    fn last_contact(&self) -> Option<i64> {
        self.with(|i| {
            let ok = i.last_ok.map(|(_, at)| at);
            ok.max(i.last_error.as_ref().map(|(_, at, _)| *at))
        })
    }
}

/// Asks Twilio for the configured number when nothing else has talked to it for `every`.
pub struct TwilioProbe {
    pub client: Client,
    pub health: TwilioHealth,
    pub number: String,
    pub every: Duration,
}

impl TwilioProbe {
    /// One probe: looks the number up, and warns if the account does not have it.
    pub async fn step(&self) {
        let result = self.client.list_incoming_numbers(Some(&self.number)).await;
        self.health.record(&result);
        match result {
            Ok(page) if page.items.is_empty() => tracing::warn!(
                number = %self.number,
                "the Twilio account has no such number (check twilio.number)"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "Twilio is not reachable"),
        }
    }

    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let every_ms = i64::try_from(self.every.as_millis()).unwrap_or(i64::MAX);
        loop {
            if *shutdown.borrow() {
                return;
            }
            let due = self
                .health
                .last_contact()
                .is_none_or(|at| now_ms().saturating_sub(at) >= every_ms);
            if due {
                self.step().await;
            }
            tokio::select! {
                _ = shutdown.changed() => {},
                _ = tokio::time::sleep(self.every.min(Duration::from_secs(60))) => {},
            }
        }
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
