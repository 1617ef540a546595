-- Hourly usage, written in the same transaction as the access events it counts (package usage):
-- it agrees with the audit trail and survives a crash with it. Reading usage never scans the trail.
-- Events recorded before this migration are not counted.
CREATE TABLE usage_hourly (
    hour              BIGINT NOT NULL,
    endpoint_id       TEXT NOT NULL,
    endpoint_name     TEXT NOT NULL,
    user_id           TEXT NOT NULL,
    user_name         TEXT NOT NULL,
    provider          TEXT NOT NULL,
    model             TEXT NOT NULL,
    org_ids           TEXT NOT NULL,
    requests          BIGINT NOT NULL,
    errors            BIGINT NOT NULL,
    prompt_tokens     BIGINT NOT NULL,
    completion_tokens BIGINT NOT NULL,
    total_tokens      BIGINT NOT NULL,
    unknown_usage     BIGINT NOT NULL,
    latency_ms_sum    BIGINT NOT NULL,
    cost              DOUBLE PRECISION NOT NULL,
    unknown_cost      BIGINT NOT NULL,
    PRIMARY KEY (hour, endpoint_id, user_id, endpoint_name, user_name, provider, model, org_ids)
);
CREATE INDEX usage_hourly_user ON usage_hourly (user_id, hour);
