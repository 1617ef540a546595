package accesslog

import (
	"bufio"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

func TestOneLinePerDurableAccessEvent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.jsonl")
	l, err := Open(path, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	l.Committed([]*gateway.AuditEvent{
		{ID: "e1", Kind: gateway.KindAccessEndpoint, Timestamp: ts, Seq: 7, Hash: "h7",
			Metadata: map[string]string{"accessedByUsername": "ann", "endpointName": "chat", "totalTokens": "12", "cost": "0.0001"}},
		{ID: "e2", Kind: gateway.KindCreateEndpoint, Timestamp: ts, Seq: 8},
	})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(path)
	defer f.Close()
	sc := bufio.NewScanner(f)
	var lines []map[string]any
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %s", sc.Bytes())
		}
		lines = append(lines, m)
	}
	if len(lines) != 1 || lines[0]["accessedByUsername"] != "ann" || lines[0]["totalTokens"] != "12" || lines[0]["seq"] != float64(7) ||
		lines[0]["time"] != "2026-12-03T10:00:00Z" {
		t.Fatalf("lines %v", lines)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("access log mode %v", fi.Mode())
	}
}
