//! Contacts as the app shows and edits them, seeded from the configuration's `[contacts]`
//! without ever overwriting what a user changed (or bringing back what a user deleted).

use rusqlite::params;
use serde::Serialize;
use serde_json::json;
use sqlx::SqliteExecutor;

use super::{event, Changes, Context, Result, Store};

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

/// The changes to contacts: each a use case of the store, run whole on the writer thread and
/// answering with the feed row the app publishes (`{"type": "contact", "name": … | null}`),
/// or `None` when there was nothing to change.
impl Store {
    /// Makes `number` a contact named `name`; `None` if it is one already.
    pub async fn create_contact(
        &self,
        number: &str,
        name: &str,
        now_ms: i64,
    ) -> Result<Option<Changes>> {
        let (number, name) = (number.to_owned(), name.to_owned());
        self.write(move |conn| {
            let op = "create contact";
            let added = conn
                .prepare_cached(
                    "INSERT INTO contacts (number, name, edited, created_at, updated_at) \
                     VALUES (?1, ?2, 1, ?3, ?3) ON CONFLICT (number) DO NOTHING",
                )
                .op(op)?
                .execute(params![number, name, now_ms])
                .op(op)?;
            if added == 0 {
                return Ok(None);
            }
            contact_changed(conn, &number, Some(&name), now_ms).map(Some)
        })
        .await
    }

    /// Renames the contact of `number`; `None` if there is none.
    pub async fn rename_contact(
        &self,
        number: &str,
        name: &str,
        now_ms: i64,
    ) -> Result<Option<Changes>> {
        let (number, name) = (number.to_owned(), name.to_owned());
        self.write(move |conn| {
            let op = "rename contact";
            let renamed = conn
                .prepare_cached(
                    "UPDATE contacts SET name = ?2, edited = 1, updated_at = ?3 WHERE number = ?1",
                )
                .op(op)?
                .execute(params![number, name, now_ms])
                .op(op)?;
            if renamed == 0 {
                return Ok(None);
            }
            contact_changed(conn, &number, Some(&name), now_ms).map(Some)
        })
        .await
    }

    /// Removes the contact of `number`; `None` if there is none.
    pub async fn delete_contact(&self, number: &str, now_ms: i64) -> Result<Option<Changes>> {
        let number = number.to_owned();
        self.write(move |conn| {
            let op = "delete contact";
            let deleted = conn
                .prepare_cached("DELETE FROM contacts WHERE number = ?1")
                .op(op)?
                .execute(params![number])
                .op(op)?;
            if deleted == 0 {
                return Ok(None);
            }
            contact_changed(conn, &number, None, now_ms).map(Some)
        })
        .await
    }

    /// Brings the configuration's contacts in: a number seen for the first time is added
    /// (or, if a user already added it, left alone); a seeded contact nobody edited follows
    /// the configuration's name; a seeded contact a user deleted stays deleted. Returns how
    /// many rows changed. (At start, before any tab is open: no feed rows.)
    pub async fn seed_contacts(&self, contacts: &[(String, String)], now_ms: i64) -> Result<u64> {
        let contacts = contacts.to_vec();
        self.write(move |conn| {
            let op = "seed contacts";
            let mut changed = 0;
            for (number, name) in &contacts {
                let first_time = conn
                    .prepare_cached(
                        "INSERT INTO contact_seeds (number) VALUES (?1) \
                         ON CONFLICT (number) DO NOTHING",
                    )
                    .op(op)?
                    .execute(params![number])
                    .op(op)?
                    == 1;
                let sql = if first_time {
                    "INSERT INTO contacts (number, name, edited, created_at, updated_at) \
                     VALUES (?1, ?2, 0, ?3, ?3) ON CONFLICT (number) DO NOTHING"
                } else {
                    "UPDATE contacts SET name = ?2, updated_at = ?3 \
                     WHERE number = ?1 AND edited = 0 AND name <> ?2"
                };
                let done = conn
                    .prepare_cached(sql)
                    .op(op)?
                    .execute(params![number, name, now_ms])
                    .op(op)?;
                changed += u64::try_from(done).unwrap_or(u64::MAX);
            }
            Ok(changed)
        })
        .await
    }
}

/// The `contact` feed row of a change to `number` (`name` `None`: no longer a contact).
fn contact_changed(
    conn: &rusqlite::Connection,
    number: &str,
    name: Option<&str>,
    at: i64,
) -> Result<Changes> {
    let row = event::blocking::append(conn, "contact", Some(number), &json!({ "name": name }), at)?;
    Ok(Changes::of(row))
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
        for (number, name) in [
            ("+15550000001", "bob"),
            ("+15550000002", "Alice"),
            ("+15550000003", "carol"),
        ] {
            assert!(store
                .create_contact(number, name, 1)
                .await
                .unwrap()
                .is_some());
        }
        let got: Vec<String> = names(&store).await.into_iter().map(|c| c.1).collect();
        assert_eq!(got, ["Alice", "bob", "carol"]);
    }

    #[tokio::test]
    async fn seeding_never_overwrites_an_edit_nor_revives_a_deletion() {
        let (_dir, store) = store().await;
        let config = pairs(&[
            ("+15550000001", "Edited later"),
            ("+15550000002", "Deleted later"),
            ("+15550000003", "Untouched"),
        ]);
        assert_eq!(store.seed_contacts(&config, 1).await.unwrap(), 3);
        assert!(store
            .rename_contact("+15550000001", "My name", 2)
            .await
            .unwrap()
            .is_some());
        assert!(store
            .delete_contact("+15550000002", 2)
            .await
            .unwrap()
            .is_some());

        // The next start, with the configuration changed meanwhile.
        let config = pairs(&[
            ("+15550000001", "Config rename"),
            ("+15550000002", "Deleted later"),
            ("+15550000003", "Config rename 3"),
            ("+15550000004", "New in config"),
        ]);
        assert_eq!(store.seed_contacts(&config, 3).await.unwrap(), 2);
        assert_eq!(
            names(&store).await,
            pairs(&[
                ("+15550000003", "Config rename 3"),
                ("+15550000001", "My name"),
                ("+15550000004", "New in config"),
            ])
        );
        assert_eq!(store.seed_contacts(&config, 4).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn a_contact_a_user_added_before_the_config_named_it_keeps_the_users_name() {
        let (_dir, store) = store().await;
        store
            .create_contact("+15550000001", "Mine", 1)
            .await
            .unwrap();
        store
            .seed_contacts(&pairs(&[("+15550000001", "Config")]), 2)
            .await
            .unwrap();
        store
            .seed_contacts(&pairs(&[("+15550000001", "Config 2")]), 3)
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

    /// Each change answers with its one `contact` feed row, as stored (the cursor a tab
    /// resumes from), and a change that changes nothing stores and answers nothing.
    #[tokio::test]
    async fn each_change_answers_with_its_stored_feed_row_and_no_change_with_none() {
        let (_dir, store) = store().await;
        let number = "+15550000001";
        let feed = |changes: Option<Changes>| -> Vec<(String, Option<String>, String)> {
            changes
                .expect("a change")
                .feed
                .into_iter()
                .map(|r| (r.kind, r.number, r.payload))
                .collect()
        };
        let contact = |name: &str| {
            vec![(
                "contact".to_owned(),
                Some(number.to_owned()),
                json!({ "name": name }).to_string(),
            )]
        };
        assert_eq!(
            feed(store.create_contact(number, "Ann", 1).await.unwrap()),
            contact("Ann")
        );
        assert!(store
            .create_contact(number, "Again", 2)
            .await
            .unwrap()
            .is_none());
        assert_eq!(
            feed(store.rename_contact(number, "Ann B", 3).await.unwrap()),
            contact("Ann B")
        );
        assert!(store
            .rename_contact("+15550000009", "Nobody", 4)
            .await
            .unwrap()
            .is_none());
        let deleted = store.delete_contact(number, 5).await.unwrap();
        assert_eq!(
            feed(deleted),
            vec![(
                "contact".to_owned(),
                Some(number.to_owned()),
                json!({ "name": null }).to_string()
            )]
        );
        assert!(store.delete_contact(number, 6).await.unwrap().is_none());
        // What was answered is what a tab replays.
        let stored: Vec<(String, String)> = event::after(store.pool(), 0, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.kind, r.payload))
            .collect();
        assert_eq!(
            stored,
            [
                ("contact".to_owned(), json!({ "name": "Ann" }).to_string()),
                ("contact".to_owned(), json!({ "name": "Ann B" }).to_string()),
                ("contact".to_owned(), json!({ "name": null }).to_string()),
            ]
        );
        assert_eq!(get(store.pool(), number).await.unwrap(), None);
    }
}
