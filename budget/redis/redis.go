// Package redis is the budget.Ledger replicas share: each reserve and settle is one Lua
// script, so every replica sees the same buckets and no two admit the same headroom.
package redis

import (
	"context"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/llmgate/llmgate/budget"
)

// DefaultPrefix namespaces the ledger's keys in a shared Redis.
const DefaultPrefix = "llmgate:budget:"

// Ledger keeps each bucket as a hash: committed tokens (ct) and cost (cc), reserved tokens (rt)
// and cost (rc), expiring a day after its period ends.
type Ledger struct {
	client *goredis.Client
	prefix string
}

// New returns a ledger on client.
func New(client *goredis.Client) *Ledger { return &Ledger{client: client, prefix: DefaultPrefix} }

// reserveScript: ARGV[1..2] the estimate; then per key its token limit, cost limit and expiry
// (Unix ms). Returns the 1-based index of the first bucket that would pass, or 0.
var reserveScript = goredis.NewScript(`
local et, ec = tonumber(ARGV[1]), tonumber(ARGV[2])
for i, k in ipairs(KEYS) do
  local lt, lc = tonumber(ARGV[3*i]), tonumber(ARGV[3*i+1])
  local v = redis.call('HMGET', k, 'ct', 'cc', 'rt', 'rc')
  local ct, cc, rt, rc = tonumber(v[1] or 0), tonumber(v[2] or 0), tonumber(v[3] or 0), tonumber(v[4] or 0)
  if (lt > 0 and ct + rt + et > lt) or (lc > 0 and cc + rc + ec > lc) then return i end
end
for i, k in ipairs(KEYS) do
  redis.call('HINCRBY', k, 'rt', et)
  redis.call('HINCRBY', k, 'rc', ec)
  redis.call('PEXPIREAT', k, tonumber(ARGV[3*i+2]))
end
return 0`)

// settleScript: ARGV the estimate and the actual amounts, then per key its expiry. Returns
// per key committed tokens and cost before and after.
var settleScript = goredis.NewScript(`
local et, ec, at, ac = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local out = {}
for i, k in ipairs(KEYS) do
  local v = redis.call('HMGET', k, 'ct', 'cc')
  table.insert(out, tonumber(v[1] or 0))
  table.insert(out, tonumber(v[2] or 0))
  redis.call('HINCRBY', k, 'rt', 0 - et)
  redis.call('HINCRBY', k, 'rc', 0 - ec)
  table.insert(out, redis.call('HINCRBY', k, 'ct', at))
  table.insert(out, redis.call('HINCRBY', k, 'cc', ac))
  redis.call('PEXPIREAT', k, tonumber(ARGV[4+i]))
end
return out`)

func (l *Ledger) keys(buckets []budget.Bucket) []string {
	keys := make([]string, len(buckets))
	for i, b := range buckets {
		keys[i] = l.prefix + b.Key
	}
	return keys
}

// expiry keeps a bucket a day past its period, for reading it after the reset.
func expiry(b budget.Bucket) int64 { return b.Expires.Add(24 * time.Hour).UnixMilli() }

// Reserve implements budget.Ledger.
func (l *Ledger) Reserve(ctx context.Context, buckets []budget.Bucket, est budget.Amount) (int, error) {
	if len(buckets) == 0 {
		return -1, nil
	}
	args := []any{est.Tokens, est.CostMicros}
	for _, b := range buckets {
		args = append(args, b.LimitTokens, b.LimitCostMicros, expiry(b))
	}
	n, err := reserveScript.Run(ctx, l.client, l.keys(buckets), args...).Int64()
	if err != nil {
		return -1, err
	}
	return int(n) - 1, nil
}

// Settle implements budget.Ledger.
func (l *Ledger) Settle(ctx context.Context, buckets []budget.Bucket, est, actual budget.Amount) ([]budget.Settled, error) {
	if len(buckets) == 0 {
		return nil, nil
	}
	args := []any{est.Tokens, est.CostMicros, actual.Tokens, actual.CostMicros}
	for _, b := range buckets {
		args = append(args, expiry(b))
	}
	v, err := settleScript.Run(ctx, l.client, l.keys(buckets), args...).Int64Slice()
	if err != nil {
		return nil, err
	}
	out := make([]budget.Settled, len(buckets))
	for i := range out {
		out[i] = budget.Settled{Before: budget.Amount{Tokens: v[4*i], CostMicros: v[4*i+1]},
			After: budget.Amount{Tokens: v[4*i+2], CostMicros: v[4*i+3]}}
	}
	return out, nil
}

// Used implements budget.Ledger.
func (l *Ledger) Used(ctx context.Context, key string) (budget.Amount, budget.Amount, error) {
	v, err := l.client.HMGet(ctx, l.prefix+key, "ct", "cc", "rt", "rc").Result()
	if err != nil {
		return budget.Amount{}, budget.Amount{}, err
	}
	n := func(x any) int64 {
		s, _ := x.(string)
		i, _ := strconv.ParseInt(s, 10, 64) // absent fields are nil: 0
		return i
	}
	return budget.Amount{Tokens: n(v[0]), CostMicros: n(v[1])}, budget.Amount{Tokens: n(v[2]), CostMicros: n(v[3])}, nil
}

// MarkAlert implements budget.Ledger: HSETNX of the threshold's field in the bucket's hash.
func (l *Ledger) MarkAlert(ctx context.Context, b budget.Bucket, threshold int) (bool, error) {
	key := l.prefix + b.Key
	first, err := l.client.HSetNX(ctx, key, "a"+strconv.Itoa(threshold), 1).Result()
	if err != nil {
		return false, err
	}
	l.client.PExpireAt(ctx, key, time.UnixMilli(expiry(b)))
	return first, nil
}
