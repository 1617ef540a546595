// Package openai is the "openai" provider with MLflow's three API types: OpenAI itself (or any
// OpenAI-compatible server through openai_api_base), Azure OpenAI with an api-key, and Azure
// OpenAI with an Entra ID (azuread) bearer token. The wire is openaicompat's; this package
// only decides URLs and headers.
package openai

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/llmgate/llmgate/gateway"
	"github.com/llmgate/llmgate/provider"
	"github.com/llmgate/llmgate/provider/kit"
	"github.com/llmgate/llmgate/provider/openaicompat"
)

// Config keys, as MLflow names them.
const (
	KeyAPIKey       = "openai_api_key"
	KeyAPIType      = "openai_api_type"
	KeyAPIBase      = "openai_api_base"
	KeyAPIVersion   = "openai_api_version"
	KeyDeployment   = "openai_deployment_name"
	KeyOrganization = "openai_organization"
)

// API types (openai_api_type, case-insensitive).
const (
	TypeOpenAI  = "openai"
	TypeAzure   = "azure"
	TypeAzureAD = "azuread"
)

// DefaultBase is OpenAI's API base; openai_api_base replaces it for compatible servers.
const DefaultBase = "https://api.openai.com/v1"

var (
	allTypes    = []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions, gateway.TypeEmbeddings}
	streamTypes = []gateway.EndpointType{gateway.TypeChat, gateway.TypeCompletions}
	models      = map[gateway.EndpointType][]string{
		gateway.TypeChat:        {"gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini"},
		gateway.TypeCompletions: {"gpt-3.5-turbo-instruct"},
		gateway.TypeEmbeddings:  {"text-embedding-3-small", "text-embedding-3-large"},
	}
)

// Spec is MLflow's "openai" provider; openai_api_type defaults to "openai".
var Spec = &provider.Spec{
	Name:         "openai",
	Types:        allTypes,
	Streams:      streamTypes,
	RequiredKeys: []string{KeyAPIKey},
	OptionalKeys: []string{KeyAPIType, KeyAPIBase, KeyAPIVersion, KeyDeployment, KeyOrganization},
	Models:       models,
	Validate:     func(config map[string]string) error { return validate(config, TypeOpenAI) },
	Translator:   newTranslator(TypeOpenAI),
}

// AzureSpec is an llmgate convenience name, "azure-openai" (alias "azure"), for MLflow's
// openai provider with openai_api_type defaulting to "azure". MLflow itself has no such
// provider name; configs using "openai" + openai_api_type=azure keep working unchanged.
var AzureSpec = &provider.Spec{
	Name:         "azure-openai",
	Aliases:      []string{"azure"},
	Types:        allTypes,
	Streams:      streamTypes,
	RequiredKeys: []string{KeyAPIKey, KeyAPIBase, KeyAPIVersion, KeyDeployment},
	OptionalKeys: []string{KeyAPIType},
	Models:       models,
	Validate:     func(config map[string]string) error { return validate(config, TypeAzure) },
	Translator:   newTranslator(TypeAzure),
}

// apiType returns the configured type, lower-cased, or def.
func apiType(config map[string]string, def string) string {
	if t := strings.ToLower(strings.TrimSpace(config[KeyAPIType])); t != "" {
		return t
	}
	return def
}

// validate applies MLflow's OpenAIConfig rules: azure types need base, version and
// deployment and forbid an organization; type openai forbids a deployment name.
func validate(config map[string]string, def string) error {
	switch apiType(config, def) {
	case TypeOpenAI:
		if config[KeyDeployment] != "" {
			return gateway.Errorf(gateway.CodeInvalid, "modelConfig key %q is only valid for openai_api_type azure or azuread", KeyDeployment)
		}
	case TypeAzure, TypeAzureAD:
		for _, k := range []string{KeyAPIBase, KeyAPIVersion, KeyDeployment} {
			if strings.TrimSpace(config[k]) == "" {
				return gateway.Errorf(gateway.CodeInvalid, "modelConfig key %q is required for openai_api_type azure and azuread", k)
			}
		}
		if config[KeyOrganization] != "" {
			return gateway.Errorf(gateway.CodeInvalid, "modelConfig key %q is not valid for openai_api_type azure or azuread", KeyOrganization)
		}
	default:
		return gateway.Errorf(gateway.CodeInvalid, "modelConfig key %q must be one of openai, azure, azuread", KeyAPIType)
	}
	return nil
}

func newTranslator(def string) *openaicompat.Translator {
	return &openaicompat.Translator{
		Provider: "openai",
		URL:      func(c *provider.Call, path string) (string, error) { return endpointURL(c.Config, def, path) },
		Header:   func(c *provider.Call, h http.Header) error { return setAuth(c.Config, def, h) },
	}
}

// endpointURL is {base}{path} for OpenAI, and
// {base}/openai/deployments/{deployment}{path}?api-version={version} for Azure.
func endpointURL(config map[string]string, def, path string) (string, error) {
	if err := validate(config, def); err != nil {
		return "", err
	}
	if apiType(config, def) == TypeOpenAI {
		base := strings.TrimSpace(config[KeyAPIBase])
		if base == "" {
			base = DefaultBase
		}
		return kit.JoinURL(base, path), nil
	}
	u := kit.JoinURL(strings.TrimSpace(config[KeyAPIBase]), "/openai/deployments/"+url.PathEscape(config[KeyDeployment])+path)
	return u + "?api-version=" + url.QueryEscape(config[KeyAPIVersion]), nil
}

// setAuth puts the key where each API type expects it: "api-key" for azure, a bearer token
// for openai and azuread (where the key is an Entra ID token).
func setAuth(config map[string]string, def string, h http.Header) error {
	key := config[KeyAPIKey]
	if key == "" {
		return gateway.Errorf(gateway.CodeInvalid, "modelConfig is missing required key %q for provider %q", KeyAPIKey, "openai")
	}
	switch apiType(config, def) {
	case TypeAzure:
		h.Set("api-key", key)
	default:
		h.Set("Authorization", "Bearer "+key)
	}
	if org := config[KeyOrganization]; org != "" {
		h.Set("OpenAI-Organization", org)
	}
	return nil
}
