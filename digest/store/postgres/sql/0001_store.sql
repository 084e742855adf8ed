-- The store's tables (chats, what was sent, articles, feed state, deliveries) come with the
-- PostgreSQL store itself; this first migration only opens the numbering.
SELECT 1;
