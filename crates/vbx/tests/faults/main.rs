//! Everything failing at once under the real binary: with texts coming in (routed to an XMPP
//! device on a real Prosody, an email device on a real SMTP server and a cell phone by SMS)
//! and texts going out, the SMTP server goes down, Prosody stops and Twilio's REST API
//! answers 500; then each comes back. Nothing is lost and nothing is delivered twice.
//!
//! The harnesses are the shared one and the other test binaries' (real processes on free
//! ports); this binary uses only part of each.

#[allow(dead_code)]
#[path = "../xmpp/client.rs"]
mod client;
#[path = "../common/mod.rs"]
mod common;
#[allow(dead_code)]
#[path = "../crash/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "../xmpp/prosody.rs"]
mod prosody;
#[allow(dead_code)]
#[path = "../email/smtp.rs"]
mod smtp;

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};
use sqlx::SqlitePool;
use twilio_sim::{InboundText, MessageDirection};
use vbx::device::xmpp::stream::{Element, NS_CLIENT};
use vbx::store::outbox::{self, OutboxItem, OutboxStatus};

use client::{child_text, is_from, Client};
use harness::{until, Builder, Setup, TestSim, User, OUTSIDE};
use prosody::{Prosody, COMPONENT, PASSWORD, TARGET};
use smtp::SmtpServer;

const ALICE_PASSWORD: &str = "alice-faults-password";
const SECRET: &str = "component-secret-for-faults";
const CELL: &str = "+18005555555";
/// Someone the owner writes to from the XMPP client.
const FRIEND: &str = "+14155550300";
/// Long enough for any step below on a loaded machine, retry backoffs included.
const PATIENCE: Duration = Duration::from_secs(300);

fn setup(sim: &TestSim, prosody: &Prosody, smtp_port: u16) -> Setup {
    let flows = format!(
        r#"
[devices]
jabber = {{ type = "xmpp", component = "{COMPONENT}", secret = "{SECRET}", server = "127.0.0.1", port = {xmpp_port}, target = "{TARGET}" }}
inbox  = {{ type = "email", from = "vbx@example.com", to = "me@example.com", smtp_host = "127.0.0.1", smtp_port = {smtp_port}, security = "none" }}
cell   = {{ type = "sms", number = "{CELL}" }}

[calls]
default = [ {{ step = "hangup" }} ]

[messages]
default = [
  {{ step = "device", devices = ["jabber"] }},
  {{ step = "device", devices = ["inbox"] }},
  {{ step = "device", devices = ["cell"] }},
]

[contacts]
"{OUTSIDE}" = "Outside"
"#,
        xmpp_port = prosody.component_port,
    );
    Builder::new(&flows)
        .sim(sim)
        .twilio("sync_interval_seconds = 2")
        .user("alice", ALICE_PASSWORD)
        .setup()
}

fn jid(number: &str) -> String {
    format!("{number}@{COMPONENT}")
}

/// A text from [`OUTSIDE`] arriving at the number through the simulator.
fn text_arrives(sim: &TestSim, body: &str) {
    sim.sim()
        .incoming_message(InboundText {
            from: OUTSIDE.into(),
            to: sim.number(),
            body: body.into(),
            media: vec![],
        })
        .expect("the text arrives");
}

async fn rows(db: &SqlitePool, kind: &str) -> Vec<OutboxItem> {
    let mut rows: Vec<OutboxItem> = outbox::list(db, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == kind)
        .collect();
    rows.reverse();
    rows
}

/// Waits until there are `count` rows of `kind` and each has failed at least once.
async fn all_failed_once(db: &SqlitePool, kind: &str, count: usize) {
    until(
        &format!("{count} {kind} rows to have failed once"),
        PATIENCE,
        || async {
            let rows = rows(db, kind).await;
            let failed = rows
                .iter()
                .filter(|r| r.status != OutboxStatus::Sent)
                .filter(|r| r.attempts >= 1)
                .count();
            (failed == count).then_some(())
        },
    )
    .await;
}

/// Waits until everything queued (texts, emails, XMPP messages) is sent.
async fn outbox_done(user: &User, db: &SqlitePool) {
    until("everything in the outbox to be sent", PATIENCE, || async {
        let status = user.status().await;
        let rows = outbox::list(db, None, 1000).await.unwrap();
        let all_sent = rows.iter().all(|r| r.status == OutboxStatus::Sent);
        (all_sent && status["outbox"] == json!({"pending": 0, "failed": 0})).then_some(())
    })
    .await;
}

async fn device_online(user: &User, name: &str) -> Value {
    let status = user.status().await;
    status["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name)
        .map(|d| d["online"].clone())
        .unwrap_or(Value::Null)
}

/// A text vbx gave the XMPP client: its stanza id and body.
fn as_text(stanza: &Element) -> Option<(String, String)> {
    let from = stanza.attr("from")?;
    let from_gateway = from
        .split('/')
        .next()
        .is_some_and(|bare| bare.ends_with(&format!("@{COMPONENT}")));
    if !(stanza.is("message", NS_CLIENT) && from_gateway) {
        return None;
    }
    let body = child_text(stanza, "body", NS_CLIENT)?;
    Some((stanza.attr("id").unwrap_or_default().to_owned(), body))
}

/// Reads the client's stanzas until every body in `bodies` has arrived; keeps every text.
async fn receive(client: &mut Client, bodies: &[String], got: &mut Vec<(String, String)>) {
    while !bodies.iter().all(|b| got.iter().any(|(_, body)| body == b)) {
        let stanza = client
            .wait_for("texts from vbx", |s| as_text(s).is_some())
            .await;
        got.extend(as_text(&stanza));
    }
}

/// Logs the target in and waits until vbx shows it a contact's presence (so vbx sees the
/// target online too).
async fn target_online(prosody: &Prosody) -> Client {
    let mut target = Client::login(prosody.c2s_port, TARGET, PASSWORD, "phone").await;
    target.available().await;
    target
        .wait_for("a contact's presence", |s| {
            is_from(s, "presence", &jid(OUTSIDE)) && s.attr("type").is_none()
        })
        .await;
    target
}

fn email_text(message: &Value) -> String {
    message["text"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_smtp_prosody_and_twilio_down_at_once_every_text_arrives_once_after_they_recover() {
    let sim = TestSim::start_retrying(0, Duration::from_secs(15)).await;
    let mut prosody = Prosody::start(SECRET);
    let first_smtp = SmtpServer::start(&[]);
    let smtp_port = first_smtp.port;
    let setup = setup(&sim, &prosody, smtp_port);
    let vbx = setup.start("vbx.log").await;
    setup.wire(&sim).await;
    let alice = User::login(&setup, "alice", ALICE_PASSWORD).await;
    let db = setup.open_db().await;
    let mut target = target_online(&prosody).await;
    until("the XMPP device to be online", PATIENCE, || async {
        (device_online(&alice, "jabber").await == json!(true)).then_some(())
    })
    .await;

    let mut to_xmpp: Vec<String> = Vec::new();
    let mut incoming: Vec<String> = Vec::new();
    let mut outgoing: Vec<(String, String)> = Vec::new();
    let mut xmpp_got: Vec<(String, String)> = Vec::new();

    // Everything works.
    for i in 0..3 {
        let body = format!("before the outage {i}");
        text_arrives(&sim, &body);
        incoming.push(body.clone());
        to_xmpp.push(body);
    }
    let to = "+14155550301";
    alice.send_text(to, "sent before the outage").await;
    outgoing.push((to.into(), "sent before the outage".into()));
    receive(&mut target, &to_xmpp, &mut xmpp_got).await;
    until("the first emails", PATIENCE, || async {
        (first_smtp.messages().len() == 3).then_some(())
    })
    .await;
    outbox_done(&alice, &db).await;

    // Twilio's REST API fails; the owner answers from the XMPP client meanwhile.
    sim.sim().fail_requests_for(Duration::from_secs(3600));
    target
        .chat(&jid(FRIEND), "written while Twilio fails", &[])
        .await;
    outgoing.push((FRIEND.into(), "written while Twilio fails".into()));
    until("vbx to queue the owner's text", PATIENCE, || async {
        let rows = rows(&db, "sms").await;
        rows.iter()
            .any(|r| r.payload.contains("written while Twilio fails"))
            .then_some(())
    })
    .await;
    // The SMTP server goes away (what it had accepted is kept for the count).
    let mut emails: Vec<Value> = first_smtp.messages();
    drop(first_smtp);
    // Prosody stops: the client and vbx's component lose their connections.
    prosody.kill();
    drop(target);
    until("vbx to see the XMPP device offline", PATIENCE, || async {
        (device_online(&alice, "jabber").await == json!(false)).then_some(())
    })
    .await;

    // Traffic during the outage.
    for i in 0..3 {
        let body = format!("during the outage {i}");
        text_arrives(&sim, &body);
        incoming.push(body);
    }
    for i in 0..2 {
        let (to, body) = (
            format!("+1415555031{i}"),
            format!("sent during the outage {i}"),
        );
        alice.send_text(&to, &body).await;
        outgoing.push((to, body));
    }
    all_failed_once(&db, "email", 3).await;
    all_failed_once(&db, "sms", 3).await;
    let status = alice.status().await;
    assert_eq!(status["twilio"]["reachable"], false, "{status}");

    // Each comes back: Prosody, then the SMTP server, then Twilio.
    let connections = prosody.component_connections();
    prosody.restart();
    until("vbx's component to reconnect", PATIENCE, || async {
        (prosody.component_connections() > connections).then_some(())
    })
    .await;
    let mut target = target_online(&prosody).await;
    until("the XMPP device to be online again", PATIENCE, || async {
        (device_online(&alice, "jabber").await == json!(true)).then_some(())
    })
    .await;
    let second_smtp = SmtpServer::start_on(smtp_port, &[]);
    sim.sim().clear_faults();

    // Traffic after the recovery; the last text comes after everything else is out.
    for i in 0..2 {
        let body = format!("after the outage {i}");
        text_arrives(&sim, &body);
        incoming.push(body.clone());
        to_xmpp.push(body);
    }
    outbox_done(&alice, &db).await;
    let last = "the last text".to_owned();
    text_arrives(&sim, &last);
    incoming.push(last.clone());
    to_xmpp.push(last);
    receive(&mut target, &to_xmpp, &mut xmpp_got).await;
    until("every email", PATIENCE, || async {
        (emails.len() + second_smtp.messages().len() == incoming.len()).then_some(())
    })
    .await;
    emails.extend(second_smtp.messages());

    // Emails: one per incoming text.
    for body in &incoming {
        let copies = emails
            .iter()
            .filter(|m| email_text(m).starts_with(&format!("{body}\n")))
            .count();
        assert_eq!(copies, 1, "emails of {body:?}: {emails:#?}");
    }
    assert_eq!(emails.len(), incoming.len());

    // XMPP: every text vbx queued for the client reached it once, by its stable id.
    let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
    for (id, _) in &xmpp_got {
        *ids.entry(id.as_str()).or_default() += 1;
    }
    assert!(ids.values().all(|n| *n == 1), "{xmpp_got:#?}");
    let queued: Vec<String> = rows(&db, "xmpp")
        .await
        .iter()
        .map(|r| format!("vbx-{}", r.id))
        .collect();
    assert_eq!(
        ids.keys().map(|id| id.to_string()).collect::<Vec<_>>(),
        {
            let mut sorted = queued.clone();
            sorted.sort();
            sorted
        },
        "{xmpp_got:#?}"
    );
    for body in &to_xmpp {
        let copies = xmpp_got.iter().filter(|(_, b)| b == body).count();
        assert_eq!(copies, 1, "{body:?}: {xmpp_got:#?}");
    }

    // SMS at Twilio: one forward to the cell per incoming text, one message per text sent.
    let at_twilio: Vec<_> = sim
        .sim()
        .messages()
        .into_iter()
        .filter(|m| m.direction != MessageDirection::Inbound)
        .collect();
    for body in &incoming {
        let forwards = at_twilio
            .iter()
            .filter(|m| m.to == CELL && m.body == format!("From: Outside\n{body}"))
            .count();
        assert_eq!(forwards, 1, "forwards of {body:?}: {at_twilio:#?}");
    }
    for (to, body) in &outgoing {
        let copies = at_twilio
            .iter()
            .filter(|m| &m.to == to && &m.body == body)
            .count();
        assert_eq!(copies, 1, "{to} {body:?}: {at_twilio:#?}");
    }
    assert_eq!(at_twilio.len(), incoming.len() + outgoing.len());
    let status = alice.status().await;
    assert_eq!(status["twilio"]["reachable"], true, "{status}");
    db.close().await;

    assert!(vbx.terminate().await.success());
    let stored = setup.stored_messages().await;
    assert!(stored.iter().all(|(_, n)| *n == 1), "{stored:?}");
    assert_eq!(setup.integrity().await, "ok");
}
