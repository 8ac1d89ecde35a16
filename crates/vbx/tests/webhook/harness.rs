//! Starts the real vbx server on port 0 with a temporary data directory, and sends it
//! requests signed the way Twilio signs them.

use std::net::SocketAddr;

use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use vbx::config::{self, Overrides};
use vbx::device::LivePresence;
use vbx::store::Store;

pub const PUBLIC_URL: &str = "https://vbx.example.com";
pub const AUTH_TOKEN: &str = "0123456789abcdef0123456789abcdef";
pub const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
pub const NUMBER: &str = "+18001234567";
pub const CELL: &str = "+18005555555";
pub const CALLER: &str = "+14155550100";

/// The DESIGN §3 seed plus one flow per step, so every step can be exercised.
pub const CONFIG: &str = r#"
[server]
public_url = "https://vbx.example.com"

[twilio]
account_sid = "AC0123456789abcdef0123456789abcdef"
auth_token  = "0123456789abcdef0123456789abcdef"
number      = "+18001234567"

[devices]
browser = { type = "browser" }
cell    = { type = "sms", number = "+18005555555" }
inbox   = { type = "email", from = "vbx@example.com", to = "me@example.com", smtp_host = "127.0.0.1", smtp_port = 2525, security = "none" }
jabber  = { type = "xmpp", component = "sms.example.com", secret = "s3cret", server = "127.0.0.1", port = 5347, target = "me@example.com" }

[calls]
default  = [ { step = "device", devices = ["browser"], next = "phone" } ]
phone    = [ { step = "dial", number = "+18005555555" } ]
greet    = [ { step = "say", text = "Hi <&\"'> ünïcödé 📞", voice = "man", language = "en-GB", loop = 2 },
             { step = "pause", length = 2 },
             { step = "play", url = "https://example.com/hold.mp3", loop = 3 },
             { step = "play", digits = "w123#" } ]
voicemail = [ { step = "say", text = "Leave a message" },
              { step = "record", max_length = 60 },
              { step = "say", text = "Thanks, goodbye" } ]
bye      = [ { step = "hangup" }, { step = "say", text = "never heard" } ]
busy     = [ { step = "reject", reason = "busy" }, { step = "say", text = "never heard" } ]
away     = [ { step = "redirect", url = "phone" }, { step = "say", text = "never heard" } ]
elsewhere = [ { step = "redirect", url = "https://other.example.com/twiml?x=1&y=2" } ]
texter   = [ { step = "message", text = "Sorry we missed you & we'll call back" }, { step = "hangup" } ]
everyone = [ { step = "dial", number = ["+18005550001", "+18005550002"], client = "alice", timeout = 20 } ]
room     = [ { step = "dial", conference = "standup" } ]
line     = [ { step = "dial", queue = "support" } ]
desk     = [ { step = "dial", sip = "sip:desk@example.com" } ]
fallback = [ { step = "device", devices = ["browser"] }, { step = "say", text = "Nobody is here" } ]

[messages]
default  = [ { step = "device", devices = ["browser", "cell"] } ]
notify   = [ { step = "device", devices = ["jabber", "inbox"] } ]
auto     = [ { step = "device", devices = ["browser"], next = "reply" } ]
reply    = [ { step = "message", text = "Got it <3 — we'll reply soon" } ]
bounce   = [ { step = "redirect", url = "default" } ]

[contacts]
"+18005555555" = "BusinessName"
"+14155550199" = "Ann \"Boss\" <&> Ünï"
"#;

pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub presence: LivePresence,
    pub store: Store,
    pub data: TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
}

fn no_env(_: &str) -> Option<String> {
    None
}

impl TestApp {
    pub async fn start() -> TestApp {
        Self::start_with(CONFIG).await
    }

    pub async fn start_with(toml: &str) -> TestApp {
        Self::start_full(toml, TempDir::new().expect("temp dir")).await
    }

    /// Starts again on a data directory a stopped app left behind.
    pub async fn start_in(data: TempDir) -> TestApp {
        Self::start_full(CONFIG, data).await
    }

    async fn start_full(toml: &str, data: TempDir) -> TestApp {
        let overrides = Overrides {
            listen: Some("127.0.0.1:0".parse().expect("addr")),
            public_url: None,
            data_dir: Some(data.path().to_path_buf()),
        };
        let config = config::load_str(toml, &overrides, &no_env).expect("test config is valid");
        let app = vbx::App::build(config).await.expect("app builds");
        let addr = app.local_addr();
        let presence = app.presence().clone();
        let store = app.state().store.clone();
        let (tx, rx) = oneshot::channel();
        let handle = tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        TestApp {
            addr,
            http: reqwest::Client::new(),
            presence,
            store,
            data,
            shutdown: Some(tx),
            handle: Some(handle),
        }
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
        self.data
    }

    /// POSTs a form to `path` signed for `PUBLIC_URL + path`, as Twilio would.
    pub async fn post_signed(&self, path: &str, params: &[(&str, &str)]) -> Reply {
        let pairs: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let signature =
            twilio::signature::compute(AUTH_TOKEN, &format!("{PUBLIC_URL}{path}"), &pairs);
        self.post_form(path, params, Some(&signature)).await
    }

    pub async fn post_form(
        &self,
        path: &str,
        params: &[(&str, &str)],
        signature: Option<&str>,
    ) -> Reply {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let mut req = self
            .http
            .post(format!("http://{}{path}", self.addr))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(sig) = signature {
            req = req.header("x-twilio-signature", sig);
        }
        Reply::from(req.send().await.expect("request reaches vbx")).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Reply {
    pub async fn from(resp: reqwest::Response) -> Reply {
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = resp.text().await.expect("body");
        Reply {
            status,
            content_type,
            body,
        }
    }

    /// The TwiML of a 200 answer, with the declaration checked and stripped.
    pub fn twiml(&self) -> &str {
        assert_eq!(
            self.status, 200,
            "expected TwiML, got {}: {}",
            self.status, self.body
        );
        assert!(
            self.content_type.starts_with("text/xml"),
            "content type {}",
            self.content_type
        );
        self.body
            .strip_prefix(r#"<?xml version="1.0" encoding="UTF-8"?>"#)
            .unwrap_or_else(|| panic!("no XML declaration: {}", self.body))
            .trim()
    }
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

/// The parameters of an incoming call from `from`.
pub fn call_params(call_sid: &str, from: &str) -> Vec<(&'static str, String)> {
    vec![
        ("CallSid", call_sid.to_owned()),
        ("AccountSid", ACCOUNT.to_owned()),
        ("From", from.to_owned()),
        ("To", NUMBER.to_owned()),
        ("CallStatus", "ringing".to_owned()),
        ("ApiVersion", "2010-04-01".to_owned()),
        ("Direction", "inbound".to_owned()),
        ("Caller", from.to_owned()),
        ("FromCity", "SAN FRANCISCO".to_owned()),
    ]
}

/// The parameters of an incoming text from `from` with `media` URLs.
pub fn text_params(
    message_sid: &str,
    from: &str,
    body: &str,
    media: &[&str],
) -> Vec<(String, String)> {
    let mut p = vec![
        ("MessageSid".to_owned(), message_sid.to_owned()),
        ("SmsSid".to_owned(), message_sid.to_owned()),
        ("AccountSid".to_owned(), ACCOUNT.to_owned()),
        ("From".to_owned(), from.to_owned()),
        ("To".to_owned(), NUMBER.to_owned()),
        ("Body".to_owned(), body.to_owned()),
        ("NumMedia".to_owned(), media.len().to_string()),
        ("NumSegments".to_owned(), "1".to_owned()),
        ("SmsStatus".to_owned(), "received".to_owned()),
        ("ApiVersion".to_owned(), "2010-04-01".to_owned()),
    ];
    for (i, url) in media.iter().enumerate() {
        p.push((format!("MediaUrl{i}"), url.to_string()));
        p.push((format!("MediaContentType{i}"), "image/jpeg".to_owned()));
    }
    p
}

pub fn borrow(params: &[(impl AsRef<str>, impl AsRef<str>)]) -> Vec<(&str, &str)> {
    params
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .collect()
}

/// The `<Media>` URLs of a messaging answer, after checking that each is vbx's own link to
/// item `i` of message `message_sid` (Twilio's URLs need credentials nobody else has).
pub fn media_links(twiml: &str, message_sid: &str) -> Vec<String> {
    let links: Vec<String> = twiml
        .split("<Media>")
        .skip(1)
        .map(|rest| rest.split("</Media>").next().unwrap_or_default().to_owned())
        .collect();
    for (i, link) in links.iter().enumerate() {
        let prefix = format!("{PUBLIC_URL}/flow/media/in/{message_sid}/{i}/");
        let token = link
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("media {i} is not vbx's link {prefix}…: {link}"));
        assert!(
            token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit()),
            "{link}"
        );
    }
    links
}
