//! The email device against a real SMTP server (aiosmtpd): texts arrive through vbx's signed
//! webhook, the email sender's `step` delivers them; content, attachments, AUTH, outages and
//! refusals, header injection, and `vbx send-test-email`'s hints.

#[path = "../common/mod.rs"]
mod common;
mod harness;
mod smtp;

use std::time::Duration;

use base64::Engine as _;
use harness::*;
use serde_json::Value;
use smtp::SmtpServer;
use vbx::config::{Email, SmtpSecurity};
use vbx::device::email::{send_test_email, send_test_email_within, MediaLimits, MAX_ATTEMPTS};
use vbx::store::outbox::{self, OutboxItem, OutboxStatus, EMAIL};

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

const FOOTER: &str = "-- \nReply by texting";

async fn email_rows(vbx: &TestApp) -> Vec<OutboxItem> {
    let mut rows: Vec<OutboxItem> = outbox::list(vbx.state.store.pool(), None, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == "email")
        .collect();
    rows.reverse();
    rows
}

async fn only_row(vbx: &TestApp) -> OutboxItem {
    let rows = email_rows(vbx).await;
    assert_eq!(rows.len(), 1, "{rows:#?}");
    rows.into_iter().next().unwrap()
}

fn header<'a>(message: &'a Value, name: &str) -> Vec<&'a str> {
    message["headers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h[0].as_str().unwrap().eq_ignore_ascii_case(name))
        .map(|h| h[1].as_str().unwrap())
        .collect()
}

/// The decoded text part, without the line breaks MIME framing adds at its end.
fn text(message: &Value) -> &str {
    message["text"].as_str().unwrap().trim_end_matches('\n')
}

fn attachments(message: &Value) -> Vec<(String, String, Vec<u8>)> {
    message["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["filename"].as_str().unwrap().to_owned(),
                a["content_type"].as_str().unwrap().to_owned(),
                base64::engine::general_purpose::STANDARD
                    .decode(a["content_b64"].as_str().unwrap())
                    .unwrap(),
            )
        })
        .collect()
}

fn device(port: u16, security: SmtpSecurity) -> Email {
    Email {
        from: "vbx@example.com".into(),
        to: "me@example.com".into(),
        smtp_host: "127.0.0.1".into(),
        smtp_port: port,
        security,
        username: None,
        password: None,
    }
}

#[tokio::test]
async fn a_text_from_a_contact_arrives_as_an_email_named_after_them() {
    let server = SmtpServer::start(&[]);
    let vbx = TestApp::start(server.port, "http://127.0.0.1:9", ", security = \"none\"").await;
    vbx.text(ANN, "Lunch at 1? ünïcödé 📞\nSecond line", &[])
        .await;

    assert_eq!(vbx.email_sender().step().await.unwrap(), 1);

    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m["mail_from"], "vbx@example.com");
    assert_eq!(m["rcpt_tos"], serde_json::json!(["me@example.com"]));
    assert_eq!(m["subject"], "SMS From Ann Example");
    assert_eq!(header(m, "From"), ["vbx@example.com"]);
    assert_eq!(header(m, "To"), ["me@example.com"]);
    assert_eq!(header(m, "Reply-To"), ["me@example.com"]);
    assert_eq!(m["content_type"], "text/plain");
    assert_eq!(
        text(m),
        format!(
            "Lunch at 1? ünïcödé 📞\nSecond line\n\n{FOOTER} {ANN} from vbx; replies to this \
             email are not sent as SMS."
        )
    );
    let row = only_row(&vbx).await;
    assert_eq!(row.status, OutboxStatus::Sent);
    assert!(row.result.unwrap().starts_with("250"));
    assert_eq!(
        vbx.state
            .store
            .device_last_error(EMAIL, "inbox")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        vbx.email_sender().step().await.unwrap(),
        0,
        "sent only once"
    );
}

#[tokio::test]
async fn a_text_from_a_stranger_is_named_by_number() {
    let server = SmtpServer::start(&[]);
    let vbx = TestApp::start(server.port, "http://127.0.0.1:9", ", security = \"none\"").await;
    vbx.text(STRANGER, "", &[]).await;

    assert_eq!(vbx.email_sender().step().await.unwrap(), 1);

    let m = &server.messages()[0];
    assert_eq!(m["subject"], format!("SMS From {STRANGER}"));
    assert!(text(m).starts_with("(no text)\n"), "{}", text(m));
}

#[tokio::test]
async fn mms_media_is_downloaded_with_the_account_credentials_and_attached() {
    let server = SmtpServer::start(&[]);
    let media = MediaServer::start().await;
    let png = media.add("image/png", PNG.to_vec());
    let vcard = b"BEGIN:VCARD\r\nFN:Ann\r\nEND:VCARD\r\n".to_vec();
    let card = media.add("text/vcard", vcard.clone());
    let vbx = TestApp::start(server.port, &media.base, ", security = \"none\"").await;
    vbx.text(ANN, "look", &[png, card]).await;

    assert_eq!(vbx.email_sender().step().await.unwrap(), 1);

    let m = &server.messages()[0];
    assert_eq!(m["content_type"], "multipart/mixed");
    assert!(text(m).starts_with("look\n\n-- \n"), "{}", text(m));
    assert_eq!(
        attachments(m),
        [
            ("mms-1.png".to_owned(), "image/png".to_owned(), PNG.to_vec()),
            ("mms-2.vcf".to_owned(), "text/vcard".to_owned(), vcard),
        ]
    );
    assert_eq!(*media.refused.lock().unwrap(), 0);
}

#[tokio::test]
async fn media_over_the_size_cap_or_missing_is_linked_instead() {
    let server = SmtpServer::start(&[]);
    let media = MediaServer::start().await;
    let small = media.add("image/png", PNG.to_vec());
    let big = media.add("image/jpeg", vec![0xFF; 4096]);
    let gone = media.missing();
    let vbx = TestApp::start(server.port, &media.base, ", security = \"none\"").await;
    let sid = vbx.text(ANN, "pics", &[small, big, gone]).await;
    let (big, gone) = (vbx.link(&sid, 1), vbx.link(&sid, 2));

    let mut sender = vbx.email_sender();
    sender.limits = MediaLimits {
        per_item: 1024,
        total: 2048,
    };
    assert_eq!(sender.step().await.unwrap(), 1);

    let m = &server.messages()[0];
    assert_eq!(
        attachments(m),
        [("mms-1.png".to_owned(), "image/png".to_owned(), PNG.to_vec())]
    );
    let body = text(m);
    assert!(
        body.starts_with(&format!(
            "pics\n\nMedia too large to attach:\n{big}\n\nMedia that could not be \
             downloaded:\n{gone}\n\n{FOOTER}"
        )),
        "{body}"
    );
    assert!(
        !body.contains(&media.base),
        "Twilio's URLs stay inside vbx: {body}"
    );
    assert_eq!(only_row(&vbx).await.status, OutboxStatus::Sent);
    assert_eq!(
        vbx.fetch_link(&big).await,
        (200, vec![0xFF; 4096]),
        "the link serves the item without credentials"
    );
    assert_eq!(vbx.fetch_link(&gone).await.0, 404);
}

#[tokio::test]
async fn media_twilio_cannot_serve_for_now_is_retried_then_linked() {
    let server = SmtpServer::start(&[]);
    let media = MediaServer::start().await;
    let busy = media.add_unavailable();
    let vbx = TestApp::start(server.port, &media.base, ", security = \"none\"").await;
    let sid = vbx.text(ANN, "photo soon", &[busy]).await;
    let busy = vbx.link(&sid, 0);
    let sender = vbx.email_sender();

    assert_eq!(sender.step().await.unwrap(), 1);
    let first = only_row(&vbx).await;
    assert_eq!(first.status, OutboxStatus::Pending);
    assert!(
        first
            .last_error
            .as_deref()
            .unwrap()
            .contains("downloading media item 0"),
        "{first:?}"
    );
    // The error is shown in the status page and logged: it never carries the link's token.
    let token = busy.rsplit('/').next().unwrap();
    assert!(
        !first.last_error.as_deref().unwrap().contains(token),
        "{first:?}"
    );
    assert!(server.messages().is_empty(), "the text waits for its media");

    assert_eq!(sender.step_at(first.next_attempt_at).await.unwrap(), 1);
    let second = only_row(&vbx).await;
    assert_eq!((second.status, second.attempts), (OutboxStatus::Pending, 2));
    assert_eq!(sender.step_at(second.next_attempt_at).await.unwrap(), 1);

    let messages = server.messages();
    assert_eq!(messages.len(), 1, "the last try sends the text with a link");
    assert!(attachments(&messages[0]).is_empty());
    assert!(
        text(&messages[0]).starts_with(&format!(
            "photo soon\n\nMedia that could not be downloaded:\n{busy}\n"
        )),
        "{}",
        text(&messages[0])
    );
    assert_eq!(only_row(&vbx).await.status, OutboxStatus::Sent);
}

#[tokio::test]
async fn a_server_that_refuses_the_size_gets_the_text_with_links() {
    let server = SmtpServer::start(&["--data-size-limit", "4000"]);
    let media = MediaServer::start().await;
    let photo = media.add("image/jpeg", vec![0xAB; 8000]);
    let vbx = TestApp::start(server.port, &media.base, ", security = \"none\"").await;
    let sid = vbx.text(ANN, "big one", &[photo]).await;
    let photo = vbx.link(&sid, 0);

    assert_eq!(vbx.email_sender().step().await.unwrap(), 1);

    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    assert!(attachments(&messages[0]).is_empty());
    let body = text(&messages[0]);
    assert!(
        body.starts_with(&format!("big one\n\nMedia too large to attach:\n{photo}\n")),
        "{body}"
    );
    assert_eq!(only_row(&vbx).await.status, OutboxStatus::Sent);
    assert_eq!(vbx.fetch_link(&photo).await, (200, vec![0xAB; 8000]));
    let wrong_token = format!("{}0", &photo[..photo.len() - 1]);
    let wrong_token = if wrong_token == photo {
        format!("{}1", &photo[..photo.len() - 1])
    } else {
        wrong_token
    };
    assert_eq!(vbx.fetch_link(&wrong_token).await.0, 404);
}

#[tokio::test]
async fn the_login_is_sent_when_the_server_requires_one() {
    let server = SmtpServer::start(&["--auth", "vbx-user:s3cret pass"]);
    let extra = ", security = \"none\", username = \"vbx-user\", password = \"s3cret pass\"";
    let vbx = TestApp::start(server.port, "http://127.0.0.1:9", extra).await;
    vbx.text(ANN, "hi", &[]).await;

    assert_eq!(vbx.email_sender().step().await.unwrap(), 1);

    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["login"], "vbx-user");
    assert_eq!(only_row(&vbx).await.status, OutboxStatus::Sent);
}

#[tokio::test]
async fn a_refused_login_is_retried_shown_with_its_fix_and_sent_once_the_password_is_fixed() {
    let server = SmtpServer::start(&["--auth", "vbx-user:right"]);
    let extra = ", security = \"none\", username = \"vbx-user\", password = \"wrong\"";
    let vbx = TestApp::start(server.port, "http://127.0.0.1:9", extra).await;
    vbx.text(ANN, "hi", &[]).await;

    assert_eq!(vbx.email_sender().step().await.unwrap(), 1);

    assert!(server.messages().is_empty());
    let row = only_row(&vbx).await;
    assert_eq!(
        row.status,
        OutboxStatus::Pending,
        "a wrong password is no reason to give up"
    );
    let error = vbx
        .state
        .store
        .device_last_error(EMAIL, "inbox")
        .await
        .unwrap()
        .unwrap();
    assert!(!error.failed);
    assert!(error.message.contains("535"), "{}", error.message);
    assert!(
        error
            .message
            .contains("vbx send-test-email --config FILE --device inbox"),
        "{}",
        error.message
    );
    assert_eq!(row.last_error.as_deref(), Some(error.message.as_str()));

    // The password is fixed and vbx restarts: the email goes out at once, not after its
    // backoff.
    let mut fixed = (*vbx.state.config).clone();
    if let Some(vbx::config::Device::Email(inbox)) = fixed.devices.get_mut("inbox") {
        inbox.password = Some(vbx::config::Secret::new("right"));
    }
    let sender = vbx::device::email::EmailSender::new(
        vbx.state.store.clone(),
        std::sync::Arc::new(fixed),
        vbx::app::twilio_client(&vbx.state.config).unwrap(),
        vbx.state.events.clone(),
    );
    assert_eq!(
        sender.step().await.unwrap(),
        0,
        "still waiting for its next try"
    );
    assert_eq!(sender.retry_waiting_now().await.unwrap(), 1);
    assert_eq!(sender.step().await.unwrap(), 1);
    assert_eq!(server.messages().len(), 1);
    assert_eq!(only_row(&vbx).await.status, OutboxStatus::Sent);
}

#[tokio::test]
async fn a_permanent_refusal_fails_the_email_with_the_servers_message() {
    let server = SmtpServer::start(&[]);
    server.answer(Some("550 5.1.1 Mailbox unavailable"));
    let vbx = TestApp::start(server.port, "http://127.0.0.1:9", ", security = \"none\"").await;
    vbx.text(ANN, "hi", &[]).await;

    let sender = vbx.email_sender();
    assert_eq!(sender.step().await.unwrap(), 1);

    let row = only_row(&vbx).await;
    assert_eq!(row.status, OutboxStatus::Failed);
    let error = row.last_error.unwrap();
    assert!(
        error.contains("550") && error.contains("Mailbox unavailable"),
        "{error}"
    );
    let shown = vbx
        .state
        .store
        .device_last_error(EMAIL, "inbox")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (shown.message.as_str(), shown.failed),
        (error.as_str(), true)
    );
    server.answer(None);
    assert_eq!(
        sender.step_at(i64::MAX / 2).await.unwrap(),
        0,
        "never retried"
    );
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn an_outage_is_retried_with_backoff_and_nothing_is_lost() {
    let port = free_port();
    let vbx = TestApp::start(port, "http://127.0.0.1:9", ", security = \"none\"").await;
    vbx.text(ANN, "while you were out", &[]).await;
    let sender = vbx.email_sender();

    assert_eq!(sender.step().await.unwrap(), 1);
    let row = only_row(&vbx).await;
    assert_eq!((row.status, row.attempts), (OutboxStatus::Pending, 1));
    assert!(
        row.last_error.as_deref().unwrap().contains("refused"),
        "{row:?}"
    );
    let shown = vbx
        .state
        .store
        .device_last_error(EMAIL, "inbox")
        .await
        .unwrap()
        .unwrap();
    assert!(!shown.failed, "still being retried");
    assert_eq!(sender.step_at(row.next_attempt_at - 1).await.unwrap(), 0);

    let server = SmtpServer::start_on(port, &[]);
    assert_eq!(sender.step_at(row.next_attempt_at).await.unwrap(), 1);
    assert_eq!(
        sender
            .step_at(row.next_attempt_at + 3_600_000)
            .await
            .unwrap(),
        0
    );

    let messages = server.messages();
    assert_eq!(messages.len(), 1, "delivered exactly once");
    assert!(text(&messages[0]).starts_with("while you were out\n"));
    assert_eq!(only_row(&vbx).await.status, OutboxStatus::Sent);
    assert_eq!(
        vbx.state
            .store
            .device_last_error(EMAIL, "inbox")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn an_email_still_failing_after_the_last_attempt_is_given_up() {
    let vbx = TestApp::start(free_port(), "http://127.0.0.1:9", ", security = \"none\"").await;
    vbx.text(ANN, "into the void", &[]).await;
    let id = only_row(&vbx).await.id;
    for _ in 1..MAX_ATTEMPTS {
        vbx.state
            .store
            .outbox_retry(id, "refused", 0, 0)
            .await
            .unwrap();
    }

    assert_eq!(vbx.email_sender().step().await.unwrap(), 1);

    let row = only_row(&vbx).await;
    assert_eq!(
        (row.status, row.attempts),
        (OutboxStatus::Failed, MAX_ATTEMPTS)
    );
    let error = row.last_error.unwrap();
    assert!(
        error.starts_with(&format!("gave up after {MAX_ATTEMPTS} attempts: "))
            && error.contains("refused"),
        "{error}"
    );
    assert!(
        vbx.state
            .store
            .device_last_error(EMAIL, "inbox")
            .await
            .unwrap()
            .unwrap()
            .failed
    );
}

#[tokio::test]
async fn a_temporary_refusal_is_retried_until_the_server_accepts() {
    let server = SmtpServer::start(&[]);
    server.answer(Some("451 4.3.0 Try again later"));
    let vbx = TestApp::start(server.port, "http://127.0.0.1:9", ", security = \"none\"").await;
    vbx.text(ANN, "again", &[]).await;
    let sender = vbx.email_sender();

    assert_eq!(sender.step().await.unwrap(), 1);
    let first = only_row(&vbx).await;
    assert_eq!(first.status, OutboxStatus::Pending);
    assert!(
        first.last_error.as_deref().unwrap().contains("451"),
        "{first:?}"
    );

    assert_eq!(sender.step_at(first.next_attempt_at).await.unwrap(), 1);
    let second = only_row(&vbx).await;
    assert_eq!((second.status, second.attempts), (OutboxStatus::Pending, 2));
    let waited = u128::try_from(second.next_attempt_at - first.next_attempt_at).unwrap();
    assert_eq!(
        waited,
        vbx::worker::sender::backoff(1).as_millis(),
        "the wait grows"
    );

    server.answer(None);
    assert_eq!(sender.step_at(second.next_attempt_at).await.unwrap(), 1);
    assert_eq!(server.messages().len(), 1);
    assert_eq!(only_row(&vbx).await.status, OutboxStatus::Sent);
}

#[tokio::test]
async fn line_breaks_in_a_name_or_number_stay_in_the_subject() {
    let server = SmtpServer::start(&[]);
    let vbx = TestApp::start(server.port, "http://127.0.0.1:9", ", security = \"none\"").await;
    vbx.text(EVE, "from a contact", &[]).await;
    vbx.text(
        "+14155550111\r\nBcc: victim@example.com",
        "from a number",
        &[],
    )
    .await;

    assert_eq!(vbx.email_sender().step().await.unwrap(), 2);

    let messages = server.messages();
    assert_eq!(messages.len(), 2);
    for m in &messages {
        assert_eq!(m["rcpt_tos"], serde_json::json!(["me@example.com"]));
        assert!(
            header(m, "Bcc").is_empty() && header(m, "X-Evil").is_empty(),
            "{m}"
        );
        let block = m["header_block"].as_str().unwrap();
        assert_eq!(
            block.lines().filter(|l| l.starts_with("Subject:")).count(),
            1,
            "{block}"
        );
        assert!(
            !block
                .lines()
                .any(|l| l.starts_with("Bcc:") || l.starts_with("X-Evil:")),
            "{block}"
        );
    }
    let subjects: Vec<&str> = messages
        .iter()
        .map(|m| m["subject"].as_str().unwrap())
        .collect();
    assert!(
        subjects.contains(&"SMS From Eve Bcc: victim@example.com X-Evil: 1"),
        "{subjects:?}"
    );
    assert!(
        subjects.contains(&"SMS From +14155550111 Bcc: victim@example.com"),
        "{subjects:?}"
    );
}

#[tokio::test]
async fn send_test_email_delivers_a_test_message() {
    let server = SmtpServer::start(&["--auth", "u:p"]);
    let mut config = device(server.port, SmtpSecurity::None);
    config.username = Some("u".into());
    config.password = Some(vbx::config::Secret::new("p"));

    send_test_email(&config).await.unwrap();

    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["subject"], "vbx test email");
    assert_eq!(
        messages[0]["rcpt_tos"],
        serde_json::json!(["me@example.com"])
    );
}

#[tokio::test]
async fn send_test_email_explains_a_refused_login() {
    let server = SmtpServer::start(&["--auth", "u:right"]);
    let mut config = device(server.port, SmtpSecurity::None);
    config.username = Some("u".into());
    config.password = Some(vbx::config::Secret::new("wrong"));

    let error = send_test_email(&config).await.unwrap_err();

    assert!(error.contains("535"), "{error}");
    assert!(
        error.contains("hint: the server refused the login for username \"u\""),
        "{error}"
    );
}

#[tokio::test]
async fn send_test_email_explains_a_closed_port() {
    let config = device(free_port(), SmtpSecurity::None);

    let error = send_test_email(&config).await.unwrap_err();

    assert!(
        error.contains("hint: nothing accepts connections on 127.0.0.1:"),
        "{error}"
    );
}

#[tokio::test]
async fn send_test_email_explains_tls_to_a_plain_text_port() {
    let server = SmtpServer::start(&[]);
    let config = device(server.port, SmtpSecurity::Tls);

    let error = send_test_email(&config).await.unwrap_err();

    assert!(error.contains("answered in plain text, not TLS"), "{error}");
    assert!(error.contains("security = \"starttls\""), "{error}");
}

#[tokio::test]
async fn send_test_email_explains_a_server_without_starttls() {
    let server = SmtpServer::start(&[]);
    let config = device(server.port, SmtpSecurity::StartTls);

    let error = send_test_email(&config).await.unwrap_err();

    assert!(error.contains("does not offer STARTTLS"), "{error}");
}

#[tokio::test]
async fn send_test_email_explains_an_untrusted_certificate() {
    let server = SmtpServer::start(&["--tls"]);
    let mut config = device(server.port, SmtpSecurity::Tls);
    config.smtp_host = "localhost".into();

    let error = send_test_email(&config).await.unwrap_err();

    assert!(error.contains("UnknownIssuer"), "{error}");
    assert!(
        error.contains("hint: the server's TLS certificate was not accepted"),
        "{error}"
    );
}

#[tokio::test]
async fn send_test_email_explains_a_tls_port_that_never_greets() {
    let server = SmtpServer::start(&["--tls"]);
    let config = device(server.port, SmtpSecurity::None);

    let error = send_test_email_within(&config, Duration::from_millis(500))
        .await
        .unwrap_err();

    assert!(error.contains("did not answer in time"), "{error}");
    assert!(error.contains("another security mode"), "{error}");
}

#[test]
fn the_send_test_email_command_reports_success_and_problems() {
    let server = SmtpServer::start(&[]);
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("vbx.toml");
    let toml = config(server.port, "http://127.0.0.1:9", ", security = \"none\"")
        .replace("[calls]", "work = { type = \"email\", from = \"a@example.com\", to = \"b@example.com\", smtp_host = \"127.0.0.1\", smtp_port = 1, security = \"none\" }\n\n[calls]");
    std::fs::write(&path, toml).unwrap();
    let no_env = |_: &str| None;
    let run = |device: Option<&str>| {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = vbx::cli::send_test_email(&path, device, &no_env, &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    };

    let (code, _, err) = run(None);
    assert_eq!(code, std::process::ExitCode::FAILURE);
    assert!(
        err.contains("several email devices (`inbox`, `work`)"),
        "{err}"
    );

    let (code, out, err) = run(Some("inbox"));
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{err}");
    assert!(
        out.contains("Sent a test email from vbx@example.com to me@example.com"),
        "{out}"
    );
    assert_eq!(server.messages().len(), 1);

    let (code, _, err) = run(Some("work"));
    assert_eq!(code, std::process::ExitCode::FAILURE);
    assert!(
        err.contains("device `work`: ") && err.contains("hint: "),
        "{err}"
    );
}
