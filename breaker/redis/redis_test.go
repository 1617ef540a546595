package redis

import (
	"testing"

	"github.com/llmgate/llmgate/breaker"
	"github.com/llmgate/llmgate/breaker/breakertest"
	"github.com/llmgate/llmgate/internal/testenv"
)

func TestConformance(t *testing.T) {
	c := testenv.Redis(t)
	breakertest.Run(t, func(*testing.T) breaker.Breaker { return New(c) })
}
