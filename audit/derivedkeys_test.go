package audit

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/secrets/local"
)

// BenchmarkDerivedKeyringCurrent is what every group commit pays to learn its chain key from
// the local master keyring (the once-a-second reread included).
func BenchmarkDerivedKeyringCurrent(b *testing.B) {
	master, err := local.LoadKeyring(b.TempDir(), "")
	if err != nil {
		b.Fatal(err)
	}
	d := NewDerivedKeyring(master)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Current(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDerivedKeyringPicksUpAnotherProcessRotation: the cached chain key moves on once the
// master key file another process rotated is reread, and the older key still verifies.
func TestDerivedKeyringPicksUpAnotherProcessRotation(t *testing.T) {
	dir := t.TempDir()
	master, err := local.LoadKeyring(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	d := NewDerivedKeyring(master)
	first, err := d.Current()
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := d.Current(); again.ID != first.ID || !bytes.Equal(again.Secret, first.Secret) {
		t.Fatalf("the cached key changed without a rotation: %+v, then %+v", first, again)
	}
	// Another process: `llmgate secrets rotate-master-key` on the same data directory.
	other, err := local.LoadKeyring(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := local.Rotate(context.Background(), noSealed{}, other); err != nil {
		t.Fatal(err)
	}
	if still, _ := d.Current(); still.ID != first.ID {
		t.Fatal("the master key file was reread within the second")
	}
	d.mu.Lock()
	d.reloaded = time.Time{}
	d.mu.Unlock()
	second, err := d.Current()
	if err != nil || second.ID == first.ID || bytes.Equal(second.Secret, first.Secret) {
		t.Fatalf("after another process rotated: %+v, %v (before %+v)", second, err, first)
	}
	if want := NewDerivedKeyring(other); !sameKey(second, must(t, want.Current)) {
		t.Fatal("the two processes chain with different keys after the rotation")
	}
	if k, ok := d.Lookup(first.ID); !ok || !bytes.Equal(k.Secret, first.Secret) {
		t.Fatal("the chain key of the older master key is gone")
	}
}

func sameKey(a, b gateway.AuditKey) bool { return a.ID == b.ID && bytes.Equal(a.Secret, b.Secret) }

func must(t *testing.T, f func() (gateway.AuditKey, error)) gateway.AuditKey {
	t.Helper()
	k, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// noSealed is a sealed-secret store holding nothing, so a master key rotation only rotates.
type noSealed struct{ gateway.SealedSecretStore }

func (noSealed) ListSecrets(context.Context) ([]gateway.SealedSecret, error) { return nil, nil }
