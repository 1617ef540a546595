-- Initial schema. Timestamps are Unix milliseconds (every llmgate timestamp has ms
-- precision), JSON columns hold the endpoint's structured fields as encoding/json writes them.

CREATE TABLE state (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO state (id, version) VALUES (1, 0);

CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    user_name  TEXT NOT NULL UNIQUE,
    email      TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name  TEXT NOT NULL,
    admin      INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE orgs (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- rowid keeps members in the order they were first added; a role change keeps the row.
CREATE TABLE org_members (
    org_id  TEXT NOT NULL REFERENCES orgs (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    role    TEXT NOT NULL,
    UNIQUE (org_id, user_id)
);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    name       TEXT NOT NULL,
    hash       BLOB NOT NULL UNIQUE,
    prefix     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX api_keys_user ON api_keys (user_id, created_at);

CREATE TABLE endpoints (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    type            TEXT NOT NULL,
    provider        TEXT NOT NULL,
    model           TEXT NOT NULL,
    config          TEXT NOT NULL,
    secrets         TEXT NOT NULL,
    permissions     TEXT NOT NULL,
    rate_limits     TEXT NOT NULL,
    log_payloads    INTEGER NOT NULL,
    timeout_seconds INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    deleted_at      INTEGER
);
-- Soft-deleted rows stay for audit lookups; only active endpoints must have unique names.
CREATE UNIQUE INDEX endpoints_active_name ON endpoints (name) WHERE deleted_at IS NULL;

CREATE TABLE sealed_secrets (
    id            TEXT PRIMARY KEY,
    master_key_id TEXT NOT NULL,
    wrapped_key   BLOB NOT NULL,
    ciphertext    BLOB NOT NULL,
    created_at    INTEGER NOT NULL
);

-- endpoint_name and username are copied out of metadata at insert time so filters are
-- plain column comparisons; verification only ever trusts the hashed fields.
CREATE TABLE audit_events (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL,
    kind          TEXT NOT NULL,
    ts            INTEGER NOT NULL,
    performed_by  TEXT NOT NULL,
    endpoint_id   TEXT NOT NULL,
    endpoint_type TEXT NOT NULL,
    endpoint_name TEXT NOT NULL,
    username      TEXT NOT NULL,
    metadata      TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
CREATE INDEX audit_events_ts ON audit_events (ts, seq);

-- The chain head lives apart from the events so that deleting the newest events is detected.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');
