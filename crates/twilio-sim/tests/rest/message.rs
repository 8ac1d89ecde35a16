//! Messages: Twilio's validation errors, the created resource, media, paging, filters,
//! redaction and deletion.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::schema::is_rfc2822;
use crate::support::{assert_error, items, sids, Api, Form, NUMBER, OTHER};

#[tokio::test]
async fn each_invalid_message_gets_its_twilio_error_code_and_status() {
    let api = Api::start().await;
    let long = "a".repeat(1601);
    let media: Vec<String> = (0..11)
        .map(|i| format!("https://media.example.com/{i}.jpg"))
        .collect();
    let mut eleven_media: Vec<(&str, &str)> = vec![("To", OTHER), ("From", NUMBER)];
    eleven_media.extend(media.iter().map(|m| ("MediaUrl", m.as_str())));
    let cases: Vec<(&str, Form, u64)> = vec![
        (
            "invalid To",
            vec![("To", "12345"), ("From", NUMBER), ("Body", "x")],
            21211,
        ),
        (
            "To with letters",
            vec![("To", "+1415CALLNOW"), ("From", NUMBER), ("Body", "x")],
            21211,
        ),
        (
            "To the sending number itself",
            vec![("To", NUMBER), ("From", NUMBER), ("Body", "x")],
            21211,
        ),
        (
            "no Body and no MediaUrl",
            vec![("To", OTHER), ("From", NUMBER)],
            21602,
        ),
        (
            "empty Body",
            vec![("To", OTHER), ("From", NUMBER), ("Body", "")],
            21602,
        ),
        ("missing To", vec![("From", NUMBER), ("Body", "x")], 21604),
        ("missing From", vec![("To", OTHER), ("Body", "x")], 21603),
        (
            "From not owned",
            vec![("To", OTHER), ("From", "+14155550199"), ("Body", "x")],
            21606,
        ),
        (
            "body of 1601 characters",
            vec![("To", OTHER), ("From", NUMBER), ("Body", &long)],
            21617,
        ),
        ("eleven media", eleven_media, 21623),
        (
            "relative MediaUrl",
            vec![("To", OTHER), ("From", NUMBER), ("MediaUrl", "/cat.jpg")],
            21620,
        ),
        (
            "bad StatusCallback",
            vec![
                ("To", OTHER),
                ("From", NUMBER),
                ("Body", "x"),
                ("StatusCallback", "nope"),
            ],
            21609,
        ),
    ];
    for (what, form, code) in cases {
        let reply = api.post(&api.path("Messages.json"), &form).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{what}: {}",
            reply.json()
        );
        assert_eq!(reply.json()["code"], code, "{what}: {}", reply.json());
        assert_error(&reply, 400, code);
    }
    assert!(
        api.sim().messages().is_empty(),
        "a refused message was stored"
    );
}

#[tokio::test]
async fn a_created_message_is_queued_outbound_with_twilios_fields() {
    let api = Api::start().await;
    let m = api.send_sms(OTHER, "hello").await;
    let sid = m["sid"].as_str().unwrap();
    assert!(sid.starts_with("SM") && sid.len() == 34, "{sid}");
    assert_eq!(m["status"], "queued");
    assert_eq!(m["direction"], "outbound-api");
    assert_eq!(m["from"], NUMBER);
    assert_eq!(m["to"], OTHER);
    assert_eq!(m["body"], "hello");
    assert_eq!(m["num_media"], "0");
    assert_eq!(m["num_segments"], "1");
    assert_eq!(m["price"], Value::Null);
    assert_eq!(m["date_sent"], Value::Null);
    assert_eq!(m["api_version"], "2010-04-01");
    assert!(is_rfc2822(m["date_created"].as_str().unwrap()));
    assert_eq!(
        m["uri"],
        format!("/2010-04-01/Accounts/{}/Messages/{sid}.json", api.account)
    );
    assert_eq!(
        m["subresource_uris"]["media"],
        format!(
            "/2010-04-01/Accounts/{}/Messages/{sid}/Media.json",
            api.account
        )
    );
    let fetched = api.get(&api.path(&format!("Messages/{sid}.json"))).await;
    assert_eq!(fetched.json(), m);
}

#[tokio::test]
async fn segments_are_counted_in_gsm7_and_ucs2() {
    let api = Api::start().await;
    let cases = [
        ("a".repeat(160), "1"),
        ("a".repeat(161), "2"),
        ("a".repeat(307), "3"),
        ("é".repeat(160), "1"), // é is in the GSM-7 alphabet
        ("ж".repeat(70), "1"),
        ("ж".repeat(71), "2"),
        ("😀".repeat(35), "1"), // two UTF-16 units each
        ("😀".repeat(36), "2"),
    ];
    for (body, segments) in cases {
        let m = api.send_sms(OTHER, &body).await;
        assert_eq!(
            m["num_segments"],
            segments,
            "{} chars of {:?}",
            body.chars().count(),
            body.chars().next()
        );
    }
}

#[tokio::test]
async fn a_message_with_media_gets_an_mm_sid_and_its_content_downloads_with_auth() {
    let api = Api::start().await;
    let server = wiremock::MockServer::start().await;
    let png = b"\x89PNG\r\n\x1a\nnot really a picture".to_vec();
    wiremock::Mock::given(wiremock::matchers::path("/media/cat.png"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_raw(png.clone(), "image/png"))
        .mount(&server)
        .await;
    let url = format!("{}/media/cat.png", server.uri());
    let reply = api
        .post(
            &api.path("Messages.json"),
            &[
                ("To", OTHER),
                ("From", NUMBER),
                ("Body", "look"),
                ("MediaUrl", &url),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let m = reply.json();
    let mm = m["sid"].as_str().unwrap();
    assert!(mm.starts_with("MM"), "{mm}");
    assert_eq!(m["num_media"], "1");

    let list = api
        .get(&api.path(&format!("Messages/{mm}/Media.json")))
        .await
        .json();
    let media = &items(&list, "media_list")[0];
    assert_eq!(media["content_type"], "image/png");
    assert_eq!(media["parent_sid"], mm);
    let json_uri = media["uri"].as_str().unwrap();
    let content_uri = json_uri.strip_suffix(".json").unwrap();

    let anonymous = api.send_as(None, Method::GET, content_uri, &[]).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let content = api.get(content_uri).await;
    assert_eq!(content.status, StatusCode::OK);
    assert_eq!(content.content_type.as_deref(), Some("image/png"));
    assert_eq!(content.bytes, png);
    assert_eq!(api.get(json_uri).await.json(), *media);
}

#[tokio::test]
async fn media_that_cannot_be_fetched_arms_a_retrieval_failure() {
    let api = Api::start().await;
    let server = wiremock::MockServer::start().await; // answers 404 to everything
    let reply = api
        .post(
            &api.path("Messages.json"),
            &[
                ("To", OTHER),
                ("From", NUMBER),
                ("MediaUrl", &format!("{}/gone.jpg", server.uri())),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let m = reply.json();
    assert_eq!(m["status"], "queued");
    let stored = api
        .sim()
        .message(&m["sid"].as_str().unwrap().parse().unwrap())
        .unwrap();
    assert_eq!(
        stored.pending_failure,
        Some(twilio_sim::DeliveryError::MediaRetrieval)
    );
    assert!(api.sim().media_of(&stored.sid).is_empty());
}

#[tokio::test]
async fn paging_with_page_size_two_walks_three_pages_by_next_page_uri() {
    let api = Api::start().await;
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(
            api.send_sms(OTHER, &format!("message {i}")).await["sid"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    created.reverse(); // newest first

    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut next = Some(api.path(&format!("Messages.json?To=%2B{}&PageSize=2", &OTHER[1..])));
    let mut pages = 0;
    while let Some(uri) = next {
        let page = api.get(&uri).await.json();
        assert_eq!(page["page"], pages, "{page}");
        assert_eq!(page["page_size"], 2);
        assert!(page["uri"]
            .as_str()
            .unwrap()
            .starts_with(&api.path("Messages.json?")));
        assert_eq!(page["previous_page_uri"].is_null(), pages == 0, "{page}");
        sizes.push(items(&page, "messages").len());
        seen.extend(sids(&page, "messages"));
        next = page["next_page_uri"].as_str().map(str::to_owned);
        if let Some(n) = &next {
            assert!(n.contains("To=%2B14155550100"), "filters are kept: {n}");
        }
        pages += 1;
        assert!(pages <= 3, "more than three pages");
    }
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(seen, created);
}

#[tokio::test]
async fn messages_are_filtered_by_to_from_status_and_date_sent() {
    let api = Api::start().await;
    let old = api.send_sms(OTHER, "old").await;
    api.sim().advance_clock(Duration::from_secs(3 * 86_400));
    let new = api.send_sms("+14155550101", "new").await;
    let day = |m: &Value| {
        chrono::DateTime::parse_from_rfc2822(m["date_created"].as_str().unwrap())
            .unwrap()
            .format("%Y-%m-%d")
            .to_string()
    };
    let list = |query: String| {
        let api = &api;
        async move {
            sids(
                &api.get(&api.path(&format!("Messages.json?{query}")))
                    .await
                    .json(),
                "messages",
            )
        }
    };
    let (old_sid, new_sid) = (old["sid"].as_str().unwrap(), new["sid"].as_str().unwrap());
    assert_eq!(list(format!("To=%2B{}", &OTHER[1..])).await, [old_sid]);
    assert_eq!(
        list(format!("From=%2B{}", &NUMBER[1..])).await,
        [new_sid, old_sid]
    );
    assert_eq!(
        list(format!("From=%2B{}", &OTHER[1..])).await,
        Vec::<String>::new()
    );
    assert_eq!(list("Status=queued".into()).await, [new_sid, old_sid]);
    assert_eq!(list("Status=delivered".into()).await, Vec::<String>::new());
    assert_eq!(list(format!("DateSent={}", day(&old))).await, [old_sid]);
    assert_eq!(list(format!("DateSent%3E={}", day(&new))).await, [new_sid]);
    assert_eq!(list(format!("DateSent%3C={}", day(&old))).await, [old_sid]);
    let bad = api
        .get(&api.path("Messages.json?DateSent%3E=yesterday"))
        .await;
    assert_error(&bad, 400, 20001);
}

#[tokio::test]
async fn redacting_a_message_empties_its_body() {
    let api = Api::start().await;
    let sid = api.send_sms(OTHER, "secret").await["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = api
        .post(&api.path(&format!("Messages/{sid}.json")), &[("Body", "")])
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["body"], "");
    let rewrite = api
        .post(
            &api.path(&format!("Messages/{sid}.json")),
            &[("Body", "other")],
        )
        .await;
    assert_error(&rewrite, 400, 20001);
}

#[tokio::test]
async fn deleting_a_message_answers_204_then_404() {
    let api = Api::start().await;
    let sid = api.send_sms(OTHER, "bye").await["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let uri = api.path(&format!("Messages/{sid}.json"));
    let deleted = api.delete(&uri).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(deleted.bytes.is_empty());
    assert_error(&api.get(&uri).await, 404, 20404);
    assert_error(&api.delete(&uri).await, 404, 20404);
}

#[tokio::test]
async fn an_unknown_message_is_not_found() {
    let api = Api::start().await;
    let reply = api
        .get(&api.path("Messages/SMffffffffffffffffffffffffffffffff.json"))
        .await;
    assert_error(&reply, 404, 20404);
    let page = api.get(&api.path("Messages.json?PageSize=1001")).await;
    assert_error(&page, 400, 20001);
}
