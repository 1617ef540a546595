package local

import (
	"bytes"
	"testing"
)

// TestDerivedKeysFollowTheMasterKeys: one derived key per master key, newest first, named
// by the master key's id, different per purpose and from the master key itself; a rotation
// puts a new derived key first and keeps the old one.
func TestDerivedKeysFollowTheMasterKeys(t *testing.T) {
	dir := t.TempDir()
	kr, err := LoadKeyring(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	before := kr.DerivedKeys("purpose a")
	if len(before) != 1 || before[0].ID != kr.primary().id || len(before[0].Secret) != 32 ||
		bytes.Equal(before[0].Secret, kr.primary().key) {
		t.Fatalf("derived keys %+v", before)
	}
	if other := kr.DerivedKeys("purpose b"); bytes.Equal(other[0].Secret, before[0].Secret) {
		t.Fatal("two purposes derived the same key")
	}
	next, err := generateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := kr.addPrimary(next); err != nil {
		t.Fatal(err)
	}
	after := kr.DerivedKeys("purpose a")
	if len(after) != 2 || after[1].ID != before[0].ID || !bytes.Equal(after[1].Secret, before[0].Secret) || after[0].ID == before[0].ID {
		t.Fatalf("after rotation %+v, before %+v", after, before)
	}
}

// TestGenerationMovesOnlyWithTheKeys: rereading an unchanged file keeps the generation (so
// derived keys cached against it stay), a rotation here or by another process moves it.
func TestGenerationMovesOnlyWithTheKeys(t *testing.T) {
	dir := t.TempDir()
	kr, err := LoadKeyring(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	gen := kr.Generation()
	if err := kr.Reload(); err != nil || kr.Generation() != gen {
		t.Fatalf("rereading the same file moved the generation %d -> %d (%v)", gen, kr.Generation(), err)
	}
	next, err := generateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := kr.addPrimary(next); err != nil || kr.Generation() == gen {
		t.Fatalf("a rotation kept the generation %d (%v)", gen, err)
	}
	other, err := LoadKeyring(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	third, err := generateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := other.addPrimary(third); err != nil {
		t.Fatal(err)
	}
	gen = kr.Generation()
	if err := kr.Reload(); err != nil || kr.Generation() == gen || kr.primary().id != third.id {
		t.Fatalf("another process's rotation: generation %d -> %d, primary %s (%v)", gen, kr.Generation(), kr.primary().id, err)
	}
}
