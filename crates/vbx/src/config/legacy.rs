//! Reads the old Python program's flow file (a literal subset, never executed) into TOML.
//! `lex` and `parse` read the file; this module maps the old classes onto vbx's steps and
//! devices and writes the TOML by hand so that every string is escaped the same way.

mod lex;
mod parse;

use std::fmt::Write;

use parse::{Assign, Call, Expr, Kind, Module};

/// Why the old file could not be read: 1-based line and column, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct Error {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Converts an old flow file to vbx's TOML. Inline device instances become named
/// `[devices]` entries; the old defaults are written out.
pub fn convert(source: &str) -> Result<String, Error> {
    let assigns = parse::parse(source)?;
    let mut out = Converted::default();
    // Python keeps the last assignment of a name.
    let last: Vec<&Assign> = assigns
        .iter()
        .enumerate()
        .filter(|(i, a)| !assigns[i + 1..].iter().any(|later| later.name == a.name))
        .map(|(_, a)| a)
        .collect();
    for assign in last {
        let value = &assign.value;
        match assign.name.as_str() {
            "auth" => {
                let pair = match &value.kind {
                    Kind::Tuple(items) | Kind::List(items) if items.len() == 2 => Some(items),
                    _ => None,
                };
                let Some(pair) = pair else {
                    return Err(value
                        .pos
                        .error("`auth` must be a pair: ('AC…', 'auth token')"));
                };
                out.account_sid = Some(string(&pair[0], "the account SID in `auth`")?);
                out.auth_token = Some(string(&pair[1], "the auth token in `auth`")?);
            }
            "app" => out.app = optional_string(value, "`app`")?,
            "number" => out.number = optional_string(value, "`number`")?,
            "calls" => out.calls = Some(out.flows(value, "calls")?),
            "messages" => out.messages = Some(out.flows(value, "messages")?),
            "contacts" => {
                let mut contacts = Vec::new();
                for (key, name) in dict(value, "`contacts`")? {
                    contacts.push((key, string(name, "a contact's name")?));
                }
                out.contacts = contacts;
            }
            _ => return Err(assign.pos.error(format!("`{}` is not read", assign.name))),
        }
    }
    Ok(out.emit())
}

/// A TOML value as written into the output.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Str(String),
    Int(i64),
    List(Vec<Value>),
}

type Entries = Vec<(&'static str, Value)>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum DeviceSpec {
    Browser {
        ignored: Vec<String>,
    },
    Sms {
        number: String,
    },
    Xmpp {
        jid: String,
        secret: String,
        server: String,
        port: i64,
        target: String,
    },
    Email {
        from: String,
        to: String,
    },
}

impl DeviceSpec {
    fn base_name(&self) -> &'static str {
        match self {
            DeviceSpec::Browser { .. } => "browser",
            DeviceSpec::Sms { .. } => "cell",
            DeviceSpec::Xmpp { .. } => "xmpp",
            DeviceSpec::Email { .. } => "email",
        }
    }

    fn entries(&self) -> Entries {
        let s = |v: &String| Value::Str(v.clone());
        match self {
            DeviceSpec::Browser { ignored } => {
                let mut entries = vec![("type", Value::Str("browser".into()))];
                if !ignored.is_empty() {
                    entries.push(("ignored", Value::List(ignored.iter().map(s).collect())));
                }
                entries
            }
            DeviceSpec::Sms { number } => {
                vec![("type", Value::Str("sms".into())), ("number", s(number))]
            }
            DeviceSpec::Xmpp {
                jid,
                secret,
                server,
                port,
                target,
            } => vec![
                ("type", Value::Str("xmpp".into())),
                ("component", s(jid)),
                ("secret", s(secret)),
                ("server", s(server)),
                ("port", Value::Int(*port)),
                ("target", s(target)),
            ],
            DeviceSpec::Email { from, to } => vec![
                ("type", Value::Str("email".into())),
                ("from", s(from)),
                ("to", s(to)),
                ("smtp_host", Value::Str("localhost".into())),
                ("security", Value::Str("none".into())),
            ],
        }
    }
}

#[derive(Default)]
struct Converted {
    account_sid: Option<String>,
    auth_token: Option<String>,
    app: Option<String>,
    number: Option<String>,
    /// Name → device, in order of first use.
    devices: Vec<(String, DeviceSpec)>,
    calls: Option<Vec<(String, Vec<Entries>)>>,
    messages: Option<Vec<(String, Vec<Entries>)>>,
    contacts: Vec<(String, String)>,
}

struct Param {
    name: &'static str,
    required: bool,
}

const fn req(name: &'static str) -> Param {
    Param {
        name,
        required: true,
    }
}

const fn opt(name: &'static str) -> Param {
    Param {
        name,
        required: false,
    }
}

/// The old program's classes and their parameters, in its order. Flows also take `next`.
const FLOWS: &[(&str, &[Param])] = &[
    ("Device", &[req("devices")]),
    (
        "Dial",
        &[
            opt("number"),
            opt("client"),
            opt("conference"),
            opt("queue"),
            opt("sip"),
        ],
    ),
    ("Hangup", &[]),
    ("Message", &[req("message"), opt("to")]),
    ("Pause", &[req("length")]),
    ("Play", &[opt("url"), opt("digits"), opt("loop")]),
    ("Record", &[]),
    ("Redirect", &[req("url")]),
    ("Reject", &[opt("reason")]),
    (
        "Say",
        &[req("text"), opt("voice"), opt("language"), opt("loop")],
    ),
];

const DEVICES: &[(&str, &[Param])] = &[
    ("Browser", &[opt("ignored")]),
    ("SMS", &[req("number")]),
    ("Email", &[req("from_"), req("to")]),
    (
        "XMPP",
        &[
            req("jid"),
            req("secret"),
            req("server"),
            req("port"),
            req("target"),
        ],
    ),
];

const NEXT: Param = opt("next");

/// Arguments matched to parameters; `None` values count as not given.
struct Bound<'a> {
    class: &'a str,
    params: Vec<&'static Param>,
    values: Vec<Option<&'a Expr>>,
}

impl<'a> Bound<'a> {
    fn get(&self, name: &str) -> Option<&'a Expr> {
        let i = self.params.iter().position(|p| p.name == name)?;
        self.values[i]
    }

    fn string(&self, name: &str) -> Result<Option<String>, Error> {
        self.get(name)
            .map(|e| string(e, &format!("`{name}` of `{}`", self.class)))
            .transpose()
    }

    fn int(&self, name: &str) -> Result<Option<i64>, Error> {
        self.get(name)
            .map(|e| match e.kind {
                Kind::Int(n) => Ok(n),
                _ => Err(e.pos.error(format!(
                    "`{name}` of `{}` must be a whole number",
                    self.class
                ))),
            })
            .transpose()
    }

    /// A string, or a list of strings, as given.
    fn str_or_list(&self, name: &str) -> Result<Option<Value>, Error> {
        let Some(expr) = self.get(name) else {
            return Ok(None);
        };
        let what = format!("`{name}` of `{}`", self.class);
        match &expr.kind {
            Kind::List(items) | Kind::Tuple(items) => {
                let items: Result<Vec<Value>, Error> = items
                    .iter()
                    .map(|e| string(e, &what).map(Value::Str))
                    .collect();
                Ok(Some(Value::List(items?)))
            }
            _ => Ok(Some(Value::Str(string(
                expr,
                &format!("{what} (a string or a list of strings)"),
            )?))),
        }
    }

    fn str_list(&self, name: &str) -> Result<Vec<String>, Error> {
        let Some(expr) = self.get(name) else {
            return Ok(Vec::new());
        };
        let what = format!("`{name}` of `{}`", self.class);
        match &expr.kind {
            Kind::List(items) | Kind::Tuple(items) => {
                items.iter().map(|e| string(e, &what)).collect()
            }
            _ => Err(expr.pos.error(format!("{what} must be a list of strings"))),
        }
    }
}

fn bind<'a>(
    expr: &Expr,
    call: &'a Call,
    table: &[(&str, &'static [Param])],
    with_next: bool,
) -> Result<Bound<'a>, Error> {
    let module = match call.module {
        Module::Flows => "vbx.flows",
        Module::Devices => "vbx.devices",
    };
    let Some((_, params)) = table.iter().find(|(name, _)| *name == call.class) else {
        let known: Vec<&str> = table.iter().map(|(name, _)| *name).collect();
        return Err(expr.pos.error(format!(
            "`{module}.{}` is not a class of the old program: {module} has {}",
            call.class,
            known.join(", ")
        )));
    };
    let mut all: Vec<&'static Param> = params.iter().collect();
    if with_next {
        all.push(&NEXT);
    }
    let names: Vec<&str> = all.iter().map(|p| p.name).collect();
    let class = call.class.as_str();
    if call.args.len() > all.len() {
        return Err(call.args[all.len()].pos.error(format!(
            "`{class}` takes at most {} arguments ({})",
            all.len(),
            names.join(", ")
        )));
    }
    let mut values: Vec<Option<&Expr>> = vec![None; all.len()];
    let mut given = vec![false; all.len()];
    for (i, arg) in call.args.iter().enumerate() {
        values[i] = Some(arg);
        given[i] = true;
    }
    for (name, pos, value) in &call.kwargs {
        let Some(i) = names.iter().position(|n| n == name) else {
            let takes = if names.is_empty() {
                "no arguments".to_owned()
            } else {
                names.join(", ")
            };
            return Err(pos.error(format!(
                "`{class}` has no argument `{name}`: it takes {takes}"
            )));
        };
        if given[i] {
            return Err(pos.error(format!("`{name}` is given twice to `{class}`")));
        }
        values[i] = Some(value);
        given[i] = true;
    }
    for value in &mut values {
        if value.is_some_and(|v| v.kind == Kind::None) {
            *value = None;
        }
    }
    if let Some(missing) = all
        .iter()
        .zip(&values)
        .find(|(p, v)| p.required && v.is_none())
    {
        return Err(expr
            .pos
            .error(format!("`{class}` needs `{}`", missing.0.name)));
    }
    Ok(Bound {
        class: &call.class,
        params: all,
        values,
    })
}

impl Converted {
    fn flows(&mut self, value: &Expr, key: &str) -> Result<Vec<(String, Vec<Entries>)>, Error> {
        let mut out = Vec::new();
        for (alias, steps) in dict(value, &format!("`{key}`"))? {
            let items = match &steps.kind {
                Kind::List(items) | Kind::Tuple(items) => items,
                _ => {
                    return Err(steps.pos.error(format!(
                        "`{key}['{alias}']` must be a list of vbx.flows.* steps"
                    )))
                }
            };
            let mut converted = Vec::with_capacity(items.len());
            for item in items {
                converted.push(self.step(item)?);
            }
            out.push((alias, converted));
        }
        Ok(out)
    }

    fn step(&mut self, expr: &Expr) -> Result<Entries, Error> {
        let call = match &expr.kind {
            Kind::Call(call) if call.module == Module::Flows => call,
            Kind::Call(call) => {
                return Err(expr.pos.error(format!(
                    "`vbx.devices.{}` is a device, not a step: wrap it in vbx.flows.Device(devices=[...])",
                    call.class
                )))
            }
            _ => return Err(expr.pos.error("expected a step such as vbx.flows.Dial(...)")),
        };
        let b = bind(expr, call, FLOWS, true)?;
        let s = |v: String| Value::Str(v);
        let mut entries: Entries = vec![("step", s(call.class.to_ascii_lowercase()))];
        let mut put = |key: &'static str, value: Option<Value>| {
            if let Some(value) = value {
                entries.push((key, value));
            }
        };
        match call.class.as_str() {
            "Device" => {
                let names = self.devices(b.get("devices"), &b)?;
                put(
                    "devices",
                    Some(Value::List(names.into_iter().map(s).collect())),
                );
            }
            "Dial" => {
                put("number", b.str_or_list("number")?);
                put("client", b.str_or_list("client")?);
                put("conference", b.string("conference")?.map(s));
                put("queue", b.string("queue")?.map(s));
                put("sip", b.str_or_list("sip")?);
            }
            "Message" => {
                put("text", b.string("message")?.map(s));
                put("to", b.string("to")?.map(s));
            }
            "Pause" => put("length", b.int("length")?.map(Value::Int)),
            "Play" => {
                put("url", b.string("url")?.map(s));
                put("digits", b.string("digits")?.map(s));
                put("loop", Some(Value::Int(b.int("loop")?.unwrap_or(1))));
            }
            "Redirect" => put("url", b.string("url")?.map(s)),
            "Reject" => put("reason", b.string("reason")?.map(s)),
            "Say" => {
                put("text", b.string("text")?.map(s));
                put(
                    "voice",
                    Some(s(b.string("voice")?.unwrap_or_else(|| "woman".into()))),
                );
                put(
                    "language",
                    Some(s(b.string("language")?.unwrap_or_else(|| "en".into()))),
                );
                put("loop", Some(Value::Int(b.int("loop")?.unwrap_or(1))));
            }
            _ => {}
        }
        put("next", b.string("next")?.map(s));
        Ok(entries)
    }

    /// The names of the devices in a `Device(devices=[...])` list, adding new ones.
    fn devices(&mut self, list: Option<&Expr>, b: &Bound<'_>) -> Result<Vec<String>, Error> {
        let Some(list) = list else {
            return Ok(Vec::new());
        };
        let items = match &list.kind {
            Kind::List(items) | Kind::Tuple(items) => items,
            _ => {
                return Err(list.pos.error(format!(
                    "`devices` of `{}` must be a list of vbx.devices.*",
                    b.class
                )))
            }
        };
        let mut names = Vec::with_capacity(items.len());
        for item in items {
            let Kind::Call(call) = &item.kind else {
                return Err(item
                    .pos
                    .error("expected a device such as vbx.devices.Browser()"));
            };
            if call.module != Module::Devices {
                return Err(item.pos.error(format!(
                    "`vbx.flows.{}` is a step, not a device",
                    call.class
                )));
            }
            let d = bind(item, call, DEVICES, false)?;
            let req = |v: Option<String>| v.unwrap_or_default();
            let spec = match call.class.as_str() {
                "Browser" => DeviceSpec::Browser {
                    ignored: d.str_list("ignored")?,
                },
                "SMS" => DeviceSpec::Sms {
                    number: req(d.string("number")?),
                },
                "Email" => DeviceSpec::Email {
                    from: req(d.string("from_")?),
                    to: req(d.string("to")?),
                },
                _ => DeviceSpec::Xmpp {
                    jid: req(d.string("jid")?),
                    secret: req(d.string("secret")?),
                    server: req(d.string("server")?),
                    port: d.int("port")?.unwrap_or(5347),
                    target: req(d.string("target")?),
                },
            };
            names.push(self.device_name(spec));
        }
        Ok(names)
    }

    /// Identical instances share a name; others of a kind are numbered from 2.
    fn device_name(&mut self, spec: DeviceSpec) -> String {
        if let Some((name, _)) = self.devices.iter().find(|(_, d)| *d == spec) {
            return name.clone();
        }
        let base = spec.base_name();
        let mut n = 1;
        let mut name = base.to_owned();
        while self.devices.iter().any(|(existing, _)| *existing == name) {
            n += 1;
            name = format!("{base}{n}");
        }
        self.devices.push((name.clone(), spec));
        name
    }

    fn emit(&self) -> String {
        let mut out = String::new();
        let line = |out: &mut String, text: &str| {
            out.push_str(text);
            out.push('\n');
        };
        line(
            &mut out,
            "# Converted by `vbx import-flows` from an old vbx flow file.",
        );
        line(
            &mut out,
            "# `vbx check` validates it and prints the flow graph.",
        );
        line(&mut out, "");
        line(&mut out, "[server]");
        line(&mut out, "listen = \"127.0.0.1:8000\"");
        line(&mut out, "# Set public_url to the URL Twilio uses to reach vbx, e.g. \"https://vbx.example.com\":");
        line(&mut out, "# request signatures are checked against it.");
        line(&mut out, "public_url = \"http://127.0.0.1:8000\"");
        line(&mut out, "");
        line(&mut out, "[twilio]");
        let setting = |out: &mut String, key: &str, value: &Option<String>| {
            if let Some(value) = value {
                let _ = writeln!(out, "{key} = {}", toml_str(value));
            }
        };
        setting(&mut out, "account_sid", &self.account_sid);
        if self.auth_token.is_some() {
            line(
                &mut out,
                "# Consider moving the token to VBX_TWILIO_AUTH_TOKEN or auth_token_file.",
            );
        }
        setting(&mut out, "auth_token", &self.auth_token);
        setting(&mut out, "app_sid", &self.app);
        setting(&mut out, "number", &self.number);
        line(
            &mut out,
            "# The browser phone needs an API key (SK…) and its secret for its access tokens:",
        );
        line(&mut out, "# api_key = \"SK…\"");
        line(&mut out, "# api_secret = \"…\"");
        line(&mut out, "");

        line(&mut out, "[devices]");
        for (name, spec) in &self.devices {
            match spec {
                DeviceSpec::Email { .. } => {
                    line(&mut out, "# The old program mailed through the local server; set smtp_host, security,");
                    line(&mut out, "# username and password for another one.");
                }
                DeviceSpec::Xmpp { .. } => {
                    line(
                        &mut out,
                        "# The secret can also come from VBX_DEVICE_<NAME>_SECRET or secret_file.",
                    );
                }
                _ => {}
            }
            let _ = writeln!(
                out,
                "{} = {}",
                toml_key(name),
                inline_table(&spec.entries())
            );
        }
        for (header, flows) in [("calls", &self.calls), ("messages", &self.messages)] {
            line(&mut out, "");
            let _ = writeln!(out, "[{header}]");
            for (alias, steps) in flows.iter().flatten() {
                if steps.is_empty() {
                    let _ = writeln!(out, "{} = []", toml_key(alias));
                    continue;
                }
                let _ = writeln!(out, "{} = [", toml_key(alias));
                for step in steps {
                    let _ = writeln!(out, "  {},", inline_table(step));
                }
                line(&mut out, "]");
            }
        }
        line(&mut out, "");
        line(&mut out, "[contacts]");
        for (number, name) in &self.contacts {
            let _ = writeln!(out, "{} = {}", toml_key(number), toml_str(name));
        }
        out
    }
}

fn string(expr: &Expr, what: &str) -> Result<String, Error> {
    match &expr.kind {
        Kind::Str(s) => Ok(s.clone()),
        _ => Err(expr.pos.error(format!("{what} must be a string"))),
    }
}

fn optional_string(expr: &Expr, what: &str) -> Result<Option<String>, Error> {
    match expr.kind {
        Kind::None => Ok(None),
        _ => string(expr, what).map(Some),
    }
}

/// A dict with string keys; a repeated key keeps its first place and its last value, as in
/// Python.
fn dict<'a>(expr: &'a Expr, what: &str) -> Result<Vec<(String, &'a Expr)>, Error> {
    let Kind::Dict(entries) = &expr.kind else {
        return Err(expr.pos.error(format!("{what} must be a dict")));
    };
    let mut out: Vec<(String, &Expr)> = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let key = string(key, &format!("a key of {what}"))?;
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => out.push((key, value)),
        }
    }
    Ok(out)
}

/// A TOML basic string.
fn toml_str(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if bare {
        key.to_owned()
    } else {
        toml_str(key)
    }
}

fn toml_value(value: &Value) -> String {
    match value {
        Value::Str(s) => toml_str(s),
        Value::Int(n) => n.to_string(),
        Value::List(items) => {
            let items: Vec<String> = items.iter().map(toml_value).collect();
            format!("[{}]", items.join(", "))
        }
    }
}

fn inline_table(entries: &Entries) -> String {
    let items: Vec<String> = entries
        .iter()
        .map(|(key, value)| format!("{key} = {}", toml_value(value)))
        .collect();
    format!("{{ {} }}", items.join(", "))
}

#[cfg(test)]
mod tests;
