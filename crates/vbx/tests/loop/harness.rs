//! The simulator as Twilio (over HTTP, through `twilio.api_base`) and the real vbx server on a
//! port bound before the configuration is written, so `public_url` is vbx's real address and
//! the simulator's signed webhooks reach it.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tempfile::TempDir;
use tokio::sync::{broadcast, oneshot};
use tokio::task::JoinHandle;
use twilio::client::{Auth, Client};
use twilio::AccountSid;
use twilio_sim::{Settings, Sim, SimConfig, SimHandle, SimServer};
use vbx::config::{self, Config, Overrides};
use vbx::event::{Event, EventHub};
use vbx::store::Store;

/// Someone outside who texts and calls the number.
pub const OUTSIDE: &str = "+14155550100";
/// The owner's cell phone (the `cell` SMS device).
pub const CELL: &str = "+14155550199";
/// Another number vbx texts.
pub const OTHER: &str = "+14155550123";

/// Long enough for anything a test waits for on a loaded machine; reaching it fails the test.
pub const WAIT: Duration = Duration::from_secs(30);

pub struct TestSim {
    pub handle: SimHandle,
    pub config: SimConfig,
}

impl TestSim {
    pub async fn start() -> TestSim {
        let mut config = SimConfig::demo();
        config.settings = Settings::fast();
        let (_, handle) = SimServer::start(config.clone())
            .await
            .expect("the simulator starts");
        TestSim { handle, config }
    }

    pub fn sim(&self) -> &Sim {
        self.handle.sim()
    }

    pub fn base_url(&self) -> String {
        self.handle.base_url()
    }

    /// The account's phone number (vbx's `twilio.number`).
    pub fn number(&self) -> String {
        self.config.numbers[0].to_string()
    }

    pub fn account(&self) -> AccountSid {
        self.config.account_sid.clone()
    }

    /// The API key the simulated account starts with: SID and secret.
    pub fn key(&self) -> (String, String) {
        let (sid, secret) = &self.config.api_keys[0];
        (sid.to_string(), secret.clone())
    }

    /// A REST client with the account's auth token.
    pub fn client(&self) -> Client {
        let auth = Auth::Token {
            account_sid: self.account(),
            auth_token: self.config.auth_token.clone(),
        };
        Client::new(self.base_url().parse().expect("base URL"), auth).expect("client")
    }

    /// vbx's configuration for this account: `twilio_extra` lines go into `[twilio]`.
    pub fn toml(&self, public_url: &str, twilio_extra: &str) -> String {
        format!(
            r#"
[server]
public_url = "{public_url}"

[twilio]
account_sid = "{account}"
auth_token  = "{token}"
number      = "{number}"
api_base    = "{base}"
{twilio_extra}

[devices]
browser = {{ type = "browser" }}
cell    = {{ type = "sms", number = "{CELL}" }}

[calls]
default = [ {{ step = "device", devices = ["browser"], next = "phone" }} ]
phone   = [ {{ step = "dial", number = "{CELL}" }} ]

[messages]
default = [ {{ step = "device", devices = ["browser", "cell"] }} ]
"#,
            account = self.account(),
            token = self.config.auth_token,
            number = self.number(),
            base = self.base_url(),
        )
    }

    /// The configuration with the account's own API key (and `extra` in `[twilio]`).
    pub fn config(&self, public_url: &str, data_dir: &std::path::Path, extra: &str) -> Config {
        load(&self.toml_with_key(public_url, extra), data_dir)
    }

    /// [`Self::toml`] with the account's own API key.
    pub fn toml_with_key(&self, public_url: &str, extra: &str) -> String {
        let (key, secret) = self.key();
        let twilio = format!("api_key = \"{key}\"\napi_secret = \"{secret}\"\n{extra}");
        self.toml(public_url, &twilio)
    }
}

fn no_env(_: &str) -> Option<String> {
    None
}

pub fn load(toml: &str, data_dir: &std::path::Path) -> Config {
    let overrides = Overrides {
        listen: None,
        public_url: None,
        data_dir: Some(data_dir.to_path_buf()),
    };
    config::load_str(toml, &overrides, &no_env).expect("the test configuration is valid")
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub config: Config,
    pub store: Store,
    pub events: EventHub,
    pub data: TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    /// vbx for `sim`'s account on a fresh data directory, `public_url` = its real address.
    pub async fn start(sim: &TestSim) -> TestApp {
        Self::start_in(sim, TempDir::new().expect("temp dir")).await
    }

    /// Starts again on a data directory a stopped app left behind.
    pub async fn start_in(sim: &TestSim, data: TempDir) -> TestApp {
        Self::start_edited(sim, data, |toml| toml).await
    }

    /// Starts with the test configuration changed by `edit` (say, other flows).
    pub async fn start_edited(
        sim: &TestSim,
        data: TempDir,
        edit: impl FnOnce(String) -> String,
    ) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local address");
        let toml = edit(sim.toml_with_key(&format!("http://{addr}"), ""));
        let config = load(&toml, data.path());
        let app = vbx::App::build_on(config.clone(), listener)
            .await
            .expect("app builds");
        let store = app.state().store.clone();
        let events = app.state().events.clone();
        let (tx, rx) = oneshot::channel();
        let handle = tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        TestApp {
            addr,
            config,
            store,
            events,
            data,
            shutdown: Some(tx),
            handle: Some(handle),
        }
    }

    /// Stops the server and its workers, and hands back the data directory.
    pub async fn stop(mut self) -> TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.expect("server task").expect("server ran");
        }
        self.store.close().await;
        self.data
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
