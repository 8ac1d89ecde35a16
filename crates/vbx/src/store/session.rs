//! Login sessions (keyed by the SHA-256 of the cookie's token) and the random keys vbx makes
//! for itself.

use sqlx::SqliteExecutor;

use super::{Context, Result};

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

pub async fn create(exec: impl SqliteExecutor<'_>, session: &SessionRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions \
           (token_hash, user_name, csrf, created_at, last_seen, expires_at, password_tag) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&session.token_hash)
    .bind(&session.user_name)
    .bind(&session.csrf)
    .bind(session.created_at)
    .bind(session.last_seen)
    .bind(session.expires_at)
    .bind(&session.password_tag)
    .execute(exec)
    .await
    .op("create session")?;
    Ok(())
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

/// Records use and pushes the expiry out (the sliding window).
pub async fn touch(
    exec: impl SqliteExecutor<'_>,
    token_hash: &str,
    now_ms: i64,
    expires_at: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE sessions SET last_seen = $2, expires_at = $3 \
         WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now_ms)
    .bind(expires_at)
    .execute(exec)
    .await
    .op("touch session")?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete(exec: impl SqliteExecutor<'_>, token_hash: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(exec)
        .await
        .op("delete session")?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete_expired(exec: impl SqliteExecutor<'_>, now_ms: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now_ms)
        .execute(exec)
        .await
        .op("delete expired sessions")?;
    Ok(done.rows_affected())
}

/// Ends every session but those of `users` (name, password tag): the sessions of users no
/// longer in the configuration and those opened with an older password.
pub async fn keep_only(exec: impl SqliteExecutor<'_>, users: &[(String, String)]) -> Result<u64> {
    let users = serde_json::to_string(users).unwrap_or_default();
    let done = sqlx::query(
        "DELETE FROM sessions WHERE NOT EXISTS (SELECT 1 FROM json_each($1) \
           WHERE json_extract(value, '$[0]') = sessions.user_name \
             AND json_extract(value, '$[1]') = sessions.password_tag)",
    )
    .bind(users)
    .execute(exec)
    .await
    .op("delete sessions of removed users and old passwords")?;
    Ok(done.rows_affected())
}

/// The secret called `name`, stored as `generated` the first time it is asked for.
pub async fn app_secret<'c, E>(exec: E, name: &str, generated: &str) -> Result<String>
where
    E: SqliteExecutor<'c>,
{
    // One statement: concurrent first calls agree on one value.
    sqlx::query_scalar::<_, String>(
        "INSERT INTO app_secrets (name, value) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET value = app_secrets.value \
         RETURNING value",
    )
    .bind(name)
    .bind(generated)
    .fetch_one(exec)
    .await
    .op("app secret")
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
        create(store.pool(), &row("h1", "alice", 5_000))
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
        assert!(touch(store.pool(), "h1", 4_000, 9_000).await.unwrap());
        let found = find(store.pool(), "h1", 8_000).await.unwrap().unwrap();
        assert_eq!((found.last_seen, found.expires_at), (4_000, 9_000));
        assert!(!touch(store.pool(), "h1", 9_500, 20_000).await.unwrap());
    }

    #[tokio::test]
    async fn deleting_sessions_by_token_expiry_removed_user_and_changed_password() {
        let (_dir, store) = store().await;
        create(store.pool(), &row("a", "alice", 5_000))
            .await
            .unwrap();
        create(store.pool(), &row("b", "bob", 50_000))
            .await
            .unwrap();
        create(store.pool(), &row("c", "carol", 50_000))
            .await
            .unwrap();
        create(store.pool(), &row("d", "dave", 50_000))
            .await
            .unwrap();
        assert_eq!(delete_expired(store.pool(), 6_000).await.unwrap(), 1);
        // Carol is gone from the configuration; Dave has a new password.
        let users = [
            ("bob".to_owned(), "tag-bob".to_owned()),
            ("dave".to_owned(), "tag-dave-new".to_owned()),
        ];
        assert_eq!(keep_only(store.pool(), &users).await.unwrap(), 2);
        assert!(find(store.pool(), "b", 6_000).await.unwrap().is_some());
        assert!(find(store.pool(), "d", 6_000).await.unwrap().is_none());
        assert!(delete(store.pool(), "b").await.unwrap());
        assert!(!delete(store.pool(), "b").await.unwrap());
    }

    #[tokio::test]
    async fn an_app_secret_is_generated_once_and_then_kept() {
        let (_dir, store) = store().await;
        let first = app_secret(store.pool(), "csrf", "one").await.unwrap();
        let second = app_secret(store.pool(), "csrf", "two").await.unwrap();
        assert_eq!((first.as_str(), second.as_str()), ("one", "one"));
    }
}
