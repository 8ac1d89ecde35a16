-- vbx schema v20. Never edit once landed: add 0021_*.sql.
--
-- The path a call took through the flows, one row per thing that happened ("closed → after",
-- "pressed 1 → sales", "rang browser, cell", "answered by +1…", "screened out by +1…",
-- "voicemail"), so the app can say what happened. `key` names the webhook and the entry's
-- place in its answer: Twilio's retries of a webhook write nothing twice. Shown in the order
-- written (rowid).
CREATE TABLE call_path (
    call_sid TEXT NOT NULL,
    key      TEXT NOT NULL,
    at       INTEGER NOT NULL,
    what     TEXT NOT NULL,
    UNIQUE (call_sid, key)
);
