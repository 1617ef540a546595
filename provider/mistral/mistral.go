// Package mistral serves Mistral AI's OpenAI-compatible API (MLflow's "mistral" provider).
// Mistral has no legacy completions API, so completions go through chat as one user message,
// as MLflow does.
//
// Config keys: mistral_api_key (required, Bearer) and mistral_api_base (optional, default
// https://api.mistral.ai/v1).
package mistral

import (
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider/openaicompat"
)

// DefaultBaseURL is Mistral's public API root.
const DefaultBaseURL = "https://api.mistral.ai/v1"

// Config keys.
const (
	KeyAPIKey  = "mistral_api_key"
	KeyAPIBase = "mistral_api_base"
)

// Spec is MLflow's mistral provider.
var Spec = openaicompat.Family{
	Name:               "mistral",
	Types:              []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions, gateway.TypeEmbeddings},
	Streams:            []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions},
	APIKeyKey:          KeyAPIKey,
	APIBaseKey:         KeyAPIBase,
	DefaultBase:        DefaultBaseURL,
	CompletionsViaChat: true,
	Models: map[gateway.EndpointType][]string{
		gateway.TypeChat:        {"mistral-large-latest", "mistral-medium-latest", "mistral-small-latest", "open-mistral-nemo"},
		gateway.TypeCompletions: {"mistral-small-latest", "mistral-large-latest"},
		gateway.TypeEmbeddings:  {"mistral-embed"},
	},
}.Spec()
