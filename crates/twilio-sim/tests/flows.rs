//! The simulator end to end: a real simulator on port 0 calls a small "app under test" (an
//! axum server on port 0 that answers with fixed TwiML and checks every signature), carries
//! out the TwiML and reports what happened.

#[path = "flows/app.rs"]
mod app;
#[path = "flows/support.rs"]
mod support;

#[path = "flows/browser.rs"]
mod browser;
#[path = "flows/calls.rs"]
mod calls;
#[path = "flows/control.rs"]
mod control;
#[path = "flows/messages.rs"]
mod messages;
#[path = "flows/screen.rs"]
mod screen;
#[path = "flows/signal.rs"]
mod signal;
