-- vbx schema v8. Never edit once landed: add 0009_*.sql.
--
-- `messages_unread` was one more B-tree page, at a random place (the key is the sender), that
-- every incoming text wrote. Since 0004 the unread counts are kept in `unread_counts`, which
-- the conversation list now reads; marking a thread read finds its texts through
-- `messages_party` (a thread's texts, read or not, are a short range of it).
DROP INDEX IF EXISTS messages_unread;
