// Package ai21labs serves AI21's Jamba chat completions API (MLflow's "ai21labs" provider).
// MLflow used the J2 "complete" API, which AI21 has retired; completions are served through
// chat as one user message instead, and MLflow's j2-* model restriction no longer applies.
//
// Config keys: ai21labs_api_key (required, Bearer) and ai21labs_api_base (optional, default
// https://api.ai21.com/studio/v1).
package ai21labs

import (
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider/openaicompat"
)

// DefaultBaseURL is AI21 Studio's API root.
const DefaultBaseURL = "https://api.ai21.com/studio/v1"

// Config keys.
const (
	KeyAPIKey  = "ai21labs_api_key"
	KeyAPIBase = "ai21labs_api_base"
)

// Spec is MLflow's ai21labs provider.
var Spec = openaicompat.Family{
	Name:               "ai21labs",
	Aliases:            []string{"ai21"},
	Types:              []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions},
	Streams:            []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions},
	APIKeyKey:          KeyAPIKey,
	APIBaseKey:         KeyAPIBase,
	DefaultBase:        DefaultBaseURL,
	CompletionsViaChat: true,
	Models: map[gateway.EndpointType][]string{
		gateway.TypeChat:        {"jamba-large", "jamba-mini"},
		gateway.TypeCompletions: {"jamba-large", "jamba-mini"},
	},
}.Spec()
