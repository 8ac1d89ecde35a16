//! Login sessions (keyed by the SHA-256 of the cookie's token) and the random keys vbx makes
//! for itself.

use rusqlite::params;
use sqlx::SqliteExecutor;

use super::{Context, Result, Store};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    /// Hex SHA-256 of the token in the cookie.
    pub token_hash: String,
    pub user_name: String,
    pub csrf: String,
    pub created_at: i64,
    pub last_seen: i64,
    pub expires_at: i64,
    /// The user's password when the session began (`config::User::password_tag`).
    pub password_tag: String,
}

/// Sessions and the app's own keys as use cases of the store, each one job on the writer
/// thread.
impl Store {
    pub async fn create_session(&self, session: &SessionRow) -> Result<()> {
        let session = session.clone();
        self.write(move |conn| {
            let op = "create session";
            conn.prepare_cached(
                "INSERT INTO sessions \
                   (token_hash, user_name, csrf, created_at, last_seen, expires_at, password_tag) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .op(op)?
            .execute(params![
                session.token_hash,
                session.user_name,
                session.csrf,
                session.created_at,
                session.last_seen,
                session.expires_at,
                session.password_tag,
            ])
            .op(op)?;
            Ok(())
        })
        .await
    }

    /// Records use and pushes the expiry out (the sliding window); `false` if the session
    /// is gone or expired.
    pub async fn touch_session(&self, token_hash: &str, now: i64, expires_at: i64) -> Result<bool> {
        let token_hash = token_hash.to_owned();
        self.write(move |conn| {
            let op = "touch session";
            let done = conn
                .prepare_cached(
                    "UPDATE sessions SET last_seen = ?2, expires_at = ?3 \
                     WHERE token_hash = ?1 AND expires_at > ?2",
                )
                .op(op)?
                .execute(params![token_hash, now, expires_at])
                .op(op)?;
            Ok(done == 1)
        })
        .await
    }

    /// Ends one session; `false` if there was none.
    pub async fn end_session(&self, token_hash: &str) -> Result<bool> {
        let token_hash = token_hash.to_owned();
        self.write(move |conn| {
            let op = "delete session";
            let done = conn
                .prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")
                .op(op)?
                .execute(params![token_hash])
                .op(op)?;
            Ok(done == 1)
        })
        .await
    }

    /// At start: ends the sessions expired at `now` and, with `users` (name, password tag;
    /// login mode), every session but theirs — those of users no longer in the configuration
    /// and those opened with an older password. Answers how many ended.
    pub async fn end_stale_sessions(
        &self,
        now: i64,
        users: Option<&[(String, String)]>,
    ) -> Result<u64> {
        let users = users.map(|u| serde_json::to_string(u).unwrap_or_default());
        self.write(move |conn| {
            let op = "end stale sessions";
            let mut ended = conn
                .prepare_cached("DELETE FROM sessions WHERE expires_at <= ?1")
                .op(op)?
                .execute(params![now])
                .op(op)?;
            if let Some(users) = &users {
                ended += conn
                    .prepare_cached(
                        "DELETE FROM sessions WHERE NOT EXISTS (SELECT 1 FROM json_each(?1) \
                           WHERE json_extract(value, '$[0]') = sessions.user_name \
                             AND json_extract(value, '$[1]') = sessions.password_tag)",
                    )
                    .op(op)?
                    .execute(params![users])
                    .op(op)?;
            }
            Ok(u64::try_from(ended).unwrap_or(u64::MAX))
        })
        .await
    }

    /// The secret called `name`, stored as `generated` the first time it is asked for.
    pub async fn app_secret(&self, name: &str, generated: &str) -> Result<String> {
        let (name, generated) = (name.to_owned(), generated.to_owned());
        self.write(move |conn| {
            let op = "app secret";
            conn.prepare_cached(
                "INSERT INTO app_secrets (name, value) VALUES (?1, ?2) \
                 ON CONFLICT (name) DO UPDATE SET value = app_secrets.value \
                 RETURNING value",
            )
            .op(op)?
            .query_row(params![name, generated], |row| row.get(0))
            .op(op)
        })
        .await
    }
}

/// The session, unless it is unknown or expired at `now_ms`.
pub async fn find(
    exec: impl SqliteExecutor<'_>,
    token_hash: &str,
    now_ms: i64,
) -> Result<Option<SessionRow>> {
    sqlx::query_as::<_, SessionRow>(
        "SELECT * FROM sessions WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now_ms)
    .fetch_optional(exec)
    .await
    .op("find session")
}

/// Ends every session of `user` in the store in `data_dir`, whether or not a vbx is running
/// on it (`vbx passwd`): its next request is a 401. A data directory without a store has none.
pub fn end_sessions_of(data_dir: &std::path::Path, user: &str) -> Result<usize> {
    let path = data_dir.join(super::DB_FILE);
    if !path.exists() {
        return Ok(0);
    }
    let op = "end a user's sessions";
    let conn = rusqlite::Connection::open_with_flags(
        &path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .op(op)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .op(op)?;
    conn.execute("DELETE FROM sessions WHERE user_name = ?1", [user])
        .op(op)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::store;

    fn row(hash: &str, user: &str, expires_at: i64) -> SessionRow {
        SessionRow {
            token_hash: hash.into(),
            user_name: user.into(),
            csrf: format!("csrf-{hash}"),
            created_at: 1_000,
            last_seen: 1_000,
            expires_at,
            password_tag: format!("tag-{user}"),
        }
    }

    #[tokio::test]
    async fn a_session_is_found_until_it_expires_and_touching_slides_it() {
        let (_dir, store) = store().await;
        store
            .create_session(&row("h1", "alice", 5_000))
            .await
            .unwrap();
        assert_eq!(
            find(store.pool(), "h1", 4_999)
                .await
                .unwrap()
                .unwrap()
                .user_name,
            "alice"
        );
        assert_eq!(find(store.pool(), "h1", 5_000).await.unwrap(), None);
        assert!(store.touch_session("h1", 4_000, 9_000).await.unwrap());
        let found = find(store.pool(), "h1", 8_000).await.unwrap().unwrap();
        assert_eq!((found.last_seen, found.expires_at), (4_000, 9_000));
        assert!(!store.touch_session("h1", 9_500, 20_000).await.unwrap());
    }

    #[tokio::test]
    async fn deleting_sessions_by_token_expiry_removed_user_and_changed_password() {
        let (_dir, store) = store().await;
        store
            .create_session(&row("a", "alice", 5_000))
            .await
            .unwrap();
        store
            .create_session(&row("b", "bob", 50_000))
            .await
            .unwrap();
        store
            .create_session(&row("c", "carol", 50_000))
            .await
            .unwrap();
        store
            .create_session(&row("d", "dave", 50_000))
            .await
            .unwrap();
        assert_eq!(store.end_stale_sessions(6_000, None).await.unwrap(), 1);
        // Carol is gone from the configuration; Dave has a new password.
        let users = [
            ("bob".to_owned(), "tag-bob".to_owned()),
            ("dave".to_owned(), "tag-dave-new".to_owned()),
        ];
        assert_eq!(
            store.end_stale_sessions(6_000, Some(&users)).await.unwrap(),
            2
        );
        assert!(find(store.pool(), "b", 6_000).await.unwrap().is_some());
        assert!(find(store.pool(), "d", 6_000).await.unwrap().is_none());
        assert!(store.end_session("b").await.unwrap());
        assert!(!store.end_session("b").await.unwrap());
    }

    #[tokio::test]
    async fn an_app_secret_is_generated_once_and_then_kept() {
        let (_dir, store) = store().await;
        let first = store.app_secret("csrf", "one").await.unwrap();
        let second = store.app_secret("csrf", "two").await.unwrap();
        assert_eq!((first.as_str(), second.as_str()), ("one", "one"));
    }
}
