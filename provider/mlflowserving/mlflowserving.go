// Package mlflowserving sends llmgate's requests to a model served by MLflow's scoring server
// ("mlflow models serve"), MLflow's "mlflow-model-serving" provider: POST
// {model_server_url}/invocations with {"inputs": [...], "params": {...}} and answers of the form
// {"predictions": ...}. The shapes follow MLflow's provider module (mlflow/gateway/providers/
// mlflow.py): completions send the prompt, chat sends the single message's content, embeddings
// send the input list; generation parameters go in params. The server reports no usage and no
// finish reason, so both stay null. It does not stream.
package mlflowserving

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/kit"
)

// KeyServerURL is the scoring server root.
const KeyServerURL = "model_server_url"

const name = "mlflow-model-serving"

// Spec is MLflow's mlflow-model-serving provider.
var Spec = &provider.Spec{
	Name:         name,
	Types:        []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions, gateway.TypeEmbeddings},
	RequiredKeys: []string{KeyServerURL},
	Translator:   Translator{},
}

// Translator is the MLflow scoring-server wire.
type Translator struct{}

func (Translator) Request(c *provider.Call) (*provider.HTTPRequest, error) {
	if c.Req.Stream() {
		return nil, gateway.Errorf(gateway.CodeInvalid, "provider %q does not stream", name)
	}
	base := strings.TrimRight(strings.TrimSpace(c.Config[KeyServerURL]), "/")
	if base == "" {
		return nil, gateway.Errorf(gateway.CodeInvalid, "modelConfig is missing required key %q for provider %q", KeyServerURL, name)
	}
	inputs, err := inputsOf(c.Req)
	if err != nil {
		return nil, err
	}
	payload := map[string]any{"inputs": inputs}
	if params := paramsOf(c.Req); len(params) > 0 {
		payload["params"] = params
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeInternal, err, "encoding the upstream request failed")
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return &provider.HTTPRequest{Method: "POST", URL: base + "/invocations", Header: h, Body: body}, nil
}

// inputsOf picks what MLflow puts into "inputs". A chat model served this way takes one
// string, so like MLflow only a single message is accepted.
func inputsOf(r *llm.Request) ([]string, error) {
	switch {
	case r.Completion != nil:
		return []string{r.Completion.Prompt}, nil
	case r.Embeddings != nil:
		return r.Embeddings.Input, nil
	case r.Chat != nil:
		if n := len(r.Chat.Messages); n != 1 {
			return nil, gateway.Errorf(gateway.CodeInvalid, "provider %q: MLflow chat models are only capable of processing a single query at a time; the request has %d messages", name, n)
		}
		text, ok := r.Chat.Messages[0].Text()
		if !ok {
			return nil, gateway.Errorf(gateway.CodeInvalid, "provider %q: messages[0] must be text", name)
		}
		return []string{text}, nil
	}
	return nil, gateway.Errorf(gateway.CodeInvalid, "provider %q: empty request", name)
}

// paramsOf is every non-null request field besides the input, as MLflow sends them.
func paramsOf(r *llm.Request) map[string]any {
	params := map[string]any{}
	for k, v := range r.ExtraFields() {
		params[k] = v
	}
	if p := r.Params(); p != nil {
		b, _ := json.Marshal(p) // Params holds only plain values
		var named map[string]any
		_ = json.Unmarshal(b, &named)
		for k, v := range named {
			params[k] = v
		}
	}
	return params
}

func (Translator) Response(c *provider.Call, body []byte) (*llm.Response, error) {
	var r struct {
		Predictions json.RawMessage `json:"predictions"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, malformed(err)
	}
	if len(r.Predictions) == 0 {
		return nil, gateway.Errorf(gateway.CodeUpstream, "malformed upstream response: the response is missing the required key: predictions")
	}
	if c.Type == gateway.TypeEmbeddings {
		return embeddings(c, r.Predictions)
	}
	texts, err := textPredictions(r.Predictions)
	if err != nil {
		return nil, err
	}
	if c.Type == gateway.TypeCompletions {
		out := &llm.CompletionResponse{Object: "text_completion", Model: c.Model, Choices: make([]llm.CompletionChoice, len(texts))}
		for i, t := range texts {
			out.Choices[i] = llm.CompletionChoice{Index: i, Text: t}
		}
		return &llm.Response{Completion: out}, nil
	}
	out := &llm.ChatResponse{Object: "chat.completion", Model: c.Model, Choices: make([]llm.ChatChoice, len(texts))}
	for i := range texts {
		out.Choices[i] = llm.ChatChoice{Index: i, Message: llm.ResponseMessage{Role: "assistant", Content: &texts[i]}}
	}
	return &llm.Response{Chat: out}, nil
}

// textPredictions accepts what MLflow's ServingTextResponse does: a list of strings, or a
// dict whose single value (or "choices" key) is that list.
func textPredictions(raw json.RawMessage) ([]string, error) {
	var texts []string
	if err := json.Unmarshal(raw, &texts); err == nil {
		return nonEmpty(texts)
	}
	var dict map[string]json.RawMessage
	if err := json.Unmarshal(raw, &dict); err != nil {
		return nil, malformed(err)
	}
	inner, ok := dict["choices"]
	if !ok {
		if len(dict) != 1 {
			return nil, gateway.Errorf(gateway.CodeUpstream, "malformed upstream response: predictions must be a list of strings or a dict with 'choices'")
		}
		for _, v := range dict {
			inner = v
		}
	}
	if err := json.Unmarshal(inner, &texts); err != nil {
		return nil, malformed(err)
	}
	return nonEmpty(texts)
}

func nonEmpty[T any](list []T) ([]T, error) {
	if len(list) == 0 {
		return nil, gateway.Errorf(gateway.CodeUpstream, "malformed upstream response: predictions are empty")
	}
	return list, nil
}

// embeddings accepts a list of vectors or, for a single input, one flat vector.
func embeddings(c *provider.Call, raw json.RawMessage) (*llm.Response, error) {
	var vectors [][]float64
	if err := json.Unmarshal(raw, &vectors); err != nil {
		var flat []float64
		if json.Unmarshal(raw, &flat) != nil {
			return nil, malformed(err)
		}
		vectors = [][]float64{flat}
	}
	if _, err := nonEmpty(vectors); err != nil {
		return nil, err
	}
	out := &llm.EmbeddingsResponse{Object: "list", Model: c.Model, Data: make([]llm.Embedding, len(vectors))}
	for i, v := range vectors {
		if len(v) == 0 {
			return nil, gateway.Errorf(gateway.CodeUpstream, "malformed upstream response: embedding %d is empty", i)
		}
		out.Data[i] = llm.Embedding{Object: "embedding", Index: i, Embedding: v}
	}
	return &llm.Response{Embeddings: out}, nil
}

// Stream is never used: the Spec declares no streaming types and Request refuses streams.
func (Translator) Stream(c *provider.Call) provider.StreamDecoder { return noStream{} }

type noStream struct{}

func (noStream) Feed([]byte) ([]llm.Chunk, error) { return nil, errNoStream }
func (noStream) End() ([]llm.Chunk, error)        { return nil, errNoStream }

var errNoStream = gateway.Errorf(gateway.CodeInvalid, "provider %q does not stream", name)

// Error maps the scoring server's {"error_code", "message"} bodies: BAD_REQUEST (400) means
// the served model rejected the input.
func (Translator) Error(c *provider.Call, status int, header http.Header, body []byte) *gateway.Error {
	return kit.Error(name, status, header, body)
}

func malformed(err error) *gateway.Error {
	return gateway.Wrap(gateway.CodeUpstream, err, "malformed upstream response")
}
