-- vbx schema v16. Never edit once landed: add 0017_*.sql.
--
-- The call log's "Blocked" filter: the few calls from blocked numbers, newest first, without
-- reading every call.
CREATE INDEX calls_blocked ON calls (started_at, sid) WHERE parent_sid IS NULL AND blocked = 1;
