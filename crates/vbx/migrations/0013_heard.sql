-- vbx schema v13. Never edit once landed: add 0014_*.sql.
--
-- A voicemail is new until its thread is read (opened in the app) or everything is marked
-- read: the app counts the new ones in its navigation. What an older vbx stored counts as
-- heard. The partial index keeps only the new ones, so counting them and finding a thread's
-- costs the same with a million recordings as with ten.
ALTER TABLE recordings ADD COLUMN heard_at INTEGER;
UPDATE recordings SET heard_at = created_at;
CREATE INDEX recordings_unheard ON recordings (call_sid) WHERE heard_at IS NULL;
