package pipeline_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/api/openai"
	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/pipeline"
	"github.com/llmgate/llmgate/pipeline/pipelinetest"
	"github.com/llmgate/llmgate/provider"
	openaiprovider "github.com/llmgate/llmgate/provider/openai"
)

// framesSink is a recorder that keeps each Frame call's bytes apart.
type framesSink struct {
	recorder
	each []string
}

func (f *framesSink) Frame(p []byte) error {
	f.each = append(f.each, string(p))
	return f.recorder.Frame(p)
}

// piecesBody answers each Read with the next piece whole, as a socket does with what arrived.
type piecesBody struct{ pieces []string }

func (b *piecesBody) Read(p []byte) (int, error) {
	if len(b.pieces) == 0 {
		return 0, io.EOF
	}
	n := copy(p, b.pieces[0])
	b.pieces[0] = b.pieces[0][n:]
	if b.pieces[0] == "" {
		b.pieces = b.pieces[1:]
	}
	return n, nil
}

func (b *piecesBody) Close() error { return nil }

// streamEnv is a pipeline with user's key and an endpoint "chat" on the real OpenAI provider,
// whose upstream answers every call with a stream arriving in reads (one Read each).
func streamEnv(tb testing.TB, user string, reads ...string) (*pipelinetest.Env, string) {
	upstream := func(context.Context, *provider.HTTPRequest) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"text/event-stream"}},
			Body: &piecesBody{pieces: append([]string(nil), reads...)}}, nil
	}
	env := pipelinetest.New(tb, pipelinetest.Options{Providers: []*provider.Spec{openaiprovider.Spec},
		Pipeline: pipeline.Options{Transport: upstream}})
	_, key := env.User(user)
	env.Endpoint("chat", gateway.TypeChat, "gpt-4o-mini", func(in *app.EndpointInput) {
		in.Provider = "openai"
		in.Config = map[string]app.ConfigValue{openaiprovider.KeyAPIKey: {Value: pipelinetest.UpstreamKey}}
	})
	return env, key
}

// TestStreamSendsItsFirstEventAloneThenEachReadInOneFrame: through the real OpenAI provider,
// whose decoder hands events over one by one, the stream's first event is written and flushed
// on its own as soon as it is translated, even though the same upstream read brought two more;
// those two then go out together in one Frame. The second read's text (what the credential
// scrubber held back until the choice finished) goes out with that read, the finish with the
// usage behind it at the end of the upstream stream, and the end marker last, once the event is
// durable. The client reads every piece of text once, in order.
func TestStreamSendsItsFirstEventAloneThenEachReadInOneFrame(t *testing.T) {
	event := func(delta string) string {
		return `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":` + delta + `,"finish_reason":null}]}` + "\n\n"
	}
	reads := []string{
		event(`{"role":"assistant","content":"hel"}`) + event(`{"content":"lo "}`) + event(`{"content":"world"}`),
		`data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n" +
			`data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":3,"total_tokens":6}}` + "\n\n" +
			"data: [DONE]\n\n",
	}
	env, key := streamEnv(t, "ada", reads...)
	q := pipeline.Query{Surface: openai.Surface{}, Type: gateway.TypeChat, Caller: app.Caller{APIKey: key},
		Body: body(`{"model":"chat","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`)}
	var out framesSink
	if res := env.Pipeline.Serve(context.Background(), q, &out); res.Outcome != gateway.OutcomeSuccess {
		t.Fatalf("result %+v, error %v", res, out.err)
	}
	if len(out.each) != 5 {
		t.Fatalf("%d Frame calls, want 5 (first event, rest of its read, second read, finish, end): %q", len(out.each), out.each)
	}
	frames := func(s string) int { return strings.Count(s, "data: ") }
	first, rest, finish, end := out.each[0], out.each[1], out.each[3], out.each[4]
	switch {
	case frames(first) != 1 || !strings.Contains(first, `"role":"assistant"`):
		t.Fatalf("first Frame %q, want the first event alone", first)
	case frames(rest) != 2 || strings.Contains(rest, `"role"`) || strings.Contains(rest, "finish_reason\":\"stop"):
		t.Fatalf("second Frame %q, want the other two events of the first read", rest)
	case frames(out.each[2]) != 1 || strings.Contains(out.each[2], "finish_reason\":\"stop"):
		t.Fatalf("third Frame %q, want the text the second read completed", out.each[2])
	case !strings.Contains(finish, `"finish_reason":"stop"`) || !strings.Contains(finish, `"total_tokens":6`):
		t.Fatalf("fourth Frame %q, want the finish and the usage", finish)
	case end != "data: [DONE]\n\n":
		t.Fatalf("last Frame %q, want the end marker", end)
	}
	var text strings.Builder
	for _, f := range strings.Split(out.frames.String(), "\n\n") {
		if _, after, ok := strings.Cut(f, `"content":"`); ok {
			text.WriteString(after[:strings.IndexByte(after, '"')])
		}
	}
	if text.String() != "hello world" {
		t.Fatalf("the client read %q, want every piece of text once, in order", text.String())
	}
}
