-- The newest X-Experience-API-Consistent-Through an ingest process vouched for after the materialiser
-- had caught up with the events topic (one row). A restarted process answers it until its own
-- materialiser has caught up again, instead of vouching for statements it has not seen.
CREATE TABLE xapi_consistent_through (
  singleton boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
  through   timestamptz NOT NULL
);
