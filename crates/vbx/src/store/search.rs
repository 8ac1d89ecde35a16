//! Full-text search of message bodies and voicemail transcriptions (the FTS5 indexes of
//! `migrations/0012_search.sql`): newest stored first, each hit with a snippet whose matching
//! words are marked, and where it is (the thread's number and the item's SID).

use serde::Serialize;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::store::sql_limit;
use crate::store::{Context, Result};

/// Marks the start of a matching word in a snippet (a private-use character: texts do not
/// carry it, and the browser turns the pair into `<mark>` without parsing any HTML).
pub const MARK_START: char = '\u{E000}';
/// Marks the end of a matching word.
pub const MARK_END: char = '\u{E001}';

/// A message or voicemail whose text matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Hit {
    /// `message` or `voicemail`.
    pub kind: String,
    pub sid: String,
    /// The other party: the thread it is in.
    pub number: String,
    pub name: Option<String>,
    pub direction: String,
    /// The text around the match, matching words between [`MARK_START`] and [`MARK_END`].
    pub snippet: String,
    pub at: i64,
    #[serde(skip)]
    rowid: i64,
}

pub struct Hits {
    pub items: Vec<Hit>,
    /// The message rowid to continue before, when there may be more message hits.
    pub next: Option<i64>,
}

/// The FTS5 query for what a user typed: every word must match, with `prefix` the last one as
/// a prefix (results follow the typing). Each word is quoted, so nothing typed is query
/// syntax. `None` when nothing searchable was typed.
pub fn fts_query(text: &str, prefix: bool) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\""))
        .collect();
    if words.is_empty() {
        return None;
    }
    let mut query = words.join(" ");
    if prefix {
        query.push('*');
    }
    Some(query)
}

/// Message hits newest first (by rowid, before `before`), then on the first page every
/// voicemail hit too; `hidden` numbers (forwarding devices) are left out.
///
/// The words as typed are looked up first, and when they fill the page that page is what they
/// found; otherwise the last word also matches longer words (`birth` finds "birthday"). FTS5
/// reads a word's hits newest first and stops at the page, but answers a prefix by merging
/// every hit of every matching word first (about 5 ms for a word in 80,000 of a million
/// texts): a whole common word stays cheap, and a word being typed still finds what it
/// begins.
pub async fn search(
    conn: &mut SqliteConnection,
    text: &str,
    hidden: &[String],
    before: Option<i64>,
    limit: u32,
) -> Result<Hits> {
    let (Some(exact), Some(prefix)) = (fts_query(text, false), fts_query(text, true)) else {
        return Ok(Hits {
            items: Vec::new(),
            next: None,
        });
    };
    let mut query = exact;
    let mut items = message_hits(conn, &query, hidden, before, limit).await?;
    if items.len() <= limit as usize {
        query = prefix;
        items = message_hits(conn, &query, hidden, before, limit).await?;
    }
    let next = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|h| h.rowid)
    } else {
        None
    };
    if before.is_none() {
        let mut sql = QueryBuilder::<Sqlite>::new(
            "SELECT 'voicemail' AS kind, r.sid, r.party AS number, c.name, \
               'inbound' AS direction, \
               snippet(recordings_fts, 0, char(57344), char(57345), '…', 16) AS snippet, \
               r.created_at AS at, f.rowid \
             FROM recordings_fts f JOIN recordings r ON r.rowid = f.rowid \
             LEFT JOIN contacts c ON c.number = r.party \
             WHERE r.party IS NOT NULL AND recordings_fts MATCH ",
        );
        sql.push_bind(&query);
        push_not_hidden(&mut sql, "r.party", hidden);
        sql.push(" ORDER BY f.rowid DESC LIMIT ")
            .push_bind(sql_limit(limit));
        let voicemails = sql
            .build_query_as::<Hit>()
            .fetch_all(&mut *conn)
            .await
            .op("search")?;
        items.extend(voicemails);
        items.sort_by_key(|h| std::cmp::Reverse(h.at));
    }
    Ok(Hits { items, next })
}

/// Up to `limit + 1` message hits of the FTS5 `query`, newest first.
async fn message_hits(
    conn: &mut SqliteConnection,
    query: &str,
    hidden: &[String],
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<Hit>> {
    let mut sql = QueryBuilder::<Sqlite>::new(concat!(
        "SELECT 'message' AS kind, m.sid, ",
        message_party!("m."),
        " AS number, c.name, m.direction, snippet(messages_fts, 0, char(57344), char(57345), \
         '…', 16) AS snippet, m.created_at AS at, f.rowid \
         FROM messages_fts f JOIN messages m ON m.rowid = f.rowid \
         LEFT JOIN contacts c ON c.number = ",
        message_party!("m."),
        " WHERE messages_fts MATCH "
    ));
    sql.push_bind(query);
    push_not_hidden(&mut sql, concat!(message_party!("m."), ""), hidden);
    if let Some(before) = before {
        sql.push(" AND f.rowid < ").push_bind(before);
    }
    sql.push(" ORDER BY f.rowid DESC LIMIT ")
        .push_bind(sql_limit(limit).saturating_add(1));
    sql.build_query_as::<Hit>()
        .fetch_all(&mut *conn)
        .await
        .op("search")
}

fn push_not_hidden<'a>(sql: &mut QueryBuilder<'a, Sqlite>, party: &str, hidden: &'a [String]) {
    if hidden.is_empty() {
        return;
    }
    sql.push(" AND ").push(party).push(" NOT IN (");
    let mut list = sql.separated(", ");
    for number in hidden {
        list.push_bind(number);
    }
    sql.push(")");
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn what_a_user_types_becomes_quoted_words_the_last_maybe_a_prefix() {
        assert_eq!(fts_query("pizza", true), Some("\"pizza\"*".into()));
        assert_eq!(fts_query("pizza", false), Some("\"pizza\"".into()));
        assert_eq!(
            fts_query("  Pick up\"milk\" AND NOT (eggs)", true),
            Some("\"Pick\" \"up\" \"milk\" \"AND\" \"NOT\" \"eggs\"*".into())
        );
        assert_eq!(
            fts_query("café 12:30", true),
            Some("\"café\" \"12\" \"30\"*".into())
        );
        for prefix in [true, false] {
            assert_eq!(fts_query(" *\"() - ", prefix), None);
            assert_eq!(fts_query("", prefix), None);
        }
    }
}
