-- Every index is a B-tree page a webhook's insert writes, most of them at a random place (the
-- key is a caller's number), and the writer thread's commits are mostly those pages.
-- Threads read `messages_party`, unread counts `messages_unread`; nothing reads these two
-- since the thread query of 0002.
DROP INDEX IF EXISTS messages_from_created;
DROP INDEX IF EXISTS messages_to_created;
