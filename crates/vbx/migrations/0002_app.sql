-- vbx schema v2: what the web app needs (sessions, contacts, the event feed) and the indexes
-- behind its conversation list. Timestamps are INTEGER unix milliseconds (UTC). Never edit
-- once landed: add 0003_*.sql.

-- Login sessions. The cookie carries a random token; only its SHA-256 (hex) is stored, so a
-- copy of the database lets nobody in. `expires_at` slides forward while the session is used.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_name  TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_user ON sessions (user_name);

-- Random keys vbx makes for itself on first use (e.g. the proxy mode's CSRF key).
CREATE TABLE app_secrets (
    name  TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- Contacts as the app shows them. The config's [contacts] seed this table; edited = 1 once a
-- user changed the row, after which the config no longer updates it.
CREATE TABLE contacts (
    number     TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    edited     INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
-- Config contacts seeded once already: one a user deleted is not brought back at restart.
CREATE TABLE contact_seeds (
    number TEXT PRIMARY KEY NOT NULL
);

-- What the browser is told, in order: written in the same transaction as the change it
-- describes, replayed from `id` when a socket resumes. `payload` is a JSON object.
CREATE TABLE events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    type    TEXT NOT NULL,
    number  TEXT,
    payload TEXT NOT NULL,
    at      INTEGER NOT NULL
);
CREATE INDEX events_at ON events (at);

-- The other party of a message or a top-level call, as an expression index: conversations
-- group by it and threads look it up. The expressions must stay identical to the ones in
-- src/store/history.rs (a test checks that the query planner uses these indexes).
CREATE INDEX messages_party ON messages (
    (CASE WHEN direction = 'inbound' THEN from_number ELSE to_number END), created_at);
CREATE INDEX calls_party ON calls (
    (CASE WHEN direction = 'inbound' AND substr(from_number, 1, 7) <> 'client:'
          THEN from_number ELSE to_number END), started_at)
    WHERE parent_sid IS NULL;
CREATE INDEX messages_unread ON messages (from_number)
    WHERE direction = 'inbound' AND read_at IS NULL;
-- The message an SMS outbox row became (its `result` is the message SID).
CREATE INDEX outbox_result ON outbox (result);
