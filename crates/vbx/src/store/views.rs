//! What the app reads, as use cases of the store on its read pool: a page of conversations, a
//! thread with its contact and marks, the call log, a search. Handlers call these rather than
//! holding a connection of their own.

use super::history::{
    self, CallEntry, CallLogQuery, Conversation, ConversationQuery, Cursor, Item, Page,
};
use super::inbox::{self, Marks};
use super::search::{self, Hits};
use super::{contact, Context, Result, Store};

/// A page of a thread, with what the app shows above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadView {
    pub page: Page<Item>,
    /// The contact's name, if the number is one.
    pub name: Option<String>,
    pub marks: Marks,
}

impl Store {
    /// A page of conversations, newest activity first.
    pub async fn conversations(&self, query: &ConversationQuery) -> Result<Page<Conversation>> {
        let mut conn = self.pool().acquire().await.op("conversations")?;
        history::conversations(&mut conn, query).await
    }

    /// A page of `number`'s thread (newest first, before `before`), its name and marks.
    pub async fn thread(
        &self,
        number: &str,
        before: Option<&Cursor>,
        limit: u32,
    ) -> Result<ThreadView> {
        let mut conn = self.pool().acquire().await.op("thread")?;
        let page = history::thread(&mut conn, number, before, limit).await?;
        let name = contact::get(&mut *conn, number).await?.map(|c| c.name);
        let marks = inbox::marks(&mut *conn, number).await?;
        Ok(ThreadView { page, name, marks })
    }

    /// A page of the call log.
    pub async fn call_log(&self, query: &CallLogQuery) -> Result<Page<CallEntry>> {
        let mut conn = self.pool().acquire().await.op("call log")?;
        history::call_log(&mut conn, query).await
    }

    /// Texts and voicemail transcriptions with every word of `text` (see [`search::search`]).
    pub async fn search(
        &self,
        text: &str,
        hidden: &[String],
        before: Option<i64>,
        limit: u32,
    ) -> Result<Hits> {
        let mut conn = self.pool().acquire().await.op("search")?;
        search::search(&mut conn, text, hidden, before, limit).await
    }
}
