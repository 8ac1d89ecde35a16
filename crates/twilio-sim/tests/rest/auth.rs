//! HTTP basic auth with the auth token or an API key, and Twilio's 401/404 answers.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{assert_error, Api};

#[tokio::test]
async fn a_request_without_credentials_gets_twilios_exact_401_body() {
    let api = Api::start().await;
    let reply = api
        .send_as(None, Method::GET, &api.path("Messages.json"), &[])
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        reply.json(),
        json!({"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401})
    );
}

#[tokio::test]
async fn a_wrong_auth_token_is_rejected_with_401() {
    let api = Api::start().await;
    let account = api.account.clone();
    let reply = api
        .send_as(
            Some((&account, "ffffffffffffffffffffffffffffffff")),
            Method::GET,
            &api.path("Calls.json"),
            &[],
        )
        .await;
    assert_error(&reply, 401, 20003);
}

#[tokio::test]
async fn an_api_key_and_its_secret_authenticate() {
    let api = Api::start().await;
    let (sid, secret) = api.key.clone();
    let reply = api
        .send_as(
            Some((&sid, &secret)),
            Method::GET,
            &api.path("Messages.json"),
            &[],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let wrong = api
        .send_as(
            Some((&sid, "nope")),
            Method::GET,
            &api.path("Messages.json"),
            &[],
        )
        .await;
    assert_error(&wrong, 401, 20003);
}

#[tokio::test]
async fn a_created_key_authenticates_and_its_secret_is_shown_only_at_creation() {
    let api = Api::start().await;
    let created = api
        .post(&api.path("Keys.json"), &[("FriendlyName", "browser phone")])
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let key = created.json();
    let sid = key["sid"].as_str().unwrap().to_owned();
    let secret = key["secret"].as_str().unwrap().to_owned();
    assert!(sid.starts_with("SK"));
    assert_eq!(key["friendly_name"], "browser phone");

    let fetched = api.get(&api.path(&format!("Keys/{sid}.json"))).await.json();
    assert!(fetched.get("secret").is_none(), "{fetched}");
    let listed = api.get(&api.path("Keys.json")).await.json();
    assert!(listed["keys"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k.get("secret").is_none()));

    let reply = api
        .send_as(
            Some((&sid, &secret)),
            Method::GET,
            &api.path("Calls.json"),
            &[],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);

    assert_eq!(
        api.delete(&api.path(&format!("Keys/{sid}.json")))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let after = api
        .send_as(
            Some((&sid, &secret)),
            Method::GET,
            &api.path("Calls.json"),
            &[],
        )
        .await;
    assert_error(&after, 401, 20003);
}

#[tokio::test]
async fn a_standard_api_key_cannot_manage_keys() {
    let api = Api::start().await;
    let (sid, secret) = api.key.clone();
    let reply = api
        .send_as(
            Some((&sid, &secret)),
            Method::POST,
            &api.path("Keys.json"),
            &[("FriendlyName", "escalation")],
        )
        .await;
    assert_error(&reply, 401, 20003);
}

#[tokio::test]
async fn another_accounts_sid_in_the_path_is_not_found() {
    let api = Api::start().await;
    let reply = api
        .get("/2010-04-01/Accounts/ACffffffffffffffffffffffffffffffff/Messages.json")
        .await;
    assert_error(&reply, 404, 20404);
}

#[tokio::test]
async fn an_unknown_resource_is_not_found_and_a_wrong_method_is_not_allowed() {
    let api = Api::start().await;
    assert_error(&api.get(&api.path("Conferences.json")).await, 404, 20404);
    assert_error(&api.delete(&api.path("Messages.json")).await, 405, 20004);
}
