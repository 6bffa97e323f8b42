-- gateway 0001: API keys. Only the SHA-256 of a key's secret is stored (the secret is 256 random bits,
-- shown once at creation); a revoked key keeps its row so listings show when it was revoked.
CREATE TABLE api_keys (
  id            text        PRIMARY KEY,            -- efk_<16 hex>, public
  tenant        text        NOT NULL,
  name          text        NOT NULL,
  roles         text[]      NOT NULL,
  secret_sha256 text        NOT NULL CHECK (secret_sha256 ~ '^[0-9a-f]{64}$'),
  created_at    timestamptz NOT NULL,
  revoked_at    timestamptz
);

-- ListApiKeys: one tenant's keys, oldest first.
CREATE INDEX api_keys_tenant_created ON api_keys (tenant, created_at, id);
