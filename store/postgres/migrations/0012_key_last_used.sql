-- When each API key was last used (gateway.KeyUseStore), recorded in batches by the serving
-- processes; not part of the state version.
ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz;
