-- The ledger of accepted event ids: ingest's idempotency record. One row per (tenant, event id) that
-- Kafka acknowledged; content_hash is the SHA-256 of the event's canonical content (without
-- received_at and trace_id), so a retry (same hash) is a duplicate and a reused id (other hash) is
-- refused. Rows are only inserted (ON CONFLICT DO NOTHING), never updated.
CREATE TABLE accepted_events (
  tenant       text        NOT NULL,
  event_id     uuid        NOT NULL,
  content_hash text        NOT NULL,
  accepted_at  timestamptz NOT NULL,
  PRIMARY KEY (tenant, event_id)
);

-- For pruning old rows by age once a retention window is decided.
CREATE INDEX accepted_events_accepted_at ON accepted_events (accepted_at);
