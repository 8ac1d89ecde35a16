-- Reconciliation with Twilio's REST API: how far the sync of each resource got, and the
-- download state of incoming media. Timestamps are INTEGER unix milliseconds (UTC).

-- One row per resource ('calls', 'messages'). synced_at: when the last successful pass began;
-- everything Twilio held before it is in the store.
CREATE TABLE sync_state (
    resource     TEXT PRIMARY KEY NOT NULL,
    synced_at    INTEGER,
    attempted_at INTEGER NOT NULL,
    last_error   TEXT
);

-- Failed downloads of incoming media (a row exists only after a failure). gave_up = 1: the
-- failure cannot be fixed by retrying (e.g. Twilio answered 404).
CREATE TABLE media_fetch (
    message_sid     TEXT NOT NULL,
    idx             INTEGER NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT NOT NULL,
    gave_up         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (message_sid, idx),
    FOREIGN KEY (message_sid, idx) REFERENCES media (message_sid, idx) ON DELETE CASCADE
);
