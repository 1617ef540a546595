// Package registry lists every provider llmgate knows, so the rest of the gateway resolves
// provider names in one place. Each provider package exports its Spec; adding a provider is
// one line here.
package registry

import (
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/openai"
)

// Default returns a registry of every built-in provider.
func Default() *provider.Registry {
	return provider.NewRegistry(
		openai.Spec,
		openai.AzureSpec,
	)
}
