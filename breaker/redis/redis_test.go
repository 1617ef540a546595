package redis

import (
	"context"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/llmgate/llmgate/breaker"
	"github.com/llmgate/llmgate/breaker/breakertest"
	"github.com/llmgate/llmgate/internal/testenv"
)

func TestConformance(t *testing.T) {
	opt, err := goredis.ParseURL(testenv.Require(t, "LLMGATE_TEST_REDIS_URL"))
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("test Redis unreachable: %v", err)
	}
	breakertest.Run(t, func(*testing.T) breaker.Breaker { return New(c) })
}
