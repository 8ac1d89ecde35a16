-- vbx schema v18. Never edit once landed: add 0019_*.sql.
--
-- An email the SMTP server refused for its login (530, 534, 535, 538: a wrong password or a
-- login the server wants otherwise) is retried until the configuration is fixed. Earlier
-- versions failed such an email for good; those are queued again, due at once, with a fresh
-- count of attempts, so fixing the password sends them.
UPDATE outbox
   SET status = 'pending', attempts = 0,
       next_attempt_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000
 WHERE kind = 'email' AND status = 'failed'
   AND (last_error LIKE 'the SMTP server answered 530 %'
        OR last_error LIKE 'the SMTP server answered 534 %'
        OR last_error LIKE 'the SMTP server answered 535 %'
        OR last_error LIKE 'the SMTP server answered 538 %');
