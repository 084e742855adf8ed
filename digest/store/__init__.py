"""The durable store: its interface (`Store`), its errors and the TinyDB backend.

Callers type against the `Store` protocol (`digest.store.interface`); start-up code opens
the backend, `TinyStore` (`digest.store.tinystore`, over `files`, `opening`, `records`,
`articles`, `sent` and `schema`) or `PostgresStore` (`digest.store.postgres`, imported only
where used: it needs psycopg). `transfer` copies a store from one to the other.

Writes and the event loop. Reads (`chat`, `sent_keys`, `feed_state`, `deliveries`, ...)
answer from memory and run on the event loop. Every write returns only once it is on disk
(an fsync at least), so which writes may block the loop is a rule:

* On the loop: a write about one chat made in answer to that chat's own update
  (`save_chat`, `update_chat` from a handler or the Mini App: one shard, about 1/128 of
  the chats), which the reply waits for anyway.
* In a thread (`asyncio.to_thread`): everything else. Ingestion's `add_articles`,
  `save_feed_states`, `prune_articles` and translation's `replace_articles` (whole day
  files); `delete_chat` (it reads the logs of what was sent and blanks the chat's
  lines); and every write of the delivery path, which runs for many chats at the peak:
  `save_delivery`, `drop_delivery`, `record_digest`, and marking an unreachable chat
  inactive.

A backend's methods are guarded by one lock (TinyDB) or take a connection of a pool
(PostgreSQL), so such threads and the loop may write at the same time. On PostgreSQL a
read on the loop is one primary-key query (a millisecond or less beside the database).
"""

from __future__ import annotations

from digest.store.files import DamagedFile, StoreError, StoreInUse
from digest.store.interface import Store
from digest.store.tinystore import CHAT_SHARDS, DamagedRecord, TinyStore

__all__ = ["CHAT_SHARDS", "DamagedFile", "DamagedRecord", "Store", "StoreError", "StoreInUse",
           "TinyStore"]
