package mlflow_test

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/app"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/pipeline/pipelinetest"
)

type endpointObject struct {
	Name         string          `json:"name"`
	EndpointType string          `json:"endpoint_type"`
	Model        map[string]any  `json:"model"`
	EndpointURL  string          `json:"endpoint_url"`
	Limit        json.RawMessage `json:"limit"`
}

type listPage struct {
	Endpoints     []endpointObject `json:"endpoints"`
	NextPageToken *string          `json:"next_page_token"`
}

func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	return v
}

func TestListShowsOnlyPermittedEndpointsWithMLflowFields(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("ann")
	env.Endpoint("chat", gateway.TypeChat, "gpt-4o-mini", func(in *app.EndpointInput) {
		in.RateLimits.CallsPerMinute.Endpoint = 10
	})
	env.Endpoint("hidden", gateway.TypeChat, "m", func(in *app.EndpointInput) { in.Permissions = gateway.Permissions{} })
	env.Endpoint("emb", gateway.TypeEmbeddings, "text-embedding-3-small", nil)

	status, _, body := env.Do("GET", "/api/2.0/endpoints/", key, nil)
	if status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	page := decode[listPage](t, body)
	if page.NextPageToken != nil || strings.Contains(string(body), "next_page_token") {
		t.Fatalf("single page carries a token: %s", body)
	}
	if len(page.Endpoints) != 2 || page.Endpoints[0].Name != "chat" || page.Endpoints[1].Name != "emb" {
		t.Fatalf("listed %s", body)
	}
	chat := page.Endpoints[0]
	if chat.EndpointType != "llm/v1/chat" || chat.Model["name"] != "gpt-4o-mini" || chat.Model["provider"] != "fakeai" ||
		chat.EndpointURL != "/gateway/chat/invocations" {
		t.Fatalf("chat object %+v", chat)
	}
	if string(chat.Limit) != `{"calls":10,"key":null,"renewal_period":"minute"}` || string(page.Endpoints[1].Limit) != "null" {
		t.Fatalf("limits %s / %s", chat.Limit, page.Endpoints[1].Limit)
	}

	status, _, one := env.Do("GET", "/api/2.0/endpoints/chat", key, nil)
	if status != 200 || !reflect.DeepEqual(decode[endpointObject](t, one), chat) {
		t.Fatalf("get differs from list element: %d %s", status, one)
	}
	status, _, v3 := env.Do("GET", "/api/3.0/gateway/endpoint/chat", key, nil)
	if status != 200 || !reflect.DeepEqual(decode[endpointObject](t, v3), chat) {
		t.Fatalf("3.0 get: %d %s", status, v3)
	}
	status, _, admin := env.Do("GET", "/api/2.0/endpoints/", env.AdminKey, nil)
	if status != 200 || len(decode[listPage](t, admin).Endpoints) != 3 {
		t.Fatalf("admin sees all: %s", admin)
	}
}

func TestDiscoveryErrors(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("bob")
	env.Endpoint("hidden", gateway.TypeChat, "m", func(in *app.EndpointInput) { in.Permissions = gateway.Permissions{} })
	cases := []struct {
		path, key string
		status    int
	}{
		{"/api/2.0/endpoints/missing", key, 404},
		{"/api/2.0/endpoints/hidden", key, 403},
		{"/api/2.0/endpoints/", "", 401},
		{"/api/2.0/endpoints/?page_token=not-base64!", key, 400},
		{"/api/2.0/endpoints/?page_token=" + base64.StdEncoding.EncodeToString([]byte(`{"index": -1}`)), key, 400},
		{"/api/2.0/endpoints/limits/hidden", key, 501},
		{"/api/2.0/gateway/limits/hidden", key, 501},
	}
	for _, c := range cases {
		status, hdr, body := env.Do("GET", c.path, c.key, nil)
		detail, _ := decode[map[string]any](t, body)["detail"].(string)
		if status != c.status || detail == "" || hdr.Get("Content-Type") != "application/json" {
			t.Errorf("GET %s: %d %s, want %d with a detail", c.path, status, body, c.status)
		}
	}
	if status, _, body := env.Do("POST", "/api/2.0/endpoints/limits", key, "{}"); status != 501 {
		t.Errorf("POST limits: %d %s", status, body)
	}
}

func TestPagingFollowsTokensAndEndsWithoutOne(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{PageSize: 2})
	_, key := env.User("cy")
	var want []string
	for i := range 5 {
		name := "ep" + strconv.Itoa(i)
		env.Endpoint(name, gateway.TypeChat, "m", nil)
		want = append(want, name)
	}
	var got []string
	path := "/api/2.0/endpoints/"
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		status, _, body := env.Do("GET", path, key, nil)
		if status != 200 {
			t.Fatalf("%s: %d %s", path, status, body)
		}
		page := decode[listPage](t, body)
		for _, e := range page.Endpoints {
			got = append(got, e.Name)
		}
		if page.NextPageToken == nil {
			break
		}
		idx, _ := base64.StdEncoding.DecodeString(*page.NextPageToken)
		if !strings.Contains(string(idx), `"index"`) {
			t.Fatalf("token %q is not MLflow's {\"index\": N}", idx)
		}
		path = "/api/2.0/endpoints/?page_token=" + *page.NextPageToken
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("paged %v, want %v", got, want)
	}
	status, _, body := env.Do("GET", "/api/2.0/gateway/routes/", key, nil)
	routes := decode[map[string]any](t, body)
	first := routes["routes"].([]any)[0].(map[string]any)
	if status != 200 || first["route_type"] != "llm/v1/chat" || first["route_url"] != "/gateway/ep0/invocations" || routes["next_page_token"] == nil {
		t.Fatalf("legacy routes: %d %s", status, body)
	}
}

func TestInvocationsForEveryType(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("dee")
	env.Endpoint("chat", gateway.TypeChat, "gpt", nil)
	env.Endpoint("completions", gateway.TypeCompletions, "instruct", nil)
	env.Endpoint("embeddings", gateway.TypeEmbeddings, "emb", nil)

	for _, path := range []string{"/endpoints/chat/invocations", "/gateway/chat/invocations"} {
		status, _, body := env.Do("POST", path, key, map[string]any{
			"messages": []map[string]string{{"role": "user", "content": "hi", "name": "dee"}}, "top_p": 0.5, "user": "u1"})
		if status != 200 || decode[map[string]any](t, body)["object"] != "chat.completion" {
			t.Fatalf("%s: %d %s", path, status, body)
		}
	}
	up := env.Upstream.Requests()[0]
	if up.Body["top_p"] != 0.5 || up.Body["user"] != "u1" || up.Body["model"] != "gpt" {
		t.Fatalf("extras not forwarded or model not the endpoint's: %v", up.Body)
	}
	if _, ok := up.Body["temperature"]; ok {
		t.Fatalf("omitted temperature was forwarded: %v", up.Body)
	}

	status, _, body := env.Do("POST", "/endpoints/completions/invocations", key, map[string]any{"prompt": "One small step for", "max_tokens": 8})
	c := decode[map[string]any](t, body)
	if status != 200 || c["object"] != "text_completion" || c["choices"].([]any)[0].(map[string]any)["text"] != "echo: One small step for" {
		t.Fatalf("completions: %d %s", status, body)
	}

	status, _, body = env.Do("POST", "/endpoints/embeddings/invocations", key, map[string]any{"input": []string{"alpha", "be"}, "input_type": "search_document"})
	emb := decode[struct {
		Object string
		Data   []struct {
			Index     int
			Embedding []float64
		}
	}](t, body)
	if status != 200 || emb.Object != "list" || len(emb.Data) != 2 || emb.Data[0].Index != 0 || emb.Data[1].Embedding[0] != 2 {
		t.Fatalf("embeddings: %d %s", status, body)
	}
	status, _, body = env.Do("POST", "/endpoints/embeddings/invocations", key, map[string]any{"input": "alpha"})
	if status != 200 || len(decode[struct{ Data []any }](t, body).Data) != 1 {
		t.Fatalf("bare string input: %d %s", status, body)
	}
	if status, _, body := env.Do("POST", "/endpoints/missing/invocations", key, chatBody()); status != 404 {
		t.Fatalf("unknown endpoint: %d %s", status, body)
	}
}

func chatBody() map[string]any {
	return map[string]any{"messages": []map[string]string{{"role": "user", "content": "hi"}}}
}

func TestValidationErrorsAreFastAPIShaped(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("eve")
	env.Endpoint("chat", gateway.TypeChat, "m", nil)
	env.Endpoint("emb", gateway.TypeEmbeddings, "m", nil)
	cases := []struct {
		path string
		body map[string]any
		loc  []any
	}{
		{"/endpoints/chat/invocations", map[string]any{"messages": []map[string]string{{"role": "user", "content": "x"}}, "temperature": 2.5}, []any{"body", "temperature"}},
		{"/endpoints/chat/invocations", map[string]any{"messages": []map[string]string{{"role": "user", "content": "x"}}, "n": 0}, []any{"body", "n"}},
		{"/endpoints/chat/invocations", map[string]any{"messages": []map[string]string{{"content": "x"}}}, []any{"body", "messages", 0.0, "role"}},
		{"/endpoints/chat/invocations", map[string]any{"messages": []any{}}, []any{"body", "messages"}},
		{"/endpoints/emb/invocations", chatBody(), []any{"body", "input"}},
	}
	for _, c := range cases {
		status, _, body := env.Do("POST", c.path, key, c.body)
		var v struct {
			Detail []struct {
				Loc []any
				Msg string
			}
		}
		if status != 422 || json.Unmarshal(body, &v) != nil || len(v.Detail) != 1 || !reflect.DeepEqual(v.Detail[0].Loc, c.loc) || v.Detail[0].Msg == "" {
			t.Errorf("%v: %d %s, want 422 at %v", c.body, status, body, c.loc)
		}
	}
	if n := len(env.AccessEvents("chat")); n != 4 {
		t.Fatalf("want 4 audited bad requests, got %d", n)
	}
	if ev := env.AccessEvents("emb")[0]; ev.Metadata["outcome"] != "bad_request" || ev.Metadata["httpStatus"] != "422" {
		t.Fatalf("audited as %v", ev.Metadata)
	}
	if status, _, body := env.Do("POST", "/endpoints/chat/invocations", key, map[string]any{
		"messages": []map[string]string{{"role": "user", "content": "x"}}, "temperature": 2}); status != 200 {
		t.Fatalf("temperature 2: %d %s", status, body)
	}
}

func TestRateLimitBodyHasErrorKeyAndRetryAfter(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("fay")
	env.Endpoint("one", gateway.TypeChat, "m", func(in *app.EndpointInput) { in.RateLimits.CallsPerMinute.Endpoint = 1 })
	env.Do("POST", "/endpoints/one/invocations", key, chatBody())
	status, hdr, body := env.Do("POST", "/endpoints/one/invocations", key, chatBody())
	v := decode[map[string]string](t, body)
	if status != 429 || !strings.HasPrefix(v["error"], "Rate limit exceeded: 1 per 1 minute") || hdr.Get("Retry-After") == "" {
		t.Fatalf("%d %v %s", status, hdr, body)
	}
}

func TestStreamingCompletionsUsesDeltaContent(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("gus")
	env.Endpoint("completions", gateway.TypeCompletions, "m", nil)
	status, hdr, body := env.Do("POST", "/endpoints/completions/invocations", key, map[string]any{"prompt": "hello there", "stream": true})
	if status != 200 || hdr.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("%d %s", status, body)
	}
	var text strings.Builder
	for _, frame := range strings.Split(strings.TrimSpace(string(body)), "\n\n") {
		data, ok := strings.CutPrefix(frame, "data: ")
		if !ok || data == "[DONE]" {
			t.Fatalf("frame %q is not an MLflow data frame", frame)
		}
		var c struct {
			Object  string
			Choices []struct {
				Delta struct{ Content *string }
			}
		}
		if err := json.Unmarshal([]byte(data), &c); err != nil || c.Object != "text_completion_chunk" {
			t.Fatalf("chunk %s", data)
		}
		if c.Choices[0].Delta.Content != nil {
			text.WriteString(*c.Choices[0].Delta.Content)
		}
	}
	if text.String() != "echo: hello there" {
		t.Fatalf("streamed text %q", text.String())
	}
}

func TestBasePathServesEveryRoute(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{BasePath: "/mlflow-deployments"})
	_, key := env.User("hal")
	env.Endpoint("chat", gateway.TypeChat, "m", nil)
	for _, c := range []struct{ method, path string }{
		{"GET", "/mlflow-deployments/api/2.0/endpoints/"},
		{"GET", "/mlflow-deployments/api/2.0/endpoints/chat"},
		{"POST", "/mlflow-deployments/endpoints/chat/invocations"},
		{"GET", "/mlflow-deployments/health"},
		{"POST", "/endpoints/chat/invocations"},
	} {
		var body any
		if c.method == "POST" {
			body = chatBody()
		}
		if status, _, b := env.Do(c.method, c.path, key, body); status != 200 {
			t.Errorf("%s %s: %d %s", c.method, c.path, status, b)
		}
	}
}

// Issue 10 finding 10 on the MLflow surface: the same caps answer FastAPI's 422 with the loc.
func TestInputCapsAre422WithLocation(t *testing.T) {
	env := pipelinetest.New(t, pipelinetest.Options{})
	_, key := env.User("ivy")
	env.Endpoint("chat", gateway.TypeChat, "m", nil)
	env.Endpoint("emb", gateway.TypeEmbeddings, "m", nil)
	inputs := make([]string, 2049)
	for i := range inputs {
		inputs[i] = "x"
	}
	cases := []struct {
		path string
		body any
		loc  []any
		msg  string
	}{
		{"/endpoints/chat/invocations", map[string]any{"messages": []map[string]string{{"role": "user", "content": "x"}}, "n": 129}, []any{"body", "n"}, "less than or equal to 128"},
		{"/endpoints/chat/invocations", map[string]any{"messages": []map[string]string{{"role": "wizard", "content": "x"}}}, []any{"body", "messages", 0.0, "role"}, "'system', 'user'"},
		{"/endpoints/emb/invocations", map[string]any{"input": inputs}, []any{"body", "input"}, "at most 2048 items"},
		{"/endpoints/chat/invocations", `{"messages": [}`, []any{"body"}, "Invalid JSON at offset 14"},
		{"/endpoints/chat/invocations", `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}},{"type":"retrieval"}]}`,
			[]any{"body", "tools", 1.0}, `Input should be {"type":"function"`},
		{"/endpoints/chat/invocations", `{"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"function"}}`, []any{"body", "tool_choice"}, "Input should be"},
	}
	for _, c := range cases {
		status, _, body := env.Do("POST", c.path, key, c.body)
		var v struct {
			Detail []struct {
				Loc []any
				Msg string
			}
		}
		if status != 422 || json.Unmarshal(body, &v) != nil || len(v.Detail) != 1 || !reflect.DeepEqual(v.Detail[0].Loc, c.loc) || !strings.Contains(v.Detail[0].Msg, c.msg) {
			t.Errorf("%v: %d %s, want 422 at %v with %q", c.body, status, body, c.loc, c.msg)
		}
	}
	if n := len(env.Upstream.Requests()); n != 0 {
		t.Fatalf("%d refused requests reached the provider", n)
	}
}
