// Package local is llmgate's default secret store: credentials are encrypted with envelope
// encryption and the ciphertext is kept in the main database (gateway.SealedSecretStore).
//
// Each value gets its own random 256-bit data key. The value is sealed with AES-256-GCM
// under the data key, with associated data naming the secret id, endpoint id and key name,
// so a ciphertext copied onto another row (or relabelled) fails to open. The data key is
// sealed with AES-256-GCM under the master key, with the secret id and master key id as
// associated data. The database therefore never holds anything that decrypts without the
// master key, which lives outside it (LLMGATE_MASTER_KEY or <data-dir>/master.key), and a
// master key rotation only re-wraps the small data keys, never the values.
package local

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"strings"

	"github.com/llmgate/llmgate/gateway"
)

// RefPrefix starts every reference this store issues: `local:<24-hex id>`.
const RefPrefix = "local:"

const (
	dataKeySize      = 32
	ciphertextFormat = 1 // first byte of SealedSecret.Ciphertext
	maxLabelLen      = 1 << 10
)

// Store implements gateway.SecretStore on top of a gateway.SealedSecretStore.
type Store struct {
	store gateway.SealedSecretStore
	keys  *Keyring
}

var _ gateway.SecretStore = (*Store)(nil)

// New returns a Store keeping sealed secrets in store, wrapping data keys with keys.
func New(store gateway.SealedSecretStore, keys *Keyring) *Store {
	return &Store{store: store, keys: keys}
}

// Put seals value and stores it; the reference is a fresh random id.
func (s *Store) Put(ctx context.Context, endpointID, key, value string) (string, error) {
	if len(endpointID) > maxLabelLen || len(key) > maxLabelLen {
		return "", gateway.Errorf(gateway.CodeInvalid, "secret labels are too long")
	}
	id := gateway.NewID()
	sealed, err := seal(id, endpointID, key, []byte(value), s.keys.primary())
	if err != nil {
		return "", err
	}
	sealed.CreatedAt = gateway.Now()
	if err := s.store.PutSecret(ctx, sealed); err != nil {
		return "", err
	}
	return RefPrefix + id, nil
}

// Resolve opens the secret behind ref.
func (s *Store) Resolve(ctx context.Context, ref string) (string, error) {
	id, err := parseRef(ref)
	if err != nil {
		return "", err
	}
	sealed, err := s.store.GetSecret(ctx, id)
	if err != nil {
		if gateway.ErrorCode(err) == gateway.CodeNotFound {
			return "", gateway.Errorf(gateway.CodeNotFound, "secret %s not found", ref)
		}
		return "", err
	}
	value, err := s.open(sealed)
	if err != nil {
		return "", err
	}
	return string(value), nil
}

// Delete removes the secret behind ref; a missing secret is not an error.
func (s *Store) Delete(ctx context.Context, ref string) error {
	id, err := parseRef(ref)
	if err != nil {
		return err
	}
	err = s.store.DeleteSecret(ctx, id)
	if err != nil && gateway.ErrorCode(err) != gateway.CodeNotFound {
		return err
	}
	return nil
}

func (s *Store) open(sealed *gateway.SealedSecret) ([]byte, error) {
	dataKey, err := s.unwrapDataKey(sealed)
	if err != nil {
		return nil, err
	}
	defer clear(dataKey)
	return openValue(sealed.ID, sealed.Ciphertext, dataKey)
}

func (s *Store) unwrapDataKey(sealed *gateway.SealedSecret) ([]byte, error) {
	mk, ok := s.keys.lookup(sealed.MasterKeyID)
	if !ok {
		return nil, gateway.Errorf(gateway.CodeInternal, "secret %s is sealed under unknown master key %s", sealed.ID, sealed.MasterKeyID)
	}
	return unwrapDataKey(sealed.ID, sealed.WrappedKey, mk)
}

// parseRef returns the id of a `local:` reference. The reference is not echoed in errors:
// a caller may have put a credential where a reference belongs.
func parseRef(ref string) (string, error) {
	id, ok := strings.CutPrefix(ref, RefPrefix)
	if !ok || !gateway.ValidID(id) {
		return "", gateway.Errorf(gateway.CodeInvalid, "not a local secret reference")
	}
	return id, nil
}

// seal builds the SealedSecret for value under a fresh data key wrapped by mk.
func seal(id, endpointID, key string, value []byte, mk masterKey) (*gateway.SealedSecret, error) {
	dataKey := make([]byte, dataKeySize)
	if _, err := rand.Read(dataKey); err != nil {
		return nil, gateway.Wrap(gateway.CodeInternal, err, "cannot generate a data key")
	}
	defer clear(dataKey)
	ciphertext, err := sealValue(id, endpointID, key, value, dataKey)
	if err != nil {
		return nil, err
	}
	wrapped, err := wrapDataKey(id, dataKey, mk)
	if err != nil {
		return nil, err
	}
	return &gateway.SealedSecret{ID: id, MasterKeyID: mk.id, WrappedKey: wrapped, Ciphertext: ciphertext}, nil
}

// Ciphertext layout: format byte | uvarint len + endpoint id | uvarint len + key name |
// nonce | AES-GCM output. The labels are stored in clear (they are not secret) so the
// associated data can be rebuilt when opening; GCM authenticates them through it.
func sealValue(id, endpointID, key string, value, dataKey []byte) ([]byte, error) {
	header := []byte{ciphertextFormat}
	header = binary.AppendUvarint(header, uint64(len(endpointID)))
	header = append(header, endpointID...)
	header = binary.AppendUvarint(header, uint64(len(key)))
	header = append(header, key...)
	return gcmSeal(dataKey, header, value, valueAAD(id, endpointID, key))
}

func openValue(id string, ciphertext, dataKey []byte) ([]byte, error) {
	endpointID, key, body, err := parseCiphertextHeader(ciphertext)
	if err != nil {
		return nil, err
	}
	value, err := gcmOpen(dataKey, body, valueAAD(id, endpointID, key))
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeInternal, err, "secret "+id+" cannot be decrypted: the stored value was altered")
	}
	return value, nil
}

var errMalformed = errors.New("malformed sealed secret")

func parseCiphertextHeader(b []byte) (endpointID, key string, body []byte, err error) {
	if len(b) == 0 || b[0] != ciphertextFormat {
		return "", "", nil, gateway.Wrap(gateway.CodeInternal, errMalformed, "secret has an unknown format")
	}
	rest := b[1:]
	endpointID, rest, err = readLabel(rest)
	if err != nil {
		return "", "", nil, err
	}
	key, rest, err = readLabel(rest)
	if err != nil {
		return "", "", nil, err
	}
	return endpointID, key, rest, nil
}

func readLabel(b []byte) (string, []byte, error) {
	n, size := binary.Uvarint(b)
	if size <= 0 || n > maxLabelLen || n > uint64(len(b)-size) {
		return "", nil, gateway.Wrap(gateway.CodeInternal, errMalformed, "secret is malformed")
	}
	end := size + int(n)
	return string(b[size:end]), b[end:], nil
}

func wrapDataKey(id string, dataKey []byte, mk masterKey) ([]byte, error) {
	return gcmSeal(mk.key, nil, dataKey, wrapAAD(id, mk.id))
}

func unwrapDataKey(id string, wrapped []byte, mk masterKey) ([]byte, error) {
	dataKey, err := gcmOpen(mk.key, wrapped, wrapAAD(id, mk.id))
	if err != nil || len(dataKey) != dataKeySize {
		return nil, gateway.Wrap(gateway.CodeInternal, err, "secret "+id+" cannot be decrypted: wrong master key or altered data key")
	}
	return dataKey, nil
}

// The associated data starts with a purpose label so a wrapped data key can never be
// mistaken for a sealed value or the other way round. NUL separators cannot be confused
// with content because ids are hex and labels are length-checked by the header format.
func valueAAD(id, endpointID, key string) []byte {
	return []byte("llmgate secret value v1\x00" + id + "\x00" + endpointID + "\x00" + key)
}

func wrapAAD(id, masterKeyID string) []byte {
	return []byte("llmgate data key v1\x00" + id + "\x00" + masterKeyID)
}

// gcmSeal appends nonce and AES-GCM(key, plaintext, aad) to dst.
func gcmSeal(key, dst, plaintext, aad []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, gateway.Wrap(gateway.CodeInternal, err, "cannot generate a nonce")
	}
	dst = append(dst, nonce...)
	return aead.Seal(dst, nonce, plaintext, aad), nil
}

// gcmOpen opens nonce|ciphertext produced by gcmSeal.
func gcmOpen(key, sealed, aad []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, errMalformed
	}
	nonce, body := sealed[:aead.NonceSize()], sealed[aead.NonceSize():]
	return aead.Open(nil, nonce, body, aad)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeInternal, err, "cannot initialise AES")
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeInternal, err, "cannot initialise AES-GCM")
	}
	return aead, nil
}
