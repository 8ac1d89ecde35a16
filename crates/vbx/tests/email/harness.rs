//! The email tests' vbx: the shared [`TestApp`] with an email device, serving its webhooks
//! without the app's background workers (the tests drive `EmailSender::step` themselves, so
//! no other sender may race them for the outbox). Also a stand-in for Twilio's media URLs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use vbx::device::email::EmailSender;

pub use crate::common::*;

/// A contact.
pub const ANN: &str = "+14155550199";
/// A contact whose name tries to add a mail header.
pub const EVE: &str = "+14155550166";
pub const STRANGER: &str = "+14155550100";

/// An email device `inbox` on 127.0.0.1:`smtp_port` that every text goes to; `extra` adds
/// keys to the device (`security`, `username`, …, each starting with `, `).
fn builder(smtp_port: u16, api_base: &str, extra: &str) -> Builder {
    let flows = format!(
        r#"
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
    );
    Builder::new(&flows)
        .public_url(PUBLIC_URL)
        .api_base(api_base)
}

/// [`TestApp::start`]'s configuration file.
pub fn config(smtp_port: u16, api_base: &str, extra: &str) -> String {
    builder(smtp_port, api_base, extra).toml()
}

impl TestApp {
    /// vbx's webhooks for the email device of [`config`], without workers.
    pub async fn start(smtp_port: u16, api_base: &str, extra: &str) -> TestApp {
        builder(smtp_port, api_base, extra)
            .without_workers()
            .start()
            .await
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
        let message_sid = sid(if media.is_empty() { "SM" } else { "MM" });
        let media: Vec<&str> = media.iter().map(String::as_str).collect();
        let params = text_params(&message_sid, from, body, &media);
        let reply = self
            .post_signed("/flow/msg/default", &borrow(&params))
            .await;
        assert_eq!(
            reply.status, 200,
            "vbx answered {}: {}",
            reply.status, reply.body
        );
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
            .get(self.url(path))
            .send()
            .await
            .expect("request reaches vbx");
        let status = response.status().as_u16();
        (status, response.bytes().await.expect("body").to_vec())
    }
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
