//! vbx's webhooks served on port 0 from a temporary data directory, without the app's
//! background workers: the tests drive `EmailSender::step` themselves, so no other sender
//! may race them for the outbox. Also a stand-in for Twilio's media URLs.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use vbx::config::{self, Overrides};
use vbx::device::email::EmailSender;
use vbx::http::AppState;

pub const PUBLIC_URL: &str = "https://vbx.example.com";
pub const AUTH_TOKEN: &str = "0123456789abcdef0123456789abcdef";
pub const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
pub const NUMBER: &str = "+18001234567";
/// A contact.
pub const ANN: &str = "+14155550199";
/// A contact whose name tries to add a mail header.
pub const EVE: &str = "+14155550166";
pub const STRANGER: &str = "+14155550100";

/// An email device `inbox` on 127.0.0.1:`smtp_port` that every text goes to; `extra` adds
/// keys to the device (`security`, `username`, …, each starting with `, `).
pub fn config(smtp_port: u16, api_base: &str, extra: &str) -> String {
    format!(
        r#"
[server]
public_url = "{PUBLIC_URL}"

[twilio]
account_sid = "{ACCOUNT}"
auth_token  = "{AUTH_TOKEN}"
number      = "{NUMBER}"
api_base    = "{api_base}"

[devices]
inbox = {{ type = "email", from = "vbx@example.com", to = "me@example.com", smtp_host = "127.0.0.1", smtp_port = {smtp_port}{extra} }}

[calls]
default = [ {{ step = "hangup" }} ]

[messages]
default = [ {{ step = "device", devices = ["inbox"] }} ]

[contacts]
"{ANN}" = "Ann Example"
"{EVE}" = "Eve\r\nBcc: victim@example.com\nX-Evil: 1"
"#
    )
}

fn no_env(_: &str) -> Option<String> {
    None
}

/// The webhooks of a vbx built from a configuration.
pub struct Vbx {
    pub addr: SocketAddr,
    pub state: AppState,
    http: reqwest::Client,
    _data: TempDir,
    server: JoinHandle<()>,
}

impl Vbx {
    pub async fn start(toml: &str) -> Vbx {
        let data = TempDir::new().expect("temp dir");
        let overrides = Overrides {
            listen: Some("127.0.0.1:0".parse().expect("addr")),
            public_url: None,
            data_dir: Some(data.path().to_path_buf()),
        };
        let config = config::load_str(toml, &overrides, &no_env).expect("test config is valid");
        // Built like production (store opened, migrations run), but served without workers.
        let app = vbx::App::build(config).await.expect("app builds");
        let state = app.state().clone();
        drop(app);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let router = vbx::http::router(state.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.expect("serve");
        });
        Vbx {
            addr,
            state,
            http: reqwest::Client::new(),
            _data: data,
            server,
        }
    }

    /// The email sender as the app would build it.
    pub fn email_sender(&self) -> EmailSender {
        let twilio = vbx::app::twilio_client(&self.state.config).expect("twilio client");
        EmailSender::new(
            self.state.store.clone(),
            self.state.config.clone(),
            twilio,
            self.state.events.clone(),
        )
    }

    /// A text from `from` arriving at `/flow/msg/default`, signed as Twilio signs it and
    /// answered 200; returns its SID.
    pub async fn text(&self, from: &str, body: &str, media: &[String]) -> String {
        let path = "/flow/msg/default";
        let message_sid = sid(if media.is_empty() { "SM" } else { "MM" });
        let mut params = vec![
            ("MessageSid".to_owned(), message_sid.clone()),
            ("AccountSid".to_owned(), ACCOUNT.to_owned()),
            ("From".to_owned(), from.to_owned()),
            ("To".to_owned(), NUMBER.to_owned()),
            ("Body".to_owned(), body.to_owned()),
            ("NumMedia".to_owned(), media.len().to_string()),
            ("SmsStatus".to_owned(), "received".to_owned()),
            ("ApiVersion".to_owned(), "2010-04-01".to_owned()),
        ];
        for (i, url) in media.iter().enumerate() {
            params.push((format!("MediaUrl{i}"), url.clone()));
            params.push((format!("MediaContentType{i}"), "image/jpeg".to_owned()));
        }
        let signature =
            twilio::signature::compute(AUTH_TOKEN, &format!("{PUBLIC_URL}{path}"), &params);
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&params)
            .finish();
        let response = self
            .http
            .post(format!("http://{}{path}", self.addr))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", signature)
            .body(body)
            .send()
            .await
            .expect("request reaches vbx");
        let status = response.status().as_u16();
        let answer = response.text().await.expect("body");
        assert_eq!(status, 200, "vbx answered {status}: {answer}");
        message_sid
    }

    /// vbx's link to media item `idx` of a text: what an email shows instead of Twilio's URL.
    pub fn link(&self, message_sid: &str, idx: i64) -> String {
        let link = self.state.media_links.link(message_sid, idx);
        assert!(
            link.starts_with(&format!("{PUBLIC_URL}/flow/media/in/{message_sid}/{idx}/")),
            "{link}"
        );
        link
    }

    /// GETs a link from the test's own address instead of the public one, without any
    /// credentials: what an email reader's browser does.
    pub async fn fetch_link(&self, link: &str) -> (u16, Vec<u8>) {
        let path = link.strip_prefix(PUBLIC_URL).expect("a link to vbx");
        let response = self
            .http
            .get(format!("http://{}{path}", self.addr))
            .send()
            .await
            .expect("request reaches vbx");
        let status = response.status().as_u16();
        (status, response.bytes().await.expect("body").to_vec())
    }
}

impl Drop for Vbx {
    fn drop(&mut self) {
        self.server.abort();
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

/// Media SID → (HTTP status, content type, bytes).
type Library = Arc<Mutex<HashMap<String, (StatusCode, String, Vec<u8>)>>>;

/// Serves media at Twilio's media paths, only to requests with the account's credentials.
pub struct MediaServer {
    pub base: String,
    media: Library,
    /// Requests answered 401 for lack of credentials.
    pub refused: Arc<Mutex<usize>>,
    server: JoinHandle<()>,
}

#[derive(Clone)]
struct MediaState {
    media: Library,
    refused: Arc<Mutex<usize>>,
}

impl MediaServer {
    pub async fn start() -> MediaServer {
        let media = Arc::new(Mutex::new(HashMap::new()));
        let refused = Arc::new(Mutex::new(0));
        let state = MediaState {
            media: media.clone(),
            refused: refused.clone(),
        };
        let router = Router::new()
            .route(
                "/2010-04-01/Accounts/{account}/Messages/{message}/Media/{media}",
                get(serve_media),
            )
            .with_state(state);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.expect("serve");
        });
        MediaServer {
            base,
            media,
            refused,
            server,
        }
    }

    /// Publishes `bytes` and returns its URL (as Twilio's `MediaUrl0` would be).
    pub fn add(&self, content_type: &str, bytes: Vec<u8>) -> String {
        self.add_with_status(StatusCode::OK, content_type, bytes)
    }

    /// A media URL that answers 503 (Twilio having a bad moment).
    pub fn add_unavailable(&self) -> String {
        self.add_with_status(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain",
            b"busy".to_vec(),
        )
    }

    fn add_with_status(&self, status: StatusCode, content_type: &str, bytes: Vec<u8>) -> String {
        let media_sid = sid("ME");
        self.media
            .lock()
            .expect("lock")
            .insert(media_sid.clone(), (status, content_type.to_owned(), bytes));
        self.url(&media_sid)
    }

    /// The URL of a media item that does not exist.
    pub fn missing(&self) -> String {
        self.url(&sid("ME"))
    }

    fn url(&self, media_sid: &str) -> String {
        format!(
            "{}/2010-04-01/Accounts/{ACCOUNT}/Messages/{}/Media/{media_sid}",
            self.base,
            sid("MM")
        )
    }
}

impl Drop for MediaServer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn serve_media(
    State(state): State<MediaState>,
    Path((account, _message, media)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{AUTH_TOKEN}"))
    );
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        == Some(expected.as_str());
    if !authorized || account != ACCOUNT {
        *state.refused.lock().expect("lock") += 1;
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match state.media.lock().expect("lock").get(&media) {
        Some((status, content_type, bytes)) => (
            *status,
            [(header::CONTENT_TYPE, content_type.clone())],
            bytes.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
