//! Messages: sending with media, fetching, filtering by day, paging to a limit, redacting.

use super::*;

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
