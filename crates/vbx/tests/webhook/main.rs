//! The webhooks as Twilio uses them: the real server on port 0, a temporary store, signed
//! requests. A golden table covers every step, every device, the outgoing call, the SMS relay
//! (`relay.rs`), escaping, and every error status.

#[path = "../common/mod.rs"]
mod common;

mod concurrent;
mod harness;
mod hours;
mod relay;
mod screen;
mod voicemail;

use harness::*;
use vbx::store::{call, message, outbox, recording};

const EMPTY: &str = "<Response />";

fn answer(xml: &str) -> String {
    format!("<Response>{xml}</Response>")
}

async fn run_call(app: &TestApp, alias: &str, from: &str) -> Reply {
    let params = call_params(&sid("CA"), from);
    app.post_signed(&format!("/flow/voice/{alias}"), &borrow(&params))
        .await
}

#[tokio::test]
async fn every_call_step_answers_with_its_golden_twiml() {
    let app = TestApp::start().await;
    let table: &[(&str, String)] = &[
        (
            "default",
            answer("<Redirect>https://vbx.example.com/flow/voice/phone</Redirect>"),
        ),
        (
            "phone",
            answer(concat!(
                r#"<Dial action="https://vbx.example.com/flow/voice/phone/dial?step=0">"#,
                "<Number>+18005555555</Number></Dial>"
            )),
        ),
        (
            "greet",
            answer(concat!(
                r#"<Say language="en-GB" loop="2" voice="man">Hi &lt;&amp;"'&gt; ünïcödé 📞</Say>"#,
                r#"<Pause length="2" />"#,
                r#"<Play loop="3">https://example.com/hold.mp3</Play>"#,
                r#"<Play digits="w123#" loop="1" />"#,
            )),
        ),
        (
            "voicemail",
            answer(concat!(
                r#"<Say language="en" loop="1" voice="woman">Leave a message</Say>"#,
                r#"<Record action="https://vbx.example.com/flow/voice/voicemail/record?step=1" "#,
                r#"maxLength="60" recordingStatusCallback="https://vbx.example.com/flow/status/recording" />"#,
            )),
        ),
        ("bye", answer("<Hangup />")),
        ("busy", answer(r#"<Reject reason="busy" />"#)),
        (
            "away",
            answer("<Redirect>https://vbx.example.com/flow/voice/phone</Redirect>"),
        ),
        (
            "elsewhere",
            answer("<Redirect>https://other.example.com/twiml?x=1&amp;y=2</Redirect>"),
        ),
        ("texter", answer("<Hangup />")),
        (
            "everyone",
            answer(concat!(
                r#"<Dial action="https://vbx.example.com/flow/voice/everyone/dial?step=0" "#,
                r#"timeout="20"><Number>+18005550001</Number><Number>+18005550002</Number>"#,
                "<Client>alice</Client></Dial>",
            )),
        ),
        (
            "room",
            answer(concat!(
                r#"<Dial action="https://vbx.example.com/flow/voice/room/dial?step=0">"#,
                "<Conference>standup</Conference></Dial>"
            )),
        ),
        (
            "line",
            answer(concat!(
                r#"<Dial action="https://vbx.example.com/flow/voice/line/dial?step=0">"#,
                "<Queue>support</Queue></Dial>"
            )),
        ),
        (
            "desk",
            answer(concat!(
                r#"<Dial action="https://vbx.example.com/flow/voice/desk/dial?step=0">"#,
                "<Sip>sip:desk@example.com</Sip></Dial>"
            )),
        ),
        (
            "fallback",
            answer(r#"<Say language="en" loop="1" voice="woman">Nobody is here</Say>"#),
        ),
    ];
    for (alias, expected) in table {
        let reply = run_call(&app, alias, CALLER).await;
        assert_eq!(reply.twiml(), expected, "call flow `{alias}`");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_incoming_call_rings_the_online_browser_and_falls_back_when_unanswered() {
    let app = TestApp::start().await;
    app.presence.browser_registered("vbx");
    let call_sid = sid("CA");
    let params = call_params(&call_sid, CALLER);
    let reply = app
        .post_signed("/flow/voice/default", &borrow(&params))
        .await;
    assert_eq!(
        reply.twiml(),
        answer(concat!(
            r#"<Dial action="https://vbx.example.com/flow/voice/default/dial?step=0" timeout="30">"#,
            "<Client>vbx</Client></Dial>"
        ))
    );

    let mut action = params.clone();
    action.push(("DialCallStatus", "no-answer".into()));
    action.push(("DialCallSid", sid("CA")));
    let reply = app
        .post_signed("/flow/voice/default/dial?step=0", &borrow(&action))
        .await;
    assert_eq!(
        reply.twiml(),
        answer("<Redirect>https://vbx.example.com/flow/voice/phone</Redirect>")
    );

    let mut action = params.clone();
    action.push(("DialCallStatus", "completed".into()));
    let reply = app
        .post_signed("/flow/voice/default/dial?step=0", &borrow(&action))
        .await;
    assert_eq!(reply.twiml(), answer("<Hangup />"));

    // Completion is per request: once the browser has gone, the next call falls back at once.
    app.presence.browser_unregistered("vbx");
    let reply = run_call(&app, "default", CALLER).await;
    assert_eq!(
        reply.twiml(),
        answer("<Redirect>https://vbx.example.com/flow/voice/phone</Redirect>")
    );
    let stored = call::get_call(app.store.pool(), &call_sid)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.from_number, CALLER);
    assert_eq!(stored.alias.as_deref(), Some("default"));
    app.stop().await;
}

#[tokio::test]
async fn an_unanswered_browser_without_next_continues_with_the_following_steps() {
    let app = TestApp::start().await;
    app.presence.browser_registered("vbx");
    let params = call_params(&sid("CA"), CALLER);
    let mut action = params.clone();
    action.push(("DialCallStatus", "busy".into()));
    let reply = app
        .post_signed("/flow/voice/fallback/dial?step=0", &borrow(&action))
        .await;
    assert_eq!(
        reply.twiml(),
        answer(r#"<Say language="en" loop="1" voice="woman">Nobody is here</Say>"#)
    );
    app.stop().await;
}

#[tokio::test]
async fn an_outgoing_browser_call_dials_once_with_the_number_as_caller_id() {
    let app = TestApp::start().await;
    let mut params = call_params(&sid("CA"), "client:vbx");
    params.retain(|(k, _)| *k != "To");
    params.push(("To", "(415) 555-0123".into()));
    let reply = app
        .post_signed("/flow/voice/default", &borrow(&params))
        .await;
    assert_eq!(
        reply.twiml(),
        answer(concat!(
            r#"<Dial action="https://vbx.example.com/flow/voice/default/outgoing" "#,
            r#"callerId="+18001234567"><Number>+14155550123</Number></Dial>"#
        ))
    );

    let mut params = call_params(&sid("CA"), "client:vbx");
    params.retain(|(k, _)| *k != "To");
    params.push(("To", "alice".into()));
    let reply = app
        .post_signed("/flow/voice/default", &borrow(&params))
        .await;
    assert_eq!(
        reply.twiml(),
        answer(concat!(
            r#"<Dial action="https://vbx.example.com/flow/voice/default/outgoing" "#,
            r#"callerId="+18001234567"><Client>alice</Client></Dial>"#
        ))
    );
    app.stop().await;
}

#[tokio::test]
async fn a_recording_is_stored_and_the_flow_goes_on_after_it() {
    let app = TestApp::start().await;
    let call_sid = sid("CA");
    let recording_sid = sid("RE");
    let url =
        format!("https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{recording_sid}");
    let mut params = call_params(&call_sid, CALLER);
    params.push(("RecordingUrl", url.clone()));
    params.push(("RecordingSid", recording_sid.clone()));
    params.push(("RecordingDuration", "7".into()));
    params.push(("Digits", "hangup".into()));
    let reply = app
        .post_signed("/flow/voice/voicemail/record?step=1", &borrow(&params))
        .await;
    assert_eq!(
        reply.twiml(),
        answer(r#"<Say language="en" loop="1" voice="woman">Thanks, goodbye</Say>"#)
    );
    let status = [
        ("AccountSid", ACCOUNT),
        ("CallSid", call_sid.as_str()),
        ("RecordingSid", recording_sid.as_str()),
        ("RecordingUrl", url.as_str()),
        ("RecordingStatus", "completed"),
        ("RecordingDuration", "7"),
        ("RecordingChannels", "1"),
        ("RecordingSource", "RecordVerb"),
    ];
    let reply = app.post_signed("/flow/status/recording", &status).await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    let stored = recording::recordings_of_call(app.store.pool(), &call_sid)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1, "one recording, however many callbacks");
    assert_eq!(stored[0].url, url);
    assert_eq!(stored[0].duration_s, Some(7));
    app.stop().await;
}

#[tokio::test]
async fn a_message_step_in_a_call_flow_queues_one_sms_to_the_caller_even_when_twilio_retries() {
    let app = TestApp::start().await;
    let params = call_params(&sid("CA"), CALLER);
    for _ in 0..2 {
        let reply = app
            .post_signed("/flow/voice/texter", &borrow(&params))
            .await;
        assert_eq!(reply.twiml(), answer("<Hangup />"));
    }
    let queued = outbox::list(app.store.pool(), None, 10).await.unwrap();
    assert_eq!(queued.len(), 1, "{queued:?}");
    let payload: serde_json::Value = queued[0].payload_as().unwrap();
    assert_eq!(payload["to"], CALLER);
    assert_eq!(payload["from"], NUMBER);
    assert_eq!(payload["body"], "Sorry we missed you & we'll call back");
    app.stop().await;
}

#[tokio::test]
async fn a_repeated_call_sid_is_stored_once() {
    let app = TestApp::start().await;
    let call_sid = sid("CA");
    let params = call_params(&call_sid, CALLER);
    for _ in 0..3 {
        app.post_signed("/flow/voice/phone", &borrow(&params)).await;
    }
    let calls = call::list_calls(
        app.store.pool(),
        &call::CallQuery {
            number: None,
            before_ms: None,
            limit: 10,
        },
    )
    .await
    .unwrap();
    assert_eq!(calls.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_text_is_forwarded_to_the_cell_with_every_media_item_and_stored() {
    let app = TestApp::start().await;
    let message_sid = sid("MM");
    let media = [
        "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
        "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2",
        "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME3",
    ];
    let params = text_params(&message_sid, CALLER, "Look <&> at these", &media);
    let reply = app.post_signed("/flow/msg/default", &borrow(&params)).await;
    let links = media_links(reply.twiml(), &message_sid);
    assert_eq!(links.len(), 3, "{}", reply.twiml());
    assert_eq!(
        reply.twiml(),
        answer(&format!(
            "<Message to=\"+18005555555\"><Body>From: +14155550100\nLook &lt;&amp;&gt; at these</Body>{}</Message>",
            links.iter().map(|m| format!("<Media>{m}</Media>")).collect::<String>()
        ))
    );
    let stored = message::get_message(app.store.pool(), &message_sid)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.body, "Look <&> at these");
    let stored_media = message::media_of(app.store.pool(), &message_sid)
        .await
        .unwrap();
    let urls: Vec<&str> = stored_media.iter().map(|m| m.url.as_str()).collect();
    assert_eq!(urls, media);
    assert_eq!(
        vbx::store::relay::relay_target(app.store.pool(), "cell")
            .await
            .unwrap()
            .as_deref(),
        Some(CALLER)
    );
    app.stop().await;
}

#[tokio::test]
async fn a_media_link_whose_fetch_fails_says_not_available_and_nothing_of_why() {
    let app = TestApp::start().await;
    let message_sid = sid("MM");
    // Where nothing listens: the fetch fails with an error naming the address.
    let media = ["http://127.0.0.1:9/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"];
    let params = text_params(&message_sid, CALLER, "a picture", &media);
    let reply = app.post_signed("/flow/msg/default", &borrow(&params)).await;
    let links = media_links(reply.twiml(), &message_sid);
    let path = links[0].trim_start_matches("https://vbx.example.com");
    let fetched = Reply::from(reqwest::get(app.url(path)).await.unwrap()).await;
    assert_eq!(fetched.status, 502, "{}", fetched.body);
    assert!(
        fetched
            .body
            .contains("this media is not available right now"),
        "{}",
        fetched.body
    );
    assert!(!fetched.body.contains("127.0.0.1"), "{}", fetched.body);
    app.stop().await;
}

#[tokio::test]
async fn a_text_from_a_contact_is_forwarded_with_the_name_escaped() {
    let app = TestApp::start().await;
    let params = text_params(&sid("SM"), "+14155550199", "hi\u{7} there\u{0}", &[]);
    let reply = app.post_signed("/flow/msg/default", &borrow(&params)).await;
    assert_eq!(
        reply.twiml(),
        answer(
            "<Message to=\"+18005555555\"><Body>From: Ann \"Boss\" &lt;&amp;&gt; Ünï\nhi there</Body></Message>"
        )
    );
    app.stop().await;
}

#[tokio::test]
async fn texts_for_email_and_xmpp_devices_are_queued_for_them() {
    let app = TestApp::start().await;
    let params = text_params(&sid("SM"), "+14155550199", "for the inbox", &[]);
    let reply = app.post_signed("/flow/msg/notify", &borrow(&params)).await;
    assert_eq!(reply.twiml(), EMPTY);
    let queued = outbox::list(app.store.pool(), None, 10).await.unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].kind, "email", "the XMPP account is offline");
    let payload: serde_json::Value = queued[0].payload_as().unwrap();
    assert_eq!(payload["device"], "inbox");
    assert_eq!(payload["from_name"], "Ann \"Boss\" <&> Ünï");
    assert_eq!(payload["body"], "for the inbox");
    app.stop().await;
}

#[tokio::test]
async fn an_online_browser_takes_a_text_and_a_flow_can_reply_or_redirect() {
    let app = TestApp::start().await;
    app.presence.browser_registered("vbx");
    let params = text_params(&sid("SM"), CALLER, "hi", &[]);
    let reply = app.post_signed("/flow/msg/default", &borrow(&params)).await;
    assert_eq!(reply.twiml(), EMPTY);
    app.presence.browser_unregistered("vbx");
    let reply = app
        .post_signed(
            "/flow/msg/auto",
            &borrow(&text_params(&sid("SM"), CALLER, "hi", &[])),
        )
        .await;
    assert_eq!(
        reply.twiml(),
        answer("<Redirect>https://vbx.example.com/flow/msg/reply</Redirect>")
    );
    let reply = app
        .post_signed(
            "/flow/msg/reply",
            &borrow(&text_params(&sid("SM"), CALLER, "hi", &[])),
        )
        .await;
    assert_eq!(
        reply.twiml(),
        answer("<Message><Body>Got it &lt;3 — we'll reply soon</Body></Message>")
    );
    let reply = app
        .post_signed(
            "/flow/msg/bounce",
            &borrow(&text_params(&sid("SM"), CALLER, "hi", &[])),
        )
        .await;
    assert_eq!(
        reply.twiml(),
        answer("<Redirect>https://vbx.example.com/flow/msg/default</Redirect>")
    );
    app.stop().await;
}

#[tokio::test]
async fn requests_without_a_valid_signature_are_refused() {
    let app = TestApp::start().await;
    let params = call_params(&sid("CA"), CALLER);
    let params = borrow(&params);
    let unsigned = app.post_form("/flow/voice/default", &params, None).await;
    assert_eq!(unsigned.status, 403);
    let wrong = app
        .post_form(
            "/flow/voice/default",
            &params,
            Some("RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        )
        .await;
    assert_eq!(wrong.status, 403);
    let pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let other_token = twilio::signature::compute(
        "ffffffffffffffffffffffffffffffff",
        &format!("{PUBLIC_URL}/flow/voice/default"),
        &pairs,
    );
    let reply = app
        .post_form("/flow/voice/default", &params, Some(&other_token))
        .await;
    assert_eq!(reply.status, 403);
    let other_url = twilio::signature::compute(
        AUTH_TOKEN,
        &format!("http://{}/flow/voice/default", app.addr),
        &pairs,
    );
    let reply = app
        .post_form("/flow/voice/default", &params, Some(&other_url))
        .await;
    assert_eq!(
        reply.status, 403,
        "signed for the internal URL, not the public one"
    );
    for path in [
        "/flow/msg/default",
        "/flow/status/call",
        "/flow/status/recording",
        "/flow/voice/default/dial?step=0",
    ] {
        assert_eq!(
            app.post_form(path, &params, None).await.status,
            403,
            "{path}"
        );
    }
    let nothing_stored = call::list_calls(
        app.store.pool(),
        &call::CallQuery {
            number: None,
            before_ms: None,
            limit: 5,
        },
    )
    .await
    .unwrap();
    assert!(nothing_stored.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn bad_requests_get_clear_4xx_answers() {
    let app = TestApp::start().await;
    let params = call_params(&sid("CA"), CALLER);

    let reply = app
        .post_signed("/flow/voice/nosuch", &borrow(&params))
        .await;
    assert_eq!(reply.status, 404);
    assert!(reply.body.contains("nosuch"), "{}", reply.body);
    let reply = app.post_signed("/flow/msg/nosuch", &borrow(&params)).await;
    assert_eq!(reply.status, 404);

    let mut missing = params.clone();
    missing.retain(|(k, _)| *k != "CallSid");
    let reply = app
        .post_signed("/flow/voice/default", &borrow(&missing))
        .await;
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("CallSid"), "{}", reply.body);

    let reply = app
        .post_signed("/flow/msg/default", &[("From", CALLER)])
        .await;
    assert_eq!(reply.status, 400);

    let reply = app
        .post_signed("/flow/voice/default/dial?step=x", &borrow(&params))
        .await;
    assert_eq!(reply.status, 400);

    let json = app
        .http
        .post(app.url("/flow/voice/default"))
        .header("content-type", "application/json")
        .body(r#"{"CallSid":"CA1"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 415);

    let get = app
        .http
        .get(app.url("/flow/voice/default"))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 405);

    let huge = "x".repeat(200 * 1024);
    let reply = app
        .post_signed("/flow/voice/default", &[("Body", huge.as_str())])
        .await;
    assert_eq!(reply.status, 413);

    let bad_encoding = app
        .http
        .post(app.url("/flow/voice/default"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("From=%FF%FE")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_encoding.status(), 400);
    app.stop().await;
}

#[tokio::test]
async fn a_failure_inside_a_flow_still_answers_valid_twiml() {
    let app = TestApp::start().await;
    // Break the store underneath the running server.
    app.store
        .write(|conn| {
            conn.execute_batch("DROP TABLE media; DROP TABLE messages; DROP TABLE calls")
                .map_err(|source| vbx::store::StoreError::Sqlite {
                    op: "break",
                    source,
                })
        })
        .await
        .unwrap();
    let reply = run_call(&app, "phone", CALLER).await;
    let twiml = reply.twiml();
    assert!(
        twiml.contains("<Say>Sorry, this call cannot be connected right now."),
        "{twiml}"
    );
    assert!(twiml.ends_with("<Hangup /></Response>"), "{twiml}");
    let reply = app
        .post_signed(
            "/flow/msg/default",
            &borrow(&text_params(&sid("SM"), CALLER, "x", &[])),
        )
        .await;
    assert_eq!(reply.twiml(), EMPTY);
    app.stop().await;
}

#[tokio::test]
async fn the_signature_check_can_be_turned_off_explicitly() {
    let app = TestApp::builder(CONFIG)
        .server("insecure_skip_signature = true")
        .start()
        .await;
    let params = call_params(&sid("CA"), CALLER);
    let reply = app
        .post_form("/flow/voice/phone", &borrow(&params), None)
        .await;
    assert_eq!(
        reply.twiml(),
        answer(concat!(
            r#"<Dial action="https://vbx.example.com/flow/voice/phone/dial?step=0">"#,
            "<Number>+18005555555</Number></Dial>"
        ))
    );
    app.stop().await;
}

#[tokio::test]
async fn routes_outside_flow_are_not_open() {
    let app = TestApp::start().await;
    for path in ["/", "/api/calls", "/flow", "/flow/voice"] {
        let resp = app.http.get(app.url(path)).send().await.unwrap();
        assert!(
            resp.status() == 404 || resp.status() == 401 || resp.status() == 405,
            "{path}: {}",
            resp.status()
        );
    }
    app.stop().await;
}
