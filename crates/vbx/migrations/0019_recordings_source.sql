-- vbx schema v19. Never edit once landed: add 0020_*.sql.
--
-- Recordings are of two kinds: a voicemail (`<Record>`: Twilio's RecordingSource `RecordVerb`)
-- and a recorded call (`<Dial record>`: `DialVerb`). Only voicemails are items of a thread, new
-- until heard and counted in the navigation; a call recording plays from its call's row. What
-- an older vbx stored came from `<Record>` only, so it is all voicemail.
--
-- `local_path`: the copy vbx downloaded into the data directory (relative to it), so the user
-- owns every recording; NULL until the download succeeded. `twilio_deleted_at`: when Twilio's
-- copy was deleted (after the download, with `twilio.delete_recordings_after_download`).
ALTER TABLE recordings ADD COLUMN source TEXT NOT NULL DEFAULT 'voicemail';
ALTER TABLE recordings ADD COLUMN local_path TEXT;
ALTER TABLE recordings ADD COLUMN twilio_deleted_at INTEGER;

-- A thread finds its voicemails by `party`: a call recording has none.
DROP TRIGGER recordings_party_insert;
DROP TRIGGER recordings_party_update;
DROP TRIGGER recordings_party_call_insert;
DROP TRIGGER recordings_party_call_update;

CREATE TRIGGER recordings_party_insert AFTER INSERT ON recordings
WHEN NEW.source = 'voicemail'
BEGIN
    UPDATE recordings SET party = (
        SELECT CASE WHEN c.direction = 'inbound' AND substr(c.from_number, 1, 7) <> 'client:'
                    THEN c.from_number ELSE c.to_number END
          FROM calls c WHERE c.sid = NEW.call_sid)
     WHERE sid = NEW.sid;
END;
CREATE TRIGGER recordings_party_update AFTER UPDATE OF call_sid, source ON recordings
WHEN OLD.call_sid IS NOT NEW.call_sid OR OLD.source IS NOT NEW.source
BEGIN
    UPDATE recordings SET party = CASE WHEN NEW.source = 'voicemail' THEN (
        SELECT CASE WHEN c.direction = 'inbound' AND substr(c.from_number, 1, 7) <> 'client:'
                    THEN c.from_number ELSE c.to_number END
          FROM calls c WHERE c.sid = NEW.call_sid) END
     WHERE sid = NEW.sid;
END;
CREATE TRIGGER recordings_party_call_insert AFTER INSERT ON calls
BEGIN
    UPDATE recordings SET party =
        CASE WHEN NEW.direction = 'inbound' AND substr(NEW.from_number, 1, 7) <> 'client:'
             THEN NEW.from_number ELSE NEW.to_number END
     WHERE call_sid = NEW.sid AND source = 'voicemail';
END;
CREATE TRIGGER recordings_party_call_update AFTER UPDATE ON calls
WHEN OLD.direction IS NOT NEW.direction OR OLD.from_number IS NOT NEW.from_number
  OR OLD.to_number IS NOT NEW.to_number OR OLD.sid IS NOT NEW.sid
BEGIN
    UPDATE recordings SET party =
        CASE WHEN NEW.direction = 'inbound' AND substr(NEW.from_number, 1, 7) <> 'client:'
             THEN NEW.from_number ELSE NEW.to_number END
     WHERE call_sid = NEW.sid AND source = 'voicemail';
END;

