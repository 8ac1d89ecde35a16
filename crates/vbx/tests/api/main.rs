//! The web app's backend as the browser and Twilio use it: the real server on port 0, a
//! temporary store, and the Twilio simulator where a REST API is needed.

#[path = "../common/mod.rs"]
mod common;

mod access;
mod cli;
mod harness;
mod history;
mod idle;
mod inbox;
mod limits;
mod live;
mod metrics;
mod outcome;
mod search;
mod send;
mod session;
mod token;
mod voicemail;
mod workers;
