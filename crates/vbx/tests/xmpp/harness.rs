//! The real vbx server on port 0 with a temporary data directory, configured with an XMPP
//! device on the test Prosody and a fake Twilio REST API (wiremock); signed webhooks; a
//! helper that waits for a condition.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use vbx::config::{self, Config, Overrides};
use vbx::device::LivePresence;
use vbx::flow::Presence as _;
use vbx::store::Store;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::prosody::{Prosody, COMPONENT, TARGET};

pub const PUBLIC_URL: &str = "https://vbx.example.com";
pub const AUTH_TOKEN: &str = "0123456789abcdef0123456789abcdef";
pub const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
pub const NUMBER: &str = "+18001234567";
pub const DEVICE: &str = "jabber";
pub const SECRET: &str = "s3cret-component";
/// A contact whose name needs escaping everywhere.
pub const ANN: &str = "+14155550199";
pub const ANN_NAME: &str = "Ann \"Boss\" <&> Ünï";
/// A number Twilio refuses.
pub const REFUSED: &str = "+15005550001";
pub const TWILIO_REFUSAL: &str = "The 'To' number +15005550001 is not a valid phone number.";

/// How long a condition may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(30);

pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub presence: LivePresence,
    pub store: Store,
    pub config: Arc<Config>,
    /// The app's contact book, as the contacts API reloads it.
    pub contacts: vbx::contact_book::ContactBook,
    pub twilio: MockServer,
    _data: TempDir,
    shutdown: oneshot::Sender<()>,
    handle: JoinHandle<anyhow::Result<()>>,
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn toml_config(port: u16, secret: &str, twilio: &str) -> String {
    format!(
        r#"
[server]
public_url = "{PUBLIC_URL}"

[twilio]
account_sid = "{ACCOUNT}"
auth_token  = "{AUTH_TOKEN}"
number      = "{NUMBER}"
api_base    = "{twilio}"

[devices]
{DEVICE} = {{ type = "xmpp", component = "{COMPONENT}", secret = "{secret}", server = "127.0.0.1", port = {port}, target = "{TARGET}" }}

[calls]
default = [ {{ step = "hangup" }} ]

[messages]
default = [ {{ step = "device", devices = ["{DEVICE}"] }} ]

[contacts]
"{ANN}" = "Ann \"Boss\" <&> Ünï"
"#,
    )
}

/// A fake Twilio: every message is accepted, except those to [`REFUSED`].
async fn fake_twilio() -> MockServer {
    let server = MockServer::start().await;
    let messages = format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json");
    Mock::given(method("POST"))
        .and(path(messages.clone()))
        .and(body_string_contains("To=%2B15005550001"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "code": 21211,
            "message": TWILIO_REFUSAL,
            "more_info": "https://www.twilio.com/docs/errors/21211",
            "status": 400
        })))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(messages))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "sid": "SM0123456789abcdef0123456789abcdef",
            "account_sid": ACCOUNT,
            "status": "queued",
            "direction": "outbound-api"
        })))
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

impl TestApp {
    /// Starts vbx with its XMPP device pointed at `prosody`, using `secret`.
    pub async fn start(prosody: &Prosody, secret: &str) -> TestApp {
        TestApp::start_on_port(prosody.component_port, secret).await
    }

    /// Starts vbx with its XMPP device pointed at 127.0.0.1:`port`, using `secret`.
    pub async fn start_on_port(port: u16, secret: &str) -> TestApp {
        let twilio = fake_twilio().await;
        let data = TempDir::new().expect("temp dir");
        let overrides = Overrides {
            listen: Some("127.0.0.1:0".parse().expect("addr")),
            public_url: None,
            data_dir: Some(data.path().to_path_buf()),
        };
        let toml = toml_config(port, secret, &twilio.uri());
        let config = config::load_str(&toml, &overrides, &no_env).expect("test config is valid");
        let app = vbx::App::build(config).await.expect("app builds");
        let addr = app.local_addr();
        let presence = app.presence().clone();
        let store = app.state().store.clone();
        let config = app.state().config.clone();
        let contacts = app.state().contacts.clone();
        let (shutdown, rx) = oneshot::channel();
        let handle = tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        TestApp {
            addr,
            http: reqwest::Client::new(),
            presence,
            store,
            config,
            contacts,
            twilio,
            _data: data,
            shutdown,
            handle,
        }
    }

    /// Stops vbx as SIGTERM would, and waits until it has.
    pub async fn stop(self) {
        let _ = self.shutdown.send(());
        self.handle
            .await
            .expect("the app task")
            .expect("the app stopped cleanly");
    }

    /// What the flow engine sees of the XMPP device.
    pub fn online(&self) -> Option<bool> {
        let device = &self.config.devices[DEVICE];
        self.presence.online(DEVICE, device)
    }

    /// An incoming text with SID `sid`, POSTed to `/flow/msg/default` and signed as Twilio
    /// signs it.
    pub async fn text_from_as(&self, sid: &str, from: &str, body: &str, media: &[&str]) -> u16 {
        let sid = sid.to_owned();
        let mut params = vec![
            ("MessageSid".to_owned(), sid.clone()),
            ("SmsSid".to_owned(), sid),
            ("AccountSid".to_owned(), ACCOUNT.to_owned()),
            ("From".to_owned(), from.to_owned()),
            ("To".to_owned(), NUMBER.to_owned()),
            ("Body".to_owned(), body.to_owned()),
            ("NumMedia".to_owned(), media.len().to_string()),
            ("SmsStatus".to_owned(), "received".to_owned()),
            ("ApiVersion".to_owned(), "2010-04-01".to_owned()),
        ];
        for (i, url) in media.iter().enumerate() {
            params.push((format!("MediaUrl{i}"), url.to_string()));
            params.push((format!("MediaContentType{i}"), "image/jpeg".to_owned()));
        }
        let path = "/flow/msg/default";
        let signature =
            twilio::signature::compute(AUTH_TOKEN, &format!("{PUBLIC_URL}{path}"), &params);
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&params)
            .finish();
        self.http
            .post(format!("http://{}{path}", self.addr))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", signature)
            .body(body)
            .send()
            .await
            .expect("request reaches vbx")
            .status()
            .as_u16()
    }

    /// The form bodies of the messages vbx asked the fake Twilio to send.
    pub async fn twilio_messages(&self) -> Vec<Vec<(String, String)>> {
        self.twilio
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|r| r.url.path().ends_with("/Messages.json"))
            .map(|r| {
                form_urlencoded::parse(&r.body)
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .collect()
    }
}

/// Waits until `check` is true, looking every 20 ms; fails the test after [`PATIENCE`].
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
