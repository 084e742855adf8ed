-- The last ingestion pass started by any process on this database (one row): a process
-- holding the pass lock starts a pass only when none started in the last half interval,
-- so several processes read the feeds about as often as one (digest.store.postgres.passes).
CREATE TABLE ingestion_pass (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    pass bigint NOT NULL,                 -- counts passes: the id announced at the end
    started timestamptz NOT NULL,
    origin text NOT NULL                  -- host:pid of the process that ran it
);
