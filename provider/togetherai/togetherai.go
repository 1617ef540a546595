// Package togetherai serves Together AI's OpenAI-compatible API (MLflow's "togetherai"
// provider), including its legacy /completions endpoint.
//
// Config keys: togetherai_api_key (required, Bearer) and togetherai_api_base (optional,
// default https://api.together.xyz/v1).
package togetherai

import (
	"net/http"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/kit"
	"github.com/llmgate/llmgate/provider/openaicompat"
)

// DefaultBaseURL is Together AI's public API root.
const DefaultBaseURL = "https://api.together.xyz/v1"

// Config keys.
const (
	KeyAPIKey  = "togetherai_api_key"
	KeyAPIBase = "togetherai_api_base"
)

// Spec is MLflow's togetherai provider.
var Spec = &provider.Spec{
	Name:         "togetherai",
	Aliases:      []string{"together"},
	Types:        []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions, gateway.TypeEmbeddings},
	Streams:      []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions},
	RequiredKeys: []string{KeyAPIKey},
	OptionalKeys: []string{KeyAPIBase},
	Models: map[gateway.EndpointType][]string{
		gateway.TypeChat:        {"meta-llama/Llama-3.3-70B-Instruct-Turbo", "Qwen/Qwen2.5-72B-Instruct-Turbo", "deepseek-ai/DeepSeek-V3"},
		gateway.TypeCompletions: {"meta-llama/Llama-3.3-70B-Instruct-Turbo"},
		gateway.TypeEmbeddings:  {"BAAI/bge-large-en-v1.5", "intfloat/multilingual-e5-large-instruct"},
	},
	Translator: &openaicompat.Translator{
		Provider: "togetherai",
		URL: func(c *provider.Call, path string) (string, error) {
			return kit.JoinURL(baseURL(c), path), nil
		},
		Header: func(c *provider.Call, h http.Header) error {
			h.Set("Authorization", "Bearer "+c.Config[KeyAPIKey])
			return nil
		},
	},
}

func baseURL(c *provider.Call) string {
	if b := c.Config[KeyAPIBase]; b != "" {
		return b
	}
	return DefaultBaseURL
}
