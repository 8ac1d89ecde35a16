//! The `/ws` message parser and what follows it: arbitrary text frames from a logged-in tab on
//! one long-lived connection. vbx must never panic, never drop the connection over a frame,
//! and must answer every frame it cannot read with `{"type":"error"}` (docs/api.md).

#![no_main]

use std::sync::{Mutex, PoisonError};

use axum::http::header::COOKIE;
use futures_util::{SinkExt as _, StreamExt as _};
use libfuzzer_sys::fuzz_target;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use vbx_fuzz::server::{vbx, Vbx};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

static SOCKET: Mutex<Option<Socket>> = Mutex::new(None);
static BARRIER: Mutex<u64> = Mutex::new(0);

async fn connect(app: &Vbx) -> Socket {
    let addr = app.addr.expect("the app serves");
    let mut request = format!("ws://{addr}/ws")
        .into_client_request()
        .expect("a WebSocket request");
    request
        .headers_mut()
        .insert(COOKIE, app.cookie.parse().expect("a cookie header value"));
    // Several small frames go out back to back: without this, each waits for the server's
    // delayed acknowledgement of the one before.
    let tcp = TcpStream::connect(addr).await.expect("a connection");
    tcp.set_nodelay(true).expect("TCP_NODELAY");
    let (socket, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(tcp))
        .await
        .expect("the WebSocket opens");
    socket
}

/// Reads frames until the server's answer to the barrier frame, which it cannot read: frames
/// are handled in order, so everything the fuzzed frames caused has been sent by then.
async fn sync(socket: &mut Socket, barrier: u64, frames: &[String]) {
    // Unlikely to be typed by the fuzzer: the nonce differs between processes.
    let marker = format!("`vbx-fuzz-{}-{barrier}`", std::process::id());
    let frame = format!(r#"{{"type":"{}"}}"#, marker.trim_matches('`'));
    if let Err(e) = socket.send(Message::text(frame)).await {
        panic!("the server dropped the connection after {frames:?}: {e}");
    }
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => {
                let value: serde_json::Value = serde_json::from_str(text.as_str())
                    .unwrap_or_else(|e| panic!("a frame that is not JSON ({e}): {text}"));
                assert!(value["type"].is_string(), "a frame without a type: {text}");
                if value["type"] == "error" && text.contains(&marker) {
                    return;
                }
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("the connection failed after {frames:?}: {e}"),
            None => panic!("the server closed the connection after {frames:?}"),
        }
    }
}

fuzz_target!(|frames: Vec<String>| {
    let app = vbx(true);
    let mut slot = SOCKET.lock().unwrap_or_else(PoisonError::into_inner);
    let mut barrier = BARRIER.lock().unwrap_or_else(PoisonError::into_inner);
    app.block_on(async {
        if slot.is_none() {
            *slot = Some(connect(app).await);
        }
        let Some(socket) = slot.as_mut() else {
            return;
        };
        let frames: Vec<String> = frames.into_iter().take(8).collect();
        for frame in &frames {
            if let Err(e) = socket.send(Message::text(frame.clone())).await {
                panic!("the server dropped the connection after {frame:?}: {e}");
            }
        }
        *barrier += 1;
        sync(socket, *barrier, &frames).await;
    });
});
