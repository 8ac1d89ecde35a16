//! Typed reads of loosely typed TOML tables: each read that finds a value missing, of the
//! wrong type or out of range records a [`Problem`] with its key path and returns `None`.

use std::ops::RangeInclusive;

use toml::Value;

use super::Problem;

/// Collects problems; every reader below records one instead of stopping.
#[derive(Default)]
pub(super) struct Ctx {
    pub problems: Vec<Problem>,
}

/// A TOML table together with the key path it was found at.
#[derive(Clone, Copy)]
pub(super) struct Table<'a> {
    pub path: &'a str,
    pub table: &'a toml::Table,
}

impl<'a> Table<'a> {
    pub fn key(&self, key: &str) -> String {
        join(self.path, key)
    }

    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.table.get(key)
    }

    pub fn has(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }
}

impl Ctx {
    pub fn problem(
        &mut self,
        path: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
            fix: fix.into(),
        });
    }

    pub fn has_problem_at(&self, path: &str) -> bool {
        self.problems.iter().any(|p| p.path == path)
    }

    /// A key this table does not take; suggests the closest one it does.
    pub fn unknown_keys(&mut self, t: Table<'_>, allowed: &[&str], what: &str) {
        for key in t.table.keys() {
            if allowed.contains(&key.as_str()) {
                continue;
            }
            let takes = allowed.join(", ");
            let fix = match suggest(key, allowed) {
                Some(close) => format!("did you mean `{close}`? {what} takes: {takes}"),
                None => format!("remove it; {what} takes: {takes}"),
            };
            self.problem(t.key(key), format!("unknown key `{key}` in {what}"), fix);
        }
    }

    pub fn wrong_type(&mut self, path: String, expected: &str, found: &Value, example: &str) {
        self.problem(
            path,
            format!("expected {expected}, found {}", type_name(found)),
            format!("write it as {example}"),
        );
    }

    /// An optional string.
    pub fn string(&mut self, t: Table<'_>, key: &str, example: &str) -> Option<String> {
        match t.get(key)? {
            Value::String(s) => Some(s.clone()),
            other => {
                self.wrong_type(t.key(key), "a string", other, example);
                None
            }
        }
    }

    /// A string that must be present and not empty.
    pub fn required_string(
        &mut self,
        t: Table<'_>,
        key: &str,
        example: &str,
        fix: &str,
    ) -> Option<String> {
        if !t.has(key) {
            self.problem(t.key(key), format!("`{key}` is missing"), fix);
            return None;
        }
        let value = self.string(t, key, example)?;
        if value.trim().is_empty() {
            self.problem(t.key(key), format!("`{key}` is empty"), fix);
            return None;
        }
        Some(value)
    }

    /// An optional whole number within `range`.
    pub fn integer(&mut self, t: Table<'_>, key: &str, range: RangeInclusive<u32>) -> Option<u32> {
        let value = t.get(key)?;
        let Value::Integer(n) = value else {
            self.wrong_type(
                t.key(key),
                "a whole number",
                value,
                &format!("{key} = {}", range.start()),
            );
            return None;
        };
        match u32::try_from(*n) {
            Ok(n) if range.contains(&n) => Some(n),
            _ => {
                let (low, high) = (range.start(), range.end());
                self.problem(
                    t.key(key),
                    format!("`{key}` must be from {low} to {high}, found {n}"),
                    format!("use a value from {low} to {high}"),
                );
                None
            }
        }
    }

    pub fn boolean(&mut self, t: Table<'_>, key: &str) -> Option<bool> {
        match t.get(key)? {
            Value::Boolean(b) => Some(*b),
            other => {
                self.wrong_type(t.key(key), "true or false", other, &format!("{key} = true"));
                None
            }
        }
    }

    /// A list of strings, each with its own key path. With `single_ok` a lone string counts
    /// as a list of one.
    pub fn string_list(
        &mut self,
        t: Table<'_>,
        key: &str,
        single_ok: bool,
        example: &str,
    ) -> Option<Vec<(String, String)>> {
        let value = t.get(key)?;
        let path = t.key(key);
        match value {
            Value::String(s) if single_ok => Some(vec![(path, s.clone())]),
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    let item_path = format!("{path}[{i}]");
                    match item {
                        Value::String(s) => out.push((item_path, s.clone())),
                        other => {
                            self.wrong_type(item_path, "a string", other, example);
                            ok = false;
                        }
                    }
                }
                ok.then_some(out)
            }
            other => {
                let expected = if single_ok {
                    "a string or a list of strings"
                } else {
                    "a list of strings"
                };
                self.wrong_type(path, expected, other, example);
                None
            }
        }
    }
}

/// `prefix.key`, quoting the key when it is not a bare TOML key.
pub(super) fn join(prefix: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let key = if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    };
    if prefix.is_empty() {
        key
    } else {
        format!("{prefix}.{key}")
    }
}

pub(super) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "a string",
        Value::Integer(_) => "a whole number",
        Value::Float(_) => "a decimal number",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "a list",
        Value::Table(_) => "a table",
    }
}

/// The closest candidate within two edits, for "did you mean".
pub(super) fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// An absolute http(s) URL.
pub(super) fn http_url(value: &str) -> Option<url::Url> {
    url::Url::parse(value)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

/// A Twilio Client identity: what the Voice SDK accepts without surprises.
pub(super) fn is_client_identity(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 121
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.@".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_close_misspellings_only() {
        assert_eq!(suggest("tmeout", &["devices", "timeout"]), Some("timeout"));
        assert_eq!(suggest("numbr", &["number", "client"]), Some("number"));
        assert_eq!(suggest("colour", &["devices", "timeout"]), None);
    }

    #[test]
    fn keys_that_are_not_bare_are_quoted_in_paths() {
        assert_eq!(join("calls", "default"), "calls.default");
        assert_eq!(
            join("contacts", "+18005551212"),
            "contacts.\"+18005551212\""
        );
        assert_eq!(join("", "a b"), "\"a b\"");
    }
}
