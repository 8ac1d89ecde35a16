//! Every successful JSON response validates against the official spec, and the validation
//! really rejects wrong shapes.

use serde_json::{json, Value};

use crate::schema;
use crate::support::{sids, Api, NUMBER, OTHER};

#[tokio::test]
async fn every_successful_endpoint_answers_json_that_conforms_to_the_openapi_spec() {
    let api = Api::start().await;
    let message = api.send_sms(OTHER, "hello").await;
    let sm = message["sid"].as_str().unwrap();
    api.get(&api.path("Messages.json")).await;
    api.get(&api.path(&format!("Messages/{sm}.json"))).await;
    api.post(&api.path(&format!("Messages/{sm}.json")), &[("Body", "")])
        .await;
    api.get(&api.path(&format!("Messages/{sm}/Media.json")))
        .await;

    let call = api.call(OTHER).await;
    let ca = call["sid"].as_str().unwrap();
    api.get(&api.path("Calls.json")).await;
    api.get(&api.path(&format!("Calls/{ca}.json"))).await;
    let recording = api.sim().add_recording(&ca.parse().unwrap(), 7).unwrap();
    let re = recording.sid.as_str();
    api.get(&api.path("Recordings.json")).await;
    api.get(&api.path(&format!("Recordings/{re}.json"))).await;
    api.get(&api.path(&format!("Calls/{ca}/Recordings.json")))
        .await;
    api.get(&api.path(&format!("Calls/{ca}/Recordings/{re}.json")))
        .await;
    api.post(
        &api.path(&format!("Calls/{ca}.json")),
        &[("Status", "canceled")],
    )
    .await;

    let numbers = api
        .get(&api.path(&format!(
            "IncomingPhoneNumbers.json?PhoneNumber=%2B{}",
            &NUMBER[1..]
        )))
        .await
        .json();
    let pn = sids(&numbers, "incoming_phone_numbers")[0].clone();
    api.get(&api.path(&format!("IncomingPhoneNumbers/{pn}.json")))
        .await;
    api.post(
        &api.path(&format!("IncomingPhoneNumbers/{pn}.json")),
        &[("SmsUrl", "https://vbx.example.com/flow/msg/default")],
    )
    .await;

    let app = api
        .post(&api.path("Applications.json"), &[("FriendlyName", "vbx")])
        .await
        .json();
    let ap = app["sid"].as_str().unwrap();
    api.get(&api.path("Applications.json?FriendlyName=vbx"))
        .await;
    api.get(&api.path(&format!("Applications/{ap}.json"))).await;
    api.post(
        &api.path(&format!("Applications/{ap}.json")),
        &[("VoiceUrl", "https://vbx.example.com/flow/voice/default")],
    )
    .await;

    let key = api
        .post(&api.path("Keys.json"), &[("FriendlyName", "browser")])
        .await
        .json();
    api.get(&api.path("Keys.json")).await;
    api.get(&api.path(&format!("Keys/{}.json", key["sid"].as_str().unwrap())))
        .await;

    // Media: an MMS whose media the simulator fetches from a local server.
    let media_server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .respond_with(
            wiremock::ResponseTemplate::new(200).set_body_raw(b"GIF89a".to_vec(), "image/gif"),
        )
        .mount(&media_server)
        .await;
    let mms = api
        .post(
            &api.path("Messages.json"),
            &[
                ("To", OTHER),
                ("From", NUMBER),
                ("MediaUrl", &format!("{}/cat.gif", media_server.uri())),
            ],
        )
        .await
        .json();
    let mm = mms["sid"].as_str().unwrap();
    let media = api
        .get(&api.path(&format!("Messages/{mm}/Media.json")))
        .await
        .json();
    let me = sids(&media, "media_list")[0].clone();
    api.get(&api.path(&format!("Messages/{mm}/Media/{me}.json")))
        .await;

    let validated = api.validated.lock().unwrap().clone();
    let p = "/2010-04-01/Accounts/{AccountSid}";
    let expected = [
        ("POST", format!("{p}/Messages.json")),
        ("GET", format!("{p}/Messages.json")),
        ("GET", format!("{p}/Messages/{{Sid}}.json")),
        ("POST", format!("{p}/Messages/{{Sid}}.json")),
        ("GET", format!("{p}/Messages/{{MessageSid}}/Media.json")),
        (
            "GET",
            format!("{p}/Messages/{{MessageSid}}/Media/{{Sid}}.json"),
        ),
        ("POST", format!("{p}/Calls.json")),
        ("GET", format!("{p}/Calls.json")),
        ("GET", format!("{p}/Calls/{{Sid}}.json")),
        ("POST", format!("{p}/Calls/{{Sid}}.json")),
        ("GET", format!("{p}/Calls/{{CallSid}}/Recordings.json")),
        (
            "GET",
            format!("{p}/Calls/{{CallSid}}/Recordings/{{Sid}}.json"),
        ),
        ("GET", format!("{p}/Recordings.json")),
        ("GET", format!("{p}/Recordings/{{Sid}}.json")),
        ("GET", format!("{p}/IncomingPhoneNumbers.json")),
        ("GET", format!("{p}/IncomingPhoneNumbers/{{Sid}}.json")),
        ("POST", format!("{p}/IncomingPhoneNumbers/{{Sid}}.json")),
        ("POST", format!("{p}/Applications.json")),
        ("GET", format!("{p}/Applications.json")),
        ("GET", format!("{p}/Applications/{{Sid}}.json")),
        ("POST", format!("{p}/Applications/{{Sid}}.json")),
        ("POST", format!("{p}/Keys.json")),
        ("GET", format!("{p}/Keys.json")),
        ("GET", format!("{p}/Keys/{{Sid}}.json")),
    ];
    let missing: Vec<_> = expected
        .iter()
        .filter(|(m, t)| !validated.contains(&(m.to_string(), t.clone())))
        .collect();
    assert!(
        missing.is_empty(),
        "not validated: {missing:#?}\nvalidated: {validated:#?}"
    );
}

fn message_body() -> Value {
    json!({
        "account_sid": "AC0123456789abcdef0123456789abcdef",
        "api_version": "2010-04-01",
        "body": "hello",
        "date_created": "Fri, 18 Oct 2019 17:00:00 +0000",
        "date_sent": null,
        "date_updated": "Fri, 18 Oct 2019 17:00:00 +0000",
        "direction": "outbound-api",
        "error_code": null,
        "error_message": null,
        "from": "+15005550006",
        "messaging_service_sid": null,
        "num_media": "0",
        "num_segments": "1",
        "price": null,
        "price_unit": "USD",
        "sid": "SM0123456789abcdef0123456789abcdef",
        "status": "queued",
        "subresource_uris": {"media": "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages/SM0123456789abcdef0123456789abcdef/Media.json"},
        "to": "+14155550100",
        "uri": "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages/SM0123456789abcdef0123456789abcdef.json"
    })
}

const MESSAGE: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages/SM0123456789abcdef0123456789abcdef.json";
const MESSAGES: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json";

#[test]
fn a_deliberately_broken_message_fails_validation() {
    assert!(schema::check("GET", MESSAGE, 200, &message_body()).is_ok());
    type Breakage = fn(&mut Value);
    let breakages: [(&str, Breakage); 8] = [
        ("num_media as an integer", |b| b["num_media"] = json!(0)),
        ("an ISO date", |b| {
            b["date_created"] = json!("2019-10-18T17:00:00Z")
        }),
        ("a one-digit day", |b| {
            b["date_updated"] = json!("Fri, 4 Oct 2019 17:00:00 +0000")
        }),
        ("a missing field", |b| {
            b.as_object_mut().unwrap().remove("status");
        }),
        ("an extra field", |b| b["colour"] = json!("blue")),
        ("an unknown status", |b| b["status"] = json!("teleported")),
        ("a sid with the wrong prefix", |b| {
            b["sid"] = json!("XX0123456789abcdef0123456789abcdef")
        }),
        ("a from that is no phone number", |b| {
            b["from"] = json!("555-0100")
        }),
    ];
    for (what, breakage) in breakages {
        let mut body = message_body();
        breakage(&mut body);
        assert!(
            schema::check("GET", MESSAGE, 200, &body).is_err(),
            "{what} passed validation"
        );
    }
}

#[test]
fn a_deliberately_broken_list_envelope_fails_validation() {
    let page = json!({
        "end": 0,
        "first_page_uri": format!("{MESSAGES}?PageSize=50&Page=0"),
        "messages": [message_body()],
        "next_page_uri": null,
        "page": 0,
        "page_size": 50,
        "previous_page_uri": null,
        "start": 0,
        "uri": format!("{MESSAGES}?PageSize=50&Page=0"),
    });
    assert!(schema::check("GET", MESSAGES, 200, &page).is_ok());
    let mut without_next = page.clone();
    without_next
        .as_object_mut()
        .unwrap()
        .remove("next_page_uri");
    assert!(schema::check("GET", MESSAGES, 200, &without_next).is_err());
    let mut page_as_string = page.clone();
    page_as_string["page"] = json!("0");
    assert!(schema::check("GET", MESSAGES, 200, &page_as_string).is_err());
    let mut bad_item = page.clone();
    bad_item["messages"][0]["num_segments"] = json!(1);
    assert!(schema::check("GET", MESSAGES, 200, &bad_item).is_err());
}

#[test]
fn the_custom_formats_accept_twilios_forms_only() {
    assert!(schema::is_rfc2822("Fri, 18 Oct 2019 17:00:00 +0000"));
    assert!(!schema::is_rfc2822("Fri, 18 Oct 2019 17:00:00 +0100"));
    assert!(!schema::is_rfc2822("Sat, 18 Oct 2019 17:00:00 +0000"));
    assert!(!schema::is_rfc2822("2019-10-18T17:00:00Z"));
    assert!(schema::is_phone_number("+15005550006"));
    assert!(schema::is_phone_number("client:alice"));
    assert!(!schema::is_phone_number("15005550006"));
    assert!(!schema::is_phone_number("+1 500 555 0006"));
}

#[test]
fn a_status_code_the_spec_does_not_list_is_a_failure() {
    let result = std::panic::catch_unwind(|| {
        schema::response_schema(
            "POST",
            "/2010-04-01/Accounts/{AccountSid}/Messages.json",
            200,
        )
    });
    assert!(result.is_err(), "POST Messages.json answers 201, not 200");
}
