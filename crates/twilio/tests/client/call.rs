//! Calls: placing with callbacks or inline TwiML, fetching, hanging up, paging.

use super::*;

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
