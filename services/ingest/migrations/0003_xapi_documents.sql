-- The xAPI document resources (Communication 2.2-2.7): State, Activity Profile and Agent Profile
-- documents. Documents are not events: they are written here directly, one transaction per write, with
-- the ETag check inside it (PgDocumentStore). Unused coordinates are '' (registration too when none).
CREATE TABLE xapi_documents (
  tenant        text        NOT NULL,
  kind          text        NOT NULL CHECK (kind IN ('state', 'activity_profile', 'agent_profile')),
  activity_id   text        NOT NULL,   -- State, Activity Profile
  agent_key     text        NOT NULL,   -- State, Agent Profile: xapi::actor_key of the agent
  registration  text        NOT NULL,   -- State only: lower-case UUID
  document_id   text        NOT NULL,   -- stateId / profileId
  content       bytea       NOT NULL,   -- exactly as sent (or as merged by POST)
  content_type  text        NOT NULL,
  etag          text        NOT NULL,   -- lower-case hex SHA-1 of content
  updated       timestamptz NOT NULL
);

-- Activity IRIs and document ids have no length limit in xAPI: index their md5 so that long ones fit
-- in a btree entry; queries compare both the md5 and the value.
CREATE UNIQUE INDEX xapi_documents_key ON xapi_documents
  (tenant, kind, md5(activity_id), agent_key, registration, md5(document_id));
CREATE INDEX xapi_documents_scope ON xapi_documents (tenant, kind, md5(activity_id), agent_key, updated);
