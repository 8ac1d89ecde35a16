//! The XMPP tests' vbx: the shared [`TestApp`] with an XMPP device on the test Prosody and a
//! fake Twilio REST API (wiremock); a helper that waits for a condition.

use std::future::Future;
use std::time::Duration;

use serde_json::json;
use vbx::flow::Presence as _;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub use crate::common::*;
use crate::prosody::{Prosody, COMPONENT, TARGET};

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

/// vbx and the fake Twilio it sends texts through; the app through `Deref`.
pub struct XmppApp {
    app: TestApp,
    pub twilio: MockServer,
}

impl std::ops::Deref for XmppApp {
    type Target = TestApp;

    fn deref(&self) -> &TestApp {
        &self.app
    }
}

fn flows(port: u16, secret: &str, calls: &str) -> String {
    format!(
        r#"
[devices]
{DEVICE} = {{ type = "xmpp", component = "{COMPONENT}", secret = "{secret}", server = "127.0.0.1", port = {port}, target = "{TARGET}" }}

[calls]
default = [ {calls} ]

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

impl XmppApp {
    /// Starts vbx with its XMPP device pointed at `prosody`, using `secret`.
    pub async fn start(prosody: &Prosody, secret: &str) -> XmppApp {
        XmppApp::start_on_port(prosody.component_port, secret).await
    }

    /// Starts vbx with its XMPP device pointed at 127.0.0.1:`port`, using `secret`.
    pub async fn start_on_port(port: u16, secret: &str) -> XmppApp {
        XmppApp::start_with_calls(port, secret, r#"{ step = "hangup" }"#).await
    }

    /// Like [`XmppApp::start_on_port`], with `calls` the steps of the default call flow.
    pub async fn start_with_calls(port: u16, secret: &str, calls: &str) -> XmppApp {
        let twilio = fake_twilio().await;
        let app = Builder::new(&flows(port, secret, calls))
            .public_url(PUBLIC_URL)
            .api_base(&twilio.uri())
            .start()
            .await;
        XmppApp { app, twilio }
    }

    /// Stops vbx as SIGTERM would, and waits until it has.
    pub async fn stop(self) {
        self.app.stop().await;
    }

    /// What the flow engine sees of the XMPP device.
    pub fn online(&self) -> Option<bool> {
        let device = &self.state.config.devices[DEVICE];
        self.presence.online(DEVICE, device)
    }

    /// An incoming text with SID `sid`, POSTed to `/flow/msg/default` and signed as Twilio
    /// signs it.
    pub async fn text_from_as(&self, sid: &str, from: &str, body: &str, media: &[&str]) -> u16 {
        let params = text_params(sid, from, body, media);
        self.post_signed("/flow/msg/default", &borrow(&params))
            .await
            .status
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
    let check = || {
        let holds = check();
        async move { holds.await.then_some(()) }
    };
    until_every(Duration::from_millis(20), what, PATIENCE, check).await
}
