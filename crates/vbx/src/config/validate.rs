//! `validate()`: raw configuration → [`super::Config`], or every problem at once, each with its
//! key path and a fix. Secrets are never quoted in a problem.

mod device;
mod step;
mod summary;
mod user;
mod value;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use twilio::{AccountSid, ApiKeySid, ApplicationSid, PhoneNumber};

use super::load::{
    RawConfig, RawServer, RawTwilio, DEFAULT_API_BASE, DEFAULT_DATA_DIR, DEFAULT_LISTEN,
};
use super::{Config, Secret, Server, Twilio};
pub use summary::summary;
use value::{http_url, join, Ctx};

/// One thing wrong with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The key path, e.g. `calls.default[0].devices[1]`.
    pub path: String,
    pub message: String,
    /// What to do about it.
    pub fix: String,
}

impl Problem {
    pub fn new(
        path: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
            fix: fix.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} — {}", self.path, self.message, self.fix)
    }
}

/// The key path of a device table.
pub(super) fn device_path(name: &str) -> String {
    join("devices", name)
}

/// Checks everything and builds the [`Config`], or returns every problem found. `raw` is the
/// file after environment, `*_file` and override resolution ([`super::load`] does that).
pub fn validate(raw: RawConfig) -> Result<Config, Vec<Problem>> {
    let RawConfig {
        server,
        twilio,
        devices,
        calls,
        messages,
        contacts,
        users,
        problems,
    } = raw;
    let mut cx = Ctx { problems };
    let server = check_server(&mut cx, &server);
    let twilio = check_twilio(&mut cx, &twilio);
    let devices = device::devices(&mut cx, &devices, twilio.as_ref().map(|t| &t.number));
    let contacts = check_contacts(&mut cx, &contacts);
    let calls = step::flows(&mut cx, step::Flow::Calls, &calls, &devices);
    let messages = step::flows(&mut cx, step::Flow::Messages, &messages, &devices);
    let users = user::users(&mut cx, &users);

    let devices: Option<BTreeMap<String, super::Device>> = devices
        .into_iter()
        .map(|(name, device)| device.map(|d| (name, d)))
        .collect();
    match (server, twilio, devices, calls, messages, contacts, users) {
        (
            Some(server),
            Some(twilio),
            Some(devices),
            Some(calls),
            Some(messages),
            Some(contacts),
            Some(users),
        ) if cx.problems.is_empty() => Ok(Config {
            server,
            twilio,
            devices,
            calls,
            messages,
            contacts,
            users,
        }),
        _ => {
            debug_assert!(!cx.problems.is_empty(), "a part failed without a problem");
            Err(cx.problems)
        }
    }
}

fn check_server(cx: &mut Ctx, raw: &RawServer) -> Option<Server> {
    let listen_text = raw.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
    let listen = listen_text.parse::<SocketAddr>().ok();
    if listen.is_none() {
        cx.problem(
            "server.listen",
            format!("`{listen_text}` is not an address to listen on"),
            "write an IP address and a port, e.g. \"127.0.0.1:8000\" or \"0.0.0.0:8000\"",
        );
    }

    let url_fix = "set `server.public_url` (or --public-url) to the http(s) URL Twilio uses to \
                   reach vbx, e.g. \"https://vbx.example.com\"";
    let public_url = match raw.public_url.as_deref() {
        None => {
            cx.problem("server.public_url", "`public_url` is missing", url_fix);
            None
        }
        Some(text) => check_base_url(cx, "server.public_url", text, url_fix),
    };

    let data_dir = raw
        .data_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    if data_dir.as_os_str().is_empty() {
        cx.problem(
            "server.data_dir",
            "`data_dir` is empty",
            "set it to the directory where vbx keeps its database, e.g. \"./data\"",
        );
    }
    let auth = user::auth_mode(cx, raw);
    Some(Server {
        listen: listen?,
        public_url: public_url?,
        data_dir,
        insecure_skip_signature: raw.insecure_skip_signature.unwrap_or(false),
        metrics_token: metrics_token(cx, raw),
        sim_client_url: None,
        auth: auth?,
    })
}

/// `server.metrics_token`: long enough that it cannot be guessed.
fn metrics_token(cx: &mut Ctx, raw: &RawServer) -> Option<Secret> {
    let token = raw.metrics_token.as_deref()?;
    if token.chars().count() < 24 {
        cx.problem(
            "server.metrics_token",
            "the metrics token is shorter than 24 characters",
            "use a long random value, e.g. the output of `openssl rand -hex 24`",
        );
        return None;
    }
    Some(Secret::new(token))
}

/// An http(s) base URL without query, fragment or credentials; a trailing `/` on a path is
/// dropped so that paths can be appended.
fn check_base_url(cx: &mut Ctx, path: &str, text: &str, fix: &str) -> Option<url::Url> {
    let Some(mut url) = http_url(text) else {
        cx.problem(path, format!("`{text}` is not an http(s) URL"), fix);
        return None;
    };
    if url.query().is_some() || url.fragment().is_some() {
        cx.problem(path, format!("`{text}` has a query or a fragment"), fix);
        return None;
    }
    if !url.username().is_empty() || url.password().is_some() {
        cx.problem(path, "the URL contains credentials", fix);
        return None;
    }
    let trimmed = url.path().trim_end_matches('/').to_owned();
    if !trimmed.is_empty() {
        url.set_path(&trimmed);
    }
    Some(url)
}

fn check_twilio(cx: &mut Ctx, raw: &RawTwilio) -> Option<Twilio> {
    let account_sid = match raw.account_sid.as_deref() {
        None => {
            cx.problem(
                "twilio.account_sid",
                "`account_sid` is missing",
                "set `twilio.account_sid` (AC…, on the Twilio console's dashboard) or VBX_TWILIO_ACCOUNT_SID",
            );
            None
        }
        Some(text) => sid(
            cx,
            "twilio.account_sid",
            text,
            AccountSid::parse,
            "the Account SID from the Twilio console",
        ),
    };

    let auth_token = secret(
        cx,
        raw.auth_token.as_deref(),
        raw.auth_token_file.is_some(),
        &SecretNames {
            key: "twilio.auth_token",
            file_key: "twilio.auth_token_file",
            env: "VBX_TWILIO_AUTH_TOKEN",
        },
    );

    let api_key = raw.api_key.as_deref().and_then(|text| {
        sid(
            cx,
            "twilio.api_key",
            text,
            ApiKeySid::parse,
            "an API key SID (SK…) from the Twilio console",
        )
    });
    let has_secret = raw.api_secret.is_some() || raw.api_secret_file.is_some();
    let api_secret = if raw.api_key.is_some() || has_secret {
        if raw.api_key.is_none() {
            cx.problem(
                "twilio.api_key",
                "`api_secret` is set but `api_key` is missing",
                "set `twilio.api_key` (or VBX_TWILIO_API_KEY) to the SID (SK…) of the key the secret belongs to",
            );
        }
        secret(
            cx,
            raw.api_secret.as_deref(),
            raw.api_secret_file.is_some(),
            &SecretNames {
                key: "twilio.api_secret",
                file_key: "twilio.api_secret_file",
                env: "VBX_TWILIO_API_SECRET",
            },
        )
        .map(Some)
    } else {
        Some(None)
    };

    let app_sid = raw.app_sid.as_deref().and_then(|text| {
        sid(
            cx,
            "twilio.app_sid",
            text,
            ApplicationSid::parse,
            "the SID (AP…) of the TwiML App whose Voice URL is /flow/voice/default",
        )
    });

    let number = match raw.number.as_deref() {
        None => {
            cx.problem(
                "twilio.number",
                "`number` is missing",
                "set `twilio.number` to your Twilio number in E.164 form, e.g. \"+18005551212\"",
            );
            None
        }
        Some(text) => phone(cx, "twilio.number".into(), text),
    };

    let api_base = check_base_url(
        cx,
        "twilio.api_base",
        raw.api_base.as_deref().unwrap_or(DEFAULT_API_BASE),
        "remove `twilio.api_base` to use https://api.twilio.com, or set the http(s) base URL of a Twilio simulator",
    );

    let sync_interval = seconds_within(
        cx,
        "twilio.sync_interval_seconds",
        raw.sync_interval_seconds,
        (super::DEFAULT_SYNC_INTERVAL, 1..=MAX_SYNC_INTERVAL_S),
        "set the seconds between two syncs with Twilio (600, ten minutes, unless set), or remove the key",
    );
    let token_ttl = seconds_within(
        cx,
        "twilio.token_ttl_seconds",
        raw.token_ttl_seconds,
        (DEFAULT_TOKEN_TTL, MIN_TOKEN_TTL_S..=MAX_TOKEN_TTL_S),
        "set how long a browser's Voice SDK access token lasts, in seconds (3600 unless set; Twilio allows at most 86400), or remove the key",
    );

    let api_key_ok = raw.api_key.is_none() || api_key.is_some();
    let app_ok = raw.app_sid.is_none() || app_sid.is_some();
    if !(api_key_ok && app_ok) {
        return None;
    }
    Some(Twilio {
        account_sid: account_sid?,
        auth_token: auth_token?,
        api_key,
        api_secret: api_secret?,
        app_sid,
        number: number?,
        api_base: api_base?,
        sync_interval: sync_interval?,
        token_ttl: token_ttl?,
        delete_recordings_after_download: raw.delete_recordings_after_download.unwrap_or(false),
    })
}

/// A number of seconds from the file: the default when absent, a problem when out of range.
fn seconds_within(
    cx: &mut Ctx,
    key: &str,
    value: Option<i64>,
    (default, range): (Duration, std::ops::RangeInclusive<u64>),
    fix: &str,
) -> Option<Duration> {
    let Some(seconds) = value else {
        return Some(default);
    };
    match u64::try_from(seconds) {
        Ok(s) if range.contains(&s) => Some(Duration::from_secs(s)),
        _ => {
            cx.problem(
                key,
                format!(
                    "{seconds} is not between {} and {}",
                    range.start(),
                    range.end()
                ),
                fix,
            );
            None
        }
    }
}

/// A browser's access token lasts an hour unless `twilio.token_ttl_seconds` says otherwise.
const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(3600);
/// Shorter tokens would be refreshed all the time (the SDK warns 10 s before the end).
const MIN_TOKEN_TTL_S: u64 = 30;
/// Twilio's limit for access tokens: a day.
const MAX_TOKEN_TTL_S: u64 = 86_400;

/// The longest wait between two syncs: a day.
const MAX_SYNC_INTERVAL_S: u64 = 24 * 60 * 60;

fn sid<T>(
    cx: &mut Ctx,
    path: &str,
    text: &str,
    parse: fn(&str) -> Result<T, twilio::IdError>,
    what: &str,
) -> Option<T> {
    match parse(text) {
        Ok(sid) => Some(sid),
        Err(error) => {
            cx.problem(path, error.to_string(), format!("copy {what}"));
            None
        }
    }
}

/// An E.164 number at `path`.
fn phone(cx: &mut Ctx, path: String, text: &str) -> Option<PhoneNumber> {
    match PhoneNumber::parse(text) {
        Ok(number) => Some(number),
        Err(error) => {
            let fix = match PhoneNumber::parse_lenient(text) {
                Ok(close) => format!("write it in E.164 form: \"{close}\""),
                Err(_) => "write it in E.164 form: +, country code, number, no spaces (e.g. \"+18005551212\")".to_owned(),
            };
            cx.problem(path, error.to_string(), fix);
            None
        }
    }
}

/// The names under which one secret can be given, for the fix of a missing one.
struct SecretNames<'a> {
    pub key: &'a str,
    pub file_key: &'a str,
    pub env: &'a str,
}

/// A required secret. When its `*_file` is still set, reading it failed and that problem is
/// already recorded.
fn secret(
    cx: &mut Ctx,
    value: Option<&str>,
    file_left: bool,
    names: &SecretNames<'_>,
) -> Option<Secret> {
    let fix = format!("set `{}`, `{}` or {}", names.key, names.file_key, names.env);
    match value {
        Some(value) if value.trim().is_empty() => {
            cx.problem(names.key, "the secret is empty", fix);
            None
        }
        Some(value) if value.trim() != value => {
            cx.problem(
                names.key,
                "the secret starts or ends with whitespace",
                "remove the spaces around it",
            );
            None
        }
        Some(value) => Some(Secret::new(value)),
        None if file_left => {
            if !cx.has_problem_at(names.file_key) {
                cx.problem(
                    names.file_key,
                    "the file was not read",
                    "load the configuration with `config::load`, which reads `*_file` secrets",
                );
            }
            None
        }
        None => {
            cx.problem(names.key, "the secret is missing", fix);
            None
        }
    }
}

fn check_contacts(cx: &mut Ctx, raw: &toml::Table) -> Option<BTreeMap<PhoneNumber, String>> {
    let mut contacts = BTreeMap::new();
    let mut ok = true;
    for (number, name) in raw {
        let path = join("contacts", number);
        let number = phone(cx, path.clone(), number);
        let name = match name {
            toml::Value::String(name) if !name.trim().is_empty() => Some(name.trim().to_owned()),
            toml::Value::String(_) => {
                cx.problem(
                    path,
                    "the contact's name is empty",
                    "write the name to show for this number",
                );
                None
            }
            other => {
                cx.wrong_type(path, "a name", other, "\"+18005551212\" = \"Alice\"");
                None
            }
        };
        match (number, name) {
            (Some(number), Some(name)) => {
                contacts.insert(number, name);
            }
            _ => ok = false,
        }
    }
    ok.then_some(contacts)
}

#[cfg(test)]
mod tests;
