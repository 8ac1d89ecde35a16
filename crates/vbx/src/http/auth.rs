//! Who is calling: argon2id passwords, server-side sessions behind the `vbx_session` cookie,
//! the CSRF header, login rate limiting, proxy authentication, and the gate in front of every
//! route that is not open (and of the paths no route takes).

mod limit;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::header::{ACCEPT, CACHE_CONTROL, COOKIE, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub use limit::LoginLimiter;

use super::api::ApiError;
use super::AppState;
use crate::config::AuthMode;
use crate::store::{now_ms, session};

pub const COOKIE_NAME: &str = "vbx_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const SESSION_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// A session's expiry is pushed out (and its cookie re-sent) at most this often.
const TOUCH_EVERY_MS: i64 = 60 * 60 * 1000;

/// Files a browser (or a crawler) asks for by itself, and the login page's directory: when vbx
/// has none of them, anyone may learn so (404) without a session.
const PUBLIC_FILES: &[&str] = &["/favicon.ico", "/robots.txt", "/manifest.webmanifest"];
const PUBLIC_PREFIX: &str = "/assets/";

/// Password checks that may run at once (one core of the two vbx is sized for).
pub const VERIFICATIONS: usize = 1;
/// How long a login waits for a password check to be free before it is told to retry.
pub const VERIFICATION_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Authentication state shared by the handlers.
#[derive(Debug)]
pub struct AuthState {
    pub limiter: LoginLimiter,
    /// Password checks under way: each takes argon2's 19 MiB and a core for a while, so a
    /// crowd of logins must not take the memory or the cores the webhooks need.
    pub verifications: tokio::sync::Semaphore,
    /// Signs the proxy mode's per-user CSRF tokens (stored in the database, made on first use).
    csrf_key: Vec<u8>,
}

impl AuthState {
    pub fn new(csrf_key: Vec<u8>) -> Self {
        Self {
            limiter: LoginLimiter::standard(),
            verifications: tokio::sync::Semaphore::new(VERIFICATIONS),
            csrf_key,
        }
    }

    /// The CSRF token of a user authenticated by the proxy: stable, unforgeable without the
    /// key.
    fn proxy_csrf(&self, name: &str) -> String {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.csrf_key) {
            Ok(mac) => mac,
            // HMAC takes keys of any length; this arm cannot be reached.
            Err(_) => return new_token(),
        };
        mac.update(b"vbx-csrf:");
        mac.update(name.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

/// An argon2id hash with the argon2 crate's defaults (19 MiB, 2 passes: OWASP's minimum).
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Whether `password` matches `hash` (with the hash's own parameters). Slow on purpose: call
/// it through [`verify_password_off_thread`] from async code.
pub fn verify_password(hash: &str, password: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

pub async fn verify_password_off_thread(hash: String, password: String) -> bool {
    tokio::task::spawn_blocking(move || verify_password(&hash, &password))
        .await
        .unwrap_or(false)
}

/// 32 random bytes from the OS, base64url.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the sessions table stores instead of the token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn cookie(value: &str, max_age_secs: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!(
        "{COOKIE_NAME}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Strict{secure}"
    );
    // Tokens are base64url, so the value is always a valid header.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub fn session_cookie(token: &str, secure: bool) -> HeaderValue {
    cookie(token, SESSION_TTL.as_secs(), secure)
}

pub fn clearing_cookie(secure: bool) -> HeaderValue {
    cookie("", 0, secure)
}

fn cookie_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A logged-in user. Every `/api` handler and `/ws` takes one; without a session the
/// request is answered 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub csrf: String,
    /// The session's token hash (login mode).
    pub session: Option<String>,
}

impl FromRequestParts<AppState> for User {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(user) = parts.extensions.get::<User>() {
            return Ok(user.clone());
        }
        match resolve(&parts.headers, state).await? {
            Some((user, _)) => Ok(user),
            None => Err(ApiError::Unauthenticated),
        }
    }
}

/// The client's address, when the server was started with connect info. Behind a reverse
/// proxy on the same machine (the peer is a loopback address) it is the address that proxy
/// put last in `X-Forwarded-For`, so the login limit counts each client, not the proxy.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        Ok(ClientIp(client_ip(peer, &parts.headers)))
    }
}

/// The peer, or for a loopback peer the last address in `X-Forwarded-For` (the one the local
/// proxy saw; addresses before it are whatever the client claimed). Only a loopback peer is
/// trusted to set the header: anyone else could pick a new address for every try.
/// A dual-stack listener sees IPv4 peers as `::ffff:a.b.c.d`: those are the IPv4 address.
fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
    let peer = peer.map(|ip| ip.to_canonical());
    if !peer.is_some_and(|ip| ip.is_loopback()) {
        return peer;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next_back()
        .and_then(|last| last.trim().parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
        .or(peer)
}

/// Creates a session for `name`; returns the user and the cookie to set.
pub async fn start_session(state: &AppState, name: &str) -> Result<(User, HeaderValue), ApiError> {
    let token = new_token();
    let now = now_ms();
    let row = session::SessionRow {
        token_hash: token_hash(&token),
        user_name: name.to_owned(),
        csrf: new_token(),
        created_at: now,
        last_seen: now,
        expires_at: now.saturating_add(ttl_ms()),
        password_tag: state
            .config
            .user(name)
            .map(crate::config::User::password_tag)
            .unwrap_or_default(),
    };
    state.store.create_session(&row).await?;
    let user = User {
        name: row.user_name,
        csrf: row.csrf,
        session: Some(row.token_hash),
    };
    Ok((user, session_cookie(&token, state.config.server.is_https())))
}

fn ttl_ms() -> i64 {
    i64::try_from(SESSION_TTL.as_millis()).unwrap_or(i64::MAX)
}

/// The user a request comes from, and a refreshed cookie when the session's expiry moved.
async fn resolve(
    headers: &HeaderMap,
    state: &AppState,
) -> Result<Option<(User, Option<HeaderValue>)>, ApiError> {
    match &state.config.server.auth {
        AuthMode::Proxy { header } => {
            let name = headers
                .get(header.as_str())
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|name| !name.is_empty());
            let Some(name) = name else {
                return Ok(None);
            };
            // With users listed, the proxy may only let those in.
            if !state.config.users.is_empty() && state.config.user(name).is_none() {
                tracing::warn!(user = name, "the proxy named a user not in [[users]]");
                return Ok(None);
            }
            let user = User {
                name: name.to_owned(),
                csrf: state.auth.proxy_csrf(name),
                session: None,
            };
            Ok(Some((user, None)))
        }
        AuthMode::Login => {
            let Some(token) = cookie_value(headers, COOKIE_NAME).filter(|t| !t.is_empty()) else {
                return Ok(None);
            };
            let hash = token_hash(token);
            let now = now_ms();
            let Some(row) = state.store.session(&hash, now).await? else {
                return Ok(None);
            };
            // A user removed from the configuration, or whose password changed since the
            // session began, loses it at once.
            let current = state.config.user(&row.user_name);
            if current.is_none_or(|u| u.password_tag() != row.password_tag) {
                state.store.end_session(&hash).await?;
                return Ok(None);
            }
            let refreshed = if now.saturating_sub(row.last_seen) >= TOUCH_EVERY_MS {
                state
                    .store
                    .touch_session(&hash, now, now.saturating_add(ttl_ms()))
                    .await?;
                Some(session_cookie(token, state.config.server.is_https()))
            } else {
                None
            };
            let user = User {
                name: row.user_name,
                csrf: row.csrf,
                session: Some(hash),
            };
            Ok(Some((user, refreshed)))
        }
    }
}

/// The logged-in user a request comes from, if any (for a route open to others too).
pub async fn user_of(headers: &HeaderMap, state: &AppState) -> Result<Option<User>, ApiError> {
    Ok(resolve(headers, state).await?.map(|(user, _)| user))
}

/// Ends the user's session (login mode); proxy sessions belong to the proxy.
pub async fn end_session(state: &AppState, user: &User) -> Result<(), ApiError> {
    if let Some(hash) = &user.session {
        state.store.end_session(hash).await?;
        state.events.publish(crate::event::Event::SessionEnded {
            session: hash.clone(),
        });
    }
    Ok(())
}

/// Paths no route takes that are a 404 for anyone: under `/flow/` (Twilio's, which has no
/// session) and the public files' names.
fn is_open_unknown(method: &Method, path: &str) -> bool {
    let read = method == Method::GET || method == Method::HEAD;
    path.starts_with("/flow/")
        || (read && (PUBLIC_FILES.contains(&path) || path.starts_with(PUBLIC_PREFIX)))
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn csrf_ok(headers: &HeaderMap, user: &User) -> bool {
    headers
        .get(CSRF_HEADER)
        .map(|v| v.as_bytes().ct_eq(user.csrf.as_bytes()).into())
        .unwrap_or(false)
}

/// In front of every route that is not open, and of an open route's other methods: a user
/// is required, and state-changing `/api` calls need the CSRF header too. A browser asking for
/// a page without a session is sent to the login page instead of getting a 401.
pub async fn gate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let resolved = match resolve(req.headers(), &state).await {
        Ok(resolved) => resolved,
        Err(e) => return e.into_response(),
    };
    let Some((user, refreshed)) = resolved else {
        if wants_page(&method, &path, req.headers()) {
            let base = state.config.server.public_url.path().trim_end_matches('/');
            return (StatusCode::SEE_OTHER, [(LOCATION, format!("{base}/login"))]).into_response();
        }
        return ApiError::Unauthenticated.into_response();
    };
    let api = path.starts_with("/api/");
    if api && changes_state(&method) && !csrf_ok(req.headers(), &user) {
        return ApiError::Csrf.into_response();
    }
    req.extensions_mut().insert(user);
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    if api {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    // A handler that set the cookie itself (logout) wins.
    if let Some(cookie) = refreshed {
        if !headers.contains_key(SET_COOKIE) {
            headers.insert(SET_COOKIE, cookie);
        }
    }
    response
}

/// In front of the fallback (a path no route takes): the gate, unless anyone may learn that
/// the path does not exist.
pub async fn gate_unknown(state: State<AppState>, req: Request, next: Next) -> Response {
    if is_open_unknown(req.method(), req.uri().path()) {
        return next.run(req).await;
    }
    gate(state, req, next).await
}

fn wants_page(method: &Method, path: &str, headers: &HeaderMap) -> bool {
    (method == Method::GET || method == Method::HEAD)
        && !path.starts_with("/api/")
        && path != "/ws"
        && headers
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        // Cheap parameters: the defaults take seconds in an unoptimised test build.
        let argon = Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(8, 1, 1, None).unwrap(),
        );
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let hash = argon
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password(&hash, "correct horse"));
        assert!(!verify_password(&hash, "correct horse "));
        assert!(!verify_password("not a hash", "correct horse"));
    }

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 32);
        assert_eq!(token_hash(&a).len(), 64);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
    }

    #[test]
    fn the_session_cookie_is_http_only_strict_and_secure_only_over_https() {
        let plain = session_cookie("tok", false);
        assert_eq!(
            plain.to_str().unwrap(),
            "vbx_session=tok; Path=/; Max-Age=2592000; HttpOnly; SameSite=Strict"
        );
        let secure = session_cookie("tok", true);
        assert!(secure
            .to_str()
            .unwrap()
            .ends_with("; SameSite=Strict; Secure"));
        assert!(clearing_cookie(true)
            .to_str()
            .unwrap()
            .starts_with("vbx_session=; Path=/; Max-Age=0;"));
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            COOKIE,
            HeaderValue::from_static("a=1; vbx_session=xyz; b=2"),
        );
        assert_eq!(cookie_value(&headers, COOKIE_NAME), Some("xyz"));
        let mut other = HeaderMap::new();
        other.append(COOKIE, HeaderValue::from_static("not_vbx_session=1"));
        assert_eq!(cookie_value(&other, COOKIE_NAME), None);
    }

    #[test]
    fn behind_a_local_proxy_the_client_is_the_last_forwarded_address() {
        let local: Option<IpAddr> = Some("127.0.0.1".parse().unwrap());
        let remote: Option<IpAddr> = Some("203.0.113.9".parse().unwrap());
        let mut headers = HeaderMap::new();
        assert_eq!(client_ip(local, &headers), local, "no header: the peer");
        headers.append(
            "x-forwarded-for",
            HeaderValue::from_static("10.9.9.9, 198.51.100.7"),
        );
        assert_eq!(
            client_ip(local, &headers),
            Some("198.51.100.7".parse().unwrap())
        );
        headers.append("x-forwarded-for", HeaderValue::from_static("198.51.100.8"));
        assert_eq!(
            client_ip(local, &headers),
            Some("198.51.100.8".parse().unwrap()),
            "the proxy appends: the last header's last address"
        );
        assert_eq!(
            client_ip(remote, &headers),
            remote,
            "a remote peer cannot choose its address"
        );
        let mapped: Option<IpAddr> = Some("::ffff:127.0.0.1".parse().unwrap());
        assert_eq!(
            client_ip(mapped, &headers),
            Some("198.51.100.8".parse().unwrap()),
            "a dual-stack listener's loopback peer is a local proxy too"
        );
        let mapped_remote: Option<IpAddr> = Some("::ffff:203.0.113.9".parse().unwrap());
        assert_eq!(client_ip(mapped_remote, &headers), remote);
        let mut junk = HeaderMap::new();
        junk.append("x-forwarded-for", HeaderValue::from_static("unknown"));
        assert_eq!(client_ip(local, &junk), local);
        assert_eq!(client_ip(None, &headers), None);
    }

    #[test]
    fn only_unknown_paths_under_flow_and_public_file_names_are_a_404_for_anyone() {
        assert!(is_open_unknown(&Method::POST, "/flow/voice"));
        assert!(is_open_unknown(&Method::GET, "/flow/media/in/x"));
        assert!(is_open_unknown(&Method::GET, "/robots.txt"));
        assert!(is_open_unknown(&Method::HEAD, "/assets/"));
        assert!(!is_open_unknown(&Method::POST, "/robots.txt"));
        assert!(!is_open_unknown(&Method::GET, "/flow"));
        assert!(!is_open_unknown(&Method::GET, "/api/nope"));
        assert!(!is_open_unknown(&Method::GET, "/conversations"));
    }

    #[test]
    fn proxy_csrf_tokens_are_per_user_and_keyed() {
        let one = AuthState::new(b"key one".to_vec());
        let two = AuthState::new(b"key two".to_vec());
        assert_eq!(one.proxy_csrf("alice"), one.proxy_csrf("alice"));
        assert_ne!(one.proxy_csrf("alice"), one.proxy_csrf("bob"));
        assert_ne!(one.proxy_csrf("alice"), two.proxy_csrf("alice"));
    }
}
