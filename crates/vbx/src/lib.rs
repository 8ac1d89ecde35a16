//! vbx: one Twilio number, a browser phone, SMS conversations, and call/message flows that
//! route to whichever device is online.

pub mod app;
pub mod block_list;
pub mod cli;
pub mod clock;
pub mod config;
pub mod contact_book;
pub mod device;
pub mod event;
pub mod flow;
pub mod http;
pub mod media_link;
pub mod private_files;
pub mod store;
pub mod worker;

pub use app::App;
