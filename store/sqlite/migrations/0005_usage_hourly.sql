-- Hourly usage, written in the same transaction as the access events it counts (package usage):
-- it agrees with the audit trail and survives a crash with it. Reading usage never scans the trail.
-- Events recorded before this migration are not counted.
CREATE TABLE usage_hourly (
    hour              INTEGER NOT NULL,
    endpoint_id       TEXT NOT NULL,
    endpoint_name     TEXT NOT NULL,
    user_id           TEXT NOT NULL,
    user_name         TEXT NOT NULL,
    provider          TEXT NOT NULL,
    model             TEXT NOT NULL,
    org_ids           TEXT NOT NULL,
    requests          INTEGER NOT NULL,
    errors            INTEGER NOT NULL,
    prompt_tokens     INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    total_tokens      INTEGER NOT NULL,
    unknown_usage     INTEGER NOT NULL,
    latency_ms_sum    INTEGER NOT NULL,
    cost              REAL NOT NULL,
    unknown_cost      INTEGER NOT NULL,
    PRIMARY KEY (hour, endpoint_id, user_id, endpoint_name, user_name, provider, model, org_ids)
);
CREATE INDEX usage_hourly_user ON usage_hourly (user_id, hour);
