package domino

import (
	"net/url"
	"testing"

	"github.com/llmgate/llmgate/gateway"
)

// FuzzAuditQuery decodes the audit list's paging parameters: limit and offset are accepted
// only within bounds, a refusal is a 400, and an accepted cursor reads back unchanged from
// the X-Llmgate-Audit-Next value the gateway would write for it.
func FuzzAuditQuery(f *testing.F) {
	for _, seed := range []string{"limit=50&after=1796291244123.42", "limit=0", "offset=-1&after=.", "after=9223372036854775807.1",
		"after=-5.3&limit=99999999", "after=1.2.3", "startTime=2026-05-01T00:00:00Z&after=%20%201.1"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		var af gateway.AuditFilter
		err = parseAuditPage(q, &af)
		assertClientError(t, "parseAuditPage", err)
		if err != nil {
			return
		}
		if af.Limit < 1 || af.Limit > auditMaxLimit || af.Offset < 0 {
			t.Fatalf("%q accepted as limit %d offset %d", raw, af.Limit, af.Offset)
		}
		if af.After == nil {
			return
		}
		back, err := parseCursor(formatCursor(af.After))
		if err != nil || !back.Timestamp.Equal(af.After.Timestamp) || back.Seq != af.After.Seq {
			t.Fatalf("cursor %+v does not round-trip: %+v %v", af.After, back, err)
		}
	})
}
