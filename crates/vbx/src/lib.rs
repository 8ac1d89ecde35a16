//! vbx: one Twilio number, a browser phone, SMS conversations, and call/message flows that
//! route to whichever device is online.

pub mod app;
pub mod backup;
pub mod block_list;
pub mod cli;
pub mod config;
pub mod contact_book;
pub mod demo;
pub mod device;
pub mod doctor;
pub mod event;
pub mod flow;
pub mod health;
pub mod http;
pub mod inbound_media;
pub mod media_link;
pub mod private_files;
pub mod sender;
pub mod setup;
pub mod store;
pub mod sync;
pub mod workers;

pub use app::App;
