-- The xAPI statements the materialiser copies from edfleet.events.v1 (the source of truth) for the
-- Statements resource's GET. One row per (tenant, statement id); `statement` is the statement as
-- stored (with id, stored, authority, version). The other columns are what queries filter on.
CREATE TABLE xapi_statements (
  tenant             text        NOT NULL,
  statement_id       uuid        NOT NULL,
  stored             timestamptz NOT NULL,
  actor_key          text        NOT NULL,   -- xapi::actor_key of the actor
  object_agent_key   text,                   -- the same for an Agent/Group object
  verb_id            text        NOT NULL,
  activity_id        text,                   -- the object's id when it is an Activity
  registration       uuid,
  voids              uuid,                   -- the statement a voiding statement voids
  voided             boolean     NOT NULL DEFAULT false,
  statement          text        NOT NULL,
  PRIMARY KEY (tenant, statement_id)
);

-- Paging is by (stored, statement_id), newest first unless ascending.
CREATE INDEX xapi_statements_stored ON xapi_statements (tenant, stored, statement_id);
CREATE INDEX xapi_statements_actor ON xapi_statements (tenant, actor_key, stored);
CREATE INDEX xapi_statements_object_agent ON xapi_statements (tenant, object_agent_key, stored)
  WHERE object_agent_key IS NOT NULL;
CREATE INDEX xapi_statements_verb ON xapi_statements (tenant, verb_id, stored);
CREATE INDEX xapi_statements_activity ON xapi_statements (tenant, activity_id, stored) WHERE activity_id IS NOT NULL;
CREATE INDEX xapi_statements_registration ON xapi_statements (tenant, registration, stored)
  WHERE registration IS NOT NULL;
CREATE INDEX xapi_statements_voids ON xapi_statements (tenant, voids) WHERE voids IS NOT NULL;

-- For related_agents / related_activities: every Agent or Group (actor, object, authority, instructor,
-- team, context agents/groups, and those of a SubStatement) and every Activity (object, context
-- activities, and those of a SubStatement) a statement mentions, by key (actor_key / activity id).
CREATE TABLE xapi_statement_related (
  tenant       text NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('agent', 'activity')),
  key          text NOT NULL,
  statement_id uuid NOT NULL,
  PRIMARY KEY (tenant, kind, key, statement_id)
);

-- The materialiser's position per partition, written in the same transaction as the rows.
CREATE TABLE xapi_materialiser_offsets (
  topic       text    NOT NULL,
  partition   integer NOT NULL,
  next_offset bigint  NOT NULL,
  PRIMARY KEY (topic, partition)
);
