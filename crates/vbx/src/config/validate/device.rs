//! `[devices]`: each name → a browser, SMS, XMPP or email device.

use std::collections::BTreeMap;

use toml::Value;
use twilio::PhoneNumber;

use super::value::{is_client_identity, suggest, Ctx, Table};
use super::{device_path, phone, secret, SecretNames};
use crate::config::load::device_env_var;
use crate::config::{Alias, Device, Email, SmtpSecurity, Xmpp};

const TYPES: &[&str] = &["browser", "sms", "xmpp", "email"];

/// Every declared name → its device, or `None` when it has problems (already recorded).
/// Steps use the names to tell an unknown device from a broken one.
pub(super) fn devices(
    cx: &mut Ctx,
    raw: &toml::Table,
    own_number: Option<&PhoneNumber>,
) -> BTreeMap<String, Option<Device>> {
    raw.iter()
        .map(|(name, value)| (name.clone(), device(cx, name, value, own_number)))
        .collect()
}

fn device(
    cx: &mut Ctx,
    name: &str,
    value: &Value,
    own_number: Option<&PhoneNumber>,
) -> Option<Device> {
    let path = device_path(name);
    let name_ok = Alias::parse(name).is_some();
    if !name_ok {
        cx.problem(
            &path,
            format!("`{name}` is not a usable device name"),
            "use letters, digits, `-` and `_` only (at most 64)",
        );
    }
    let Value::Table(table) = value else {
        cx.wrong_type(
            path,
            "a device table",
            value,
            "cell = { type = \"sms\", number = \"+18005551212\" }",
        );
        return None;
    };
    let t = Table { path: &path, table };
    let kind = match t.get("type") {
        None => {
            cx.problem(
                t.key("type"),
                "the device has no `type`",
                "add type = \"browser\", \"sms\", \"xmpp\" or \"email\"",
            );
            return None;
        }
        Some(Value::String(kind)) => kind.as_str(),
        Some(other) => {
            cx.wrong_type(t.key("type"), "a string", other, "type = \"browser\"");
            return None;
        }
    };
    let device = match kind {
        "browser" => browser(cx, t),
        "sms" => sms(cx, t, own_number),
        "xmpp" => xmpp(cx, t, name),
        "email" => email(cx, t, name),
        unknown => {
            let fix = match suggest(unknown, TYPES) {
                Some(close) => format!(
                    "did you mean \"{close}\"? A device type is browser, sms, xmpp or email"
                ),
                None => "use browser, sms, xmpp or email".to_owned(),
            };
            cx.problem(
                t.key("type"),
                format!("unknown device type `{unknown}`"),
                fix,
            );
            None
        }
    };
    device.filter(|_| name_ok)
}

fn browser(cx: &mut Ctx, t: Table<'_>) -> Option<Device> {
    cx.unknown_keys(t, &["type", "identity", "ignored"], "a browser device");
    let identity = cx
        .string(t, "identity", "identity = \"vbx\"")
        .unwrap_or_else(|| "vbx".to_owned());
    let identity_ok = is_client_identity(&identity);
    if !identity_ok {
        cx.problem(
            t.key("identity"),
            format!("`{identity}` is not a usable client identity"),
            "use letters, digits and _ - . @ only, e.g. \"vbx\"",
        );
    }
    let mut ignored = Vec::new();
    let mut ignored_ok = true;
    if t.has("ignored") {
        match cx.string_list(t, "ignored", false, "ignored = [\"+18005551212\"]") {
            Some(items) => {
                for (path, text) in items {
                    match phone(cx, path, &text) {
                        Some(number) => ignored.push(number),
                        None => ignored_ok = false,
                    }
                }
            }
            None => ignored_ok = false,
        }
    }
    (identity_ok && ignored_ok && !had_type_problems(cx, t))
        .then_some(Device::Browser { identity, ignored })
}

fn sms(cx: &mut Ctx, t: Table<'_>, own_number: Option<&PhoneNumber>) -> Option<Device> {
    cx.unknown_keys(t, &["type", "number"], "an sms device");
    let fix = "set `number` to the cell phone's number, e.g. \"+18005551212\"";
    let text = cx.required_string(t, "number", "number = \"+18005551212\"", fix)?;
    let number = phone(cx, t.key("number"), &text)?;
    if Some(&number) == own_number {
        cx.problem(
            t.key("number"),
            "this is vbx's own Twilio number: texts to it would come straight back",
            "use the number of the phone that should receive the texts",
        );
        return None;
    }
    (!had_type_problems(cx, t)).then_some(Device::Sms { number })
}

fn xmpp(cx: &mut Ctx, t: Table<'_>, name: &str) -> Option<Device> {
    let keys = [
        "type",
        "component",
        "secret",
        "secret_file",
        "server",
        "port",
        "target",
    ];
    cx.unknown_keys(t, &keys, "an xmpp device");
    let component = cx.required_string(
        t,
        "component",
        "component = \"sms.example.com\"",
        "set `component` to the component's domain as configured in the XMPP server, e.g. \"sms.example.com\"",
    );
    let component = component.filter(|c| {
        let ok = is_domain(c);
        if !ok {
            cx.problem(
                t.key("component"),
                format!("`{c}` is not a domain"),
                "write a domain such as \"sms.example.com\"",
            );
        }
        ok
    });
    let secret = secret_key(cx, t, name, "secret", "SECRET");
    let server = cx.required_string(
        t,
        "server",
        "server = \"localhost\"",
        "set `server` to the host of the XMPP server that accepts the component, e.g. \"localhost\"",
    );
    let port = if t.has("port") {
        cx.integer(t, "port", 1..=65535)
    } else {
        Some(5347)
    };
    let target = cx.required_string(
        t,
        "target",
        "target = \"me@example.com\"",
        "set `target` to the bare JID the texts go to, e.g. \"me@example.com\"",
    );
    let target = target.filter(|jid| {
        let ok = is_bare_jid(jid);
        if !ok {
            cx.problem(
                t.key("target"),
                format!("`{jid}` is not a bare JID"),
                "write user@domain without a /resource, e.g. \"me@example.com\"",
            );
        }
        ok
    });
    if had_type_problems(cx, t) {
        return None;
    }
    Some(Device::Xmpp(Xmpp {
        component: component?,
        secret: secret?,
        server: server?,
        port: u16::try_from(port?).ok()?,
        target: target?,
    }))
}

fn email(cx: &mut Ctx, t: Table<'_>, name: &str) -> Option<Device> {
    let keys = [
        "type",
        "from",
        "to",
        "smtp_host",
        "smtp_port",
        "security",
        "username",
        "password",
        "password_file",
    ];
    cx.unknown_keys(t, &keys, "an email device");
    let from = address(cx, t, "from", "from = \"vbx@example.com\"");
    let to = address(cx, t, "to", "to = \"me@example.com\"");
    let smtp_host = cx.required_string(
        t,
        "smtp_host",
        "smtp_host = \"smtp.example.com\"",
        "set `smtp_host` to the SMTP server that sends the mail, e.g. \"smtp.example.com\" or \"localhost\"",
    );
    let security = match cx
        .string(t, "security", "security = \"starttls\"")
        .as_deref()
    {
        None if t.has("security") => None,
        None | Some("starttls") => Some(SmtpSecurity::StartTls),
        Some("tls") => Some(SmtpSecurity::Tls),
        Some("none") => Some(SmtpSecurity::None),
        Some(other) => {
            cx.problem(
                t.key("security"),
                format!("unknown SMTP security `{other}`"),
                "use \"starttls\" (port 587), \"tls\" (port 465) or \"none\" (port 25)",
            );
            None
        }
    };
    let smtp_port = if t.has("smtp_port") {
        cx.integer(t, "smtp_port", 1..=65535)
    } else {
        security.map(|s| match s {
            SmtpSecurity::None => 25,
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
        })
    };
    let username = cx.string(t, "username", "username = \"vbx@example.com\"");
    let has_password = t.has("password") || t.has("password_file");
    let password = match (&username, has_password) {
        (Some(_), _) => secret_key(cx, t, name, "password", "PASSWORD").map(Some),
        (None, true) => {
            cx.problem(
                t.key("username"),
                "a password is set but `username` is missing",
                "set `username` for the SMTP login",
            );
            None
        }
        (None, false) => Some(None),
    };
    if had_type_problems(cx, t) {
        return None;
    }
    Some(Device::Email(Email {
        from: from?,
        to: to?,
        smtp_host: smtp_host?,
        smtp_port: u16::try_from(smtp_port?).ok()?,
        security: security?,
        username,
        password: password?,
    }))
}

/// `secret` / `password` of a device, which may also come from `*_file` or the environment.
fn secret_key(
    cx: &mut Ctx,
    t: Table<'_>,
    name: &str,
    key: &str,
    suffix: &str,
) -> Option<crate::config::Secret> {
    let file_key = format!("{key}_file");
    let value = match t.get(key) {
        None => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(other) => {
            cx.wrong_type(t.key(key), "a string", other, &format!("{key} = \"…\""));
            return None;
        }
    };
    let file_left = match t.get(&file_key) {
        None => false,
        Some(Value::String(_)) => true,
        Some(other) => {
            cx.wrong_type(
                t.key(&file_key),
                "a file path",
                other,
                &format!("{file_key} = \"/run/secrets/{name}\""),
            );
            return None;
        }
    };
    let env = device_env_var(name, suffix);
    let names = SecretNames {
        key: &t.key(key),
        file_key: &t.key(&file_key),
        env: &env,
    };
    secret(cx, value, file_left, &names)
}

fn address(cx: &mut Ctx, t: Table<'_>, key: &str, example: &str) -> Option<String> {
    let fix = format!(
        "set `{key}` to an email address, e.g. {}",
        &example[key.len() + 3..]
    );
    let text = cx.required_string(t, key, example, &fix)?;
    // A newline here would let the value add mail headers.
    let ok = text.contains('@') && !text.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        cx.problem(
            t.key(key),
            format!("`{}` is not an email address", text.escape_debug()),
            fix,
        );
        return None;
    }
    Some(text)
}

fn is_domain(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 253
        && value.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn is_bare_jid(value: &str) -> bool {
    match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !local
                    .chars()
                    .any(|c| c.is_whitespace() || "\"&'/:<>@".contains(c))
                && is_domain(domain)
        }
        None => false,
    }
}

/// Whether a problem was recorded anywhere inside this table (e.g. a wrong type of an
/// optional key that the builder read as absent).
fn had_type_problems(cx: &Ctx, t: Table<'_>) -> bool {
    let prefix = format!("{}.", t.path);
    cx.problems.iter().any(|p| p.path.starts_with(&prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jids_are_bare_and_domains_are_dotted_labels() {
        assert!(is_bare_jid("me@example.com"));
        assert!(!is_bare_jid("me@example.com/phone"));
        assert!(!is_bare_jid("example.com"));
        assert!(is_domain("sms.example.com"));
        assert!(!is_domain("sms..example.com"));
        assert!(!is_domain("a b"));
    }
}
