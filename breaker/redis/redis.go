// Package redis is the breaker.Breaker replicas share: each decision is one Lua script on a
// hash per target (fails, openUntil, probing), so one probe per cooldown goes out in all.
package redis

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/llmgate/llmgate/breaker"
)

// Prefix namespaces the breaker's keys in a shared Redis.
const Prefix = "llmgate:breaker:"

// Breaker keeps target states in Redis.
type Breaker struct{ client *goredis.Client }

// New returns a breaker on client.
func New(client *goredis.Client) *Breaker { return &Breaker{client: client} }

// allowScript: ARGV now (ms), cooldown (ms). 1 = go ahead.
var allowScript = goredis.NewScript(`
local open = tonumber(redis.call('HGET', KEYS[1], 'openUntil') or '0')
if open == 0 then return 1 end
local now, cool = tonumber(ARGV[1]), tonumber(ARGV[2])
local probing = tonumber(redis.call('HGET', KEYS[1], 'probing') or '0')
if now < open or now < probing then return 0 end
redis.call('HSET', KEYS[1], 'probing', now + cool)
return 1`)

// reportScript: ARGV ok (1/0), now (ms), cooldown (ms), threshold.
var reportScript = goredis.NewScript(`
if ARGV[1] == '1' then redis.call('DEL', KEYS[1]) return 0 end
local now, cool, threshold = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local fails = redis.call('HINCRBY', KEYS[1], 'fails', 1)
local open = tonumber(redis.call('HGET', KEYS[1], 'openUntil') or '0')
if open ~= 0 or fails >= threshold then
  redis.call('HSET', KEYS[1], 'openUntil', now + cool, 'probing', 0)
end
redis.call('PEXPIRE', KEYS[1], cool * 10 + 60000)
return 0`)

// Allow implements breaker.Breaker.
func (b *Breaker) Allow(ctx context.Context, key string, cooldown time.Duration) (bool, error) {
	n, err := allowScript.Run(ctx, b.client, []string{Prefix + key}, time.Now().UnixMilli(), cooldown.Milliseconds()).Int64()
	return n == 1, err
}

// Report implements breaker.Breaker.
func (b *Breaker) Report(ctx context.Context, key string, ok bool, cooldown time.Duration) error {
	flag := "0"
	if ok {
		flag = "1"
	}
	return reportScript.Run(ctx, b.client, []string{Prefix + key}, flag, time.Now().UnixMilli(), cooldown.Milliseconds(), breaker.Threshold).Err()
}

// Open implements breaker.Breaker.
func (b *Breaker) Open(ctx context.Context, key string) (bool, error) {
	v, err := b.client.HGet(ctx, Prefix+key, "openUntil").Int64()
	if err == goredis.Nil {
		return false, nil
	}
	return err == nil && v != 0, err
}
