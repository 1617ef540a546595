// Package togetherai serves Together AI's OpenAI-compatible API (MLflow's "togetherai"
// provider), including its legacy /completions endpoint.
//
// Config keys: togetherai_api_key (required, Bearer) and togetherai_api_base (optional,
// default https://api.together.xyz/v1).
package togetherai

import (
	"github.com/llmgate/llmgate/gateway"
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
var Spec = openaicompat.Family{
	Name:        "togetherai",
	Aliases:     []string{"together"},
	Types:       []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions, gateway.TypeEmbeddings},
	Streams:     []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions},
	APIKeyKey:   KeyAPIKey,
	APIBaseKey:  KeyAPIBase,
	DefaultBase: DefaultBaseURL,
	Models: map[gateway.EndpointType][]string{
		gateway.TypeChat:        {"meta-llama/Llama-3.3-70B-Instruct-Turbo", "Qwen/Qwen2.5-72B-Instruct-Turbo", "deepseek-ai/DeepSeek-V3"},
		gateway.TypeCompletions: {"meta-llama/Llama-3.3-70B-Instruct-Turbo"},
		gateway.TypeEmbeddings:  {"BAAI/bge-large-en-v1.5", "intfloat/multilingual-e5-large-instruct"},
	},
}.Spec()
