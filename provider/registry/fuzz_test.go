package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

// The fuzz targets here drive every registered provider's decoders of upstream bytes
// (Translator.Response, Translator.Error and Translator.Stream) with one table, so a new
// provider is fuzzed as soon as it is registered. Their seed corpora under testdata/fuzz are
// real answers of the fake upstream (go run ./internal/fuzzseeds), so `go test` replays them.

// Output may grow with its input (a choice of 3 bytes becomes an object of 80) but only
// linearly: more than this many bytes per input byte means an amplification bug.
const (
	maxGrowth = 64
	slack     = 4096
)

// fuzzProviders are the registered providers that translate (retired ones have no translator).
func fuzzProviders() []*provider.Spec {
	var out []*provider.Spec
	for _, s := range Default().Specs() {
		if s.Translator != nil {
			out = append(out, s)
		}
	}
	return out
}

// pickProvider resolves name, or maps an unknown (mutated) name onto some provider so no
// fuzzing input is wasted.
func pickProvider(specs []*provider.Spec, name string) *provider.Spec {
	for _, s := range specs {
		if s.Named(name) {
			return s
		}
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return specs[h.Sum32()%uint32(len(specs))]
}

// fuzzRequests are the canonical requests the decoders answer, one per endpoint type.
var fuzzRequests = map[gateway.EndpointType]string{
	gateway.TypeChat:        `{"messages":[{"role":"user","content":"hello fuzz"}],"max_tokens":16}`,
	gateway.TypeCompletions: `{"prompt":"hello fuzz","max_tokens":16}`,
	gateway.TypeEmbeddings:  `{"input":["hello fuzz","second input"]}`,
}

func fuzzCall(t *testing.T, s *provider.Spec, which uint8, stream bool) *provider.Call {
	t.Helper()
	types := s.Types
	if stream {
		types = s.Streams
	}
	if len(types) == 0 {
		return nil
	}
	typ := types[int(which)%len(types)]
	body := fuzzRequests[typ]
	if stream {
		body = body[:len(body)-1] + `,"stream":true,"stream_options":{"include_usage":true}}`
	}
	req, gerr := llm.Decode(typ, []byte(body))
	if gerr != nil {
		t.Fatalf("canonical %s request refused: %v", typ, gerr)
	}
	return &provider.Call{Type: typ, Model: "fuzz-model", Config: map[string]string{}, Req: req}
}

// hangLimit is how long one input may take before the fuzzer calls it a hang. A decoder is
// linear in its input; the fuzzer's inputs are small, so seconds mean a loop or a quadratic.
const hangLimit = 10 * time.Second

// watchdog crashes the fuzzing process when one input runs past hangLimit: the fuzzer then
// saves the input as a crasher instead of stalling silently. Call the returned func when done.
func watchdog(name string, input []byte) func() {
	timer := time.AfterFunc(hangLimit, func() {
		panic(fmt.Sprintf("%s: a %d-byte input ran past %s", name, len(input), hangLimit))
	})
	return func() { timer.Stop() }
}

// checkError fails unless err is a *gateway.Error an upstream may cause: a provider's garbage
// is never the gateway's internal error and never the caller's fault beyond what the common
// upstream rules allow.
func checkError(t *testing.T, what string, err error) {
	t.Helper()
	var gerr *gateway.Error
	if !errors.As(err, &gerr) {
		t.Fatalf("%s: error %T %v is not a *gateway.Error", what, err, err)
	}
	switch gerr.Code {
	case gateway.CodeUpstream, gateway.CodeRateLimited, gateway.CodeTimeout, gateway.CodeInvalid:
	default:
		t.Fatalf("%s: error code %q (%v) for an upstream answer", what, gerr.Code, err)
	}
	if gerr.Message == "" || len(gerr.Message) > 2048 {
		t.Fatalf("%s: error message of %d bytes", what, len(gerr.Message))
	}
}

// checkResponse requires exactly the response of the call's type, re-encodable to JSON and
// bounded by the input.
func checkResponse(t *testing.T, c *provider.Call, resp *llm.Response, in int) {
	t.Helper()
	set := map[gateway.EndpointType]bool{gateway.TypeChat: resp.Chat != nil,
		gateway.TypeCompletions: resp.Completion != nil, gateway.TypeEmbeddings: resp.Embeddings != nil}
	n := 0
	for _, v := range set {
		if v {
			n++
		}
	}
	if n != 1 || !set[c.Type] {
		t.Fatalf("%s call answered %+v", c.Type, resp)
	}
	out, err := json.Marshal(resp)
	if err != nil {
		t.Fatalf("response does not re-encode: %v", err)
	}
	if len(out) > maxGrowth*in+slack {
		t.Fatalf("%d input bytes gave a %d-byte response", in, len(out))
	}
}

func FuzzProviderResponse(f *testing.F) {
	specs := fuzzProviders()
	f.Add("openai", uint8(0), uint16(200), []byte(`{"choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}`))
	f.Add("anthropic", uint8(0), uint16(529), []byte(`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`))
	f.Fuzz(func(t *testing.T, name string, which uint8, status uint16, body []byte) {
		s := pickProvider(specs, name)
		c := fuzzCall(t, s, which, false)
		defer watchdog(s.Name, body)()
		if status >= 300 {
			code := 300 + int(status)%300 // 3xx-5xx as the transport hands them over
			gerr := s.Translator.Error(c, code, http.Header{"Retry-After": {"7"}}, body)
			if gerr == nil {
				t.Fatalf("%s: HTTP %d mapped to no error", s.Name, code)
			}
			checkError(t, s.Name+" Error", gerr)
			return
		}
		resp, err := s.Translator.Response(c, body)
		if err != nil {
			checkError(t, s.Name+" Response", err)
			return
		}
		if resp == nil {
			t.Fatalf("%s: nil response and nil error", s.Name)
		}
		checkResponse(t, c, resp, len(body))
		_ = resp.Check(c.Req) // the pipeline's answer validation: any verdict, never a panic
	})
}

// streamResult is what a decoder made of a whole stream: its chunks and how it ended.
type streamResult struct {
	Chunks []llm.Chunk
	Err    string
}

// decodeStream feeds data in pieces of size n (0 = whole) then calls End, stopping at the
// first error as the pipeline does.
func decodeStream(t *testing.T, s *provider.Spec, c *provider.Call, data []byte, n int) streamResult {
	t.Helper()
	d := s.Translator.Stream(c)
	var res streamResult
	finish := func(chunks []llm.Chunk, err error, what string) bool {
		res.Chunks = append(res.Chunks, chunks...)
		if err != nil {
			checkError(t, s.Name+" "+what, err)
			res.Err = err.Error()
			return true
		}
		return false
	}
	for len(data) > 0 {
		k := len(data)
		if n > 0 && n < k {
			k = n
		}
		chunks, err := d.Feed(data[:k])
		if finish(chunks, err, "Feed") {
			return res
		}
		data = data[k:]
	}
	chunks, err := d.End()
	finish(chunks, err, "End")
	return res
}

// normalizeChunks drops the fields a decoder may fill from the clock or a counter.
func normalizeChunks(chunks []llm.Chunk) []llm.Chunk {
	out := make([]llm.Chunk, len(chunks))
	for i, c := range chunks {
		c.Created, c.ID = 0, ""
		out[i] = c
	}
	return out
}

func FuzzProviderStream(f *testing.F) {
	specs := fuzzProviders()
	f.Add("openai", uint8(0), uint8(7), []byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}]}\n\ndata: [DONE]\n\n"))
	f.Fuzz(func(t *testing.T, name string, which, split uint8, data []byte) {
		s := pickProvider(specs, name)
		c := fuzzCall(t, s, which, true)
		if c == nil {
			return
		}
		defer watchdog(s.Name, data)()
		whole := decodeStream(t, s, c, data, 0)
		pieces := decodeStream(t, s, c, data, int(split%32)+1)
		if !reflect.DeepEqual(normalizeChunks(whole.Chunks), normalizeChunks(pieces.Chunks)) || whole.Err != pieces.Err {
			t.Fatalf("%s: feeding in pieces of %d changed the result:\nwhole %+v\npieces %+v", s.Name, split%32+1, whole, pieces)
		}
		if len(whole.Chunks) > len(data)+8 {
			t.Fatalf("%s: %d input bytes gave %d chunks", s.Name, len(data), len(whole.Chunks))
		}
		out, err := json.Marshal(whole.Chunks)
		if err != nil {
			t.Fatalf("%s: chunks do not re-encode: %v", s.Name, err)
		}
		if len(out) > maxGrowth*len(data)+slack {
			t.Fatalf("%s: %d input bytes gave %d bytes of chunks", s.Name, len(data), len(out))
		}
		for i := range whole.Chunks {
			ch := &whole.Chunks[i]
			_ = llm.CheckChunk(ch, c.Req) // as the pipeline does before relaying: never a panic
			for _, choice := range ch.Choices {
				if len(choice.ToolCalls) > 0 && !json.Valid(choice.ToolCalls) {
					t.Fatalf("%s: tool call delta %q is not JSON", s.Name, choice.ToolCalls)
				}
			}
		}
	})
}
