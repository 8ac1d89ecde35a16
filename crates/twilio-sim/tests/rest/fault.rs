//! Faults on demand: 500s for N requests or a while, held answers, failing destinations; and
//! the count of REST requests by endpoint.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use twilio_sim::DeliveryError;

use crate::support::{assert_error, Api, OTHER};

#[tokio::test]
async fn injected_failures_answer_500_then_the_api_recovers() {
    let api = Api::start().await;
    api.sim().fail_next_requests(2);
    let list = api.path("Messages.json");
    assert_error(&api.get(&list).await, 500, 20500);
    assert_error(&api.get(&list).await, 500, 20500);
    assert_eq!(api.get(&list).await.status, StatusCode::OK);
}

#[tokio::test]
async fn failures_armed_through_the_control_api_also_hit_creates() {
    let api = Api::start().await;
    let (status, _) = api
        .control(Method::POST, "faults/errors", Some(json!({"count": 1})))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let reply = api
        .post(
            &api.path("Messages.json"),
            &[
                ("To", OTHER),
                ("From", crate::support::NUMBER),
                ("Body", "x"),
            ],
        )
        .await;
    assert_error(&reply, 500, 20500);
    assert!(
        api.sim().messages().is_empty(),
        "a failed request created a message"
    );
    api.send_sms(OTHER, "now it works").await;
}

#[tokio::test]
async fn a_failure_window_lasts_until_cleared() {
    let api = Api::start().await;
    let (status, _) = api
        .control(
            Method::POST,
            "faults/errors",
            Some(json!({"seconds": 3600})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for _ in 0..3 {
        assert_error(&api.get(&api.path("Calls.json")).await, 500, 20500);
    }
    let (cleared, _) = api.control(Method::DELETE, "faults", None).await;
    assert_eq!(cleared, StatusCode::NO_CONTENT);
    assert_eq!(
        api.get(&api.path("Calls.json")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn held_requests_make_a_client_time_out_until_the_delay_is_cleared() {
    let api = Api::start().await;
    api.sim()
        .delay_requests_for(Duration::from_secs(600), Duration::from_secs(600));
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let error = impatient
        .get(format!("{}{}", api.base(), api.path("Messages.json")))
        .basic_auth(&api.account, Some(&api.token))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    api.sim().clear_faults();
    assert_eq!(
        api.get(&api.path("Messages.json")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_held_create_is_carried_out_even_when_its_client_gives_up() {
    let api = Api::start().await;
    api.sim()
        .delay_requests_for(Duration::from_secs(600), Duration::from_secs(600));
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let error = impatient
        .post(format!("{}{}", api.base(), api.path("Messages.json")))
        .basic_auth(&api.account, Some(&api.token))
        .form(&[
            ("To", OTHER),
            ("From", crate::support::NUMBER),
            ("Body", "lost answer"),
        ])
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");

    // Twilio took the message; only its answer never reached the client.
    let created = api
        .sim()
        .wait_until(Duration::from_secs(30), |sim| {
            sim.messages().into_iter().find(|m| m.body == "lost answer")
        })
        .await
        .expect("the held create was carried out");
    assert_eq!(created.to, OTHER);
    api.sim().clear_faults();
    assert_eq!(api.sim().messages().len(), 1);
}

#[tokio::test]
async fn a_held_answer_reaches_a_client_that_waits_for_it() {
    let api = Api::start().await;
    api.sim()
        .delay_requests_for(Duration::from_millis(300), Duration::from_secs(600));
    let sent = api.send_sms(OTHER, "answered late").await;
    let at_twilio = api.sim().messages();
    assert_eq!(at_twilio.len(), 1);
    assert_eq!(sent["sid"], at_twilio[0].sid.as_str());
    assert_eq!(sent["body"], "answered late");
}

#[tokio::test]
async fn rest_requests_are_counted_by_endpoint_and_status_until_cleared() {
    let api = Api::start().await;
    let calls = "/2010-04-01/Accounts/{account}/Calls.json";
    let messages = "/2010-04-01/Accounts/{account}/Messages.json";
    let message = "/2010-04-01/Accounts/{account}/Messages/{sid}";
    api.get(&api.path("Calls.json")).await;
    api.sim().fail_next_requests(1);
    api.get(&api.path("Calls.json")).await;
    let sent = api.send_sms(OTHER, "counted").await;
    let sid = sent["sid"].as_str().unwrap();
    api.get(&api.path(&format!("Messages/{sid}.json"))).await;
    api.get(&api.path("Nothing.json")).await;
    api.send_as(None, Method::GET, &api.path("Calls.json"), &[])
        .await;
    // The control API's own requests are not counted.
    api.control(Method::GET, "messages", None).await;

    let (status, log) = api.control(Method::GET, "requests", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(log["total"], 6, "{log}");
    let entry = |method: &str, path: &str| {
        log["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["method"] == method && e["path"] == path)
            .cloned()
            .unwrap_or_else(|| panic!("no {method} {path} in {log}"))
    };
    assert_eq!(
        entry("GET", calls),
        json!({"method": "GET", "path": calls, "count": 3,
               "statuses": {"200": 1, "401": 1, "500": 1}})
    );
    assert_eq!(entry("POST", messages)["statuses"], json!({"201": 1}));
    assert_eq!(entry("GET", message)["count"], 1);
    assert_eq!(entry("GET", "(no route)")["statuses"], json!({"404": 1}));
    assert_eq!(api.sim().rest_requests().count("GET", calls), 3);

    let (cleared, _) = api.control(Method::DELETE, "requests", None).await;
    assert_eq!(cleared, StatusCode::NO_CONTENT);
    let (_, log) = api.control(Method::GET, "requests", None).await;
    assert_eq!(log, json!({"total": 0, "endpoints": []}));
    api.get(&api.path("Calls.json")).await;
    assert_eq!(api.sim().rest_requests().total(), 1);
}

#[tokio::test]
async fn messages_to_a_failing_destination_carry_the_armed_failure() {
    let api = Api::start().await;
    api.sim()
        .fail_messages_to(OTHER, DeliveryError::Unreachable);
    let (status, _) = api
        .control(
            Method::POST,
            "faults/destinations",
            Some(json!({"to": "+14155550101", "error_code": 30005})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (bad, _) = api
        .control(
            Method::POST,
            "faults/destinations",
            Some(json!({"to": "+14155550102", "error_code": 20001})),
        )
        .await;
    assert_eq!(bad, StatusCode::BAD_REQUEST);

    let a = api.send_sms(OTHER, "a").await;
    let b = api.send_sms("+14155550101", "b").await;
    let c = api.send_sms("+14155550103", "c").await;
    // Creation still answers queued: the failure shows when delivery is simulated.
    assert_eq!(a["status"], "queued");
    let pending = |m: &serde_json::Value| {
        api.sim()
            .message(&m["sid"].as_str().unwrap().parse().unwrap())
            .unwrap()
            .pending_failure
    };
    assert_eq!(pending(&a), Some(DeliveryError::Unreachable));
    assert_eq!(pending(&b), Some(DeliveryError::UnknownDestination));
    assert_eq!(pending(&c), None);
}
