-- vbx schema v14. Never edit once landed: add 0015_*.sql.
--
-- What a call was (answered where, voicemail, missed…) needs more than Twilio's status of the
-- caller's leg, which ends `completed` whether anyone picked up or not. A `<Dial>` action says
-- how the dialled leg ended: `dial_status` keeps its `DialCallStatus` (the last dial of the
-- call), `answered_to` the device address that picked up (`client:<identity>` or a number; ''
-- when a dial of several targets was answered by one of them), `talk_s` the talk time. Calls
-- stored before this schema, and calls answered where vbx never heard the action, are read
-- from their `<Dial>` legs instead (synced from Twilio with their parent).
ALTER TABLE calls ADD COLUMN dial_status TEXT;
ALTER TABLE calls ADD COLUMN answered_to TEXT;
ALTER TABLE calls ADD COLUMN talk_s INTEGER;
