//! What an idle vbx asks Twilio: only the reconciliation sync, however many browsers are open;
//! the Twilio status comes from the sync's answers.

use serde_json::{json, Value};

use crate::harness::*;

const CALLS: &str = "/2010-04-01/Accounts/{account}/Calls.json";
const MESSAGES: &str = "/2010-04-01/Accounts/{account}/Messages.json";

async fn status(app: &TestApp, session: &Session) -> Value {
    let reply = app.get("/api/status", session).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

#[tokio::test]
async fn open_browsers_make_no_twilio_requests_and_the_sync_alone_reports_twilio_reachable() {
    let app = TestApp::builder().own_sim().start().await;
    let session = app.alice().await;
    // The first sync pass runs at start; its answers are what the status shows.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    let synced = loop {
        let now = status(&app, &session).await;
        if now["twilio"]["reachable"] == true && now["last_sync"].is_i64() {
            break now;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no sync reported Twilio reachable: {now}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(synced["twilio"]["last_error"], Value::Null);

    // Three tabs do what the UI does on load: a socket, the voice token, registration, status.
    let mut tabs = Vec::new();
    for _ in 0..3 {
        let mut tab = app.socket(&session).await;
        assert_eq!(app.get("/api/token", &session).await.status, 200);
        tab.send(json!({"type": "voice", "registered": true})).await;
        tab.until(|f| f["type"] == "presence" && online(f, "browser") == Some(json!(true)))
            .await;
        status(&app, &session).await;
        app.get("/api/conversations", &session).await;
        tabs.push(tab);
    }

    let log = app.sim().rest_requests();
    let endpoints: Vec<(String, String)> = log
        .endpoints()
        .map(|(e, _)| (e.method.clone(), e.path.clone()))
        .collect();
    assert_eq!(
        endpoints,
        [
            ("GET".to_owned(), CALLS.to_owned()),
            ("GET".to_owned(), MESSAGES.to_owned())
        ],
        "{}",
        log.to_json()
    );
    assert_eq!(log.count("GET", CALLS), log.count("GET", MESSAGES));
    for tab in tabs {
        tab.close().await;
    }
    app.stop().await;
}
