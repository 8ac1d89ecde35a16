//! The API tests' vbx: the shared [`TestApp`] with a browser, a cell phone, Alice and Bob;
//! what Twilio sends it (texts, calls, voicemails) and a tab's WebSocket.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub use crate::common::*;

pub const API_KEY: &str = "SK0123456789abcdef0123456789abcdef";
pub const API_SECRET: &str = "api-secret-for-the-tests-0123456";
pub const APP_SID: &str = "AP0123456789abcdef0123456789abcdef";
pub const CELL: &str = "+18005555555";
pub const CALLER: &str = "+14155550100";
pub const ANN: &str = "+14155550199";
pub const ALICE_PASSWORD: &str = "alice-password";
pub const BOB_PASSWORD: &str = "bob-password";

pub const ALICE_AND_BOB: &[(&str, &str)] = &[("alice", ALICE_PASSWORD), ("bob", BOB_PASSWORD)];

/// The devices, flows and contacts of every API test.
const FLOWS: &str = r#"
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
"#;

impl Builder {
    /// The steps of the `default` message flow instead of ringing the browser.
    pub fn messages_default(self, steps: &'static str) -> Builder {
        self.edit(move |toml| {
            let from = "[messages]\ndefault = [ { step = \"device\", devices = [\"browser\"] } ]";
            assert!(toml.contains(from), "the test config's message flow moved");
            toml.replace(from, &format!("[messages]\ndefault = {steps}"))
        })
    }

    /// The steps of the `default` call flow instead of ringing the browser.
    pub fn calls_default(self, steps: &'static str) -> Builder {
        self.edit(move |toml| {
            let from =
                "default   = [ { step = \"device\", devices = [\"browser\"], next = \"phone\" } ]";
            assert!(toml.contains(from), "the test config's call flow moved");
            toml.replace(from, &format!("default = {steps}"))
        })
    }
}

impl TestApp {
    /// The API tests' vbx at [`PUBLIC_URL`], with an API key, a TwiML app, Alice and Bob.
    pub fn builder() -> Builder {
        Builder::new(FLOWS)
            .public_url(PUBLIC_URL)
            .api_key(API_KEY, API_SECRET)
            .twilio(&format!("app_sid     = \"{APP_SID}\""))
            .users(ALICE_AND_BOB)
    }

    pub async fn start() -> TestApp {
        Self::builder().start().await
    }

    pub async fn alice(&self) -> Session {
        self.login("alice", ALICE_PASSWORD).await
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

    /// A text from `from`, delivered to the messaging webhook.
    pub async fn text_arrives(&self, from: &str, body: &str) -> String {
        self.mms_arrives(from, body, &[]).await
    }

    /// A text from `from`; returns vbx's answer (its TwiML).
    pub async fn text_reply(&self, from: &str, body: &str) -> Reply {
        let params = mms_params(&sid("SM"), from, body, &[]);
        self.post_signed("/flow/msg/default", &borrow(&params))
            .await
    }

    /// A text from `from` with `media` as (URL, content type); returns its SID.
    pub async fn mms_arrives(&self, from: &str, body: &str, media: &[(&str, &str)]) -> String {
        let message_sid = sid("SM");
        let params = mms_params(&message_sid, from, body, media);
        let reply = self
            .post_signed("/flow/msg/default", &borrow(&params))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        message_sid
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

/// `%2B` for the `+` of a number in a path.
pub fn path_number(number: &str) -> String {
    number.replace('+', "%2B")
}
