package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/internal/e2e"
	"github.com/llmgate/llmgate/provider/registry"
)

// Databricks Model Serving is the OpenAI wire under {workspace}/serving-endpoints. The Python
// matrix drives it through the MLflow client; these tests add the Go-side checks of its
// routes, token and stream framing.
// databricksPaths are the upstream routes Databricks serves each endpoint type on.
var databricksPaths = map[gateway.EndpointType]string{
	gateway.TypeChat:        "/serving-endpoints/chat/completions",
	gateway.TypeCompletions: "/serving-endpoints/completions",
	gateway.TypeEmbeddings:  "/serving-endpoints/embeddings",
}

// databricksSetup starts a fake and a gateway, creates a user and returns its key.
func databricksSetup(t *testing.T) (*e2e.Fake, *e2e.Gateway, string) {
	t.Helper()
	fake := e2e.StartFake(t, fakeupstream.Options{})
	g := e2e.Start(t, e2e.Options{})
	_, key := g.CreateUser(t, "matrix", false)
	return fake, g, key
}

// databricksEndpoint creates an endpoint with MLflow's Databricks keys pointing at fake.
func databricksEndpoint(t *testing.T, g *e2e.Gateway, fake *e2e.Fake, name string, typ gateway.EndpointType, model string) {
	t.Helper()
	g.CreateEndpoint(t, map[string]any{
		"endpointName":  name,
		"endpointType":  string(typ),
		"modelProvider": "databricks",
		"modelName":     model,
		"modelConfig": map[string]any{
			"databricks_workspace_url": fake.URL,
			"databricks_api_token":     fakeupstream.DefaultKey("databricks"),
		},
		"endpointPermissions": map[string]any{"isEveryoneAllowed": true, "userIds": []string{}},
	})
}

// invoke posts body to the MLflow invocations route as the user with key.
func invoke(t *testing.T, g *e2e.Gateway, key, name string, body any) *e2e.Response {
	t.Helper()
	return e2e.Do(t, g.URL, "POST", "/endpoints/"+name+"/invocations", map[string]string{"Authorization": "Bearer " + key}, body)
}

// requestBody is an MLflow request of type typ; stream asks for an SSE answer with usage.
func requestBody(typ gateway.EndpointType, prompt string, stream bool) map[string]any {
	var body map[string]any
	switch typ {
	case gateway.TypeChat:
		body = map[string]any{"messages": []map[string]string{{"role": "user", "content": prompt}}}
	case gateway.TypeCompletions:
		body = map[string]any{"prompt": prompt}
	default:
		body = map[string]any{"input": []string{prompt, "second input"}}
	}
	if stream {
		body["stream"] = true
		body["stream_options"] = map[string]bool{"include_usage": true}
	}
	return body
}

// upstreamCall returns the fake's only record of model on path, failing unless it carried
// the stored credential and was answered completely.
func upstreamCall(t *testing.T, fake *e2e.Fake, path, model string) fakeupstream.Request {
	t.Helper()
	var found []fakeupstream.Request
	for _, r := range fake.Requests() {
		if r.Path == path && r.Model == model {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one upstream call of %s on %s, got %d: %+v", model, path, len(found), fake.Requests())
	}
	r := found[0]
	if r.Provider != "databricks" || r.Credential != fakeupstream.DefaultKey("databricks") || !r.Authorized || r.Status != http.StatusOK {
		t.Fatalf("upstream call %+v: want the stored Databricks token, authorized, 200", r)
	}
	return r
}

func TestDatabricksPredictEveryType(t *testing.T) {
	fake, g, key := databricksSetup(t)
	for _, typ := range registry.Default().Lookup("databricks").Types {
		t.Run(short(typ), func(t *testing.T) {
			name, model := "dbx-"+short(typ), "dbx-model-"+short(typ)
			databricksEndpoint(t, g, fake, name, typ, model)
			prompt := "hello databricks " + short(typ)
			r := invoke(t, g, key, name, requestBody(typ, prompt, false))
			if r.Status != http.StatusOK {
				t.Fatalf("invoke: %d %s", r.Status, r.Body)
			}
			checkPrediction(t, typ, r, prompt)
			upstreamCall(t, fake, databricksPaths[typ], model)
		})
	}
}

// prediction is the union of MLflow's chat, completions and embeddings responses.
type prediction struct {
	Object  string `json:"object"`
	Choices []struct {
		Message struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"message"`
		Text         string `json:"text"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Data []struct {
		Index     int       `json:"index"`
		Embedding []float64 `json:"embedding"`
	} `json:"data"`
	Usage map[string]*int64 `json:"usage"`
}

func checkPrediction(t *testing.T, typ gateway.EndpointType, r *e2e.Response, prompt string) {
	t.Helper()
	var p prediction
	r.JSON(t, &p)
	if typ == gateway.TypeEmbeddings {
		inputs := []string{prompt, "second input"}
		if p.Object != "list" || len(p.Data) != len(inputs) {
			t.Fatalf("embeddings answer %s", r.Body)
		}
		for i, d := range p.Data {
			if d.Index != i || !sameVector(d.Embedding, fakeupstream.Embedding(inputs[i])) {
				t.Fatalf("data[%d] = %+v, want index %d and the fake's vector of %q", i, d, i, inputs[i])
			}
		}
		return
	}
	want, text := map[gateway.EndpointType]string{gateway.TypeChat: "chat.completion", gateway.TypeCompletions: "text_completion"}[typ], ""
	if p.Object != want || len(p.Choices) != 1 {
		t.Fatalf("answer %s, want one choice of %s", r.Body, want)
	}
	if text = p.Choices[0].Text; typ == gateway.TypeChat {
		text = p.Choices[0].Message.Content
	}
	if text != fakeupstream.Reply(prompt) || p.Choices[0].FinishReason != "stop" {
		t.Fatalf("answer %s, want %q finished by stop", r.Body, fakeupstream.Reply(prompt))
	}
	checkUsage(t, p.Usage, text)
}

func sameVector(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if d := a[i] - b[i]; d > 1e-9 || d < -1e-9 {
			return false
		}
	}
	return true
}

// checkUsage requires the three counts, consistent, with the fake's word count as completion.
func checkUsage(t *testing.T, usage map[string]*int64, completion string) {
	t.Helper()
	p, c, total := usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]
	if p == nil || c == nil || total == nil || *total != *p+*c || *c != fakeupstream.Tokens(completion) {
		t.Fatalf("usage %v for completion %q", usage, completion)
	}
}

// streamChunk is an MLflow or OpenAI chat/completions chunk.
type streamChunk struct {
	Object  string `json:"object"`
	Choices []struct {
		Delta struct {
			Content *string `json:"content"`
		} `json:"delta"`
		Text         string  `json:"text"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage map[string]*int64 `json:"usage"`
}

// sseChunks parses an SSE body as the Databricks client does: every non-blank line must be
// "data: <json>". mlflowFraming forbids the [DONE] terminator.
func sseChunks(t *testing.T, body []byte, mlflowFraming bool) []streamChunk {
	t.Helper()
	var out []streamChunk
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			t.Fatalf("stream line %q is not a data line", line)
		}
		if data == "[DONE]" {
			if mlflowFraming {
				t.Fatalf("MLflow framing has no [DONE]")
			}
			continue
		}
		var c streamChunk
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			t.Fatalf("stream line %q: %v", line, err)
		}
		out = append(out, c)
	}
	return out
}

// streamText reassembles the text and finish reasons of chunks and returns the usage of the
// last chunk, failing when usage appears anywhere else.
func streamText(t *testing.T, chunks []streamChunk, object string) (text string, finishes []string, usage map[string]*int64) {
	t.Helper()
	for i, c := range chunks {
		if c.Object != object {
			t.Fatalf("chunk %d object %q, want %q", i, c.Object, object)
		}
		if c.Usage != nil && i != len(chunks)-1 {
			t.Fatalf("usage in chunk %d of %d", i, len(chunks))
		}
		for _, ch := range c.Choices {
			if ch.Delta.Content != nil {
				text += *ch.Delta.Content
			}
			text += ch.Text
			if ch.FinishReason != nil {
				finishes = append(finishes, *ch.FinishReason)
			}
		}
	}
	if len(chunks) > 0 {
		usage = chunks[len(chunks)-1].Usage
	}
	return text, finishes, usage
}

func TestDatabricksStreams(t *testing.T) {
	fake, g, key := databricksSetup(t)
	for _, typ := range registry.Default().Lookup("databricks").Streams {
		t.Run(short(typ), func(t *testing.T) {
			name, model := "dbx-stream-"+short(typ), "dbx-stream-model-"+short(typ)
			databricksEndpoint(t, g, fake, name, typ, model)
			prompt := "stream databricks " + short(typ)

			r := invoke(t, g, key, name, requestBody(typ, prompt, true))
			if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/event-stream") {
				t.Fatalf("MLflow stream: %d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
			}
			object := map[gateway.EndpointType]string{gateway.TypeChat: "chat.completion.chunk", gateway.TypeCompletions: "text_completion_chunk"}[typ]
			text, finishes, usage := streamText(t, sseChunks(t, r.Body, true), object)
			if text != fakeupstream.Reply(prompt) || len(finishes) != 1 || finishes[0] != "stop" {
				t.Fatalf("MLflow stream text %q finishes %v:\n%s", text, finishes, r.Body)
			}
			checkUsage(t, usage, text)

			sdkBody := requestBody(typ, prompt, true)
			sdkBody["model"] = name
			path := map[gateway.EndpointType]string{gateway.TypeChat: "/v1/chat/completions", gateway.TypeCompletions: "/v1/completions"}[typ]
			r = e2e.Do(t, g.URL, "POST", path, map[string]string{"Authorization": "Bearer " + key}, sdkBody)
			if r.Status != http.StatusOK {
				t.Fatalf("OpenAI stream: %d %s", r.Status, r.Body)
			}
			object = map[gateway.EndpointType]string{gateway.TypeChat: "chat.completion.chunk", gateway.TypeCompletions: "text_completion"}[typ]
			text, finishes, usage = streamText(t, sseChunks(t, r.Body, false), object)
			if text != fakeupstream.Reply(prompt) || len(finishes) != 1 || finishes[0] != "stop" {
				t.Fatalf("OpenAI stream text %q finishes %v:\n%s", text, finishes, r.Body)
			}
			checkUsage(t, usage, text)

			for _, rec := range fake.Requests() {
				if rec.Model == model && (rec.Path != databricksPaths[typ] || rec.Credential != fakeupstream.DefaultKey("databricks") || !rec.Completed) {
					t.Fatalf("upstream call %+v", rec)
				}
			}
		})
	}
}

func TestDatabricksUpstreamFailures(t *testing.T) {
	fake, g, key := databricksSetup(t)
	cases := []struct {
		model  string
		status int
		check  func(t *testing.T, r *e2e.Response)
	}{
		{"fake-error-401", http.StatusBadGateway, func(t *testing.T, r *e2e.Response) {
			if !strings.Contains(strings.ToLower(string(r.Body)), "credentials") {
				t.Fatalf("401 answer does not say the gateway's credentials were rejected: %s", r.Body)
			}
		}},
		{"fake-ratelimit", http.StatusTooManyRequests, func(t *testing.T, r *e2e.Response) {
			if r.Header.Get("Retry-After") != "1" {
				t.Fatalf("Retry-After %q, want the upstream's 1", r.Header.Get("Retry-After"))
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.model, func(t *testing.T) {
			databricksEndpoint(t, g, fake, "dbx-"+tc.model, gateway.TypeChat, tc.model)
			r := invoke(t, g, key, "dbx-"+tc.model, requestBody(gateway.TypeChat, "hi", false))
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if secret := fakeupstream.DefaultKey("databricks"); bytes.Contains(r.Body, []byte(secret)) {
				t.Fatalf("answer leaks the credential: %s", r.Body)
			}
			tc.check(t, r)
		})
	}
}

// matrixRow is one README matrix line: provider name and its five cells.
type matrixRow struct {
	provider string
	cells    []string // chat, completions, embeddings, chat stream, completions stream
}

// readmeMatrix parses the table under "## Provider support matrix" in README.md.
func readmeMatrix(t *testing.T) map[string]matrixRow {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n## Provider support matrix\n")
	if !ok {
		t.Fatal(`README.md has no "## Provider support matrix" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	name := regexp.MustCompile("^`([^`]+)`")
	rows := map[string]matrixRow{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		fields := strings.Split(strings.Trim(line, "| "), " | ")
		m := name.FindStringSubmatch(fields[0])
		if len(fields) != 6 || m == nil {
			t.Fatalf("matrix line has %d cells, want provider + 5: %q", len(fields), line)
		}
		rows[m[1]] = matrixRow{provider: m[1], cells: fields[1:]}
	}
	return rows
}

// TestReadmeMatrixMatchesRegistry keeps the README's provider support matrix true: one row
// per provider in registry.Default(), a test named exactly where the provider serves (and
// streams) a type, "—" where it does not, and every named pytest id parametrized in the suite.
func TestReadmeMatrixMatchesRegistry(t *testing.T) {
	rows := readmeMatrix(t)
	suite, err := os.ReadFile(filepath.Join("..", "tests", "python", "test_provider_matrix.py"))
	if err != nil {
		t.Fatal(err)
	}
	types := []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions, gateway.TypeEmbeddings}
	specs := registry.Default().Specs()
	if len(rows) != len(specs) {
		t.Errorf("README matrix has %d providers, registry.Default() %d", len(rows), len(specs))
	}
	testName := regexp.MustCompile("`(test_[a-z0-9_]+)\\[")
	for _, spec := range specs {
		row, ok := rows[spec.Name]
		if !ok {
			t.Errorf("README matrix has no row for provider %q", spec.Name)
			continue
		}
		for i, cell := range row.cells {
			serves := false
			if i < len(types) {
				serves = spec.Supports(types[i])
			} else {
				serves = spec.CanStream(types[i-len(types)])
			}
			if serves == (cell == "—") {
				t.Errorf("%s cell %d %q: provider serves it = %v", spec.Name, i, cell, serves)
			}
			for _, m := range testName.FindAllStringSubmatch(cell, -1) {
				if !bytes.Contains(suite, []byte("def "+m[1]+"(")) {
					t.Errorf("%s cell %d names %s, which test_provider_matrix.py does not define", spec.Name, i, m[1])
				}
			}
		}
	}
}

// short is the last path element of an endpoint type ("chat"), for names and subtests.
func short(typ gateway.EndpointType) string {
	s := string(typ)
	return s[strings.LastIndex(s, "/")+1:]
}
