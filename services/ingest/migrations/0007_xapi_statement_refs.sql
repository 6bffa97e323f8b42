-- The statement a statement targets with a StatementRef object (any verb; voids stays the voiding
-- statements' target). Queries use it for the Filter Conditions for StatementRefs (Communication 2.1.3):
-- a statement targeting another meets the agent, verb, activity and registration filters when the
-- targeted statement does.
ALTER TABLE xapi_statements ADD COLUMN statement_ref uuid;

UPDATE xapi_statements SET statement_ref = (statement::jsonb -> 'object' ->> 'id')::uuid
WHERE statement::jsonb -> 'object' ->> 'objectType' = 'StatementRef';

CREATE INDEX xapi_statements_statement_ref ON xapi_statements (tenant, statement_ref) WHERE statement_ref IS NOT NULL;
