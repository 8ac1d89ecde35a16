//! The `TestApp` builder: vbx's configuration (the test account's `[server]` and `[twilio]`,
//! a binary's own devices and flows, `[[users]]`) on a temporary data directory, and the real
//! server started from it in-process on 127.0.0.1, port 0.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use argon2::password_hash::{PasswordHasher, SaltString};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use vbx::device::LivePresence;
use vbx::event::EventHub;
use vbx::http::AppState;
use vbx::store::Store;

use super::{load, Endpoint, TestSim, ACCOUNT, AUTH_TOKEN, NOWHERE, NUMBER};

/// A worker's future.
pub type Work = Pin<Box<dyn Future<Output = ()> + Send>>;

/// How to configure and start a vbx.
pub struct Builder {
    /// SID, auth token, number.
    account: (String, String, String),
    api_base: Option<String>,
    api_key: Option<(String, String)>,
    public_url: Option<String>,
    server: String,
    twilio: String,
    body: String,
    users: Vec<(String, String)>,
    costly_hashes: bool,
    edit: Option<Box<dyn FnOnce(String) -> String>>,
    data: Option<TempDir>,
    own_sim: bool,
    limits: Option<vbx::http::serve::Limits>,
    worker: Option<(&'static str, Work)>,
    workers: bool,
}

impl Builder {
    /// vbx for the test account ([`ACCOUNT`], [`NUMBER`]) with `body` (devices, flows,
    /// contacts) after its `[server]` and `[twilio]`; its REST API is [`NOWHERE`] and its
    /// public URL its own address until told otherwise.
    pub fn new(body: &str) -> Builder {
        Builder {
            account: (ACCOUNT.into(), AUTH_TOKEN.into(), NUMBER.into()),
            api_base: Some(NOWHERE.into()),
            api_key: None,
            public_url: None,
            server: String::new(),
            twilio: String::new(),
            body: body.into(),
            users: Vec::new(),
            costly_hashes: false,
            edit: None,
            data: None,
            own_sim: false,
            limits: None,
            worker: None,
            workers: true,
        }
    }

    /// `sim`'s account, with `sim` as the REST API.
    pub fn sim(mut self, sim: &TestSim) -> Builder {
        self.account = (
            sim.account().to_string(),
            sim.config.auth_token.clone(),
            sim.number(),
        );
        self.api_base = Some(sim.base_url());
        self
    }

    /// A simulator of the test account's own as the REST API, stopped with the app.
    pub fn own_sim(mut self) -> Builder {
        self.own_sim = true;
        self
    }

    pub fn api_base(mut self, url: &str) -> Builder {
        self.api_base = Some(url.into());
        self
    }

    pub fn api_key(mut self, sid: &str, secret: &str) -> Builder {
        self.api_key = Some((sid.into(), secret.into()));
        self
    }

    pub fn no_api_key(mut self) -> Builder {
        self.api_key = None;
        self
    }

    pub fn public_url(mut self, url: &str) -> Builder {
        self.public_url = Some(url.into());
        self
    }

    /// The public URL is the app's own `http://127.0.0.1:port` (so the simulator's webhooks
    /// and media fetches reach it).
    pub fn own_public_url(mut self) -> Builder {
        self.public_url = None;
        self
    }

    /// More lines for `[server]`.
    pub fn server(mut self, lines: &str) -> Builder {
        self.server = format!("{}{lines}\n", self.server);
        self
    }

    /// More lines for `[twilio]`.
    pub fn twilio(mut self, lines: &str) -> Builder {
        self.twilio = format!("{}{lines}\n", self.twilio);
        self
    }

    /// `[[users]]` as (name, password), instead of those given before.
    pub fn users(mut self, users: &[(&str, &str)]) -> Builder {
        self.users = users
            .iter()
            .map(|(n, p)| (n.to_string(), p.to_string()))
            .collect();
        self
    }

    /// One more user.
    pub fn user(mut self, name: &str, password: &str) -> Builder {
        self.users.push((name.into(), password.into()));
        self
    }

    /// Hash the users' passwords with vbx's own (costly) argon2 parameters.
    pub fn costly_hashes(mut self) -> Builder {
        self.costly_hashes = true;
        self
    }

    /// Changes the whole configuration file once written.
    pub fn edit(mut self, edit: impl FnOnce(String) -> String + 'static) -> Builder {
        self.edit = Some(Box::new(edit));
        self
    }

    /// Reuse a data directory a stopped app left behind.
    pub fn data(mut self, data: TempDir) -> Builder {
        self.data = Some(data);
        self
    }

    /// Header and request time limits instead of the defaults.
    pub fn limits(mut self, limits: vbx::http::serve::Limits) -> Builder {
        self.limits = Some(limits);
        self
    }

    /// One more worker for the app to supervise, by name.
    pub fn worker(mut self, name: &'static str, work: Work) -> Builder {
        self.worker = Some((name, work));
        self
    }

    /// Serve the app's routes without its background workers (tests that drive a worker's
    /// `step` themselves, with no other worker racing them for the outbox). Dropping the app
    /// stops the server.
    pub fn without_workers(mut self) -> Builder {
        self.workers = false;
        self
    }

    pub(super) fn auth_token(&self) -> &str {
        &self.account.1
    }

    /// The configuration file, for a public URL given with [`Builder::public_url`].
    pub fn toml(mut self) -> String {
        let public_url = self.public_url.clone().expect("a public URL");
        self.render(&public_url, None)
    }

    /// The configuration file for `public_url`, listening on `listen`.
    pub(super) fn render(&mut self, public_url: &str, listen: Option<SocketAddr>) -> String {
        let (account, token, number) = &self.account;
        let mut server = format!("public_url = \"{public_url}\"\n");
        if let Some(listen) = listen {
            server.push_str(&format!("listen = \"{listen}\"\n"));
        }
        let mut twilio = String::new();
        if let Some(base) = &self.api_base {
            twilio.push_str(&format!("api_base    = \"{base}\"\n"));
        }
        if let Some((key, secret)) = &self.api_key {
            twilio.push_str(&format!(
                "api_key     = \"{key}\"\napi_secret  = \"{secret}\"\n"
            ));
        }
        let toml = format!(
            "[server]\n{server}{}\n[twilio]\naccount_sid = \"{account}\"\nauth_token  = \"{token}\"\n\
             number      = \"{number}\"\n{twilio}{}\n{}\n{}",
            self.server,
            self.twilio,
            self.body,
            users_toml(&self.users, self.costly_hashes),
        );
        match self.edit.take() {
            Some(edit) => edit(toml),
            None => toml,
        }
    }

    pub(super) fn take_data(&mut self) -> TempDir {
        self.data
            .take()
            .unwrap_or_else(|| TempDir::new().expect("temp dir"))
    }

    pub(super) fn public_url_for(&self, addr: SocketAddr) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"))
    }

    pub(super) fn uses_own_sim(&self) -> bool {
        self.own_sim
    }

    /// Starts the real server in this process, on 127.0.0.1 and a port of its own.
    pub async fn start(mut self) -> TestApp {
        let sim = if self.own_sim {
            let (account, token, number) = &self.account;
            let sim = TestSim::start_for(account, token, number).await;
            self.api_base = Some(sim.base_url());
            Some(sim)
        } else {
            None
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let public_url = self.public_url_for(addr);
        let toml = self.render(&public_url, Some(addr));
        let data = self.take_data();
        let config = load(&toml, data.path());
        let endpoint = Endpoint::new(addr, &public_url, config.twilio.auth_token.expose());
        let (shutdown, stop) = oneshot::channel::<()>();
        let stop = async {
            let _ = stop.await;
        };
        let (state, handle) = if self.workers {
            let mut app = vbx::App::build_on(config, listener)
                .await
                .expect("app builds");
            if let Some(limits) = self.limits {
                app = app.with_limits(limits);
            }
            if let Some((name, work)) = self.worker {
                app = app.with_worker(name, work);
            }
            (app.state().clone(), tokio::spawn(app.run_until(stop)))
        } else {
            // Built like production (store opened, migrations run), served without workers.
            let elsewhere = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let app = vbx::App::build_on(config, elsewhere)
                .await
                .expect("app builds");
            let state = app.state().clone();
            let router = vbx::http::router(state.clone());
            drop(app);
            let serve = async move {
                axum::serve(listener, router)
                    .with_graceful_shutdown(stop)
                    .await
                    .map_err(anyhow::Error::from)
            };
            (state, tokio::spawn(serve))
        };
        TestApp {
            endpoint,
            store: state.store.clone(),
            events: state.events.clone(),
            presence: state.live.clone(),
            state,
            data,
            sim,
            shutdown: Some(shutdown),
            _abort: (!self.workers).then(|| AbortOnDrop(handle.abort_handle())),
            handle: Some(handle),
        }
    }
}

/// `[[users]]` for the configuration, cheaply hashed unless `costly`. A password keeps its
/// hash across the apps a test starts, as a configuration file does across restarts (a new
/// hash ends the sessions).
fn users_toml(users: &[(String, String)], costly: bool) -> String {
    static HASHES: std::sync::LazyLock<
        std::sync::Mutex<std::collections::HashMap<String, String>>,
    > = std::sync::LazyLock::new(Default::default);
    let mut hashes = HASHES.lock().expect("hashes");
    users
        .iter()
        .map(|(name, password)| {
            let hash = hashes
                .entry(format!("{name}:{password}:{costly}"))
                .or_insert_with(|| {
                    if costly {
                        vbx::http::auth::hash_password(password).expect("hash")
                    } else {
                        cheap_hash(password)
                    }
                });
            format!("[[users]]\nname = \"{name}\"\npassword_hash = \"{hash}\"\n")
        })
        .collect()
}

/// A cheap argon2id hash: the default parameters would make every login slow in a debug build.
fn cheap_hash(password: &str) -> String {
    let params = argon2::Params::new(8, 1, 1, None).expect("params");
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon
        .hash_password(password.as_bytes(), &salt)
        .expect("hash")
        .to_string()
}

/// vbx running in this process; its [`Endpoint`] through `Deref`.
pub struct TestApp {
    endpoint: Endpoint,
    pub state: AppState,
    pub store: Store,
    pub events: EventHub,
    pub presence: LivePresence,
    pub data: TempDir,
    /// The simulator of [`Builder::own_sim`].
    pub sim: Option<TestSim>,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
    _abort: Option<AbortOnDrop>,
}

/// Stops a server without workers when its app is dropped; one with workers runs on until
/// the test's runtime ends, as a dropped task does.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl std::ops::Deref for TestApp {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl TestApp {
    pub fn sim(&self) -> &twilio_sim::Sim {
        self.sim.as_ref().expect("started with a simulator").sim()
    }

    /// Stops the server (as SIGTERM would), waits for it to finish, and hands back its data
    /// directory.
    pub async fn stop(mut self) -> TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.expect("server task").expect("server ran");
        }
        self.store.close().await;
        if let Some(sim) = self.sim.take() {
            sim.shutdown().await;
        }
        self.data
    }

    /// Waits up to `within` for the app to stop by itself, and gives what `run_until`
    /// returned.
    pub async fn ended_by_itself(mut self, within: std::time::Duration) -> anyhow::Result<()> {
        let handle = self.handle.take().expect("running");
        let ended = tokio::time::timeout(within, handle)
            .await
            .expect("the app stops by itself")
            .expect("server task");
        self.shutdown.take();
        ended
    }
}
