//! `[[users]]` and `[server] auth`: who may use the web app, and how vbx learns who they are.

use std::collections::BTreeSet;

use super::value::Ctx;
use super::RawServer;
use crate::config::load::RawUser;
use crate::config::user::{is_valid_name, NAME_RULE};
use crate::config::{AuthMode, User};

pub const DEFAULT_PROXY_HEADER: &str = "X-Remote-User";

pub(super) fn auth_mode(cx: &mut Ctx, raw: &RawServer) -> Option<AuthMode> {
    match raw.auth.as_deref().unwrap_or("login") {
        "login" => Some(AuthMode::Login),
        "proxy" => {
            let header = raw.proxy_header.as_deref().unwrap_or(DEFAULT_PROXY_HEADER);
            match axum::http::HeaderName::from_bytes(header.as_bytes()) {
                Ok(name) if !is_reserved(&name) => Some(AuthMode::Proxy {
                    header: name.as_str().to_owned(),
                }),
                Ok(_) => {
                    cx.problem(
                        "server.proxy_header",
                        format!("`{header}` is a header browsers or HTTP itself set"),
                        "use the header your proxy sets after authenticating, e.g. \"X-Remote-User\"",
                    );
                    None
                }
                Err(_) => {
                    cx.problem(
                        "server.proxy_header",
                        format!("`{header}` is not an HTTP header name"),
                        "write a header name such as \"X-Remote-User\"",
                    );
                    None
                }
            }
        }
        other => {
            cx.problem(
                "server.auth",
                format!("`{other}` is not an authentication mode"),
                "write \"login\" (vbx's own login page) or \"proxy\" (a reverse proxy names the user in `proxy_header`)",
            );
            None
        }
    }
}

/// Headers a browser can set or that carry something else: trusting them would let anyone in.
fn is_reserved(name: &axum::http::HeaderName) -> bool {
    use axum::http::header;
    [
        header::COOKIE,
        header::HOST,
        header::AUTHORIZATION,
        header::ORIGIN,
        header::REFERER,
        header::USER_AGENT,
        header::CONTENT_TYPE,
    ]
    .contains(name)
}

pub(super) fn users(cx: &mut Ctx, raw: &[RawUser]) -> Option<Vec<User>> {
    let mut users = Vec::new();
    let mut seen = BTreeSet::new();
    let mut ok = true;
    for (index, entry) in raw.iter().enumerate() {
        let path = format!("users[{index}]");
        let name = match entry.name.as_deref() {
            None => {
                cx.problem(
                    format!("{path}.name"),
                    "the user has no `name`",
                    "add `name = \"…\"`, or create users with `vbx user add NAME --config FILE`",
                );
                None
            }
            Some(name) if !is_valid_name(name) => {
                cx.problem(
                    format!("{path}.name"),
                    format!("`{name}` is not a user name"),
                    NAME_RULE,
                );
                None
            }
            Some(name) if !seen.insert(name.to_owned()) => {
                cx.problem(
                    format!("{path}.name"),
                    format!("user `{name}` appears more than once"),
                    "keep one `[[users]]` entry per name",
                );
                None
            }
            Some(name) => Some(name.to_owned()),
        };
        let fix = format!(
            "set it with `vbx passwd {} --config FILE`",
            name.as_deref().unwrap_or("NAME")
        );
        let hash = match entry.password_hash.as_deref() {
            None => {
                cx.problem(
                    format!("{path}.password_hash"),
                    "the user has no `password_hash`",
                    fix,
                );
                None
            }
            Some(hash) => match argon2::PasswordHash::new(hash) {
                Ok(parsed) if parsed.algorithm.as_str() == "argon2id" => Some(hash.to_owned()),
                Ok(parsed) => {
                    cx.problem(
                        format!("{path}.password_hash"),
                        format!(
                            "the hash uses `{}`; vbx accepts argon2id hashes only",
                            parsed.algorithm
                        ),
                        fix,
                    );
                    None
                }
                // The hash is not quoted: it is derived from the password.
                Err(error) => {
                    cx.problem(
                        format!("{path}.password_hash"),
                        format!("not an argon2id PHC string ($argon2id$v=19$…): {error}"),
                        fix,
                    );
                    None
                }
            },
        };
        match (name, hash) {
            (Some(name), Some(password_hash)) => users.push(User {
                name,
                password_hash,
            }),
            _ => ok = false,
        }
    }
    ok.then_some(users)
}
