package testenv

import (
	"context"
	"testing"

	goredis "github.com/redis/go-redis/v9"
)

// Redis connects to the test Redis (LLMGATE_TEST_REDIS_URL) — skipped without it by hand,
// failed on CI — and closes the client when t ends.
func Redis(t testing.TB) *goredis.Client {
	t.Helper()
	opt, err := goredis.ParseURL(Require(t, "LLMGATE_TEST_REDIS_URL"))
	if err != nil {
		t.Fatalf("LLMGATE_TEST_REDIS_URL: %v", err)
	}
	c := goredis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("test Redis unreachable: %v", err)
	}
	return c
}
