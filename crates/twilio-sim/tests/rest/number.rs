//! IncomingPhoneNumbers and Applications: listing, filters, webhook configuration.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{assert_error, items, sids, Api, NUMBER};

async fn the_number(api: &Api) -> Value {
    let page = api
        .get(&api.path(&format!(
            "IncomingPhoneNumbers.json?PhoneNumber=%2B{}",
            &NUMBER[1..]
        )))
        .await
        .json();
    let found = items(&page, "incoming_phone_numbers");
    assert_eq!(found.len(), 1, "{page}");
    found[0].clone()
}

#[tokio::test]
async fn the_configured_number_exists_and_is_found_by_phone_number() {
    let api = Api::start().await;
    let n = the_number(&api).await;
    assert_eq!(n["phone_number"], NUMBER);
    assert_eq!(n["friendly_name"], "(500) 555-0006");
    assert!(n["sid"].as_str().unwrap().starts_with("PN"));
    assert_eq!(n["voice_url"], Value::Null);
    assert_eq!(
        n["capabilities"],
        json!({"voice": true, "sms": true, "mms": true, "fax": false})
    );
    let none = api
        .get(&api.path("IncomingPhoneNumbers.json?PhoneNumber=%2B19995550000"))
        .await;
    assert!(items(&none.json(), "incoming_phone_numbers").is_empty());
    let partial = api
        .get(&api.path("IncomingPhoneNumbers.json?PhoneNumber=555*006"))
        .await;
    assert_eq!(
        sids(&partial.json(), "incoming_phone_numbers"),
        [n["sid"].as_str().unwrap()]
    );
}

#[tokio::test]
async fn updating_a_number_sets_its_webhooks_and_a_bad_url_changes_nothing() {
    let api = Api::start().await;
    let sid = the_number(&api).await["sid"].as_str().unwrap().to_owned();
    let uri = api.path(&format!("IncomingPhoneNumbers/{sid}.json"));
    let reply = api
        .post(
            &uri,
            &[
                ("VoiceUrl", "https://vbx.example.com/flow/voice/default"),
                ("VoiceMethod", "GET"),
                ("SmsUrl", "https://vbx.example.com/flow/msg/default"),
                ("StatusCallback", "https://vbx.example.com/status"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let n = reply.json();
    assert_eq!(n["voice_url"], "https://vbx.example.com/flow/voice/default");
    assert_eq!(n["voice_method"], "GET");
    assert_eq!(n["sms_url"], "https://vbx.example.com/flow/msg/default");
    assert_eq!(n["status_callback"], "https://vbx.example.com/status");

    let bad = api
        .post(
            &uri,
            &[("SmsUrl", "https://ok.example.com/"), ("VoiceUrl", "nope")],
        )
        .await;
    assert_error(&bad, 400, 21205);
    let after = api.get(&uri).await.json();
    assert_eq!(after["sms_url"], "https://vbx.example.com/flow/msg/default");

    let cleared = api.post(&uri, &[("VoiceUrl", "")]).await.json();
    assert_eq!(cleared["voice_url"], Value::Null);
}

#[tokio::test]
async fn a_number_can_point_at_an_existing_application_only() {
    let api = Api::start().await;
    let sid = the_number(&api).await["sid"].as_str().unwrap().to_owned();
    let uri = api.path(&format!("IncomingPhoneNumbers/{sid}.json"));
    let unknown = api
        .post(
            &uri,
            &[("VoiceApplicationSid", "APffffffffffffffffffffffffffffffff")],
        )
        .await;
    assert_error(&unknown, 400, 21218);
    let app = api
        .post(&api.path("Applications.json"), &[("FriendlyName", "vbx")])
        .await
        .json();
    let ap = app["sid"].as_str().unwrap();
    let n = api.post(&uri, &[("VoiceApplicationSid", ap)]).await.json();
    assert_eq!(n["voice_application_sid"], ap);
    assert_eq!(
        api.delete(&api.path(&format!("Applications/{ap}.json")))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.get(&uri).await.json()["voice_application_sid"],
        Value::Null
    );
}

#[tokio::test]
async fn numbers_added_through_the_control_api_are_listed() {
    let api = Api::start().await;
    let (status, added) = api
        .control(
            Method::POST,
            "numbers",
            Some(json!({"phone_number": "+14155550123"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let page = api.get(&api.path("IncomingPhoneNumbers.json")).await.json();
    let numbers: Vec<&str> = items(&page, "incoming_phone_numbers")
        .iter()
        .map(|n| n["phone_number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["+14155550123", NUMBER]);
    let (again, _) = api
        .control(
            Method::POST,
            "numbers",
            Some(json!({"phone_number": "+14155550123"})),
        )
        .await;
    assert_eq!(again, StatusCode::CONFLICT);
    let (bad, _) = api
        .control(
            Method::POST,
            "numbers",
            Some(json!({"phone_number": "4155550123"})),
        )
        .await;
    assert_eq!(bad, StatusCode::BAD_REQUEST);
    // The new number can send.
    let reply = api
        .post(
            &api.path("Messages.json"),
            &[("To", NUMBER), ("From", "+14155550123"), ("Body", "hi")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
}

#[tokio::test]
async fn applications_are_created_found_by_friendly_name_and_updated() {
    let api = Api::start().await;
    let created = api
        .post(
            &api.path("Applications.json"),
            &[
                ("FriendlyName", "vbx browser phone"),
                ("VoiceUrl", "https://vbx.example.com/flow/voice/default"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let app = created.json();
    let sid = app["sid"].as_str().unwrap();
    assert!(sid.starts_with("AP"));
    assert_eq!(app["voice_method"], "POST");
    api.post(&api.path("Applications.json"), &[("FriendlyName", "other")])
        .await;

    let found = api
        .get(&api.path("Applications.json?FriendlyName=vbx+browser+phone"))
        .await
        .json();
    assert_eq!(sids(&found, "applications"), [sid]);

    let uri = api.path(&format!("Applications/{sid}.json"));
    let updated = api
        .post(
            &uri,
            &[
                ("VoiceUrl", "https://new.example.com/voice"),
                ("VoiceMethod", "GET"),
            ],
        )
        .await
        .json();
    assert_eq!(updated["voice_url"], "https://new.example.com/voice");
    assert_eq!(updated["voice_method"], "GET");
    assert_eq!(updated["friendly_name"], "vbx browser phone");
    assert_error(&api.post(&uri, &[("VoiceUrl", "x")]).await, 400, 21205);
    assert_error(
        &api.get(&api.path("Applications/APffffffffffffffffffffffffffffffff.json"))
            .await,
        404,
        20404,
    );
}
