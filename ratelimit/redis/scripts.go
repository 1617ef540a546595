package redis

import goredis "github.com/redis/go-redis/v9"

// Each key is a sorted set of log entries scored by the time (µs, Redis server clock) of
// their latest units; a member is "<start µs>:<units>", unique because a new entry only
// starts a slice after the previous one started. Units recorded within one slice
// (window/64, matching ratelimit.SlicesPerWindow) are merged into one entry re-scored with
// the latest time: expiry can only move later, so merging never admits more than the limit.
//
// Reading the clock inside the script makes every replica judge time by one clock, so
// replicas with skewed clocks still agree on the window.
const prelude = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local slices = 64

-- load drops the entries that left the window ending now and returns the rest, oldest
-- first, with their total.
local function load(key, window)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local raw = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  local entries, used = {}, 0
  for j = 1, #raw, 2 do
    local start, units = string.match(raw[j], '^(%d+):(%d+)$')
    if not start then
      return redis.error_reply('malformed rate limit entry')
    end
    local e = {member = raw[j], at = tonumber(raw[j + 1]), start = tonumber(start), units = tonumber(units)}
    entries[#entries + 1] = e
    used = used + e.units
  end
  return entries, used
end

-- add records units now, merging into the newest entry while its slice lasts, and keeps
-- the key only as long as its newest entry counts.
local function add(key, window, units)
  if units <= 0 then return end
  local entries = load(key, window)
  if entries.err then return entries end
  local at = now
  local last = entries[#entries]
  if last and at < last.at then at = last.at end
  if last and at - last.start < math.floor(window / slices) then
    redis.call('ZREM', key, last.member)
    redis.call('ZADD', key, at, string.format('%d:%d', last.start, last.units + units))
  else
    redis.call('ZADD', key, at, string.format('%d:%d', at, units))
  end
  redis.call('PEXPIRE', key, math.ceil(window / 1000))
end
`

// takeScript checks every rule, then records every Add, or records nothing.
// KEYS: the rules' keys. ARGV: limit, window µs, need, add for each rule in order.
// Returns {allowed 1|0, index of the denying rule or -1, µs until it has room}.
var takeScript = goredis.NewScript(prelude + `
local pending = {}
for i, key in ipairs(KEYS) do
  local b = (i - 1) * 4
  local limit, window, need = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3])
  local entries, used = load(key, window)
  if entries.err then return entries end
  local excess = used + (pending[key] or 0) + need - limit
  if excess > 0 then
    local wait = window
    for _, e in ipairs(entries) do
      excess = excess - e.units
      if excess <= 0 then
        wait = e.at + window - now
        break
      end
    end
    return {0, i - 1, wait}
  end
  pending[key] = (pending[key] or 0) + tonumber(ARGV[b + 4])
end
for i, key in ipairs(KEYS) do
  local b = (i - 1) * 4
  local err = add(key, tonumber(ARGV[b + 2]), tonumber(ARGV[b + 4]))
  if err then return err end
end
return {1, -1, 0}
`)

// recordScript adds units to every key without checking.
// KEYS: the rules' keys. ARGV: units, then the window µs of each rule in order.
var recordScript = goredis.NewScript(prelude + `
local units = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local err = add(key, tonumber(ARGV[i + 1]), units)
  if err then return err end
end
return 0
`)
