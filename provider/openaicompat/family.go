package openaicompat

import (
	"net/http"
	"strings"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/kit"
)

// Family is one provider of the OpenAI-wire family: reached at a base URL (a default, or the
// endpoint's APIBaseKey) with the endpoint's APIKeyKey as a Bearer token. Most
// OpenAI-compatible providers are only this, so each is a Family value in its folder rather
// than its own copy of a Translator.
type Family struct {
	Name    string
	Aliases []string
	Types   []gateway.EndpointType
	Streams []gateway.EndpointType
	// APIKeyKey and APIBaseKey are the config keys of the Bearer key and of the base URL.
	APIKeyKey, APIBaseKey string
	DefaultBase           string
	// KeyOptional: the key may be absent (local servers); NoKey is a value that also means
	// "send no Authorization" (Ollama's placeholder "ollama").
	KeyOptional bool
	NoKey       string
	// CompletionsViaChat serves completions through chat, for providers without the legacy API.
	CompletionsViaChat bool
	Models             map[gateway.EndpointType][]string
}

// Spec is the provider's registry entry.
func (f Family) Spec() *provider.Spec {
	s := &provider.Spec{
		Name: f.Name, Aliases: f.Aliases, Types: f.Types, Streams: f.Streams, Models: f.Models,
		OptionalKeys: []string{f.APIBaseKey},
		Translator: &Translator{
			Provider:           f.Name,
			URL:                f.url,
			Header:             f.header,
			CompletionsViaChat: f.CompletionsViaChat,
		},
	}
	if f.KeyOptional {
		s.OptionalKeys = append(s.OptionalKeys, f.APIKeyKey)
	} else {
		s.RequiredKeys = []string{f.APIKeyKey}
	}
	return s
}

func (f Family) url(c *provider.Call, path string) (string, error) {
	b := strings.TrimSpace(c.Config[f.APIBaseKey])
	if b == "" {
		b = f.DefaultBase
	}
	return kit.JoinURL(b, path), nil
}

func (f Family) header(c *provider.Call, h http.Header) error {
	if k := strings.TrimSpace(c.Config[f.APIKeyKey]); k != "" && (f.NoKey == "" || k != f.NoKey) {
		h.Set("Authorization", "Bearer "+k)
	}
	return nil
}
