-- Initial schema. Structured endpoint fields and audit metadata are JSON kept in text
-- columns: stored byte for byte as encoding/json wrote them (jsonb would reject \u0000, which
-- hostile input may carry), and nothing queries inside them.

CREATE TABLE state (
    id      integer PRIMARY KEY CHECK (id = 1),
    version bigint NOT NULL
);
INSERT INTO state (id, version) VALUES (1, 0);

CREATE TABLE users (
    id         text PRIMARY KEY,
    user_name  text NOT NULL UNIQUE,
    email      text NOT NULL,
    first_name text NOT NULL,
    last_name  text NOT NULL,
    admin      boolean NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE orgs (
    id         text PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);

-- pos keeps members in the order they were first added; a role change keeps the row.
CREATE TABLE org_members (
    pos     bigint GENERATED ALWAYS AS IDENTITY,
    org_id  text NOT NULL REFERENCES orgs (id),
    user_id text NOT NULL REFERENCES users (id),
    role    text NOT NULL,
    PRIMARY KEY (org_id, user_id)
);

CREATE TABLE api_keys (
    pos        bigint GENERATED ALWAYS AS IDENTITY,
    id         text PRIMARY KEY,
    user_id    text NOT NULL REFERENCES users (id),
    name       text NOT NULL,
    hash       bytea NOT NULL UNIQUE,
    prefix     text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX api_keys_user ON api_keys (user_id, created_at);

CREATE TABLE endpoints (
    id              text PRIMARY KEY,
    name            text NOT NULL,
    type            text NOT NULL,
    provider        text NOT NULL,
    model           text NOT NULL,
    config          text NOT NULL,
    secrets         text NOT NULL,
    permissions     text NOT NULL,
    rate_limits     text NOT NULL,
    log_payloads    boolean NOT NULL,
    timeout_seconds integer NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    deleted_at      timestamptz
);
-- Soft-deleted rows stay for audit lookups; only active endpoints must have unique names.
CREATE UNIQUE INDEX endpoints_active_name ON endpoints (name) WHERE deleted_at IS NULL;

CREATE TABLE sealed_secrets (
    id            text PRIMARY KEY,
    master_key_id text NOT NULL,
    wrapped_key   bytea NOT NULL,
    ciphertext    bytea NOT NULL,
    created_at    timestamptz NOT NULL
);

-- endpoint_name and username are copied out of metadata at insert time so filters are
-- plain column comparisons; verification only ever trusts the hashed fields.
CREATE TABLE audit_events (
    seq           bigint PRIMARY KEY,
    id            text NOT NULL,
    kind          text NOT NULL,
    ts            timestamptz NOT NULL,
    performed_by  text NOT NULL,
    endpoint_id   text NOT NULL,
    endpoint_type text NOT NULL,
    endpoint_name text NOT NULL,
    username      text NOT NULL,
    metadata      text NOT NULL,
    prev_hash     text NOT NULL,
    hash          text NOT NULL
);
CREATE INDEX audit_events_ts ON audit_events (ts, seq);

-- The chain head lives apart from the events so that deleting the newest events is
-- detected, and its row lock is what serialises appends across replicas.
CREATE TABLE audit_head (
    id   integer PRIMARY KEY CHECK (id = 1),
    seq  bigint NOT NULL,
    hash text NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');
