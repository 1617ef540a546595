-- Retention: where the pruned prefix of the chain ended. Verification starts from this row,
-- whose mac (HMAC under the chain key named by key_id) only the key holder can produce.
CREATE TABLE audit_anchor (
    id     integer PRIMARY KEY CHECK (id = 1),
    seq    bigint NOT NULL,
    hash   text NOT NULL,
    key_id text NOT NULL,
    mac    text NOT NULL
);
