//! Conversations, threads, the call log and contacts, after Twilio's signed webhooks stored
//! texts, calls and a voicemail.

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::*;

/// Items sorted newest first, ties broken by the key descending (what the cursor uses).
fn assert_newest_first(items: &Value, at: &str, key: &str) {
    let keys: Vec<(i64, String)> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i[at].as_i64().unwrap(),
                i[key].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(keys, sorted, "not newest first");
}

fn sorted<T: Ord>(mut list: Vec<T>) -> Vec<T> {
    list.sort();
    list
}

fn kinds(items: &Value) -> Vec<(String, String)> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let id = i["sid"].as_str().unwrap_or_default().to_owned();
            (i["kind"].as_str().unwrap().to_owned(), id)
        })
        .collect()
}

#[tokio::test]
async fn texts_calls_and_voicemails_from_webhooks_make_conversations_and_a_thread() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let first = app.text_arrives(CALLER, "hello there").await;
    let (call, _) = app.call_arrives("default", CALLER).await;
    app.call_ends(&call, CALLER, 42).await;
    let (vm_call, recording) = app.voicemail_left(CALLER).await;
    let last = app.text_arrives(CALLER, "call me back").await;
    let from_ann = app.text_arrives(ANN, "hi, it's Ann").await;

    let list = app.get("/api/conversations", &session).await;
    assert_eq!(list.status, 200, "{}", list.body);
    let list = list.json();
    assert_eq!(list["next"], Value::Null);
    let rows = list["items"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{list}");
    // Ann texted last (and sorts first on a tie of milliseconds, being the larger number).
    assert_eq!(rows[0]["number"], ANN);
    assert_eq!(rows[0]["name"], "Ann");
    assert_eq!(rows[0]["unread"], 1);
    assert_eq!(rows[0]["last"]["kind"], "message");
    assert_eq!(rows[0]["last"]["text"], "hi, it's Ann");
    assert_eq!(rows[0]["last"]["direction"], "inbound");
    assert_eq!(rows[1]["number"], CALLER);
    assert_eq!(rows[1]["name"], Value::Null);
    assert_eq!(rows[1]["unread"], 2);
    assert_eq!(rows[1]["last"]["text"], "call me back");

    let thread = app
        .get(&format!("/api/threads/{}", path_number(CALLER)), &session)
        .await;
    assert_eq!(thread.status, 200, "{}", thread.body);
    let thread = thread.json();
    assert_eq!(thread["number"], CALLER);
    assert_eq!(
        sorted(kinds(&thread["items"])),
        sorted(vec![
            ("message".to_owned(), last.clone()),
            ("voicemail".to_owned(), recording.clone()),
            ("call".to_owned(), vm_call.clone()),
            ("call".to_owned(), call.clone()),
            ("message".to_owned(), first.clone()),
        ])
    );
    assert_newest_first(&thread["items"], "at", "sid");
    let items = thread["items"].as_array().unwrap();
    let by_sid = |sid: &str| -> &Value { items.iter().find(|i| i["sid"] == sid).unwrap() };
    let text = by_sid(&last);
    assert_eq!(text["body"], "call me back");
    assert_eq!(text["direction"], "inbound");
    assert_eq!(text["status"], "received");
    assert_eq!(text["error"], Value::Null);
    assert_eq!(text["media"], json!([]));
    let vm = by_sid(&recording);
    assert_eq!(vm["call_sid"], vm_call);
    assert_eq!(vm["duration"], 9);
    assert_eq!(vm["url"], format!("/api/recordings/{recording}"));
    assert_eq!(vm["transcription"], Value::Null);
    let ended = by_sid(&call);
    assert_eq!(ended["status"], "completed");
    assert_eq!(ended["duration"], 42);
    assert_eq!(ended["direction"], "inbound");

    // Cursor paging walks the same thread two at a time.
    let mut paged = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let path = match &next {
            Some(cursor) => format!("/api/threads/{CALLER}?limit=2&before={cursor}"),
            None => format!("/api/threads/{CALLER}?limit=2"),
        };
        let page = app.get(&path, &session).await.json();
        paged.extend(kinds(&page["items"]));
        match page["next"].as_str() {
            Some(cursor) => next = Some(cursor.to_owned()),
            None => break,
        }
    }
    assert_eq!(paged, kinds(&thread["items"]));
    let _ = from_ann;
    app.stop().await;
}

#[tokio::test]
async fn reading_a_thread_clears_its_unread_count() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    app.text_arrives(CALLER, "one").await;
    app.text_arrives(CALLER, "two").await;
    let read = app
        .post_empty(&format!("/api/threads/{CALLER}/read"), &session)
        .await;
    assert_eq!(read.status, 204, "{}", read.body);
    let list = app.get("/api/conversations", &session).await.json();
    assert_eq!(list["items"][0]["unread"], 0);
    app.text_arrives(CALLER, "three").await;
    let list = app.get("/api/conversations", &session).await.json();
    assert_eq!(list["items"][0]["unread"], 1);
    app.stop().await;
}

#[tokio::test]
async fn conversations_page_by_cursor_and_search_by_name_or_number() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let numbers: Vec<String> = (0..5).map(|i| format!("+1415555020{i}")).collect();
    for number in &numbers {
        app.text_arrives(number, "hi").await;
    }
    app.text_arrives(ANN, "from Ann").await;
    let first = app.get("/api/conversations?limit=4", &session).await.json();
    assert_eq!(first["items"].as_array().unwrap().len(), 4);
    let cursor = first["next"].as_str().unwrap();
    let rest = app
        .get(
            &format!("/api/conversations?limit=4&before={cursor}"),
            &session,
        )
        .await
        .json();
    assert_eq!(rest["next"], Value::Null);
    let seen: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["items"].as_array().unwrap())
        .map(|c| c["number"].as_str().unwrap())
        .collect();
    assert_eq!(seen.len(), 6);
    let mut expected: Vec<&str> = numbers.iter().map(String::as_str).collect();
    expected.push(ANN);
    assert_eq!(sorted(seen.clone()), sorted(expected));

    let by_name = app.get("/api/conversations?q=ann", &session).await.json();
    assert_eq!(by_name["items"].as_array().unwrap().len(), 1);
    assert_eq!(by_name["items"][0]["number"], ANN);
    let by_digits = app
        .get("/api/conversations?q=555-0203", &session)
        .await
        .json();
    assert_eq!(by_digits["items"][0]["number"], "+14155550203");
    assert_eq!(by_digits["items"].as_array().unwrap().len(), 1);
    let bad = app.get("/api/conversations?before=!!", &session).await;
    assert_eq!((bad.status, bad.code().as_str()), (400, "bad_request"));
    let bad = app.get("/api/conversations?limit=many", &session).await;
    assert_eq!((bad.status, bad.code().as_str()), (400, "bad_request"));
    app.stop().await;
}

#[tokio::test]
async fn texts_from_a_forwarding_device_are_not_a_conversation() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    app.text_arrives(CELL, "a reply relayed by my cell").await;
    app.text_arrives(CALLER, "hello").await;
    let list = app.get("/api/conversations", &session).await.json();
    let numbers: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, [CALLER]);
    // The thread itself is still there for whoever asks for it.
    let thread = app
        .get(&format!("/api/threads/{CELL}"), &session)
        .await
        .json();
    assert_eq!(thread["items"].as_array().unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn the_call_log_lists_calls_with_filters_and_their_voicemail() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let (answered, _) = app.call_arrives("default", CALLER).await;
    app.call_ends(&answered, CALLER, 30).await;
    let (vm_call, recording) = app.voicemail_left(ANN).await;
    let (ringing, _) = app.call_arrives("default", CALLER).await;

    let all = app.get("/api/calls", &session).await;
    assert_eq!(all.status, 200, "{}", all.body);
    let all = all.json();
    let sids: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["sid"].as_str().unwrap())
        .collect();
    assert_eq!(
        sorted(sids),
        sorted(vec![ringing.as_str(), vm_call.as_str(), answered.as_str()])
    );
    assert_newest_first(&all["items"], "at", "sid");
    let find = |sid: &str| -> Value {
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["sid"] == sid)
            .unwrap()
            .clone()
    };
    let vm = find(&vm_call);
    assert_eq!(vm["name"], "Ann");
    assert_eq!(vm["from"], ANN);
    assert_eq!(vm["to"], NUMBER);
    assert_eq!(vm["direction"], "inbound");
    assert_eq!(vm["recording"]["sid"], recording);
    assert_eq!(find(&answered)["recording"], Value::Null);

    let completed = app
        .get("/api/calls?status=completed", &session)
        .await
        .json();
    assert_eq!(completed["items"].as_array().unwrap().len(), 1);
    assert_eq!(completed["items"][0]["sid"], answered);
    assert_eq!(completed["items"][0]["duration"], 30);
    let from_caller = app
        .get(
            &format!("/api/calls?number={}&limit=1", path_number(CALLER)),
            &session,
        )
        .await
        .json();
    let cursor = from_caller["next"].as_str().unwrap();
    let older = app
        .get(
            &format!(
                "/api/calls?number={}&limit=1&before={cursor}",
                path_number(CALLER)
            ),
            &session,
        )
        .await
        .json();
    assert_eq!(older["next"], Value::Null);
    let paged = sorted(vec![
        from_caller["items"][0]["sid"].as_str().unwrap(),
        older["items"][0]["sid"].as_str().unwrap(),
    ]);
    assert_eq!(paged, sorted(vec![ringing.as_str(), answered.as_str()]));
    let outbound = app
        .get("/api/calls?direction=outbound", &session)
        .await
        .json();
    assert!(outbound["items"].as_array().unwrap().is_empty());
    let bad = app.get("/api/calls?direction=sideways", &session).await;
    assert_eq!(bad.status, 400);
    app.stop().await;
}

#[tokio::test]
async fn contacts_are_seeded_from_the_config_and_edited_through_the_api() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let list = app.get("/api/contacts", &session).await.json();
    assert_eq!(
        list,
        json!({"items": [
            {"number": ANN, "name": "Ann"},
            {"number": CELL, "name": "BusinessName"},
        ]})
    );
    let added = app
        .send_json(
            Method::POST,
            "/api/contacts",
            &session,
            json!({"number": "(415) 555-0100", "name": "  Carl  "}),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.body);
    assert_eq!(added.json(), json!({"number": CALLER, "name": "Carl"}));
    let again = app
        .send_json(
            Method::POST,
            "/api/contacts",
            &session,
            json!({"number": CALLER, "name": "Carl"}),
        )
        .await;
    assert_eq!((again.status, again.code().as_str()), (409, "conflict"));
    let bad = app
        .send_json(
            Method::POST,
            "/api/contacts",
            &session,
            json!({"number": "not a number", "name": "X"}),
        )
        .await;
    assert_eq!(bad.status, 400);
    let renamed = app
        .send_json(
            Method::PUT,
            &format!("/api/contacts/{}", path_number(ANN)),
            &session,
            json!({"name": "Ann Smith"}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.json(), json!({"number": ANN, "name": "Ann Smith"}));
    let gone = app
        .delete(&format!("/api/contacts/{}", path_number(CELL)), &session)
        .await;
    assert_eq!(gone.status, 204, "{}", gone.body);
    let missing = app
        .delete(&format!("/api/contacts/{}", path_number(CELL)), &session)
        .await;
    assert_eq!(missing.status, 404);

    // The thread title follows the contact.
    app.text_arrives(ANN, "it's me").await;
    let thread = app
        .get(&format!("/api/threads/{ANN}"), &session)
        .await
        .json();
    assert_eq!(thread["name"], "Ann Smith");

    // A restart seeds from the config again without undoing the edits.
    let data = app.stop().await;
    let app = TestApp::builder().data(data).start().await;
    let list = app.get("/api/contacts", &session).await.json();
    assert_eq!(
        list,
        json!({"items": [
            {"number": ANN, "name": "Ann Smith"},
            {"number": CALLER, "name": "Carl"},
        ]})
    );
    app.stop().await;
}

/// The relay's answer to a text from the forwarding cell.
async fn from_cell(app: &TestApp, body: &str) -> String {
    let message_sid = sid("SM");
    let p = [
        ("MessageSid", message_sid.as_str()),
        ("AccountSid", ACCOUNT),
        ("From", CELL),
        ("To", NUMBER),
        ("Body", body),
        ("NumMedia", "0"),
    ];
    app.post_signed("/flow/msg/default", &p)
        .await
        .twiml()
        .to_owned()
}

#[tokio::test]
async fn contacts_edited_in_the_app_are_names_for_the_relay_at_once() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let zed = "+14155550177";
    assert!(
        from_cell(&app, "@Zed are you there?")
            .await
            .contains("vbx: no contact"),
        "not a contact yet"
    );

    let added = app
        .send_json(
            Method::POST,
            "/api/contacts",
            &session,
            json!({"number": zed, "name": "Zed"}),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.body);
    assert_eq!(
        from_cell(&app, "@Zed are you there?").await,
        format!("<Response><Message to=\"{zed}\"><Body>are you there?</Body></Message></Response>")
    );

    let renamed = app
        .send_json(
            Method::PUT,
            &format!("/api/contacts/{}", path_number(zed)),
            &session,
            json!({"name": "Zack"}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    let old_name = from_cell(&app, "@Zed hi").await;
    assert!(
        old_name.contains("vbx: no contact \"Zed\""),
        "the old name is gone: {old_name}"
    );
    assert!(from_cell(&app, "@Zack hi")
        .await
        .contains(&format!("to=\"{zed}\"")));

    let gone = app
        .delete(&format!("/api/contacts/{}", path_number(zed)), &session)
        .await;
    assert_eq!(gone.status, 204, "{}", gone.body);
    assert!(from_cell(&app, "@Zack hi")
        .await
        .contains("vbx: no contact"));
    app.stop().await;
}
