//! Walks every route vbx serves (`vbx::http::routes()`, the lists the router is built from):
//! without a session each answers 401 (403 unsigned for Twilio's webhooks, 404 for an unknown
//! media id); with one, each exists. Paths no route takes are closed too, so a path added
//! without thought is never open.

use reqwest::Method;
use vbx::http::Access;

use crate::harness::*;

/// Every route, one method at a time.
fn routes() -> Vec<(Method, &'static str, Access)> {
    let each = |route: vbx::http::Route| {
        let (path, access) = (route.path, route.access);
        route.methods.into_iter().map(move |m| (m, path, access))
    };
    vbx::http::routes().into_iter().flat_map(each).collect()
}

/// A concrete path for a route pattern.
fn concrete(pattern: &str) -> String {
    let call = sid("CA");
    let message = sid("SM");
    pattern
        .replace("{alias}", "default")
        .replace("{number}", "%2B14155550100")
        .replace("/calls/{sid}", &format!("/calls/{call}"))
        .replace("/recordings/{sid}", &format!("/recordings/{}", sid("RE")))
        .replace("/voicemails/{sid}", &format!("/voicemails/{}", sid("RE")))
        .replace("{sid}", &message)
        .replace("{idx}", "0")
        .replace("{id}", &sid("")[..32])
        .replace("{*path}", "index.js")
}

#[tokio::test]
async fn every_listed_route_is_closed_without_a_session_and_flow_needs_a_signature() {
    let app = TestApp::start().await;
    let mut checked = 0;
    for (method, pattern, access) in routes() {
        let path = concrete(pattern);
        let mut request = app.http.request(method.clone(), app.url(&path));
        if access == Access::Signed {
            request = request
                .header("content-type", "application/x-www-form-urlencoded")
                .body("CallSid=CA00000000000000000000000000000000");
        } else if method != Method::GET {
            request = request.json(&serde_json::json!({}));
        }
        let reply = Reply::from(request.send().await.unwrap()).await;
        if matches!(access, Access::Public | Access::UserOrToken) {
            // Only the methods an open route takes are open.
            let other = app.http.request(Method::PATCH, app.url(&path)).send();
            let other = Reply::from(other.await.unwrap()).await;
            assert_eq!(other.status, 401, "PATCH {path}: {}", other.body);
        }
        let expected = match access {
            Access::User | Access::UserOrToken => 401,
            Access::Signed => 403,
            Access::Capability => 404,
            Access::Public => continue,
        };
        assert_eq!(
            reply.status, expected,
            "{method} {path} ({access:?}) answered {}: {}",
            reply.status, reply.body
        );
        if matches!(access, Access::User | Access::UserOrToken) {
            assert_eq!(reply.code(), "unauthenticated", "{method} {path}");
        }
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} routes walked");
    app.stop().await;
}

#[tokio::test]
async fn only_the_login_call_the_login_page_its_files_and_the_health_check_are_public() {
    let mut public: Vec<String> = routes()
        .into_iter()
        .filter(|(_, _, access)| *access == Access::Public)
        .map(|(method, path, _)| format!("{method} {path}"))
        .collect();
    public.sort();
    assert_eq!(
        public,
        [
            "GET /assets/{*path}",
            "GET /favicon.svg",
            "GET /healthz",
            "GET /login",
            "POST /api/login"
        ]
    );
    let open_flow: Vec<&str> = routes()
        .into_iter()
        .filter(|(_, path, access)| {
            matches!(access, Access::Signed | Access::Capability) && !path.starts_with("/flow/")
        })
        .map(|(_, path, _)| path)
        .collect();
    assert!(open_flow.is_empty(), "{open_flow:?}");
}

#[tokio::test]
async fn every_listed_route_exists_for_a_logged_in_user() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    for (method, pattern, access) in routes() {
        // The login page is the web UI's; logging out would end the session for the rest.
        if (access == Access::Public && pattern == "/login") || pattern == "/api/logout" {
            continue;
        }
        let path = concrete(pattern);
        let mut request = app.request(method.clone(), &path, Some(&session));
        if access == Access::Signed {
            request = request
                .header("content-type", "application/x-www-form-urlencoded")
                .body("");
        } else if method != Method::GET {
            request = request.json(&serde_json::json!({}));
        }
        let reply = Reply::from(request.send().await.unwrap()).await;
        assert_ne!(reply.status, 405, "{method} {path}: no such method");
        let no_route = serde_json::from_str::<serde_json::Value>(&reply.body)
            .map(|v| v["error"]["code"] == "no_route")
            .unwrap_or(false);
        assert!(!no_route, "{method} {path} is listed but not routed");
    }
    app.stop().await;
}

#[tokio::test]
async fn paths_nobody_listed_are_closed_too() {
    let app = TestApp::start().await;
    for (method, path) in [
        (Method::GET, "/api/not-a-route"),
        (Method::GET, "/"),
        (Method::GET, "/settings"),
        (Method::DELETE, "/api/login"),
        (Method::GET, "/flowx"),
        (Method::OPTIONS, "/api/conversations"),
    ] {
        let reply = Reply::from(
            app.http
                .request(method.clone(), app.url(path))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(reply.status, 401, "{method} {path}: {}", reply.body);
    }
    let session = app.alice().await;
    let missing = app.get("/api/not-a-route", &session).await;
    assert_eq!((missing.status, missing.code().as_str()), (404, "no_route"));
    app.stop().await;
}

/// Found by the `api_requests` fuzz target (`HEAD /api/login` with a session): a listed path
/// called with another method got axum's bare 405, not an API error.
#[tokio::test]
async fn a_method_a_route_does_not_take_is_an_api_error_405() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    for (method, path) in [
        (Method::HEAD, "/api/login"),
        (Method::GET, "/api/login"),
        (Method::PUT, "/api/messages"),
        (Method::POST, "/api/status"),
        (Method::PATCH, "/api/contacts"),
    ] {
        let request = app.request(method.clone(), path, Some(&session));
        let reply = Reply::from(request.send().await.unwrap()).await;
        assert_eq!(reply.status, 405, "{method} {path}: {}", reply.body);
        assert_eq!(
            reply.header("content-type"),
            Some("application/json"),
            "{method} {path}"
        );
        // A HEAD answer has no body to read the code from.
        if method != Method::HEAD {
            assert_eq!(reply.code(), "method_not_allowed", "{method} {path}");
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn a_browser_asking_for_a_page_without_a_session_is_sent_to_the_login_page() {
    let app = TestApp::start().await;
    let page = app
        .http
        .get(app.url("/conversations"))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/login");
    let api = app
        .http
        .get(app.url("/api/conversations"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 401, "the API never redirects");
    app.stop().await;
}

#[tokio::test]
async fn a_forged_session_cookie_gets_nothing() {
    let app = TestApp::start().await;
    let forged = Session {
        cookie: "vbx_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
        csrf: "x".into(),
    };
    assert_eq!(app.get("/api/conversations", &forged).await.status, 401);
    app.stop().await;
}
