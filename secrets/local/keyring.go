package local

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/llmgate/llmgate/gateway"
)

// KeyFileName is the master key file inside the data directory.
const KeyFileName = "master.key"

const masterKeySize = 32 // AES-256

// masterKey is one key-encryption key. Its id is derived from the key so that a sealed
// secret names the key that wraps it without revealing anything usable about it.
type masterKey struct {
	id  string
	key []byte
}

func newMasterKey(key []byte) masterKey {
	sum := sha256.Sum256(append([]byte("llmgate master key id\x00"), key...))
	return masterKey{id: hex.EncodeToString(sum[:8]), key: key}
}

// Keyring holds the master keys, newest (the one new data keys are wrapped with) first.
// Older keys stay so that data keys wrapped before a rotation can still be unwrapped.
type Keyring struct {
	// path is the key file the ring was read from; empty when the key came from the
	// environment, which cannot change while the process runs.
	path string

	mu   sync.RWMutex
	keys []masterKey
	// gen counts the changes to keys, so holders of keys derived from them (the audit chain
	// key, derived on every group commit) recompute only after a rotation, not on every reread.
	gen uint64
}

// LoadKeyring returns the master keys. envKey (LLMGATE_MASTER_KEY, base64 of 32 bytes) wins
// when set; otherwise <dataDir>/master.key is read, or created with a fresh key (mode 0600)
// when it does not exist yet. An existing but unreadable file is an error, never replaced:
// a new key would orphan every secret sealed under the old one.
func LoadKeyring(dataDir, envKey string) (*Keyring, error) {
	if envKey != "" {
		key, err := decodeKey(envKey)
		if err != nil {
			return nil, gateway.Wrap(gateway.CodeInvalid, err, "LLMGATE_MASTER_KEY must be the base64 encoding of 32 random bytes")
		}
		return &Keyring{keys: []masterKey{newMasterKey(key)}}, nil
	}
	if dataDir == "" {
		return nil, gateway.Errorf(gateway.CodeInvalid, "a data directory or LLMGATE_MASTER_KEY is required for local secrets")
	}
	path := filepath.Join(dataDir, KeyFileName)
	if err := createKeyFileIfMissing(path); err != nil {
		return nil, err
	}
	kr := &Keyring{path: path}
	if err := kr.Reload(); err != nil {
		return nil, err
	}
	return kr, nil
}

// primary returns the key new data keys are wrapped with.
func (kr *Keyring) primary() masterKey {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	return kr.keys[0]
}

// lookup finds a key by id. On a miss it rereads the key file once: another process
// (`llmgate secrets rotate-master-key`) may have added the key since this one started.
func (kr *Keyring) lookup(id string) (masterKey, bool) {
	if k, ok := kr.find(id); ok {
		return k, true
	}
	if kr.path == "" || kr.Reload() != nil {
		return masterKey{}, false
	}
	return kr.find(id)
}

func (kr *Keyring) find(id string) (masterKey, bool) {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	for _, k := range kr.keys {
		if k.id == id {
			return k, true
		}
	}
	return masterKey{}, false
}

// Reload rereads the key file. Keys already known but missing from the file are kept (after
// the file's keys) so that a process never forgets a key it could unwrap with. A keyring
// from LLMGATE_MASTER_KEY has no file and Reload does nothing.
func (kr *Keyring) Reload() error {
	if kr.path == "" {
		return nil
	}
	fileKeys, err := readKeyFile(kr.path)
	if err != nil {
		return err
	}
	kr.mu.Lock()
	defer kr.mu.Unlock()
	kr.setKeys(mergeKeys(fileKeys, kr.keys))
	return nil
}

// Generation changes whenever the ring does (a rotation here or, after Reload, by another
// process); equal generations mean equal keys.
func (kr *Keyring) Generation() uint64 {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	return kr.gen
}

// setKeys replaces the ring, moving the generation on only if a key was added or reordered:
// a reread that found the same file leaves it, and derived keys cached against it, alone.
// Caller holds mu.
func (kr *Keyring) setKeys(keys []masterKey) {
	if !sameIDs(keys, kr.keys) {
		kr.gen++
	}
	kr.keys = keys
}

// sameIDs says whether a and b name the same keys in the same order (an id derives from its key).
func sameIDs(a, b []masterKey) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].id != b[i].id {
			return false
		}
	}
	return true
}

// mergeKeys returns first followed by the keys of rest not in first, order kept.
func mergeKeys(first, rest []masterKey) []masterKey {
	out := append([]masterKey(nil), first...)
	seen := make(map[string]bool, len(first))
	for _, k := range first {
		seen[k.id] = true
	}
	for _, k := range rest {
		if !seen[k.id] {
			out = append(out, k)
		}
	}
	return out
}

// addPrimary makes key the newest key and persists the ring (newest first, all older keys
// kept) atomically.
func (kr *Keyring) addPrimary(key masterKey) error {
	if kr.path == "" {
		return gateway.Errorf(gateway.CodeInvalid, "the master key comes from LLMGATE_MASTER_KEY and cannot be rotated by llmgate; unset it to use the key file")
	}
	kr.mu.Lock()
	defer kr.mu.Unlock()
	keys := mergeKeys([]masterKey{key}, kr.keys)
	if err := writeKeyFile(kr.path, keys); err != nil {
		return err
	}
	kr.setKeys(keys)
	return nil
}

func decodeKey(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("not valid base64")
	}
	if len(key) != masterKeySize {
		return nil, fmt.Errorf("decoded to %d bytes, want %d", len(key), masterKeySize)
	}
	return key, nil
}

func generateKey() (masterKey, error) {
	key := make([]byte, masterKeySize)
	if _, err := rand.Read(key); err != nil {
		return masterKey{}, gateway.Wrap(gateway.CodeInternal, err, "cannot generate a master key")
	}
	return newMasterKey(key), nil
}

// readKeyFile parses one base64 key per line, newest first; blank lines and # comments are
// ignored so an operator may annotate the file.
func readKeyFile(path string) ([]masterKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeInternal, err, "cannot read the master key file "+path)
	}
	var keys []masterKey
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		key, err := decodeKey(text)
		if err != nil {
			return nil, gateway.Wrap(gateway.CodeInternal, err, fmt.Sprintf("master key file %s line %d is not a base64 32-byte key", path, line))
		}
		keys = append(keys, newMasterKey(key))
	}
	if len(keys) == 0 {
		return nil, gateway.Errorf(gateway.CodeInternal, "master key file %s holds no key", path)
	}
	return keys, nil
}

func encodeKeyFile(keys []masterKey) []byte {
	var b bytes.Buffer
	b.WriteString("# llmgate master keys, newest first. Keep this file secret and backed up:\n")
	b.WriteString("# losing it makes every locally stored credential unreadable.\n")
	for _, k := range keys {
		b.WriteString(base64.StdEncoding.EncodeToString(k.key))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// createKeyFileIfMissing creates the key file with one fresh key unless it exists. The
// file is written under a temporary name and hard-linked into place, which fails when
// another process (a second replica starting at the same time) won the race; that
// process's key is then used.
func createKeyFileIfMissing(path string) error {
	if _, err := os.Stat(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return nil // exists, or unreadable: readKeyFile reports the problem
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return gateway.Wrap(gateway.CodeInternal, err, "cannot create the data directory")
	}
	key, err := generateKey()
	if err != nil {
		return err
	}
	tmp, err := writeTemp(path, encodeKeyFile([]masterKey{key}))
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return gateway.Wrap(gateway.CodeInternal, err, "cannot create the master key file "+path)
	}
	return syncDir(filepath.Dir(path))
}

// writeKeyFile replaces the key file atomically (temp file, fsync, rename) so a reader
// never sees a half-written ring.
func writeKeyFile(path string, keys []masterKey) error {
	tmp, err := writeTemp(path, encodeKeyFile(keys))
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return gateway.Wrap(gateway.CodeInternal, err, "cannot replace the master key file "+path)
	}
	return syncDir(filepath.Dir(path))
}

// writeTemp writes data to a new 0600 file next to path and returns its name.
func writeTemp(path string, data []byte) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", gateway.Wrap(gateway.CodeInternal, err, "cannot write the master key file")
	}
	err = writeAndSync(f, data)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", gateway.Wrap(gateway.CodeInternal, err, "cannot write the master key file")
	}
	return f.Name(), nil
}

func writeAndSync(f *os.File, data []byte) error {
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.Sync()
}

// syncDir makes a rename or link durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return gateway.Wrap(gateway.CodeInternal, err, "cannot sync the data directory")
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return gateway.Wrap(gateway.CodeInternal, err, "cannot sync the data directory")
	}
	return nil
}
