//! The one harness every test binary starts from (`#[path = "../common/mod.rs"] mod common;`):
//! a [`Builder`] writes vbx's configuration for a temporary data directory and starts vbx —
//! the real server in-process ([`TestApp`]) or the real binary ([`Setup`], [`Vbx`]) — with
//! the Twilio simulator ([`TestSim`]) as its REST API when asked; an [`Endpoint`] sends what
//! the browser and Twilio send. A binary's `harness.rs` adds only what is its own: its
//! configuration, Prosody, the SMTP server, the crash helpers.

// Each test binary uses its part of the harness.
#![allow(dead_code)]

mod app;
mod binary;
mod endpoint;
mod sim;
mod webhook;

use std::future::Future;
use std::path::Path;
use std::time::Duration;

#[allow(unused_imports)]
pub use app::{Builder, TestApp, Work};
#[allow(unused_imports)]
pub use binary::{Setup, Vbx};
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

/// A port nobody listens on right now (bound, then released).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// vbx's configuration from `toml` on `data_dir`, without the environment's secrets.
pub fn load(toml: &str, data_dir: &Path) -> vbx::config::Config {
    let overrides = vbx::config::Overrides {
        listen: None,
        public_url: None,
        data_dir: Some(data_dir.to_path_buf()),
    };
    vbx::config::load_str(toml, &overrides, &|_| None).expect("the test configuration is valid")
}

/// Waits until `check` finds something, looking every 50 ms; fails the test after `patience`.
pub async fn until<T, F, Fut>(what: &str, patience: Duration, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    until_every(Duration::from_millis(50), what, patience, check).await
}

/// [`until`], looking every `every`.
pub async fn until_every<T, F, Fut>(
    every: Duration,
    what: &str,
    patience: Duration,
    mut check: F,
) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {patience:?} waiting for {what}"
        );
        tokio::time::sleep(every).await;
    }
}
