//! The REST client against a mock Twilio: methods, paths, auth, form bodies, decoding of the
//! spec's own example responses, paging, errors and timeouts.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use chrono::NaiveDate;
use serde_json::{json, Value};
use twilio::client::{
    parse_rfc2822, ApplicationParams, Auth, CallFilter, Client, CreateCall, CreateMessage, Error,
    MessageFilter, UpdateIncomingNumber,
};
use twilio::{AccountSid, ApiKeySid, ApplicationSid, CallSid, MediaSid, MessageSid};
use twilio::{PhoneNumberSid, RecordingSid};
use url::Url;
use wiremock::matchers::{
    basic_auth, body_string, header, header_regex, method, path, query_param,
    query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

const AC: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const TOKEN: &str = "test-auth-token";
const API: &str = "/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn shared_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .find(|dir| dir.join("shared/DESIGN.md").is_file())
        .map(|dir| dir.join("shared"))
        .unwrap_or_else(|| {
            panic!(
                "shared/ not found: expected a `shared/DESIGN.md` in an ancestor of {} \
                 (here /work/shared, in CI <clone>/../shared)",
                manifest.display()
            )
        })
}

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let file = shared_dir().join("twilio/twilio_api_v2010.json");
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        serde_json::from_str(&text).unwrap()
    })
}

/// The named response example of an operation, e.g. `example("Calls.json", "get", "200",
/// "readFullPage1")`.
fn example(resource: &str, verb: &str, status: &str, name: &str) -> Value {
    let path = format!("/2010-04-01/Accounts/{{AccountSid}}/{resource}");
    let value = &spec()["paths"][&path][verb]["responses"][status]["content"]["application/json"]
        ["examples"][name]["value"];
    assert!(
        value.is_object(),
        "no example {name} for {verb} {path} {status}"
    );
    value.clone()
}

fn token_auth() -> Auth {
    Auth::Token {
        account_sid: AccountSid::parse(AC).unwrap(),
        auth_token: TOKEN.into(),
    }
}

fn client_for(server: &MockServer) -> Client {
    Client::new(Url::parse(&server.uri()).unwrap(), token_auth()).unwrap()
}

fn json_response(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

/// A POST as Twilio's libraries send it: our credentials, form-encoded, asking for JSON.
fn api_post(p: String) -> wiremock::MockBuilder {
    Mock::given(method("POST"))
        .and(path(p))
        .and(basic_auth(AC, TOKEN))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(header("accept", "application/json"))
}

fn api_get(p: String) -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path(p))
        .and(basic_auth(AC, TOKEN))
        .and(header("accept", "application/json"))
}

#[tokio::test]
async fn create_message_posts_repeated_media_urls_and_decodes_the_message() {
    let server = MockServer::start().await;
    api_post(format!("{API}/Messages.json"))
        .and(header_regex("user-agent", r"^vbx-twilio/\d+\.\d+\.\d+$"))
        .and(body_string(
            "To=%2B14155552345&From=%2B14155550000&Body=Hello%21+%F0%9F%91%8D\
             &MediaUrl=https%3A%2F%2Fa.test%2F1.jpg&MediaUrl=https%3A%2F%2Fa.test%2F2.jpg\
             &StatusCallback=https%3A%2F%2Fvbx.test%2Fstatus",
        ))
        .respond_with(json_response(
            201,
            example("Messages.json", "post", "201", "create"),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let message = client_for(&server)
        .create_message(&CreateMessage {
            to: "+14155552345".into(),
            from: Some("+14155550000".into()),
            body: Some("Hello! 👍".into()),
            media_url: vec!["https://a.test/1.jpg".into(), "https://a.test/2.jpg".into()],
            status_callback: Some("https://vbx.test/status".into()),
            ..CreateMessage::default()
        })
        .await
        .unwrap();

    assert_eq!(message.sid.as_str(), "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_eq!(message.status.as_deref(), Some("queued"));
    assert_eq!(message.body.as_deref(), Some("Hello! 👍"));
    assert_eq!(message.num_segments.as_deref(), Some("1"));
    assert_eq!(message.error_code, None);
    assert_eq!(
        message.account_sid.as_ref().map(AccountSid::as_str),
        Some(AC)
    );
    let sent = parse_rfc2822(message.date_sent.as_deref().unwrap()).unwrap();
    assert_eq!(sent.to_rfc3339(), "2023-08-24T05:01:45+00:00");
}

#[tokio::test]
async fn fetch_message_gets_the_message_by_sid() {
    let server = MockServer::start().await;
    let body = example("Messages/{Sid}.json", "get", "200", "fetch");
    let sid = MessageSid::parse(body["sid"].as_str().unwrap()).unwrap();
    api_get(format!("{API}/Messages/{sid}.json"))
        .respond_with(json_response(200, body.clone()))
        .expect(1)
        .mount(&server)
        .await;

    let message = client_for(&server).fetch_message(&sid).await.unwrap();

    assert_eq!(message.sid, sid);
    assert_eq!(message.body, body["body"].as_str().map(str::to_owned));
    assert_eq!(
        message.direction,
        body["direction"].as_str().map(str::to_owned)
    );
}

#[tokio::test]
async fn list_messages_sends_filters_with_operator_names_and_days() {
    let server = MockServer::start().await;
    api_get(format!("{API}/Messages.json"))
        .and(query_param("To", "+123456789"))
        .and(query_param("From", "+987654321"))
        .and(query_param("DateSent", "2008-01-02"))
        .and(query_param("DateSent>", "2008-01-01"))
        .and(query_param("DateSent<", "2008-01-03"))
        .and(query_param("PageSize", "2"))
        .respond_with(json_response(
            200,
            example("Messages.json", "get", "200", "readFullPage1"),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let page = client_for(&server)
        .list_messages(&MessageFilter {
            to: Some("+123456789".into()),
            from: Some("+987654321".into()),
            date_sent: NaiveDate::from_ymd_opt(2008, 1, 2),
            date_sent_after: NaiveDate::from_ymd_opt(2008, 1, 1),
            date_sent_before: NaiveDate::from_ymd_opt(2008, 1, 3),
            page_size: Some(2),
        })
        .await
        .unwrap();

    let sids: Vec<&str> = page.items.iter().map(|m| m.sid.as_str()).collect();
    assert_eq!(
        sids,
        [
            "SMded05904ccb347238880ca9264e8fe1c",
            "MMc26223853f8c46b4ab7dfaa6abba0a26"
        ]
    );
    assert_eq!((page.page, page.page_size), (0, 2));
    assert!(page.next_page_uri.unwrap().contains("PageToken=PAMM"));
}

#[tokio::test]
async fn list_all_messages_stops_paging_at_the_limit() {
    let server = MockServer::start().await;
    let first = example("Messages.json", "get", "200", "readFullPage1");
    let mut second = first.clone();
    second["next_page_uri"] = json!(format!("{API}/Messages.json?PageSize=2&Page=2"));
    api_get(format!("{API}/Messages.json"))
        .and(query_param_is_missing("Page"))
        .respond_with(json_response(200, first))
        .expect(1)
        .mount(&server)
        .await;
    api_get(format!("{API}/Messages.json"))
        .and(query_param("Page", "1"))
        .and(query_param(
            "PageToken",
            "PAMMc26223853f8c46b4ab7dfaa6abba0a26",
        ))
        .and(query_param("DateSent>", "2008-01-02"))
        .respond_with(json_response(200, second))
        .expect(1)
        .mount(&server)
        .await;
    // A third page exists but must not be fetched: the limit is reached on the second.
    api_get(format!("{API}/Messages.json"))
        .and(query_param("Page", "2"))
        .respond_with(json_response(500, json!({})))
        .expect(0)
        .mount(&server)
        .await;

    let messages = client_for(&server)
        .list_all_messages(&MessageFilter::default(), 3)
        .await
        .unwrap();

    assert_eq!(messages.len(), 3);
}

#[tokio::test]
async fn update_message_body_with_an_empty_body_redacts_it() {
    let server = MockServer::start().await;
    let body = example("Messages/{Sid}.json", "post", "200", "redactBody");
    let sid = MessageSid::parse(body["sid"].as_str().unwrap()).unwrap();
    api_post(format!("{API}/Messages/{sid}.json"))
        .and(body_string("Body="))
        .respond_with(json_response(200, body))
        .expect(1)
        .mount(&server)
        .await;

    let message = client_for(&server)
        .update_message_body(&sid, "")
        .await
        .unwrap();

    assert_eq!(message.body.as_deref(), Some(""));
}

#[tokio::test]
async fn delete_message_accepts_no_content() {
    let server = MockServer::start().await;
    let sid = MessageSid::parse("SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap();
    Mock::given(method("DELETE"))
        .and(path(format!("{API}/Messages/{sid}.json")))
        .and(basic_auth(AC, TOKEN))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;

    client_for(&server).delete_message(&sid).await.unwrap();
}

#[tokio::test]
async fn create_call_posts_repeated_status_callback_events() {
    let server = MockServer::start().await;
    api_post(format!("{API}/Calls.json"))
        .and(body_string(
            "To=client%3Aalice&From=%2B14158675308&Url=https%3A%2F%2Fvbx.test%2Ftwiml\
             &Method=GET&StatusCallback=https%3A%2F%2Fvbx.test%2Fcall-status\
             &StatusCallbackEvent=initiated&StatusCallbackEvent=answered\
             &StatusCallbackEvent=completed&Timeout=30",
        ))
        .respond_with(json_response(
            201,
            example("Calls.json", "post", "201", "create"),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let call = client_for(&server)
        .create_call(&CreateCall {
            to: "client:alice".into(),
            from: "+14158675308".into(),
            url: Some("https://vbx.test/twiml".into()),
            method: Some("GET".into()),
            status_callback: Some("https://vbx.test/call-status".into()),
            status_callback_event: vec!["initiated".into(), "answered".into(), "completed".into()],
            timeout: Some(30),
            ..CreateCall::default()
        })
        .await
        .unwrap();

    assert_eq!(call.sid.as_str(), "CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_eq!(call.to.as_deref(), Some("+14158675309"));
}

#[tokio::test]
async fn create_call_can_carry_inline_twiml_and_an_application() {
    let server = MockServer::start().await;
    api_post(format!("{API}/Calls.json"))
        .and(body_string(
            "To=%2B14158675309&From=%2B14158675308\
             &Twiml=%3CResponse%3E%3CSay%3EHi%3C%2FSay%3E%3C%2FResponse%3E\
             &ApplicationSid=APaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ))
        .respond_with(json_response(
            201,
            example("Calls.json", "post", "201", "createWithTwiml"),
        ))
        .expect(1)
        .mount(&server)
        .await;

    client_for(&server)
        .create_call(&CreateCall {
            to: "+14158675309".into(),
            from: "+14158675308".into(),
            twiml: Some("<Response><Say>Hi</Say></Response>".into()),
            application_sid: Some(
                ApplicationSid::parse("APaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap(),
            ),
            ..CreateCall::default()
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn fetch_call_decodes_typed_sids_and_dates() {
    let server = MockServer::start().await;
    let body = example("Calls/{Sid}.json", "get", "200", "fetch");
    let sid = CallSid::parse(body["sid"].as_str().unwrap()).unwrap();
    api_get(format!("{API}/Calls/{sid}.json"))
        .respond_with(json_response(200, body.clone()))
        .expect(1)
        .mount(&server)
        .await;

    let call = client_for(&server).fetch_call(&sid).await.unwrap();

    assert_eq!(
        call.parent_call_sid.as_ref().map(CallSid::as_str),
        body["parent_call_sid"].as_str()
    );
    assert_eq!(
        call.phone_number_sid.as_ref().map(PhoneNumberSid::as_str),
        body["phone_number_sid"].as_str()
    );
    assert_eq!(call.duration, body["duration"].as_str().map(str::to_owned));
    let start = parse_rfc2822(call.start_time.as_deref().unwrap()).unwrap();
    assert_eq!(
        Some(start),
        parse_rfc2822(body["start_time"].as_str().unwrap())
    );
}

#[tokio::test]
async fn hangup_call_posts_status_completed() {
    let server = MockServer::start().await;
    let sid = CallSid::parse("CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap();
    let mut body = example("Calls/{Sid}.json", "post", "200", "update");
    body["status"] = json!("completed");
    api_post(format!("{API}/Calls/{sid}.json"))
        .and(body_string("Status=completed"))
        .respond_with(json_response(200, body))
        .expect(1)
        .mount(&server)
        .await;

    let call = client_for(&server).hangup_call(&sid).await.unwrap();

    assert_eq!(call.status.as_deref(), Some("completed"));
}

#[tokio::test]
async fn list_calls_follows_next_page_uri_across_three_pages() {
    let server = MockServer::start().await;
    let page1 = example("Calls.json", "get", "200", "readFullPage1");
    let mut page2 = example("Calls.json", "get", "200", "readFullPage2");
    page2["calls"][0]["sid"] = json!("CAbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    page2["calls"][1]["sid"] = json!("CAcccccccccccccccccccccccccccccccc");
    let mut page3 = page2.clone();
    page3["calls"] = json!([page2["calls"][0].clone()]);
    page3["calls"][0]["sid"] = json!("CAdddddddddddddddddddddddddddddddd");
    page3["page"] = json!(2);
    page3["next_page_uri"] = Value::Null;

    api_get(format!("{API}/Calls.json"))
        .and(query_param_is_missing("Page"))
        .and(query_param("Status", "completed"))
        .and(query_param("StartTime>", "2008-01-02"))
        .and(query_param("StartTime<", "2009-01-02"))
        .and(query_param("PageSize", "2"))
        .respond_with(json_response(200, page1))
        .expect(1)
        .mount(&server)
        .await;
    api_get(format!("{API}/Calls.json"))
        .and(query_param("Page", "1"))
        .and(query_param(
            "PageToken",
            "PACAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0",
        ))
        .respond_with(json_response(200, page2))
        .expect(1)
        .mount(&server)
        .await;
    api_get(format!("{API}/Calls.json"))
        .and(query_param("Page", "2"))
        .and(query_param(
            "PageToken",
            "PACAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0",
        ))
        .respond_with(json_response(200, page3))
        .expect(1)
        .mount(&server)
        .await;

    let calls = client_for(&server)
        .list_all_calls(
            &CallFilter {
                status: Some("completed".into()),
                start_time_after: NaiveDate::from_ymd_opt(2008, 1, 2),
                start_time_before: NaiveDate::from_ymd_opt(2009, 1, 2),
                page_size: Some(2),
                ..CallFilter::default()
            },
            100,
        )
        .await
        .unwrap();

    let sids: Vec<&str> = calls.iter().map(|c| c.sid.as_str()).collect();
    assert_eq!(
        sids,
        [
            "CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0",
            "CAbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
            "CAcccccccccccccccccccccccccccccccc",
            "CAdddddddddddddddddddddddddddddddd",
        ]
    );
}

#[tokio::test]
async fn next_page_is_none_on_the_last_page() {
    let server = MockServer::start().await;
    api_get(format!("{API}/Recordings.json"))
        .respond_with(json_response(
            200,
            example("Recordings.json", "get", "200", "readFull"),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server);

    let page = client.list_recordings(None).await.unwrap();

    assert!(client.next_page(&page).await.unwrap().is_none());
}

#[tokio::test]
async fn media_is_listed_and_downloaded_with_credentials() {
    let server = MockServer::start().await;
    let message = MessageSid::parse("SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap();
    api_get(format!("{API}/Messages/{message}/Media.json"))
        .respond_with(json_response(
            200,
            example("Messages/{MessageSid}/Media.json", "get", "200", "readFull"),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let image = vec![0xff, 0xd8, 0xff, 0xe0, 1, 2, 3];
    Mock::given(method("GET"))
        .and(path(format!(
            "{API}/Messages/{message}/Media/MEaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        )))
        .and(basic_auth(AC, TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_raw(image.clone(), "image/jpeg"))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server);

    let page = client.list_media(&message).await.unwrap();
    let media = &page.items[0];
    let url = client.media_content_url(&message, &media.sid);
    let (content_type, bytes) = client.download(url.as_str(), 1024).await.unwrap();

    assert_eq!(media.content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(media.parent_sid.as_ref(), Some(&message));
    assert_eq!(content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(bytes, image);
}

#[tokio::test]
async fn download_accepts_a_uri_relative_to_the_api() {
    let server = MockServer::start().await;
    let uri = format!("{API}/Recordings/REaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.mp3");
    Mock::given(method("GET"))
        .and(path(uri.clone()))
        .and(basic_auth(AC, TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_raw(b"ID3".to_vec(), "audio/mpeg"))
        .expect(1)
        .mount(&server)
        .await;

    let (content_type, bytes) = client_for(&server).download(&uri, 16).await.unwrap();

    assert_eq!(content_type.as_deref(), Some("audio/mpeg"));
    assert_eq!(bytes, b"ID3");
}

#[tokio::test]
async fn download_larger_than_the_cap_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(vec![7u8; 5000], "image/png"))
        .mount(&server)
        .await;
    let url = format!("{}{API}/Messages/SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Media/MEaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", server.uri());

    let result = client_for(&server).download(&url, 4999).await;

    assert_eq!(result.unwrap_err(), Error::TooLarge { limit: 4999 });
}

#[tokio::test]
async fn download_redirected_to_another_host_drops_the_credentials() {
    let api = MockServer::start().await;
    let storage = MockServer::start().await;
    let media_path = format!("{API}/Messages/SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Media/MEaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    Mock::given(method("GET"))
        .and(path(media_path.clone()))
        .and(basic_auth(AC, TOKEN))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", format!("{}/bucket/object", storage.uri())),
        )
        .expect(1)
        .mount(&api)
        .await;
    Mock::given(method("GET"))
        .and(path("/bucket/object"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(b"GIF89a".to_vec(), "image/gif"))
        .expect(1)
        .mount(&storage)
        .await;

    let (content_type, bytes) = client_for(&api)
        .download(&format!("{}{media_path}", api.uri()), 1024)
        .await
        .unwrap();

    assert_eq!(content_type.as_deref(), Some("image/gif"));
    assert_eq!(bytes, b"GIF89a");
    let requests = storage.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert!(!requests[0].headers.contains_key("authorization"));
}

#[tokio::test]
async fn download_from_a_foreign_host_never_sends_credentials() {
    let api = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(b"hello".to_vec(), "text/plain"))
        .expect(1)
        .mount(&elsewhere)
        .await;

    client_for(&api)
        .download(&format!("{}/file.txt", elsewhere.uri()), 1024)
        .await
        .unwrap();

    let requests = elsewhere.received_requests().await.unwrap();
    assert!(!requests[0].headers.contains_key("authorization"));
}

#[tokio::test]
async fn incoming_numbers_are_listed_by_phone_number_with_empty_sids_as_none() {
    let server = MockServer::start().await;
    api_get(format!("{API}/IncomingPhoneNumbers.json"))
        .and(query_param("PhoneNumber", "+18089255327"))
        .respond_with(json_response(
            200,
            example("IncomingPhoneNumbers.json", "get", "200", "readFull"),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let page = client_for(&server)
        .list_incoming_numbers(Some("+18089255327"))
        .await
        .unwrap();

    let number = &page.items[0];
    assert_eq!(number.sid.as_str(), "PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_eq!(number.phone_number.as_deref(), Some("+18089255327"));
    assert_eq!(number.voice_application_sid, None);
    assert_eq!(number.voice_url, None);
    assert_eq!(number.number_type.as_deref(), Some("local"));
    let capabilities = number.capabilities.as_ref().unwrap();
    assert_eq!(
        (capabilities.voice, capabilities.sms, capabilities.mms),
        (Some(true), Some(false), Some(true))
    );
}

#[tokio::test]
async fn update_incoming_number_sends_only_the_fields_set() {
    let server = MockServer::start().await;
    let sid = PhoneNumberSid::parse("PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap();
    api_post(format!("{API}/IncomingPhoneNumbers/{sid}.json"))
        .and(body_string(
            "VoiceUrl=https%3A%2F%2Fvbx.test%2Fvoice&VoiceMethod=POST&VoiceApplicationSid=\
             &SmsUrl=https%3A%2F%2Fvbx.test%2Fsms&SmsMethod=POST",
        ))
        .respond_with(json_response(
            200,
            example("IncomingPhoneNumbers/{Sid}.json", "post", "200", "update"),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let number = client_for(&server)
        .update_incoming_number(
            &sid,
            &UpdateIncomingNumber {
                voice_url: Some("https://vbx.test/voice".into()),
                voice_method: Some("POST".into()),
                voice_application_sid: Some(String::new()),
                sms_url: Some("https://vbx.test/sms".into()),
                sms_method: Some("POST".into()),
                ..UpdateIncomingNumber::default()
            },
        )
        .await
        .unwrap();

    assert_eq!(number.sid, sid);
}

#[tokio::test]
async fn applications_are_created_updated_and_listed_by_name() {
    let server = MockServer::start().await;
    let sid = ApplicationSid::parse("APaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap();
    let expected_form = "FriendlyName=vbx&VoiceUrl=https%3A%2F%2Fvbx.test%2Fvoice\
                         &VoiceMethod=POST&StatusCallback=https%3A%2F%2Fvbx.test%2Fstatus";
    api_post(format!("{API}/Applications.json"))
        .and(body_string(expected_form))
        .respond_with(json_response(
            201,
            example("Applications.json", "post", "201", "create"),
        ))
        .expect(1)
        .mount(&server)
        .await;
    api_post(format!("{API}/Applications/{sid}.json"))
        .and(body_string(expected_form))
        .respond_with(json_response(
            200,
            example("Applications/{Sid}.json", "post", "200", "update"),
        ))
        .expect(1)
        .mount(&server)
        .await;
    api_get(format!("{API}/Applications.json"))
        .and(query_param("FriendlyName", "vbx"))
        .respond_with(json_response(
            200,
            example("Applications.json", "get", "200", "readFull"),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server);
    let params = ApplicationParams {
        friendly_name: Some("vbx".into()),
        voice_url: Some("https://vbx.test/voice".into()),
        voice_method: Some("POST".into()),
        status_callback: Some("https://vbx.test/status".into()),
        ..ApplicationParams::default()
    };

    let created = client.create_application(&params).await.unwrap();
    let updated = client.update_application(&sid, &params).await.unwrap();
    let listed = client.list_applications(Some("vbx")).await.unwrap();

    assert_eq!(created.sid, sid);
    assert_eq!(created.voice_url.as_deref(), Some("http://example.com"));
    assert_eq!(updated.sid, sid);
    assert_eq!(listed.items.len(), 1);
    assert!(listed.next_page_uri.is_some());
}

#[tokio::test]
async fn create_key_returns_the_secret_but_debug_hides_it() {
    let server = MockServer::start().await;
    api_post(format!("{API}/Keys.json"))
        .and(body_string("FriendlyName=vbx+browser+phone"))
        .respond_with(json_response(
            201,
            example("Keys.json", "post", "201", "create"),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let key = client_for(&server)
        .create_key("vbx browser phone")
        .await
        .unwrap();

    assert_eq!(key.sid.as_str(), "SKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_eq!(key.secret.as_deref(), Some("foobar"));
    assert!(!format!("{key:?}").contains("foobar"));
}

#[tokio::test]
async fn recordings_are_listed_by_call_and_fetched() {
    let server = MockServer::start().await;
    let call = CallSid::parse("CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap();
    let recording = RecordingSid::parse("REaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap();
    api_get(format!("{API}/Recordings.json"))
        .and(query_param("CallSid", call.as_str()))
        .respond_with(json_response(
            200,
            example("Recordings.json", "get", "200", "readFull"),
        ))
        .expect(1)
        .mount(&server)
        .await;
    api_get(format!("{API}/Recordings/{recording}.json"))
        .respond_with(json_response(
            200,
            example("Recordings/{Sid}.json", "get", "200", "fetch"),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server);

    let page = client.list_recordings(Some(&call)).await.unwrap();
    let fetched = client.fetch_recording(&recording).await.unwrap();

    assert_eq!(page.items[0].call_sid.as_ref(), Some(&call));
    assert_eq!(page.items[0].channels, Some(1));
    assert_eq!(page.items[0].duration.as_deref(), Some("4"));
    assert_eq!(fetched.sid, recording);
    assert_eq!(
        client.recording_audio_url(&recording).as_str(),
        format!("{}{API}/Recordings/{recording}", server.uri())
    );
}

#[tokio::test]
async fn twilio_error_json_becomes_an_api_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json_response(
            400,
            json!({
                "code": 21211,
                "message": "The 'To' number +1555 is not a valid phone number.",
                "more_info": "https://www.twilio.com/docs/errors/21211",
                "status": 400
            }),
        ))
        .mount(&server)
        .await;

    let error = client_for(&server)
        .create_message(&CreateMessage {
            to: "+1555".into(),
            body: Some("hi".into()),
            ..CreateMessage::default()
        })
        .await
        .unwrap_err();

    assert_eq!(
        error,
        Error::Api {
            status: 400,
            code: Some(21211),
            message: "The 'To' number +1555 is not a valid phone number.".into(),
            more_info: Some("https://www.twilio.com/docs/errors/21211".into()),
        }
    );
    assert_eq!(error.code(), Some(21211));
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn rate_limiting_is_retryable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json_response(
            429,
            json!({"code": 20429, "message": "Too Many Requests", "status": 429}),
        ))
        .mount(&server)
        .await;

    let error = client_for(&server)
        .fetch_call(&CallSid::parse("CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap())
        .await
        .unwrap_err();

    assert_eq!(error.status(), Some(429));
    assert_eq!(error.code(), Some(20429));
    assert!(error.is_retryable());
}

#[tokio::test]
async fn an_html_error_page_is_an_http_error_and_5xx_is_retryable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_raw("<html>Service Unavailable</html>", "text/html"),
        )
        .mount(&server)
        .await;

    let error = client_for(&server)
        .list_calls(&CallFilter::default())
        .await
        .unwrap_err();

    assert_eq!(
        error,
        Error::Http {
            status: 503,
            body: "<html>Service Unavailable</html>".into()
        }
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_success_that_is_not_the_expected_json_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json_response(200, json!({"calls": "nope"})))
        .mount(&server)
        .await;

    let error = client_for(&server)
        .list_calls(&CallFilter::default())
        .await
        .unwrap_err();

    assert!(matches!(error, Error::Decode(_)), "{error:?}");
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn a_slow_server_hits_the_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            json_response(200, example("Calls/{Sid}.json", "get", "200", "fetch"))
                .set_delay(Duration::from_secs(2)),
        )
        .mount(&server)
        .await;
    let client = client_for(&server).with_timeout(Duration::from_millis(200));

    let error = client
        .fetch_call(&CallSid::parse("CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap())
        .await
        .unwrap_err();

    assert_eq!(error, Error::Timeout);
    assert!(error.is_retryable());
}

#[tokio::test]
async fn an_unreachable_server_is_a_retryable_network_error() {
    // Take a free port, then close it so the connection is refused.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let base = Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let client = Client::new(base, token_auth()).unwrap();

    let error = client
        .fetch_message(&MessageSid::parse("SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap())
        .await
        .unwrap_err();

    assert!(matches!(error, Error::Network(_)), "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn api_key_auth_sends_the_key_sid_and_secret_on_the_account_path() {
    let server = MockServer::start().await;
    let key = "SKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let message = example("Messages/{Sid}.json", "get", "200", "fetch");
    let sid = MessageSid::parse(message["sid"].as_str().unwrap()).unwrap();
    Mock::given(method("GET"))
        .and(path(format!("{API}/Messages/{sid}.json")))
        .and(basic_auth(key, "key-secret"))
        .respond_with(json_response(200, message))
        .expect(1)
        .mount(&server)
        .await;
    let auth = Auth::ApiKey {
        account_sid: AccountSid::parse(AC).unwrap(),
        key_sid: ApiKeySid::parse(key).unwrap(),
        secret: "key-secret".into(),
    };
    let client = Client::new(Url::parse(&server.uri()).unwrap(), auth).unwrap();

    client.fetch_message(&sid).await.unwrap();
}

#[tokio::test]
async fn a_base_url_with_a_path_prefix_is_kept_for_requests_and_next_pages() {
    let server = MockServer::start().await;
    let mut first = example("Calls.json", "get", "200", "readFullPage1");
    // The simulator may or may not know its own prefix; the first link lacks it.
    first["next_page_uri"] = json!(format!("{API}/Calls.json?Page=1&PageToken=PA1"));
    let mut second = example("Calls.json", "get", "200", "readFullPage2");
    second["next_page_uri"] = json!(format!("/sim/twilio{API}/Calls.json?Page=2&PageToken=PA2"));
    let mut third = second.clone();
    third["next_page_uri"] = Value::Null;
    for (page, body) in [(None, first), (Some("1"), second), (Some("2"), third)] {
        let mock = api_get(format!("/sim/twilio{API}/Calls.json"));
        let mock = match page {
            None => mock.and(query_param_is_missing("Page")),
            Some(n) => mock.and(query_param("Page", n)),
        };
        mock.respond_with(json_response(200, body))
            .expect(1)
            .mount(&server)
            .await;
    }
    let base = Url::parse(&format!("{}/sim/twilio/", server.uri())).unwrap();
    let client = Client::new(base, token_auth()).unwrap();

    let calls = client
        .list_all_calls(&CallFilter::default(), 100)
        .await
        .unwrap();

    assert_eq!(calls.len(), 6);
    assert_eq!(
        client
            .media_content_url(
                &MessageSid::parse("MMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap(),
                &MediaSid::parse("MEaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap(),
            )
            .path(),
        format!("/sim/twilio{API}/Messages/MMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Media/MEaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
    );
}

#[test]
fn debug_output_never_shows_secrets() {
    let token = format!("{:?}", token_auth());
    let key = format!(
        "{:?}",
        Auth::ApiKey {
            account_sid: AccountSid::parse(AC).unwrap(),
            key_sid: ApiKeySid::parse("SKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap(),
            secret: "key-secret".into(),
        }
    );
    let client = format!(
        "{:?}",
        Client::new(Url::parse("https://api.twilio.com").unwrap(), token_auth()).unwrap()
    );

    assert!(token.contains(AC) && !token.contains(TOKEN));
    assert!(key.contains("SKaaaa") && !key.contains("key-secret"));
    assert!(!client.contains(TOKEN));
}
