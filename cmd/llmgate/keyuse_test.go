package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/llmgate/llmgate/store/sqlite"
)

// `keys list` shows the last use servers recorded even when the audit trail has no access
// event for it (retention pruned it, say): the later of the two wins.
func TestKeysListShowsRecordedUses(t *testing.T) {
	dir := t.TempDir()
	cli := func(args ...string) string {
		t.Helper()
		out, errOut, code := llmgate(t, append(args, "--data-dir", dir)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	cli("users", "create", "--init", "--username", "nia")
	cli("keys", "create", "--username", "nia", "--name", "ci")
	cli("keys", "create", "--username", "nia", "--name", "idle")
	var keys []keyRow
	if err := json.Unmarshal([]byte(cli("keys", "list", "-o", "json")), &keys); err != nil || len(keys) != 2 {
		t.Fatalf("keys list: %v %+v", err, keys)
	}
	ids := map[string]string{}
	for _, k := range keys {
		ids[k.Name] = k.ID
	}
	used := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "llmgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	err = store.RecordKeyUses(context.Background(), map[string]time.Time{ids["ci"]: used})
	store.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(cli("keys", "list", "-o", "json")), &keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if wrong := (k.Name == "ci" && (k.LastUsed == nil || !k.LastUsed.Equal(used))) || (k.Name == "idle" && k.LastUsed != nil); wrong {
			t.Errorf("%s: last used %v (ci was used at %v, idle never)", k.Name, k.LastUsed, used)
		}
	}
}
