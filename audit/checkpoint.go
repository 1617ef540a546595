package audit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/llmgate/llmgate/gateway"
)

// Checkpoint is a signed statement of the chain's head (or, for retention, of the last
// pruned event) written where the database admin cannot reach: whoever removes the newest
// events and moves audit_head cannot also unsign a checkpoint past them.
type Checkpoint struct {
	Kind      string `json:"kind"` // "head", or "anchor" for the end of a pruned prefix
	Seq       int64  `json:"seq"`
	Hash      string `json:"hash"`
	KeyID     string `json:"keyId"`
	Time      string `json:"time"`
	PublicKey string `json:"publicKey"`
	Signature string `json:"signature"`
}

// Checkpoint kinds.
const (
	CheckpointHead   = "head"
	CheckpointAnchor = "anchor"
)

func (c *Checkpoint) signed() []byte {
	return []byte(strings.Join([]string{"llmgate-audit-checkpoint-v1", c.Kind, strconv.FormatInt(c.Seq, 10),
		c.Hash, c.KeyID, c.Time}, "\n"))
}

// Signer signs checkpoints with an Ed25519 key held outside the database.
type Signer struct {
	key ed25519.PrivateKey
}

// CheckpointKeyFileName is the signing key file in the data directory.
const CheckpointKeyFileName = "audit-checkpoint.key"

// LoadSigner reads the base64 Ed25519 seed at path, creating it (0600) when missing.
func LoadSigner(path string) (*Signer, error) {
	if err := createSigningKey(path); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the checkpoint key %s: %w", path, err)
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("the checkpoint key %s must hold a base64 32-byte Ed25519 seed", path)
	}
	return &Signer{key: ed25519.NewKeyFromSeed(seed)}, nil
}

// createSigningKey writes a fresh seed unless the file exists (O_EXCL: a concurrent creator wins).
func createSigningKey(path string) error {
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return nil // exists, or unreadable: reading reports it
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating the checkpoint key directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating the checkpoint key %s: %w", path, err)
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(seed) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// PublicKey is the verification key, base64.
func (s *Signer) PublicKey() string {
	return base64.StdEncoding.EncodeToString(s.key.Public().(ed25519.PublicKey))
}

// Sign fills in the public key and signature.
func (s *Signer) Sign(c *Checkpoint) {
	c.PublicKey = s.PublicKey()
	c.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(s.key, c.signed()))
}

// VerifyCheckpoint checks c's signature under publicKey (base64).
func VerifyCheckpoint(publicKey string, c *Checkpoint) bool {
	pub, err := base64.StdEncoding.DecodeString(publicKey)
	sig, err2 := base64.StdEncoding.DecodeString(c.Signature)
	if err != nil || err2 != nil || len(pub) != ed25519.PublicKeySize {
		return false
	}
	return ed25519.Verify(ed25519.PublicKey(pub), c.signed(), sig)
}

// Sink receives signed checkpoints.
type Sink interface {
	Write(ctx context.Context, c *Checkpoint) error
}

// FileSink appends one JSON line per checkpoint and fsyncs, opening the file append-only.
type FileSink struct {
	Path string
	mu   sync.Mutex
}

func (f *FileSink) Write(_ context.Context, c *Checkpoint) error {
	line, err := json.Marshal(c)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	file, err := os.OpenFile(f.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("opening the checkpoint file: %w", err)
	}
	_, err = file.Write(append(line, '\n'))
	if err == nil {
		err = file.Sync()
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	return err
}

// WebhookSink POSTs each checkpoint as JSON (it is signed itself; the signature is also in
// X-Llmgate-Checkpoint-Signature) and retries failures with backoff.
type WebhookSink struct {
	URL     string
	Client  *http.Client
	Retries int
	Backoff time.Duration
}

func (w *WebhookSink) Write(ctx context.Context, c *Checkpoint) error {
	body, err := json.Marshal(c)
	if err != nil {
		return err
	}
	var last error
	for attempt := 0; attempt <= w.Retries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return errors.Join(last, ctx.Err())
			case <-time.After(w.Backoff << (attempt - 1)):
			}
		}
		if last = w.post(ctx, body, c.Signature); last == nil {
			return nil
		}
	}
	return fmt.Errorf("checkpoint webhook: %w", last)
}

func (w *WebhookSink) post(ctx context.Context, body []byte, sig string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Llmgate-Checkpoint-Signature", sig)
	resp, err := w.Client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// Checkpointer signs the chain head to its sinks.
type Checkpointer struct {
	Store  gateway.AuditLog
	Signer *Signer
	Sinks  []Sink
	Log    *slog.Logger

	mu      sync.Mutex
	lastSeq int64
}

// Checkpoint signs the current head and writes it to every sink, unless it was already
// checkpointed. Every sink is tried; their errors are joined.
func (c *Checkpointer) Checkpoint(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	head, err := c.Store.AuditHead(ctx)
	if err != nil || head.Seq == 0 || head.Seq == c.lastSeq {
		return err
	}
	cp, err := c.statement(ctx, CheckpointHead, head.Seq, head.Hash)
	if err != nil {
		return err
	}
	if err := c.write(ctx, cp); err != nil {
		return err
	}
	c.lastSeq = head.Seq
	return nil
}

// Anchor signs a retention anchor (the end of a pruned prefix) to every sink, so the pruned
// prefix's last hash is on record outside the database too.
func (c *Checkpointer) Anchor(ctx context.Context, a gateway.AuditAnchor) error {
	cp := &Checkpoint{Kind: CheckpointAnchor, Seq: a.Seq, Hash: a.Hash, KeyID: a.KeyID, Time: gateway.FormatTime(gateway.Now())}
	c.Signer.Sign(cp)
	return c.write(ctx, cp)
}

// statement builds and signs a checkpoint of the event at seq with hash.
func (c *Checkpointer) statement(ctx context.Context, kind string, seq int64, hash string) (*Checkpoint, error) {
	cp := &Checkpoint{Kind: kind, Seq: seq, Hash: hash, Time: gateway.FormatTime(gateway.Now())}
	page, err := c.Store.AuditChainPage(ctx, seq-1, 1)
	if err != nil {
		return nil, err
	}
	if len(page) == 1 && page[0].Seq == seq {
		cp.KeyID = page[0].KeyID
	}
	c.Signer.Sign(cp)
	return cp, nil
}

func (c *Checkpointer) write(ctx context.Context, cp *Checkpoint) error {
	var errs []error
	for _, s := range c.Sinks {
		errs = append(errs, s.Write(ctx, cp))
	}
	return errors.Join(errs...)
}

// Run checkpoints every interval until ctx ends.
func (c *Checkpointer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := c.Checkpoint(ctx); err != nil && ctx.Err() == nil {
				c.Log.Error("audit checkpoint failed", "err", err)
			}
		}
	}
}

// LatestCheckpoint reads a checkpoint file in constant memory and returns the valid head
// checkpoint with the highest seq (nil if none) and the number of lines read. A line whose
// signature does not verify under publicKey is an error: the file was altered. A torn last
// line (a crash mid-append) is skipped.
func LatestCheckpoint(path, publicKey string) (latest *Checkpoint, lines int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var torn error
	for sc.Scan() {
		if torn != nil {
			return nil, lines, torn // an unreadable line that was not the last
		}
		lines++
		var c Checkpoint
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			torn = fmt.Errorf("checkpoint file %s line %d is not a checkpoint", path, lines)
			continue
		}
		if !VerifyCheckpoint(publicKey, &c) || c.PublicKey != publicKey {
			return nil, lines, fmt.Errorf("checkpoint file %s line %d: signature does not verify under the checkpoint key", path, lines)
		}
		if c.Kind == CheckpointHead && (latest == nil || c.Seq > latest.Seq) {
			latest = &c
		}
	}
	return latest, lines, sc.Err()
}
