-- Unread counts kept as the messages change, so a new text does not count every unread
-- message again. Counted: inbound messages with read_at NULL, per sender (from_number).
-- Triggers mirror every insert, delete and change of the three columns that decide it.
-- (No INSERT OR IGNORE in them: an outer upsert's conflict handling overrides it.)

CREATE TABLE unread_counts (
    number TEXT PRIMARY KEY NOT NULL,
    n      INTEGER NOT NULL
) WITHOUT ROWID;

-- One row: the sum of unread_counts.n.
CREATE TABLE unread_total (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);

INSERT INTO unread_counts (number, n)
    SELECT from_number, COUNT(*) FROM messages
    WHERE direction = 'inbound' AND read_at IS NULL
    GROUP BY from_number;
INSERT INTO unread_total (id, n) SELECT 1, COALESCE(SUM(n), 0) FROM unread_counts;

CREATE TRIGGER unread_insert AFTER INSERT ON messages
WHEN NEW.direction = 'inbound' AND NEW.read_at IS NULL
BEGIN
    INSERT INTO unread_counts (number, n) SELECT NEW.from_number, 0
        WHERE NOT EXISTS (SELECT 1 FROM unread_counts WHERE number = NEW.from_number);
    UPDATE unread_counts SET n = n + 1 WHERE number = NEW.from_number;
    UPDATE unread_total SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER unread_delete AFTER DELETE ON messages
WHEN OLD.direction = 'inbound' AND OLD.read_at IS NULL
BEGIN
    UPDATE unread_counts SET n = n - 1 WHERE number = OLD.from_number;
    DELETE FROM unread_counts WHERE number = OLD.from_number AND n <= 0;
    UPDATE unread_total SET n = n - 1 WHERE id = 1;
END;

-- An update is the old row leaving the count and the new one entering it.
CREATE TRIGGER unread_update_old AFTER UPDATE OF direction, read_at, from_number ON messages
WHEN OLD.direction = 'inbound' AND OLD.read_at IS NULL
BEGIN
    UPDATE unread_counts SET n = n - 1 WHERE number = OLD.from_number;
    DELETE FROM unread_counts WHERE number = OLD.from_number AND n <= 0;
    UPDATE unread_total SET n = n - 1 WHERE id = 1;
END;

CREATE TRIGGER unread_update_new AFTER UPDATE OF direction, read_at, from_number ON messages
WHEN NEW.direction = 'inbound' AND NEW.read_at IS NULL
BEGIN
    INSERT INTO unread_counts (number, n) SELECT NEW.from_number, 0
        WHERE NOT EXISTS (SELECT 1 FROM unread_counts WHERE number = NEW.from_number);
    UPDATE unread_counts SET n = n + 1 WHERE number = NEW.from_number;
    UPDATE unread_total SET n = n + 1 WHERE id = 1;
END;
