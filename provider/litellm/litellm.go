// Package litellm serves models through a LiteLLM proxy's OpenAI-compatible API (MLflow 3's
// "litellm" provider). MLflow calls the litellm Python library in-process; llmgate, being Go,
// talks to a LiteLLM proxy server instead, which takes the same "provider/model" names.
//
// Config keys (all optional, as in MLflow): litellm_api_base (default http://localhost:4000,
// the proxy's default port), litellm_api_key (Bearer, the proxy's key), litellm_provider
// (prefixed to the model as "provider/model" unless the model already has a prefix).
package litellm

import (
	"net/http"
	"strings"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/llm"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/kit"
	"github.com/llmgate/llmgate/provider/openaicompat"
)

// DefaultBaseURL is where a LiteLLM proxy listens by default.
const DefaultBaseURL = "http://localhost:4000"

// Config keys.
const (
	KeyProvider = "litellm_provider"
	KeyAPIKey   = "litellm_api_key"
	KeyAPIBase  = "litellm_api_base"
)

// Spec is MLflow's litellm provider.
var Spec = &provider.Spec{
	Name:         "litellm",
	Types:        []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions, gateway.TypeEmbeddings},
	Streams:      []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions},
	OptionalKeys: []string{KeyProvider, KeyAPIKey, KeyAPIBase},
	Translator:   &Translator{wire: openaicompat.Translator{Provider: "litellm", URL: url, Header: header}},
}

// Translator is the OpenAI wire with the model name qualified by litellm_provider.
type Translator struct {
	wire openaicompat.Translator
}

func url(c *provider.Call, path string) (string, error) {
	base := c.Config[KeyAPIBase]
	if base == "" {
		base = DefaultBaseURL
	}
	return kit.JoinURL(base, path), nil
}

func header(c *provider.Call, h http.Header) error {
	if k := c.Config[KeyAPIKey]; k != "" {
		h.Set("Authorization", "Bearer "+k)
	}
	return nil
}

// Model returns the model name LiteLLM routes on: "provider/model".
func Model(config map[string]string, model string) string {
	p := strings.TrimSpace(config[KeyProvider])
	if p == "" || strings.HasPrefix(model, p+"/") {
		return model
	}
	return p + "/" + model
}

func (t *Translator) Request(c *provider.Call) (*provider.HTTPRequest, error) {
	qualified := *c
	qualified.Model = Model(c.Config, c.Model)
	return t.wire.Request(&qualified)
}

func (t *Translator) Response(c *provider.Call, body []byte) (*llm.Response, error) {
	return t.wire.Response(c, body)
}

func (t *Translator) Stream(c *provider.Call) provider.StreamDecoder { return t.wire.Stream(c) }

func (t *Translator) Error(c *provider.Call, status int, header http.Header, body []byte) *gateway.Error {
	return t.wire.Error(c, status, header, body)
}
