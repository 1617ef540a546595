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
