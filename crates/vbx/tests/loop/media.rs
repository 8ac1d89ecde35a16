//! The media worker against the simulator: incoming pictures picked up by the sync are
//! downloaded with the account's credentials, retried after a failure, and given up on when
//! Twilio no longer has them.

use vbx::event::EventHub;
use vbx::store::{media_fetch, message, now_ms, Store};
use vbx::worker::inbound_media::MediaFetcher;
use vbx::worker::sync::Syncer;

use twilio_sim::{InboundMedia, InboundText};

use crate::harness::*;

fn picture(sim: &TestSim, bytes: &[u8]) -> twilio::MessageSid {
    sim.sim()
        .incoming_message(InboundText {
            from: OUTSIDE.into(),
            to: sim.number(),
            body: String::new(),
            media: vec![InboundMedia {
                content_type: "image/jpeg".into(),
                content: bytes.to_vec(),
            }],
        })
        .unwrap()
}

#[tokio::test]
async fn a_failed_download_is_retried_later_and_a_deleted_one_given_up() {
    let sim = TestSim::start().await;
    let kept = picture(&sim, b"first picture");
    let deleted = picture(&sim, b"second picture");
    let gone = &sim.sim().media_of(&deleted)[0];
    let removed = reqwest::Client::new()
        .delete(format!(
            "{}/2010-04-01/Accounts/{}/Messages/{deleted}/Media/{}.json",
            sim.base_url(),
            sim.account(),
            gone.sid
        ))
        .basic_auth(sim.account().as_str(), Some(&sim.config.auth_token))
        .send()
        .await
        .unwrap();
    assert!(removed.status().is_success(), "{}", removed.status());
    let dir = tempfile::TempDir::new().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
    let events = EventHub::default();
    // The deleted item is still listed in the message's metadata synced before it went.
    let media_row = message::NewMessage {
        sid: deleted.to_string(),
        account_sid: sim.account().to_string(),
        from: OUTSIDE.into(),
        to: sim.number(),
        body: String::new(),
        direction: "inbound".into(),
        status: "received".into(),
        // After the other picture, which is downloaded first.
        created_at_ms: now_ms() + 1_000,
        media: vec![message::NewMedia {
            url: sim
                .client()
                .media_content_url(&deleted, &gone.sid)
                .to_string(),
            content_type: "image/jpeg".into(),
        }],
    };
    store
        .record_incoming_text(media_row, false, Vec::new(), Vec::new())
        .await
        .unwrap();
    Syncer::new(sim.client(), store.clone(), events.clone())
        .step()
        .await
        .unwrap();
    let fetcher = MediaFetcher {
        client: sim.client(),
        store: store.clone(),
        events,
        data_dir: dir.path().to_path_buf(),
    };

    sim.sim().fail_next_requests(1);
    let first = fetcher.step().await.unwrap();

    assert_eq!((first.saved, first.failed), (0, 2), "{first:?}");
    let error = media_fetch::last_error(store.pool(), kept.as_str(), 0)
        .await
        .unwrap()
        .unwrap();
    assert!(error.contains("500"), "{error}");
    let gone_error = media_fetch::last_error(store.pool(), deleted.as_str(), 0)
        .await
        .unwrap()
        .unwrap();
    assert!(gone_error.contains("404"), "{gone_error}");
    let nothing_due = fetcher.step().await.unwrap();
    assert_eq!((nothing_due.saved, nothing_due.failed), (0, 0));

    let retried = fetcher
        .step_at(now_ms() + 24 * 60 * 60 * 1000)
        .await
        .unwrap();

    assert_eq!((retried.saved, retried.failed), (1, 0), "{retried:?}");
    let media = message::media_of(store.pool(), kept.as_str())
        .await
        .unwrap();
    let path = media[0].local_path.clone().unwrap();
    assert_eq!(path, format!("media/in/{kept}/0"));
    assert_eq!(
        std::fs::read(dir.path().join(path)).unwrap(),
        b"first picture"
    );
    let deleted_media = message::media_of(store.pool(), deleted.as_str())
        .await
        .unwrap();
    assert_eq!(deleted_media[0].local_path, None);
}
