//! The real `vbx serve` process: its configuration file written into a temporary data
//! directory for a reserved port, started (and started again) from it, waited for until it
//! answers, stopped by PID, its log collected in a file.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use super::{free_port, Builder, Endpoint};

/// How long a started `vbx serve` may take to answer on a loaded machine.
const READY: Duration = Duration::from_secs(60);

/// A data directory and a configuration file in it, for `vbx serve` on `port`.
pub struct Setup {
    pub data: TempDir,
    pub config: PathBuf,
    pub port: u16,
    endpoint: Endpoint,
}

impl Builder {
    /// Writes the configuration for a port nobody listens on now (so a restarted process can
    /// take it again), into the data directory as `vbx.toml`.
    pub fn setup(mut self) -> Setup {
        assert!(!self.uses_own_sim(), "the binary's simulator is the test's");
        let data = self.take_data();
        let port = free_port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let public_url = self.public_url_for(addr);
        let endpoint = Endpoint::new(addr, &public_url, self.auth_token());
        let config = data.path().join("vbx.toml");
        std::fs::write(&config, self.render(&public_url, Some(addr))).expect("config written");
        Setup {
            data,
            config,
            port,
            endpoint,
        }
    }
}

impl Setup {
    /// Where the process answers, also across its restarts.
    pub fn endpoint(&self) -> Endpoint {
        self.endpoint.clone()
    }

    /// Starts `vbx serve` with its log in the data directory as `log_name`, and waits until
    /// it answers HTTP.
    pub async fn start(&self, log_name: &str) -> Vbx {
        self.start_with(Command::new(env!("CARGO_BIN_EXE_vbx")), log_name)
            .await
    }

    /// [`Setup::start`] with the open-files limit at `soft` (the hard one at `hard`), through
    /// util-linux's `prlimit`.
    pub async fn start_with_open_files(&self, soft: u64, hard: u64, log_name: &str) -> Vbx {
        let mut command = Command::new("prlimit");
        command
            .arg(format!("--nofile={soft}:{hard}"))
            .arg("--")
            .arg(env!("CARGO_BIN_EXE_vbx"));
        self.start_with(command, log_name).await
    }

    async fn start_with(&self, mut command: Command, log_name: &str) -> Vbx {
        let log = self.data.path().join(log_name);
        let out = std::fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = command
            .args(["serve", "--config"])
            .arg(&self.config)
            .arg("--data-dir")
            .arg(self.data.path())
            .env("VBX_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("vbx starts");
        let vbx = Vbx {
            endpoint: self.endpoint(),
            child: Some(child),
            log,
        };
        vbx.wait_until_up().await;
        vbx
    }
}

/// A running `vbx serve`, killed when dropped; its [`Endpoint`] through `Deref`.
pub struct Vbx {
    endpoint: Endpoint,
    child: Option<Child>,
    pub log: PathBuf,
}

impl std::ops::Deref for Vbx {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl Vbx {
    async fn wait_until_up(&self) {
        let http = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + READY;
        while tokio::time::Instant::now() < deadline {
            if http.get(self.url("/api/session")).send().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("vbx did not answer within {READY:?}: {}", self.log_text());
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
