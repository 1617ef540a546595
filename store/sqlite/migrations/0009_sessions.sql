-- Web console sessions (gateway.Session): the token's hash only; shared by every process on
-- this file. Not part of the state version: sessions change on every sign-in.
CREATE TABLE console_sessions (
    hash       BLOB PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    key_id     TEXT,
    method     TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
