package openai_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/pipeline/pipelinetest"
)

type openAIError struct {
	Error struct {
		Message string
		Type    string
		Param   *string
		Code    *string
	}
}

func chat(model string, extra map[string]any) map[string]any {
	b := map[string]any{"model": model, "messages": []map[string]string{{"role": "user", "content": "hi there"}}}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

func TestChatCompletionsRoutesByModelAndNeverForwardsIt(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("ann")
	env.Endpoint("my-chat", gateway.TypeChat, "gpt-4o-mini", nil)
	status, _, body := env.Do("POST", "/v1/chat/completions", key, chat("my-chat", map[string]any{"stop": "END"}))
	var resp struct {
		Object  string
		Choices []struct{ Message struct{ Content string } }
	}
	if status != 200 || json.Unmarshal(body, &resp) != nil || resp.Object != "chat.completion" || resp.Choices[0].Message.Content != "echo: hi there" {
		t.Fatalf("%d %s", status, body)
	}
	up := env.Upstream.Requests()[0]
	if up.Model != "gpt-4o-mini" {
		t.Fatalf("upstream model %q, want the endpoint's model", up.Model)
	}
	if stop, _ := up.Body["stop"].([]any); len(stop) != 1 || stop[0] != "END" {
		t.Fatalf("bare-string stop not forwarded as a list: %v", up.Body["stop"])
	}
	if ev := env.AccessEvents("my-chat"); len(ev) != 1 || ev[0].Metadata["api"] != "openai" {
		t.Fatalf("audit %+v", ev)
	}
}

func TestErrorsUseOpenAIEnvelope(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("bob")
	env.Endpoint("emb", gateway.TypeEmbeddings, "m", nil)
	env.Endpoint("private", gateway.TypeChat, "m", func(in *app.EndpointInput) { in.Permissions = gateway.Permissions{} })
	env.Endpoint("chat", gateway.TypeChat, "m", nil)
	cases := []struct {
		name    string
		key     string
		body    any
		status  int
		errType string
		param   string
	}{
		{"unknown model", key, chat("nope", nil), 400, "invalid_request_error", ""},
		{"wrong type", key, chat("emb", nil), 400, "invalid_request_error", ""},
		{"missing model", key, map[string]any{"messages": []any{}}, 400, "invalid_request_error", "model"},
		{"forbidden", key, chat("private", nil), 403, "permission_error", ""},
		{"no key", "", chat("chat", nil), 401, "authentication_error", ""},
		{"bad temperature", key, chat("chat", map[string]any{"temperature": 3}), 400, "invalid_request_error", "temperature"},
		{"not json", key, "{", 400, "invalid_request_error", ""},
	}
	for _, c := range cases {
		status, _, body := env.Do("POST", "/v1/chat/completions", c.key, c.body)
		var e openAIError
		if status != c.status || json.Unmarshal(body, &e) != nil || e.Error.Type != c.errType || e.Error.Message == "" {
			t.Errorf("%s: %d %s", c.name, status, body)
			continue
		}
		if c.param != "" && (e.Error.Param == nil || *e.Error.Param != c.param) {
			t.Errorf("%s: param %v, want %q", c.name, e.Error.Param, c.param)
		}
	}
	_, _, body := env.Do("POST", "/v1/chat/completions", key, chat("emb", nil))
	if !strings.Contains(string(body), "Endpoint 'emb' is not a chat endpoint.") {
		t.Errorf("type mismatch message: %s", body)
	}
}

func TestModelsListsPermittedEndpoints(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("cy")
	env.Endpoint("visible", gateway.TypeChat, "m", nil)
	env.Endpoint("private", gateway.TypeChat, "m", func(in *app.EndpointInput) { in.Permissions = gateway.Permissions{} })
	status, _, body := env.Do("GET", "/v1/models", key, nil)
	var list struct {
		Object string
		Data   []struct{ ID, Object string }
	}
	if status != 200 || json.Unmarshal(body, &list) != nil || list.Object != "list" || len(list.Data) != 1 || list.Data[0].ID != "visible" {
		t.Fatalf("%d %s", status, body)
	}
	if status, _, _ := env.Do("GET", "/v1/models/private", key, nil); status != 404 {
		t.Fatalf("private model visible: %d", status)
	}
	if status, _, _ := env.Do("GET", "/v1/models/visible", key, nil); status != 200 {
		t.Fatalf("get model: %d", status)
	}
}

// streamFrames splits an SSE body into its data payloads.
func streamFrames(t *testing.T, body []byte) []string {
	t.Helper()
	var out []string
	for _, frame := range strings.Split(strings.TrimSpace(string(body)), "\n\n") {
		data, ok := strings.CutPrefix(frame, "data: ")
		if !ok {
			t.Fatalf("frame %q is not a data frame", frame)
		}
		out = append(out, data)
	}
	return out
}

func TestStreamingHonoursIncludeUsage(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("dee")
	env.Endpoint("chat", gateway.TypeChat, "m", nil)
	for _, include := range []bool{true, false} {
		extra := map[string]any{"stream": true}
		if include {
			extra["stream_options"] = map[string]any{"include_usage": true}
		}
		status, _, body := env.Do("POST", "/v1/chat/completions", key, chat("chat", extra))
		frames := streamFrames(t, body)
		if status != 200 || frames[len(frames)-1] != "[DONE]" {
			t.Fatalf("include=%v: %d %s", include, status, body)
		}
		var usageFrames int
		var text strings.Builder
		for _, f := range frames[:len(frames)-1] {
			var c struct {
				Object  string
				Choices []struct{ Delta struct{ Content string } }
				Usage   *struct {
					TotalTokens int `json:"total_tokens"`
				}
			}
			if err := json.Unmarshal([]byte(f), &c); err != nil || c.Object != "chat.completion.chunk" {
				t.Fatalf("chunk %s", f)
			}
			if c.Usage != nil {
				usageFrames++
				if len(c.Choices) != 0 || c.Usage.TotalTokens != 5 {
					t.Fatalf("usage frame %s", f)
				}
			}
			for _, ch := range c.Choices {
				text.WriteString(ch.Delta.Content)
			}
		}
		if want := map[bool]int{true: 1, false: 0}[include]; usageFrames != want {
			t.Fatalf("include=%v: %d usage frames", include, usageFrames)
		}
		if text.String() != "echo: hi there" {
			t.Fatalf("text %q", text.String())
		}
	}
	for _, ev := range env.AccessEvents("chat") {
		if ev.Metadata["totalTokens"] != "5" || ev.Metadata["stream"] != "true" {
			t.Fatalf("stream usage not audited: %v", ev.Metadata)
		}
	}
}

func TestLegacyCompletionsStreamAndEmbeddings(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("eve")
	env.Endpoint("instruct", gateway.TypeCompletions, "m", nil)
	env.Endpoint("emb", gateway.TypeEmbeddings, "m", nil)
	status, _, body := env.Do("POST", "/v1/completions", key, map[string]any{"model": "instruct", "prompt": "a b", "stream": true})
	frames := streamFrames(t, body)
	if status != 200 || !strings.Contains(frames[0], `"object":"text_completion"`) || !strings.Contains(frames[0], `"text":"echo:"`) {
		t.Fatalf("%d %s", status, body)
	}
	status, _, body = env.Do("POST", "/v1/embeddings", key, map[string]any{"model": "emb", "input": []string{"x", "yy"}})
	if status != 200 || !strings.Contains(string(body), `"object":"list"`) {
		t.Fatalf("%d %s", status, body)
	}
}

func TestUpstreamFailureMidStreamSendsErrorFrame(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("fay")
	env.Endpoint("drop", gateway.TypeChat, pipelinetest.ModelDrop, nil)
	status, _, body := env.Do("POST", "/v1/chat/completions", key, chat("drop", map[string]any{"stream": true}))
	frames := streamFrames(t, body)
	last := frames[len(frames)-1]
	if status != 200 || !strings.HasPrefix(last, `{"error":`) {
		t.Fatalf("%d %s", status, body)
	}
}

func manyStrings(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "a"
	}
	return out
}

// Issue 10 finding 10: oversized or nonsensical input is refused with a 400 naming the field,
// never forwarded; malformed JSON says what is wrong and where.
func TestInputCapsAndPreciseErrors(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("ivy")
	env.Endpoint("chat", gateway.TypeChat, "m", nil)
	env.Endpoint("emb", gateway.TypeEmbeddings, "m", nil)
	cases := []struct {
		name, path string
		body       any
		param, msg string
	}{
		{"n", "/v1/chat/completions", chat("chat", map[string]any{"n": 10000}), "n", "Invalid 'n': Input should be less than or equal to 128"},
		{"max_tokens", "/v1/chat/completions", chat("chat", map[string]any{"max_tokens": 1e12}), "max_tokens", "Invalid 'max_tokens'"},
		{"role", "/v1/chat/completions", map[string]any{"model": "chat", "messages": []map[string]string{{"role": "wizard", "content": "x"}}},
			"messages.0.role", "Invalid 'messages.0.role': Input should be 'system', 'user', 'assistant', 'tool' or 'developer'"},
		{"embedding inputs", "/v1/embeddings", map[string]any{"model": "emb", "input": manyStrings(200000)}, "input", "at most 2048 items, not 200000"},
		{"temperature type", "/v1/chat/completions", chat("chat", map[string]any{"temperature": "hot"}), "temperature", "Invalid 'temperature': Input should be a valid number"},
		{"model type", "/v1/chat/completions", chat("", map[string]any{"model": 5}), "model", "model is required and must be a string"},
		{"syntax", "/v1/chat/completions", `{"model": "chat", "messages": [}`, "", "Invalid JSON at offset 31: invalid character '}'"},
		{"truncated", "/v1/embeddings", `{"model": "emb", "input": "ab`, "", "Invalid JSON at offset 29: unexpected end of JSON input"},
		{"not an object", "/v1/chat/completions", `["chat"]`, "", "Request body must be a JSON object"},
		{"tool without a name", "/v1/chat/completions", chat("chat", map[string]any{"tools": []any{map[string]any{"type": "function", "function": map[string]any{}}}}),
			"tools.0", `Invalid 'tools.0': Input should be {"type":"function","function":{"name":...}}`},
		{"tool call arguments", "/v1/chat/completions", `{"model":"chat","messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"[1]"}}]}]}`,
			"messages.1.tool_calls.0", "function.arguments should be a JSON object in a string"},
		{"tool_choice", "/v1/chat/completions", chat("chat", map[string]any{"tool_choice": "sometimes"}), "tool_choice", "Input should be 'auto', 'required' or 'none'"},
		{"response_format", "/v1/chat/completions", chat("chat", map[string]any{"response_format": map[string]any{"type": "yaml"}}), "response_format", "type should be"},
	}
	for _, c := range cases {
		status, _, body := env.Do("POST", c.path, key, c.body)
		var e openAIError
		if status != 400 || json.Unmarshal(body, &e) != nil || e.Error.Type != "invalid_request_error" || !strings.Contains(e.Error.Message, c.msg) {
			t.Errorf("%s: %d %s, want 400 with %q", c.name, status, body, c.msg)
			continue
		}
		if (c.param == "") != (e.Error.Param == nil) || (c.param != "" && *e.Error.Param != c.param) {
			t.Errorf("%s: param %v, want %q", c.name, e.Error.Param, c.param)
		}
	}
	if n := len(env.Upstream.Requests()); n != 0 {
		t.Fatalf("%d refused requests reached the provider", n)
	}
}
