-- vbx schema v17. Never edit once landed: add 0018_*.sql.
--
-- A voicemail's other party (that of its call, as `calls_party` computes it), kept on the
-- recording so that a thread reads its newest voicemails from one index instead of every call
-- of the number (a busy number has thousands). NULL while the call is unknown: a recording
-- may be stored before its call, and then gets the party when the call arrives.
ALTER TABLE recordings ADD COLUMN party TEXT;

UPDATE recordings SET party = (
    SELECT CASE WHEN c.direction = 'inbound' AND substr(c.from_number, 1, 7) <> 'client:'
                THEN c.from_number ELSE c.to_number END
      FROM calls c WHERE c.sid = recordings.call_sid);

CREATE INDEX recordings_party ON recordings (party, created_at, sid);

CREATE TRIGGER recordings_party_insert AFTER INSERT ON recordings
BEGIN
    UPDATE recordings SET party = (
        SELECT CASE WHEN c.direction = 'inbound' AND substr(c.from_number, 1, 7) <> 'client:'
                    THEN c.from_number ELSE c.to_number END
          FROM calls c WHERE c.sid = NEW.call_sid)
     WHERE sid = NEW.sid;
END;
CREATE TRIGGER recordings_party_update AFTER UPDATE OF call_sid ON recordings
WHEN OLD.call_sid IS NOT NEW.call_sid
BEGIN
    UPDATE recordings SET party = (
        SELECT CASE WHEN c.direction = 'inbound' AND substr(c.from_number, 1, 7) <> 'client:'
                    THEN c.from_number ELSE c.to_number END
          FROM calls c WHERE c.sid = NEW.call_sid)
     WHERE sid = NEW.sid;
END;
CREATE TRIGGER recordings_party_call_insert AFTER INSERT ON calls
BEGIN
    UPDATE recordings SET party =
        CASE WHEN NEW.direction = 'inbound' AND substr(NEW.from_number, 1, 7) <> 'client:'
             THEN NEW.from_number ELSE NEW.to_number END
     WHERE call_sid = NEW.sid;
END;
CREATE TRIGGER recordings_party_call_update AFTER UPDATE ON calls
WHEN OLD.direction IS NOT NEW.direction OR OLD.from_number IS NOT NEW.from_number
  OR OLD.to_number IS NOT NEW.to_number OR OLD.sid IS NOT NEW.sid
BEGIN
    UPDATE recordings SET party =
        CASE WHEN NEW.direction = 'inbound' AND substr(NEW.from_number, 1, 7) <> 'client:'
             THEN NEW.from_number ELSE NEW.to_number END
     WHERE call_sid = NEW.sid;
END;
CREATE TRIGGER recordings_party_call_delete AFTER DELETE ON calls
BEGIN
    UPDATE recordings SET party = NULL WHERE call_sid = OLD.sid;
END;
