-- Retention: where the pruned prefix of the chain ended. Verification starts from this row,
-- whose mac (HMAC under the chain key named by key_id) only the key holder can produce.
CREATE TABLE audit_anchor (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    seq    INTEGER NOT NULL,
    hash   TEXT NOT NULL,
    key_id TEXT NOT NULL,
    mac    TEXT NOT NULL
);
