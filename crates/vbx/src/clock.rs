//! The time the flows see: the system clock, or a moment a test set (business hours across
//! midnight or a daylight-saving change without waiting for one).

use std::sync::{Arc, PoisonError, RwLock};

use chrono::{DateTime, Utc};

/// A handle on the flows' clock; clones share the setting.
#[derive(Debug, Clone, Default)]
pub struct Clock(Arc<RwLock<Option<DateTime<Utc>>>>);

impl Clock {
    /// Now: the moment set, else the system's.
    pub fn now(&self) -> DateTime<Utc> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .unwrap_or_else(Utc::now)
    }

    /// From now on the flows see `at` (tests).
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Some(at);
    }
}
