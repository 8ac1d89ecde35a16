//! Faults against the real `vbx serve` process and the Twilio simulator: SIGKILL in the
//! middle of a burst of texts, SIGTERM with webhooks in flight, Twilio's REST API failing and
//! hanging around a restart, and secrets kept out of everything the binary prints.

#[path = "../common/mod.rs"]
mod common;

mod backup;
mod crowd;
mod harness;
mod kill;
mod outage;
mod passwd;
mod secrets;
