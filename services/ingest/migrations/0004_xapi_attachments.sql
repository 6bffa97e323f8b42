-- The raw data of xAPI statement attachments received as multipart/mixed parts, copied by the
-- materialiser from the xapi.statement events (edfleet.events.v1 stays the source of truth). Attachments
-- are identified by their SHA-2, so one row per (tenant, sha2) serves every statement that references
-- the same data: redelivered or repeated data is stored once.
CREATE TABLE xapi_attachments (
  tenant       text   NOT NULL,
  sha2         text   NOT NULL,   -- lower-case hex, as the statements' attachment objects declare it
  content_type text   NOT NULL,
  length       bigint NOT NULL,
  content      bytea  NOT NULL,
  PRIMARY KEY (tenant, sha2)
);
