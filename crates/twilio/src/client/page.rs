//! List pages: Twilio's envelope (`uri`, `next_page_uri`, `page`, …) around an item array
//! whose key depends on the resource (`calls`, `messages`, `media_list`, …).

use serde::de::{DeserializeOwned, Error as _};
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::{Client, Error};

/// A resource that Twilio lists, and the key its items sit under in a page.
pub trait Listed: DeserializeOwned + Serialize {
    const LIST_KEY: &'static str;
}

/// One page of a list. URIs are relative to the API host, as Twilio returns them.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub uri: String,
    pub first_page_uri: Option<String>,
    pub next_page_uri: Option<String>,
    pub previous_page_uri: Option<String>,
    pub page: u32,
    pub page_size: u32,
    pub start: u32,
    pub end: u32,
}

#[derive(Default, Deserialize, Serialize)]
#[serde(default)]
struct Envelope {
    uri: String,
    first_page_uri: Option<String>,
    next_page_uri: Option<String>,
    previous_page_uri: Option<String>,
    page: u32,
    page_size: u32,
    start: u32,
    end: u32,
}

impl<'de, T: Listed> Deserialize<'de> for Page<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut object = Map::<String, Value>::deserialize(deserializer)?;
        let items = object
            .remove(T::LIST_KEY)
            .ok_or_else(|| D::Error::missing_field(T::LIST_KEY))?;
        let items = Vec::<T>::deserialize(items).map_err(D::Error::custom)?;
        let envelope = Envelope::deserialize(Value::Object(object)).map_err(D::Error::custom)?;
        Ok(Page {
            items,
            uri: envelope.uri,
            first_page_uri: envelope.first_page_uri,
            next_page_uri: envelope.next_page_uri,
            previous_page_uri: envelope.previous_page_uri,
            page: envelope.page,
            page_size: envelope.page_size,
            start: envelope.start,
            end: envelope.end,
        })
    }
}

/// Writes the envelope Twilio writes, so a fake server can answer with real-looking pages.
impl<T: Listed> Serialize for Page<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let envelope = Envelope {
            uri: self.uri.clone(),
            first_page_uri: self.first_page_uri.clone(),
            next_page_uri: self.next_page_uri.clone(),
            previous_page_uri: self.previous_page_uri.clone(),
            page: self.page,
            page_size: self.page_size,
            start: self.start,
            end: self.end,
        };
        let Value::Object(mut object) = serde_json::to_value(envelope).map_err(S::Error::custom)?
        else {
            return Err(S::Error::custom("a page envelope is a JSON object"));
        };
        let items = serde_json::to_value(&self.items).map_err(S::Error::custom)?;
        object.insert(T::LIST_KEY.to_owned(), items);
        object.serialize(serializer)
    }
}

impl Client {
    /// Fetches the page after `page`, or `None` on the last page.
    pub async fn next_page<T: Listed>(&self, page: &Page<T>) -> Result<Option<Page<T>>, Error> {
        match page.next_page_uri.as_deref() {
            None | Some("") => Ok(None),
            Some(uri) => {
                let url = self.resolve_api_uri(uri)?;
                self.get_json(url).await.map(Some)
            }
        }
    }

    /// Collects the items of `first` and the pages after it, stopping at `limit` items.
    pub async fn collect_pages<T: Listed>(
        &self,
        first: Page<T>,
        limit: usize,
    ) -> Result<Vec<T>, Error> {
        let mut items = Vec::new();
        let mut page = first;
        loop {
            // An empty page ends the walk even if it links onwards, so a misbehaving server
            // cannot keep us looping.
            let empty = page.items.is_empty();
            items.extend(page.items.drain(..).take(limit - items.len()));
            if items.len() >= limit || empty {
                return Ok(items);
            }
            match self.next_page(&page).await? {
                Some(next) => page = next,
                None => return Ok(items),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Deserialize, Serialize)]
    struct Thing {
        name: String,
    }

    impl Listed for Thing {
        const LIST_KEY: &'static str = "things";
    }

    #[test]
    fn pages_read_items_from_the_resource_key_and_write_them_back() {
        let json = r#"{"things": [{"name": "a"}], "uri": "/x.json", "next_page_uri": null,
            "page": 2, "page_size": 1, "start": 2, "end": 2, "extra": true}"#;
        let page: Page<Thing> = serde_json::from_str(json).unwrap();
        assert_eq!(page.items, vec![Thing { name: "a".into() }]);
        assert_eq!((page.page, page.page_size, page.start), (2, 1, 2));
        let again: Page<Thing> =
            serde_json::from_value(serde_json::to_value(&page).unwrap()).unwrap();
        assert_eq!(again, page);
    }

    #[test]
    fn a_page_without_its_item_key_is_an_error() {
        let result = serde_json::from_str::<Page<Thing>>(r#"{"calls": [], "uri": "/x"}"#);
        assert!(result.unwrap_err().to_string().contains("things"));
    }
}
