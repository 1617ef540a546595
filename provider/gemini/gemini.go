// Package gemini translates llmgate's canonical llm/v1 requests to Google's Gemini API
// (generateContent, streamGenerateContent with SSE, batchEmbedContents) and back.
//
// The body building and parsing are shared with Vertex AI, which serves the same Gemini wire
// on a different URL with OAuth instead of an API key: a Translator is the Gemini wire plus a
// Locator that decides where a request goes and how it is authenticated.
//
// Config keys: gemini_api_key (required, sent as x-goog-api-key) and gemini_api_base
// (optional, default https://generativelanguage.googleapis.com/v1beta) so tests and private
// proxies can stand in for Google.
package gemini

import (
	"net/http"
	"strings"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
)

// DefaultBaseURL is Google AI's public Gemini API root.
const DefaultBaseURL = "https://generativelanguage.googleapis.com/v1beta"

// Config keys.
const (
	KeyAPIKey  = "gemini_api_key"
	KeyAPIBase = "gemini_api_base"
)

// Spec is the gemini provider as MLflow names it.
var Spec = &provider.Spec{
	Name:         "gemini",
	Types:        []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions, gateway.TypeEmbeddings},
	Streams:      []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions},
	RequiredKeys: []string{KeyAPIKey},
	OptionalKeys: []string{KeyAPIBase},
	Models: map[gateway.EndpointType][]string{
		gateway.TypeChat:        {"gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash"},
		gateway.TypeCompletions: {"gemini-2.5-flash", "gemini-2.0-flash"},
		gateway.TypeEmbeddings:  {"gemini-embedding-001", "text-embedding-004"},
	},
	Translator: &Translator{Provider: "gemini", Locate: locateGoogleAI},
}

// Methods of the Gemini REST surface, appended to the model path after a colon.
const (
	MethodGenerate      = "generateContent"
	MethodStream        = "streamGenerateContent"
	MethodBatchEmbed    = "batchEmbedContents"
	MethodVertexPredict = "predict"
)

// Location is where one Gemini-wire request goes and how it is authenticated.
type Location struct {
	URL    string
	Header http.Header
	Sign   *provider.Signing
}

// Locator resolves the URL and auth of a request for a model method (e.g. generateContent).
// It is the only thing Google AI and Vertex AI do differently for generation.
type Locator func(c *provider.Call, method string) (*Location, error)

// locateGoogleAI addresses the public Gemini API with an API key header.
func locateGoogleAI(c *provider.Call, method string) (*Location, error) {
	base := strings.TrimRight(c.Config[KeyAPIBase], "/")
	if base == "" {
		base = DefaultBaseURL
	}
	h := http.Header{}
	h.Set("x-goog-api-key", c.Config[KeyAPIKey])
	return &Location{URL: base + "/models/" + ModelID(c.Model) + ":" + method + streamQuery(method), Header: h}, nil
}

// streamQuery asks for SSE framing: without alt=sse Gemini streams one JSON array instead.
func streamQuery(method string) string {
	if method == MethodStream {
		return "?alt=sse"
	}
	return ""
}

// ModelID strips the "models/" resource prefix admins copy from Google's model list.
func ModelID(model string) string {
	return strings.TrimPrefix(strings.TrimSpace(model), "models/")
}
