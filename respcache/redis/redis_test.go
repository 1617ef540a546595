package redis

import (
	"testing"

	"github.com/llmgate/llmgate/internal/testenv"
	"github.com/llmgate/llmgate/respcache"
	"github.com/llmgate/llmgate/respcache/cachetest"
)

func TestConformance(t *testing.T) {
	c := testenv.Redis(t)
	cachetest.Run(t, func(*testing.T) respcache.Cache { return New(c) })
}
