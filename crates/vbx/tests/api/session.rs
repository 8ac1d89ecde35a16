//! Logging in and out: cookies, sessions, rate limiting, CSRF, proxy authentication.

use reqwest::Method;
use serde_json::json;

use crate::harness::*;
use vbx::store::StoreError;

#[tokio::test]
async fn a_user_logs_in_and_gets_a_session_and_a_csrf_token() {
    let app = TestApp::start().await;
    let reply = app.try_login("alice", ALICE_PASSWORD).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(reply.json()["user"]["name"], "alice");
    let csrf = reply.json()["csrf"].as_str().unwrap().to_owned();
    assert!(csrf.len() >= 40, "{csrf}");
    let session = app.alice().await;
    let me = app.get("/api/session", &session).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(
        me.json(),
        json!({"user": {"name": "alice"}, "csrf": session.csrf, "identity": "vbx", "number": NUMBER, "voice": {"kind": "twilio"}})
    );
    assert_eq!(me.header("cache-control"), Some("no-store"));
    app.stop().await;
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_name_get_the_same_401() {
    let app = TestApp::start().await;
    let wrong = app.try_login("alice", "not-her-password").await;
    let unknown = app.try_login("mallory", ALICE_PASSWORD).await;
    for reply in [&wrong, &unknown] {
        assert_eq!(reply.status, 401);
        assert_eq!(reply.code(), "bad_credentials");
        assert!(reply.header("set-cookie").is_none());
    }
    assert_eq!(wrong.body, unknown.body);
    app.stop().await;
}

#[tokio::test]
async fn five_failed_logins_for_a_name_lock_it_for_a_while_with_retry_after() {
    let app = TestApp::start().await;
    for _ in 0..5 {
        assert_eq!(app.try_login("alice", "guess").await.status, 401);
    }
    let locked = app.try_login("alice", ALICE_PASSWORD).await;
    assert_eq!(locked.status, 429, "{}", locked.body);
    assert_eq!(locked.code(), "rate_limited");
    let wait: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=300).contains(&wait), "{wait}");
    // The limit is per client address too: every name from here is locked now.
    assert_eq!(app.try_login("bob", BOB_PASSWORD).await.status, 429);
    app.stop().await;
}

#[tokio::test]
async fn concurrent_wrong_logins_for_a_name_check_no_more_passwords_than_the_limit() {
    let app = TestApp::start().await;
    let tries = (0..40).map(|_| app.try_login("alice", "guess"));
    let statuses: Vec<u16> = futures_util::future::join_all(tries)
        .await
        .iter()
        .map(|r| r.status)
        .collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (5, 35), "{statuses:?}");
    app.stop().await;
}

#[tokio::test]
async fn failures_from_many_clients_do_not_lock_out_a_client_that_never_failed() {
    let app = TestApp::start().await;
    // Ten addresses fail five times each for Alice: 50, the name's ceiling.
    for client in 0..10 {
        for _ in 0..5 {
            let reply = app
                .login_from(&format!("198.51.100.{client}"), "alice", "guess")
                .await;
            assert_eq!(reply.status, 401, "{}", reply.body);
        }
    }
    // An attacker's address with failures of its own is refused, even from a fresh slot…
    let attacker = app.login_from("198.51.100.3", "alice", "guess").await;
    assert_eq!(attacker.status, 429, "{}", attacker.body);
    // …and Alice, from an address that never failed, logs in.
    let alice = app.login_from("203.0.113.7", "alice", ALICE_PASSWORD).await;
    assert_eq!(alice.status, 200, "{}", alice.body);
    app.stop().await;
}

#[tokio::test]
async fn a_crowd_of_logins_waits_for_few_password_checks_and_the_rest_are_told_to_retry() {
    let app = TestApp::builder().costly_hashes().start().await;
    // Twenty clients that never failed, at once: each check takes argon2's full cost.
    let clients: Vec<String> = (0..20).map(|i| format!("198.51.100.{i}")).collect();
    let tries = clients.iter().map(|c| app.login_from(c, "alice", "guess"));
    let replies = futures_util::future::join_all(tries).await;
    let busy: Vec<&Reply> = replies.iter().filter(|r| r.status == 429).collect();
    assert!(
        replies.iter().all(|r| matches!(r.status, 401 | 429)),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(
        !busy.is_empty(),
        "every login ran its own password check at once"
    );
    assert_eq!(busy[0].header("retry-after"), Some("1"));
    // Those told to retry did not use up their tries.
    let later = app
        .login_from("198.51.100.0", "alice", ALICE_PASSWORD)
        .await;
    assert_eq!(later.status, 200, "{}", later.body);
    app.stop().await;
}

#[tokio::test]
async fn the_cookie_is_http_only_strict_and_secure_behind_https() {
    let app = TestApp::start().await;
    let reply = app.try_login("alice", ALICE_PASSWORD).await;
    let cookie = reply.header("set-cookie").unwrap().to_owned();
    assert!(cookie.starts_with("vbx_session="), "{cookie}");
    for flag in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/",
        "Secure",
        "Max-Age=2592000",
    ] {
        assert!(
            cookie.split("; ").any(|part| part == flag),
            "{flag} missing: {cookie}"
        );
    }
    app.stop().await;

    let plain = TestApp::builder().own_public_url().start().await;
    let reply = plain.try_login("alice", ALICE_PASSWORD).await;
    let cookie = reply.header("set-cookie").unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    assert!(!cookie.contains("Secure"), "no Secure over http: {cookie}");
    plain.stop().await;
}

#[tokio::test]
async fn a_state_changing_call_without_the_csrf_header_is_refused() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let body = json!({"number": "+14155550111", "name": "New"});
    let without = app
        .http
        .post(app.url("/api/contacts"))
        .header("cookie", &session.cookie)
        .json(&body)
        .send()
        .await
        .unwrap();
    let without = Reply::from(without).await;
    assert_eq!((without.status, without.code().as_str()), (403, "csrf"));
    let wrong = app
        .http
        .post(app.url("/api/contacts"))
        .header("cookie", &session.cookie)
        .header("x-csrf-token", "not-the-token")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(Reply::from(wrong).await.status, 403);
    // Bob's token is no good for Alice's session.
    let bob = app.login("bob", BOB_PASSWORD).await;
    let crossed = app
        .http
        .post(app.url("/api/contacts"))
        .header("cookie", &session.cookie)
        .header("x-csrf-token", &bob.csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(Reply::from(crossed).await.status, 403);
    let right = app
        .send_json(Method::POST, "/api/contacts", &session, body)
        .await;
    assert_eq!(right.status, 201, "{}", right.body);
    app.stop().await;
}

#[tokio::test]
async fn logging_out_ends_the_session_on_the_server() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let other_tab_of_bob = app.login("bob", BOB_PASSWORD).await;
    let out = app.post_empty("/api/logout", &session).await;
    assert_eq!(out.status, 204, "{}", out.body);
    let cleared = out.header("set-cookie").unwrap();
    assert!(
        cleared.starts_with("vbx_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    let after = app.get("/api/session", &session).await;
    assert_eq!(
        (after.status, after.code().as_str()),
        (401, "unauthenticated")
    );
    assert_eq!(app.get("/api/session", &other_tab_of_bob).await.status, 200);
    app.stop().await;
}

#[tokio::test]
async fn logging_out_closes_that_sessions_sockets_and_no_others() {
    let app = TestApp::start().await;
    let alice = app.alice().await;
    let bob = app.login("bob", BOB_PASSWORD).await;
    let mut alices_tab = app.socket(&alice).await;
    let mut bobs_tab = app.socket(&bob).await;
    for tab in [&mut alices_tab, &mut bobs_tab] {
        tab.until(|f| f["type"] == "presence").await;
    }

    let out = app.post_empty("/api/logout", &alice).await;
    assert_eq!(out.status, 204, "{}", out.body);
    let frame = alices_tab.next_json().await;
    assert_eq!(frame, json!({"type": "logged_out"}));
    assert_eq!(alices_tab.close_code().await, Some(4401));

    app.text_arrives(CALLER, "still here?").await;
    let live = bobs_tab.until(|f| f["type"] == "message").await;
    assert_eq!(live["item"]["body"], "still here?");
    app.stop().await;
}

#[tokio::test]
async fn sessions_survive_a_restart_but_not_a_new_password_or_the_users_removal() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let data = app.stop().await;
    let again = TestApp::builder().data(data).start().await;
    assert_eq!(again.get("/api/session", &session).await.status, 200);
    let bobs = again.login("bob", BOB_PASSWORD).await;
    let data = again.stop().await;

    // Bob has a new password in the configuration: his session is gone, Alice's stays.
    let new_bob = TestApp::builder()
        .data(data)
        .users(&[("alice", ALICE_PASSWORD), ("bob", "bobs-new-password")])
        .start()
        .await;
    assert_eq!(new_bob.get("/api/session", &bobs).await.status, 401);
    assert_eq!(new_bob.get("/api/session", &session).await.status, 200);
    let data = new_bob.stop().await;

    // A configuration without Alice: her session is gone.
    let without_alice = TestApp::builder()
        .data(data)
        .users(&[("bob", BOB_PASSWORD)])
        .start()
        .await;
    assert_eq!(
        without_alice.get("/api/session", &session).await.status,
        401
    );
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_name = 'alice'")
        .fetch_one(without_alice.store.pool())
        .await
        .unwrap();
    assert_eq!(rows, 0);
    without_alice.stop().await;
}

#[tokio::test]
async fn proxy_mode_trusts_the_header_and_still_wants_the_csrf_token() {
    let app = TestApp::builder()
        .server("auth = \"proxy\"\nproxy_header = \"X-Forwarded-User\"")
        .start()
        .await;
    let none = Reply::from(app.http.get(app.url("/api/session")).send().await.unwrap()).await;
    assert_eq!(none.status, 401);
    let stranger = app
        .http
        .get(app.url("/api/session"))
        .header("x-forwarded-user", "mallory")
        .send()
        .await
        .unwrap();
    assert_eq!(Reply::from(stranger).await.status, 401, "not in [[users]]");
    let me = app
        .http
        .get(app.url("/api/session"))
        .header("x-forwarded-user", "alice")
        .send()
        .await
        .unwrap();
    let me = Reply::from(me).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["user"]["name"], "alice");
    assert!(me.header("set-cookie").is_none(), "no cookie in proxy mode");
    let csrf = me.json()["csrf"].as_str().unwrap().to_owned();

    let body = json!({"number": "+14155550111", "name": "Via proxy"});
    let without = app
        .http
        .post(app.url("/api/contacts"))
        .header("x-forwarded-user", "alice")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(Reply::from(without).await.status, 403);
    let bobs_token = app
        .http
        .post(app.url("/api/contacts"))
        .header("x-forwarded-user", "bob")
        .header("x-csrf-token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        Reply::from(bobs_token).await.status,
        403,
        "the token is per user"
    );
    let with = app
        .http
        .post(app.url("/api/contacts"))
        .header("x-forwarded-user", "alice")
        .header("x-csrf-token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(Reply::from(with).await.status, 201);
    let login = app.try_login("alice", ALICE_PASSWORD).await;
    assert_eq!(
        login.status, 404,
        "no login page in proxy mode: {}",
        login.body
    );
    app.stop().await;
}

/// Moves the sessions' times as the clock would: `sql` with `times` as its parameters.
async fn set_sessions(app: &TestApp, sql: &'static str, times: Vec<i64>) {
    app.store
        .write(move |conn| {
            conn.execute(sql, rusqlite::params_from_iter(&times))
                .map_err(|source| StoreError::Sqlite {
                    op: "set sessions",
                    source,
                })
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_session_in_use_slides_forward_and_an_expired_one_is_refused() {
    let app = TestApp::start().await;
    let session = app.alice().await;
    let hour = 60 * 60 * 1000;
    let now = vbx::store::now_ms();
    // As if last used two hours ago and about to expire.
    set_sessions(
        &app,
        "UPDATE sessions SET last_seen = ?1, expires_at = ?2",
        vec![now - 2 * hour, now + hour],
    )
    .await;
    let reply = app.get("/api/session", &session).await;
    assert_eq!(reply.status, 200);
    let cookie = reply.header("set-cookie").expect("the cookie is renewed");
    assert!(cookie.starts_with(&session.cookie), "{cookie}");
    assert!(cookie.contains("Max-Age=2592000"), "{cookie}");
    let expires: i64 = sqlx::query_scalar("SELECT expires_at FROM sessions")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert!(
        expires > now + 29 * 24 * hour,
        "the expiry moved 30 days out"
    );
    let again = app.get("/api/session", &session).await;
    assert!(
        again.header("set-cookie").is_none(),
        "not renewed on every request"
    );

    set_sessions(&app, "UPDATE sessions SET expires_at = ?1", vec![now - 1]).await;
    let expired = app.get("/api/session", &session).await;
    assert_eq!(
        (expired.status, expired.code().as_str()),
        (401, "unauthenticated")
    );
    app.stop().await;
}
