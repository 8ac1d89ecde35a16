//! Message media: listing a message's media and downloading content with a size cap.

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use url::Url;

use super::{execute, opt_id, read_capped, same_origin, Client, Error, Listed, Page};
use crate::id::{AccountSid, MediaSid, MessageSid};

/// `api.v2010.account.message.media`. `uri` ends in `.json`; the content is the same URI
/// without it (see [`Client::media_content_url`]).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct MediaResource {
    pub sid: MediaSid,
    #[serde(default, deserialize_with = "opt_id")]
    pub account_sid: Option<AccountSid>,
    #[serde(default, deserialize_with = "opt_id")]
    pub parent_sid: Option<MessageSid>,
    pub content_type: Option<String>,
    pub date_created: Option<String>,
    pub date_updated: Option<String>,
    pub uri: Option<String>,
}

impl Listed for MediaResource {
    const LIST_KEY: &'static str = "media_list";
}

impl Client {
    pub async fn list_media(&self, message: &MessageSid) -> Result<Page<MediaResource>, Error> {
        self.get_json(self.account_url(&format!("Messages/{message}/Media.json")))
            .await
    }

    /// Where the bytes of a media item live (the resource URI without `.json`).
    pub fn media_content_url(&self, message: &MessageSid, media: &MediaSid) -> Url {
        self.account_url(&format!("Messages/{message}/Media/{media}"))
    }

    /// Downloads `url` (absolute, or a path relative to the API such as a resource `uri`),
    /// returning its content type and bytes; more than `max_bytes` is [`Error::TooLarge`].
    ///
    /// Credentials are sent only when `url` is on the base URL's origin, so a media URL from
    /// a webhook cannot lure them elsewhere. Redirects are followed (at most 10); reqwest
    /// drops the `Authorization` header when a redirect leaves the host or port, so the
    /// storage host a media URL may redirect to never sees them.
    pub async fn download(
        &self,
        url: &str,
        max_bytes: usize,
    ) -> Result<(Option<String>, Vec<u8>), Error> {
        let url = if url.starts_with('/') {
            self.resolve_api_uri(url)?
        } else {
            Url::parse(url)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .ok_or_else(|| Error::Config(format!("cannot download `{url}`: not an http URL")))?
        };
        let mut request = self
            .http
            .request(Method::GET, url.clone())
            .timeout(self.timeout)
            .header(ACCEPT, "*/*");
        if same_origin(&url, &self.base) {
            let (user, password) = self.auth.credentials();
            request = request.basic_auth(user, Some(password));
        }
        let response = execute(request).await?;
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = read_capped(response, max_bytes).await?;
        Ok((content_type, body))
    }
}
