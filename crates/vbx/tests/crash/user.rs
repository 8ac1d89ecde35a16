//! A person using the running binary's web app: `[[users]]` lines for the configuration, the
//! login, and JSON requests with the session cookie and CSRF token (the session is in the
//! store, so it outlives a restart of vbx on the same port).

use argon2::password_hash::{PasswordHasher, SaltString};
use serde_json::{json, Value};

/// A cheap argon2id hash: the default parameters would make every login slow in a debug build.
fn cheap_hash(password: &str) -> String {
    let params = argon2::Params::new(8, 1, 1, None).expect("params");
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon
        .hash_password(password.as_bytes(), &salt)
        .expect("hash")
        .to_string()
}

/// A `[[users]]` entry for the configuration.
pub fn users_toml(name: &str, password: &str) -> String {
    format!(
        "\n[[users]]\nname = \"{name}\"\npassword_hash = \"{}\"\n",
        cheap_hash(password)
    )
}

pub struct User {
    http: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

impl User {
    /// Logs in at `http://127.0.0.1:{port}`.
    pub async fn login(port: u16, name: &str, password: &str) -> User {
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let reply = http
            .post(format!("{base}/api/login"))
            .json(&json!({"name": name, "password": password}))
            .send()
            .await
            .expect("vbx answers");
        assert_eq!(reply.status(), 200, "login refused");
        let cookie = reply
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("a session cookie")
            .to_owned();
        let body: Value = reply.json().await.expect("JSON");
        let csrf = body["csrf"].as_str().expect("a CSRF token").to_owned();
        User {
            http,
            base,
            cookie,
            csrf,
        }
    }

    /// Logs in, or returns the refusal's status.
    pub async fn try_login(port: u16, name: &str, password: &str) -> Result<User, u16> {
        let reply = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{port}/api/login"))
            .json(&json!({"name": name, "password": password}))
            .send()
            .await
            .expect("vbx answers");
        match reply.status().as_u16() {
            200 => Ok(User::login(port, name, password).await),
            status => Err(status),
        }
    }

    /// The session cookie (`vbx_session=…`).
    pub fn cookie(&self) -> &str {
        &self.cookie
    }

    /// The status `GET path` answers with.
    pub async fn status_of(&self, path: &str) -> u16 {
        self.http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("vbx answers")
            .status()
            .as_u16()
    }

    /// `GET path`, which must answer 200 with JSON.
    pub async fn get(&self, path: &str) -> Value {
        let reply = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("vbx answers");
        let status = reply.status();
        let body = reply.text().await.expect("body");
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).expect("JSON")
    }

    /// `/api/status`.
    pub async fn status(&self) -> Value {
        self.get("/api/status").await
    }

    /// Sends a text from the app (`POST /api/messages`); returns its outbox id.
    pub async fn send_text(&self, to: &str, body: &str) -> i64 {
        let reply = self
            .http
            .post(format!("{}/api/messages", self.base))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .json(&json!({"to": to, "body": body}))
            .send()
            .await
            .expect("vbx answers");
        let status = reply.status();
        let answer: Value = reply.json().await.expect("JSON");
        assert_eq!(status, 202, "{answer}");
        answer["id"].as_i64().expect("an outbox id")
    }
}
