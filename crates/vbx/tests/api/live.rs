//! `/ws`: events pushed as they are stored, replay after a reconnect, and browser tabs whose
//! Voice device makes the browser ring.

use serde_json::json;
use vbx::event::Event;

use crate::harness::*;

#[tokio::test]
async fn a_text_stored_by_a_signed_webhook_is_pushed_with_the_new_unread_counts() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let mut socket = app.socket(&session).await;
    let presence = socket.next_json().await;
    assert_eq!(presence["type"], "presence");
    assert_eq!(online(&presence, "browser"), Some(json!(false)));
    assert_eq!(online(&presence, "cell"), Some(json!(null)));

    let sid = app.text_arrives(CALLER, "are you there?").await;
    let frame = socket.until(|f| f["type"] == "message").await;
    assert_eq!(frame["number"], CALLER);
    assert_eq!(frame["item"]["kind"], "message");
    assert_eq!(frame["item"]["sid"], sid);
    assert_eq!(frame["item"]["body"], "are you there?");
    assert_eq!(frame["item"]["direction"], "inbound");
    // The text's frame carries the counts it changed: no separate `unread` frame follows.
    assert_eq!(
        (frame["unread"].as_i64(), frame["total"].as_i64()),
        (Some(1), Some(1))
    );

    let read = app
        .post_empty(&format!("/api/threads/{CALLER}/read"), &session)
        .await;
    assert_eq!(read.status, 204);
    let cleared = socket.next_json().await;
    assert_eq!(
        cleared,
        json!({"type": "unread", "cursor": frame["cursor"].as_i64().unwrap() + 1,
               "number": CALLER, "unread": 0, "total": 0})
    );

    let (call, _) = app.call_arrives("default", CALLER).await;
    let frame = socket.until(|f| f["type"] == "call").await;
    assert_eq!(frame["item"]["sid"], call);
    assert_eq!(frame["item"]["status"], "ringing");
    app.stop().await;
}

#[tokio::test]
async fn events_published_together_out_of_cursor_order_reach_a_tab_in_order() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let mut socket = app.socket(&session).await;
    assert_eq!(socket.next_json().await["type"], "presence");
    // Jobs of one group commit are published by their own requests, in any order. These
    // cursors are in no table: the tab must order them itself, not re-read them.
    let frame = |cursor: i64| Event::Feed {
        cursor: Some(cursor),
        frame: json!({"type": "contact", "cursor": cursor, "number": ANN, "name": null})
            .to_string(),
    };
    // No await in between: the tab (on this test's one thread) wakes to both at once.
    app.events.publish(frame(1_000_002));
    app.events.publish(frame(1_000_001));
    let first = socket.next_json().await;
    let second = socket.next_json().await;
    assert_eq!(
        (first["cursor"].as_i64(), second["cursor"].as_i64()),
        (Some(1_000_001), Some(1_000_002))
    );
    app.stop().await;
}

#[tokio::test]
async fn a_frame_larger_than_the_read_buffer_is_read_and_one_over_the_limit_closes_the_socket() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let mut socket = app.socket(&session).await;
    assert_eq!(socket.next_json().await["type"], "presence");
    // 60 KiB: many reads into the 4 KiB buffer, still under the 64 KiB frame limit.
    let padding = " ".repeat(60 * 1024);
    socket
        .send_text(format!(
            r#"{{"type": "resume", {padding} "cursor": 1000000}}"#
        ))
        .await;
    assert_eq!(
        socket.until(|f| f["type"] == "reload").await["type"],
        "reload"
    );
    socket
        .send_text(format!(
            r#"{{"type": "nonsense", "x": "{}"}}"#,
            "x".repeat(65 * 1024)
        ))
        .await;
    assert!(socket.closed().await, "a frame over 64 KiB ends the socket");
    app.stop().await;
}

#[tokio::test]
async fn a_tab_that_reconnects_gets_every_event_it_missed_in_order() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let mut socket = app.socket(&session).await;
    let first = app.text_arrives(CALLER, "before the drop").await;
    let seen = socket.until(|f| f["type"] == "message").await;
    assert_eq!(seen["item"]["sid"], first);
    let cursor = seen["cursor"].as_i64().unwrap();
    socket.close().await;

    let missed_text = app.text_arrives(ANN, "while you were away").await;
    let (missed_call, _) = app.call_arrives("default", CALLER).await;
    let renamed = app
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/contacts/{}", path_number(ANN)),
            &session,
            json!({"name": "Ann B."}),
        )
        .await;
    assert_eq!(renamed.status, 200);

    let mut socket = app.socket(&session).await;
    socket
        .send(json!({"type": "resume", "cursor": cursor}))
        .await;
    let mut replayed = Vec::new();
    while replayed.len() < 3 {
        let frame = socket.next_json().await;
        if frame["type"] != "presence" {
            replayed.push(frame);
        }
    }
    let summary: Vec<(String, String)> = replayed
        .iter()
        .map(|f| {
            let what = f["item"]["sid"]
                .as_str()
                .or(f["name"].as_str())
                .unwrap()
                .to_owned();
            (f["type"].as_str().unwrap().to_owned(), what)
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("message".to_owned(), missed_text),
            ("call".to_owned(), missed_call),
            ("contact".to_owned(), "Ann B.".to_owned()),
        ]
    );
    assert_eq!(
        (
            replayed[0]["unread"].as_i64(),
            replayed[0]["total"].as_i64()
        ),
        (Some(1), Some(2)),
        "the missed text's frame carries its thread's count and the new total"
    );
    let cursors: Vec<i64> = replayed
        .iter()
        .map(|f| f["cursor"].as_i64().unwrap())
        .collect();
    assert!(cursors.windows(2).all(|w| w[0] < w[1]), "{cursors:?}");
    assert!(cursors[0] > cursor);

    // A cursor from another database: reload.
    socket
        .send(json!({"type": "resume", "cursor": 1_000_000}))
        .await;
    let reload = socket.until(|f| f["type"] == "reload").await;
    assert_eq!(reload["cursor"], cursors[2]);
    app.stop().await;
}

#[tokio::test]
async fn a_registered_tab_makes_the_browser_ring_and_closing_it_falls_back() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let mut observer = app.socket(&session).await;
    observer.until(|f| f["type"] == "presence").await;

    let mut tab = app.socket(&session).await;
    tab.send(json!({"type": "voice", "registered": true})).await;
    let online_now = observer.until(|f| f["type"] == "presence").await;
    assert_eq!(online(&online_now, "browser"), Some(json!(true)));
    let (_, reply) = app.call_arrives("default", CALLER).await;
    assert!(
        reply.twiml().contains("<Client>vbx</Client>"),
        "{}",
        reply.body
    );

    tab.close().await;
    let offline = observer.until(|f| f["type"] == "presence").await;
    assert_eq!(online(&offline, "browser"), Some(json!(false)));
    let (_, reply) = app.call_arrives("default", CALLER).await;
    assert_eq!(
        reply.twiml(),
        "<Response><Redirect>https://vbx.example.com/flow/voice/phone</Redirect></Response>"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_browser_stays_online_while_any_of_several_tabs_is_registered() {
    let app = TestApp::start().await;
    let alice = app.alice().await;
    let bob = app.login("bob", BOB_PASSWORD).await;
    let mut observer = app.socket(&alice).await;
    observer.until(|f| f["type"] == "presence").await;
    let mut one = app.socket(&alice).await;
    let mut two = app.socket(&bob).await;
    one.send(json!({"type": "voice", "registered": true})).await;
    observer.until(|f| f["type"] == "presence").await;
    two.send(json!({"type": "voice", "registered": true})).await;
    // Saying it twice counts once.
    two.send(json!({"type": "voice", "registered": true})).await;
    let both = observer.until(|f| f["type"] == "presence").await;
    assert_eq!(online(&both, "browser"), Some(json!(true)));

    one.close().await;
    let still = observer.until(|f| f["type"] == "presence").await;
    assert_eq!(
        online(&still, "browser"),
        Some(json!(true)),
        "tab two is registered"
    );
    let (_, reply) = app.call_arrives("default", CALLER).await;
    assert!(
        reply.twiml().contains("<Client>vbx</Client>"),
        "{}",
        reply.body
    );

    two.send(json!({"type": "voice", "registered": false}))
        .await;
    let none = observer.until(|f| f["type"] == "presence").await;
    assert_eq!(online(&none, "browser"), Some(json!(false)));
    app.stop().await;
}

#[tokio::test]
async fn the_socket_needs_a_session_and_a_same_origin_page() {
    let app = TestApp::start().await;
    let no_session = tokio_tungstenite::connect_async(format!("ws://{}/ws", app.addr)).await;
    match no_session {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 401)
        }
        other => panic!("expected a 401, got {other:?}"),
    }
    let session = app.alice().await;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{}/ws", app.addr)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("cookie", session.cookie.parse().unwrap());
    request
        .headers_mut()
        .insert("origin", "https://evil.example.net".parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!("expected a 403, got {other:?}"),
    }
    app.stop().await;
}
