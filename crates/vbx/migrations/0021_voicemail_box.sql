-- vbx schema v21. Never edit once landed: add 0022_*.sql.
--
-- The voicemail box lists every voicemail newest first, paged by (created_at, sid): this index
-- holds only voicemails (not the recordings of calls), in that order, so a page reads its rows
-- and stops.
CREATE INDEX recordings_voicemails ON recordings (created_at, sid) WHERE source = 'voicemail';
