//! What every request shares: error mapping, timeouts, auth schemes, base URL prefixes.

use super::*;

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
