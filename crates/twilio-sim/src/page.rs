//! Twilio's list paging: `PageSize`/`Page`/`PageToken` in, the envelope with `first_page_uri`,
//! `next_page_uri`, `previous_page_uri`, `uri`, `page`, `page_size`, `start`, `end` out.

use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::form::Params;

const DEFAULT_PAGE_SIZE: usize = 50;
const MAX_PAGE_SIZE: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// `PA<sid>`: the page starts after this item.
    After(String),
    /// `PB<sid>`: the page ends before this item.
    Before(String),
}

/// The paging part of a list request, plus the filters to repeat in the page URIs.
#[derive(Debug, Clone)]
pub struct PageRequest {
    filters: Vec<(String, String)>,
    size: usize,
    page: usize,
    token: Option<Token>,
}

impl PageRequest {
    pub fn parse(params: &Params) -> Result<Self, ApiError> {
        let size = match params.non_empty("PageSize") {
            None => DEFAULT_PAGE_SIZE,
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid(format!(
                        "PageSize must be an integer from 1 to {MAX_PAGE_SIZE}, not {v}"
                    ))
                })?,
        };
        let page = match params.non_empty("Page") {
            None => 0,
            Some(v) => v.parse::<usize>().map_err(|_| {
                ApiError::invalid(format!("Page must be a non-negative integer, not {v}"))
            })?,
        };
        let token = match params.non_empty("PageToken") {
            None => None,
            Some(t) => Some(match (t.get(..2), t.get(2..)) {
                (Some("PA"), Some(sid)) if !sid.is_empty() => Token::After(sid.to_owned()),
                (Some("PB"), Some(sid)) if !sid.is_empty() => Token::Before(sid.to_owned()),
                _ => return Err(ApiError::invalid(format!("Invalid PageToken {t}"))),
            }),
        };
        let filters = params
            .pairs()
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "PageSize" | "Page" | "PageToken"))
            .cloned()
            .collect();
        Ok(Self {
            filters,
            size,
            page,
            token,
        })
    }

    fn uri(&self, list_uri: &str, page: usize, token: Option<String>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(&self.filters);
        query.append_pair("PageSize", &self.size.to_string());
        query.append_pair("Page", &page.to_string());
        if let Some(token) = token {
            query.append_pair("PageToken", &token);
        }
        format!("{list_uri}?{}", query.finish())
    }

    fn token_string(&self) -> Option<String> {
        self.token.as_ref().map(|t| match t {
            Token::After(sid) => format!("PA{sid}"),
            Token::Before(sid) => format!("PB{sid}"),
        })
    }

    /// Renders one page of `items` (already filtered and in list order) as Twilio's envelope.
    pub fn render<T>(
        &self,
        items: &[T],
        sid: impl Fn(&T) -> &str,
        to_json: impl Fn(&T) -> Value,
        list_uri: &str,
        key: &str,
    ) -> Value {
        let offset = self.page.saturating_mul(self.size).min(items.len());
        let position = |wanted: &str| items.iter().position(|i| sid(i) == wanted);
        let (from, to) = match &self.token {
            Some(Token::After(s)) => {
                let from = position(s).map_or(offset, |p| p + 1);
                (from, (from + self.size).min(items.len()))
            }
            Some(Token::Before(s)) => match position(s) {
                Some(p) => (p.saturating_sub(self.size), p),
                None => (offset, (offset + self.size).min(items.len())),
            },
            None => (offset, (offset + self.size).min(items.len())),
        };
        let slice = &items[from..to];

        let next = match slice.last() {
            Some(last) if to < items.len() => {
                Value::String(self.uri(list_uri, self.page + 1, Some(format!("PA{}", sid(last)))))
            }
            _ => Value::Null,
        };
        let previous = match slice.first() {
            Some(first) if self.page > 0 && from > 0 => {
                Value::String(self.uri(list_uri, self.page - 1, Some(format!("PB{}", sid(first)))))
            }
            _ => Value::Null,
        };
        let start = self.page.saturating_mul(self.size);
        let end = (start + slice.len()).saturating_sub(1).max(start);

        let mut envelope = Map::new();
        envelope.insert(key.to_owned(), slice.iter().map(to_json).collect());
        envelope.insert("end".into(), end.into());
        envelope.insert("first_page_uri".into(), self.uri(list_uri, 0, None).into());
        envelope.insert("next_page_uri".into(), next);
        envelope.insert("page".into(), self.page.into());
        envelope.insert("page_size".into(), self.size.into());
        envelope.insert("previous_page_uri".into(), previous);
        envelope.insert("start".into(), start.into());
        envelope.insert(
            "uri".into(),
            self.uri(list_uri, self.page, self.token_string()).into(),
        );
        Value::Object(envelope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(query: &str, items: &[&str]) -> Value {
        PageRequest::parse(&Params::parse(query.as_bytes()))
            .unwrap()
            .render(items, |s| s, |s| Value::from(*s), "/L.json", "items")
    }

    #[test]
    fn next_page_uris_walk_the_whole_list() {
        let items = ["a", "b", "c", "d", "e"];
        let first = page("To=%2B1&PageSize=2", &items);
        assert_eq!(first["items"], serde_json::json!(["a", "b"]));
        assert_eq!(first["previous_page_uri"], Value::Null);
        let next = first["next_page_uri"].as_str().unwrap();
        assert_eq!(next, "/L.json?To=%2B1&PageSize=2&Page=1&PageToken=PAb");
        let second = page(next.trim_start_matches("/L.json?"), &items);
        assert_eq!(second["items"], serde_json::json!(["c", "d"]));
        assert_eq!(
            (second["start"].as_u64(), second["end"].as_u64()),
            (Some(2), Some(3))
        );
        let back = second["previous_page_uri"].as_str().unwrap();
        assert_eq!(
            page(back.trim_start_matches("/L.json?"), &items)["items"],
            serde_json::json!(["a", "b"])
        );
        let third = page(
            second["next_page_uri"]
                .as_str()
                .unwrap()
                .trim_start_matches("/L.json?"),
            &items,
        );
        assert_eq!(third["items"], serde_json::json!(["e"]));
        assert_eq!(third["next_page_uri"], Value::Null);
    }

    #[test]
    fn page_sizes_outside_one_to_a_thousand_are_refused() {
        for bad in [
            "PageSize=0",
            "PageSize=1001",
            "PageSize=x",
            "Page=-1",
            "PageToken=XX1",
        ] {
            assert!(
                PageRequest::parse(&Params::parse(bad.as_bytes())).is_err(),
                "{bad}"
            );
        }
    }
}
