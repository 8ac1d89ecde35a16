//! The control API: what was sent, the clock, reset.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{items, Api, NUMBER, OTHER};

#[tokio::test]
async fn the_control_api_lists_everything_sent_and_reset_clears_it() {
    let api = Api::start().await;
    let m = api.send_sms(OTHER, "first").await;
    let c = api.call(OTHER).await;
    api.post(&api.path("Applications.json"), &[("FriendlyName", "vbx")])
        .await;
    api.sim().fail_next_requests(5);

    let (status, sent) = api.control(Method::GET, "messages", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(items(&sent, "messages")[0]["sid"], m["sid"]);
    let (_, calls) = api.control(Method::GET, "calls", None).await;
    assert_eq!(items(&calls, "calls")[0]["sid"], c["sid"]);

    let (reset, _) = api.control(Method::POST, "reset", None).await;
    assert_eq!(reset, StatusCode::NO_CONTENT);
    assert!(api.sim().messages().is_empty());
    assert!(api.sim().calls().is_empty());
    assert!(api.sim().applications().is_empty());
    let numbers = api.sim().numbers();
    assert_eq!(numbers.len(), 1);
    assert_eq!(numbers[0].phone_number.as_str(), NUMBER);
    // The reset also disarmed the faults.
    assert_eq!(
        api.get(&api.path("Messages.json")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn advancing_the_clock_dates_new_resources_later() {
    let api = Api::start().await;
    let before = api.send_sms(OTHER, "before").await;
    let (status, _) = api
        .control(
            Method::POST,
            "clock",
            Some(json!({"advance_seconds": 86_400 * 10})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let after = api.send_sms(OTHER, "after").await;
    let date = |m: &serde_json::Value| {
        chrono::DateTime::parse_from_rfc2822(m["date_created"].as_str().unwrap()).unwrap()
    };
    assert!(date(&after) - date(&before) >= chrono::Duration::days(10));
}

#[tokio::test]
async fn the_control_api_explains_a_malformed_request() {
    let api = Api::start().await;
    let (status, body) = api
        .control(
            Method::POST,
            "faults/errors",
            Some(json!({"count": 1, "seconds": 2})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"].as_str().unwrap().contains("exactly one"),
        "{body}"
    );
    let (status, body) = api
        .control(
            Method::POST,
            "numbers",
            Some(json!({"number": "+14155550123"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("invalid JSON body"),
        "{body}"
    );
}

#[tokio::test]
async fn a_stopped_simulator_refuses_connections() {
    let (addr, handle) = twilio_sim::SimServer::start(crate::support::config())
        .await
        .unwrap();
    let url =
        format!("http://{addr}/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Calls.json");
    let client = reqwest::Client::new();
    assert_eq!(
        client.get(&url).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    handle.shutdown().await.unwrap();
    let fresh = reqwest::Client::new();
    assert!(fresh.get(&url).send().await.unwrap_err().is_connect());
}
