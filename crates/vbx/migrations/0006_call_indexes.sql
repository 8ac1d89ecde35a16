-- Every stored call pays for every index, and the single writer is the webhooks' serial path.
-- No query reads these three since 0005: the call log has `calls_log` and `calls_log_status`,
-- threads and the number filter have `calls_party` and `calls_party_any`. (Voice webhooks at
-- 16 connections: ~3,100 req/s with them, ~3,600 without, same session.)
DROP INDEX IF EXISTS calls_started_at;
DROP INDEX IF EXISTS calls_from_started;
DROP INDEX IF EXISTS calls_to_started;
