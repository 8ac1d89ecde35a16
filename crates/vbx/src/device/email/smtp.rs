//! SMTP through lettre: one connection per email in the device's TLS mode, lettre's errors
//! sorted into what may pass (retried) and what will not, and the hints that
//! `vbx send-test-email` prints for each.

use std::error::Error as _;
use std::fmt;
use std::io::ErrorKind;
use std::time::Duration;

use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{self, SmtpSecurity};

/// Connecting gives up after this; the whole conversation is bounded by the caller.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long `vbx send-test-email` waits for the whole conversation.
const TEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Why an email did not go out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmtpFailure {
    /// The server answered with a negative reply: 4xx may pass, 5xx will not.
    Reply { code: u16, message: String },
    /// Nothing listens on the host and port.
    Refused(String),
    /// No connection or no answer in time.
    Timeout,
    /// The TLS handshake failed (a plain-text port, a certificate that is not trusted, …).
    Tls(String),
    /// lettre stopped before sending: the server does not offer STARTTLS or a login
    /// mechanism it could use, or cannot take the message's encoding.
    Client(String),
    /// Name resolution or the connection failed otherwise.
    Network(String),
    /// The email could not be written (e.g. the device's address does not parse).
    Compose(String),
}

impl SmtpFailure {
    /// Whether retrying cannot help: a 5xx answer, or an email that cannot be built. Setup
    /// problems (TLS, STARTTLS or AUTH not offered) are retried, so mail flows again once the
    /// setup is fixed; the status endpoint shows them meanwhile.
    pub fn is_permanent(&self) -> bool {
        match self {
            SmtpFailure::Reply { code, .. } => *code >= 500 && !self.is_setup(),
            SmtpFailure::Compose(_) => true,
            SmtpFailure::Refused(_)
            | SmtpFailure::Timeout
            | SmtpFailure::Tls(_)
            | SmtpFailure::Client(_)
            | SmtpFailure::Network(_) => false,
        }
    }

    /// A refusal the device's settings cause, not the email: the login (530 authentication
    /// required, 534/538 a mechanism or encryption it wants, 535 wrong credentials), TLS, or
    /// what the server offers. Retried, and the fix is in the configuration.
    pub fn is_setup(&self) -> bool {
        match self {
            SmtpFailure::Reply { code, .. } => matches!(code, 530 | 534 | 535 | 538),
            SmtpFailure::Tls(_) | SmtpFailure::Client(_) => true,
            _ => false,
        }
    }

    fn from_lettre(error: &lettre::transport::smtp::Error) -> SmtpFailure {
        let source = error.source().map(ToString::to_string).unwrap_or_default();
        if let Some(code) = error.status() {
            return SmtpFailure::Reply {
                code: u16::from(code),
                message: source,
            };
        }
        let mut cause = error.source();
        while let Some(err) = cause {
            if let Some(io) = err.downcast_ref::<std::io::Error>() {
                match io.kind() {
                    ErrorKind::ConnectionRefused => return SmtpFailure::Refused(io.to_string()),
                    ErrorKind::TimedOut => return SmtpFailure::Timeout,
                    // tokio-rustls reports handshake failures as invalid data.
                    ErrorKind::InvalidData => return SmtpFailure::Tls(io.to_string()),
                    _ => {}
                }
            }
            cause = err.source();
        }
        if error.is_tls() {
            SmtpFailure::Tls(source)
        } else if error.is_client() {
            SmtpFailure::Client(source)
        } else {
            SmtpFailure::Network(error.to_string())
        }
    }
}

impl fmt::Display for SmtpFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SmtpFailure::Reply { code, message } => {
                write!(f, "the SMTP server answered {code} {message}")
            }
            SmtpFailure::Refused(detail) => {
                write!(f, "the SMTP server refused the connection ({detail})")
            }
            SmtpFailure::Timeout => f.write_str("the SMTP server did not answer in time"),
            SmtpFailure::Tls(detail) => write!(f, "TLS with the SMTP server failed: {detail}"),
            SmtpFailure::Client(detail) => {
                write!(f, "cannot send through this SMTP server: {detail}")
            }
            SmtpFailure::Network(detail) => write!(f, "cannot reach the SMTP server: {detail}"),
            SmtpFailure::Compose(detail) => f.write_str(detail),
        }
    }
}

fn transport(config: &config::Email) -> Result<AsyncSmtpTransport<Tokio1Executor>, SmtpFailure> {
    let tls_parameters = || {
        TlsParameters::new(config.smtp_host.clone()).map_err(|e| {
            SmtpFailure::Tls(format!(
                "cannot set up TLS for `{}`: {}",
                config.smtp_host,
                e.source()
                    .map(ToString::to_string)
                    .unwrap_or_else(|| e.to_string())
            ))
        })
    };
    let tls = match config.security {
        SmtpSecurity::None => Tls::None,
        SmtpSecurity::StartTls => Tls::Required(tls_parameters()?),
        SmtpSecurity::Tls => Tls::Wrapper(tls_parameters()?),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.smtp_host)
        .port(config.smtp_port)
        .tls(tls)
        .timeout(Some(CONNECT_TIMEOUT));
    if let Some(username) = &config.username {
        let password = config
            .password
            .as_ref()
            .map(|p| p.expose().to_owned())
            .unwrap_or_default();
        builder = builder.credentials(Credentials::new(username.clone(), password));
    }
    Ok(builder.build())
}

/// Sends `message` over a new connection; returns the server's final answer.
pub(super) async fn send(
    config: &config::Email,
    message: Message,
    timeout: Duration,
) -> Result<String, SmtpFailure> {
    let transport = transport(config)?;
    match tokio::time::timeout(timeout, transport.send(message)).await {
        Err(_) => Err(SmtpFailure::Timeout),
        Ok(Err(e)) => Err(SmtpFailure::from_lettre(&e)),
        Ok(Ok(response)) => {
            let text: Vec<&str> = response.message().collect();
            Ok(format!("{} {}", response.code(), text.join(" ")))
        }
    }
}

/// What the operator should change, for a failure of `config`.
pub fn hint(config: &config::Email, failure: &SmtpFailure) -> String {
    let host = &config.smtp_host;
    let port = config.smtp_port;
    let at = format!("{host}:{port}");
    let usual = "the usual settings are port 587 with security = \"starttls\", port 465 with \
                 security = \"tls\", or port 25 with security = \"none\"";
    let security = match config.security {
        SmtpSecurity::None => "none",
        SmtpSecurity::StartTls => "starttls",
        SmtpSecurity::Tls => "tls",
    };
    match failure {
        SmtpFailure::Refused(_) => format!(
            "nothing accepts connections on {at}: check `smtp_host` and `smtp_port` ({usual})"
        ),
        SmtpFailure::Timeout if port == 465 && config.security != SmtpSecurity::Tls => format!(
            "port 465 usually needs security = \"tls\": the server waits for a TLS handshake \
             while security = \"{security}\" waits for its greeting"
        ),
        SmtpFailure::Timeout => format!(
            "{at} did not answer in time: a firewall may drop the connection, or the port \
             expects another security mode ({usual})"
        ),
        SmtpFailure::Tls(detail) if is_plain_text_answer(detail) => match port {
            587 => "port 587 usually needs security = \"starttls\": the server answered in \
                    plain text, not TLS"
                .to_owned(),
            25 => "port 25 usually needs security = \"starttls\" or \"none\": the server \
                   answered in plain text, not TLS"
                .to_owned(),
            _ => format!(
                "{at} answered in plain text, not TLS: use security = \"starttls\" for this \
                 port, or security = \"tls\" with the server's implicit-TLS port (usually 465)"
            ),
        },
        SmtpFailure::Tls(detail) if detail.contains("certificate") => format!(
            "the server's TLS certificate was not accepted ({detail}): `smtp_host` must be the \
             name on the certificate (\"{host}\" is used now) and the certificate must be \
             signed by a public certificate authority"
        ),
        SmtpFailure::Tls(detail) => {
            format!("the TLS handshake with {at} failed ({detail}); {usual}")
        }
        SmtpFailure::Client(detail) if detail.contains("STARTTLS") => format!(
            "the server on {at} does not offer STARTTLS: if this is its implicit-TLS port \
             (usually 465) use security = \"tls\"; use security = \"none\" only for a trusted \
             local relay"
        ),
        SmtpFailure::Client(detail)
            if detail.contains("authentication mechanism")
                && config.security == SmtpSecurity::None =>
        {
            "the server offers no login on an unencrypted connection: use security = \
             \"starttls\" (port 587) or \"tls\" (port 465)"
                .to_owned()
        }
        SmtpFailure::Client(detail) if detail.contains("authentication mechanism") => {
            "the server offers no login vbx can use (AUTH PLAIN or LOGIN): remove `username` \
             and `password` if it needs none"
                .to_owned()
        }
        SmtpFailure::Client(detail) => format!("{detail}; {usual}"),
        SmtpFailure::Reply {
            code: 535 | 534, ..
        } => format!(
            "the server refused the login for username \"{}\": check `username` and the \
             password (`password`, `password_file` or VBX_DEVICE_<NAME>_PASSWORD)",
            config.username.as_deref().unwrap_or_default()
        ),
        SmtpFailure::Reply { code: 530, message }
            if message.to_ascii_uppercase().contains("STARTTLS") =>
        {
            "the server wants STARTTLS first: port 587 usually needs security = \"starttls\""
                .to_owned()
        }
        SmtpFailure::Reply { code: 530, .. } if config.username.is_none() => {
            "the server requires a login: set `username` and `password`".to_owned()
        }
        SmtpFailure::Reply {
            code: 550..=554, ..
        } => format!(
            "the server refused the mail: check that `from` ({}) is an address this account \
             may send as, and that `to` ({}) is right",
            config.from, config.to
        ),
        SmtpFailure::Reply {
            code: 400..=499, ..
        } => "the server refuses mail for now; vbx retries such emails with backoff, so try \
             again later"
            .to_owned(),
        SmtpFailure::Reply { .. } => {
            "the server refused the mail; its answer above says why".to_owned()
        }
        SmtpFailure::Network(_) => {
            format!("check that `smtp_host` (\"{host}\") is right and reachable from here")
        }
        SmtpFailure::Compose(_) => "check the device's `from` and `to` addresses".to_owned(),
    }
}

/// rustls's complaint when the first bytes are an SMTP greeting instead of a TLS record.
fn is_plain_text_answer(detail: &str) -> bool {
    detail.contains("InvalidContentType") || detail.contains("corrupt message")
}

/// Sends a short test email with `config` (for `vbx send-test-email`); `Err` says what went
/// wrong and, on a line starting with `hint:`, what to change.
pub async fn send_test_email(config: &config::Email) -> Result<(), String> {
    send_test_email_within(config, TEST_TIMEOUT).await
}

/// [`send_test_email`] with a chosen time limit for the whole conversation.
pub async fn send_test_email_within(
    config: &config::Email,
    timeout: Duration,
) -> Result<(), String> {
    let message = test_message(config).map_err(|e| {
        let failure = SmtpFailure::Compose(e);
        format!("{failure}\nhint: {}", hint(config, &failure))
    })?;
    send(config, message, timeout)
        .await
        .map(drop)
        .map_err(|failure| format!("{failure}\nhint: {}", hint(config, &failure)))
}

fn test_message(config: &config::Email) -> Result<Message, String> {
    let address = |value: &str, key: &str| {
        value
            .parse::<Address>()
            .map(|a| Mailbox::new(None, a))
            .map_err(|e| format!("`{value}` (the device's `{key}`) is not an email address: {e}"))
    };
    let security = match config.security {
        SmtpSecurity::None => "no TLS",
        SmtpSecurity::StartTls => "STARTTLS",
        SmtpSecurity::Tls => "TLS",
    };
    let body = format!(
        "This is a test from vbx. Texts for this email device will arrive like this one, \
         from {} to {} through {}:{} ({security}).\n",
        config.from, config.to, config.smtp_host, config.smtp_port
    );
    Message::builder()
        .from(address(&config.from, "from")?)
        .to(address(&config.to, "to")?)
        .subject("vbx test email")
        .singlepart(SinglePart::plain(body))
        .map_err(|e| format!("cannot build the test email: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(port: u16, security: SmtpSecurity) -> config::Email {
        config::Email {
            from: "vbx@example.com".into(),
            to: "me@example.com".into(),
            smtp_host: "smtp.example.com".into(),
            smtp_port: port,
            security,
            username: Some("vbx".into()),
            password: None,
        }
    }

    #[test]
    fn only_5xx_answers_but_the_settings_own_and_unbuildable_mail_are_permanent() {
        let reply = |code| SmtpFailure::Reply {
            code,
            message: String::new(),
        };
        assert!(reply(550).is_permanent());
        // The login: fixed in the configuration, so retried.
        for code in [530, 534, 535, 538] {
            assert!(!reply(code).is_permanent(), "{code}");
            assert!(reply(code).is_setup(), "{code}");
        }
        assert!(!reply(550).is_setup());
        assert!(!reply(421).is_permanent());
        assert!(!reply(451).is_permanent());
        assert!(!SmtpFailure::Timeout.is_permanent());
        assert!(!SmtpFailure::Refused(String::new()).is_permanent());
        assert!(!SmtpFailure::Tls(String::new()).is_permanent());
        assert!(SmtpFailure::Compose(String::new()).is_permanent());
    }

    #[test]
    fn a_hang_on_port_465_without_tls_points_at_tls() {
        let hint = hint(&config(465, SmtpSecurity::StartTls), &SmtpFailure::Timeout);
        assert!(
            hint.contains("port 465 usually needs security = \"tls\""),
            "{hint}"
        );
    }

    #[test]
    fn a_plain_text_answer_on_587_points_at_starttls() {
        let failure =
            SmtpFailure::Tls("received corrupt message of type InvalidContentType".into());
        let hint = hint(&config(587, SmtpSecurity::Tls), &failure);
        assert!(
            hint.contains("port 587 usually needs security = \"starttls\""),
            "{hint}"
        );
    }

    #[test]
    fn a_530_asking_for_starttls_points_at_starttls() {
        let failure = SmtpFailure::Reply {
            code: 530,
            message: "5.7.0 Must issue a STARTTLS command first".into(),
        };
        let hint = hint(&config(587, SmtpSecurity::None), &failure);
        assert!(hint.contains("security = \"starttls\""), "{hint}");
    }
}
