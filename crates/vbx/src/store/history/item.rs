//! The entries of a thread — messages, calls, voicemails, unsent texts — loaded one by one:
//! threads are made of them and the event feed sends them.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Serialize;
use serde_json::Value;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqliteExecutor};

use crate::store::call::NewCall;
use crate::store::message::NewMessage;
use crate::store::{Context, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    fn of_message(direction: &str) -> Direction {
        if direction == "inbound" {
            Direction::Inbound
        } else {
            Direction::Outbound
        }
    }

    fn parse(text: &str) -> Direction {
        if text == "inbound" {
            Direction::Inbound
        } else {
            Direction::Outbound
        }
    }
}

/// One entry of a thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Item {
    Message(MessageItem),
    Call(CallItem),
    Voicemail(VoicemailItem),
}

impl Item {
    pub fn at(&self) -> i64 {
        match self {
            Item::Message(m) => m.at,
            Item::Call(c) => c.at,
            Item::Voicemail(v) => v.at,
        }
    }

    /// The event type that carries this item.
    pub fn kind(&self) -> &'static str {
        match self {
            Item::Message(_) => "message",
            Item::Call(_) => "call",
            Item::Voicemail(_) => "voicemail",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageItem {
    /// `None` while the text is still in the outbox (or Twilio refused it).
    pub sid: Option<String>,
    /// The outbox row that sent it, for texts sent by vbx.
    pub outbox_id: Option<i64>,
    pub direction: Direction,
    pub body: String,
    pub media: Vec<MediaRef>,
    pub status: String,
    pub error: Option<String>,
    pub at: i64,
    /// Arrived from a blocked number (stored, read, nobody notified).
    #[serde(skip_serializing_if = "is_false")]
    pub blocked: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MediaRef {
    pub url: String,
    pub content_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallItem {
    pub sid: String,
    pub direction: Direction,
    pub status: String,
    pub duration: Option<i64>,
    pub at: i64,
    /// From a blocked number: rejected without ringing anyone.
    #[serde(skip_serializing_if = "is_false")]
    pub blocked: bool,
    /// What the call was (`store::history`'s `call_outcome!`): `answered`, `voicemail`,
    /// `missed`, `rejected`, `busy`, `failed`, `no-answer`, `canceled`, `ringing`,
    /// `in-progress`.
    pub outcome: String,
    /// Who picked up: `client:<identity>` (a browser), a number, or '' (one of several).
    pub answered_to: Option<String>,
    /// Seconds of talk, for an answered call.
    pub talk: Option<i64>,
    /// What the call went through in the flows, in order (`calls.path`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<String>,
    /// The recording of the call itself (`<Dial record>`), once Twilio finished it.
    pub call_recording: Option<RecordingRef>,
}

/// A recording of a call, to play from the call's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordingRef {
    pub sid: String,
    /// `/api/recordings/{sid}`.
    pub url: String,
    pub duration: Option<i64>,
}

impl RecordingRef {
    fn of(sid: String, duration: Option<i64>) -> RecordingRef {
        RecordingRef {
            url: format!("/api/recordings/{sid}"),
            sid,
            duration,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VoicemailItem {
    pub sid: String,
    pub call_sid: String,
    pub url: String,
    pub duration: Option<i64>,
    pub transcription: Option<String>,
    /// `in-progress` while a transcript is coming (asked for, and a recording Twilio
    /// transcribes), then Twilio's `completed` or `failed`; `None` when none is coming.
    pub transcription_status: Option<String>,
    /// Someone heard it (played it, marked it, or read its thread).
    pub heard: bool,
    pub at: i64,
}

/// An item and the number whose thread it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub number: String,
    pub item: Item,
}

#[derive(sqlx::FromRow)]
struct MessageJoin {
    sid: String,
    direction: String,
    body: String,
    status: String,
    error_code: Option<i64>,
    error_message: Option<String>,
    created_at: i64,
    party: String,
    outbox_id: Option<i64>,
    has_media: bool,
    blocked: bool,
}

impl MessageJoin {
    fn located(self, media: Vec<MediaRef>) -> Located {
        Located {
            number: self.party,
            item: Item::Message(MessageItem {
                sid: Some(self.sid),
                outbox_id: self.outbox_id,
                direction: Direction::of_message(&self.direction),
                body: self.body,
                media,
                status: self.status,
                error: error_text(self.error_code, self.error_message),
                at: self.created_at,
                blocked: self.blocked,
            }),
        }
    }
}

/// The columns of [`MessageJoin`], from `messages m`.
macro_rules! message_select {
    () => {
        concat!(
            "SELECT m.sid, m.direction, m.body, m.status, m.error_code, m.error_message, \
                 m.created_at, ",
            message_party!("m."),
            " AS party, (SELECT MIN(o.id) FROM outbox o WHERE o.result = m.sid AND o.kind = 'sms') \
                 AS outbox_id, \
                 EXISTS (SELECT 1 FROM media WHERE message_sid = m.sid) AS has_media, m.blocked \
             FROM messages m"
        )
    };
}

#[derive(sqlx::FromRow)]
struct MediaJoin {
    message_sid: String,
    idx: i64,
    content_type: String,
}

impl MediaJoin {
    fn media_ref(self) -> MediaRef {
        MediaRef {
            url: format!("/api/media/{}/{}", self.message_sid, self.idx),
            content_type: self.content_type,
        }
    }
}

fn error_text(code: Option<i64>, message: Option<String>) -> Option<String> {
    match (code, message) {
        (_, Some(message)) if !message.is_empty() => Some(message),
        (Some(code), _) => Some(format!("Twilio error {code}")),
        _ => None,
    }
}

const MESSAGE_ITEM: &str = concat!(message_select!(), " WHERE m.sid = $1 AND m.stub = 0");

const MEDIA_OF_ITEM: &str =
    "SELECT message_sid, idx, content_type FROM media WHERE message_sid = $1 ORDER BY idx";

/// What [`blocking::message_item`] reads for an inbound text right after inserting it as a new row
/// (`message::blocking::Recorded::Inserted`), made from the message instead of read back.
/// `None` for any other direction: only an outbound text can be an outbox row's result
/// (`outbox_id`).
pub fn inbound_text_item(message: &NewMessage) -> Option<Located> {
    if message.direction != "inbound" {
        return None;
    }
    let media = (0..)
        .zip(&message.media)
        .map(|(idx, media)| {
            MediaJoin {
                message_sid: message.sid.clone(),
                idx,
                content_type: media.content_type.clone(),
            }
            .media_ref()
        })
        .collect();
    Some(Located {
        number: message.from.clone(),
        item: Item::Message(MessageItem {
            sid: Some(message.sid.clone()),
            outbox_id: None,
            direction: Direction::Inbound,
            body: message.body.clone(),
            media,
            status: message.status.clone(),
            error: None,
            at: message.created_at_ms,
            blocked: false,
        }),
    })
}

/// `… IN ($1, $2, …)` over `keys`.
fn push_in<'a>(sql: &mut QueryBuilder<'a, Sqlite>, keys: &'a [String]) {
    sql.push(" IN (");
    let mut list = sql.separated(", ");
    for key in keys {
        list.push_bind(key.as_str());
    }
    sql.push(")");
}

/// [`blocking::message_item`] for many SIDs in two queries, by SID; unknown SIDs and stubs are missing.
pub async fn message_items(
    conn: &mut SqliteConnection,
    sids: &[String],
) -> Result<HashMap<String, Located>> {
    let op = "message items";
    if sids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = QueryBuilder::new(concat!(message_select!(), " WHERE m.stub = 0 AND m.sid"));
    push_in(&mut sql, sids);
    let rows = sql
        .build_query_as::<MessageJoin>()
        .fetch_all(&mut *conn)
        .await
        .op(op)?;
    let mut sql =
        QueryBuilder::new("SELECT message_sid, idx, content_type FROM media WHERE message_sid");
    push_in(&mut sql, sids);
    sql.push(" ORDER BY message_sid, idx");
    let mut media: HashMap<String, Vec<MediaRef>> = HashMap::new();
    for row in sql
        .build_query_as::<MediaJoin>()
        .fetch_all(&mut *conn)
        .await
        .op(op)?
    {
        media
            .entry(row.message_sid.clone())
            .or_default()
            .push(row.media_ref());
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let media = media.remove(&row.sid).unwrap_or_default();
            (row.sid.clone(), row.located(media))
        })
        .collect())
}

/// What [`blocking::call_item`] reads for a call right after `record_call` inserted it as a new row,
/// made from the call instead of read back (the read cost about a quarter of the writer
/// thread's time for an incoming call). Only while the call is live (queued, initiated,
/// ringing, in progress): a new row is not blocked and has no `<Dial>` answer or talk time,
/// and for such a status `call_outcome!`, `call_answered_to!` and `call_talk!` read no leg
/// and no recording. `None` for a `<Dial>` leg or any other status: read those instead.
pub fn new_call_item(call: &NewCall) -> Option<Located> {
    let live = matches!(
        call.status.as_str(),
        "queued" | "initiated" | "ringing" | "in-progress"
    );
    if call.parent_sid.is_some() || !live {
        return None;
    }
    // `call_party!` and `call_direction!`.
    let inbound = call.direction == "inbound" && !call.from.starts_with("client:");
    let (direction, party) = if inbound {
        (Direction::Inbound, &call.from)
    } else {
        (Direction::Outbound, &call.to)
    };
    let outcome = if call.status == "in-progress" {
        "in-progress"
    } else {
        "ringing"
    };
    Some(Located {
        number: party.clone(),
        item: Item::Call(CallItem {
            sid: call.sid.clone(),
            direction,
            status: call.status.clone(),
            duration: None,
            at: call.started_at_ms,
            blocked: false,
            outcome: outcome.to_owned(),
            answered_to: None,
            talk: None,
            path: Vec::new(),
            call_recording: None,
        }),
    })
}

#[derive(sqlx::FromRow)]
pub(super) struct CallJoin {
    pub(super) sid: String,
    pub(super) from_number: String,
    pub(super) to_number: String,
    pub(super) status: String,
    pub(super) duration_s: Option<i64>,
    pub(super) started_at: i64,
    pub(super) party: String,
    pub(super) user_direction: String,
    pub(super) blocked: bool,
    pub(super) outcome: String,
    pub(super) answered_to: Option<String>,
    pub(super) talk_s: Option<i64>,
    /// A JSON array of `[key, what]` pairs, or NULL without a path.
    pub(super) path: Option<String>,
    pub(super) call_recording_sid: Option<String>,
    pub(super) call_recording_duration: Option<i64>,
}

impl CallJoin {
    pub(super) fn item(&self) -> CallItem {
        CallItem {
            sid: self.sid.clone(),
            direction: Direction::parse(&self.user_direction),
            status: self.status.clone(),
            duration: self.duration_s,
            at: self.started_at,
            blocked: self.blocked,
            outcome: self.outcome.clone(),
            answered_to: self.answered_to.clone(),
            talk: self.talk_s,
            path: path_of(self.path.as_deref()),
            call_recording: self
                .call_recording_sid
                .clone()
                .map(|sid| RecordingRef::of(sid, self.call_recording_duration)),
        }
    }
}

/// `$column` of the first finished recording of the call `c` itself (not a voicemail), by
/// `recordings_call`.
macro_rules! call_recording {
    ($column:literal) => {
        concat!(
            "(SELECT r.",
            $column,
            " FROM recordings r WHERE r.call_sid = c.sid AND r.source = 'call' \
               AND r.status = 'completed' ORDER BY r.created_at, r.sid LIMIT 1)"
        )
    };
}

/// What a call went through, from its stored path (written by vbx alone: anything else would
/// be a bug, shown as no path).
fn path_of(json: Option<&str>) -> Vec<String> {
    let pairs: Vec<(String, String)> = json
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_default();
    pairs.into_iter().map(|(_, what)| what).collect()
}

pub(super) const CALL_COLUMNS: &str = concat!(
    "c.sid, c.from_number, c.to_number, c.status, c.duration_s, c.started_at, ",
    call_party!("c."),
    " AS party, ",
    call_direction!("c."),
    " AS user_direction, c.blocked, ",
    call_outcome!(),
    " AS outcome, ",
    call_answered_to!(),
    " AS answered_to, ",
    call_talk!(),
    " AS talk_s, c.path, ",
    call_recording!("sid"),
    " AS call_recording_sid, ",
    call_recording!("duration_s"),
    " AS call_recording_duration"
);

static CALL_ITEM: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {CALL_COLUMNS} FROM calls c WHERE c.sid = $1 AND c.parent_sid IS NULL")
});

/// [`blocking::call_item`] for many SIDs in one query, by SID; unknown SIDs and legs are missing.
pub async fn call_items(
    exec: impl SqliteExecutor<'_>,
    sids: &[String],
) -> Result<HashMap<String, Located>> {
    if sids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = QueryBuilder::new(format!(
        "SELECT {CALL_COLUMNS} FROM calls c WHERE c.parent_sid IS NULL AND c.sid"
    ));
    push_in(&mut sql, sids);
    let rows = sql
        .build_query_as::<CallJoin>()
        .fetch_all(exec)
        .await
        .op("call items")?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let located = Located {
                item: Item::Call(row.item()),
                number: row.party,
            };
            (row.sid, located)
        })
        .collect())
}

#[derive(sqlx::FromRow)]
pub(super) struct VoicemailJoin {
    pub(super) sid: String,
    pub(super) call_sid: String,
    pub(super) duration_s: Option<i64>,
    pub(super) transcription_text: Option<String>,
    pub(super) transcription_status: Option<String>,
    pub(super) heard: bool,
    pub(super) created_at: i64,
    pub(super) party: String,
}

impl VoicemailJoin {
    pub(super) fn item(self) -> VoicemailItem {
        VoicemailItem {
            url: format!("/api/recordings/{}", self.sid),
            sid: self.sid,
            call_sid: self.call_sid,
            duration: self.duration_s,
            transcription: self.transcription_text,
            transcription_status: self.transcription_status,
            heard: self.heard,
            at: self.created_at,
        }
    }
}

pub(super) const VOICEMAIL_SELECT: &str = concat!(
    "SELECT r.sid, r.call_sid, r.duration_s, r.transcription_text, r.transcription_status, \
         r.heard_at IS NOT NULL AS heard, r.created_at, ",
    call_party!("c."),
    " AS party FROM recordings r JOIN calls c ON c.sid = r.call_sid AND r.source = 'voicemail'"
);

/// The statement of [`voicemail_item`].
static VOICEMAIL_ITEM: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("{VOICEMAIL_SELECT} WHERE r.sid = ?1"));

/// [`blocking::voicemail_item`] for many SIDs in one query, by SID; unknown ones are missing.
pub async fn voicemail_items(
    exec: impl SqliteExecutor<'_>,
    sids: &[String],
) -> Result<HashMap<String, Located>> {
    if sids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = QueryBuilder::new(format!("{VOICEMAIL_SELECT} WHERE r.sid"));
    push_in(&mut sql, sids);
    let rows = sql
        .build_query_as::<VoicemailJoin>()
        .fetch_all(exec)
        .await
        .op("voicemail items")?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let sid = row.sid.clone();
            let located = Located {
                number: row.party.clone(),
                item: Item::Voicemail(row.item()),
            };
            (sid, located)
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct OutboxJoin {
    id: i64,
    payload: String,
    status: String,
    last_error: Option<String>,
    created_at: i64,
}

impl OutboxJoin {
    fn located(self) -> Option<Located> {
        let payload: Value = serde_json::from_str(&self.payload).ok()?;
        let to = payload.get("to")?.as_str()?.to_owned();
        let text = |v: &Value| v.as_str().map(str::to_owned);
        let types: Vec<String> = payload
            .get("local_media")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|m| m.get("content_type").and_then(text).unwrap_or_default())
                    .collect()
            })
            .unwrap_or_default();
        let media = payload
            .get("media")
            .and_then(Value::as_array)
            .map(|urls| {
                urls.iter()
                    .enumerate()
                    .filter_map(|(i, url)| {
                        let url = url.as_str()?;
                        // The page is served from the same public URL: a path is enough.
                        let path = url::Url::parse(url)
                            .map(|u| u.path().to_owned())
                            .unwrap_or_else(|_| url.to_owned());
                        Some(MediaRef {
                            url: path,
                            content_type: types.get(i).cloned().unwrap_or_default(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let (status, error) = match self.status.as_str() {
            "failed" => ("failed", self.last_error),
            _ => ("queued", None),
        };
        Some(Located {
            number: to,
            item: Item::Message(MessageItem {
                sid: None,
                outbox_id: Some(self.id),
                direction: Direction::Outbound,
                body: payload.get("body").and_then(text).unwrap_or_default(),
                media,
                status: status.to_owned(),
                error,
                at: self.created_at,
                blocked: false,
            }),
        })
    }
}

const OUTBOX_ITEM: &str = "SELECT id, payload, status, last_error, created_at FROM outbox \
     WHERE id = $1 AND kind = 'sms' AND status IN ('pending', 'sending', 'failed')";

/// [`blocking::outbox_item`] for many ids in one query, by id; ids that are no such row are missing.
pub async fn outbox_items(
    exec: impl SqliteExecutor<'_>,
    ids: &[i64],
) -> Result<HashMap<i64, Located>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = QueryBuilder::<Sqlite>::new(
        "SELECT id, payload, status, last_error, created_at FROM outbox \
         WHERE kind = 'sms' AND status IN ('pending', 'sending', 'failed') AND id IN (",
    );
    let mut list = sql.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    sql.push(")");
    let rows = sql
        .build_query_as::<OutboxJoin>()
        .fetch_all(exec)
        .await
        .op("outbox items")?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let id = row.id;
            Some((id, row.located()?))
        })
        .collect())
}

/// The same reads for the writer thread (see `store::writer`): the feed's items are read in
/// the transaction that changed them.
pub mod blocking {
    use rusqlite::{Connection, OptionalExtension as _, Row};

    use super::{CallJoin, Located, MediaJoin, MessageJoin, OutboxJoin};
    use crate::store::{Context, Result};

    impl MessageJoin {
        fn from_row(row: &Row<'_>) -> rusqlite::Result<MessageJoin> {
            Ok(MessageJoin {
                sid: row.get("sid")?,
                direction: row.get("direction")?,
                body: row.get("body")?,
                status: row.get("status")?,
                error_code: row.get("error_code")?,
                error_message: row.get("error_message")?,
                created_at: row.get("created_at")?,
                party: row.get("party")?,
                outbox_id: row.get("outbox_id")?,
                has_media: row.get("has_media")?,
                blocked: row.get("blocked")?,
            })
        }
    }

    impl CallJoin {
        fn from_row(row: &Row<'_>) -> rusqlite::Result<CallJoin> {
            Ok(CallJoin {
                sid: row.get("sid")?,
                from_number: row.get("from_number")?,
                to_number: row.get("to_number")?,
                status: row.get("status")?,
                duration_s: row.get("duration_s")?,
                started_at: row.get("started_at")?,
                party: row.get("party")?,
                user_direction: row.get("user_direction")?,
                blocked: row.get("blocked")?,
                outcome: row.get("outcome")?,
                answered_to: row.get("answered_to")?,
                talk_s: row.get("talk_s")?,
                path: row.get("path")?,
                call_recording_sid: row.get("call_recording_sid")?,
                call_recording_duration: row.get("call_recording_duration")?,
            })
        }
    }

    /// A stored message as a thread item (`None` for an unknown SID or a status-only stub).
    pub fn message_item(conn: &Connection, sid: &str) -> Result<Option<Located>> {
        let op = "message item";
        let row = conn
            .prepare_cached(super::MESSAGE_ITEM)
            .op(op)?
            .query_row([sid], MessageJoin::from_row)
            .optional()
            .op(op)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let media = if row.has_media {
            conn.prepare_cached(super::MEDIA_OF_ITEM)
                .op(op)?
                .query_map([sid], |row| {
                    Ok(MediaJoin {
                        message_sid: row.get("message_sid")?,
                        idx: row.get("idx")?,
                        content_type: row.get("content_type")?,
                    })
                })
                .op(op)?
                .map(|media| media.map(MediaJoin::media_ref))
                .collect::<rusqlite::Result<Vec<_>>>()
                .op(op)?
        } else {
            Vec::new()
        };
        Ok(Some(row.located(media)))
    }

    /// A top-level call as a thread item (`None` for an unknown SID or a `<Dial>` leg).
    pub fn call_item(conn: &Connection, sid: &str) -> Result<Option<Located>> {
        let op = "call item";
        let row = conn
            .prepare_cached(&super::CALL_ITEM)
            .op(op)?
            .query_row([sid], CallJoin::from_row)
            .optional()
            .op(op)?;
        Ok(row.map(|row| Located {
            item: super::Item::Call(row.item()),
            number: row.party,
        }))
    }

    /// A recording as a voicemail item (`None` when its call is unknown).
    pub fn voicemail_item(conn: &Connection, sid: &str) -> Result<Option<Located>> {
        let op = "voicemail item";
        let row = conn
            .prepare_cached(&super::VOICEMAIL_ITEM)
            .op(op)?
            .query_row([sid], |row| {
                Ok(super::VoicemailJoin {
                    sid: row.get("sid")?,
                    call_sid: row.get("call_sid")?,
                    duration_s: row.get("duration_s")?,
                    transcription_text: row.get("transcription_text")?,
                    transcription_status: row.get("transcription_status")?,
                    heard: row.get("heard")?,
                    created_at: row.get("created_at")?,
                    party: row.get("party")?,
                })
            })
            .optional()
            .op(op)?;
        Ok(row.map(|row| Located {
            number: row.party.clone(),
            item: super::Item::Voicemail(row.item()),
        }))
    }

    /// An SMS outbox row not (yet) turned into a message, as a thread item.
    pub fn outbox_item(conn: &Connection, id: i64) -> Result<Option<Located>> {
        let op = "outbox item";
        let row = conn
            .prepare_cached(super::OUTBOX_ITEM)
            .op(op)?
            .query_row([id], |row| {
                Ok(OutboxJoin {
                    id: row.get("id")?,
                    payload: row.get("payload")?,
                    status: row.get("status")?,
                    last_error: row.get("last_error")?,
                    created_at: row.get("created_at")?,
                })
            })
            .optional()
            .op(op)?;
        Ok(row.and_then(OutboxJoin::located))
    }
}
