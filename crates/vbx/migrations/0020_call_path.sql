-- vbx schema v20. Never edit once landed: add 0021_*.sql.
--
-- The path a call took through the flows ("closed → after", "pressed 1 → sales", "rang
-- browser, cell", "screened out by +1…", "voicemail"), so the app can say what happened: a
-- JSON array of `[key, what]` pairs in the order they happened, NULL before the first. `key`
-- names the webhook and the entry's place in its answer, so Twilio's retries of a webhook add
-- nothing twice. It lives on the call's row: the first webhook writes it with the call, at no
-- cost of a row of its own.
ALTER TABLE calls ADD COLUMN path TEXT;
