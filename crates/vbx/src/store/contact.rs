//! Contacts as the app shows and edits them, seeded from the configuration's `[contacts]`
//! without ever overwriting what a user changed (or bringing back what a user deleted).

use serde::Serialize;
use sqlx::{Acquire, Sqlite, SqliteExecutor};

use super::{Context, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Contact {
    pub number: String,
    pub name: String,
}

/// Every contact, by name (case-insensitively), then number.
pub async fn list(exec: impl SqliteExecutor<'_>) -> Result<Vec<Contact>> {
    sqlx::query_as::<_, Contact>(
        "SELECT number, name FROM contacts ORDER BY name COLLATE NOCASE, name, number",
    )
    .fetch_all(exec)
    .await
    .op("list contacts")
}

pub async fn get(exec: impl SqliteExecutor<'_>, number: &str) -> Result<Option<Contact>> {
    sqlx::query_as::<_, Contact>("SELECT number, name FROM contacts WHERE number = $1")
        .bind(number)
        .fetch_optional(exec)
        .await
        .op("get contact")
}

/// Adds a contact; `false` if the number already is one.
pub async fn create(
    exec: impl SqliteExecutor<'_>,
    number: &str,
    name: &str,
    now_ms: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO contacts (number, name, edited, created_at, updated_at) \
         VALUES ($1, $2, 1, $3, $3) ON CONFLICT (number) DO NOTHING",
    )
    .bind(number)
    .bind(name)
    .bind(now_ms)
    .execute(exec)
    .await
    .op("create contact")?;
    Ok(done.rows_affected() == 1)
}

/// Renames a contact; `false` if there is none for the number.
pub async fn rename(
    exec: impl SqliteExecutor<'_>,
    number: &str,
    name: &str,
    now_ms: i64,
) -> Result<bool> {
    let done =
        sqlx::query("UPDATE contacts SET name = $2, edited = 1, updated_at = $3 WHERE number = $1")
            .bind(number)
            .bind(name)
            .bind(now_ms)
            .execute(exec)
            .await
            .op("rename contact")?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete(exec: impl SqliteExecutor<'_>, number: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM contacts WHERE number = $1")
        .bind(number)
        .execute(exec)
        .await
        .op("delete contact")?;
    Ok(done.rows_affected() == 1)
}

/// Brings the configuration's contacts in: a number seen for the first time is added (or,
/// if a user already added it, left alone); a seeded contact nobody edited follows the
/// configuration's name; a seeded contact a user deleted stays deleted. Returns how many rows
/// changed.
pub async fn seed<'a, A>(conn: A, contacts: &[(String, String)], now_ms: i64) -> Result<u64>
where
    A: Acquire<'a, Database = Sqlite>,
{
    let op = "seed contacts";
    let mut tx = conn.begin().await.op(op)?;
    let mut changed = 0;
    for (number, name) in contacts {
        let first_time = sqlx::query(
            "INSERT INTO contact_seeds (number) VALUES ($1) ON CONFLICT (number) DO NOTHING",
        )
        .bind(number)
        .execute(&mut *tx)
        .await
        .op(op)?
        .rows_affected()
            == 1;
        let done = if first_time {
            sqlx::query(
                "INSERT INTO contacts (number, name, edited, created_at, updated_at) \
                 VALUES ($1, $2, 0, $3, $3) ON CONFLICT (number) DO NOTHING",
            )
            .bind(number)
            .bind(name)
            .bind(now_ms)
            .execute(&mut *tx)
            .await
        } else {
            sqlx::query(
                "UPDATE contacts SET name = $2, updated_at = $3 \
                 WHERE number = $1 AND edited = 0 AND name <> $2",
            )
            .bind(number)
            .bind(name)
            .bind(now_ms)
            .execute(&mut *tx)
            .await
        };
        changed += done.op(op)?.rows_affected();
    }
    tx.commit().await.op(op)?;
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::store;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, m)| ((*n).to_owned(), (*m).to_owned()))
            .collect()
    }

    async fn names(store: &crate::store::Store) -> Vec<(String, String)> {
        list(store.pool())
            .await
            .unwrap()
            .into_iter()
            .map(|c| (c.number, c.name))
            .collect()
    }

    #[tokio::test]
    async fn contacts_are_listed_by_name_whatever_the_case() {
        let (_dir, store) = store().await;
        create(store.pool(), "+15550000001", "bob", 1)
            .await
            .unwrap();
        create(store.pool(), "+15550000002", "Alice", 1)
            .await
            .unwrap();
        create(store.pool(), "+15550000003", "carol", 1)
            .await
            .unwrap();
        let got: Vec<String> = names(&store).await.into_iter().map(|c| c.1).collect();
        assert_eq!(got, ["Alice", "bob", "carol"]);
        assert!(!create(store.pool(), "+15550000001", "again", 2)
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn seeding_never_overwrites_an_edit_nor_revives_a_deletion() {
        let (_dir, store) = store().await;
        let config = pairs(&[
            ("+15550000001", "Edited later"),
            ("+15550000002", "Deleted later"),
            ("+15550000003", "Untouched"),
        ]);
        assert_eq!(seed(store.pool(), &config, 1).await.unwrap(), 3);
        assert!(rename(store.pool(), "+15550000001", "My name", 2)
            .await
            .unwrap());
        assert!(delete(store.pool(), "+15550000002").await.unwrap());

        // The next start, with the configuration changed meanwhile.
        let config = pairs(&[
            ("+15550000001", "Config rename"),
            ("+15550000002", "Deleted later"),
            ("+15550000003", "Config rename 3"),
            ("+15550000004", "New in config"),
        ]);
        assert_eq!(seed(store.pool(), &config, 3).await.unwrap(), 2);
        assert_eq!(
            names(&store).await,
            pairs(&[
                ("+15550000003", "Config rename 3"),
                ("+15550000001", "My name"),
                ("+15550000004", "New in config"),
            ])
        );
        assert_eq!(seed(store.pool(), &config, 4).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn a_contact_a_user_added_before_the_config_named_it_keeps_the_users_name() {
        let (_dir, store) = store().await;
        create(store.pool(), "+15550000001", "Mine", 1)
            .await
            .unwrap();
        seed(store.pool(), &pairs(&[("+15550000001", "Config")]), 2)
            .await
            .unwrap();
        seed(store.pool(), &pairs(&[("+15550000001", "Config 2")]), 3)
            .await
            .unwrap();
        assert_eq!(
            get(store.pool(), "+15550000001")
                .await
                .unwrap()
                .unwrap()
                .name,
            "Mine"
        );
        assert_eq!(get(store.pool(), "+15550000009").await.unwrap(), None);
    }
}
