//! The whole loop with the simulator as Twilio: `vbx setup` and `vbx doctor` against it, the
//! sync of what happened there, the outbox under outages and restarts, and a text from the
//! outside forwarded by vbx with its media saved.

#[path = "../common/mod.rs"]
mod common;
mod harness;

mod full;
mod media;
mod outbox;
mod phone;
mod screen;
mod setup;
#[path = "../email/smtp.rs"]
#[allow(dead_code)] // The email tests use all of it; these, what they need.
mod smtp;
mod sync;
mod voicemail;
