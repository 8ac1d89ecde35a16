//! A real Prosody for one test: free ports, a temporary config, data and log directory,
//! users registered with prosodyctl, killed when dropped.

use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::common::free_port;

pub const DOMAIN: &str = "localhost";
pub const COMPONENT: &str = "sms.localhost";
pub const TARGET: &str = "me@localhost";
pub const PASSWORD: &str = "pass";
/// Someone else with an account on the same server.
pub const OTHER: &str = "other@localhost";

const LOG: &str = "prosody.log";

pub struct Prosody {
    dir: TempDir,
    config: PathBuf,
    pub c2s_port: u16,
    pub component_port: u16,
    child: Option<Child>,
}

fn lua_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn require_binary(name: &str) {
    let found = Command::new(name)
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    assert!(
        found,
        "`{name}` is not installed. The XMPP tests run a real Prosody: run ./scripts/test \
         (it installs it), or `apt-get install prosody`."
    );
}

impl Prosody {
    /// Starts Prosody with `component_secret` for `sms.localhost`, the target and another
    /// user registered.
    pub fn start(component_secret: &str) -> Prosody {
        require_binary("prosody");
        require_binary("prosodyctl");
        let dir = TempDir::new().expect("temp dir");
        let (c2s_port, component_port) = (free_port(), free_port());
        let path = |name: &str| lua_string(&dir.path().join(name).to_string_lossy());
        fs::create_dir_all(dir.path().join("data")).expect("data dir");
        fs::create_dir_all(dir.path().join("certs")).expect("certs dir");
        let config = format!(
            r#"-- Written by the vbx XMPP tests.
run_as_root = true
pidfile = {pid}
data_path = {data}
certificates = {certs}
log = {{ debug = {log} }}
interfaces = {{ "127.0.0.1" }}
c2s_ports = {{ {c2s_port} }}
c2s_interfaces = {{ "127.0.0.1" }}
component_ports = {{ {component_port} }}
component_interfaces = {{ "127.0.0.1" }}
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
modules_enabled = {{ "roster", "saslauth", "disco", "ping", "offline" }}
modules_disabled = {{ "s2s" }}

VirtualHost "{DOMAIN}"
    authentication = "internal_plain"

Component "{COMPONENT}"
    component_secret = {secret}
"#,
            pid = path("prosody.pid"),
            data = path("data"),
            certs = path("certs"),
            log = path(LOG),
            secret = lua_string(component_secret),
        );
        let config_path = dir.path().join("prosody.cfg.lua");
        fs::write(&config_path, config).expect("writing the Prosody config");
        let mut prosody = Prosody {
            dir,
            config: config_path,
            c2s_port,
            component_port,
            child: None,
        };
        prosody.register(TARGET);
        prosody.register(OTHER);
        prosody.start_process();
        prosody
    }

    fn register(&self, jid: &str) {
        let (user, host) = jid.split_once('@').expect("user@host");
        let out = Command::new("prosodyctl")
            .arg("--config")
            .arg(&self.config)
            .args(["register", user, host, PASSWORD])
            .output()
            .expect("running prosodyctl");
        assert!(
            out.status.success(),
            "prosodyctl register {jid} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn start_process(&mut self) {
        let log_before = self.log().len();
        let child = Command::new("prosody")
            .arg("-F")
            .arg("--config")
            .arg(&self.config)
            .stdout(Stdio::null())
            .stderr(fs::File::create(self.dir.path().join("stderr.txt")).expect("stderr file"))
            .spawn()
            .expect("starting prosody");
        self.child = Some(child);
        // Ready once both listeners are up (the log says so after binding them).
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let log = self.log();
            let new = log.get(log_before..).unwrap_or_default();
            if new.contains("Activated service 'c2s'")
                && new.contains("Activated service 'component'")
            {
                return;
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "prosody exited with {status}:\n{}\n{}",
                    fs::read_to_string(self.dir.path().join("stderr.txt")).unwrap_or_default(),
                    new
                );
            }
            assert!(Instant::now() < deadline, "prosody did not start:\n{new}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops Prosody in its tracks (SIGSTOP): it keeps its connections open and reads
    /// nothing, as a hung server does.
    pub fn hang(&self) {
        let pid = self.child.as_ref().expect("prosody is running").id();
        let status = Command::new("kill")
            .args(["-STOP", &pid.to_string()])
            .status()
            .expect("running kill");
        assert!(status.success(), "kill -STOP {pid} failed");
    }

    /// Kills Prosody (as a crash would), dropping every connection.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts Prosody again on the same ports and data.
    pub fn restart(&mut self) {
        self.kill();
        self.start_process();
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join(LOG)
    }

    /// How many component connections Prosody has accepted (authenticated or not).
    pub fn component_connections(&self) -> usize {
        self.log()
            .matches("Incoming Jabber component connection")
            .count()
    }
}

impl Drop for Prosody {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(80).collect();
            eprintln!("--- last lines of the Prosody log ---");
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}
