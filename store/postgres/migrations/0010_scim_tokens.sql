-- SCIM bearer tokens (gateway.SCIMToken): the token's SHA-256 only, like API keys.
CREATE TABLE scim_tokens (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    hash       bytea NOT NULL UNIQUE,
    prefix     text NOT NULL,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);
