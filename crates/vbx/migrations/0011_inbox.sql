-- vbx schema v11. Never edit once landed: add 0012_*.sql.
--
-- What the user decided about a conversation. Archived: hidden from the inbox while its newest
-- activity (`latest_activity.at`) is not newer than `archived_at`, so anything new brings it
-- back. Blocked: its calls are rejected and its texts stored read, marked `blocked`, without
-- running a flow; the inbox does not list it until it is unblocked. Times are milliseconds.
CREATE TABLE conversation_marks (
    number      TEXT PRIMARY KEY NOT NULL,
    archived_at INTEGER,
    blocked_at  INTEGER
) WITHOUT ROWID;

-- A text or call that arrived from a blocked number (shown as such in its thread). Adding a
-- column with a constant default rewrites nothing.
ALTER TABLE messages ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE calls ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0;
