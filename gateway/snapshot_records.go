package gateway

import "time"

// The records a Snapshot keeps in its tables (table.go): users whole, keys only as much as
// authentication needs, and second indexes that hold a name and the hash of the record's key.

var (
	userSpec = &tableSpec[string, userRec]{key: (*userRec).id, hash: hashString}
	nameSpec = &tableSpec[string, nameRef]{key: func(r *nameRef) string { return r.name }, hash: hashString}
	keySpec  = &tableSpec[[32]byte, keyRec]{key: func(k *keyRec) [32]byte { return k.hash }, hash: hashKeyHash}
	idSpec   = &tableSpec[string, idRef]{key: func(r *idRef) string { return r.id }, hash: hashString}
)

// nameRef finds a user by name: the users table's hash of the user's id leads to the record.
type nameRef struct {
	name string
	hash uint64
}

func (r *userRec) nameRef() nameRef { return nameRef{name: r.name(), hash: hashString(r.id())} }

// keyRec is a live key as authentication needs it. A key's name, prefix and creation time
// are for listings, which read them from the store.
type keyRec struct {
	hash     [32]byte
	id       string
	userID   string
	parentID string
	// expires is ExpiresAt in Unix microseconds (the stores' precision; nanoseconds would overflow
	// past 2262); noExpiry when the key does not expire.
	expires int64
}

const noExpiry = 0

// idRef finds a key by id: the keys table's hash of the key's hash leads to the record.
type idRef struct {
	id   string
	hash uint64
}

func (k *keyRec) idRef() idRef { return idRef{id: k.id, hash: hashKeyHash(k.hash)} }

// keyRecOf is k as the snapshot keeps it; false when k cannot authenticate (revoked or
// without a proper hash). The user id is the user record's own string, not one copy per key.
func (s *Snapshot) keyRecOf(k *APIKey) (keyRec, bool) {
	if len(k.Hash) != 32 || k.RevokedAt != nil {
		return keyRec{}, false
	}
	r := keyRec{hash: [32]byte(k.Hash), id: k.ID, userID: k.UserID, parentID: k.ParentID, expires: noExpiry}
	if u := s.users.get(k.UserID); u != nil {
		r.userID = u.id()
	}
	if k.ExpiresAt != nil {
		// An expiry at the epoch itself is long past; 1 µs keeps it apart from noExpiry.
		r.expires = max(k.ExpiresAt.UnixMicro(), 1)
	}
	return r, true
}

// active reports whether k may authenticate at now, as APIKey.Active does.
func (k *keyRec) active(now time.Time) bool {
	return k.expires == noExpiry || now.UnixMicro() < k.expires
}

// apiKey is k as an APIKey (a fresh copy callers may keep).
func (k *keyRec) apiKey() *APIKey {
	out := &APIKey{ID: k.id, UserID: k.userID, Hash: append([]byte(nil), k.hash[:]...), ParentID: k.parentID}
	if k.expires != noExpiry {
		t := time.UnixMicro(k.expires).UTC()
		out.ExpiresAt = &t
	}
	return out
}
