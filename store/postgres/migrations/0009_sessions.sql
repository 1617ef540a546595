-- Web console sessions (gateway.Session): the token's hash only; shared by every replica.
-- Not part of the state version: sessions change on every sign-in.
CREATE TABLE console_sessions (
    hash       bytea PRIMARY KEY,
    user_id    text NOT NULL REFERENCES users (id),
    key_id     text,
    method     text NOT NULL,
    csrf       text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
