//! The loop tests' vbx: the shared [`TestApp`] for a [`TestSim`] account, on a port bound
//! before the configuration is written so `public_url` is vbx's real address and the
//! simulator's signed webhooks reach it; waiting on its event hub, and a proxy that loses
//! an answer.

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use tempfile::TempDir;
use tokio::sync::broadcast;
use vbx::config::Config;
use vbx::event::{Event, EventHub};

pub use crate::common::*;

/// Someone outside who texts and calls the number.
pub const OUTSIDE: &str = "+14155550100";
/// The owner's cell phone (the `cell` SMS device).
pub const CELL: &str = "+14155550199";
/// Another number vbx texts.
pub const OTHER: &str = "+14155550123";

/// Long enough for anything a test waits for on a loaded machine; reaching it fails the test.
pub const WAIT: Duration = Duration::from_secs(30);

/// A browser, then the cell for calls; both for texts.
fn flows() -> String {
    format!(
        r#"
[devices]
browser = {{ type = "browser" }}
cell    = {{ type = "sms", number = "{CELL}" }}

[calls]
default = [ {{ step = "device", devices = ["browser"], next = "phone" }} ]
phone   = [ {{ step = "dial", number = "{CELL}" }} ]

[messages]
default = [ {{ step = "device", devices = ["browser", "cell"] }} ]
"#
    )
}

impl TestSim {
    /// vbx's configuration for this account at `public_url`, without an API key:
    /// `twilio_extra` lines go into `[twilio]`.
    pub fn toml(&self, public_url: &str, twilio_extra: &str) -> String {
        Builder::new(&flows())
            .sim(self)
            .public_url(public_url)
            .twilio(twilio_extra)
            .toml()
    }

    /// The configuration with the account's own API key (and `extra` in `[twilio]`).
    pub fn config(&self, public_url: &str, data_dir: &Path, extra: &str) -> Config {
        let toml = TestApp::builder(self)
            .public_url(public_url)
            .twilio(extra)
            .toml();
        load(&toml, data_dir)
    }
}

impl TestApp {
    /// vbx for `sim`'s account with its own API key, `public_url` its real address.
    pub fn builder(sim: &TestSim) -> Builder {
        let (key, secret) = sim.key();
        Builder::new(&flows()).sim(sim).api_key(&key, &secret)
    }

    /// vbx on a fresh data directory.
    pub async fn start(sim: &TestSim) -> TestApp {
        Self::builder(sim).start().await
    }

    /// Starts again on a data directory a stopped app left behind.
    pub async fn start_in(sim: &TestSim, data: TempDir) -> TestApp {
        Self::builder(sim).data(data).start().await
    }
}

/// Waits until `check` finds what it looks for, checking again after every event on the hub
/// (vbx publishes one after each store change). Panics after [`WAIT`].
pub async fn until<T, F, Fut>(events: &EventHub, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let mut rx = events.subscribe();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Ok(_) | Err(broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(broadcast::error::RecvError::Closed)) => {
                panic!("the event hub closed while waiting for {what}")
            }
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

/// Everything published so far on `rx`.
pub fn drain(rx: &mut broadcast::Receiver<Event>) -> Vec<Event> {
    let mut seen = Vec::new();
    while let Ok(event) = rx.try_recv() {
        seen.push(event);
    }
    seen
}

/// A proxy in front of the simulator that loses the answer to the first message creation:
/// the request reaches Twilio and is carried out, but the answer comes only after `hold`, when
/// the client has given up. (The simulator's own delay fault holds requests *before* carrying
/// them out, and a client that gives up cancels them.) Everything else passes straight through.
pub async fn answer_losing_proxy(target: String, hold: Duration) -> String {
    use axum::body::Bytes;
    use axum::extract::State;
    use axum::http::{HeaderMap, Method, StatusCode, Uri};
    use axum::response::{IntoResponse, Response};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    struct Proxy {
        http: reqwest::Client,
        target: String,
        hold: Duration,
        lost: AtomicBool,
    }

    async fn forward(
        State(proxy): State<Arc<Proxy>>,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let mut request = proxy
            .http
            .request(method.clone(), format!("{}{path}", proxy.target))
            .body(body);
        for name in ["authorization", "content-type", "accept"] {
            if let Some(value) = headers.get(name) {
                request = request.header(name, value);
            }
        }
        let lose = method == Method::POST
            && uri.path().ends_with("/Messages.json")
            && !proxy.lost.swap(true, Ordering::SeqCst);
        // Spawned, so the request is carried out even when the client hangs up on this handler.
        let answer = tokio::spawn(async move {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/json")
                .to_owned();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, content_type, body))
        })
        .await;
        if lose {
            tokio::time::sleep(proxy.hold).await;
        }
        match answer {
            Ok(Ok((status, content_type, body))) => (
                StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
                [("content-type", content_type)],
                body,
            )
                .into_response(),
            _ => StatusCode::BAD_GATEWAY.into_response(),
        }
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local address");
    let proxy = Arc::new(Proxy {
        http: reqwest::Client::new(),
        target,
        hold,
        lost: AtomicBool::new(false),
    });
    let app = axum::Router::new().fallback(forward).with_state(proxy);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}
