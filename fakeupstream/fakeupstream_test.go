package fakeupstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider/kit"
	"github.com/llmgate/llmgate/provider/openaicompat"
)

func newFake(t *testing.T) (*Server, *httptest.Server) {
	t.Helper()
	fake := New(Options{})
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	return fake, ts
}

func post(t *testing.T, ctx context.Context, url string, header http.Header, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func openaiAuth() http.Header {
	return http.Header{"Authorization": {"Bearer " + DefaultKey("openai")}}
}

const chatBody = `{"model":%q,"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hello there friend"}],"max_tokens":%d%s}`

func chatJSON(model string, max int, extra string) string {
	return strings.NewReplacer("%q", `"`+model+`"`, "%d", itoa(max), "%s", extra).Replace(chatBody)
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func waitIdle(t *testing.T, s *Server) {
	t.Helper()
	select {
	case <-s.Idle():
	case <-time.After(5 * time.Second):
		t.Fatal("fake still busy")
	}
}

func TestOpenAIChat(t *testing.T) {
	fake, ts := newFake(t)
	resp := post(t, context.Background(), ts.URL+"/v1/chat/completions", openaiAuth(), chatJSON("gpt-4o-mini", 0, ""))
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	chat, err := openaicompat.ParseChat("", body)
	if err != nil {
		t.Fatal(err)
	}
	if *chat.Choices[0].Message.Content != "echo: hello there friend" || *chat.Choices[0].FinishReason != "stop" ||
		*chat.Usage.PromptTokens != 5 || *chat.Usage.CompletionTokens != 4 || chat.Model != "gpt-4o-mini" {
		t.Errorf("got %s", body)
	}
	waitIdle(t, fake)
	recs := fake.Requests()
	if len(recs) != 1 || recs[0].Provider != "openai" || recs[0].Model != "gpt-4o-mini" || recs[0].Credential != DefaultKey("openai") ||
		!recs[0].Authorized || !recs[0].Completed || recs[0].Cancelled || recs[0].Status != 200 {
		t.Errorf("record = %+v", recs)
	}
}

func TestOpenAIMaxTokensHit(t *testing.T) {
	_, ts := newFake(t)
	resp := post(t, context.Background(), ts.URL+"/v1/chat/completions", openaiAuth(), chatJSON("m", 2, ""))
	body, _ := io.ReadAll(resp.Body)
	chat, err := openaicompat.ParseChat("", body)
	if err != nil || *chat.Choices[0].Message.Content != "echo: hello" || *chat.Choices[0].FinishReason != "length" {
		t.Fatalf("got %s (%v)", body, err)
	}
}

func TestWrongKeyGetsProvider401(t *testing.T) {
	fake, ts := newFake(t)
	resp := post(t, context.Background(), ts.URL+"/v1/chat/completions", http.Header{"Authorization": {"Bearer nope"}}, chatJSON("m", 0, ""))
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 401 || kit.Error("openai", 401, resp.Header, body).Message != kit.MsgCredentials ||
		!strings.Contains(string(body), "invalid_api_key") {
		t.Fatalf("status %d body %s", resp.StatusCode, body)
	}
	waitIdle(t, fake)
	if r := fake.Requests()[0]; r.Authorized || r.Credential != "nope" {
		t.Errorf("record = %+v", r)
	}
}

func TestOpenAIStream(t *testing.T) {
	_, ts := newFake(t)
	resp := post(t, context.Background(), ts.URL+"/v1/chat/completions", openaiAuth(), chatJSON("m", 0, `,"stream":true,"stream_options":{"include_usage":true}`))
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("content type %q", ct)
	}
	raw, _ := io.ReadAll(resp.Body)
	dec := openaicompat.NewStreamDecoder("openai")
	chunks, err := dec.Feed(raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dec.End(); err != nil {
		t.Fatalf("End: %v", err)
	}
	var text strings.Builder
	var usage *llm.Usage
	for _, c := range chunks {
		for _, ch := range c.Choices {
			text.WriteString(ch.Content)
		}
		if c.Usage != nil {
			usage = c.Usage
		}
	}
	if text.String() != "echo: hello there friend" || usage == nil || *usage.TotalTokens != 9 || !strings.HasSuffix(string(raw), "data: [DONE]\n\n") {
		t.Errorf("text %q usage %v\n%s", text.String(), usage, raw)
	}
}

func TestBehaviours(t *testing.T) {
	_, ts := newFake(t)
	tests := []struct {
		model  string
		status int
		code   gateway.Code
	}{
		{"fake-error-503", 503, gateway.CodeUpstream},
		{"fake-error-400", 400, gateway.CodeInvalid},
		{"fake-ratelimit", 429, gateway.CodeRateLimited},
	}
	for _, tt := range tests {
		resp := post(t, context.Background(), ts.URL+"/v1/chat/completions", openaiAuth(), chatJSON(tt.model, 0, ""))
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tt.status {
			t.Errorf("%s: status %d", tt.model, resp.StatusCode)
		}
		e := kit.Error("openai", resp.StatusCode, resp.Header, body)
		if e.Code != tt.code {
			t.Errorf("%s: body %s maps to %s", tt.model, body, e.Code)
		}
		if tt.status == 429 && e.RetryAfter != time.Second {
			t.Errorf("429 Retry-After = %v", e.RetryAfter)
		}
	}

	resp := post(t, context.Background(), ts.URL+"/v1/chat/completions", openaiAuth(), chatJSON("fake-malformed", 0, ""))
	body, _ := io.ReadAll(resp.Body)
	if _, err := openaicompat.ParseChat("", body); resp.StatusCode != 200 || gateway.ErrorCode(err) != gateway.CodeUpstream {
		t.Errorf("malformed: status %d err %v", resp.StatusCode, err)
	}
}

func TestSlowDelaysAnswer(t *testing.T) {
	_, ts := newFake(t)
	start := time.Now()
	resp := post(t, context.Background(), ts.URL+"/v1/chat/completions", openaiAuth(), chatJSON("fake-slow-60", 0, ""))
	_, _ = io.ReadAll(resp.Body)
	if elapsed := time.Since(start); resp.StatusCode != 200 || elapsed < 60*time.Millisecond {
		t.Fatalf("status %d after %v, want 200 after >= 60ms", resp.StatusCode, elapsed)
	}
}

func TestHangRecordsCancellation(t *testing.T) {
	fake, ts := newFake(t)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+"/v1/chat/completions", strings.NewReader(chatJSON("fake-hang", 0, "")))
	req.Header = openaiAuth()
	errc := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	// Wait until the fake has the request, then go away.
	for len(fake.Requests()) == 0 {
		select {
		case <-time.After(time.Millisecond):
		case err := <-errc:
			t.Fatalf("hang answered: %v", err)
		}
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("client err = %v", err)
	}
	waitIdle(t, fake)
	if r := fake.Requests()[0]; !r.Cancelled || r.Completed {
		t.Errorf("record = %+v, want cancelled", r)
	}
}

func TestDropTruncatesStream(t *testing.T) {
	fake, ts := newFake(t)
	resp := post(t, context.Background(), ts.URL+"/v1/chat/completions", openaiAuth(), chatJSON("fake-drop", 0, `,"stream":true`))
	raw, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Fatalf("read whole dropped stream without error: %s", raw)
	}
	if strings.Count(string(raw), "data: ") != 1 {
		t.Errorf("want exactly one event before the drop, got %q", raw)
	}
	waitIdle(t, fake)
	if r := fake.Requests()[0]; r.Completed {
		t.Errorf("dropped request recorded as completed: %+v", r)
	}
}

func TestAzureDeployment(t *testing.T) {
	fake, ts := newFake(t)
	url := ts.URL + "/openai/deployments/my-gpt4o/chat/completions"
	key := http.Header{"Api-Key": {DefaultKey("azure")}}
	if resp := post(t, context.Background(), url, key, chatJSON("", 0, "")); resp.StatusCode != 404 {
		t.Errorf("missing api-version: status %d, want 404", resp.StatusCode)
	}
	resp := post(t, context.Background(), url+"?api-version=2024-10-21", key, chatJSON("", 0, ""))
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"model":"my-gpt4o"`) {
		t.Errorf("status %d body %s", resp.StatusCode, body)
	}
	waitIdle(t, fake)
	if r := fake.Requests()[1]; r.Provider != "azure" || r.Model != "my-gpt4o" || r.Query != "api-version=2024-10-21" {
		t.Errorf("record = %+v", r)
	}
}

func TestEmbeddingsDeterministic(t *testing.T) {
	_, ts := newFake(t)
	get := func(input string) *llm.EmbeddingsResponse {
		resp := post(t, context.Background(), ts.URL+"/v1/embeddings", openaiAuth(), `{"model":"text-embedding-3-small","input":`+input+`}`)
		body, _ := io.ReadAll(resp.Body)
		e, err := openaicompat.ParseEmbeddings("", body)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		return e
	}
	a, b := get(`["alpha","beta gamma"]`), get(`"beta gamma"`)
	if len(a.Data) != 2 || len(a.Data[0].Embedding) != EmbeddingDims || *a.Usage.PromptTokens != 3 {
		t.Fatalf("got %+v", a)
	}
	for i, v := range a.Data[1].Embedding {
		if v != b.Data[0].Embedding[i] || v < -1 || v > 1 {
			t.Fatalf("same input gave different vectors: %v vs %v", a.Data[1].Embedding, b.Data[0].Embedding)
		}
	}
	if a.Data[0].Embedding[0] == a.Data[1].Embedding[0] && a.Data[0].Embedding[1] == a.Data[1].Embedding[1] {
		t.Error("different inputs gave the same vector")
	}
}

func TestAdminRoutes(t *testing.T) {
	fake, ts := newFake(t)
	post(t, context.Background(), ts.URL+"/v1/chat/completions", openaiAuth(), chatJSON("m", 0, ""))
	waitIdle(t, fake)
	resp, err := http.Get(ts.URL + "/_fake/requests")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var recs []Request
	if err := json.NewDecoder(resp.Body).Decode(&recs); err != nil || len(recs) != 1 || recs[0].Model != "m" || !strings.Contains(recs[0].Body, "hello there friend") {
		t.Fatalf("requests = %+v (%v)", recs, err)
	}
	if r := post(t, context.Background(), ts.URL+"/_fake/reset", nil, ""); r.StatusCode != http.StatusNoContent || len(fake.Requests()) != 0 {
		t.Fatalf("reset: status %d, %d records left", r.StatusCode, len(fake.Requests()))
	}
}

func TestParseBehaviour(t *testing.T) {
	tests := map[string]Behaviour{
		"gpt-4o":                    {},
		"fake-slow-250":             {Delay: 250 * time.Millisecond},
		"models/fake-error-529":     {ErrorStatus: 529},
		"fake-error-200":            {},
		"anthropic.fake-drop-v1:0":  {Drop: true},
		"fake-hang":                 {Hang: true},
		"fake-ratelimit":            {RateLimit: true},
		"fake-malformed":            {Malformed: true},
		"fake-big-64":               {Big: 64 << 10},
		"fake-big-0":                {},
		"fake-big-99999999":         {},
		"fake-slow-x":               {},
		"fake-error-99999999999999": {},
	}
	for model, want := range tests {
		if got := ParseBehaviour(model); got != want {
			t.Errorf("ParseBehaviour(%q) = %+v, want %+v", model, got, want)
		}
	}
}

func TestPiecesRejoin(t *testing.T) {
	for _, s := range []string{"echo: hello  there", "", "one", " lead", "héllo 世界 🎉"} {
		if got := strings.Join(Pieces(s), ""); got != s {
			t.Errorf("Pieces(%q) rejoins to %q", s, got)
		}
	}
}

// TestBigPadsEveryShape checks fake-big-<KiB> grows the answer to the asked size as a valid
// answer: a JSON body of about that size, and a stream whose text is that long.
func TestBigPadsEveryShape(t *testing.T) {
	_, ts := newFake(t)
	resp := post(t, context.Background(), ts.URL+"/v1/chat/completions", openaiAuth(), chatJSON("fake-big-256", 0, ""))
	raw, _ := io.ReadAll(resp.Body)
	var answer struct {
		Choices []struct {
			Message struct{ Content string } `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil || resp.StatusCode != 200 || len(answer.Choices) != 1 {
		t.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	if n := len(answer.Choices[0].Message.Content); n < 256<<10 || n > 257<<10 || !strings.HasPrefix(answer.Choices[0].Message.Content, "echo: hello there friend x") {
		t.Fatalf("reply of %d bytes, want about 256 KiB starting with the echo", n)
	}
	resp = post(t, context.Background(), ts.URL+"/v1/chat/completions", openaiAuth(), chatJSON("fake-big-64", 0, `,"stream":true`))
	raw, _ = io.ReadAll(resp.Body)
	dec := openaicompat.NewStreamDecoder("openai")
	chunks, err := dec.Feed(raw)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, c := range chunks {
		for _, ch := range c.Choices {
			text.WriteString(ch.Content)
		}
	}
	if n := text.Len(); n < 64<<10 || n > 65<<10 || len(chunks) < 64 {
		t.Fatalf("streamed %d bytes in %d chunks, want about 64 KiB in one chunk per 1 KiB word", n, len(chunks))
	}
}

// A fake-seq model answers each request with the next step of its staged outage.
func TestSequenceStagesAnOutage(t *testing.T) {
	srv := httptest.NewServer(New(Options{}))
	defer srv.Close()
	var got []int
	for range 4 {
		req, _ := http.NewRequest("POST", srv.URL+"/v1/chat/completions",
			strings.NewReader(`{"model":"fake-seq-429.503.ok","messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Authorization", "Bearer "+DefaultKey("openai"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got = append(got, resp.StatusCode)
		if resp.StatusCode == 429 && resp.Header.Get("Retry-After") != "1" {
			t.Fatal("a staged 429 without Retry-After")
		}
	}
	if fmt.Sprint(got) != "[429 503 200 200]" {
		t.Fatalf("statuses %v, want 429, 503, then ok repeating", got)
	}
}
