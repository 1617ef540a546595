-- Events name the chain key their hash is an HMAC under; '' marks events chained before
-- keying, verified by the original unkeyed SHA-256 scheme.
ALTER TABLE audit_events ADD COLUMN key_id text NOT NULL DEFAULT '';
