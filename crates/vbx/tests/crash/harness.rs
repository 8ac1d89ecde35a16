//! Runs the real binary (`vbx serve`) on a reserved port with a temporary configuration
//! whose `twilio.api_base` is a simulator started in the test; the child is killed on drop.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use tempfile::TempDir;
use twilio_sim::{Settings, Sim, SimConfig, SimHandle, SimServer};

/// Long enough for anything a test waits for on a loaded machine; reaching it fails the test.
pub const WAIT: Duration = Duration::from_secs(60);
/// Someone outside who texts the number.
pub const OUTSIDE: &str = "+14155550100";

pub struct TestSim {
    pub handle: SimHandle,
    pub config: SimConfig,
}

impl TestSim {
    /// The simulator with fast time and `retries` webhook retries (Twilio's connection
    /// overrides), each attempt bounded by `timeout`.
    pub async fn start(retries: u32, timeout: Duration) -> TestSim {
        let mut config = SimConfig::demo();
        config.settings = Settings {
            webhook_retries: retries,
            webhook_timeout: timeout,
            ..Settings::fast()
        };
        let (_, handle) = SimServer::start(config.clone())
            .await
            .expect("the simulator starts");
        TestSim { handle, config }
    }

    pub fn sim(&self) -> &Sim {
        self.handle.sim()
    }

    pub fn number(&self) -> String {
        self.config.numbers[0].to_string()
    }

    pub fn client(&self) -> twilio::client::Client {
        let auth = twilio::client::Auth::Token {
            account_sid: self.config.account_sid.clone(),
            auth_token: self.config.auth_token.clone(),
        };
        twilio::client::Client::new(self.handle.base_url().parse().expect("URL"), auth)
            .expect("client")
    }

    /// `[server]` and `[twilio]` of vbx's configuration for this account, reachable at
    /// `port`; `twilio_extra` lines go into `[twilio]`.
    pub fn server_and_twilio(&self, port: u16, twilio_extra: &str) -> String {
        format!(
            r#"
[server]
public_url = "http://127.0.0.1:{port}"
listen = "127.0.0.1:{port}"

[twilio]
account_sid = "{account}"
auth_token  = "{token}"
number      = "{number}"
api_base    = "{base}"
{twilio_extra}
"#,
            account = self.config.account_sid,
            token = self.config.auth_token,
            number = self.number(),
            base = self.handle.base_url(),
        )
    }

    /// vbx's configuration for this account, reachable at `port`.
    pub fn toml(&self, port: u16) -> String {
        format!(
            r#"{}
[devices]
browser = {{ type = "browser" }}

[calls]
default = [ {{ step = "device", devices = ["browser"] }} ]

[messages]
default = [ {{ step = "device", devices = ["browser"] }} ]
"#,
            self.server_and_twilio(port, "")
        )
    }
}

/// A port nobody listens on right now (bound, then released), so the configuration can name
/// it as the public URL and a restarted process can take it again.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// A running `vbx serve`; killed when dropped.
pub struct Vbx {
    child: Option<Child>,
    pub port: u16,
    pub log: PathBuf,
}

impl Vbx {
    /// Starts `vbx serve --config <config>` on `data` and waits until it answers HTTP.
    pub async fn start(config: &Path, data: &Path, port: u16, log_name: &str) -> Vbx {
        Self::start_with(
            Command::new(env!("CARGO_BIN_EXE_vbx")),
            config,
            data,
            port,
            log_name,
        )
        .await
    }

    /// [`Vbx::start`] with the open-files limit at `soft` (the hard one at `hard`), through
    /// util-linux's `prlimit`.
    pub async fn start_with_open_files(setup: &Setup, soft: u64, hard: u64, log_name: &str) -> Vbx {
        let mut command = Command::new("prlimit");
        command
            .arg(format!("--nofile={soft}:{hard}"))
            .arg("--")
            .arg(env!("CARGO_BIN_EXE_vbx"));
        Self::start_with(
            command,
            &setup.config,
            setup.data.path(),
            setup.port,
            log_name,
        )
        .await
    }

    async fn start_with(
        mut command: Command,
        config: &Path,
        data: &Path,
        port: u16,
        log_name: &str,
    ) -> Vbx {
        let log = data.join(log_name);
        let out = std::fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = command
            .args(["serve", "--config"])
            .arg(config)
            .arg("--data-dir")
            .arg(data)
            .env("VBX_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("vbx starts");
        let vbx = Vbx {
            child: Some(child),
            port,
            log,
        };
        vbx.wait_until_up().await;
        vbx
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    async fn wait_until_up(&self) {
        let http = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + WAIT;
        while tokio::time::Instant::now() < deadline {
            if http.get(self.url("/api/session")).send().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("vbx did not answer within {WAIT:?}: {}", self.log_text());
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let status = Command::new("kill")
            .args([signal, &pid])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} {pid}");
    }

    /// SIGKILL, then waits for the process to be gone.
    pub async fn kill(mut self) {
        self.signal("-KILL");
        self.wait().await;
    }

    /// SIGTERM, then waits for the process to exit and returns how it ended.
    pub async fn terminate(mut self) -> ExitStatus {
        self.signal("-TERM");
        self.wait().await
    }

    async fn wait(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        tokio::task::spawn_blocking(move || child.wait().expect("wait for vbx"))
            .await
            .expect("waiting task")
    }
}

impl Drop for Vbx {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A data directory and a configuration file in it.
pub struct Setup {
    pub data: TempDir,
    pub config: PathBuf,
    pub port: u16,
}

impl Setup {
    pub fn new(sim: &TestSim) -> Setup {
        Self::with_toml(|port| sim.toml(port))
    }

    /// A configuration written by `toml` for the port vbx will listen on.
    pub fn with_toml(toml: impl FnOnce(u16) -> String) -> Setup {
        let data = TempDir::new().expect("temp dir");
        let port = free_port();
        let config = data.path().join("vbx.toml");
        std::fs::write(&config, toml(port)).expect("config written");
        Setup { data, config, port }
    }

    pub async fn start(&self, log_name: &str) -> Vbx {
        Vbx::start(&self.config, self.data.path(), self.port, log_name).await
    }

    /// Points the simulator's number at vbx the way `vbx setup` does.
    pub async fn wire(&self, sim: &TestSim) {
        self.try_wire(sim)
            .await
            .expect("setup against the simulator");
    }

    pub async fn try_wire(&self, sim: &TestSim) -> anyhow::Result<()> {
        let config = vbx::config::load(
            &self.config,
            &vbx::config::Overrides {
                listen: None,
                public_url: None,
                data_dir: Some(self.data.path().to_path_buf()),
            },
            &|_| None,
        )
        .expect("the test configuration is valid");
        vbx::setup::setup(&config, &sim.client()).await.map(|_| ())
    }

    /// The message SIDs in the store and how often each appears (the process must be gone).
    pub async fn stored_messages(&self) -> Vec<(String, i64)> {
        let pool = self.open_db().await;
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT sid, COUNT(*) FROM messages GROUP BY sid ORDER BY sid")
                .fetch_all(&pool)
                .await
                .expect("messages");
        pool.close().await;
        rows
    }

    pub async fn integrity(&self) -> String {
        let pool = self.open_db().await;
        let ok: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&pool)
            .await
            .expect("integrity_check");
        pool.close().await;
        ok
    }

    /// The store, also while vbx runs (WAL lets a reader in beside it); the tests only read.
    pub async fn open_db(&self) -> sqlx::SqlitePool {
        let file = self.data.path().join(vbx::store::DB_FILE);
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(file);
        sqlx::SqlitePool::connect_with(options)
            .await
            .expect("the store opens")
    }
}

/// `n` texts from [`OUTSIDE`] to the number; their SIDs in order.
pub fn burst(sim: &TestSim, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            sim.sim()
                .incoming_message(twilio_sim::InboundText {
                    from: OUTSIDE.into(),
                    to: sim.number(),
                    body: format!("text {i}"),
                    media: vec![],
                })
                .expect("the text arrives")
                .to_string()
        })
        .collect()
}

/// Waits until every SID in `sids` has had its last `sms` webhook attempt (an answer or a
/// final failure), and returns those last attempts' statuses.
pub async fn final_statuses(sim: &TestSim, sids: &[String], retries: u32) -> Vec<Option<u16>> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let mut last: HashMap<&str, (u32, Option<u16>)> = HashMap::new();
        for h in sim.sim().webhooks() {
            if h.purpose != "sms" {
                continue;
            }
            if let Some(sid) = sids.iter().find(|s| **s == h.owner) {
                let entry = last.entry(sid.as_str()).or_insert((0, None));
                if h.attempt >= entry.0 {
                    *entry = (h.attempt, h.status);
                }
            }
        }
        let done = sids.iter().all(|sid| {
            last.get(sid.as_str())
                .is_some_and(|(attempt, status)| *status == Some(200) || *attempt > retries)
        });
        if done {
            return sids.iter().map(|sid| last[sid.as_str()].1).collect();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not every text's webhook ended within {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How many `sms` webhook attempts have been answered with 200 so far.
pub fn answered(sim: &TestSim) -> usize {
    sim.sim()
        .webhooks()
        .iter()
        .filter(|h| h.purpose == "sms" && h.status == Some(200))
        .count()
}

/// Waits until `check` finds something, looking every 50 ms; fails the test after `patience`.
pub async fn until<T, F, Fut>(what: &str, patience: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
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
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
