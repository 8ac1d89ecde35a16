//! Account setup resources: incoming numbers, applications, API keys, recordings.

use super::*;

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
