//! Starts the real vbx on port 0 with a temporary data directory (and, when asked, the Twilio
//! simulator as its REST API), logs users in, and talks to the JSON API, the WebSocket and
//! the webhooks the way the browser and Twilio do.

use std::net::SocketAddr;
use std::time::Duration;

use argon2::password_hash::{PasswordHasher, SaltString};
use futures_util::{SinkExt, StreamExt};
use reqwest::Method;
use serde_json::Value;
use tempfile::TempDir;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use vbx::config::{self, Overrides};
use vbx::device::LivePresence;
use vbx::event::EventHub;
use vbx::store::Store;

pub const PUBLIC_URL: &str = "https://vbx.example.com";
pub const AUTH_TOKEN: &str = "0123456789abcdef0123456789abcdef";
pub const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
pub const API_KEY: &str = "SK0123456789abcdef0123456789abcdef";
pub const API_SECRET: &str = "api-secret-for-the-tests-0123456";
pub const APP_SID: &str = "AP0123456789abcdef0123456789abcdef";
pub const NUMBER: &str = "+18001234567";
pub const CELL: &str = "+18005555555";
pub const CALLER: &str = "+14155550100";
pub const ANN: &str = "+14155550199";
pub const ALICE_PASSWORD: &str = "alice-password";
pub const BOB_PASSWORD: &str = "bob-password";

/// Where nothing listens: the REST API of apps started without the simulator.
const NOWHERE: &str = "http://127.0.0.1:9";

/// `__PUBLIC_URL__`, `__API_BASE__` and `__USERS__` are filled in by the harness.
pub const CONFIG: &str = r#"
[server]
public_url = "__PUBLIC_URL__"

[twilio]
account_sid = "AC0123456789abcdef0123456789abcdef"
auth_token  = "0123456789abcdef0123456789abcdef"
api_key     = "SK0123456789abcdef0123456789abcdef"
api_secret  = "api-secret-for-the-tests-0123456"
app_sid     = "AP0123456789abcdef0123456789abcdef"
number      = "+18001234567"
api_base    = "__API_BASE__"

[devices]
browser = { type = "browser" }
cell    = { type = "sms", number = "+18005555555" }

[calls]
default   = [ { step = "device", devices = ["browser"], next = "phone" } ]
phone     = [ { step = "dial", number = "+18005555555" } ]
voicemail = [ { step = "say", text = "Leave a message" }, { step = "record", max_length = 60 } ]

[messages]
default = [ { step = "device", devices = ["browser"] } ]

[contacts]
"+18005555555" = "BusinessName"
"+14155550199" = "Ann"

__USERS__
"#;

/// A cheap argon2id hash: the default parameters would make every login slow in a debug build.
pub fn cheap_hash(password: &str) -> String {
    let params = argon2::Params::new(8, 1, 1, None).expect("params");
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon
        .hash_password(password.as_bytes(), &salt)
        .expect("hash")
        .to_string()
}

/// `[[users]]` for the configuration. A password keeps its hash across the apps a test
/// starts, as a configuration file does across restarts (a new hash ends the sessions).
fn users(list: &[(&str, &str)], costly: bool) -> String {
    static HASHES: std::sync::LazyLock<
        std::sync::Mutex<std::collections::HashMap<String, String>>,
    > = std::sync::LazyLock::new(Default::default);
    let mut hashes = HASHES.lock().expect("hashes");
    list.iter()
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

pub const ALICE_AND_BOB: &[(&str, &str)] = &[("alice", ALICE_PASSWORD), ("bob", BOB_PASSWORD)];

/// How to start an app.
#[derive(Default)]
pub struct Options {
    /// Extra lines for `[server]`.
    pub server: String,
    /// The public URL is the app's own `http://127.0.0.1:port` (so the simulator can fetch
    /// uploaded media from it) instead of [`PUBLIC_URL`].
    pub local_public_url: bool,
    /// Run the Twilio simulator and use it as the REST API.
    pub sim: bool,
    /// Replace the `[twilio]` API key lines with nothing.
    pub no_api_key: bool,
    /// Reuse a data directory a stopped app left behind.
    pub data: Option<TempDir>,
    /// `[[users]]` as (name, password); Alice and Bob when `None`.
    pub users: Option<&'static [(&'static str, &'static str)]>,
    /// Header and request time limits instead of the defaults.
    pub limits: Option<vbx::http::serve::Limits>,
    /// The steps of the `default` message flow instead of ringing the browser.
    pub messages_default: Option<&'static str>,
    /// Hash the users' passwords with vbx's own (costly) argon2 parameters.
    pub costly_hashes: bool,
    /// One more worker for the app to supervise, by name.
    pub worker: Option<(&'static str, Work)>,
}

/// A worker's future.
pub type Work = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

pub struct TestApp {
    pub addr: SocketAddr,
    pub public_url: String,
    pub http: reqwest::Client,
    pub presence: LivePresence,
    pub store: Store,
    pub events: EventHub,
    pub data: TempDir,
    pub sim: Option<twilio_sim::SimHandle>,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
}

fn no_env(_: &str) -> Option<String> {
    None
}

impl TestApp {
    pub async fn start() -> TestApp {
        Self::start_opts(Options::default()).await
    }

    pub async fn start_opts(options: Options) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let sim = if options.sim {
            let config = twilio_sim::SimConfig {
                account_sid: twilio::AccountSid::parse(ACCOUNT).expect("sid"),
                auth_token: AUTH_TOKEN.to_owned(),
                numbers: vec![twilio::PhoneNumber::parse(NUMBER).expect("number")],
                api_keys: vec![],
                settings: twilio_sim::Settings::fast(),
            };
            let (_, handle) = twilio_sim::SimServer::start(config).await.expect("sim");
            Some(handle)
        } else {
            None
        };
        let api_base = sim
            .as_ref()
            .map_or_else(|| NOWHERE.to_owned(), |s| s.base_url());
        let public_url = if options.local_public_url {
            format!("http://{addr}")
        } else {
            PUBLIC_URL.to_owned()
        };
        let mut toml = CONFIG
            .replace("__PUBLIC_URL__", &public_url)
            .replace("__API_BASE__", &api_base)
            .replace(
                "__USERS__",
                &users(
                    options.users.unwrap_or(ALICE_AND_BOB),
                    options.costly_hashes,
                ),
            )
            .replace("[server]\n", &format!("[server]\n{}\n", options.server));
        if let Some(steps) = options.messages_default {
            let from = "[messages]\ndefault = [ { step = \"device\", devices = [\"browser\"] } ]";
            assert!(toml.contains(from), "the test config's message flow moved");
            toml = toml.replace(from, &format!("[messages]\ndefault = {steps}"));
        }
        if options.no_api_key {
            toml = toml
                .lines()
                .filter(|l| !l.starts_with("api_key") && !l.starts_with("api_secret"))
                .collect::<Vec<_>>()
                .join("\n");
        }
        let data = options
            .data
            .unwrap_or_else(|| TempDir::new().expect("temp dir"));
        let overrides = Overrides {
            listen: Some(addr),
            public_url: None,
            data_dir: Some(data.path().to_path_buf()),
        };
        let config = config::load_str(&toml, &overrides, &no_env).expect("test config is valid");
        let app = vbx::App::build_on(config, listener)
            .await
            .expect("app builds");
        let app = match options.limits {
            Some(limits) => app.with_limits(limits),
            None => app,
        };
        let app = match options.worker {
            Some((name, work)) => app.with_worker(name, work),
            None => app,
        };
        let presence = app.presence().clone();
        let store = app.state().store.clone();
        let events = app.state().events.clone();
        let (tx, rx) = oneshot::channel();
        let handle = tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        TestApp {
            addr,
            public_url,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            presence,
            store,
            events,
            data,
            sim,
            shutdown: Some(tx),
            handle: Some(handle),
        }
    }

    pub fn sim(&self) -> &twilio_sim::Sim {
        self.sim.as_ref().expect("started with the simulator").sim()
    }

    /// Stops the server, waits for it to finish, and hands back its data directory.
    pub async fn stop(mut self) -> TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.expect("server task").expect("server ran");
        }
        self.store.close().await;
        if let Some(sim) = self.sim.take() {
            sim.shutdown().await.expect("sim stops");
        }
        self.data
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A request with `session`'s cookie, and its CSRF header on anything but GET.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        session: Option<&Session>,
    ) -> reqwest::RequestBuilder {
        let mut req = self.http.request(method.clone(), self.url(path));
        if let Some(session) = session {
            req = req.header("cookie", &session.cookie);
            if method != Method::GET {
                req = req.header("x-csrf-token", &session.csrf);
            }
        }
        req
    }

    pub async fn get(&self, path: &str, session: &Session) -> Reply {
        Reply::from(
            self.request(Method::GET, path, Some(session))
                .send()
                .await
                .expect("reaches vbx"),
        )
        .await
    }

    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        session: &Session,
        body: Value,
    ) -> Reply {
        let req = self.request(method, path, Some(session)).json(&body);
        Reply::from(req.send().await.expect("reaches vbx")).await
    }

    pub async fn post_empty(&self, path: &str, session: &Session) -> Reply {
        let req = self.request(Method::POST, path, Some(session));
        Reply::from(req.send().await.expect("reaches vbx")).await
    }

    pub async fn delete(&self, path: &str, session: &Session) -> Reply {
        let req = self.request(Method::DELETE, path, Some(session));
        Reply::from(req.send().await.expect("reaches vbx")).await
    }

    pub async fn try_login(&self, name: &str, password: &str) -> Reply {
        let req = self
            .http
            .post(self.url("/api/login"))
            .json(&serde_json::json!({"name": name, "password": password}));
        Reply::from(req.send().await.expect("reaches vbx")).await
    }

    pub async fn login(&self, name: &str, password: &str) -> Session {
        let reply = self.try_login(name, password).await;
        assert_eq!(reply.status, 200, "login: {}", reply.body);
        let set_cookie = reply.header("set-cookie").expect("a session cookie");
        let cookie = set_cookie
            .split(';')
            .next()
            .expect("cookie pair")
            .to_owned();
        let csrf = reply.json()["csrf"].as_str().expect("csrf").to_owned();
        Session { cookie, csrf }
    }

    /// A login from `client` (a loopback peer's `X-Forwarded-For`, as a local proxy sends).
    pub async fn login_from(&self, client: &str, name: &str, password: &str) -> Reply {
        let req = self
            .http
            .post(self.url("/api/login"))
            .header("x-forwarded-for", client)
            .json(&serde_json::json!({"name": name, "password": password}));
        Reply::from(req.send().await.expect("reaches vbx")).await
    }

    pub async fn alice(&self) -> Session {
        self.login("alice", ALICE_PASSWORD).await
    }

    /// POSTs a form to `path` signed for the public URL + `path`, as Twilio would.
    pub async fn post_signed(&self, path: &str, params: &[(&str, &str)]) -> Reply {
        let pairs: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let url = format!("{}{path}", self.public_url);
        let signature = twilio::signature::compute(AUTH_TOKEN, &url, &pairs);
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let req = self
            .http
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", signature)
            .body(body);
        Reply::from(req.send().await.expect("reaches vbx")).await
    }

    /// A text from `from`, delivered to the messaging webhook.
    pub async fn text_arrives(&self, from: &str, body: &str) -> String {
        self.mms_arrives(from, body, &[]).await
    }

    /// A text from `from`; returns vbx's answer (its TwiML).
    pub async fn text_reply(&self, from: &str, body: &str) -> Reply {
        self.message_webhook(&sid("SM"), from, body, &[]).await
    }

    pub async fn mms_arrives(&self, from: &str, body: &str, media: &[(&str, &str)]) -> String {
        let message_sid = sid("SM");
        let reply = self.message_webhook(&message_sid, from, body, media).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        message_sid
    }

    /// Twilio's messaging webhook for a text (and media) from `from` to vbx's number.
    async fn message_webhook(
        &self,
        message_sid: &str,
        from: &str,
        body: &str,
        media: &[(&str, &str)],
    ) -> Reply {
        let mut p = vec![
            ("MessageSid".to_owned(), message_sid.to_owned()),
            ("AccountSid".to_owned(), ACCOUNT.to_owned()),
            ("From".to_owned(), from.to_owned()),
            ("To".to_owned(), NUMBER.to_owned()),
            ("Body".to_owned(), body.to_owned()),
            ("NumMedia".to_owned(), media.len().to_string()),
            ("SmsStatus".to_owned(), "received".to_owned()),
            ("ApiVersion".to_owned(), "2010-04-01".to_owned()),
        ];
        for (i, (url, content_type)) in media.iter().enumerate() {
            p.push((format!("MediaUrl{i}"), (*url).to_owned()));
            p.push((format!("MediaContentType{i}"), (*content_type).to_owned()));
        }
        self.post_signed("/flow/msg/default", &borrow(&p)).await
    }

    /// An incoming call from `from` to the `alias` flow; returns its SID and the TwiML.
    pub async fn call_arrives(&self, alias: &str, from: &str) -> (String, Reply) {
        let call_sid = sid("CA");
        let params = call_params(&call_sid, from);
        let reply = self
            .post_signed(&format!("/flow/voice/{alias}"), &borrow(&params))
            .await;
        (call_sid, reply)
    }

    /// A call that ended after `seconds` (Twilio says `completed` whether anyone answered):
    /// its status callback.
    pub async fn call_ends(&self, call_sid: &str, from: &str, seconds: u32) {
        let mut params = call_params(call_sid, from);
        params.retain(|(k, _)| *k != "CallStatus");
        params.push(("CallStatus", "completed".into()));
        params.push(("CallDuration", seconds.to_string()));
        params.push(("SequenceNumber", "3".into()));
        let reply = self
            .post_signed("/flow/status/call", &borrow(&params))
            .await;
        assert_eq!(reply.status, 204, "{}", reply.body);
    }

    /// A caller leaves a 9-second voicemail through the `voicemail` flow; returns the call
    /// and recording SIDs.
    pub async fn voicemail_left(&self, from: &str) -> (String, String) {
        let (call_sid, reply) = self.call_arrives("voicemail", from).await;
        assert!(reply.twiml().contains("<Record"), "{}", reply.body);
        let recording = sid("RE");
        let mut params = call_params(&call_sid, from);
        params.push(("RecordingSid", recording.clone()));
        params.push((
            "RecordingUrl",
            format!("https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{recording}"),
        ));
        params.push(("RecordingDuration", "9".into()));
        let reply = self
            .post_signed("/flow/voice/voicemail/record?step=1", &borrow(&params))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        (call_sid, recording)
    }

    /// Waits up to `within` for the app to stop by itself, and gives what `run_until`
    /// returned.
    pub async fn ended_by_itself(mut self, within: Duration) -> anyhow::Result<()> {
        let handle = self.handle.take().expect("running");
        let ended = tokio::time::timeout(within, handle)
            .await
            .expect("the app stops by itself")
            .expect("server task");
        self.shutdown.take();
        ended
    }

    /// Opens `/ws` with `session`'s cookie and reads its `hello`.
    pub async fn socket(&self, session: &Session) -> Socket {
        let mut request = format!("ws://{}/ws", self.addr)
            .into_client_request()
            .expect("ws request");
        request
            .headers_mut()
            .insert("cookie", session.cookie.parse().expect("cookie header"));
        let (stream, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("WebSocket opens");
        let mut socket = Socket { stream };
        let hello = socket.next_json().await;
        assert_eq!(hello["type"], "hello", "{hello}");
        socket
    }
}

/// A browser's session: its cookie (`vbx_session=…`) and CSRF token.
#[derive(Debug, Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub async fn from(resp: reqwest::Response) -> Reply {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await.expect("body");
        Reply {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}), status {}: {}", self.status, self.body))
    }

    /// The `error.code` of an API error.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("not an API error: {}", self.body))
            .to_owned()
    }

    /// The TwiML of a 200 answer, without the XML declaration.
    pub fn twiml(&self) -> &str {
        assert_eq!(self.status, 200, "expected TwiML: {}", self.body);
        self.body
            .strip_prefix(r#"<?xml version="1.0" encoding="UTF-8"?>"#)
            .unwrap_or_else(|| panic!("no XML declaration: {}", self.body))
            .trim()
    }
}

/// A tab's WebSocket.
pub struct Socket {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// Long enough for anything vbx does locally; it only bounds a test that would hang.
const FRAME_WAIT: Duration = Duration::from_secs(20);

impl Socket {
    /// Reads frames until the server closes the socket; its close frame, if it sent one.
    pub async fn close_frame(
        &mut self,
    ) -> Option<tokio_tungstenite::tungstenite::protocol::CloseFrame> {
        loop {
            let frame = tokio::time::timeout(FRAME_WAIT, self.stream.next())
                .await
                .expect("the socket closes");
            match frame {
                Some(Ok(Message::Close(close))) => return close,
                Some(Ok(_)) => {}
                None | Some(Err(_)) => return None,
            }
        }
    }

    /// The next text frame as JSON (pings are answered by the library).
    pub async fn next_json(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(FRAME_WAIT, self.stream.next())
                .await
                .expect("a frame arrives")
                .expect("the socket is open")
                .expect("a WebSocket frame");
            if let Message::Text(text) = frame {
                return serde_json::from_str(&text).expect("a JSON frame");
            }
        }
    }

    /// Skips frames until one satisfies `wanted`.
    pub async fn until(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            let frame = self.next_json().await;
            if wanted(&frame) {
                return frame;
            }
        }
    }

    /// Reads until the server closes the socket; returns the close code.
    pub async fn close_code(&mut self) -> Option<u16> {
        loop {
            let frame = tokio::time::timeout(FRAME_WAIT, self.stream.next())
                .await
                .expect("the server closes the socket");
            match frame {
                Some(Ok(Message::Close(close))) => return close.map(|c| u16::from(c.code)),
                Some(Ok(_)) => {}
                None | Some(Err(_)) => return None,
            }
        }
    }

    pub async fn send(&mut self, frame: Value) {
        self.stream
            .send(Message::Text(frame.to_string().into()))
            .await
            .expect("frame sent");
    }

    pub async fn send_text(&mut self, text: String) {
        self.stream
            .send(Message::Text(text.into()))
            .await
            .expect("frame sent");
    }

    /// Whether the server ends the socket (close frame, error or end of stream) before
    /// [`FRAME_WAIT`], skipping the frames it sends until then.
    pub async fn closed(&mut self) -> bool {
        loop {
            match tokio::time::timeout(FRAME_WAIT, self.stream.next()).await {
                Err(_) => return false,
                Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
        // Drain until the server's close arrives, so it has seen ours.
        while let Ok(Some(Ok(_))) = tokio::time::timeout(FRAME_WAIT, self.stream.next()).await {}
    }
}

/// A presence frame's `online` for `device`.
pub fn online(frame: &Value, device: &str) -> Option<Value> {
    frame["devices"]
        .as_array()?
        .iter()
        .find(|d| d["name"] == device)
        .map(|d| d["online"].clone())
}

/// A new random SID with the given prefix.
pub fn sid(prefix: &str) -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    let hex: String = (0..32)
        .map(|_| char::from_digit(rng.gen_range(0..16), 16).expect("hex digit"))
        .collect();
    format!("{prefix}{hex}")
}

pub fn call_params(call_sid: &str, from: &str) -> Vec<(&'static str, String)> {
    vec![
        ("CallSid", call_sid.to_owned()),
        ("AccountSid", ACCOUNT.to_owned()),
        ("From", from.to_owned()),
        ("To", NUMBER.to_owned()),
        ("CallStatus", "ringing".to_owned()),
        ("ApiVersion", "2010-04-01".to_owned()),
        ("Direction", "inbound".to_owned()),
    ]
}

pub fn borrow(params: &[(impl AsRef<str>, impl AsRef<str>)]) -> Vec<(&str, &str)> {
    params
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .collect()
}

/// `%2B` for the `+` of a number in a path.
pub fn path_number(number: &str) -> String {
    number.replace('+', "%2B")
}
