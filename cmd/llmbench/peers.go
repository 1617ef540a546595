package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Peers: with -peers VENV (`make bench-peers`) the bench also starts LiteLLM's proxy and
// MLflow's gateway from that virtualenv, each configured for the same fake upstream and the
// same model, and drives them with the same load as llmgate, so the report can say what the
// hop costs beside the gateways people would otherwise run. Neither is started, nor Python
// needed, by a plain `make bench`.

// peerReadyTimeout bounds a peer's start-up (Python imports are slow on a busy machine).
var peerReadyTimeout = envDuration("LLMBENCH_PEER_TIMEOUT", 180*time.Second)

// workers is how many worker processes a peer runs: its default (LiteLLM's proxy 1, MLflow's
// gateway 2), or LLMBENCH_PEER_WORKERS for every peer.
func workers(def int) (int, error) {
	v := os.Getenv("LLMBENCH_PEER_WORKERS")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 64 {
		return 0, fmt.Errorf("LLMBENCH_PEER_WORKERS=%q is not a number of workers between 1 and 64", v)
	}
	return n, nil
}

func plural(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + one + "s"
}

// peer is one Python gateway: what to run, then the running process.
type peer struct {
	name    string // the target's name in the tables
	title   string // how the report names it, with its version
	command string // in the virtualenv's bin/
	args    []string
	health  string // answers 200 once it serves
	cmd     *exec.Cmd
	done    chan struct{}
	logPath string
	target  target
}

// peerSet is every started peer; a nil set (no -peers) has no targets and reports nothing.
type peerSet struct {
	mu    sync.Mutex // a signal may stop them while the bench starts or stops them
	peers []*peer
}

// startPeers starts LiteLLM's proxy and MLflow's gateway from venv, each on a free loopback
// port in front of the fake upstream at fakeURL, and waits until both are ready. Their
// configuration files and logs go to dir.
func startPeers(venv, fakeURL, dir string) (*peerSet, error) {
	if venv == "" {
		return nil, nil
	}
	venv, err := filepath.Abs(venv) // the peers run in dir
	if err != nil {
		return nil, err
	}
	set := &peerSet{}
	set.stopOnSignal()
	for _, configure := range []func(venv, fakeURL, dir string) (*peer, error){liteLLM, mlflowGateway} {
		p, err := configure(venv, fakeURL, dir)
		if err == nil {
			err = set.launch(p, dir, venv)
		}
		if err != nil {
			set.stop()
			return nil, err
		}
	}
	return set, nil
}

func (s *peerSet) targets() []target {
	if s == nil {
		return nil
	}
	var out []target
	for _, p := range s.peers {
		out = append(out, p.target)
	}
	return out
}

func (s *peerSet) stop() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.peers {
		p.stop()
	}
}

// stopOnSignal stops the peers before the bench dies of an interrupt or a termination: they
// run in process groups of their own, so a Ctrl-C at the terminal does not reach them, and
// the bench's deferred stops do not run when a signal ends it.
func (s *peerSet) stopOnSignal() {
	var handled []os.Signal
	for _, one := range []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP} {
		if !signal.Ignored(one) { // as a background job's SIGINT is: it must not end the bench
			handled = append(handled, one)
		}
	}
	if len(handled) == 0 {
		return // signal.Notify of no signal would relay every signal
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, handled...)
	go func() {
		got := <-sig
		fmt.Fprintf(os.Stderr, "llmbench: %v: stopping the peers\n", got)
		s.stop()
		signal.Reset()
		syscall.Kill(os.Getpid(), got.(syscall.Signal)) // die of it as before
	}()
}

// liteLLM is `litellm --config` with one model on the fake's OpenAI wire, a master key
// (so every call is authenticated, as through a gateway), no database and no telemetry.
func liteLLM(venv, fakeURL, dir string) (*peer, error) {
	addr := freeLoopbackAddr()
	host, port, _ := strings.Cut(addr, ":")
	key := "sk-bench-" + randomHex(16)
	config := fmt.Sprintf(`model_list:
  - model_name: %s
    litellm_params:
      model: openai/%s
      api_base: %s/v1
      api_key: %s
general_settings:
  master_key: %s
`, endpointName, upstreamModel, fakeURL, fakeKey, key)
	path := filepath.Join(dir, "litellm.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		return nil, err
	}
	n, err := workers(1)
	if err != nil {
		return nil, err
	}
	p := &peer{name: "litellm", title: "LiteLLM proxy " + pipVersion(venv, "litellm") + ", " + plural(n, "worker")}
	p.target = target{name: p.name, url: "http://" + addr + "/v1/chat/completions", key: key, model: endpointName}
	p.command, p.health = "litellm", "http://"+addr+"/health/readiness"
	p.args = []string{"--config", path, "--host", host, "--port", port, "--num_workers", strconv.Itoa(n)}
	return p, nil
}

// mlflowGateway is MLflow's AI gateway with one llm/v1/chat endpoint on the fake's
// OpenAI wire. MLflow's gateway has no authentication of its own; it is called on its
// OpenAI-compatible route, whose streams end without [DONE].
func mlflowGateway(venv, fakeURL, dir string) (*peer, error) {
	addr := freeLoopbackAddr()
	host, port, _ := strings.Cut(addr, ":")
	config := fmt.Sprintf(`endpoints:
  - name: %s
    endpoint_type: llm/v1/chat
    model:
      provider: openai
      name: %s
      config:
        openai_api_key: %s
        openai_api_base: %s/v1
`, endpointName, upstreamModel, fakeKey, fakeURL)
	path := filepath.Join(dir, "mlflow-gateway.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		return nil, err
	}
	n, err := workers(2)
	if err != nil {
		return nil, err
	}
	p := &peer{name: "mlflow-gateway", title: "MLflow gateway " + pipVersion(venv, "mlflow") + ", " + plural(n, "worker")}
	p.target = target{name: p.name, url: "http://" + addr + "/v1/chat/completions", key: "unused", model: endpointName, noDone: true}
	p.command, p.health = "mlflow", "http://"+addr+"/health"
	p.args = []string{"gateway", "start", "--config-path", path, "--host", host, "--port", port, "--workers", strconv.Itoa(n)}
	if !mlflowHasGatewayStart(venv) {
		p.args = []string{"deployments", "start-server", "--config-path", path, "--host", host, "--port", port, "--workers", strconv.Itoa(n)}
	}
	return p, nil
}

// mlflowHasGatewayStart tells whether the installed MLflow still has `mlflow gateway start`
// (older and newer lines call it `mlflow deployments start-server`).
func mlflowHasGatewayStart(venv string) bool {
	return exec.Command(filepath.Join(venv, "bin", "mlflow"), "gateway", "start", "--help").Run() == nil
}

// launch runs the peer's command from venv in its own process group (so its workers stop
// with it), logging to a file in dir, adds it to the set and waits for its health to answer.
func (s *peerSet) launch(p *peer, dir, venv string) error {
	p.logPath = filepath.Join(dir, p.name+".log")
	log, err := os.Create(p.logPath)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(filepath.Join(venv, "bin", p.command), p.args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), offlineEnv...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s.mu.Lock() // a signal's stop sees it started, or not at all
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("starting %s: %w (run scripts/bench-peers.sh, which installs it)", p.title, err)
	}
	p.cmd, p.done, p.target.pid = cmd, make(chan struct{}), cmd.Process.Pid
	go func() { cmd.Wait(); close(p.done) }()
	s.peers = append(s.peers, p)
	s.mu.Unlock()
	if err := waitReady(p.health, peerReadyTimeout, p.done); err != nil {
		p.stop()
		return fmt.Errorf("%s %w; the end of its log (%s):\n%s", p.title, err, p.logPath, tail(p.logPath, 20))
	}
	return nil
}

// offlineEnv keeps the peers off the network: no telemetry, no model cost map download.
var offlineEnv = []string{"DO_NOT_TRACK=1", "MLFLOW_DISABLE_TELEMETRY=true", "LITELLM_TELEMETRY=False",
	"LITELLM_LOCAL_MODEL_COST_MAP=True", "HF_HUB_OFFLINE=1", "TOKENIZERS_PARALLELISM=false"}

// waitReady polls url until it answers 200, the process exits, or timeout passes.
func waitReady(url string, timeout time.Duration, exited <-chan struct{}) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	last := errors.New("no answer yet")
	for time.Now().Before(deadline) {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		last = err
		select {
		case <-exited:
			return fmt.Errorf("exited before it was ready at %s", url)
		case <-tick.C:
		}
	}
	return fmt.Errorf("not ready at %s after %v (last: %v)", url, timeout, last)
}

// stop ends the peer's process group: SIGTERM, then SIGKILL after 15 s.
func (p *peer) stop() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	pgid := p.cmd.Process.Pid
	select {
	case <-p.done:
	default:
		syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
		}
	}
	syscall.Kill(-pgid, syscall.SIGKILL) // workers the leader left behind
	<-p.done
}

// tail is the last n lines of the file at path.
func tail(path string, n int) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// pipVersion is the installed version of a package in venv, read from its dist-info.
func pipVersion(venv, pkg string) string {
	matches, _ := filepath.Glob(filepath.Join(venv, "lib", "python*", "site-packages", pkg+"-*.dist-info"))
	for _, m := range matches {
		v := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m), pkg+"-"), ".dist-info")
		if v != "" && v[0] >= '0' && v[0] <= '9' {
			return v
		}
	}
	return "(version unknown)"
}

// finishedStream tells whether an event stream that has no [DONE] (MLflow's) came whole: it
// ends at an event boundary and one of its events gave a choice's finish reason.
func finishedStream(body []byte) bool {
	if !bytes.HasSuffix(body, []byte("\n\n")) {
		return false
	}
	for _, event := range bytes.Split(body, []byte("\n\n")) {
		data, ok := bytes.CutPrefix(bytes.TrimSpace(event), []byte("data:"))
		if !ok {
			continue
		}
		var chunk struct {
			Choices []struct {
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
		}
		if json.Unmarshal(data, &chunk) != nil {
			return false
		}
		for _, c := range chunk.Choices {
			if c.FinishReason != nil && *c.FinishReason != "" {
				return true
			}
		}
	}
	return false
}
