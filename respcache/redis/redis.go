// Package redis is the respcache.Cache replicas share: one key per answer, expiring with it.
package redis

import (
	"context"
	"errors"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Prefix namespaces the cache's keys in a shared Redis.
const Prefix = "llmgate:cache:"

// Cache keeps answers in Redis.
type Cache struct{ client *goredis.Client }

// New returns a cache on client.
func New(client *goredis.Client) *Cache { return &Cache{client: client} }

// Get implements respcache.Cache.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	v, err := c.client.Get(ctx, Prefix+key).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return v, true, nil
}

// Set implements respcache.Cache.
func (c *Cache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return c.client.Set(ctx, Prefix+key, value, ttl).Err()
}
