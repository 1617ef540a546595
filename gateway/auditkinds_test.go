package gateway

import (
	"os"
	"regexp"
	"slices"
	"testing"
)

// Every Kind… constant in audit.go is in AuditKinds (and every Outcome… in AccessOutcomes), so
// `audit export --kind` never refuses a kind the gateway writes.
func TestAuditKindsListsEveryKind(t *testing.T) {
	src, err := os.ReadFile("audit.go")
	if err != nil {
		t.Fatal(err)
	}
	for re, list := range map[string][]string{
		`(?m)^\s+Kind\w+\s+= "(\w+)"`:    AuditKinds,
		`(?m)^\s+Outcome\w+\s+= "(\w+)"`: AccessOutcomes,
	} {
		found := regexp.MustCompile(re).FindAllStringSubmatch(string(src), -1)
		if len(found) < 7 {
			t.Fatalf("%s found only %d constants", re, len(found))
		}
		for _, m := range found {
			if !slices.Contains(list, m[1]) {
				t.Errorf("%q is not listed", m[1])
			}
		}
	}
}
