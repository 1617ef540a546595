package memory

import (
	"testing"

	"github.com/llmgate/llmgate/breaker"
	"github.com/llmgate/llmgate/breaker/breakertest"
)

func TestConformance(t *testing.T) {
	breakertest.Run(t, func(*testing.T) breaker.Breaker { return New() })
}
