// Package fakeupstream is a stateless stand-in for the LLM providers llmgate talks to. It
// speaks each provider's real wire format (JSON bodies, SSE or AWS event-stream framing,
// error envelopes), checks the credential the gateway presents, and lets tests choose
// failures through the model name alone, so one server serves every test in parallel:
//
//	fake-slow-<ms>      wait <ms> before answering and between stream events
//	fake-error-<status> answer the provider's error body with that HTTP status
//	fake-ratelimit      answer 429 with Retry-After: 1
//	fake-hang           never answer; return when the client goes away
//	fake-drop           drop the connection after the first stream event (or mid-body)
//	fake-cut            end the stream cleanly after its first event, without the provider's
//	                    terminal event (a truncated stream that looks finished on the wire)
//	fake-malformed      answer 200 with a body that is not valid JSON
//	fake-big-<KiB>      answer normally, the reply padded with 1 KiB words to about <KiB> KiB
//	                    (streamed as one event per word), for oversized answers; at most 1 GiB
//	fake-leak-<status>  echo the credential received, in the form "leak:<form>" in the
//	                    prompt names (LeakText): as the error message with that status, or
//	                    with 200 as the reply, each stream piece split in two
//	fake-seq-<a>.<b>…   answer each request for this model name with the next step, the last
//	                    repeating: a status (429 with Retry-After: 1, or any other error status),
//	                    hang, drop, slow<ms>, or ok (a normal answer) — an outage staged over time,
//	                    e.g. fake-seq-429.500.ok (a "-suffix" after the steps only names the sequence)
//	fake-leakevent      (OpenAI wire) stream the first piece, then an error event whose message
//	                    echoes the credential as fake-leak does
//
// Any other model answers normally and deterministically: the reply echoes the last user
// message ("echo: " + text, see Reply), usage counts words (Tokens), and embeddings are
// derived from a hash of each input (Embedding). The marker may appear anywhere in the model
// name ("models/fake-hang", "anthropic.fake-drop") so every provider's naming works.
//
// Providers plug in through Register, called from init() in one file per provider
// (openai.go, anthropic.go, bedrock.go, gemini.go, ...), so adding a provider never edits the
// core. Every request is recorded (GET /_fake/requests, POST /_fake/reset, or Requests and
// Reset from Go). There is no added delay unless a model asks for it: the fake is used in
// benchmarks. Schemes that need more than a static key are faked whole: Bedrock verifies the
// SigV4 signature (with an STS stand-in for assumed roles), and Vertex AI issues OAuth tokens
// from its own JWT-bearer token endpoint to a test service account (vertexai.go).
package fakeupstream

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Static SigV4 credentials the Bedrock fake accepts unless Options overrides them.
const (
	TestAWSAccessKeyID     = "AKIDFAKEUPSTREAM0001"
	TestAWSSecretAccessKey = "fakeupstream/secret/access/key/0000000000"
)

// DefaultKey is the credential a provider accepts when Options.Keys has no entry for it.
func DefaultKey(provider string) string { return "fake-" + provider + "-key" }

// maxBigKiB bounds fake-big-<KiB>: 1 GiB.
const maxBigKiB = 1 << 20

// maxBody bounds what the fake reads of one request.
const maxBody = 32 << 20

// Options configures a Server. The zero value accepts DefaultKey(p) for every provider p and
// the Test AWS credentials.
type Options struct {
	// Keys lists the valid credentials per provider name ("openai", "azure", "anthropic").
	Keys map[string][]string
	// AWS maps access key ids to secret keys the SigV4 check accepts; nil means
	// {TestAWSAccessKeyID: TestAWSSecretAccessKey}.
	AWS map[string]string
}

// Provider is one provider's wire format, registered from its own file.
type Provider struct {
	// Name identifies the provider in records and in Options.Keys.
	Name string
	// Routes are http.ServeMux patterns, e.g. "POST /v1/messages" or
	// "POST /v1beta/models/{model}".
	Routes []string
	// Model extracts the model name (from the path or the body) that chooses behaviour.
	Model func(r *http.Request, body []byte) string
	// Credential returns the credential presented (header, query parameter, key id).
	Credential func(r *http.Request) string
	// Verify, when set, replaces the default check that Credential is one of the valid keys
	// (Bedrock recomputes the SigV4 signature).
	Verify func(s *Server, r *http.Request, body []byte) bool
	// WriteError writes the provider's error envelope with status and message.
	WriteError func(w http.ResponseWriter, status int, message string)
	// Serve answers a normal request (credential valid, no failure chosen).
	Serve func(x *Exchange)
}

var (
	registryMu sync.Mutex
	registry   []*Provider
)

// Register adds a provider's routes to every Server created afterwards. Call it from init().
func Register(p *Provider) {
	registryMu.Lock()
	defer registryMu.Unlock()
	registry = append(registry, p)
}

// Request is the record of one upstream call.
type Request struct {
	Provider   string    `json:"provider"`
	Method     string    `json:"method"`
	Path       string    `json:"path"`
	Query      string    `json:"query"`
	Model      string    `json:"model"`
	Credential string    `json:"credential"`
	Authorized bool      `json:"authorized"`
	Body       string    `json:"body"`
	Status     int       `json:"status"`
	Completed  bool      `json:"completed"` // the whole answer was written
	Cancelled  bool      `json:"cancelled"` // the client went away before the answer finished
	Received   time.Time `json:"received"`
	// Traceparent is the W3C trace context the caller sent, if any.
	Traceparent string `json:"traceparent,omitempty"`
}

// Server is the fake upstream; it is an http.Handler.
type Server struct {
	opts Options
	mux  *http.ServeMux

	mu        sync.Mutex
	requests  []*Request
	sequences map[string]int // requests seen per fake-seq model name
	inflight  int
	idle      chan struct{} // closed and replaced whenever inflight drops to zero
}

// New builds a Server with every registered provider's routes and the /_fake admin routes.
func New(opts Options) *Server {
	aws := map[string]string{TestAWSAccessKeyID: TestAWSSecretAccessKey}
	if opts.AWS != nil {
		aws = make(map[string]string, len(opts.AWS))
		for k, v := range opts.AWS {
			aws[k] = v
		}
	}
	opts.AWS = aws // a private copy: AddAWSKey writes to it
	s := &Server{opts: opts, mux: http.NewServeMux(), idle: make(chan struct{})}
	registryMu.Lock()
	for _, p := range registry {
		for _, route := range p.Routes {
			s.mux.Handle(route, s.handler(p))
		}
	}
	registryMu.Unlock()
	s.mux.HandleFunc("GET /_fake/requests", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Requests())
	})
	s.mux.HandleFunc("POST /_fake/reset", func(w http.ResponseWriter, _ *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Requests returns a copy of every request recorded since the last Reset, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = *r
	}
	return out
}

// Reset forgets the recorded requests.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests, s.sequences = nil, nil
}

// Idle returns a channel that is closed once no request is being handled, so tests can wait
// for records (e.g. Cancelled) to be final without sleeping.
func (s *Server) Idle() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight == 0 {
		done := make(chan struct{})
		close(done)
		return done
	}
	return s.idle
}

// ValidKey reports whether cred is a configured credential of provider.
func (s *Server) ValidKey(provider, cred string) bool {
	keys, ok := s.opts.Keys[provider]
	if !ok {
		keys = []string{DefaultKey(provider)}
	}
	for _, k := range keys {
		if cred != "" && cred == k {
			return true
		}
	}
	return false
}

// AWSSecret returns the secret key of an access key id the fake accepts.
func (s *Server) AWSSecret(accessKeyID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	secret, ok := s.opts.AWS[accessKeyID]
	return secret, ok
}

// AddAWSKey makes the fake accept another SigV4 key pair (temporary keys its STS issues).
func (s *Server) AddAWSKey(accessKeyID, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.AWS[accessKeyID] = secret
}

func (s *Server) begin(rec *Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, rec)
	s.inflight++
}

// finish publishes the final fields of rec under the lock readers use.
func (s *Server) finish(rec *Request, x *Exchange) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec.Model, rec.Credential, rec.Authorized = x.Model, x.credential, x.authorized
	rec.Status, rec.Traceparent = x.status, x.R.Header.Get("Traceparent")
	rec.Completed = x.completed
	rec.Cancelled = !x.completed && x.R.Context().Err() != nil
	s.inflight--
	if s.inflight == 0 {
		close(s.idle)
		s.idle = make(chan struct{})
	}
}

func (s *Server) handler(p *Provider) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
		rec := &Request{Provider: p.Name, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body), Received: time.Now()}
		x := &Exchange{W: w, R: r, Body: body, Provider: p, server: s}
		s.begin(rec)
		// Deferred so the record is final even when fake-drop aborts the handler by panic.
		defer s.finish(rec, x)
		x.serve()
	})
}

// Behaviour is what a model name asks the fake to do.
type Behaviour struct {
	Delay       time.Duration
	ErrorStatus int
	RateLimit   bool
	Hang        bool
	Drop        bool
	Cut         bool
	Malformed   bool
	// Big is the size in bytes the reply is padded to (fake-big-<KiB>); 0 means no padding.
	Big int
	// LeakStatus is the status of a fake-leak-<status> answer (0: not leaking).
	LeakStatus int
	// LeakEvent asks for a mid-stream error event echoing the credential (fake-leakevent).
	LeakEvent bool
}

// ParseBehaviour reads the fake-* marker in a model name; unknown markers mean normal.
func ParseBehaviour(model string) Behaviour {
	i := strings.Index(model, "fake-")
	if i < 0 {
		return Behaviour{}
	}
	marker := model[i+len("fake-"):]
	var b Behaviour
	switch {
	case strings.HasPrefix(marker, "slow-"):
		if ms, err := strconv.Atoi(leadingDigits(marker[len("slow-"):])); err == nil {
			b.Delay = time.Duration(ms) * time.Millisecond
		}
	case strings.HasPrefix(marker, "error-"):
		if st, err := strconv.Atoi(leadingDigits(marker[len("error-"):])); err == nil && st >= 400 && st <= 599 {
			b.ErrorStatus = st
		}
	case strings.HasPrefix(marker, "ratelimit"):
		b.RateLimit = true
	case strings.HasPrefix(marker, "hang"):
		b.Hang = true
	case strings.HasPrefix(marker, "drop"):
		b.Drop = true
	case strings.HasPrefix(marker, "cut"):
		b.Cut = true
	case strings.HasPrefix(marker, "big-"):
		if kib, err := strconv.Atoi(leadingDigits(marker[len("big-"):])); err == nil && kib > 0 && kib <= maxBigKiB {
			b.Big = kib << 10
		}
	case strings.HasPrefix(marker, "leakevent"):
		b.LeakEvent = true
	case strings.HasPrefix(marker, "leak-"):
		if st, err := strconv.Atoi(leadingDigits(marker[len("leak-"):])); err == nil && st >= 200 && st <= 599 {
			b.LeakStatus = st
		}
	case strings.HasPrefix(marker, "malformed"):
		b.Malformed = true
	}
	return b
}

// sequenceSteps returns the steps of a fake-seq-<a>.<b>… model name, or nil.
func sequenceSteps(model string) []string {
	i := strings.Index(model, "fake-seq-")
	if i < 0 {
		return nil
	}
	rest := model[i+len("fake-seq-"):]
	if j := strings.IndexAny(rest, "/:@-"); j >= 0 { // a suffix after '-' only names the sequence
		rest = rest[:j]
	}
	steps := strings.Split(rest, ".")
	if len(steps) == 0 || steps[0] == "" {
		return nil
	}
	return steps
}

// stepBehaviour is the behaviour of one sequence step.
func stepBehaviour(step string) Behaviour {
	switch {
	case step == "ok":
		return Behaviour{}
	case step == "429":
		return Behaviour{RateLimit: true}
	case step == "hang":
		return Behaviour{Hang: true}
	case step == "drop":
		return Behaviour{Drop: true}
	case strings.HasPrefix(step, "slow"):
		ms, _ := strconv.Atoi(step[len("slow"):])
		return Behaviour{Delay: time.Duration(ms) * time.Millisecond}
	}
	if st, err := strconv.Atoi(step); err == nil && st >= 400 && st <= 599 {
		return Behaviour{ErrorStatus: st}
	}
	return Behaviour{}
}

// nextInSequence counts the requests seen for a sequence model name (0 for the first).
func (s *Server) nextInSequence(model string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sequences == nil {
		s.sequences = map[string]int{}
	}
	n := s.sequences[model]
	s.sequences[model] = n + 1
	return n
}

func leadingDigits(s string) string {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return s[:n]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
