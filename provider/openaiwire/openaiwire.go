// Package openaiwire holds the providers MLflow 3.x serves with its generic OpenAI-compatible
// provider: Groq, DeepSeek, xAI, OpenRouter and Ollama. Each is only a name, a default base
// URL and MLflow's two config keys, api_key (Bearer) and api_base (optional, overriding the
// default); like MLflow they serve chat (streamed) and embeddings, and no legacy completions.
// Ollama runs locally without a key by default, so its api_key is optional and, as in MLflow,
// no Authorization is sent when it is absent or the placeholder "ollama".
package openaiwire

import (
	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/openaicompat"
)

// MLflow's config keys for these providers.
const (
	KeyAPIKey  = "api_key"
	KeyAPIBase = "api_base"
)

// Default base URLs, as MLflow 3.x sets them.
const (
	GroqBase       = "https://api.groq.com/openai/v1"
	DeepSeekBase   = "https://api.deepseek.com/v1"
	XAIBase        = "https://api.x.ai/v1"
	OpenRouterBase = "https://openrouter.ai/api/v1"
	OllamaBase     = "http://localhost:11434/v1"
)

// The providers.
var (
	Groq = spec("groq", GroqBase, true, map[gateway.EndpointType][]string{
		gateway.TypeChat: {"llama-3.3-70b-versatile", "llama-3.1-8b-instant"}})
	DeepSeek = spec("deepseek", DeepSeekBase, true, map[gateway.EndpointType][]string{
		gateway.TypeChat: {"deepseek-chat", "deepseek-reasoner"}})
	XAI = spec("xai", XAIBase, true, map[gateway.EndpointType][]string{
		gateway.TypeChat: {"grok-4", "grok-3-mini"}})
	OpenRouter = spec("openrouter", OpenRouterBase, true, map[gateway.EndpointType][]string{
		gateway.TypeChat: {"openai/gpt-4o-mini", "anthropic/claude-sonnet-4"}})
	Ollama = spec("ollama", OllamaBase, false, map[gateway.EndpointType][]string{
		gateway.TypeChat: {"llama3.2", "qwen2.5"}, gateway.TypeEmbeddings: {"nomic-embed-text"}})
)

// Specs lists them for the registry.
func Specs() []*provider.Spec { return []*provider.Spec{Groq, DeepSeek, XAI, OpenRouter, Ollama} }

func spec(name, base string, keyRequired bool, models map[gateway.EndpointType][]string) *provider.Spec {
	f := openaicompat.Family{
		Name: name, Types: []gateway.EndpointType{gateway.TypeChat, gateway.TypeEmbeddings},
		Streams:   []gateway.EndpointType{gateway.TypeChat},
		APIKeyKey: KeyAPIKey, APIBaseKey: KeyAPIBase, DefaultBase: base,
		KeyOptional: !keyRequired, Models: models,
	}
	if !keyRequired {
		f.NoKey = name // Ollama's placeholder key is its own name
	}
	return f.Spec()
}
