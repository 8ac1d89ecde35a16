//! The crash tests' vbx: the real binary (`vbx serve`) from the shared [`Builder`] on a
//! reserved port, with a simulator started in the test as its Twilio; what the store holds
//! once it is gone, and a person using its web app.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{json, Value};

pub use crate::common::*;

/// Long enough for anything a test waits for on a loaded machine; reaching it fails the test.
pub const WAIT: Duration = Duration::from_secs(60);
/// Someone outside who texts the number.
pub const OUTSIDE: &str = "+14155550100";

/// A browser rung for every call and text.
const BROWSER: &str = r#"
[devices]
browser = { type = "browser" }

[calls]
default = [ { step = "device", devices = ["browser"] } ]

[messages]
default = [ { step = "device", devices = ["browser"] } ]
"#;

impl Setup {
    /// vbx for `sim`'s account with [`BROWSER`] flows.
    pub fn builder(sim: &TestSim) -> Builder {
        Builder::new(BROWSER).sim(sim)
    }

    pub fn new(sim: &TestSim) -> Setup {
        Self::builder(sim).setup()
    }

    /// Points the simulator's number at vbx the way `vbx setup` does.
    pub async fn wire(&self, sim: &TestSim) {
        self.try_wire(sim)
            .await
            .expect("setup against the simulator");
    }

    pub async fn try_wire(&self, sim: &TestSim) -> anyhow::Result<()> {
        let config = vbx::config::load(
            &self.config,
            &vbx::config::Overrides {
                listen: None,
                public_url: None,
                data_dir: Some(self.data.path().to_path_buf()),
            },
            &|_| None,
        )
        .expect("the test configuration is valid");
        vbx::cli::setup::setup(&config, &sim.client())
            .await
            .map(|_| ())
    }

    /// The message SIDs in the store and how often each appears (the process must be gone).
    pub async fn stored_messages(&self) -> Vec<(String, i64)> {
        let pool = self.open_db().await;
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT sid, COUNT(*) FROM messages GROUP BY sid ORDER BY sid")
                .fetch_all(&pool)
                .await
                .expect("messages");
        pool.close().await;
        rows
    }

    pub async fn integrity(&self) -> String {
        let pool = self.open_db().await;
        let ok: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&pool)
            .await
            .expect("integrity_check");
        pool.close().await;
        ok
    }

    /// The store, also while vbx runs (WAL lets a reader in beside it); the tests only read.
    pub async fn open_db(&self) -> sqlx::SqlitePool {
        let file = self.data.path().join(vbx::store::DB_FILE);
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(file);
        sqlx::SqlitePool::connect_with(options)
            .await
            .expect("the store opens")
    }
}

/// `n` texts from [`OUTSIDE`] to the number; their SIDs in order.
pub fn burst(sim: &TestSim, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            sim.sim()
                .incoming_message(twilio_sim::InboundText {
                    from: OUTSIDE.into(),
                    to: sim.number(),
                    body: format!("text {i}"),
                    media: vec![],
                })
                .expect("the text arrives")
                .to_string()
        })
        .collect()
}

/// Waits until every SID in `sids` has had its last `sms` webhook attempt (an answer or a
/// final failure), and returns those last attempts' statuses.
pub async fn final_statuses(sim: &TestSim, sids: &[String], retries: u32) -> Vec<Option<u16>> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let mut last: HashMap<&str, (u32, Option<u16>)> = HashMap::new();
        for h in sim.sim().webhooks() {
            if h.purpose != "sms" {
                continue;
            }
            if let Some(sid) = sids.iter().find(|s| **s == h.owner) {
                let entry = last.entry(sid.as_str()).or_insert((0, None));
                if h.attempt >= entry.0 {
                    *entry = (h.attempt, h.status);
                }
            }
        }
        let done = sids.iter().all(|sid| {
            last.get(sid.as_str())
                .is_some_and(|(attempt, status)| *status == Some(200) || *attempt > retries)
        });
        if done {
            return sids.iter().map(|sid| last[sid.as_str()].1).collect();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not every text's webhook ended within {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How many `sms` webhook attempts have been answered with 200 so far.
pub fn answered(sim: &TestSim) -> usize {
    sim.sim()
        .webhooks()
        .iter()
        .filter(|h| h.purpose == "sms" && h.status == Some(200))
        .count()
}

/// A person logged in to the running binary's web app (the session is in the store, so it
/// outlives a restart of vbx on the same port).
pub struct User {
    vbx: Endpoint,
    session: Session,
}

impl User {
    pub async fn login(setup: &Setup, name: &str, password: &str) -> User {
        let vbx = setup.endpoint();
        let session = vbx.login(name, password).await;
        User { vbx, session }
    }

    /// Logs in, or returns the refusal's status.
    pub async fn try_login(setup: &Setup, name: &str, password: &str) -> Result<User, u16> {
        let vbx = setup.endpoint();
        let reply = vbx.try_login(name, password).await;
        match reply.status {
            200 => Ok(User {
                session: reply.session(),
                vbx,
            }),
            status => Err(status),
        }
    }

    /// The session cookie (`vbx_session=…`).
    pub fn cookie(&self) -> &str {
        &self.session.cookie
    }

    /// The status `GET path` answers with.
    pub async fn status_of(&self, path: &str) -> u16 {
        self.vbx.get(path, &self.session).await.status
    }

    /// `GET path`, which must answer 200 with JSON.
    pub async fn get(&self, path: &str) -> Value {
        let reply = self.vbx.get(path, &self.session).await;
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.body);
        reply.json()
    }

    /// `/api/status`.
    pub async fn status(&self) -> Value {
        self.get("/api/status").await
    }

    /// Sends a text from the app (`POST /api/messages`); returns its outbox id.
    pub async fn send_text(&self, to: &str, body: &str) -> i64 {
        let text = json!({"to": to, "body": body});
        let reply = self
            .vbx
            .send_json(reqwest::Method::POST, "/api/messages", &self.session, text)
            .await;
        assert_eq!(reply.status, 202, "{}", reply.body);
        reply.json()["id"].as_i64().expect("an outbox id")
    }
}
