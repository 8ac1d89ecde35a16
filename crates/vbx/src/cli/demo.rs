//! `vbx demo`: vbx and the Twilio simulator in one process, so a newcomer can use the whole
//! product with no Twilio account. The simulator plays Twilio: vbx's own `setup` points the
//! simulated number and TwiML App at vbx and creates an API key, exactly as against Twilio.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use rand::Rng;
use tokio::net::TcpListener;
use twilio::PhoneNumber;
use twilio_sim::{Settings, SimConfig, SimServer};

use crate::config::{self, Overrides, Secret, User};

/// The sample configuration the demo runs when no file is given.
pub const SAMPLE: &str = include_str!("demo.toml");

/// The user the demo creates.
pub const DEMO_USER: &str = "demo";

#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// A person's own configuration (TOML or old flow file) to try against the simulator.
    pub config: Option<PathBuf>,
    pub listen: SocketAddr,
    pub sim_listen: SocketAddr,
    /// Where the demo keeps its data; a fresh directory under the system's temp dir if unset.
    pub data_dir: Option<PathBuf>,
    /// The browser gets the real Voice SDK, whose signaling the browser routes to the
    /// simulator's `/_sim/signal`.
    pub voice_sdk: bool,
}

/// What the demo prints once it is up.
#[derive(Debug, Clone)]
pub struct DemoInfo {
    pub app_url: String,
    pub user: String,
    pub password: String,
    pub sim_url: String,
    pub account_sid: String,
    pub auth_token: String,
    pub number: String,
    pub data_dir: PathBuf,
    pub voice_sdk: bool,
}

impl DemoInfo {
    pub fn banner(&self) -> String {
        format!(
            "\nvbx demo is running (no Twilio account needed: Twilio is simulated).\n\n\
             app:        {app}\n\
             login:      {user} / {password}\n\
             number:     {number} (the simulated Twilio number)\n\
             data:       {data}\n\n\
             simulator:  {sim}/_sim   (control API; REST API at {sim}/2010-04-01)\n\
             account:    {account}\n\
             auth token: {token}\n{sdk}\n\
             Try it (in another terminal):\n\
             \x20 vbx sim --sim {sim} text --from +14155550100 --to {number} \"Hello from Alice\"\n\
             \x20 vbx sim --sim {sim} call --from +14155550100 --to {number} --digits 3 --wait\n\
             A call rings the browser when the app is open; unanswered, a menu answers: 1 (or\n\
             no key) the cell phone (+18005555555, simulated), 2 voicemail, 3 the office's\n\
             hours. `--wait` prints what the caller heard. Stop with Ctrl-C.\n",
            app = self.app_url,
            user = self.user,
            password = self.password,
            number = self.number,
            data = self.data_dir.display(),
            sim = self.sim_url,
            account = self.account_sid,
            token = self.auth_token,
            sdk = if self.voice_sdk {
                format!(
                    "voice SDK:  the browser runs the real Voice SDK; route its signaling \
                     (wss://voice-js.*.twilio.com/signal) to {ws}/_sim/signal and open \
                     {sim}/_sim/media-peer for the far end of the audio\n",
                    ws = self.sim_url.replacen("http", "ws", 1),
                    sim = self.sim_url,
                )
            } else {
                String::new()
            },
        )
    }
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    (0..12)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// Starts the simulator and vbx, wires them together, and serves until `shutdown`.
pub async fn run(
    options: DemoOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    on_ready: impl FnOnce(&DemoInfo),
) -> anyhow::Result<()> {
    let data_dir = match &options.data_dir {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("vbx-demo-{}", random_password())),
    };
    let listener = TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("listening on {} (--listen)", options.listen))?;
    let app_addr = listener.local_addr()?;
    let public_url = format!("http://{app_addr}");
    let overrides = Overrides {
        listen: Some(app_addr),
        public_url: Some(public_url.clone()),
        data_dir: Some(data_dir.clone()),
    };
    let mut config = match &options.config {
        Some(path) => config::load(path, &overrides, &|k| std::env::var(k).ok())
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        None => config::load_str(SAMPLE, &overrides, &no_env)
            .map_err(|e| anyhow::anyhow!("the demo configuration: {e}"))?,
    };

    // The simulator stands in for Twilio, with the configuration's number.
    let mut sim_config = SimConfig::demo();
    sim_config.numbers = vec![config.twilio.number.clone()];
    sim_config.api_keys.clear();
    sim_config.settings = Settings::realtime();
    let sim_server = SimServer::bind(options.sim_listen, twilio_sim::Sim::new(sim_config.clone()))
        .await
        .with_context(|| format!("listening on {} (--sim-listen)", options.sim_listen))?;
    let sim = sim_server.sim().clone();
    let sim_url = format!("http://{}", sim_server.local_addr()?);
    let (stop_sim, sim_stopped) = tokio::sync::oneshot::channel::<()>();
    let sim_task = tokio::spawn(sim_server.run_until(async move {
        let _ = sim_stopped.await;
    }));

    config.twilio.account_sid = sim_config.account_sid.clone();
    config.twilio.auth_token = Secret::new(sim_config.auth_token.clone());
    config.twilio.api_key = None;
    config.twilio.api_secret = None;
    config.twilio.app_sid = None;
    config.twilio.api_base = sim_url.parse().context("the simulator's URL")?;
    // Without a simulator URL the browser gets the real SDK (the session's `voice`).
    config.server.sim_client_url = if options.voice_sdk {
        None
    } else {
        sim.client_url()
    };

    let client = crate::app::twilio_client(&config)?;
    let report = crate::cli::setup::setup(&config, &client)
        .await
        .context("pointing the simulated number at vbx (vbx setup)")?;
    config.twilio.app_sid = Some(report.app_sid.clone());
    if let Some((key, secret)) = report.new_api_key {
        config.twilio.api_key = Some(key);
        config.twilio.api_secret = Some(Secret::new(secret));
    }

    let password = random_password();
    if config.users.is_empty() {
        let hash = tokio::task::spawn_blocking({
            let password = password.clone();
            move || crate::http::auth::hash_password(&password)
        })
        .await?
        .map_err(|e| anyhow::anyhow!("hashing the demo password: {e}"))?;
        config.users.push(User {
            name: DEMO_USER.to_owned(),
            password_hash: hash,
        });
    }
    let info = DemoInfo {
        app_url: format!("{public_url}/"),
        user: config.users[0].name.clone(),
        password: if options.config.is_some() && config.users[0].name != DEMO_USER {
            "(your configured password)".to_owned()
        } else {
            password
        },
        sim_url,
        account_sid: sim_config.account_sid.to_string(),
        auth_token: sim_config.auth_token.clone(),
        number: config.twilio.number.to_string(),
        data_dir,
        voice_sdk: options.voice_sdk,
    };

    let app = crate::App::build_on(config, listener).await?;
    on_ready(&info);
    let served = app.run_until(shutdown).await;
    let _ = stop_sim.send(());
    let _ = sim_task.await;
    served
}

/// Parses a number the way the `vbx sim` commands accept it.
pub fn number(value: &str) -> Result<PhoneNumber, String> {
    PhoneNumber::parse_lenient(value).map_err(|e| e.to_string())
}

/// Reads `vbx sim call --digits`: keys a phone has, so a typo does not become a silent menu.
pub fn keys(value: &str) -> Result<String, String> {
    match value.chars().find(|c| !matches!(c, '0'..='9' | '*' | '#')) {
        Some(bad) => Err(format!("{bad:?} is not a key; a phone has 0-9, * and #")),
        None => Ok(value.to_owned()),
    }
}

/// `vbx sim`: drives a running simulator's control API (place a text or a call).
pub async fn sim_command(sim_url: &str, command: &SimAction) -> anyhow::Result<String> {
    let http = reqwest::Client::new();
    let (path, body) = match command {
        SimAction::Text { from, to, body } => (
            "/_sim/messages/incoming",
            serde_json::json!({ "from": from, "to": to, "body": body, "media": [] }),
        ),
        SimAction::Call {
            from, to, digits, ..
        } => (
            "/_sim/calls/incoming",
            serde_json::json!({ "from": from, "to": to, "digits": digits }),
        ),
    };
    let url = format!("{}{path}", sim_url.trim_end_matches('/'));
    let resp =
        http.post(&url).json(&body).send().await.with_context(|| {
            format!("reaching the simulator at {sim_url} (is `vbx demo` running?)")
        })?;
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    if !status.is_success() {
        anyhow::bail!("the simulator answered {status}: {text}");
    }
    if let SimAction::Call { wait: true, .. } = command {
        let sid = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["sid"].as_str().map(str::to_owned))
            .with_context(|| format!("the simulator's answer has no call SID: {text}"))?;
        let heard = heard(&http, sim_url, &sid).await?;
        let mut out = text.trim_end().to_owned();
        out.push_str("\nThe caller heard:");
        for line in heard {
            out.push_str("\n  ");
            out.push_str(&line);
        }
        return Ok(out);
    }
    Ok(text)
}

/// Statuses a call ends with.
const ENDED: &[&str] = &["completed", "busy", "failed", "no-answer", "canceled"];
/// The longest `vbx sim call --wait` waits for the call to end.
const CALL_WAIT: std::time::Duration = std::time::Duration::from_secs(600);

/// Waits for call `sid` to end at the simulator and answers what its caller heard (the
/// simulator's transcript of the call: speech, tones, keys pressed).
async fn heard(http: &reqwest::Client, sim_url: &str, sid: &str) -> anyhow::Result<Vec<String>> {
    let url = format!("{}/_sim/calls/{sid}", sim_url.trim_end_matches('/'));
    let deadline = tokio::time::Instant::now() + CALL_WAIT;
    loop {
        let detail: serde_json::Value = http
            .get(&url)
            .send()
            .await
            .with_context(|| format!("reaching the simulator at {sim_url}"))?
            .json()
            .await
            .context("reading the call from the simulator")?;
        let status = detail["call"]["status"].as_str().unwrap_or_default();
        if ENDED.contains(&status) {
            let lines = detail["trace"]["transcript"]
                .as_array()
                .map(|lines| {
                    lines
                        .iter()
                        .filter_map(|l| l.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            return Ok(lines);
        }
        if tokio::time::Instant::now() >= deadline {
            anyhow::bail!("call {sid} did not end within {} s", CALL_WAIT.as_secs());
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

#[derive(Debug, Clone)]
pub enum SimAction {
    Text {
        from: String,
        to: String,
        body: String,
    },
    Call {
        from: String,
        to: String,
        /// The caller's keys at each `<Gather>`, in order (the control API's `digits`).
        digits: Vec<String>,
        /// Wait for the call's end and answer what the caller heard as well.
        wait: bool,
    },
}
