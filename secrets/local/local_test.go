package local

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/secrets/secretstest"
)

func newKeyring(t *testing.T) *Keyring {
	t.Helper()
	kr, err := LoadKeyring(t.TempDir(), "")
	if err != nil {
		t.Fatalf("LoadKeyring: %v", err)
	}
	return kr
}

func TestConformance(t *testing.T) {
	secretstest.Run(t, func(t *testing.T) gateway.SecretStore {
		return New(secretstest.NewFakeStore(), newKeyring(t))
	})
}

// putOne stores a credential and returns the fake database, the store and the secret id.
func putOne(t *testing.T, value string) (*secretstest.FakeStore, *Store, string) {
	t.Helper()
	db := secretstest.NewFakeStore()
	s := New(db, newKeyring(t))
	ref, err := s.Put(context.Background(), gateway.NewID(), "openai_api_key", value)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	id, _ := strings.CutPrefix(ref, RefPrefix)
	return db, s, id
}

func TestTamperingIsDetected(t *testing.T) {
	const value = "sk-proj-tamper-target"
	cases := []struct {
		name  string
		alter func(s *gateway.SealedSecret)
	}{
		{"ciphertext bit flipped", func(s *gateway.SealedSecret) { s.Ciphertext[len(s.Ciphertext)-1] ^= 1 }},
		{"wrapped key bit flipped", func(s *gateway.SealedSecret) { s.WrappedKey[len(s.WrappedKey)-1] ^= 1 }},
		{"endpoint label changed (AAD)", func(s *gateway.SealedSecret) { s.Ciphertext[2] ^= 1 }},
		{"ciphertext truncated", func(s *gateway.SealedSecret) { s.Ciphertext = s.Ciphertext[:20] }},
		{"wrapped key truncated", func(s *gateway.SealedSecret) { s.WrappedKey = s.WrappedKey[:5] }},
		{"ciphertext empty", func(s *gateway.SealedSecret) { s.Ciphertext = nil }},
		{"label length overflows", func(s *gateway.SealedSecret) { s.Ciphertext = []byte{1, 0xff, 0xff, 0xff, 0xff, 0x0f} }},
		{"unknown format", func(s *gateway.SealedSecret) { s.Ciphertext[0] = 9 }},
		{"master key id changed", func(s *gateway.SealedSecret) { s.MasterKeyID = "0000000000000000" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db, s, id := putOne(t, value)
			if !db.Tamper(id, c.alter) {
				t.Fatal("secret not stored")
			}
			got, err := s.Resolve(context.Background(), RefPrefix+id)
			if err == nil {
				t.Fatalf("Resolve succeeded with %q after tampering", got)
			}
			if strings.Contains(err.Error(), value) {
				t.Fatalf("error %q contains the value", err)
			}
		})
	}
}

// A sealed row copied onto another id must not open: the AAD binds both halves to the id.
func TestSwappedRowsDoNotOpen(t *testing.T) {
	db := secretstest.NewFakeStore()
	s := New(db, newKeyring(t))
	ctx := context.Background()
	refA, _ := s.Put(ctx, gateway.NewID(), "api_key", "value-a")
	refB, _ := s.Put(ctx, gateway.NewID(), "api_key", "value-b")
	a, err := db.GetSecret(ctx, strings.TrimPrefix(refA, RefPrefix))
	if err != nil {
		t.Fatal(err)
	}
	db.Tamper(strings.TrimPrefix(refB, RefPrefix), func(b *gateway.SealedSecret) {
		b.Ciphertext, b.WrappedKey, b.MasterKeyID = a.Ciphertext, a.WrappedKey, a.MasterKeyID
	})
	if got, err := s.Resolve(ctx, refB); err == nil {
		t.Fatalf("Resolve of a copied row returned %q", got)
	}
}

func TestWrongMasterKeyFails(t *testing.T) {
	db, _, id := putOne(t, "sk-wrong-master")
	other := newKeyring(t)
	db.Tamper(id, func(s *gateway.SealedSecret) { s.MasterKeyID = other.primary().id })
	if got, err := New(db, other).Resolve(context.Background(), RefPrefix+id); err == nil {
		t.Fatalf("Resolve under another master key returned %q", got)
	}
	if _, err := New(db, newKeyring(t)).Resolve(context.Background(), RefPrefix+id); err == nil {
		t.Fatal("Resolve with a keyring lacking the key succeeded")
	}
}

func TestNoPlaintextIsStored(t *testing.T) {
	const value = "sk-live-4242424242424242-do-not-store-me"
	db, s, _ := putOne(t, value)
	if _, err := s.Put(context.Background(), gateway.NewID(), "password", value); err != nil {
		t.Fatal(err)
	}
	all, _ := db.ListSecrets(context.Background())
	if len(all) != 2 {
		t.Fatalf("stored %d secrets, want 2", len(all))
	}
	for _, sealed := range all {
		for _, field := range [][]byte{sealed.Ciphertext, sealed.WrappedKey, []byte(sealed.ID), []byte(sealed.MasterKeyID)} {
			if bytes.Contains(field, []byte(value)) || bytes.Contains(field, []byte("do-not-store")) {
				t.Fatalf("stored bytes contain the plaintext")
			}
		}
	}
}

func TestRotationKeepsSecondInstanceResolving(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := secretstest.NewFakeStore()
	cliKeys := mustLoad(t, dir)
	serverKeys := mustLoad(t, dir) // a running server that loaded the file before rotation
	server := New(db, serverKeys)

	values := map[string]string{}
	for _, v := range []string{"sk-one", "sk-two", "sk-three"} {
		ref, err := server.Put(ctx, gateway.NewID(), "api_key", v)
		if err != nil {
			t.Fatal(err)
		}
		values[ref] = v
	}
	before, _ := db.ListSecrets(ctx)
	oldID := serverKeys.primary().id

	n, err := Rotate(ctx, db, cliKeys)
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if n != len(values) {
		t.Fatalf("Rotate rewrapped %d, want %d", n, len(values))
	}
	newID := cliKeys.primary().id
	if newID == oldID {
		t.Fatal("Rotate kept the old primary key")
	}
	after, _ := db.ListSecrets(ctx)
	for i := range after {
		if after[i].MasterKeyID != newID {
			t.Errorf("secret %s still wrapped under %s", after[i].ID, after[i].MasterKeyID)
		}
		if !bytes.Equal(after[i].Ciphertext, before[i].Ciphertext) {
			t.Errorf("secret %s value was re-encrypted", after[i].ID)
		}
	}
	// The server meets the unknown key id, rereads the file once and resolves.
	for ref, want := range values {
		if got, err := server.Resolve(ctx, ref); err != nil || got != want {
			t.Fatalf("server Resolve after rotation = %q, %v; want %q", got, err, want)
		}
	}
	if serverKeys.primary().id != newID {
		t.Fatal("server did not adopt the new primary key after reloading")
	}
	// The file keeps the old key, so secrets wrapped under it by a server that has not
	// reloaded yet still open in a fresh process.
	fresh := mustLoad(t, dir)
	if _, ok := fresh.find(oldID); !ok {
		t.Fatal("the old master key was dropped from the key file")
	}
}

func TestKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first := mustLoad(t, dir)
	path := filepath.Join(dir, KeyFileName)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("key file not created: %v", err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Fatalf("key file mode = %o, want 600", mode)
	}
	if again := mustLoad(t, dir); again.primary().id != first.primary().id {
		t.Fatal("reloading the key file produced a different key")
	}
	if _, err := Rotate(context.Background(), secretstest.NewFakeStore(), first); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Fatalf("rotated key file mode = %o, want 600", info.Mode().Perm())
	}
}

func TestCorruptKeyFileIsNotReplaced(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, KeyFileName)
	corrupt := []byte("not-a-key\n")
	if err := os.WriteFile(path, corrupt, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyring(dir, ""); err == nil {
		t.Fatal("LoadKeyring accepted a corrupt key file")
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, corrupt) {
		t.Fatal("corrupt key file was overwritten")
	}
}

func TestEnvMasterKey(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	dir := t.TempDir()
	kr, err := LoadKeyring(dir, base64.StdEncoding.EncodeToString(key))
	if err != nil {
		t.Fatalf("LoadKeyring: %v", err)
	}
	if kr.primary().id != newMasterKey(key).id {
		t.Fatal("env key not used")
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFileName)); err == nil {
		t.Fatal("a key file was created although LLMGATE_MASTER_KEY is set")
	}
	if _, err := Rotate(context.Background(), secretstest.NewFakeStore(), kr); gateway.ErrorCode(err) != gateway.CodeInvalid {
		t.Fatalf("Rotate with an env key: err = %v, want invalid", err)
	}

	for _, bad := range []string{base64.StdEncoding.EncodeToString(key[:16]), "%%%not-base64", base64.StdEncoding.EncodeToString(append(key, 0))} {
		_, err := LoadKeyring(dir, bad)
		if gateway.ErrorCode(err) != gateway.CodeInvalid || !strings.Contains(gateway.ErrorMessage(err), "32") {
			t.Errorf("LoadKeyring(%q): err = %v, want a clear invalid error", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), bad) {
			t.Errorf("error %q echoes the key", err)
		}
	}
}

func mustLoad(t *testing.T, dir string) *Keyring {
	t.Helper()
	kr, err := LoadKeyring(dir, "")
	if err != nil {
		t.Fatalf("LoadKeyring: %v", err)
	}
	return kr
}
