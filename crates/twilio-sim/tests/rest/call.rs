//! Calls: validation errors, the created resource, filters, hanging up and redirecting.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{assert_error, sids, Api, Form, NUMBER, OTHER};

const URL: &str = "https://vbx.example.com/flow/voice/default";

#[tokio::test]
async fn each_invalid_call_gets_its_twilio_error_code_and_status() {
    let api = Api::start().await;
    let cases: Vec<(&str, Form, u64)> = vec![
        (
            "invalid Url",
            vec![("To", OTHER), ("From", NUMBER), ("Url", "not a url")],
            21205,
        ),
        (
            "ftp Url",
            vec![
                ("To", OTHER),
                ("From", NUMBER),
                ("Url", "ftp://example.com/x"),
            ],
            21205,
        ),
        (
            "no Url, Twiml or ApplicationSid",
            vec![("To", OTHER), ("From", NUMBER)],
            21205,
        ),
        (
            "invalid StatusCallback",
            vec![
                ("To", OTHER),
                ("From", NUMBER),
                ("Url", URL),
                ("StatusCallback", "/x"),
            ],
            21205,
        ),
        (
            "invalid To",
            vec![("To", "call me"), ("From", NUMBER), ("Url", URL)],
            21211,
        ),
        ("missing To", vec![("From", NUMBER), ("Url", URL)], 21201),
        ("missing From", vec![("To", OTHER), ("Url", URL)], 21213),
        (
            "invalid From",
            vec![("To", OTHER), ("From", "12"), ("Url", URL)],
            21212,
        ),
        (
            "From not owned",
            vec![("To", OTHER), ("From", "+14155550199"), ("Url", URL)],
            21210,
        ),
        (
            "unknown ApplicationSid",
            vec![
                ("To", OTHER),
                ("From", NUMBER),
                ("ApplicationSid", "APffffffffffffffffffffffffffffffff"),
            ],
            21218,
        ),
        (
            "bad Method",
            vec![
                ("To", OTHER),
                ("From", NUMBER),
                ("Url", URL),
                ("Method", "PUT"),
            ],
            20001,
        ),
        (
            "bad StatusCallbackEvent",
            vec![
                ("To", OTHER),
                ("From", NUMBER),
                ("Url", URL),
                ("StatusCallbackEvent", "exploded"),
            ],
            20001,
        ),
    ];
    for (what, form, code) in cases {
        let reply = api.post(&api.path("Calls.json"), &form).await;
        assert_eq!(reply.json()["code"], code, "{what}: {}", reply.json());
        assert_error(&reply, 400, code);
    }
    assert!(api.sim().calls().is_empty(), "a refused call was stored");
}

#[tokio::test]
async fn a_created_call_is_queued_outbound_and_keeps_its_parameters() {
    let api = Api::start().await;
    let reply = api
        .post(
            &api.path("Calls.json"),
            &[
                ("To", "client:alice"),
                ("From", NUMBER),
                ("Url", URL),
                ("Method", "get"),
                ("StatusCallback", "https://vbx.example.com/status"),
                ("StatusCallbackEvent", "initiated"),
                ("StatusCallbackEvent", "answered"),
                ("Timeout", "20"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let c = reply.json();
    let sid = c["sid"].as_str().unwrap();
    assert!(sid.starts_with("CA"));
    assert_eq!(c["status"], "queued");
    assert_eq!(c["direction"], "outbound-api");
    assert_eq!(c["to"], "client:alice");
    assert_eq!(c["from_formatted"], "(500) 555-0006");
    assert_eq!(c["start_time"], Value::Null);
    assert_eq!(c["duration"], Value::Null);
    let stored = api.sim().call(&sid.parse().unwrap()).unwrap();
    assert_eq!(stored.url.as_deref(), Some(URL));
    assert_eq!(stored.method, "GET");
    assert_eq!(stored.status_callback_events, ["initiated", "answered"]);
    assert_eq!(stored.timeout_secs, 20);
    assert_eq!(
        stored.phone_number_sid,
        Some(api.sim().numbers()[0].sid.clone())
    );
}

#[tokio::test]
async fn calls_are_filtered_by_to_status_and_start_time() {
    let api = Api::start().await;
    let first = api.call(OTHER).await["sid"].as_str().unwrap().to_owned();
    api.sim().advance_clock(Duration::from_secs(2 * 86_400));
    let second = api.call("+14155550101").await["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    api.post(
        &api.path(&format!("Calls/{second}.json")),
        &[("Status", "canceled")],
    )
    .await;
    let list = |query: &str| {
        let uri = api.path(&format!("Calls.json?{query}"));
        let api = &api;
        async move { sids(&api.get(&uri).await.json(), "calls") }
    };
    assert_eq!(list("").await, [second.clone(), first.clone()]);
    assert_eq!(
        list(&format!("To=%2B{}", &OTHER[1..])).await,
        [first.as_str()]
    );
    assert_eq!(list("Status=canceled").await, [second.as_str()]);
    assert_eq!(list("Status=queued").await, [first.as_str()]);
    let today = api
        .sim()
        .call(&second.parse().unwrap())
        .unwrap()
        .date_created
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(
        list(&format!("StartTime%3E={today}")).await,
        [second.as_str()]
    );
    assert_eq!(
        list(&format!("StartTime%3C={today}")).await,
        [second.clone(), first.clone()]
    );
    assert_eq!(list(&format!("StartTime={today}")).await, [second]);
    assert_error(
        &api.get(&api.path("Calls.json?Status=exploded")).await,
        400,
        20001,
    );
}

#[tokio::test]
async fn hanging_up_a_queued_call_cancels_it_and_then_it_cannot_be_changed() {
    let api = Api::start().await;
    let sid = api.call(OTHER).await["sid"].as_str().unwrap().to_owned();
    let uri = api.path(&format!("Calls/{sid}.json"));
    let reply = api.post(&uri, &[("Status", "completed")]).await;
    assert_eq!(reply.status, StatusCode::OK);
    let c = reply.json();
    assert_eq!(c["status"], "canceled");
    assert!(c["end_time"].is_string());
    let again = api.post(&uri, &[("Url", URL)]).await;
    assert_error(&again, 400, 21220);
    let bad = api.post(&uri, &[("Status", "paused")]).await;
    assert_error(&bad, 400, 20001);
}

#[tokio::test]
async fn redirecting_a_live_call_replaces_its_twiml_source() {
    let api = Api::start().await;
    let sid = api.call(OTHER).await["sid"].as_str().unwrap().to_owned();
    let uri = api.path(&format!("Calls/{sid}.json"));
    let reply = api
        .post(&uri, &[("Twiml", "<Response><Hangup/></Response>")])
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let stored = api.sim().call(&sid.parse().unwrap()).unwrap();
    assert_eq!(
        stored.twiml.as_deref(),
        Some("<Response><Hangup/></Response>")
    );
    assert_eq!(stored.url, None);
    assert_eq!(stored.status, twilio_sim::CallStatus::Queued);
    let both = api
        .post(&uri, &[("Url", URL), ("Twiml", "<Response/>")])
        .await;
    assert_error(&both, 400, 20001);
}

#[tokio::test]
async fn deleting_a_call_answers_204_then_404() {
    let api = Api::start().await;
    let sid = api.call(OTHER).await["sid"].as_str().unwrap().to_owned();
    let uri = api.path(&format!("Calls/{sid}.json"));
    assert_eq!(api.delete(&uri).await.status, StatusCode::NO_CONTENT);
    assert_error(&api.get(&uri).await, 404, 20404);
}
