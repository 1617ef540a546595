// Package registry lists every provider llmgate knows, so the rest of the gateway resolves
// provider names in one place. Each provider package exports its Spec; adding a provider is
// one line here.
package registry

import (
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/ai21labs"
	"github.com/llmgate/llmgate/provider/anthropic"
	"github.com/llmgate/llmgate/provider/bedrock"
	"github.com/llmgate/llmgate/provider/cohere"
	"github.com/llmgate/llmgate/provider/databricks"
	"github.com/llmgate/llmgate/provider/gemini"
	"github.com/llmgate/llmgate/provider/litellm"
	"github.com/llmgate/llmgate/provider/mistral"
	"github.com/llmgate/llmgate/provider/mlflowserving"
	"github.com/llmgate/llmgate/provider/openai"
	"github.com/llmgate/llmgate/provider/openaiwire"
	"github.com/llmgate/llmgate/provider/retired"
	"github.com/llmgate/llmgate/provider/tgi"
	"github.com/llmgate/llmgate/provider/togetherai"
	"github.com/llmgate/llmgate/provider/vertexai"
)

// Default returns a registry of every built-in provider.
func Default() *provider.Registry {
	specs := []*provider.Spec{
		openai.Spec,
		openai.AzureSpec,
		anthropic.Spec,
		bedrock.Spec,
		gemini.Spec,
		vertexai.Spec,
		cohere.Spec,
		mistral.Spec,
		togetherai.Spec,
		ai21labs.Spec,
		tgi.Spec,
		mlflowserving.Spec,
		databricks.Spec,
		litellm.Spec,
		retired.MosaicML,
		retired.PaLM,
	}
	return provider.NewRegistry(append(specs, openaiwire.Specs()...)...)
}
