-- The per-session sequence contract (docs/topics.md): each (tenant, session_id, sequence) of a
-- session.* event is held by one event. Claimed like accepted_events (pending, then accepted), in a
-- table of its own so that accepted_events stays the record of events alone. event_id is the slot's
-- key (a UUID derived from session id and sequence, domain/session_sequence.h); content_hash is the
-- id of the event holding it.
CREATE TABLE session_sequence_slots (
  tenant       text        NOT NULL,
  event_id     uuid        NOT NULL,
  content_hash text        NOT NULL,
  accepted_at  timestamptz,
  claimed_at   timestamptz,
  PRIMARY KEY (tenant, event_id)
);
