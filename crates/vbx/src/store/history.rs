//! The app's read models over calls, messages, recordings and unsent SMS work: conversations
//! (one per other party), a thread (everything with one number, newest first), the call log,
//! and the items they are made of — which the event feed sends too.

use std::sync::LazyLock;

use serde::Serialize;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqliteExecutor};

use super::{sql_limit, Context, Result};

/// The other party of a message: the sender of an inbound one, else the recipient. Must stay
/// identical to the `messages_party` index in migrations/0002_app.sql.
macro_rules! message_party {
    ($t:literal) => {
        concat!(
            "(CASE WHEN ",
            $t,
            "direction = 'inbound' THEN ",
            $t,
            "from_number ELSE ",
            $t,
            "to_number END)"
        )
    };
}

/// The other party of a top-level call: the caller of an inbound call, unless the caller is
/// the browser (`client:…`, an outgoing call through the TwiML App), else the called number.
/// Must stay identical to the `calls_party` index.
macro_rules! call_party {
    ($t:literal) => {
        concat!(
            "(CASE WHEN ",
            $t,
            "direction = 'inbound' AND substr(",
            $t,
            "from_number, 1, 7) <> 'client:' THEN ",
            $t,
            "from_number ELSE ",
            $t,
            "to_number END)"
        )
    };
}

/// `inbound` or `outbound` as the user sees a call (a browser call is outbound).
macro_rules! call_direction {
    ($t:literal) => {
        concat!(
            "(CASE WHEN ",
            $t,
            "direction = 'inbound' AND substr(",
            $t,
            "from_number, 1, 7) <> 'client:' THEN 'inbound' ELSE 'outbound' END)"
        )
    };
}

/// Who picked up a top-level call `c`: the `<Dial>` action's answer, else (once the call is
/// over) a `<Dial>` leg that completed (synced from Twilio), else '' (answered, by one of
/// several) or NULL. A call still ringing or under way reads no leg: a new call's item is
/// made on every incoming-call webhook.
macro_rules! call_answered_to {
    () => {
        "(CASE WHEN c.answered_to IS NOT NULL AND c.answered_to <> '' THEN c.answered_to \
           WHEN c.status IN ('queued', 'initiated', 'ringing', 'in-progress') \
             THEN c.answered_to \
           ELSE COALESCE((SELECT l.to_number FROM calls l \
                  WHERE l.parent_sid = c.sid AND l.status = 'completed' LIMIT 1), \
                c.answered_to) END)"
    };
}

/// What a top-level call `c` was, in one word the app turns into a sentence: `rejected` (a
/// blocked number), `answered` (as soon as a `<Dial>` action says so: Twilio reports the
/// caller's leg only when it ends), `ringing`, `in-progress`; for a call to vbx `voicemail`,
/// `busy`, `failed` or else `missed` (nobody picked up, whatever Twilio's status of the
/// caller's leg); for a call placed from vbx how the number dialled ended (`no-answer`,
/// `busy`, `failed`, `canceled`). The only place this is decided: the call log filters on it.
/// It is `answered` exactly when [`call_answered_to!`] is not NULL, and the cheap cases come
/// first (an incoming call's item is made on its webhook's path).
macro_rules! call_outcome {
    () => {
        concat!(
            "(CASE WHEN c.blocked THEN 'rejected' \
               WHEN c.answered_to IS NOT NULL THEN 'answered' \
               WHEN c.status IN ('queued', 'initiated', 'ringing') THEN 'ringing' \
               WHEN c.status = 'in-progress' THEN 'in-progress' \
               WHEN EXISTS (SELECT 1 FROM calls l \
                 WHERE l.parent_sid = c.sid AND l.status = 'completed') THEN 'answered' \
               WHEN ",
            call_direction!("c."),
            " = 'inbound' THEN \
                 CASE WHEN EXISTS (SELECT 1 FROM recordings r \
                        WHERE r.call_sid = c.sid AND r.source = 'voicemail') \
                        THEN 'voicemail' \
                      WHEN c.status IN ('busy', 'failed') THEN c.status \
                      ELSE 'missed' END \
               WHEN COALESCE(c.dial_status, c.status) IN ('completed', 'answered') \
                 THEN 'answered' \
               ELSE COALESCE(c.dial_status, c.status) END)"
        )
    };
}

/// The talk time of a top-level call `c` that was answered: the `<Dial>` action's, else (once
/// the call is over) its answered leg's, else (a call vbx placed through Twilio's API, no
/// leg) its own duration.
macro_rules! call_talk {
    () => {
        concat!(
            "(CASE WHEN c.talk_s IS NOT NULL THEN c.talk_s \
               WHEN c.status IN ('queued', 'initiated', 'ringing', 'in-progress') THEN NULL \
               ELSE COALESCE((SELECT l.duration_s FROM calls l \
                   WHERE l.parent_sid = c.sid AND l.status = 'completed' LIMIT 1), \
                 CASE WHEN c.dial_status IS NULL AND c.status = 'completed' AND ",
            call_direction!("c."),
            " = 'outbound' THEN c.duration_s END) END)"
        )
    };
}

mod item;

pub use item::blocking;
pub use item::{
    call_items, inbound_text_item, message_items, new_call_item, outbox_items, voicemail_items,
    CallItem, Direction, Item, Located, MediaRef, MessageItem, RecordingRef, VoicemailItem,
};
use item::{CallJoin, VoicemailJoin, CALL_COLUMNS, VOICEMAIL_SELECT};

/// Where the next page starts: the `(at, key)` of the last entry returned.
pub type Cursor = (i64, String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

/// Keeps `limit` rows and says where the next page starts if there was one more.
pub(crate) fn page<T>(mut rows: Vec<T>, limit: u32, cursor: impl Fn(&T) -> Cursor) -> Page<T> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let next = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(cursor)
    } else {
        None
    };
    Page { items: rows, next }
}

#[derive(Clone, sqlx::FromRow)]
struct Key {
    kind: String,
    key: String,
    at: i64,
}

impl Key {
    /// Reads `kind at key` (what [`THREAD_NEWEST`] returns).
    fn parse(text: &str) -> Option<Key> {
        let (kind, rest) = text.split_once(' ')?;
        let (at, key) = rest.split_once(' ')?;
        Some(Key {
            kind: kind.to_owned(),
            key: key.to_owned(),
            at: at.parse().ok()?,
        })
    }
}

/// The keys of a thread, newest first. Each part reads its rows newest first from an index (the
/// voicemails by the party kept on each recording, migrations/0017) and SQLite merges them,
/// stopping after `LIMIT` rows: a thread with thousands of texts or calls costs what a short
/// one does. The thread is `party`'s (a parameter or a column of an outer query); with
/// `paged`, each part starts below the cursor `($2, $3)`.
fn thread_keys_sql(party: &str, paged: bool, limit: &str) -> String {
    let after = |at: &str, key: &str| {
        if paged {
            format!(" AND ({at}, {key}) < ($2, $3)")
        } else {
            String::new()
        }
    };
    format!(
        concat!(
            "SELECT 'message' AS kind, sid AS key, created_at AS at FROM messages \
               WHERE ",
            message_party!(""),
            " = {party} AND stub = 0{} \
             UNION ALL \
             SELECT 'call', sid, started_at FROM calls \
               WHERE parent_sid IS NULL AND ",
            call_party!(""),
            " = {party}{} \
             UNION ALL \
             SELECT 'voicemail', sid, created_at FROM recordings WHERE party = {party}{} \
             UNION ALL \
             SELECT 'outbox', 'outbox:' || id, created_at FROM outbox \
               WHERE kind = 'sms' AND status IN ('pending', 'sending', 'failed') \
                 AND json_extract(payload, '$.to') = {party}{} \
             ORDER BY at DESC, key DESC LIMIT {limit}"
        ),
        after("created_at", "sid"),
        after("started_at", "sid"),
        after("created_at", "sid"),
        after("created_at", "'outbox:' || id"),
        party = party,
        limit = limit,
    )
}

static THREAD_FIRST: LazyLock<String> = LazyLock::new(|| thread_keys_sql("$1", false, "$2"));
static THREAD_LATER: LazyLock<String> = LazyLock::new(|| thread_keys_sql("$1", true, "$4"));
/// The newest key of each thread of the JSON array of numbers `$1`, as `kind at key`, with
/// the number's index in the array: one query for a page of conversations.
static THREAD_NEWEST: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT numbers.key, (SELECT kind || ' ' || at || ' ' || key FROM ({})) \
         FROM json_each($1) numbers",
        thread_keys_sql("numbers.value", false, "1")
    )
});

/// Everything with `number`, newest first: messages, top-level calls, voicemails, and SMS
/// still in the outbox or refused. `before` pages backwards.
pub async fn thread(
    conn: &mut SqliteConnection,
    number: &str,
    before: Option<&Cursor>,
    limit: u32,
) -> Result<Page<Item>> {
    let op = "thread";
    let fetch = sql_limit(limit).saturating_add(1);
    let keys = match before {
        Some((at, key)) => {
            sqlx::query_as::<_, Key>(&THREAD_LATER)
                .bind(number)
                .bind(at)
                .bind(key)
                .bind(fetch)
                .fetch_all(&mut *conn)
                .await
        }
        None => {
            sqlx::query_as::<_, Key>(&THREAD_FIRST)
                .bind(number)
                .bind(fetch)
                .fetch_all(&mut *conn)
                .await
        }
    }
    .op(op)?;
    let keys = page(keys, limit, |k| (k.at, k.key.clone()));
    Ok(Page {
        items: load(conn, &keys.items)
            .await?
            .into_iter()
            .flatten()
            .collect(),
        next: keys.next,
    })
}

/// The item of each key (`None` for one gone since its key was read), with one query per
/// kind and one for media rather than one or two per item.
async fn load(conn: &mut SqliteConnection, keys: &[Key]) -> Result<Vec<Option<Item>>> {
    let of = |kind: &str| -> Vec<String> {
        keys.iter()
            .filter(|k| k.kind == kind)
            .map(|k| k.key.clone())
            .collect()
    };
    let outbox_id = |key: &Key| {
        key.key
            .strip_prefix("outbox:")
            .and_then(|id| id.parse::<i64>().ok())
    };
    let ids: Vec<i64> = keys
        .iter()
        .filter(|k| k.kind == "outbox")
        .filter_map(outbox_id)
        .collect();
    let mut messages = item::message_items(&mut *conn, &of("message")).await?;
    let mut calls = item::call_items(&mut *conn, &of("call")).await?;
    let mut voicemails = item::voicemail_items(&mut *conn, &of("voicemail")).await?;
    let mut outbox = item::outbox_items(&mut *conn, &ids).await?;
    Ok(keys
        .iter()
        .map(|key| {
            let located = match key.kind.as_str() {
                "message" => messages.remove(&key.key),
                "call" => calls.remove(&key.key),
                "voicemail" => voicemails.remove(&key.key),
                _ => outbox_id(key).and_then(|id| outbox.remove(&id)),
            };
            located.map(|l| l.item)
        })
        .collect())
}

/// What a conversation's row shows of its newest item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Last {
    pub kind: &'static str,
    /// A message's body, what a call was (its outcome), a voicemail's transcription (or
    /// empty).
    pub text: String,
    pub direction: Direction,
    pub at: i64,
}

impl Last {
    fn of(item: &Item) -> Last {
        match item {
            Item::Message(m) => Last {
                kind: "message",
                text: m.body.clone(),
                direction: m.direction,
                at: m.at,
            },
            Item::Call(c) => Last {
                kind: "call",
                text: c.outcome.clone(),
                direction: c.direction,
                at: c.at,
            },
            Item::Voicemail(v) => Last {
                kind: "voicemail",
                text: v.transcription.clone().unwrap_or_default(),
                direction: Direction::Inbound,
                at: v.at,
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conversation {
    pub number: String,
    pub name: Option<String>,
    pub last: Option<Last>,
    pub unread: i64,
    /// Archived, with nothing newer since (listed only by the archive and by searches).
    pub archived: bool,
    /// Blocked (listed only by searches).
    pub blocked: bool,
}

/// Which conversations a list shows when it is not a search.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum View {
    /// Neither blocked nor archived.
    #[default]
    Inbox,
    /// Archived and not blocked.
    Archived,
}

#[derive(Debug, Clone, Default)]
pub struct ConversationQuery {
    /// Matches a contact name (substring, ASCII case-insensitive) or the digits of a number.
    pub search: Option<String>,
    /// Ignored by a search, which looks at every conversation.
    pub view: View,
    /// Numbers never listed (forwarding devices, the browser's ignored numbers).
    pub hidden: Vec<String>,
    pub before: Option<Cursor>,
    pub limit: u32,
}

#[derive(sqlx::FromRow)]
struct ConversationRow {
    number: String,
    at: i64,
    name: Option<String>,
    unread: i64,
    archived: bool,
    blocked: bool,
}

/// `%text%` for LIKE, with LIKE's wildcards escaped by `\`.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// One row per other party, newest activity first, with its newest item and unread count.
/// Reads `latest_activity`, which the store keeps (migrations/0005_scale.sql).
pub async fn conversations(
    conn: &mut SqliteConnection,
    query: &ConversationQuery,
) -> Result<Page<Conversation>> {
    let op = "conversations";
    let rows = conversation_rows(query)
        .build_query_as::<ConversationRow>()
        .fetch_all(&mut *conn)
        .await
        .op(op)?;
    let rows = page(rows, query.limit, |r| (r.at, r.number.clone()));
    // The newest key of each thread, then the items all at once.
    let numbers: Vec<&str> = rows.items.iter().map(|r| r.number.as_str()).collect();
    let numbers = serde_json::Value::from(numbers).to_string();
    let mut newest: Vec<Option<Key>> = vec![None; rows.items.len()];
    for (index, key) in sqlx::query_as::<_, (i64, Option<String>)>(&THREAD_NEWEST)
        .bind(numbers)
        .fetch_all(&mut *conn)
        .await
        .op(op)?
    {
        if let Some(slot) = usize::try_from(index).ok().and_then(|i| newest.get_mut(i)) {
            *slot = key.as_deref().and_then(Key::parse);
        }
    }
    let keys: Vec<Key> = newest.iter().flatten().cloned().collect();
    // One loaded item for each key, in order.
    let mut loaded = load(conn, &keys).await?.into_iter();
    let mut items = Vec::with_capacity(rows.items.len());
    for (row, key) in rows.items.into_iter().zip(newest) {
        let last = key.and_then(|_| loaded.next().flatten());
        items.push(Conversation {
            last: last.as_ref().map(Last::of),
            unread: row.unread,
            archived: row.archived,
            blocked: row.blocked,
            name: row.name,
            number: row.number,
        });
    }
    Ok(Page {
        items,
        next: rows.next,
    })
}

/// The rows of a page of conversations, one more than the limit.
fn conversation_rows(query: &ConversationQuery) -> QueryBuilder<'_, Sqlite> {
    let mut sql = QueryBuilder::<Sqlite>::new(
        "SELECT latest.number, latest.at, contacts.name, \
           COALESCE((SELECT n FROM unread_counts WHERE number = latest.number), 0) AS unread, \
           COALESCE(marks.archived_at >= latest.at, 0) AS archived, \
           marks.blocked_at IS NOT NULL AS blocked \
         FROM latest_activity latest \
         LEFT JOIN contacts ON contacts.number = latest.number \
         LEFT JOIN conversation_marks marks ON marks.number = latest.number WHERE 1 = 1",
    );
    if !query.hidden.is_empty() {
        sql.push(" AND latest.number NOT IN (");
        let mut list = sql.separated(", ");
        for number in &query.hidden {
            list.push_bind(number);
        }
        sql.push(")");
    }
    let search = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    match (search, query.view) {
        (Some(_), _) => {}
        (None, View::Inbox) => {
            sql.push(
                " AND (marks.number IS NULL OR (marks.blocked_at IS NULL \
                   AND (marks.archived_at IS NULL OR marks.archived_at < latest.at)))",
            );
        }
        (None, View::Archived) => {
            sql.push(" AND marks.blocked_at IS NULL AND marks.archived_at >= latest.at");
        }
    }
    if let Some(search) = search {
        // The matching contacts are found once (a scan of the contacts, not one name per
        // conversation walked): a filter that matches nothing costs a few milliseconds with
        // 20,000 conversations instead of a join per conversation.
        sql.push(" AND (latest.number IN (SELECT number FROM contacts WHERE name LIKE ")
            .push_bind(like_pattern(search))
            .push(" ESCAPE '\\')");
        let digits: String = search.chars().filter(char::is_ascii_digit).collect();
        if !digits.is_empty() {
            sql.push(" OR latest.number LIKE ")
                .push_bind(like_pattern(&digits))
                .push(" ESCAPE '\\'");
        }
        sql.push(")");
    }
    if let Some((at, number)) = &query.before {
        sql.push(" AND (latest.at, latest.number) < (")
            .push_bind(*at)
            .push(", ")
            .push_bind(number.as_str())
            .push(")");
    }
    sql.push(" ORDER BY latest.at DESC, latest.number DESC LIMIT ")
        .push_bind(sql_limit(query.limit).saturating_add(1));
    sql
}

/// Pushes the expression for the unread messages from `number` (kept by triggers, see
/// `0004_unread.sql`).
pub(crate) fn push_unread<'a>(sql: &mut QueryBuilder<'a, Sqlite>, number: &'a str) {
    sql.push("COALESCE((SELECT n FROM unread_counts WHERE number = ");
    sql.push_bind(number);
    sql.push("), 0)");
}

/// Pushes the expression for all unread messages except from `hidden` numbers: the kept
/// total less the hidden numbers' counts, so it costs the same with a million messages as
/// with ten.
pub(crate) fn push_unread_total<'a>(sql: &mut QueryBuilder<'a, Sqlite>, hidden: &'a [String]) {
    sql.push("(COALESCE((SELECT n FROM unread_total WHERE id = 1), 0)");
    if !hidden.is_empty() {
        sql.push(" - COALESCE((SELECT SUM(n) FROM unread_counts WHERE number IN (");
        let mut list = sql.separated(", ");
        for number in hidden {
            list.push_bind(number);
        }
        sql.push(")), 0)");
    }
    sql.push(")");
}

/// Inbound messages from `number` not yet read.
pub async fn unread(exec: impl SqliteExecutor<'_>, number: &str) -> Result<i64> {
    let mut sql = QueryBuilder::<Sqlite>::new("SELECT ");
    push_unread(&mut sql, number);
    sql.build_query_scalar::<i64>()
        .fetch_one(exec)
        .await
        .op("unread")
}

/// All unread inbound messages, except from `hidden` numbers.
pub async fn unread_total(exec: impl SqliteExecutor<'_>, hidden: &[String]) -> Result<i64> {
    let mut sql = QueryBuilder::<Sqlite>::new("SELECT ");
    push_unread_total(&mut sql, hidden);
    sql.build_query_scalar::<i64>()
        .fetch_one(exec)
        .await
        .op("unread total")
}

/// A call in the call log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallEntry {
    pub sid: String,
    pub from: String,
    pub to: String,
    pub name: Option<String>,
    pub direction: Direction,
    pub status: String,
    pub duration: Option<i64>,
    pub at: i64,
    /// The call's voicemail, if it left one.
    pub recording: Option<VoicemailItem>,
    /// The recording of the call itself, as [`CallItem::call_recording`].
    pub call_recording: Option<RecordingRef>,
    /// As [`CallItem::outcome`].
    pub outcome: String,
    pub answered_to: Option<String>,
    pub talk: Option<i64>,
    /// What the call went through in the flows (see `CallItem::path`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct CallLogQuery {
    pub direction: Option<Direction>,
    pub status: Option<String>,
    /// What the call was ([`CallItem::outcome`]).
    pub outcome: Option<String>,
    /// The other party.
    pub number: Option<String>,
    pub before: Option<Cursor>,
    pub limit: u32,
}

#[derive(sqlx::FromRow)]
struct CallLogRow {
    #[sqlx(flatten)]
    call: CallJoin,
    name: Option<String>,
    /// The call's first voicemail, if any (most calls have none: one query per page finds
    /// them, then one per voicemail loads it).
    recording_sid: Option<String>,
}

/// Top-level calls, newest first, filtered.
pub async fn call_log(
    conn: &mut SqliteConnection,
    query: &CallLogQuery,
) -> Result<Page<CallEntry>> {
    let op = "call log";
    let rows = call_log_rows(query)
        .build_query_as::<CallLogRow>()
        .fetch_all(&mut *conn)
        .await
        .op(op)?;
    let rows = page(rows, query.limit, |r| {
        (r.call.started_at, r.call.sid.clone())
    });
    let mut items = Vec::with_capacity(rows.items.len());
    for row in rows.items {
        let recording = match &row.recording_sid {
            Some(sid) => {
                sqlx::query_as::<_, VoicemailJoin>(&format!("{VOICEMAIL_SELECT} WHERE r.sid = $1"))
                    .bind(sid)
                    .fetch_optional(&mut *conn)
                    .await
                    .op(op)?
            }
            None => None,
        };
        let item = row.call.item();
        items.push(CallEntry {
            sid: item.sid,
            from: row.call.from_number,
            to: row.call.to_number,
            name: row.name,
            direction: item.direction,
            status: item.status,
            duration: item.duration,
            at: item.at,
            recording: recording.map(VoicemailJoin::item),
            call_recording: item.call_recording,
            outcome: item.outcome,
            answered_to: item.answered_to,
            talk: item.talk,
            path: item.path,
        });
    }
    Ok(Page {
        items,
        next: rows.next,
    })
}

/// The rows of a page of the call log, one more than the limit.
fn call_log_rows(query: &CallLogQuery) -> QueryBuilder<'_, Sqlite> {
    let mut sql = QueryBuilder::<Sqlite>::new(format!(
        "SELECT {CALL_COLUMNS}, contacts.name, \
           (SELECT r.sid FROM recordings r WHERE r.call_sid = c.sid AND r.source = 'voicemail' \
             ORDER BY r.created_at, r.sid LIMIT 1) AS recording_sid \
         FROM calls c \
         LEFT JOIN contacts ON contacts.number = {} \
         WHERE c.parent_sid IS NULL",
        call_party!("c.")
    ));
    if let Some(direction) = query.direction {
        let text = match direction {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        };
        sql.push(concat!(" AND ", call_direction!("c."), " = "))
            .push_bind(text);
    }
    if let Some(status) = &query.status {
        sql.push(" AND c.status = ").push_bind(status.as_str());
    }
    match query.outcome.as_deref() {
        None => {}
        // The same as the outcome's first case, read from its own index instead of working
        // out every call's outcome (blocked calls are few).
        Some("rejected") => {
            sql.push(" AND c.blocked = 1");
        }
        Some(outcome) => {
            sql.push(concat!(" AND ", call_outcome!(), " = "))
                .push_bind(outcome);
        }
    }
    if let Some(number) = &query.number {
        sql.push(concat!(" AND ", call_party!("c."), " = "))
            .push_bind(number.as_str());
    }
    if let Some((at, sid)) = &query.before {
        // A row value, so the index on (started_at, sid) starts right below the cursor.
        sql.push(" AND (c.started_at, c.sid) < (")
            .push_bind(*at)
            .push(", ")
            .push_bind(sid.as_str())
            .push(")");
    }
    sql.push(" ORDER BY c.started_at DESC, c.sid DESC LIMIT ")
        .push_bind(sql_limit(query.limit).saturating_add(1));
    sql
}

/// Outbox work not done yet (`pending` or `sending`) and work that failed, all kinds.
pub async fn outbox_counts(exec: impl SqliteExecutor<'_>) -> Result<(i64, i64)> {
    sqlx::query_as::<_, (i64, i64)>(
        "SELECT COALESCE(SUM(CASE WHEN status IN ('pending', 'sending') THEN 1 ELSE 0 END), 0),                 COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0)          FROM outbox",
    )
    .fetch_one(exec)
    .await
    .op("outbox counts")
}

/// What deleting a message removed: its thread, and the files vbx kept of its media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedMessage {
    pub number: String,
    pub local_paths: Vec<String>,
}

/// Deletes a message and its media rows (`None` if there was no such message). The app does
/// this through `Store::delete_message`; tests on a bare pool use this.
#[cfg(test)]
pub async fn delete_message(
    conn: &mut SqliteConnection,
    sid: &str,
) -> Result<Option<DeletedMessage>> {
    let op = "delete message";
    let number = sqlx::query_scalar::<_, String>(concat!(
        "SELECT ",
        message_party!(""),
        " FROM messages WHERE sid = $1"
    ))
    .bind(sid)
    .fetch_optional(&mut *conn)
    .await
    .op(op)?;
    let Some(number) = number else {
        return Ok(None);
    };
    let local_paths = sqlx::query_scalar::<_, String>(
        "SELECT local_path FROM media WHERE message_sid = $1 AND local_path IS NOT NULL",
    )
    .bind(sid)
    .fetch_all(&mut *conn)
    .await
    .op(op)?;
    sqlx::query("DELETE FROM media WHERE message_sid = $1")
        .bind(sid)
        .execute(&mut *conn)
        .await
        .op(op)?;
    sqlx::query("DELETE FROM messages WHERE sid = $1")
        .bind(sid)
        .execute(&mut *conn)
        .await
        .op(op)?;
    Ok(Some(DeletedMessage {
        number,
        local_paths,
    }))
}

#[cfg(test)]
mod scale_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod unread_tests;
