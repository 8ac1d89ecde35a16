//! vbx: one Twilio number, a browser phone, SMS conversations, and call/message flows that
//! route to whichever device is online.

pub mod app;
pub mod cli;
pub mod config;
pub mod device;
pub mod event;
pub mod flow;
pub mod health;
pub mod http;
pub mod record;
pub mod sender;
pub mod store;

pub use app::App;
