//! Reading the configuration file (TOML or an old Python flow file), then applying the
//! environment, `*_file` secrets and command-line overrides before [`validate`].

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::validate::{validate, Problem};
use super::{legacy, Config};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8000";
pub const DEFAULT_DATA_DIR: &str = "./data";
pub const DEFAULT_API_BASE: &str = "https://api.twilio.com";

/// The file as written. Devices, flows and contacts stay loosely typed TOML so that
/// [`validate`] can report every problem in them with its key path, not just serde's first.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub server: RawServer,
    #[serde(default)]
    pub twilio: RawTwilio,
    /// Device name → device table.
    #[serde(default)]
    pub devices: toml::Table,
    /// Alias → array of step tables.
    #[serde(default)]
    pub calls: toml::Table,
    /// Alias → array of step tables.
    #[serde(default)]
    pub messages: toml::Table,
    /// Number → name.
    #[serde(default)]
    pub contacts: toml::Table,
    /// `[[users]]`.
    #[serde(default)]
    pub users: Vec<RawUser>,
    /// Problems met while reading `*_file` secrets; `validate` reports them with its own.
    #[serde(skip)]
    pub(super) problems: Vec<Problem>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    pub listen: Option<String>,
    pub public_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub insecure_skip_signature: Option<bool>,
    /// `login` (default) or `proxy`.
    pub auth: Option<String>,
    /// The header a trusted proxy names the user in (`auth = "proxy"`).
    pub proxy_header: Option<String>,
    /// A bearer token that lets a scraper read `/metrics` without a login.
    pub metrics_token: Option<String>,
    pub metrics_token_file: Option<PathBuf>,
}

impl fmt::Debug for RawServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawServer")
            .field("listen", &self.listen)
            .field("public_url", &self.public_url)
            .field("data_dir", &self.data_dir)
            .field("insecure_skip_signature", &self.insecure_skip_signature)
            .field("auth", &self.auth)
            .field("proxy_header", &self.proxy_header)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "***"))
            .field("metrics_token_file", &self.metrics_token_file)
            .finish()
    }
}

/// One `[[users]]` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUser {
    pub name: Option<String>,
    pub password_hash: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTwilio {
    pub account_sid: Option<String>,
    pub auth_token: Option<String>,
    pub auth_token_file: Option<PathBuf>,
    pub api_key: Option<String>,
    pub api_secret: Option<String>,
    pub api_secret_file: Option<PathBuf>,
    pub app_sid: Option<String>,
    pub number: Option<String>,
    pub api_base: Option<String>,
    pub sync_interval_seconds: Option<i64>,
    pub token_ttl_seconds: Option<i64>,
    pub delete_recordings_after_download: Option<bool>,
}

impl fmt::Debug for RawTwilio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |s: &Option<String>| s.as_ref().map(|_| "***");
        f.debug_struct("RawTwilio")
            .field("account_sid", &self.account_sid)
            .field("auth_token", &hidden(&self.auth_token))
            .field("auth_token_file", &self.auth_token_file)
            .field("api_key", &self.api_key)
            .field("api_secret", &hidden(&self.api_secret))
            .field("api_secret_file", &self.api_secret_file)
            .field("app_sid", &self.app_sid)
            .field("number", &self.number)
            .field("api_base", &self.api_base)
            .field("sync_interval_seconds", &self.sync_interval_seconds)
            .field("token_ttl_seconds", &self.token_ttl_seconds)
            .field(
                "delete_recordings_after_download",
                &self.delete_recordings_after_download,
            )
            .finish()
    }
}

/// Command-line flags; they win over the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub public_url: Option<String>,
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug)]
pub enum LoadError {
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The file is not valid TOML (or does not fit `[server]` / `[twilio]`); the message
    /// starts with the line and column.
    Toml {
        message: String,
    },
    Legacy(legacy::Error),
    Invalid(Vec<Problem>),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io { path, error } => write!(f, "cannot read {}: {error}", path.display()),
            LoadError::Toml { message } => {
                write!(f, "the configuration is not valid TOML: {message}")
            }
            LoadError::Legacy(error) => {
                write!(f, "cannot convert the old Python flow file: {error}")
            }
            LoadError::Invalid(problems) => {
                let count = problems.len();
                let noun = if count == 1 { "problem" } else { "problems" };
                write!(f, "{count} {noun} in the configuration:")?;
                for problem in problems {
                    write!(f, "\n  {problem}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::Io { error, .. } => Some(error),
            LoadError::Legacy(error) => Some(error),
            LoadError::Toml { .. } | LoadError::Invalid(_) => None,
        }
    }
}

/// Reads the configuration at `path`. A `.py` file (or one that is clearly Python) is an old
/// flow file and is converted first. Relative `*_file` paths are taken from the directory of
/// `path`. Production passes `&|k| std::env::var(k).ok()` as `env`.
pub fn load(
    path: &Path,
    overrides: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|error| LoadError::Io {
        path: path.to_owned(),
        error,
    })?;
    let python = path.extension().is_some_and(|ext| ext == "py") || looks_like_python(&text);
    let base = path.parent().filter(|p| !p.as_os_str().is_empty());
    load_text(&text, python, base, overrides, env)
}

/// [`load`] for text in memory; relative `*_file` paths are taken from the working directory.
pub fn load_str(
    text: &str,
    overrides: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, LoadError> {
    load_text(text, looks_like_python(text), None, overrides, env)
}

fn load_text(
    text: &str,
    python: bool,
    base: Option<&Path>,
    overrides: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, LoadError> {
    let mut raw = if python {
        parse_toml(&legacy::convert(text).map_err(LoadError::Legacy)?)?
    } else {
        match parse_toml(text) {
            Ok(raw) => raw,
            // Python without imports at the top is still recognisable by its calls.
            Err(_) if text.contains("vbx.flows.") || text.contains("vbx.devices.") => {
                parse_toml(&legacy::convert(text).map_err(LoadError::Legacy)?)?
            }
            Err(error) => return Err(error),
        }
    };
    resolve(&mut raw, base, env);
    apply_overrides(&mut raw, overrides);
    validate(raw).map_err(LoadError::Invalid)
}

/// An old flow file starts (after comments) with `import vbx...` or `from ...`, which TOML
/// cannot: in TOML `import` would have to be followed by `=`.
fn looks_like_python(text: &str) -> bool {
    let Some(first) = text
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#'))
    else {
        return false;
    };
    ["import ", "from "].iter().any(|keyword| {
        first
            .strip_prefix(keyword)
            .is_some_and(|rest| !rest.trim_start().starts_with('='))
    })
}

fn parse_toml(text: &str) -> Result<RawConfig, LoadError> {
    toml::from_str(text).map_err(|error| LoadError::Toml {
        message: toml_message(text, &error),
    })
}

/// `line L, column C: message`, without toml's source excerpt: that excerpt could show a
/// secret, and so could a value quoted in a message about a secret's line.
fn toml_message(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim().replace('\n', "; ");
    let Some(span) = error.span() else {
        return message;
    };
    let start = span.start.min(text.len());
    let before = text.get(..start).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    let source_line = text[line_start..].lines().next().unwrap_or("");
    let secret_line = ["auth_token", "secret", "password"]
        .iter()
        .any(|key| source_line.contains(key));
    let message = if secret_line {
        redact_quoted(&message)
    } else {
        message
    };
    format!("line {line}, column {column}: {message}")
}

/// Replaces everything quoted with backticks or double quotes by `***`.
fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut open: Option<char> = None;
    for c in message.chars() {
        match open {
            Some(quote) if c == quote => {
                out.push_str("***");
                out.push(c);
                open = None;
            }
            Some(_) => {}
            None => {
                out.push(c);
                if c == '`' || c == '"' {
                    open = Some(c);
                }
            }
        }
    }
    out
}

/// The environment variable that holds a device's secret, e.g. `VBX_DEVICE_MY_PHONE_SECRET`.
pub(super) fn device_env_var(device: &str, suffix: &str) -> String {
    let name: String = device
        .chars()
        .map(|c| match c {
            '-' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    format!("VBX_DEVICE_{name}_{suffix}")
}

/// Fills in secrets and SIDs from the environment and from `*_file` keys. A `*_file` that was
/// read is removed; one that could not be read stays, with a problem naming it.
fn resolve(raw: &mut RawConfig, base: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) {
    let env = |key: &str| env(key).filter(|value| !value.is_empty());
    let problems = &mut raw.problems;
    let twilio = &mut raw.twilio;
    if let Some(sid) = env("VBX_TWILIO_ACCOUNT_SID") {
        twilio.account_sid = Some(sid);
    }
    if let Some(sid) = env("VBX_TWILIO_API_KEY") {
        twilio.api_key = Some(sid);
    }
    let token = SecretKeys {
        key: "twilio.auth_token".into(),
        file_key: "twilio.auth_token_file".into(),
        env: "VBX_TWILIO_AUTH_TOKEN".into(),
    };
    token.resolve(
        &mut twilio.auth_token,
        &mut twilio.auth_token_file,
        base,
        &env,
        problems,
    );
    let metrics = SecretKeys {
        key: "server.metrics_token".into(),
        file_key: "server.metrics_token_file".into(),
        env: "VBX_METRICS_TOKEN".into(),
    };
    metrics.resolve(
        &mut raw.server.metrics_token,
        &mut raw.server.metrics_token_file,
        base,
        &env,
        problems,
    );
    let api_secret = SecretKeys {
        key: "twilio.api_secret".into(),
        file_key: "twilio.api_secret_file".into(),
        env: "VBX_TWILIO_API_SECRET".into(),
    };
    api_secret.resolve(
        &mut twilio.api_secret,
        &mut twilio.api_secret_file,
        base,
        &env,
        problems,
    );

    for (name, device) in raw.devices.iter_mut() {
        let Some(table) = device.as_table_mut() else {
            continue;
        };
        let (key, suffix) = match table.get("type").and_then(toml::Value::as_str) {
            Some("xmpp") => ("secret", "SECRET"),
            Some("email") => ("password", "PASSWORD"),
            _ => continue,
        };
        let path = super::validate::device_path(name);
        let keys = SecretKeys {
            key: format!("{path}.{key}"),
            file_key: format!("{path}.{key}_file"),
            env: device_env_var(name, suffix),
        };
        let file_key = format!("{key}_file");
        // A value of the wrong type is left alone for `validate` to report.
        let mut value = match table.get(key) {
            None => None,
            Some(toml::Value::String(s)) => Some(s.clone()),
            Some(_) => continue,
        };
        let mut file = match table.get(&file_key) {
            None => None,
            Some(toml::Value::String(s)) => Some(PathBuf::from(s)),
            Some(_) => continue,
        };
        keys.resolve(&mut value, &mut file, base, &env, problems);
        if let Some(value) = value {
            table.insert(key.to_owned(), toml::Value::String(value));
        }
        if file.is_none() {
            table.remove(&file_key);
        }
    }
}

/// Where one secret can come from, strongest first: environment, `*_file`, the key itself.
struct SecretKeys {
    key: String,
    file_key: String,
    env: String,
}

impl SecretKeys {
    fn resolve(
        &self,
        value: &mut Option<String>,
        file: &mut Option<PathBuf>,
        base: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
        problems: &mut Vec<Problem>,
    ) {
        if value.is_some() && file.is_some() {
            problems.push(Problem::new(
                &self.file_key,
                format!("both `{}` and `{}` are set", self.key, self.file_key),
                "keep only one of them",
            ));
        }
        if let Some(from_env) = env(&self.env) {
            *value = Some(from_env);
            *file = None;
            return;
        }
        let Some(path) = file.take() else {
            return;
        };
        let full = match base {
            Some(base) if path.is_relative() => base.join(&path),
            _ => path.clone(),
        };
        match std::fs::read_to_string(&full) {
            Ok(contents) => *value = Some(contents.trim_end_matches(['\n', '\r']).to_owned()),
            Err(error) => {
                problems.push(Problem::new(
                    &self.file_key,
                    format!("cannot read `{}`: {error}", full.display()),
                    format!(
                        "make the file readable by vbx, or set `{}` or {} instead",
                        self.key, self.env
                    ),
                ));
                *file = Some(path);
            }
        }
    }
}

fn apply_overrides(raw: &mut RawConfig, overrides: &Overrides) {
    if let Some(listen) = overrides.listen {
        raw.server.listen = Some(listen.to_string());
    }
    if let Some(url) = &overrides.public_url {
        raw.server.public_url = Some(url.clone());
    }
    if let Some(dir) = &overrides.data_dir {
        raw.server.data_dir = Some(dir.clone());
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::config::{Device, EXAMPLE};

    const MINIMAL: &str = r#"
[server]
public_url = "https://vbx.example.com"
[twilio]
account_sid = "AC0123456789abcdef0123456789abcdef"
number = "+18001234567"
[devices]
browser = { type = "browser" }
[calls]
default = [ { step = "device", devices = ["browser"] } ]
[messages]
default = [ { step = "device", devices = ["browser"] } ]
"#;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |key| map.get(key).cloned()
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn invalid(result: Result<Config, LoadError>) -> Vec<Problem> {
        match result {
            Err(LoadError::Invalid(problems)) => problems,
            Err(other) => panic!("expected problems, got: {other}"),
            Ok(_) => panic!("expected problems, got a config"),
        }
    }

    #[test]
    fn the_environment_supplies_and_overrides_twilio_credentials() {
        let env = env_of(&[
            ("VBX_TWILIO_AUTH_TOKEN", "from-env"),
            (
                "VBX_TWILIO_ACCOUNT_SID",
                "AC11111111111111111111111111111111",
            ),
            ("VBX_TWILIO_API_KEY", "SK22222222222222222222222222222222"),
            ("VBX_TWILIO_API_SECRET", "api-from-env"),
        ]);
        let config = load_str(MINIMAL, &Overrides::default(), &env).unwrap();
        assert_eq!(config.twilio.auth_token.expose(), "from-env");
        assert_eq!(
            config.twilio.account_sid.as_str(),
            "AC11111111111111111111111111111111"
        );
        assert_eq!(
            config.twilio.api_key.map(|k| k.to_string()).as_deref(),
            Some("SK22222222222222222222222222222222")
        );
        assert_eq!(config.twilio.api_secret.unwrap().expose(), "api-from-env");
    }

    #[test]
    fn an_empty_environment_variable_counts_as_unset() {
        let env = env_of(&[("VBX_TWILIO_AUTH_TOKEN", "")]);
        let problems = invalid(load_str(MINIMAL, &Overrides::default(), &env));
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert_eq!(problems[0].path, "twilio.auth_token");
    }

    #[test]
    fn device_secrets_come_from_environment_variables_named_after_the_device() {
        assert_eq!(
            device_env_var("my-jabber", "SECRET"),
            "VBX_DEVICE_MY_JABBER_SECRET"
        );
        let text = MINIMAL.replace(
            "browser = { type = \"browser\" }",
            "browser = { type = \"browser\" }\n\
             my-jabber = { type = \"xmpp\", component = \"sms.example.com\", server = \"localhost\", target = \"me@example.com\" }\n\
             inbox = { type = \"email\", from = \"a@example.com\", to = \"b@example.com\", smtp_host = \"localhost\", username = \"a\", password = \"in-file\" }",
        );
        let env = env_of(&[
            ("VBX_TWILIO_AUTH_TOKEN", "t"),
            ("VBX_DEVICE_MY_JABBER_SECRET", "xmpp-from-env"),
            ("VBX_DEVICE_INBOX_PASSWORD", "mail-from-env"),
        ]);
        let config = load_str(&text, &Overrides::default(), &env).unwrap();
        let Device::Xmpp(xmpp) = &config.devices["my-jabber"] else {
            panic!()
        };
        assert_eq!(xmpp.secret.expose(), "xmpp-from-env");
        let Device::Email(email) = &config.devices["inbox"] else {
            panic!()
        };
        assert_eq!(email.password.as_ref().unwrap().expose(), "mail-from-env");
    }

    #[test]
    fn file_secrets_are_read_relative_to_the_config_and_lose_their_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "file-token\n").unwrap();
        std::fs::write(dir.path().join("xmpp"), "xmpp-secret\r\n").unwrap();
        let text = MINIMAL
            .replace("[twilio]\n", "[twilio]\nauth_token_file = \"token\"\n")
            .replace(
                "[devices]\n",
                "[devices]\njab = { type = \"xmpp\", component = \"c.example.com\", secret_file = \"xmpp\", server = \"h\", target = \"a@b.example\" }\n",
            );
        let path = dir.path().join("vbx.toml");
        std::fs::write(&path, text).unwrap();
        let config = load(&path, &Overrides::default(), &no_env).unwrap();
        assert_eq!(config.twilio.auth_token.expose(), "file-token");
        let Device::Xmpp(xmpp) = &config.devices["jab"] else {
            panic!()
        };
        assert_eq!(xmpp.secret.expose(), "xmpp-secret");
    }

    #[test]
    fn an_unreadable_secret_file_is_reported_with_its_key_and_path_only() {
        let text = MINIMAL
            .replace("[twilio]\n", "[twilio]\nauth_token_file = \"/nonexistent/vbx-token\"\n")
            .replace(
                "[devices]\n",
                "[devices]\njab = { type = \"xmpp\", component = \"c.example.com\", secret_file = \"/nonexistent/vbx-xmpp\", server = \"h\", target = \"a@b.example\" }\n",
            );
        let problems = invalid(load_str(&text, &Overrides::default(), &no_env));
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            ["twilio.auth_token_file", "devices.jab.secret_file"],
            "{problems:#?}"
        );
        assert!(
            problems[0].message.contains("/nonexistent/vbx-token"),
            "{}",
            problems[0]
        );
        assert!(
            problems[1].message.contains("/nonexistent/vbx-xmpp"),
            "{}",
            problems[1]
        );
    }

    #[test]
    fn a_secret_given_inline_and_as_a_file_is_ambiguous() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "a").unwrap();
        let text = MINIMAL.replace(
            "[twilio]\n",
            &format!(
                "[twilio]\nauth_token = \"b\"\nauth_token_file = {:?}\n",
                file.display().to_string()
            ),
        );
        let problems = invalid(load_str(&text, &Overrides::default(), &no_env));
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert!(problems[0].message.contains("both"));
    }

    #[test]
    fn command_line_overrides_win_over_the_file() {
        let text = MINIMAL.replace(
            "[server]\n",
            "[server]\nlisten = \"0.0.0.0:80\"\ndata_dir = \"/var/lib/vbx\"\n",
        );
        let overrides = Overrides {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            public_url: Some("https://other.example.com/".into()),
            data_dir: Some(PathBuf::from("/tmp/vbx")),
        };
        let env = env_of(&[("VBX_TWILIO_AUTH_TOKEN", "t")]);
        let config = load_str(&text, &overrides, &env).unwrap();
        assert_eq!(config.server.listen.to_string(), "127.0.0.1:0");
        assert_eq!(config.server.url_for("/x"), "https://other.example.com/x");
        assert_eq!(config.server.data_dir, PathBuf::from("/tmp/vbx"));
    }

    #[test]
    fn a_missing_file_is_an_io_error_naming_it() {
        let error = load(
            Path::new("/nonexistent/vbx.toml"),
            &Overrides::default(),
            &no_env,
        )
        .unwrap_err();
        assert!(matches!(error, LoadError::Io { .. }));
        assert!(
            error.to_string().contains("/nonexistent/vbx.toml"),
            "{error}"
        );
    }

    #[test]
    fn toml_errors_give_line_and_column() {
        let error = load_str(
            "[server]\nlisten = \"x\"\nlisten2 = 1\n",
            &Overrides::default(),
            &no_env,
        )
        .unwrap_err();
        let LoadError::Toml { message } = &error else {
            panic!("{error}")
        };
        assert!(
            message.starts_with("line 3, column 1: unknown field `listen2`"),
            "{message}"
        );
        let error = load_str("[server\n", &Overrides::default(), &no_env).unwrap_err();
        let LoadError::Toml { message } = &error else {
            panic!("{error}")
        };
        assert!(message.starts_with("line 1, column 8:"), "{message}");
    }

    #[test]
    fn toml_errors_on_a_secret_line_do_not_quote_it() {
        let text = "[twilio]\nauth_token = 987654321\n";
        let error = load_str(text, &Overrides::default(), &no_env).unwrap_err();
        let shown = error.to_string();
        assert!(shown.contains("line 2"), "{shown}");
        assert!(!shown.contains("987654321"), "{shown}");
        let text = "[twilio]\napi_secret = \"abc\" junk\n";
        let shown = load_str(text, &Overrides::default(), &no_env)
            .unwrap_err()
            .to_string();
        assert!(!shown.contains("abc") && !shown.contains("junk"), "{shown}");
    }

    #[test]
    fn invalid_configurations_print_one_problem_per_line() {
        let error = load_str("", &Overrides::default(), &no_env).unwrap_err();
        let shown = error.to_string();
        let LoadError::Invalid(problems) = &error else {
            panic!("{shown}")
        };
        assert!(problems.len() >= 5, "{shown}");
        assert_eq!(shown.lines().count(), problems.len() + 1, "{shown}");
        assert!(shown.starts_with(&format!(
            "{} problems in the configuration:",
            problems.len()
        )));
        for problem in problems {
            assert!(
                shown.lines().any(|l| l.trim() == problem.to_string()),
                "{shown}"
            );
        }
    }

    #[test]
    fn python_flow_files_are_converted_by_extension_or_by_content() {
        let source = "import vbx.flows\nimport vbx.devices\n\
            auth = ('AC0123456789abcdef0123456789abcdef', 'py-token')\n\
            number = '+18001234567'\n\
            calls = {'default': [vbx.flows.Device([vbx.devices.Browser()])]}\n\
            messages = {'default': [vbx.flows.Device([vbx.devices.Browser()])]}\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flows.py");
        std::fs::write(&path, source).unwrap();
        let config = load(&path, &Overrides::default(), &no_env).unwrap();
        assert_eq!(config.twilio.auth_token.expose(), "py-token");
        assert!(config.devices.contains_key("browser"));
        let by_content = load_str(source, &Overrides::default(), &no_env).unwrap();
        assert_eq!(by_content.twilio.number, config.twilio.number);
        let without_imports = source.replace("import vbx.flows\nimport vbx.devices\n", "");
        assert!(load_str(&without_imports, &Overrides::default(), &no_env).is_ok());
    }

    #[test]
    fn errors_in_a_python_flow_file_are_legacy_errors() {
        let error = load_str(
            "import vbx\ncalls = os.system('x')\n",
            &Overrides::default(),
            &no_env,
        )
        .unwrap_err();
        let LoadError::Legacy(inner) = &error else {
            panic!("{error}")
        };
        assert_eq!((inner.line, inner.column), (2, 9));
    }

    #[test]
    fn toml_is_not_mistaken_for_python() {
        assert!(!looks_like_python("# import vbx\n[server]\n"));
        assert!(!looks_like_python("import = 1\n"));
        assert!(looks_like_python("# flows\n\nimport vbx.flows\n"));
        assert!(looks_like_python("from vbx import flows\n"));
    }

    #[test]
    fn the_shipped_example_loads_and_validates() {
        let config = load_str(EXAMPLE, &Overrides::default(), &no_env).unwrap();
        assert_eq!(
            config.server.public_url.as_str(),
            "https://vbx.example.com/"
        );
        assert!(config.twilio.api_key.is_some() && config.twilio.app_sid.is_some());
        let types: Vec<&str> = config.devices.values().map(Device::type_name).collect();
        assert_eq!(types, ["browser", "sms"]);
        assert_eq!(config.calls.len(), 3);
        assert_eq!(config.contacts.len(), 1);
    }

    #[test]
    fn the_examples_optional_lines_are_valid_when_uncommented() {
        // Optional settings are written `#key = ...` (no space), prose `# ...`.
        let uncommented: String = EXAMPLE
            .lines()
            .map(|line| match line.strip_prefix('#') {
                Some(rest) if rest.starts_with(|c: char| c.is_ascii_alphanumeric()) => rest,
                _ => line,
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert_ne!(uncommented, EXAMPLE);
        let config = load_str(&uncommented, &Overrides::default(), &no_env).unwrap();
        let mut types: Vec<&str> = config.devices.values().map(Device::type_name).collect();
        types.sort_unstable();
        assert_eq!(types, ["browser", "email", "sms", "xmpp"]);
    }
}
