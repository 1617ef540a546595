package pipeline

import (
	"slices"
	"testing"

	"github.com/llmgate/llmgate/gateway"
)

// least-busy puts the route with the fewest queries in flight first.
func TestLeastBusyOrder(t *testing.T) {
	ep := &gateway.Endpoint{ID: "e", Routing: &gateway.Routing{Strategy: "least-busy"}, Targets: []gateway.Target{{}, {}}}
	var b busy
	if o := b.order(ep); !slices.Equal(o, []int{0, 1, 2}) {
		t.Fatalf("idle order %v", o)
	}
	leave0 := b.enter("e#0")
	leave0b := b.enter("e#0")
	leave1 := b.enter("e#1")
	if o := b.order(ep); !slices.Equal(o, []int{2, 1, 0}) {
		t.Fatalf("order %v, want the idle route 2, then 1 (one in flight), then 0 (two)", o)
	}
	leave0()
	leave0b()
	leave1()
	if len(b.n) != 0 {
		t.Fatalf("counts left behind: %v", b.n)
	}
}
