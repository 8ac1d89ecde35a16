//! Security headers on every answer, body size limits, and the time limits that close
//! connections of clients that send their request too slowly.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::{Builder, Reply, TestApp, CALLER};

/// Far longer than the limits below; reaching it fails the test.
const GUARD: Duration = Duration::from_secs(30);

fn short_limits() -> Builder {
    TestApp::builder().limits(vbx::http::serve::Limits {
        header_read: Duration::from_secs(1),
        request: Duration::from_secs(2),
        upload: Duration::from_secs(8),
    })
}

fn assert_hardened(reply: &Reply, what: &str) {
    assert_eq!(
        reply.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        reply.header("referrer-policy"),
        Some("no-referrer"),
        "{what}"
    );
    assert_eq!(reply.header("x-frame-options"), Some("DENY"), "{what}");
    let csp = reply.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_refusals_included() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let json = app.get("/api/session", &session).await;
    assert_eq!(json.status, 200);
    assert_hardened(&json, "a JSON answer");
    assert_eq!(
        json.header("content-security-policy"),
        Some("default-src 'none'; frame-ancestors 'none'; base-uri 'none'")
    );
    let anonymous = Reply::from(
        app.request(Method::GET, "/api/conversations", None)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(anonymous.status, 401);
    assert_hardened(&anonymous, "a refusal");
    let unsigned = Reply::from(
        app.request(Method::POST, "/flow/msg/default", None)
            .form(&[("From", CALLER), ("Body", "hi")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(unsigned.status, 403);
    assert_hardened(&unsigned, "an unsigned webhook");
    // The app's page keeps its own policy, which lets its scripts run.
    let page = app.get("/", &session).await;
    assert_eq!(page.status, 200);
    assert_hardened(&page, "the app's page");
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    app.stop().await;
}

#[tokio::test]
async fn a_json_body_over_the_limit_is_refused_but_a_multipart_send_may_be_larger() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let big_name = "x".repeat(vbx::http::MAX_JSON_BODY + 1);
    let reply = app
        .send_json(
            Method::POST,
            "/api/contacts",
            &session,
            json!({"number": CALLER, "name": big_name}),
        )
        .await;
    assert_eq!(reply.status, 413, "{}", reply.body);
    // A picture larger than any JSON body still goes through the send route.
    let png: &[u8] = &[
        0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n', 0, 0, 0, 13, b'I', b'H', b'D', b'R',
    ];
    let picture = [png, &vec![0u8; 4 * vbx::http::MAX_JSON_BODY]].concat();
    let form = reqwest::multipart::Form::new().text("to", CALLER).part(
        "media",
        reqwest::multipart::Part::bytes(picture)
            .file_name("big.png")
            .mime_str("image/png")
            .unwrap(),
    );
    let reply = Reply::from(
        app.request(Method::POST, "/api/messages", Some(&session))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    app.stop().await;
}

/// Reads until the server closes the connection (or resets it); everything read so far.
async fn read_until_closed(stream: &mut tokio::net::tcp::OwnedReadHalf) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(GUARD, stream.read(&mut buf)).await {
            Err(_) => panic!(
                "the server kept a slow connection open for {GUARD:?}; read so far: {:?}",
                String::from_utf8_lossy(&got)
            ),
            Ok(Ok(0)) | Ok(Err(_)) => return got,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// Writes `bytes` one a second, stopping when the server has closed the connection.
fn dribble(mut writer: tokio::net::tcp::OwnedWriteHalf, bytes: Vec<u8>) {
    tokio::spawn(async move {
        for b in bytes {
            if writer.write_all(&[b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

#[tokio::test]
async fn a_client_sending_its_headers_one_byte_a_second_is_disconnected() {
    let app = short_limits().start().await;
    let stream = TcpStream::connect(app.addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    writer
        .write_all(b"GET /api/session HTTP/1.1\r\n")
        .await
        .unwrap();
    // Far more header bytes than the limit lets it send.
    dribble(writer, b"X-Slow: ".repeat(100));
    let got = read_until_closed(&mut reader).await;
    assert!(
        !String::from_utf8_lossy(&got).contains("200 OK"),
        "{}",
        String::from_utf8_lossy(&got)
    );
    app.stop().await;
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed() {
    let app = short_limits().start().await;
    let stream = TcpStream::connect(app.addr).await.unwrap();
    let (mut reader, _writer) = stream.into_split();
    let got = read_until_closed(&mut reader).await;
    assert!(got.is_empty(), "{}", String::from_utf8_lossy(&got));
    app.stop().await;
}

#[tokio::test]
async fn a_client_sending_its_body_one_byte_a_second_gets_408_and_is_disconnected() {
    let app = short_limits().start().await;
    let stream = TcpStream::connect(app.addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST /api/login HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: 1000\r\n\r\n",
        app.addr
    );
    writer.write_all(head.as_bytes()).await.unwrap();
    dribble(writer, vec![b' '; 1000]);
    let got = String::from_utf8_lossy(&read_until_closed(&mut reader).await).into_owned();
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    app.stop().await;
}

/// Sends a JSON `POST path` whose last three bytes come one a second (about 3 s in all);
/// returns the status line.
async fn slow_tail(
    app: &TestApp,
    path: &str,
    session: &crate::harness::Session,
    body: &str,
) -> String {
    let stream = TcpStream::connect(app.addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Cookie: {}\r\nX-CSRF-Token: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        app.addr,
        session.cookie,
        session.csrf,
        body.len()
    );
    let (most, tail) = body.split_at(body.len() - 3);
    writer.write_all(head.as_bytes()).await.unwrap();
    writer.write_all(most.as_bytes()).await.unwrap();
    dribble(writer, tail.as_bytes().to_vec());
    let got = String::from_utf8_lossy(&read_until_closed(&mut reader).await).into_owned();
    got.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn sending_a_text_may_take_longer_than_any_other_request() {
    let app = short_limits().start().await;
    let session = app.alice().await;
    let text = format!(r#"{{"to": "{CALLER}", "body": "arrives slowly"}}"#);
    let sent = slow_tail(&app, "/api/messages", &session, &text).await;
    assert!(sent.starts_with("HTTP/1.1 202"), "{sent}");
    let contact = format!(r#"{{"number": "{CALLER}", "name": "Slow"}}"#);
    let refused = slow_tail(&app, "/api/contacts", &session, &contact).await;
    assert!(refused.starts_with("HTTP/1.1 408"), "{refused}");
    app.stop().await;
}
