//! validate() of the users and the authentication settings.

use super::*;

/// A cheap argon2id hash (tests only; real ones come from `vbx user add`).
fn cheap_hash(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let params = argon2::Params::new(8, 1, 1, None).unwrap();
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    argon
        .hash_password(
            password.as_bytes(),
            &SaltString::from_b64("c2FsdHNhbHQ").unwrap(),
        )
        .unwrap()
        .to_string()
}

#[test]
fn users_load_with_their_hashes_and_login_is_the_default_auth() {
    let hash = cheap_hash("pw");
    let text = format!(
        "{BASE}\n[[users]]\nname = \"alice\"\npassword_hash = \"{hash}\"\n\n[[users]]\nname = \"bob@example.com\"\npassword_hash = \"{hash}\"\n"
    );
    let config = check(&text).unwrap();
    let names: Vec<&str> = config.users.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["alice", "bob@example.com"]);
    assert_eq!(config.user("alice").unwrap().password_hash, hash);
    assert_eq!(config.server.auth, crate::config::AuthMode::Login);
    assert!(summary(&config).contains("users: alice, bob@example.com"));
}

#[test]
fn bad_users_are_each_reported_at_their_path() {
    let argon2i = cheap_hash("pw").replace("$argon2id$", "$argon2i$");
    let good = cheap_hash("pw");
    let text = format!(
        "{BASE}\n[[users]]\nname = \"a b\"\npassword_hash = \"{good}\"\n\
         [[users]]\nname = \"carol\"\npassword_hash = \"plaintext-password\"\n\
         [[users]]\nname = \"dave\"\npassword_hash = \"{argon2i}\"\n\
         [[users]]\nname = \"erin\"\n\
         [[users]]\nname = \"erin\"\npassword_hash = \"{good}\"\n"
    );
    let problems = problems(&text);
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "users[0].name",
            "users[1].password_hash",
            "users[2].password_hash",
            "users[3].password_hash",
            "users[4].name",
        ],
        "{problems:#?}"
    );
    assert!(
        problems[1].fix.contains("vbx passwd carol"),
        "{}",
        problems[1]
    );
    assert!(!problems[1].to_string().contains("plaintext-password"));
    assert!(problems[2].message.contains("argon2i"), "{}", problems[2]);
    assert!(problems[4].message.contains("more than once"));
}

#[test]
fn an_unknown_key_in_a_user_is_a_toml_error() {
    let text = format!("{BASE}\n[[users]]\nname = \"alice\"\npassword = \"x\"\n");
    match load_str(&text, &Overrides::default(), &|_| None) {
        Err(LoadError::Toml { message }) => {
            // The line holds a password-like key, so the names are redacted.
            let line = text
                .lines()
                .position(|l| l.starts_with("password ="))
                .unwrap()
                + 1;
            assert!(
                message.starts_with(&format!("line {line}, column 1: unknown field")),
                "{message}"
            );
            assert!(!message.contains("\"x\""));
        }
        Err(other) => panic!("expected a TOML error, got {other}"),
        Ok(_) => panic!("expected a TOML error"),
    }
}

#[test]
fn proxy_auth_takes_a_header_that_defaults_to_x_remote_user() {
    let proxy = check(&with(&[("[server]\n", "[server]\nauth = \"proxy\"\n")])).unwrap();
    assert_eq!(
        proxy.server.auth,
        crate::config::AuthMode::Proxy {
            header: "x-remote-user".into()
        }
    );
    assert!(summary(&proxy).contains("`x-remote-user` header"));
    let custom = check(&with(&[(
        "[server]\n",
        "[server]\nauth = \"proxy\"\nproxy_header = \"X-Forwarded-User\"\n",
    )]))
    .unwrap();
    assert_eq!(
        custom.server.auth,
        crate::config::AuthMode::Proxy {
            header: "x-forwarded-user".into()
        }
    );
}

#[test]
fn bad_auth_settings_are_reported() {
    let p = problems(&with(&[("[server]\n", "[server]\nauth = \"basic\"\n")]));
    assert_eq!(
        at(&p, "server.auth").message,
        "`basic` is not an authentication mode"
    );
    let p = problems(&with(&[(
        "[server]\n",
        "[server]\nauth = \"proxy\"\nproxy_header = \"Cookie\"\n",
    )]));
    at(&p, "server.proxy_header");
    let p = problems(&with(&[(
        "[server]\n",
        "[server]\nauth = \"proxy\"\nproxy_header = \"not a header\"\n",
    )]));
    assert!(at(&p, "server.proxy_header")
        .message
        .contains("not an HTTP header"));
}

#[test]
fn the_summary_says_when_nobody_can_log_in() {
    let summary = summary(&check(BASE).unwrap());
    assert!(summary.contains("vbx user add NAME"), "{summary}");
}

#[test]
fn a_metrics_token_must_be_long_and_never_prints() {
    let short = problems(&with(&[(
        "[server]\n",
        "[server]\nmetrics_token = \"guessable\"\n",
    )]));
    let problem = at(&short, "server.metrics_token");
    assert!(problem.fix.contains("openssl rand"), "{problem:?}");
    assert!(!format!("{short:?}").contains("guessable"), "{short:?}");
    let token = "a-long-random-metrics-token-123456";
    let config = check(&with(&[(
        "[server]\n",
        &format!("[server]\nmetrics_token = \"{token}\"\n"),
    )]))
    .unwrap();
    assert_eq!(
        config.server.metrics_token.as_ref().map(|t| t.expose()),
        Some(token)
    );
    assert!(!format!("{:?}", config.server).contains(token));
}
