//! Request parameters as Twilio reads them: form-encoded pairs where a key may repeat
//! (`MediaUrl=a&MediaUrl=b`), from the body of a POST or the query string of a GET.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use url::Url;

use crate::error::ApiError;
use crate::time::{DateFilter, DateValue};

/// Ordered key/value pairs; lookups by key see the first occurrence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(encoded: &[u8]) -> Self {
        Self(
            form_urlencoded::parse(encoded)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `key` unless it is absent or empty.
    pub fn non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.trim().is_empty())
    }

    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// A boolean parameter (`true`/`false`, any case).
    pub fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.non_empty(key) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(ApiError::invalid(format!(
                "{key} must be true or false, not {v}"
            ))),
        }
    }

    /// An HTTP method parameter; Twilio accepts `GET` and `POST` in any case.
    pub fn method(&self, key: &str) -> Result<Option<String>, ApiError> {
        match self.non_empty(key) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("GET") || v.eq_ignore_ascii_case("POST") => {
                Ok(Some(v.to_ascii_uppercase()))
            }
            Some(v) => Err(ApiError::invalid(format!(
                "{key} must be GET or POST, not {v}"
            ))),
        }
    }

    /// The filters `{name}`, `{name}>` and `{name}<` (the operator is part of the key, so
    /// `DateSent>=2024-01-31` arrives as key `DateSent>` and value `2024-01-31`).
    pub fn date_filters(&self, name: &str) -> Result<Vec<DateFilter>, ApiError> {
        type MakeFilter = fn(DateValue) -> DateFilter;
        let kinds: [(&str, MakeFilter); 3] = [
            ("", DateFilter::On),
            (">", DateFilter::OnOrAfter),
            ("<", DateFilter::OnOrBefore),
        ];
        let mut filters = Vec::new();
        for (op, make) in kinds {
            let key = format!("{name}{op}");
            for value in self.all(&key).filter(|v| !v.trim().is_empty()) {
                let parsed = DateValue::parse(value).ok_or_else(|| {
                    ApiError::invalid(format!(
                        "{key} must be a date (YYYY-MM-DD) or an ISO 8601 datetime, not {value}"
                    ))
                })?;
                filters.push(make(parsed.midnight_as_day()));
            }
        }
        Ok(filters)
    }

    /// A callback URL parameter: absent, empty (clears the setting) or an absolute http(s) URL.
    /// A malformed URL is Twilio's error `code` (21205 for most URL parameters).
    pub fn url(&self, key: &str, code: u32) -> Result<Option<String>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) if v.trim().is_empty() => Ok(Some(String::new())),
            Some(v) if is_http_url(v) => Ok(Some(v.to_owned())),
            Some(v) => Err(ApiError::bad_request(
                code,
                format!("{key} is not a valid URL: {v}"),
            )),
        }
    }
}

/// An absolute `http`/`https` URL with a host, as Twilio requires for every callback.
pub fn is_http_url(value: &str) -> bool {
    Url::parse(value)
        .map(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        })
        .unwrap_or(false)
}

/// The form-encoded body of a POST, whatever its declared content type.
pub struct FormParams(pub Params);

impl<S: Send + Sync> FromRequest<S> for FormParams {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::invalid(format!("Could not read the request body: {e}")))?;
        Ok(Self(Params::parse(&bytes)))
    }
}

/// The query string of a request.
pub struct QueryParams(pub Params);

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(Params::parse(
            parts.uri.query().unwrap_or_default().as_bytes(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_are_all_kept_in_order() {
        let p = Params::parse(b"MediaUrl=https%3A%2F%2Fa.example%2F1&Body=hi+there&MediaUrl=https%3A%2F%2Fa.example%2F2");
        assert_eq!(
            p.all("MediaUrl").collect::<Vec<_>>(),
            ["https://a.example/1", "https://a.example/2"]
        );
        assert_eq!(p.get("Body"), Some("hi there"));
    }

    #[test]
    fn operator_suffixes_stay_part_of_the_key() {
        let p = Params::parse(b"DateSent%3E=2024-01-01&To=%2B15005550006");
        assert_eq!(p.get("DateSent>"), Some("2024-01-01"));
        assert_eq!(p.get("To"), Some("+15005550006"));
    }

    #[test]
    fn a_date_sent_at_midnight_utc_is_the_whole_day() {
        // What twilio-python sends for `date_sent=date(2024, 1, 31)`.
        let p = Params::parse(b"DateSent=2024-01-31T00:00:00Z");
        let filters = p.date_filters("DateSent").unwrap();
        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .unwrap()
                .with_timezone(&chrono::Utc)
        };
        assert!(
            filters[0].matches(at("2024-01-31T21:30:00Z")),
            "{filters:?}"
        );
        assert!(
            !filters[0].matches(at("2024-02-01T00:00:00Z")),
            "{filters:?}"
        );
        // Any other time is an instant.
        let p = Params::parse(b"DateSent=2024-01-31T10:00:00Z");
        let filters = p.date_filters("DateSent").unwrap();
        assert!(
            !filters[0].matches(at("2024-01-31T21:30:00Z")),
            "{filters:?}"
        );
    }

    #[test]
    fn only_absolute_http_urls_are_callback_urls() {
        assert!(is_http_url("https://vbx.example.com/flow/voice/default"));
        assert!(is_http_url("http://127.0.0.1:8000/x"));
        assert!(!is_http_url("/relative"));
        assert!(!is_http_url("ftp://example.com/file"));
        assert!(!is_http_url("not a url"));
    }
}
