-- Claim before publish: ingest inserts an id's row *before* publishing it (a claim, accepted_at NULL)
-- and sets accepted_at once Kafka acknowledged it. A row left pending by a process that died between
-- the acknowledgement and that update still holds the id for its content, so a re-send with other
-- content is refused (409 / id reused) on every replica, while the same content is published again
-- (consumers de-duplicate by event id). claimed_at is NULL for rows accepted before this migration.
ALTER TABLE accepted_events ALTER COLUMN accepted_at DROP NOT NULL;
ALTER TABLE accepted_events ADD COLUMN claimed_at timestamptz;
-- No index for pending rows: each one would cost every claim another index insert, and stale claims
-- (a crash, or a release that failed) are rare and looked for by hand. Tried and not kept: an index on
-- claimed_at instead of accepted_at with fillfactor 80, so that marking a claim accepted is a HOT
-- update (36% were); pgbench of claim + record of 100 ids showed no difference.
