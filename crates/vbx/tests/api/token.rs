//! The browser phone's access token.

use std::collections::BTreeMap;

use twilio::token::{verify, VoiceGrant};

use crate::harness::*;

#[tokio::test]
async fn the_token_names_the_browser_identity_and_grants_incoming_and_outgoing_calls() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let reply = app.get("/api/token", &session).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["identity"], "vbx");
    let now = vbx::store::now_ms() / 1000;
    let claims = verify(body["token"].as_str().unwrap(), API_SECRET, now).expect("a valid token");
    assert_eq!(claims.identity, "vbx");
    assert_eq!(claims.iss, API_KEY);
    assert_eq!(claims.sub, ACCOUNT);
    assert_eq!(
        claims.voice,
        Some(VoiceGrant {
            incoming_allow: true,
            outgoing_application_sid: Some(APP_SID.into()),
            outgoing_params: BTreeMap::new(),
            push_credential_sid: None,
            endpoint_id: None,
        })
    );
    let lifetime = claims.exp - claims.nbf.unwrap();
    assert_eq!(lifetime, 3600);
    assert_eq!(body["expires_at"].as_i64().unwrap(), claims.exp * 1000);
    assert!(verify(body["token"].as_str().unwrap(), "another secret", now).is_err());
    app.stop().await;
}

#[tokio::test]
async fn without_an_api_key_the_token_is_refused_with_what_to_configure() {
    let app = TestApp::builder().no_api_key().start().await;
    let session = app.alice().await;
    let reply = app.get("/api/token", &session).await;
    assert_eq!((reply.status, reply.code().as_str()), (409, "conflict"));
    let message = reply.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("twilio.api_key") && message.contains("twilio.api_secret"),
        "{message}"
    );
    app.stop().await;
}
