//! The contacts the flows know by name: the store's (the configuration's `[contacts]` seeded
//! into it, plus what users add in the app), loaded at start and again after every change, so
//! a contact added in the browser is an `@Name` for the SMS relay at once.

use std::sync::{Arc, PoisonError, RwLock};

use twilio::PhoneNumber;

use crate::flow::Contacts;
use crate::store::{Result, Store};

/// A shared, swappable snapshot of the contacts (cheap to clone).
#[derive(Debug, Clone, Default)]
pub struct ContactBook(Arc<RwLock<Arc<Contacts>>>);

impl ContactBook {
    /// The contacts in the store now.
    pub async fn load(store: &Store) -> Result<ContactBook> {
        let book = ContactBook::default();
        book.reload(store).await?;
        Ok(book)
    }

    /// The contacts as they are now; later changes do not touch the snapshot.
    pub fn snapshot(&self) -> Arc<Contacts> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Reads the contacts from the store again.
    pub async fn reload(&self, store: &Store) -> Result<()> {
        // The API only stores E.164 numbers; anything else could not be texted anyway.
        let contacts: Contacts = store
            .contacts()
            .await?
            .into_iter()
            .filter_map(|c| Some((PhoneNumber::parse(&c.number).ok()?, c.name)))
            .collect();
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(contacts);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::store;

    #[tokio::test]
    async fn a_snapshot_keeps_what_it_saw_and_a_reload_sees_changes() {
        let (_dir, store) = store().await;
        store
            .create_contact("+15550000001", "Ann", 1)
            .await
            .unwrap();
        let book = ContactBook::load(&store).await.unwrap();
        let before = book.snapshot();
        store
            .create_contact("+15550000002", "Bob", 2)
            .await
            .unwrap();
        assert_eq!(book.snapshot().len(), 1, "not reloaded yet");
        book.reload(&store).await.unwrap();
        let after = book.snapshot();
        let bob = PhoneNumber::parse("+15550000002").unwrap();
        assert_eq!(after.get(&bob).map(String::as_str), Some("Bob"));
        assert_eq!(before.len(), 1, "an old snapshot does not change");
    }
}
