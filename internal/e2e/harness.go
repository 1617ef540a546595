// Package e2e starts the real llmgate binary for end-to-end tests: built once per test
// process, run as `llmgate serve` on a free loopback port with its own data directory, driven
// over real HTTP and through its CLI, stopped with SIGTERM or killed with SIGKILL.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// repoRoot finds the module root from this source file's location.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Binary returns the path of a freshly built llmgate binary (LLMGATE_BIN overrides).
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("LLMGATE_BIN"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "llmgate-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "llmgate")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/llmgate")
		cmd.Dir = repoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Options configure a started gateway.
type Options struct {
	DataDir     string   // default: a fresh temp dir
	DatabaseURL string   // default: embedded SQLite
	RedisURL    string   // default: none
	ExtraArgs   []string // more serve flags
	Env         []string // more environment (KEY=VALUE)
	AdminKey    string   // default: a random key passed as LLMGATE_ADMIN_API_KEY
}

// Gateway is one running `llmgate serve`.
type Gateway struct {
	URL      string
	AdminKey string
	DataDir  string
	opts     Options
	cmd      *exec.Cmd
	logs     *syncBuffer
	exited   chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Start runs the gateway and waits for its ready line. It is stopped at test cleanup.
func Start(t testing.TB, o Options) *Gateway {
	t.Helper()
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	if o.AdminKey == "" {
		o.AdminKey = "lgk_admin_" + strings.ReplaceAll(fmt.Sprintf("%x", time.Now().UnixNano()), "-", "") + "_e2e"
	}
	g := &Gateway{AdminKey: o.AdminKey, DataDir: o.DataDir, opts: o, logs: &syncBuffer{}, exited: make(chan struct{})}
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"}, g.commonArgs()...)
	args = append(args, o.ExtraArgs...)
	g.cmd = exec.Command(Binary(t), args...)
	g.cmd.Env = append(append(os.Environ(), "LLMGATE_ADMIN_API_KEY="+o.AdminKey), o.Env...)
	stderr, err := g.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	g.cmd.Stdout = g.logs
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go g.readLogs(stderr, ready)
	go func() { g.cmd.Wait(); close(g.exited) }()
	select {
	case g.URL = <-ready:
	case <-g.exited:
		t.Fatalf("llmgate exited before it was ready:\n%s", g.logs.String())
	case <-time.After(60 * time.Second):
		g.cmd.Process.Kill()
		t.Fatalf("llmgate not ready after 60s:\n%s", g.logs.String())
	}
	t.Cleanup(func() { g.Stop(t) })
	return g
}

// readLogs copies the server's stderr into the log buffer and reports the ready URL.
func (g *Gateway) readLogs(r io.Reader, ready chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	sent := false
	for sc.Scan() {
		line := sc.Bytes()
		g.logs.Write(append(append([]byte{}, line...), '\n'))
		if sent {
			continue
		}
		var rec struct {
			Msg string `json:"msg"`
			URL string `json:"url"`
		}
		if json.Unmarshal(line, &rec) == nil && rec.Msg == "llmgate ready" {
			ready <- rec.URL
			sent = true
		}
	}
}

func (g *Gateway) commonArgs() []string {
	args := []string{"--data-dir", g.DataDir}
	if g.opts.DatabaseURL != "" {
		args = append(args, "--database-url", g.opts.DatabaseURL)
	}
	if g.opts.RedisURL != "" {
		args = append(args, "--redis-url", g.opts.RedisURL)
	}
	return args
}

// Logs returns everything the server wrote so far.
func (g *Gateway) Logs() string { return g.logs.String() }

// Stop sends SIGTERM and waits for a graceful exit.
func (g *Gateway) Stop(t testing.TB) {
	select {
	case <-g.exited:
		return
	default:
	}
	g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.exited:
	case <-time.After(40 * time.Second):
		g.cmd.Process.Kill()
		<-g.exited
		t.Errorf("llmgate did not stop within 40s of SIGTERM")
	}
}

// Kill ends the server with SIGKILL, as a crash would.
func (g *Gateway) Kill() {
	g.cmd.Process.Kill()
	<-g.exited
}

// PID is the server's process id.
func (g *Gateway) PID() int { return g.cmd.Process.Pid }

// Exited is closed when the server process has ended.
func (g *Gateway) Exited() <-chan struct{} { return g.exited }

// CLI runs an admin command against the gateway's database and returns stdout; it fails
// the test on a non-zero exit unless allowFail.
func (g *Gateway) CLI(t testing.TB, args ...string) string {
	t.Helper()
	out, errOut, code := g.RunCLI(t, args...)
	if code != 0 {
		t.Fatalf("llmgate %s: exit %d\nstderr: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// RunCLI runs an admin command and returns stdout, stderr and the exit code.
func (g *Gateway) RunCLI(t testing.TB, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	// Settings flags go after the subcommand words: `llmgate keys create --data-dir …`.
	words := 0
	for words < len(args) && !strings.HasPrefix(args[words], "-") && words < 2 {
		words++
	}
	if args[0] == "import-mlflow" || args[0] == "version" {
		words = 1
	}
	full := append(append(append([]string{}, args[:words]...), g.commonArgs()...), args[words:]...)
	cmd := exec.Command(Binary(t), full...)
	cmd.Env = append(os.Environ(), g.opts.Env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code = 0
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			t.Fatal(err)
		}
	}
	return o.String(), e.String(), code
}

// LastLine returns the last non-empty line of s (CLI commands print their result last).
func LastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// Response is a completed HTTP exchange.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on malformed JSON.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response is not JSON (%v): %s", err, r.Body)
	}
}

// Do sends a request with key in X-Domino-Api-Key (empty = no credential). body may be nil,
// a string/[]byte (sent as is) or any value (JSON-encoded).
func (g *Gateway) Do(t testing.TB, method, path, key string, body any) *Response {
	t.Helper()
	return Do(t, g.URL, method, path, map[string]string{"X-Domino-Api-Key": key}, body)
}

// Do sends a request to base+path with the given headers (empty values skipped).
func Do(t testing.TB, base, method, path string, headers map[string]string, body any) *Response {
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	resp, err := Try(ctx, base, method, path, headers, raw)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// CreateUser makes a user through the CLI and returns its id and a fresh API key.
func (g *Gateway) CreateUser(t testing.TB, username string, admin bool) (id, key string) {
	t.Helper()
	args := []string{"users", "create", "--username", username, "--email", username + "@example.org"}
	if admin {
		args = append(args, "--admin")
	}
	id = LastLine(g.CLI(t, args...))
	key = LastLine(g.CLI(t, "keys", "create", "--username", username))
	return id, key
}
