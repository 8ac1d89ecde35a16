-- vbx schema v12. Never edit once landed: add 0013_*.sql.
--
-- Full-text search of message bodies and voicemail transcriptions (SQLite's FTS5, in the
-- bundled SQLite). Both indexes are external-content tables: they keep only the index, the
-- text stays in its table, and the triggers below keep them equal to it. Results come newest
-- stored first by walking the index by rowid, descending, so a common word costs one page of
-- hits, not a sort of all of them.
CREATE VIRTUAL TABLE messages_fts USING fts5(
    body, content = 'messages', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN NEW.body <> ''
BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (NEW.rowid, NEW.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN OLD.body <> ''
BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', OLD.rowid, OLD.body);
END;
-- A status-only stub filled in later gets its body by an update.
CREATE TRIGGER messages_fts_update_old AFTER UPDATE OF body ON messages
WHEN OLD.body <> '' AND OLD.body IS NOT NEW.body
BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', OLD.rowid, OLD.body);
END;
CREATE TRIGGER messages_fts_update_new AFTER UPDATE OF body ON messages
WHEN NEW.body <> '' AND OLD.body IS NOT NEW.body
BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (NEW.rowid, NEW.body);
END;

CREATE VIRTUAL TABLE recordings_fts USING fts5(
    transcription_text, content = 'recordings', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO recordings_fts (recordings_fts) VALUES ('rebuild');

CREATE TRIGGER recordings_fts_insert AFTER INSERT ON recordings
WHEN NEW.transcription_text IS NOT NULL AND NEW.transcription_text <> ''
BEGIN
    INSERT INTO recordings_fts (rowid, transcription_text)
        VALUES (NEW.rowid, NEW.transcription_text);
END;
CREATE TRIGGER recordings_fts_delete AFTER DELETE ON recordings
WHEN OLD.transcription_text IS NOT NULL AND OLD.transcription_text <> ''
BEGIN
    INSERT INTO recordings_fts (recordings_fts, rowid, transcription_text)
        VALUES ('delete', OLD.rowid, OLD.transcription_text);
END;
CREATE TRIGGER recordings_fts_update_old AFTER UPDATE OF transcription_text ON recordings
WHEN OLD.transcription_text IS NOT NULL AND OLD.transcription_text <> ''
 AND OLD.transcription_text IS NOT NEW.transcription_text
BEGIN
    INSERT INTO recordings_fts (recordings_fts, rowid, transcription_text)
        VALUES ('delete', OLD.rowid, OLD.transcription_text);
END;
CREATE TRIGGER recordings_fts_update_new AFTER UPDATE OF transcription_text ON recordings
WHEN NEW.transcription_text IS NOT NULL AND NEW.transcription_text <> ''
 AND OLD.transcription_text IS NOT NEW.transcription_text
BEGIN
    INSERT INTO recordings_fts (rowid, transcription_text)
        VALUES (NEW.rowid, NEW.transcription_text);
END;
