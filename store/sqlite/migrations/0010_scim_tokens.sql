-- SCIM bearer tokens (gateway.SCIMToken): the token's SHA-256 only, like API keys.
CREATE TABLE scim_tokens (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    hash       BLOB NOT NULL UNIQUE,
    prefix     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
