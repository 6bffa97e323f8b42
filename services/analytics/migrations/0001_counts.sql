-- analytics 0001: counters over edfleet.events.v1, with the bookkeeping that makes them exactly once.
--
-- One consumed batch is applied in ONE transaction: its (tenant, event_id) pairs are inserted into
-- processed_events (ON CONFLICT DO NOTHING RETURNING tells which are new), only the new events are
-- added to the counters, and consumer_offsets records how far each partition has been applied.

-- Events per tenant, UTC day of occurred_at, and type. The primary key serves the range query
-- (tenant = $1 AND day BETWEEN $2 AND $3 [AND type = ANY($4)]) as an index range scan.
CREATE TABLE event_counts (
  tenant text   NOT NULL,
  day    date   NOT NULL,
  type   text   NOT NULL,
  count  bigint NOT NULL CHECK (count >= 0),
  PRIMARY KEY (tenant, day, type)
);

-- One row per (tenant, learner): totals and the figures LearnerSummary reports. The quiz average is
-- quiz_percent_sum / quiz_scored (quiz_scored counts the submissions that had a usable max_score).
CREATE TABLE learner_counters (
  tenant                      text             NOT NULL,
  learner_id                  text             NOT NULL,
  total_events                bigint           NOT NULL,
  first_seen                  timestamptz      NOT NULL,
  last_seen                   timestamptz      NOT NULL,
  quiz_submissions            bigint           NOT NULL DEFAULT 0,
  quiz_scored                 bigint           NOT NULL DEFAULT 0,
  quiz_percent_sum            double precision NOT NULL DEFAULT 0,
  tutoring_sessions_completed bigint           NOT NULL DEFAULT 0,
  ib_calls                    bigint           NOT NULL DEFAULT 0,
  updated_at                  timestamptz      NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, learner_id)
);

-- A learner's events per type; the primary key prefix (tenant, learner_id) serves the summary.
CREATE TABLE learner_type_counts (
  tenant     text   NOT NULL,
  learner_id text   NOT NULL,
  type       text   NOT NULL,
  count      bigint NOT NULL CHECK (count >= 0),
  PRIMARY KEY (tenant, learner_id, type)
);

-- Every event ever counted. Event ids are unique per tenant (the producer's idempotency key), so
-- this absorbs redelivery (restarts, rebalances, reset offsets) and events produced twice.
-- processed_at with a BRIN index (nearly free on an append-mostly table) lets a later retention job
-- drop entries older than the topic's retention, which can no longer be redelivered.
CREATE TABLE processed_events (
  tenant       text        NOT NULL,
  event_id     uuid        NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, event_id)
);
CREATE INDEX processed_events_processed_at_brin ON processed_events USING brin (processed_at);

-- The next offset to consume per topic partition, committed with the counts it covers. On partition
-- assignment the consumer resumes here (not at the group's Kafka-committed offset, which is written
-- afterwards, best effort). Keyed by topic and partition only: the offsets describe what THIS
-- database contains, whatever the consumer group is called.
CREATE TABLE consumer_offsets (
  topic       text        NOT NULL,
  partition   integer     NOT NULL,
  next_offset bigint      NOT NULL CHECK (next_offset >= 0),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition)
);
