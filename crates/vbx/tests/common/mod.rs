//! The one harness every test binary starts from (`#[path = "../common/mod.rs"] mod common;`):
//! a [`Builder`] writes vbx's configuration for a temporary data directory and starts the real
//! server in-process ([`TestApp`]), with the Twilio simulator ([`TestSim`]) as its REST API
//! when asked; an [`Endpoint`] sends what the browser and Twilio send. A binary's
//! `harness.rs` adds only what is its own: its configuration and its servers.

// Each test binary uses its part of the harness.
#![allow(dead_code)]

mod app;
mod endpoint;
mod sim;
mod webhook;

use std::path::Path;

#[allow(unused_imports)]
pub use app::{Builder, TestApp, Work};
#[allow(unused_imports)]
pub use endpoint::{Endpoint, Reply, Session};
#[allow(unused_imports)]
pub use sim::TestSim;
#[allow(unused_imports)]
pub use webhook::{borrow, call_params, mms_params, sid, text_params};

/// The test account of the configurations that use no simulator of their own.
pub const PUBLIC_URL: &str = "https://vbx.example.com";
pub const AUTH_TOKEN: &str = "0123456789abcdef0123456789abcdef";
pub const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
pub const NUMBER: &str = "+18001234567";
/// Where nothing listens: the REST API of apps started without a Twilio.
pub const NOWHERE: &str = "http://127.0.0.1:9";

/// vbx's configuration from `toml` on `data_dir`, without the environment's secrets.
pub fn load(toml: &str, data_dir: &Path) -> vbx::config::Config {
    let overrides = vbx::config::Overrides {
        listen: None,
        public_url: None,
        data_dir: Some(data_dir.to_path_buf()),
    };
    vbx::config::load_str(toml, &overrides, &|_| None).expect("the test configuration is valid")
}
