//! The blocked numbers the webhooks consult on every incoming call and text: the store's,
//! loaded at start and again after every change (as [`crate::contact_book`] does), so the
//! hot path does not read the store for them.

use std::collections::HashSet;
use std::sync::{Arc, PoisonError, RwLock};

use crate::store::{Result, Store};

/// A shared, swappable set of blocked numbers (cheap to clone).
#[derive(Debug, Clone, Default)]
pub struct BlockList(Arc<RwLock<Arc<HashSet<String>>>>);

impl BlockList {
    /// The blocked numbers in the store now.
    pub async fn load(store: &Store) -> Result<BlockList> {
        let list = BlockList::default();
        list.reload(store).await?;
        Ok(list)
    }

    pub fn contains(&self, number: &str) -> bool {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(number)
    }

    /// Reads the blocked numbers from the store again.
    pub async fn reload(&self, store: &Store) -> Result<()> {
        let numbers: HashSet<String> = store
            .blocked_numbers()
            .await?
            .into_iter()
            .map(|b| b.number)
            .collect();
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(numbers);
        Ok(())
    }
}
