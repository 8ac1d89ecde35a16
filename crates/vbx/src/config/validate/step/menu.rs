//! The `menu` step: "press 1 for sales".

use std::collections::BTreeMap;

use toml::Value;

use super::{link, said_or_played, Ctx, Links, Table, MAX_GATHER_WAIT, MAX_REPEAT};
use crate::config::validate::value::join;
use crate::config::{Action, Menu};

/// `prompt` or `prompt_url`, `keys` (key → alias), `timeout`, `repeat`, `invalid`.
pub(super) fn menu(cx: &mut Ctx, t: Table<'_>, links: &Links<'_>) -> Option<Action> {
    cx.unknown_keys(
        t,
        &[
            "step",
            "next",
            "prompt",
            "prompt_url",
            "keys",
            "timeout",
            "repeat",
            "invalid",
        ],
        "a `menu` step",
    );
    let prompt = match said_or_played(
        cx,
        t,
        "a `menu` step",
        ("prompt", "prompt = \"For sales press 1.\""),
        (
            "prompt_url",
            "prompt_url = \"https://example.com/menu.mp3\"",
        ),
    ) {
        Ok(Some(prompt)) => Some(prompt),
        Ok(None) => {
            cx.problem(
                t.key("prompt"),
                "a `menu` step has no `prompt`",
                "set prompt = \"For sales press 1, for support press 2.\" (or prompt_url)",
            );
            None
        }
        Err(()) => None,
    };
    let mut keys = BTreeMap::new();
    let mut keys_ok = true;
    match t.get("keys") {
        Some(Value::Table(table)) if !table.is_empty() => {
            let path = t.key("keys");
            for (key, target) in table {
                let key_path = join(&path, key);
                if !key
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
                {
                    cx.problem(
                        key_path.clone(),
                        format!("`{key}` is not a key of the phone"),
                        "use keys made of 0-9, * and #, e.g. \"1\" = \"sales\"",
                    );
                    keys_ok = false;
                }
                let Value::String(target) = target else {
                    cx.wrong_type(key_path, "an alias", target, "\"1\" = \"sales\"");
                    keys_ok = false;
                    continue;
                };
                match link(cx, key_path, target, links) {
                    Some(alias) => {
                        keys.insert(key.clone(), alias);
                    }
                    None => keys_ok = false,
                }
            }
        }
        Some(Value::Table(_)) | None => {
            cx.problem(
                t.key("keys"),
                "a `menu` step has no `keys`",
                "map each key to a flow, e.g. keys = { \"1\" = \"sales\", \"2\" = \"support\" }",
            );
            keys_ok = false;
        }
        Some(other) => {
            cx.wrong_type(
                t.key("keys"),
                "a table of keys",
                other,
                "keys = { \"1\" = \"sales\" }",
            );
            keys_ok = false;
        }
    }
    let timeout = cx.integer(t, "timeout", 1..=MAX_GATHER_WAIT).unwrap_or(5);
    let repeat = cx.integer(t, "repeat", 0..=MAX_REPEAT).unwrap_or(2);
    let invalid = cx
        .string(t, "invalid", "invalid = \"Sorry, that is not an option.\"")
        .unwrap_or_else(|| "Sorry, that is not an option.".to_owned());
    let prompt = prompt?;
    keys_ok.then(|| {
        Action::Menu(Box::new(Menu {
            prompt,
            keys,
            timeout,
            repeat,
            invalid,
        }))
    })
}
