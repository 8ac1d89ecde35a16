//! The full loop: `vbx setup` points the simulated number at the running vbx; then a text and
//! a call from outside go simulator → signed webhook → vbx → TwiML → simulator.

use twilio_sim::{InboundCall, InboundMedia, InboundText, MessageDirection, MessageStatus, Party};
use vbx::cli::setup::setup;
use vbx::store::{call, message};

use crate::harness::*;

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// "look" with a PNG, from outside to the number.
fn picture_from_outside(sim: &TestSim) -> twilio::MessageSid {
    sim.sim()
        .incoming_message(InboundText {
            from: OUTSIDE.into(),
            to: sim.number(),
            body: "look".into(),
            media: vec![InboundMedia {
                content_type: "image/png".into(),
                content: PNG.to_vec(),
            }],
        })
        .unwrap()
}

#[tokio::test]
async fn a_text_from_outside_is_forwarded_to_the_cell_and_a_pictures_media_is_saved() {
    let sim = TestSim::start().await;
    let app = TestApp::start(&sim).await;
    setup(&app.state.config, &sim.client()).await.unwrap();
    let number = sim.number();

    let text = sim
        .sim()
        .incoming_message(InboundText {
            from: OUTSIDE.into(),
            to: number.clone(),
            body: "hello there".into(),
            media: vec![],
        })
        .unwrap();

    let forwarded = sim
        .sim()
        .wait_until(WAIT, |s| {
            s.messages()
                .into_iter()
                .find(|m| m.to == CELL && m.status == MessageStatus::Delivered)
        })
        .await
        .expect("the forward to the cell is delivered");
    assert_eq!(forwarded.body, format!("From: {OUTSIDE}\nhello there"));
    assert_eq!(forwarded.from, number);
    assert_eq!(forwarded.direction, MessageDirection::OutboundReply);
    let hooks = sim.sim().webhooks_of(text.as_str());
    assert_eq!(hooks.len(), 1, "{hooks:#?}");
    assert_eq!(hooks[0].status, Some(200), "{hooks:#?}");
    assert_eq!(
        hooks[0].url,
        format!("http://{}/flow/msg/default", app.addr)
    );
    let store = app.store.clone();
    let stored = until(&app.events, "the text in the store", || {
        let store = store.clone();
        let sid = text.to_string();
        async move { message::get_message(store.pool(), &sid).await.unwrap() }
    })
    .await;
    assert_eq!(
        (stored.direction.as_str(), stored.body.as_str()),
        ("inbound", "hello there")
    );

    let picture = picture_from_outside(&sim);

    let saved = until(
        &app.events,
        "the picture saved in the data directory",
        || {
            let store = store.clone();
            let sid = picture.to_string();
            async move {
                message::media_of(store.pool(), &sid)
                    .await
                    .unwrap()
                    .first()
                    .and_then(|m| m.local_path.clone())
            }
        },
    )
    .await;
    assert_eq!(saved, format!("media/in/{picture}/0"));
    assert_eq!(std::fs::read(app.data.path().join(&saved)).unwrap(), PNG);
    app.stop().await;
}

#[tokio::test]
async fn a_picture_forwarded_to_the_cell_reaches_it_through_vbxs_link() {
    let sim = TestSim::start().await;
    let app = TestApp::start(&sim).await;
    setup(&app.state.config, &sim.client()).await.unwrap();

    let picture = picture_from_outside(&sim);

    // Twilio fetches a forwarded MMS's media without credentials: from vbx's link, since its
    // own media URL would refuse it (error 11200, the message never sent).
    let forwarded = sim
        .sim()
        .wait_until(WAIT, |s| {
            s.messages().into_iter().find(|m| {
                m.to == CELL
                    && matches!(
                        m.status,
                        MessageStatus::Delivered
                            | MessageStatus::Failed
                            | MessageStatus::Undelivered
                    )
            })
        })
        .await
        .expect("the forward to the cell ends");
    assert_eq!(
        (forwarded.status, forwarded.error_code),
        (MessageStatus::Delivered, None),
        "{forwarded:#?}"
    );
    assert_eq!(forwarded.body, format!("From: {OUTSIDE}\nlook"));
    let link_prefix = format!("http://{}/flow/media/in/{picture}/0/", app.addr);
    assert_eq!(forwarded.media_urls.len(), 1, "{forwarded:#?}");
    assert!(
        forwarded.media_urls[0].starts_with(&link_prefix),
        "{forwarded:#?}"
    );
    let media = sim.sim().media_of(&forwarded.sid);
    assert_eq!(media.len(), 1);
    assert_eq!(
        (media[0].content_type.as_str(), media[0].content.as_slice()),
        ("image/png", PNG)
    );

    let tampered = forwarded.media_urls[0].replace(&link_prefix, &format!("{link_prefix}0"));
    let refused = reqwest::get(&tampered).await.unwrap();
    assert_eq!(
        refused.status(),
        404,
        "a link with a wrong token serves nothing"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_call_nobody_answers_in_the_browser_rings_the_cell_and_its_end_is_stored() {
    let sim = TestSim::start().await;
    let app = TestApp::start(&sim).await;
    setup(&app.state.config, &sim.client()).await.unwrap();

    let sid = sim
        .sim()
        .incoming_call(InboundCall {
            from: OUTSIDE.into(),
            to: sim.number(),
            ..Default::default()
        })
        .unwrap();
    let ended = sim.sim().wait_for_call_end(&sid, WAIT).await.unwrap();

    let legs = sim.sim().child_calls(&sid);
    assert_eq!(legs.len(), 1, "{legs:#?}");
    assert_eq!(legs[0].to, CELL);
    let store = app.store.clone();
    let row = until(
        &app.events,
        "the call's final status from its callback",
        || {
            let store = store.clone();
            let sid = sid.to_string();
            async move {
                call::get_call(store.pool(), &sid)
                    .await
                    .unwrap()
                    .filter(|c| call::is_final(&c.status))
            }
        },
    )
    .await;
    assert_eq!(row.status, ended.status.as_str());
    assert_eq!(row.alias.as_deref(), Some("default"));
    assert!(row.duration_s.is_some(), "{row:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_busy_number_dialled_by_a_step_with_next_goes_on_to_voicemail() {
    let sim = TestSim::start().await;
    let phone = format!("phone   = [ {{ step = \"dial\", number = \"{CELL}\" }} ]");
    assert!(sim.toml("", "").contains(&phone), "the test flows changed");
    let app = TestApp::builder(&sim)
        .edit(move |toml| {
            toml.replace(
                &phone,
                &format!(
                    "phone = [ {{ step = \"dial\", number = \"{CELL}\", next = \"voicemail\" }} ]\n\
                     voicemail = [ {{ step = \"say\", text = \"Leave a message\" }}, {{ step = \"record\" }} ]"
                ),
            )
        })
        .start()
        .await;
    setup(&app.state.config, &sim.client()).await.unwrap();
    sim.sim().set_party(CELL, Party::Busy);

    let sid = sim
        .sim()
        .incoming_call(InboundCall {
            from: OUTSIDE.into(),
            to: sim.number(),
            ..Default::default()
        })
        .unwrap();
    sim.sim().wait_for_call_end(&sid, WAIT).await.unwrap();

    let heard = sim.sim().call_transcript(&sid);
    assert!(
        heard.iter().any(|line| line.ends_with("Leave a message")),
        "the caller reaches voicemail: {heard:#?}"
    );
    let legs = sim.sim().child_calls(&sid);
    assert_eq!(legs.len(), 1, "{legs:#?}");
    assert_eq!(legs[0].to, CELL);
    app.stop().await;
}
