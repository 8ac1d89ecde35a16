//! REST client for the parts of Twilio's 2010-04-01 API that vbx uses: messages, calls, media,
//! incoming numbers, applications, keys and recordings. The base URL is the caller's choice so
//! the same client talks to `https://api.twilio.com` or to the simulator.

mod application;
mod call;
mod error;
mod key;
mod media;
mod message;
mod page;
mod phone_number;
mod recording;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{ACCEPT, ACCEPT_CHARSET, CONTENT_TYPE};
use reqwest::{Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use url::Url;

use crate::id::{AccountSid, ApiKeySid};

pub use application::{ApplicationParams, ApplicationResource};
pub use call::{CallFilter, CallResource, CreateCall, UpdateCall};
pub use error::Error;
pub use key::KeyResource;
pub use media::MediaResource;
pub use message::{CreateMessage, MessageFilter, MessageResource};
pub use page::{Listed, Page};
pub use phone_number::{Capabilities, IncomingPhoneNumberResource, UpdateIncomingNumber};
pub use recording::RecordingResource;

/// Sent on every request so Twilio's logs say who is calling.
pub const USER_AGENT: &str = concat!("vbx-twilio/", env!("CARGO_PKG_VERSION"));

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A full page of 1000 messages is a few megabytes; anything far larger is not Twilio.
const JSON_LIMIT: usize = 16 * 1024 * 1024;
const API_VERSION: &str = "2010-04-01";

/// Credentials for HTTP Basic auth. The account SID is always the one in the request path.
#[derive(Clone)]
pub enum Auth {
    /// `AccountSid:AuthToken`.
    Token {
        account_sid: AccountSid,
        auth_token: String,
    },
    /// `ApiKeySid:Secret`, acting on `account_sid`.
    ApiKey {
        account_sid: AccountSid,
        key_sid: ApiKeySid,
        secret: String,
    },
}

impl Auth {
    pub fn account_sid(&self) -> &AccountSid {
        match self {
            Auth::Token { account_sid, .. } | Auth::ApiKey { account_sid, .. } => account_sid,
        }
    }

    fn credentials(&self) -> (&str, &str) {
        match self {
            Auth::Token {
                account_sid,
                auth_token,
            } => (account_sid.as_str(), auth_token),
            Auth::ApiKey {
                key_sid, secret, ..
            } => (key_sid.as_str(), secret),
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Token { account_sid, .. } => f
                .debug_struct("Token")
                .field("account_sid", account_sid)
                .field("auth_token", &"***")
                .finish(),
            Auth::ApiKey {
                account_sid,
                key_sid,
                ..
            } => f
                .debug_struct("ApiKey")
                .field("account_sid", account_sid)
                .field("key_sid", key_sid)
                .field("secret", &"***")
                .finish(),
        }
    }
}

/// A Twilio REST client. Cheap to clone: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    /// The base URL's path without its trailing slash (`""` for a bare host), so API paths
    /// can be appended whatever the base looks like.
    prefix: String,
    auth: Auth,
    timeout: Duration,
}

impl Client {
    /// `base_url` is `https://api.twilio.com` in production; it may carry a path prefix
    /// (`http://127.0.0.1:8080/twilio`) under which `/2010-04-01/...` is appended.
    pub fn new(base_url: Url, auth: Auth) -> Result<Client, Error> {
        if !matches!(base_url.scheme(), "http" | "https") || base_url.cannot_be_a_base() {
            return Err(Error::Config(format!(
                "the Twilio base URL `{base_url}` must be an http or https URL such as https://api.twilio.com"
            )));
        }
        if base_url.query().is_some() || base_url.fragment().is_some() {
            return Err(Error::Config(format!(
                "the Twilio base URL `{base_url}` must not have a query or fragment"
            )));
        }
        let prefix = base_url.path().trim_end_matches('/').to_owned();
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            http,
            base: base_url,
            prefix,
            auth,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// Total time allowed for each request, body included (default 15 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Client {
        self.timeout = timeout;
        self
    }

    pub fn account_sid(&self) -> &AccountSid {
        self.auth.account_sid()
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// `{base}/2010-04-01/Accounts/{AC}/{tail}`; `tail` is built from validated SIDs only.
    fn account_url(&self, tail: &str) -> Url {
        self.path_url(&format!(
            "/{API_VERSION}/Accounts/{}/{tail}",
            self.account_sid()
        ))
    }

    fn path_url(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        url.set_path(&format!("{}{path}", self.prefix));
        url
    }

    /// Resolves a URI that Twilio returned (`next_page_uri`, a resource's `uri`). Twilio gives
    /// them relative to its host; a simulator under a prefix may or may not include the
    /// prefix, so both are accepted. Absolute URLs are accepted only on the base's origin,
    /// because the request will carry credentials.
    fn resolve_api_uri(&self, uri: &str) -> Result<Url, Error> {
        if uri.starts_with('/') {
            let (path, query) = match uri.split_once('?') {
                Some((p, q)) => (p, Some(q)),
                None => (uri, None),
            };
            let path = path.split('#').next().unwrap_or(path);
            let query = query.map(|q| q.split('#').next().unwrap_or(q));
            let has_prefix = !self.prefix.is_empty()
                && path
                    .strip_prefix(&self.prefix)
                    .is_some_and(|rest| rest.starts_with('/'));
            let mut url = self.base.clone();
            if has_prefix {
                url.set_path(path);
            } else {
                url.set_path(&format!("{}{path}", self.prefix));
            }
            url.set_query(query);
            return Ok(url);
        }
        match Url::parse(uri) {
            Ok(url) if same_origin(&url, &self.base) => Ok(url),
            Ok(url) => Err(Error::Decode(format!(
                "Twilio returned a link to another host ({url}); not following it with credentials"
            ))),
            Err(e) => Err(Error::Decode(format!(
                "Twilio returned an unusable URI `{uri}`: {e}"
            ))),
        }
    }

    fn api_request(&self, method: Method, url: Url) -> RequestBuilder {
        let (user, password) = self.auth.credentials();
        self.http
            .request(method, url)
            .timeout(self.timeout)
            .basic_auth(user, Some(password))
            .header(ACCEPT, "application/json")
            .header(ACCEPT_CHARSET, "utf-8")
    }

    async fn get_json<T: DeserializeOwned>(&self, url: Url) -> Result<T, Error> {
        decode(self.api_request(Method::GET, url)).await
    }

    async fn post_form<T: DeserializeOwned>(&self, url: Url, form: Params) -> Result<T, Error> {
        let request = self
            .api_request(Method::POST, url)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form.finish());
        decode(request).await
    }

    async fn delete(&self, url: Url) -> Result<(), Error> {
        execute(self.api_request(Method::DELETE, url)).await?;
        Ok(())
    }
}

/// Sends the request and turns any non-2xx answer into an [`Error`].
async fn execute(request: RequestBuilder) -> Result<Response, Error> {
    let response = request.send().await.map_err(Error::from_reqwest)?;
    if response.status().is_success() {
        Ok(response)
    } else {
        Err(Error::from_response(response).await)
    }
}

async fn decode<T: DeserializeOwned>(request: RequestBuilder) -> Result<T, Error> {
    let response = execute(request).await?;
    let url = response.url().clone();
    let body = read_capped(response, JSON_LIMIT).await?;
    serde_json::from_slice(&body).map_err(|e| {
        let mut url = url;
        url.set_query(None);
        Error::Decode(format!(
            "the answer from {url} is not the expected JSON: {e}"
        ))
    })
}

/// Reads a body, refusing to buffer more than `limit` bytes.
async fn read_capped(mut response: Response, limit: usize) -> Result<Vec<u8>, Error> {
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(Error::TooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(Error::from_reqwest)? {
        if body.len() + chunk.len() > limit {
            return Err(Error::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// Form bodies and query strings, with repeated keys for arrays (`MediaUrl=a&MediaUrl=b`),
/// which is how Twilio's own libraries send them. Kept as pairs (not a serializer) so the
/// client's futures stay `Send`.
#[derive(Default)]
struct Params(Vec<(String, String)>);

impl Params {
    fn new() -> Params {
        Params::default()
    }

    fn set(&mut self, key: &str, value: &str) -> &mut Params {
        self.0.push((key.to_owned(), value.to_owned()));
        self
    }

    fn opt(&mut self, key: &str, value: Option<impl AsRef<str>>) -> &mut Params {
        if let Some(value) = value {
            self.set(key, value.as_ref());
        }
        self
    }

    fn each(&mut self, key: &str, values: &[String]) -> &mut Params {
        for value in values {
            self.set(key, value);
        }
        self
    }

    fn finish(self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&self.0)
            .finish()
    }

    /// Puts the parameters in the URL's query string (nothing when empty).
    fn into_query(self, mut url: Url) -> Url {
        let query = self.finish();
        url.set_query((!query.is_empty()).then_some(query.as_str()));
        url
    }
}

/// Twilio dates look like `Fri, 18 Oct 2019 17:00:00 +0000`.
pub fn parse_rfc2822(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(value)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// Optional SIDs arrive as `null`, missing, or (on incoming numbers) `""`; all mean "none".
fn opt_id<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    match Option::<String>::deserialize(deserializer)?.as_deref() {
        None | Some("") => Ok(None),
        Some(value) => value.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> Client {
        let auth = Auth::Token {
            account_sid: AccountSid::parse("AC0123456789abcdef0123456789abcdef").unwrap(),
            auth_token: "token".into(),
        };
        Client::new(Url::parse(base).unwrap(), auth).unwrap()
    }

    #[test]
    fn api_paths_are_appended_to_the_base_path() {
        let c = client("http://sim.test/twilio/");
        assert_eq!(
            c.account_url("Calls.json").as_str(),
            "http://sim.test/twilio/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Calls.json"
        );
        let c = client("https://api.twilio.com");
        assert_eq!(
            c.account_url("Calls.json").as_str(),
            "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Calls.json"
        );
    }

    #[test]
    fn returned_uris_resolve_with_or_without_the_base_prefix() {
        let c = client("http://sim.test/twilio");
        let plain = c
            .resolve_api_uri("/2010-04-01/Accounts/AC1/Calls.json?DateSent%3E=2020-01-01&Page=1")
            .unwrap();
        assert_eq!(
            plain.as_str(),
            "http://sim.test/twilio/2010-04-01/Accounts/AC1/Calls.json?DateSent%3E=2020-01-01&Page=1"
        );
        let prefixed = c
            .resolve_api_uri("/twilio/2010-04-01/Accounts/AC1/Calls.json")
            .unwrap();
        assert_eq!(
            prefixed.as_str(),
            "http://sim.test/twilio/2010-04-01/Accounts/AC1/Calls.json"
        );
    }

    #[test]
    fn absolute_uris_on_another_host_are_refused() {
        let c = client("https://api.twilio.com");
        assert!(c
            .resolve_api_uri("https://api.twilio.com/2010-04-01/Accounts/AC1/Calls.json")
            .is_ok());
        assert!(c
            .resolve_api_uri("https://evil.test/2010-04-01/Accounts/AC1/Calls.json")
            .is_err());
        assert!(c.resolve_api_uri("Calls.json").is_err());
    }

    #[test]
    fn base_urls_must_be_http() {
        let auth = Auth::Token {
            account_sid: AccountSid::parse("AC0123456789abcdef0123456789abcdef").unwrap(),
            auth_token: "token".into(),
        };
        for bad in [
            "ftp://api.twilio.com",
            "mailto:x@y.z",
            "https://api.twilio.com/?x=1",
        ] {
            let result = Client::new(Url::parse(bad).unwrap(), auth.clone());
            assert!(matches!(result, Err(Error::Config(_))), "{bad}");
        }
    }

    #[test]
    fn rfc2822_dates_parse_to_utc() {
        let d = parse_rfc2822("Fri, 18 Oct 2019 17:00:00 +0000").unwrap();
        assert_eq!(d.to_rfc3339(), "2019-10-18T17:00:00+00:00");
        let d = parse_rfc2822("Fri, 18 Oct 2019 19:00:00 +0200").unwrap();
        assert_eq!(d.to_rfc3339(), "2019-10-18T17:00:00+00:00");
        assert!(parse_rfc2822("2019-10-18").is_none());
    }

    #[test]
    fn params_repeat_keys_and_encode_operators() {
        let mut p = Params::new();
        p.set("To", "+15551234567")
            .opt("Body", None::<&str>)
            .each("MediaUrl", &["a b".into(), "c".into()])
            .opt("DateSent>", Some("2024-01-01"));
        assert_eq!(
            p.finish(),
            "To=%2B15551234567&MediaUrl=a+b&MediaUrl=c&DateSent%3E=2024-01-01"
        );
    }
}
