-- vbx schema v10. Never edit once landed: add 0011_*.sql.
--
-- `latest_activity` (0005) was a rowid table with its number in a separate unique index: the
-- newest activity of a number, which every stored call and text moves, was a lookup in that
-- index and a write to the row's page elsewhere — two pages at random places. Keyed by the
-- number itself the row is found and changed on one page. The triggers of 0005 name the table
-- in their bodies only, so they work with the new one unchanged.
CREATE TABLE latest_activity_v10 (
    number TEXT PRIMARY KEY NOT NULL,
    at     INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO latest_activity_v10 (number, at) SELECT number, at FROM latest_activity;
DROP TABLE latest_activity;
CREATE TABLE latest_activity (
    number TEXT PRIMARY KEY NOT NULL,
    at     INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO latest_activity (number, at) SELECT number, at FROM latest_activity_v10;
DROP TABLE latest_activity_v10;
CREATE INDEX latest_activity_at ON latest_activity (at, number);
