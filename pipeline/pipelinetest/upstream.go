package pipelinetest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/llmgate/llmgate/fakeupstream"
)

// Model names that script the upstream's behaviour (any other model answers normally, echoing
// the last user message):
//
//	fake-error-<status>  the provider's error body with that status
//	fake-ratelimit       429 with Retry-After: 7
//	fake-hang            never answers until the client goes away
//	fake-gate            streams the first chunk, then waits for Upstream.Release (or the client leaving)
//	fake-malformed       200 with a body that is not JSON
//	fake-drop            streams the first chunk, then drops the connection
//	fake-cut             streams the first chunk, then ends the body cleanly without [DONE]
//	fake-leak-<status>   echoes the credential it received in the form "leak:<form>" in the
//	                     prompt names (fakeupstream.LeakText): as the error message, or with
//	                     200 as the answer's text (split in two stream chunks when streaming)
const (
	ModelHang      = "fake-hang"
	ModelGate      = "fake-gate"
	ModelMalformed = "fake-malformed"
	ModelDrop      = "fake-drop"
	ModelCut       = "fake-cut"
	ModelRateLimit = "fake-ratelimit"
)

// Request is what the upstream saw of one call.
type Request struct {
	Path       string
	Model      string
	Credential string
	Body       map[string]any
	// Cancelled reports that the caller went away before the answer was complete.
	Cancelled bool
}

// Upstream is a scriptable OpenAI-wire server.
type Upstream struct {
	*httptest.Server
	// ValidKey is the only credential it accepts.
	ValidKey string
	// Finished receives every request when its handler returns.
	Finished chan Request

	mu       sync.Mutex
	requests []Request
	gate     chan struct{}
	extra    map[string]bool
	answers  map[string]string
}

// Answer makes the upstream answer every request for model with body (200 JSON, or a stream
// of it when body starts with "data:"). For ModelGate it sends half the body, then waits for
// Release.
func (u *Upstream) Answer(model, body string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.answers == nil {
		u.answers = map[string]string{}
	}
	u.answers[model] = body
}

func (u *Upstream) answer(model string) (string, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	body, ok := u.answers[model]
	return body, ok
}

// AcceptKey makes the upstream accept another credential.
func (u *Upstream) AcceptKey(key string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.extra == nil {
		u.extra = map[string]bool{}
	}
	u.extra[key] = true
}

func (u *Upstream) accepts(key string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return key == u.ValidKey || u.extra[key]
}

// NewUpstream starts an upstream accepting key; it is closed at test cleanup by the caller.
func NewUpstream(key string) *Upstream {
	u := &Upstream{ValidKey: key, Finished: make(chan Request, 256), gate: make(chan struct{})}
	u.Server = httptest.NewServer(http.HandlerFunc(u.serve))
	return u
}

// Release opens the gate of fake-gate streams.
func (u *Upstream) Release() { close(u.gate) }

// Requests returns what the upstream has seen so far.
func (u *Upstream) Requests() []Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]Request(nil), u.requests...)
}

// BaseURL is what endpoints put in fakeai_api_base.
func (u *Upstream) BaseURL() string { return u.URL + "/v1" }

func (u *Upstream) serve(w http.ResponseWriter, r *http.Request) {
	rec := Request{Path: r.URL.Path, Credential: strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")}
	_ = json.NewDecoder(r.Body).Decode(&rec.Body)
	rec.Model, _ = rec.Body["model"].(string)
	defer func() {
		rec.Cancelled = r.Context().Err() != nil
		u.mu.Lock()
		u.requests = append(u.requests, rec)
		u.mu.Unlock()
		u.Finished <- rec
	}()
	if !u.accepts(rec.Credential) {
		writeError(w, http.StatusUnauthorized, "Incorrect API key provided.")
		return
	}
	if body, ok := u.answer(rec.Model); ok {
		model := rec.Model
		w.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(body, "data:") {
			w.Header().Set("Content-Type", "text/event-stream")
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		if model == ModelGate { // half now, the rest once Release is called
			_, _ = io.WriteString(w, body[:len(body)/2])
			w.(http.Flusher).Flush()
			select {
			case <-u.gate:
			case <-r.Context().Done():
				return
			}
			body = body[len(body)/2:]
		}
		_, _ = io.WriteString(w, body) // no copy: large answers stay cheap for the test process
		return
	}
	if u.scripted(w, r, rec.Model, rec.Credential, rec.Body) {
		return
	}
	text := "echo: " + lastUserText(rec.Body)
	if strings.HasPrefix(rec.Model, "fake-leak-") {
		text = fakeupstream.LeakText(leakForm(rec.Body), rec.Credential)
	}
	if stream, _ := rec.Body["stream"].(bool); stream {
		u.stream(w, r, rec, text)
		return
	}
	answer(w, rec, text)
}

// scripted handles the behaviours chosen by model name; false means answer normally.
func (u *Upstream) scripted(w http.ResponseWriter, r *http.Request, model, credential string, body map[string]any) bool {
	switch {
	case strings.HasPrefix(model, "fake-leak-") && model != "fake-leak-200":
		status, _ := strconv.Atoi(strings.TrimPrefix(model, "fake-leak-"))
		writeError(w, status, fakeupstream.LeakText(leakForm(body), credential))
	case strings.HasPrefix(model, "fake-error-"):
		status, _ := strconv.Atoi(strings.TrimPrefix(model, "fake-error-"))
		writeError(w, status, "This model's maximum context length is 8 tokens.")
	case model == ModelRateLimit:
		w.Header().Set("Retry-After", "7")
		writeError(w, http.StatusTooManyRequests, "Rate limit reached for requests")
	case model == ModelHang:
		<-r.Context().Done()
	case model == ModelMalformed:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id": "x", "choices": [`)
	default:
		return false
	}
	return true
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": "invalid_request_error"}})
}

// leakForm is the form named by "leak:<form>" in the prompt.
func leakForm(body map[string]any) string {
	text := lastUserText(body)
	if _, form, ok := strings.Cut(text, "leak:"); ok {
		return strings.Fields(form + " ")[0]
	}
	return "raw"
}

func lastUserText(body map[string]any) string {
	if p, ok := body["prompt"].(string); ok {
		return p
	}
	msgs, _ := body["messages"].([]any)
	for i := len(msgs) - 1; i >= 0; i-- {
		m, _ := msgs[i].(map[string]any)
		if m["role"] == "user" {
			s, _ := m["content"].(string)
			return s
		}
	}
	return ""
}

func words(s string) int64 { return int64(len(strings.Fields(s))) }

func usage(prompt, completion int64) map[string]int64 {
	return map[string]int64{"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
}

// answer writes a complete response; embeddings are deterministic from the input text.
func answer(w http.ResponseWriter, rec Request, text string) {
	prompt := words(lastUserText(rec.Body))
	var out map[string]any
	switch {
	case strings.HasSuffix(rec.Path, "/embeddings"):
		inputs, _ := rec.Body["input"].([]any)
		data := make([]map[string]any, len(inputs))
		for i, in := range inputs {
			s, _ := in.(string)
			data[i] = map[string]any{"object": "embedding", "index": i, "embedding": []float64{float64(len(s)), float64(i)}}
		}
		out = map[string]any{"object": "list", "model": rec.Model, "data": data,
			"usage": map[string]int64{"prompt_tokens": int64(len(inputs)), "total_tokens": int64(len(inputs))}}
	case strings.HasSuffix(rec.Path, "/chat/completions"):
		out = map[string]any{"id": "chatcmpl-1", "object": "chat.completion", "created": time.Now().Unix(), "model": rec.Model,
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": text}, "finish_reason": "stop"}},
			"usage":   usage(prompt, words(text))}
	default:
		out = map[string]any{"id": "cmpl-1", "object": "text_completion", "created": time.Now().Unix(), "model": rec.Model,
			"choices": []any{map[string]any{"index": 0, "text": text, "finish_reason": "stop"}},
			"usage":   usage(prompt, words(text))}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// stream sends one chunk per word, then a finish chunk, a usage chunk and [DONE].
func (u *Upstream) stream(w http.ResponseWriter, r *http.Request, rec Request, text string) {
	w.Header().Set("Content-Type", "text/event-stream")
	chat := strings.HasSuffix(rec.Path, "/chat/completions")
	send := func(v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\n\n", b)
		w.(http.Flusher).Flush()
	}
	chunk := func(content string, finish any) map[string]any {
		choice := map[string]any{"index": 0, "finish_reason": finish}
		if chat {
			choice["delta"] = map[string]any{"role": "assistant", "content": content}
		} else {
			choice["text"] = content
		}
		return map[string]any{"id": "s-1", "created": 1732480000, "model": rec.Model, "choices": []any{choice}}
	}
	pieces := strings.Fields(text)
	for i := range pieces {
		if i > 0 {
			pieces[i] = " " + pieces[i]
		}
	}
	if strings.HasPrefix(rec.Model, "fake-leak-") {
		pieces = halves(pieces) // the credential arrives split across two chunks
	}
	for i, word := range pieces {
		send(chunk(word, nil))
		if i == 0 && !u.afterFirstChunk(w, r, rec.Model) {
			return
		}
	}
	send(chunk("", "stop"))
	send(map[string]any{"id": "s-1", "created": 1732480000, "model": rec.Model, "choices": []any{}, "usage": usage(words(lastUserText(rec.Body)), words(text))})
	fmt.Fprint(w, "data: [DONE]\n\n")
}

// halves splits every piece in two.
func halves(pieces []string) []string {
	var out []string
	for _, p := range pieces {
		out = append(out, p[:len(p)/2], p[len(p)/2:])
	}
	return out
}

// afterFirstChunk applies the stream behaviours; false ends the stream early.
func (u *Upstream) afterFirstChunk(w http.ResponseWriter, r *http.Request, model string) bool {
	switch model {
	case ModelGate:
		select {
		case <-u.gate:
			return true
		case <-r.Context().Done():
			return false
		}
	case ModelCut:
		return false
	case ModelDrop:
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
		return false
	}
	return true
}
