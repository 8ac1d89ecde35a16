//! Capability links for the media of incoming texts. Twilio's media URLs need the account's
//! credentials, so what goes to other people (a forwarded MMS, which Twilio fetches unsigned),
//! XMPP clients and email links is `/flow/media/in/<sid>/<idx>/<token>`, where the token is an
//! HMAC of the item under a key kept in the store: unguessable, and good for that item only.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::flow::Media;

/// Hex digits of the token: 128 bits of the HMAC.
const TOKEN_LEN: usize = 32;

/// Makes and checks media links.
#[derive(Clone)]
pub struct MediaLinks {
    key: Vec<u8>,
    /// `public_url` without a trailing slash.
    base: String,
}

impl std::fmt::Debug for MediaLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaLinks")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl MediaLinks {
    pub fn new(key: &[u8], public_url: &url::Url) -> Self {
        Self {
            key: key.to_vec(),
            base: public_url.as_str().trim_end_matches('/').to_owned(),
        }
    }

    fn token(&self, sid: &str, idx: i64) -> String {
        // HMAC takes keys of any length; were it to refuse one, the empty token matches
        // nothing (`verify` wants 32 digits).
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return String::new();
        };
        mac.update(b"media/in\0");
        mac.update(sid.as_bytes());
        mac.update(b"\0");
        mac.update(idx.to_string().as_bytes());
        let mut token = hex::encode(mac.finalize().into_bytes());
        token.truncate(TOKEN_LEN);
        token
    }

    /// The public link of media item `idx` of message `sid`.
    pub fn link(&self, sid: &str, idx: i64) -> String {
        format!(
            "{}/flow/media/in/{sid}/{idx}/{}",
            self.base,
            self.token(sid, idx)
        )
    }

    /// The public link of recording `sid` (a voicemail notice's), under its own domain so it
    /// never doubles as a media item's.
    pub fn recording_link(&self, sid: &str) -> String {
        format!(
            "{}/flow/media/rec/{sid}/{}",
            self.base,
            self.token(&format!("rec\0{sid}"), -1)
        )
    }

    /// Whether `token` is the one of recording `sid` (in constant time).
    pub fn verify_recording(&self, sid: &str, token: &str) -> bool {
        token.len() == TOKEN_LEN
            && bool::from(
                self.token(&format!("rec\0{sid}"), -1)
                    .as_bytes()
                    .ct_eq(token.as_bytes()),
            )
    }

    /// Whether `token` is the one of item `idx` of `sid` (in constant time).
    pub fn verify(&self, sid: &str, idx: i64, token: &str) -> bool {
        token.len() == TOKEN_LEN
            && bool::from(self.token(sid, idx).as_bytes().ct_eq(token.as_bytes()))
    }

    /// The media of message `sid` as the flow engine takes them: Twilio's URLs, in order,
    /// each with its link.
    pub fn of_message(
        &self,
        sid: &str,
        twilio_urls: impl IntoIterator<Item = String>,
    ) -> Vec<Media> {
        twilio_urls
            .into_iter()
            .enumerate()
            .map(|(idx, twilio)| Media {
                link: self.link(sid, idx as i64),
                twilio,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(key: &[u8]) -> MediaLinks {
        MediaLinks::new(key, &"https://vbx.example.com/".parse().unwrap())
    }

    #[test]
    fn a_link_names_the_item_and_verifies_only_for_that_item_and_key() {
        let links = links(b"key");
        let link = links.link("MM123", 1);
        let token = link
            .strip_prefix("https://vbx.example.com/flow/media/in/MM123/1/")
            .unwrap();
        assert_eq!(token.len(), 32);
        assert!(links.verify("MM123", 1, token));
        assert!(!links.verify("MM123", 0, token));
        assert!(!links.verify("MM124", 1, token));
        assert!(!self::links(b"other key").verify("MM123", 1, token));
        assert!(!links.verify("MM123", 1, &token[..31]));
        assert!(!links.verify("MM123", 1, ""));
        let mut flipped = token.to_owned().into_bytes();
        flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
        assert!(!links.verify("MM123", 1, std::str::from_utf8(&flipped).unwrap()));
    }

    #[test]
    fn the_media_of_a_message_keep_their_order_and_twilio_urls() {
        let links = links(b"key");
        let media = links.of_message(
            "MM9",
            [
                "https://api.twilio.com/a".to_owned(),
                "https://api.twilio.com/b".to_owned(),
            ],
        );
        assert_eq!(media.len(), 2);
        assert_eq!(media[0].twilio, "https://api.twilio.com/a");
        assert_eq!(media[1].twilio, "https://api.twilio.com/b");
        assert_eq!(media[0].link, links.link("MM9", 0));
        assert_eq!(media[1].link, links.link("MM9", 1));
    }
}
