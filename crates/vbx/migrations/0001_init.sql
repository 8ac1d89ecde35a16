-- vbx schema v1. Timestamps are INTEGER unix milliseconds (UTC). Plain SQL that also runs on
-- PostgreSQL apart from AUTOINCREMENT (BIGSERIAL there). Never edit once landed: add 0002_*.sql.

CREATE TABLE calls (
    sid           TEXT PRIMARY KEY NOT NULL,
    account_sid   TEXT NOT NULL,
    from_number   TEXT NOT NULL,
    to_number     TEXT NOT NULL,
    direction     TEXT NOT NULL,
    status        TEXT NOT NULL,
    alias         TEXT,
    parent_sid    TEXT,
    duration_s    INTEGER,
    last_sequence INTEGER,
    started_at    INTEGER NOT NULL,
    ended_at      INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX calls_started_at ON calls (started_at);
CREATE INDEX calls_from_started ON calls (from_number, started_at);
CREATE INDEX calls_to_started ON calls (to_number, started_at);
CREATE INDEX calls_parent ON calls (parent_sid);

-- stub = 1: created by a status callback that arrived before the message itself was recorded;
-- record_message fills the row in.
CREATE TABLE messages (
    sid           TEXT PRIMARY KEY NOT NULL,
    account_sid   TEXT NOT NULL,
    from_number   TEXT NOT NULL,
    to_number     TEXT NOT NULL,
    body          TEXT NOT NULL,
    direction     TEXT NOT NULL,
    status        TEXT NOT NULL,
    num_media     INTEGER NOT NULL,
    error_code    INTEGER,
    error_message TEXT,
    stub          INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    read_at       INTEGER
);
CREATE INDEX messages_from_created ON messages (from_number, created_at);
CREATE INDEX messages_to_created ON messages (to_number, created_at);

CREATE TABLE media (
    message_sid  TEXT NOT NULL REFERENCES messages (sid) ON DELETE CASCADE,
    idx          INTEGER NOT NULL,
    url          TEXT NOT NULL,
    content_type TEXT NOT NULL,
    local_path   TEXT,
    PRIMARY KEY (message_sid, idx)
);

-- No foreign key to calls: a recording callback may name a call leg vbx never stored.
CREATE TABLE recordings (
    sid                  TEXT PRIMARY KEY NOT NULL,
    call_sid             TEXT NOT NULL,
    url                  TEXT NOT NULL,
    duration_s           INTEGER,
    status               TEXT NOT NULL,
    transcription_text   TEXT,
    transcription_status TEXT,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX recordings_call ON recordings (call_sid);

CREATE TABLE relay_targets (
    device     TEXT PRIMARY KEY NOT NULL,
    number     TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    result          TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
