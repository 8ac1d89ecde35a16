//! Texts: incoming texts reach `SmsUrl` signed, replies become outbound messages that go
//! queued → sent → delivered with signed status callbacks, redirects, failures, limits.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use twilio_sim::{
    DeliveryError, InboundMedia, InboundText, MessageDirection, MessageStatus, Settings,
};

use crate::app::Canned;
use crate::support::*;

fn text(body: &str) -> InboundText {
    InboundText {
        from: CALLER.into(),
        to: NUMBER.into(),
        body: body.into(),
        media: Vec::new(),
    }
}

/// The outbound messages the simulator holds, oldest first.
fn outbound(world: &World) -> Vec<twilio_sim::Message> {
    world
        .sim()
        .messages()
        .into_iter()
        .filter(|m| m.direction != MessageDirection::Inbound)
        .collect()
}

#[tokio::test]
async fn an_incoming_text_reaches_the_sms_url_and_its_reply_is_delivered_with_status_callbacks_in_order(
) {
    let world = World::start().await;
    world
        .configure_number(&[("SmsUrl", &world.app.url("/sms"))])
        .await;
    world.app.answer(
        "/sms",
        r#"<Response><Message action="status">Thanks!</Message></Response>"#,
    );
    let sid = world.sim().incoming_message(text("hello")).unwrap();

    let hit = &world.app.wait_for("/sms", 1).await[0];
    assert!(hit.signed);
    assert_eq!(hit.method, "POST");
    for (name, value) in [
        ("MessageSid", sid.as_str()),
        ("SmsSid", sid.as_str()),
        ("SmsMessageSid", sid.as_str()),
        ("AccountSid", ACCOUNT),
        ("From", CALLER),
        ("To", NUMBER),
        ("Body", "hello"),
        ("NumMedia", "0"),
        ("NumSegments", "1"),
        ("SmsStatus", "received"),
        ("ApiVersion", "2010-04-01"),
    ] {
        assert_eq!(hit.param(name), value, "{name}");
    }
    let inbound = world.sim().message(&sid).unwrap();
    assert_eq!(inbound.status, MessageStatus::Received);
    assert_eq!(inbound.direction, MessageDirection::Inbound);

    let reply = world.sim().wait_until(WAIT, outbound_of).await.unwrap();
    assert_eq!(reply.direction, MessageDirection::OutboundReply);
    assert_eq!((reply.from.as_str(), reply.to.as_str()), (NUMBER, CALLER));
    assert_eq!(reply.body, "Thanks!");
    let delivered = world
        .sim()
        .wait_for_message_status(&reply.sid, MessageStatus::Delivered, WAIT)
        .await
        .unwrap();
    assert!(delivered.date_sent.is_some());
    assert_eq!(
        world.sim().trace(reply.sid.as_str()).statuses,
        ["queued", "sent", "delivered"]
    );

    let callbacks = world.app.wait_for("/status", 2).await;
    let statuses: Vec<&str> = callbacks.iter().map(|h| h.param("MessageStatus")).collect();
    assert_eq!(statuses, ["sent", "delivered"]);
    for hit in &callbacks {
        assert!(hit.signed);
        assert_eq!(hit.param("MessageSid"), reply.sid.as_str());
        assert_eq!(hit.param("SmsStatus"), hit.param("MessageStatus"));
        assert_eq!(hit.param("AccountSid"), ACCOUNT);
        assert_eq!((hit.param("From"), hit.param("To")), (NUMBER, CALLER));
        assert!(hit.params.get("ErrorCode").is_none());
    }
}

fn outbound_of(sim: &twilio_sim::Sim) -> Option<twilio_sim::Message> {
    sim.messages()
        .into_iter()
        .find(|m| m.direction == MessageDirection::OutboundReply)
}

#[tokio::test]
async fn a_redirect_is_followed_relative_to_the_current_url_with_its_method() {
    let world = World::start().await;
    world
        .configure_number(&[("SmsUrl", &world.app.url("/flow/msg/main"))])
        .await;
    world.app.answer(
        "/flow/msg/main",
        r#"<Response><Redirect method="GET">next?step=2</Redirect></Response>"#,
    );
    world.app.answer(
        "/flow/msg/next",
        r#"<Response><Message to="+14155550199" from="+15005550006"><Body>one</Body></Message><Message>two</Message></Response>"#,
    );
    let sid = world.sim().incoming_message(text("go")).unwrap();

    let next = &world.app.wait_for("/flow/msg/next", 1).await[0];
    assert_eq!(next.method, "GET");
    assert!(next.signed, "a GET is signed over its URL with the query");
    assert!(next.path.starts_with("/flow/msg/next?step=2&"));
    assert_eq!(next.param("MessageSid"), sid.as_str());
    assert_eq!(next.param("Body"), "go");

    let replies = world
        .sim()
        .wait_until(WAIT, |sim| {
            let replies: Vec<_> = sim
                .messages()
                .into_iter()
                .filter(|m| m.direction == MessageDirection::OutboundReply)
                .collect();
            (replies.len() == 2).then_some(replies)
        })
        .await
        .unwrap();
    assert_eq!(
        (replies[0].to.as_str(), replies[0].body.as_str()),
        ("+14155550199", "one")
    );
    assert_eq!(
        (replies[1].to.as_str(), replies[1].body.as_str()),
        (CALLER, "two")
    );
    let purposes: Vec<String> = world
        .sim()
        .webhooks_of(sid.as_str())
        .into_iter()
        .map(|w| w.purpose)
        .collect();
    assert_eq!(purposes, ["sms", "redirect"]);
}

#[tokio::test]
async fn a_plain_text_answer_is_sent_back_as_a_message() {
    let world = World::start().await;
    world
        .configure_number(&[("SmsUrl", &world.app.url("/sms"))])
        .await;
    world.app.answer_with(
        "/sms",
        vec![Canned {
            content_type: "text/plain; charset=utf-8",
            ..Canned::twiml("Got it <3")
        }],
    );
    world.sim().incoming_message(text("hi")).unwrap();
    let reply = world.sim().wait_until(WAIT, outbound_of).await.unwrap();
    assert_eq!(reply.body, "Got it <3");
    assert_eq!(reply.to, CALLER);
}

#[tokio::test]
async fn messages_to_an_undeliverable_number_end_with_the_armed_error_code() {
    let world = World::start().await;
    let status_url = world.app.url("/status");
    world
        .sim()
        .fail_messages_to("+14155550111", DeliveryError::Unreachable);
    world
        .sim()
        .fail_messages_to("+14155550112", DeliveryError::QueueOverflow);
    let mut sids = Vec::new();
    for to in ["+14155550111", "+14155550112"] {
        let (status, body) = world
            .rest_post(
                "Messages.json",
                &[
                    ("To", to),
                    ("From", NUMBER),
                    ("Body", "hi"),
                    ("StatusCallback", &status_url),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        sids.push(body["sid"].as_str().unwrap().parse().unwrap());
    }

    let undelivered = world
        .sim()
        .wait_for_message_status(&sids[0], MessageStatus::Undelivered, WAIT)
        .await
        .unwrap();
    assert_eq!(undelivered.error_code, Some(30003));
    let failed = world
        .sim()
        .wait_for_message_status(&sids[1], MessageStatus::Failed, WAIT)
        .await
        .unwrap();
    assert_eq!(failed.error_code, Some(30001));
    assert_eq!(failed.date_sent, None);
    assert_eq!(
        world.sim().trace(sids[1].as_str()).statuses,
        ["queued", "failed"]
    );

    let hits = world.app.wait_for("/status", 3).await;
    let seen: Vec<(&str, &str, Option<&str>)> = hits
        .iter()
        .map(|h| {
            (
                h.param("To"),
                h.param("MessageStatus"),
                h.params.get("ErrorCode"),
            )
        })
        .collect();
    let first: Vec<_> = seen.iter().filter(|s| s.0 == "+14155550111").collect();
    assert_eq!(
        first,
        [
            &("+14155550111", "sent", None),
            &("+14155550111", "undelivered", Some("30003"))
        ]
    );
    assert!(seen.contains(&("+14155550112", "failed", Some("30001"))));
}

#[tokio::test]
async fn a_failing_sms_url_is_logged_as_11200_and_the_fallback_url_gets_the_error() {
    let world = World::start().await;
    world
        .configure_number(&[
            ("SmsUrl", &world.app.url("/broken")),
            ("SmsFallbackUrl", &world.app.url("/fallback")),
        ])
        .await;
    world.app.answer_with(
        "/broken",
        vec![Canned {
            status: 500,
            ..Canned::twiml("oops")
        }],
    );
    world
        .app
        .answer("/fallback", "<Response><Message>Sorry</Message></Response>");
    let sid = world.sim().incoming_message(text("hi")).unwrap();

    let fallback = &world.app.wait_for("/fallback", 1).await[0];
    assert!(fallback.signed);
    assert_eq!(fallback.param("ErrorCode"), "11200");
    assert_eq!(fallback.param("ErrorUrl"), world.app.url("/broken"));
    assert_eq!(fallback.param("MessageSid"), sid.as_str());
    let reply = world.sim().wait_until(WAIT, outbound_of).await.unwrap();
    assert_eq!(reply.body, "Sorry");
    let log = world.sim().webhooks_of(sid.as_str());
    assert_eq!(log[0].status, Some(500));
    assert_eq!(log[0].error_code, Some(11200));
    assert_eq!(log[1].purpose, "sms-fallback");
    assert_eq!(log[1].error_code, None);
}

#[tokio::test]
async fn an_answer_that_is_not_twiml_is_logged_as_12100_and_sends_nothing() {
    let world = World::start().await;
    world
        .configure_number(&[("SmsUrl", &world.app.url("/sms"))])
        .await;
    world
        .app
        .answer("/sms", "<Response><Dial>+14155550100</Dial></Response>");
    let sid = world.sim().incoming_message(text("hi")).unwrap();
    let log = world
        .sim()
        .wait_until(WAIT, |sim| {
            let log = sim.webhooks_of(sid.as_str());
            log.first().and_then(|w| w.error_code).map(|_| log)
        })
        .await
        .unwrap();
    assert_eq!(log[0].error_code, Some(12100));
    assert_eq!(log[0].status, Some(200));
    assert!(outbound(&world).is_empty());
}

#[tokio::test]
async fn a_webhook_that_answers_too_late_fails_with_11205_and_retries_when_asked() {
    let world = World::start().await;
    world.sim().set_settings(Settings {
        webhook_timeout: Duration::from_millis(200),
        webhook_retries: 1,
        ..Settings::fast()
    });
    world
        .configure_number(&[("SmsUrl", &world.app.url("/sms"))])
        .await;
    world.app.answer_with(
        "/sms",
        vec![
            Canned {
                delay: Some(Duration::from_secs(3)),
                ..Canned::twiml("<Response/>")
            },
            Canned::twiml("<Response><Message>second try</Message></Response>"),
        ],
    );
    let sid = world.sim().incoming_message(text("hi")).unwrap();
    let reply = world.sim().wait_until(WAIT, outbound_of).await.unwrap();
    assert_eq!(reply.body, "second try");
    let log = world.sim().webhooks_of(sid.as_str());
    assert_eq!(
        log.iter()
            .map(|w| (w.attempt, w.error_code))
            .collect::<Vec<_>>(),
        [(1, Some(11205)), (2, None)]
    );
    let hits = world.app.hits_to("/sms");
    assert_eq!(hits.len(), 2);
    assert!(hits[0].idempotency_token.is_some());
    assert_eq!(
        hits[0].idempotency_token, hits[1].idempotency_token,
        "a retry carries the same idempotency token"
    );
}

#[tokio::test]
async fn a_redirect_loop_stops_after_50_documents_with_warning_14106() {
    let world = World::start().await;
    world
        .configure_number(&[("SmsUrl", &world.app.url("/loop"))])
        .await;
    world
        .app
        .answer("/loop", "<Response><Redirect>loop</Redirect></Response>");
    let sid = world.sim().incoming_message(text("hi")).unwrap();
    world
        .sim()
        .wait_until(WAIT, |sim| {
            sim.trace(sid.as_str())
                .events
                .iter()
                .any(|e| e.starts_with("error 14106"))
                .then_some(())
        })
        .await
        .unwrap();
    assert_eq!(world.app.hits_to("/loop").len(), 50);
}

#[tokio::test]
async fn an_incoming_picture_message_carries_media_urls_that_serve_the_content() {
    let world = World::start().await;
    world
        .configure_number(&[("SmsUrl", &world.app.url("/sms"))])
        .await;
    let sid = world
        .sim()
        .incoming_message(InboundText {
            media: vec![InboundMedia {
                content_type: "image/png".into(),
                content: b"\x89PNG fake".to_vec(),
            }],
            ..text("")
        })
        .unwrap();
    assert!(sid.as_str().starts_with("MM"));
    let hit = &world.app.wait_for("/sms", 1).await[0];
    assert_eq!(hit.param("NumMedia"), "1");
    assert_eq!(hit.param("MediaContentType0"), "image/png");
    let url = hit.param("MediaUrl0");
    let media = &world.sim().media_of(&sid)[0];
    assert_eq!(
        url,
        format!(
            "{}/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}/Media/{}",
            world.handle.base_url(),
            media.sid
        )
    );
    let content = world
        .http
        .get(url)
        .basic_auth(ACCOUNT, Some(TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(content.status(), StatusCode::OK);
    assert_eq!(content.bytes().await.unwrap().as_ref(), b"\x89PNG fake");
}

#[tokio::test]
async fn the_control_api_places_a_text_and_shows_its_story() {
    let world = World::start().await;
    world
        .configure_number(&[("SmsUrl", &world.app.url("/sms"))])
        .await;
    world.app.answer("/sms", "<Response/>");
    let (status, body) = world
        .control(
            Method::POST,
            "messages/incoming",
            Some(json!({
                "from": CALLER, "to": NUMBER, "body": "via control",
                "media": [{"content_type": "text/plain", "bytes_base64": "aGk="}],
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let sid = body["sid"].as_str().unwrap().to_owned();
    world.app.wait_for("/sms", 1).await;
    let (status, story) = world
        .control(Method::GET, &format!("messages/{sid}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(story["message"]["body"], "via control");
    assert_eq!(story["message"]["num_media"], "1");
    assert_eq!(story["trace"]["statuses"], json!(["received"]));
    assert_eq!(story["webhooks"][0]["purpose"], "sms");
    assert_eq!(story["webhooks"][0]["status"], 200);

    let (status, body) = world
        .control(
            Method::POST,
            "messages/incoming",
            Some(json!({"from": CALLER, "to": "+19995550000", "body": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}
