// Package ai21labs serves AI21's Jamba chat completions API (MLflow's "ai21labs" provider).
// MLflow used the J2 "complete" API, which AI21 has retired; completions are served through
// chat as one user message instead, and MLflow's j2-* model restriction no longer applies.
//
// Config keys: ai21labs_api_key (required, Bearer) and ai21labs_api_base (optional, default
// https://api.ai21.com/studio/v1).
package ai21labs

import (
	"net/http"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/kit"
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
var Spec = &provider.Spec{
	Name:         "ai21labs",
	Aliases:      []string{"ai21"},
	Types:        []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions},
	Streams:      []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions},
	RequiredKeys: []string{KeyAPIKey},
	OptionalKeys: []string{KeyAPIBase},
	Models: map[gateway.EndpointType][]string{
		gateway.TypeChat:        {"jamba-large", "jamba-mini"},
		gateway.TypeCompletions: {"jamba-large", "jamba-mini"},
	},
	Translator: &openaicompat.Translator{
		Provider: "ai21labs",
		URL: func(c *provider.Call, path string) (string, error) {
			return kit.JoinURL(baseURL(c), path), nil
		},
		Header: func(c *provider.Call, h http.Header) error {
			h.Set("Authorization", "Bearer "+c.Config[KeyAPIKey])
			return nil
		},
		CompletionsViaChat: true,
	},
}

func baseURL(c *provider.Call) string {
	if b := c.Config[KeyAPIBase]; b != "" {
		return b
	}
	return DefaultBaseURL
}
