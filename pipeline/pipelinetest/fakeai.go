// Package pipelinetest runs the query path in process for tests: a real SQLite store, local
// secret store, in-memory limiter and audit writer, the MLflow and OpenAI surfaces on an
// httptest server, and a scriptable upstream speaking a minimal OpenAI wire through the
// "fakeai" provider defined here (so the path is tested without depending on any real
// provider package).
package pipelinetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
)

// Config keys of the fakeai provider.
const (
	KeyAPIKey  = "fakeai_api_key"
	KeyAPIBase = "fakeai_api_base"
)

// Spec is the fakeai provider: every type, streaming for chat and completions.
var Spec = &provider.Spec{
	Name:         "fakeai",
	Types:        []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions, gateway.TypeEmbeddings},
	Streams:      []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions},
	RequiredKeys: []string{KeyAPIKey, KeyAPIBase},
	Translator:   translator{},
}

type translator struct{}

var paths = map[gateway.EndpointType]string{
	gateway.TypeChat: "/chat/completions", gateway.TypeCompletions: "/completions", gateway.TypeEmbeddings: "/embeddings",
}

func (translator) Request(c *provider.Call) (*provider.HTTPRequest, error) {
	body := map[string]any{}
	for k, v := range c.Req.ExtraFields() {
		body[k] = v
	}
	switch {
	case c.Req.Chat != nil:
		body["messages"] = c.Req.Chat.Messages
		addParams(body, &c.Req.Chat.Params)
	case c.Req.Completion != nil:
		body["prompt"] = c.Req.Completion.Prompt
		addParams(body, &c.Req.Completion.Params)
	case c.Req.Embeddings != nil:
		body["input"] = c.Req.Embeddings.Input
	}
	body["model"] = c.Model
	b, err := json.Marshal(body)
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeInternal, err, "encoding upstream request")
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer "+c.Config[KeyAPIKey])
	h.Set("Content-Type", "application/json")
	return &provider.HTTPRequest{Method: http.MethodPost, URL: strings.TrimRight(c.Config[KeyAPIBase], "/") + paths[c.Type], Header: h, Body: b}, nil
}

func addParams(body map[string]any, p *llm.Params) {
	set := func(k string, v any, ok bool) {
		if ok {
			body[k] = v
		}
	}
	set("temperature", p.Temperature, p.Temperature != nil)
	set("top_p", p.TopP, p.TopP != nil)
	set("n", p.N, p.N != nil)
	set("max_tokens", p.MaxTokens, p.MaxTokens != nil)
	set("stop", p.Stop, len(p.Stop) > 0)
	if p.Stream {
		body["stream"] = true
		body["stream_options"] = llm.StreamOptions{IncludeUsage: true}
	}
}

func (translator) Response(c *provider.Call, body []byte) (*llm.Response, error) {
	var r llm.Response
	var err error
	switch c.Type {
	case gateway.TypeChat:
		err = json.Unmarshal(body, &r.Chat)
	case gateway.TypeCompletions:
		err = json.Unmarshal(body, &r.Completion)
	default:
		err = json.Unmarshal(body, &r.Embeddings)
	}
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeUpstream, err, "malformed upstream response")
	}
	return &r, nil
}

func (translator) Error(_ *provider.Call, status int, header http.Header, body []byte) *gateway.Error {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return gateway.Errorf(gateway.CodeUpstream, "provider rejected the gateway's credentials")
	case status == http.StatusTooManyRequests:
		secs, _ := strconv.Atoi(header.Get("Retry-After"))
		return &gateway.Error{Code: gateway.CodeRateLimited, Message: "provider rate limit exceeded", RetryAfter: time.Duration(max(secs, 1)) * time.Second}
	case status >= 400 && status < 500:
		return gateway.Errorf(gateway.CodeInvalid, "provider rejected the request: %s", e.Error.Message)
	}
	return gateway.Errorf(gateway.CodeUpstream, "provider failed with status %d", status)
}

func (translator) Stream(*provider.Call) provider.StreamDecoder { return &sseDecoder{} }

// sseDecoder reads OpenAI-style `data:` lines until `data: [DONE]`.
type sseDecoder struct {
	buf  []byte
	done bool
}

type wireChunk struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Created int64  `json:"created"`
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"delta"`
		Text         string  `json:"text"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *llm.Usage `json:"usage"`
}

func (d *sseDecoder) Feed(p []byte) ([]llm.Chunk, error) {
	d.buf = append(d.buf, p...)
	var out []llm.Chunk
	for {
		i := bytes.IndexByte(d.buf, '\n')
		if i < 0 {
			return out, nil
		}
		line := strings.TrimSpace(string(d.buf[:i]))
		d.buf = d.buf[i+1:]
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		if data == "[DONE]" {
			d.done = true
			continue
		}
		var w wireChunk
		if err := json.Unmarshal([]byte(data), &w); err != nil {
			return out, gateway.Wrap(gateway.CodeUpstream, err, "malformed upstream stream")
		}
		c := llm.Chunk{ID: w.ID, Model: w.Model, Created: w.Created, Usage: w.Usage}
		for _, ch := range w.Choices {
			cc := llm.ChunkChoice{Index: ch.Index, Role: ch.Delta.Role, Content: ch.Delta.Content + ch.Text}
			if ch.FinishReason != nil {
				cc.FinishReason = *ch.FinishReason
			}
			c.Choices = append(c.Choices, cc)
		}
		out = append(out, c)
	}
}

func (d *sseDecoder) End() ([]llm.Chunk, error) {
	if !d.done {
		return nil, fmt.Errorf("upstream stream ended before [DONE]")
	}
	return nil, nil
}
