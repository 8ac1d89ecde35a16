//! Sending texts (and images) from the app through the outbox and the sender, deleting
//! messages, hanging up calls, fetching media — against the Twilio simulator where Twilio
//! must answer.

use reqwest::Method;
use serde_json::{json, Value};
use vbx::store::outbox;

use crate::harness::*;

/// The smallest PNG there is (1×1, transparent).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

async fn send_text(app: &TestApp, session: &Session, to: &str, body: &str) -> i64 {
    let reply = app
        .send_json(
            Method::POST,
            "/api/messages",
            session,
            json!({"to": to, "body": body}),
        )
        .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    assert_eq!(reply.json()["status"], "queued");
    reply.json()["id"].as_i64().unwrap()
}

/// Waits on the socket for the message the outbox row `id` became.
async fn sent_message(socket: &mut Socket, id: i64) -> Value {
    socket
        .until(|f| {
            f["type"] == "message" && f["item"]["outbox_id"] == id && f["item"]["sid"].is_string()
        })
        .await
}

#[tokio::test]
async fn a_text_from_the_app_is_queued_in_the_outbox_and_shows_pending_in_its_thread() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let id = send_text(&app, &session, "(415) 555-0100", "on my way").await;
    let row = outbox::get(app.store.pool(), id).await.unwrap().unwrap();
    assert_eq!(row.kind, "sms");
    let payload: Value = serde_json::from_str(&row.payload).unwrap();
    assert_eq!(
        payload,
        json!({"to": CALLER, "from": NUMBER, "body": "on my way", "media": []})
    );
    let thread = app
        .get(&format!("/api/threads/{CALLER}"), &session)
        .await
        .json();
    let item = &thread["items"][0];
    assert_eq!(item["kind"], "message");
    assert_eq!(item["sid"], Value::Null);
    assert_eq!(item["outbox_id"], id);
    assert_eq!(item["direction"], "outbound");
    assert_eq!(item["body"], "on my way");
    assert_eq!(item["status"], "queued");
    let list = app.get("/api/conversations", &session).await.json();
    assert_eq!(list["items"][0]["number"], CALLER);
    app.stop().await;
}

#[tokio::test]
async fn texts_the_api_cannot_send_are_refused_with_the_reason() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    for (body, code) in [
        (json!({"to": "nobody", "body": "hi"}), 400),
        (json!({"to": CALLER, "body": "   "}), 400),
        (json!({"to": CALLER, "body": "x".repeat(1601)}), 400),
        (json!({"body": "hi"}), 400),
    ] {
        let reply = app
            .send_json(Method::POST, "/api/messages", &session, body.clone())
            .await;
        assert_eq!(reply.status, code, "{body}: {}", reply.body);
        assert_eq!(reply.code(), "bad_request");
    }
    let not_an_image = reqwest::multipart::Form::new().text("to", CALLER).part(
        "media",
        reqwest::multipart::Part::bytes(b"<html>".to_vec()).file_name("x.png"),
    );
    let reply = app
        .request(Method::POST, "/api/messages", Some(&session))
        .multipart(not_an_image)
        .send()
        .await
        .unwrap();
    let reply = Reply::from(reply).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    let too_big = reqwest::multipart::Form::new().text("to", CALLER).part(
        "media",
        reqwest::multipart::Part::bytes([PNG, &vec![0u8; 5 * 1024 * 1024]].concat())
            .file_name("big.png"),
    );
    let reply = app
        .request(Method::POST, "/api/messages", Some(&session))
        .multipart(too_big)
        .send()
        .await
        .unwrap();
    assert_eq!(Reply::from(reply).await.status, 413);
    let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(queued, 0);
    app.stop().await;
}

#[tokio::test]
async fn the_sender_delivers_through_twilio_and_the_message_joins_its_thread_with_its_sid() {
    let app = TestApp::builder().own_sim().start().await;
    let session = app.alice().await;
    let mut socket = app.socket(&session).await;
    let id = send_text(&app, &session, CALLER, "sent through the simulator").await;
    let pending = socket
        .until(|f| f["type"] == "message" && f["item"]["outbox_id"] == id)
        .await;
    assert_eq!(pending["item"]["sid"], Value::Null);
    assert_eq!(pending["number"], CALLER);
    let frame = sent_message(&mut socket, id).await;
    let sid = frame["item"]["sid"].as_str().unwrap().to_owned();
    assert!(frame["cursor"].as_i64().unwrap() > pending["cursor"].as_i64().unwrap());

    let at_twilio = app
        .sim()
        .message(&twilio::MessageSid::parse(&sid).unwrap())
        .unwrap();
    assert_eq!(at_twilio.body, "sent through the simulator");
    assert_eq!(at_twilio.to, CALLER);
    assert_eq!(at_twilio.from, NUMBER);
    assert_eq!(
        at_twilio.status_callback.as_deref(),
        Some("https://vbx.example.com/flow/status/message")
    );

    let thread = app
        .get(&format!("/api/threads/{CALLER}"), &session)
        .await
        .json();
    let items = thread["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        1,
        "the outbox row became the message: {thread}"
    );
    assert_eq!(items[0]["sid"], sid);
    assert_eq!(items[0]["outbox_id"], id);
    assert_eq!(items[0]["direction"], "outbound");
    assert_eq!(items[0]["status"], at_twilio.status.as_str());

    let status = app.get("/api/status", &session).await.json();
    assert_eq!(status["twilio"]["reachable"], true);
    assert_eq!(status["outbox"], json!({"pending": 0, "failed": 0}));
    app.stop().await;
}

#[tokio::test]
async fn texts_sent_within_one_second_stay_in_the_order_they_were_sent() {
    let app = TestApp::builder().own_sim().start().await;
    let session = app.alice().await;
    let mut socket = app.socket(&session).await;
    // Twilio dates texts to the second and SIDs are random: six texts sent together would come
    // back in the right order by chance once in 720 times if the thread went by those.
    let bodies: Vec<String> = (1..=6).map(|n| format!("part {n}")).collect();
    let mut ids = Vec::new();
    for body in &bodies {
        ids.push(send_text(&app, &session, CALLER, body).await);
    }
    for id in &ids {
        sent_message(&mut socket, *id).await;
    }
    let thread = app
        .get(&format!("/api/threads/{CALLER}"), &session)
        .await
        .json();
    let shown: Vec<&str> = thread["items"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|i| i["body"].as_str().unwrap())
        .collect();
    assert_eq!(shown, bodies, "{thread}");
    app.stop().await;
}

#[tokio::test]
async fn an_image_is_uploaded_served_to_twilio_unsigned_and_shown_from_vbxs_copy() {
    let app = TestApp::builder().own_sim().own_public_url().start().await;
    let session = app.alice().await;
    let mut socket = app.socket(&session).await;
    let form = reqwest::multipart::Form::new()
        .text("to", CALLER)
        .text("body", "look")
        .part(
            "media",
            reqwest::multipart::Part::bytes(PNG.to_vec())
                .file_name("dot.png")
                .mime_str("image/png")
                .unwrap(),
        );
    let reply = app
        .request(Method::POST, "/api/messages", Some(&session))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let reply = Reply::from(reply).await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    let id = reply.json()["id"].as_i64().unwrap();

    let row = outbox::get(app.store.pool(), id).await.unwrap().unwrap();
    let payload: Value = serde_json::from_str(&row.payload).unwrap();
    let url = payload["media"][0].as_str().unwrap().to_owned();
    let prefix = format!("{}/flow/media/", app.public_url);
    let upload = url.strip_prefix(&prefix).expect("a /flow/media URL");
    assert_eq!(upload.len(), 32);
    assert!(upload.bytes().all(|b| b.is_ascii_hexdigit()));

    let frame = sent_message(&mut socket, id).await;
    let sid = frame["item"]["sid"].as_str().unwrap().to_owned();
    // The simulator fetched the image from vbx without credentials, as Twilio does.
    let media = app
        .sim()
        .media_of(&twilio::MessageSid::parse(&sid).unwrap());
    assert_eq!(media.len(), 1);
    assert_eq!(media[0].content, PNG);
    assert_eq!(media[0].content_type, "image/png");
    assert_eq!(media[0].source_url, url);

    let item = &frame["item"];
    assert_eq!(
        item["media"],
        json!([{"url": format!("/api/media/{sid}/0"), "content_type": "image/png"}])
    );
    let shown = app
        .request(Method::GET, &format!("/api/media/{sid}/0"), Some(&session))
        .send()
        .await
        .unwrap();
    assert_eq!(shown.status(), 200);
    assert_eq!(shown.headers()["content-type"], "image/png");
    assert_eq!(shown.bytes().await.unwrap().as_ref(), PNG);
    let guessed = app
        .http
        .get(app.url(&format!("/flow/media/{}", "0".repeat(32))))
        .send()
        .await
        .unwrap();
    assert_eq!(guessed.status(), 404);
    app.stop().await;
}

/// An app with the simulator, a logged-in session, and the URL of a PNG at Twilio (the
/// media of an MMS the app sent), which Twilio serves only with the account's credentials.
async fn app_with_a_picture_at_twilio() -> (TestApp, Session, String) {
    let app = TestApp::builder().own_sim().own_public_url().start().await;
    let session = app.alice().await;
    // Put an image at Twilio: an MMS the app sends.
    let mut socket = app.socket(&session).await;
    let form = reqwest::multipart::Form::new().text("to", CALLER).part(
        "media",
        reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("a.png"),
    );
    let reply = app
        .request(Method::POST, "/api/messages", Some(&session))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let id = Reply::from(reply).await.json()["id"].as_i64().unwrap();
    let sent = sent_message(&mut socket, id).await;
    let sent_sid = twilio::MessageSid::parse(sent["item"]["sid"].as_str().unwrap()).unwrap();
    let media = app.sim().media_of(&sent_sid);
    let at_twilio = format!(
        "{}{}",
        app.sim.as_ref().unwrap().base_url(),
        media[0].content_uri(&twilio::AccountSid::parse(ACCOUNT).unwrap())
    );
    (app, session, at_twilio)
}

#[tokio::test]
async fn received_media_is_fetched_from_twilio_with_credentials_once_then_served_from_the_cache() {
    let (app, session, at_twilio) = app_with_a_picture_at_twilio().await;

    // A text arrives whose media is that URL (behind Twilio's basic auth).
    let unauthenticated = reqwest::get(&at_twilio).await.unwrap();
    assert_eq!(
        unauthenticated.status(),
        401,
        "the simulator wants credentials"
    );
    let incoming = app.mms_arrives(ANN, "", &[(&at_twilio, "image/png")]).await;
    let first = app
        .request(
            Method::GET,
            &format!("/api/media/{incoming}/0"),
            Some(&session),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.bytes().await.unwrap().as_ref(), PNG);
    let cached = app.data.path().join(format!("media/in/{incoming}/0"));
    assert_eq!(std::fs::read(&cached).unwrap(), PNG);

    // Served from the cache even with Twilio down.
    app.sim()
        .fail_requests_for(std::time::Duration::from_secs(600));
    let second = app
        .request(
            Method::GET,
            &format!("/api/media/{incoming}/0"),
            Some(&session),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 200);
    assert_eq!(second.bytes().await.unwrap().as_ref(), PNG);
    let missing = app
        .request(
            Method::GET,
            &format!("/api/media/{incoming}/1"),
            Some(&session),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn deleting_a_message_removes_it_at_twilio_and_here_and_tells_the_tabs() {
    let app = TestApp::builder().own_sim().start().await;
    let session = app.alice().await;
    let mut socket = app.socket(&session).await;
    let id = send_text(&app, &session, CALLER, "oops").await;
    let sid = sent_message(&mut socket, id).await["item"]["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let parsed = twilio::MessageSid::parse(&sid).unwrap();
    assert!(app.sim().message(&parsed).is_some());

    let reply = app.delete(&format!("/api/messages/{sid}"), &session).await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    assert!(app.sim().message(&parsed).is_none(), "deleted at Twilio");
    let frame = socket.until(|f| f["type"] == "deleted").await;
    assert_eq!(frame["sid"], sid);
    assert_eq!(frame["number"], CALLER);
    let thread = app
        .get(&format!("/api/threads/{CALLER}"), &session)
        .await
        .json();
    assert!(
        thread["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["sid"] != sid),
        "{thread}"
    );
    let again = app.delete(&format!("/api/messages/{sid}"), &session).await;
    assert_eq!(again.status, 404);

    // A message Twilio no longer has is still deleted here.
    let incoming = app.text_arrives(ANN, "gone at Twilio already").await;
    let reply = app
        .delete(&format!("/api/messages/{incoming}"), &session)
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    let bad = app.delete("/api/messages/not-a-sid", &session).await;
    assert_eq!(bad.status, 400);
    app.stop().await;
}

#[tokio::test]
async fn a_text_that_failed_in_the_outbox_can_be_deleted_and_one_being_sent_cannot() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let mut socket = app.socket(&session).await;
    let payload = json!({"to": CALLER, "body": "never went out"});
    let now = vbx::store::now_ms();
    let failed = app
        .store
        .enqueue_work("sms", &payload, None, now)
        .await
        .unwrap()
        .unwrap();
    app.store
        .outbox_failed(failed, "Twilio refused it", now)
        .await
        .unwrap();
    let pending = app
        .store
        .enqueue_work("sms", &payload, None, now)
        .await
        .unwrap()
        .unwrap();

    let busy = app
        .delete(&format!("/api/outbox/{pending}"), &session)
        .await;
    assert_eq!(busy.status, 409, "{}", busy.body);
    let reply = app.delete(&format!("/api/outbox/{failed}"), &session).await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    let frame = socket.until(|f| f["type"] == "deleted").await;
    assert_eq!(
        (&frame["outbox_id"], &frame["sid"], &frame["number"]),
        (&json!(failed), &Value::Null, &json!(CALLER))
    );
    let thread = app
        .get(&format!("/api/threads/{}", path_number(CALLER)), &session)
        .await
        .json();
    assert!(
        thread["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["outbox_id"] != json!(failed)),
        "{thread}"
    );
    assert!(outbox::get(app.store.pool(), failed)
        .await
        .unwrap()
        .is_none());
    let again = app.delete(&format!("/api/outbox/{failed}"), &session).await;
    assert_eq!(again.status, 404);
    let bad = app.delete("/api/outbox/x", &session).await;
    assert_eq!(bad.status, 400);
    app.stop().await;
}

#[tokio::test]
async fn a_live_call_is_hung_up_through_twilio() {
    let app = TestApp::builder().own_sim().start().await;
    let session = app.alice().await;
    let client = twilio::client::Client::new(
        app.sim.as_ref().unwrap().base_url().parse().unwrap(),
        twilio::client::Auth::Token {
            account_sid: twilio::AccountSid::parse(ACCOUNT).unwrap(),
            auth_token: AUTH_TOKEN.into(),
        },
    )
    .unwrap();
    let call = client
        .create_call(&twilio::client::CreateCall {
            to: CALLER.into(),
            from: NUMBER.into(),
            twiml: Some("<Response><Pause length=\"60\"/></Response>".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let reply = app
        .post_empty(&format!("/api/calls/{}/hangup", call.sid), &session)
        .await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    let ended = app.sim().call(&call.sid).unwrap();
    assert!(
        matches!(ended.status.as_str(), "completed" | "canceled"),
        "{}",
        ended.status.as_str()
    );
    let unknown = app
        .post_empty(&format!("/api/calls/{}/hangup", sid("CA")), &session)
        .await;
    assert_eq!(
        (unknown.status, unknown.code().as_str()),
        (404, "not_found")
    );
    let bad = app.post_empty("/api/calls/nope/hangup", &session).await;
    assert_eq!(bad.status, 400);
    app.stop().await;
}

#[tokio::test]
async fn status_shows_devices_twilio_and_the_outbox() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    send_text(&app, &session, CALLER, "stuck: Twilio is unreachable").await;
    let status = app.get("/api/status", &session).await;
    assert_eq!(status.status, 200, "{}", status.body);
    let status = status.json();
    assert_eq!(
        status["devices"],
        json!([
            {"name": "browser", "type": "browser", "online": false, "last_error": null,
             "address": "client:vbx"},
            {"name": "cell", "type": "sms", "online": null, "last_error": null,
             "address": CELL},
        ])
    );
    assert_eq!(status["outbox"]["pending"], 1);
    assert_eq!(status["outbox"]["failed"], 0);
    assert_eq!(status["last_sync"], Value::Null);
    assert!(status["twilio"]["reachable"] != true, "{status}");
    app.presence.browser_registered("vbx");
    let status = app.get("/api/status", &session).await.json();
    assert_eq!(status["devices"][0]["online"], true);
    app.stop().await;
}

#[tokio::test]
async fn the_media_worker_downloads_a_received_picture_as_soon_as_it_is_stored() {
    let (app, _session, at_twilio) = app_with_a_picture_at_twilio().await;

    let incoming = app.mms_arrives(ANN, "", &[(&at_twilio, "image/png")]).await;
    // Nobody asks for the picture: the worker, woken by the stored text, fetches it. Its own
    // poll comes only every 30 s, so a file within 10 s means it was woken.
    let cached = app.data.path().join(format!("media/in/{incoming}/0"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !cached.is_file() {
        assert!(
            std::time::Instant::now() < deadline,
            "the picture was not downloaded within 10 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(std::fs::read(&cached).unwrap(), PNG);
    app.stop().await;
}
