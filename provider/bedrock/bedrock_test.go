package bedrock

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/llmgate/llmgate/fakeupstream"
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/transport"
)

func ptr[T any](v T) *T { return &v }

var cfg = map[string]string{KeyRegion: "us-west-2", KeyAccessKeyID: fakeupstream.TestAWSAccessKeyID, KeySecretAccessKey: fakeupstream.TestAWSSecretAccessKey}

func chatCall(stream bool, msgs ...llm.Message) *provider.Call {
	return &provider.Call{Type: gateway.TypeChat, Model: "anthropic.claude-3-5-sonnet-20240620-v1:0", Config: cfg,
		Req: &llm.Request{Type: gateway.TypeChat, Chat: &llm.ChatRequest{Messages: msgs,
			Params: llm.Params{MaxTokens: ptr(256), Temperature: ptr(0.5), Stop: []string{"END"}, Stream: stream},
			Extra:  map[string]json.RawMessage{"top_k": json.RawMessage(`40`)}}}}
}

func msg(role, text string) llm.Message {
	return llm.Message{Role: role, Content: llm.StringContent(text)}
}

// Request shape from docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html.
func TestConverseRequest(t *testing.T) {
	c := chatCall(false, msg("system", "Be terse."), msg("system", "Answer in French."), msg("user", "Hi"), msg("user", "there"), msg("assistant", "Bonjour"), msg("user", "¿Qué tal? 世界"))
	hr, err := Spec.Translator.Request(c)
	if err != nil {
		t.Fatal(err)
	}
	if hr.URL != "https://bedrock-runtime.us-west-2.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse" {
		t.Errorf("URL = %s", hr.URL)
	}
	if hr.Sign == nil || hr.Sign.AWS == nil || hr.Sign.AWS.Region != "us-west-2" || hr.Sign.AWS.Service != "bedrock" {
		t.Errorf("Sign = %+v", hr.Sign)
	}
	var got map[string]any
	_ = json.Unmarshal(hr.Body, &got)
	want := map[string]any{
		"system": []any{map[string]any{"text": "Be terse."}, map[string]any{"text": "Answer in French."}},
		"messages": []any{
			map[string]any{"role": "user", "content": []any{map[string]any{"text": "Hi"}, map[string]any{"text": "there"}}},
			map[string]any{"role": "assistant", "content": []any{map[string]any{"text": "Bonjour"}}},
			map[string]any{"role": "user", "content": []any{map[string]any{"text": "¿Qué tal? 世界"}}},
		},
		"inferenceConfig":              map[string]any{"maxTokens": 256.0, "temperature": 0.5, "stopSequences": []any{"END"}},
		"additionalModelRequestFields": map[string]any{"top_k": 40.0},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("body = %s", hr.Body)
	}

	c = chatCall(true, msg("user", "Hi"))
	c.Config = map[string]string{KeyRegion: "eu-central-1", KeyEndpointURL: "http://127.0.0.1:9/"}
	hr, _ = Spec.Translator.Request(c)
	if !strings.HasSuffix(hr.URL, "/converse-stream") || !strings.HasPrefix(hr.URL, "http://127.0.0.1:9/model/") || hr.Sign.AWS.Region != "eu-central-1" {
		t.Errorf("stream URL = %s", hr.URL)
	}
}

func TestConverseRequestRejects(t *testing.T) {
	n := chatCall(false, msg("user", "x"))
	n.Req.Chat.N = ptr(2)
	tool := chatCall(false, msg("user", "x"), llm.Message{Role: "tool", Content: llm.StringContent("42")})
	image := chatCall(false, llm.Message{Role: "user", Content: json.RawMessage(`[{"type":"image_url","image_url":{"url":"data:"}}]`)})
	onlySystem := chatCall(false, msg("system", "x"))
	for name, c := range map[string]*provider.Call{"n>1": n, "tool role without tool_call_id": tool, "image part": image, "only system": onlySystem} {
		if _, err := Spec.Translator.Request(c); gateway.ErrorCode(err) != gateway.CodeInvalid {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
}

func TestConverseResponse(t *testing.T) {
	tests := []struct {
		name, body, text, finish string
		total                    *int64
	}{
		{"end_turn (API_runtime_Converse response syntax)",
			`{"output":{"message":{"role":"assistant","content":[{"text":"Hello"},{"text":" world"}]}},"stopReason":"end_turn","usage":{"inputTokens":12,"outputTokens":3,"totalTokens":15},"metrics":{"latencyMs":412}}`,
			"Hello world", "stop", ptr(int64(15))},
		{"max tokens hit", `{"output":{"message":{"role":"assistant","content":[{"text":"Hel"}]}},"stopReason":"max_tokens","usage":{"inputTokens":1,"outputTokens":1}}`, "Hel", "length", ptr(int64(2))},
		{"guardrail / content filtered", `{"output":{"message":{"role":"assistant","content":[]}},"stopReason":"content_filtered"}`, "", "content_filter", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Spec.Translator.Response(chatCall(false), []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			ch := r.Chat.Choices[0]
			if *ch.Message.Content != tt.text || *ch.FinishReason != tt.finish || !reflect.DeepEqual(r.Chat.Usage.TotalTokens, tt.total) {
				t.Errorf("got %q %q %v", *ch.Message.Content, *ch.FinishReason, r.Chat.Usage.TotalTokens)
			}
		})
	}
	for _, bad := range []string{`not json`, `{}`, `{"output":{}}`} {
		if _, err := Spec.Translator.Response(chatCall(false), []byte(bad)); gateway.ErrorCode(err) != gateway.CodeUpstream {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

func encode(t *testing.T, messageType, kind, payload string) []byte {
	t.Helper()
	var m eventstream.Message
	m.Headers.Set(":message-type", eventstream.StringValue(messageType))
	if messageType == "exception" {
		m.Headers.Set(":exception-type", eventstream.StringValue(kind))
	} else {
		m.Headers.Set(":event-type", eventstream.StringValue(kind))
	}
	m.Headers.Set(":content-type", eventstream.StringValue("application/json"))
	m.Payload = []byte(payload)
	var b bytes.Buffer
	if err := eventstream.NewEncoder().Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Event sequence from docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html.
func converseTranscript(t *testing.T) []byte {
	var b []byte
	for _, ev := range [][3]string{
		{"event", "messageStart", `{"p":"abcd","role":"assistant"}`},
		{"event", "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hola"},"p":"ab"}`},
		{"event", "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":" 世界"},"p":"ab"}`},
		{"event", "contentBlockStop", `{"contentBlockIndex":0,"p":"a"}`},
		{"event", "messageStop", `{"stopReason":"end_turn","p":"abc"}`},
		{"event", "metadata", `{"usage":{"inputTokens":8,"outputTokens":2,"totalTokens":10},"metrics":{"latencyMs":300},"p":"x"}`},
	} {
		b = append(b, encode(t, ev[0], ev[1], ev[2])...)
	}
	return b
}

func feed(d provider.StreamDecoder, pieces [][]byte) ([]llm.Chunk, error) {
	var out []llm.Chunk
	for _, p := range pieces {
		c, err := d.Feed(p)
		out = append(out, c...)
		if err != nil {
			return out, err
		}
	}
	c, err := d.End()
	return append(out, c...), err
}

func split(b []byte, n int) [][]byte {
	var out [][]byte
	for i := 0; i < len(b); i += n {
		out = append(out, b[i:min(i+n, len(b))])
	}
	return out
}

func TestConverseStream(t *testing.T) {
	transcript := converseTranscript(t)
	for _, pieces := range [][][]byte{{transcript}, split(transcript, 1), split(transcript, 7)} {
		chunks, err := feed(Spec.Translator.Stream(chatCall(true)), pieces)
		if err != nil {
			t.Fatal(err)
		}
		var text string
		for _, c := range chunks {
			for _, ch := range c.Choices {
				text += ch.Content
			}
		}
		if len(chunks) != 5 || chunks[0].Choices[0].Role != "assistant" || text != "Hola 世界" ||
			chunks[3].Choices[0].FinishReason != "stop" || *chunks[4].Usage.TotalTokens != 10 {
			t.Fatalf("chunks = %+v", chunks)
		}
	}
}

func TestConverseStreamFailures(t *testing.T) {
	transcript := converseTranscript(t)
	// Cut before messageStop: the answer is incomplete.
	cut := bytes.Index(transcript, encode(t, "event", "messageStop", `{"stopReason":"end_turn","p":"abc"}`))
	if _, err := feed(Spec.Translator.Stream(chatCall(true)), [][]byte{transcript[:cut]}); gateway.ErrorCode(err) != gateway.CodeUpstream {
		t.Errorf("truncated: err = %v", err)
	}
	corrupt := bytes.Clone(transcript)
	corrupt[len(corrupt)-1] ^= 0xff // message CRC
	if _, err := feed(Spec.Translator.Stream(chatCall(true)), [][]byte{corrupt}); gateway.ErrorCode(err) != gateway.CodeUpstream {
		t.Errorf("bad CRC: err = %v", err)
	}
	if _, err := feed(Spec.Translator.Stream(chatCall(true)), [][]byte{{0xff, 0xff, 0xff, 0xff, 0}}); gateway.ErrorCode(err) != gateway.CodeUpstream {
		t.Errorf("absurd length: err = %v", err)
	}
	exc := append(encode(t, "event", "messageStart", `{"role":"assistant"}`), encode(t, "exception", "modelStreamErrorException", `{"message":"Model stream error"}`)...)
	if _, err := feed(Spec.Translator.Stream(chatCall(true)), [][]byte{exc}); gateway.ErrorCode(err) != gateway.CodeUpstream || !strings.Contains(err.Error(), "Model stream error") {
		t.Errorf("exception: err = %v", err)
	}
	thr := encode(t, "exception", "throttlingException", `{"message":"Too many requests"}`)
	if _, err := feed(Spec.Translator.Stream(chatCall(true)), [][]byte{thr}); gateway.ErrorCode(err) != gateway.CodeRateLimited {
		t.Errorf("throttling: err = %v", err)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		status int
		body   string
		code   gateway.Code
	}{
		{400, `{"message":"Input is too long for requested model."}`, gateway.CodeInvalid},
		{403, `{"message":"The security token included in the request is invalid."}`, gateway.CodeUpstream},
		{429, `{"message":"Too many requests, please wait before trying again."}`, gateway.CodeRateLimited},
		{424, `{"message":"Received error from model"}`, gateway.CodeUpstream},
		{503, `{"message":"Bedrock is unable to process your request."}`, gateway.CodeUpstream},
	}
	for _, tt := range tests {
		e := Spec.Translator.Error(chatCall(false), tt.status, nil, []byte(tt.body))
		if e.Code != tt.code {
			t.Errorf("%d: code %s", tt.status, e.Code)
		}
		if tt.status == 400 && !strings.Contains(e.Message, "Input is too long") {
			t.Errorf("400 message = %q", e.Message)
		}
	}
}

func embedCall(model string, inputs ...string) *provider.Call {
	return &provider.Call{Type: gateway.TypeEmbeddings, Model: model, Config: cfg, Req: &llm.Request{Type: gateway.TypeEmbeddings, Embeddings: &llm.EmbeddingsRequest{Input: inputs}}}
}

func TestEmbeddingsBodies(t *testing.T) {
	hr, err := Spec.Translator.Request(embedCall("amazon.titan-embed-text-v2:0", "hello"))
	if err != nil || string(hr.Body) != `{"inputText":"hello"}` || !strings.HasSuffix(hr.URL, "/invoke") {
		t.Errorf("titan: %s %s %v", hr.URL, hr.Body, err)
	}
	if _, err := Spec.Translator.Request(embedCall("amazon.titan-embed-text-v2:0", "a", "b")); gateway.ErrorCode(err) != gateway.CodeInvalid {
		t.Errorf("titan batch without Split: err = %v", err)
	}
	hr, _ = Spec.Translator.Request(embedCall("cohere.embed-english-v3", "a", "b"))
	if string(hr.Body) != `{"input_type":"search_document","texts":["a","b"]}` {
		t.Errorf("cohere body = %s", hr.Body)
	}
	r, err := Spec.Translator.Response(embedCall("cohere.embed-english-v3", "a"), []byte(`{"embeddings":{"float":[[0.1,0.2]]},"id":"x","response_type":"embeddings_by_type"}`))
	if err != nil || r.Embeddings.Data[0].Embedding[1] != 0.2 {
		t.Errorf("cohere by type: %+v %v", r, err)
	}
}

// TestAgainstFake runs every type through transport (SigV4) and the fake Bedrock.
func TestAgainstFake(t *testing.T) {
	ts := httptest.NewServer(fakeupstream.New(fakeupstream.Options{}))
	defer ts.Close()
	local := map[string]string{KeyEndpointURL: ts.URL}
	for k, v := range cfg {
		local[k] = v
	}
	do := func(c *provider.Call) []byte {
		c.Config = local
		hr, err := Spec.Translator.Request(c)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := transport.New(transport.Options{}).Do(context.Background(), hr)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		return body
	}
	c := chatCall(false, msg("user", "hello there"))
	r, err := Spec.Translator.Response(c, do(c))
	if err != nil || *r.Chat.Choices[0].Message.Content != "echo: hello there" || *r.Chat.Usage.CompletionTokens != 3 {
		t.Fatalf("chat: %+v %v", r, err)
	}
	c = chatCall(true, msg("user", "hello there"))
	chunks, err := feed(Spec.Translator.Stream(c), split(do(c), 5))
	if err != nil || chunks[len(chunks)-1].Usage == nil {
		t.Fatalf("stream: %+v %v", chunks, err)
	}

	tr := Spec.Translator.(provider.Splitter)
	c = embedCall("amazon.titan-embed-text-v2:0", "alpha", "beta gamma")
	var parts []*llm.Response
	for _, part := range tr.Split(c) {
		p, err := Spec.Translator.Response(part, do(part))
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
	}
	merged, err := tr.Merge(c, parts)
	if err != nil || len(merged.Embeddings.Data) != 2 || merged.Embeddings.Data[1].Index != 1 ||
		!reflect.DeepEqual(merged.Embeddings.Data[1].Embedding, fakeupstream.Embedding("beta gamma")) || *merged.Embeddings.Usage.PromptTokens != 3 {
		t.Fatalf("titan split/merge: %+v %v", merged, err)
	}
	c = embedCall("cohere.embed-english-v3", "alpha", "beta")
	if len(tr.Split(c)) != 1 {
		t.Fatal("cohere must not be split")
	}
	r, err = Spec.Translator.Response(c, do(c))
	if err != nil || len(r.Embeddings.Data) != 2 || !reflect.DeepEqual(r.Embeddings.Data[0].Embedding, fakeupstream.Embedding("alpha")) {
		t.Fatalf("cohere: %+v %v", r, err)
	}
}
