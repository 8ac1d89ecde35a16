//! Media listing and downloads: caps, redirects and where credentials go.

use super::*;

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
