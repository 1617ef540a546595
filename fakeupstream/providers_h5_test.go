package fakeupstream_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/cohere"
	"github.com/llmgate/llmgate/provider/gemini"
	"github.com/llmgate/llmgate/provider/mlflowserving"
	"github.com/llmgate/llmgate/provider/tgi"
)

// roundTrip sends what spec's translator builds to the fake and translates the answer back,
// so the fakes and the translators are checked against each other.
func roundTrip(t *testing.T, spec *provider.Spec, c *provider.Call) (*llm.Response, []llm.Chunk, error) {
	t.Helper()
	hr, err := spec.Translator.Request(c)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	req, _ := http.NewRequest(hr.Method, hr.URL, bytes.NewReader(hr.Body))
	req.Header = hr.Header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", hr.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(resp.Body)
		return nil, nil, spec.Translator.Error(c, resp.StatusCode, resp.Header, body)
	}
	if !c.Req.Stream() {
		body, _ := io.ReadAll(resp.Body)
		r, err := spec.Translator.Response(c, body)
		return r, nil, err
	}
	d := spec.Translator.Stream(c)
	var chunks []llm.Chunk
	buf := make([]byte, 7)
	for {
		n, rerr := resp.Body.Read(buf)
		got, err := d.Feed(buf[:n])
		chunks = append(chunks, got...)
		if err != nil {
			return nil, chunks, err
		}
		if rerr != nil {
			break
		}
	}
	tail, err := d.End()
	return nil, append(chunks, tail...), err
}

func text(chunks []llm.Chunk) string {
	var b strings.Builder
	for _, c := range chunks {
		for _, ch := range c.Choices {
			b.WriteString(ch.Content)
		}
	}
	return b.String()
}

func chatReq(stream bool) *llm.Request {
	return &llm.Request{Type: gateway.TypeChat, Chat: &llm.ChatRequest{
		Messages: []llm.Message{{Role: "system", Content: llm.StringContent("be brief")}, {Role: "user", Content: llm.StringContent("hello there friend")}},
		Params:   llm.Params{Stream: stream},
	}}
}

func TestGeminiAndCohereAgainstTheirFakes(t *testing.T) {
	ts := httptest.NewServer(fakeupstream.New(fakeupstream.Options{}))
	defer ts.Close()
	providers := []struct {
		spec   *provider.Spec
		model  string
		config map[string]string
	}{
		{gemini.Spec, "gemini-2.0-flash", map[string]string{gemini.KeyAPIKey: fakeupstream.DefaultKey("gemini"), gemini.KeyAPIBase: ts.URL + "/v1beta"}},
		{cohere.Spec, "command-a-03-2025", map[string]string{cohere.KeyAPIKey: fakeupstream.DefaultKey("cohere"), cohere.KeyAPIBase: ts.URL}},
	}
	for _, p := range providers {
		call := func(model string, r *llm.Request) *provider.Call {
			return &provider.Call{Type: r.Type, Model: model, Config: p.config, Req: r}
		}
		t.Run(p.spec.Name, func(t *testing.T) {
			resp, _, err := roundTrip(t, p.spec, call(p.model, chatReq(false)))
			if err != nil || *resp.Chat.Choices[0].Message.Content != "echo: hello there friend" || *resp.Chat.Usage.CompletionTokens != 4 {
				t.Fatalf("chat: %+v %v", resp, err)
			}
			_, chunks, err := roundTrip(t, p.spec, call(p.model, chatReq(true)))
			if err != nil || text(chunks) != "echo: hello there friend" || chunks[len(chunks)-1].Usage == nil {
				t.Fatalf("stream: %q %v", text(chunks), err)
			}
			comp := &llm.Request{Type: gateway.TypeCompletions, Completion: &llm.CompletionRequest{Prompt: "one two three", Params: llm.Params{MaxTokens: ptr(2)}}}
			resp, _, err = roundTrip(t, p.spec, call(p.model, comp))
			if err != nil || resp.Completion.Choices[0].Text != "echo: one" || *resp.Completion.Choices[0].FinishReason != "length" {
				t.Fatalf("max tokens: %+v %v", resp, err)
			}
			emb := &llm.Request{Type: gateway.TypeEmbeddings, Embeddings: &llm.EmbeddingsRequest{Input: []string{"a", "b"}}}
			resp, _, err = roundTrip(t, p.spec, call(p.model, emb))
			if err != nil || len(resp.Embeddings.Data) != 2 || resp.Embeddings.Data[1].Embedding[0] != fakeupstream.Embedding("b")[0] {
				t.Fatalf("embeddings: %+v %v", resp, err)
			}
			failures := map[string]gateway.Code{"fake-error-503": gateway.CodeUpstream, "fake-ratelimit": gateway.CodeRateLimited, "fake-error-400": gateway.CodeInvalid}
			for model, code := range failures {
				if _, _, err := roundTrip(t, p.spec, call(model, chatReq(false))); gateway.ErrorCode(err) != code {
					t.Fatalf("%s: want %s, got %v", model, code, err)
				}
			}
			if _, _, err := roundTrip(t, p.spec, call("fake-drop", chatReq(true))); gateway.ErrorCode(err) != gateway.CodeUpstream {
				t.Fatalf("dropped stream must fail, got %v", err)
			}
			bad := map[string]string{}
			for k, v := range p.config {
				bad[k] = v
			}
			for k := range bad {
				if strings.HasSuffix(k, "_api_key") {
					bad[k] = "wrong"
				}
			}
			c := call(p.model, chatReq(false))
			c.Config = bad
			if _, _, err := roundTrip(t, p.spec, c); gateway.ErrorCode(err) != gateway.CodeUpstream || !strings.Contains(gateway.ErrorMessage(err), "credentials") {
				t.Fatalf("wrong key: %v", err)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestTGIAgainstItsFake(t *testing.T) {
	ts := httptest.NewServer(fakeupstream.New(fakeupstream.Options{}))
	defer ts.Close()
	call := func(url string, stream bool) *provider.Call {
		return &provider.Call{Type: gateway.TypeCompletions, Model: "tgi", Config: map[string]string{tgi.KeyServerURL: url},
			Req: &llm.Request{Type: gateway.TypeCompletions, Completion: &llm.CompletionRequest{Prompt: "what is deep learning", Params: llm.Params{Stream: stream}}}}
	}
	resp, _, err := roundTrip(t, tgi.Spec, call(ts.URL, false))
	if err != nil || resp.Completion.Choices[0].Text != "echo: what is deep learning" || *resp.Completion.Usage.PromptTokens != 4 {
		t.Fatalf("generate: %+v %v", resp, err)
	}
	_, chunks, err := roundTrip(t, tgi.Spec, call(ts.URL, true))
	if err != nil || text(chunks) != "echo: what is deep learning" || chunks[len(chunks)-1].Usage == nil {
		t.Fatalf("generate_stream: %q %v", text(chunks), err)
	}
	if _, _, err := roundTrip(t, tgi.Spec, call(ts.URL+"/tgi/fake-ratelimit", false)); gateway.ErrorCode(err) != gateway.CodeRateLimited {
		t.Fatalf("overloaded: %v", err)
	}
	if _, _, err := roundTrip(t, tgi.Spec, call(ts.URL+"/tgi/fake-drop", true)); gateway.ErrorCode(err) != gateway.CodeUpstream {
		t.Fatalf("drop: %v", err)
	}
}

func TestMLflowServingAgainstItsFake(t *testing.T) {
	ts := httptest.NewServer(fakeupstream.New(fakeupstream.Options{}))
	defer ts.Close()
	chat := &provider.Call{Type: gateway.TypeChat, Model: "m", Config: map[string]string{mlflowserving.KeyServerURL: ts.URL},
		Req: &llm.Request{Type: gateway.TypeChat, Chat: &llm.ChatRequest{Messages: []llm.Message{{Role: "user", Content: llm.StringContent("hi")}}}}}
	resp, _, err := roundTrip(t, mlflowserving.Spec, chat)
	if err != nil || *resp.Chat.Choices[0].Message.Content != "echo: hi" {
		t.Fatalf("chat: %+v %v", resp, err)
	}
	emb := &provider.Call{Type: gateway.TypeEmbeddings, Model: "m", Config: map[string]string{mlflowserving.KeyServerURL: ts.URL + "/serving/my-embedder"},
		Req: &llm.Request{Type: gateway.TypeEmbeddings, Embeddings: &llm.EmbeddingsRequest{Input: []string{"x", "y"}}}}
	resp, _, err = roundTrip(t, mlflowserving.Spec, emb)
	if err != nil || len(resp.Embeddings.Data) != 2 {
		t.Fatalf("embeddings: %+v %v", resp, err)
	}
	chat.Config = map[string]string{mlflowserving.KeyServerURL: ts.URL + "/serving/fake-error-400"}
	if _, _, err := roundTrip(t, mlflowserving.Spec, chat); gateway.ErrorCode(err) != gateway.CodeInvalid {
		t.Fatalf("error: %v", err)
	}
}
