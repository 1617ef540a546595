package memory

import (
	"testing"

	"github.com/llmgate/llmgate/budget"
	"github.com/llmgate/llmgate/budget/ledgertest"
)

func TestConformance(t *testing.T) {
	ledgertest.Run(t, func(*testing.T) budget.Ledger { return New() })
}
