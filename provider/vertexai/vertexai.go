// Package vertexai serves Google's Gemini models through Vertex AI: the Gemini wire of
// package gemini on a project/location URL, authenticated by transport with an OAuth token
// minted from a service-account JSON (provider.GoogleOAuth), as MLflow's vertex_ai
// provider does.
//
// Config keys: vertex_project (required), vertex_location (optional; "global" or empty uses
// the un-prefixed aiplatform host, as MLflow does), vertex_credentials (service-account JSON,
// secret, read by transport) and vertex_api_base (optional host override, for tests).
// Embeddings use Vertex's text-embedding predict API.
package vertexai

import (
	"net/http"
	"strings"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/gemini"
)

// Config keys.
const (
	KeyProject     = "vertex_project"
	KeyLocation    = "vertex_location"
	KeyCredentials = "vertex_credentials"
	KeyAPIBase     = "vertex_api_base"
)

// Spec is MLflow's vertex_ai provider.
var Spec = &provider.Spec{
	Name:         "vertex_ai",
	Aliases:      []string{"vertexai"},
	Types:        []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions, gateway.TypeEmbeddings},
	Streams:      []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions},
	RequiredKeys: []string{KeyProject},
	OptionalKeys: []string{KeyLocation, KeyCredentials, KeyAPIBase},
	SecretKeys:   []string{KeyCredentials},
	Models: map[gateway.EndpointType][]string{
		gateway.TypeChat:        {"gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash"},
		gateway.TypeCompletions: {"gemini-2.5-flash", "gemini-2.0-flash"},
		gateway.TypeEmbeddings:  {"gemini-embedding-001", "text-embedding-005"},
	},
	Translator: &gemini.Translator{Provider: "vertex_ai", Locate: locate, Embeddings: gemini.VertexPredict},
}

// locate builds https://{location}-aiplatform.googleapis.com/v1/projects/{p}/locations/{l}/
// publishers/google/models/{model}:{method} and asks transport for a Google OAuth token.
func locate(c *provider.Call, method string) (*gemini.Location, error) {
	project := strings.TrimSpace(c.Config[KeyProject])
	if project == "" {
		return nil, gateway.Errorf(gateway.CodeInvalid, "modelConfig is missing required key %q for provider %q", KeyProject, "vertex_ai")
	}
	location := strings.TrimSpace(c.Config[KeyLocation])
	host := "https://aiplatform.googleapis.com"
	path := "/v1/projects/" + project
	if location != "" && location != "global" {
		host = "https://" + location + "-aiplatform.googleapis.com"
	}
	if location != "" {
		path += "/locations/" + location
	}
	if base := strings.TrimRight(c.Config[KeyAPIBase], "/"); base != "" {
		host = base
	}
	url := host + path + "/publishers/google/models/" + gemini.ModelID(c.Model) + ":" + method
	if method == gemini.MethodStream {
		url += "?alt=sse"
	}
	return &gemini.Location{URL: url, Header: http.Header{}, Sign: &provider.Signing{Google: &provider.GoogleOAuth{CredentialsJSON: c.Config[KeyCredentials]}}}, nil
}
