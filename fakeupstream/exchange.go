package fakeupstream

import (
	"crypto/sha256"
	"encoding/binary"
	"net/http"
	"strings"
	"time"
)

// Exchange is one request being answered. Provider Serve functions answer through its
// helpers so the model-driven behaviours (delay between events, drop mid-stream) and the
// completion record work the same for every provider.
type Exchange struct {
	W        http.ResponseWriter
	R        *http.Request
	Body     []byte
	Provider *Provider
	// Model is the model name the request names; Behaviour what it asks for.
	Model     string
	Behaviour Behaviour

	server     *Server
	credential string
	authorized bool
	status     int
	completed  bool
	sent       int // stream events written
}

// Server returns the fake the exchange belongs to.
func (x *Exchange) Server() *Server { return x.server }

func (x *Exchange) serve() {
	p := x.Provider
	x.Model = p.Model(x.R, x.Body)
	x.Behaviour = ParseBehaviour(x.Model)
	if steps := sequenceSteps(x.Model); steps != nil {
		x.Behaviour = stepBehaviour(steps[min(x.server.nextInSequence(x.Model), len(steps)-1)])
	}
	x.credential = p.Credential(x.R)
	if p.Verify != nil {
		x.authorized = p.Verify(x.server, x.R, x.Body)
	} else {
		x.authorized = x.server.ValidKey(p.Name, x.credential)
	}
	if !x.authorized {
		x.Error(http.StatusUnauthorized, "invalid credential")
		return
	}
	b := x.Behaviour
	if !x.pause(b.Delay) {
		return
	}
	switch {
	case b.Hang:
		<-x.R.Context().Done()
	case b.LeakStatus != 0 && b.LeakStatus != http.StatusOK:
		x.Error(b.LeakStatus, x.leakText())
	case b.ErrorStatus != 0:
		x.Error(b.ErrorStatus, "fake error requested by model "+x.Model)
	case b.RateLimit:
		x.W.Header().Set("Retry-After", "1")
		x.Error(http.StatusTooManyRequests, "rate limit exceeded, retry in 1s")
	case b.Malformed:
		x.Write(http.StatusOK, "application/json", []byte(`{"this is": not json`))
	default:
		p.Serve(x)
	}
}

// pause waits d unless the client goes away first; it reports whether to go on.
func (x *Exchange) pause(d time.Duration) bool {
	if d <= 0 {
		return x.R.Context().Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-x.R.Context().Done():
		return false
	}
}

// Error answers with the provider's error envelope.
func (x *Exchange) Error(status int, message string) {
	x.status = status
	x.Provider.WriteError(x.W, status, message)
	x.completed = true
}

// Write answers a complete body. With fake-drop it writes half the body and then drops the
// connection, so clients see a truncated response.
func (x *Exchange) Write(status int, contentType string, body []byte) {
	x.status = status
	x.W.Header().Set("Content-Type", contentType)
	if x.Behaviour.Drop {
		x.W.WriteHeader(status)
		_, _ = x.W.Write(body[:len(body)/2])
		x.flush()
		panic(http.ErrAbortHandler)
	}
	x.W.WriteHeader(status)
	if _, err := x.W.Write(body); err == nil {
		x.completed = true
	}
}

// StartStream sends the 200 status and headers of a streamed answer at once.
func (x *Exchange) StartStream(contentType string) {
	x.status = http.StatusOK
	x.W.Header().Set("Content-Type", contentType)
	x.W.Header().Set("Cache-Control", "no-cache")
	x.W.WriteHeader(http.StatusOK)
	x.flush()
}

// Send writes and flushes one stream event. Before every event but the first it waits the
// fake-slow delay; with fake-drop the connection is dropped instead of sending the second
// event. It reports false when the client has gone away: the provider should stop.
func (x *Exchange) Send(event []byte) bool {
	if x.sent > 0 {
		if x.Behaviour.Cut {
			return false // the provider stops; the body ends normally
		}
		if x.Behaviour.Drop {
			panic(http.ErrAbortHandler)
		}
		if !x.pause(x.Behaviour.Delay) {
			return false
		}
	}
	if x.R.Context().Err() != nil {
		return false
	}
	if _, err := x.W.Write(event); err != nil {
		return false
	}
	x.flush()
	x.sent++
	return true
}

// EndStream marks a streamed answer as completely written.
func (x *Exchange) EndStream() { x.completed = x.R.Context().Err() == nil }

func (x *Exchange) flush() { _ = http.NewResponseController(x.W).Flush() }

// Pieces splits a reply into stream increments (Pieces); with fake-leak each is cut in two,
// so the echoed credential arrives split across events.
func (x *Exchange) Pieces(text string) []string {
	pieces := Pieces(text)
	if x.Behaviour.LeakStatus == 0 {
		return pieces
	}
	var out []string
	for _, p := range pieces {
		out = append(out, p[:len(p)/2], p[len(p)/2:])
	}
	return out
}

// leakText is what a fake-leak exchange echoes: for SigV4 the secret access key of the key id
// presented (the fake knows it; a real provider could echo it), else the credential.
func (x *Exchange) leakText() string {
	cred := x.credential
	if secret, ok := x.server.AWSSecret(cred); ok {
		cred = secret
	}
	return LeakText(leakForm(x.Body), cred)
}

// Reply is the fake's deterministic answer to prompt.
func Reply(prompt string) string { return "echo: " + prompt }

// Reply is the exchange's answer to prompt: Reply(prompt), padded with 1 KiB words to about
// Behaviour.Big bytes when the model asks for fake-big-<KiB>. Providers answer with it so every
// wire can send oversized answers. With fake-leak-200 it is the credential echo instead.
func (x *Exchange) Reply(prompt string) string {
	if x.Behaviour.LeakStatus == http.StatusOK {
		return x.leakText()
	}
	reply := Reply(prompt)
	if x.Behaviour.Big <= len(reply) {
		return reply
	}
	word := strings.Repeat("x", 1023)
	var b strings.Builder
	b.Grow(x.Behaviour.Big + len(word))
	b.WriteString(reply)
	for b.Len() < x.Behaviour.Big {
		b.WriteString(" ")
		b.WriteString(word)
	}
	return b.String()
}

// Tokens is the fake's token count: whitespace-separated words.
func Tokens(text string) int64 { return int64(len(strings.Fields(text))) }

// Truncate cuts reply to at most maxTokens words (no limit when maxTokens <= 0) and reports
// whether it did, so "max tokens hit" can be tested with finish reason length.
func Truncate(reply string, maxTokens int) (string, bool) {
	words := strings.Fields(reply)
	if maxTokens <= 0 || len(words) <= maxTokens {
		return reply, false
	}
	return strings.Join(words[:maxTokens], " "), true
}

// Pieces splits text into stream increments (one word each, spaces kept) that concatenate
// back to text.
func Pieces(text string) []string {
	var out []string
	start := 0
	for i := 1; i < len(text); i++ {
		if text[i] == ' ' && text[i-1] != ' ' {
			out = append(out, text[start:i])
			start = i
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

// EmbeddingDims is the length of the fake's vectors.
const EmbeddingDims = 8

// Embedding is the fake's deterministic vector for text: values in [-1, 1] from its SHA-256.
func Embedding(text string) []float64 {
	sum := sha256.Sum256([]byte(text))
	vec := make([]float64, EmbeddingDims)
	for i := range vec {
		v := binary.BigEndian.Uint16(sum[i*2:])
		vec[i] = float64(v)/32767.5 - 1
	}
	return vec
}
