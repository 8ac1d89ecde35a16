//! Searching what was said: words in texts and in voicemail transcriptions, newest first, with
//! the matching words marked and where each hit is.

use serde_json::{json, Value};

use crate::harness::*;
use vbx::store::StoreError;

const START: char = '\u{E000}';
const END: char = '\u{E001}';

/// A voicemail from `from` whose transcription Twilio then sends.
async fn voicemail_transcribed(app: &TestApp, from: &str, text: &str) -> String {
    let (call_sid, recording) = app.voicemail_left(from).await;
    let transcription = [
        ("AccountSid", ACCOUNT.to_owned()),
        ("TranscriptionSid", sid("TR")),
        ("TranscriptionText", text.to_owned()),
        ("TranscriptionStatus", "completed".to_owned()),
        ("RecordingSid", recording.clone()),
        ("CallSid", call_sid),
    ];
    let reply = app
        .post_signed("/flow/status/transcription", &borrow(&transcription))
        .await;
    assert!(reply.status < 300, "{}", reply.body);
    recording
}

fn hits(page: &Value) -> Vec<(String, String, String)> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|h| {
            (
                h["kind"].as_str().unwrap_or_default().to_owned(),
                h["number"].as_str().unwrap_or_default().to_owned(),
                h["snippet"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_word_finds_texts_and_voicemails_newest_first_with_the_match_marked() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let first = app
        .text_arrives(CALLER, "Shall we get pizza tonight?")
        .await;
    app.text_arrives(ANN, "Nothing to see here").await;
    let second = app
        .text_arrives(ANN, "The PIZZERIA is closed <b>today</b>")
        .await;
    let vm = voicemail_transcribed(&app, CALLER, "call me back about the pizza order").await;

    let page = app.get("/api/search?q=pizz", &session).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let page = page.json();
    let found = hits(&page);
    assert_eq!(
        found
            .iter()
            .map(|h| (h.0.as_str(), h.1.as_str()))
            .collect::<Vec<_>>(),
        vec![("voicemail", CALLER), ("message", ANN), ("message", CALLER)],
        "{page}"
    );
    assert_eq!(page["items"][0]["sid"], vm);
    assert_eq!(page["items"][1]["sid"], second);
    assert_eq!(page["items"][2]["sid"], first);
    assert_eq!(page["items"][1]["name"], "Ann");
    assert_eq!(
        found[1].2,
        format!("The {START}PIZZERIA{END} is closed <b>today</b>"),
        "the text as stored, only the match marked"
    );
    assert!(
        found[2].2.contains(&format!("{START}pizza{END}")),
        "{}",
        found[2].2
    );

    // Every word must match; anything typed is words, never query syntax.
    let both = app
        .get("/api/search?q=pizza%20tonight", &session)
        .await
        .json();
    assert_eq!(hits(&both).len(), 1);
    for odd in [
        "\"pizza",
        "pizza OR",
        "NEAR(pizza)",
        "*",
        "pizza-order",
        "-pizza",
    ] {
        let reply = app
            .get(&format!("/api/search?q={}", urlencode(odd)), &session)
            .await;
        assert_eq!(reply.status, 200, "{odd}: {}", reply.body);
    }
    let none = app.get("/api/search?q=%20%22%20", &session).await.json();
    assert_eq!(none["items"], json!([]));

    // Paged by cursor, no hit twice.
    let one = app.get("/api/search?q=pizz&limit=1", &session).await.json();
    assert_eq!(hits(&one).len(), 2, "the first message and every voicemail");
    let cursor = one["next"].as_str().expect("more");
    let rest = app
        .get(
            &format!("/api/search?q=pizz&limit=1&before={cursor}"),
            &session,
        )
        .await
        .json();
    assert_eq!(rest["items"][0]["sid"], first);
    app.stop().await;
}

#[tokio::test]
async fn a_word_that_fills_the_page_finds_itself_and_fewer_hits_take_longer_words_too() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let first = app.text_arrives(CALLER, "the parcel came").await;
    let second = app.text_arrives(ANN, "two parcels left").await;
    let third = app.text_arrives(CALLER, "another parcel").await;
    let fourth = app.text_arrives(CALLER, "a parcel again").await;
    let sids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|h| h["sid"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let walk = |q: &'static str| {
        let (app, session) = (&app, &session);
        async move {
            let mut pages = Vec::new();
            let mut path = format!("/api/search?q={q}&limit=2");
            loop {
                let page = app.get(&path, session).await.json();
                pages.push(sids(&page));
                match page["next"].as_str() {
                    Some(cursor) => path = format!("/api/search?q={q}&limit=2&before={cursor}"),
                    None => return pages,
                }
            }
        }
    };

    // Three texts have the word itself: the first page is theirs; the page they no longer
    // fill takes the longer word too. Every hit comes once.
    assert_eq!(
        walk("parcel").await,
        [
            vec![fourth.clone(), third.clone()],
            vec![second.clone(), first.clone()]
        ]
    );
    // A page they do not fill finds the longer word too, newest first.
    let page = app
        .get("/api/search?q=parcel&limit=5", &session)
        .await
        .json();
    assert_eq!(
        sids(&page),
        [fourth.clone(), third.clone(), second.clone(), first.clone()],
        "{page}"
    );
    // A word being typed finds what it begins.
    assert_eq!(
        walk("parc").await,
        [vec![fourth, third], vec![second, first]]
    );
    app.stop().await;
}

#[tokio::test]
async fn a_deleted_text_is_no_longer_found() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let sid = app.text_arrives(CALLER, "secret plans").await;
    let found = app.get("/api/search?q=secret", &session).await.json();
    assert_eq!(hits(&found).len(), 1);
    // Deleted behind the app's back (an operator's shell): the index follows the table.
    app.store
        .write(move |conn| {
            conn.execute("DELETE FROM messages WHERE sid = ?1", [&sid])
                .map_err(|source| StoreError::Sqlite {
                    op: "delete",
                    source,
                })
        })
        .await
        .expect("delete");
    let found = app.get("/api/search?q=secret", &session).await.json();
    assert_eq!(found["items"], json!([]));
    app.stop().await;
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
