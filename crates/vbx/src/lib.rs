//! vbx: one Twilio number, a browser phone, SMS conversations, and call/message flows that
//! route to whichever device is online.

pub mod cli;
pub mod config;
pub mod flow;
pub mod store;
