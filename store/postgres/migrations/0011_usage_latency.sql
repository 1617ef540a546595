-- Latency histogram of the hourly usage rows (gateway.LatencyBoundsMs: ≤25, 50, 100, 250, 500 ms,
-- 1, 2.5, 5, 10, 30, 60 s, slower), for percentiles. Rows written before this count nothing here.
ALTER TABLE usage_hourly ADD COLUMN lat_0 bigint NOT NULL DEFAULT 0;
ALTER TABLE usage_hourly ADD COLUMN lat_1 bigint NOT NULL DEFAULT 0;
ALTER TABLE usage_hourly ADD COLUMN lat_2 bigint NOT NULL DEFAULT 0;
ALTER TABLE usage_hourly ADD COLUMN lat_3 bigint NOT NULL DEFAULT 0;
ALTER TABLE usage_hourly ADD COLUMN lat_4 bigint NOT NULL DEFAULT 0;
ALTER TABLE usage_hourly ADD COLUMN lat_5 bigint NOT NULL DEFAULT 0;
ALTER TABLE usage_hourly ADD COLUMN lat_6 bigint NOT NULL DEFAULT 0;
ALTER TABLE usage_hourly ADD COLUMN lat_7 bigint NOT NULL DEFAULT 0;
ALTER TABLE usage_hourly ADD COLUMN lat_8 bigint NOT NULL DEFAULT 0;
ALTER TABLE usage_hourly ADD COLUMN lat_9 bigint NOT NULL DEFAULT 0;
ALTER TABLE usage_hourly ADD COLUMN lat_10 bigint NOT NULL DEFAULT 0;
ALTER TABLE usage_hourly ADD COLUMN lat_11 bigint NOT NULL DEFAULT 0;
