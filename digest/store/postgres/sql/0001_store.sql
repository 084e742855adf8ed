-- The store's tables: one row per chat, per digest sent, per article, per feed, per digest
-- being sent. Articles are deduplicated by the database (unique URL; unique outlet and
-- title key), not by a read before the write.

CREATE TABLE chats (
    chat_id bigint PRIMARY KEY,
    countries text[] NOT NULL DEFAULT '{}',
    digest_time text NOT NULL DEFAULT '',   -- "HH:MM"; empty: the configured default
    timezone text NOT NULL DEFAULT '',      -- IANA name; empty: the configured default
    paused boolean NOT NULL DEFAULT false,
    active boolean NOT NULL DEFAULT true,
    last_digest text NOT NULL DEFAULT ''    -- local ISO date of the last scheduled digest
);

-- What was sent: one row per digest, kept for the days the store remembers.
CREATE TABLE sent (
    id bigserial PRIMARY KEY,
    chat_id bigint NOT NULL,
    sent_at timestamptz NOT NULL,
    local_date text NOT NULL DEFAULT '',    -- a scheduled digest's local date; empty: on demand
    keys text[] NOT NULL
);
CREATE INDEX sent_by_chat ON sent (chat_id);
CREATE INDEX sent_by_time ON sent (sent_at);

CREATE TABLE articles (
    url text PRIMARY KEY,
    source text NOT NULL,
    title_key text NOT NULL,                -- digest.text.title_key of the published title
    published timestamptz NOT NULL,
    day date NOT NULL,                      -- published's UTC day: retention drops whole days
    article jsonb NOT NULL,                 -- every field, as the TinyDB store writes them
    UNIQUE (source, title_key)
);
CREATE INDEX articles_by_published ON articles (published DESC);
CREATE INDEX articles_by_day ON articles (day);

CREATE TABLE feed_states (
    feed text PRIMARY KEY,
    state jsonb NOT NULL
);

-- Digests being sent: their messages as composed and how many went out.
CREATE TABLE deliveries (
    chat_id bigint PRIMARY KEY,
    local_date text NOT NULL,
    delivery jsonb NOT NULL
);
