-- vbx schema v15. Never edit once landed: add 0016_*.sql.
--
-- A session belongs to the password it was opened with: `password_tag` is a SHA-256 of the
-- user's password hash then (the hash has its own random salt, so a new password, even the
-- same one again, has a new tag). A session whose tag is not the user's current one ends:
-- `vbx passwd` ends them at once, and a restart ends any opened with an older password.
-- Sessions from before this schema have no tag and end at the first start.
ALTER TABLE sessions ADD COLUMN password_tag TEXT NOT NULL DEFAULT '';
