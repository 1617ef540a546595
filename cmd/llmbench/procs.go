package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/llmgate/llmgate/internal/procstat"
)

const (
	fakeKey       = "fake-openai-key" // fakeupstream.DefaultKey("openai")
	upstreamModel = "gpt-4o-mini"
	endpointName  = "bench-chat"
	// benchLimit is far above anything a loopback run reaches, so limits are checked on
	// every call (the cost is measured) but never refuse one.
	benchLimit = 1_000_000_000
)

// process is a started child whose stderr is drained so it never blocks on a full pipe.
type process struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
}

// startFake runs the fake upstream binary and reads the address it prints.
func startFake(bin string) (*process, error) {
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-print-addr")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w (run `make build` first)", bin, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	line, err := readLine(out, 10*time.Second)
	if err != nil {
		p.stop()
		return nil, fmt.Errorf("fake upstream did not print its address: %w", err)
	}
	p.url = "http://" + strings.TrimSpace(line)
	go io.Copy(io.Discard, out)
	return p, nil
}

// startGateway runs `llmgate serve` on a fresh data directory with a known admin key and
// waits for its ready line.
func startGateway(bin, dataDir string, debug bool) (*gateway, error) {
	admin := "lgk_bench_admin_" + randomHex(16)
	args := []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--log-format", "json"}
	var debugAddr string
	if debug {
		debugAddr = freeLoopbackAddr()
		args = append(args, "--debug-addr", debugAddr)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "LLMGATE_ADMIN_API_KEY="+admin)
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w (run `make build` first)", bin, err)
	}
	g := &gateway{process: process{cmd: cmd, done: make(chan struct{})}, admin: admin, debugAddr: debugAddr}
	go func() { cmd.Wait(); close(g.done) }()
	ready := make(chan string, 1)
	go g.readLog(errPipe, ready)
	select {
	case g.url = <-ready:
		return g, nil
	case <-g.done:
		return nil, errors.New("llmgate exited before it was ready")
	case <-time.After(60 * time.Second):
		g.stop()
		return nil, errors.New("llmgate not ready after 60s")
	}
}

func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

func readLine(r io.Reader, timeout time.Duration) (string, error) {
	got := make(chan string, 1)
	fail := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		if err != nil {
			fail <- err
			return
		}
		got <- line
	}()
	select {
	case line := <-got:
		return line, nil
	case err := <-fail:
		return "", err
	case <-time.After(timeout):
		return "", errors.New("timed out")
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// gateway is the started llmgate; it counts the error-level lines it logs.
type gateway struct {
	process
	admin     string
	debugAddr string // pprof listener when profiling
	errorLogs atomic.Int64
}

func (g *gateway) readLog(r io.Reader, ready chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	sent := false
	for sc.Scan() {
		var rec struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
			URL   string `json:"url"`
		}
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			continue
		}
		if rec.Level == "ERROR" {
			g.errorLogs.Add(1)
		}
		if !sent && rec.Msg == "llmgate ready" {
			ready <- rec.URL
			sent = true
		}
	}
}

// setUp creates the bench user, its key, and an OpenAI endpoint on the fake that only this
// user may call, with limits far above the load; it returns the user's key.
func (g *gateway) setUp(fakeURL string) (string, error) {
	var user struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	if err := g.admin2xx("POST", "/api/users/v1/users", map[string]any{"userName": "bench", "email": "bench@example.org"}, &user); err != nil {
		return "", err
	}
	var tok struct {
		Token string `json:"token"`
	}
	if err := g.admin2xx("POST", "/api/pat/v1/users/"+user.User.ID+"/tokens", map[string]any{"name": "bench"}, &tok); err != nil {
		return "", err
	}
	ep := map[string]any{
		"endpointName": endpointName, "endpointType": "llm/v1/chat", "modelProvider": "openai", "modelName": upstreamModel,
		"modelConfig":         map[string]any{"openai_api_key": fakeKey, "openai_api_base": fakeURL + "/v1"},
		"endpointPermissions": map[string]any{"isEveryoneAllowed": false, "userIds": []string{user.User.ID}},
		"rateLimits": map[string]any{
			"callsPerMinute":  map[string]any{"endpoint": benchLimit, "perUser": benchLimit},
			"tokensPerMinute": map[string]any{"endpoint": benchLimit, "perUser": benchLimit},
		},
	}
	if err := g.admin2xx("POST", "/api/aigateway/v1/endpoints", ep, nil); err != nil {
		return "", err
	}
	return tok.Token, nil
}

func (g *gateway) admin2xx(method, path string, body, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(method, g.url+path, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Domino-Api-Key", g.admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, answer)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(answer, out)
}

// freeLoopbackAddr returns a loopback address with a port free at the time of asking.
func freeLoopbackAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:6060"
	}
	defer ln.Close()
	return ln.Addr().String()
}

// saveProfile records the gateway's CPU profile for d (its --debug-addr pprof) into path.
func (g *gateway) saveProfile(path string, d time.Duration) error {
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", g.debugAddr, max(1, int(d.Seconds()))))
	if err != nil {
		return fmt.Errorf("profiling the gateway: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profiling the gateway: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

// memory reads the gateway's resident and peak resident set size from /proc, in KiB.
type memory struct{ rssKiB, peakKiB int64 }

func (g *gateway) readMemory() (memory, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", g.cmd.Process.Pid))
	if err != nil {
		return memory{}, fmt.Errorf("reading the gateway's memory: %w", err)
	}
	m := memory{rssKiB: procstat.KiB(string(raw), "VmRSS:"), peakKiB: procstat.KiB(string(raw), "VmHWM:")}
	if m.rssKiB == 0 {
		return m, errors.New("no VmRSS in /proc/<pid>/status")
	}
	return m, nil
}
