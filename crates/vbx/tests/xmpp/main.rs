//! The XMPP device against a real Prosody: the real vbx server (port 0, temporary store,
//! fake Twilio REST API), its component connected to a Prosody started for each test on
//! free ports, and an XMPP client logged in as the target.

#[path = "../common/mod.rs"]
mod common;

mod client;
mod harness;
mod prosody;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use client::{child_text, is_from, Client, NS_NICK, NS_OOB, NS_STANZAS};
use harness::*;
use prosody::{Prosody, COMPONENT, OTHER, PASSWORD, TARGET};
use serde_json::json;
use vbx::device::xmpp::stream::Element;
use vbx::store::outbox::{self, OutboxStatus};

fn jid(number: &str) -> String {
    format!("{number}@{COMPONENT}")
}

/// Prosody, vbx connected to it, and the target logged in and seen online: the client has
/// approved the gateway's subscription and received the contacts' presence.
async fn online() -> (Prosody, XmppApp, Client) {
    let prosody = Prosody::start(SECRET);
    let app = XmppApp::start(&prosody, SECRET).await;
    let mut target = Client::login(prosody.c2s_port, TARGET, PASSWORD, "phone").await;
    target.available().await;
    target
        .wait_for("the contact's presence", |s| {
            is_from(s, "presence", &jid(ANN)) && s.attr("type").is_none()
        })
        .await;
    (prosody, app, target)
}

fn sms_rows_payloads(rows: &[outbox::OutboxItem]) -> Vec<serde_json::Value> {
    rows.iter()
        .filter(|r| r.kind == "sms")
        .map(|r| r.payload_as().unwrap())
        .collect()
}

/// A text from Ann queued for the XMPP device, as a flow queues it; its outbox id.
async fn queued_for_target(app: &XmppApp, body: &str) -> i64 {
    let payload = json!({"device": DEVICE, "from": ANN, "from_name": ANN_NAME,
                         "body": body, "media": []});
    app.store
        .enqueue_work("xmpp", &payload, None, vbx::store::now_ms())
        .await
        .unwrap()
        .unwrap()
}

async fn sms_rows(app: &XmppApp) -> Vec<outbox::OutboxItem> {
    let mut rows: Vec<_> = outbox::list(app.store.pool(), None, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == "sms")
        .collect();
    rows.reverse();
    rows
}

#[tokio::test]
async fn the_targets_presence_turns_the_device_online_and_offline() {
    let prosody = Prosody::start(SECRET);
    let app = XmppApp::start(&prosody, SECRET).await;
    let mut target = Client::login(prosody.c2s_port, TARGET, PASSWORD, "phone").await;
    target.available().await;

    // vbx is connected (its subscription request arrives) but cannot see the target yet.
    target
        .wait_for("the gateway's subscription request", |s| {
            is_from(s, "presence", COMPONENT) && s.attr("type") == Some("subscribe")
        })
        .await;
    // The client approved it (see Client::wait_for): the target's presence reaches vbx,
    // which shows each contact with its name.
    let contact = target
        .wait_for("the contact's presence", |s| {
            is_from(s, "presence", &jid(ANN)) && s.attr("type").is_none()
        })
        .await;
    assert_eq!(
        child_text(&contact, "nick", NS_NICK).as_deref(),
        Some(ANN_NAME)
    );
    assert_eq!(app.online(), Some(true));

    target.unavailable().await;
    eventually("the device to go offline", || async {
        app.online() == Some(false)
    })
    .await;

    // A second resource is enough.
    let mut laptop = Client::login(prosody.c2s_port, TARGET, PASSWORD, "laptop").await;
    laptop.available().await;
    laptop
        .wait_for("the contact's presence on the laptop", |s| {
            is_from(s, "presence", &jid(ANN)) && s.attr("type").is_none()
        })
        .await;
    assert_eq!(app.online(), Some(true));
    laptop.close().await;
    eventually("the device to go offline again", || async {
        app.online() == Some(false)
    })
    .await;
}

#[tokio::test]
async fn an_incoming_text_reaches_the_client_with_the_contacts_nick_and_the_reply_becomes_an_sms() {
    let (_prosody, app, mut target) = online().await;
    let twilio_url =
        "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1?a=1&b=2";
    let sid = format!("MM{:032x}", rand::random::<u128>());
    assert_eq!(
        app.text_from_as(&sid, ANN, "Hi <there> & 'you' 📞", &[twilio_url])
            .await,
        200
    );

    let text = target
        .wait_for("the text", |s| is_from(s, "message", &jid(ANN)))
        .await;
    assert_eq!(text.attr("type"), Some("chat"));
    // The client gets vbx's link: Twilio's URL needs the account's credentials.
    let body = child_text(&text, "body", vbx::device::xmpp::stream::NS_CLIENT).unwrap();
    let media = body
        .strip_prefix("Hi <there> & 'you' 📞\n")
        .unwrap_or_else(|| panic!("{body}"));
    let token = media
        .strip_prefix(&format!("{PUBLIC_URL}/flow/media/in/{sid}/0/"))
        .unwrap_or_else(|| panic!("not vbx's link: {media}"));
    assert!(
        token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit()),
        "{media}"
    );
    assert_eq!(
        child_text(&text, "nick", NS_NICK).as_deref(),
        Some(ANN_NAME)
    );
    let oob: Vec<String> = text
        .children_named("x", NS_OOB)
        .filter_map(|x| x.child("url", NS_OOB))
        .map(Element::text)
        .collect();
    assert_eq!(oob, [media]);
    // Marked once written, which may be just after the client has it.
    eventually("the text to be marked delivered", || async {
        let sent = outbox::list(app.store.pool(), Some(OutboxStatus::Sent), 10).await;
        sent.unwrap().iter().any(|r| r.kind == "xmpp")
    })
    .await;

    target.chat(&jid(ANN), "Thanks & bye <3", &[]).await;
    eventually("the reply to reach Twilio", || async {
        !app.twilio_messages().await.is_empty()
    })
    .await;
    let sent = app.twilio_messages().await;
    let get = |k: &str| {
        sent[0]
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("To"), Some(ANN));
    assert_eq!(get("From"), Some(NUMBER));
    assert_eq!(get("Body"), Some("Thanks & bye <3"));
    let rows = sms_rows(&app).await;
    assert_eq!(
        sms_rows_payloads(&rows),
        [
            json!({"to": ANN, "from": NUMBER, "body": "Thanks & bye <3", "media": [],
                "origin": {"xmpp": DEVICE}})
        ]
    );
}

#[tokio::test]
async fn a_message_to_an_unknown_number_starts_a_conversation_and_its_oob_url_becomes_media() {
    let (_prosody, app, mut target) = online().await;
    let picture = "https://files.example.com/cat.jpg";
    target.chat(&jid("+15005550006"), picture, &[picture]).await;
    eventually("the text to reach Twilio", || async {
        !app.twilio_messages().await.is_empty()
    })
    .await;
    let sent = &app.twilio_messages().await[0];
    let values = |k: &str| -> Vec<&str> {
        sent.iter()
            .filter(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    assert_eq!(values("To"), ["+15005550006"]);
    assert_eq!(values("From"), [NUMBER]);
    assert_eq!(values("MediaUrl"), [picture]);
    // The body only repeated the URL.
    assert!(values("Body").is_empty(), "{sent:?}");
}

#[tokio::test]
async fn twilio_refusing_a_text_is_reported_back_to_the_client_from_that_number() {
    let (_prosody, app, mut target) = online().await;
    target.chat(&jid(REFUSED), "are you there?", &[]).await;
    let notice = target
        .wait_for("the failure notice", |s| {
            is_from(s, "message", &jid(REFUSED))
        })
        .await;
    let body = child_text(&notice, "body", vbx::device::xmpp::stream::NS_CLIENT).unwrap();
    assert!(
        body.starts_with(&format!("Not sent to {REFUSED}: ")),
        "{body}"
    );
    assert!(
        body.contains("21211") && body.contains(TWILIO_REFUSAL),
        "{body}"
    );
    assert!(body.ends_with("> are you there?"), "{body}");
    let rows = sms_rows(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, OutboxStatus::Failed);
}

#[tokio::test]
async fn a_jid_that_is_not_a_number_gets_an_explanation_and_nothing_is_sent() {
    let (_prosody, app, mut target) = online().await;
    target
        .chat(&format!("pizza@{COMPONENT}"), "one large", &[])
        .await;
    let reply = target
        .wait_for("the explanation", |s| {
            is_from(s, "message", &format!("pizza@{COMPONENT}"))
        })
        .await;
    let body = child_text(&reply, "body", vbx::device::xmpp::stream::NS_CLIENT).unwrap();
    assert!(body.contains("\"pizza\" is not a phone number"), "{body}");
    assert!(sms_rows(&app).await.is_empty());
}

#[tokio::test]
async fn messages_from_anyone_but_the_target_are_refused() {
    let (prosody, app, _target) = online().await;
    let mut other = Client::login(prosody.c2s_port, OTHER, PASSWORD, "x").await;
    other.available().await;
    other
        .chat(&jid("+15005550006"), "let me text for free", &[])
        .await;
    let refusal = other
        .wait_for("the refusal", |s| {
            is_from(s, "message", &jid("+15005550006")) && s.attr("type") == Some("error")
        })
        .await;
    let error = refusal
        .child("error", vbx::device::xmpp::stream::NS_CLIENT)
        .expect("an error element");
    assert!(
        error.child("forbidden", NS_STANZAS).is_some(),
        "{refusal:?}"
    );
    // The refusal is the whole answer: nothing was queued before it.
    assert!(sms_rows(&app).await.is_empty());
}

#[tokio::test]
async fn vbx_reconnects_after_prosody_restarts_and_delivers_what_was_queued_meanwhile() {
    let (mut prosody, app, target) = online().await;
    let connections = prosody.component_connections();
    prosody.kill();
    drop(target);
    eventually("the device to go offline", || async {
        app.online() == Some(false)
    })
    .await;

    // A text that was accepted for the device just as the link dropped.
    let id = queued_for_target(&app, "sent while you were away").await;

    // A contact added in the app meanwhile.
    let zoe = "+14155550166";
    app.store
        .create_contact(zoe, "Zoe", vbx::store::now_ms())
        .await
        .unwrap();
    app.state.contacts.reload(&app.store).await.unwrap();

    prosody.restart();
    let mut target = Client::login(prosody.c2s_port, TARGET, PASSWORD, "phone").await;
    target.available().await;
    // Both arrive, in either order.
    let is_text = |s: &Element| is_from(s, "message", &jid(ANN));
    let is_zoe = |s: &Element| is_from(s, "presence", &jid(zoe)) && s.attr("type").is_none();
    let (mut text, mut zoe_online) = (None, false);
    while text.is_none() || !zoe_online {
        let stanza = target
            .wait_for("the queued text and the new contact's presence", |s| {
                is_text(s) || is_zoe(s)
            })
            .await;
        zoe_online |= is_zoe(&stanza);
        if is_text(&stanza) {
            text = Some(stanza);
        }
    }
    let text = text.unwrap();
    assert_eq!(
        child_text(&text, "body", vbx::device::xmpp::stream::NS_CLIENT).as_deref(),
        Some("sent while you were away")
    );
    assert!(prosody.component_connections() > connections);
    eventually("the device to be online again", || async {
        app.online() == Some(true)
    })
    .await;
    eventually("the queued text to be marked delivered", || async {
        let row = outbox::get(app.store.pool(), id).await.unwrap().unwrap();
        row.status == OutboxStatus::Sent
    })
    .await;
}

#[tokio::test]
async fn a_text_written_to_a_hung_server_is_sent_again_once_it_is_back_and_arrives_once() {
    let (mut prosody, app, target) = online().await;
    prosody.hang();
    let id = queued_for_target(&app, "written while the server hung").await;
    // The device writes it (the connection still takes bytes), but the server acknowledges
    // nothing: the text is not taken as delivered.
    eventually("the device to write the text", || async {
        outbox::get(app.store.pool(), id)
            .await
            .unwrap()
            .unwrap()
            .status
            == OutboxStatus::Sending
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let row = outbox::get(app.store.pool(), id).await.unwrap().unwrap();
    assert_eq!(row.status, OutboxStatus::Sending, "{row:?}");

    // The hung server is killed and started again: what it never read is gone with it.
    drop(target);
    prosody.restart();
    let mut target = Client::login(prosody.c2s_port, TARGET, PASSWORD, "phone").await;
    target.available().await;
    let text = target
        .wait_for("the text, sent again", |s| is_from(s, "message", &jid(ANN)))
        .await;
    assert_eq!(
        child_text(&text, "body", vbx::device::xmpp::stream::NS_CLIENT).as_deref(),
        Some("written while the server hung")
    );
    eventually("the text to be marked delivered", || async {
        outbox::get(app.store.pool(), id)
            .await
            .unwrap()
            .unwrap()
            .status
            == OutboxStatus::Sent
    })
    .await;
    // Once: nothing else from Ann comes after it.
    let again = tokio::time::timeout(
        Duration::from_secs(2),
        target.wait_for("a second copy", |s| is_from(s, "message", &jid(ANN))),
    )
    .await;
    assert!(again.is_err(), "the text arrived twice: {again:?}");
}

#[tokio::test]
async fn stopping_vbx_takes_the_contacts_offline_and_closes_the_component_stream() {
    let (prosody, app, mut target) = online().await;
    app.stop().await;
    let gone = target
        .wait_for("the contact going offline", |s| {
            is_from(s, "presence", &jid(ANN)) && s.attr("type") == Some("unavailable")
        })
        .await;
    assert_eq!(gone.attr("to"), Some(TARGET));
    eventually("Prosody to see the component leave", || async {
        prosody
            .log()
            .contains("component disconnected: sms.localhost")
    })
    .await;
}

/// Collects what vbx logs during a test (the test runs on one thread, so the app's tasks
/// log through this subscriber).
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// What this thread logs from now until the guard is dropped.
    fn capture() -> (Logs, tracing::subscriber::DefaultGuard) {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn a_wrong_secret_is_reported_clearly_and_retried_slowly() {
    let (logs, _guard) = Logs::capture();

    let prosody = Prosody::start(SECRET);
    let app = XmppApp::start(&prosody, "not-the-secret").await;
    let expected = format!(
        "the XMPP server refused the component secret for {COMPONENT}: check devices.{DEVICE}.secret"
    );
    eventually("the refusal in vbx's log", || async {
        logs.text().contains(&expected)
    })
    .await;
    assert!(prosody.log().contains("Component authentication failed"));

    // A reconnect at the normal pace (1 s, then 2 s) would have tried again by now.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(prosody.component_connections(), 1, "{}", logs.text());
    assert_eq!(logs.text().matches(&expected).count(), 1);
    assert_eq!(app.online(), Some(false));
}

#[tokio::test]
async fn the_client_port_in_place_of_the_component_port_is_reported_as_such() {
    let (logs, _guard) = Logs::capture();

    let prosody = Prosody::start(SECRET);
    let app = XmppApp::start_on_port(prosody.c2s_port, SECRET).await;
    let expected = format!(
        "127.0.0.1:{} is the XMPP server's client port, not its component port (it opened a \
         jabber:client stream): set devices.{DEVICE}.port to the component port",
        prosody.c2s_port
    );
    eventually("the wrong port in vbx's log", || async {
        logs.text().contains(&expected)
    })
    .await;
    assert!(
        !logs.text().contains("has no component named"),
        "{}",
        logs.text()
    );
    assert_eq!(app.online(), Some(false));
    app.stop().await;
}

/// A voicemail step that tells the XMPP device: the notice reaches the client from the caller's
/// JID with the contact's nick, the duration, and the recording's link out of band.
#[tokio::test]
async fn a_voicemail_notice_reaches_the_client_with_the_recordings_link() {
    let prosody = Prosody::start(SECRET);
    let app = XmppApp::start_with_calls(
        prosody.component_port,
        SECRET,
        &format!(r#"{{ step = "voicemail", notify = ["{DEVICE}"] }}"#),
    )
    .await;
    let mut target = Client::login(prosody.c2s_port, TARGET, PASSWORD, "phone").await;
    target.available().await;

    let call = sid("CA");
    let answer = app
        .post_signed("/flow/voice/default", &borrow(&call_params(&call, ANN)))
        .await;
    assert!(answer.body.contains("<Record "), "{}", answer.body);
    let recording = sid("RE");
    let url =
        format!("https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{recording}");
    let status = app
        .post_signed(
            "/flow/status/recording?alias=default&step=0",
            &[
                ("AccountSid", ACCOUNT),
                ("CallSid", &call),
                ("RecordingSid", &recording),
                ("RecordingUrl", &url),
                ("RecordingStatus", "completed"),
                ("RecordingDuration", "75"),
                ("RecordingSource", "RecordVerb"),
            ],
        )
        .await;
    assert_eq!(status.status, 204);

    let notice = target
        .wait_for("the voicemail notice", |s| is_from(s, "message", &jid(ANN)))
        .await;
    let body = child_text(&notice, "body", vbx::device::xmpp::stream::NS_CLIENT).unwrap();
    let (said, link) = body.split_once('\n').unwrap_or_else(|| panic!("{body}"));
    assert_eq!(said, format!("Voicemail from {ANN_NAME} (1:15)"));
    assert!(
        link.starts_with(&format!("{PUBLIC_URL}/flow/media/rec/{recording}/")),
        "{link}"
    );
    let oob: Vec<String> = notice
        .children_named("x", NS_OOB)
        .filter_map(|x| x.child("url", NS_OOB))
        .map(Element::text)
        .collect();
    assert_eq!(oob, [link]);
    app.stop().await;
}
