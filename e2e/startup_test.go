package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/internal/e2e"
)

// runServe runs `llmgate serve args…` to completion (it is expected to fail) and returns its
// output and exit code.
func runServe(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(e2e.Binary(t), append([]string{"serve", "--log-format", "json"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("serve did not exit:\n%s", out.String())
	}
	return out.String(), cmd.ProcessState.ExitCode()
}

// A second serve on a running server's data directory stops at once, naming the holder's pid,
// and leaves the first server's socket and database alone.
func TestSecondServeOnADataDirSaysWhoHoldsIt(t *testing.T) {
	g := e2e.Start(t, e2e.Options{})
	out, code := runServe(t, nil, "--addr", "127.0.0.1:0", "--data-dir", g.DataDir)
	want := "is in use by another llmgate serve (pid " + strconv.Itoa(g.PID()) + ")"
	if code != 1 || !strings.Contains(out, want) {
		t.Fatalf("exit %d, want 1 and %q:\n%s", code, want, out)
	}
	if _, err := os.Stat(filepath.Join(g.DataDir, "llmgate.sock")); err != nil {
		t.Fatalf("the first server's socket is gone: %v", err)
	}
	// The first server still takes admin commands and sees their changes at once.
	g.CreateUser(t, "after", false)
	if r := g.Do(t, "GET", "/api/users/v1/users", g.AdminKey, nil); r.Status != 200 || !strings.Contains(string(r.Body), `"after"`) {
		t.Fatalf("first server after the refused second one: %d %s", r.Status, r.Body)
	}
}

// A taken port fails the start before anything is written: no data directory, no database,
// no admin key.
func TestTakenPortFailsBeforeAnythingIsWritten(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := filepath.Join(t.TempDir(), "data")
	out, code := runServe(t, nil, "--addr", ln.Addr().String(), "--data-dir", dir)
	if code != 1 || !strings.Contains(out, "listening on "+ln.Addr().String()) {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the failed start created %s (%v)", dir, err)
	}
	if strings.Contains(out, "admin") {
		t.Fatalf("the failed start created an admin:\n%s", out)
	}
}

// A missing TLS certificate fails before "ready" is logged; "stopped" is logged once.
func TestMissingTLSCertificateFailsBeforeReady(t *testing.T) {
	dir := t.TempDir()
	out, code := runServe(t, nil, "--addr", "127.0.0.1:0", "--data-dir", dir,
		"--tls-cert", filepath.Join(dir, "missing.pem"), "--tls-key", filepath.Join(dir, "missing.key"))
	if code != 1 || !strings.Contains(out, "loading --tls-cert/--tls-key") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if strings.Contains(out, "llmgate ready") || strings.Count(out, `"llmgate stopped"`) != 1 {
		t.Fatalf("want no ready line and exactly one stopped line:\n%s", out)
	}
}

// /health answers as soon as the port is taken; /ready only once the stores are open and the
// admin exists, and during shutdown it answers 503 again.
func TestReadyIsSeparateFromHealth(t *testing.T) {
	g := e2e.Start(t, e2e.Options{})
	if r := g.Do(t, "GET", "/health", "", nil); r.Status != 200 {
		t.Fatalf("/health: %d", r.Status)
	}
	if r := g.Do(t, "GET", "/ready", "", nil); r.Status != 200 || !strings.Contains(string(r.Body), "READY") {
		t.Fatalf("/ready: %d %s", r.Status, r.Body)
	}
}

// forwarder accepts on a port and, once open, forwards each connection to target; before,
// it resets them, as a database that is still starting does.
type forwarder struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	open   bool
}

func startForwarder(t *testing.T, target string) *forwarder {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &forwarder{ln: ln, target: target}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			open := f.open
			f.mu.Unlock()
			if !open {
				c.Close()
				continue
			}
			go f.pipe(c)
		}
	}()
	return f
}

func (f *forwarder) pipe(c net.Conn) {
	u, err := net.Dial("tcp", f.target)
	if err != nil {
		c.Close()
		return
	}
	go func() { io.Copy(u, c); u.Close() }()
	io.Copy(c, u)
	c.Close()
}

func (f *forwarder) setOpen() { f.mu.Lock(); f.open = true; f.mu.Unlock() }

// With PostgreSQL not yet accepting connections, serve answers /health, keeps /ready at 503,
// logs each retry, and becomes ready once the database comes up.
func TestServeWaitsForPostgreSQLWithReadyAt503(t *testing.T) {
	pg := e2e.PostgresURL(t)
	u, err := url.Parse(pg)
	if err != nil {
		t.Fatal(err)
	}
	fwd := startForwarder(t, u.Host)
	u.Host = fwd.ln.Addr().String()
	dbURL := u.String()

	addr := freeAddr(t)
	cmd := exec.Command(e2e.Binary(t), "serve", "--log-format", "json", "--addr", addr, "--data-dir", t.TempDir(),
		"--database-url", dbURL, "--connect-timeout", "60s")
	cmd.Env = append(os.Environ(), "LLMGATE_ADMIN_API_KEY=lgk_admin_startup_test_key_0123456789")
	var logs syncLog
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	base := "http://" + addr
	waitFor(t, "a retry logged and /health up while /ready is 503", func() bool {
		h, r := status(base+"/health"), status(base+"/ready")
		return h == 200 && r == 503 && strings.Contains(logs.String(), "database unreachable; retrying")
	}, &logs)
	if s := status(base + "/api/aigateway/v1/endpoints"); s != 503 {
		t.Fatalf("API during start-up answered %d, want 503", s)
	}
	fwd.setOpen()
	waitFor(t, "/ready 200 after the database came up", func() bool { return status(base+"/ready") == 200 }, &logs)
	if !strings.Contains(logs.String(), `"database reachable"`) || !strings.Contains(logs.String(), "llmgate ready") {
		t.Fatalf("logs:\n%s", logs.String())
	}
}

// With the database never coming up, serve gives up after --connect-timeout, exit 1.
func TestServeGivesUpOnAnUnreachableDatabase(t *testing.T) {
	addr := freeAddr(t)
	dead := freeAddr(t)
	start := time.Now()
	out, code := runServe(t, []string{"LLMGATE_ADMIN_API_KEY=lgk_admin_startup_test_key_0123456789"},
		"--addr", addr, "--data-dir", t.TempDir(), "--database-url", "postgres://llmgate@"+dead+"/x?sslmode=disable", "--connect-timeout", "2s")
	if code != 1 || !strings.Contains(out, "gave up after") || strings.Count(out, "database unreachable; retrying") < 2 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("gave up after %s, want about 2s", d)
	}
}

// keys list shows when each key was last used, from the access events of real traffic.
func TestKeysListShowsLastUse(t *testing.T) {
	fake := e2e.StartFake(t, fakeupstream.Options{})
	g := e2e.Start(t, e2e.Options{})
	_, used := g.CreateUser(t, "ann", false)
	g.CLI(t, "keys", "create", "--username", "ann", "--name", "spare")
	g.CreateEndpoint(t, e2e.OpenAIEndpoint("chat", fake.URL+"/v1", fakeupstream.DefaultKey("openai")))
	if r := g.Chat(t, used, "chat", "hi"); r.Status != 200 {
		t.Fatalf("chat: %d %s", r.Status, r.Body)
	}
	var rows []struct {
		Owner, Name, Prefix string
		LastUsedAt          *time.Time
	}
	// The access event is durable before the answer completes, so it is there now.
	if err := json.Unmarshal([]byte(g.CLI(t, "keys", "list", "--username", "ann", "-o", "json")), &rows); err != nil {
		t.Fatal(err)
	}
	usedSeen, spareSeen := false, false
	for _, r := range rows {
		switch {
		case strings.HasPrefix(used, r.Prefix) && r.LastUsedAt != nil && time.Since(*r.LastUsedAt) < time.Minute:
			usedSeen = true
		case r.Name == "spare" && r.LastUsedAt == nil:
			spareSeen = true
		}
	}
	if !usedSeen || !spareSeen {
		t.Fatalf("keys list rows: %+v", rows)
	}
}

type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncLog) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncLog) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func status(url string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitFor polls cond (every 50 ms, up to 30 s): the condition is an observable state of
// another process, not a time.
func waitFor(t *testing.T, what string, cond func() bool, logs interface{ String() string }) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			msg := ""
			if logs != nil {
				msg = logs.String()
			}
			t.Fatalf("timed out waiting for %s\n%s", what, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
