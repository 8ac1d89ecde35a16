-- vbx schema v9. Never edit once landed: add 0010_*.sql.
--
-- Two indexes held the other party of a call: `calls_party` (top-level calls, for threads and
-- the call log's number filter) and `calls_party_any` (every call, `<Dial>` legs too, for the
-- voicemails of a number). Every stored call wrote a page of each, both at a random place
-- (the key is a caller's number). One index over every call does both: the top-level calls of
-- a number are its entries less its legs, and a leg is one per forwarded call.
-- The expression must stay identical to `call_party!` in src/store/history.rs.
DROP INDEX IF EXISTS calls_party;
DROP INDEX IF EXISTS calls_party_any;
CREATE INDEX calls_party ON calls (
    (CASE WHEN direction = 'inbound' AND substr(from_number, 1, 7) <> 'client:'
          THEN from_number ELSE to_number END), started_at);
