//! The SMS relay through the webhook: texts from the forwarding cell go to the last sender,
//! to an `@Name` contact or to a leading number, and the relay target follows.

use vbx::store::relay;

use crate::answer;
use crate::harness::*;

const ANN: &str = "+14155550111";
const ONEIL: &str = "+14155550177";

/// The seed configuration with more contacts (`[contacts]` is its last table).
fn config_with(contacts: &str) -> String {
    format!("{CONFIG}{contacts}\n")
}

async fn text_in(app: &TestApp, from: &str, body: &str, media: &[&str]) -> String {
    text_in_as(app, &sid("MM"), from, body, media).await
}

async fn text_in_as(
    app: &TestApp,
    message_sid: &str,
    from: &str,
    body: &str,
    media: &[&str],
) -> String {
    let reply = app
        .post_signed(
            "/flow/msg/default",
            &borrow(&text_params(message_sid, from, body, media)),
        )
        .await;
    reply.twiml().to_owned()
}

async fn target(app: &TestApp) -> Option<String> {
    relay::relay_target(app.store.pool(), "cell").await.unwrap()
}

#[tokio::test]
async fn the_cell_replies_to_the_last_sender_across_separate_connections() {
    let app = TestApp::start().await;
    let first = "+14155550101";
    let second = "+14155550102";
    for from in [first, second] {
        let params = text_params(&sid("SM"), from, "hello", &[]);
        let other = reqwest::Client::new();
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&params)
            .finish();
        let pairs: Vec<(String, String)> = params.clone();
        let sig = twilio::signature::compute(
            AUTH_TOKEN,
            &format!("{PUBLIC_URL}/flow/msg/default"),
            &pairs,
        );
        let resp = other
            .post(app.url("/flow/msg/default"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", sig)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    let media = ["https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM9/Media/ME9"];
    let message_sid = sid("MM");
    let reply = app
        .post_signed(
            "/flow/msg/default",
            &borrow(&text_params(&message_sid, CELL, "On my way", &media)),
        )
        .await;
    let links = media_links(reply.twiml(), &message_sid);
    assert_eq!(links.len(), 1, "{}", reply.twiml());
    assert_eq!(
        reply.twiml(),
        answer(&format!(
            "<Message to=\"{second}\"><Body>On my way</Body><Media>{}</Media></Message>",
            links[0]
        ))
    );
    app.stop().await;
}

#[tokio::test]
async fn the_relay_target_survives_a_restart() {
    let app = TestApp::start().await;
    let data = app.data.path().to_path_buf();
    app.post_signed(
        "/flow/msg/default",
        &borrow(&text_params(&sid("SM"), CALLER, "hello", &[])),
    )
    .await;
    let dir = app.stop().await;
    let restarted = TestApp::start_in(dir).await;
    assert_eq!(restarted.data.path(), data);
    let reply = restarted
        .post_signed(
            "/flow/msg/default",
            &borrow(&text_params(&sid("SM"), CELL, "back", &[])),
        )
        .await;
    assert_eq!(
        reply.twiml(),
        answer(&format!(
            "<Message to=\"{CALLER}\"><Body>back</Body></Message>"
        ))
    );
    restarted.stop().await;
}

#[tokio::test]
async fn a_text_from_the_cell_with_nobody_to_reply_to_gets_help() {
    let app = TestApp::start().await;
    let reply = app
        .post_signed(
            "/flow/msg/default",
            &borrow(&text_params(&sid("SM"), CELL, "anyone?", &[])),
        )
        .await;
    let twiml = reply.twiml();
    assert!(
        twiml.starts_with("<Response><Message><Body>vbx: nobody to reply to yet."),
        "{twiml}"
    );
    assert!(!twiml.contains(CELL), "not forwarded to itself: {twiml}");
    app.stop().await;
}

#[tokio::test]
async fn an_at_name_goes_to_the_contact_with_media_and_later_replies_follow() {
    let app = TestApp::start_with(&config_with(&format!("\"{ANN}\" = \"Ann\""))).await;
    text_in(&app, CALLER, "hello", &[]).await;
    assert_eq!(target(&app).await.as_deref(), Some(CALLER));
    let media = ["https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM9/Media/ME9"];
    let message_sid = sid("MM");
    let twiml = text_in_as(&app, &message_sid, CELL, "@ann are you free?", &media).await;
    let links = media_links(&twiml, &message_sid);
    assert_eq!(links.len(), 1, "{twiml}");
    assert_eq!(
        twiml,
        answer(&format!(
            "<Message to=\"{ANN}\"><Body>are you free?</Body><Media>{}</Media></Message>",
            links[0]
        ))
    );
    assert_eq!(target(&app).await.as_deref(), Some(ANN));
    let twiml = text_in(&app, CELL, "say at 5?", &[]).await;
    assert_eq!(
        twiml,
        answer(&format!(
            "<Message to=\"{ANN}\"><Body>say at 5?</Body></Message>"
        ))
    );
    app.stop().await;
}

#[tokio::test]
async fn a_leading_number_goes_to_that_number_and_becomes_the_target() {
    let app = TestApp::start().await;
    text_in(&app, CALLER, "hello", &[]).await;
    let twiml = text_in(&app, CELL, "+1 (415) 555-0123 running late", &[]).await;
    assert_eq!(
        twiml,
        answer("<Message to=\"+14155550123\"><Body>running late</Body></Message>")
    );
    assert_eq!(target(&app).await.as_deref(), Some("+14155550123"));
    let twiml = text_in(&app, CELL, "5 minutes", &[]).await;
    assert_eq!(
        twiml,
        answer("<Message to=\"+14155550123\"><Body>5 minutes</Body></Message>"),
        "a number-looking word that is no number is a plain reply"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_name_gets_close_matches_and_nothing_is_sent() {
    let app = TestApp::start_with(&config_with(&format!(
        "\"{ANN}\" = \"Ann\"\n\"+14155550112\" = \"Anna\""
    )))
    .await;
    text_in(&app, CALLER, "hello", &[]).await;
    let twiml = text_in(&app, CELL, "@Annie hi", &[]).await;
    // The configuration's contact `Ann "Boss" <&> Ünï` starts with a word close to it too.
    assert_eq!(
        twiml,
        answer(
            "<Message><Body>vbx: no contact \"Annie\". Did you mean @Ann, @Ann \"Boss\" &lt;&amp;&gt; Ünï or @Anna? Nothing was sent.</Body></Message>"
        )
    );
    assert_eq!(
        target(&app).await.as_deref(),
        Some(CALLER),
        "the target stays"
    );
    app.stop().await;
}

#[tokio::test]
async fn names_with_markup_characters_are_escaped_in_every_reply() {
    let app = TestApp::start_with(&config_with(&format!(
        "\"{ONEIL}\" = \"O'Neil & <Sons> \\\"Ltd\\\"\""
    )))
    .await;
    let twiml = text_in(&app, ONEIL, "it's <done> & \"paid\"", &[]).await;
    assert_eq!(
        twiml,
        answer(
            "<Message to=\"+18005555555\"><Body>From: O'Neil &amp; &lt;Sons&gt; \"Ltd\"\n\
             it's &lt;done&gt; &amp; \"paid\"</Body></Message>"
        )
    );
    let twiml = text_in(&app, CELL, "@o'neil & <sons> \"ltd\" thanks & <bye>", &[]).await;
    assert_eq!(
        twiml,
        answer(&format!(
            "<Message to=\"{ONEIL}\"><Body>thanks &amp; &lt;bye&gt;</Body></Message>"
        ))
    );
    let twiml = text_in(&app, CELL, "@O'Neil hi", &[]).await;
    assert_eq!(
        twiml,
        answer(
            "<Message><Body>vbx: no contact \"O'Neil\". Did you mean @O'Neil &amp; &lt;Sons&gt; \
             \"Ltd\"? Nothing was sent.</Body></Message>"
        )
    );
    let twiml = text_in(&app, CELL, "@O'NEIL & <SONS> \"LTD\"", &[]).await;
    assert_eq!(
        twiml,
        answer(
            "<Message><Body>vbx: nothing to send to @O'NEIL &amp; &lt;SONS&gt; \"LTD\". \
             Write the text after the name.</Body></Message>"
        )
    );
    assert_eq!(target(&app).await.as_deref(), Some(ONEIL));
    app.stop().await;
}
