package auditrows

import (
	"math/bits"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
)

func TestFitSplitsEveryBatchIntoTheFewestStatements(t *testing.T) {
	for n := 1; n <= 200; n++ {
		statements := 0
		for rest := n; rest > 0; statements++ {
			i := Fit(rest)
			if Sizes[i] > rest || (i > 0 && Sizes[i-1] <= rest) {
				t.Fatalf("Fit(%d) = %d rows; want the largest size not above %d", rest, Sizes[i], rest)
			}
			rest -= Sizes[i]
		}
		if want := n/32 + bits.OnesCount(uint(n%32)); statements != want {
			t.Fatalf("%d events take %d statements; want %d", n, statements, want)
		}
	}
}

func TestQueryHasAPlaceholderPerColumnAndRow(t *testing.T) {
	q := Query(2, func(k int) string { return "$" + string(rune('a'+k-1)) })
	if !strings.HasSuffix(q, "VALUES ($a, $b, $c, $d, $e, $f, $g, $h, $i, $j, $k, $l, $m), ($n, $o, $p, $q, $r, $s, $t, $u, $v, $w, $x, $y, $z)") {
		t.Fatalf("query %q", q)
	}
}

// A row holds ev's values in column order, and a following row of the same batch reuses the
// strings it shares with the previous one without boxing them again.
func TestRowsCarryTheEventsValuesAndReuseSharedStrings(t *testing.T) {
	md := map[string]string{"endpointName": "chat", "accessedByUsername": "ann"}
	first := &gateway.AuditEvent{Seq: 1, ID: "a", Kind: "k", PerformedBy: "u", EndpointID: "e", EndpointType: "t",
		Metadata: md, PrevHash: "", Hash: "h1", KeyID: "key"}
	second := *first
	second.Seq, second.ID, second.PrevHash, second.Hash = 2, "b", "h1", "h2"
	var r Row
	r = r.Next(first, int64(7), "{}")
	want := Row{int64(1), "a", "k", int64(7), "u", "e", "t", "chat", "ann", "{}", "", "h1", "key"}
	if r != want {
		t.Fatalf("row %v; want %v", r, want)
	}
	allocs := testing.AllocsPerRun(100, func() { _ = r.Next(&second, nil, "{}") })
	if next := r.Next(&second, nil, "{}"); next[10] != "h1" || next[11] != "h2" || next[2] != "k" || allocs > 3 {
		t.Fatalf("second row %v with %.0f allocations; want prevHash h1, hash h2, and only id, metadata and hash boxed", next, allocs)
	}
}
