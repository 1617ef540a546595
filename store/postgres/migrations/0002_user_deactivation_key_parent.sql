-- A deactivated user keeps its row (audit history names it) but none of its keys
-- authenticate. A key created with another key of the same user names it as its parent: it
-- never outlives it (revoking the parent ends the child too).
ALTER TABLE users ADD COLUMN deactivated_at timestamptz;
ALTER TABLE api_keys ADD COLUMN parent_key_id text REFERENCES api_keys (id);
