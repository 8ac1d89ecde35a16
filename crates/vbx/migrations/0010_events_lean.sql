-- vbx schema v10. Never edit once landed: add 0011_*.sql.
--
-- Every stored text or call appends an event, and each append also changed a page in two
-- more B-trees that no query needs (one WAL frame or more per commit each;
-- docs/BENCHMARKS.md, session 10):
-- - `sqlite_sequence`, for AUTOINCREMENT. Cursors only have to grow, and the newest event is
--   never deleted (`event::prune` keeps it), so a plain INTEGER PRIMARY KEY (the largest
--   rowid plus one) never gives out a cursor twice.
-- - the `events_at` index, read only by the prune at start, which now deletes the oldest
--   events by id (`at` grows with `id`).
-- The rows keep their ids.
CREATE TABLE events_new (
    id      INTEGER PRIMARY KEY,
    type    TEXT NOT NULL,
    number  TEXT,
    payload TEXT NOT NULL,
    at      INTEGER NOT NULL
);
INSERT INTO events_new (id, type, number, payload, at)
    SELECT id, type, number, payload, at FROM events ORDER BY id;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
