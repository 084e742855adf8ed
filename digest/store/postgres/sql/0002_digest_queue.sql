-- Several processes on one database: the digests that fell due, claimed by one process
-- at a time with a lease, and the processes alive (the bot-wide send rate is split among
-- them).

-- A digest that fell due and is not delivered yet. Unclaimed while claimed_by is null;
-- lease_until is when a claim lapses (or when a failed digest may be tried again).
CREATE TABLE digest_queue (
    chat_id bigint NOT NULL,
    local_date text NOT NULL,               -- the chat's local ISO date of the digest
    due_at timestamptz NOT NULL,            -- when it fell due: the queue's order
    claimed_by text,                        -- the id of the process sending it
    lease_until timestamptz,
    PRIMARY KEY (chat_id, local_date)
);
CREATE INDEX digest_queue_order ON digest_queue (due_at, chat_id);

-- One row per running process, written every few seconds.
CREATE TABLE processes (
    process_id text PRIMARY KEY,
    host text NOT NULL,
    pid integer NOT NULL,
    last_seen timestamptz NOT NULL
);
