//! What a user decides about whole conversations: unread again, all read, archived until
//! something new happens, and blocked numbers whose calls are rejected and whose texts notify
//! nobody.

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::*;

const OTHER: &str = "+14155550123";

fn numbers(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["number"].as_str().expect("number").to_owned())
        .collect()
}

fn unread_of(list: &Value, number: &str) -> Option<i64> {
    list["items"]
        .as_array()?
        .iter()
        .find(|c| c["number"] == number)
        .and_then(|c| c["unread"].as_i64())
}

async fn put(app: &TestApp, path: &str, session: &Session) -> Reply {
    app.send_json(Method::PUT, path, session, json!({})).await
}

async fn sms_sid_of(app: &TestApp, body: &str) -> String {
    sqlx::query_scalar("SELECT sid FROM messages WHERE body = $1")
        .bind(body)
        .fetch_one(app.store.pool())
        .await
        .expect("the text is stored")
}

async fn new_voicemails(app: &TestApp, session: &Session) -> Option<i64> {
    app.get("/api/voicemails/new", session).await.json()["new"].as_i64()
}

async fn outbox_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
        .fetch_one(app.store.pool())
        .await
        .expect("count")
}

#[tokio::test]
async fn a_thread_marked_unread_counts_its_newest_text_again_and_all_read_clears_every_thread() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    app.text_arrives(CALLER, "one").await;
    app.text_arrives(CALLER, "two").await;
    app.text_arrives(ANN, "three").await;

    let all = app.post_empty("/api/conversations/read", &session).await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(all.json()["threads"], 2);
    let list = app.get("/api/conversations", &session).await.json();
    assert_eq!(unread_of(&list, CALLER), Some(0));
    assert_eq!(unread_of(&list, ANN), Some(0));

    let mut socket = app.socket(&session).await;
    let unread = app
        .post_empty(&format!("/api/threads/{CALLER}/unread"), &session)
        .await;
    assert_eq!(unread.status, 204, "{}", unread.body);
    let frame = socket.until(|f| f["type"] == "unread").await;
    assert_eq!(
        (&frame["number"], &frame["unread"], &frame["total"]),
        (&json!(CALLER), &json!(1), &json!(1))
    );
    let list = app.get("/api/conversations", &session).await.json();
    assert_eq!(unread_of(&list, CALLER), Some(1), "only the newest text");
    assert_eq!(unread_of(&list, ANN), Some(0));

    // Nothing came from a number vbx only called or texted: nothing to mark.
    let none = app
        .post_empty(&format!("/api/threads/{OTHER}/unread"), &session)
        .await;
    assert_eq!(none.status, 409, "{}", none.body);
    assert!(none.body.contains(OTHER), "{}", none.body);
    app.stop().await;
}

#[tokio::test]
async fn an_archived_conversation_leaves_the_inbox_until_something_new_happens() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    app.text_arrives(CALLER, "old news").await;
    app.text_arrives(ANN, "hello").await;

    let archived = put(&app, &format!("/api/threads/{CALLER}/archived"), &session).await;
    assert_eq!(archived.status, 200, "{}", archived.body);
    assert_eq!(archived.json()["archived"], true);
    let inbox = app.get("/api/conversations", &session).await.json();
    assert_eq!(numbers(&inbox), vec![ANN.to_owned()]);
    let archive = app
        .get("/api/conversations?view=archived", &session)
        .await
        .json();
    assert_eq!(numbers(&archive), vec![CALLER.to_owned()]);
    assert_eq!(archive["items"][0]["unread"], 0, "archiving reads it");
    let thread = app
        .get(&format!("/api/threads/{CALLER}"), &session)
        .await
        .json();
    assert_eq!(
        (&thread["archived"], &thread["blocked"]),
        (&json!(true), &json!(false))
    );
    // A search looks everywhere, and says where it found it.
    let found = app
        .get("/api/conversations?q=4155550100", &session)
        .await
        .json();
    assert_eq!(numbers(&found), vec![CALLER.to_owned()]);
    assert_eq!(found["items"][0]["archived"], true);

    app.text_arrives(CALLER, "something new").await;
    let inbox = app.get("/api/conversations", &session).await.json();
    assert_eq!(numbers(&inbox), vec![CALLER.to_owned(), ANN.to_owned()]);
    assert_eq!(inbox["items"][0]["archived"], false);
    assert_eq!(unread_of(&inbox, CALLER), Some(1));
    let archive = app
        .get("/api/conversations?view=archived", &session)
        .await
        .json();
    assert!(numbers(&archive).is_empty());

    // Taken out of the archive by hand.
    put(&app, &format!("/api/threads/{ANN}/archived"), &session).await;
    let back = app
        .delete(&format!("/api/threads/{ANN}/archived"), &session)
        .await;
    assert_eq!(back.status, 200, "{}", back.body);
    assert_eq!(back.json()["archived"], false);
    let inbox = app.get("/api/conversations", &session).await.json();
    assert_eq!(numbers(&inbox), vec![CALLER.to_owned(), ANN.to_owned()]);
    app.stop().await;
}

#[tokio::test]
async fn a_blocked_number_is_rejected_and_its_texts_are_stored_without_notifying_anyone() {
    let app = TestApp::builder()
        .messages_default(r#"[ { step = "device", devices = ["cell"] } ]"#)
        .start()
        .await;
    let session = app.alice().await;
    let first = app.text_reply(CALLER, "first").await;
    assert!(
        first.twiml().contains(CELL),
        "forwarded to the cell: {}",
        first.body
    );
    let mut socket = app.socket(&session).await;

    let blocked = put(&app, &format!("/api/threads/{CALLER}/blocked"), &session).await;
    assert_eq!(blocked.status, 200, "{}", blocked.body);
    assert_eq!(blocked.json()["blocked"], true);
    let marks = socket.until(|f| f["type"] == "marks").await;
    assert_eq!(
        (&marks["number"], &marks["blocked"]),
        (&json!(CALLER), &json!(true))
    );

    let spam = app.text_reply(CALLER, "buy now").await;
    assert_eq!(spam.status, 200, "{}", spam.body);
    assert!(
        !spam.twiml().contains("<Message"),
        "nothing forwarded: {}",
        spam.body
    );
    assert_eq!(outbox_rows(&app).await, 0, "nothing queued for any device");
    let sid = sms_sid_of(&app, "buy now").await;
    // The call comes after the text (times are milliseconds), so it is the thread's newest.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let (_, reply) = app.call_arrives("default", CALLER).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply.twiml().contains(r#"<Reject reason="busy" />"#),
        "{}",
        reply.body
    );
    assert!(!reply.twiml().contains("<Dial"), "{}", reply.body);

    // No tab hears of them: the next frame is Ann's text.
    app.text_arrives(ANN, "hi").await;
    let next = socket.until(|f| f["type"] != "presence").await;
    assert_eq!(
        (&next["type"], &next["number"]),
        (&json!("message"), &json!(ANN))
    );

    let thread = app
        .get(&format!("/api/threads/{CALLER}"), &session)
        .await
        .json();
    assert_eq!(thread["blocked"], true);
    let items = thread["items"].as_array().expect("items");
    let text = items
        .iter()
        .find(|i| i["sid"] == sid)
        .expect("the text is stored");
    assert_eq!(
        (&text["body"], &text["blocked"]),
        (&json!("buy now"), &json!(true))
    );
    let call = items
        .iter()
        .find(|i| i["kind"] == "call")
        .expect("the call is stored");
    assert_eq!(call["blocked"], true);
    let first = items.iter().find(|i| i["body"] == "first").expect("first");
    assert!(first.get("blocked").is_none(), "{first}");

    let inbox = app.get("/api/conversations", &session).await.json();
    assert_eq!(numbers(&inbox), vec![ANN.to_owned()]);
    assert_eq!(unread_of(&inbox, ANN), Some(1));
    // Found by a search, the list row says what the call was, not its `busy` status.
    let found = app
        .get("/api/conversations?q=4155550100", &session)
        .await
        .json();
    assert_eq!(found["items"][0]["blocked"], true);
    assert_eq!(
        (
            &found["items"][0]["last"]["kind"],
            &found["items"][0]["last"]["text"]
        ),
        (&json!("call"), &json!("rejected"))
    );
    assert_eq!(call["outcome"], "rejected");
    let rejected = app
        .get("/api/calls?outcome=rejected", &session)
        .await
        .json();
    assert_eq!(
        rejected["items"].as_array().map(Vec::len),
        Some(1),
        "{rejected}"
    );
    assert_eq!(rejected["items"][0]["sid"], call["sid"]);
    let list = app.get("/api/blocked", &session).await.json();
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["items"][0]["number"], CALLER);

    // Unblocked, the flow runs again.
    let unblocked = app
        .delete(&format!("/api/threads/{CALLER}/blocked"), &session)
        .await;
    assert_eq!(unblocked.status, 200, "{}", unblocked.body);
    let sorry = app.text_reply(CALLER, "sorry").await;
    assert!(
        sorry.twiml().contains(CELL),
        "forwarded again: {}",
        sorry.body
    );
    let list = app.get("/api/blocked", &session).await.json();
    assert_eq!(list["items"], json!([]));

    // The cell that forwards texts is the user's own: blocking it would lose their replies.
    let own = put(&app, &format!("/api/threads/{CELL}/blocked"), &session).await;
    assert_eq!(own.status, 400, "{}", own.body);
    assert!(own.body.contains("cannot be blocked"), "{}", own.body);
    app.stop().await;
}

#[tokio::test]
async fn a_number_blocked_before_a_restart_stays_blocked() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let blocked = put(&app, &format!("/api/threads/{CALLER}/blocked"), &session).await;
    assert_eq!(blocked.status, 200, "{}", blocked.body);
    let data = app.stop().await;
    let app = TestApp::builder().data(data).start().await;
    let (_, reply) = app.call_arrives("default", CALLER).await;
    assert!(reply.twiml().contains("<Reject"), "{}", reply.body);
    app.stop().await;
}

#[tokio::test]
async fn a_voicemail_is_new_until_its_thread_is_read() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    assert_eq!(new_voicemails(&app, &session).await, Some(0));
    app.voicemail_left(CALLER).await;
    app.voicemail_left(ANN).await;
    app.text_arrives(OTHER, "no voicemail here").await;
    assert_eq!(new_voicemails(&app, &session).await, Some(2));

    let mut socket = app.socket(&session).await;
    let read = app
        .post_empty(&format!("/api/threads/{CALLER}/read"), &session)
        .await;
    assert_eq!(read.status, 204, "{}", read.body);
    let frame = socket.until(|f| f["type"] == "voicemails").await;
    assert_eq!(frame["new"], 1);
    assert_eq!(new_voicemails(&app, &session).await, Some(1));
    // Reading a thread without new voicemails says nothing about them.
    app.post_empty(&format!("/api/threads/{OTHER}/read"), &session)
        .await;
    let next = socket.until(|f| f["type"] != "presence").await;
    assert_eq!(
        (&next["type"], &next["number"]),
        (&json!("unread"), &json!(OTHER))
    );

    let all = app.post_empty("/api/conversations/read", &session).await;
    assert_eq!(all.status, 200, "{}", all.body);
    let frame = socket.until(|f| f["type"] == "voicemails").await;
    assert_eq!(frame["new"], 0);
    assert_eq!(new_voicemails(&app, &session).await, Some(0));
    app.stop().await;
}
