//! HTTP basic auth as Twilio checks it: `AccountSid:AuthToken` or `SK…:secret` of an API key,
//! then the account in the path must be the authenticated one.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use subtle::ConstantTimeEq;
use twilio::ApiKeySid;

use crate::error::ApiError;
use crate::sim::SimState;
use crate::Sim;

/// Who made an authenticated request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The account SID and auth token.
    Account,
    /// A (standard) API key.
    Key(ApiKeySid),
}

fn same_secret(given: &str, expected: &str) -> bool {
    given.as_bytes().ct_eq(expected.as_bytes()).into()
}

fn credentials(request: &Request) -> Option<(String, String)> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

fn authenticate(s: &SimState, user: &str, password: &str) -> Option<Principal> {
    if user == s.account_sid.as_str() && same_secret(password, &s.auth_token) {
        return Some(Principal::Account);
    }
    s.keys
        .iter()
        .find(|k| k.sid.as_str() == user && same_secret(password, &k.secret))
        .map(|k| Principal::Key(k.sid.clone()))
}

/// The `{AccountSid}` of `/2010-04-01/Accounts/{AccountSid}/…` or `…/{AccountSid}.json`.
fn path_account(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/2010-04-01/Accounts/")?;
    let segment = rest.split('/').next()?;
    Some(segment.strip_suffix(".json").unwrap_or(segment))
}

/// Middleware in front of the REST API. Another account's SID in the path answers 404
/// (20404), as for any resource the credentials cannot see.
pub async fn require(State(sim): State<Sim>, mut request: Request, next: Next) -> Response {
    let Some((user, password)) = credentials(&request) else {
        return ApiError::unauthenticated().into_response();
    };
    let path = request.uri().path().to_owned();
    let decision = sim.with_state(|s| {
        let principal = authenticate(s, &user, &password).ok_or_else(ApiError::unauthenticated)?;
        match path_account(&path) {
            Some(account) if account != s.account_sid.as_str() => Err(ApiError::not_found(&path)),
            _ => Ok(principal),
        }
    });
    match decision {
        Ok(principal) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_is_read_from_resource_and_account_paths() {
        assert_eq!(
            path_account("/2010-04-01/Accounts/AC1/Messages.json"),
            Some("AC1")
        );
        assert_eq!(path_account("/2010-04-01/Accounts/AC1.json"), Some("AC1"));
        assert_eq!(path_account("/_sim/messages"), None);
    }
}
