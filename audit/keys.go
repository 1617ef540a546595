package audit

import (
	"bufio"
	"bytes"
	"context"
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
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// KeyFileName is the chain keyring file in the data directory (--audit-key-file).
const KeyFileName = "audit.key"

const chainKeySize = 32

// Keyring holds the chain's HMAC keys, newest first, outside the database: whoever can
// write the database but not read this file (or LLMGATE_AUDIT_KEY) cannot recompute a chain
// that verifies. Rotation puts a new key first and keeps the old ones, so every event stays
// verifiable and the chain simply continues under the new key.
type Keyring struct {
	path string // empty when the keys came from the environment or a KeyStore
	// remote holds the ring in a shared store (Vault) at version; nil otherwise.
	remote  KeyStore
	version int

	mu      sync.Mutex
	keys    []gateway.AuditKey
	modTime time.Time
	checked time.Time
}

var _ gateway.AuditKeys = (*Keyring)(nil)

// NewKeyring holds the given secrets in memory, newest first (tests, tools).
func NewKeyring(secrets ...[]byte) *Keyring {
	kr := &Keyring{}
	for _, s := range secrets {
		kr.keys = append(kr.keys, newChainKey(s))
	}
	return kr
}

// GenerateKey returns a fresh random 32-byte chain key.
func GenerateKey() []byte {
	k := make([]byte, chainKeySize)
	if _, err := rand.Read(k); err != nil {
		panic("audit: no randomness: " + err.Error())
	}
	return k
}

func newChainKey(secret []byte) gateway.AuditKey {
	sum := sha256.Sum256(append([]byte("llmgate audit key id\x00"), secret...))
	return gateway.AuditKey{ID: hex.EncodeToString(sum[:8]), Secret: secret}
}

// LoadKeyring returns the chain keys: from env (LLMGATE_AUDIT_KEY, comma-separated base64
// 32-byte keys, newest first) when set, else from the key file at path, created 0600 with a
// fresh key when missing. An existing unreadable file is an error, never replaced.
func LoadKeyring(path, env string) (*Keyring, error) {
	if env != "" {
		keys, err := parseKeyList(env)
		if err != nil {
			return nil, gateway.Wrap(gateway.CodeInvalid, err, "LLMGATE_AUDIT_KEY must be base64 32-byte keys, comma-separated, newest first")
		}
		return &Keyring{keys: keys}, nil
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := createKeyFile(path); err != nil {
			return nil, err
		}
	}
	kr := &Keyring{path: path}
	if err := kr.reload(); err != nil {
		return nil, err
	}
	return kr, nil
}

// Current returns the key new events are chained with. A key file changed by `llmgate audit
// rotate-key` in another process is picked up within a second.
func (kr *Keyring) Current() (gateway.AuditKey, error) {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	if kr.path != "" && time.Since(kr.checked) > time.Second {
		kr.checked = time.Now()
		if fi, err := os.Stat(kr.path); err == nil && !fi.ModTime().Equal(kr.modTime) {
			if err := kr.reloadLocked(); err != nil {
				return gateway.AuditKey{}, err
			}
		}
	}
	if len(kr.keys) == 0 {
		return gateway.AuditKey{}, gateway.Errorf(gateway.CodeInternal, "the audit keyring holds no key")
	}
	return kr.keys[0], nil
}

// Lookup finds a key by id, rereading the file once on a miss.
func (kr *Keyring) Lookup(id string) (gateway.AuditKey, bool) {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	if k, ok := kr.find(id); ok {
		return k, true
	}
	if kr.remote != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if kr.reloadRemote(ctx) != nil {
			return gateway.AuditKey{}, false
		}
		return kr.find(id)
	}
	if kr.path == "" || kr.reloadLocked() != nil {
		return gateway.AuditKey{}, false
	}
	return kr.find(id)
}

func (kr *Keyring) find(id string) (gateway.AuditKey, bool) {
	for _, k := range kr.keys {
		if k.ID == id {
			return k, true
		}
	}
	return gateway.AuditKey{}, false
}

// Rotate makes a fresh key current, keeps every older key, and persists the ring atomically.
func (kr *Keyring) Rotate() (gateway.AuditKey, error) {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	key := newChainKey(GenerateKey())
	if kr.remote != nil {
		if err := kr.reloadRemote(context.Background()); err != nil {
			return gateway.AuditKey{}, err
		}
		keys := append([]gateway.AuditKey{key}, kr.keys...)
		if err := kr.remote.Store(context.Background(), encodeKeyList(keys), kr.version); err != nil {
			return gateway.AuditKey{}, err
		}
		kr.keys = keys
		kr.version++
		return key, nil
	}
	if kr.path == "" {
		kr.keys = append([]gateway.AuditKey{key}, kr.keys...)
		return key, nil
	}
	if err := kr.reloadLocked(); err != nil {
		return gateway.AuditKey{}, err
	}
	keys := append([]gateway.AuditKey{key}, kr.keys...)
	if err := writeKeyFile(kr.path, keys, true); err != nil {
		return gateway.AuditKey{}, err
	}
	kr.keys = keys
	return key, nil
}

func (kr *Keyring) reload() error {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	return kr.reloadLocked()
}

// reloadLocked rereads the file; keys known but no longer in it are kept after its keys,
// so a process never forgets a key it could verify with.
func (kr *Keyring) reloadLocked() error {
	fi, err := os.Stat(kr.path)
	if err != nil {
		return gateway.Wrap(gateway.CodeInternal, err, "cannot read the audit key file "+kr.path)
	}
	keys, err := readKeyFile(kr.path)
	if err != nil {
		return err
	}
	for _, old := range kr.keys {
		if !containsKey(keys, old.ID) {
			keys = append(keys, old)
		}
	}
	kr.keys, kr.modTime = keys, fi.ModTime()
	return nil
}

func containsKey(keys []gateway.AuditKey, id string) bool {
	for _, k := range keys {
		if k.ID == id {
			return true
		}
	}
	return false
}

func decodeChainKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("not valid base64")
	}
	if len(k) != chainKeySize {
		return nil, fmt.Errorf("decoded to %d bytes, want %d", len(k), chainKeySize)
	}
	return k, nil
}

func readKeyFile(path string) ([]gateway.AuditKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeInternal, err, "cannot read the audit key file "+path)
	}
	var keys []gateway.AuditKey
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		k, err := decodeChainKey(text)
		if err != nil {
			return nil, gateway.Wrap(gateway.CodeInternal, err, fmt.Sprintf("audit key file %s line %d is not a base64 32-byte key", path, line))
		}
		keys = append(keys, newChainKey(k))
	}
	if len(keys) == 0 {
		return nil, gateway.Errorf(gateway.CodeInternal, "audit key file %s holds no key", path)
	}
	return keys, nil
}

// createKeyFile writes a fresh one-key ring; a process that loses the race to create it
// (another replica starting at once) uses the winner's.
func createKeyFile(path string) error {
	err := writeKeyFile(path, []gateway.AuditKey{newChainKey(GenerateKey())}, false)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	return err
}

// writeKeyFile writes the ring to a 0600 temporary file, then renames it over path
// (replace) or hard-links it into place (create only).
func writeKeyFile(path string, keys []gateway.AuditKey, replace bool) error {
	var b bytes.Buffer
	b.WriteString("# llmgate audit chain keys (HMAC-SHA256), newest first. Keep secret and backed up:\n")
	b.WriteString("# without them `llmgate audit verify` cannot tell a genuine trail from a forged one.\n")
	for _, k := range keys {
		b.WriteString(base64.StdEncoding.EncodeToString(k.Secret) + "\n")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return gateway.Wrap(gateway.CodeInternal, err, "cannot create the audit key directory")
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return gateway.Wrap(gateway.CodeInternal, err, "cannot write the audit key file")
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(b.Bytes())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if replace {
			err = os.Rename(tmp, path)
		} else {
			err = os.Link(tmp, path)
		}
	}
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		return gateway.Wrap(gateway.CodeInternal, err, "cannot write the audit key file "+path)
	}
	return nil
}

// MasterKeys is the local secret store's master keyring, from which chain keys derive.
type MasterKeys interface {
	DerivedKeys(purpose string) []gateway.AuditKey
	Reload() error
}

// derivePurpose names the chain keys among keys derived from the master key.
const derivePurpose = "llmgate audit chain key v1"

// DerivedKeyring chains with keys derived from the local master keys: replicas sharing
// LLMGATE_MASTER_KEY share the chain key without more configuration, and
// `llmgate secrets rotate-master-key` rotates the chain key with it (older master keys stay
// in the ring, so older events verify). Ids are "m-<master key id>".
//
// Every group commit asks for the current key, so the derived keys are kept while the master
// ring reports the same generation (see Generation) and derived again only after it changed.
type DerivedKeyring struct {
	master MasterKeys

	mu       sync.Mutex
	reloaded time.Time
	// derived are the keys derived at generation gen; valid once derived and only while the
	// master ring tells its generation (a MasterKeys without one is derived from every time).
	derived []gateway.AuditKey
	gen     uint64
	valid   bool
}

// generations is implemented by master keyrings that can tell, cheaply, that they changed:
// equal generations mean equal keys.
type generations interface{ Generation() uint64 }

var _ gateway.AuditKeys = (*DerivedKeyring)(nil)

// NewDerivedKeyring derives chain keys from master.
func NewDerivedKeyring(master MasterKeys) *DerivedKeyring { return &DerivedKeyring{master: master} }

// keys returns the derived keys, newest first; callers must not modify them. Caller holds mu.
func (d *DerivedKeyring) keys() []gateway.AuditKey {
	g, tracked := d.master.(generations)
	var gen uint64
	if tracked {
		gen = g.Generation()
		if d.valid && gen == d.gen {
			return d.derived
		}
	}
	keys := d.master.DerivedKeys(derivePurpose)
	for i := range keys {
		keys[i].ID = "m-" + keys[i].ID
	}
	d.derived, d.gen, d.valid = keys, gen, tracked
	return keys
}

// Current returns the key derived from the newest master key, rereading the master key file
// at most once a second so a rotation by another process is picked up.
func (d *DerivedKeyring) Current() (gateway.AuditKey, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if time.Since(d.reloaded) > time.Second {
		d.reloaded = time.Now()
		if err := d.master.Reload(); err != nil {
			return gateway.AuditKey{}, err
		}
	}
	keys := d.keys()
	if len(keys) == 0 {
		return gateway.AuditKey{}, gateway.Errorf(gateway.CodeInternal, "no master key to derive the audit key from")
	}
	return keys[0], nil
}

// Lookup finds a derived key by id, rereading the master key file once on a miss.
func (d *DerivedKeyring) Lookup(id string) (gateway.AuditKey, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if k, ok := findKey(d.keys(), id); ok {
		return k, true
	}
	if d.master.Reload() != nil {
		return gateway.AuditKey{}, false
	}
	return findKey(d.keys(), id)
}

func findKey(keys []gateway.AuditKey, id string) (gateway.AuditKey, bool) {
	for _, k := range keys {
		if k.ID == id {
			return k, true
		}
	}
	return gateway.AuditKey{}, false
}

// KeyStore keeps a keyring's encoded form in a shared secret store (Vault with --secrets
// vault), so every replica chains with the same keys. Store is check-and-set: it writes only
// if the stored version is still version (0: nothing stored), else fails with CodeConflict.
type KeyStore interface {
	Load(ctx context.Context) (encoded string, version int, err error)
	Store(ctx context.Context, encoded string, version int) error
}

// LoadRemoteKeyring reads the ring from ks, creating it with one fresh key when absent; of
// replicas starting together, the first to store wins and the others read its key.
func LoadRemoteKeyring(ctx context.Context, ks KeyStore) (*Keyring, error) {
	kr := &Keyring{remote: ks}
	for range 3 {
		encoded, version, err := ks.Load(ctx)
		if err != nil {
			return nil, err
		}
		if encoded != "" {
			if kr.keys, err = parseKeyList(encoded); err != nil {
				return nil, gateway.Wrap(gateway.CodeInternal, err, "the stored audit chain keys are malformed")
			}
			kr.version = version
			return kr, nil
		}
		err = ks.Store(ctx, encodeKeyList([]gateway.AuditKey{newChainKey(GenerateKey())}), version)
		if err != nil && gateway.ErrorCode(err) != gateway.CodeConflict {
			return nil, err
		}
	}
	return nil, gateway.Errorf(gateway.CodeUnavailable, "could not create the shared audit chain keys")
}

// Refresh rereads a shared ring, so a rotation by another process reaches Current. Current
// itself never waits on the network (it runs inside the chain-append transaction); serve calls
// Refresh periodically. A failed refresh keeps the keys already held.
func (kr *Keyring) Refresh(ctx context.Context) error {
	if kr.remote == nil {
		return nil
	}
	kr.mu.Lock()
	defer kr.mu.Unlock()
	return kr.reloadRemote(ctx)
}

// reloadRemote rereads the shared ring, keeping known keys missing from it. Caller holds mu
// (or owns kr).
func (kr *Keyring) reloadRemote(ctx context.Context) error {
	encoded, version, err := kr.remote.Load(ctx)
	if err != nil {
		return err
	}
	keys, err := parseKeyList(encoded)
	if err != nil {
		return gateway.Wrap(gateway.CodeInternal, err, "the stored audit chain keys are malformed")
	}
	for _, old := range kr.keys {
		if !containsKey(keys, old.ID) {
			keys = append(keys, old)
		}
	}
	kr.keys, kr.version = keys, version
	return nil
}

func parseKeyList(s string) ([]gateway.AuditKey, error) {
	var keys []gateway.AuditKey
	for _, part := range strings.Split(s, ",") {
		k, err := decodeChainKey(part)
		if err != nil {
			return nil, err
		}
		keys = append(keys, newChainKey(k))
	}
	return keys, nil
}

func encodeKeyList(keys []gateway.AuditKey) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = base64.StdEncoding.EncodeToString(k.Secret)
	}
	return strings.Join(parts, ",")
}
