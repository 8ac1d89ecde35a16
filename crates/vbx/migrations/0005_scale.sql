-- vbx schema v5: the app's lists stay fast with a large history (100,000 messages, 20,000
-- calls: bench/scale.sh). Never edit once landed: add 0006_*.sql.
--
-- Without ANALYZE statistics SQLite took `calls_parent` for `parent_sid IS NULL` (nearly every
-- row) and sorted all calls for each page of the call log. Nothing looks calls up by parent,
-- so the index keeps only the legs; the call log reads top-level calls in page order instead.
DROP INDEX IF EXISTS calls_parent;
CREATE INDEX calls_parent ON calls (parent_sid) WHERE parent_sid IS NOT NULL;
CREATE INDEX calls_log ON calls (started_at, sid) WHERE parent_sid IS NULL;
CREATE INDEX calls_log_status ON calls (status, started_at, sid) WHERE parent_sid IS NULL;
-- Every stored call pays for every index (the single writer is the webhooks' serial path).
-- No query reads these three any more: the call log has the two above, threads and the
-- number filter have `calls_party` and `calls_party_any`.
DROP INDEX IF EXISTS calls_started_at;
DROP INDEX IF EXISTS calls_from_started;
DROP INDEX IF EXISTS calls_to_started;
-- The other party of any call, `<Dial>` legs included (a voicemail belongs to the party of
-- the call it recorded). The expression must stay identical to `call_party!` in
-- src/store/history.rs.
CREATE INDEX calls_party_any ON calls (
    (CASE WHEN direction = 'inbound' AND substr(from_number, 1, 7) <> 'client:'
          THEN from_number ELSE to_number END));
-- Unsent SMS by recipient: threads and the conversation list look them up per number (the
-- expression must stay identical to the one in src/store/history.rs). Only JSON payloads can
-- be indexed, so every pending, sending or failed SMS row holds one.
CREATE INDEX outbox_sms_to ON outbox (json_extract(payload, '$.to'), created_at)
    WHERE kind = 'sms' AND status IN ('pending', 'sending', 'failed');

-- The conversation list: each other party and the time of its newest activity — its newest
-- message, top-level call, voicemail, or SMS still in the outbox (pending, sending, failed).
-- Computing that from the tables took a scan of every message and call for each page; this
-- table keeps it, and the triggers below keep it equal to that computation on every write,
-- whoever writes. `history::conversations` reads it; a test checks it against the
-- computation after random writes.
CREATE TABLE latest_activity (
    number TEXT PRIMARY KEY NOT NULL,
    at     INTEGER NOT NULL
);
CREATE INDEX latest_activity_at ON latest_activity (at, number);

INSERT INTO latest_activity (number, at)
SELECT number, MAX(at) FROM (
    SELECT (CASE WHEN direction = 'inbound' THEN from_number ELSE to_number END) AS number,
           created_at AS at FROM messages
    UNION ALL
    SELECT (CASE WHEN direction = 'inbound' AND substr(from_number, 1, 7) <> 'client:'
                 THEN from_number ELSE to_number END), started_at
      FROM calls WHERE parent_sid IS NULL
    UNION ALL
    SELECT (CASE WHEN c.direction = 'inbound' AND substr(c.from_number, 1, 7) <> 'client:'
                 THEN c.from_number ELSE c.to_number END), r.created_at
      FROM recordings r JOIN calls c ON c.sid = r.call_sid
    UNION ALL
    SELECT json_extract(payload, '$.to'), created_at
      FROM outbox WHERE kind = 'sms' AND status IN ('pending', 'sending', 'failed')
) WHERE number IS NOT NULL AND number <> '' GROUP BY number;

-- Two procedures, as views whose INSTEAD OF INSERT trigger does the work, so the triggers on
-- the tables name them instead of repeating them. An empty or NULL number is never listed.
--
-- `INSERT INTO latest_activity_bump (number, at)`: activity at `at` happened (it can only
-- move the number's time forward).
CREATE VIEW latest_activity_bump (number, at) AS SELECT NULL, NULL;
CREATE TRIGGER latest_activity_bump INSTEAD OF INSERT ON latest_activity_bump
WHEN NEW.number IS NOT NULL AND NEW.number <> '' AND NEW.at IS NOT NULL
BEGIN
    INSERT INTO latest_activity (number, at) VALUES (NEW.number, NEW.at)
    ON CONFLICT (number) DO UPDATE SET at = excluded.at WHERE excluded.at > latest_activity.at;
END;

-- `INSERT INTO latest_activity_refresh (number)`: activity of the number was removed or moved;
-- recount its time from the tables (each part is one index lookup, the voicemails one per
-- call of the number).
CREATE VIEW latest_activity_refresh (number) AS SELECT NULL;
CREATE TRIGGER latest_activity_refresh INSTEAD OF INSERT ON latest_activity_refresh
WHEN NEW.number IS NOT NULL AND NEW.number <> ''
BEGIN
    DELETE FROM latest_activity WHERE number = NEW.number;
    INSERT INTO latest_activity (number, at)
    SELECT NEW.number, at FROM (SELECT MAX(at) AS at FROM (
        SELECT MAX(created_at) AS at FROM messages
         WHERE (CASE WHEN direction = 'inbound' THEN from_number ELSE to_number END)
               = NEW.number
        UNION ALL
        SELECT MAX(started_at) FROM calls
         WHERE parent_sid IS NULL
           AND (CASE WHEN direction = 'inbound' AND substr(from_number, 1, 7) <> 'client:'
                     THEN from_number ELSE to_number END) = NEW.number
        UNION ALL
        SELECT MAX(r.created_at) FROM recordings r JOIN calls c ON c.sid = r.call_sid
         WHERE (CASE WHEN c.direction = 'inbound' AND substr(c.from_number, 1, 7) <> 'client:'
                     THEN c.from_number ELSE c.to_number END) = NEW.number
        UNION ALL
        SELECT MAX(created_at) FROM outbox
         WHERE kind = 'sms' AND status IN ('pending', 'sending', 'failed')
           AND json_extract(payload, '$.to') = NEW.number
    )) WHERE at IS NOT NULL;
END;

-- Messages.
CREATE TRIGGER latest_activity_message_insert AFTER INSERT ON messages
BEGIN
    INSERT INTO latest_activity_bump (number, at) VALUES (
        (CASE WHEN NEW.direction = 'inbound' THEN NEW.from_number ELSE NEW.to_number END),
        NEW.created_at);
END;
CREATE TRIGGER latest_activity_message_update AFTER UPDATE ON messages
WHEN OLD.direction IS NOT NEW.direction OR OLD.from_number IS NOT NEW.from_number
  OR OLD.to_number IS NOT NEW.to_number OR OLD.created_at IS NOT NEW.created_at
BEGIN
    INSERT INTO latest_activity_refresh (number) VALUES (
        (CASE WHEN OLD.direction = 'inbound' THEN OLD.from_number ELSE OLD.to_number END));
    INSERT INTO latest_activity_bump (number, at) VALUES (
        (CASE WHEN NEW.direction = 'inbound' THEN NEW.from_number ELSE NEW.to_number END),
        NEW.created_at);
END;
CREATE TRIGGER latest_activity_message_delete AFTER DELETE ON messages
BEGIN
    INSERT INTO latest_activity_refresh (number) VALUES (
        (CASE WHEN OLD.direction = 'inbound' THEN OLD.from_number ELSE OLD.to_number END));
END;

-- Calls: a top-level call is activity; any call (legs too) carries its voicemails, which may
-- have been stored before the call itself.
CREATE TRIGGER latest_activity_call_insert AFTER INSERT ON calls
BEGIN
    INSERT INTO latest_activity_bump (number, at) VALUES (
        (CASE WHEN NEW.direction = 'inbound' AND substr(NEW.from_number, 1, 7) <> 'client:'
              THEN NEW.from_number ELSE NEW.to_number END),
        (SELECT MAX(at) FROM (
            SELECT NEW.started_at AS at WHERE NEW.parent_sid IS NULL
            UNION ALL
            SELECT MAX(created_at) FROM recordings WHERE call_sid = NEW.sid)));
END;
CREATE TRIGGER latest_activity_call_update AFTER UPDATE ON calls
WHEN OLD.direction IS NOT NEW.direction OR OLD.from_number IS NOT NEW.from_number
  OR OLD.to_number IS NOT NEW.to_number OR OLD.started_at IS NOT NEW.started_at
  OR OLD.parent_sid IS NOT NEW.parent_sid
BEGIN
    INSERT INTO latest_activity_refresh (number) VALUES (
        (CASE WHEN OLD.direction = 'inbound' AND substr(OLD.from_number, 1, 7) <> 'client:'
              THEN OLD.from_number ELSE OLD.to_number END));
    INSERT INTO latest_activity_refresh (number) VALUES (
        (CASE WHEN NEW.direction = 'inbound' AND substr(NEW.from_number, 1, 7) <> 'client:'
              THEN NEW.from_number ELSE NEW.to_number END));
END;
CREATE TRIGGER latest_activity_call_delete AFTER DELETE ON calls
BEGIN
    INSERT INTO latest_activity_refresh (number) VALUES (
        (CASE WHEN OLD.direction = 'inbound' AND substr(OLD.from_number, 1, 7) <> 'client:'
              THEN OLD.from_number ELSE OLD.to_number END));
END;

-- Voicemails: the party of the recorded call (none while that call is unknown).
CREATE TRIGGER latest_activity_recording_insert AFTER INSERT ON recordings
BEGIN
    INSERT INTO latest_activity_bump (number, at) VALUES (
        (SELECT CASE WHEN direction = 'inbound' AND substr(from_number, 1, 7) <> 'client:'
                     THEN from_number ELSE to_number END
           FROM calls WHERE sid = NEW.call_sid),
        NEW.created_at);
END;
CREATE TRIGGER latest_activity_recording_update AFTER UPDATE ON recordings
WHEN OLD.call_sid IS NOT NEW.call_sid OR OLD.created_at IS NOT NEW.created_at
BEGIN
    INSERT INTO latest_activity_refresh (number) VALUES (
        (SELECT CASE WHEN direction = 'inbound' AND substr(from_number, 1, 7) <> 'client:'
                     THEN from_number ELSE to_number END
           FROM calls WHERE sid = OLD.call_sid));
    INSERT INTO latest_activity_refresh (number) VALUES (
        (SELECT CASE WHEN direction = 'inbound' AND substr(from_number, 1, 7) <> 'client:'
                     THEN from_number ELSE to_number END
           FROM calls WHERE sid = NEW.call_sid));
END;
CREATE TRIGGER latest_activity_recording_delete AFTER DELETE ON recordings
BEGIN
    INSERT INTO latest_activity_refresh (number) VALUES (
        (SELECT CASE WHEN direction = 'inbound' AND substr(from_number, 1, 7) <> 'client:'
                     THEN from_number ELSE to_number END
           FROM calls WHERE sid = OLD.call_sid));
END;

-- SMS outbox rows count while pending, sending or failed (then they are a message, or gone).
-- A row in any other state may hold anything: its payload is read only if it is JSON.
CREATE TRIGGER latest_activity_outbox_insert AFTER INSERT ON outbox
WHEN NEW.kind = 'sms' AND NEW.status IN ('pending', 'sending', 'failed')
BEGIN
    INSERT INTO latest_activity_bump (number, at) VALUES (
        CASE WHEN json_valid(NEW.payload) THEN json_extract(NEW.payload, '$.to') END,
        NEW.created_at);
END;
CREATE TRIGGER latest_activity_outbox_update AFTER UPDATE ON outbox
WHEN (OLD.kind = 'sms' OR NEW.kind = 'sms')
 AND (OLD.kind IS NOT NEW.kind OR OLD.payload IS NOT NEW.payload
      OR OLD.created_at IS NOT NEW.created_at
      OR (OLD.status IN ('pending', 'sending', 'failed'))
         IS NOT (NEW.status IN ('pending', 'sending', 'failed')))
BEGIN
    INSERT INTO latest_activity_refresh (number) VALUES (
        CASE WHEN json_valid(OLD.payload) THEN json_extract(OLD.payload, '$.to') END);
    INSERT INTO latest_activity_refresh (number) VALUES (
        CASE WHEN json_valid(NEW.payload) THEN json_extract(NEW.payload, '$.to') END);
END;
CREATE TRIGGER latest_activity_outbox_delete AFTER DELETE ON outbox WHEN OLD.kind = 'sms'
BEGIN
    INSERT INTO latest_activity_refresh (number) VALUES (
        CASE WHEN json_valid(OLD.payload) THEN json_extract(OLD.payload, '$.to') END);
END;
