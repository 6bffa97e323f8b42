-- Rules per tenant: one row per rule (its current state) and one per version (its text).
CREATE TABLE rules (
  tenant          text        NOT NULL,
  id              text        NOT NULL,
  name            text        NOT NULL,
  latest_version  integer     NOT NULL,
  enabled         boolean     NOT NULL,
  deleted         boolean     NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  revision        bigint      NOT NULL,   -- from rules_revision: instances reload when max() moves
  PRIMARY KEY (tenant, id)
);
CREATE SEQUENCE rules_revision;
CREATE INDEX rules_by_revision ON rules (revision);

CREATE TABLE rule_versions (
  tenant      text        NOT NULL,
  id          text        NOT NULL,
  version     integer     NOT NULL,
  source      text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, id, version)
);

-- Engine checkpoints: per events partition, the next offset to consume and the engine's meta
-- (watermark, schedules), written in one transaction with the key state they belong to. `epoch`
-- fences a previous owner of the partition: every checkpoint must carry the epoch it loaded with.
CREATE TABLE rules_partitions (
  topic        text    NOT NULL,
  partition    integer NOT NULL,
  epoch        bigint  NOT NULL,
  next_offset  bigint,
  meta         bytea,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition)
);

CREATE TABLE rules_key_state (
  topic      text    NOT NULL,
  partition  integer NOT NULL,
  rule       text    NOT NULL,   -- "<tenant>/<rule id>@<version>" or "once:<tenant>/<rule id>"
  key        text    NOT NULL,
  state      bytea   NOT NULL,
  PRIMARY KEY (topic, partition, rule, key)
);
