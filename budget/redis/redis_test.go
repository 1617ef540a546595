package redis

import (
	"context"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/llmgate/llmgate/budget"
	"github.com/llmgate/llmgate/budget/ledgertest"
	"github.com/llmgate/llmgate/internal/testenv"
)

// Every bucket key in the suite is a fresh id, so tests share one database safely.
func TestConformance(t *testing.T) {
	url := testenv.Require(t, "LLMGATE_TEST_REDIS_URL")
	opt, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("test Redis unreachable: %v", err)
	}
	ledgertest.Run(t, func(*testing.T) budget.Ledger { return New(c) })
}
