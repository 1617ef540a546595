// Package tgi translates llmgate's canonical requests to Hugging Face Text Generation
// Inference, MLflow's "huggingface-text-generation-inference" provider. Completions use TGI's
// native /generate and /generate_stream, as MLflow does; chat uses TGI's OpenAI-compatible
// Messages API at /v1/chat/completions.
//
// Config keys: hf_server_url (required, the TGI server root) and hf_api_key (optional, sent as
// a Bearer token; Hugging Face Inference Endpoints require one, a bare TGI server does not).
package tgi

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/openaicompat"
)

// Config keys.
const (
	KeyServerURL = "hf_server_url"
	KeyAPIKey    = "hf_api_key"
)

const name = "huggingface-text-generation-inference"

// Spec is MLflow's huggingface-text-generation-inference provider.
var Spec = &provider.Spec{
	Name:         name,
	Aliases:      []string{"tgi", "huggingface-tgi"},
	Types:        []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions},
	Streams:      []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions},
	RequiredKeys: []string{KeyServerURL},
	OptionalKeys: []string{KeyAPIKey},
	Models: map[gateway.EndpointType][]string{
		gateway.TypeChat:        {"tgi"},
		gateway.TypeCompletions: {"tgi"},
	},
	Translator: Translator{},
}

// Translator is the TGI wire.
type Translator struct{}

// messagesAPI is TGI's OpenAI-compatible chat endpoint. Its errors use TGI's own envelope,
// so Error stays with Translator.
var messagesAPI = &openaicompat.Translator{
	Provider: name,
	URL: func(c *provider.Call, path string) (string, error) {
		base, err := serverURL(c)
		return base + "/v1" + path, err
	},
	Header: func(c *provider.Call, h http.Header) error {
		if k := c.Config[KeyAPIKey]; k != "" {
			h.Set("Authorization", "Bearer "+k)
		}
		return nil
	},
}

// parameters are /generate's generation parameters.
type parameters struct {
	MaxNewTokens        *int            `json:"max_new_tokens,omitempty"`
	Temperature         *float64        `json:"temperature,omitempty"`
	DoSample            *bool           `json:"do_sample,omitempty"`
	TopP                *float64        `json:"top_p,omitempty"`
	TopK                json.RawMessage `json:"top_k,omitempty"`
	Stop                []string        `json:"stop,omitempty"`
	Seed                json.RawMessage `json:"seed,omitempty"`
	RepetitionPenalty   json.RawMessage `json:"repetition_penalty,omitempty"`
	Details             bool            `json:"details"`
	DecoderInputDetails bool            `json:"decoder_input_details,omitempty"`
}

func (t Translator) Request(c *provider.Call) (*provider.HTTPRequest, error) {
	switch c.Type {
	case gateway.TypeCompletions:
		return generateRequest(c)
	case gateway.TypeChat:
		return messagesAPI.Request(c)
	}
	return nil, gateway.Errorf(gateway.CodeInvalid, "provider %q does not support endpoint type %q", name, c.Type)
}

func serverURL(c *provider.Call) (string, error) {
	u := strings.TrimRight(strings.TrimSpace(c.Config[KeyServerURL]), "/")
	if u == "" {
		return "", gateway.Errorf(gateway.CodeInvalid, "modelConfig is missing required key %q for provider %q", KeyServerURL, name)
	}
	return u, nil
}

func post(c *provider.Call, path string, body []byte) (*provider.HTTPRequest, error) {
	base, err := serverURL(c)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	if k := c.Config[KeyAPIKey]; k != "" {
		h.Set("Authorization", "Bearer "+k)
	}
	return &provider.HTTPRequest{Method: "POST", URL: base + path, Header: h, Body: body}, nil
}

// generateRequest builds {"inputs", "parameters"}. Temperature is sent as given, not scaled
// by 50 as MLflow does: TGI's temperature is the usual softmax temperature. TGI refuses 0, so
// 0 becomes greedy decoding (do_sample=false), which is what temperature 0 means.
func generateRequest(c *provider.Call) (*provider.HTTPRequest, error) {
	r := c.Req.Completion
	if r == nil {
		return nil, gateway.Errorf(gateway.CodeInvalid, "provider %q needs a completions request", name)
	}
	if r.N != nil && *r.N > 1 {
		return nil, gateway.Errorf(gateway.CodeInvalid, "provider %q generates one sequence per request; n must be 1", name)
	}
	extra := r.Extra
	p := parameters{
		MaxNewTokens: r.MaxTokens, TopP: r.TopP, Stop: r.Stop, Details: true,
		TopK: extra["top_k"], Seed: extra["seed"], RepetitionPenalty: extra["repetition_penalty"],
		// prefill tokens give the prompt count; TGI refuses them while streaming.
		DecoderInputDetails: !r.Stream,
	}
	if t := r.Temperature; t != nil {
		if *t > 0 {
			p.Temperature = t
		} else {
			p.DoSample = new(bool)
		}
	}
	body, err := json.Marshal(map[string]any{"inputs": r.Prompt, "parameters": p})
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeInternal, err, "encoding the upstream request failed")
	}
	path := "/generate"
	if r.Stream {
		path = "/generate_stream"
	}
	return post(c, path, body)
}

type details struct {
	FinishReason    string            `json:"finish_reason"`
	GeneratedTokens *int64            `json:"generated_tokens"`
	Prefill         []json.RawMessage `json:"prefill"`
	InputLength     *int64            `json:"input_length"`
}

// usage counts the prompt from prefill (or input_length on stream details) and the answer
// from generated_tokens.
func (d *details) usage() llm.Usage {
	if d == nil || d.GeneratedTokens == nil {
		return llm.Usage{}
	}
	switch {
	case d.InputLength != nil:
		return llm.NewUsage(*d.InputLength, *d.GeneratedTokens)
	case len(d.Prefill) > 0:
		return llm.NewUsage(int64(len(d.Prefill)), *d.GeneratedTokens)
	}
	return llm.Usage{CompletionTokens: d.GeneratedTokens}
}

// FinishReason maps TGI's finish reasons (length, eos_token, stop_sequence).
func FinishReason(r string) string {
	switch r {
	case "":
		return ""
	case "length":
		return llm.FinishLength
	}
	return llm.FinishStop
}

func (Translator) Response(c *provider.Call, body []byte) (*llm.Response, error) {
	if c.Type == gateway.TypeChat {
		return messagesAPI.Response(c, body)
	}
	var r struct {
		GeneratedText *string  `json:"generated_text"`
		Details       *details `json:"details"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, malformed(err)
	}
	if r.GeneratedText == nil {
		return nil, gateway.Errorf(gateway.CodeUpstream, "malformed upstream response: no generated_text")
	}
	var finish *string
	if r.Details != nil && r.Details.FinishReason != "" {
		f := FinishReason(r.Details.FinishReason)
		finish = &f
	}
	return &llm.Response{Completion: &llm.CompletionResponse{
		Object: "text_completion", Model: c.Model, Usage: r.Details.usage(),
		Choices: []llm.CompletionChoice{{Text: *r.GeneratedText, FinishReason: finish}},
	}}, nil
}

func malformed(err error) *gateway.Error {
	return gateway.Wrap(gateway.CodeUpstream, err, "malformed upstream response")
}
