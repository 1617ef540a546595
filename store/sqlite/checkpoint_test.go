package sqlite

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/llmgate/llmgate/gateway"
)

// Commits leave the WAL to the checkpointer: past SQLite's 1,000-page autocheckpoint it keeps
// growing, one PASSIVE checkpoint copies all of it while the store stays open, and the next
// commit starts the WAL over instead of growing it further.
func TestCheckpointerCopiesTheWALThatCommitsLeave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "llmgate.db")
	s := openTest(t, path)
	s.stopCheckpoints() // the test checkpoints by hand, at known points
	<-s.checkpointsDone
	appendEvents := func(n int) {
		for i := 0; i < n; i += 100 {
			batch := make([]*gateway.AuditEvent, 100)
			for j := range batch {
				batch[j] = queryEvent(i + j)
			}
			if err := s.AppendAudit(t.Context(), batch); err != nil {
				t.Fatal(err)
			}
		}
	}
	appendEvents(6000)
	frames, copied, err := s.checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if frames <= 1000 || copied != frames {
		t.Fatalf("WAL of %d frames, %d copied; want more than SQLite's 1000-page autocheckpoint (commits did not checkpoint) and all copied", frames, copied)
	}
	walSize := func() int64 {
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := walSize()
	appendEvents(500)
	after, _, err := s.checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if after >= frames || walSize() > before {
		t.Fatalf("after the checkpoint the WAL went on from %d to %d frames (file %d → %d bytes); want it started over", frames, after, before, walSize())
	}
	if head, err := s.AuditHead(t.Context()); err != nil || head.Seq != 6500 {
		t.Fatalf("chain head %+v, %v; want seq 6500", head, err)
	}
}
